# tests/cli/spire.sh — spirelab train / sample / kid on the command line
# (sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad).

# --- a small good run to work from
if "$BIN" train --data gmm:K=4,D=2,n=400 --hidden 16 --layers 2 --temb 8 --steps 30 --batch 32 \
     --T 100 --seed 3 --checkpoint "$tmp/s.ckpt" --log "$tmp/s.log" --heldout "$tmp/s_held.csv" >"$tmp/s.out" 2>"$tmp/s.err"; then
  ok
else
  bad "spirelab train (small run) failed: $(cat "$tmp/s.err")"
fi
[ "$(head -1 "$tmp/s.log")" = "step,loss,lr" ] && [ "$(wc -l <"$tmp/s.log")" -eq 31 ] && ok || bad "train --log: expected header + 30 rows"
grep -q '^steps,loss_last,' "$tmp/s.out" && ok || bad "train: summary CSV header missing"
[ "$(wc -l <"$tmp/s_held.csv")" -eq 81 ] && ok || bad "train --heldout: expected header + 80 rows (holdout 0.2 of 400)"
"$BIN" sample --checkpoint "$tmp/s.ckpt" --n 50 --sampler ddim --steps 10 --seed 1 >"$tmp/s_fake.csv" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(head -1 "$tmp/s_fake.csv")" = "x1,x2" ] && [ "$(wc -l <"$tmp/s_fake.csv")" -eq 51 ] && ok \
  || bad "sample: expected header x1,x2 and 50 rows"
"$BIN" sample --checkpoint "$tmp/s.ckpt" --n 50 --sampler ddim --steps 10 --seed 1 | cmp -s - "$tmp/s_fake.csv" && ok \
  || bad "sample: not reproducible from its seed"
"$BIN" sample --checkpoint "$tmp/s.ckpt" --n 5 --sampler ddpm --seed 1 >/dev/null 2>&1 && ok || bad "sample --sampler ddpm failed"
"$BIN" kid --real "$tmp/s_held.csv" --fake "$tmp/s_fake.csv" --subsets 5 --subset-size 40 >"$tmp/kid.out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(head -1 "$tmp/kid.out")" = "kid_mean,kid_std,n_real,n_fake,subset_size,subsets" ] \
  && grep -q ',80,50,40,5$' "$tmp/kid.out" && ok || bad "kid: output $(cat "$tmp/kid.out") $(cat "$tmp/err")"

# --- train: bad input (exit 2)
expect_bad "--data" -- train --checkpoint "$tmp/x.ckpt" --steps 1
expect_bad "--checkpoint" -- train --data gmm --steps 1
expect_bad "unknown kind" -- train --data mnist --checkpoint "$tmp/x.ckpt"
expect_bad "'K'" -- train --data gmm:K=0 --checkpoint "$tmp/x.ckpt"
expect_bad "unknown key 'k'" -- train --data gmm:k=3 --checkpoint "$tmp/x.ckpt"
expect_bad "weights" -- train --data gmm:K=3,weights=1:2 --checkpoint "$tmp/x.ckpt"
expect_bad "cannot open digits file" -- train --data digits:path="$tmp/nope.csv.gz" --checkpoint "$tmp/x.ckpt"
printf '0,1,2\n' | gzip >"$tmp/baddigits.csv.gz"
expect_bad "line 1" -- train --data digits:path="$tmp/baddigits.csv.gz" --checkpoint "$tmp/x.ckpt"
expect_bad "--temb" -- train --data gmm --temb 7 --checkpoint "$tmp/x.ckpt"
expect_bad "--hidden" -- train --data gmm --hidden 0 --checkpoint "$tmp/x.ckpt"
expect_bad "--lr" -- train --data gmm --lr -1 --checkpoint "$tmp/x.ckpt"
expect_bad "--lr" -- train --data gmm --lr nan --checkpoint "$tmp/x.ckpt"
expect_bad "--embed-at" -- train --data gmm --embed-at output --checkpoint "$tmp/x.ckpt"
expect_bad "--eval-log" -- train --data gmm --eval-every 10 --checkpoint "$tmp/x.ckpt"
expect_bad "--schedule" -- train --data gmm --schedule ou --checkpoint "$tmp/x.ckpt"
expect_bad "--log" -- train --data gmm:n=100 --steps 1 --log /nonexistent/dir/l.csv --checkpoint "$tmp/x.ckpt"

# --- train: non-finite loss stops with exit 1, names the step, keeps the last good checkpoint
cp "$tmp/s.ckpt" "$tmp/keep.ckpt"
"$BIN" train --data gmm:K=4,D=2,n=400 --hidden 16 --layers 2 --temb 8 --steps 50 --batch 32 --T 100 \
  --lr 1e6 --checkpoint "$tmp/keep.ckpt" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -ne 1 ]; then bad "train with a diverging --lr: exit $rc, expected 1"
elif ! grep -q 'non-finite \(loss at\|parameters after\) step [0-9]' "$tmp/err"; then bad "train divergence message: $(cat "$tmp/err")"
elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ -s "$tmp/out" ]; then bad "train divergence: not one stderr line / wrote stdout"
elif ! cmp -s "$tmp/s.ckpt" "$tmp/keep.ckpt"; then bad "train divergence overwrote the existing checkpoint"
else ok; fi
"$BIN" train --data gmm:K=4,D=2,n=400 --hidden 16 --layers 2 --temb 8 --steps 50 --batch 32 --T 100 \
  --lr 1e6 --save-every 1 --checkpoint "$tmp/keep2.ckpt" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "kept the last good checkpoint" "$tmp/err" \
  && "$BIN" sample --checkpoint "$tmp/keep2.ckpt" --n 3 --steps 5 >/dev/null 2>&1 && ok \
  || bad "train divergence with --save-every: exit $rc, $(cat "$tmp/err"), or the kept checkpoint does not load"

