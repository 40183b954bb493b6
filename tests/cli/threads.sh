# tests/cli/threads.sh — --threads K of train, sample and spire: the usual
# validation, and (property tests) the same bytes with 1 and 2 threads:
# a train checkpoint (one slice per step, and three slices of 100 rows),
# samples spanning two blocks, a federated state.
# (sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad).
for cmdline in "train --data gmm --checkpoint $tmp/th.ckpt" "sample --checkpoint $tmp/th.ckpt" \
               "spire pretrain --state $tmp/th.fed"; do
  for v in 0 4097 two; do expect_bad "--threads" -- $cmdline --threads $v; done
done
for th in 1 2; do
  "$BIN" train --data gmm:K=4,D=8,means=random,n=600 --hidden 32 --layers 2 --temb 8 --steps 40 --batch 64 \
    --T 100 --seed 5 --threads $th --checkpoint "$tmp/th$th.ckpt" >/dev/null 2>&1 || bad "train --threads $th failed"
  "$BIN" train --data gmm:K=4,D=8,means=random,n=600 --hidden 32 --layers 2 --temb 8 --steps 30 --batch 300 \
    --T 100 --seed 6 --threads $th --checkpoint "$tmp/ts$th.ckpt" >/dev/null 2>&1 || bad "train --batch 300 --threads $th failed"
  "$BIN" sample --checkpoint "$tmp/th1.ckpt" --n 1100 --steps 5 --threads $th >"$tmp/th$th.csv" 2>/dev/null \
    || bad "sample --threads $th failed"
  "$BIN" sample --checkpoint "$tmp/th1.ckpt" --n 1100 --steps 5 --eta 0.7 --threads $th >"$tmp/the$th.csv" 2>/dev/null \
    || bad "sample --eta 0.7 --threads $th failed"
  "$BIN" spire pretrain --preset gmm2 --rounds 3 --local-steps 3 --hidden 16 --seed 2 --threads $th \
    --state "$tmp/th$th.fed" >/dev/null 2>&1 || bad "spire pretrain --threads $th failed"
done
cmp -s "$tmp/th1.ckpt" "$tmp/th2.ckpt" && ok || bad "train: checkpoints differ with --threads 1 and 2"
cmp -s "$tmp/ts1.ckpt" "$tmp/ts2.ckpt" && ok || bad "train: checkpoints of sliced steps differ with --threads 1 and 2"
cmp -s "$tmp/th1.csv" "$tmp/th2.csv" && ok || bad "sample: samples differ with --threads 1 and 2"
cmp -s "$tmp/the1.csv" "$tmp/the2.csv" && ok || bad "sample --eta 0.7: samples differ with --threads 1 and 2"
cmp -s "$tmp/th1.fed" "$tmp/th2.fed" && ok || bad "spire pretrain: states differ with --threads 1 and 2"
