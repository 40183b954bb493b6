# tests/cli/sweep.sh — command-line tests of spirelab sweep.
# Sourced by tests/cli_test.sh: uses $BIN, $tmp, ok, bad, expect_bad.

# ---- bad input: exit 2, nothing on stdout, one line naming the flag
expect_bad "--sep"       -- sweep --sep 0.5:4:0          # N < 1
expect_bad "--sep"       -- sweep --sep 4:0.5:3          # min > max
expect_bad "--sep"       -- sweep --sep 0                # not identifiable
expect_bad "--sep"       -- sweep --sep -1,2
expect_bad "--sep"       -- sweep --sep ""               # empty list
expect_bad "--sep"       -- sweep --sep 1,,2             # empty item
expect_bad "--sep"       -- sweep --sep 1,
expect_bad "--sep"       -- sweep --sep 1:2
expect_bad "--sep"       -- sweep --sep 1:2:3:4
expect_bad "--sep"       -- sweep --sep 1:2:3lin
expect_bad "--sep"       -- sweep --sep 0:1:3log         # log needs A > 0
expect_bad "--sep"       -- sweep --sep nan
expect_bad "--sep"       -- sweep --sep 1e999
expect_bad "--sep"       -- sweep --sep 1,2,1            # repeated value
expect_bad "--d"         -- sweep --d 0
expect_bad "--d"         -- sweep --d 2.5
expect_bad "--d"         -- sweep --d 1.5:4:2
expect_bad "--n"         -- sweep --n 0
expect_bad "--n"         -- sweep --n 1:10:20log         # rounds to repeats
expect_bad "--pi"        -- sweep --pi 1
expect_bad "--pi"        -- sweep --pi 0,0.5
expect_bad "--alpha"     -- sweep --alpha 1
expect_bad "--alpha"     -- sweep --alpha 0:0.5:3
expect_bad "--t"         -- sweep --t 0
expect_bad "--t"         -- sweep --t 1001
expect_bad "--t"         -- sweep --t 5:20:3 --T 10
expect_bad "--t"         -- sweep --t 10 --schedule cosine --T 5
expect_bad "--T"         -- sweep --avg --T 1
expect_bad "--reps"      -- sweep --reps 0
expect_bad "--reps"      -- sweep --reps 1.5
expect_bad "--reps"      -- sweep --reps -2
expect_bad "--threads"   -- sweep --threads 0
expect_bad "--seed"      -- sweep --seed -1
expect_bad "--shift"     -- sweep --shift nan
expect_bad "--estimator" -- sweep --estimator em
expect_bad "--estimator" -- sweep --estimator ddpm,ddpm
expect_bad "--estimator" -- sweep --estimator ""
expect_bad "--mc"        -- sweep --mc both
expect_bad "--schedule"  -- sweep --avg --schedule ou
expect_bad "--schedule"  -- sweep --schedule cosine     # needs --t or --avg
expect_bad "--schedule"  -- sweep --alpha 0.5 --schedule linear
expect_bad "--T"         -- sweep --T 100
expect_bad "--avg"       -- sweep --alpha 0.5 --avg
expect_bad "--t"         -- sweep --t 5 --avg
expect_bad "--avg"       -- sweep --avg=1
expect_bad "--tau"       -- sweep --tau 1
expect_bad "--d"         -- sweep --d
expect_bad "--resume"    -- sweep --resume               # needs --out
expect_bad "--out"       -- sweep --out ""
expect_bad "stray"       -- sweep stray
# a grid over 10^7 cells: refused, and the message says how big
expect_bad "100000000 cells" -- sweep --d 1:1000:1000 --sep 1:100:100 --n 1:1000:1000
# unwritable --out: a missing directory, a directory; nothing left behind
expect_bad "--out"       -- sweep --out "$tmp/nodir/x.csv"
mkdir -p "$tmp/adir"
expect_bad "--out"       -- sweep --out "$tmp/adir"
[ -z "$(ls -A "$tmp/adir")" ] && [ ! -e "$tmp/nodir" ] && ok || bad "sweep: unwritable --out left files behind"

