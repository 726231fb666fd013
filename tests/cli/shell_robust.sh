#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_robust — gefs-shell's read-only commands (text and JSON) and
# gefs-replay -n over the corrupted images of the mutation sweep
# (tests/tools/gefs-sweep --keep: every metadata block kind of five
# builder images, flipped, zeroed, overwritten, retyped, re-pointed, mostly
# re-hashed so the decoders behind the hash checks are reached), and over
# the images of the fuzz corpus (tests/fuzz/corpus, the seeds of the
# libFuzzer harness, plus any directory of GEFS_FUZZ_CORPUS, e.g. the
# corpus a fuzz run grew in build-fuzz/tests/fuzz/corpus: patch records,
# turned into images by tests/tools/gefs-fuzzimg).  Each run is under
# timeout; any signal, sanitizer report, hang or exit status other than 0
# or 1 is a failure, and the image is kept.
#
# GEFS_ROBUST_CASES sweep cases (default 40) and GEFS_ROBUST_FUZZ corpus
# entries (default 10, spread over the sorted corpus; "all" for every
# one), bounded for the default run; shell_robust_full.slow.sh runs many
# more sweep cases and every corpus entry.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
ncase=${GEFS_ROBUST_CASES:-40}
seed=${GEFS_ROBUST_SEED:-11}
limit=${GEFS_ROBUST_TIMEOUT:-60}
nfuzz=${GEFS_ROBUST_FUZZ:-10}
src=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell_robust.XXXXXX")
keep=${TMPDIR:-/tmp}
trap 'rm -rf "$tmp"' EXIT
nfail=0
nrun=0

# run NAME IMAGE PROGRAM ARGS...: 0 or 1, no sanitizer report, in time.
run() {
	local name=$1 img=$2
	shift 2
	timeout -s KILL "$limit" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	nrun=$((nrun + 1))
	local why=
	if [ "$rc" -eq 137 ]; then
		why="hang (over $limit s)"
	elif [ "$rc" -gt 1 ]; then
		why="exit status $rc"
	elif grep -qE 'Sanitizer|runtime error:|Assertion|assertion' "$tmp/err"; then
		why="sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:|ssertion' "$tmp/err")"
	fi
	[ -z "$why" ] && return 0
	nfail=$((nfail + 1))
	cp "$img" "$keep/shell_robust-$name.img"
	echo "FAIL: $name: $* : $why (image kept in $keep/shell_robust-$name.img)"
	head -5 "$tmp/err"
}

mkdir -p "$tmp/imgs"
"$bin/gefs-sweep" --cases "$ncase" --seed "$seed" --keep "$tmp/imgs" >/dev/null ||
	{ echo "FAIL: gefs-sweep --keep"; exit 1; }
echo hello >"$tmp/host"
printf 'mkdir /robust\nput %s /robust/f\nwrite /robust/f 3 xyz\nsnap main robust-s\nfork main robust-f\nrm /robust/f\n' \
	"$tmp/host" >"$tmp/script"

# probe NAME IMAGE: every read-only command, text and JSON, and replay -n.
probe() {
	local c=$1 img=$2 file blocks cmds b
	# Paths and blocks to aim at, as far as the image lets them be found.
	file=$("$bin/gefs-shell" -c 'manifest /' "$img" 2>/dev/null | awk -F'\t' '$2 == "f" { print $1; exit }')
	blocks=$("$bin/gefs-shell" -c 'tree' "$img" 2>/dev/null | awk '$1 == "leaf" || $1 == "pivot" { print $2 }' | head -3)
	cmds=(-c 'ls -R /' -c 'ls -l /' -c 'stat /' -c super -c arenas -c log -c free -c tree -c 'tree -S' -c snaps
		-c 'block 0' -c 'block -x 0x4000' -c 'block 0x4000' -c 'owner 0x4000' -c 'lookup Kup(0x0)'
		-c 'lookup Kent(0x0, "")' -c 'manifest /' -c 'ls -R adm:/' -c 'cat adm:/users'
		-c 'addr sb(1) hdr(0) ftr(0) log(0) log(0,1) root(main) root(adm)' -c 'block log(0)'
		-c 'tree -b root(adm)')
	[ -n "$file" ] && cmds+=(-c "cat $file" -c "stat $file" -c "owner data($file)")
	for b in $blocks; do cmds+=(-c "block $b" -c "owner $b"); done
	run "$c-shell" "$img" "$bin/gefs-shell" -k "${cmds[@]}" "$img"
	run "$c-json" "$img" "$bin/gefs-shell" -k --json "${cmds[@]}" "$img"
	run "$c-replay" "$img" "$bin/gefs-replay" -n "$img" "$tmp/script"
}

