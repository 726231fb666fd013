#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gefs-image: the metadata export of every reference image and of images
# gefs-mkfs -d fills, as a sparse file and gzip'd (to a file and to
# standard output).  gefs-fsck -n of the export reports what -E nodata
# reports of the original (plus one line saying it is a metadata image),
# with the same exit status; gefs-dump lists the same manifests (the hash
# column aside: "-" in an export) and refuses to cat file data; no byte
# of file data (known patterns) is in the export, though it is in the
# original; the output is deterministic; errors and --help against the
# man page.  Reference images are skipped when ../shared is absent.
set -u
export TZ=UTC
B=${GEFS_BIN:?}
IMG=$B/gefs-image FSCK=$B/gefs-fsck DUMP=$B/gefs-dump MAN=${GEFS_SRC:?}/man/gefs-image.8
refs=${GEFS_SHARED:-$GEFS_SRC/../shared}/reference-images
DIR=$(mktemp -d "${TMPDIR:-/tmp}/image.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0 n=0
bad() { echo "FAIL $*"; echo "--- stdout"; head -20 "$OUT"; echo "--- stderr"; head -5 "$ERR"; fail=1; }
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	n=$((n + 1))
	"$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || { bad "$what: exit $got, want $want"; return; }
	if [ "$want" != 0 ]; then
		[ "$(wc -l < "$ERR")" = 1 ] && grep -q '^gefs-image: ' "$ERR" \
			|| bad "$what: stderr is not one 'gefs-image: ' line"
	fi
}

# same ORIG EXPORT LABELS...: fsck findings and status, manifests
same() {
	local orig=$1 exp=$2 l s1 s2
	shift 2
	n=$((n + 1))
	"$FSCK" -n -v -E nodata "$orig" > "$DIR/f1" 2>&1; s1=$?
	"$FSCK" -n -v "$exp" > "$DIR/f2" 2>&1; s2=$?
	[ "$s1" = "$s2" ] || { echo "FAIL $exp: fsck exit $s2, original $s1"; fail=1; }
	grep -q "^$exp: a metadata image (gefs-image): data blocks are absent" "$DIR/f2" \
		|| { echo "FAIL $exp: fsck does not say it is a metadata image"; fail=1; }
	sed "s|^$orig:|IMG:|" "$DIR/f1" > "$DIR/g1"
	grep -v ': a metadata image (gefs-image)' "$DIR/f2" | sed "s|^$exp:|IMG:|" > "$DIR/g2"
	cmp -s "$DIR/g1" "$DIR/g2" || { echo "FAIL $exp: fsck findings differ from -E nodata of $orig"; diff "$DIR/g1" "$DIR/g2" | head; fail=1; }
	for l in "$@"; do
		n=$((n + 1))
		# the reference images come with their manifests (hashing their
		# data again would be most of this test's time)
		if [ -f "${orig%.img}.manifest.$l" ]; then
			cut -f1-10 "${orig%.img}.manifest.$l" > "$DIR/m1"
		else
			"$DUMP" "$orig" manifest "$l" 2>&1 | cut -f1-10 > "$DIR/m1"
		fi
		"$DUMP" "$exp" manifest "$l" > "$DIR/m2" 2>&1 || { echo "FAIL $exp: manifest $l: exit $?"; fail=1; }
		[ -s "$DIR/m1" ] && cmp -s "$DIR/m1" <(cut -f1-10 "$DIR/m2") \
			|| { echo "FAIL $exp: manifest $l differs"; diff "$DIR/m1" <(cut -f1-10 "$DIR/m2") | head -5; fail=1; }
		cut -f11 "$DIR/m2" | grep -vqx -- - && { echo "FAIL $exp: manifest $l prints a hash"; fail=1; }
	done
}

