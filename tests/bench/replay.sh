#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# replay.sh — benchmark of gefs-replay and of gefs-shell commits (issue 12;
# not a pass/fail test: prints figures, never fails on time).
#
# Generates a host tree (10,000 files of 0–64 KiB in 500 directories and
# 10 files of 256 MiB; the same generator as write.sh) and splits it into
# the two halves the issue's targets name: the small files and the big
# ones.  For each half, in the same run, each writer after a sync so that
# no run pays for another's writeback:
#  1. gefs-replay of a script of one `put -r` of the half into a fresh
#     image (one commit);
#  2. debugfs -w -f writing the same files into a fresh ext4 image
#     (mkdir and write commands; the files it made are counted);
#  3. mcopy -s into a FAT image, when mtools is installed (else noted);
#  4. a raw sequential write of the same bytes with fsync, through the
#     page cache (raw) and with O_DIRECT (rawdirect);
# each: wall time, user+sys CPU, files/s, MiB/s, max RSS; then the ratios
# of the targets (small: gefs files/s against debugfs's, 10x; big: gefs
# MiB/s against the better raw write, 80%).  Then
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
mkdir "$tmp/tree" "$tmp/small" "$tmp/big"
"$tmp/write" gen "$tmp/tree" "$nfiles" "$ndirs" "$nbig" "$bigmib"
# the two halves of the issue's target, each its own tree: the small files
# (in their directories) and the big files
grep -v '^big' "$tmp/tree/list" >"$tmp/small.list" || :
grep '^big' "$tmp/tree/list" >"$tmp/big.list" || :
for f in "$tmp/tree"/*; do
	case ${f##*/} in list) ;; big*) mv "$f" "$tmp/big/";; *) mv "$f" "$tmp/small/";; esac
done
rm -rf "$tmp/tree"
echo "== host trees: $(wc -l <"$tmp/small.list") small files in $ndirs directories, $nbig files of $bigmib MiB; $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"

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

# row NAME WALL CPU RSS_KB: one line of figures for the phase's tree
# ($phase, $n files, $bytes bytes); the last row's file and byte rates
# are kept in $fps and $mbs for the summary
row() {
	awk -v p="$1" -v ph="$phase" -v s="$2" -v c="$3" -v r="$4" -v n="$n" -v b="$bytes" 'BEGIN {
		if (s <= 0) s = 0.01
		printf "%-10s %-5s %8.2f s wall %8.2f s cpu %9.0f files/s %8.1f MiB/s  max RSS %d MiB\n",
			p, ph, s, c, n / s, b / 1048576 / s, r / 1024 }'
	read -r fps mbs < <(awk -v s="$2" -v n="$n" -v b="$bytes" 'BEGIN { if (s <= 0) s = 0.01
		printf "%.1f %.1f\n", n / s, b / 1048576 / s }')
}

