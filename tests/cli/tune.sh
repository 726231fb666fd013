#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gefs-tune: show, change and add the extension record (label, UUID)
# through a commit; gefs-dump super shows the new record in both copies,
# gefs-fsck -n stays clean and the files are unchanged; SOURCE_DATE_EPOCH
# time UUIDs; usage errors (exit 2, one "gefs-tune: " line), a locked
# image (exit 1); --help and the man page list the same options; a
# reference image gets a record and still checks clean.
set -u
B=${GEFS_BIN:?}
TUNE=$B/gefs-tune MAN=${GEFS_SRC:?}/man/gefs-tune.8
DIR=$(mktemp -d "${TMPDIR:-/tmp}/tune.XXXXXX") || exit 1
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
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q '^gefs-tune: ' "$ERR" \
			|| bad "$what: stderr is not one 'gefs-tune: ' line"
	fi
}
has() { grep -q -- "$1" "$2" || bad "$3: no '$1'"; }
# field $2 of gefs-dump super, copy 0 and copy 1, must both be $3
super() {
	"$B/gefs-dump" "$1" super > "$DIR/super" 2>&1 || { bad "gefs-dump super $1"; return; }
	local line
	line=$(grep "^$2 " "$DIR/super" | tr -s ' ')
	[ "$line" = "$2 $3 $3" ] || { echo "FAIL $1: '$line', want '$2 $3 $3'"; fail=1; }
}
clean() {
	"$B/gefs-fsck" -n "$1" > "$OUT" 2> "$ERR" || bad "gefs-fsck -n $1 after $2: exit $?"
}
img=$DIR/img

# usage errors
t 2 "no image" "$TUNE"
t 2 "two images" "$TUNE" a b
t 2 "unknown option" "$TUNE" -Z "$img"
t 2 "-L without argument" "$TUNE" "$img" -L
t 2 "bad uuid" "$TUNE" -U 1234 "$img"
t 2 "label with /" "$TUNE" -L a/b "$img"
t 2 "label of 256 bytes" "$TUNE" -L "$(printf 'x%.0s' $(seq 256))" "$img"
t 2 "bad SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=soon "$TUNE" -U time "$img"
t 1 "missing image" "$TUNE" "$DIR/none"
t 0 "-V" "$TUNE" -V
has "^gefs-tune (gefs-progs) " "$OUT" "-V"

# show and change
"$B/gefs-mkfs" -q -L first -U 11111111-2222-4333-8444-555555555555 "$img" 256M || bad "mkfs"
"$B/gefs-dump" "$img" manifest main:/ > "$DIR/man.before" 2>&1 || bad "manifest"
t 0 "show" "$TUNE" "$img"
has "^label    first$" "$OUT" "show"
has "^uuid     11111111-2222-4333-8444-555555555555$" "$OUT" "show"
has "^created  20" "$OUT" "show"
t 0 "-L" "$TUNE" -L "second label" "$img"
has "^label    second label$" "$OUT" "-L"
super "$img" xrec.label "second label"
super "$img" xrec.uuid 11111111-2222-4333-8444-555555555555
super "$img" qgen 1
clean "$img" "-L"
t 0 "-U given" "$TUNE" -q -U 01234567-89ab-4def-8123-456789abcdef "$img"
[ ! -s "$OUT" ] || bad "-q printed something"
super "$img" xrec.uuid 01234567-89ab-4def-8123-456789abcdef
super "$img" xrec.label "second label"
t 0 "-U random" "$TUNE" -U random "$img"
u1=$(sed -n 's/^uuid *//p' "$OUT")
t 0 "-U random again" "$TUNE" -U random "$img"
u2=$(sed -n 's/^uuid *//p' "$OUT")
[ "$u1" != "$u2" ] && [ "${u1:14:1}" = 4 ] || bad "random UUIDs $u1 $u2"
t 0 "-U clear -L ''" "$TUNE" -U clear -L "" "$img"
super "$img" xrec.uuid 00000000-0000-0000-0000-000000000000
has "^label    (none)$" "$OUT" "-L ''"
clean "$img" "-U clear"
"$B/gefs-dump" "$img" manifest main:/ > "$DIR/man.after" 2>&1 || bad "manifest"
cmp -s "$DIR/man.before" "$DIR/man.after" || bad "main's manifest changed"

