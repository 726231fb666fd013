#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs command line: every exit status and error path (0 success,
# 1 operational error, 2 usage error, one "gefs-mkfs: ..." line on
# stderr), -n writing nothing, sizes with suffixes, resizing, refusing an
# existing gefs / ext4 / partition table / locked image without -F,
# SOURCE_DATE_EPOCH reproducibility, -U, and the extension record's place.
set -u
BIN=${GEFS_BIN:?}/gefs-mkfs
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-usage.XXXXXX") || exit 1
bgpid=
trap '[ -n "$bgpid" ] && kill "$bgpid" 2>/dev/null; rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0
bad() { echo "FAIL $*"; echo "--- stdout"; cat "$OUT"; echo "--- stderr"; cat "$ERR"; fail=1; }
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	"$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || { bad "$what: exit $got, want $want"; return; }
	if [ "$want" != 0 ]; then
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q '^gefs-mkfs: ' "$ERR" \
			|| bad "$what: stderr is not one 'gefs-mkfs: ' line"
	fi
}
has() { grep -q -- "$1" "$2" || bad "$3: no '$1'"; }
fsize() { stat -c %s "$1"; }
# 8 bytes at offset $2 of file $1, as text
peek() { dd if="$1" bs=1 skip="$2" count=8 2>/dev/null; }
img=$DIR/img

# usage errors: exit 2
t 2 "no image" "$BIN"
[ "$(grep -c . "$ERR")" -ge 1 ] || bad "no usage text"
t 2 "three operands" "$BIN" a 256M x
t 2 "unknown option" "$BIN" -Z "$img" 256M
t 2 "unknown long option" "$BIN" --bogus "$img" 256M
t 2 "-u without argument" "$BIN" "$img" -u
t 2 "unparsable size" "$BIN" "$img" 12X
t 2 "size with junk" "$BIN" "$img" 256MB2
t 2 "negative size" "$BIN" "$img" -- -5
t 2 "empty size" "$BIN" "$img" ""
t 2 "size overflow" "$BIN" "$img" 99999999999999999999
t 2 "size suffix overflow" "$BIN" "$img" 99999999T
t 2 "user adm" "$BIN" -u adm "$img" 256M
t 2 "user none" "$BIN" -u none "$img" 256M
t 2 "user nogroup" "$BIN" -u nogroup "$img" 256M
t 2 "user with colon" "$BIN" -u a:b "$img" 256M
t 2 "user with comma" "$BIN" -u a,b "$img" 256M
t 2 "empty user" "$BIN" -u "" "$img" 256M
t 2 "user with newline" "$BIN" -u $'a\nb' "$img" 256M
t 2 "user too long" "$BIN" -u "$(printf 'u%.0s' $(seq 128))" "$img" 256M
t 2 "label with slash" "$BIN" -L a/b "$img" 256M
t 2 "label with tab" "$BIN" -L $'a\tb' "$img" 256M
t 2 "label too long" "$BIN" -L "$(printf 'l%.0s' $(seq 256))" "$img" 256M
t 2 "label not UTF-8" "$BIN" -L $'\xff\xfe' "$img" 256M
t 2 "label without record" "$BIN" -L x --no-xrecord "$img" 256M
t 2 "-U without record" "$BIN" -U random --no-xrecord "$img" 256M
t 2 "bad -U" "$BIN" -U not-a-uuid "$img" 256M
t 2 "bad SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=soon "$BIN" "$img" 256M
[ -e "$img" ] && bad "a usage error created the image"

# information
t 0 "-V" "$BIN" -V
has "gefs-mkfs (gefs-progs)" "$OUT" "-V"
t 0 "-h" "$BIN" -h
has "usage: gefs-mkfs" "$OUT" "-h"
t 0 "--help" "$BIN" --help

# operational errors: exit 1
t 1 "too small" "$BIN" "$img" 1M
has "134234112" "$ERR" "too small"
has "128.02 MiB" "$ERR" "too small"
[ -e "$img" ] && bad "too small: image created"
t 1 "size 0" "$BIN" "$img" 0
t 1 "one block short" "$BIN" "$img" 134217728
t 1 "missing file, no size" "$BIN" "$img"
mkdir "$DIR/d"
t 1 "directory" "$BIN" "$DIR/d" 256M
t 1 "unwritable path" "$BIN" "$DIR/nonexistent/img" 256M
truncate -s 100M "$DIR/small"
t 1 "existing file too small" "$BIN" "$DIR/small"
has "134234112" "$ERR" "existing file too small"