# phase NAME: every writer on the tree $tmp/NAME (list $tmp/NAME.list);
# sets gefs_fps gefs_mbs dbg_fps raw_mbs for the summary
phase() {
	local size wall cpu rss
	phase=$1
	n=$(wc -l <"$tmp/$phase.list")
	bytes=$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$tmp/$phase.list")
	[ "$n" -gt 0 ] || { echo "-- $phase: no files at this scale, skipped"; return 0; }
	echo "-- $phase: $n files, $bytes bytes"
	size=$(( (bytes * 13 / 10 + (1 << 30)) / 16384 * 16384 ))

	truncate -s "$size" "$tmp/gefs.img"
	"$bin/gefs-mkfs" -q -F "$tmp/gefs.img" >/dev/null
	echo "put -r $tmp/$phase /tree" >"$tmp/put.cmd"
	read -r wall cpu rss _ < <(timed "$tmp/replay.time" "$bin/gefs-replay" "$tmp/gefs.img" "$tmp/put.cmd")
	row gefs "$wall" "$cpu" "$rss"
	gefs_fps=$fps gefs_mbs=$mbs
	rm -f "$tmp/gefs.img"

	if command -v debugfs >/dev/null && command -v mke2fs >/dev/null; then
		truncate -s "$size" "$tmp/ext4.img"
		mke2fs -q -F -t ext4 "$tmp/ext4.img"
		# every mkdir from the root: debugfs's mkdir of an absolute path
		# creates in the current directory, not in /
		awk -v dir="$tmp/$phase" '{ f[NR] = $1; split($1, a, "/")
			if ($1 ~ /\// && !(a[1] in d)) { d[a[1]] = 1; print "mkdir " a[1] } }
			END { for (i = 1; i <= NR; i++) { k = split(f[i], a, "/")
				print "cd /" (k > 1 ? a[1] : ""); print "write " dir "/" f[i] " " a[k] } }' \
			"$tmp/$phase.list" >"$tmp/dbg.cmd"
		read -r wall cpu rss _ < <(timed "$tmp/dbg.time" debugfs -w -f "$tmp/dbg.cmd" "$tmp/ext4.img")
		# debugfs goes on after a failed command: count the files it made
		[ "$(grep -c '^Allocated inode' "$tmp/dbg.time.stdout")" -eq "$n" ] ||
			{ echo "replay.sh: debugfs wrote $(grep -c '^Allocated inode' "$tmp/dbg.time.stdout") of $n files:" >&2
			  grep -v '^debugfs [0-9]' "$tmp/dbg.time" | head -3 >&2; exit 1; }
		row debugfs "$wall" "$cpu" "$rss"
		dbg_fps=$fps
		rm -f "$tmp/ext4.img"
	else
		echo "-- debugfs: not installed, skipped"
	fi

	if command -v mcopy >/dev/null && command -v mkfs.vfat >/dev/null; then
		truncate -s "$size" "$tmp/fat.img"
		mkfs.vfat -F 32 "$tmp/fat.img" >/dev/null
		read -r wall cpu rss _ < <(timed "$tmp/fat.time" env MTOOLS_SKIP_CHECK=1 mcopy -s -i "$tmp/fat.img" "$tmp/$phase" ::/)
		row mcopy "$wall" "$cpu" "$rss"
		rm -f "$tmp/fat.img"
	else
		echo "-- mcopy: mtools not installed, skipped (nothing is installed by this script)"
	fi

	# the raw write of the same bytes, through the page cache with one
	# fsync, and with O_DIRECT (what gefs's data path does); the better
	# of the two is the raw figure of the summary
	read -r wall cpu rss _ < <(timed "$tmp/raw.time" sh -c 'cd "$1" && sed "s/ .*//" "$3" | xargs cat | dd of="$2" bs=4M iflag=fullblock conv=fsync status=none' sh "$tmp/$phase" "$tmp/raw" "$tmp/$phase.list")
	row raw "$wall" "$cpu" "$rss"
	raw_mbs=$mbs
	rm -f "$tmp/raw"
	read -r wall cpu rss _ < <(timed "$tmp/raw.time" sh -c 'cd "$1" && sed "s/ .*//" "$3" | xargs cat | dd of="$2" bs=4M iflag=fullblock oflag=direct conv=fsync status=none' sh "$tmp/$phase" "$tmp/raw" "$tmp/$phase.list")
	row rawdirect "$wall" "$cpu" "$rss"
	raw_mbs=$(awk -v a="$raw_mbs" -v b="$mbs" 'BEGIN { print (a + 0 > b + 0) ? a : b }')
	rm -f "$tmp/raw"
}

dbg_fps=
phase small
if [ "$n" -gt 0 ]; then
	if [ -n "$dbg_fps" ]; then
		awk -v g="$gefs_fps" -v d="$dbg_fps" 'BEGIN { printf "== small files: gefs %.0f files/s, %.1fx debugfs (target 10x)\n", g, g / d }'
	fi
fi
phase big
if [ "$n" -gt 0 ]; then
	awk -v g="$gefs_mbs" -v r="$raw_mbs" 'BEGIN { printf "== big files: gefs %.1f MiB/s, %.0f%% of the raw write (target 80%%)\n", g, 100 * g / r }'
fi

echo "-- gefs-shell -w: $ncommit single-command commits (touch)"
truncate -s $((256 << 20)) "$tmp/sh.img"
"$bin/gefs-mkfs" -q -F "$tmp/sh.img" >/dev/null
awk -v n="$ncommit" 'BEGIN { for (i = 0; i < n; i++) printf "touch /c%05d\n", i }' >"$tmp/touch.cmd"
read -r wall cpu rss out < <(timed "$tmp/sh.time" "$bin/gefs-shell" -w -f "$tmp/touch.cmd" "$tmp/sh.img")
awk -v c="$ncommit" -v s="$wall" -v u="$cpu" -v r="$rss" -v o="$out" 'BEGIN {
	printf "shell      %8.2f s wall %8.2f s cpu %9.1f commits/s  %.0f bytes written per commit  max RSS %d MiB\n",
		s, u, c / s, o * 512 / c, r / 1024 }'
