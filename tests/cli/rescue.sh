#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Getting data out of damaged images (issue 14):
#   * ls, cat and manifest of a label with an unreadable leaf or data block
#     print everything readable, name the lost key range or bytes and the
#     block (0x…), exit 1; gefs-shell's read-only commands do the same;
#   * restore copies every readable file out byte-identical, with modes,
#     mtimes and holes, lists what it skipped, exits 1; refuses to
#     overwrite without -o; --dry-run writes nothing;
#   * entries named ".." or "../b" (poked in with --rehash) never lead a
#     restore out of HOSTDIR;
#   * both superblocks zapped: block, block -x and super --force still work;
#     gefs-fsck -n and -p report the rebuild (SB0018) and write nothing,
#     -y rebuilds, the next -n is clean, the superblock and every label's
#     manifest are the original's; zeros are not rebuilt; a lost arena is
#     refused (SB0019); every reference image rebuilt likewise;
#   * on a reference image (skipped when ../shared is absent): a zapped
#     leaf of main, every manifest line that is not marked "?" is a line
#     of the original manifest, and restored files have its SHA-256.
set -u
export TZ=UTC
B=${GEFS_BIN:-${GEFS_BUILD:-build}}
SRC=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
REFS=${GEFS_SHARED:-$SRC/../shared}/reference-images
DUMP=$B/gefs-dump SHELL_=$B/gefs-shell
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rescue.XXXXXX") || exit 1
trap 'chmod -R u+rwx "$DIR" 2>/dev/null; rm -rf "$DIR"' EXIT
OUT=$DIR/out ERR=$DIR/err
fail=0
bad() { echo "FAIL $*"; echo "--- stdout"; head -20 "$OUT"; echo "--- stderr"; head -20 "$ERR"; fail=1; }
# run WANT-STATUS DESCRIPTION COMMAND...: status and stdout/stderr in OUT/ERR
run() {
	local want=$1 what=$2; shift 2
	"$@" > "$OUT" 2> "$ERR"
	local got=$?
	[ "$got" = "$want" ] || bad "$what: exit $got, want $want"
}
has() { grep -qF -- "$1" "$2" || bad "$3: no '$1' in $2"; }

# ---- a source tree and its image ----
src=$DIR/src
mkdir -p "$src/d1" "$src/d2"
for i in $(seq 1 300); do printf 'file %d %0200d\n' "$i" "$i" > "$src/d1/f$i"; done
head -c 200000 /dev/urandom > "$src/d2/big"
printf 'head' > "$src/d2/sparse"
truncate -s 1M "$src/d2/sparse"
printf 'tail' >> "$src/d2/sparse"
chmod 640 "$src/d2/big"
chmod 600 "$src/d1/f7"
touch -d '2020-01-02 03:04:05' "$src/d2/big" "$src/d2/sparse"
touch -d '2019-05-06 07:08:09' "$src"/d1/f*
img=$DIR/img
"$B/gefs-mkfs" -q -d "$src" "$img" 256M || { echo "FAIL gefs-mkfs -d"; exit 1; }
"$DUMP" "$img" manifest main > "$DIR/manifest.orig" || { echo "FAIL manifest of the fresh image"; exit 1; }

# The leaf of main holding the second Kent range of d1: its address and
# the pivot keys around it, from the text tree dump.
"$DUMP" "$img" tree --depth 1 main > "$DIR/tree"
leafline=$(grep -E '^ +[0-9]+  Kent\(0x[0-9a-f]+, "f' "$DIR/tree" | head -1)
leaf=$(sed -E 's/.*addr=(0x[0-9a-f]+).*/\1/' <<< "$leafline")
lokey=$(sed -E 's/^ +[0-9]+  (Kent\([^)]*\)).*/\1/' <<< "$leafline")
[ -n "$leaf" ] && [ -n "$lokey" ] || { echo "FAIL no Kent leaf in the tree of main"; cat "$DIR/tree"; exit 1; }
bigqid=$("$DUMP" "$img" ls -l main:/d2 | awk '$NF == "big" {sub(/\..*/, "", $2); print $2}')
datline=$("$DUMP" "$img" tree main | grep -F "Kdat($bigqid, 0x4000)")
datblk=$(sed -E 's/.*addr=(0x[0-9a-f]+).*/\1/' <<< "$datline")
[ -n "$datblk" ] || { echo "FAIL no Kdat($bigqid, 0x4000) in main"; exit 1; }