# -n writes nothing
t 0 "-n new file" "$BIN" -n -b "$img" 256M
[ -e "$img" ] && bad "-n created the image"
has "^minimum  *134234112$" "$OUT" "-n -b"
has "^superblocks 0x0 0xfffc000" "$OUT" "-n"
[ "$(grep -cE '^ +[0-9]+ +0x[0-9a-f]+ +33505280$' "$OUT")" = 8 ] || bad "-n: not 8 arena rows"
grep -qE '^ +1 +0x2000000 +33505280$' "$OUT" || bad "-n: arena 1 row"
t 0 "-n human sizes" "$BIN" -n "$img" 256M
has "^size  *256 MiB$" "$OUT" "-n"
has "^arenas  *8 of 32 MiB (2045 blocks)" "$OUT" "-n"
[ "$(grep -cE '^ +[0-9]+ +0x[0-9a-f]+ +32 MiB$' "$OUT")" = 8 ] || bad "-n: arena sizes not human"
t 0 "-n 40T" "$BIN" -n -b "$img" 40T
[ "$(grep -cE '^ +[0-9]+ +0x[0-9a-f]+ +4398046461952$' "$OUT")" = 10 ] || bad "-n 40T: not 10 arenas"
has "0x27ffffffc000" "$OUT" "-n 40T"
t 0 "-n 200T" "$BIN" -n --bytes "$img" 200T
[ "$(grep -cE '^ +[0-9]+ +0x[0-9a-f]+ +6871947624448$' "$OUT")" = 32 ] || bad "-n 200T: not 32 arenas"
t 0 "-n 1P" "$BIN" -n -b "$img" 1024T
[ "$(grep -cE '^ +[0-9]+ +0x[0-9a-f]+ +[0-9]+$' "$OUT")" = 32 ] || bad "-n 1024T: not 32 arenas"
t 1 "-n too small" "$BIN" -n "$img" 64M
truncate -s 1T "$DIR/big"
t 0 "-n existing 1 TiB file" "$BIN" -n "$DIR/big"
has "^size  *1 TiB$" "$OUT" "-n 1T"
[ "$(du -k "$DIR/big" | cut -f1)" -le 16 ] || bad "-n wrote into the 1 TiB file"
rm -f "$DIR/big"

# formatting, suffixes, resizing
t 0 "format 256M" "$BIN" "$img" 256M
[ "$(fsize "$img")" = 268435456 ] || bad "256M: size $(fsize "$img")"
[ "$(peek "$img" 0)" = gefs9.00 ] && [ "$(peek "$img" 268419072)" = gefs9.00 ] || bad "no superblocks"
[ "$(peek "$img" 8192)" = GEFSXT01 ] && [ "$(peek "$img" $((268419072 + 8192)))" = GEFSXT01 ] \
	|| bad "no extension record in both superblock blocks"
t 1 "existing gefs without -F" "$BIN" "$img" 256M
has "gefs file system" "$ERR" "existing gefs"
has "use -F" "$ERR" "existing gefs"
t 0 "existing gefs with -F" "$BIN" -F "$img" 256M
t 0 "-q" "$BIN" -q -F "$img" 262144K
[ -s "$OUT" ] && bad "-q printed something"
[ "$(fsize "$img")" = 268435456 ] || bad "262144K: size $(fsize "$img")"
t 0 "-v" "$BIN" -v -F "$img" 256MiB
has "^wrote 30 blocks, 480 KiB" "$OUT" "-v"
t 0 "-v -b" "$BIN" -v -b -F "$img" 256MiB
has "^wrote 30 blocks, 491520 in" "$OUT" "-v -b"
t 0 "1G" "$BIN" -F -q "$img" 1G
[ "$(fsize "$img")" = 1073741824 ] || bad "1G: size $(fsize "$img")"
t 0 "shrink to 200M" "$BIN" -F -q "$img" 200M
[ "$(fsize "$img")" = 209715200 ] || bad "200M: size $(fsize "$img")"
[ "$(peek "$img" $((209715200 - 16384)))" = gefs9.00 ] || bad "200M: backup superblock not last"
rm -f "$img"
truncate -s 300M "$img"
t 0 "existing zero file, no size" "$BIN" -q "$img"
[ "$(fsize "$img")" = 314572800 ] || bad "existing file resized without SIZE"
[ "$(peek "$img" $((314572800 - 16384)))" = gefs9.00 ] || bad "300M: backup superblock not last"
rm -f "$img"
truncate -s 300M "$img"
t 0 "grow zero file" "$BIN" -q "$img" 400M
[ "$(fsize "$img")" = 419430400 ] || bad "grown: size $(fsize "$img")"
rm -f "$img"