# Reference images: sparse and gzip'd exports, the same findings.
nref=0
for gz in "$refs"/ref-*.img.gz; do
	[ -f "$gz" ] || continue
	nref=$((nref + 1))
	name=$(basename "$gz" .img.gz)
	# inflated once (sparse), not by each program
	gzip -dc "$gz" | cp --sparse=always /dev/stdin "$DIR/$name.img"
	for m in "$refs/$name".manifest.*; do ln -s "$m" "$DIR/$name${m#"$refs/$name"}"; done
	gz=$DIR/$name.img
	t 0 "$name: export" "$IMG" "$gz" "$DIR/$name.meta"
	grep -q "^$DIR/$name.meta: [0-9]* metadata blocks" "$OUT" || bad "$name: no summary line"
	grep -q "of $gz ($(stat -c %s "$DIR/$name.meta" | awk '{ printf "%d MiB", $1 / 1048576 }'))" "$OUT" \
		|| bad "$name: export is not the size of the image"
	labels=$(for m in "$refs/$name".manifest.*; do echo "${m##*.}"; done)
	# shellcheck disable=SC2086
	same "$gz" "$DIR/$name.meta" $labels
	rm -f "$DIR/$name.meta" "$DIR/$name.img"
done
[ "$nref" -gt 0 ] || echo "SKIP reference images: $refs absent"
gz=$refs/ref-small.img.gz
if [ -f "$gz" ]; then
	t 0 "ref-small: export -z of a gzip'd image" "$IMG" -z -q "$gz" "$DIR/small.meta.gz"
	[ -s "$OUT" ] && bad "ref-small: -q printed something"
	"$FSCK" -n "$DIR/small.meta.gz" > "$OUT" 2>&1
	grep -q "clean" "$OUT" || bad "ref-small: fsck of the gzip'd export"
fi

# Images gefs-mkfs -d fills with known patterns in every file.
src=$DIR/src
mkdir -p "$src/d1/d2" "$src/e"
pat=GEFSIMAGEPATTERN
for i in $(seq 1 40); do
	d=$src/d1; [ $((i % 3)) = 0 ] && d=$src/d1/d2; [ $((i % 5)) = 0 ] && d=$src/e
	yes "$pat-$i" | head -c $((i * 997)) > "$d/file$i"
done
yes "$pat-big" | head -c 3000000 > "$src/big"
for shape in plain snap; do
	img=$DIR/mk-$shape.img
	args=()
	[ $shape = snap ] && args=(--snap keep)
	"$B/gefs-mkfs" -q -d "$src" "${args[@]}" "$img" 200M > "$OUT" 2> "$ERR" || { bad "gefs-mkfs -d $shape"; continue; }
	[ $shape = snap ] && "$B/gefs-replay" "$img" <(printf 'rm main:/big\nwrite main:/new 0 newdata\n') > /dev/null 2>&1
	grep -qa "$pat-7" "$img" || bad "$shape: the pattern is not in the original (the test cannot fail)"
	t 0 "$shape: export" "$IMG" "$img" "$DIR/mk-$shape.meta"
	grep -qa "$pat" "$DIR/mk-$shape.meta" && bad "$shape: file data in the export"
	grep -qa newdata "$DIR/mk-$shape.meta" && bad "$shape: file data written by replay in the export"
	if [ $shape = snap ]; then same "$img" "$DIR/mk-$shape.meta" main keep adm; else same "$img" "$DIR/mk-$shape.meta" main adm; fi
	"$FSCK" -n "$DIR/mk-$shape.meta" > "$OUT" 2> "$ERR" || bad "$shape: export not clean"
	# holes where data was: far less allocated than the data written
	[ "$(stat -c %b "$DIR/mk-$shape.meta")" -lt 2000 ] || bad "$shape: export is not sparse"
	n=$((n + 1))
	"$DUMP" "$DIR/mk-$shape.meta" cat main:/d1/file1 > "$OUT" 2> "$ERR"
	[ $? = 1 ] && [ ! -s "$OUT" ] && grep -q "data not present in a metadata image" "$ERR" \
		|| bad "$shape: cat of an export does not say the data is absent"
	"$DUMP" "$DIR/mk-$shape.meta" ls -R main > "$DIR/l2" 2>&1
	"$DUMP" "$img" ls -R main > "$DIR/l1" 2>&1
	cmp -s "$DIR/l1" "$DIR/l2" || bad "$shape: ls -R differs"
	"$B/gefs-shell" -c 'get main:/d1/file1 '"$DIR/got" "$DIR/mk-$shape.meta" > "$OUT" 2> "$ERR" \
		&& bad "$shape: shell get of absent data succeeded"
done

