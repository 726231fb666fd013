#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs destroys nothing it was not told to (issue 10).
#  - Over ext4 (4 KiB and 1 KiB blocks), btrfs, xfs, vfat (FAT32, 4 KiB
#    sectors) and a GPT disk, with -F: afterwards blkid -p and wipefs find
#    nothing, the old file system's own tools find neither its superblock
#    nor a backup, only a few hundred KiB were written, and gefs-fsck -n
#    is clean.  Each is skipped (SKIP) when its mkfs is not installed.
#  - A file of unknown data is refused without -F (exit 1, one line, the
#    file untouched), whether the format would keep, grow or shrink it;
#    zeros and holes are not data.
#  - A format that fails with ENOSPC (a small tmpfs; skipped when it
#    cannot be mounted) leaves an existing file as it was and removes a
#    file it created.
#  - A FIFO, a socket, a character device: refused at once, also with -n.
set -u
BIN=${GEFS_BIN:?}/gefs-mkfs
FSCK=${GEFS_BIN}/gefs-fsck
export PATH=$PATH:/usr/sbin:/sbin
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-safety.XXXXXX") || exit 1
MNT=
trap '[ -n "$MNT" ] && umount "$MNT" 2>/dev/null; rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0 nbad=0
bad() { echo "FAIL $*"; echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"; fail=1; nbad=$((nbad + 1)); }
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	timeout 60 "$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || { bad "$what: exit $got, want $want"; return 1; }
	if [ "$want" != 0 ]; then
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q '^gefs-mkfs: ' "$ERR" \
			|| { bad "$what: stderr is not one 'gefs-mkfs: ' line"; return 1; }
	fi
	return 0
}
has() { grep -q -- "$1" "$2" || bad "$3: no '$1'"; }
fsize() { stat -c %s "$1"; }
kib() { du -k "$1" | cut -f1; }
have() { command -v "$1" > /dev/null 2>&1; }

# ---- formatting over other file systems ----

# Whether the old file system's own tool still finds it (or a backup).
ext_found() { e2fsck -n "$1" > "$OUT" 2>&1; [ $? != 8 ]; }	# 8: no superblock
btrfs_found() { btrfs check "$1" > "$OUT" 2>&1 || btrfs check --super 1 "$1" > "$OUT" 2>&1; }
xfs_found() { xfs_repair -n "$1" > "$OUT" 2>&1; grep -q "found candidate secondary" "$OUT"; }
vfat_found() { fsck.vfat -n "$1" > "$OUT" 2>&1; }

