#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-fsck -E nodata on the case corpus (tests/cases/fsck): it skips
# reading data blocks only, so it reports every finding a full -n check
# does, in the same order and words, except the data-block hash and read
# findings (RF0006, RF0007); when there are none of those, the whole
# output and the exit status are the same too.  (The metadata-only walk
# takes a leaf's pointers to adjacent data blocks as one run: this pins
# that the run changes neither the findings nor their order.)
set -u
FSCK=${GEFS_BIN:?}/gefs-fsck
DIR=${GEFS_SRC:?}/tests/cases/fsck
fail=0 n=0 nfind=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad() { echo "FAIL $name: $*"; fail=1; }

for d in "$DIR"/*/; do
	name=$(basename "$d")
	n=$((n + 1))
	gunzip -c "$d/image.gz" > "$tmp/img" || { bad "bad image.gz"; continue; }
	"$FSCK" -n "$tmp/img" > "$tmp/full" 2>&1
	full=$?
	"$FSCK" -n -E nodata "$tmp/img" > "$tmp/meta" 2>&1
	meta=$?
	if grep -Eq '^RF000[67] ' "$tmp/full"; then
		grep -E '^[A-Z]{2}[0-9]{4} ' "$tmp/full" | grep -Ev '^RF000[67] ' > "$tmp/full.f"
		grep -E '^[A-Z]{2}[0-9]{4} ' "$tmp/meta" > "$tmp/meta.f"
		diff -u "$tmp/full.f" "$tmp/meta.f" > "$tmp/diff" || { bad "findings differ"; head -20 "$tmp/diff"; }
	else
		diff -u "$tmp/full" "$tmp/meta" > "$tmp/diff" || { bad "output differs"; head -20 "$tmp/diff"; }
		[ "$full" = "$meta" ] || bad "exit $full with data, $meta without"
	fi
	grep -Eq '^RF000[1-5] ' "$tmp/meta" && nfind=$((nfind + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no cases in $DIR"; exit 1; }
# the corpus must hold pointer findings, or this proves nothing
[ "$nfind" -ge 3 ] || { echo "FAIL: only $nfind cases with data-pointer findings"; fail=1; }
[ "$fail" = 0 ] && echo "ok: $n cases, $nfind with data-pointer findings"
exit "$fail"
