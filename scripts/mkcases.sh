#!/bin/bash
# SPDX-License-Identifier: MIT
# Regenerate the gefs-fsck case corpus: tests/cases/fsck/NAME/image.gz for
# every case gefs-mkcase knows, then the expected outputs (expect.1,
# expect.2) from the gefs-fsck of the same build.  Review the diff before
# committing: an expected output changes only when gefs-fsck's behaviour
# does.
#	scripts/mkcases.sh [builddir]		(default: build)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
dir=$src/tests/cases/fsck
mk=$build/gefs-mkcase
[ -x "$mk" ] || { echo "mkcases: $mk not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in $("$mk" --list); do
	mkdir -p "$dir/$name"
	"$mk" "$name" "$tmp/img"
	gzip -9n < "$tmp/img" > "$dir/$name/image.gz"
done
GEFS_BIN=$build GEFS_BUILD=$build GEFS_SRC=$src GEFS_UPDATE_EXPECT=1 \
	bash "$src/tests/cli/fsck_cases.sh"
