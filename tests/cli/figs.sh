# tests/cli/figs.sh — spirelab figs and spirelab demo (sourced by tests/cli_test.sh:
# uses $BIN, $tmp, ok, bad, expect_bad).  Needs no ImageMagick: PNG sizes are
# read from the IHDR chunk with od.  Checks that need gnuplot say "skipped".

have_gnuplot=0
if gnuplot -V 2>/dev/null | grep -q '^gnuplot [5-9]\.[4-9]'; then have_gnuplot=1
else echo "cli figs: gnuplot 5.4+ not found: rendering checks skipped" >&2; fi

# width and height of a PNG from its IHDR chunk (bytes 16..23, big-endian)
png_wh() { od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d %d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }
png_sig() { [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# ---- bad input: exit 2, nothing on stdout, one line naming the flag, nothing written
out="$tmp/figs-bad"
expect_bad "--only"    -- figs --out "$out" --only F99
expect_bad "--only"    -- figs --out "$out" --only ""
expect_bad "--only"    -- figs --out "$out" --only F1,,F2
expect_bad "--only"    -- figs --out "$out" --only f1
expect_bad "--formats" -- figs --out "$out" --formats gif
expect_bad "--formats" -- figs --out "$out" --formats png,png
expect_bad "--formats" -- figs --out "$out" --formats ""
expect_bad "--seed"    -- figs --out "$out" --seed -1
expect_bad "--width"   -- figs --out "$out" --width 10
expect_bad "--height"  -- figs --out "$out" --height 1e9
expect_bad "--out"     -- figs --out "$tmp/it's"
expect_bad "--out"     -- figs --out ""
expect_bad "--frob"    -- figs --frob
expect_bad "--quick"   -- figs --quick=1
expect_bad "stray"     -- figs --out "$out" stray
[ -e "$out" ] && bad "figs: bad flags created $out" || ok
"$BIN" figs --help | grep -q -- '--only' && ok || bad "figs --help"

expect_bad "demo"      -- demo --gif "$tmp/x.gif"
expect_bad "frobnicate" -- demo frobnicate --gif "$tmp/x.gif"
expect_bad "--gif"     -- demo gd
expect_bad "--gif"     -- demo gd --gif "$tmp/x.png"
expect_bad "--gif"     -- demo gd --gif "$tmp/no-such-dir/x.gif"
expect_bad "--gif"     -- demo gd --gif "$tmp/.gif"
expect_bad "--pi"      -- demo gd --gif "$tmp/x.gif" --pi 1.5
expect_bad "--speed"   -- demo gd --gif "$tmp/x.gif" --speed 0
expect_bad "--steps"   -- demo gd --gif "$tmp/x.gif" --steps 0
expect_bad "--wrong-pi" -- demo diffusion --gif "$tmp/x.gif" --wrong-pi 1
expect_bad "--reps"    -- demo dimension --gif "$tmp/x.gif" --reps 5
expect_bad "extra"     -- demo gd extra --gif "$tmp/x.gif"
# --live refuses clearly without a display (and writes nothing)
DISPLAY= WAYLAND_DISPLAY= "$BIN" demo gd --live >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- '--live' "$tmp/err"; then ok
else bad "demo --live without a display: exit $rc, $(cat "$tmp/err")"; fi
[ -e "$tmp/x.gif" ] || [ -e "$tmp/x.csv" ] && bad "demo: bad flags wrote files" || ok
"$BIN" demo --help | grep -q -- '--live' && ok || bad "demo --help"

# ---- a quick run of the analytic figures: files, index, progress lines, exit 0
out="$tmp/figs"
"$BIN" figs --quick --only F1,F2,F7,F8 --out "$out" --width 800 --height 600 >"$tmp/figs.out" 2>"$tmp/figs.err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "figs --quick --only F1,F2,F7,F8: exit $rc"; cat "$tmp/figs.err" >&2; }
for s in F1-excess-loss F2-gd F7-sign-map F8-step-size; do
  [ -s "$out/$s.csv" ] && [ -s "$out/$s.gp" ] && ok || bad "figs: $s.csv or $s.gp missing"
  grep -q "href=\"$s.csv\"" "$out/index.html" && grep -q "($s.gp)" "$out/REPORT.md" && ok || bad "figs: index/REPORT do not reference $s"
  if [ $have_gnuplot -eq 1 ]; then
    if [ -s "$out/$s.png" ] && png_sig "$out/$s.png" && [ "$(png_wh "$out/$s.png")" = "800 600" ]; then ok
    else bad "figs: $s.png is not an 800x600 PNG ($(png_wh "$out/$s.png" 2>/dev/null))"; fi
    grep -q "<svg" "$out/$s.svg" && grep -q "src=\"$s.png\"" "$out/index.html" && ok || bad "figs: $s.svg or its <img> missing"
  fi
done
# one progress line per figure and per claim on stderr (C1 C2 C3 C4 C8), the files on stdout
[ "$(grep -c '^spirelab figs: F[0-9]' "$tmp/figs.err")" -eq 4 ] && ok || bad "figs: progress lines: $(cat "$tmp/figs.err")"
[ "$(grep -c '^spirelab figs: claim C[0-9] PASS' "$tmp/figs.err")" -eq 5 ] && ok || bad "figs: claim lines: $(cat "$tmp/figs.err")"
grep -qx "$out/index.html" "$tmp/figs.out" && grep -qx "$out/F7-sign-map.csv" "$tmp/figs.out" && ok || bad "figs: stdout does not list the files"
grep -q '| C2 |' "$out/REPORT.md" && grep -q 'PASS' "$out/index.html" && ok || bad "figs: claims table missing"
ls -a "$out" | grep -q '\.tmp$' && bad "figs: temporary files left in $out" || ok
# the .gp beside a figure re-renders it from the .csv
if [ $have_gnuplot -eq 1 ]; then
  rm -f "$out/F7-sign-map.png"
  (cd "$out" && gnuplot F7-sign-map.gp 2>/dev/null) && [ "$(png_wh "$out/F7-sign-map.png")" = "800 600" ] && ok || bad "figs: F7-sign-map.gp does not re-render"
fi
# the same seed gives the same data
"$BIN" figs --quick --only F1 --no-check --out "$tmp/figs2" >/dev/null 2>&1
cmp -s "$out/F1-excess-loss.csv" "$tmp/figs2/F1-excess-loss.csv" && ok || bad "figs: F1 data differ between two runs with the same seed"

# ---- a federated figure: --only F17 runs the digits preset once (quick), its tables into spire_digits/,
# the figure and the E1-E5 rows of that run in the pages
"$BIN" figs --quick --only F17 --no-check --out "$tmp/figs17" >"$tmp/f17.out" 2>"$tmp/f17.err"; rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/figs17/F17-digits.csv" ] && [ -s "$tmp/figs17/spire_digits/claims.csv" ] \
   && [ ! -e "$tmp/figs17/spire_gmm2" ] && [ "$(grep -c '^| digits | E[1-5] |' "$tmp/figs17/REPORT.md")" -eq 5 ] \
   && grep -q 'id="digits-E5"' "$tmp/figs17/index.html"; then ok
else bad "figs --only F17: exit $rc, $(cat "$tmp/f17.err")"; fi
# the E rows are the experiment's claims.csv
e1=$(grep '^E1,' "$tmp/figs17/spire_digits/claims.csv" 2>/dev/null | grep -o ',\(NOT REPRODUCED\|REPRODUCED\|UNDECIDED\),' | head -1 | tr -d ,)
grep -q "^| digits | E1 | .* | \*\*$e1\*\* |" "$tmp/figs17/REPORT.md" && ok || bad "figs --only F17: E1 verdict '$e1' not in REPORT.md"
if [ $have_gnuplot -eq 1 ]; then png_sig "$tmp/figs17/F17-digits.png" && ok || bad "figs --only F17: no PNG"; fi

# ---- a simulation figure: its points are the rows of the spirelab sweep it names
"$BIN" figs --quick --only F6 --no-check --out "$tmp/figs6" >/dev/null 2>"$tmp/f6.err" && ok || bad "figs --only F6: $(cat "$tmp/f6.err")"
cmd=$(grep -o "the simulated points for Δ = 2 are the rows of: spirelab sweep .*" "$tmp/figs6/F6-efficiency.gp" | sed 's/.*rows of: spirelab sweep //')
if [ -n "$cmd" ]; then
  # efficiency = sd_crlb^2 / rmse^2 from the sweep's CSV, against the figure's column
  "$BIN" sweep $cmd 2>/dev/null | awk -F, 'NR > 1 { printf "%.10g\n", ($23 * $23) / ($18 * $18) }' >"$tmp/eff.sweep"
  awk -F, '$1 == "sim" && $2 == "2" { print $7 }' "$tmp/figs6/F6-efficiency.csv" >"$tmp/eff.fig"
  if [ -s "$tmp/eff.fig" ] && [ "$(wc -l <"$tmp/eff.fig")" -eq "$(wc -l <"$tmp/eff.sweep")" ] \
     && paste "$tmp/eff.fig" "$tmp/eff.sweep" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6 * $2) e = 1 } END { exit e }'; then ok
  else bad "figs F6: points differ from the sweep it names ($cmd)"; paste "$tmp/eff.fig" "$tmp/eff.sweep" >&2; fi
