#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell — gefs-shell end to end: the read commands against gefs-dump on the
# same image, scripts and their FILE:LINE errors and exit codes, -k, the
# read-only refusal of pokes, and raw pokes with and without --rehash
# (gefs-fsck must see the damage without, and call the image clean with).
# Works on a fresh gefs-mkfs image; the reference images add checks when
# ../shared is there.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
sh=$bin/gefs-shell
dump=$bin/gefs-dump
fsck=$bin/gefs-fsck
refs=${GEFS_SHARED:-$src/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0

check() {	# check NAME COND-EXIT-STATUS
	ntest=$((ntest + 1))
	if [ "$2" -ne 0 ]; then
		nfail=$((nfail + 1))
		echo "FAIL: $1"
	fi
}

# status WANT ARGS...: gefs-shell exits WANT.
status() {
	local want=$1
	shift
	"$sh" "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	[ "$got" -eq "$want" ]
	check "gefs-shell $* -> $got, want $want ($(head -c 200 "$tmp/err"))" $?
}

SOURCE_DATE_EPOCH=1700000000 "$bin/gefs-mkfs" -q "$tmp/fresh.img" 256M || { echo "FAIL: mkfs"; exit 1; }
img=$tmp/fresh.img

# Usage: one line naming the program, exit 2.
status 2 --bogus "$img"
grep -q '^gefs-shell: ' "$tmp/err"; check "usage error names the program" $?
[ "$(wc -l <"$tmp/err")" -eq 1 ]; check "usage error is one line" $?
status 2
status 0 --help
status 0 -V
status 1 -c 'ls' "$tmp/missing.img"

# help is generated from the table; every command has a usage line.
status 0 -c help "$img"
for c in $(awk '{print $1}' "$tmp/out"); do
	status 0 -c "help $c" "$img"
	grep -q "^usage: $c" "$tmp/out"; check "help $c prints its usage" $?
done
status 1 -c 'help nosuch' "$img"

# Scripts: FILE:LINE on the first failure, which stops the script (exit 1),
# unless -k.
printf 'pwd\n# comment\nbogus arg\npwd\n' >"$tmp/s1"
status 1 -f "$tmp/s1" "$img"
grep -qx "$tmp/s1:3: bogus: unknown command (try help)" "$tmp/err"; check "FILE:LINE message" $?
[ "$(grep -c 'main:/' "$tmp/out")" -eq 1 ]; check "script stops at the first failure" $?
status 1 -k -f "$tmp/s1" "$img"
[ "$(grep -c 'main:/' "$tmp/out")" -eq 2 ]; check "-k keeps going" $?
status 1 -c 'ls /nonexistent' "$img"
status 1 -c 'ls -q' "$img"
status 1 -c 'mv' "$img"
status 1 -c "cat 'unterminated" "$img"
status 0 -c 'cd adm:/' -c 'pwd' "$img"
grep -qx 'adm:/' "$tmp/out"; check "cd to another label" $?
status 0 -c 'cat adm:/users' "$img"
cmp -s "$tmp/out" <("$dump" "$img" cat adm:/users); check "cat equals gefs-dump cat" $?

# Pokes need -w; read-only refuses them and changes nothing.
sum=$(md5sum <"$img")
status 1 -c 'zap 0x4000' "$img"
grep -q 'read-only' "$tmp/err"; check "read-only refusal says why" $?
[ "$(md5sum <"$img")" = "$sum" ]; check "read-only run changes nothing" $?

# Raw damage: without --rehash fsck sees a hash error; with it the image is
# clean (a bit flipped in the unused middle of the root node of main).
root=$("$dump" "$img" tree main | awk '/^label main/ {print $NF; exit}')
cp "$img" "$tmp/d1.img"
status 0 -w -c "flip $root 80000" "$tmp/d1.img"
"$fsck" -n "$tmp/d1.img" >"$tmp/f1" 2>&1
[ $? -eq 4 ]; check "flip without --rehash is an error for fsck" $?
cp "$img" "$tmp/d2.img"
status 0 -w -c "flip --rehash $root 80000" "$tmp/d2.img"
grep -q '^rehashed ' "$tmp/out"; check "rehash reports" $?
"$fsck" -n "$tmp/d2.img" >"$tmp/f2" 2>&1
check "flip --rehash leaves a clean image ($(tail -1 "$tmp/f2"))" $?
cmp -s "$tmp/d2.img" "$img"
[ $? -ne 0 ]; check "flip --rehash changed the image" $?
status 0 -c "owner $root" "$img"
grep -q 'snapshot tree' "$tmp/out"; check "owner of main's root is the snapshot tree" $?
status 1 -w -c 'poke 0x4000 16383 0000' "$tmp/d2.img"
status 1 -w -c 'flip 0x4000 131072' "$tmp/d2.img"
status 1 -w -c 'zap 0x4001' "$tmp/d2.img"

# set: every named field of every block type, read back through `block`
# (the same renderers as gefs-dump), with and without --rehash.
mkdir -p "$tmp/host"
for i in $(seq 1 400); do echo "file $i" >"$tmp/host/f$i"; done
cp "$img" "$tmp/pop.img"
echo "put -r $tmp/host /d" >"$tmp/pop.scr"
SOURCE_DATE_EPOCH=1700000000 "$bin/gefs-replay" "$tmp/pop.img" "$tmp/pop.scr" >/dev/null 2>&1
check "replay builds a pivot image" $?
pop=$tmp/pop.img
"$sh" -c tree "$pop" >"$tmp/tree" 2>/dev/null
piv=$(awk '$1 == "pivot" { print $2; exit }' "$tmp/tree")
leaf=$(awk '$1 == "leaf" { print $2; exit }' "$tmp/tree")
"$sh" -c 'block 0x4000' "$pop" >"$tmp/ar" 2>/dev/null
loghd=$(awk '$1 == "loghd.addr" { print $2 }' "$tmp/ar")
[ -n "$piv" ] && [ -n "$leaf" ] && [ -n "$loghd" ]; check "pivot $piv, leaf $leaf, log $loghd found" $?

# blk IMAGE ADDR: block ADDR of IMAGE to stdout.
blk() { dd if="$1" bs=16384 skip=$(($2 / 16384)) count=1 status=none; }
# restore ADDR: put block ADDR of $pop back into $tmp/s.img (set without
# --rehash writes that block only; copying the whole image is slow).
restore() { blk "$pop" "$1" | dd of="$tmp/s.img" bs=16384 seek=$(($1 / 16384)) conv=notrunc status=none; }
cp "$pop" "$tmp/s.img"
# setget ADDR FIELD VALUE PATTERN [--json]: set, then block ADDR prints
# PATTERN (an ERE); the block is restored after.
setget() {
	"$sh" -w -c "set $1 $2 $3" "$tmp/s.img" >"$tmp/out" 2>"$tmp/err"
	check "set $1 $2 $3 -> $? ($(head -c 200 "$tmp/err"))" $?
	"$sh" ${5:-} -c "block $1" "$tmp/s.img" >"$tmp/blk" 2>/dev/null
	grep -Eq -- "$4" "$tmp/blk"; check "set $1 $2 $3: block shows /$4/" $?
	restore "$1"
}
# setraw ADDR FIELD VALUE OFFSET HEX: set, then the block holds HEX at
# OFFSET (FORMAT.md's layout; for fields that leave the image unloadable
# or the block undecodable, so that block cannot show them).
setraw() {
	"$sh" -w -c "set $1 $2 $3" "$tmp/s.img" >"$tmp/out" 2>"$tmp/err"
	check "set $1 $2 $3 -> $? ($(head -c 200 "$tmp/err"))" $?
	local got
	got=$(blk "$tmp/s.img" "$1" | od -An -tx1 -j "$4" -N $((${#5} / 2)) | tr -d ' \n')
	[ "$got" = "$5" ]; check "set $1 $2 $3: bytes at $4 are $got, want $5" $?
	restore "$1"
}

# help set names every field the renderings print (superblock, arena,
# node headers), so the two cannot drift apart.
status 0 -c 'help set' "$pop"
cp "$tmp/out" "$tmp/helpset"
"$sh" -c 'block 0' -c 'block 0x4000' "$pop" 2>/dev/null | awk 'NR > 1 && /^  [a-z]/ && $1 != "sbhash_ok" { print $1 }' |
	sed 's/\[[0-9]*\]/[]/' | sort -u >"$tmp/rows"
[ "$(wc -l <"$tmp/rows")" -ge 20 ]; check "superblock and arena rows read" $?
while read -r f; do
	grep -qF "    $f " "$tmp/helpset"; check "help set lists $f" $?
done <"$tmp/rows"
for f in nval valsz nbuf bufsz 'entry\[\]\.key' 'entry\[\]\.gen' 'msg\[\]\.op' logsz logh chain 'entry\[\]\.len' 'blocks\[\]'; do
	grep -q "^    $f " "$tmp/helpset"; check "help set lists $f" $?
done

# Superblock: every row it prints, set and read back.
while read -r f; do
	setget 0 "$f" 200 "^  $f +(200|0xc8|0x00000000000000c8)( |\$)"
done < <(grep -v '\[\]' "$tmp/rows" | grep -Ev '^(loghd|size|used)')
setget 0 'arena[1].hash' 0x1234 '^  arena\[1\]\.hash +0x0000000000001234$'
setget 0 'arena[0].addr' 0x8000 '^  arena\[0\]\.addr +0x8000$'
# Arena header.
setget 0x4000 loghd.addr 0x10000 '^  loghd\.addr +0x10000$'
setget 0x4000 loghd.hash 7 '^  loghd\.hash +0x0000000000000007$'
setget 0x4000 size 0x8000 '^  size +0x8000 '
setget 0x4000 used 0x4000 '^  used +0x4000 '
# Log header and entries (JSON: op, addr and len by name).
setraw "$loghd" logsz 40 2 0028
setraw "$loghd" logh 0x99 4 0000000000000099
setraw "$loghd" chain 0x1c000 12 000000000001c000
setraw "$loghd" 'entry[1].len' 0x8000 60 0000000000008000
setraw "$loghd" 'entry[1].addr' 0x20000 52 0000000000020004
setraw "$loghd" 'entry[1].op' 3 52 000000000000c003
setraw "$loghd" 'entry[1].qgen' 0x1234 52 0000000000123404
# Node headers (raw: the node no longer decodes), pointers, keys, values,
# messages.
setraw "$piv" nval 3 2 0003
setraw "$piv" valsz 99 4 0063
setraw "$piv" nbuf 2 6 0002
setraw "$piv" bufsz 100 8 0064
setraw "$leaf" nval 1 2 0001
setraw "$leaf" valsz 0x1234 4 1234
setget "$piv" 'entry[0].addr' 0x4c000 '^ +0 .*addr=0x4c000 '
setget "$piv" 'entry[0].hash' 0x77 '^ +0 .*hash=0x0000000000000077 '
setget "$piv" 'entry[0].gen' 9 '^ +0 .*gen=9 '
setget "$piv" 'entry[0].fill' 5 '^ +0 .*fill=5$'
setget "$piv" 'entry[1].key' 020000000000000007 '^ +1 +Kup\(0x7\)'
setget "$piv" 'msg[0].op' 2 '^ +m0 +Odelete'
setget "$piv" 'msg[0].value' - '^ +m0 '
setget "$leaf" 'entry[0].key' 0200000000000000aa '^ +0 +Kup\(0xaa\)'
setget "$leaf" 'entry[0].value' 0100000000000000050000 '^ +0 +Kdat.*value\[11\]:0100000000000000050000'
# Bad names, indexes and values: exit 1, the block unchanged.
for c in 'set 0 nosuch 1' 'set 0 arena.addr 1' 'set 0 arena[8].addr 1' 'set 0 arena[x].addr 1' \
	'set 0 qgen[0] 1' 'set 0 snap.ht 0x100000000' 'set 0 qgen -1' 'set 0 qgen 1x' \
	"set $piv nval 65536" "set $piv entry[7].gen 1" "set $piv msg[9999].op 1" "set $piv msg[0].op 256" \
	"set $leaf nbuf 1" "set $leaf entry[0].key 0g" "set $leaf entry[0].key $(printf '%0514d' 0)" \
	"set $loghd entry[0].addr 0x4001" "set $loghd entry[9999].op 1" "set $loghd entry[3].len 1" \
	'set 0x4000 logsz 1' 'set 0x1 qgen 1' 'set 0x7ffffc000 qgen 1'; do
	status 1 -w -c "$c" "$tmp/s.img"
	a=$(echo "$c" | awk '{ print $2 }')
	[ "$a" = 0x1 ] || [ "$a" = 0x7ffffc000 ] || { cmp -s <(blk "$pop" "$a") <(blk "$tmp/s.img" "$a"); check "$c leaves the block unchanged" $?; }
done
status 1 -c 'set 0 qgen 1' "$tmp/s.img"
grep -q 'write mode' "$tmp/err"; check "set needs -w ($(cat "$tmp/err"))" $?

# fsck: a field set without --rehash is a hash error; with --rehash the
# hashes are valid again, and only what the value itself breaks is left.
# fsckv IMAGE WANT-STATUS NAME
fsckv() {
	"$fsck" -n "$1" >"$tmp/f" 2>&1
	local got=$?
	[ "$got" -eq "$2" ]; check "$3: fsck $got, want $2 ($(head -2 "$tmp/f" | tr '\n' ' '))" $?
}
for c in "$piv entry[0].gen 2" "0 nextqid 0x100000" "$loghd entry[1].len 0x8000" "$leaf entry[0].value 00"; do
	cp "$pop" "$tmp/s.img"
	status 0 -w -c "set $c" "$tmp/s.img"
	fsckv "$tmp/s.img" 4 "set $c"
	cp "$pop" "$tmp/s.img"
	status 0 -w -c "set --rehash $c" "$tmp/s.img"
	grep -q '^rehashed ' "$tmp/out"; check "set --rehash $c reports" $?
	case $c in
	*value*) fsckv "$tmp/s.img" 4 "set --rehash $c"
		grep -q ND0002 "$tmp/f"; [ $? -ne 0 ]; check "set --rehash $c: no hash error left" $?
		grep -q KV0003 "$tmp/f"; check "set --rehash $c: the bad value is found" $? ;;
	*) fsckv "$tmp/s.img" 0 "set --rehash $c" ;;
	esac
done
# A node whose header no longer matches its items still gets valid hashes.
cp "$pop" "$tmp/s.img"
status 0 -w -c "set --rehash $piv nbuf 2" "$tmp/s.img"
fsckv "$tmp/s.img" 4 "set --rehash nbuf"
grep -q 'ND0002' "$tmp/f"; [ $? -ne 0 ]; check "set --rehash nbuf: no hash error" $?
grep -q 'ND0003' "$tmp/f"; check "set --rehash nbuf: the header is found wrong" $?

# Reference images: ls -R, stat and get -r -p against gefs-dump.
for gz in "$refs"/ref-small.img.gz "$refs"/ref-deep.img.gz; do
	[ -f "$gz" ] || { echo "SKIP: $gz absent"; continue; }
	ref=$tmp/ref.img
	gzip -dc "$gz" >"$ref"
	rm -rf "$tmp/get"
	status 0 -c 'get -r -p main:/ '"$tmp/get" "$ref"
	# Every file and directory copied out, with length, mode and mtime.
	"$dump" "$ref" manifest main:/ | awk -F'\t' '$1 != "/" {
		m = length($3) > 3 ? substr($3, length($3) - 2) : $3
		printf "%s\t%s\t%d\t%s\n", substr($1, 2), ($2 == "d" ? "-" : $4), m + 0, $8 }' | sort >"$tmp/want"
	(cd "$tmp/get" && find . -mindepth 1 -printf '%P\t%y\t%s\t%m\t%T@\n') |
		awk -F'\t' '{ printf "%s\t%s\t%d\t%d\n", $1, ($2 == "d" ? "-" : $3), $4 + 0, int($5) }' |
		sort >"$tmp/got"
	diff "$tmp/want" "$tmp/got" >"$tmp/getdiff"
	[ "$(wc -l <"$tmp/want")" -gt 10 ]; check "manifest of $(basename "$gz") lists files" $?
	[ ! -s "$tmp/getdiff" ]; check "get -r -p of $(basename "$gz"): $(head -3 "$tmp/getdiff")" $?
	status 0 -c 'manifest main:/' "$ref"
	cmp -s "$tmp/out" <("$dump" "$ref" manifest main:/); check "manifest equals gefs-dump's" $?
done

echo "shell: $((ntest - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]