z=$DIR/z.img
cp "$img" "$z"
run 0 "zap the leaf and the data block" "$SHELL_" -w -c "zap $leaf" -c "zap $datblk" "$z"

# ---- ls, cat, manifest past the damage ----
"$DUMP" "$img" ls main:/d1 > "$DIR/ls.orig"
run 1 "ls of a directory with a lost leaf" "$DUMP" "$z" ls main:/d1
has "main:/d1: keys [$lokey, " "$ERR" "ls"
has "(block $leaf)" "$ERR" "ls"
n0=$(wc -l < "$DIR/ls.orig") n1=$(wc -l < "$OUT")
[ "$n1" -gt 0 ] && [ "$n1" -lt "$n0" ] || bad "ls printed $n1 of $n0 entries"
comm -13 "$DIR/ls.orig" "$OUT" | grep -q . && bad "ls printed entries that are not in the directory"
cp "$OUT" "$DIR/ls.dmg"

run 1 "cat of a file with a lost data block" "$DUMP" "$z" cat main:/d2/big
has "main:/d2/big: bytes [16384, 32768) unreadable, read as zeros (block $datblk)" "$ERR" "cat"
cmp -s "$OUT" "$src/d2/big" && bad "cat: damaged file read back intact"
[ "$(head -c 16384 "$OUT" | cmp - <(head -c 16384 "$src/d2/big") && echo same)" = same ] || bad "cat: first block differs"
[ "$(tail -c +32769 "$OUT" | cmp - <(tail -c +32769 "$src/d2/big") && echo same)" = same ] || bad "cat: bytes after the hole differ"
[ "$(head -c 32768 "$OUT" | tail -c 16384 | tr -d '\0' | wc -c)" = 0 ] || bad "cat: the lost block is not zeros"

run 1 "manifest past damage" "$DUMP" "$z" manifest main
has "(block $leaf)" "$ERR" "manifest"
has "main:/d2/big: bytes [16384" "$ERR" "manifest"
grep -q "^/d2/big	.*	?\$" "$OUT" || bad "manifest: /d2/big not marked ?"
grep -v '	?$' "$OUT" | sort > "$DIR/m.dmg"
sort "$DIR/manifest.orig" | comm -13 - "$DIR/m.dmg" | grep -q . && bad "manifest: lines not in the original"
[ "$(grep -c '^/d1/' "$DIR/m.dmg")" = "$(wc -l < "$DIR/ls.dmg")" ] || bad "manifest and ls disagree on /d1"

run 0 "manifest of the intact image" "$DUMP" "$img" manifest main

# gefs-shell read-only commands share the tolerant reads
run 1 "shell ls past damage" "$SHELL_" -c 'ls /d1' "$z"
has "(block $leaf)" "$ERR" "shell ls"
sed 's|/$||' "$OUT" | sort > "$DIR/shls"
[ "$(wc -l < "$DIR/shls")" = "$n1" ] || bad "shell ls: $(wc -l < "$DIR/shls") entries, dump ls $n1"
run 1 "shell cat past damage" "$SHELL_" -c 'cat /d2/big' "$z"
has "bytes [16384, 32768) unreadable" "$ERR" "shell cat"

# ---- restore ----
rdir=$DIR/r
mkdir "$rdir"
run 1 "restore of the damaged label" "$DUMP" "$z" restore main "$rdir"
has "(block $leaf)" "$ERR" "restore"
has "main:/d2/big: incomplete" "$ERR" "restore"
has "entries or key ranges skipped or incomplete" "$ERR" "restore"
nrest=0
while read -r name; do
	f=$rdir/d1/$name
	[ -f "$f" ] || { bad "restore: d1/$name missing"; continue; }
	cmp -s "$f" "$src/d1/$name" || bad "restore: d1/$name differs"
	[ "$(stat -c '%a %Y' "$f")" = "$(stat -c '%a %Y' "$src/d1/$name")" ] || bad "restore: d1/$name mode or mtime"
	nrest=$((nrest + 1))
