#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gefs-resize: grow 256M -> 1G as the reference lays out a grow (four
# arenas, gefs(5) §19; addresses computed here from the rule), fsck clean,
# files and the extension record unchanged, real arena table hashes; grow
# into a file extended beforehand; refuse to shrink or to grow by less
# than 64 MiB (exit 1, one "gefs-resize: " line); usage errors (exit 2);
# a locked image; --help and the man page agree; a reference image grows
# and checks clean.
set -u
B=${GEFS_BIN:?}
RS=$B/gefs-resize MAN=${GEFS_SRC:?}/man/gefs-resize.8
DIR=$(mktemp -d "${TMPDIR:-/tmp}/resize.XXXXXX") || exit 1
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
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q '^gefs-resize: ' "$ERR" \
			|| bad "$what: stderr is not one 'gefs-resize: ' line"
	fi
}
has() { grep -q -- "$1" "$2" || bad "$3: no '$1'"; }
clean() { "$B/gefs-fsck" -n "$1" > "$OUT" 2> "$ERR" || bad "gefs-fsck -n $1 after $2: exit $?"; }
manifests() { # image out
	for l in main adm; do "$B/gefs-dump" "$1" manifest "$l:/"; done > "$2" 2>&1
}
img=$DIR/img

t 2 "no image" "$RS"
t 2 "three operands" "$RS" a 1G x
t 2 "unknown option" "$RS" -Z "$img"
t 2 "bad size" "$RS" "$img" 12X
t 2 "zero size" "$RS" "$img" 0
t 1 "missing image" "$RS" "$DIR/none" 1G
t 0 "-V" "$RS" -V
has "^gefs-resize (gefs-progs) " "$OUT" "-V"

# 256 MiB -> 1 GiB
"$B/gefs-mkfs" -q -L grown "$img" 256M || bad "mkfs"
manifests "$img" "$DIR/m.before"
t 0 "grow to 1G" "$RS" "$img" 1G
[ "$(stat -c %s "$img")" = 1073741824 ] || bad "file size $(stat -c %s "$img")"
has "8 to 12 arenas" "$OUT" "grow to 1G"
clean "$img" "grow to 1G"
manifests "$img" "$DIR/m.after"
cmp -s "$DIR/m.before" "$DIR/m.after" || bad "manifests changed"
# the layout of gefs(5) §19: old end 0x4000 + 8 * (S + 2B), S = 0x1ff4000
blk=16384 oldend=$(( 0x4000 + 8 * (0x1ff4000 + 2 * 16384) ))
newend=$(( 1073741824 - 2 * blk ))
s=$(( (newend - oldend) / 4 )); s=$(( s - s % blk - 2 * blk ))
"$B/gefs-dump" -b "$img" arenas > "$DIR/arenas" 2>&1 || bad "dump arenas"
for j in 0 1 2 3; do
	a=$(printf '0x%x' $(( oldend + j * (s + 2 * blk) )))
	grep -qE "^ +$((8 + j)) +$a +$s " "$DIR/arenas" || { echo "FAIL: arena $((8 + j)) not at $a of $s bytes"; cat "$DIR/arenas"; fail=1; }
done
"$B/gefs-dump" "$img" super > "$DIR/super" 2>&1 || bad "dump super"
grep -q '^field .*copy 1 (0x3fffc000)' "$DIR/super" || bad "backup superblock not at 0x3fffc000"
grep -qE '^narena +12 +12$' "$DIR/super" || bad "narena not 12 in both copies"
grep -qE '^xrec.label +grown +grown$' "$DIR/super" || bad "label lost"
! grep -qE '^arena\[[0-9]+\]\.hash .*NONE' "$DIR/super" || bad "an arena table hash is NONE"

# refusals
t 1 "shrink" "$RS" "$img" 512M
has "shrinking is not supported" "$ERR" "shrink"
t 1 "grow by 32 MiB" "$RS" "$img" 1056M
has "less than 64 MiB" "$ERR" "grow by 32 MiB"

# a file extended beforehand: no size
truncate -s 2G "$img"
t 0 "grow into the file" "$RS" -q "$img"
[ ! -s "$OUT" ] || bad "-q printed something"
grep -qE '^ +15 ' <("$B/gefs-dump" "$img" arenas) || bad "16 arenas expected"
clean "$img" "growing into the file"
manifests "$img" "$DIR/m.after2"
cmp -s "$DIR/m.before" "$DIR/m.after2" || bad "manifests changed (second grow)"

# a locked image is refused
flock -o "$img" sleep 30 > /dev/null 2>&1 &
bgpid=$!
for i in $(seq 50); do
	flock -n "$img" true 2>/dev/null || break
	sleep 0.1
done
t 1 "locked image" "$RS" "$img" 3G
kill "$bgpid" 2>/dev/null; wait "$bgpid" 2>/dev/null; bgpid=
[ "$(stat -c %s "$img")" = 2147483648 ] || bad "a refused grow changed the file size"

# --help and the man page's OPTIONS list the same options
"$RS" --help > "$DIR/help" || bad "--help"
grep -E '^ +-' "$DIR/help" | grep -oE -- '--?[A-Za-z][A-Za-z-]*' | sort -u > "$DIR/h"
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
	| sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z][A-Za-z-]*' | tr -d ' "' | sort -u > "$DIR/m"
[ "$(wc -l < "$DIR/h")" -ge 6 ] || bad "only $(wc -l < "$DIR/h") options in --help"
cmp -s "$DIR/h" "$DIR/m" || { echo "FAIL: --help and man OPTIONS differ:"; diff "$DIR/h" "$DIR/m"; fail=1; }
if command -v groff > /dev/null; then
	w=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	[ -z "$w" ] || { echo "FAIL: groff: $w"; fail=1; }
fi

# a reference image (9front) grows and checks clean
r=${GEFS_SHARED:-}/reference-images/ref-small.img.gz
if [ -f "$r" ]; then
	gunzip -c "$r" > "$DIR/small"
	sz=$(stat -c %s "$DIR/small")
	manifests "$DIR/small" "$DIR/s.before"
	t 0 "reference image" "$RS" "$DIR/small" $(( sz + 256 * 1048576 ))
	clean "$DIR/small" "growing a reference image"
	manifests "$DIR/small" "$DIR/s.after"
	cmp -s "$DIR/s.before" "$DIR/s.after" || bad "reference image: manifests changed"
else
	echo "reference images absent: reference case skipped"
fi
[ $fail = 0 ] && echo "resize: ok"
exit $fail
