#!/usr/bin/env bash
# mask-bench.sh: a 1M-row, 4-text-column SELECT direct and through Vigil with masking on.
#
# The agent runs under the built-in default policy: the email column gets a column rule,
# every text column the value detectors (one row in ten carries an email or a phone in
# its free text). Prints the median time of each and the throughput ratio. `make bench`
# measures the same (figures.sh) in its "Other figures".
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
BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_KIND=${BENCH_KIND:-agent}

here=$(dirname "$0")
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
# shellcheck source=bench/figures.sh
. "$here/figures.sh"

main () {
  local masked=0 label="vigil ($BENCH_KIND)"
  [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL not found in $PGBIN"
  if [ "$BENCH_KIND" = agent ]; then masked=1; label="vigil (masked)"; fi
  bench_init vigil-mask-bench
  start_postgres
  create_bench_db
  mask_create_table "$BENCH_ROWS"
  start_vigil benchagent "$BENCH_KIND"
  mask_measure "$BENCH_ROUNDS" "$masked"
  printf '\n%s rows x 4 text columns (%s bytes as psql prints them), median of %s:\n' \
    "$BENCH_ROWS" "$MASK_BYTES" "$BENCH_ROUNDS"
  awk -v d="$MASK_DIRECT" -v v="$MASK_VIGIL" -v r="$BENCH_ROWS" -v l="$label" 'BEGIN {
    printf "direct            %7.3f s  %9.0f rows/s\n", d, r / d
    printf "%-17s %7.3f s  %9.0f rows/s\n", l, v, r / v
    printf "throughput ratio  %7.2f (vigil/direct)\n", d / v }'
  printf '\nsample through Vigil:\n'
  head -n 10 "$TMP/out-vigil.txt"
}

main "$@"
