#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# replay.sh — benchmark of gefs-replay and of gefs-shell commits (issue 12;
# not a pass/fail test: prints figures, never fails on time).
#
# Generates a host tree (10,000 files of 0–64 KiB in 500 directories and
# 10 files of 256 MiB; the same generator as write.sh), then in the same
# run, each after a sync so that no run pays for another's writeback:
#  1. gefs-replay of a script of one `put -r` of the tree into a fresh
#     image (one commit);
#  2. debugfs -w -f writing the same files into a fresh ext4 image
#     (mkdir and write commands);
#  3. mcopy -s into a FAT image, when mtools is installed (else noted);
#  4. a raw sequential write of the same bytes with fsync;
# each: wall time, user+sys CPU, files/s, MiB/s, max RSS.  Then
#  5. a gefs-shell -w session of NCOMMIT single-command commits (touch
#     lines of a script, each its own commit): commits/s and bytes
#     written per commit (the child's write_bytes, from the "File system
#     outputs" of /usr/bin/time -v, 512-byte units).
#
#   usage: tests/bench/replay.sh [-s SCALE] [BUILD_DIR]
#   SCALE divides the file counts and the big-file size (default 1: the
#   issue's sizes; -s 100 runs in seconds).  NFILES NDIRS NBIG BIGMIB
#   NCOMMIT in the environment override single figures.
set -eu
scale=1
if [ "${1:-}" = "-s" ]; then scale=$2; shift 2; fi
case $scale in ''|*[!0-9]*|0) echo "replay.sh: -s wants a positive integer" >&2; exit 2;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${GEFS_BIN:-$src/build}}
bin=$(cd "$bin" && pwd)
for p in gefs-replay gefs-shell gefs-mkfs; do
	[ -x "$bin/$p" ] || { echo "replay.sh: $bin/$p not built" >&2; exit 1; }
done
nfiles=${NFILES:-$((10000 / scale))}
ndirs=${NDIRS:-$(( (500 + scale - 1) / scale ))}
nbig=${NBIG:-$(( (10 + scale - 1) / scale ))}
bigmib=${BIGMIB:-$(( (256 + scale - 1) / scale ))}
ncommit=${NCOMMIT:-$(( (1000 + scale - 1) / scale ))}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

cc=${CC:-cc}
lib=$(find "$bin" -maxdepth 2 -name libgefs_static.a | head -1)
[ -n "$lib" ] || { echo "replay.sh: libgefs_static.a not found in $bin" >&2; exit 1; }
# a library built with GEFS_SANITIZE links only with the same runtimes
san=
nm "$lib" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
$cc -O2 $san -I"$src/libfs/include" -o "$tmp/write" "$src/tests/bench/write.c" "$lib" -luuid -lblkid -lz -lm -lpthread
mkdir "$tmp/tree"
"$tmp/write" gen "$tmp/tree" "$nfiles" "$ndirs" "$nbig" "$bigmib"
mv "$tmp/tree/list" "$tmp/list"
bytes=$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$tmp/list")
n=$(wc -l <"$tmp/list")
echo "== host tree: $n files in $ndirs directories, $bytes bytes; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"

# timed OUT CMD...: "wall user+sys maxrss_kb outblocks" of CMD, after a sync
timed() {
	local out=$1 t0 t1; shift
	sync
	t0=$(date +%s%N)
	/usr/bin/time -v "$@" >"$out.stdout" 2>"$out" || { echo "replay.sh: $* failed:" >&2; tail -5 "$out" >&2; exit 1; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -F': ' '
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident/ { r = $2 } /File system outputs/ { o = $2 }
		END { printf "%.2f %.2f %d %d\n", (b - a) / 1e9, u + s, r, o }' "$out"
}

# row NAME WALL CPU RSS_KB: one line of figures for the whole tree
row() {
	awk -v p="$1" -v s="$2" -v c="$3" -v r="$4" -v n="$n" -v b="$bytes" 'BEGIN {
		printf "%-10s %8.2f s wall %8.2f s cpu %9.0f files/s %8.1f MiB/s  max RSS %d MiB\n",
			p, s, c, n / s, b / 1048576 / s, r / 1024 }'
}

size=$(( (bytes * 13 / 10 + (1 << 30)) / 16384 * 16384 ))

echo "-- gefs-replay: put -r of the tree, one commit"
truncate -s "$size" "$tmp/gefs.img"
"$bin/gefs-mkfs" -q -F "$tmp/gefs.img" >/dev/null
echo "put -r $tmp/tree /tree" >"$tmp/put.cmd"
read -r wall cpu rss _ < <(timed "$tmp/replay.time" "$bin/gefs-replay" "$tmp/gefs.img" "$tmp/put.cmd")
row gefs "$wall" "$cpu" "$rss"
rm -f "$tmp/gefs.img"

if command -v debugfs >/dev/null && command -v mke2fs >/dev/null; then
	echo "-- debugfs -w -f (ext4): the same files"
	truncate -s "$size" "$tmp/ext4.img"
	mke2fs -q -F -t ext4 "$tmp/ext4.img"
	awk -v dir="$tmp/tree" '{ n = split($1, a, "/")
		if (n > 1 && !(a[1] in d)) { d[a[1]] = 1; print "mkdir /" a[1] }
		print "cd /" (n > 1 ? a[1] : ""); print "write " dir "/" $1 " " a[n] }' "$tmp/list" >"$tmp/dbg.cmd"
	read -r wall cpu rss _ < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/dbg.cmd" "$tmp/ext4.img")
	row debugfs "$wall" "$cpu" "$rss"
	rm -f "$tmp/ext4.img"
else
	echo "-- debugfs: not installed, skipped"
fi

if command -v mcopy >/dev/null && command -v mkfs.vfat >/dev/null; then
	echo "-- mcopy -s (FAT32): the same tree"
	truncate -s "$size" "$tmp/fat.img"
	mkfs.vfat -F 32 "$tmp/fat.img" >/dev/null
	read -r wall cpu rss _ < <(timed "$tmp/fat.time" env MTOOLS_SKIP_CHECK=1 mcopy -s -i "$tmp/fat.img" "$tmp/tree" ::/)
	row mcopy "$wall" "$cpu" "$rss"
	rm -f "$tmp/fat.img"
else
	echo "-- mcopy: mtools not installed, skipped (nothing is installed by this script)"
fi

echo "-- raw sequential write + fsync of the same bytes"
read -r wall cpu rss _ < <(timed "$tmp/raw.time" sh -c 'find "$1" -type f | sort | xargs cat | dd of="$2" bs=1M iflag=fullblock conv=fsync status=none' sh "$tmp/tree" "$tmp/raw")
row raw "$wall" "$cpu" "$rss"
rm -f "$tmp/raw"

echo "-- gefs-shell -w: $ncommit single-command commits (touch)"
truncate -s $((256 << 20)) "$tmp/sh.img"
"$bin/gefs-mkfs" -q -F "$tmp/sh.img" >/dev/null
awk -v n="$ncommit" 'BEGIN { for (i = 0; i < n; i++) printf "touch /c%05d\n", i }' >"$tmp/touch.cmd"
read -r wall cpu rss out < <(timed "$tmp/sh.time" "$bin/gefs-shell" -w -f "$tmp/touch.cmd" "$tmp/sh.img")
awk -v c="$ncommit" -v s="$wall" -v u="$cpu" -v r="$rss" -v o="$out" 'BEGIN {
	printf "shell      %8.2f s wall %8.2f s cpu %9.1f commits/s  %.0f bytes written per commit  max RSS %d MiB\n",
		s, u, c / s, o * 512 / c, r / 1024 }'
