#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every tracked source and build file carries the SPDX line of the project's
# license (LICENSE, MIT) as its first line, or as its second after a #! line,
# in the comment syntax of its language; the checker is tried on a file that
# lacks the line so that it cannot pass by finding nothing.
set -euo pipefail
src=${GEFS_SRC:?}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gefs-license.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
spdx='SPDX-License-Identifier: MIT'

# want FILE: the line FILE must carry, empty when FILE is not source or build
want() {
	case "$1" in
	tests/cases/*) ;;
	*.c|*.h|*.h.in) echo "/* $spdx */" ;;
	*.[1-8]) echo ".\\\" $spdx" ;;
	*.sh|.ci/run|CMakeLists.txt|*/CMakeLists.txt|*.pc.in) echo "# $spdx" ;;
	esac
}

# spdxok DIR FILE: FILE (relative to DIR) carries its line where it must
spdxok() {
	local w line
	w=$(want "$2")
	[ -n "$w" ] || return 0
	line=$(head -1 "$1/$2")
	case "$line" in '#!'*) line=$(sed -n 2p "$1/$2") ;; esac
	[ "$line" = "$w" ]
}

grep -q '^MIT License' "$src/LICENSE" || bad "LICENSE is not the MIT license"
grep -q 'Copyright (c) 2026 The gefs-progs authors' "$src/LICENSE" || bad "LICENSE copyright line"

if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
	git -C "$src" ls-files > "$tmp/files"
else
	(cd "$src" && find . -path ./build\* -prune -o -type f -print | sed 's|^\./||') > "$tmp/files"
fi
n=0
while IFS= read -r f; do
	[ -n "$(want "$f")" ] || continue
	[ -f "$src/$f" ] || continue
	n=$((n + 1))
	spdxok "$src" "$f" || bad "$f: first line is not '$(want "$f")'"
done < "$tmp/files"
[ $n -ge 50 ] || bad "only $n source files found under $src"

# the checker itself: a file without the line, or with it on line 3, fails
mkdir -p "$tmp/t"
printf '/*\n * x\n */\n' > "$tmp/t/a.c"
printf '#!/bin/sh\n\n# %s\n' "$spdx" > "$tmp/t/b.sh"
printf '.\\" %s\n.TH X 8\n' "$spdx" > "$tmp/t/c.8"
! spdxok "$tmp/t" a.c || bad "checker accepts a .c file without the line"
! spdxok "$tmp/t" b.sh || bad "checker accepts the line on line 3"
spdxok "$tmp/t" c.8 || bad "checker rejects a correct man page"
[ $fail = 0 ] && echo "license: $n files ok"
exit $fail
