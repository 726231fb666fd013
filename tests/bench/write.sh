#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# write.sh — benchmark of the write engine (not a ctest test: prints
# figures, never fails on time).  Generates a data set on the host (10,000
# files of 0–64 KiB in 500 directories and 10 files of 256 MiB; smaller
# with NFILES NDIRS NBIG BIGMIB in the environment), then in the same run:
#  1. tests/bench/write.c: into a fresh image through the API, one commit;
#     delete half, one commit (wall time, files/s, MiB/s, bytes written
#     per byte of data, max RSS);
#  2. debugfs -w writing the same files into a fresh ext4 image (mkdir and
#     write commands from a script);
#  3. a raw sequential write of the same bytes into one file, with fsync.
#   usage: tests/bench/write.sh [BUILD_DIR]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${GEFS_BIN:-$src/build}}
bin=$(cd "$bin" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
lib=$(find "$bin" -maxdepth 2 -name libgefs_static.a | head -1)
[ -n "$lib" ] || { echo "write.sh: libgefs_static.a not found in $bin" >&2; exit 1; }
$cc -O2 -I"$src/libfs/include" -o "$tmp/write" "$src/tests/bench/write.c" "$lib" -luuid -lblkid -lz -lm -lpthread

mkdir "$tmp/data"
"$tmp/write" gen "$tmp/data" "${NFILES:-10000}" "${NDIRS:-500}" "${NBIG:-10}" "${BIGMIB:-256}"
bytes=$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$tmp/data/list")
nfiles=$(wc -l <"$tmp/data/list")
echo "== data set: $nfiles files, $bytes bytes; $(nproc) cpus"

# elapsed SECONDS MAXRSS_KB from /usr/bin/time -v output in $1
timed() {
	local out=$1; shift
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -v "$@" >"$out.stdout" 2>"$out"
	t1=$(date +%s%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" \
		"$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out")"
}

echo "-- gefs (API, one commit per phase)"
timed "$tmp/gefs.time" "$tmp/write" run "$tmp/gefs.img" "$tmp/data" >/dev/null
cat "$tmp/gefs.time.stdout"
rm -f "$tmp/gefs.img"

# rate NAME SECONDS NFILES BYTES RSS_KB
rate() {
	awk -v p="$1" -v s="$2" -v n="$3" -v b="$4" -v r="${5:-}" 'BEGIN {
		printf "%-8s %9.2f s %10.0f files/s %9.1f MiB/s", p, s, n / s, b / 1048576 / s
		if (r != "") printf "  max RSS %d MiB", r / 1024
		printf "\n" }'
}
small=$(awk '$1 ~ /\// { n++; s += $2 } END { printf "%d %.0f\n", n, s }' "$tmp/data/list")
big=$(awk '$1 !~ /\// { n++; s += $2 } END { printf "%d %.0f\n", n, s }' "$tmp/data/list")

if command -v debugfs >/dev/null && command -v mke2fs >/dev/null; then
	echo "-- debugfs -w (ext4): small files, then big files"
	truncate -s $((bytes * 13 / 10 + (1 << 30))) "$tmp/ext4.img"
	mke2fs -q -F -t ext4 "$tmp/ext4.img"
	# debugfs writes into its current directory: cd to each file's
	awk -v dir="$tmp/data" '$1 ~ /\// { n = split($1, a, "/")
		if (!(a[1] in d)) { d[a[1]] = 1; print "mkdir /" a[1] }
		print "cd /" a[1]; print "write " dir "/" $1 " " a[n] }' "$tmp/data/list" >"$tmp/small.cmd"
	awk -v dir="$tmp/data" '$1 !~ /\// { print "write " dir "/" $1 " " $1 }' "$tmp/data/list" >"$tmp/big.cmd"
	read -r sec rss < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/small.cmd" "$tmp/ext4.img")
	rate small "$sec" $small "$rss"
	read -r sec rss < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/big.cmd" "$tmp/ext4.img")
	rate big "$sec" $big "$rss"
	rm -f "$tmp/ext4.img"
fi

echo "-- raw sequential write + fsync: small files' bytes, then big files'"
read -r sec rss < <(timed "$tmp/raw.time" sh -c 'cat "$1"/d*/* | dd of="$2" bs=1M iflag=fullblock conv=fsync status=none' sh "$tmp/data" "$tmp/raw")
rate small "$sec" $small
read -r sec rss < <(timed "$tmp/raw.time" sh -c 'cat "$1"/big* | dd of="$2" bs=1M iflag=fullblock conv=fsync status=none' sh "$tmp/data" "$tmp/raw")
rate big "$sec" $big
