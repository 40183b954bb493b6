#!/usr/bin/env bash
# tests/studies/exp_seeds.sh — the seed study of the federated verdicts E1–E5
# (docs/claims.md, "The federated verdicts over repeated experiments"; run by
# `make check-seeds`, not by CI).
#
# One "seed" of this study is a whole 10-seed experiment: `spirelab spire
# experiment --preset P --seed S0 --seeds 10` with S0 = FIRST, FIRST + 10, …
# (FIRST from the environment, default 1), so the repetitions use disjoint
# seeds.  Each E claim's verdict is REPRODUCED,
# UNDECIDED or NOT REPRODUCED (98% intervals, Bonferroni over its
# comparisons: a false NOT REPRODUCED has probability ≤ 1% when the claim
# holds, spire/experiment.h).  Per claim the study counts the three verdicts
# and, as `spirelab check --seeds` does, asks whether the NOT REPRODUCED
# count is improbable under the 1% rate: tail P(X ≥ k | Binomial(reps, 0.01))
# < 0.001 prints FAIL (then the claim does not hold in this setting, or its
# null model is miscalibrated: the study cannot tell which).
#
# With --mutant among the flags every run also evaluates the deliberately
# wrong models of E1–E5 (docs/claims.md, "Wrong models of E1–E5"): the run's
# claims_true.csv gives the null study above and its claims.csv (the wrong
# models' verdicts) the power study: per claim DETECTED = NOT REPRODUCED,
# the detected share with its Clopper–Pearson 95% interval, and DETECTS iff
# the share is ≥ 0.99 (as `spirelab check --seeds --mutant`, pc_tally_power:
# with 20 repetitions every one must detect), else MISSES.
#
# usage: exp_seeds.sh SPIRELAB PRESET REPS OUTDIR [experiment flags...]
# CSV on stdout: preset,id,reps,reproduced,undecided,not_reproduced,tail_p,verdict
# and with --mutant then: preset,id,reps,detected,power,lo95,hi95,verdict
# progress on stderr; exit 1 if a run fails, a claim FAILs or a wrong model MISSES.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 SPIRELAB PRESET REPS OUTDIR [experiment flags...]" >&2; exit 2; }
BIN=$1; P=$2; REPS=$3; OUT=$4; shift 4
FIRST=${FIRST:-1}
case $FIRST in ''|*[!0-9]*|0*) echo "exp_seeds: FIRST must be a positive integer, got '$FIRST'" >&2; exit 2;; esac
MUT=0
for a in "$@"; do [ "$a" = --mutant ] && MUT=1; done
mkdir -p "$OUT"
: >"$OUT/$P-verdicts.csv"
[ $MUT = 1 ] && : >"$OUT/$P-power.csv"
# id,verdict of each claim of a claims file (the claim text is quoted and may
# hold commas: take the verdict as the field before the last quoted detail)
verdicts() {
  awk -v s0="$1" 'NR > 1 { if (match($0, /,(REPRODUCED|NOT REPRODUCED|UNDECIDED),/)) {
      v = substr($0, RSTART + 1, RLENGTH - 2); split($0, f, ","); print s0 "," f[1] "," v } }' "$2"
}
for r in $(seq 0 $((REPS - 1))); do
  s0=$((FIRST + 10 * r)); d="$OUT/$P-seed$s0"; mkdir -p "$d"
  t0=$(date +%s)
  if ! "$BIN" spire experiment --preset "$P" --seed "$s0" --seeds 10 --out "$d" "$@" >"$d.out" 2>"$d.log"; then
    echo "exp_seeds: $P --seed $s0 failed (see $d.log)" >&2; exit 1
  fi
  if [ $MUT = 1 ]; then
    verdicts "$s0" "$d/claims_true.csv" >>"$OUT/$P-verdicts.csv"
    verdicts "$s0" "$d/claims.csv" >>"$OUT/$P-power.csv"
    extra=" wrong models: $(grep "^$s0," "$OUT/$P-power.csv" | cut -d, -f2,3 | tr '\n' ' ')"
  else
    verdicts "$s0" "$d/claims.csv" >>"$OUT/$P-verdicts.csv"
    extra=
  fi
  echo "exp_seeds: $P seeds $s0..$((s0 + 9)): $(grep "^$s0," "$OUT/$P-verdicts.csv" | cut -d, -f2,3 | tr '\n' ' ')$extra($(( $(date +%s) - t0 )) s)" >&2
done
# binomial helpers (awk): log((x-1)!) for integer x, P(X >= k), and the
# Clopper–Pearson bounds by bisection on the binomial tails
AWKLIB='
  function lgam(x,   s, i) { s = 0; for (i = 2; i < x; i++) s += log(i); return s }
  function tail(k, n, p,   s, j, lc) {     # P(X >= k), X ~ Binomial(n, p)
    if (k == 0) return 1; if (p <= 0) return 0; if (p >= 1) return 1; s = 0
    for (j = k; j <= n; j++) { lc = lgam(n + 1) - lgam(j + 1) - lgam(n - j + 1); s += exp(lc + j * log(p) + (n - j) * log(1 - p)) }
    return s }
  function cp_lo(k, n,   a, b, m, i) {    # P(X >= k | p) = 0.025
    if (k == 0) return 0; a = 0; b = 1
    for (i = 0; i < 60; i++) { m = (a + b) / 2; if (tail(k, n, m) < 0.025) a = m; else b = m }
    return (a + b) / 2 }
  function cp_hi(k, n,   a, b, m, i) {    # P(X <= k | p) = 0.025
    if (k == n) return 1; a = 0; b = 1
    for (i = 0; i < 60; i++) { m = (a + b) / 2; if (1 - tail(k + 1, n, m) > 0.025) a = m; else b = m }
    return (a + b) / 2 }'
rc=0
echo "preset,id,reps,reproduced,undecided,not_reproduced,tail_p,verdict"
awk -F, -v P="$P" -v n="$REPS" "$AWKLIB"'
  { c[$2 "," $3]++; ids[$2] = 1 }
  END { bad = 0
    for (id in ids) { k = c[id ",NOT REPRODUCED"] + 0; t = tail(k, n, 0.01)
      printf "%s,%s,%d,%d,%d,%d,%.4g,%s\n", P, id, n, c[id ",REPRODUCED"] + 0, c[id ",UNDECIDED"] + 0, k, t, t < 0.001 ? "FAIL" : "PASS"
      bad += t < 0.001 }
    exit bad > 0 }' "$OUT/$P-verdicts.csv" | sort -t, -k2,2 || rc=1
if [ $MUT = 1 ]; then
  echo "preset,id,reps,detected,power,lo95,hi95,verdict"
  awk -F, -v P="$P" -v n="$REPS" "$AWKLIB"'
    { ids[$2] = 1; if ($3 == "NOT REPRODUCED") det[$2]++ }
    END { bad = 0
      for (id in ids) { k = det[id] + 0
        printf "%s,%s,%d,%d,%.4g,%.4g,%.4g,%s\n", P, id, n, k, k / n, cp_lo(k, n), cp_hi(k, n), (k / n >= 0.99 ? "DETECTS" : "MISSES")
        bad += k / n < 0.99 }
      exit bad > 0 }' "$OUT/$P-power.csv" | sort -t, -k2,2 || rc=1
fi
exit $rc
