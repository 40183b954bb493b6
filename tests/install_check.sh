#!/usr/bin/env bash
# tests/install_check.sh — run by `make test` (target install-check): install
# into a temporary PREFIX, then check what was installed and build a program
# from outside the tree (tests/install/example.c) against it with
#   pkg-config --cflags --libs spirelab      (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig)
# and run it.  Environment from the Makefile: MAKE, CC, BUILD, SAN, SANFLAGS.
# Ends with the line "install: N passed, N failed".
set -u
MAKE=${MAKE:-make}; CC=${CC:-cc}; BUILD=${BUILD:-build}; SAN=${SAN:-0}; SANFLAGS=${SANFLAGS:-}
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*" >&2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if $MAKE --no-print-directory -s install PREFIX="$tmp/prefix" DESTDIR= BUILD="$BUILD" SAN="$SAN" >"$tmp/log" 2>&1; then ok
else bad "make install PREFIX=$tmp/prefix: $(cat "$tmp/log")"; echo "install: $pass passed, $fail failed"; exit 1; fi
P="$tmp/prefix"
inc="$P/include/spirelab"

# --- only public headers: the private ones are absent, every other one is there
for h in ddpm/draw.h paper_figs/figs_internal.h; do
  [ ! -e "$inc/$h" ] && ok || bad "make install installed the private header $h"
done
[ -z "$(find "$inc" -type f ! -name '*.h')" ] && ok || bad "make install installed non-headers: $(find "$inc" -type f ! -name '*.h')"
for h in common/*.h gmm/*.h ddpm/*.h spire/*.h proofs_check/*.h plots/*.h paper_figs/*.h; do
  case $h in ddpm/draw.h|*_internal.h) continue;; esac
  [ -f "$inc/$h" ] && ok || bad "make install did not install the public header $h"
done
grep -il 'not a public header\|not installed\|internal to' $(find "$inc" -name '*.h') >"$tmp/priv" \
  && bad "installed headers that call themselves private: $(cat "$tmp/priv")" || ok

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
flags=$(pkg-config --cflags --libs spirelab 2>"$tmp/err") && ok || bad "pkg-config spirelab: $(cat "$tmp/err")"
[ "$(pkg-config --modversion spirelab)" = "$(sed -n 's/^#define SPL_VERSION "\(.*\)"/\1/p' common/spl.h)" ] && ok \
  || bad "spirelab.pc: version is not SPL_VERSION"

# --- every installed header compiles on its own with the .pc's Cflags only
for h in $(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort); do
  printf '#include "%s"\nint main(void) { return 0; }\n' "$h" >"$tmp/one.c"
  $CC -std=c11 -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags spirelab) "$tmp/one.c" 2>"$tmp/err" && ok \
    || bad "installed header $h does not compile on its own: $(head -3 "$tmp/err")"
done

# --- an external program, built against the installed library with pkg-config only
cp tests/install/example.c "$tmp/"
if (cd "$tmp" && $CC -std=c11 -Wall -Werror $SANFLAGS example.c -o example $flags) 2>"$tmp/err"; then ok
else bad "building against the installed library: $(cat "$tmp/err")"; fi
if [ -x "$tmp/example" ]; then
  if "$tmp/example" "$tmp" >"$tmp/out" 2>"$tmp/err"; then ok; else bad "example exited $?: $(cat "$tmp/out" "$tmp/err")"; fi
  # log N((1,1); 0, [[2,1],[1,2]]) = -log(2 pi) - log(3)/2 - 1/3 (det 3, x'S^-1 x = 2/3)
  v=$(awk '$1 == "gauss_logpdf" { print $2 }' "$tmp/out")
  awk -v v="${v:-nan}" 'BEGIN { e = -log(2 * 3.14159265358979324) - log(3) / 2 - 1 / 3;
                               d = v - e; if (d < 0) d = -d; exit !(d <= 1e-13 * -e) }' && ok \
    || bad "example: gauss_logpdf is not -log(2 pi) - log(3)/2 - 1/3: $(grep gauss "$tmp/out")"
  # the excess loss vanishes at the optimum w = theta* (THEORY.md s3), within its error estimate
  grep -q '^excess_at_optimum' "$tmp/out" \
    && awk '$1 == "excess_at_optimum" { x = $2 < 0 ? -$2 : $2; exit !(x <= $3) }' "$tmp/out" && ok || bad "example: excess at the optimum not 0: $(grep excess "$tmp/out")"
  grep -qx 'checkpoint OK' "$tmp/out" && ok || bad "example: $(grep checkpoint "$tmp/out")"
fi
echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
