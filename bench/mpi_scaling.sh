#!/usr/bin/env bash
# bench/mpi_scaling.sh — spirelab sweep under MPI (docs/mpi.md, "Scaling"):
#  1. strong scaling on this machine: the F3 grid (d = 1 … 10^4 explicit,
#     n = 100, 1000; --reps $MPI_BENCH_REPS, default 60) with 1 and 2 ranks of
#     1 thread each, rows checked identical (target: speedup >= 1.8);
#  2. the inputs of the cluster model: the per-cell cost (a fit of the cells'
#     seconds to reps * n * (d + 21), the model plan_units uses) and the cost
#     of one unit of communication (2000 trivial cells, 1 vs 2 ranks);
#     (the cost model is pc_sweep_cell_cost, proofs_check/sweep.h)
#  3. the model's predicted efficiency at 64 and 1024 ranks for the F3 grid
#     (reps 200, as `spirelab figs` runs it) and a 10^4-cell grid (reps 400).
# Run by `make bench`; skipped (exit 0) without build-mpi/spirelab (make MPI=1).
# Timings are of whatever else the machine runs: the load average is printed.
set -euo pipefail
MPIBIN=${SPIRELAB_MPI:-build-mpi/spirelab}
if [ ! -x "$MPIBIN" ] || ! command -v mpirun >/dev/null 2>&1; then
  echo "mpi_scaling: skipped (no $MPIBIN or no mpirun; make MPI=1 builds it)"
  exit 0
fi
MR="mpirun --allow-run-as-root --oversubscribe"
REPS=${MPI_BENCH_REPS:-60}
F3="--d 1,3,10,30,100,300,1000,3000,10000 --sep 2 --pi 0.3 --alpha 0.7 --n 100,1000 --estimator ddpm --mc explicit --seed 1 --threads 1"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "mpi_scaling: load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: ratios measured in one run)"
# ---- 1. strong scaling (and mpirun's start-up, to take out of the busy fractions)
a=$(now); $MR -np 2 "$MPIBIN" --version >/dev/null; b=$(now); u0=$(secs "$a" "$b")
a=$(now); $MR -np 1 "$MPIBIN" sweep $F3 --reps "$REPS" --out "$dir/f1.csv" 2>/dev/null; b=$(now)
$MR -np 2 "$MPIBIN" sweep $F3 --reps "$REPS" --out "$dir/f2.csv" 2>/dev/null; c=$(now)
t1=$(secs "$a" "$b"); t2=$(secs "$b" "$c")
if ! cmp -s <(cut -d, -f1-24 "$dir/f1.csv") <(cut -d, -f1-24 "$dir/f2.csv"); then
  echo "mpi_scaling: the rows of 1 and 2 ranks differ"; exit 1
fi
# busy fraction: the cells' own wall times (the seconds column) over ranks x
# wall time of the run (start-up out): how evenly the work was spread and how
# little the ranks waited, whatever else slows the CPUs down
busy() { awk -F, -v p="$2" -v t="$3" -v u="$4" 'NR > 1 && $11 == "ddpm" { s += $25 } END { printf "%.2f", s / (p * (t - u)) }' "$1"; }
b1=$(busy "$dir/f1.csv" 1 "$t1" "$u0"); b2=$(busy "$dir/f2.csv" 2 "$t2" "$u0")
awk -v t1="$t1" -v t2="$t2" -v r="$REPS" -v b1="$b1" -v b2="$b2" 'BEGIN {
  s = t1 / t2
  printf "  F3 grid, 18 cells x %d reps, explicit, 1 thread per rank:\n", r
  printf "  %-44s %9.2f s   busy fraction %.2f\n  %-44s %9.2f s   busy fraction %.2f\n", "1 rank", t1, b1, "2 ranks", t2, b2
  printf "  %-44s %9.2f   (target >= 1.8: %s), efficiency %.2f\n", "speedup", s, (s >= 1.8 ? "met" : "NOT met"), s / 2 }'

# ---- 2a. per-cell cost: seconds = kappa * reps * n * (d + 21), least squares through 0
kappa=$(awk -F, 'NR > 1 { x = $13 * $5 * ($2 + 21); sx += x * $25; xx += x * x }
                 END { printf "%.6g", sx / xx }' "$dir/f1.csv")
awk -F, -v k="$kappa" 'NR > 1 { x = $13 * $5 * ($2 + 21); p = k * x
    printf "    cell d=%-6s n=%-5s %8.3f s measured  %8.3f s model\n", $2, $5, $25, p }' "$dir/f1.csv" \
  | sort -t= -k2 -n | awk 'NR == 1 || NR % 4 == 0'
