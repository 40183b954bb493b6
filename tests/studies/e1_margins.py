#!/usr/bin/env python3
"""tests/studies/e1_margins.py — E1's margins and resampled power from an
exp_seeds.sh --mutant study (docs/claims.md, "E1 rerun").

usage: e1_margins.py OUTDIR PRESET [DRAWS]

Reads every OUTDIR/PRESET-seed*/ run (seeds.csv: the true SPIRE's and
FedAvg's per-seed pre-training KID; mutant_seeds.csv: E1's wrong model's) and
prints, per preset: the wrong/FedAvg KID ratio (of the means, and the
smallest per seed), the seeds in which the wrong model is within 10% of
FedAvg, and the resampled power: DRAWS (default 20000) experiments of 10
seeds drawn with replacement from the pooled per-seed triples, each decided
by E1's rule, re-implemented here independently of the C library (exact
Wilcoxon signed-rank interval of the Hodges-Lehmann pseudo-median at 98%,
threshold -0.10).  Standard library only; fixed seed (1)."""
import csv, glob, random, statistics, sys


def critical(n, a):
    """Largest c with P(W+ <= c) <= a under the signed-rank null (counts), or -1."""
    N = n * (n + 1) // 2
    cnt = [1] + [0] * N
    for k in range(1, n + 1):
        for w in range(N, k - 1, -1):
            cnt[w] += cnt[w - k]
    acc, c = 0, -1
    for w in range(N + 1):
        acc += cnt[w]
        if acc > a * 2 ** n:
            break
        c = w
    return c


def interval(d, level=0.98):
    A = sorted((d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d)))
    c = critical(len(d), (1 - level) / 2)
    if c < 0:
        return float("-inf"), float("inf")
    return A[c], A[len(A) - 1 - c]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: e1_margins.py OUTDIR PRESET [DRAWS]")
    out, preset = sys.argv[1], sys.argv[2]
    draws = int(sys.argv[3]) if len(sys.argv) == 4 else 20000
    trip = []
    for d in sorted(glob.glob(f"{out}/{preset}-seed*/mutant_seeds.csv")):
        base = d[: -len("mutant_seeds.csv")]
        kid = {(r["seed"], r["method"]): float(r["kid_pre"]) for r in csv.DictReader(open(base + "seeds.csv"))}
        for r in csv.DictReader(open(d)):
            trip.append((float(r["kid_pre"]), kid[(r["seed"], "fedavg")], kid[(r["seed"], "spire")]))
    if not trip:
        sys.exit(f"e1_margins: no {out}/{preset}-seed*/mutant_seeds.csv (run exp_seeds.sh with --mutant)")
    ratio = [m / f for m, f, _ in trip]
    print(f"{preset}: {len(trip)} seeds; wrong / FedAvg KID {statistics.mean(m for m, _, _ in trip):.4g} / "
          f"{statistics.mean(f for _, f, _ in trip):.4g}; smallest per-seed ratio {min(ratio):.3g}; "
          f"within 10% of FedAvg: {sum(x < 1.1 for x in ratio)}")
    rng = random.Random(1)
    det = rep = 0
    for _ in range(draws):
        x = [rng.choice(trip) for _ in range(10)]
        fm = statistics.mean(f for _, f, _ in x)
        det += interval([(f - m) / fm for m, f, _ in x])[1] < -0.10
        rep += interval([(f - s) / fm for _, f, s in x])[0] > -0.10
    print(f"{preset}: resampled 10-seed experiments ({draws}): wrong model NOT REPRODUCED {det}, "
          f"true model REPRODUCED {rep}")


if __name__ == "__main__":
    main()
