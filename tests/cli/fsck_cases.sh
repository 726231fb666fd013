#!/bin/bash
# SPDX-License-Identifier: MIT
# The gefs-fsck case corpus (tests/cases/fsck, e2fsprogs style): for every
# case, the committed image.gz equals what gefs-mkcase and the case's
# damage.gsh generate now (scripts/mkcases.sh --case); -n
# changes no byte; run 1 (-y, plus the case's `args`) and run 2 (-y) print
# what expect.1 and expect.2 say, the image path shown as IMAGE and the
# exit status appended.  Run 2 must exit 0, except for cases named
# unfixable_* (damage no repair can undo: run 1 exits 4, or 5 when it
# repaired something else); warn_* and note_* cases hold
# only warnings or notes, which are never repaired (exit 0 in both runs).
# The case directories must be exactly the cases gefs-mkcase lists and
# those with a damage.gsh.
# A case's filter file hides allocator-chosen addresses (casefilter).
# GEFS_UPDATE_EXPECT=1 rewrites the expect files instead of comparing.
set -u
FSCK=${GEFS_BIN:?}/gefs-fsck
MK=${GEFS_BUILD:?}/gefs-mkcase
MKCASES=${GEFS_SRC:?}/scripts/mkcases.sh
DIR=${GEFS_SRC:?}/tests/cases/fsck
fail=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad() { echo "FAIL $name: $*"; fail=1; }

# A case's optional filter (a sed -E script) hides what the allocator
# decides rather than the case: block addresses a commit's allocations
# chose (tests/cases/README).
casefilter() {
	if [ -f "$1/filter" ]; then sed -E -f "$1/filter"; else cat; fi
}

# Run fsck with the given options on the image; output with the exit status.
run() {
	"$FSCK" "$@" "$tmp/img" > "$tmp/raw" 2>&1
	echo "Exit status is $?" >> "$tmp/raw"
	sed "s|$tmp/img|IMAGE|g" "$tmp/raw" | casefilter "$d"
}

compare() {	# name of the expect file, output file
	if [ "${GEFS_UPDATE_EXPECT:-0}" = 1 ]; then
		cp "$2" "$DIR/$name/$1"
	elif ! diff -u "$DIR/$name/$1" "$2" > "$tmp/diff"; then
		bad "$1 differs"; head -40 "$tmp/diff"
	fi
}

for d in "$DIR"/*/; do
	name=$(basename "$d")
	n=$((n + 1))
	args=$(cat "$d/args" 2>/dev/null || true)
	bash "$MKCASES" --case "$name" "$tmp/gen" "$GEFS_BUILD" 2>"$tmp/mkerr" ||
		{ bad "generating the image failed: $(head -1 "$tmp/mkerr")"; continue; }
	gunzip -c "$d/image.gz" > "$tmp/img" || { bad "bad image.gz"; continue; }
	cmp -s "$tmp/gen" "$tmp/img" || bad "image.gz is not what gefs-mkcase and damage.gsh make now (run scripts/mkcases.sh)"
	sum=$(sha256sum < "$tmp/img")
	"$FSCK" -n "$tmp/img" > /dev/null 2>&1
	[ "$(sha256sum < "$tmp/img")" = "$sum" ] || bad "-n changed the image"
	# shellcheck disable=SC2086
	run -y $args > "$tmp/out1"
	compare expect.1 "$tmp/out1"
	run -y > "$tmp/out2"
	compare expect.2 "$tmp/out2"
	case $name in
	unfixable_*)	# errors left after both runs
		tail -1 "$tmp/out1" | grep -Eq "is [45]$" || bad "run 1 did not exit 4 or 5: $(tail -1 "$tmp/out1")"
		tail -1 "$tmp/out2" | grep -q "is 4$" || bad "run 2 did not exit 4: $(tail -1 "$tmp/out2")";;
	warn_*|note_*)	# nothing to repair
		tail -1 "$tmp/out1" | grep -q "is 0$" || bad "run 1 did not exit 0: $(tail -1 "$tmp/out1")";&
	*)	tail -1 "$tmp/out2" | grep -q "is 0$" || bad "run 2 is not clean: $(tail -1 "$tmp/out2")";;
	esac
done
# Every case gefs-mkcase knows has its directory, and no directory is stale
# (one without a damage.gsh must be a case of gefs-mkcase).
name=corpus
{ "$MK" --list; (cd "$DIR" && ls -- */damage.gsh | sed 's|/damage.gsh$||'); } | sort -u > "$tmp/list"
(cd "$DIR" && ls -d */ | tr -d / | sort) > "$tmp/dirs"
for c in $(comm -23 "$tmp/list" "$tmp/dirs"); do bad "case $c has no directory (run scripts/mkcases.sh)"; done
for c in $(comm -13 "$tmp/list" "$tmp/dirs"); do bad "directory $c has no damage.gsh and names no case of gefs-mkcase"; done
[ $n -ge 25 ] || { echo "FAIL: only $n cases"; fail=1; }
echo "$n cases"
exit $fail
