# figures.sh: the measurements behind "Other figures"; source it after lib.sh.
# shellcheck shell=bash
#
# pgbench-compare.sh calls other_figures after its table, on the PostgreSQL and the Vigil
# it started; mask-bench.sh uses the mask_* functions alone. See README.md for each figure.
#
# SPDX-License-Identifier: GPL-3.0-or-later

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_AUDIT_SECONDS=${BENCH_AUDIT_SECONDS:-3}
BENCH_CLASSIFY_ITERATIONS=${BENCH_CLASSIFY_ITERATIONS:-2000}
BENCH_IDLE=${BENCH_IDLE:-200}
BENCH_STREAM_MB=${BENCH_STREAM_MB:-1000}

# ---- masked SELECT ----------------------------------------------------------------------

# mask_create_table ROWS: people (name, email, notes, city); one row in ten carries an
# email, one in ten a phone number in its free text.
mask_create_table () {
  log "people: $1 rows"
  bench_psql >/dev/null <<EOF || die "creating people failed"
CREATE TABLE people (name text, email text, notes text, city text);
INSERT INTO people
  SELECT 'person ' || g, 'user' || g || '@example.com',
         CASE WHEN g % 10 = 0 THEN 'reach me at alt' || g || '@example.org'
              WHEN g % 10 = 5 THEN 'call 415-555-' || lpad((g % 10000)::text, 4, '0')
              ELSE 'order ' || g || ' shipped on 2024-05-01, total 12.50 EUR' END,
         (ARRAY['Lyon', 'Berlin', 'Oslo', 'Austin'])[g % 4 + 1]
    FROM generate_series(1, $1) g;
VACUUM ANALYZE people;
EOF
}

# mask_time TARGET -> seconds for the whole SELECT (direct or vigil); the rows psql printed
# are in TMP/out-TARGET.txt.
mask_time () {
  local port user password start end
  case $1 in
    direct) port=$PG_PORT; user=bench; password=$BENCH_PASSWORD ;;
    vigil)  port=$VIGIL_PORT; user=$VIGIL_IDENTITY; password=$VIGIL_TOKEN ;;
  esac
  start=$(date +%s.%N)
  PGPASSWORD=$password "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" \
    -U "$user" -d bench -c 'SELECT name, email, notes, city FROM people' >"$TMP/out-$1.txt" \
    2>"$TMP/err-$1.txt" || die "$1 SELECT failed (see $TMP/err-$1.txt)"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

# mask_measure ROUNDS [MASKED]: times direct and vigil alternately; sets MASK_DIRECT and
# MASK_VIGIL (median seconds) and MASK_BYTES (what psql printed). MASKED=1 (the default)
# also checks that no email column value came through Vigil in clear.
mask_measure () {
  local round t secs
  : >"$TMP/mask-times.txt"
  for round in $(seq 1 "$1"); do
    for t in direct vigil; do
      secs=$(mask_time "$t") || exit 2
      printf '%s %s\n' "$t" "$secs" >>"$TMP/mask-times.txt"
      log "round $round masked SELECT $t: $secs s"
    done
  done
  if [ "${2:-1}" = 1 ] && grep -q 'user1@example.com' "$TMP/out-vigil.txt"; then
    die "Vigil output is not masked"
  fi
  MASK_BYTES=$(wc -c <"$TMP/out-direct.txt")
  MASK_DIRECT=$(median_of direct "$TMP/mask-times.txt")
  MASK_VIGIL=$(median_of vigil "$TMP/mask-times.txt")
}

# ---- the other figures --------------------------------------------------------------------

other_mask () {
  mask_create_table "$BENCH_ROWS"
  mask_measure "$BENCH_ROUNDS"
  rm -f "$TMP/out-direct.txt" "$TMP/out-vigil.txt"
  printf '\nmasked SELECT: %s rows x 4 text columns (%s bytes as psql prints them)\n' \
    "$BENCH_ROWS" "$MASK_BYTES"
  awk -v d="$MASK_DIRECT" -v v="$MASK_VIGIL" 'BEGIN {
    printf "  direct %.3f s, vigil %.3f s, throughput ratio %.2f (vigil/direct)\n", d, v, d / v }'
}

other_audit () {
  local bench=$BUILDDIR/bench/audit-bench
  [ -x "$bench" ] || die "$bench is missing: build first"
  log "audit-bench: ${BENCH_AUDIT_SECONDS} s x $BENCH_ROUNDS runs, 1 and 8 threads"
  TMPDIR=$TMP "$bench" "$BENCH_AUDIT_SECONDS" "$BENCH_ROUNDS" >"$TMP/audit-bench.txt" \
    2>"$TMP/audit-bench.log" || die "audit-bench failed (see $TMP/audit-bench.log)"
  printf '\n'
  sed 's/^[0-9]/  &/' "$TMP/audit-bench.txt"
}

