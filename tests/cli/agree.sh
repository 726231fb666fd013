#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-dump and gefs-fsck agree on the sweep's corrupted images (issue 9):
# what gefs-dump refuses to load, gefs-fsck -n reports as an error (exit
# status with bit 4 or 8); what gefs-fsck -n calls clean (exit 0),
# gefs-dump reads completely: superblocks, arenas, every log, the labels
# and every label's manifest.  The number of images is bounded
# (GEFS_AGREE_CASES, default 40: a few seconds); the seed varies them
# (GEFS_AGREE_SEED, default 1).
set -u
FSCK=${GEFS_BIN:?}/gefs-fsck
DUMP=$GEFS_BIN/gefs-dump
SWEEP=${GEFS_BUILD:?}/gefs-sweep
n=${GEFS_AGREE_CASES:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$SWEEP" --cases "$n" --seed "${GEFS_AGREE_SEED:-1}" --keep "$tmp" > /dev/null || exit 1

# The labels gefs-dump lists (text output of "snaps": the rows under the
# "name gen flags" heading up to the first blank line).
labels() {
	"$DUMP" "$1" snaps 2> /dev/null | awk '/^labels/ { on = 1; next } on && /^  name/ { next } on && NF == 0 { exit } on { print $1 }'
}

# Read everything gefs-dump can show; 0 when every command succeeds, else
# the first failing command on stdout.
dumpall() {
	local img=$1 l
	for c in super arenas log free snaps; do
		"$DUMP" "$img" $c > /dev/null 2> "$tmp/derr" || { echo "$c: $(head -1 "$tmp/derr")"; return 1; }
	done
	for l in $(labels "$img"); do
		"$DUMP" "$img" manifest "$l" > /dev/null 2> "$tmp/derr" || { echo "manifest $l: $(head -1 "$tmp/derr")"; return 1; }
	done
	return 0
}

fail=0 nclean=0 nrefused=0
for img in "$tmp"/case-*.img; do
	"$FSCK" -n "$img" > "$tmp/fout" 2>&1
	rc=$?
	why=$(dumpall "$img")
	drc=$?
	[ $rc = 0 ] && nclean=$((nclean + 1))
	[ $drc != 0 ] && nrefused=$((nrefused + 1))
	if [ $drc != 0 ] && [ $((rc & 12)) = 0 ]; then
		echo "FAIL $(basename "$img"): gefs-dump refuses ($why), gefs-fsck -n exits $rc:"
		sed 's/^/    /' "$tmp/fout" | head -5
		fail=1
	fi
	if [ $rc = 0 ] && [ $drc != 0 ]; then
		echo "FAIL $(basename "$img"): gefs-fsck -n calls it clean, gefs-dump fails: $why"
		fail=1
	fi
	rm -f "$img"
done
echo "agree: $n images, $nclean clean for gefs-fsck, $nrefused refused by gefs-dump"
exit $fail
