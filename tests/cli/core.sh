# tests/cli/core.sh — command-line tests of spirelab loss, gd, fit.
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

# ---- bad input, every command: exit 2, nothing on stdout, one line naming the flag
for cmd in loss gd fit; do
  # values out of range
  expect_bad "--pi"    -- $cmd --pi 1.5
  expect_bad "--pi"    -- $cmd --pi 0
  expect_bad "--pi"    -- $cmd --pi 1
  expect_bad "--sep"   -- $cmd --sep -0.5
  expect_bad "--d"     -- $cmd --d 0
  expect_bad "--d"     -- $cmd --d -3
  expect_bad "--alpha" -- $cmd --alpha 1
  expect_bad "--alpha" -- $cmd --alpha 0
  expect_bad "--T"     -- $cmd --avg --T 1
  expect_bad "--n"     -- $cmd --n 0
  expect_bad "--t"     -- $cmd --t 0 --schedule linear
  expect_bad "--t"     -- $cmd --t 1001 --schedule cosine
  expect_bad "--t"     -- $cmd --t 11 --T 10
  expect_bad "--tau"   -- $cmd --tau 0 --schedule ou
  expect_bad "--tau"   -- $cmd --tau -1
  # unparsable or non-finite numbers
  expect_bad "--pi"    -- $cmd --pi nan
  expect_bad "--pi"    -- $cmd --pi inf
  expect_bad "--pi"    -- $cmd --pi 1e999
  expect_bad "--pi"    -- $cmd --pi abc
  expect_bad "--pi"    -- $cmd --pi 0.3x
  expect_bad "--pi"    -- $cmd --pi=
  expect_bad "--shift" -- $cmd --shift nan
  expect_bad "--shift" -- $cmd --shift -inf
  expect_bad "--sep"   -- $cmd --sep 1e999
  expect_bad "--d"     -- $cmd --d 3x
  expect_bad "--d"     -- $cmd --d 2.5
  expect_bad "--n"     -- $cmd --n abc
  expect_bad "--T"     -- $cmd --avg --T 1e999
  expect_bad "--seed"  -- $cmd --seed -1
  expect_bad "--seed"  -- $cmd --seed 18446744073709551616
  expect_bad "--direction" -- $cmd --direction e2
  expect_bad "--schedule"  -- $cmd --avg --schedule quadratic
  expect_bad "--mc"        -- $cmd --mc both
  # a missing value, an unknown flag, a stray argument
  expect_bad "--pi"    -- $cmd --pi
  expect_bad "--seed"  -- $cmd --d 2 --seed
  expect_bad "--frobnicate" -- $cmd --frobnicate 3
  expect_bad "--avg"   -- $cmd --avg=1
  expect_bad "stray"   -- $cmd --pi 0.3 stray
  # contradictory noise levels
  expect_bad "--t"        -- $cmd --alpha 0.5 --t 10
  expect_bad "--avg"      -- $cmd --alpha 0.5 --avg
  expect_bad "--tau"      -- $cmd --avg --tau 1
  expect_bad "--tau"      -- $cmd --t 3 --tau 1
  expect_bad "--schedule" -- $cmd --schedule ou
  expect_bad "--schedule" -- $cmd --schedule ou --avg
  expect_bad "--tau"      -- $cmd --tau 1 --schedule linear
  expect_bad "--schedule" -- $cmd --schedule cosine
  expect_bad "--schedule" -- $cmd --alpha 0.5 --schedule linear
  expect_bad "--T"        -- $cmd --T 100
  expect_bad "--T"        -- $cmd --tau 1 --T 100
done

# ---- bad input specific to loss
expect_bad "--grid" -- loss --grid 1:2:0
expect_bad "--grid" -- loss --grid 2:1:5
expect_bad "--grid" -- loss --grid 1:2
expect_bad "--grid" -- loss --grid a:2:3
expect_bad "--grid" -- loss --grid 0:nan:3
expect_bad "--grid" -- loss --grid 0:1:3:4
expect_bad "--p"    -- loss --p 1.2
expect_bad "--w"    -- loss --w inf
expect_bad "--grid" -- loss --w 1 --grid -1:1:3
expect_bad "--p"    -- loss --w 1 --p 0.5
expect_bad "--method" -- loss --method exact
expect_bad "--method" -- loss --method

# ---- bad input specific to gd
expect_bad "--steps" -- gd --steps -1
expect_bad "--steps" -- gd --steps 1.5
expect_bad "--lr"    -- gd --lr 0
expect_bad "--lr"    -- gd --lr -1
expect_bad "--lr"    -- gd --lr nan
expect_bad "--init"  -- gd --init 1
expect_bad "--init"  -- gd --init 0
expect_bad "--tol"   -- gd --tol -1
expect_bad "--clip"  -- gd --clip 0.5
expect_bad "--param" -- gd --param theta
expect_bad "--method" -- gd --method mcmc

# ---- fit takes no --method and no parameter flags
expect_bad "--method" -- fit --method mc
expect_bad "--grid"   -- fit --grid -1:1:3

