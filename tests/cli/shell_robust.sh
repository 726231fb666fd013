#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shell_robust — gefs-shell's read-only commands (text and JSON) and
# gefs-replay -n over the corrupted images of the mutation sweep
# (tests/tools/gefs-sweep --keep: every metadata block kind of five
# builder images, flipped, zeroed, overwritten, retyped, re-pointed, mostly
# re-hashed so the decoders behind the hash checks are reached).  Each run
# is under timeout; any signal, sanitizer report, hang or exit status
# other than 0 or 1 is a failure, and the image is kept.
#
# GEFS_ROBUST_CASES cases (default 40, bounded for the default run);
# shell_robust_full.slow.sh runs many more.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
ncase=${GEFS_ROBUST_CASES:-40}
seed=${GEFS_ROBUST_SEED:-11}
limit=${GEFS_ROBUST_TIMEOUT:-60}
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

for img in "$tmp"/imgs/*.img; do
	c=$(basename "$img" .img)
	# Paths and blocks to aim at, as far as the image lets them be found.
	file=$("$bin/gefs-shell" -c 'manifest /' "$img" 2>/dev/null | awk -F'\t' '$2 == "f" { print $1; exit }')
	blocks=$("$bin/gefs-shell" -c 'tree' "$img" 2>/dev/null | awk '$1 == "leaf" || $1 == "pivot" { print $2 }' | head -3)
	cmds=(-c 'ls -R /' -c 'ls -l /' -c 'stat /' -c super -c arenas -c log -c free -c tree -c 'tree -S' -c snaps
		-c 'block 0' -c 'block -x 0x4000' -c 'block 0x4000' -c 'owner 0x4000' -c 'lookup Kup(0x0)'
		-c 'lookup Kent(0x0, "")' -c 'manifest /' -c 'ls -R adm:/' -c 'cat adm:/users')
	[ -n "$file" ] && cmds+=(-c "cat $file" -c "stat $file")
	for b in $blocks; do cmds+=(-c "block $b" -c "owner $b"); done
	run "case$c-shell" "$img" "$bin/gefs-shell" -k "${cmds[@]}" "$img"
	run "case$c-json" "$img" "$bin/gefs-shell" -k --json "${cmds[@]}" "$img"
	run "case$c-replay" "$img" "$bin/gefs-replay" -n "$img" "$tmp/script"
	rm -f "$img"
done

echo "shell_robust: $ncase images, $nrun runs, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$nrun" -ge "$((3 * ncase))" ]
