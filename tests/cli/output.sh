#!/bin/bash
# SPDX-License-Identifier: MIT
# Output a person can trust, in every program:
#  - gefs-fsck's summary lines, pinned by golden files (tests/golden/*.txt,
#    the image path shown as IMAGE) for clean, damaged, preen, repair,
#    reclaim and warning-only runs;
#  - times are ISO 8601 with the zone of TZ ("Z" at offset zero);
#  - hashes are 0x and 16 hex digits; extents are start, end or length
#    (log, free: a column each, as in JSON);
#  - sizes are binary units, exact bytes with -b;
#  - output lost on a full disk (> /dev/full) is one line on stderr and
#    exit 8 (gefs-fsck) or 1 (gefs-dump, gefs-mkfs), in every mode.
# GEFS_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -u
BIN=${GEFS_BIN:?}
SRC=${GEFS_SRC:?}
GOLD=$SRC/tests/golden
CASES=$SRC/tests/cases/fsck
FSCK=$BIN/gefs-fsck DUMP=$BIN/gefs-dump MKFS=$BIN/gefs-mkfs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/output.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
has() {	# pattern file what
	grep -Eq -- "$1" "$2" || { bad "$3: no line matching '$1'"; head -20 "$2"; }
}

# The case filter in force (FILTER: a case's filter file, or empty):
# block addresses the allocator chose, not the case (tests/cases/README).
FILTER=
casefilter() {
	if [ -n "$FILTER" ]; then sed -E -f "$FILTER"; else cat; fi
}