done < "$DIR/ls.dmg"
[ "$nrest" = "$n1" ] && [ "$(ls "$rdir/d1" | wc -l)" = "$n1" ] || bad "restore: $(ls "$rdir/d1" | wc -l) files in d1, want $n1"
cmp -s "$rdir/d2/sparse" "$src/d2/sparse" || bad "restore: sparse file differs"
[ "$(stat -c '%a %Y' "$rdir/d2/sparse")" = "$(stat -c '%a %Y' "$src/d2/sparse")" ] || bad "restore: sparse mode or mtime"
[ "$(stat -c %b "$rdir/d2/sparse")" -lt 256 ] || bad "restore: the hole of d2/sparse was written ($(stat -c %b "$rdir/d2/sparse") blocks)"
[ "$(stat -c '%a %s' "$rdir/d2/big")" = "640 200000" ] || bad "restore: incomplete d2/big mode or length"

# the intact image restores completely, byte-identical; again: refused, -o
full=$DIR/full
mkdir "$full"
run 0 "restore of the intact label" "$DUMP" "$img" restore main "$full"
diff -r "$src" "$full" > /dev/null || bad "restore: the intact label differs from the source"
for f in d2/big d2/sparse d1/f7 d1/f1; do
	[ "$(stat -c '%a %Y %s' "$full/$f")" = "$(stat -c '%a %Y %s' "$src/$f")" ] || bad "restore: $f mode, mtime or size"
done
run 1 "restore over existing files" "$DUMP" "$img" restore main:/d2 "$full/d2"
has "main:/d2/big: exists: not overwritten (use -o)" "$ERR" "restore without -o"
echo changed > "$full/d2/big"
run 0 "restore -o" "$DUMP" "$img" restore -o -v main:/d2 "$full/d2"
cmp -s "$full/d2/big" "$src/d2/big" || bad "restore -o: d2/big not rewritten"
has "main:/d2/big" "$OUT" "restore -v"
dry=$DIR/dry
mkdir "$dry"
run 0 "restore --dry-run" "$DUMP" "$img" restore --dry-run -v main "$dry"
[ -z "$(ls -A "$dry")" ] || bad "restore --dry-run wrote files"
has "would restore main:/d1/f1" "$OUT" "restore --dry-run -v"
run 0 "restore of one file" "$DUMP" "$img" restore main:/d1/f7 "$dry"
cmp -s "$dry/f7" "$src/d1/f7" || bad "restore of one file"
run 2 "restore without HOSTDIR" "$DUMP" "$img" restore main
run 2 "restore into a missing HOSTDIR" "$DUMP" "$img" restore main "$DIR/nonexistent"

# ---- hostile names: "..", "../b" ----
hs=$DIR/hs
mkdir -p "$hs/a"
echo one > "$hs/a/aa"; echo two > "$hs/a/bbbb"; echo three > "$hs/a/cc"
himg=$DIR/h.img
"$B/gefs-mkfs" -q -d "$hs" "$himg" 256M || bad "gefs-mkfs of the hostile source"
hleaf=$("$DUMP" "$himg" tree main | awk '$1 == "leaf" {print $2; exit}')
offs=$(python3 - "$himg" "$hleaf" <<'EOF'
import sys
b = open(sys.argv[1], 'rb').read()
a = int(sys.argv[2], 16)
blk = b[a:a + 16384]
# a Kent name is stored after its 2-byte big-endian length
print(hex(blk.find(b'\x00\x02aa\x00') + 2), hex(blk.find(b'\x00\x04bbbb\x00') + 2))
EOF
)
set -- $offs
run 0 "poke hostile names" "$SHELL_" -w -c "poke --rehash $hleaf $1 2e2e" -c "poke --rehash $hleaf $2 2e2e2f62" "$himg"
"$DUMP" "$himg" tree main | grep -qF 'Kent(0x3, "../b")' || bad "the poked name ../b is not in the tree"
mkdir -p "$DIR/jail/in"
run 1 "restore of hostile names" "$DUMP" "$himg" restore main "$DIR/jail/in"
has 'Kent(0x3, "..")' "$ERR" "restore of .."
has 'Kent(0x3, "../b")' "$ERR" "restore of ../b"
[ "$(cd "$DIR/jail" && find . | sort | tr '\n' ' ')" = ". ./in ./in/a ./in/a/cc " ] \
	|| bad "restore of hostile names wrote: $(cd "$DIR/jail" && find . | tr '\n' ' ')"

