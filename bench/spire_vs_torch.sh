#!/usr/bin/env bash
# bench/spire_vs_torch.sh — `spirelab train` against the same network, loss,
# optimiser and batch in PyTorch (bench/spire_torch_bench.py), fairly: each
# side measured at 1 and 2 threads (C: --threads K, the OpenBLAS threads of
# its products; PyTorch: torch.set_num_threads), runs interleaved, and the
# ratio taken best against best.  H = 128, L = 3, E = 32, batch 256, AdamW
# lr 1e-3, K = 8 mixtures in D = 2 and D = 64.
#   check (before any timing): one run each of LSTEPS steps at 1 thread;
#          mean loss over the last 200 steps must agree within 10% (the runs
#          use different random streams and data halves of one
#          distribution, so only the level can match) — else exit 1;
#   speed: training steps per second, the median of RUNS runs of STEPS steps,
#          each side's clock covering every step from the first (no untimed
#          warm-up on either side: each pays its own cold start, and the C
#          trainer its choice of workers); PyTorch's rate over steps 11.. of
#          the same runs is printed beside it (torch_after10_steps_per_s);
#   peak:  the machine's sgemm GFLOP/s (build/bench_sgemm, n = 2048) at the
#          same thread count, measured in this run; the C trainer's
#          GFLOP/s = 6·B·(H(D+E) + (L−1)H² + DH) flops per step (forward,
#          and both products of the backward pass) × steps/s;
#   memory: peak resident set of each process (MiB).
# CSV on stdout: one row per D and thread count, then a row "best" per D
# (its last field: PyTorch's best rate over steps 11..).
# Run by `make bench` (env SPIRELAB, BUILD); RUNS, STEPS, LSTEPS, THREADS
# from the environment override the defaults.
set -euo pipefail
BIN=${SPIRELAB:-build/spirelab}
SGEMM=${BUILD:-build}/bench_sgemm
PY=/usr/bin/python3
RUNS=${RUNS:-5}; STEPS=${STEPS:-200}; LSTEPS=${LSTEPS:-1000}
THREADS=${THREADS:-"1 2"}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! "$PY" -c 'import torch' 2>/dev/null; then echo "spire_vs_torch: /usr/bin/python3 has no torch (apt-get install python3-torch); skipped" >&2; exit 0; fi
[ -x "$SGEMM" ] || { echo "spire_vs_torch: $SGEMM missing (make $SGEMM)" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { tail -1 | cut -d, -f"$1"; }   # column of the last CSV row
rss() { awk '/Maximum resident/ {printf "%.1f", $NF / 1024}' "$1"; }

declare -A peak
for th in $THREADS; do peak[$th]=$("$SGEMM" "$th" | field 3); done
H=128; L=3; E=32; B=256
net="--hidden $H --layers $L --temb $E --batch $B --lr 1e-3"
echo "D,threads,c_steps_per_s,torch_steps_per_s,ratio_c_over_torch,c_gflops,sgemm_peak_gflops,c_fraction_of_peak,c_peak_rss_mib,torch_peak_rss_mib,c_loss_last200,torch_loss_last200,torch_after10_steps_per_s"
for D in 2 64; do
  means=circle; [ "$D" -gt 2 ] && means=random
  spec="gmm:K=8,D=$D,means=$means,n=20000,holdout=0.5"
  flops=$(( 6 * B * (H * (D + E) + (L - 1) * H * H + D * H) ))
  # the held-out half is PyTorch's training data
  "$BIN" train --data "$spec" --steps 0 --checkpoint "$tmp/z.ckpt" --heldout "$tmp/data.csv" >/dev/null
  # results first: the same loss level
  "$BIN" train --data "$spec" $net --steps "$LSTEPS" --seed 1 --threads 1 --checkpoint "$tmp/c.ckpt" --log "$tmp/c_loss.csv" >/dev/null
  "$PY" "$here/spire_torch_bench.py" --data "$tmp/data.csv" $net --steps "$LSTEPS" --seed 1 --threads 1 --log "$tmp/t_loss.csv" >/dev/null
  cl=$(tail -200 "$tmp/c_loss.csv" | awk -F, '{s+=$2} END {print s/NR}')
  tl=$(tail -200 "$tmp/t_loss.csv" | awk -F, '{s+=$2} END {print s/NR}')
  if ! awk -v a="$cl" -v b="$tl" 'BEGIN {d=(a-b)/b; exit !((d<0?-d:d) <= 0.1)}'; then
    echo "spire_vs_torch: D=$D: loss levels differ (C $cl, PyTorch $tl); not timing" >&2; exit 1
  fi
  best_c=0; best_t=0; best_ct=0; best_tt=0; best_t10=0
  for th in $THREADS; do
    : >"$tmp/c"; : >"$tmp/t"; : >"$tmp/t10"
    for run in $(seq 1 "$RUNS"); do   # interleaved, so a change of load hits both
      /usr/bin/time -v -o "$tmp/c_time" "$BIN" train --data "$spec" $net --steps "$STEPS" --seed "$run" \
        --threads "$th" --checkpoint "$tmp/c.ckpt" >"$tmp/c_out"
      field 5 <"$tmp/c_out" >>"$tmp/c"
      tout=$("$PY" "$here/spire_torch_bench.py" --data "$tmp/data.csv" $net --steps "$STEPS" --seed "$run" --threads "$th")
      echo "$tout" | field 3 >>"$tmp/t"
      echo "$tout" | field 6 >>"$tmp/t10"
    done
    c=$(median <"$tmp/c"); t=$(median <"$tmp/t"); t10=$(median <"$tmp/t10")
    gf=$(awk -v s="$c" -v f="$flops" 'BEGIN {printf "%.2f", s * f / 1e9}')
    echo "$D,$th,$c,$t,$(awk -v c="$c" -v t="$t" 'BEGIN {printf "%.3f", c / t}'),$gf,${peak[$th]},$(awk -v g="$gf" -v p="${peak[$th]}" 'BEGIN {printf "%.3f", g / p}'),$(rss "$tmp/c_time"),$(echo "$tout" | field 5),$cl,$tl,$t10"
    if awk -v a="$c" -v b="$best_c" 'BEGIN {exit !(a > b)}'; then best_c=$c; best_ct=$th; fi
    if awk -v a="$t" -v b="$best_t" 'BEGIN {exit !(a > b)}'; then best_t=$t; best_tt=$th; fi
    if awk -v a="$t10" -v b="$best_t10" 'BEGIN {exit !(a > b)}'; then best_t10=$t10; fi
  done
  echo "$D,best (C ${best_ct}t / PyTorch ${best_tt}t),$best_c,$best_t,$(awk -v c="$best_c" -v t="$best_t" 'BEGIN {printf "%.3f", c / t}'),,,,,,,$best_t10"
done
