# tests/cli/check.sh — spirelab check (sourced by tests/cli_test.sh).

# --quick runs every claim; every verdict must be PASS and the exit status 0.
"$BIN" check --quick --seed 1 >"$tmp/check.csv" 2>"$tmp/check.err"; rc=$?
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/check.csv")" = "id,claim,measured,threshold,verdict,seconds" ] \
   && [ "$(grep -c ',PASS,' "$tmp/check.csv")" -ge 13 ] \
   && [ "$(grep -c ',PASS,' "$tmp/check.csv")" -eq "$(($(wc -l <"$tmp/check.csv") - 1))" ]; then ok; else
  bad "check --quick: exit $rc, $(grep -c ',PASS,' "$tmp/check.csv") PASS rows"; cat "$tmp/check.csv" >&2; fi
# the random claims' thresholds are those of their 1% false-alarm rate (docs/claims.md):
# C4 Sidak over 72, C5 Bonferroni 0.5% over 10 pairs, C7 Sidak over 3, C10 Fisher bound with 12 clients
thr=$(awk -F, '/^C(4|5|7|10),/ { print $1 "=" $(NF-2) }' "$tmp/check.csv" | tr '\n' ' ')
[ "$thr" = "C4=3.80891 C5=0.0005 C7=2.93416 C10=0.784256 " ] && ok || bad "check --quick thresholds: $thr"
grep -q '^C4,.*false-alarm rate 1%' "$tmp/check.csv" && ok || bad "check --quick: C4 claim text does not name its rate"
# --only selects; the ids come out in order
"$BIN" check --quick --only C8,C1 >"$tmp/only.csv" 2>/dev/null
[ "$(cut -d, -f1 "$tmp/only.csv" | tr '\n' ' ')" = "id C1 C8 " ] && ok || bad "check --only C8,C1: $(cut -d, -f1 "$tmp/only.csv" | tr '\n' ' ')"
"$BIN" check --help | grep -q -- '--quick' && ok || bad "check --help"
expect_bad "--only" -- check --only C99
expect_bad "--only" -- check --only ""
expect_bad "--only" -- check --only C1,,C2
expect_bad "--seed" -- check --seed -3
expect_bad "--seed" -- check --seed abc
expect_bad "--frob" -- check --frob
expect_bad "extra" -- check extra
# --seeds: one summary row per claim; deterministic claims pass every seed
"$BIN" check --quick --only C8,C3 --seeds 1:2,7 >"$tmp/seeds.csv" 2>"$tmp/seeds.err"; rc=$?
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/seeds.csv")" = "id,random,seeds,passes,pass_fraction,ci95_low,ci95_high,worst_measured,worst_threshold,tail_p,verdict,seconds" ] \
   && [ "$(cut -d, -f1-4,11 "$tmp/seeds.csv" | tail -n +2 | tr '\n' ' ')" = "C3,0,3,3,PASS C8,0,3,3,PASS " ] \
   && [ "$(grep -c 'seed 7' "$tmp/seeds.err")" -eq 2 ]; then ok; else
  bad "check --seeds 1:2,7: exit $rc"; cat "$tmp/seeds.csv" "$tmp/seeds.err" >&2; fi
# --mutant: the wrong model of C4 (shifted loss) is detected on every seed
"$BIN" check --quick --only C4,C8 --mutant --seeds 1,2 >"$tmp/mut.csv" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(cut -d, -f1,4,5,11 "$tmp/mut.csv" | tail -n +2 | tr '\n' ' ')" = "C4,0,1.0000,DETECTS " ] && ok \
  || { bad "check --mutant --seeds: exit $rc"; cat "$tmp/mut.csv" >&2; }
"$BIN" check --help | grep -q -- '--seeds LIST' && ok || bad "check --help: --seeds"
expect_bad "--seeds" -- check --seeds 3:1
expect_bad "--seeds" -- check --seeds ""
expect_bad "--seeds" -- check --seeds a
expect_bad "--seeds" -- check --seeds 1,,2
expect_bad "--seeds" -- check --seeds 1:
expect_bad "--seeds" -- check --seeds :3
expect_bad "--seeds" -- check --seeds -1
expect_bad "--seeds" -- check --seeds 1:20000
expect_bad "--seeds" -- check --seed 1 --seeds 1:2
