#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs -d with tar archives and layering: the same tree from a
# directory and from its name-sorted tar (plain, gzip, bzip2, xz, zstd, on
# stdin too; pax sparse members) gives byte-identical images, a GNU
# sparse tar the same files and holes; path
# traversal (../x, absolute names, hard links out of the tree) is refused
# writing nothing; hard links become separate files with one note per
# link set; symlinks are skipped; later sources override earlier ones and
# SRC:/PATH places a source.  Skips when built without libarchive.
set -u
MKFS=${GEFS_BIN:?}/gefs-mkfs FSCK=$GEFS_BIN/gefs-fsck DUMP=$GEFS_BIN/gefs-dump
GEN="python3 ${GEFS_SRC:?}/tests/tools/poptree.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-tar.XXXXXX") || exit 1
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
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C
src=$DIR/src
$GEN make "$src" --wide 60 --big 1 || exit 1
tar --sort=name --sparse --format=pax -C "$src" -cf "$DIR/t.tar" . || exit 1
"$MKFS" -q -d "$DIR/t.tar" "$DIR/probe.img" 2> "$ERR"
if grep -q libarchive "$ERR"; then
	echo "SKIP: gefs-mkfs built without libarchive"
	exit 0
fi
rm -f "$DIR/probe.img"

t 0 "from the directory" "$MKFS" -d "$src" "$DIR/d.img"
t 0 "from the tar" "$MKFS" -d "$DIR/t.tar" "$DIR/t.img"
cmp -s "$DIR/d.img" "$DIR/t.img" || bad "directory and tar give different images"
t 0 "fsck -n tar image" "$FSCK" -n "$DIR/t.img"
tar --sort=name --sparse --format=gnu -C "$src" -cf "$DIR/g.tar" . || exit 1
# GNU headers keep whole seconds only: same files, contents, holes
t 0 "from a GNU tar" "$MKFS" -d "$DIR/g.tar" "$DIR/g.img"
man5() { "$DUMP" "$1" manifest main | cut -f1-4,9,11; }
[ "$(man5 "$DIR/d.img")" = "$(man5 "$DIR/g.img")" ] || bad "GNU sparse tar gives other files"
[ "$("$DUMP" "$DIR/d.img" stats | grep '^snap 3')" = "$("$DUMP" "$DIR/g.img" stats | grep '^snap 3')" ] \
	|| bad "GNU sparse tar: tree shape differs (holes?)"
for z in gzip bzip2 xz zstd; do
	command -v $z > /dev/null || { echo "no $z, not tested"; continue; }
	$z -c "$DIR/t.tar" > "$DIR/t.tar.$z"
	t 0 "$z tar" "$MKFS" -d "$DIR/t.tar.$z" "$DIR/$z.img"
	cmp -s "$DIR/d.img" "$DIR/$z.img" || bad "$z tar gives a different image"
	rm -f "$DIR/$z.img"
done
gzip -c "$DIR/t.tar" | { "$MKFS" -d - "$DIR/s.img" > "$OUT" 2> "$ERR" || bad "tar on stdin: exit $?"; }
cmp -s "$DIR/d.img" "$DIR/s.img" || bad "tar on stdin gives a different image"

# members crafted with python's tarfile
python3 - "$DIR" <<'PY' || exit 1
import io, sys, tarfile
d = sys.argv[1]
def mk(name, members):
    with tarfile.open(d + "/" + name, "w", format=tarfile.PAX_FORMAT) as t:
        for path, kind, arg in members:
            ti = tarfile.TarInfo(path); ti.mtime = 1600000000
            if kind == "f":
                ti.size = len(arg); t.addfile(ti, io.BytesIO(arg)); continue
            ti.type = {"d": tarfile.DIRTYPE, "h": tarfile.LNKTYPE, "s": tarfile.SYMTYPE}[kind]
            if arg: ti.linkname = arg
            t.addfile(ti)
mk("trav.tar", [("ok", "f", b"x"), ("a/../../evil", "f", b"y")])
mk("abs.tar", [("/etc/evil", "f", b"y")])
mk("hlout.tar", [("a", "f", b"x"), ("b", "h", "../../etc/passwd")])
mk("hl.tar", [("dir/a", "f", b"hello"), ("b", "h", "dir/a"), ("c", "h", "dir/a"), ("s", "s", "/etc/passwd")])
mk("l1.tar", [("x/old", "f", b"1"), ("y", "f", b"file y"), ("keep", "f", b"keep")])
mk("l2.tar", [("x", "f", b"now a file"), ("y/new", "f", b"2")])
PY
for f in trav abs hlout; do
	t 1 "$f.tar refused" "$MKFS" -d "$DIR/$f.tar" "$DIR/$f.img"
	[ -e "$DIR/$f.img" ] && bad "$f.tar left an image"
	grep -q 'refused' "$ERR" || bad "$f.tar: no 'refused'"
done
t 0 "hard links" "$MKFS" -d "$DIR/hl.tar" "$DIR/hl.img"
[ "$(grep -c 'note: .*hard link' "$ERR")" = 1 ] || bad "want one note per link set"
[ "$(grep -c 'warning: .*symbolic link skipped' "$ERR")" = 1 ] || bad "want one symlink warning"
for f in b c dir/a; do
	[ "$("$DUMP" "$DIR/hl.img" cat "main:/$f")" = hello ] || bad "hard link $f: wrong contents"
done
t 1 "hard links --strict" "$MKFS" -d "$DIR/hl.tar" --strict "$DIR/hs.img"
t 0 "fsck -n hard links" "$FSCK" -n "$DIR/hl.img"

# layering: l2 over l1 (file over directory, directory over file), a
# directory placed under /sub/sp
t 0 "layered" "$MKFS" -d "$DIR/l1.tar" -d "$DIR/l2.tar" -d "$src/sparse:/sub/sp" "$DIR/ly.img"
"$DUMP" "$DIR/ly.img" manifest main | cut -f1,2,4 > "$DIR/got"
printf '%s\n' "/	d	0" "/keep	f	4" "/sub	d	0" "/sub/sp	d	0" "/sub/sp/all-hole	f	81920" \
	"/sub/sp/hole-end	f	1048576" "/sub/sp/hole-middle	f	8388611" "/sub/sp/hole-start	f	65546" \
	"/x	f	10" "/y	d	0" "/y/new	f	1" > "$DIR/want"
diff "$DIR/want" "$DIR/got" || bad "layered manifest"
"$DUMP" "$DIR/ly.img" cat main:/sub/sp/hole-middle | cmp -s - "$src/sparse/hole-middle" || bad "placed file differs"
t 0 "fsck -n layered" "$FSCK" -n "$DIR/ly.img"
exit $fail
