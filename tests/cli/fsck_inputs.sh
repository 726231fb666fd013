#!/bin/bash
# SPDX-License-Identifier: MIT
# The inputs users really have (issue 10): gefs-fsck on an image shorter
# than its file system writes nothing and exits 4 (SB0017) in every mode,
# and -n reads on to the device's end; something that is not a GEFS image
# is one line and exit 8; a FIFO or character device is refused at once
# by every program (under timeout: they used to hang in open); a cut or
# junk gzip image is "corrupt gzip input" (fsck 8, dump 1); -p -E reclaim
# frees leaks and -n -E reclaim is a usage error; --json -C 0 keeps the
# progress bar off stdout.
set -u
FSCK=${GEFS_BIN:?}/gefs-fsck
DUMP=${GEFS_BIN:?}/gefs-dump
MKFS=${GEFS_BIN:?}/gefs-mkfs
MK=${GEFS_BUILD:?}/fsckimg
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
st() { timeout 20 "$@" > "$tmp/out" 2> "$tmp/err"; echo $?; }
bad() { echo "FAIL $*"; cat "$tmp/out" "$tmp/err"; fail=1; }

# 1. a truncated image: nothing written in any mode, SB0017, exit 4
"$MK" good "$tmp/good" || exit 1
for cut in 3M 4194304; do
	cp "$tmp/good" "$tmp/short"
	truncate -s $cut "$tmp/short"
	sum=$(sha256sum < "$tmp/short")
	for m in -p -y -n; do
		[ "$(st "$FSCK" $m "$tmp/short")" = 4 ] || bad "short $cut $m: want exit 4"
		grep -q "SB0017 error: the file system size is at least [0-9]* blocks.*the device is [0-9]* blocks" "$tmp/out" \
			|| bad "short $cut $m: no SB0017 line"
		grep -q "FIXED" "$tmp/out" && bad "short $cut $m: something FIXED"
		[ "$(sha256sum < "$tmp/short")" = "$sum" ] || bad "short $cut $m: the image changed"
	done
	# -n went on: the backup superblock's place is read past the end
	grep -q "SB0015 error: .*read past end of device at 0x" "$tmp/out" || bad "short $cut -n: did not read on"
done
# an image longer than its file system is fine: the backup is restored
# at the new end, outside every arena
cp "$tmp/good" "$tmp/long"
truncate -s 100M "$tmp/long"
[ "$(st "$FSCK" -p "$tmp/long")" = 1 ] || bad "long -p: want exit 1"
[ "$(st "$FSCK" -n "$tmp/long")" = 0 ] || bad "long: second run not clean"

# 2. not a GEFS image: one line, exit 8
head -c 4M /dev/urandom > "$tmp/random"
truncate -s 4M "$tmp/zero"
cp "$tmp/zero" "$tmp/gpt"
printf 'EFI PART' | dd of="$tmp/gpt" bs=1 seek=512 conv=notrunc 2>/dev/null
kinds="random zero gpt"
if command -v mkfs.ext4 > /dev/null; then
	truncate -s 8M "$tmp/ext4"
	mkfs.ext4 -q -F "$tmp/ext4" > /dev/null 2>&1 && kinds="$kinds ext4"
fi
for k in $kinds; do
	[ "$(st "$FSCK" -n "$tmp/$k")" = 8 ] || bad "$k: want exit 8"
	grep -qx "gefs-fsck: $tmp/$k: not a GEFS file system (no superblock magic at 0x0 or 0x[0-9a-f]*)" "$tmp/err" \
		|| bad "$k: not the one line"
	[ "$(wc -l < "$tmp/err")" = 1 ] || bad "$k: more than one line on stderr"
	grep -q "SB0001" "$tmp/out" && bad "$k: SB0001 reported"
done
# one copy with the magic is damage, not a foreign image
cp "$tmp/good" "$tmp/onecopy"
dd if=/dev/zero of="$tmp/onecopy" bs=8 count=1 conv=notrunc 2>/dev/null
[ "$(st "$FSCK" -n "$tmp/onecopy")" = 4 ] || bad "one copy: want exit 4"
grep -q "SB0001" "$tmp/out" || bad "one copy: no SB0001"

