#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cmake --install` with DESTDIR installs the programs, mkfs.gefs and
# fsck.gefs, the man pages, gefs.h, libgefs.so.0 (soname, only gefs_*
# symbols exported) and gefs.pc; a program builds against the installed
# header and library.  `cmake --install --prefix DIR` gives programs that
# start from a clean environment (env -i: no LD_LIBRARY_PATH, RUNPATH
# relative to the install) and an install_manifest.txt listing every file
# and link, so that removing what it lists leaves no file behind.
set -euo pipefail
dest=$(mktemp -d "${TMPDIR:-/tmp}/gefs-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
DESTDIR=$dest cmake --install "$GEFS_BUILD" --prefix /usr > /dev/null
for f in sbin/gefs-mkfs sbin/gefs-fsck sbin/gefs-dump sbin/mkfs.gefs sbin/fsck.gefs \
	include/gefs.h lib/libgefs.so.0 lib/pkgconfig/gefs.pc \
	share/man/man8/gefs-mkfs.8 share/man/man8/gefs-fsck.8 share/man/man8/gefs-dump.8 \
	share/man/man8/mkfs.gefs.8 share/man/man8/fsck.gefs.8 share/man/man5/gefs.5; do
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

# --prefix install, run from a clean environment, then uninstall by manifest
pre=$dest/pre
cmake --install "$GEFS_BUILD" --prefix "$pre" > /dev/null
man="$GEFS_BUILD/install_manifest.txt"
progs=""
for p in mkfs fsck dump tune resize image; do
	[ -x "$GEFS_BUILD/gefs-$p" ] && progs="$progs $p"
done
for p in $progs; do
	out=$(env -i "$pre/sbin/gefs-$p" -V 2>&1) || bad "env -i gefs-$p -V failed: $out"
	case "$out" in "gefs-$p (gefs-progs) "*) ;; *) bad "env -i gefs-$p -V says: $out" ;; esac
	readelf -d "$pre/sbin/gefs-$p" | grep -q 'R.*PATH.*\$ORIGIN/' || bad "gefs-$p has no \$ORIGIN RUNPATH"
	grep -qx "$pre/sbin/gefs-$p" "$man" || bad "manifest lacks sbin/gefs-$p"
done
# the installed programs do real work from a clean environment
env -i "$pre/sbin/mkfs.gefs" -q "$dest/img" 256M || bad "env -i mkfs.gefs failed"
env -i "$pre/sbin/fsck.gefs" -n "$dest/img" > /dev/null || bad "env -i fsck.gefs -n is not clean"
for f in sbin/mkfs.gefs sbin/fsck.gefs share/man/man8/mkfs.gefs.8 share/man/man8/fsck.gefs.8 share/man/man5/gefs.5 \
	share/man/man8/gefs-image.8; do
	grep -qx "$pre/$f" "$man" || bad "install_manifest.txt lacks $f"
done
# the manifest has no newline after its last name
while IFS= read -r f || [ -n "$f" ]; do rm -f "$f"; done < "$man"
left=$(find "$pre" ! -type d)
[ -z "$left" ] || bad "left after removing the manifest's files: $left"
[ $fail = 0 ] && echo "install: ok"
exit $fail
