# lib.sh: shell functions the benchmarks share; source it, do not run it.
# shellcheck shell=bash disable=SC2034  # the variables it sets are for the scripts
#
#   . "$(dirname "$0")/lib.sh"
#   bench_init vigil-bench          # TMP, cleanup on exit (kept with BENCH_KEEP=1 or on failure)
#   start_postgres; create_bench_db; start_vigil benchagent agent
#
# Reads PGBIN (PostgreSQL's binaries) and BUILDDIR (for vigilctl); sets PG_PORT,
# BENCH_PASSWORD, VIGIL_PID, VIGIL_PORT, VIGIL_IDENTITY and VIGIL_TOKEN as it starts things.
#
# SPDX-License-Identifier: GPL-3.0-or-later

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# Same path for every target: TCP on loopback, no TLS, nothing from the caller's libpq setup.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGPASSFILE
export PGSSLMODE=disable PGCONNECT_TIMEOUT=10

TMP=""
VIGIL_PID=""
PG_STARTED=0
BENCH_PIDS=()

log () { printf 'bench: %s\n' "$*" >&2; }
die () { log "$*"; exit 2; }

# PostgreSQL and PgBouncer refuse to run as root: run them as nobody then. setpriv execs,
# so "${AS_OWNER[@]}" cmd & leaves the command's own pid in $!.
AS_OWNER=()
if [ "$(id -u)" = 0 ]; then
  AS_OWNER=(setpriv "--reuid=$(id -u nobody)" "--regid=$(id -g nobody)" --clear-groups --)
fi
as_owner () { "${AS_OWNER[@]}" "$@"; }

# bench_track_pid PID: stopped (TERM, then waited for) on exit, the last one first.
bench_track_pid () { BENCH_PIDS+=("$1"); }
# bench_untrack_pid PID: PID was stopped and waited for already.
bench_untrack_pid () {
  local kept=() pid
  for pid in "${BENCH_PIDS[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  BENCH_PIDS=("${kept[@]}")
}

bench_cleanup () {
  local rc=$? i pid
  trap - EXIT INT TERM
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${BENCH_PIDS[$i]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$PG_STARTED" = 1 ]; then
    as_owner "$PGBIN/pg_ctl" -D "$TMP/pg" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then log "logs kept in $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}

# bench_init PREFIX: a temporary directory in TMP (owned by nobody when root), removed on exit.
bench_init () {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  if [ "$(id -u)" = 0 ]; then chown nobody "$TMP"; fi
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

port_in_use () { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port [AVOID]: a port nothing listens on, other than AVOID, below the kernel's range
# of ephemeral ports when it can: a port some connection uses as its source cannot be
# bound (after a fuzz run, tens of thousands sit in TIME_WAIT).
# shellcheck disable=SC2120
free_port () {
  local p base=30000 ephemeral
  ephemeral=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
  if [ "${ephemeral:-0}" -gt 21024 ]; then base=$((ephemeral - 20000)); fi
  for _ in $(seq 1 100); do
    p=$(( (RANDOM % 20000) + base ))
    if ! port_in_use "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

# wait_port PORT LOG: waits up to 10 s for something to listen on PORT.
wait_port () {
  for _ in $(seq 1 100); do
    port_in_use "$1" && return 0
    sleep 0.1
  done
  die "nothing listens on 127.0.0.1:$1 (see $2)"
}

# start_postgres: a throwaway PostgreSQL in TMP/pg, tuned for benchmarks (nothing is
# fsynced). max_connections leaves room for the 200 idle sessions of the RSS figure, while
# PgBouncer and Vigil still keep server connections from the held-sessions row.
start_postgres () {
  PG_PORT=$(free_port "")
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
  as_owner "$PGBIN/initdb" -D "$TMP/pg" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$TMP/initdb.log" 2>&1 \
    || die "initdb failed (see $TMP/initdb.log)"
  cat >>"$TMP/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$TMP'
max_connections = 450
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_owner "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/postgres.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start (see $TMP/postgres.log)"
  PG_STARTED=1
}

# create_bench_db: a SCRAM role bench (password in BENCH_PASSWORD) owning a database bench.
create_bench_db () {
  BENCH_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP" -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE bench LOGIN PASSWORD '$BENCH_PASSWORD'" \
    -c "CREATE DATABASE bench OWNER bench" >/dev/null
}

# bench_psql [PSQL ARGS...]: psql as bench on the bench database, directly.
bench_psql () {
  PGPASSWORD=$BENCH_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$PG_PORT" -U bench -d bench "$@"
}

# start_vigil IDENTITY KIND: `vigilctl serve` in front of the bench database, with IDENTITY
# (VIGIL_IDENTITY, its token in VIGIL_TOKEN) under the built-in default policy.
start_vigil () {
  local identity=$1 kind=$2 vigilctl=$BUILDDIR/app/vigilctl upstream line
  VIGIL_IDENTITY=$identity
  [ -x "$vigilctl" ] || die "$vigilctl is missing: build first"
  VIGIL_TOKEN=$("$vigilctl" identity add "$identity" --kind "$kind" --data-dir "$TMP/vigil") \
    || die "vigilctl identity add failed"
  [ -n "$VIGIL_TOKEN" ] || die "vigilctl identity add printed no token"
  mkdir "$TMP/vsock"
  chmod 700 "$TMP/vsock"
  upstream="host=127.0.0.1 port=$PG_PORT dbname=bench user=bench password=$BENCH_PASSWORD"
  # stdbuf: the ready line must not sit in a stdio buffer while stdout is a file.
  stdbuf -oL "$vigilctl" serve --data-dir "$TMP/vigil" --upstream "$upstream" \
    --listen 127.0.0.1:0 --socket-dir "$TMP/vsock" >"$TMP/vigil.out" 2>"$TMP/vigil.log" &
  VIGIL_PID=$!
  bench_track_pid "$VIGIL_PID"
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

# start_idle_clients N CONNINFO PASSWORD NAME: bench/idle-clients holding N idle sessions
# (output in TMP/NAME.out and .log), tracked; IDLE_PID once all are open.
start_idle_clients () {
  local clients=$BUILDDIR/bench/idle-clients
  [ -x "$clients" ] || die "$clients is missing: build first"
  : >"$TMP/$4.out"
  PGPASSWORD=$3 "$clients" "$1" "$2" >"$TMP/$4.out" 2>"$TMP/$4.log" &
  IDLE_PID=$!
  bench_track_pid "$IDLE_PID"
  until grep -q '^ready' "$TMP/$4.out"; do
    kill -0 "$IDLE_PID" 2>/dev/null || die "idle-clients failed (see $TMP/$4.log)"
    sleep 0.2
  done
}

# stop_idle_clients NAME: closes what start_idle_clients NAME opened.
stop_idle_clients () {
  kill "$IDLE_PID"
  wait "$IDLE_PID" || die "idle-clients failed (see $TMP/$1.log)"
  bench_untrack_pid "$IDLE_PID"
}

# median: the median of the numbers on stdin, one a line ("-" when there are none).
median () {
  sort -g | awk '{ v[n++] = $1 } END {
      if (n == 0) { print "-"; exit }
      print n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}

# median_of KEY FILE: the median of the second column over FILE's lines whose first is KEY.
median_of () { awk -v k="$1" '$1 == k { print $2 }' "$2" | median; }
