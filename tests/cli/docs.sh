# tests/cli/docs.sh — the documentation matches the commands (sourced by tests/cli_test.sh).
#
# The format it reads, in docs/cli/CMD.md (one page per command of `spirelab --help`):
#   a flag is documented by a Markdown table row whose FIRST cell starts with the
#   flag in backticks, e.g.
#       | `--sep DELTA` | separation | number in [0, inf) | 2 |
#       | `--width W`, `--height H` | image size | ... | ... |
#   (several flags may share the first cell; `\|` inside it is fine). Flags named
#   anywhere else on the page (prose, other columns) do not count as documented.
# Checks:
#   1. every command listed by `spirelab --help` has its page docs/cli/CMD.md;
#   2. every flag that `spirelab CMD --help` names (any --word in its text, except
#      --help) is in a flag-table row of docs/cli/CMD.md;
#   3. every flag in a flag-table row of docs/cli/CMD.md is named by `spirelab CMD --help`;
#   4. every relative Markdown link in README.md and docs/**/*.md points at a file
#      or directory that exists (relative to the page), and its #anchor, if any,
#      at a heading of the target page (GitHub's slugs);
#   5. every repository path in backticks in those pages (`ddpm/loss.c`: a path
#      whose first component is a top-level directory of the project) and every
#      such path in a --help text exists.  Generated paths (build*/, paper_figs/out)
#      and patterns (*, <, …) are not paths.

docs_flag_re='--[A-Za-z0-9][A-Za-z0-9-]*'

# flags named by `spirelab $1 --help`, one per line, sorted
docs_help_flags() {
  "$BIN" "$1" --help 2>/dev/null | grep -oE -- "$docs_flag_re" | grep -vx -- '--help' | sort -u
}
# flags in the first cell of the flag-table rows of page $1, one per line, sorted
docs_page_flags() {
  sed 's/\\|/ /g' "$1" | awk -F'|' '/^\|[[:space:]]*`--/ { print $2 }' \
    | grep -oE -- "$docs_flag_re" | sort -u
}

docs_cmds=$("$BIN" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$docs_cmds" ] && ok || bad "docs: no commands found in spirelab --help"
for c in $docs_cmds; do
  page=docs/cli/$c.md
  if [ ! -f "$page" ]; then bad "docs: command '$c' has no page $page"; continue; fi
  ok
  docs_help_flags "$c" >"$tmp/docs_help"
  docs_page_flags "$page" >"$tmp/docs_page"
  miss=$(comm -23 "$tmp/docs_help" "$tmp/docs_page" | tr '\n' ' ')
  [ -z "$miss" ] && ok || bad "docs: $page has no flag-table row for: $miss(named by spirelab $c --help)"
  extra=$(comm -13 "$tmp/docs_help" "$tmp/docs_page" | tr '\n' ' ')
  [ -z "$extra" ] && ok || bad "docs: $page documents flags that spirelab $c --help does not name: $extra"
done

# GitHub's heading anchors of page $1, one per line
docs_anchors() {
  awk '/^```/ { code = !code; next } !code && /^#+ / { sub(/^#+ +/, ""); print }' "$1" \
    | LC_ALL=C.UTF-8 tr '[:upper:]' '[:lower:]' \
    | LC_ALL=C.UTF-8 sed -e 's/[^[:alnum:] _-]//g' -e 's/ /-/g'
}

# top-level directories of the project: a backticked `dir/...` names a path
docs_dirs=$(for d in */; do d=${d%/}; case $d in build*) ;; *) printf '%s|' "$d";; esac; done)
docs_dirs=${docs_dirs%|}
docs_path_ok() {   # $1 a path relative to the root; 0 if it exists or is not checked
  case $1 in paper_figs/out|paper_figs/out/*|build*) return 0;; esac
  [ -e "$1" ]
}

docs_pages=$(ls README.md; find docs -name '*.md' | sort)
set -f   # the words below are links and paths, not patterns
for page in $docs_pages; do
  dir=$(dirname "$page")
  nbad=0
  # 4. links: ](target), not inside fenced code
  for link in $(awk '/^```/ { code = !code; next } !code' "$page" | grep -oE '\]\([^) ]+\)' | sed 's/^](//; s/)$//'); do
    case $link in http://*|https://*|mailto:*) continue;; esac
    file=${link%%#*}; anchor=
    case $link in *'#'*) anchor=${link#*#};; esac
    if [ -z "$file" ]; then target=$page; else target=$dir/$file; fi
    if [ ! -e "$target" ]; then bad "docs: $page links '$link': $target does not exist"; nbad=$((nbad+1)); continue; fi
    if [ -n "$anchor" ] && [ -f "$target" ] && ! docs_anchors "$target" | grep -qxF -- "$anchor"; then
      bad "docs: $page links '$link': no heading with anchor #$anchor in $target"; nbad=$((nbad+1))
    fi
  done
  # 5. backticked repository paths
  for p in $(grep -oE '`[^`]+`' "$page" | tr -d '`' | grep -E "^($docs_dirs)/[A-Za-z0-9_./-]*\$"); do
    docs_path_ok "$p" || { bad "docs: $page names '$p', which does not exist"; nbad=$((nbad+1)); }
  done
  [ $nbad -eq 0 ] && ok
done

# 5. paths named by the help texts
for c in "" $docs_cmds; do
  nbad=0
  for p in $("$BIN" $c --help 2>/dev/null | grep -oE "(^|[^A-Za-z0-9_./-])($docs_dirs)/[A-Za-z0-9_./-]*" \
             | sed -E 's/^[^A-Za-z0-9_]//; s/[.]+$//'); do
    docs_path_ok "$p" || { bad "docs: spirelab $c --help names '$p', which does not exist"; nbad=$((nbad+1)); }
  done
  [ $nbad -eq 0 ] && ok
done
set +f