# --- sample: bad input
expect_bad "--checkpoint" -- sample --n 10
expect_bad "cannot read checkpoint" -- sample --checkpoint "$tmp/none.ckpt"
head -c 200 "$tmp/s.ckpt" >"$tmp/trunc.ckpt"
expect_bad "truncated" -- sample --checkpoint "$tmp/trunc.ckpt"
cp "$tmp/s.ckpt" "$tmp/flip.ckpt"
printf '\377' | dd of="$tmp/flip.ckpt" bs=1 seek=400 conv=notrunc 2>/dev/null
expect_bad "checksum" -- sample --checkpoint "$tmp/flip.ckpt"
cp "$tmp/s.ckpt" "$tmp/ver.ckpt"
printf '\007' | dd of="$tmp/ver.ckpt" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_bad "version 7" -- sample --checkpoint "$tmp/ver.ckpt"
expect_bad "not a spirelab checkpoint" -- sample --checkpoint "$tmp/s_held.csv"
expect_bad "--steps" -- sample --checkpoint "$tmp/s.ckpt" --steps 0
expect_bad "--steps" -- sample --checkpoint "$tmp/s.ckpt" --steps 101
expect_bad "--sampler" -- sample --checkpoint "$tmp/s.ckpt" --sampler euler
expect_bad "--client" -- sample --checkpoint "$tmp/s.ckpt" --client 1
expect_bad "--n" -- sample --checkpoint "$tmp/s.ckpt" --n 0

# --- kid: bad input
printf 'a,b,c\n1,2,3\n4,5,6\n7,8,9\n' >"$tmp/d3.csv"
printf 'a,b\n1,2\n3,x\n' >"$tmp/nan.csv"
printf 'a,b\n' >"$tmp/empty.csv"
expect_bad "--fake" -- kid --real "$tmp/s_held.csv"
expect_bad "--real" -- kid --real "$tmp/none.csv" --fake "$tmp/s_fake.csv"
expect_bad "dimension mismatch" -- kid --real "$tmp/s_held.csv" --fake "$tmp/d3.csv"
expect_bad "--subset-size" -- kid --real "$tmp/s_held.csv" --fake "$tmp/s_fake.csv" --subset-size 60
expect_bad "--subset-size" -- kid --real "$tmp/s_held.csv" --fake "$tmp/s_fake.csv" --subset-size 1
expect_bad "line 3" -- kid --real "$tmp/s_held.csv" --fake "$tmp/nan.csv"
expect_bad "no samples" -- kid --real "$tmp/empty.csv" --fake "$tmp/s_fake.csv"
expect_bad "--subsets" -- kid --real "$tmp/s_held.csv" --fake "$tmp/s_fake.csv" --subsets 0
expect_bad "--clip" -- sample --checkpoint "$tmp/s.ckpt" --clip -1
for v in -0.1 1.5 nan x; do expect_bad "--eta" -- sample --checkpoint "$tmp/s.ckpt" --eta $v; done
expect_bad "--eta" -- sample --checkpoint "$tmp/s.ckpt" --sampler ddpm --eta 0.5
expect_bad "in \\[0, 1\\]" -- sample --checkpoint "$tmp/s.ckpt" --eta 2
# η = 0 is the deterministic DDIM of the default; η > 0 draws fresh noise (property tests)
"$BIN" sample --checkpoint "$tmp/s.ckpt" --n 50 --sampler ddim --steps 10 --eta 0 --seed 1 | cmp -s - "$tmp/s_fake.csv" && ok \
  || bad "sample --eta 0: not the default DDIM"
"$BIN" sample --checkpoint "$tmp/s.ckpt" --n 50 --sampler ddim --steps 10 --eta 1 --seed 1 >"$tmp/s_eta.csv" 2>/dev/null \
  && [ "$(wc -l <"$tmp/s_eta.csv")" -eq 51 ] && ! cmp -s "$tmp/s_eta.csv" "$tmp/s_fake.csv" && ok \
  || bad "sample --eta 1: expected 50 rows that differ from --eta 0"
expect_bad "--eval-sampler" -- train --data gmm --eval-sampler euler --checkpoint "$tmp/x.ckpt"
expect_bad "--eval-eta" -- train --data gmm --eval-eta 1.5 --checkpoint "$tmp/x.ckpt"
expect_bad "--eval-eta" -- train --data gmm --eval-sampler ddpm --eval-eta 1 --checkpoint "$tmp/x.ckpt"
# --eval-eta reaches the evaluation's sampler (and nothing else: the same checkpoint)
for e in 0 1; do
  "$BIN" train --data gmm:K=4,D=2,n=400 --hidden 16 --layers 2 --temb 8 --steps 20 --batch 32 --T 100 --seed 3 \
    --eval-every 20 --eval-n 50 --eval-steps 10 --eval-eta $e --eval-log "$tmp/ee$e.csv" --checkpoint "$tmp/ee$e.ckpt" \
    >/dev/null 2>&1 || bad "train --eval-eta $e failed"
done
cmp -s "$tmp/ee0.ckpt" "$tmp/ee1.ckpt" && [ "$(wc -l <"$tmp/ee1.csv")" -eq 2 ] && ! cmp -s "$tmp/ee0.csv" "$tmp/ee1.csv" && ok \
  || bad "train --eval-eta 1: expected the same checkpoint and another KID than --eval-eta 0"