# Nothing left for libblkid, wipefs or the old tools; little written.
# overfs name image [found-function]
overfs() {
	local name=$1 img=$2 before nbad0=$nbad; shift 2
	blkid -p "$img" > /dev/null 2>&1 || { bad "$name: blkid does not see the new image"; return; }
	before=$(kib "$img")
	t 1 "$name without -F" "$BIN" "$img" || return
	t 0 "$name with -F" "$BIN" -F -q "$img" || return
	blkid -p "$img" > "$OUT" 2>&1
	[ $? = 2 ] && [ ! -s "$OUT" ] || bad "$name: blkid -p still finds something"
	wipefs -n "$img" > "$OUT" 2>&1
	[ ! -s "$OUT" ] || bad "$name: wipefs still lists signatures"
	[ $(($(kib "$img") - before)) -le 1024 ] || bad "$name: wrote $(($(kib "$img") - before)) KiB"
	if [ $# -gt 0 ] && "$1" "$img" < /dev/null; then
		bad "$name: $1: the old file system is still found"
	fi
	if [ -x "$FSCK" ]; then
		"$FSCK" -n "$img" > "$OUT" 2>&1 || bad "$name: gefs-fsck -n exit $?"
	fi
	[ "$nbad" = "$nbad0" ] && echo "ok $name"
}

if have blkid && have wipefs; then
	if have mkfs.ext4 && have e2fsck; then
		truncate -s 512M "$DIR/ext4"
		mkfs.ext4 -q -F -b 4096 "$DIR/ext4" > /dev/null 2>&1 || bad "mkfs.ext4 failed"
		overfs ext4 "$DIR/ext4" ext_found
		for g in 1 3; do
			e2fsck -n -b $((g * 32768)) -B 4096 "$DIR/ext4" > "$OUT" 2>&1
			[ $? = 8 ] || bad "ext4: backup in group $g survives"
		done
		truncate -s 256M "$DIR/ext2"
		mkfs.ext4 -q -F -b 1024 -t ext2 "$DIR/ext2" > /dev/null 2>&1 || bad "mkfs ext2 failed"
		overfs "ext2 1 KiB blocks" "$DIR/ext2" ext_found
		for g in 1 3 5 7 9 25 27; do
			e2fsck -n -b $((g * 8192 + 1)) -B 1024 "$DIR/ext2" > "$OUT" 2>&1
			[ $? = 8 ] || bad "ext2: backup in group $g survives"
		done
		rm -f "$DIR/ext4" "$DIR/ext2"
	else
		echo "SKIP ext4: mkfs.ext4 or e2fsck not installed"
	fi
	if have mkfs.btrfs; then
		truncate -s 300M "$DIR/btrfs"
		mkfs.btrfs -q -f "$DIR/btrfs" > /dev/null 2>&1 || bad "mkfs.btrfs failed"
		if have btrfs; then
			overfs btrfs "$DIR/btrfs" btrfs_found
		else
			overfs btrfs "$DIR/btrfs"
		fi
		rm -f "$DIR/btrfs"
	else
		echo "SKIP btrfs: mkfs.btrfs not installed"
	fi
	if have mkfs.xfs; then
		truncate -s 512M "$DIR/xfs"
		mkfs.xfs -q -f "$DIR/xfs" > /dev/null 2>&1 || bad "mkfs.xfs failed"
		if have xfs_repair; then
			# without a primary, xfs_repair -n searches for secondaries
			overfs xfs "$DIR/xfs" xfs_found
		else
			overfs xfs "$DIR/xfs"
		fi
		rm -f "$DIR/xfs"
	else
		echo "SKIP xfs: mkfs.xfs not installed"
	fi
	if have mkfs.vfat; then
		truncate -s 300M "$DIR/vfat"
		# 4 KiB sectors: the backup boot sector (sector 6) lies past 16 KiB
		mkfs.vfat -F 32 -S 4096 "$DIR/vfat" > /dev/null 2>&1 || bad "mkfs.vfat failed"
		if have fsck.vfat; then
			overfs vfat "$DIR/vfat" vfat_found
		else
			overfs vfat "$DIR/vfat"
		fi
		rm -f "$DIR/vfat"
	else
		echo "SKIP vfat: mkfs.vfat not installed"
	fi
	if have sfdisk; then
		# not a multiple of 16 KiB: the backup GPT header is not in a block
		# gefs writes
		truncate -s $((300 * 1048576 + 512)) "$DIR/gpt"
		printf 'label: gpt\n,,L\n' | sfdisk -q "$DIR/gpt" > /dev/null 2>&1 || bad "sfdisk failed"
		overfs gpt "$DIR/gpt"
		[ "$(tail -c 512 "$DIR/gpt" | head -c 8 | tr -d '\0')" = "EFI PART" ] && bad "gpt: backup header survives"
		rm -f "$DIR/gpt"
	else
		echo "SKIP gpt: sfdisk not installed"
	fi
else
	echo "SKIP other file systems: blkid or wipefs not installed"
fi

# ---- existing files ----

img=$DIR/f.img
# a 300 MiB file of data (its first MiB; the rest holes)
mkdata() { rm -f "$img"; head -c 1M /dev/urandom > "$img"; truncate -s "${1:-300M}" "$img"; }
mkdata
sum=$(md5sum < "$img")
t 1 "shrink a data file" "$BIN" "$img" 200M && has "cut" "$ERR" "shrink a data file"
t 1 "overwrite a data file" "$BIN" "$img"
has "use -F" "$ERR" "overwrite a data file"
t 1 "grow a data file" "$BIN" "$img" 400M
[ "$(fsize "$img")" = 314572800 ] && [ "$(md5sum < "$img")" = "$sum" ] || bad "a refused run changed the file"
t 0 "-n on a data file" "$BIN" -n "$img" 200M
has "^contains .*data.*(needs -F)" "$OUT" "-n on a data file"
# data only in the last MiB
rm -f "$img"; truncate -s 299M "$img"; head -c 1M /dev/urandom >> "$img"
t 1 "data in the last MiB" "$BIN" "$img"
t 0 "shrink a data file with -F" "$BIN" -F -q "$img" 200M
[ "$(fsize "$img")" = 209715200 ] || bad "-F: size $(fsize "$img")"
# zeros are not data: holes, and written zeros
rm -f "$img"; truncate -s 300M "$img"
t 0 "a file of holes, shrunk" "$BIN" -q "$img" 200M
rm -f "$img"; head -c 140M /dev/zero > "$img"
t 0 "a file of zeros" "$BIN" -q "$img"
t 0 "a new file" "$BIN" -q "$DIR/new.img" 256M
# grown with -F: the old backup superblock, now mid-file, is erased
t 0 "grow a gefs image" "$BIN" -F -q "$DIR/new.img" 300M
[ "$(dd if="$DIR/new.img" bs=16384 skip=$((256 * 64 - 1)) count=1 2>/dev/null | head -c 8)" = gefs9.00 ] \
	&& bad "the old backup superblock survives in the grown image"
rm -f "$DIR/new.img"

# ---- a format that fails leaves the file as it was ----

MNT=$DIR/mnt
mkdir "$MNT"
# 1200 KiB: room for a 1 MiB file, not for its format
if mount -t tmpfs -o size=1200K gefs-mkfs-test "$MNT" 2> /dev/null; then
	img=$MNT/f.img
	mkdata 200M
	sum=$(md5sum < "$img")
	t 1 "ENOSPC growing" "$BIN" -F "$img" 300M && has "No space left" "$ERR" "ENOSPC"
	[ "$(fsize "$img")" = 209715200 ] || bad "ENOSPC: size $(fsize "$img"), not restored"
	[ "$(md5sum < "$img")" = "$sum" ] || bad "ENOSPC: contents not restored"
	t 1 "ENOSPC same size" "$BIN" -F "$img"
	[ "$(md5sum < "$img")" = "$sum" ] || bad "ENOSPC same size: contents not restored"
	head -c 400K /dev/urandom > "$MNT/fill" 2> /dev/null
	t 1 "ENOSPC on a new file" "$BIN" "$MNT/new.img" 256M
	[ -e "$MNT/new.img" ] && bad "ENOSPC: the new file is left behind"
	umount "$MNT"
else
	echo "SKIP ENOSPC: cannot mount a tmpfs"
fi
MNT=

# ---- special files: refused at once ----

mkfifo "$DIR/fifo"
t 1 "-n FIFO" "$BIN" -n "$DIR/fifo" && has "not a regular file or block device" "$ERR" "-n FIFO"
t 1 "-n FIFO with size" "$BIN" -n "$DIR/fifo" 256M
t 1 "FIFO" "$BIN" -F "$DIR/fifo"
t 1 "-n /dev/null" "$BIN" -n /dev/null
t 1 "/dev/null" "$BIN" -F /dev/null 256M
if have python3; then
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$DIR/sock"
	t 1 "-n socket" "$BIN" -n "$DIR/sock"
	t 1 "socket" "$BIN" -F "$DIR/sock" 256M
fi
exit $fail
