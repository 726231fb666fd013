#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# walk.sh — benchmark of a full metadata walk (`gefs-dump stats`: every
# node of every tree read and its hash verified), cold (the image's pages
# dropped with posix_fadvise DONTNEED) and warm, on the reference images
# and, when tests/tools/gefs-mkimg exists, a big generated image.  Prints
# MiB/s of metadata, blocks/s verified and max RSS, next to this machine's
# MetroHash speed.  Not a ctest test: it prints figures, never fails on time.
#   usage: tests/bench/walk.sh [BUILD_DIR]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${GEFS_BIN:-$src/build}}
bin=$(cd "$bin" && pwd)
refs=${GEFS_SHARED:-$src/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/walk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}

lib=$(find "$bin" -maxdepth 2 -name libgefs_static.a | head -1)
[ -n "$lib" ] || { echo "walk.sh: libgefs_static.a not found in $bin" >&2; exit 1; }
$cc -O2 -I"$src/libfs/include" -o "$tmp/hashspeed" "$src/tests/bench/hashspeed.c" \
	"$lib" -luuid -lblkid -lz -lm
$cc -O2 -o "$tmp/fadvise" "$src/tests/bench/fadvise.c"
echo "== $(uname -m), $(nproc) cpus, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
"$tmp/hashspeed"

# bench NAME IMAGE: one cold and one warm walk
bench() {
	local name=$1 img=$2 mode meta sec rss
	meta=$("$bin/gefs-dump" --json "$img" stats | python3 -c '
import json, sys; print(json.load(sys.stdin)["total"]["tree_bytes"])')
	for mode in cold warm; do
		[ "$mode" = cold ] && "$tmp/fadvise" "$img"
		# wall time in ns (time -v rounds to 10 ms); time -v gives max RSS
		t0=$(date +%s%N)
		/usr/bin/time -v "$bin/gefs-dump" --cache-size 256M "$img" stats \
			>/dev/null 2>"$tmp/time"
		t1=$(date +%s%N)
		sec=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
		awk -v n="$name" -v m="$mode" -v b="$meta" -v s="$sec" -v r="$rss" 'BEGIN {
			if (s <= 0) s = 0.000001
			printf "%-16s %-4s %8.1f MiB metadata  %8.4f s  %8.1f MiB/s  %9.0f blocks/s  maxrss %6.1f MiB\n",
				n, m, b / 1048576, s, b / 1048576 / s, b / 16384 / s, r / 1024 }'
	done
}

for gz in "$refs"/*.img.gz; do
	[ -e "$gz" ] || continue
	name=$(basename "$gz" .img.gz)
	gzip -dc "$gz" | cp --sparse=always /dev/stdin "$tmp/$name.img"
	bench "$name" "$tmp/$name.img"
	rm -f "$tmp/$name.img"
done
# The largest image gefs-mkimg builds today (bigger --files values fail in
# its builder); try the biggest first.
if [ -x "$bin/gefs-mkimg" ]; then
	for n in 100000 20000 5000 1000; do
		if "$bin/gefs-mkimg" --files $n --height 3 --arena-blocks 8192 std \
		    "$tmp/big.img" >/dev/null 2>&1; then
			bench "mkimg-$n" "$tmp/big.img"
			break
		fi
	done
fi
