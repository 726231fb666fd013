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
# Every run starts after a sync, so none pays for the writeback of the
# data set or of another run; each prints wall time and user+sys CPU
# (the machine may be loaded: judge by CPU, compare walls of one run).
#   usage: tests/bench/write.sh [-s SCALE] [BUILD_DIR]
#   SCALE divides the file counts and the big-file size (default 1: the
#   issue's sizes; -s 100 runs in seconds).
set -eu
scale=1
if [ "${1:-}" = "-s" ]; then scale=$2; shift 2; fi
case $scale in ''|*[!0-9]*|0) echo "write.sh: -s wants a positive integer" >&2; exit 2;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${GEFS_BIN:-$src/build}}
bin=$(cd "$bin" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
lib=$(find "$bin" -maxdepth 2 -name libgefs_static.a | head -1)
[ -n "$lib" ] || { echo "write.sh: libgefs_static.a not found in $bin" >&2; exit 1; }
# a library built with GEFS_SANITIZE links only with the same runtimes
san=
nm "$lib" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
$cc -O2 $san -I"$src/libfs/include" -o "$tmp/write" "$src/tests/bench/write.c" "$lib" -luuid -lblkid -lz -lm -lpthread

mkdir "$tmp/data"
"$tmp/write" gen "$tmp/data" "${NFILES:-$((10000 / scale))}" "${NDIRS:-$(( (500 + scale - 1) / scale ))}" \
	"${NBIG:-$(( (10 + scale - 1) / scale ))}" "${BIGMIB:-$(( (256 + scale - 1) / scale ))}"
bytes=$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$tmp/data/list")
nfiles=$(wc -l <"$tmp/data/list")
echo "== data set: $nfiles files, $bytes bytes; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"

# "SECONDS MAXRSS_KB CPU_SECONDS" of CMD (/usr/bin/time -v output in $1),
# after a sync
timed() {
	local out=$1; shift
	local t0 t1
	sync
	t0=$(date +%s%N)
	/usr/bin/time -v "$@" >"$out.stdout" 2>"$out"
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident/ { r = $2 } END { printf "%.2f %d %.2f\n", (b - a) / 1e9, r, u + s }' "$out"
}

echo "-- gefs (API, one commit per phase)"
read -r sec rss cpu < <(timed "$tmp/gefs.time" "$tmp/write" run "$tmp/gefs.img" "$tmp/data")
cat "$tmp/gefs.time.stdout"
echo "process  $sec s wall (with format and open)  $cpu s cpu"
rm -f "$tmp/gefs.img"

# rate NAME SECONDS NFILES BYTES RSS_KB CPU_SECONDS
rate() {
	awk -v p="$1" -v s="$2" -v n="$3" -v b="$4" -v r="${5:-}" -v c="${6:-}" 'BEGIN {
		printf "%-8s %9.2f s %10.0f files/s %9.1f MiB/s", p, s, n / s, b / 1048576 / s
		if (r != "") printf "  max RSS %d MiB", r / 1024
		if (c != "") printf "  cpu %.2f s", c
		printf "\n" }'
}
small=$(awk '$1 ~ /\// { n++; s += $2 } END { printf "%d %.0f\n", n, s }' "$tmp/data/list")
big=$(awk '$1 !~ /\// { n++; s += $2 } END { printf "%d %.0f\n", n, s }' "$tmp/data/list")

if command -v debugfs >/dev/null && command -v mke2fs >/dev/null; then
	echo "-- debugfs -w (ext4): small files, then big files"
	truncate -s $((bytes * 13 / 10 + (1 << 30))) "$tmp/ext4.img"
	mke2fs -q -F -t ext4 "$tmp/ext4.img"
	# debugfs writes into its current directory: cd to each file's.  Every
	# mkdir first, from the root: debugfs's mkdir of an absolute path makes
	# it in the current directory, not in /
	awk -v dir="$tmp/data" '$1 ~ /\// { f[++m] = $1; split($1, a, "/")
		if (!(a[1] in d)) { d[a[1]] = 1; print "mkdir " a[1] } }
		END { for (i = 1; i <= m; i++) { n = split(f[i], a, "/")
			print "cd /" a[1]; print "write " dir "/" f[i] " " a[n] } }' "$tmp/data/list" >"$tmp/small.cmd"
	awk -v dir="$tmp/data" '$1 !~ /\// { print "write " dir "/" $1 " " $1 }' "$tmp/data/list" >"$tmp/big.cmd"
	read -r sec rss cpu < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/small.cmd" "$tmp/ext4.img")
	# debugfs goes on after a failed command: count the files it made
	made=$(grep -c '^Allocated inode' "$tmp/dbg.time.stdout")
	[ "$made" -eq "${small%% *}" ] ||
		{ echo "write.sh: debugfs wrote $made of ${small%% *} small files" >&2; exit 1; }
	rate small "$sec" $small "$rss" "$cpu"
	read -r sec rss cpu < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/big.cmd" "$tmp/ext4.img")
	rate big "$sec" $big "$rss" "$cpu"
	rm -f "$tmp/ext4.img"
fi

echo "-- raw sequential write + fsync: small files' bytes, then big files'"
read -r sec rss cpu < <(timed "$tmp/raw.time" sh -c 'cat "$1"/d*/* | dd of="$2" bs=1M iflag=fullblock conv=fsync status=none' sh "$tmp/data" "$tmp/raw")
rate small "$sec" $small "" "$cpu"
rm -f "$tmp/raw"
read -r sec rss cpu < <(timed "$tmp/raw.time" sh -c 'cat "$1"/big* 2>/dev/null | dd of="$2" bs=1M iflag=fullblock conv=fsync status=none' sh "$tmp/data" "$tmp/raw")
rate big "$sec" $big "" "$cpu"
