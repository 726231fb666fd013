#!/bin/bash
# SPDX-License-Identifier: MIT
# dump_fields — every inspection command shows the same fields as text and
# as --json (issue 12: one row table per structure drives both forms).
# For each command and image, the field names of the JSON value (every
# member holding a scalar, null or an array of scalars, at any depth; the
# document's header, "ok", "error" and the KEY_hex companions of names
# aside) must equal the field names of the text, which
# GEFS_TEXT_FIELDS=1 makes each text table announce on a "#fields" line,
# read back from the table's own cells: a column or member added to one
# form only makes the sets differ.  Commands: super, arenas, log, free,
# snaps, stats, and block of a superblock, arena header, log block,
# deadlist block; through gefs-dump and gefs-shell, which adds owner.
# Not covered: tree, lookup and block of a tree node, whose keys and
# values are printed in gefs-dump's key grammar, not on row tables.  Images: a
# gefs-mkimg image, a fresh gefs-mkfs image, a case image whose log
# block is damaged, and the reference images when ../shared is there.
set -u
BIN=${GEFS_BIN:?}
SRC=${GEFS_SRC:?}
DUMP=$BIN/gefs-dump SH=$BIN/gefs-shell
refs=${GEFS_SHARED:-$SRC/../shared}/reference-images
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump_fields.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
bad() { echo "FAIL $*"; fail=1; }

cat > "$tmp/cmp.py" <<'PY'
import json, sys
# cmp.py LIST: each line "NAME<TAB>JSONFILE<TAB>TEXTFILE"; prints one
# FAIL line per pair whose field sets differ, exits 1 if any did
HEADER = {"format", "version", "tool", "tool_version", "command", "image", "ok", "error"}
def scalar(v):
    return not isinstance(v, (dict, list)) or (isinstance(v, list)
        and not any(isinstance(e, (dict, list)) for e in v))
def names(x, out, empty, top):
    if isinstance(x, dict):
        for k, v in x.items():
            if top and k in HEADER:
                continue
            if k.endswith("_hex") and k[:-4] in x:
                continue
            if v == []:		# fields or records? it cannot say
                empty.add(k)
            elif scalar(v):
                out.add(k)
            else:
                names(v, out, empty, False)
    elif isinstance(x, list):
        for e in x:
            names(e, out, empty, False)
def compare(jf, tf):
    try:
        doc = json.load(open(jf))
    except ValueError as e:
        return "invalid JSON: %s" % e
    j, t, empty = set(), set(), set()
    names(doc, j, empty, True)
    for line in open(tf, errors="replace"):
        if line.startswith("#fields"):
            t.update(line.split()[1:])
    t -= empty - j
    if not j or not t:
        return "no fields in %s" % ("JSON" if not j else "the text")
    if j != t:
        return "JSON only: %s; text only: %s" % (" ".join(sorted(j - t)) or "-",
            " ".join(sorted(t - j)) or "-")
    return None
bad = 0
for line in open(sys.argv[1]):
    name, jf, tf = line.rstrip("\n").split("\t")
    why = compare(jf, tf)
    if why:
        print("FAIL %s: %s" % (name, why))
        bad = 1
sys.exit(bad)
PY

# The comparison itself must catch a field in one form only, and a
# command that shows no field at all.
selfcheck() {	# want JSON TEXT what
	printf '%s\n' "$2" > "$tmp/sj"
	printf '%s\n' "$3" > "$tmp/st"
	printf 'self\t%s\t%s\n' "$tmp/sj" "$tmp/st" > "$tmp/slist"
	python3 "$tmp/cmp.py" "$tmp/slist" > /dev/null
	[ $? = "$1" ] || bad "self-check: $4"
}
sj='{"format": "gefs-progs", "a": 1, "b": {"c": [1, 2]}, "d": [], "ok": true}'
selfcheck 0 "$sj" '#fields a c' "equal sets refused"
selfcheck 0 "$sj" '#fields a c d' "a field of an empty array refused"
selfcheck 1 "$sj" '#fields a' "a JSON-only field passed"
selfcheck 1 "$sj" '#fields a c e' "a text-only field passed"
selfcheck 1 "$sj" 'a 1' "text without fields passed"