img=$DIR/mk-plain.img
# deterministic; gzip to standard output
t 0 "export again" "$IMG" -q "$img" "$DIR/again.meta"
cmp -s "$DIR/mk-plain.meta" "$DIR/again.meta" || bad "two exports differ"
n=$((n + 1))
"$IMG" -z "$img" - > "$DIR/stdout.gz" 2> "$ERR" || bad "-z to standard output"
grep -q "^-: [0-9]* metadata blocks" "$ERR" || bad "-z -: summary not on stderr"
gzip -dc "$DIR/stdout.gz" | cmp -s - "$DIR/mk-plain.meta" || bad "-z - differs from the sparse export"
"$FSCK" -n "$DIR/stdout.gz" > "$OUT" 2>&1 || bad "fsck of the gzip'd export"
# an export of an export is the same
t 0 "export of an export" "$IMG" -q "$DIR/mk-plain.meta" "$DIR/twice.meta"
cmp -s "$DIR/mk-plain.meta" "$DIR/twice.meta" || bad "export of an export differs"

# -s: every name outside adm changes, lengths and the order within each
# directory (by length, then bytes: the Kent key order) stay, no original
# name is left in the export, fsck finds what it finds in the original
scrambled() { # ORIG EXPORT LABEL [ITS NEW NAME]
	"$DUMP" "$1" manifest "$3" > "$DIR/o.mf" 2>/dev/null
	"$DUMP" "$2" manifest "${4:-$3}" > "$DIR/s.mf" 2>&1 || { echo "FAIL $2: manifest ${4:-$3}"; fail=1; return; }
	n=$((n + 1))
	python3 - "$DIR/o.mf" "$DIR/s.mf" <<'PY' || fail=1
import sys, os
def load(f):
    qid = {}; kids = {}
    for line in open(f, 'rb'):
        c = line.rstrip(b'\n').split(b'\t')
        qid[c[0]] = c[8]
    for p, q in qid.items():
        if p == b'/':
            continue
        d, b = os.path.split(p)
        kids.setdefault(qid[d], []).append((len(b), b, q))
    return {d: sorted(v) for d, v in kids.items()}
o, s = load(sys.argv[1]), load(sys.argv[2])
bad = 0
if set(o) != set(s):
    print("FAIL -s: directories differ"); sys.exit(1)
for d in o:
    a, b = o[d], s[d]
    if [(l, q) for l, _, q in a] != [(l, q) for l, _, q in b]:
        print("FAIL -s: directory qid", d.decode(), "lost its order or lengths"); bad = 1
    for (l, x, q), (_, y, _) in zip(a, b):
        if x == y:
            print("FAIL -s: name kept:", x.decode(errors='replace')); bad = 1
sys.exit(bad)
PY
}
if [ -f "$refs/ref-many.img.gz" ]; then
	gzip -dc "$refs/ref-many.img.gz" | cp --sparse=always /dev/stdin "$DIR/many.img"
	t 0 "-s of ref-many" "$IMG" -s "$DIR/many.img" "$DIR/many.s.meta"
	grep -q "names scrambled, 0 left unchanged; 2 labels scrambled, 0 left unchanged" "$OUT" || bad "-s summary"
	# labels: adm, empty, main kept; many-s1 and many-s3 renamed, same length, same order
	"$DUMP" "$DIR/many.s.meta" snaps > "$DIR/snaps" 2>&1 || bad "-s: dump snaps"
	lbls=$(awk '/^labels/ { f = 1; next } /^$/ { f = 0 } f { print $1 }' "$DIR/snaps" | tr '\n' ' ')
	for l in adm empty main; do grep -qw "$l" <<< "$lbls" || bad "-s: label $l renamed ($lbls)"; done
	grep -q many-s "$DIR/snaps" && bad "-s: a label kept its name"
	grep -aq many-s "$DIR/many.s.meta" && bad "-s: an old label name is in the export"
	# the labels table, in key order: the two new 7-byte names
	new1=$("$DUMP" "$DIR/many.s.meta" snaps | awk '/^labels/ { f = 1; next } /^$/ { f = 0 } f && length($1) == 7 { print $1 }')
	set -- $new1
	[ $# = 2 ] && [ "$(printf '%s\n' "$2" "$1" | LC_ALL=C sort | head -1)" = "$1" ] \
		|| bad "-s: two new 7-byte labels, in order: '$new1'"
	scrambled "$DIR/many.img" "$DIR/many.s.meta" main
	[ $# = 2 ] && { scrambled "$DIR/many.img" "$DIR/many.s.meta" many-s1 "$1"; scrambled "$DIR/many.img" "$DIR/many.s.meta" many-s3 "$2"; }
	"$FSCK" -n -v -E nodata "$DIR/many.img" 2>&1 | sed 's|^[^ ]*many.img:|IMG:|' > "$DIR/f1"
	"$FSCK" -n -v "$DIR/many.s.meta" 2>&1 | grep -v ': a metadata image' | sed 's|^[^ ]*many.s.meta:|IMG:|' > "$DIR/f2"
	cmp -s "$DIR/f1" "$DIR/f2" || { echo "FAIL -s: fsck findings differ"; diff "$DIR/f1" "$DIR/f2" | head; fail=1; }
	# names of 8 bytes and more from the original are nowhere in the export
	cut -f1 "$refs/ref-many.manifest.main" | tr / '\n' | awk 'length >= 8' | sort -u | head -200 > "$DIR/names"
	[ -s "$DIR/names" ] || bad "no long names in ref-many"
	grep -aqFf "$DIR/names" "$DIR/many.s.meta" && bad "-s: an original name is in the export"
	grep -aqFf "$DIR/names" "$DIR/many.img" || bad "-s: the names are not in the original (the test cannot fail)"
	rm -f "$DIR/many.img"
fi
t 0 "-s" "$IMG" -s -q "$img" "$DIR/s1.meta"
scrambled "$img" "$DIR/s1.meta" main
"$FSCK" -n "$DIR/s1.meta" > "$OUT" 2> "$ERR" || bad "-s export not clean"
grep -aq file17 "$DIR/s1.meta" && bad "-s: a file name is left"
t 0 "-s again" "$IMG" -s -q "$img" "$DIR/s2.meta"
cmp -s "$DIR/s1.meta" "$DIR/s2.meta" || bad "-s is not deterministic"
n=$((n + 1))
"$IMG" -s -z -q "$img" - 2> "$ERR" | gzip -dc | cmp -s - "$DIR/s1.meta" || bad "-s -z - differs from -s"
t 0 "-s of a snapshot image" "$IMG" -s -q "$DIR/mk-snap.img" "$DIR/s3.meta"
keep=$("$DUMP" "$DIR/s3.meta" snaps | awk '/^labels/ { f = 1; next } /^$/ { f = 0 }
	f && length($1) == 4 && $1 != "main" && $1 != "name" { print $1 }')
[ -n "$keep" ] && [ "$keep" != keep ] || bad "-s: label keep not renamed: '$keep'"
scrambled "$DIR/mk-snap.img" "$DIR/s3.meta" keep "$keep"
"$FSCK" -n "$DIR/s3.meta" > "$OUT" 2> "$ERR" || bad "-s export of the snapshot image not clean"

# errors
t 1 "output is the image" "$IMG" "$img" "$img"
"$FSCK" -n "$img" > /dev/null 2>&1 || bad "the image was damaged by the refused export"
t 1 "no image" "$IMG" "$DIR/nosuch" "$DIR/x.meta"
t 1 "not gefs" "$IMG" "$src/big" "$DIR/x.meta"
t 1 "output directory missing" "$IMG" "$img" "$DIR/no/such/dir"
t 2 "sparse to stdout" "$IMG" "$img" -
t 2 "one operand" "$IMG" "$img"
t 2 "three operands" "$IMG" "$img" a b
t 2 "unknown option" "$IMG" -Q "$img" x
t 0 "--version" "$IMG" --version

# --help and the man page's OPTIONS list the same options
"$IMG" --help > "$DIR/help" || bad "--help"
grep -E '^ +-' "$DIR/help" | grep -oE -- '--?[A-Za-z][A-Za-z-]*' | sort -u > "$DIR/h"
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
	| sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z][A-Za-z-]*' | tr -d ' "' | sort -u > "$DIR/m"
[ "$(wc -l < "$DIR/h")" -ge 10 ] || bad "only $(wc -l < "$DIR/h") options in --help"
cmp -s "$DIR/h" "$DIR/m" || { echo "FAIL: --help and man OPTIONS differ:"; diff "$DIR/h" "$DIR/m"; fail=1; }
if command -v groff > /dev/null; then
	w=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	[ -z "$w" ] || { echo "FAIL: groff warnings: $w"; fail=1; }
fi
echo "image: $n checks, $nref reference images, fail=$fail"
exit $fail
