# tests/cli/mpi.sh — spirelab under mpirun (build-mpi/spirelab, make MPI=1;
# docs/mpi.md).  Sourced by tests/cli_test.sh: uses $BIN (for --merge),
# $tmp, ok, bad.  `make test` builds build-mpi/spirelab when
# mpicc is installed and passes it as $SPIRELAB_MPI; without it (or without
# mpirun) these checks are skipped with one line.
MPIBIN=${SPIRELAB_MPI:-build-mpi/spirelab}
if [ ! -x "$MPIBIN" ] || ! command -v mpirun >/dev/null 2>&1; then
  echo "mpi: skipped (no $MPIBIN or no mpirun; make MPI=1 builds it)"
else
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
# The one-process reference is the MPI binary itself run without mpirun (one
# rank): the same compiler flags, so bit-identical results are expected
# (build-san/spirelab, -O1, rounds differently from -O2 in places).
REF="$MPIBIN"
MP="--d 1,3,10 --sep 1,2,4 --pi 0.3 --n 100 --reps 16 --seed 5"
noseconds() { grep -v '^#' "$1" | cut -d, -f1-24; }
"$MPIBIN" --version | grep -q '(MPI)' && ok || bad "$MPIBIN --version does not say (MPI)"

# ---- property: the rows of N = 1, 2, 3 ranks (1 or 2 threads each) are those
#      of the one-process run, seconds aside; on stdout and in --out
"$REF" sweep $MP --threads 1 --out "$tmp/mpi_ref.csv" 2>/dev/null
for np in 1 2 3; do
  th=$(( np % 2 + 1 ))
  if $MPIRUN -np $np "$MPIBIN" sweep $MP --threads $th --out "$tmp/mpi_$np.csv" >"$tmp/out" 2>"$tmp/err"; then
    cmp -s <(noseconds "$tmp/mpi_ref.csv") <(noseconds "$tmp/mpi_$np.csv") && [ ! -s "$tmp/out" ] && ok \
      || bad "mpirun -np $np sweep --threads $th: rows differ from the one-process run"
  else bad "mpirun -np $np sweep: $(cat "$tmp/err")"; fi
done
$MPIRUN -np 3 "$MPIBIN" sweep $MP --threads 1 2>/dev/null | cut -d, -f1-24 | cmp -s - <(noseconds "$tmp/mpi_ref.csv") && ok \
  || bad "mpirun -np 3 sweep to stdout: rows differ from the one-process run"
# one cell (split in blocks of replicates over the ranks) and an uneven grid
# (d = 1 and d = 1000 explicit, handed out longest first): still the same rows
M1="--d 1 --sep 2 --n 300 --reps 50 --seed 9"
"$REF" sweep $M1 --threads 1 2>/dev/null | cut -d, -f1-24 >"$tmp/mpi_1cell.csv"
$MPIRUN -np 3 "$MPIBIN" sweep $M1 --threads 2 2>/dev/null | cut -d, -f1-24 | cmp -s - "$tmp/mpi_1cell.csv" && ok \
  || bad "mpirun -np 3 sweep of one cell in blocks: rows differ from the one-process run"
MU="--d 1,1000 --sep 1,2 --n 200 --reps 30 --mc explicit --avg --seed 3 --threads 1"
"$REF" sweep $MU 2>/dev/null | cut -d, -f1-24 >"$tmp/mpi_u.csv"
$MPIRUN -np 2 "$MPIBIN" sweep $MU 2>/dev/null | cut -d, -f1-24 | cmp -s - "$tmp/mpi_u.csv" && ok \
  || bad "mpirun -np 2 sweep of an uneven grid: rows differ from the one-process run"
# shards under MPI, merged by the plain binary
for i in 1 2 3; do $MPIRUN -np 2 "$MPIBIN" sweep $MP --threads 1 --shard $i/3 --out "$tmp/mpi_s$i.csv" 2>/dev/null; done
"$BIN" sweep --merge "$tmp/mpi_s1.csv" "$tmp/mpi_s2.csv" "$tmp/mpi_s3.csv" 2>/dev/null | cut -d, -f1-24 \
  | cmp -s - <(noseconds "$tmp/mpi_ref.csv") && ok || bad "mpirun shards 1/3..3/3 merged: not the one-process CSV"

# ---- SIGKILL of a running MPI sweep, then --resume under MPI: the same CSV
# long enough (about 4 s on one core) that the first rewrite of --out (after
# 1 s) comes well before the end on a fast machine
MK="--d 1,2,3,4,5,6,7,8 --sep 1,2 --pi 0.3 --n 600 --reps 400 --seed 7 --threads 1"
"$REF" sweep $MK --out "$tmp/mpi_kref.csv" 2>/dev/null
$MPIRUN -np 3 "$MPIBIN" sweep $MK --out "$tmp/mpi_k.csv" >/dev/null 2>&1 &
mpid=$!
for i in $(seq 1 200); do
  sleep 0.05
  [ -f "$tmp/mpi_k.csv" ] && [ "$(wc -l <"$tmp/mpi_k.csv")" -gt 3 ] && break