other_classify () {
  local bench=$BUILDDIR/bench/classify-bench
  [ -x "$bench" ] || die "$bench is missing: build first"
  log "classify-bench: $BENCH_CLASSIFY_ITERATIONS statements x 5 runs"
  "$bench" "$BENCH_CLASSIFY_ITERATIONS" >"$TMP/classify-bench.txt" \
    2>"$TMP/classify-bench.log" || die "classify-bench failed (see $TMP/classify-bench.log)"
  printf '\n'
  sed 's/^\(cold\|warm\)/  &/' "$TMP/classify-bench.txt"
}

# vm_kib PID FIELD: a /proc/PID/status figure (VmRSS, VmHWM) in KiB.
vm_kib () { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

mib () { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# rss_idle -> RSS_BEFORE and RSS_IDLE (KiB): Vigil alone, then holding BENCH_IDLE sessions.
rss_idle () {
  sleep 1
  RSS_BEFORE=$(vm_kib "$VIGIL_PID" VmRSS)
  log "$BENCH_IDLE idle connections through Vigil"
  start_idle_clients "$BENCH_IDLE" \
    "host=127.0.0.1 port=$VIGIL_PORT user=$VIGIL_IDENTITY dbname=bench" "$VIGIL_TOKEN" \
    idle-clients
  sleep 1
  RSS_IDLE=$(vm_kib "$VIGIL_PID" VmRSS)
  stop_idle_clients idle-clients
}

# rss_stream -> RSS_START, RSS_PEAK (KiB) and STREAM_SECONDS: one client copies BENCH_STREAM_MB
# megabytes (rows of 1000 bytes) through Vigil. The peak is VmHWM after resetting it, or
# the highest VmRSS sampled every 0.1 s where the kernel does not let us reset it.
rss_stream () {
  local rows=$((BENCH_STREAM_MB * 1000)) pid rss start end bytes hwm_reset=1
  sleep 1
  (echo 5 >"/proc/$VIGIL_PID/clear_refs") 2>/dev/null || hwm_reset=0
  RSS_START=$(vm_kib "$VIGIL_PID" VmRSS)
  RSS_PEAK=$RSS_START
  log "streaming $BENCH_STREAM_MB MB through Vigil"
  start=$(date +%s.%N)
  (PGPASSWORD=$VIGIL_TOKEN "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$VIGIL_PORT" \
     -U "$VIGIL_IDENTITY" -d bench \
     -c "COPY (SELECT repeat('x', 999) FROM generate_series(1, $rows)) TO STDOUT" \
     2>"$TMP/stream.log" | wc -c >"$TMP/stream.bytes") &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(vm_kib "$VIGIL_PID" VmRSS)
    if [ "${rss:-0}" -gt "$RSS_PEAK" ]; then RSS_PEAK=$rss; fi
    sleep 0.1
  done
  wait "$pid" || true
  end=$(date +%s.%N)
  bytes=$(cat "$TMP/stream.bytes")
  [ "$bytes" = $((rows * 1000)) ] \
    || die "the stream brought $bytes bytes, not $((rows * 1000)) (see $TMP/stream.log)"
  if [ "$hwm_reset" = 1 ]; then RSS_PEAK=$(vm_kib "$VIGIL_PID" VmHWM); fi
  STREAM_SECONDS=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
}

other_rss () {
  rss_idle
  rss_stream
  printf '\nvigilctl serve RSS\n'
  printf '  before: %s; with %s idle connections: %s (%s KiB a connection)\n' \
    "$(mib "$RSS_BEFORE")" "$BENCH_IDLE" "$(mib "$RSS_IDLE")" \
    "$(( (RSS_IDLE - RSS_BEFORE) / BENCH_IDLE ))"
  printf '  peak while one client streams %s MB (COPY TO STDOUT, %s s): %s (%s before)\n' \
    "$BENCH_STREAM_MB" "$STREAM_SECONDS" "$(mib "$RSS_PEAK")" "$(mib "$RSS_START")"
}

# other_wanted PART: is PART in BENCH_OTHER (1 means every part, 0 none)?
other_wanted () {
  case " ${BENCH_OTHER:-1} " in
    " 1 ") return 0 ;;
    *" $1 "*) return 0 ;;
    *) return 1 ;;
  esac
}

# other_figures: the parts BENCH_OTHER asks for; those that need Vigil only when it runs.
other_figures () {
  local part
  [ "${BENCH_OTHER:-1}" != 0 ] || return 0
  printf '\nOther figures (%s; %s)\n' "masked SELECT and audit: median of $BENCH_ROUNDS runs" \
    "classify: of 5; RSS: one run"
  for part in mask audit classify rss; do
    other_wanted "$part" || continue
    case $part in
      mask|rss) if [ -z "$VIGIL_PID" ]; then log "$part: skipped without Vigil"; continue; fi ;;
    esac
    "other_$part"
  done
}