# same PROG IMG CMD...: run CMD as JSON and as text; both runs must
# exit $want (0 unless set: a partial output is not compared); the pair
# goes on the list compared at the end (one python3 for all).
same() {
	local prog=$1 img=$2 what rc1 rc2 o
	shift 2
	what="$(basename "$img"): $prog $*"
	n=$((n + 1))
	o=$tmp/out/$n
	if [ "$prog" = dump ]; then
		"$DUMP" --json "$img" "$@" > "$o.json" 2> "$tmp/err"; rc1=$?
		GEFS_TEXT_FIELDS=1 "$DUMP" "$img" "$@" > "$o.text" 2>> "$tmp/err"; rc2=$?
	else
		"$SH" --json -c "$*" "$img" > "$o.json" 2> "$tmp/err"; rc1=$?
		GEFS_TEXT_FIELDS=1 "$SH" -c "$*" "$img" > "$o.text" 2>> "$tmp/err"; rc2=$?
	fi
	[ $rc1 = "${want:-0}" ] && [ $rc2 = "${want:-0}" ] || { bad "$what: exit $rc1/$rc2: $(head -c 300 "$tmp/err")"; return; }
	printf '%s\t%s\t%s\n' "$what" "$o.json" "$o.text" >> "$tmp/list"
}
mkdir "$tmp/out"

# The block addresses worth decoding: an arena header, a log head, a
# deadlist head and the last snapshot's root (last), from the JSON of
# arenas and snaps.
blocks() {
	{ "$DUMP" --json "$1" arenas; "$DUMP" --json "$1" snaps; } 2> /dev/null | python3 -c '
import json, sys
dec = json.JSONDecoder()
s, i, out = sys.stdin.read(), 0, []
while i < len(s.rstrip()):
    v, i = dec.raw_decode(s, i)
    while i < len(s) and s[i].isspace():
        i += 1
    for a in v.get("arenas", [])[:1]:
        out += [a["addr"], a["log_head"]]
    out += [d["hd"] for d in v.get("deadlists", [])[:1]]
    out += ["root:" + s["root.addr"] for s in v.get("snapshots", [])[-1:]]
print(" ".join(a for a in out if a != "NONE"))'
}

# all PROG IMG [CMD...]: every command on IMG (gefs-shell has no stats),
# and the extra commands given.
all() {
	local prog=$1 img=$2 c a
	shift 2
	for c in super arenas log free snaps stats "block 0x0" "$@"; do
		[ "$prog.$c" = shell.stats ] && continue
		same "$prog" "$img" $c
	done
	for a in $(blocks "$img"); do
		case $a in
		# owner (gefs-shell only) of the root: its Ksnap value; tree
		# nodes are not on row tables (keys and values, below)
		root:*)	[ "$prog" = shell ] && same shell "$img" owner "${a#root:}" ;;
		*)	same "$prog" "$img" block "$a" ;;
		esac
	done
}

std=$tmp/std.img
"$BIN/gefs-mkimg" --seed 1 --files 20 std "$std" > /dev/null || { echo "FAIL: gefs-mkimg"; exit 1; }
all dump "$std" "log 0" "free 1"
all shell "$std" "log 0" "free 1"
SOURCE_DATE_EPOCH=1700000000 "$BIN/gefs-mkfs" -q "$tmp/fresh.img" 256M || bad "gefs-mkfs"
all dump "$tmp/fresh.img"
# damage: superblock 0's qgen changed, so its hash fails (the copies
# differ; copy 0 is invalid, with an error; super says so: exit 1)
cp --sparse=always "$std" "$tmp/sb.img"
python3 -c '
import sys
f = open(sys.argv[1], "r+b"); f.seek(100); b = f.read(1); f.seek(100); f.write(bytes([b[0] ^ 1]))' "$tmp/sb.img"
want=1 same dump "$tmp/sb.img" super
if ls "$refs"/*.img.gz > /dev/null 2>&1; then
	for z in "$refs"/*.img.gz; do
		gzip -dc "$z" | cp --sparse=always /dev/stdin "$tmp/ref.img"
		all dump "$tmp/ref.img"
		rm -f "$tmp/ref.img"
	done
else
	echo "SKIP: no reference images in $refs"
fi
python3 "$tmp/cmp.py" "$tmp/list" || fail=1
echo "dump_fields: $n commands compared"
exit $fail
