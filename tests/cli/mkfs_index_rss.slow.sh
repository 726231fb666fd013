#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs -d's memory does not grow with the source (issue 13: max RSS
# <= 64 MiB on every tree): an archive of 200,000 members (names out of
# namespace order, 100 a directory) against one of 20,000, default
# budgets: both under 64 MiB, the larger within 4 MiB of the smaller
# (the index and the key sort spill past their budgets; before the
# external index, 200,000 members took ~73 MiB and 20,000 ~15 MiB).
# gefs-fsck is clean, and tiny budgets give the same image.  The bounded
# form is mkfs_index.
set -u
MKFS=${GEFS_BIN:?}/gefs-mkfs FSCK=$GEFS_BIN/gefs-fsck
LAY="python3 ${GEFS_SRC:?}/tests/tools/laytars.py"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-rss.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
rss() { python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)' "$@"; }
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C
# under AddressSanitizer memory is the sanitizer's: RSS is not judged
asan=0
nm "$MKFS" 2>/dev/null | grep -q __asan_ && asan=1
cd "$DIR" || exit 1
for m in 20000 200000; do
	$LAY many m$m.tar $m || exit 1
	r=$(rss "$MKFS" -q -d m$m.tar m$m.img) || { bad "$m members: exit $?"; continue; }
	eval rss$m=$r
	echo "$m members: max RSS $r KiB"
	[ $asan = 1 ] || [ "$r" -le $((64 * 1024)) ] || bad "$m members: max RSS $r KiB > 64 MiB"
done
[ $asan = 1 ] || [ $((rss200000 - rss20000)) -le $((4 * 1024)) ] || bad "max RSS grows with the members: $rss20000 -> $rss200000 KiB"
"$FSCK" -n m200000.img > /dev/null || bad "fsck -n, 200,000 members: exit $?"
GEFS_MKFS_IXMEM=1024 GEFS_MKFS_SORTMEM=1 "$MKFS" -q -d m200000.tar s.img || bad "tiny budgets: exit $?"
cmp -s m200000.img s.img || bad "200,000 members: tiny budgets give another image"
[ $fail = 0 ] && echo "mkfs_index_rss: ok"
exit $fail