# ---- --help: usage on stdout, exit 0, nothing on stderr
for cmd in loss gd fit; do
  "$BIN" $cmd --help >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -eq 0 ] && grep -q "^usage: spirelab $cmd" "$tmp/out" && [ ! -s "$tmp/err" ]; then ok
  else bad "$cmd --help: exit $rc, or no usage on stdout, or stderr not empty"; fi
done
# the defaults are stated
"$BIN" loss --help | grep -q -- "--alpha 0.7" && ok || bad "loss --help does not state the default --alpha 0.7"
"$BIN" loss --help | grep -q -- "default --grid -6:6:13" && ok || bad "loss --help does not state the default grid"

# ---- loss: header, rows, the minimum at w = logit(pi)
hdr='w,p,loss,loss_err,excess,excess_err,grad,grad_err,hess,hess_err'
"$BIN" loss >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && [ "$(head -1 "$tmp/out")" = "$hdr" ] && [ "$(wc -l <"$tmp/out")" -eq 14 ] && [ ! -s "$tmp/err" ]; then ok
else bad "loss (defaults): header or the 13 rows of the default grid"; fi

"$BIN" loss --grid -2:2:5 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && [ "$(tail -n +2 "$tmp/out" | wc -l)" -eq 5 ] \
   && awk -F, 'NR>1 { w[NR]=$1 } END { exit !(w[2]==-2 && w[4]==0 && w[6]==2) }' "$tmp/out"; then ok
else bad "loss --grid -2:2:5: expected the 5 rows w = -2..2"; fi

# the minimiser w = logit(pi): excess and grad vanish, hess > 0, excess >= 0 elsewhere
for args in "--pi 0.3" "--pi 0.8 --sep 3 --alpha 0.4" "--pi 0.1 --avg --T 100" "--pi 0.6 --t 50 --schedule cosine" "--pi 0.45 --tau 0.5 --d 7 --shift 2"; do
  pi=$(echo "$args" | awk '{print $2}')
  if "$BIN" loss $args --p "$pi" >"$tmp/out" 2>"$tmp/err" \
     && awk -F, 'NR==2 { e=$5; g=$7; h=$9; l=$3
                  ok = (e < 0 ? -e : e) <= 1e-12 * l && (g < 0 ? -g : g) <= 1e-10 * l && h > 0 }
                 END { exit !(NR==2 && ok) }' "$tmp/out"; then ok
  else bad "loss $args --p $pi: excess and grad should vanish at w = logit(pi): $(cat "$tmp/out" "$tmp/err")"; fi
  if "$BIN" loss $args --grid -5:5:21 >"$tmp/out" 2>"$tmp/err" \
     && awk -F, -v th="$(awk -v p="$pi" 'BEGIN{print log(p/(1-p))}')" \
        'NR>1 { if ($5 < -1e-15 || ($1 - th) * $7 < 0) bad=1 } END { exit bad }' "$tmp/out"; then ok
  else bad "loss $args --grid -5:5:21: excess < 0 or sign(grad) != sign(w - logit pi)"; fi
done

# --p gives the same row as --w logit(p)
if "$BIN" loss --p 0.5 >"$tmp/a" && "$BIN" loss --w 0 >"$tmp/b" && cmp -s "$tmp/a" "$tmp/b"; then ok
else bad "loss --p 0.5 and --w 0 differ"; fi

# ---- loss --method mc: finite numbers, positive standard errors, agrees with quadrature
"$BIN" loss --method mc --n 20000 --grid -2:2:3 --seed 7 >"$tmp/mc" 2>"$tmp/err"
if [ $? -eq 0 ] && [ "$(wc -l <"$tmp/mc")" -eq 4 ] && awk -F, '
     NR>1 { for (i = 1; i <= 10; i++) if ($i !~ /^-?[0-9]/ || $i ~ /[a-z][a-z]/) bad=1
            if (!($4 > 0) || !($8 > 0)) bad=1 }
     END { exit bad }' "$tmp/mc"; then ok
else bad "loss --method mc: expected finite numbers and positive loss_err, grad_err: $(cat "$tmp/mc" "$tmp/err")"; fi
"$BIN" loss --grid -2:2:3 >"$tmp/an"
if paste -d, "$tmp/an" "$tmp/mc" | awk -F, 'NR>1 {
      dl = $3 - $13; dg = $7 - $17; if (dl < 0) dl = -dl; if (dg < 0) dg = -dg
      if (dl > 5 * $14 || dg > 5 * $18) bad=1 } END { exit bad }'; then ok
else bad "loss: mc and analytic differ by more than 5 standard errors"; fi
for mode in explicit projected; do
  if "$BIN" loss --method mc --mc $mode --n 5000 --d 4 --direction random --w 0.5 >"$tmp/out" 2>"$tmp/err" \
     && awk -F, 'NR==2 && $4 > 0 { good=1 } END { exit !good }' "$tmp/out"; then ok
  else bad "loss --method mc --mc $mode --d 4 --direction random: $(cat "$tmp/err")"; fi
