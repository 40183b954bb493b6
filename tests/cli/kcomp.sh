# tests/cli/kcomp.sh — the K-component flags (--pi list, --means, --means-file,
# --p list) of loss, gd, fit (THEORY.md s10).
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

printf '0 1.5\n-1.3 -0.75\n1.3 -0.75\n' > "$tmp/m3"
printf '0 1.5\n-1.3\n1.3 -0.75\n' > "$tmp/ragged"
printf '0 1.5\n-1.3 x\n1.3 -0.75\n' > "$tmp/nonnum"
printf '0 1\n0 1\n1 0\n' > "$tmp/repeat"

# ---- bad input: exit 2, nothing on stdout, one line naming the flag
for cmd in loss gd fit; do
  expect_bad "--means"      -- $cmd --pi 0.2,0.3,0.5 --means 1,2
  expect_bad "--pi"         -- $cmd --pi 0.2,0.3,0.4 --means 1,2,3
  expect_bad "--pi"         -- $cmd --pi 0.2,0.3,0.5000001 --means 1,2,3
  expect_bad "--pi"         -- $cmd --pi 1.2,-0.1,-0.1 --means 1,2,3
  expect_bad "--pi"         -- $cmd --pi 0.2,,0.8 --means 1,2
  expect_bad "--means"      -- $cmd --pi 0.2,0.3,0.5 --means 1,2,1
  expect_bad "--means"      -- $cmd --pi 0.2,0.3,0.5 --means 1,nan,3
  expect_bad "--means"      -- $cmd --pi 0.2,0.3,0.5
  expect_bad "--means"      -- $cmd --means 1,2,3
  expect_bad "--means-file" -- $cmd --pi 0.2,0.3,0.5 --means-file "$tmp/ragged"
  expect_bad "--means-file" -- $cmd --pi 0.2,0.3,0.5 --means-file "$tmp/nonnum"
  expect_bad "--means-file" -- $cmd --pi 0.2,0.3,0.5 --means-file "$tmp/repeat"
  expect_bad "--means-file" -- $cmd --pi 0.2,0.3,0.5 --means-file "$tmp/absent"
  expect_bad "--means-file" -- $cmd --pi 0.2,0.3,0.5 --means 1,2,3 --means-file "$tmp/m3"
  expect_bad "--d"          -- $cmd --pi 0.2,0.3,0.5 --means-file "$tmp/m3" --d 1
  expect_bad "--sep"        -- $cmd --pi 0.2,0.3,0.5 --means 1,2,3 --sep 2
  expect_bad "--avg"        -- $cmd --pi 0.2,0.3,0.5 --means 1,2,3 --avg
done
expect_bad "--p" -- loss --pi 0.2,0.3,0.5 --means 1,2,3 --p 0.5,0.5
expect_bad "--p" -- loss --pi 0.2,0.3,0.5 --means 1,2,3 --p 0.2,0.3,0.6
expect_bad "--p" -- loss --pi 0.2,0.3,0.5 --means 1,2,3 --p 0.5
expect_bad "--w" -- loss --pi 0.2,0.3,0.5 --means 1,2,3 --w 0.5
expect_bad "--p" -- loss --pi 0.3 --p 0.5,0.5
expect_bad "--p" -- gd --pi 0.2,0.3,0.5 --means 1,2,3 --p 0.5
expect_bad "--init" -- gd --pi 0.2,0.3,0.5 --means 1,2,3 --init 0.5

# ---- K = 2 given as lists prints exactly today's rows
same() {  # same LABEL -- CMD1... -- CMD2...
  local label=$1; shift; shift
  local a=() b=(); while [ "$1" != "--" ]; do a+=("$1"); shift; done; shift; b=("$@")
  "$BIN" "${a[@]}" >"$tmp/a" 2>/dev/null; "$BIN" "${b[@]}" >"$tmp/b" 2>/dev/null
  if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then ok; else bad "K=2 lists differ from today's rows: $label"; fi
}
same loss     -- loss --pi 0.3 --sep 2                 -- loss --pi 0.3,0.7 --means 1,-1
same loss-p   -- loss --pi 0.3 --sep 3 --shift 1 --p 0.4 -- loss --pi 0.3,0.7 --means 2.5,-0.5 --p 0.4,0.6
same loss-mc  -- loss --pi 0.3 --sep 2 --method mc --n 5000 -- loss --pi 0.3,0.7 --means 1,-1 --method mc --n 5000
same loss-t   -- loss --pi 0.25 --sep 2 --t 300       -- loss --pi 0.25,0.75 --means 0,2 --t 300
same gd       -- gd --pi 0.3 --sep 2 --init 0.6 --steps 30 -- gd --pi 0.3,0.7 --means -1,1 --p 0.6,0.4 --steps 30
same fit      -- fit --pi 0.3 --sep 2 --n 3000        -- fit --pi 0.3,0.7 --means 1,-1 --n 3000
printf '1 0\n-1 0\n' > "$tmp/m2"
same fit-file -- fit --pi 0.3 --sep 2 --n 3000 --d 2  -- fit --pi 0.3,0.7 --means-file "$tmp/m2" --n 3000

# ---- K = 3 rows
"$BIN" loss --pi 0.2,0.3,0.5 --means-file "$tmp/m3" --p 0.2,0.3,0.5 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && head -1 "$tmp/out" | grep -q '^w_1,w_2,p_1,p_2,p_3,loss,loss_err,excess,excess_err,grad_1' \
   && [ "$(wc -l <"$tmp/out")" -eq 2 ]; then ok; else bad "loss K=3: $(cat "$tmp/out" "$tmp/err")"; fi
# at p = pi the excess and the gradient vanish
awk -F, 'NR==2 { if ($8 < 1e-25 && $10 < 1e-15 && $10 > -1e-15) exit 0; exit 1 }' "$tmp/out" && ok || bad "loss K=3 at p = pi: excess or gradient not 0"
"$BIN" gd --pi 0.2,0.3,0.5 --means 1,2,3 --lr 20 --steps 3000 --tol 1e-9 >"$tmp/out" 2>"$tmp/err"
head -1 "$tmp/out" | grep -q '^iter,w_1,w_2,p_1,p_2,p_3,loss,grad_norm$' && \
tail -1 "$tmp/out" | awk -F, '{ if (($4-0.2)^2 < 1e-8 && ($5-0.3)^2 < 1e-8) exit 0; exit 1 }' && ok || bad "gd K=3 does not reach pi: $(tail -1 "$tmp/out") $(cat "$tmp/err")"
"$BIN" fit --pi 0.2,0.3,0.5 --means-file "$tmp/m3" --n 2000 --d 30 --mc explicit >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 7 ] && ok || bad "fit K=3: $(cat "$tmp/out" "$tmp/err")"
