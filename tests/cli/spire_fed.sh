# tests/cli/spire_fed.sh — spirelab spire (sourced by tests/cli_test.sh: $BIN, $tmp, ok, bad, expect_bad).

# --- bad input: one line, exit 2
expect_bad "at least 2\|--clients" -- spire pretrain --clients 1 --state "$tmp/f.state"
expect_bad "--preset" -- spire experiment --preset cifar
expect_bad "--frac" -- spire pretrain --frac 0 --state "$tmp/f.state"
expect_bad "--frac" -- spire pretrain --frac 1.5 --state "$tmp/f.state"
expect_bad "--new" -- spire pretrain --clients 4 --new 4 --state "$tmp/f.state"
expect_bad "--state" -- spire pretrain
expect_bad "ACTION" -- spire train
expect_bad "--method" -- spire adapt --method dropout --state "$tmp/f.state"
expect_bad "--sizes" -- spire experiment --quick --sizes 8,4 --out "$tmp/bad"
expect_bad "--sizes" -- spire experiment --quick --sizes 0 --out "$tmp/bad"
expect_bad "--sizes" -- spire experiment --quick --sizes 8,x --out "$tmp/bad"
expect_bad "--seeds" -- spire experiment --quick --seeds 0 --out "$tmp/bad"
expect_bad "--threads" -- spire experiment --quick --threads 0 --out "$tmp/bad"
expect_bad "--new" -- spire experiment --quick --new 0 --out "$tmp/bad"
expect_bad "--ddim-eta" -- spire experiment --quick --ddim-eta 1.5 --out "$tmp/bad"
expect_bad "--ddim-eta" -- spire experiment --quick --ddim-eta -0.1 --out "$tmp/bad"
expect_bad "--ddim-clip" -- spire experiment --quick --ddim-clip -1 --out "$tmp/bad"
expect_bad "--mutant" -- spire pretrain --mutant --state "$tmp/f.state"
expect_bad "needs --mutant" -- spire experiment --quick --mutant-early 0.5 --out "$tmp/bad"
for v in 0 1.5 -1 x; do expect_bad "--mutant-early" -- spire experiment --quick --mutant --mutant-early $v --out "$tmp/bad"; done
[ ! -e "$tmp/bad" ] && ok || bad "spire experiment: a bad flag created the --out directory"

# --- pretrain, and --resume gives the same state as an uninterrupted run
P="--clients 5 --new 1 --hidden 16 --temb 8 --local-steps 3 --batch 16 --T 100 --n 100 --seed 4"
if "$BIN" spire pretrain $P --rounds 6 --state "$tmp/a.state" --log "$tmp/a.log" >"$tmp/a.out" 2>"$tmp/err"; then ok; else bad "spire pretrain: $(cat "$tmp/err")"; fi
[ "$(head -1 "$tmp/a.log")" = "round,client,n_train,loss,kid_mean,kid_std" ] && [ "$(wc -l <"$tmp/a.log")" -eq 25 ] && ok \
  || bad "spire pretrain --log: expected header + 6 rounds x 4 pre-training clients (unselected ones with an empty loss)"
"$BIN" spire pretrain $P --rounds 3 --state "$tmp/b.state" --log "$tmp/b.log" >/dev/null 2>&1
"$BIN" spire pretrain $P --rounds 6 --state "$tmp/b.state" --log "$tmp/b.log" --resume >/dev/null 2>"$tmp/err" && cmp -s "$tmp/a.state" "$tmp/b.state" && ok \
  || bad "spire pretrain --resume: state differs from the uninterrupted run $(cat "$tmp/err")"
# the log is written with the state (atomically): a resumed run's log is the uninterrupted run's,
# even when the log holds rounds past the state it resumes from (they are computed again)
cmp -s "$tmp/a.log" "$tmp/b.log" && ok || bad "spire pretrain --resume --log: log differs from the uninterrupted run's"
"$BIN" spire pretrain $P --rounds 3 --state "$tmp/c.state" >/dev/null 2>&1
cp "$tmp/a.log" "$tmp/c.log"
"$BIN" spire pretrain $P --rounds 6 --state "$tmp/c.state" --log "$tmp/c.log" --resume >/dev/null 2>&1 && cmp -s "$tmp/a.log" "$tmp/c.log" && ok \
  || bad "spire pretrain --resume --log: rounds after the state's were not dropped from the log"
[ -z "$(ls -A "$tmp" | grep '\.tmp$')" ] && ok || bad "spire pretrain left temporary files: $(ls -A "$tmp" | grep '\.tmp$')"
expect_bad "different configuration" -- spire pretrain $P --lr 0.01 --rounds 6 --state "$tmp/b.state" --resume
"$BIN" spire adapt $P --state "$tmp/a.state" --method spire --adapt-steps 5 --n-gen 20 --ddim-steps 5 >"$tmp/ad.out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(head -1 "$tmp/ad.out")" = "client,method,kid_mean,kid_std,trainable,adapt_loss" ] && grep -q ',spire,.*,16,' "$tmp/ad.out" && ok \
  || bad "spire adapt: $(cat "$tmp/ad.out") $(cat "$tmp/err")"
