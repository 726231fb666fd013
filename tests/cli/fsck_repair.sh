#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-fsck on builder images: a healthy image is clean; a damaged
# superblock copy or arena footer is an error under -n (exit 4, no byte
# changed), is repaired by -p (exit 1), and a second run is clean (exit 0);
# a node with a bad hash cannot be repaired: -p exits 4 with the preen
# message and changes nothing; a crash remnant (superblock copies one
# commit apart) is a CR warning under -n (exit 0), tidied by -p (exit 1).
set -u
BIN=${GEFS_BIN:?}/gefs-fsck
MK=${GEFS_BUILD:?}/fsckimg
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
st() { "$@" > "$tmp/out" 2>&1; echo $?; }
"$MK" good "$tmp/good" || exit 1
[ "$(st "$BIN" -n "$tmp/good")" = 0 ] || { echo "FAIL good: not clean"; cat "$tmp/out"; fail=1; }
for kind in badsb badhdr; do
	"$MK" $kind "$tmp/$kind" || exit 1
	sum=$(sha256sum < "$tmp/$kind")
	[ "$(st "$BIN" -n "$tmp/$kind")" = 4 ] || { echo "FAIL $kind -n: want 4"; cat "$tmp/out"; fail=1; }
	[ "$(sha256sum < "$tmp/$kind")" = "$sum" ] || { echo "FAIL $kind: -n changed the image"; fail=1; }
	[ "$(st "$BIN" -p "$tmp/$kind")" = 1 ] || { echo "FAIL $kind -p: want 1"; cat "$tmp/out"; fail=1; }
	grep -q "(FIXED)" "$tmp/out" || { echo "FAIL $kind -p: nothing FIXED"; fail=1; }
	[ "$(st "$BIN" -n "$tmp/$kind")" = 0 ] || { echo "FAIL $kind: second run not clean"; cat "$tmp/out"; fail=1; }
done
"$MK" badnode "$tmp/badnode" || exit 1
sum=$(sha256sum < "$tmp/badnode")
[ "$(st "$BIN" -p "$tmp/badnode")" = 4 ] || { echo "FAIL badnode -p: want 4"; cat "$tmp/out"; fail=1; }
grep -q "UNEXPECTED INCONSISTENCY" "$tmp/out" || { echo "FAIL badnode: no preen message"; fail=1; }
grep -q "ND0002" "$tmp/out" || { echo "FAIL badnode: no ND0002"; fail=1; }
[ "$(sha256sum < "$tmp/badnode")" = "$sum" ] || { echo "FAIL badnode: -p changed the image"; fail=1; }
"$MK" crash "$tmp/crash" || exit 1
[ "$(st "$BIN" -n "$tmp/crash")" = 0 ] || { echo "FAIL crash -n: want 0"; cat "$tmp/out"; fail=1; }
grep -q "^CR0001 warning" "$tmp/out" || { echo "FAIL crash -n: no CR0001 warning"; cat "$tmp/out"; fail=1; }
[ "$(st "$BIN" -p "$tmp/crash")" = 1 ] || { echo "FAIL crash -p: want 1"; cat "$tmp/out"; fail=1; }
grep -q "CR0001.*(FIXED)" "$tmp/out" || { echo "FAIL crash -p: CR0001 not FIXED"; cat "$tmp/out"; fail=1; }
[ "$(st "$BIN" -n "$tmp/crash")" = 0 ] || { echo "FAIL crash: second run not clean"; cat "$tmp/out"; fail=1; }
grep -q "CR0" "$tmp/out" && { echo "FAIL crash: remnant left after -p"; cat "$tmp/out"; fail=1; }
exit $fail
