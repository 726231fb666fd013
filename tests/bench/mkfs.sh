#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a ctest test): format sparse images of 1 GiB, 64 GiB and
# 1 TiB with gefs-mkfs, mke2fs and mkfs.xfs in the same run, and print wall
# time, bytes written (write(2)-family bytes of the process, from
# /proc/PID/io wchar of the reaped child), blocks written (in the file
# system's own block size) and the space the image takes afterwards.
# Needs free disk only for what the formatters write (the images are
# sparse).  Usage: tests/bench/mkfs.sh [BUILD_DIR]
set -euo pipefail
bin=${1:-build}
dir=$(mktemp -d "${TMPDIR:-/tmp}/gefs-bench-mkfs.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# run NAME BLKSZ CMD...: one formatting run on $dir/img
run() {
	local name=$1 bs=$2 t0 t1 io
	shift 2
	rm -f "$dir/img"
	truncate -s "$size" "$dir/img"
	t0=$(date +%s%N)
	io=$(sh -c '"$@" >/dev/null 2>&1 || echo FAILED >&2; grep "^wchar" /proc/$$/io | cut -d" " -f2' sh "$@")
	t1=$(date +%s%N)
	printf '%-6s %-10s %10.2f %14d %12d %14d\n' "$label" "$name" "$(echo "($t1 - $t0) / 1000000" | bc -l)" \
		"$io" "$((io / bs))" "$(du -B1 "$dir/img" | cut -f1)"
}

command -v mke2fs >/dev/null || echo "note: mke2fs missing (apt-get install e2fsprogs)"
command -v mkfs.xfs >/dev/null || echo "note: mkfs.xfs missing (apt-get install xfsprogs)"
printf '%-6s %-10s %10s %14s %12s %14s\n' size tool "wall ms" "bytes written" blocks "allocated"
for spec in 1G:1073741824 64G:68719476736 1T:1099511627776; do
	label=${spec%%:*} size=${spec#*:}
	run gefs-mkfs 16384 "$bin/gefs-mkfs" -F -q "$dir/img" "$label"
	command -v mke2fs >/dev/null && run mke2fs 4096 mke2fs -q -F -t ext4 "$dir/img"
	command -v mkfs.xfs >/dev/null && run mkfs.xfs 4096 mkfs.xfs -q -f "$dir/img"
done