# --ddim-eta reaches the evaluation's sampler: η = 0 gives other KIDs than the default η = 1,
# and --ddim-eta 1 is the default
"$BIN" spire adapt $P --state "$tmp/a.state" --method spire --adapt-steps 5 --n-gen 20 --ddim-steps 5 --ddim-eta 0 \
  >"$tmp/ad0.out" 2>"$tmp/err" && [ "$(wc -l <"$tmp/ad0.out")" -eq "$(wc -l <"$tmp/ad.out")" ] \
  && ! cmp -s "$tmp/ad.out" "$tmp/ad0.out" && ok || bad "spire adapt --ddim-eta 0: $(cat "$tmp/ad0.out") $(cat "$tmp/err")"
"$BIN" spire adapt $P --state "$tmp/a.state" --method spire --adapt-steps 5 --n-gen 20 --ddim-steps 5 --ddim-eta 1 \
  >"$tmp/ad1.out" 2>"$tmp/err" && cmp -s "$tmp/ad.out" "$tmp/ad1.out" && ok \
  || bad "spire adapt --ddim-eta 1: not the default: $(cat "$tmp/ad1.out") $(cat "$tmp/err")"

# --- the whole protocol, quick
if "$BIN" spire experiment --preset gmm2 --quick --out "$tmp/exp" >"$tmp/exp.out" 2>"$tmp/err"; then ok; else bad "spire experiment --quick: $(cat "$tmp/err")"; fi
for f in table.csv table.md clients.csv paired.csv seeds.csv sizes.csv robustness.csv probe.csv claims.csv bridge.csv rounds.csv F12-paired-kid.csv F15-robustness.csv F16-embedding-probe.gp F21-sample-size.csv; do
  [ -s "$tmp/exp/$f" ] && ok || bad "spire experiment: $f missing"
done
[ "$(grep -c '^spire,\|^fedavg,\|^full,\|^last,\|^lora,\|^local,' "$tmp/exp/table.csv")" -eq 6 ] && ok || bad "table.csv: expected 6 methods"
awk -F, '$1 == "spire" && $2 == 64 && $15 == 0 { f = 1 } END { exit !f }' "$tmp/exp/table.csv" && ok || bad "table.csv: SPIRE must train 64 numbers and forget nothing"
[ "$(cut -d, -f1 "$tmp/exp/claims.csv" | tr '\n' ' ')" = "id E1 E2 E3 E4 E5 " ] && ok || bad "claims.csv: expected E1..E5"
grep -q 'UNDECIDED' "$tmp/exp/claims.csv" && ok || bad "claims.csv: one seed must leave the claims UNDECIDED (no interval)"
# --mutant: the wrong models' verdicts in claims.csv (labelled), the true model's in
# claims_true.csv, the same bytes as claims.csv without --mutant (property)
"$BIN" spire --help | grep -q -- '--mutant' && grep -q -- '`--mutant`' docs/cli/spire.md && ok \
  || bad "spire --help and docs/cli/spire.md must both list --mutant"
if "$BIN" spire experiment --preset gmm2 --quick --mutant --out "$tmp/expm" >"$tmp/expm.out" 2>"$tmp/err"; then ok; else bad "spire experiment --mutant: $(cat "$tmp/err")"; fi
cmp -s "$tmp/exp/claims.csv" "$tmp/expm/claims_true.csv" && cmp -s "$tmp/exp/table.csv" "$tmp/expm/table.csv" && ok \
  || bad "spire experiment --mutant: claims_true.csv / table.csv differ from the run without --mutant"
[ "$(grep -c '^E[1-5],"WRONG MODEL' "$tmp/expm/claims.csv")" -eq 5 ] && ok || bad "claims.csv with --mutant: every row must say WRONG MODEL"
grep -q 'WRONG MODELS (--mutant), not results' "$tmp/expm/table.md" && ok || bad "table.md with --mutant: no WRONG MODELS label"
[ "$(grep -c 'WRONG MODEL (--mutant, not a result) E[1-5]' "$tmp/err")" -eq 5 ] && ok || bad "stderr with --mutant: five labelled wrong-model lines"
grep -q 'E3 NOT REPRODUCED' "$tmp/err" && ok || bad "--mutant: E3's wrong model (SPIRE forgets as full fine-tuning) must be NOT REPRODUCED"
[ ! -e "$tmp/exp/claims_true.csv" ] && ok || bad "claims_true.csv written without --mutant"
[ ! -e "$tmp/exp/mutant_seeds.csv" ] && ok || bad "mutant_seeds.csv written without --mutant"
[ "$(head -1 "$tmp/expm/mutant_seeds.csv" 2>/dev/null)" = "seed,kid_pre,kid_new,fkid_new,probe_r" ] && ok \
  || bad "spire experiment --mutant: mutant_seeds.csv missing or without its header"

# --- digits, quick: the classifier's feature KID and label TV, the digits tiles
if "$BIN" spire experiment --preset digits --quick --out "$tmp/expd" >"$tmp/expd.out" 2>"$tmp/err"; then ok; else bad "spire experiment --preset digits --quick: $(cat "$tmp/err")"; fi
awk -F, '$1 == "spire" && $9 + 0 == $9 && $9 != "nan" && $12 != "nan" { f = 1 } END { exit !f }' "$tmp/expd/table.csv" && ok \
  || bad "digits table.csv: SPIRE's feature KID and label TV must be numbers"
[ "$(grep -c ',real,' "$tmp/expd/digits.csv")" -eq $((2 * 8 * 64)) ] && ok || bad "digits.csv: 8 real rows of 64 pixels per new client"
grep -q 'classifier.*accuracy' "$tmp/expd/table.md" && ok || bad "digits table.md: no classifier accuracy"
