#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a ctest test): gefs-fsck on the reference images and on
# the largest image the test builder makes, beside e2fsck -fn and
# btrfs check --check-data-csum on file systems with comparable content
# (the same number of files and bytes, made with mke2fs -d and
# mkfs.btrfs --rootdir).  Prints wall time, MiB/s of blocks verified
# (blocks in use x block size / time) and max RSS.
# Big images: `gefs-mkimg big` writes N files of pseudo-random data through
# libfs (sizes scaled to the free space, GEFS_BENCH_MIB overrides: a list
# of data sizes in MiB); each is checked with 1 thread (-j 1) and with the
# default (auto) threads, with the page cache dropped (cold,
# posix_fadvise DONTNEED) and warm, and with -E nodata (metadata only, to
# compare with e2fsck -fn, which reads no data either); the peers get the
# same files.
# Usage: tests/bench/fsck.sh [BUILD_DIR]   (reference images from $GEFS_SHARED
# or ../shared when present; bounded: GEFS_BENCH_MIB=64 for one small
# image, a few seconds)
set -euo pipefail
bin=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${GEFS_SHARED:-$top/../shared}
dir=$(mktemp -d "${TMPDIR:-/tmp}/gefs-bench-fsck.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# measure NAME USEDBYTES CMD...: print wall time, CPU time (user+sys: the
# figure to trust on a loaded machine), MiB/s, files/s (when $files is
# set) and max RSS of one run (wall time in ns: time(1) rounds to 10 ms;
# it gives the CPU times and the max RSS)
files=
measure() {
	local name=$1 used=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	/usr/bin/time -o "$dir/time" -f '%M %U %S' "$@" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	awk -v n="$name" -v a="$t0" -v b="$t1" -v r="$(tail -1 "$dir/time")" -v u="$used" -v f="$files" \
		'BEGIN { t = (b - a) / 1e9; split(r, m, " ");
		printf "%-46s %8.3f s %6.3f s cpu %9.1f MiB/s %9s files/s %8.1f MiB RSS\n", n, t, m[2] + m[3],
			u / 1048576 / t, f == "" ? "-" : sprintf("%.0f", f / t), m[1] / 1024 }'
}

# blocks allocated in a gefs image, from gefs-fsck's summary line
gefsused() {
	"$bin/gefs-fsck" -n "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) of [0-9]* blocks allocated.*/\1/p' | awk '{ print $1 * 16384 }'
}

echo "== gefs-fsck -n (every hash verified, data included)"
for gz in "$shared"/reference-images/*.img.gz; do
	[ -e "$gz" ] || continue
	img=$dir/$(basename "$gz" .gz)
	gzip -dc "$gz" > "$img"
	measure "$(basename "$img")" "$(gefsused "$img")" "$bin/gefs-fsck" -n "$img"
done
"$bin/gefs-mkimg" --files 1000 --height 3 --arenas 8 std "$dir/builder.img" >/dev/null
files=1000 measure "builder std, 1000 files" "$(gefsused "$dir/builder.img")" "$bin/gefs-fsck" -n "$dir/builder.img"

cc=${CC:-cc}
$cc -O2 -o "$dir/fadvise" "$top/tests/bench/fadvise.c"

# twice, cold then warm: measure NAME USED CMD... on image $img
coldwarm() {
	local name=$1 used=$2
	shift 2
	"$dir/fadvise" "$img"
	measure "$name, cold" "$used" "$@"
	measure "$name, warm" "$used" "$@"
}

# sizes: 1 GiB and 4 GiB of data when the disk holds three times that
# (image, peers' source tree, one peer image), else what fits
free=$(df -Pm "$dir" | awk 'NR == 2 { print $4 }')
sizes=${GEFS_BENCH_MIB:-}
if [ -z "$sizes" ]; then
	for mib in 1024 4096; do
		[ "$free" -gt $((3 * mib + 1024)) ] && sizes="$sizes $mib"
	done
	[ -n "$sizes" ] || sizes=$((free / 4))
fi
ncpu=$(nproc)
for mib in $sizes; do
	nfiles=$((mib * 4))			# 256 KiB files, 256 to a directory
	img=$dir/big.img
	files=$nfiles
	echo "== $mib MiB of data in $nfiles files ($ncpu cpus, load $(cut -d' ' -f1 /proc/loadavg))"
	"$bin/gefs-mkimg" --data-mib "$mib" --files "$nfiles" --per-dir 256 big "$img"
	used=$(gefsused "$img")
	coldwarm "gefs-fsck -n -j 1" "$used" "$bin/gefs-fsck" -n -j 1 "$img"
	coldwarm "gefs-fsck -n (auto threads)" "$used" "$bin/gefs-fsck" -n "$img"
	coldwarm "gefs-fsck -n -E nodata (metadata only)" "$used" "$bin/gefs-fsck" -n -E nodata "$img"
	rm -f "$img"
	# the same files (count, sizes, directories) for the peers
	rm -rf "$dir/tree"
	python3 - "$dir/tree" "$nfiles" $((mib * 1048576 / nfiles)) <<'PY'
import os, sys
top, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(top, "d%05d" % (i // 256))
    if i % 256 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%07d" % i), "wb") as f:
        f.write(os.urandom(size))
PY
	used=$(du -sb "$dir/tree" | cut -f1)
	if command -v mke2fs >/dev/null && command -v e2fsck >/dev/null; then
		img=$dir/ext4.img
		truncate -s $((mib + mib / 2 + 256))M "$img"
		mke2fs -q -F -t ext4 -d "$dir/tree" "$img"
		coldwarm "e2fsck -fn (metadata only)" "$used" e2fsck -fn "$img"
		rm -f "$img"
	else
		echo "e2fsck: not installed, skipped"
	fi
	if command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null; then
		img=$dir/btrfs.img
		truncate -s $((mib + mib / 2 + 256))M "$img"
		mkfs.btrfs -q -f --rootdir "$dir/tree" "$img" >/dev/null
		coldwarm "btrfs check --check-data-csum" "$used" btrfs check --check-data-csum "$img"
		rm -f "$img"
	else
		echo "btrfs check: not installed, skipped"
	fi
	rm -rf "$dir/tree"
	files=
done
