#!/usr/bin/env bash
# pgbench-compare.sh: pgbench -S through a direct connection, PgBouncer and Vigil, in one run.
#
# Usage: bench/pgbench-compare.sh [BUILDDIR]
#
# Environment:
#   BENCH_SECONDS  seconds per pgbench run (10)      BENCH_ROUNDS  rounds (3)
#   BENCH_SCALE    pgbench -i scale factor (10)      BENCH_KEEP=1  keep the temp dir
#   VIGIL_SKIP=1   leave Vigil out                   PGBIN         PostgreSQL binaries
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILDDIR=${1:-_build}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SCALE=${BENCH_SCALE:-10}
VIGIL_SKIP=${VIGIL_SKIP:-0}
VIGILCTL=$BUILDDIR/app/vigilctl

# Same path for every target: TCP on loopback, no TLS, nothing from the caller's libpq setup.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGPASSFILE
export PGSSLMODE=disable PGCONNECT_TIMEOUT=10

TMP=""
VIGIL_PID=""
BOUNCER_PID=""
PG_STARTED=0

log () { printf 'bench: %s\n' "$*" >&2; }
die () { log "$*"; exit 2; }

# PostgreSQL and PgBouncer refuse to run as root: run them as nobody then. setpriv execs,
# so "${AS_OWNER[@]}" cmd & leaves the command's own pid in $!.
AS_OWNER=()
if [ "$(id -u)" = 0 ]; then
  AS_OWNER=(setpriv "--reuid=$(id -u nobody)" "--regid=$(id -g nobody)" --clear-groups --)
fi
as_owner () { "${AS_OWNER[@]}" "$@"; }

cleanup () {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$VIGIL_PID" ]; then kill "$VIGIL_PID" 2>/dev/null || true; wait "$VIGIL_PID" 2>/dev/null || true; fi
  if [ -n "$BOUNCER_PID" ]; then kill "$BOUNCER_PID" 2>/dev/null || true; wait "$BOUNCER_PID" 2>/dev/null || true; fi
  if [ "$PG_STARTED" = 1 ]; then
    as_owner "$PGBIN/pg_ctl" -D "$TMP/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then log "logs kept in $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use () { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port () {
  local p
  for _ in $(seq 1 100); do
    p=$(( (RANDOM % 20000) + 30000 ))
    if ! port_in_use "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

wait_port () {
  for _ in $(seq 1 100); do
    port_in_use "$1" && return 0
    sleep 0.1
  done
  die "nothing listens on 127.0.0.1:$1 (see $2)"
}

start_postgres () {
  PG_PORT=$(free_port)
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
  as_owner "$PGBIN/initdb" -D "$TMP/pg" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$TMP/initdb.log" 2>&1 \
    || die "initdb failed (see $TMP/initdb.log)"
  cat >>"$TMP/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$TMP'
max_connections = 60
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_owner "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/postgres.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start (see $TMP/postgres.log)"
  PG_STARTED=1
}

create_bench_db () {
  BENCH_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP" -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE bench LOGIN PASSWORD '$BENCH_PASSWORD'" \
    -c "CREATE DATABASE bench OWNER bench" >/dev/null
  log "pgbench -i -s $BENCH_SCALE"
  PGPASSWORD=$BENCH_PASSWORD "$PGBIN/pgbench" -i -q -s "$BENCH_SCALE" \
    -h 127.0.0.1 -p "$PG_PORT" -U bench bench >"$TMP/pgbench-init.log" 2>&1 \
    || die "pgbench -i failed (see $TMP/pgbench-init.log)"
}

start_pgbouncer () {
  BOUNCER_PORT=$(free_port "$PG_PORT")
  log "PgBouncer on 127.0.0.1:$BOUNCER_PORT"
  printf '"bench" "%s"\n' "$BENCH_PASSWORD" >"$TMP/userlist.txt"
  cat >"$TMP/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$PG_PORT dbname=bench

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $TMP/userlist.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
logfile = $TMP/pgbouncer.log
pidfile = $TMP/pgbouncer.pid
EOF
  if [ "$(id -u)" = 0 ]; then chown nobody "$TMP/userlist.txt" "$TMP/pgbouncer.ini"; fi
  "${AS_OWNER[@]}" pgbouncer "$TMP/pgbouncer.ini" >"$TMP/pgbouncer.out" 2>&1 &
  BOUNCER_PID=$!
  wait_port "$BOUNCER_PORT" "$TMP/pgbouncer.log"
}

start_vigil () {
  local upstream line
  [ -x "$VIGILCTL" ] || die "$VIGILCTL is missing: build first, or set VIGIL_SKIP=1"
  VIGIL_TOKEN=$("$VIGILCTL" identity add benchagent --kind agent --data-dir "$TMP/vigil") \
    || die "vigilctl identity add failed"
  [ -n "$VIGIL_TOKEN" ] || die "vigilctl identity add printed no token"
  mkdir "$TMP/vsock"
  chmod 700 "$TMP/vsock"
  upstream="host=127.0.0.1 port=$PG_PORT dbname=bench user=bench password=$BENCH_PASSWORD"
  # stdbuf: the ready line must not sit in a stdio buffer while stdout is a file.
  stdbuf -oL "$VIGILCTL" serve --data-dir "$TMP/vigil" --upstream "$upstream" \
    --listen 127.0.0.1:0 --socket-dir "$TMP/vsock" >"$TMP/vigil.out" 2>"$TMP/vigil.log" &
  VIGIL_PID=$!
  for _ in $(seq 1 300); do
    line=$(grep -m1 '^vigil: ready tcp=' "$TMP/vigil.out" || true)
    if [ -n "$line" ]; then
      VIGIL_PORT=$(printf '%s\n' "$line" | sed -n 's/^vigil: ready tcp=[^ ]*:\([0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p')
      [ -n "$VIGIL_PORT" ] || die "cannot parse '$line'"
      log "Vigil on 127.0.0.1:$VIGIL_PORT"
      return 0
    fi
    kill -0 "$VIGIL_PID" 2>/dev/null || die "vigilctl serve exited (see $TMP/vigil.log)"
    sleep 0.1
  done
  die "vigilctl serve never said it was ready (see $TMP/vigil.log)"
}

# target_conn TARGET -> "PORT USER PASSWORD"
target_conn () {
  case $1 in
    direct)    echo "$PG_PORT bench $BENCH_PASSWORD" ;;
    pgbouncer) echo "$BOUNCER_PORT bench $BENCH_PASSWORD" ;;
    vigil)     echo "$VIGIL_PORT benchagent $VIGIL_TOKEN" ;;
  esac
}

