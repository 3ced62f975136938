#!/usr/bin/env bash
# mask-bench.sh: a 1M-row, 4-text-column SELECT direct and through Vigil with masking on.
#
# The agent runs under the built-in default policy: the email column gets a column rule,
# every text column the value detectors (one row in ten carries an email or a phone in
# its free text). Prints the median time of each and the throughput ratio.
#
# Usage: bench/mask-bench.sh [BUILDDIR]
#
# Environment:
#   BENCH_ROWS    rows (1000000)     BENCH_ROUNDS  rounds (3)     BENCH_KEEP=1  keep the temp dir
#   PGBIN         PostgreSQL binaries    BENCH_KIND=human  Vigil without masking
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILDDIR=${1:-_build}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
VIGILCTL=$BUILDDIR/app/vigilctl

unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGPASSFILE
export PGSSLMODE=disable PGCONNECT_TIMEOUT=10

TMP=""
VIGIL_PID=""
PG_STARTED=0

log () { printf 'bench: %s\n' "$*" >&2; }
die () { log "$*"; exit 2; }

AS_OWNER=()
if [ "$(id -u)" = 0 ]; then
  AS_OWNER=(setpriv "--reuid=$(id -u nobody)" "--regid=$(id -g nobody)" --clear-groups --)
fi
as_owner () { "${AS_OWNER[@]}" "$@"; }

cleanup () {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$VIGIL_PID" ]; then kill "$VIGIL_PID" 2>/dev/null || true; wait "$VIGIL_PID" 2>/dev/null || true; fi
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
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  die "no free port found"
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
  log "people: $BENCH_ROWS rows"
  PGPASSWORD=$BENCH_PASSWORD "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
    -U bench -d bench >/dev/null <<EOF
CREATE TABLE people (name text, email text, notes text, city text);
INSERT INTO people
  SELECT 'person ' || g, 'user' || g || '@example.com',
         CASE WHEN g % 10 = 0 THEN 'reach me at alt' || g || '@example.org'
              WHEN g % 10 = 5 THEN 'call 415-555-' || lpad((g % 10000)::text, 4, '0')
              ELSE 'order ' || g || ' shipped on 2024-05-01, total 12.50 EUR' END,
         (ARRAY['Lyon', 'Berlin', 'Oslo', 'Austin'])[g % 4 + 1]
    FROM generate_series(1, $BENCH_ROWS) g;
VACUUM ANALYZE people;
EOF
}

start_vigil () {
  local upstream line
  [ -x "$VIGILCTL" ] || die "$VIGILCTL is missing: build first"
  VIGIL_TOKEN=$("$VIGILCTL" identity add benchagent --kind "${BENCH_KIND:-agent}" --data-dir "$TMP/vigil") \
    || die "vigilctl identity add failed"
  mkdir "$TMP/vsock"
  chmod 700 "$TMP/vsock"
  upstream="host=127.0.0.1 port=$PG_PORT dbname=bench user=bench password=$BENCH_PASSWORD"
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

# run_one TARGET -> seconds for the whole SELECT, output discarded.
run_one () {
  local port user password start end
  case $1 in
    direct) port=$PG_PORT; user=bench; password=$BENCH_PASSWORD ;;
    vigil)  port=$VIGIL_PORT; user=benchagent; password=$VIGIL_TOKEN ;;
  esac
  start=$(date +%s.%N)
  PGPASSWORD=$password "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" \
    -U "$user" -d bench -c 'SELECT name, email, notes, city FROM people' >"$TMP/out-$1.txt" \
    2>"$TMP/err-$1.txt" || die "$1 SELECT failed (see $TMP/err-$1.txt)"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

median () { sort -n | awk '{ v[n++] = $1 } END { print n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }

main () {
  local round t direct vigil bytes secs
  [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL not found in $PGBIN"
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-mask-bench.XXXXXX")
  if [ "$(id -u)" = 0 ]; then chown nobody "$TMP"; fi
  start_postgres
  create_bench_db
  start_vigil
  : >"$TMP/times.txt"
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for t in direct vigil; do
      secs=$(run_one "$t") || exit 2
      printf '%s %s\n' "$t" "$secs" >>"$TMP/times.txt"
      log "round $round $t: $(tail -n1 "$TMP/times.txt" | cut -d' ' -f2) s"
    done
  done
  # Masking really happened: no email column value in clear through Vigil.
  if grep -q 'user1@example.com' "$TMP/out-vigil.txt"; then die "Vigil output is not masked"; fi
  bytes=$(wc -c <"$TMP/out-direct.txt")
  direct=$(awk '$1 == "direct" { print $2 }' "$TMP/times.txt" | median)
  vigil=$(awk '$1 == "vigil" { print $2 }' "$TMP/times.txt" | median)
  printf '\n%s rows x 4 text columns (%s bytes as psql prints them), median of %s:\n' \
    "$BENCH_ROWS" "$bytes" "$BENCH_ROUNDS"
  awk -v d="$direct" -v v="$vigil" -v r="$BENCH_ROWS" 'BEGIN {
    printf "direct            %7.3f s  %9.0f rows/s\n", d, r / d
    printf "vigil (masked)    %7.3f s  %9.0f rows/s\n", v, r / v
    printf "throughput ratio  %7.2f (vigil/direct)\n", d / v }'
  printf '\nsample through Vigil:\n'
  head -n 10 "$TMP/out-vigil.txt"
}

main "$@"
