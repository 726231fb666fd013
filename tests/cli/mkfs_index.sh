#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs -d's layering index is an external sort (cmd/mkfs/xsort.c):
# with budgets so small that every few names spill a run and runs are
# merged in several rounds (GEFS_MKFS_IXMEM, GEFS_MKFS_SORTMEM) the images
# are byte-identical to the default's, for the corners of the override
# rules (tests/tools/laytars.py corner: file over directory and back,
# parents made, names given twice, hard links, placements, directory and
# tar sources mixed) and for archives of 2,000 and 20,000 members in an
# order that is not the namespace's; gefs-fsck is clean on them; max RSS
# does not grow with the members (20,000 against 2,000: within 3 MiB,
# under 64 MiB); a temporary file that cannot be written or created gives
# one error line, exit 1 and no image (an existing one left as it was).
# The 200,000-member form is mkfs_index_rss.slow.
set -u
MKFS=${GEFS_BIN:?}/gefs-mkfs FSCK=$GEFS_BIN/gefs-fsck DUMP=$GEFS_BIN/gefs-dump
LAY="python3 ${GEFS_SRC:?}/tests/tools/laytars.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-index.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0
bad() { echo "FAIL $*"; echo "--- stderr"; head -20 "$ERR"; fail=1; }
t() { # expected-status description command...
	local want=$1 what=$2; shift 2
	"$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || bad "$what: exit $got, want $want"
}
# max RSS (KiB) of a command, on stdout; its exit status
rss() { python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)' "$@"; }
# cmp of two sparse images, reading only their data (holes read as zeros
# would make cmp take seconds on each 128 MiB image)
same() { python3 -c 'import os, sys
def ext(f):
    fd, out, pos = os.open(f, os.O_RDONLY), [], 0
    size = os.fstat(fd).st_size
    while pos < size:
        try:
            s = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:
            break
        e = os.lseek(fd, s, os.SEEK_HOLE)
        out.append((s, os.pread(fd, e - s, s)))
        pos = e
    return size, b"".join(d.rstrip(b"\0") + b"|%d|" % s for s, d in out)
sys.exit(ext(sys.argv[1]) != ext(sys.argv[2]))' "$1" "$2"; }
TINY="GEFS_MKFS_IXMEM=1 GEFS_MKFS_SORTMEM=1"
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C
# under AddressSanitizer memory is the sanitizer's: RSS is not judged
asan=0
nm "$MKFS" 2>/dev/null | grep -q __asan_ && asan=1
cd "$DIR" || exit 1
$LAY corner "$DIR" || exit 1
"$MKFS" -q -d c0.tar probe.img 2> "$ERR"
if grep -q libarchive "$ERR"; then
	echo "SKIP: gefs-mkfs built without libarchive"
	exit 0
fi
mkdir -p dsrc/a dsrc/q && echo hi > dsrc/a/f && echo top > dsrc/top

# default against tiny budgets, and gefs-fsck, on every layering
n=0
for sc in "-d c0.tar -d c1.tar -d c2.tar" "-d dsrc -d c1.tar:/a/b -d c0.tar" \
	"-d c2.tar -d dsrc:/q/p -d c1.tar" "-d c0.tar -d c2.tar -d c1.tar -d dsrc:/deep/er/x"; do
	n=$((n + 1))
	t 0 "layers $sc" "$MKFS" -q --shrink $sc d$n.img
	t 0 "layers $sc, tiny budgets" env $TINY "$MKFS" -q --shrink $sc s$n.img
	same d$n.img s$n.img || bad "layers $sc: tiny budgets give another image"
	t 0 "fsck -n, layers $sc" "$FSCK" -n d$n.img
done
# the override rules themselves, on the first layering
"$DUMP" d1.img manifest main | cut -f1-4 > got
cat > want <<'W'
/	d	20000000755	0
/a	d	20000000755	0
/a/new	f	644	19
/a/x	f	644	2
/b	d	20000000755	0
/b/in	f	644	7
/deep	d	20000000755	0
/deep/er	f	644	14
/dup	f	644	5
/h1	f	644	3
/h2	f	644	2
/h3	f	644	5
/q	f	644	6
/z	d	20000000755	0
/z/zz	f	644	2
W
cmp -s got want || { bad "layers c0 c1 c2: other names"; diff want got; }
t 1 "hard link to a hard link" env $TINY "$MKFS" -q -d c3.tar l.img
grep -q 'h: hard link to g, which is not a file before it' "$ERR" || bad "hard link to a hard link: message"
[ -e l.img ] && bad "hard link error: an image was written"

# many members, out of namespace order; RSS flat
for m in 2000 20000; do
	$LAY many m$m.tar $m || exit 1
	r=$(rss env $TINY "$MKFS" -q --shrink -d m$m.tar -d dsrc:/d00000 t$m.img) || bad "$m members, tiny budgets: exit $?"
	eval rss$m=$r
	t 0 "$m members, default budgets, layered" "$MKFS" -q --shrink -d m$m.tar -d dsrc:/d00000 u$m.img
	same t$m.img u$m.img || bad "$m members: tiny budgets give another image"
	t 0 "fsck -n, $m members" "$FSCK" -n t$m.img
done
t 0 "2000 members" "$MKFS" -q --shrink -d m2000.tar m2000.img
[ "$("$DUMP" m2000.img manifest main | wc -l)" = 2021 ] || bad "2000 members: not all names"
echo "max RSS, tiny budgets: 2,000 members ${rss2000} KiB, 20,000 members ${rss20000} KiB"
[ $asan = 1 ] || [ "$rss20000" -le $((64 * 1024)) ] || bad "20,000 members: max RSS $rss20000 KiB > 64 MiB"
[ $asan = 1 ] || [ $((rss20000 - rss2000)) -le $((3 * 1024)) ] || bad "max RSS grows with the members: $rss2000 -> $rss20000 KiB"
r=$(rss "$MKFS" -q --shrink -d m20000.tar v.img) || bad "20,000 members: exit $?"
echo "max RSS, default budgets: 20,000 members $r KiB"
[ $asan = 1 ] || [ "$r" -le $((64 * 1024)) ] || bad "20,000 members, default budgets: max RSS $r KiB > 64 MiB"

# the temporary file: cannot be written (file size limit), cannot be
# created; nothing written, an existing image left alone
cp m2000.img keep.img && cp keep.img old.img
( trap '' XFSZ; ulimit -f 64; exec env $TINY "$MKFS" -q -F -d m20000.tar old.img ) > "$OUT" 2> "$ERR"
[ $? = 1 ] || bad "temporary file over the size limit: exit $?, want 1"
# (a write cut short reads as a full disk)
[ "$(wc -l < "$ERR")" = 1 ] && grep -qE '^gefs-mkfs: writing the temporary file in .*: (File too large|No space left on device)$' "$ERR" \
	|| bad "temporary file over the size limit: want one line naming it"
same old.img keep.img || bad "temporary file error: the existing image changed"
TMPDIR=$DIR/none env $TINY "$MKFS" -q -d m2000.tar n.img > "$OUT" 2> "$ERR"
[ $? = 1 ] || bad "no temporary directory: exit $?, want 1"
[ "$(wc -l < "$ERR")" = 1 ] && grep -q "^gefs-mkfs: cannot create the temporary file in $DIR/none: No such file" "$ERR" \
	|| bad "no temporary directory: want one line naming it"
[ -e n.img ] && bad "no temporary directory: an image was written"
[ $fail = 0 ] && echo "mkfs_index: ok"
exit $fail