done
kill -9 $(pgrep -P $mpid) $mpid 2>/dev/null
wait $mpid 2>/dev/null
rows=$(($(wc -l <"$tmp/mpi_k.csv") - 1))
$MPIRUN -np 3 "$MPIBIN" sweep $MK --out "$tmp/mpi_k.csv" --resume >/dev/null 2>"$tmp/err"
if [ $? -eq 0 ] && cmp -s <(noseconds "$tmp/mpi_kref.csv") <(noseconds "$tmp/mpi_k.csv"); then ok
else bad "mpirun sweep killed after $rows rows, then --resume: differs from the one-process run $(cat "$tmp/err")"; fi
[ "$rows" -lt 32 ] && ok || bad "mpirun sweep SIGKILL test: the run finished ($rows rows) before it was killed"
# --resume of a file holding the second half of the grid (rank 0 knows which
# cells are kept; every rank must plan the same remaining work)
MH="--d 1,2,3,4,5,6,7,8 --sep 1,2 --pi 0.3 --n 200 --reps 30 --seed 7 --threads 1"
"$REF" sweep $MH --out "$tmp/mpi_href.csv" 2>/dev/null
grep -v '^[0-7],' "$tmp/mpi_href.csv" >"$tmp/mpi_h.csv"
$MPIRUN -np 3 "$MPIBIN" sweep $MH --out "$tmp/mpi_h.csv" --resume >/dev/null 2>&1
cmp -s <(noseconds "$tmp/mpi_href.csv") <(noseconds "$tmp/mpi_h.csv") && ok \
  || bad "mpirun sweep --resume of the second half of the grid: differs from the one-process run"

# ---- failures: a rank whose cells fail (test hook) ends the run: exit 1, one
#      line (mpirun -q: without OpenMPI's own notice), no --out
SPIRELAB_TEST_FAIL_RANK=1 $MPIRUN -q -np 3 "$MPIBIN" sweep $MP --threads 1 --out "$tmp/mpi_f.csv" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^spirelab sweep: rank 1: cell [0-9]* failed' "$tmp/err" \
  && [ ! -e "$tmp/mpi_f.csv" ] && [ ! -s "$tmp/out" ] && ok \
  || bad "mpirun sweep with a failing rank: exit $rc, expected 1, one line, no --out: $(grep '^spirelab' "$tmp/err")"
# a bad flag: every rank sees it, one line is printed, exit 2
$MPIRUN -q -np 3 "$MPIBIN" sweep --sep 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- '--sep' "$tmp/err" && [ ! -s "$tmp/out" ] && ok \
  || bad "mpirun sweep --sep 0: exit $rc, expected 2 and one line: $(cat "$tmp/err")"
# rank 0 cannot write --out: every rank stops, exit 2
$MPIRUN -q -np 2 "$MPIBIN" sweep $MP --out "$tmp/nodir/x.csv" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok || bad "mpirun sweep, unwritable --out: exit $rc: $(cat "$tmp/err")"

# ---- federated pre-training: the checkpoint of 3 ranks is the one of 1 rank
#      and of the plain binary, byte for byte (and --resume under MPI too)
FP="--clients 8 --new 1 --frac 0.6 --hidden 16 --temb 8 --local-steps 3 --batch 16 --T 100 --n 100 --seed 4 --rounds 6"
"$REF" spire pretrain $FP --state "$tmp/fed_ref.state" --log "$tmp/fed_ref.log" >/dev/null 2>&1
for np in 1 3; do
  $MPIRUN -np $np "$MPIBIN" spire pretrain $FP --state "$tmp/fed_$np.state" --log "$tmp/fed_$np.log" >/dev/null 2>"$tmp/err"
  cmp -s "$tmp/fed_ref.state" "$tmp/fed_$np.state" && cmp -s "$tmp/fed_ref.log" "$tmp/fed_$np.log" && ok \
    || bad "mpirun -np $np spire pretrain: checkpoint or log differs from the one-process run $(cat "$tmp/err")"
done
$MPIRUN -np 2 "$MPIBIN" spire pretrain ${FP/--rounds 6/--rounds 3} --state "$tmp/fed_r.state" >/dev/null 2>&1
$MPIRUN -np 3 "$MPIBIN" spire pretrain $FP --state "$tmp/fed_r.state" --resume >/dev/null 2>&1
cmp -s "$tmp/fed_ref.state" "$tmp/fed_r.state" && ok || bad "mpirun spire pretrain --resume: checkpoint differs"
# the whole protocol, tiny: rank 0's files are those of one process
FE="--clients 6 --new 1 --hidden 16 --temb 8 --local-steps 3 --batch 16 --T 100 --n 100 --rounds 4 --adapt-steps 5"
FE="$FE --local-train-steps 10 --n-gen 30 --ddim-steps 5 --kid-subsets 2 --kid-size 10 --no-robust --seeds 1 --seed 3"
"$REF" spire experiment $FE --out "$tmp/fexp1" >"$tmp/fexp1.out" 2>/dev/null
$MPIRUN -np 3 "$MPIBIN" spire experiment $FE --out "$tmp/fexp3" >"$tmp/fexp3.out" 2>"$tmp/err"
same=1
for f in clients.csv table.csv rounds.csv probe.csv bridge.csv; do cmp -s "$tmp/fexp1/$f" "$tmp/fexp3/$f" || same=0; done
[ $same -eq 1 ] && cmp -s "$tmp/fexp1.out" "$tmp/fexp3.out" && ok \
  || bad "mpirun -np 3 spire experiment: files differ from the one-process run $(cat "$tmp/err")"
fi