printf "  %-44s %9.3g s per replicate per n*(d+21)\n" "per-cell cost kappa (fit over the 18 cells)" "$kappa"

# ---- 2b. communication: 2000 trivial cells (n = 1, 1 replicate, mle only)
TR="--d 1 --sep 0.5:8:2000 --n 1 --reps 1 --estimator mle --seed 1 --threads 1"
a=$(now); $MR -np 1 "$MPIBIN" sweep $TR --out "$dir/t1.csv" 2>/dev/null; b=$(now)
$MR -np 2 "$MPIBIN" sweep $TR --out "$dir/t2.csv" 2>/dev/null; c=$(now)
u1=$(secs "$a" "$b"); u2=$(secs "$b" "$c")
bytes=$(awk -F, 'NR > 1 { s += length($0) + 1 } END { printf "%.0f", s / (NR - 1) }' "$dir/t2.csv")
# per unit at rank 0 (served between its own cells): the 2-rank run minus the
# start-up, against the local cost of a trivial cell from the 1-rank run
o=$(awk -v u0="$u0" -v u1="$u1" -v u2="$u2" 'BEGIN {
  c = (u1 - u0) / 2000; if (c < 0) c = 0
  w = (u2 - u0) / 2000; o = w - c / 2; if (o < 1e-6) o = 1e-6; printf "%.3g", o }')
printf "  %-44s %9.2f s (1 rank), %.2f s (2 ranks), start-up %.2f s\n" "2000 trivial cells" "$u1" "$u2" "$u0"
printf "  %-44s %9s s per unit; %s bytes of rows + 16 + 8 per unit\n" "communication + rank-0 service (measured)" "$o" "$bytes"

# ---- 3. the model (docs/mpi.md): units as plan_units makes them (cells longest
# first; a cell above 1/8 of a rank's share split into <= reps blocks); list
# scheduling on the workers (P - 1 of them beyond 4 ranks: rank 0 only
# dispatches), each unit costing its compute + o; rank 0 serves one unit per
# o seconds at most; start-up and the final write left out.
model() {   # $1 = P, $2 = reps, stdin: "n d" per cell; prints E, units, W, T
  awk -v R="$2" -v k="$kappa" '{ printf "%.9g\n", k * R * $1 * ($2 + 21) }' | sort -g -r |
  awk -v P="$1" -v R="$2" -v o="$o" '
    { s[NR] = $1; W += $1; n = NR }
    END {
      workers = P > 4 ? P - 1 : P
      share = W / (8 * P); U = 0
      for (i = 1; i <= n; i++) {
        B = int(s[i] / share); if (B * share < s[i]) B++; if (B < 1) B = 1; if (B > R) B = R
        for (b = 0; b < B; b++) { U++; cost[U] = s[i] * (int(R * (b + 1) / B) - int(R * b / B)) / R }
      }
      for (w = 1; w <= workers; w++) f[w] = 0
      for (u = 1; u <= U; u++) {            # the earliest free worker takes the next unit
        best = 1; for (w = 2; w <= workers; w++) if (f[w] < f[best]) best = w
        f[best] += cost[u] + o
      }
      T = 0; for (w = 1; w <= workers; w++) if (f[w] > T) T = f[w]
      if (U * o > T) T = U * o              # rank 0 answers one unit at a time
      printf "%.2f %d %.3g %.3g\n", W / (P * T), U, W, T }'
}
f3cells() { for d in 1 3 10 30 100 300 1000 3000 10000; do for n in 100 1000; do echo "$n $d"; done; done; }
# 10^4 cells: d 1:10000:10log x n 100:1000:10log x sep 10 x pi 10 (sep, pi do not change the cost)
bigcells() { awk 'BEGIN { for (i = 0; i < 10; i++) for (s = 0; s < 100; s++) for (j = 0; j < 10; j++) {
  d = int(exp(log(10000) * i / 9) + 0.5); n = int(100 * exp(log(10) * j / 9) + 0.5); print n, d } }'; }
echo "  model (docs/mpi.md): predicted efficiency E = W / (P T)   [units, work W (core-s), makespan T (s)]"
for P in 64 1024; do
  read -r e u w t < <(f3cells | model "$P" 200)
  printf "    %-42s %5.2f   [%d units, W %s, T %s]\n" "F3 grid (18 cells x 200 reps), P = $P" "$e" "$u" "$w" "$t"
  read -r e u w t < <(bigcells | model "$P" 400)
  printf "    %-42s %5.2f   [%d units, W %s, T %s]\n" "10^4-cell grid (x 400 reps), P = $P" "$e" "$u" "$w" "$t"
done
