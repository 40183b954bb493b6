#!/usr/bin/env bash
# tests/cli_test.sh — command-line tests (run by make test).
# Each check runs build/spirelab (or $SPIRELAB) and tests exit status, stdout
# and stderr.  Ends with the line "cli: N passed, N failed".
set -u
BIN=${SPIRELAB:-build/spirelab}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*" >&2; }

# expect_bad FLAGWORD -- ARGS... : exit 2, empty stdout, one stderr line naming FLAGWORD
expect_bad() {
  local word=$1; shift; shift
  "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne 2 ]; then bad "spirelab $*: exit $rc, expected 2"; return; fi
  if [ -s "$tmp/out" ]; then bad "spirelab $*: wrote to stdout on bad input"; return; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then bad "spirelab $*: stderr is not one line: $(cat "$tmp/err")"; return; fi
  if ! grep -q -- "$word" "$tmp/err"; then bad "spirelab $*: message does not name '$word': $(cat "$tmp/err")"; return; fi
  ok
}

# --- the command itself
"$BIN" --version | grep -q '^spirelab [0-9]' && ok || bad "--version"
expect_bad "frobnicate" -- frobnicate

for f in tests/cli/*.sh; do [ -f "$f" ] && . "$f"; done

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
