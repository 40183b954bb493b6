# tests/cli/weighting.sh — --weighting on loss, gd, fit, sweep, and spirelab weighting.
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

# ---- bad --weighting values: exit 2, nothing on stdout, one line naming the flag
for cmd in loss gd fit sweep; do
  expect_bad "--weighting" -- $cmd --avg --weighting snr            # unknown name
  expect_bad "--weighting" -- $cmd --avg --weighting ""
  expect_bad "--weighting" -- $cmd --avg --weighting eps:2
  expect_bad "--weighting" -- $cmd --avg --weighting minsnr:0       # gamma <= 0
  expect_bad "--weighting" -- $cmd --avg --weighting minsnr:-5
  expect_bad "--weighting" -- $cmd --avg --weighting minsnr:abc
  expect_bad "--weighting" -- $cmd --avg --weighting minsnr:inf
  expect_bad "--weighting" -- $cmd --avg --weighting level:0        # t outside [1, T]
  expect_bad "--weighting" -- $cmd --avg --weighting level:1001
  expect_bad "--weighting" -- $cmd --avg --T 50 --weighting level:51
  expect_bad "--weighting" -- $cmd --avg --weighting level:2.5
  expect_bad "--weighting" -- $cmd --avg --weighting level
  expect_bad "--weighting" -- $cmd --weighting x0                   # without --avg
  expect_bad "--weighting" -- $cmd --weighting v --alpha 0.5
  expect_bad "--weighting" -- $cmd --avg --weighting
done
expect_bad "--weighting" -- gd --weighting optimal --t 10 --schedule linear
expect_bad "--weighting" -- loss --avg --weighting v --method mc
expect_bad "--sep"       -- weighting --sep 0
expect_bad "--schedule"  -- weighting --schedule ou
expect_bad "--schedule"  -- weighting --schedule quadratic
expect_bad "--T"         -- weighting --T 1
expect_bad "--sum"       -- weighting --sum half
expect_bad "--weighting" -- weighting --weighting v                 # not a flag of this command
expect_bad "stray"       -- weighting stray

# ---- eps through the plan is the plain time average (fast sum vs ddpm_loss_avg)
"$BIN" loss --avg --w 0.3 >"$tmp/plain" 2>/dev/null && "$BIN" loss --avg --w 0.3 --weighting eps >"$tmp/eps" 2>/dev/null \
  && awk -F, 'NR==FNR && FNR==2 { g = $7 } NR!=FNR && FNR==2 { d = $7 - g; if (d < 0) d = -d; exit !(d <= $8 && d <= 1e-10 * (g < 0 ? -g : g)) }' "$tmp/plain" "$tmp/eps" \
  && ok || bad "loss --weighting eps: gradient differs from --avg beyond its error estimate"

# ---- a weighted loss is minimal at the true weight (gradient changes sign there)
"$BIN" loss --avg --weighting minsnr:5 --schedule cosine --grid -1.5:0:4 --pi 0.3 >"$tmp/ms" 2>/dev/null \
  && awk -F, 'NR==2 { s1 = ($7 < 0) } NR==5 { s2 = ($7 > 0) } END { exit !(s1 && s2) }' "$tmp/ms" \
  && ok || bad "loss --weighting minsnr:5: gradient does not change sign around logit(0.3)"

# ---- gd on a weighted population loss converges to pi
"$BIN" gd --avg --weighting x0 --init 0.8 --lr 4 --steps 3000 --pi 0.3 >"$tmp/gd" 2>"$tmp/gderr" \
  && grep -q "converged after" "$tmp/gderr" \
  && awk -F, 'END { d = $3 - 0.3; if (d < 0) d = -d; exit !(d < 1e-6) }' "$tmp/gd" \
  && ok || bad "gd --weighting x0 did not converge to pi: $(tail -1 "$tmp/gd") $(cat "$tmp/gderr")"

# ---- fit: the ddpm row's sd_pred is the weighted sandwich (the weighting command's nvar_p)
"$BIN" fit --avg --weighting v --n 5000 >"$tmp/fit" 2>/dev/null && "$BIN" weighting >"$tmp/wt" 2>/dev/null \
  && awk -F, 'NR==FNR && $1 == "v" { nv = $4 } NR!=FNR && $1 == "ddpm" { sd = $7; r = sd * sd * 5000 / nv; exit !(r > 0.999999 && r < 1.000001) }' "$tmp/wt" "$tmp/fit" \
  && ok || bad "fit --weighting v: sd_pred is not sqrt(nvar_p/n) of spirelab weighting"
"$BIN" fit --avg --weighting level:900 --n 2000 >"$tmp/fitl" 2>/dev/null \
  && [ "$(wc -l <"$tmp/fitl")" -eq 3 ] && ok || bad "fit --weighting level:900"

# ---- spirelab weighting: one row per weighting, efficiencies in (0, 1], optimal the best
"$BIN" weighting --schedule cosine --sep 3 --pi 0.2 --T 200 >"$tmp/w" 2>/dev/null \
  && [ "$(head -1 "$tmp/w")" = "weighting,efficiency,efficiency_err,nvar_p,nvar_p_err,best_level,best_efficiency,best_efficiency_err" ] \
  && [ "$(wc -l <"$tmp/w")" -eq 7 ] \
  && awk -F, 'NR>1 { if (!($2 > 0 && $2 <= 1)) exit 1; e[$1] = $2; b = $7 }
              END { for (k in e) if (e[k] > e["optimal"] * (1 + 1e-9)) exit 1; exit !(b >= e["optimal"]) }' "$tmp/w" \
  && ok || bad "spirelab weighting: rows or ordering wrong: $(cat "$tmp/w")"
"$BIN" weighting --sum full --T 200 >"$tmp/wf" 2>/dev/null && "$BIN" weighting --T 200 >"$tmp/wq" 2>/dev/null \
  && awk -F, 'NR==FNR { e[$1] = $2; next } FNR > 1 { d = $2 - e[$1]; if (d < 0) d = -d; if (d > 1e-9) exit 1 }' "$tmp/wf" "$tmp/wq" \
  && ok || bad "spirelab weighting: --sum fast and full disagree"

# ---- sweep with a weighting: runs, and its sd_sandwich is the weighted one
"$BIN" sweep --avg --weighting optimal --reps 4 --n 500 --estimator ddpm >"$tmp/sw" 2>/dev/null \
  && "$BIN" weighting >"$tmp/wt2" 2>/dev/null \
  && awk -F, 'NR==FNR && $1 == "optimal" { nv = $4 } NR!=FNR && FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "sd_sandwich") c = i }
              NR!=FNR && FNR == 2 { r = $c * $c * 500 / nv; exit !(r > 0.999999 && r < 1.000001) }' "$tmp/wt2" "$tmp/sw" \
  && ok || bad "sweep --weighting optimal: sd_sandwich is not the weighted sandwich"

# ---- K >= 3 components take one level, so --avg (and --weighting with it) is refused
for cmd in loss gd fit; do
  expect_bad "--avg" -- $cmd --avg --weighting v --pi 0.2,0.3,0.5 --means 0,2,4
done