# 3. special files are refused at once, by every program
mkfifo "$tmp/fifo"
for cmd in "$FSCK -n" "$FSCK -y" "$DUMP" "$MKFS -n" "$MKFS -F"; do
	for f in "$tmp/fifo" /dev/null; do
		case $cmd in
		"$DUMP") r=$(st $cmd "$f" super) ;;
		"$MKFS -n") r=$(st $cmd "$f" 200M) ;;
		"$MKFS -F") r=$(st $cmd "$f" 200M) ;;
		*) r=$(st $cmd "$f") ;;
		esac
		[ "$r" = 124 ] && { bad "$cmd $f: hung"; continue; }
		[ "$r" = 0 ] && bad "$cmd $f: exit 0"
		grep -q "$f: not a regular file or block device" "$tmp/err" || bad "$cmd $f: no refusal line"
	done
done

# 4. a damaged gzip image is corrupt input, not file-system damage
gzip -c "$tmp/good" > "$tmp/good.img.gz"
head -c 20000 "$tmp/good.img.gz" > "$tmp/cut.img.gz"
{ head -c 10 "$tmp/good.img.gz"; head -c 5000 /dev/urandom; } > "$tmp/junk.img.gz"
[ "$(st "$FSCK" -n "$tmp/good.img.gz")" = 0 ] || bad "good.img.gz: not clean"
for k in cut junk; do
	[ "$(st "$FSCK" -n "$tmp/$k.img.gz")" = 8 ] || bad "$k.img.gz: fsck want exit 8"
	grep -q "^gefs-fsck: $tmp/$k.img.gz: corrupt gzip input (" "$tmp/err" || bad "$k.img.gz: fsck message"
	[ "$(st "$DUMP" "$tmp/$k.img.gz" super)" = 1 ] || bad "$k.img.gz: dump want exit 1"
	grep -q "^gefs-dump: $tmp/$k.img.gz: corrupt gzip input (" "$tmp/err" || bad "$k.img.gz: dump message"
done

# 5. -E reclaim: -p frees leaks as --help says; -n (or no mode) refuses
"${GEFS_BUILD:?}/gefs-mkcase" leak_reclaim "$tmp/leak" || exit 1
for m in -n ""; do
	[ "$(st "$FSCK" $m -E reclaim "$tmp/leak")" = 16 ] || bad "'$m' -E reclaim: want exit 16"
	[ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "^gefs-fsck: -E reclaim .*-p or -y" "$tmp/err" \
		|| bad "'$m' -E reclaim: not one clear line"
done
[ "$(st "$FSCK" -p "$tmp/leak")" = 0 ] || bad "leak -p without reclaim: want 0"
[ "$(st "$FSCK" -p -E reclaim "$tmp/leak")" = 1 ] || bad "leak -p -E reclaim: want exit 1"
grep -q "RF0005 note: .*(FIXED)" "$tmp/out" || bad "leak -p -E reclaim: nothing reclaimed"
[ "$(st "$FSCK" -n -v "$tmp/leak")" = 0 ] || bad "leak: second run not clean"
grep -q "RF0005" "$tmp/out" && bad "leak: still leaked after -p -E reclaim"

# 6. --json -C 0: the bar goes to stderr, stdout is only the JSON document
"$FSCK" --json -C 0 "$tmp/good" > "$tmp/json" 2> "$tmp/bar"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/json" || { bad "--json -C 0: stdout is not JSON"; cat "$tmp/json"; }
grep -q "pass 1 (" "$tmp/bar" || bad "--json -C 0: no bar on stderr"
"$FSCK" -C 0 "$tmp/good" > "$tmp/plain" 2>/dev/null
grep -q "pass 1 (" "$tmp/plain" || bad "-C 0: no bar on stdout without --json"
[ "$(st "$FSCK" --json -C 1 "$tmp/good")" = 16 ] || bad "--json -C 1: want exit 16"
[ -s "$tmp/out" ] && bad "--json -C 1: wrote to stdout"
exit $fail
