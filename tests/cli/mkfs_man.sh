#!/bin/bash
# SPDX-License-Identifier: MIT
# man/gefs-mkfs.8 and gefs-mkfs --help describe the same options: every
# option in --help appears in the man page's OPTIONS section and vice
# versa; the sections come in man-pages(7) order; groff renders it without
# warnings.
set -u
BIN=${GEFS_BIN:?}/gefs-mkfs
MAN=${GEFS_SRC:?}/man/gefs-mkfs.8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-man.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fail=0

"$BIN" --help > "$TMP/help" || { echo "FAIL: --help exit $?"; exit 1; }
# option lines of --help: "  -x, --long ARG  text" or "      --long  text"
grep -E '^ +-' "$TMP/help" | sed -E 's/^ +//; s/  .*//' | sed -E 's/^(-[^ ,]+)(, (--[^ ]+))?.*/\1 \3/; s/^(--[^ ]+).*/\1/' \
	| tr ' ' '\n' | grep . | sort -u > "$TMP/h"
# the man page's OPTIONS: the line after each .TP up to the next .SH
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
	| sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z][A-Za-z-]*' | tr -d ' "' | sort -u > "$TMP/m"
[ "$(wc -l < "$TMP/h")" -ge 10 ] || { echo "FAIL: only $(wc -l < "$TMP/h") options found in --help"; cat "$TMP/help"; fail=1; }
while read -r o; do
	grep -qx -- "$o" "$TMP/m" || { echo "FAIL: $o is in --help but not in the man page's OPTIONS"; fail=1; }
done < "$TMP/h"
while read -r o; do
	grep -qx -- "$o" "$TMP/h" || { echo "FAIL: $o is in the man page's OPTIONS but not in --help"; fail=1; }
done < "$TMP/m"
# the synopsis of both names the same short options
grep -q '^usage: gefs-mkfs \[-bFnqvV\] \[-u user\] \[-L label\] \[-U uuid\] \[--no-xrecord\] image \[size\]$' "$TMP/help" \
	|| { echo "FAIL: --help usage line changed: update the man page's SYNOPSIS and this test"; fail=1; }
grep -q '^\.RB \[ \\-bFnqvV \]$' "$MAN" || { echo "FAIL: SYNOPSIS flags differ from --help"; fail=1; }

# sections in man-pages(7) order
want="NAME SYNOPSIS DESCRIPTION OPTIONS EXIT_STATUS ENVIRONMENT FILES NOTES EXAMPLES SEE_ALSO"
got=$(grep '^\.SH ' "$MAN" | sed 's/^\.SH //; s/"//g; s/ /_/g' | tr '\n' ' ')
last=-1
for s in $got; do
	i=0 pos=-1
	for w in $want; do
		[ "$w" = "$s" ] && pos=$i
		i=$((i + 1))
	done
	[ "$pos" -ge 0 ] || { echo "FAIL: unexpected section $s"; fail=1; continue; }
	[ "$pos" -gt "$last" ] || { echo "FAIL: section $s out of order"; fail=1; }
	last=$pos
done
for s in NAME SYNOPSIS DESCRIPTION OPTIONS EXIT_STATUS ENVIRONMENT SEE_ALSO; do
	echo " $got " | grep -q " $s " || { echo "FAIL: no $s section"; fail=1; }
done

# renders cleanly
if command -v groff > /dev/null; then
	groff -man -Tutf8 -ww -z "$MAN" 2> "$TMP/warn"
	[ -s "$TMP/warn" ] && { echo "FAIL: groff warnings:"; cat "$TMP/warn"; fail=1; }
fi
exit $fail
