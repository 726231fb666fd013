#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs -d: a tree made by tests/tools/poptree.py (empty and 0, 1,
# 16383, 16384, 16385-byte files, a multi-MiB file, sparse files, deep and
# wide directories, long, UTF-8 and odd names) loaded into an image must
# read back through gefs-dump exactly (manifest: content, mode, length;
# every mtime to the nanosecond), gefs-fsck -n must find it clean, the
# same inputs must give the same bytes (also when the key sort spills to
# its temporary file, and with one thread or two), holes must stay holes,
# and every refusal (names GEFS cannot hold, --strict, too small a size)
# must write nothing.
set -u
MKFS=${GEFS_BIN:?}/gefs-mkfs FSCK=$GEFS_BIN/gefs-fsck DUMP=$GEFS_BIN/gefs-dump
GEN="python3 ${GEFS_SRC:?}/tests/tools/poptree.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-pop.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0
bad() { echo "FAIL $*"; echo "--- stdout"; head -20 "$OUT"; echo "--- stderr"; head -20 "$ERR"; fail=1; }
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	"$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || bad "$what: exit $got, want $want"
}
# the manifest columns that come from the source: path type mode length mtime sha256
imgman() { "$DUMP" "$1" manifest "$2" | awk -F'\t' -v OFS='\t' '{print $1,$2,$3,$4,$8,$11}'; }
roundtrip() { # image label source [epoch]
	imgman "$1" "$2" > "$DIR/got" || bad "manifest of $1"
	$GEN manifest "$3" > "$DIR/want"
	[ -n "${4:-}" ] && awk -F'\t' -v OFS='\t' -v e="$4" '$5 > e {$5 = e} {print}' "$DIR/want" > "$DIR/want.c" && mv "$DIR/want.c" "$DIR/want"
	diff "$DIR/want" "$DIR/got" > "$DIR/diff" || { bad "$1: manifest differs from $3"; head "$DIR/diff"; }
	"$DUMP" --json "$1" ls -R "$2" > "$DIR/ls.json" || bad "ls -R of $1"
	$GEN mtimes "$3" "$DIR/ls.json" ${4:-} > "$DIR/mt" || { bad "$1: mtimes differ"; head "$DIR/mt"; }
	t 0 "fsck -n $1" "$FSCK" -n "$1"
}

src=$DIR/src
$GEN make "$src" || exit 1
export SOURCE_DATE_EPOCH=1700000000

# round trip, clean, deterministic
t 0 "mkfs -d" "$MKFS" -d "$src" "$DIR/a.img"
grep -q 'label main: ' "$OUT" || bad "no summary line"
roundtrip "$DIR/a.img" main "$src"
t 0 "mkfs -d again" "$MKFS" -d "$src" "$DIR/b.img"
cmp -s "$DIR/a.img" "$DIR/b.img" || bad "two runs on the same inputs differ"
# a tiny sort budget spills runs and merges them: same bytes
GEFS_MKFS_SORTMEM=65536 t 0 "mkfs -d with spilling sort" "$MKFS" -d "$src" "$DIR/c.img"
cmp -s "$DIR/a.img" "$DIR/c.img" || bad "spilled sort gives a different image"
# the writer thread changes nothing: one thread and two, the same bytes
GEFS_MKFS_THREADS=1 t 0 "mkfs -d in one thread" "$MKFS" -d "$src" "$DIR/t1.img"
GEFS_MKFS_THREADS=2 t 0 "mkfs -d in two threads" "$MKFS" -d "$src" "$DIR/t2.img"
cmp -s "$DIR/t1.img" "$DIR/t2.img" || bad "one thread and two give different images"
cmp -s "$DIR/a.img" "$DIR/t2.img" || bad "two threads differ from the default"
GEFS_MKFS_THREADS=2 GEFS_MKFS_SORTMEM=65536 t 0 "mkfs -d in two threads, spilling" "$MKFS" -d "$src" "$DIR/t3.img"
cmp -s "$DIR/a.img" "$DIR/t3.img" || bad "two threads with a spilling sort differ"
rm -f "$DIR/t1.img" "$DIR/t2.img" "$DIR/t3.img"
# contents of a few files byte for byte
for f in size-16383 size-16385 big sparse/hole-middle names/日本語のファイル; do
	"$DUMP" "$DIR/a.img" cat "main:/$f" | cmp -s - "$src/$f" || bad "cat $f differs"
