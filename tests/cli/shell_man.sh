#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_man — man/gefs-shell.8 documents every command that gefs-shell's
# help lists (the table that dispatches), and every option of --help;
# man/gefs-replay.8 every option of gefs-replay --help.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell_man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0
fail() { nfail=$((nfail + 1)); echo "FAIL: $*"; }

"$bin/gefs-mkfs" -q "$tmp/i.img" 256M || { echo "FAIL: mkfs"; exit 1; }
"$bin/gefs-shell" -c help "$tmp/i.img" >"$tmp/help" || fail "help"
for c in $(awk '{print $1}' "$tmp/help"); do
	ntest=$((ntest + 1))
	# An item of COMMANDS starts with the command name in bold.
	grep -Eq "^\.B(I)? \"?$c( |\"|$)" "$src/man/gefs-shell.8" || fail "gefs-shell.8 lacks command $c"
	syn=$("$bin/gefs-shell" -c "help $c" "$tmp/i.img" | sed -n 's/^usage: //p')
	ntest=$((ntest + 1))
	[ -n "$syn" ] || fail "help $c gives no usage"
done
[ "$ntest" -gt 40 ] || fail "too few commands ($ntest checks)"
for p in shell replay; do
	"$bin/gefs-$p" --help >"$tmp/h" || fail "gefs-$p --help"
	for o in $(grep -oE '(^|[ ,])--?[a-zA-Z][-a-z]*' "$tmp/h" | tr -d ' ,' | sort -u); do
		ntest=$((ntest + 1))
		pat=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$pat" "$src/man/gefs-$p.8" || fail "gefs-$p.8 lacks option $o"
	done
done
echo "shell_man: $((ntest - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]
