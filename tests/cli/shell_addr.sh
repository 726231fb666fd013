#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_addr — gefs-shell's block names (sb, hdr, ftr, log, root, data):
# each resolves to the address the inspection commands print for the same
# block (arenas, log, tree, lookup, super), in read-only and write mode;
# block, owner and set accept them, set's VALUE too; a name that names
# nothing fails in one line and changes nothing.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell_addr.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0
fail() { nfail=$((nfail + 1)); echo "FAIL: $*"; }
sh() { "$bin/gefs-shell" "$@"; }
img=$tmp/i.img

"$bin/gefs-mkcase" base "$img" || { echo "FAIL: gefs-mkcase base"; exit 1; }

# expect NAME ADDR: addr NAME prints ADDR.
expect() {
	ntest=$((ntest + 1))
	local got
	got=$(sh -c "addr '$1'" "$img" 2>&1 | cut -f2)
	[ "$got" = "$2" ] || fail "addr $1: got '$got', expected '$2'"
}

# What the inspection commands say, independently of the names.
last=$(printf '0x%x' $(( $(stat -c %s "$img") / 16384 * 16384 - 16384 )))
expect 'sb(0)' 0x0
expect 'sb(1)' "$last"
for i in 0 1 2 3; do
	row=$(sh -c arenas "$img" | awk -v i="$i" '$1 == i')
	expect "hdr($i)" "$(echo "$row" | awk '{print $2}')"
	expect "ftr($i)" "$(printf '0x%x' $(( $(echo "$row" | awk '{print $2}') + 16384 )))"
	expect "log($i)" "$(sh -c "log $i" "$img" | awk 'h {print $1; exit} $1 == "addr" && $2 == "seq" {h = 1}')"
	expect "log($i,0)" "$(sh -c "log $i" "$img" | awk 'h {print $1; exit} $1 == "addr" && $2 == "seq" {h = 1}')"
done
for l in main adm snap1; do
	expect "root($l)" "$(sh -c "tree $l" "$img" | awk 'NR == 1 {print $NF}')"
done
file=$(sh -c 'manifest /' "$img" | awk -F'\t' '$2 == "f" && $4 > 16384 {print $1; exit}')
qid=$(printf '0x%x' "$(sh -c "stat $file" "$img" | awk '$1 == "qid" {print $2}')")
# datkey OFF: the block lookup finds for the file's Kdat at OFF.
datkey() { sh -c "lookup 'Kdat($qid, $1)'" "$img" | sed -n 's/.*addr=\(0x[0-9a-f]*\).*/\1/p'; }
offs=$(sh -c 'tree main' "$img" | grep -o "Kdat($qid, 0x[0-9a-f]*)" | sed 's/.*, //; s/)//' | sort -u)
[ "$(echo "$offs" | wc -w)" -ge 2 ] || fail "$file has fewer than 2 data blocks"
for off in $offs; do
	want=$(datkey "$off")
	expect "data($file,$off)" "$want"
	expect "data(main:$file, $((off + 5)))" "$want"
	expect "data(main:$file, $((off + 16383)))" "$want"
done
expect "data($file)" "$(datkey 0)"
# a hole of the file: the first block boundary below its length with no Kdat
hole=
for ((o = 0; o < $(sh -c 'manifest /' "$img" | awk -F'\t' -v f="$file" '$1 == f {print $4}'); o += 16384)); do
	echo "$offs" | grep -qx "$(printf '0x%x' $o)" || { hole=$o; break; }
done

# Deadlists: the head and tail snaps prints (the base image has one of
# two blocks).
read -r gen bgen hd tl nblk < <(sh -c snaps "$img" | awk '/^deadlists:/ {d = 1; next} d && $1 ~ /^[0-9]+$/ {print $1, $2, $3, $4, $5; exit}')
ntest=$((ntest + 1))
[ "${nblk:-0}" -eq 2 ] || fail "the base image's deadlist has ${nblk:-no} blocks, not 2"
expect "dlist($gen,$bgen)" "$hd"
expect "dlist($gen, $bgen, 0)" "$hd"
expect "dlist($gen,$bgen,1)" "$tl"

# The commands that take ADDR take names: block, tree -b, owner.
ntest=$((ntest + 1))
[ "$(sh -c 'block root(adm)' "$img")" = "$(sh -c "block $(sh -c 'addr root(adm)' "$img" | cut -f2)" "$img")" ] ||
	fail "block root(adm) differs from block ADDR"
ntest=$((ntest + 1))
sh -c 'tree -b root(main)' "$img" | grep -q "^pivot $(sh -c 'addr root(main)' "$img" | cut -f2) " ||
	fail "tree -b root(main)"
ntest=$((ntest + 1))
sh -c "owner data($file)" "$img" | grep -q "Kdat($qid, 0x0)" || fail "owner data(FILE)"

# Names that name nothing: one line, exit 1, the image unchanged.
sum=$(sha256sum <"$img")
for bad in 'sb(2)' 'hdr(4)' 'ftr(x)' 'log(0,1)' 'log(9)' 'root(nosuch)' 'root()' 'data(/nosuch)' \
	'data(/d1)' "data($file,999999999)" ${hole:+"data($file,$hole)"} 'foo(1)' 'sb' 'sb(0' 'hdr(1,2)' \
	'log(0,x)' 'sb(-1)' 'data(nosuch:/x)' "dlist($gen,$bgen,2)" "dlist($gen,$((bgen + 1)))" 'dlist(1)' \
	'dlist(1,2,3,4)' 'root(main,1)' 'sb(1,2,3)' 'hdr(0,1,2)' 'log(0,1,2)' 'root(a,b,c)'; do
	for cmd in "addr '$bad'" "block '$bad'" "owner '$bad'" "poke '$bad' 0 00" "set '$bad' flag 1" \
		"set sb(0) flag '$bad'"; do
		ntest=$((ntest + 1))
		sh -w -c "$cmd" "$img" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ] ||
			fail "$cmd: exit $rc, $(wc -l <"$tmp/err") lines: $(head -2 "$tmp/err")"
	done
done
ntest=$((ntest + 1))
[ "$(sha256sum <"$img")" = "$sum" ] || fail "a failing name changed the image"

# Write mode: set VALUE takes a name; the damage lands where the name says.
cp "$img" "$tmp/w.img"
ntest=$((ntest + 1))
sh -w -c 'set --rehash sb(1) snap.addr root(adm)' "$tmp/w.img" >/dev/null || fail "set VALUE as a name"
ntest=$((ntest + 1))
[ "$(sh -c super "$tmp/w.img" | awk '$1 == "snap.addr" {print $3}')" = "$(sh -c 'addr root(adm)' "$img" | cut -f2)" ] ||
	fail "set sb(1) snap.addr root(adm) did not land"
cp "$img" "$tmp/w.img"
ntest=$((ntest + 1))
sh -w -c 'poke ftr(2) 0 7f7f' "$tmp/w.img" && cmp -l "$img" "$tmp/w.img" |
	awk -v a=$(( $(sh -c 'addr ftr(2)' "$img" | cut -f2) )) '{ if ($1 - 1 < a || $1 - 1 > a + 1) bad = 1; n++ } END { exit bad || n != 2 }' ||
	fail "poke ftr(2) changed other bytes than the footer's type"

echo "shell_addr: $((ntest - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$ntest" -gt 100 ]
