#!/bin/bash
# SPDX-License-Identifier: MIT
# Every problem code of gefs-fsck's table appears in man/gefs-fsck.8, with
# its severity, and the man page names no code the table lacks.
set -eu
BIN=${GEFS_BIN:?}/gefs-fsck
MAN=${GEFS_SRC:?}/man/gefs-fsck.8
fail=0
"$BIN" --list-problems > /tmp/fsck-man.$$ || { echo "--list-problems failed"; exit 1; }
n=$(wc -l < /tmp/fsck-man.$$)
[ "$n" -ge 100 ] || { echo "only $n problems listed"; fail=1; }
while IFS=$'\t' read -r code sev cls desc; do
	if ! grep -A1 "^\.B $code\$" "$MAN" | grep -q "^$sev, "; then
		echo "missing or wrong in man page: $code ($sev)"
		fail=1
	fi
done < /tmp/fsck-man.$$
for code in $(grep -o '^\.B [A-Z][A-Z][0-9][0-9][0-9][0-9]$' "$MAN" | cut -d' ' -f2); do
	grep -q "^$code	" /tmp/fsck-man.$$ || { echo "man page lists unknown code $code"; fail=1; }
done
# the man page lists them in the table's order, which is code order
if [ "$(cut -f1 /tmp/fsck-man.$$)" != "$(grep -o '^\.B [A-Z][A-Z][0-9][0-9][0-9][0-9]$' "$MAN" | cut -d' ' -f2)" ]; then
	echo "man page or --list-problems not in the same order"; fail=1
fi
if [ "$(cut -f1 /tmp/fsck-man.$$)" != "$(cut -f1 /tmp/fsck-man.$$ | LC_ALL=C sort)" ]; then
	echo "--list-problems not in code order"; fail=1
fi
grep -q '^\.SH EXIT STATUS' "$MAN" || { echo "no EXIT STATUS section"; fail=1; }
rm -f /tmp/fsck-man.$$
exit $fail