done
# holes stay holes: hole-middle (8 MiB + 3, data in its first block and 8
# bytes across the 8 MiB boundary) takes 3 data blocks, all-hole none
"$DUMP" "$DIR/a.img" tree main > "$DIR/tree" || bad "tree main"
q=$(awk -F'\t' '$1 == "/sparse/hole-middle" {print $9}' <("$DUMP" "$DIR/a.img" manifest main))
n=$(grep -c "Kdat(0x$q," "$DIR/tree")
[ "$n" = 3 ] || bad "hole-middle (qid 0x$q) has $n data blocks, want 3"
q=$(awk -F'\t' '$1 == "/sparse/all-hole" {print $9}' <("$DUMP" "$DIR/a.img" manifest main))
n=$(grep -c "Kdat(0x$q," "$DIR/tree")
[ "$n" = 0 ] || bad "all-hole has $n data blocks, want 0"

# SOURCE_DATE_EPOCH clamps later mtimes
SOURCE_DATE_EPOCH=1600500000 t 0 "mkfs -d clamped" "$MKFS" -d "$src" "$DIR/e.img"
roundtrip "$DIR/e.img" main "$src" 1600500000

# a bigger, wider tree: a multi-level tree (pivots), still exact
$GEN make "$DIR/wide" --wide 2000 --big 1 || exit 1
t 0 "mkfs -d wide" "$MKFS" -d "$DIR/wide" "$DIR/w.img"
roundtrip "$DIR/w.img" main "$DIR/wide"
"$DUMP" "$DIR/w.img" stats > "$DIR/stats"
awk '$1 == "snap" && $3 == "main" && $4 < 2 {exit 1}' "$DIR/stats" || bad "wide tree is a single leaf"

# -l LABEL (a fork of empty), --snap NAME, -E
t 0 "mkfs -d -l --snap -E" "$MKFS" -d "$src" -l work --snap v1 -E root_perms=700,root_owner=adm:adm "$DIR/l.img"
imgman "$DIR/l.img" work | tail -n +2 > "$DIR/got"
$GEN manifest "$src" | tail -n +2 | cmp -s - "$DIR/got" || bad "label work: manifest differs"
"$DUMP" "$DIR/l.img" snaps > "$DIR/snaps"
grep -Eq '^ +work +[0-9]+ +1 +true$' "$DIR/snaps" || bad "no mutable label work"
grep -Eq '^ +v1 +[0-9]+ +0 +false$' "$DIR/snaps" || bad "no immutable label v1"
"$DUMP" "$DIR/l.img" manifest work:/ | head -1 | grep -q "^/	d	20000000700	0	adm	adm	" || bad "-E root_perms/root_owner not applied"
"$DUMP" "$DIR/l.img" ls main | grep -q . && bad "main is not empty after -l work"
t 0 "fsck -n -l image" "$FSCK" -n "$DIR/l.img"

# --owner-map: host uid/gid and path rules; the names join adm's users file
mkdir -p "$DIR/own/a/b" && echo 1 > "$DIR/own/a/f" && echo 2 > "$DIR/own/a/b/g" && echo 3 > "$DIR/own/top"
chown 1000:100 "$DIR/own/a/f" && chown 1001:1001 "$DIR/own/top" && chown 0:0 "$DIR/own" "$DIR/own/a" "$DIR/own/a/b" "$DIR/own/a/b/g"
printf '# test map\nuid 1000 alice\ngid 100 staff\nuid 1001 bob\npath /a/b carol:staff\n' > "$DIR/own.map"
t 0 "--owner-map" "$MKFS" -d "$DIR/own" --owner-map "$DIR/own.map" -E root_owner=alice:staff "$DIR/ow.img"
"$DUMP" "$DIR/ow.img" manifest main | cut -f1,5-7 > "$DIR/got"
printf '%s\n' "/	alice	staff	alice" "/a	glenda	glenda	glenda" "/a/b	carol	staff	carol" \
	"/a/b/g	carol	staff	carol" "/a/f	alice	staff	alice" "/top	bob	glenda	bob" > "$DIR/want"
diff "$DIR/want" "$DIR/got" || bad "--owner-map owners"
"$DUMP" "$DIR/ow.img" cat adm:/users > "$DIR/users"
printf '%s\n' "-1:adm::glenda" "0:none::" "1:glenda:glenda:" "2:alice:alice:" "3:staff:staff:" "4:bob:bob:" \
	"5:carol:carol:" | cmp -s - "$DIR/users" || bad "users file with the map's names"