# ---- no valid superblock ----
nosb=$DIR/nosb.img
cp "$img" "$nosb"
last=$(printf '0x%x' $(( $(stat -c %s "$nosb") / 16384 * 16384 - 16384 )))
run 0 "zap both superblocks" "$SHELL_" -w -c 'zap 0' -c "zap $last" "$nosb"
run 1 "super without --force" "$DUMP" "$nosb" super
run 1 "super --force" "$DUMP" "$nosb" super --force
has "copy 1 ($last)" "$OUT" "super --force"
has "bad magic" "$OUT" "super --force"
run 0 "block without a superblock" "$DUMP" "$nosb" block "$leaf"
grep -Eq "^$leaf +- +2 +leaf " "$OUT" || bad "block: no row '$leaf - 2 leaf' (addr arena type typename)"
has "reading the image without a superblock" "$ERR" "block"
run 0 "block -x without a superblock" "$DUMP" "$nosb" block -x 0x4000
grep -q '^00000000  00 05 ' "$OUT" || bad "block -x 0x4000: not an arena header"
run 1 "block beyond the device" "$DUMP" "$nosb" block 0x100000000

# gefs-fsck rebuilds the superblock: reported with -n and -p (nothing
# written), written with -y; then clean, same superblock prefix (the
# extension record was zapped with the blocks), same manifests.
cp "$nosb" "$DIR/nosb.before"
run 4 "fsck -n with both superblocks lost" "$B/gefs-fsck" -n "$nosb"
has "SB0018" "$OUT" "fsck -n"
has "SB0021" "$OUT" "fsck -n"
run 4 "fsck -p with both superblocks lost" "$B/gefs-fsck" -p "$nosb"
has "SB0018" "$OUT" "fsck -p"
cmp -s "$nosb" "$DIR/nosb.before" || bad "fsck -n or -p wrote to the image"
run 1 "fsck -y rebuilds the superblock" "$B/gefs-fsck" -y "$nosb"
has "SB0018 error: both superblock copies lost: rebuilt from 8 arenas" "$OUT" "fsck -y"
run 0 "fsck -n after the rebuild" "$B/gefs-fsck" -n "$nosb"
"$DUMP" "$img" super | grep -v '^xrec\.\|^tail\.' | tr -s ' ' > "$DIR/super.orig"
"$DUMP" "$nosb" super | grep -v '^xrec\.\|^tail\.' | tr -s ' ' > "$DIR/super.new"
cmp -s "$DIR/super.orig" "$DIR/super.new" || { bad "rebuilt superblock differs"; diff "$DIR/super.orig" "$DIR/super.new"; }
for l in main adm empty; do
	cmp -s <("$DUMP" "$img" manifest $l) <("$DUMP" "$nosb" manifest $l) || bad "manifest of $l after the rebuild"