# run_one ROUND MODE CLIENTS TARGET: one pgbench run; TPS into tps.txt, latencies (us) kept.
run_one () {
  local round=$1 mode=$2 clients=$3 target=$4 jobs=1 port user password key out tps
  if [ "$clients" -gt 1 ]; then jobs=2; fi
  read -r port user password <<<"$(target_conn "$target")"
  key=$mode-$clients-$target
  out=$TMP/runs/$key-r$round
  if ! (cd "$TMP/runs" && PGPASSWORD=$password "$PGBIN/pgbench" -n -S -M "$mode" \
          -c "$clients" -j "$jobs" -T "$BENCH_SECONDS" --log --log-prefix="$out.tx" \
          -h 127.0.0.1 -p "$port" -U "$user" bench >"$out.txt" 2>&1); then
    log "round $round $key failed (see $out.txt)"
    rm -f "$out".tx.*
    return 0
  fi
  tps=$(awk '/^tps = / { print $3; exit }' "$out.txt")
  printf '%s %s\n' "$key" "${tps:-0}" >>"$TMP/tps.txt"
  # Third column of a pgbench transaction log: latency in microseconds.
  cat "$out".tx.* | awk '{ print $3 }' >>"$TMP/runs/$key.lat"
  rm -f "$out".tx.*
  log "round $round $key: $tps tps"
}

median_tps () {
  awk -v k="$1" '$1 == k { v[n++] = $2 } END {
      if (n == 0) { print "-"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      printf "%.0f\n", n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$TMP/tps.txt"
}

# percentiles KEY -> "P50 P99" in microseconds, or "- -"
percentiles () {
  local f=$TMP/runs/$1.lat n
  [ -s "$f" ] || { echo "- -"; return 0; }
  n=$(wc -l <"$f")
  sort -n "$f" | awk -v n="$n" '
    BEGIN { a = int((n * 50 + 99) / 100); b = int((n * 99 + 99) / 100) }
    NR == a { p50 = $1 } NR == b { print p50, $1; exit }'
}

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
added () { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%+d\n", a - b }'; }

print_table () {
  local mode clients d b v dp50 dp99 bp50 bp99 vp50 vp99
  printf '\npgbench -S, %s s x %s rounds, scale %s, %s CPUs; median TPS; latency in us:\n' \
    "$BENCH_SECONDS" "$BENCH_ROUNDS" "$BENCH_SCALE" "$(nproc)"
  printf 'direct p50/p99, then what PgBouncer and Vigil add to them\n\n'
  printf '%-9s %7s %9s %9s %9s %9s %9s %8s %8s %8s %8s %8s %8s\n' mode clients direct pgbouncer \
    vigil vigil/pgb vigil/dir dir-p50 dir-p99 pgb+p50 pgb+p99 vig+p50 vig+p99
  for mode in simple prepared; do
    for clients in 1 8; do
      d=$(median_tps "$mode-$clients-direct")
      b=$(median_tps "$mode-$clients-pgbouncer")
      v=$(median_tps "$mode-$clients-vigil")
      read -r dp50 dp99 <<<"$(percentiles "$mode-$clients-direct")"
      read -r bp50 bp99 <<<"$(percentiles "$mode-$clients-pgbouncer")"
      read -r vp50 vp99 <<<"$(percentiles "$mode-$clients-vigil")"
      printf '%-9s %7s %9s %9s %9s %9s %9s %8s %8s %8s %8s %8s %8s\n' "$mode" "$clients" \
        "$d" "$b" "$v" "$(ratio "$v" "$b")" "$(ratio "$v" "$d")" "$dp50" "$dp99" \
        "$(added "$bp50" "$dp50")" "$(added "$bp99" "$dp99")" \
        "$(added "$vp50" "$dp50")" "$(added "$vp99" "$dp99")"
    done
  done
}

main () {
  local targets=(direct pgbouncer) round mode clients i n
  [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 not found in $PGBIN"
  command -v pgbouncer >/dev/null || die "pgbouncer is not installed"
  [ "$VIGIL_SKIP" = 1 ] || targets+=(vigil)

  TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX")
  mkdir -p "$TMP/runs"
  : >"$TMP/tps.txt"
  if [ "$(id -u)" = 0 ]; then chown nobody "$TMP"; fi

  start_postgres
  create_bench_db
  start_pgbouncer
  [ "$VIGIL_SKIP" = 1 ] || start_vigil

  n=${#targets[@]}
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for mode in simple prepared; do
      for clients in 1 8; do
        # Rotate who goes first so no target always runs on a cold or warm machine.
        for i in $(seq 0 $((n - 1))); do
          run_one "$round" "$mode" "$clients" "${targets[$(((i + round - 1) % n))]}"
        done
      done
    done
  done
  print_table
}

main "$@"
