# tests/cli/ksweep.sh — spirelab sweep with K components (--kpi, --means,
# --means-file; THEORY.md s10, docs/kcomponents.md).
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

printf '0 1.5\n-1.29903810567666 -0.75\n1.29903810567666 -0.75\n' > "$tmp/ks_m3"
printf '0 0 0\n1 0 0\n0 1 0\n0 0 1\n' > "$tmp/ks_rank3"
printf '0 1.5\n-1.3 x\n1.3 -0.75\n' > "$tmp/ks_bad"
printf '1 0\n-1 0\n' > "$tmp/ks_m2"
K3="--kpi 0.2,0.3,0.5 --means 0,1.5,3"
ksnosec() { grep -v '^#' "$1" | cut -d, -f1-24; }

# ---- bad input: exit 2, nothing on stdout, one line naming the flag
expect_bad "--kpi"        -- sweep --kpi '0.2,0.3,0.5;0.5,0.5' --means 1,2,3        # lengths differ
expect_bad "--kpi"        -- sweep --kpi 0.2,0.3,0.5 --kpi 0.5,0.5 --means 1,2,3
expect_bad "--means"      -- sweep --kpi 0.2,0.3,0.5 --means 1,2                     # weights vs means
expect_bad "--kpi"        -- sweep --kpi 0.2,0.3,0.5000001 --means 1,2,3            # sum not 1
expect_bad "within 1e-12" -- sweep --kpi 0.2,0.3,0.50000000001 --means 1,2,3
expect_bad "--kpi"        -- sweep --kpi 1.2,-0.1,-0.1 --means 1,2,3
expect_bad "(0, 1)"       -- sweep --kpi 0,0.5,0.5 --means 1,2,3
expect_bad "--kpi"        -- sweep --kpi '0.2,0.8;' --means 1,2
expect_bad "--kpi"        -- sweep --kpi '0.2,,0.8' --means 1,2
expect_bad "--kpi"        -- sweep --kpi '' --means 1,2
expect_bad "--kpi"        -- sweep --kpi '0.2,0.3,0.5;0.2,0.3,0.5' --means 1,2,3    # a vector twice
expect_bad "--kpi"        -- sweep --kpi 0.2,0.8 --kpi 0.2,0.8 --means 1,2           # (K = 2 too)
expect_bad "--pi"         -- sweep --pi 0.3 $K3                                     # mixing the two forms
expect_bad "--pi"         -- sweep $K3 --pi 0.3,0.4
expect_bad "--sep"        -- sweep $K3 --sep 2
expect_bad "--shift"      -- sweep $K3 --shift 1
expect_bad "--kpi"        -- sweep --means 1,2,3                                    # means without weights
expect_bad "--means"      -- sweep --kpi 0.2,0.3,0.5                                # weights without means
expect_bad "--means"      -- sweep --kpi 0.2,0.3,0.5 --means 1,2,1                  # repeated means
expect_bad "--means-file" -- sweep --kpi 0.1,0.2,0.3,0.4 --means-file "$tmp/ks_rank3"   # r = 3
expect_bad "--means-file" -- sweep --kpi 0.2,0.3,0.5 --means-file "$tmp/ks_bad"
expect_bad "--means-file" -- sweep --kpi 0.2,0.3,0.5 --means-file "$tmp/ks_absent"
expect_bad "--means-file" -- sweep --kpi 0.2,0.3,0.5 --means 1,2,3 --means-file "$tmp/ks_m3"
expect_bad "--d"          -- sweep --kpi 0.2,0.3,0.5 --means-file "$tmp/ks_m3" --d 1,5
expect_bad "--avg"        -- sweep $K3 --avg
expect_bad "--avg"        -- sweep $K3 --avg --weighting x0
expect_bad "--weighting"  -- sweep $K3 --weighting x0
expect_bad "20000000 cells (1000 x 2 x 1 x 10000)" -- sweep --kpi '0.2,0.3,0.5;0.5,0.3,0.2' --means 1,2,3 --d 1:1000:1000 --n 1:10000:10000

# ---- K = 2 given as --kpi and the means: exactly today's rows (seconds aside)
kssame() {  # kssame LABEL -- ARGS1... -- ARGS2...
  local label=$1; shift; shift
  local a=() b=(); while [ "$1" != "--" ]; do a+=("$1"); shift; done; shift; b=("$@")
  "$BIN" sweep "${a[@]}" --out "$tmp/ks_a.csv" 2>/dev/null; "$BIN" sweep "${b[@]}" --out "$tmp/ks_b.csv" 2>/dev/null
  if [ -s "$tmp/ks_a.csv" ] && [ "$(wc -l <"$tmp/ks_a.csv")" -gt 1 ] \
     && cmp -s <(ksnosec "$tmp/ks_a.csv") <(ksnosec "$tmp/ks_b.csv"); then ok
  else bad "sweep K=2 by --kpi differs from today's rows: $label"; fi
}
kssame line  -- --pi 0.3,0.2 --sep 2 --n 100,300 --reps 10 -- --kpi '0.3,0.7;0.2,0.8' --means 1,-1 --n 100,300 --reps 10
kssame flags -- --pi 0.3,0.2 --sep 2 --n 100 --reps 10     -- --kpi 0.3,0.7 --kpi 0.2,0.8 --means -1,1 --n 100 --reps 10
kssame shift -- --pi 0.25 --sep 3 --shift 1 --d 1,4 --mc explicit --n 80 --reps 8 --t 100,600 \
             -- --kpi 0.25,0.75 --means 2.5,-0.5 --d 1,4 --mc explicit --n 80 --reps 8 --t 100,600