done
# same seed, same numbers
"$BIN" loss --method mc --n 3000 --w 1 --seed 11 >"$tmp/a"; "$BIN" loss --method mc --n 3000 --w 1 --seed 11 >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok || bad "loss --method mc: not reproducible for a fixed --seed"

# ---- gd converges to pi
"$BIN" gd --pi 0.3 >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/out")" = "iter,w,p,loss,grad" ] \
   && awk -F, 'NR==2 && $1 != 0 { bad=1 } END { d = $3 - 0.3; if (d < 0) d = -d; exit (bad || !(d < 1e-6)) }' "$tmp/out" \
   && grep -q "converged" "$tmp/err" && ! grep -q "not converged" "$tmp/err"; then ok
else bad "gd --pi 0.3: last p not within 1e-6 of 0.3 or no 'converged' summary: $(tail -1 "$tmp/out"; cat "$tmp/err")"; fi
# iterate numbers run 0, 1, 2, ... and the loss decreases
if awk -F, 'NR>1 { if ($1 != NR-2) bad=1; if (NR>2 && $4 > prev + 1e-15) bad=1; prev=$4 } END { exit bad }' "$tmp/out"; then ok
else bad "gd: iterates not numbered 0.. or loss not decreasing"; fi
# on p directly
"$BIN" gd --pi 0.7 --param pi --init 0.2 --lr 0.2 --steps 5000 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && tail -1 "$tmp/out" | awk -F, '{ d = $3 - 0.7; if (d < 0) d = -d; exit !(d < 1e-6) }'; then ok
else bad "gd --param pi did not reach 0.7: $(tail -1 "$tmp/out"; cat "$tmp/err")"; fi
# --steps 0: only iterate 0
"$BIN" gd --steps 0 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] && grep -q "not converged" "$tmp/err"; then ok
else bad "gd --steps 0: expected iterate 0 only and 'not converged'"; fi
# on the empirical loss of one sample set
"$BIN" gd --method mc --n 20000 --seed 3 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && tail -1 "$tmp/out" | awk -F, '{ d = $3 - 0.3; if (d < 0) d = -d; exit !(d < 0.05) }' && grep -q "converged" "$tmp/err"; then ok
else bad "gd --method mc: $(tail -1 "$tmp/out"; cat "$tmp/err")"; fi
# a huge step throws w onto the plateau, where |grad| < tol: not convergence; a note on stderr
"$BIN" gd --lr 1e4 --steps 50 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q "not converged" "$tmp/err" && grep -q -- "--lr" "$tmp/err"; then ok
else bad "gd --lr 1e4: expected 'not converged' and a note about --lr on stderr: $(cat "$tmp/err")"; fi

# ---- fit: two rows, ddpm and mle, each within 5 sd_pred of pi
for args in "--pi 0.3" "--pi 0.7 --sep 3 --alpha 0.5 --d 3 --mc explicit --seed 5" "--pi 0.4 --avg --T 200 --n 20000"; do
  pi=$(echo "$args" | awk '{print $2}')
  "$BIN" fit $args >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/out")" = "estimator,p_hat,w_hat,iterations,converged,objective,sd_pred" ] \
     && awk -F, -v pi="$pi" 'NR==2 && $1=="ddpm" { n++ } NR==3 && $1=="mle" { n++ }
          NR>1 { d = $2 - pi; if (d < 0) d = -d; if (!($7 > 0) || d > 5 * $7 || $5 != 1) bad=1 }
          END { exit !(NR==3 && n==2 && !bad) }' "$tmp/out"; then ok
  else bad "fit $args: expected rows ddpm, mle with |p_hat - pi| < 5 sd_pred: $(cat "$tmp/out" "$tmp/err")"; fi
done
# the MLE on clean data is at least as precise as the DDPM estimator (CRLB <= sandwich)
"$BIN" fit >"$tmp/out" 2>"$tmp/err"
awk -F, 'NR==2 { s=$7 } NR==3 { exit !($7 <= s * (1 + 1e-9)) }' "$tmp/out" && ok || bad "fit: CRLB sd_pred > sandwich sd_pred"

# ---- a library failure: exit 1, one line on stderr, nothing on stdout
# (Delta = 0: the weight is not identifiable, the sandwich's curvature B is 0)
"$BIN" fit --sep 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok
else bad "fit --sep 0: expected exit 1, empty stdout, one stderr line; got exit $rc: $(cat "$tmp/out" "$tmp/err")"; fi

# ---- spirelab version: no flags; --help is usage
expect_bad "--foo" -- version --foo
expect_bad "extra" -- version extra
if "$BIN" version --help | grep -q '^usage: spirelab version'; then ok; else bad "version --help: no usage line"; fi

# --- stdout that cannot be written (a full disk): exit 1 and one line, not a truncated success
if [ -w /dev/full ]; then
  "$BIN" loss --pi 0.3 >/dev/full 2>"$tmp/err"; rc=$?
  if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "cannot write the output" "$tmp/err"; then ok
  else bad "spirelab loss >/dev/full: exit $rc, stderr: $(cat "$tmp/err")"; fi
fi
