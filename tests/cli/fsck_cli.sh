#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-fsck command line: usage errors exit 16, -V/-h exit 0, a missing
# image is an operational error (8), and on a clean image -n, --json, -t,
# -v and -C produce their formats with exit status 0.
set -u
BIN=${GEFS_BIN:?}/gefs-fsck
fail=0
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	"$@" > /tmp/fsck-cli.out.$$ 2>&1
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL $what: exit $got, want $want"; cat /tmp/fsck-cli.out.$$; fail=1
	fi
}
t 16 "no device" "$BIN"
t 16 "two devices" "$BIN" a b
t 16 "bad option" "$BIN" -Z x
# one line naming the program, not getopt's line and the usage text
[ "$(cat /tmp/fsck-cli.out.$$)" = "gefs-fsck: unknown option -Z (see gefs-fsck --help)" ] \
	|| { echo "FAIL: usage error is not one line"; cat /tmp/fsck-cli.out.$$; fail=1; }
t 16 "-n and -y" "$BIN" -n -y x
t 16 "bad -b" "$BIN" -b 2 x
t 16 "bad -E" "$BIN" -E bogus x
t 16 "-j 0" "$BIN" -j 0 x
t 16 "-j 9" "$BIN" -j 9 x
t 0 "-V" "$BIN" -V
grep -q "gefs-fsck (gefs-progs)" /tmp/fsck-cli.out.$$ || { echo "FAIL -V output"; fail=1; }
t 0 "-h" "$BIN" -h
t 8 "missing image" "$BIN" /nonexistent/image
t 0 "--list-problems" "$BIN" --list-problems

IMG=${GEFS_SHARED:-/nonexistent}/reference-images/ref-fresh-256M.img.gz
if [ -r "$IMG" ]; then
	t 0 "clean -n" "$BIN" -n "$IMG"
	grep -q "clean" /tmp/fsck-cli.out.$$ || { echo "FAIL: no clean summary"; fail=1; }
	t 0 "-f -v -t" "$BIN" -f -v -t "$IMG"
	grep -q "^Pass 1 (superblocks and arenas): .* s, peak RSS [0-9.]\{1,\} [KMG]iB$" /tmp/fsck-cli.out.$$ || { echo "FAIL -t format"; fail=1; }
	t 0 "--json" "$BIN" --json "$IMG"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tool"]=="gefs-fsck" and d["status"]==0 and d["summary"]["errors"]==0' /tmp/fsck-cli.out.$$ \
		|| { echo "FAIL --json"; cat /tmp/fsck-cli.out.$$; fail=1; }
	"$BIN" -C 3 "$IMG" 3>/tmp/fsck-cli.prog.$$ >/dev/null 2>&1
	grep -Eq "^[1-7] [0-9]+ [0-9]+ $IMG\$" /tmp/fsck-cli.prog.$$ || { echo "FAIL -C 3 format"; head -3 /tmp/fsck-cli.prog.$$; fail=1; }
	grep -Eqv "^[1-7] [0-9]+ [0-9]+ " /tmp/fsck-cli.prog.$$ && { echo "FAIL -C 3: stray lines"; fail=1; }
	rm -f /tmp/fsck-cli.prog.$$
else
	echo "reference images absent: image checks skipped"
fi
rm -f /tmp/fsck-cli.out.$$
exit $fail
