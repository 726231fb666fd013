#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --offset and --partition: a GPT disk image (made with sfdisk; skipped
# when it is not installed) gets a file system in partition 2 with
# gefs-mkfs, edited with gefs-replay, gefs-shell and gefs-tune, checked
# with gefs-fsck, read with gefs-dump, exported with gefs-image; the
# bytes outside the partition (the partition table, its backup at the
# end, the other partition, filled with a pattern) are unchanged by all
# of it, even by a forced re-format.  The same in an MBR partition, and
# with --offset in a file with other data before the file system; one-line
# errors for a missing table, a missing partition, a partition or offset
# past the end, and a gzip'd image.
set -u
export TZ=UTC
B=${GEFS_BIN:?}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/offset.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0 n=0
bad() { echo "FAIL $*"; echo "--- stdout"; head -20 "$OUT"; echo "--- stderr"; head -5 "$ERR"; fail=1; }
t() { # expected-status description program args...
	local want=$1 what=$2 p=$3; shift 3
	n=$((n + 1))
	"$B/gefs-$p" "$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || { bad "$what: gefs-$p exit $got, want $want"; return; }
	if [ "$want" != 0 ]; then
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q "^gefs-$p: " "$ERR" \
			|| bad "$what: stderr is not one 'gefs-$p: ' line"
	fi
}
has() { grep -q -- "$1" "$2" || bad "$3: no '$1'"; }
# sum of the bytes of $1 outside [$2, $3)
outside() {
	{ head -c "$2" "$1"; tail -c +$(($3 + 1)) "$1"; } | sha256sum | cut -d' ' -f1
}
if ! command -v sfdisk > /dev/null; then
	echo "SKIP: sfdisk not installed"
	exit 0
fi

MiB=1048576
disk=$DIR/disk.img
truncate -s $((520 * MiB)) "$disk"
printf 'label: gpt\nstart=2048, size=%d\nstart=%d, size=%d\n' $((100 * 2048)) $((102 * 2048)) $((300 * 2048)) \
	| sfdisk -q "$disk" || { echo "FAIL: sfdisk"; exit 1; }
p2=$((102 * MiB)) p2end=$((402 * MiB))
# a pattern in partition 1 and in the unpartitioned space after 2
yes outside-the-partition | head -c $((100 * MiB)) | dd of="$disk" bs=1M seek=1 conv=notrunc status=none
yes outside-the-partition | head -c $((100 * MiB)) | dd of="$disk" bs=1M seek=410 conv=notrunc status=none
before=$(outside "$disk" $p2 $p2end)
table=$(sfdisk -d "$disk")

t 0 "mkfs in partition 2" mkfs -L part2 --partition 2 "$disk"
has "300 MiB" "$OUT" "mkfs --partition 2 size"
t 0 "fsck" fsck -n --partition 2 "$disk"
has "clean" "$OUT" "fsck of partition 2"
printf 'mkdir main:/d\ntouch main:/d/f\nwrite main:/d/f 0 hello-partition\n' > "$DIR/script"
echo 'snap main keep' > "$DIR/snap"
t 0 "replay" replay --partition 2 "$disk" "$DIR/script"
t 0 "replay a snapshot" replay --partition 2 "$disk" "$DIR/snap"
t 0 "dump cat" dump --partition 2 "$disk" cat main:/d/f
[ "$(cat "$OUT")" = hello-partition ] || bad "dump cat in partition 2"
t 0 "dump manifest" dump "$disk" manifest keep --partition 2
has "/d/f" "$OUT" "manifest of partition 2"
t 0 "shell" shell --partition 2 -w -c 'touch main:/g' -c 'write main:/g 0 more' -c 'cat main:/g' "$disk"
has "more" "$OUT" "shell in partition 2"
t 0 "tune" tune --partition 2 -L renamed "$disk"
t 0 "tune shows" tune --partition 2 "$disk"
has "renamed" "$OUT" "tune label"
t 1 "resize cannot grow past the partition" resize --partition 2 "$disk" 400M
t 0 "image" image -q --partition 2 "$disk" "$DIR/p2.meta"
[ "$(stat -c %s "$DIR/p2.meta")" = $((300 * MiB)) ] || bad "image of partition 2 is not the partition's size"
t 0 "fsck of the export" fsck -n "$DIR/p2.meta"
t 0 "fsck after the edits" fsck -n --partition 2 "$disk"
has "clean" "$OUT" "fsck after edits"
# the file system is where the partition is: through --offset from its
# start (to the end of the disk) copy 0 is found, copy 1 is not at the end
n=$((n + 1))
"$B/gefs-fsck" -n --offset $p2 "$disk" > "$OUT" 2> "$ERR"
rc=$?
[ $rc = 4 ] || bad "fsck --offset of partition 2's start: exit $rc, want 4"
has "SB0001 error: superblock copy 1" "$OUT" "fsck --offset of partition 2's start"
t 8 "whole disk is no file system" fsck -n "$disk"
t 1 "mkfs refuses the existing file system" mkfs --partition 2 "$disk"
has "gefs" "$ERR" "mkfs refusal names what it found"
t 0 "forced re-format" mkfs -F -q --partition 2 "$disk"
[ "$(outside "$disk" $p2 $p2end)" = "$before" ] || bad "bytes outside partition 2 changed"
[ "$(sfdisk -d "$disk")" = "$table" ] || bad "the partition table changed"
t 1 "mkfs with a size other than the partition's" mkfs -F --partition 2 "$disk" 200M
# populate writes its data runs through its own descriptor (O_DIRECT where
# the host allows): they too must land inside the window
mkdir -p "$DIR/src/d" && head -c $((3 * MiB)) /dev/urandom > "$DIR/src/d/big" && echo small > "$DIR/src/s"
t 0 "mkfs -d into partition 2" mkfs -F -q -d "$DIR/src" --partition 2 "$disk"
[ "$(outside "$disk" $p2 $p2end)" = "$before" ] || bad "mkfs -d wrote outside partition 2"
t 0 "fsck of the populated partition" fsck -n --partition 2 "$disk"
"$B/gefs-dump" --partition 2 "$disk" cat main:/d/big > "$DIR/big.out" 2> "$ERR" || bad "dump cat /d/big"
cmp -s "$DIR/big.out" "$DIR/src/d/big" || bad "mkfs -d data in partition 2 differs from its source"

