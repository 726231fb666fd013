#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dump_usage — gefs-dump's exit codes and messages, and its man page.
#   2: usage errors (unknown option or command, bad address, missing args)
#   1: no such label, path, block, arena or snapshot; damaged image
#   every option and command in --help appears in man/gefs-dump.8
# The image comes from gefs-mkfs, else the fresh reference image; the
# parts that need one are skipped when neither is available.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
dump=$bin/gefs-dump
refs=${GEFS_SHARED:-$src/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump_usage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0

# expect STATUS ARGS...: gefs-dump exits with STATUS and, when it fails,
# writes exactly one line starting "gefs-dump: " on stderr.
expect() {
	local want=$1 got lines
	shift
	"$dump" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	ntest=$((ntest + 1))
	if [ "$got" -ne "$want" ]; then
		nfail=$((nfail + 1))
		echo "FAIL: gefs-dump $* -> exit $got, want $want ($(head -c 200 "$tmp/err"))"
		return
	fi
	if [ "$want" -ne 0 ]; then
		lines=$(grep -vc '^gefs-dump: warning:' "$tmp/err")
		if [ "$lines" -lt 1 ] || ! grep -q '^gefs-dump: ' "$tmp/err"; then
			nfail=$((nfail + 1))
			echo "FAIL: gefs-dump $*: no 'gefs-dump: ' message on stderr"
		fi
	fi
}

if [ ! -x "$dump" ]; then
	echo "SKIP: $dump not built"
	exit 0
fi

# --help and the man page
expect 0 --help
expect 0 -V
ntest=$((ntest + 1))
man=$src/man/gefs-dump.8
"$dump" --help >"$tmp/help"
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man" >"$tmp/man"
missing=""
for o in $(grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u) \
    $(grep -o -- ' -[a-zA-Z]\b' "$tmp/help" | sort -u); do
	grep -q -- "$o" "$tmp/man" || missing="$missing $o"
done
for c in $(sed -n '/^Commands:/,/^$/p' "$tmp/help" | awk 'NF && $1 != "Commands:" {print $1}' | grep -v '^-' | sort -u); do
	grep -q "^\.B[RI]* $c\b" "$tmp/man" || missing="$missing command:$c"
done
if [ -n "$missing" ]; then
	nfail=$((nfail + 1))
	echo "FAIL: in --help but not in the man page:$missing"
fi

# usage errors (no image needed)
expect 2
expect 2 img.img
expect 2 --bogus img.img super
expect 2 img.img nosuchcommand
expect 2 --sb 2 img.img super
expect 2 --cache-size lots img.img super
expect 2 img.img block
expect 2 img.img block 0x123
expect 2 img.img block zzz
expect 2 img.img tree
expect 2 img.img tree -S main
expect 2 img.img ls
expect 2 img.img ls -Q main
expect 2 img.img cat
expect 2 --json img.img cat main:/x
expect 2 img.img cat main:/x --json
expect 2 img.img super extra
expect 2 img.img log zero
expect 2 img.img ls :/x
expect 2 --json img.img block -x 0x0

# a missing image is not a usage error
expect 1 "$tmp/nonexistent.img" super

img=$tmp/t.img
if [ -x "$bin/gefs-mkfs" ] && "$bin/gefs-mkfs" --no-xrecord "$img" 256M >/dev/null 2>&1; then
	:
elif [ -e "$refs/ref-fresh-256M.img.gz" ]; then
	gzip -dc "$refs/ref-fresh-256M.img.gz" | cp --sparse=always /dev/stdin "$img"
else
	echo "SKIP: no gefs-mkfs and no reference image: image tests"
	echo "dump_usage: $((ntest - nfail))/$ntest passed"
	[ "$nfail" -eq 0 ]
	exit
fi

expect 0 "$img" super
expect 0 "$img" ls main
expect 0 "$img" ls main:/
expect 0 "$img" cat adm:/users
expect 1 "$img" ls nosuchlabel:/
expect 1 "$img" ls main:/nosuchfile
expect 1 "$img" cat adm:/nosuchfile
expect 1 "$img" cat adm:/
expect 1 "$img" manifest nosuchlabel
expect 1 "$img" tree nosuchlabel
expect 1 "$img" tree -s 12345
expect 1 "$img" block 0x7fffffffc000
expect 1 "$img" log 99
expect 1 "$img" free 8
expect 0 --sb 1 "$img" super
expect 0 --cache-size 1M "$img" stats

# damage: the snapshot-tree root (superblock field snap.addr) gets a
# flipped byte, so its hash no longer matches
dmg=$tmp/dmg.img
cp --sparse=always "$img" "$dmg"
root=$("$dump" --json "$img" super | python3 -c '
import json, sys
print(int(json.load(sys.stdin)["superblocks"][0]["fields"]["snap.addr"], 16))')
printf '\377' | dd of="$dmg" bs=1 seek=$((root + 9000)) conv=notrunc status=none
expect 1 "$dmg" snaps
expect 1 "$dmg" ls main:/
expect 1 "$dmg" stats
expect 0 "$dmg" block "$root"
expect 0 --ignore-hash "$dmg" snaps

# damage: superblock 0's nextqid (sbhash fails); copy 1 is used, super reports copy 0
cp --sparse=always "$img" "$dmg"
printf 'X' | dd of="$dmg" bs=1 seek=84 conv=notrunc status=none
expect 1 "$dmg" super
expect 0 "$dmg" ls main:/

echo "dump_usage: $((ntest - nfail))/$ntest passed"
[ "$nfail" -eq 0 ]