kssame file  -- --pi 0.3 --sep 2 --d 2 --n 150 --reps 10   -- --kpi 0.3,0.7 --means-file "$tmp/ks_m2" --n 150 --reps 10
kssame avg   -- --pi 0.4 --sep 1.5 --shift -0.75 --avg --weighting x0 --n 120 --reps 6 --estimator ddpm \
             -- --kpi 0.4,0.6 --means 0,1.5 --avg --weighting x0 --n 120 --reps 6 --estimator ddpm

# ---- K = 3: the K-component CSV
KS="--kpi 0.2,0.3,0.5;0.5,0.3,0.2 --means-file $tmp/ks_m3 --d 2,20 --n 80 --alpha 0.5,0.8 --reps 6 --seed 4"
if "$BIN" sweep $KS --threads 1 >"$tmp/ks_1.csv" 2>"$tmp/err"; then
  head -1 "$tmp/ks_1.csv" | grep -qx 'cell,d,K,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,means,rmse,rmse_se,rmse_sandwich,rmse_crlb,p_mean,p_sd,sd_sandwich,sd_crlb,nonconv,seconds' \
    && ok || bad "sweep K=3: header: $(head -1 "$tmp/ks_1.csv")"
  [ "$(grep -c '^[0-9]' "$tmp/ks_1.csv")" -eq 16 ] && ok || bad "sweep K=3: expected 16 rows (8 cells x 2 estimators)"
  awk -F, 'NR > 1 && (NF != 25 || $3 != 3 || split($20, p, ";") != 3 || $15 != "0 1.5;-1.29903810567666 -0.75;1.29903810567666 -0.75") { exit 1 }' \
    "$tmp/ks_1.csv" && ok || bad "sweep K=3: a row without 25 fields, K = 3 or 3 weights"
  grep -q '^5,20,3,0.2;0.3;0.5,80,alpha,,,,0.8,mle,projected,6,4,' "$tmp/ks_1.csv" && ok || bad "sweep K=3: cell 5 is not d 20, first vector, a = 0.8"
else bad "sweep K=3: $(cat "$tmp/err")"; fi
# property: threads, shards merged, resume — the rows of one run
"$BIN" sweep $KS --threads 2 2>/dev/null | cut -d, -f1-24 | cmp -s - <(ksnosec "$tmp/ks_1.csv") && ok \
  || bad "sweep K=3: --threads 2 rows differ from --threads 1"
for i in 1 2 3; do "$BIN" sweep $KS --shard $i/3 --out "$tmp/ks_s$i.csv" 2>/dev/null; done
"$BIN" sweep --merge "$tmp/ks_s2.csv" "$tmp/ks_s3.csv" "$tmp/ks_s1.csv" 2>"$tmp/err" | cut -d, -f1-24 \
  | cmp -s - <(ksnosec "$tmp/ks_1.csv") && ok || bad "sweep K=3: shards merged are not the one-run CSV: $(cat "$tmp/err")"
head -6 "$tmp/ks_1.csv" >"$tmp/ks_r.csv"
"$BIN" sweep $KS --out "$tmp/ks_r.csv" --resume 2>/dev/null
cmp -s <(ksnosec "$tmp/ks_r.csv") <(ksnosec "$tmp/ks_1.csv") && ok || bad "sweep K=3 --resume: differs from one run"
expect_bad "not a row of this sweep" -- sweep ${KS/0.5,0.3,0.2/0.4,0.4,0.2} --out "$tmp/ks_r.csv" --resume
"$BIN" sweep --pi 0.3 --sep 2 --n 50 --reps 3 --shard 3/3 --out "$tmp/ks_two3.csv" 2>/dev/null
expect_bad "different sweeps" -- sweep --merge "$tmp/ks_s1.csv" "$tmp/ks_s2.csv" "$tmp/ks_two3.csv"

# ---- under mpirun (when built): the rows of one process, a cell split in blocks
MPIBIN=${SPIRELAB_MPI:-build-mpi/spirelab}
if [ -x "$MPIBIN" ] && command -v mpirun >/dev/null 2>&1; then
  KM="--kpi 0.2,0.3,0.5 --means 0,1.5,3 --n 150 --reps 24 --seed 2 --threads 1"
  "$MPIBIN" sweep $KM 2>/dev/null | cut -d, -f1-24 >"$tmp/ks_mref.csv"
  mpirun --allow-run-as-root --oversubscribe -np 3 "$MPIBIN" sweep $KM 2>/dev/null | cut -d, -f1-24 \
    | cmp -s - "$tmp/ks_mref.csv" && [ -s "$tmp/ks_mref.csv" ] && ok \
    || bad "mpirun -np 3 sweep K=3 (one cell in blocks): rows differ from one process"
fi