# errors
t 1 "no partition 3" mkfs --partition 3 "$disk"
has "no partition 3" "$ERR" "partition 3"
t 8 "fsck: no partition 3" fsck --partition 3 "$disk"
t 1 "dump: no partition 3" dump --partition 3 "$disk" super
t 1 "no table" dump --partition 1 "$DIR/p2.meta" super
has "no partition table" "$ERR" "no table"
truncate -s $((300 * MiB)) "$DIR/cut.img"
printf 'label: dos\nstart=2048, size=%d, type=83\n' $((250 * 2048)) | sfdisk -q "$DIR/cut.img" || bad "sfdisk dos"
truncate -s $((200 * MiB)) "$DIR/cut.img"
t 8 "partition past the end" fsck --partition 1 "$DIR/cut.img"
has "past the end" "$ERR" "partition past the end"
t 2 "offset past the end" dump --offset 1G "$DIR/p2.meta" super
has "past the end" "$ERR" "offset past the end"
gzip -c "$DIR/p2.meta" > "$DIR/p2.meta.gz"
t 8 "gzip with an offset" fsck -n --offset 16K "$DIR/p2.meta.gz"
has "gzip" "$ERR" "gzip with an offset"

# MBR
mbr=$DIR/mbr.img
truncate -s $((300 * MiB)) "$mbr"
printf 'label: dos\nstart=2048, size=%d, type=83\n' $((200 * 2048)) | sfdisk -q "$mbr" || bad "sfdisk dos"
mbefore=$(outside "$mbr" $MiB $((201 * MiB)))
t 0 "mkfs in an MBR partition" mkfs -q --partition 1 "$mbr"
t 0 "fsck of an MBR partition" fsck -n --partition 1 "$mbr"
[ "$(outside "$mbr" $MiB $((201 * MiB)))" = "$mbefore" ] || bad "bytes outside the MBR partition changed"

# --offset: data before the file system, a new file, an unaligned offset
off=$DIR/off.img
yes before-the-file-system | head -c $((3 * MiB)) > "$off"
obefore=$(head -c $((3 * MiB)) "$off" | sha256sum)
t 0 "mkfs --offset in a file" mkfs -q --offset 3M "$off" 200M
[ "$(stat -c %s "$off")" = $((203 * MiB)) ] || bad "--offset 3M with size 200M: file is $(stat -c %s "$off") bytes"
t 0 "replay --offset" replay --offset 3M "$off" "$DIR/script"
t 0 "fsck --offset" fsck -n --offset 3M "$off"
has "clean" "$OUT" "fsck --offset"
[ "$(head -c $((3 * MiB)) "$off" | sha256sum)" = "$obefore" ] || bad "bytes before --offset changed"
t 0 "mkfs --offset, new file" mkfs -q --offset 1000 "$DIR/new.img" 150M
t 0 "fsck --offset 1000" fsck -n --offset 1000 "$DIR/new.img"
t 0 "resize --offset" resize -q --offset 1000 "$DIR/new.img" 300M
[ "$(stat -c %s "$DIR/new.img")" = $((300 * MiB + 1000)) ] || bad "resize --offset: file is $(stat -c %s "$DIR/new.img") bytes"
t 0 "fsck after resize --offset" fsck -n --offset 1000 "$DIR/new.img"
echo "offset: $n checks, fail=$fail"
exit $fail
