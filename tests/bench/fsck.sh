#!/usr/bin/env bash
# Benchmark (not a ctest test): gefs-fsck on the reference images and on
# the largest image the test builder makes, beside e2fsck -fn and
# btrfs check --check-data-csum on file systems with comparable content
# (the same number of files and bytes, made with mke2fs -d and
# mkfs.btrfs --rootdir).  Prints wall time, MiB/s of blocks verified
# (blocks in use x block size / time) and max RSS.
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

echo "== peers on comparable content (3000 files, ~40 MiB)"
mkdir -p "$dir/tree"
for i in $(seq 1 3000); do
	d=$dir/tree/d$((i % 300))
	mkdir -p "$d"
	head -c $(( (i * 7919) % 30000 )) /dev/urandom > "$d/f$i"
done
used=$(du -sb "$dir/tree" | cut -f1)
if command -v mke2fs >/dev/null; then
	truncate -s 512M "$dir/ext4.img"
	mke2fs -q -F -t ext4 -d "$dir/tree" "$dir/ext4.img"
	measure "e2fsck -fn" "$used" e2fsck -fn "$dir/ext4.img"
fi
if command -v mkfs.btrfs >/dev/null; then
	truncate -s 512M "$dir/btrfs.img"
	mkfs.btrfs -q -f --rootdir "$dir/tree" "$dir/btrfs.img" >/dev/null
	measure "btrfs check --check-data-csum" "$used" btrfs check --check-data-csum "$dir/btrfs.img"
fi
