#!/bin/bash
# SPDX-License-Identifier: MIT
# Every reference image checks clean (exit 0, no errors), and -n changes no
# byte of an uncompressed copy.  Skipped when $GEFS_SHARED is absent.
set -u
BIN=${GEFS_BIN:?}/gefs-fsck
DIR=${GEFS_SHARED:-/nonexistent}/reference-images
[ -d "$DIR" ] || { echo "reference images absent: skipped"; exit 0; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for gz in "$DIR"/*.img.gz; do
	name=$(basename "$gz" .img.gz)
	out=$("$BIN" -n "$gz" 2>&1); rc=$?
	if [ $rc != 0 ] || echo "$out" | grep -q " error: "; then
		echo "FAIL $name: exit $rc"; echo "$out" | head -20; fail=1
	fi
done
gz=$DIR/ref-small.img.gz
if [ -r "$gz" ]; then
	gunzip -c "$gz" > "$tmp/img"
	before=$(sha256sum < "$tmp/img")
	"$BIN" -n -v "$tmp/img" > /dev/null 2>&1
	[ "$(sha256sum < "$tmp/img")" = "$before" ] || { echo "FAIL: -n changed the image"; fail=1; }
	"$BIN" -y "$tmp/img" > /dev/null 2>&1; rc=$?
	[ $rc = 0 ] || { echo "FAIL: -y on a clean image exit $rc"; fail=1; }
	[ "$(sha256sum < "$tmp/img")" = "$before" ] || { echo "FAIL: -y changed a clean image"; fail=1; }
fi
exit $fail
