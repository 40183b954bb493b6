#!/usr/bin/env bash
# bench/check_walltime.sh — wall time of the full `spirelab check` (all claims,
# full grids), the number the README quotes.  Run by `make bench`.
set -euo pipefail
BIN=${SPIRELAB:-build/spirelab}
out=$(mktemp); trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
"$BIN" check >"$out" 2>/dev/null || { echo "check_walltime: spirelab check did not pass:"; cat "$out"; exit 1; }
end=$(date +%s.%N)
printf '%-44s %12s %11.1f s %10s\n' "spirelab check (full), wall time" "$(nproc)" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "< 15 min"
awk -F, 'NR > 1 { printf "  %-4s %-6s %8.2f s\n", $1, $(NF-1), $NF }' "$out"
