#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# usage — one usage convention across the programs: a usage error is ONE
# line on stderr, "PROG: MESSAGE (see PROG --help)", naming the program
# (never its path), nothing on stdout, exit 2 (16 for gefs-fsck, its
# fsck(8) usage code).  Unknown short and long options, a missing option
# argument, an argument given to a flag, and missing operands.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/usage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0

# u PROG WANTPATTERN ARGS...
u() {
	local p=$1 pat=$2 want=2 got
	shift 2
	[ "$p" = fsck ] && want=16
	"$bin/gefs-$p" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	ntest=$((ntest + 1))
	if [ "$got" -ne "$want" ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] \
	    || ! grep -Eq "^gefs-$p: .*$pat.* \\(see gefs-$p --help\\)\$" "$tmp/err"; then
		nfail=$((nfail + 1))
		echo "FAIL: gefs-$p $* -> exit $got (want $want): $(head -c 300 "$tmp/err")"
	fi
}

for p in mkfs fsck dump tune resize shell replay image; do
	u "$p" "unknown option -Q" -Q x y
	u "$p" "unknown option --bogus" --bogus x y
	u "$p" "unknown option --bogus" --bogus=1 x y
	u "$p" "" 
done
u mkfs "option -L needs an argument" x -L
u tune "option -L needs an argument" x -L
u fsck "option -b needs an argument" -b
u fsck "bad value" -b 2 x
u fsck "only one of" -n -y x
u dump "option --sb needs an argument" --sb
u dump "option --json takes no argument" --json=1 x super
u dump "unknown command" x nosuch
u shell "option -c needs an argument" -c
u replay "needs an argument" --cache-size
u image "no output given" x
u image "must be a file" x -
for p in mkfs fsck dump tune resize shell replay image; do
	u "$p" "bad offset" --offset 1Q x y
	u "$p" "bad partition number" --partition 0 x y
	u "$p" "cannot be combined" --offset 1M --partition 1 x y
done
echo "usage: $((ntest - nfail))/$ntest passed"
[ "$nfail" -eq 0 ]