t 0 "fsck -n owner map" "$FSCK" -n "$DIR/ow.img"
printf 'uid x alice\n' > "$DIR/bad.map"
t 1 "malformed owner map" "$MKFS" -d "$DIR/own" --owner-map "$DIR/bad.map" "$DIR/ob.img"
grep -q 'bad.map:1' "$ERR" || bad "malformed map: no line number"
t 2 "-E root_owner unknown" "$MKFS" -d "$DIR/own" -E root_owner=zed:zed "$DIR/ob.img"

# skipped nodes: a warning each and a count; --strict refuses, writes nothing
mkdir -p "$DIR/odd/d" && echo x > "$DIR/odd/d/f" && ln -s f "$DIR/odd/d/link" && mkfifo "$DIR/odd/fifo"
ln "$DIR/odd/d/f" "$DIR/odd/hard"
t 0 "mkfs -d with a symlink and a fifo" "$MKFS" -d "$DIR/odd" "$DIR/o.img"
[ "$(grep -c 'warning: .*skipped' "$ERR")" = 2 ] || bad "want 2 skip warnings"
[ "$(grep -c 'note: .*hard link' "$ERR")" = 1 ] || bad "want 1 hard-link note"
grep -q '2 skipped' "$OUT" || bad "no skip count"
t 0 "fsck -n o.img" "$FSCK" -n "$DIR/o.img"
t 1 "--strict" "$MKFS" -d "$DIR/odd" --strict "$DIR/s.img"
[ -e "$DIR/s.img" ] && bad "--strict left an image"
grep -q 'symbolic link' "$ERR" || bad "--strict: no message for the link"

# names GEFS cannot hold: each named, nothing written
mkdir -p "$DIR/badnames" && : > "$DIR/badnames/$(printf 'n%.0s' $(seq 245))" && : > "$DIR/badnames/$(printf 'a\tb')"
t 1 "bad names" "$MKFS" -d "$DIR/badnames" "$DIR/n.img"
[ -e "$DIR/n.img" ] && bad "bad names left an image"
grep -q 'at most 244' "$ERR" || bad "no message for the long name"
grep -q 'control byte 0x09' "$ERR" || bad "no message for the tab"

# too small a size: says how much is needed, writes nothing
mkdir -p "$DIR/huge" && head -c 140000000 /dev/urandom > "$DIR/huge/f"
t 1 "size too small" "$MKFS" -d "$DIR/huge" "$DIR/z.img" 130M
grep -q 'needs at least' "$ERR" || bad "no 'needs at least'"
[ -e "$DIR/z.img" ] && bad "too small a size left an image"
# without a size: computed, with headroom; --shrink: smaller, still fits
t 0 "computed size" "$MKFS" -d "$DIR/huge" "$DIR/h1.img"
t 0 "--shrink" "$MKFS" -d "$DIR/huge" --shrink "$DIR/h2.img"
[ "$(stat -c %s "$DIR/h2.img")" -lt "$(stat -c %s "$DIR/h1.img")" ] || bad "--shrink is not smaller"
t 0 "fsck -n shrunk" "$FSCK" -n "$DIR/h2.img"
"$DUMP" "$DIR/h2.img" cat main:/f | cmp -s - "$DIR/huge/f" || bad "shrunk image content differs"

# -C FD: progress lines, the last one complete
"$MKFS" -q -d "$src" -C 3 "$DIR/p.img" 3> "$DIR/prog" || bad "-C 3: exit $?"
last=$(tail -1 "$DIR/prog")
set -- $last
[ "$#" = 4 ] && [ "$1" = "$2" ] && [ "$3" = "$4" ] && [ "$1" -gt 300 ] || bad "-C: last progress line \"$last\""
t 2 "-C closed descriptor" "$MKFS" -d "$src" -C 9 "$DIR/u.img"

# usage
t 2 "-l without -d" "$MKFS" -l x "$DIR/u.img" 256M
t 2 "bad -E" "$MKFS" -d "$src" -E root_perms=999 "$DIR/u.img"
t 2 "unknown -E" "$MKFS" -d "$src" -E bogus=1 "$DIR/u.img"
exit $fail
