# tests/cli/shard.sh — spirelab sweep --shard I/N and --merge (no MPI needed).
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

SH="--d 1,3 --sep 1,2,4 --pi 0.3 --n 100 --reps 12 --seed 5 --threads 1"
noseconds() { grep -v '^#' "$1" | cut -d, -f1-24; }

# ---- bad --shard values: exit 2, one line naming --shard
for s in 0/3 4/3 1/0 a/3 1/ /3 3 1/3x -1/3 1//3 ""; do
  expect_bad "--shard" -- sweep $SH --shard "$s"
done

# ---- property: shards 1/3..3/3 merged (in any order) = one run, seconds aside
"$BIN" sweep $SH --out "$tmp/sh_one.csv" 2>/dev/null
for i in 1 2 3; do "$BIN" sweep $SH --shard $i/3 --out "$tmp/sh_$i.csv" 2>/dev/null; done
head -1 "$tmp/sh_2.csv" | grep -q '^# spirelab-sweep-shard 2/3 id=[0-9a-f]\{16\} cells=6 estimators=ddpm,mle$' && ok \
  || bad "sweep --shard: first line is not the shard line: $(head -1 "$tmp/sh_2.csv")"
[ "$(grep -vc '^[#c]' "$tmp/sh_2.csv")" -eq 4 ] && ok || bad "sweep --shard 2/3: expected cells 1, 4 (2 rows each)"
if "$BIN" sweep --merge "$tmp/sh_3.csv" "$tmp/sh_1.csv" "$tmp/sh_2.csv" --out "$tmp/sh_m.csv" 2>"$tmp/err"; then
  cmp -s <(noseconds "$tmp/sh_one.csv") <(noseconds "$tmp/sh_m.csv") && ok || bad "sweep --merge: not the CSV of one run"
else bad "sweep --merge: $(cat "$tmp/err")"; fi
"$BIN" sweep --merge "$tmp/sh_1.csv" "$tmp/sh_2.csv" "$tmp/sh_3.csv" | cut -d, -f1-24 | cmp -s - <(noseconds "$tmp/sh_one.csv") && ok \
  || bad "sweep --merge to stdout: not the CSV of one run"
# stdout of a shard: the shard line, the header, its rows
"$BIN" sweep $SH --shard 1/3 2>/dev/null | cut -d, -f1-24 | cmp -s - <(cut -d, -f1-24 "$tmp/sh_1.csv") && ok \
  || bad "sweep --shard to stdout differs from --out"

# ---- a shard killed half-way resumes
head -4 "$tmp/sh_3.csv" >"$tmp/sh_r.csv"
"$BIN" sweep $SH --shard 3/3 --out "$tmp/sh_r.csv" --resume 2>/dev/null
cmp -s <(cut -d, -f1-24 "$tmp/sh_r.csv") <(cut -d, -f1-24 "$tmp/sh_3.csv") && ok || bad "sweep --shard --resume: differs"
expect_bad "not '# spirelab-sweep-shard 1/3" -- sweep $SH --shard 1/3 --out "$tmp/sh_r.csv" --resume

# ---- merges that must be refused: one line, exit 2, no --out
"$BIN" sweep $SH --seed 6 --shard 3/3 --out "$tmp/sh_x3.csv" 2>/dev/null
head -4 "$tmp/sh_2.csv" >"$tmp/sh_inc.csv"
{ head -2 "$tmp/sh_2.csv"; grep '^0,' "$tmp/sh_1.csv"; } >"$tmp/sh_ovl.csv"
"$BIN" sweep --d 1,2 --sep 1 --reps 2 --n 50 --shard 1/3 --out "$tmp/sh_o.csv" 2>/dev/null
expect_bad "missing"     -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_2.csv"
expect_bad "overlap"     -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_1.csv" "$tmp/sh_2.csv"
expect_bad "overlap"     -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_ovl.csv" "$tmp/sh_3.csv"
expect_bad "different sweeps" -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_2.csv" "$tmp/sh_x3.csv"
expect_bad "different sweeps" -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_2.csv" "$tmp/sh_o.csv"
expect_bad "incomplete"  -- sweep --merge "$tmp/sh_1.csv" "$tmp/sh_inc.csv" "$tmp/sh_3.csv"
expect_bad "not a shard" -- sweep --merge "$tmp/sh_one.csv"
expect_bad "cannot read" -- sweep --merge "$tmp/nope.csv"
expect_bad "--merge"     -- sweep --merge
expect_bad "--merge"     -- sweep --merge --d 3 "$tmp/sh_1.csv"
"$BIN" sweep --merge "$tmp/sh_1.csv" "$tmp/sh_2.csv" --out "$tmp/sh_none.csv" 2>/dev/null
[ ! -e "$tmp/sh_none.csv" ] && ok || bad "sweep --merge: a refused merge left --out behind"

# ---- a cell that fails: exit 1, one line, no partial --out (test hook: every
#      cell of rank 0 fails); with --resume, --out is left as it was
SPIRELAB_TEST_FAIL_RANK=0 "$BIN" sweep $SH --out "$tmp/sh_f.csv" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "cell 0 failed" "$tmp/err" && [ ! -e "$tmp/sh_f.csv" ] && ok \
  || bad "sweep with a failing cell: expected exit 1, one line, no --out: $(cat "$tmp/err")"
head -5 "$tmp/sh_one.csv" >"$tmp/sh_p.csv"; cp "$tmp/sh_p.csv" "$tmp/sh_p0.csv"
SPIRELAB_TEST_FAIL_RANK=0 "$BIN" sweep $SH --out "$tmp/sh_p.csv" --resume >/dev/null 2>&1
[ $? -eq 1 ] && cmp -s "$tmp/sh_p.csv" "$tmp/sh_p0.csv" && ok || bad "sweep --resume with a failing cell: --out changed"
