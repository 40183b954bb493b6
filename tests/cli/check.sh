# tests/cli/check.sh — spirelab check (sourced by tests/cli_test.sh).

# --quick runs every claim; every verdict must be PASS and the exit status 0.
"$BIN" check --quick --seed 1 >"$tmp/check.csv" 2>"$tmp/check.err"; rc=$?
if [ $rc -eq 0 ] && [ "$(head -1 "$tmp/check.csv")" = "id,claim,measured,threshold,verdict,seconds" ] \
   && [ "$(grep -c ',PASS,' "$tmp/check.csv")" -ge 13 ] \
   && [ "$(grep -c ',PASS,' "$tmp/check.csv")" -eq "$(($(wc -l <"$tmp/check.csv") - 1))" ]; then ok; else
  bad "check --quick: exit $rc, $(grep -c ',PASS,' "$tmp/check.csv") PASS rows"; cat "$tmp/check.csv" >&2; fi
# --only selects; the ids come out in order
"$BIN" check --quick --only C8,C1 >"$tmp/only.csv" 2>/dev/null
[ "$(cut -d, -f1 "$tmp/only.csv" | tr '\n' ' ')" = "id C1 C8 " ] && ok || bad "check --only C8,C1: $(cut -d, -f1 "$tmp/only.csv" | tr '\n' ' ')"
"$BIN" check --help | grep -q -- '--quick' && ok || bad "check --help"
expect_bad "--only" -- check --only C99
expect_bad "--only" -- check --only ""
expect_bad "--only" -- check --only C1,,C2
expect_bad "--seed" -- check --seed -3
expect_bad "--seed" -- check --seed abc
expect_bad "--frob" -- check --frob
expect_bad "extra" -- check extra
