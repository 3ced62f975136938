#!/usr/bin/env bash
# pgbench-compare.sh: pgbench -S through a direct connection, PgBouncer and Vigil, in one run,
# then the other figures (masked SELECT, audit, classification, RSS; figures.sh).
#
# Usage: bench/pgbench-compare.sh [BUILDDIR]
#
# Environment (README.md has them all):
#   BENCH_SECONDS  seconds per pgbench run (10)      BENCH_ROUNDS  rounds (3)
#   BENCH_SCALE    pgbench -i scale factor (10)      BENCH_KEEP=1  keep the temp dir
#   BENCH_HELD     idle sessions held open during the last row (100; 0 leaves it out)
#   VIGIL_SKIP=1   leave Vigil out                   PGBIN         PostgreSQL binaries
#   BENCH_OTHER    other figures: 1 all (default), 0 none, or some of "mask audit classify rss"
#   BENCH_ROWS, BENCH_AUDIT_SECONDS, BENCH_CLASSIFY_ITERATIONS, BENCH_IDLE, BENCH_STREAM_MB
#                  their sizes (1000000 rows, 3 s, 2000 statements, 200 connections, 1000 MB)
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILDDIR=${1:-_build}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SCALE=${BENCH_SCALE:-10}
BENCH_HELD=${BENCH_HELD:-100}
VIGIL_SKIP=${VIGIL_SKIP:-0}
BOUNCER_PID=""

here=$(dirname "$0")
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
# shellcheck source=bench/figures.sh
. "$here/figures.sh"

init_pgbench () {
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
max_client_conn = $((BENCH_HELD + 100))
default_pool_size = $((BENCH_HELD + 20))
logfile = $TMP/pgbouncer.log
pidfile = $TMP/pgbouncer.pid
EOF
  if [ "$(id -u)" = 0 ]; then chown nobody "$TMP/userlist.txt" "$TMP/pgbouncer.ini"; fi
  "${AS_OWNER[@]}" pgbouncer "$TMP/pgbouncer.ini" >"$TMP/pgbouncer.out" 2>&1 &
  BOUNCER_PID=$!
  bench_track_pid "$BOUNCER_PID"
  wait_port "$BOUNCER_PORT" "$TMP/pgbouncer.log"
}

# target_conn TARGET -> "PORT USER PASSWORD"
target_conn () {
  case $1 in
    direct)    echo "$PG_PORT bench $BENCH_PASSWORD" ;;
    pgbouncer) echo "$BOUNCER_PORT bench $BENCH_PASSWORD" ;;
    vigil)     echo "$VIGIL_PORT $VIGIL_IDENTITY $VIGIL_TOKEN" ;;
  esac
}

# target_pid TARGET: the proxy's process, whose CPU time is counted; nothing for direct.
target_pid () {
  case $1 in
    pgbouncer) echo "$BOUNCER_PID" ;;
    vigil)     echo "$VIGIL_PID" ;;
  esac
}

