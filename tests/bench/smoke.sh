#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# smoke.sh — ctest bench.smoke (label bench): the benchmark scripts run
# end to end in their bounded form (-s 100, seconds) and print every row
# they promise.  Never judges a figure: the machine may be loaded.
#   usage: tests/bench/smoke.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${GEFS_BIN:-$here/../../build}}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsmoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

# want FILE REGEX: the output has a line matching REGEX
want() {
	grep -Eq "$2" "$1" || { echo "smoke.sh: $(basename "$1"): no line matching /$2/" >&2; fail=1; }
}

bash "$here/write.sh" -s 100 "$bin" >"$tmp/write.out"
cat "$tmp/write.out"
want "$tmp/write.out" '^write .* amplification [0-9.]+ +max RSS [0-9]+ MiB'
want "$tmp/write.out" '^delete .* amplification'
want "$tmp/write.out" '^commits +2$'
want "$tmp/write.out" '^process .* cpu$'
want "$tmp/write.out" '^big .* MiB/s'
if command -v debugfs >/dev/null; then want "$tmp/write.out" '^-- debugfs'; fi

bash "$here/replay.sh" -s 100 "$bin" >"$tmp/replay.out"
cat "$tmp/replay.out"
want "$tmp/replay.out" '^gefs +small .* files/s .* MiB/s +max RSS'
want "$tmp/replay.out" '^gefs +big .* files/s .* MiB/s +max RSS'
want "$tmp/replay.out" '^rawdirect +big .* MiB/s'
want "$tmp/replay.out" '^== big files: gefs [0-9.]+ MiB/s, [0-9]+% of the raw write'
if command -v debugfs >/dev/null; then want "$tmp/replay.out" '^== small files: gefs [0-9]+ files/s, [0-9.]+x debugfs'; fi
want "$tmp/replay.out" '^raw .* MiB/s'
want "$tmp/replay.out" '^shell .* commits/s +[0-9]+ bytes written per commit'
want "$tmp/replay.out" '^-- (mcopy|debugfs)'
exit $fail