# SOURCE_DATE_EPOCH: a version-1 UUID of that time, the same every run
t 0 "-U time" env SOURCE_DATE_EPOCH=1700000000 "$TUNE" -U time "$img"
u1=$(sed -n 's/^uuid *//p' "$OUT")
t 0 "-U time again" env SOURCE_DATE_EPOCH=1700000000 "$TUNE" -U time "$img"
u2=$(sed -n 's/^uuid *//p' "$OUT")
ts=$(( 1700000000 * 10000000 + 0x01B21DD213814000 ))
want=$(printf '%08x-%04x-1%03x' $(( ts & 0xffffffff )) $(( (ts >> 32) & 0xffff )) $(( (ts >> 48) & 0xfff )))
[ "$u1" = "$u2" ] && [ "${u1:0:18}" = "$want" ] || bad "time UUID $u1 $u2, want $want-..."
case "${u1:19:1}" in 8|9|a|b) ;; *) bad "time UUID $u1: not RFC 4122 variant" ;; esac

# an image without a record gets one
ref=$DIR/ref
"$B/gefs-mkfs" -q --no-xrecord "$ref" 256M || bad "mkfs --no-xrecord"
t 0 "show, no record" "$TUNE" "$ref"
has "no extension record" "$OUT" "show, no record"
t 0 "add a record" env SOURCE_DATE_EPOCH=1600000000 "$TUNE" -L added "$ref"
has "^created  2020-09-13 12:26:40.000000000 UTC$" "$OUT" "new record's ctime"
super "$ref" xrec.label added
super "$ref" xrec.ctime "2020-09-13 12:26:40"
clean "$ref" "adding a record"
# blocks other than the superblocks, logs and arena headers are untouched:
# the tree leaves of a fresh 256 MiB image (gefs(5) §18.6)
"$B/gefs-mkfs" -q --no-xrecord "$DIR/orig" 256M
for a in $((0x1fec000)) $((0x1ff0000)) $((0x1ff4000)) $((0x200c000)); do
	cmp -s <(dd if="$ref" bs=16384 skip=$((a / 16384)) count=1 2>/dev/null) \
		<(dd if="$DIR/orig" bs=16384 skip=$((a / 16384)) count=1 2>/dev/null) || bad "block $a changed"
done

# a locked image is refused
flock -o "$img" sleep 30 > /dev/null 2>&1 &
bgpid=$!
for i in $(seq 50); do
	flock -n "$img" true 2>/dev/null || break
	sleep 0.1
done
t 1 "locked image" "$TUNE" -L x "$img"
has "another program" "$ERR" "locked image"
kill "$bgpid" 2>/dev/null; wait "$bgpid" 2>/dev/null; bgpid=

# --help and the man page's OPTIONS list the same options
"$TUNE" --help > "$DIR/help" || bad "--help"
grep -E '^ +-' "$DIR/help" | grep -oE -- '--?[A-Za-z][A-Za-z-]*' | sort -u > "$DIR/h"
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
	| sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z][A-Za-z-]*' | tr -d ' "' | sort -u > "$DIR/m"
[ "$(wc -l < "$DIR/h")" -ge 10 ] || bad "only $(wc -l < "$DIR/h") options in --help"
cmp -s "$DIR/h" "$DIR/m" || { echo "FAIL: --help and man OPTIONS differ:"; diff "$DIR/h" "$DIR/m"; fail=1; }
if command -v groff > /dev/null; then
	w=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	[ -z "$w" ] || { echo "FAIL: groff: $w"; fail=1; }
fi

# a reference image (9front) gets a record and checks clean
r=${GEFS_SHARED:-}/reference-images/ref-small.img.gz
if [ -f "$r" ]; then
	gunzip -c "$r" > "$DIR/small"
	"$B/gefs-dump" "$DIR/small" manifest main:/ > "$DIR/small.before" 2>&1
	t 0 "reference image" "$TUNE" -L from-9front "$DIR/small"
	super "$DIR/small" xrec.label from-9front
	clean "$DIR/small" "tuning a reference image"
	"$B/gefs-dump" "$DIR/small" manifest main:/ > "$DIR/small.after" 2>&1
	cmp -s "$DIR/small.before" "$DIR/small.after" || bad "reference image: manifest changed"
else
	echo "reference images absent: reference case skipped"
fi
[ $fail = 0 ] && echo "tune: ok"
exit $fail