# ---- --help
"$BIN" sweep --help >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "^usage: spirelab sweep" "$tmp/out" && [ ! -s "$tmp/err" ] \
   && grep -q "A:B:Nlog" "$tmp/out" && grep -q "sd_sandwich" "$tmp/out"; then ok
else bad "sweep --help: exit $rc, or usage incomplete, or stderr not empty"; fi

# ---- a small sweep: shape of the CSV
S="--d 1,3 --sep 1,2 --pi 0.2,0.5 --n 40,150 --t 10,500 --reps 8 --mc explicit --seed 7"
nocol() { cut -d, -f1-24 "$1"; }     # every column but seconds
"$BIN" sweep $S --out "$tmp/full.csv" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then ok
else bad "sweep --out: exit $rc, or wrote to stdout/stderr: $(cat "$tmp/err")"; fi
# 32 cells x 2 estimators + header, 25 fields everywhere
[ "$(wc -l <"$tmp/full.csv")" -eq 65 ] && ok || bad "sweep: expected 65 lines, got $(wc -l <"$tmp/full.csv")"
awk -F, 'NF != 25 { exit 1 }' "$tmp/full.csv" && ok || bad "sweep: a line without 25 fields"
head -1 "$tmp/full.csv" | grep -q '^cell,d,sep,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,shift,p_mean,p_sd,rmse,abserr_q50,abserr_q90,abserr_q99,sd_sandwich,sd_crlb,nonconv,seconds$' \
  && ok || bad "sweep: header"
# cells in grid order, n fastest; every estimate in [0, 1]
awk -F, 'NR > 1 && ($1 != int((NR-2)/2) || $11 != ((NR % 2) ? "mle" : "ddpm")) { exit 1 }' "$tmp/full.csv" \
  && ok || bad "sweep: rows not in cell order ddpm, mle"
awk -F, 'NR == 2 && !($2 == 1 && $3 == 1 && $4 == 0.2 && $9 == 10 && $5 == 40) { exit 1 }
         NR == 4 && !($5 == 150 && $9 == 10) { exit 1 }
         NR == 6 && !($5 == 40 && $9 == 500) { exit 1 }
         NR > 1 && !($16 >= 0 && $16 <= 1) { exit 1 }' "$tmp/full.csv" \
  && ok || bad "sweep: grid values in the wrong order or p_mean outside [0, 1]"
# stdout = --out, and the thread count does not matter
"$BIN" sweep $S --threads 1 >"$tmp/t1.csv" 2>/dev/null
"$BIN" sweep $S --threads 2 >"$tmp/t2.csv" 2>/dev/null
cmp -s <(nocol "$tmp/t1.csv") <(nocol "$tmp/full.csv") && ok || bad "sweep: --threads 1 on stdout differs from --out"
cmp -s <(nocol "$tmp/t1.csv") <(nocol "$tmp/t2.csv") && ok || bad "sweep: --threads 1 and 2 differ"

# ---- --resume: an interrupted file (fewer rows, cut inside a cell too) finishes
#      identical to the uninterrupted one, except the seconds column
for keep in 1 2 12 29 64; do
  head -n "$keep" "$tmp/full.csv" >"$tmp/part.csv"
  "$BIN" sweep $S --out "$tmp/part.csv" --resume >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -eq 0 ] && cmp -s <(nocol "$tmp/part.csv") <(nocol "$tmp/full.csv"); then ok
  else bad "sweep --resume after $keep lines: exit $rc or a different file: $(cat "$tmp/err")"; fi