# golden NAME IMAGE ARGS...: gefs-fsck's output and status vs NAME.txt
golden() {
	local name=$1 img=$2
	shift 2
	"$FSCK" "$@" "$img" > "$tmp/raw" 2>&1
	echo "Exit status is $?" >> "$tmp/raw"
	sed "s|$img|IMAGE|g" "$tmp/raw" | casefilter > "$tmp/got"
	if [ "${GEFS_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/got" "$GOLD/$name.txt"
	elif ! diff -u "$GOLD/$name.txt" "$tmp/got"; then
		bad "$name: differs from $name.txt"
	fi
}
case_img() { gunzip -c "$CASES/$1/image.gz" > "$2"; }

std=$tmp/std.img
"$BIN/gefs-mkimg" --seed 1 --files 20 std "$std" > /dev/null || { echo "FAIL: gefs-mkimg"; exit 1; }
golden fsck-clean "$std" -n
golden fsck-clean-v "$std" -n -v
case_img log_badhash "$tmp/log.img"
golden fsck-damaged-n "$tmp/log.img" -n
golden fsck-damaged-p "$tmp/log.img" -p
case_img log_badhash "$tmp/log.img"
golden fsck-damaged-y "$tmp/log.img" -y
case_img leak_reclaim "$tmp/leak.img"
FILTER=$CASES/leak_reclaim/filter
golden fsck-leak-n "$tmp/leak.img" -n -v
golden fsck-reclaim "$tmp/leak.img" -y -E reclaim
golden fsck-reclaimed "$tmp/leak.img" -n -v
FILTER=
case_img warn_file_mode "$tmp/warn.img"
golden fsck-warning "$tmp/warn.img" -n
case_img unfixable_leaf_hash "$tmp/leaf.img"
golden fsck-unfixable-p "$tmp/leaf.img" -p

# times: ISO 8601 in the zone of TZ
SOURCE_DATE_EPOCH=1700000000 "$MKFS" -q "$tmp/x.img" 256M || bad "gefs-mkfs"
TZ=UTC "$DUMP" "$tmp/x.img" super > "$tmp/out"
has '^xrec\.ctime +2023-11-14T22:13:20Z +2023-11-14T22:13:20Z$' "$tmp/out" "dump super, TZ=UTC"
TZ=EST5 "$DUMP" "$tmp/x.img" super > "$tmp/out"
has '^xrec\.ctime +2023-11-14T17:13:20-05:00 ' "$tmp/out" "dump super, TZ=EST5"
TZ=IST-5:30 "$DUMP" "$tmp/x.img" super > "$tmp/out"
has '^xrec\.ctime +2023-11-15T03:43:20\+05:30 ' "$tmp/out" "dump super, TZ=IST-5:30"
TZ=UTC "$DUMP" "$std" ls -l main:/ > "$tmp/out"
has ' [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' "$tmp/out" "dump ls -l time"

# hashes and extents
"$DUMP" "$std" super > "$tmp/out"
awk '$1 ~ /hash$/ { print $1, $2; print $1, $3 }' "$tmp/out" \
	| grep -Ev ' (0x[0-9a-f]{16}|NONE)$' > "$tmp/badhash"
[ -s "$tmp/badhash" ] && { bad "dump super: hashes not 0x + 16 digits"; cat "$tmp/badhash"; }
[ "$(awk '$1 ~ /hash$/' "$tmp/out" | wc -l)" -ge 8 ] || bad "dump super: hash rows missing"
"$DUMP" "$std" log 0 > "$tmp/out"
# (the log block's row: addr seq logsz logh logh_ok chain)
has '^  0x[0-9a-f]+ +[0-9]+ +[0-9]+ +0x[0-9a-f]{16} +true +' "$tmp/out" "dump log: logh"
has '^ +[0-9]+ +Log(Alloc|Free) +0x[0-9a-f]+ +[0-9.]+ [KMG]iB +- +false +false$' "$tmp/out" "dump log: extents"
"$DUMP" "$std" free 0 > "$tmp/out"
has '^  0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9.]+ [KMG]iB$' "$tmp/out" "dump free: ranges"

# sizes: binary units, -b exact bytes
"$DUMP" "$std" arenas > "$tmp/out"
has ' KiB ' "$tmp/out" "dump arenas: human sizes"
"$DUMP" -b "$std" arenas > "$tmp/out"
grep -q 'iB' "$tmp/out" && bad "dump -b arenas: units left"
"$DUMP" -b "$std" ls -l main:/ > "$tmp/out"
grep -q 'iB\| B ' "$tmp/out" && bad "dump -b ls -l: units left"
"$MKFS" -n "$tmp/x.img" > "$tmp/out"; has '^size +256 MiB$' "$tmp/out" "mkfs -n"
"$MKFS" -n -b "$tmp/x.img" > "$tmp/out"; has '^size +268435456$' "$tmp/out" "mkfs -n -b"

# lost output: one line on stderr, exit 8 (fsck) or 1
full() {	# want description command...
	local want=$1 what=$2 rc
	shift 2
	"$@" > /dev/full 2> "$tmp/err"; rc=$?
	[ "$rc" = "$want" ] || bad "$what > /dev/full: exit $rc, want $want"
	grep -q "error writing standard output: No space left on device" "$tmp/err" \
		|| bad "$what > /dev/full: not reported: $(cat "$tmp/err")"
	[ "$(grep -c 'error writing standard output' "$tmp/err")" = 1 ] || bad "$what > /dev/full: reported more than once"
}
full 8 "fsck -n" "$FSCK" -n "$std"
full 8 "fsck --json" "$FSCK" --json "$std"
case_img log_badhash "$tmp/log.img"
full 12 "fsck -n, damaged" "$FSCK" -n "$tmp/log.img"
full 8 "fsck -V" "$FSCK" -V
full 8 "fsck --help" "$FSCK" --help
full 8 "fsck --list-problems" "$FSCK" --list-problems
full 1 "dump super" "$DUMP" "$std" super
full 1 "dump --json snaps" "$DUMP" --json "$std" snaps
full 1 "dump cat" "$DUMP" "$std" cat adm:/users
full 1 "dump --help" "$DUMP" --help
full 1 "dump tree -S" "$DUMP" "$std" tree -S
full 1 "dump tree main" "$DUMP" "$std" tree main
full 1 "dump ls -R" "$DUMP" "$std" ls -R -l main:/
full 1 "mkfs -n" "$MKFS" -n "$tmp/x.img"
full 1 "mkfs" "$MKFS" -F "$tmp/x.img" 256M
full 1 "mkfs -V" "$MKFS" -V
exit $fail
