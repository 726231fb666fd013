#!/bin/bash
# SPDX-License-Identifier: MIT
# gefs-mkfs -d on what the reference wrote: the main label of a reference
# image, copied out with gefs-dump (contents, modes, mtimes) and fed back
# through -d with --owner-map (host root -> glenda:adm, the root directory
# adm:adm), gives an image whose manifest equals the reference's in every
# column the source can carry (path, type, mode, length, uid, gid, mtime,
# sha256; qids and versions are the loader's own), and is fsck-clean.
# ref-small by default; GEFS_POPREF="small many deep" for more.  Skips
# when ../shared is absent.
set -u
MKFS=${GEFS_BIN:?}/gefs-mkfs FSCK=$GEFS_BIN/gefs-fsck DUMP=$GEFS_BIN/gefs-dump
refs=${GEFS_SHARED:-${GEFS_SRC:?}/../shared}/reference-images
[ -d "$refs" ] || { echo "SKIP: no reference images"; exit 0; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mkfs-popref.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
fail=0
cols() { awk -F'\t' -v OFS='\t' '{print $1,$2,$3,$4,$5,$6,$8,$11}'; }

for r in ${GEFS_POPREF:-small}; do
	gz=$refs/ref-$r.img.gz
	[ -f "$gz" ] || { echo "SKIP: no $gz"; continue; }
	gunzip -c "$gz" > "$DIR/ref.img" || exit 1
	src=$DIR/src-$r
	mkdir "$src"
	# copy out: directories first (manifest order), then file contents
	while IFS=$'\t' read -r path type mode len uid gid muid mtime rest; do
		if [ "$type" = d ]; then
			mkdir -p "$src$path"
		else
			"$DUMP" "$DIR/ref.img" cat "main:$path" > "$src$path" || { echo "FAIL: cat $path"; fail=1; }
		fi
		chmod "$(printf '%o' $((8#$mode & 8#777)))" "$src$path"
	done < "$refs/ref-$r.manifest.main"
	# times last, children before parents
	tac "$refs/ref-$r.manifest.main" | while IFS=$'\t' read -r path type mode len uid gid muid mtime rest; do
		touch -h -d "@$mtime" "$src$path"
	done
	printf 'uid %d glenda\ngid %d adm\n' "$(id -u)" "$(id -g)" > "$DIR/map"
	if ! "$MKFS" -q -d "$src" --owner-map "$DIR/map" -E root_owner=adm:adm "$DIR/out.img" 2> "$DIR/err"; then
		echo "FAIL: ref-$r: gefs-mkfs -d"; cat "$DIR/err"; fail=1; continue
	fi
	"$DUMP" "$DIR/out.img" manifest main | cols > "$DIR/got"
	cols < "$refs/ref-$r.manifest.main" > "$DIR/want"
	diff "$DIR/want" "$DIR/got" > "$DIR/diff" || { echo "FAIL: ref-$r: manifest differs"; head "$DIR/diff"; fail=1; }
	"$FSCK" -n "$DIR/out.img" > "$DIR/fsck" || { echo "FAIL: ref-$r: fsck"; cat "$DIR/fsck"; fail=1; }
	rm -rf "$src" "$DIR/ref.img" "$DIR/out.img"
done
exit $fail
