#!/usr/bin/env bash
# tests/studies/exp_seeds.sh — the seed study of the federated verdicts E1–E5
# (docs/claims.md, "The federated verdicts over repeated experiments"; run by
# `make check-seeds`, not by CI).
#
# One "seed" of this study is a whole 10-seed experiment: `spirelab spire
# experiment --preset P --seed S0 --seeds 10` with S0 = 1, 11, 21, …, so the
# repetitions use disjoint seeds.  Each E claim's verdict is REPRODUCED,
# UNDECIDED or NOT REPRODUCED (98% intervals, Bonferroni over its
# comparisons: a false NOT REPRODUCED has probability ≤ 1% when the claim
# holds, spire/experiment.h).  Per claim the study counts the three verdicts
# and, as `spirelab check --seeds` does, asks whether the NOT REPRODUCED
# count is improbable under the 1% rate: tail P(X ≥ k | Binomial(reps, 0.01))
# < 0.001 prints FAIL (then the claim does not hold in this setting, or its
# null model is miscalibrated: the study cannot tell which).
#
# usage: exp_seeds.sh SPIRELAB PRESET REPS OUTDIR [experiment flags...]
# CSV on stdout: preset,id,reps,reproduced,undecided,not_reproduced,tail_p,verdict
# progress on stderr; exit 1 if a run fails or a claim FAILs.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 SPIRELAB PRESET REPS OUTDIR [experiment flags...]" >&2; exit 2; }
BIN=$1; P=$2; REPS=$3; OUT=$4; shift 4
mkdir -p "$OUT"
: >"$OUT/$P-verdicts.csv"
for r in $(seq 0 $((REPS - 1))); do
  s0=$((1 + 10 * r)); d="$OUT/$P-seed$s0"; mkdir -p "$d"
  t0=$(date +%s)
  if ! "$BIN" spire experiment --preset "$P" --seed "$s0" --seeds 10 --out "$d" "$@" >"$d.out" 2>"$d.log"; then
    echo "exp_seeds: $P --seed $s0 failed (see $d.log)" >&2; exit 1
  fi
  # id,verdict of each claim (the claim text is quoted and may hold commas: take the
  # verdict as the field before the last quoted detail)
  awk -v s0="$s0" 'NR > 1 { if (match($0, /,(REPRODUCED|NOT REPRODUCED|UNDECIDED),/)) {
      v = substr($0, RSTART + 1, RLENGTH - 2); split($0, f, ","); print s0 "," f[1] "," v } }' \
    "$d/claims.csv" >>"$OUT/$P-verdicts.csv"
  echo "exp_seeds: $P seeds $s0..$((s0 + 9)): $(grep "^$s0," "$OUT/$P-verdicts.csv" | cut -d, -f2,3 | tr '\n' ' ')($(( $(date +%s) - t0 )) s)" >&2
done
echo "preset,id,reps,reproduced,undecided,not_reproduced,tail_p,verdict"
awk -F, -v P="$P" -v n="$REPS" '
  { c[$2 "," $3]++; ids[$2] = 1 }
  function tail(k, n, p,   s, j, lc) {     # P(X >= k), X ~ Binomial(n, p)
    if (k == 0) return 1; s = 0
    for (j = k; j <= n; j++) { lc = lgam(n + 1) - lgam(j + 1) - lgam(n - j + 1); s += exp(lc + j * log(p) + (n - j) * log(1 - p)) }
    return s }
  function lgam(x,   s, i) { s = 0; for (i = 2; i < x; i++) s += log(i); return s }   # log((x-1)!) for integer x
  END { bad = 0
    for (id in ids) { k = c[id ",NOT REPRODUCED"] + 0; t = tail(k, n, 0.01)
      printf "%s,%s,%d,%d,%d,%d,%.4g,%s\n", P, id, n, c[id ",REPRODUCED"] + 0, c[id ",UNDECIDED"] + 0, k, t, t < 0.001 ? "FAIL" : "PASS"
      bad += t < 0.001 }
    exit bad > 0 }' "$OUT/$P-verdicts.csv" | sort -t, -k2,2
