#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs --no-xrecord reproduces the 2025-09 reference formatter byte for
# byte: the six conformance vectors of FORMAT.md §18.7 (MD5 and SHA-256 of
# whole images; the 1 GiB ones are sparse), and the reference's own fresh
# 256 MiB image when ../shared is present.
set -u
BIN=${GEFS_BIN:?}/gefs-mkfs
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-conf.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
fail=0
while read -r size user md5 sha; do
	img=$DIR/img
	rm -f "$img"
	if ! "$BIN" -q --no-xrecord -u "$user" "$img" "$size"; then
		echo "FAIL $size $user: gefs-mkfs exit $?"; fail=1; continue
	fi
	got=$(md5sum < "$img" | cut -d' ' -f1)
	[ "$got" = "$md5" ] || { echo "FAIL $size $user: md5 $got, want $md5"; fail=1; }
	got=$(sha256sum < "$img" | cut -d' ' -f1)
	[ "$got" = "$sha" ] || { echo "FAIL $size $user: sha256 $got, want $sha"; fail=1; }
	echo "ok $size $user"
done <<'VEC'
134234112 glenda 56616eb7eba82807eb2668b03b7d568e 3126d34f539ec37d8d23958d1b9134e6f6426c379f999adf4d05d7d5daa5d729
268435456 glenda aa5048a75f93ac656e4685f86145cb4e 7cf24cddc6cf20bfee3a39e084d1ef2cb199b1a7d2b649dc50b361a51884ce23
1073741824 glenda b789abb0d3ff31ebb2159a3143670ca7 4c0395a5e59e828c9c821a792d1309092a6ffcf251fc4e3a345c8aa0d42b8825
134234112 ori 415e320aeac70334cae3b0c1bce8a980 f86a63381e93163148a248e6e241b14b9d83d9971a9b588a0b65717bab98d0f0
268435456 ori 873ae229880e43ba892c4cbbcaac4dfc 2ae9f97af33003f4696f847c326c59d157ae1ec09f8447be3a3b8d95369c05f8
1073741824 ori c18f41291f6095ab4644ecafa41ca8a4 4b3c5c6e582982e97a077bf72e38ef6fadb9a3e47485d49ab578b3a406120339
VEC

# The sizes with suffixes give the same bytes.
rm -f "$DIR/img"
"$BIN" -q --no-xrecord "$DIR/img" 256M || { echo "FAIL 256M"; fail=1; }
got=$(md5sum < "$DIR/img" | cut -d' ' -f1)
[ "$got" = aa5048a75f93ac656e4685f86145cb4e ] || { echo "FAIL 256M: md5 $got"; fail=1; }
cp --sparse=always "$DIR/img" "$DIR/plain.img"

REF=${GEFS_SHARED:-/nonexistent}/reference-images/ref-fresh-256M.img.gz
if [ -r "$REF" ]; then
	zcat "$REF" > "$DIR/ref.img"
	cmp "$DIR/ref.img" "$DIR/img" || { echo "FAIL: differs from ref-fresh-256M"; fail=1; }
	echo "ok ref-fresh-256M"
else
	echo "reference images absent: ref-fresh-256M comparison skipped"
fi

# With the extension record only bytes 8192..8703 of the two superblock
# blocks differ, and they do differ.
"$BIN" -q -F -L conf "$DIR/img" 256M || { echo "FAIL with record"; fail=1; }
cmp -l "$DIR/img" "$DIR/plain.img" > "$DIR/diff"
n=$(awk '{ o = $1 - 1; if (!((o >= 8192 && o < 8704) || (o >= 268419072 + 8192 && o < 268419072 + 8704))) bad++ }
	END { print bad + 0 }' "$DIR/diff")
[ "$n" = 0 ] || { echo "FAIL: $n bytes differ outside the extension records"; fail=1; }
n=$(wc -l < "$DIR/diff")
[ "$n" -gt 40 ] || { echo "FAIL: only $n bytes differ with the extension record"; fail=1; }
exit $fail
