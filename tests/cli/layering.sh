#!/bin/bash
# SPDX-License-Identifier: MIT
# Layering rules of libfs (docs/ARCHITECTURE.md, issue 9), checked by grep
# over the C sources of libfs/ and cmd/ (comments included: a rule broken
# in a comment is rare and cheap to reword):
#
#  1. Log-entry decoding lives in arena.c and pack.c: no call of
#     gefs_unpacklogent elsewhere (consumers walk bodies with gefs_logbody
#     or chains with gefs_walklog / the arena.c walker).
#  2. Offset arithmetic into blocks lives in pack.c (and layout.c): no
#     format offset constant -- a GEFS_ name ending in HDSZ or OFF, the
#     sizes of the block headers and the offsets inside a block -- used as
#     an operand of + or - (which is how code reaches into a block:
#     blk + GEFS_LOGHDSZ + off).  Comparisons and declarations are fine.
#  3. One handle constructor: no Gefs allocated (sizeof *fs, sizeof(Gefs))
#     or defined as an object outside handle.c (unit tests included: they
#     make handles with fsalloc or treeimg.h).
#  4. One allocation-log chain walk, arena.c's (walklog): the loader, the
#     checker and gefs-dump consume its items.  No other file that handles
#     log blocks (names GEFS_TLOG) steps from a block to the next through
#     its chain pointer (x = h.chain.addr, or a loop's step doing it), which
#     is what a walk of its own, with its own address and cycle checks,
#     needs.  Deadlist chains (Tdlist only) are not log chains.
#
# KNOWN lists exceptions still to be moved, as file:rule; each must still
# occur (so that the list shrinks as they are fixed).
set -u
SRC=${GEFS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC" || exit 2
# sbfind.c (superblock rescue: replays logs from raw header candidates,
# without a handle's arenas) and image.c (gefs-image: counts the blocks of
# log and deadlist chains alike) still walk log chains themselves.
KNOWN="libfs/sbfind.c:4 libfs/image.c:4"
fail=0
files=$(ls libfs/*.c cmd/*/*.c)

known() { case " $KNOWN " in *" $1:$2 "*) return 0;; esac; return 1; }

# report RULE FILE... : the grep output given on stdin is a violation of
# RULE unless known
report() {
	local rule=$1 hits f
	hits=$(cat)
	[ -n "$hits" ] || return 0
	for f in $(printf '%s\n' "$hits" | cut -d: -f1 | sort -u); do
		if known "$f" "$rule"; then
			seen="$seen $f:$rule"
			continue
		fi
		echo "FAIL rule $rule in $f:"
		printf '%s\n' "$hits" | grep "^$f:" | sed 's/^/    /'
		fail=1
	done
}

seen=""
# a format offset constant as an operand of + or - (either side)
R2='(GEFS_[A-Z0-9]*(HDSZ|OFF)\b[[:space:]]*[-+][^-+=])|([^-+][-+][[:space:]]*GEFS_[A-Z0-9]*(HDSZ|OFF)\b)'
# the size of a handle, as an allocation needs it
R3='sizeof[[:space:]]*(\(Gefs\)|\*fs[[:space:]]*[),;]|\(\*fs\))'
# a step along a chain pointer
R4='=[[:space:]]*[A-Za-z_][A-Za-z0-9_]*(\.|->)chain\.addr[[:space:]]*[;)]'
# rule 4 over the files given: the chain steps of files handling Tlog blocks
rule4() {
	local f
	for f in "$@"; do
		grep -q 'GEFS_TLOG' "$f" && grep -nE "$R4" "$f" | sed "s|^|$f:|"
	done
	return 0
}
# rule 1
report 1 < <(grep -n 'gefs_unpacklogent[[:space:]]*(' $files | grep -v -e '^libfs/arena\.c:' -e '^libfs/pack\.c:')
# rule 2
report 2 < <(grep -nE "$R2" $files | grep -v -e '^libfs/pack\.c:' -e '^libfs/layout\.c:')
# rule 3
report 3 < <(grep -nE "$R3" $files tests/unit/treeimg.h | grep -v '^libfs/handle\.c:'
	grep -nE '^[[:space:]]*(static[[:space:]]+)?Gefs[[:space:]]+[a-z_][a-z0-9_]*[[:space:]]*(;|=|\[)' $files tests/unit/*.[ch])
# rule 4
report 4 < <(rule4 $(printf '%s\n' $files | grep -v '^libfs/arena\.c$'))

for k in $KNOWN; do
	case " $seen " in *" $k "*) ;; *) echo "FAIL: known exception $k no longer occurs: drop it from KNOWN"; fail=1;; esac
done
# the rules must be able to fail: each pattern finds its example
printf 'x = gefs_unpacklogent(&le, p, e, a, 0, NULL);\n' | grep -q 'gefs_unpacklogent[[:space:]]*(' || { echo "FAIL: rule 1 pattern"; fail=1; }
printf 'p = blk + GEFS_LOGHDSZ + off;\n' | grep -qE "$R2" || { echo "FAIL: rule 2 pattern"; fail=1; }
printf 'fs = calloc(1, sizeof *fs);\n' | grep -qE "$R3" || { echo "FAIL: rule 3 pattern"; fail=1; }
printf 'static Gefs fs;\n' | grep -qE '^[[:space:]]*(static[[:space:]]+)?Gefs[[:space:]]+[a-z_][a-z0-9_]*[[:space:]]*(;|=|\[)' || { echo "FAIL: rule 3 pattern"; fail=1; }
# rule 4 finds both forms of the old checker's walk (check.c before it
# consumed walklog) in a file handling log blocks, and nothing in a file
# that only follows deadlist chains
t=$(mktemp -d) || exit 2
trap 'rm -rf "$t"' EXIT
printf 'h = readhdr(addr, GEFS_TLOG);\n\t\taddr = h.chain.addr;\n' > "$t/log1.c"
printf '/* GEFS_TLOG */\n\tfor (addr = ar->hdr.loghdaddr; addr != GEFS_NONE && !ckcancelled(ck); addr = h.chain.addr)\n' > "$t/log2.c"
printf 'for (a = hd; a != GEFS_NONE; a = h.chain.addr) /* GEFS_TDLIST */\n' > "$t/dl.c"
[ "$(rule4 "$t/log1.c" "$t/log2.c" "$t/dl.c" | cut -d: -f1 | sort -u | tr '\n' ' ')" = "$t/log1.c $t/log2.c " ] || { echo "FAIL: rule 4 pattern"; fail=1; }
[ $fail = 0 ] && echo "layering: ok ($(echo $files | wc -w) files)"
exit $fail