done
# the rows kept are not recomputed: their seconds column survives
head -n 12 "$tmp/full.csv" | sed 's/,[0-9.]*$/,99.999/' >"$tmp/part.csv"
"$BIN" sweep $S --out "$tmp/part.csv" --resume 2>/dev/null
[ "$(grep -c ',99.999$' "$tmp/part.csv")" -eq 11 ] && ok || bad "sweep --resume recomputed rows it had"
# a complete file: nothing to do, unchanged
cp "$tmp/full.csv" "$tmp/again.csv"
"$BIN" sweep $S --out "$tmp/again.csv" --resume 2>/dev/null && cmp -s "$tmp/again.csv" "$tmp/full.csv" \
  && ok || bad "sweep --resume on a complete file changed it"
# a missing file: --resume starts afresh
"$BIN" sweep $S --out "$tmp/fresh.csv" --resume 2>/dev/null && cmp -s <(nocol "$tmp/fresh.csv") <(nocol "$tmp/full.csv") \
  && ok || bad "sweep --resume on a missing file"
# mismatched header, or rows of another sweep: refused, file untouched
printf 'a,b,c\n1,2,3\n' >"$tmp/other.csv"; cp "$tmp/other.csv" "$tmp/other0.csv"
expect_bad "--resume" -- sweep $S --out "$tmp/other.csv" --resume
cmp -s "$tmp/other.csv" "$tmp/other0.csv" && ok || bad "sweep --resume changed a file with another header"
head -n 20 "$tmp/full.csv" >"$tmp/part.csv"; cp "$tmp/part.csv" "$tmp/part0.csv"
expect_bad "--resume" -- sweep ${S/--seed 7/--seed 8} --out "$tmp/part.csv" --resume
expect_bad "--resume" -- sweep ${S/--reps 8/--reps 9} --out "$tmp/part.csv" --resume
expect_bad "--resume" -- sweep ${S/--n 40,150/--n 40,151} --out "$tmp/part.csv" --resume
expect_bad "--resume" -- sweep ${S/--mc explicit/--mc projected} --out "$tmp/part.csv" --resume
cmp -s "$tmp/part.csv" "$tmp/part0.csv" && ok || bad "sweep --resume changed the file of another sweep"
{ cat "$tmp/part.csv"; sed -n 5p "$tmp/full.csv"; } >"$tmp/dup.csv"
expect_bad "--resume" -- sweep $S --out "$tmp/dup.csv" --resume      # a row twice
# no temporary file is ever left behind
[ -z "$(ls -A "$tmp" | grep '\.tmp$')" ] && ok || bad "sweep left temporary files: $(ls -A "$tmp" | grep '\.tmp$')"

# ---- interrupted (SIGTERM; SIGINT is handled the same way, but a background
#      job of a script ignores it): exit 143, a valid file, --resume completes it
L="--n 200:4000:40log --reps 30 --seed 3"
"$BIN" sweep $L --out "$tmp/int.csv" 2>"$tmp/err" & pid=$!
# wait until the first cells are on disk (the handlers are in place by then),
# however slow the machine (ASan), then interrupt
for _ in $(seq 200); do [ -s "$tmp/int.csv" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -TERM $pid 2>/dev/null; wait $pid; rc=$?
if { [ $rc -eq 143 ] && grep -q "interrupted" "$tmp/err"; } || [ $rc -eq 0 ]; then ok
else bad "sweep after SIGTERM: exit $rc: $(cat "$tmp/err")"; fi
awk -F, 'NF != 25 { exit 1 }' "$tmp/int.csv" && [ "$(head -c 5 "$tmp/int.csv")" = "cell," ] \
  && ok || bad "sweep: the file left by SIGTERM is not a valid CSV"
"$BIN" sweep $L --out "$tmp/int.csv" --resume 2>/dev/null
"$BIN" sweep $L >"$tmp/int_ref.csv" 2>/dev/null
cmp -s <(nocol "$tmp/int.csv") <(nocol "$tmp/int_ref.csv") && ok || bad "sweep: resumed after SIGTERM differs from a run in one go"
