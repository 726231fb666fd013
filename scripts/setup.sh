#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh — install what is missing, build into build/, and run the main job
# on a demo image: format it, print its layout, check it and dump it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
gefs_install_deps
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

demo=${TMPDIR:-/tmp}/gefs-demo.img
echo
echo "== demo: format $demo (256 MiB) and print its layout"
rm -f "$demo"
./build/gefs-mkfs -F -L demo "$demo" 256M
./build/gefs-mkfs -n "$demo" 256M
for step in scripts/demo.d/*.sh; do
	[ -e "$step" ] || continue
	echo
	echo "== demo: $(basename "$step" .sh)"
	bash "$step" "$demo"
done
echo
echo "demo image left at $demo"
