#!/bin/bash
# bundle-bench.sh: what a signed audit bundle costs at scale.
#
#   bench/bundle-bench.sh [BUILDDIR] [ENTRIES]      # defaults: _build, 1000000
#
# Fills a throwaway data directory with ENTRIES audit entries (half statements, half their
# outcomes, written by the real audit writer through bench/bundle-bench), then times
# `vigilctl audit export` of the whole log, `vigilctl audit verify-bundle` of it, and
# `verify-bundle --continues` against an export of the first half. BENCH_KEEP=1 keeps the
# directory (so does a failure).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

build=${1:-_build}
entries=${2:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$here/$build ;; esac
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

meson compile -C "$build" vigilctl bundle-bench >/dev/null
vigilctl=$build/app/vigilctl
bench_init vigil-bundle-bench
work=$TMP
data=$work/data

timed() {  # LABEL COMMAND...: prints wall and CPU seconds and peak RSS
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%U+%S s CPU, peak RSS %M KiB' -o "$work/rss" "$@" >"$work/out" 2>"$work/err"
  else
    "$@" >"$work/out" 2>"$work/err"; echo '?' >"$work/rss"
  fi
  end=$(date +%s.%N)
  printf '%-34s %8.2f s wall, %s\n' "$label" "$(echo "$end - $start" | bc)" \
    "$(tail -1 "$work/rss")"
}

echo "bundle bench: $entries entries in $work ($(nproc) CPUs, $(uname -r))"
"$build/bench/bundle-bench" "$data" "$entries"
printf '%-34s %8s MiB\n' "vigil.db (+WAL)" \
  "$(du -cm "$data"/vigil.db* | tail -1 | cut -f1)"

# The bench's statement times are spread over 30 days, outcomes carry the real time: cut
# at a statement's time.
half_until=$(sqlite3 "file:$data/vigil.db?mode=ro" \
  "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', time_us / 1000000, 'unixepoch')
     FROM audit_log WHERE kind = 'statement' AND id >= $((entries / 2)) ORDER BY id LIMIT 1")
timed "export (half, --until)" "$vigilctl" audit export --data-dir "$data" \
  --out "$work/half.tar.gz" --until "$half_until"
cat "$work/out"
timed "export (all)" "$vigilctl" audit export --data-dir "$data" --out "$work/all.tar.gz"
cat "$work/out"
timed "verify-bundle" "$vigilctl" audit verify-bundle "$work/all.tar.gz"
cat "$work/out"
timed "verify-bundle --continues half" "$vigilctl" audit verify-bundle "$work/all.tar.gz" \
  --continues "$work/half.tar.gz"
records=$(tar -xOzf "$work/all.tar.gz" manifest.json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"]["records.jsonl"]["size"])')
printf '%-34s %8.1f MiB (records.jsonl %.1f MiB uncompressed, %d bytes an entry)\n' \
  "bundle size" "$(echo "$(stat -c %s "$work/all.tar.gz") / 1048576" | bc -l)" \
  "$(echo "$records / 1048576" | bc -l)" "$((records / entries))"
