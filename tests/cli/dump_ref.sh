#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dump_ref — gefs-dump on the reference images and on a fresh image.
#  1. For every reference image and label, `manifest LABEL:/` equals the
#     reference's NAME.manifest.LABEL byte for byte.
#  2. Every command exits 0 on every reference image, as text and as JSON
#     (JSON validated with python3 -m json.tool), with and without
#     --hide-names.
#  3. On a freshly formatted 256 MiB image (gefs-mkfs --no-xrecord,
#     deterministic), the text output of super, arenas, log, free, snaps,
#     tree and stats equals images/fresh-256M/expect.* (FORMAT.md §18.6).
# Parts whose inputs are missing (reference images, gefs-mkfs) are skipped.
set -u
export TZ=UTC	# the golden outputs hold times
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
dump=$bin/gefs-dump
refs=${GEFS_SHARED:-$src/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump_ref.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nfail=0
ntest=0

ok() { ntest=$((ntest + 1)); }
bad() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "FAIL: $*"; }

# run NAME CMD...: exit status 0 expected, output kept in $tmp/out
run() {
	local what=$1; shift
	if "$dump" "$@" >"$tmp/out" 2>"$tmp/err"; then
		ok
	else
		bad "$what: gefs-dump $* -> exit $? ($(head -c 300 "$tmp/err"))"
		return 1
	fi
}

# Every command, text and JSON, on image $1 (labels from the manifests $2...).
allcommands() {
	local img=$1 name=$2 lab args json hide
	shift 2
	for hide in "" --hide-names; do
		for json in "" --json; do
			for args in super arenas log "log 0" free "free 1" snaps "tree -S" \
			    "tree --depth 1 main" "tree -s 0" "block 0x0" "block -x 0x4000" \
			    "block 0x4000" "ls -l adm:/" "ls -R -l main:/" stats "manifest adm:/"; do
				[ -n "$json" ] && [ "$args" = "block -x 0x4000" ] && continue
				# shellcheck disable=SC2086
				run "$name" $hide $json "$img" $args || continue
				if [ -n "$json" ] && ! python3 -m json.tool "$tmp/out" >/dev/null 2>&1; then
					bad "$name: $hide $json $args: invalid JSON"
				fi
			done
			for lab in "$@"; do
				# shellcheck disable=SC2086
				run "$name" $hide $json "$img" tree "$lab" || continue
				if [ -n "$json" ] && ! python3 -m json.tool "$tmp/out" >/dev/null 2>&1; then
					bad "$name: tree $lab: invalid JSON"
				fi
			done
		done
	done
	run "$name" "$img" cat adm:/users
}

if [ ! -x "$dump" ]; then
	echo "SKIP: $dump not built"
	exit 0
fi

if [ -d "$refs" ]; then
	for gz in "$refs"/*.img.gz; do
		[ -e "$gz" ] || continue
		name=$(basename "$gz" .img.gz)
		img=$tmp/$name.img
		gzip -dc "$gz" | cp --sparse=always /dev/stdin "$img"
		labels=()
		for mf in "$refs/$name".manifest.*; do
			lab=${mf##*.manifest.}
			labels+=("$lab")
			if "$dump" "$img" manifest "$lab:/" >"$tmp/mf" 2>"$tmp/err" \
			    && cmp -s "$tmp/mf" "$mf"; then
				ok
			else
				bad "$name: manifest $lab:/ differs from the reference ($(head -c 300 "$tmp/err"))"
				diff "$mf" "$tmp/mf" | head -5
			fi
		done
		allcommands "$img" "$name" "${labels[@]}"
		rm -f "$img"
	done
	# the compressed image directly
	if [ -e "$refs/ref-fresh-256M.img.gz" ]; then
		"$dump" "$refs/ref-fresh-256M.img.gz" manifest main:/ >"$tmp/mf" 2>"$tmp/err" \
		    && cmp -s "$tmp/mf" "$refs/ref-fresh-256M.manifest.main" && ok \
		    || bad "ref-fresh-256M.img.gz: manifest of the gzip image"
	fi
else
	echo "SKIP: no reference images in $refs"
fi

# Golden output on a fresh image.
mkfs=$bin/gefs-mkfs
expect=$src/images/fresh-256M
if [ -x "$mkfs" ]; then
	img=$tmp/fresh.img
	if "$mkfs" --no-xrecord "$img" 256M >/dev/null 2>"$tmp/err"; then
		for c in super arenas log free snaps "tree -S" "tree main" "tree adm" stats; do
			f=expect.${c// /-}
			f=${f//--/-}
			# shellcheck disable=SC2086
			"$dump" "$img" $c >"$tmp/got" 2>&1
			if [ "${GEFS_REGEN:-0}" = 1 ]; then
				mkdir -p "$expect"
				cp "$tmp/got" "$expect/$f"
				ok
			elif [ ! -e "$expect/$f" ]; then
				bad "fresh-256M: $expect/$f missing (GEFS_REGEN=1 to create)"
			elif cmp -s "$tmp/got" "$expect/$f"; then
				ok
			else
				bad "fresh-256M: $c differs from $f"
				diff "$expect/$f" "$tmp/got" | head -10
			fi
		done
	else
		bad "gefs-mkfs --no-xrecord failed: $(head -c 300 "$tmp/err")"
	fi
else
	echo "SKIP: $mkfs not built (fresh-image golden output)"
fi

echo "dump_ref: $((ntest - nfail))/$ntest passed"
[ "$nfail" -eq 0 ]