done
# not GEFS at all: no arena either, so no rebuild is attempted
head -c 1M /dev/zero > "$DIR/zero.img"
run 8 "fsck -n of zeros" "$B/gefs-fsck" -n "$DIR/zero.img"
grep -q SB0018 "$OUT" "$ERR" && bad "fsck of zeros tried to rebuild a superblock"
# an arena lost as well: refused (SB0019), nothing written
cp "$DIR/nosb.before" "$DIR/noar.img"
arena1=$("$DUMP" "$img" arenas | awk '$1 == "1" {print $2; exit}')
[ -n "$arena1" ] || bad "no arena 1 in gefs-dump arenas"
dd if=/dev/zero of="$DIR/noar.img" bs=16384 seek=$((arena1 / 16384)) count=2 conv=notrunc status=none
cp "$DIR/noar.img" "$DIR/noar.before"
run 4 "fsck -y with an arena lost as well" "$B/gefs-fsck" -y "$DIR/noar.img"
has "SB0019" "$OUT" "fsck -y, arena lost"
cmp -s "$DIR/noar.img" "$DIR/noar.before" || bad "fsck -y wrote a superblock with an arena lost"

# ---- a reference image ----
ref=$REFS/ref-deep.img.gz
if [ -r "$ref" ] && [ -r "$REFS/ref-deep.manifest.main" ]; then
	rimg=$DIR/ref.img
	gzip -dc "$ref" > "$rimg"
	rleaf=$("$DUMP" "$rimg" tree --depth 1 main | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^Kent/ {for (i = 1; i <= NF; i++) if ($i ~ /^addr=/) {sub(/addr=/, "", $i); print $i; exit}}')
	if [ -n "$rleaf" ]; then
		"$DUMP" "$rimg" manifest main > "$DIR/ref.orig"
		run 0 "zap a leaf of the reference image" "$SHELL_" -w -c "zap $rleaf" "$rimg"
		run 1 "manifest of the damaged reference image" "$DUMP" "$rimg" manifest main
		has "(block $rleaf)" "$ERR" "reference manifest"
		grep -v '	?$' "$OUT" | sort > "$DIR/ref.dmg"
		sort "$DIR/ref.orig" | comm -13 - "$DIR/ref.dmg" | grep -q . && bad "reference manifest: lines not in the original"
		[ -s "$DIR/ref.dmg" ] || bad "reference manifest: nothing read"
		mkdir "$DIR/rr"
		run 1 "restore of the damaged reference image" "$DUMP" "$rimg" restore main "$DIR/rr"
		nref=0
		while IFS='	' read -r p type _ _ _ _ _ _ _ _ sum; do
			[ "$type" = f ] || continue
			[ -f "$DIR/rr$p" ] || { bad "reference restore: $p missing"; continue; }
			[ "$(sha256sum < "$DIR/rr$p" | cut -d' ' -f1)" = "$sum" ] || bad "reference restore: $p differs"
			nref=$((nref + 1))
		done < "$DIR/ref.dmg"
		[ "$nref" -gt 0 ] || bad "reference restore: no file checked"
	else
		echo "FAIL no Kent leaf under the root of main in $ref"; fail=1
	fi
	# both superblocks of every reference image lost: rebuilt, clean, and
	# every label's manifest is the reference's
	for r in "$REFS"/*.img.gz; do
		n=$(basename "$r" .img.gz)
		gzip -dc "$r" > "$DIR/rs.img"
		last=$(printf '0x%x' $(( $(stat -c %s "$DIR/rs.img") / 16384 * 16384 - 16384 )))
		"$SHELL_" -w -c 'zap 0' -c "zap $last" "$DIR/rs.img" > /dev/null 2>&1 || bad "$n: zap"
		run 1 "$n: fsck -y rebuilds the superblock" "$B/gefs-fsck" -y "$DIR/rs.img"
		run 0 "$n: fsck -n after the rebuild" "$B/gefs-fsck" -n "$DIR/rs.img"
		for m in "$REFS/$n".manifest.*; do
			[ -r "$m" ] || continue
			l=${m##*.manifest.}
			"$DUMP" "$DIR/rs.img" manifest "$l" > "$OUT" 2> "$ERR" || bad "$n: manifest $l after the rebuild"
			cmp -s "$OUT" "$m" || bad "$n: manifest $l differs from $m after the rebuild"
		done
	done
else
	echo "SKIP reference image: $ref not available"
fi

[ "$fail" = 0 ] && echo "PASS rescue"
exit "$fail"
