#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh — install what is missing, build into build/ (or $GEFS_BUILDDIR),
# and run the whole default test suite through ctest.  Extra arguments go to
# ctest (e.g. -L slow to run the slow label).  GEFS_SANITIZE=1 builds with
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
gefs_install_deps
bdir=${GEFS_BUILDDIR:-build}
san=OFF
[ "${GEFS_SANITIZE:-0}" = 1 ] && san=ON
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGEFS_SANITIZE=$san
cmake --build "$bdir" -j"$(nproc)"
cd "$bdir"
if [ $# -eq 0 ]; then
	set -- -LE slow
fi
ctest --output-on-failure -j"$(nproc)" "$@"