# cpu_ticks PID: "USER SYSTEM" time so far in clock ticks, three times: of every thread of
# PID, of Vigil's engine thread, of its audit writer (0 0 for a proxy without them).
cpu_ticks () {
  local pid=$1 task
  {
    awk '{ print "all", $14, $15 }' "/proc/$pid/stat" 2>/dev/null
    for task in /proc/"$pid"/task/*; do
      awk -v comm="$(cat "$task/comm" 2>/dev/null)" '{ print comm, $14, $15 }' "$task/stat" 2>/dev/null
    done
  } | awk '{ u[$1] += $2; s[$1] += $3 }
      END { printf "%d %d %d %d %d %d\n", u["all"], s["all"], u["vigil-engine"], s["vigil-engine"],
                   u["vigil-audit"], s["vigil-audit"] }'
}

# record_cpu KEY PID "TICKS_BEFORE" OUT: the proxy's CPU microseconds per transaction:
# KEY (all threads, user + system), KEY-sys (their system time), KEY-engine,
# KEY-engine-sys and KEY-writer (Vigil's threads).
record_cpu () {
  local key=$1 pid=$2 before=$3 out=$4 after txns
  after=$(cpu_ticks "$pid")
  txns=$(awk '/^number of transactions actually processed:/ { print $6; exit }' "$out.txt")
  awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" -v n="${txns:-0}" -v k="$key" '
    function us(ticks) { return ticks * 1e6 / hz / n }
    BEGIN {
      if (n == 0) exit
      split(b, t0, " "); split(a, t1, " ")
      for (i = 1; i <= 6; i++) d[i] = t1[i] - t0[i]
      printf "%s %.1f\n%s-sys %.1f\n", k, us(d[1] + d[2]), k, us(d[2])
      printf "%s-engine %.1f\n%s-engine-sys %.1f\n", k, us(d[3] + d[4]), k, us(d[4])
      printf "%s-writer %.1f\n", k, us(d[5] + d[6])
    }' >>"$TMP/cpu.txt"
}

# hold_sessions TARGET: BENCH_HELD idle sessions open on TARGET until release_sessions.
# Agents keep connections open; a proxy must not slow down for them.
hold_sessions () {
  local port user password
  read -r port user password <<<"$(target_conn "$1")"
  start_idle_clients "$BENCH_HELD" "host=127.0.0.1 port=$port user=$user dbname=bench" \
    "$password" held
}

release_sessions () { stop_idle_clients held; }

# run_one ROUND MODE CLIENTS TARGET: one pgbench run; TPS into tps.txt, latencies (us) kept,
# and the proxy's CPU per transaction into cpu.txt. CLIENTS "8h": 8 clients while
# BENCH_HELD idle sessions are held open on the same target.
run_one () {
  local round=$1 mode=$2 clients=${3%h} target=$4 jobs=1 port user password key out tps pid
  local ticks="0 0 0 0 0 0"
  if [ "$clients" -gt 1 ]; then jobs=2; fi
  read -r port user password <<<"$(target_conn "$target")"
  key=$mode-$3-$target
  if [ "$3" != "$clients" ]; then hold_sessions "$target"; fi
  out=$TMP/runs/$key-r$round
  pid=$(target_pid "$target")
  [ -z "$pid" ] || ticks=$(cpu_ticks "$pid")
  if ! (cd "$TMP/runs" && PGPASSWORD=$password "$PGBIN/pgbench" -n -S -M "$mode" \
          -c "$clients" -j "$jobs" -T "$BENCH_SECONDS" --log --log-prefix="$out.tx" \
          -h 127.0.0.1 -p "$port" -U "$user" bench >"$out.txt" 2>&1); then
    log "round $round $key failed (see $out.txt)"
    rm -f "$out".tx.*
    if [ "$3" != "$clients" ]; then release_sessions; fi
    return 0
  fi
  if [ "$3" != "$clients" ]; then release_sessions; fi
  tps=$(awk '/^tps = / { print $3; exit }' "$out.txt")
  printf '%s %s\n' "$key" "${tps:-0}" >>"$TMP/tps.txt"
  [ -z "$pid" ] || record_cpu "$key" "$pid" "$ticks" "$out"
  # Third column of a pgbench transaction log: latency in microseconds.
  cat "$out".tx.* | awk '{ print $3 }' >>"$TMP/runs/$key.lat"
  rm -f "$out".tx.*
  log "round $round $key: $tps tps"
}

median_tps () {
  median_of "$1" "$TMP/tps.txt" | awk '{ if ($1 == "-") print; else printf "%.0f\n", $1 }'
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
  for row in "${ROWS[@]}"; do
    read -r mode clients <<<"$row"
    {
      d=$(median_tps "$mode-$clients-direct")
      b=$(median_tps "$mode-$clients-pgbouncer")
      v=$(median_tps "$mode-$clients-vigil")
      read -r dp50 dp99 <<<"$(percentiles "$mode-$clients-direct")"
      read -r bp50 bp99 <<<"$(percentiles "$mode-$clients-pgbouncer")"
      read -r vp50 vp99 <<<"$(percentiles "$mode-$clients-vigil")"
      printf '%-9s %7s %9s %9s %9s %9s %9s %8s %8s %8s %8s %8s %8s\n' "$mode" \
        "$(clients_label "$clients")" "$d" "$b" "$v" "$(ratio "$v" "$b")" "$(ratio "$v" "$d")" \
        "$dp50" "$dp99" "$(added "$bp50" "$dp50")" "$(added "$bp99" "$dp99")" \
        "$(added "$vp50" "$dp50")" "$(added "$vp99" "$dp99")"
    }
  done
  held_note
  print_cpu_table
}

# What each proxy spends: CPU time of all its threads per transaction (median of rounds),
# and of Vigil's two busy threads: the engine (sessions, parsing, policy, masking, the
# audit append) and the audit writer (SQLite). "sys": the part spent in the kernel.
print_cpu_table () {
  local mode clients key
  printf '\nproxy CPU per transaction, us (from /proc; median of rounds): all threads, then\n'
  printf "Vigil's engine thread and its audit writer thread; sys: of which in the kernel\n\n"
  printf '%-9s %7s %9s %9s %9s %9s %9s %9s %9s\n' mode clients pgbouncer pgb-sys vigil \
    vigil/pgb engine eng-sys writer
  for row in "${ROWS[@]}"; do
    read -r mode clients <<<"$row"
    key=$mode-$clients
    printf '%-9s %7s %9s %9s %9s %9s %9s %9s %9s\n' "$mode" "$(clients_label "$clients")" \
      "$(cpu_of "$key-pgbouncer")" "$(cpu_of "$key-pgbouncer-sys")" "$(cpu_of "$key-vigil")" \
      "$(ratio "$(cpu_of "$key-vigil")" "$(cpu_of "$key-pgbouncer")")" \
      "$(cpu_of "$key-vigil-engine")" "$(cpu_of "$key-vigil-engine-sys")" \
      "$(cpu_of "$key-vigil-writer")"
  done
}

cpu_of () { median_of "$1" "$TMP/cpu.txt"; }

# The rows of both tables: MODE CLIENTS (8h: 8 clients, BENCH_HELD idle sessions held).
ROWS=("simple 1" "simple 8" "prepared 1" "prepared 8")
if [ "$BENCH_HELD" -gt 0 ]; then ROWS+=("prepared 8h"); fi

clients_label () { if [ "$1" = 8h ]; then echo "8+$BENCH_HELD"; else echo "$1"; fi; }

held_note () {
  if [ "$BENCH_HELD" -gt 0 ]; then
    printf '(8+%s: 8 clients while %s more sessions sit idle on the same target)\n' \
      "$BENCH_HELD" "$BENCH_HELD"
  fi
}

main () {
  local targets=(direct pgbouncer) round mode clients i n
  [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 not found in $PGBIN"
  command -v pgbouncer >/dev/null || die "pgbouncer is not installed"
  [ "$VIGIL_SKIP" = 1 ] || targets+=(vigil)

  bench_init vigil-bench
  mkdir -p "$TMP/runs"
  : >"$TMP/tps.txt"
  : >"$TMP/cpu.txt"

  start_postgres
  create_bench_db
  init_pgbench
  start_pgbouncer
  [ "$VIGIL_SKIP" = 1 ] || start_vigil benchagent agent

  n=${#targets[@]}
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    for row in "${ROWS[@]}"; do
      read -r mode clients <<<"$row"
      # Rotate who goes first so no target always runs on a cold or warm machine.
      for i in $(seq 0 $((n - 1))); do
        run_one "$round" "$mode" "$clients" "${targets[$(((i + round - 1) % n))]}"
      done
    done
  done
  print_table
  other_figures
}

main "$@"
