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