# other file systems and partition tables
mke2fs -q -F -t ext4 "$DIR/ext4" 8M >/dev/null 2>&1 || bad "mke2fs failed"
t 1 "ext4 without -F" "$BIN" "$DIR/ext4" 256M
has "ext4" "$ERR" "ext4"
[ "$(fsize "$DIR/ext4")" = 8388608 ] || bad "ext4 image resized though refused"
t 0 "ext4 with -F" "$BIN" -F -q "$DIR/ext4" 256M
if command -v sfdisk > /dev/null; then
	truncate -s 256M "$DIR/pt"
	echo 'label: dos
,,83' | sfdisk -q "$DIR/pt" > /dev/null 2>&1
	t 1 "partition table without -F" "$BIN" "$DIR/pt"
	has "partition table" "$ERR" "partition table"
fi

# an image locked by another program
truncate -s 256M "$img"
flock -o "$img" sleep 30 &
bgpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	flock -n "$img" true 2>/dev/null || break
	sleep 0.2
done
t 1 "locked image" "$BIN" -F "$img"
kill "$bgpid" 2>/dev/null; wait "$bgpid" 2>/dev/null; bgpid=
t 0 "unlocked again" "$BIN" -F -q "$img"
rm -f "$img"

# reproducibility: SOURCE_DATE_EPOCH gives the same bytes; -U pins the UUID
SOURCE_DATE_EPOCH=1700000000 "$BIN" -q -L repro "$DIR/r1" 256M || bad "repro 1"
SOURCE_DATE_EPOCH=1700000000 "$BIN" -q -L repro "$DIR/r2" 256M || bad "repro 2"
cmp -s "$DIR/r1" "$DIR/r2" || bad "SOURCE_DATE_EPOCH: images differ"
SOURCE_DATE_EPOCH=1700000001 "$BIN" -q -L repro "$DIR/r2" -F 256M || bad "repro 3"
cmp -s "$DIR/r1" "$DIR/r2" && bad "SOURCE_DATE_EPOCH: another epoch gives the same image"
"$BIN" -q "$DIR/r2" -F 256M && "$BIN" -q "$DIR/r1" -F 256M || bad "random 1"
cmp -s "$DIR/r1" "$DIR/r2" && bad "without SOURCE_DATE_EPOCH two images are identical"
U=0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0
t 0 "-U" env TZ=UTC SOURCE_DATE_EPOCH=1700000000 "$BIN" -F -U $U "$DIR/r1" 256M
has "uuid $U" "$OUT" "-U"
has "created 2023-11-14T22:13:20Z$" "$OUT" "-U"
t 0 "-U, TZ" env TZ=EST5 SOURCE_DATE_EPOCH=1700000000 "$BIN" -F -U $U "$DIR/r1" 256M
has "created 2023-11-14T17:13:20-05:00$" "$OUT" "-U, TZ"
"$BIN" -F -U $U "$DIR/r1" 256M > /dev/full 2>"$ERR"
[ $? = 1 ] || bad "stdout on /dev/full: not exit 1"
[ "$(wc -l < "$ERR")" = 1 ] && grep -q "^gefs-mkfs: error writing standard output" "$ERR" || bad "/dev/full: $(cat "$ERR")"
got=$(od -An -tx1 -j $((8192 + 16)) -N16 "$DIR/r1" | tr -d ' \n')
[ "$got" = "$(echo $U | tr -d -)" ] || bad "-U: superblock 0 holds $got"
got=$(od -An -tx1 -j $((268419072 + 8192 + 16)) -N16 "$DIR/r1" | tr -d ' \n')
[ "$got" = "$(echo $U | tr -d -)" ] || bad "-U: superblock 1 holds $got"
t 0 "-U time" "$BIN" -F -U time "$DIR/r1" 256M
t 0 "-U random" "$BIN" -F -U random "$DIR/r1" 256M

# the result checks clean
if [ -x "${GEFS_BIN}/gefs-fsck" ]; then
	t 0 "gefs-fsck on a fresh image" "${GEFS_BIN}/gefs-fsck" -n "$DIR/r1"
fi
exit $fail
