#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cmake --install` with DESTDIR installs the programs, mkfs.gefs and
# fsck.gefs, the man pages, gefs.h, libgefs.so.0 (soname, only gefs_*
# symbols exported) and gefs.pc; a program builds against the installed
# header and library.
set -euo pipefail
dest=$(mktemp -d "${TMPDIR:-/tmp}/gefs-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
DESTDIR=$dest cmake --install "$GEFS_BUILD" --prefix /usr > /dev/null
for f in sbin/gefs-mkfs sbin/gefs-fsck sbin/gefs-dump sbin/mkfs.gefs sbin/fsck.gefs \
	include/gefs.h lib/libgefs.so.0 lib/pkgconfig/gefs.pc \
	share/man/man8/gefs-mkfs.8 share/man/man8/gefs-fsck.8 share/man/man8/gefs-dump.8 \
	share/man/man8/mkfs.gefs.8 share/man/man8/fsck.gefs.8; do
	[ -e "$dest/usr/$f" ] || bad "missing /usr/$f"
done
[ "$(readlink "$dest/usr/sbin/mkfs.gefs")" = gefs-mkfs ] || bad "mkfs.gefs is not a link to gefs-mkfs"
readelf -d "$dest/usr/lib/libgefs.so.0" | grep -q 'soname: \[libgefs.so.0\]' || bad "soname"
other=$(readelf --dyn-syms "$dest/usr/lib/libgefs.so.0" | awk '$5=="GLOBAL" && $7!="UND" {print $8}' | grep -v '^gefs_' || true)
[ -z "$other" ] || bad "exported non-gefs_ symbols: $other"
cat > "$dest/t.c" <<'C'
#include <stdio.h>
#include <gefs.h>
int main(void) { printf("%s %016llx\n", gefs_version(), (unsigned long long)gefs_bufhash("abc", 3)); return 0; }
C
# a sanitizer build of the library needs a sanitizer build of the program
san=""
readelf -d "$dest/usr/lib/libgefs.so.0" | grep -q libasan && san="-fsanitize=address,undefined"
cc $san -I"$dest/usr/include" "$dest/t.c" -L"$dest/usr/lib" -lgefs -o "$dest/t" 2>/dev/null || bad "cannot build against the installed library"
out=$(LD_LIBRARY_PATH=$dest/usr/lib "$dest/t")
case "$out" in *" 8af9c49d69f1ad94") ;; *) bad "installed library says: $out" ;; esac
[ $fail = 0 ] && echo "install: ok"
exit $fail