for img in "$tmp"/imgs/*.img; do
	probe "case$(basename "$img" .img)" "$img"
	rm -f "$img"
done
nsweep=$nrun

# The fuzz corpus: the checked-in seeds and GEFS_FUZZ_CORPUS's directories.
IFS=: read -r -a dirs <<<"$src/tests/fuzz/corpus${GEFS_FUZZ_CORPUS:+:$GEFS_FUZZ_CORPUS}"
for d in "${dirs[@]}"; do [ -d "$d" ] && find "$d" -maxdepth 1 -type f; done | sort >"$tmp/entries"
total=$(wc -l <"$tmp/entries")
[ "$total" -gt 0 ] || { echo "FAIL: no fuzz corpus entries in ${dirs[*]}"; exit 1; }
if [ "$nfuzz" != all ] && [ "$nfuzz" -lt "$total" ]; then
	# every (total/nfuzz)th entry: the same ones each run, across the corpus
	awk -v step=$((total / nfuzz)) '(NR - 1) % step == 0' "$tmp/entries" | head -n "$nfuzz" >"$tmp/pick"
else
	cp "$tmp/entries" "$tmp/pick"
fi
nent=$(wc -l <"$tmp/pick")
# gefs-fuzzimg itself: a 1-byte entry names no image (skipped, exit 0), a
# missing entry fails; an entry of base and flags alone is its base image.
mkdir -p "$tmp/fz0"
printf '\0' >"$tmp/fz0/short"
printf '\0\0' >"$tmp/fz0/plain"
"$bin/gefs-fuzzimg" "$tmp/fz0" "$tmp/fz0/short" "$tmp/fz0/plain" 2>/dev/null && [ ! -e "$tmp/fz0/short.img" ] &&
	"$bin/gefs-fsck" -n "$tmp/fz0/plain.img" >/dev/null 2>&1 ||
	{ echo "FAIL: gefs-fuzzimg: short or plain entry"; nfail=$((nfail + 1)); }
"$bin/gefs-fuzzimg" "$tmp/fz0" "$tmp/fz0/nosuch" 2>/dev/null &&
	{ echo "FAIL: gefs-fuzzimg: a missing entry did not fail"; nfail=$((nfail + 1)); }
rm -rf "$tmp/fz0"
# In batches: each image is a whole builder image (about 4 MiB).
mkdir -p "$tmp/fuzz"
split -l 16 "$tmp/pick" "$tmp/batch."
for batch in "$tmp"/batch.*; do
	xargs -d '\n' "$bin/gefs-fuzzimg" "$tmp/fuzz" <"$batch" 2>"$tmp/fuzzerr" ||
		{ echo "FAIL: gefs-fuzzimg: $(head -1 "$tmp/fuzzerr")"; nfail=$((nfail + 1)); }
	for img in "$tmp"/fuzz/*.img; do
		[ -e "$img" ] || continue
		probe "fuzz-$(basename "$img" .img)" "$img"
		rm -f "$img"
	done
done

echo "shell_robust: $ncase sweep images, $nent of $total fuzz corpus entries, $nrun runs, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$nsweep" -ge "$((3 * ncase))" ] && [ "$((nrun - nsweep))" -ge "$((3 * nent))" ]
