#!/usr/bin/env bash
# bench/fed_threads.sh — FedAvg pre-training rounds per second with 1 and 2
# threads (`spirelab spire pretrain --threads K`: the selected clients of a
# round train concurrently, OpenBLAS single-threaded inside), digits preset
# (H = 128, L = 2, D = 64, 4 of the 8 pre-training clients per round, 20
# local steps of batch 64).  Checked before it is timed: the two states are the
# same byte for byte.  Median of RUNS runs of ROUNDS rounds (wall time of
# the process to the microsecond, $EPOCHREALTIME: a round takes ~10-20 ms,
# below the 10 ms resolution of time(1)); peak RSS.  CSV on stdout.  Run by
# `make bench` (env SPIRELAB); RUNS, ROUNDS override.
set -euo pipefail
BIN=${SPIRELAB:-build/spirelab}
RUNS=${RUNS:-5}; ROUNDS=${ROUNDS:-24}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run() {   # threads state -> seconds (wall), peak RSS in $tmp/rss
  local t0=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$tmp/time" "$BIN" spire pretrain --preset digits --rounds "$ROUNDS" \
    --threads "$1" --state "$2" >/dev/null 2>&1
  local t1=$EPOCHREALTIME
  awk '{print $1 / 1024}' "$tmp/time" >"$tmp/rss"; awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}'
}
run 1 "$tmp/s1" >/dev/null; run 2 "$tmp/s2" >/dev/null
cmp -s "$tmp/s1" "$tmp/s2" || { echo "fed_threads: states differ between 1 and 2 threads" >&2; exit 1; }
echo "preset,rounds,threads,rounds_per_s,speedup,peak_rss_mib"
: >"$tmp/t1"; : >"$tmp/t2"
for r in $(seq 1 "$RUNS"); do   # interleaved
  run 1 "$tmp/s" >>"$tmp/t1"; cp "$tmp/rss" "$tmp/rss1"
  run 2 "$tmp/s" >>"$tmp/t2"; cp "$tmp/rss" "$tmp/rss2"
done
t1=$(median <"$tmp/t1"); t2=$(median <"$tmp/t2")
echo "digits,$ROUNDS,1,$(awk -v r="$ROUNDS" -v t="$t1" 'BEGIN {printf "%.3f", r / t}'),1,$(cat "$tmp/rss1")"
echo "digits,$ROUNDS,2,$(awk -v r="$ROUNDS" -v t="$t2" 'BEGIN {printf "%.3f", r / t}'),$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.2f", a / b}'),$(cat "$tmp/rss2")"
