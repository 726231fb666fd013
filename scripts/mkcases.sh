#!/bin/bash
# SPDX-License-Identifier: MIT
# Regenerate the gefs-fsck case corpus: tests/cases/fsck/NAME/image.gz for
# every case, then the expected outputs (expect.1, expect.2) from the
# gefs-fsck of the same build.  Review the diff before committing: an
# expected output changes only when gefs-fsck's behaviour does.
#	scripts/mkcases.sh [builddir]		(default: build)
#	scripts/mkcases.sh --case NAME OUT [builddir]
#						write one case's image to OUT
# A case's image is what `gefs-mkcase NAME` writes (damage through a
# libfs commit, an in-memory edit of the builder image, a cut file), or,
# for a case gefs-mkcase does not know, its base image (`gefs-mkcase
# base`); then the gefs-shell script damage.gsh of the case's directory,
# when there is one, pokes its blocks (`gefs-shell -w -f`).  The cases are
# those gefs-mkcase lists and the directories holding a damage.gsh.
# Needs only the built programs (gefs-mkcase, gefs-shell, gefs-fsck) and
# gzip.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
one=
if [ "${1:-}" = --case ]; then
	[ $# -ge 3 ] || { echo "usage: mkcases.sh --case NAME OUT [builddir]" >&2; exit 2; }
	one=$2 out=$3
	shift 3
fi
build=$(cd "${1:-$src/build}" && pwd)
dir=$src/tests/cases/fsck
mk=$build/gefs-mkcase
shell=$build/gefs-shell
for p in "$mk" "$shell"; do
	[ -x "$p" ] || { echo "mkcases: $p not built" >&2; exit 2; }
done

# mkcase NAME OUT: the image of case NAME.
mkcase() {
	if "$mk" --list | grep -qxF "$1"; then
		"$mk" "$1" "$2"
	else
		"$mk" base "$2"
	fi
	if [ -f "$dir/$1/damage.gsh" ]; then
		# --rehash reports what it rewrote on stdout; errors go to stderr
		"$shell" -w -f "$dir/$1/damage.gsh" "$2" >/dev/null ||
			{ echo "mkcases: $1: damage.gsh failed" >&2; return 1; }
	fi
}

if [ -n "$one" ]; then
	mkcase "$one" "$out"
	exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ "$mk" --list; (cd "$dir" && ls -- */damage.gsh 2>/dev/null | sed 's|/damage.gsh$||'); } | sort -u > "$tmp/cases"
while read -r name; do
	mkdir -p "$dir/$name"
	mkcase "$name" "$tmp/img"
	gzip -9n < "$tmp/img" > "$dir/$name/image.gz"
done < "$tmp/cases"
GEFS_BIN=$build GEFS_BUILD=$build GEFS_SRC=$src GEFS_UPDATE_EXPECT=1 \
	bash "$src/tests/cli/fsck_cases.sh"
