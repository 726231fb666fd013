#!/bin/bash
# SPDX-License-Identifier: MIT
# Repairs on images written by the reference: -y -E reclaim rewrites every
# allocation log (freeing the leaks the reference leaves, FORMAT.md §14.6)
# through a commit; the result checks clean, keeps every file of every
# label (the reference manifests still match byte for byte), and a second
# -y changes nothing.  Skipped when $GEFS_SHARED is absent.
set -u
FSCK=${GEFS_BIN:?}/gefs-fsck
DUMP=${GEFS_BIN:?}/gefs-dump
DIR=${GEFS_SHARED:-/nonexistent}/reference-images
[ -d "$DIR" ] || { echo "reference images absent: skipped"; exit 0; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for gz in "$DIR"/*.img.gz; do
	name=$(basename "$gz" .img.gz)
	gunzip -c "$gz" > "$tmp/img"
	"$FSCK" -y -E reclaim "$tmp/img" > "$tmp/out" 2>&1; rc=$?
	[ $rc = 0 ] || [ $rc = 1 ] || { echo "FAIL $name: -y -E reclaim exit $rc"; cat "$tmp/out"; fail=1; }
	"$FSCK" -n -v "$tmp/img" > "$tmp/out" 2>&1; rc=$?
	[ $rc = 0 ] || { echo "FAIL $name: second run exit $rc"; cat "$tmp/out"; fail=1; }
	grep -q " 0 blocks leaked" "$tmp/out" || { echo "FAIL $name: leaks left"; tail -3 "$tmp/out"; fail=1; }
	for mf in "$DIR/$name".manifest.*; do
		lab=${mf##*.manifest.}
		if ! "$DUMP" "$tmp/img" manifest "$lab:/" > "$tmp/mf" 2>&1 || ! cmp -s "$tmp/mf" "$mf"; then
			echo "FAIL $name: manifest of $lab differs after the repair"; head -5 "$tmp/mf"; fail=1
		fi
	done
	sum=$(sha256sum < "$tmp/img")
	"$FSCK" -y "$tmp/img" > "$tmp/out" 2>&1; rc=$?
	[ $rc = 0 ] || { echo "FAIL $name: -y after the repair exit $rc"; cat "$tmp/out"; fail=1; }
	[ "$(sha256sum < "$tmp/img")" = "$sum" ] || { echo "FAIL $name: -y changed a repaired image"; fail=1; }
	echo "ok $name"
done
exit $fail
