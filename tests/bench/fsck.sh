#!/usr/bin/env bash
# Benchmark (not a ctest test): gefs-fsck on the reference images and on
# the largest image the test builder makes, beside e2fsck -fn and
# btrfs check --check-data-csum on file systems with comparable content
# (the same number of files and bytes, made with mke2fs -d and
# mkfs.btrfs --rootdir).  Prints wall time, MiB/s of blocks verified
# (blocks in use x block size / time) and max RSS.
# Big images: gefs-bigimg writes N files of pseudo-random data through
# libfs (sizes scaled to the free space, GEFS_BENCH_MIB overrides: a list
# of data sizes in MiB); each is checked with 1 thread (-j 1) and with one
# per CPU, with the page cache dropped (cold, posix_fadvise DONTNEED) and
# warm; the peers get the same files.
# Usage: tests/bench/fsck.sh [BUILD_DIR]   (reference images from $GEFS_SHARED
# or ../shared when present)
set -euo pipefail
bin=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${GEFS_SHARED:-$top/../shared}
dir=$(mktemp -d "${TMPDIR:-/tmp}/gefs-bench-fsck.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# measure NAME USEDBYTES CMD...: print time, MiB/s and RSS of one run
measure() {
	local name=$1 used=$2 out
	shift 2
	/usr/bin/time -o "$dir/time" -f '%e %M' "$@" >/dev/null 2>&1 || true
	set -- $(tail -1 "$dir/time")
	awk -v n="$name" -v t="$1" -v r="$2" -v u="$used" \
		'BEGIN { printf "%-34s %8.3f s %9.1f MiB/s %8.1f MiB RSS\n", n, t, (t > 0 ? u / 1048576 / t : 0), r / 1024 }'
}

# blocks in use of a gefs image, from gefs-fsck's summary line
gefsused() {
	"$bin/gefs-fsck" -n "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\)\/[0-9]* blocks in use.*/\1/p' | awk '{ print $1 * 16384 }'
}

echo "== gefs-fsck -n (every hash verified, data included)"
for gz in "$shared"/reference-images/*.img.gz; do
	[ -e "$gz" ] || continue
	img=$dir/$(basename "$gz" .gz)
	gzip -dc "$gz" > "$img"
	measure "$(basename "$img")" "$(gefsused "$img")" "$bin/gefs-fsck" -n "$img"
done
"$bin/gefs-mkimg" --files 1000 --height 3 --arenas 8 std "$dir/builder.img" >/dev/null
measure "builder std, 1000 files" "$(gefsused "$dir/builder.img")" "$bin/gefs-fsck" -n "$dir/builder.img"

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

free=$(df -Pm "$dir" | awk 'NR == 2 { print $4 }')
sizes=${GEFS_BENCH_MIB:-}
if [ -z "$sizes" ]; then
	sizes=1024
	[ "$free" -gt 20000 ] && sizes="1024 4096"
fi
for mib in $sizes; do
	nfiles=$((mib * 4))
	img=$dir/big.img
	echo "== $mib MiB of data in $nfiles files"
	"$bin/gefs-bigimg" $((mib + mib / 2 + 256)) "$mib" "$nfiles" "$img" >/dev/null
	used=$(gefsused "$img")
	coldwarm "gefs-fsck -n -j 1" "$used" "$bin/gefs-fsck" -n -j 1 "$img"
	coldwarm "gefs-fsck -n (threads: $(nproc))" "$used" "$bin/gefs-fsck" -n "$img"
	rm -f "$img"
	# the same files for the peers
	rm -rf "$dir/tree"
	mkdir -p "$dir/tree"
	per=$((mib * 1048576 / nfiles))
	for i in $(seq 1 "$nfiles"); do
		echo "$i"
	done | (cd "$dir/tree" && xargs -P 2 -I{} sh -c "head -c $per /dev/urandom > f{}")
	used=$(du -sb "$dir/tree" | cut -f1)
	if command -v mke2fs >/dev/null; then
		img=$dir/ext4.img
		truncate -s $((mib + mib / 2 + 256))M "$img"
		mke2fs -q -F -t ext4 -d "$dir/tree" "$img"
		coldwarm "e2fsck -fn (metadata only)" "$used" e2fsck -fn "$img"
		rm -f "$img"
	fi
	if command -v mkfs.btrfs >/dev/null; then
		img=$dir/btrfs.img
		truncate -s $((mib + mib / 2 + 256))M "$img"
		mkfs.btrfs -q -f --rootdir "$dir/tree" "$img" >/dev/null
		coldwarm "btrfs check --check-data-csum" "$used" btrfs check --check-data-csum "$img"
		rm -f "$img"
	fi
	rm -rf "$dir/tree"
done
