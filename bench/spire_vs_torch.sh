#!/usr/bin/env bash
# bench/spire_vs_torch.sh — `spirelab train` against the same network, loss,
# optimiser and batch in PyTorch (bench/spire_torch_bench.py), on the same
# machine with the same number of threads (OpenBLAS/OpenMP threads for C,
# torch.set_num_threads for PyTorch).  H = 128, L = 3, E = 32, batch 256,
# K = 8 mixtures in D = 2 and D = 64.
#   speed: training steps per second, RUNS runs of STEPS steps each, the
#          median of the per-run ratios C/PyTorch (target: >= 3);
#   loss:  one longer run each (LSTEPS steps); mean loss over the last 200
#          steps, relative difference (the runs use different random streams
#          and data halves of one distribution, so only the level must match).
# Run by `make bench` (env SPIRELAB, BUILD); RUNS, STEPS, LSTEPS, THREADS
# from the environment override the defaults.  CSV on stdout.
set -euo pipefail
BIN=${SPIRELAB:-build/spirelab}
PY=/usr/bin/python3
RUNS=${RUNS:-5}; STEPS=${STEPS:-200}; LSTEPS=${LSTEPS:-1000}
THREADS=${THREADS:-"1 $(nproc)"}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! "$PY" -c 'import torch' 2>/dev/null; then echo "spire_vs_torch: /usr/bin/python3 has no torch (apt-get install python3-torch); skipped" >&2; exit 0; fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { tail -1 | cut -d, -f"$1"; }   # column of the last CSV row

echo "D,threads,runs,steps,c_steps_per_s,torch_steps_per_s,median_ratio,c_loss_last200,torch_loss_last200,loss_rel_diff,torch_peak_rss_mib"
for D in 2 64; do
  means=circle; [ "$D" -gt 2 ] && means=random
  spec="gmm:K=8,D=$D,means=$means,n=20000,holdout=0.5"
  # the held-out half is PyTorch's training data
  "$BIN" train --data "$spec" --steps 0 --checkpoint "$tmp/z.ckpt" --heldout "$tmp/data.csv" >/dev/null
  net="--hidden 128 --layers 3 --temb 32 --batch 256 --lr 1e-3"
  for th in $THREADS; do
    export OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th
    : >"$tmp/c"; : >"$tmp/t"; : >"$tmp/r"
    for run in $(seq 1 "$RUNS"); do
      c=$("$BIN" train --data "$spec" $net --steps "$STEPS" --seed "$run" --checkpoint "$tmp/c.ckpt" | field 5)
      t=$("$PY" "$here/spire_torch_bench.py" --data "$tmp/data.csv" $net --steps "$STEPS" --seed "$run" --threads "$th" | field 3)
      echo "$c" >>"$tmp/c"; echo "$t" >>"$tmp/t"
      awk -v c="$c" -v t="$t" 'BEGIN {print c / t}' >>"$tmp/r"
    done
    "$BIN" train --data "$spec" $net --steps "$LSTEPS" --seed 1 --checkpoint "$tmp/c.ckpt" --log "$tmp/c_loss.csv" >/dev/null
    tout=$("$PY" "$here/spire_torch_bench.py" --data "$tmp/data.csv" $net --steps "$LSTEPS" --seed 1 --threads "$th" --log "$tmp/t_loss.csv")
    cl=$(tail -200 "$tmp/c_loss.csv" | awk -F, '{s+=$2} END {print s/NR}')
    tl=$(tail -200 "$tmp/t_loss.csv" | awk -F, '{s+=$2} END {print s/NR}')
    rss=$(echo "$tout" | field 5)
    echo "$D,$th,$RUNS,$STEPS,$(median <"$tmp/c"),$(median <"$tmp/t"),$(median <"$tmp/r"),$cl,$tl,$(awk -v a="$cl" -v b="$tl" 'BEGIN {d=(a-b)/b; print (d<0?-d:d)}'),$rss"
  done
done
