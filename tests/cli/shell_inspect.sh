#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_inspect — gefs-shell's inspection commands print what gefs-dump
# prints for the same structure (they share cmd/common's renderers): super,
# arenas, log, free, snaps, tree (label, -s, -b, -S, --depth), block (-x),
# as text and as --json (the "tool" and "image" members filtered), and
# lookup of keys taken from gefs-dump's tree output; plus their failures.
# On a fresh image, and on the reference images when ../shared is there.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
sh=$bin/gefs-shell
dump=$bin/gefs-dump
refs=${GEFS_SHARED:-$src/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell_inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0

check() {	# check NAME COND-EXIT-STATUS
	ntest=$((ntest + 1))
	if [ "$2" -ne 0 ]; then
		nfail=$((nfail + 1))
		echo "FAIL: $1"
	fi
}

nohdr() { grep -v -e '^  "tool": ' -e '^  "image": ' "$1"; }

# same IMG SHELLCMD DUMPARGS...: text and JSON of both programs agree,
# and so do their exit statuses (0 or 1).
same() {
	local img=$1 cmd=$2 a b
	shift 2
	"$sh" -c "$cmd" "$img" >"$tmp/s" 2>/dev/null; a=$?
	"$dump" "$img" "$@" >"$tmp/d" 2>/dev/null; b=$?
	cmp -s "$tmp/s" "$tmp/d" && [ "$a" -eq "$b" ]
	check "$(basename "$img"): '$cmd' equals gefs-dump $* (exit $a/$b)" $?
	[ "$cmd" = "block -x ${cmd#block -x }" ] && return
	"$sh" --json -c "$cmd" "$img" >"$tmp/s" 2>/dev/null; a=$?
	"$dump" --json "$img" "$@" >"$tmp/d" 2>/dev/null; b=$?
	cmp -s <(nohdr "$tmp/s") <(nohdr "$tmp/d") && [ "$a" -eq "$b" ]
	check "$(basename "$img"): --json '$cmd' equals gefs-dump --json $* (exit $a/$b)" $?
}

# lookups IMG TREEARGS...: each leaf entry gefs-dump prints (up to 12),
# looked up by its key as printed, gives the same line.
lookups() {
	local img=$1 line key want got n=0
	shift
	"$dump" "$img" tree "$@" | awk '/^ *leaf /{l=1; next} /^ *pivot /{l=0} l && /^ +[0-9]+  K/' \
	    | sed -E 's/^ +[0-9]+  //' >"$tmp/kv"
	while IFS= read -r line && [ $n -lt 12 ]; do
		n=$((n + 1))
		key=${line%%  *}
		got=$("$sh" -c "label ${label:-main}" -c "lookup '${key//\'/\'\\\'\'}'" "$img" 2>&1)
		[ "$got" = "$line" ]
		check "$(basename "$img"): lookup $key -> '$got'" $?
	done <"$tmp/kv"
	[ $n -gt 0 ]; check "$(basename "$img"): tree $* has leaf entries to look up" $?
}

allinspect() {	# allinspect IMG
	local img=$1 a root gen
	same "$img" super super
	same "$img" arenas arenas
	same "$img" log log
	same "$img" "log 0" log 0
	same "$img" free free
	same "$img" "free 0" free 0
	same "$img" snaps snaps
	same "$img" tree tree main
	same "$img" "tree adm" tree adm
	same "$img" "tree --depth 0" tree --depth 0 main
	same "$img" "tree -S" tree -S
	for gen in $("$dump" "$img" snaps | awk '/^snapshots:/{f=1; next} /^$/{f=0} f && $1 ~ /^[0-9]+$/ {print $1}'); do
		same "$img" "tree -s $gen" tree -s "$gen"
	done
	root=$("$dump" "$img" tree main | sed -n '1s/.*root \(0x[0-9a-f]*\).*/\1/p')
	same "$img" "tree -b $root" tree -b "$root"
	same "$img" "block $root" block "$root"
	same "$img" "block 0x0" block 0x0
	same "$img" "block -x 0x0" block -x 0x0
	# the arena headers and log heads, by column name (sizes hold spaces: -b has none)
	for a in $("$dump" -b "$img" arenas | awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		NF == 0 { exit } { print $c["addr"]; if ($c["log_head"] != "NONE") print $c["log_head"] }'); do
		same "$img" "block $a" block "$a"
	done
	label=main lookups "$img" main
	label=main lookups "$img" -S
}

SOURCE_DATE_EPOCH=1700000000 "$bin/gefs-mkfs" -q "$tmp/fresh.img" 256M || { echo "FAIL: mkfs"; exit 1; }
img=$tmp/fresh.img
# a few files, so that trees have data keys
printf 'hello\n' >"$tmp/h"
"$sh" -w -c 'mkdir /d' -c "put $tmp/h /d/h" -c "put $tmp/h '/sp ace'" -c 'snap main s1' "$img" \
    || check "populate the fresh image" 1
allinspect "$img"

# Failures: one line, exit 1, the same problem gefs-dump reports.
fails() {	# fails IMG CMD PATTERN
	"$sh" -c "$2" "$1" >/dev/null 2>"$tmp/err"
	[ $? -eq 1 ] && grep -q -- "$3" "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ]
	check "'$2' fails with $3 ($(head -c 200 "$tmp/err"))" $?
}
fails "$img" "log 99" "no arena 99"
fails "$img" "free 99" "no arena 99"
fails "$img" "block 0x1" "not a multiple"
fails "$img" "block zz" "bad address"
fails "$img" "tree nosuch" "nosuch"
fails "$img" "tree -s 9999" "snapshot 9999"
fails "$img" "tree main -S" "at most one"
fails "$img" "tree --depth" "needs an argument"
fails "$img" "lookup 'Kup(0xdead)'" "no such key"
fails "$img" "lookup 'Kdat(1,'" "expected a number"
fails "$img" "lookup zz" "hex bytes"
"$sh" --json -c "block -x 0x0" "$img" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ]; check "block -x refuses --json" $?
# A key typed as raw hex bytes finds the same entry.
hex=$("$sh" -c "lookup 'Kup(0x0)'" "$img")
[ "$hex" = "$("$sh" -c "lookup 02$(printf '%016x' 0)" "$img")" ]; check "lookup by hex bytes" $?

if [ -d "$refs" ]; then
	for gz in "$refs"/*.img.gz; do
		[ -e "$gz" ] || continue
		img=$tmp/$(basename "$gz" .img.gz).img
		gzip -dc "$gz" | cp --sparse=always /dev/stdin "$img"
		allinspect "$img"
		rm -f "$img"
	done
fi
echo "shell_inspect: $((ntest - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]