else bad "figs F6: the script does not name its sweep"; fi

# ---- gnuplot missing (PATH without it): one clear line, data, scripts and pages written, exit 0
mkdir -p "$tmp/nogp"
PATH="$tmp/nogp" "$BIN" figs --quick --only F7 --no-check --out "$tmp/figs-nogp" >"$tmp/ng.out" 2>"$tmp/ng.err"; rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'gnuplot not found' "$tmp/ng.err")" -eq 1 ] && [ -s "$tmp/figs-nogp/F7-sign-map.csv" ] \
   && [ -s "$tmp/figs-nogp/F7-sign-map.gp" ] && [ ! -e "$tmp/figs-nogp/F7-sign-map.png" ] && grep -q 'not rendered' "$tmp/figs-nogp/index.html"; then ok
else bad "figs without gnuplot: exit $rc, $(cat "$tmp/ng.err")"; fi
PATH="$tmp/nogp" "$BIN" demo gd --gif "$tmp/nogp-gd.gif" --steps 5 >/dev/null 2>"$tmp/ng.err"; rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/nogp-gd.csv" ] && [ -s "$tmp/nogp-gd.gp" ] && [ ! -e "$tmp/nogp-gd.gif" ] && grep -q 'gnuplot not found' "$tmp/ng.err" && ok \
  || bad "demo without gnuplot: exit $rc, $(cat "$tmp/ng.err")"

# ---- a demo GIF: a GIF89a of the requested size, with its data and script
if [ $have_gnuplot -eq 1 ]; then
  "$BIN" demo gd --gif "$tmp/gd.gif" --steps 8 --speed 5 --width 480 --height 320 >"$tmp/demo.out" 2>"$tmp/demo.err"; rc=$?
  hdr=$(od -An -c -N6 "$tmp/gd.gif" 2>/dev/null | tr -d ' \n')
  wh=$(od -An -tu1 -j6 -N4 "$tmp/gd.gif" 2>/dev/null | awk '{ print $1 + 256*$2, $3 + 256*$4 }')
  if [ $rc -eq 0 ] && [ "$hdr" = "GIF89a" ] && [ "$wh" = "480 320" ] && [ -s "$tmp/gd.csv" ] && grep -qx "$tmp/gd.gif" "$tmp/demo.out"; then ok
  else bad "demo gd --gif: exit $rc, header '$hdr', size '$wh', $(cat "$tmp/demo.err")"; fi
fi
