#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/populate.sh — gefs-mkfs -d against its peers (not in ctest).
#
#   tests/bench/populate.sh [-k] [-w WORKDIR] [small] [many] [big]
#
# Builds the deterministic source trees of tests/tools/poptree.py (small:
# 2,000 names, 100 MiB; many: 50,000 names in 5,000 directories, 400 MiB;
# big: 20 files, 2 GiB apparent, one quarter data) and, for each, times on
# the same tree, with a cold page cache for the image side (sync before
# each run): gefs-mkfs -d, mke2fs -d (ext4), mkfs.btrfs --rootdir,
# mkfs.xfs -p (a protofile), tar cf, and a raw sequential write of the
# same bytes followed by fsync (a sparse file's holes written as zeros),
# every tool reading the source from a warm page cache; gefs-mkfs also
# with GEFS_MKFS_THREADS=1 (one thread).  Prints wall time, CPU time
# (user + system: steadier than wall time on a busy machine), MiB/s (data
# bytes, holes not counted), files/s, max RSS and the bytes the image
# occupies on the host (du).  gefs-fsck -n checks the gefs image.
# Installs btrfs-progs / xfsprogs with apt-get when missing (bench only).
# -k keeps WORKDIR.  A bounded run: tests/bench/populate.sh small
set -u
BIN=${GEFS_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GEN="python3 $(cd "$(dirname "$0")/../tools" && pwd)/poptree.py"
WORK=${TMPDIR:-/tmp}/gefs-popbench keep=0
while getopts kw: o; do
	case $o in
	k) keep=1 ;;
	w) WORK=$OPTARG ;;
	*) echo "usage: $0 [-k] [-w workdir] [small] [many] [big]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
trees=${*:-small many big}
need() { command -v "$1" > /dev/null || { echo "installing $2"; apt-get install -y -qq "$2" > /dev/null; }; }
need mkfs.btrfs btrfs-progs
need mkfs.xfs xfsprogs
mkdir -p "$WORK" || exit 1
[ $keep = 1 ] || trap 'rm -rf "$WORK"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C

# run NAME IMAGE CMD...: one timed run; appends a result line
run() {
	local name=$1 img=$2; shift 2
	rm -f "$img"
	sync
	/usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$@" > "$WORK/log" 2>&1
	local rc=$? wall rss usr sys alloc
	read -r wall rss usr sys < <(tail -1 "$WORK/time")
	[ $rc = 0 ] || { echo "  $name failed (exit $rc):"; tail -3 "$WORK/log"; return; }
	alloc=$(du -B1 "$img" | cut -f1)
	awk -v n="$name" -v w="$wall" -v r="$rss" -v a="$alloc" -v b="$bytes" -v f="$files" -v u="$usr" -v s="$sys" 'BEGIN {
		if (w < 0.005) w = 0.005
		printf "  %-16s %8.2f s %7.2f s %9.1f MiB/s %9.0f files/s %8.1f MiB %9.1f MiB\n",
			n, w, u + s, b / 1048576 / w, f / w, r / 1024, a / 1048576 }'
	rm -f "$img"
}

for t in $trees; do
	src=$WORK/$t
	[ -d "$src" ] || { echo "making $t"; $GEN bench "$t" "$src" || exit 1; }
	# data the files actually store (holes not counted)
	bytes=$(find "$src" -type f -printf '%b\n' | awk '{ s += $1 * 512 } END { printf "%d", s }')
	apparent=$(find "$src" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
	files=$(find "$src" | wc -l)
	size=$(( (apparent * 3 / 2 / 1048576 + 256) ))M	# for the peers that need one
	printf '%s: %d names, %.1f MiB data, %.1f MiB apparent\n' "$t" "$files" \
		"$(echo "$bytes / 1048576" | bc -l)" "$(echo "$apparent / 1048576" | bc -l)"
	# every tool reads the source from the page cache, the first one too
	find "$src" -type f -print0 | xargs -0 cat > /dev/null
	printf '  %-16s %10s %9s %15s %15s %12s %13s\n' tool wall "CPU u+s" throughput rate "max RSS" "image (du)"
	run "gefs-mkfs -d" "$WORK/g.img" "$BIN/gefs-mkfs" -q -d "$src" "$WORK/g.img"
	run "gefs-mkfs -d 1thr" "$WORK/g.img" env GEFS_MKFS_THREADS=1 "$BIN/gefs-mkfs" -q -d "$src" "$WORK/g.img"
	"$BIN/gefs-mkfs" -q -d "$src" "$WORK/g.img" && { "$BIN/gefs-fsck" -n "$WORK/g.img" | sed 's/^/  /'; rm -f "$WORK/g.img"; }
	truncate -s "$size" "$WORK/e.img.tmpl"
	run "mke2fs -d" "$WORK/e.img" sh -c "cp --sparse=always '$WORK/e.img.tmpl' '$WORK/e.img' && mke2fs -q -t ext4 -F -d '$src' '$WORK/e.img'"
	run "mkfs.btrfs" "$WORK/b.img" sh -c "cp --sparse=always '$WORK/e.img.tmpl' '$WORK/b.img' && mkfs.btrfs -q -f --rootdir '$src' '$WORK/b.img'"
	$GEN proto "$src" > "$WORK/proto"
	run "mkfs.xfs -p" "$WORK/x.img" sh -c "cp --sparse=always '$WORK/e.img.tmpl' '$WORK/x.img' && mkfs.xfs -q -f -p '$WORK/proto' '$WORK/x.img'"
	rm -f "$WORK/e.img.tmpl"
	run "tar cf" "$WORK/t.tar" tar --sparse -C "$src" -cf "$WORK/t.tar" .
	run "raw write+fsync" "$WORK/raw" sh -c "find '$src' -type f -print0 | sort -z | xargs -0 cat > '$WORK/raw' && sync '$WORK/raw'"
done
