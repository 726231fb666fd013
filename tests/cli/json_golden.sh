#!/bin/bash
# SPDX-License-Identifier: MIT
# The --json layouts of gefs-dump and gefs-fsck, pinned by golden files
# (tests/golden/*.json).  Each value is normalised first: the volatile
# members (tool_version, image and device paths, times, UUIDs) become
# "<filtered>" and the temporary directory in messages becomes TMP; the
# rest (keys, their order, types and values) must equal the golden file.
# Every value must also end with "ok" (true exactly when the exit status
# says success) and hold no "error" member inside an array.
# Inputs: a deterministic gefs-mkimg std image (clean, files in four
# snapshots) and case images of tests/cases/fsck (damaged).
# GEFS_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -u
BIN=${GEFS_BIN:?}
SRC=${GEFS_SRC:?}
GOLD=$SRC/tests/golden
CASES=$SRC/tests/cases/fsck
tmp=$(mktemp -d "${TMPDIR:-/tmp}/json-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
bad() { echo "FAIL $*"; fail=1; }

# Normalise the JSON value on stdin; check the "ok" and "error" rules
# against the exit status $1 ("fsck": 0 and 1 are success, else only 0).
cat > "$tmp/norm.py" <<'PY'
import json, sys
status, tool, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = sys.stdin.read()
try:
    v = json.loads(raw)
except ValueError as e:
    sys.exit("invalid JSON: %s: %.300s" % (e, raw))
VOLATILE = ("tool_version", "image", "device")
def volatile(k):
    return k in VOLATILE or "time" in k or "uuid" in k
def walk(x, inarr):
    if isinstance(x, dict):
        if inarr and "error" in x and "code" not in x and "copy" not in x:
            sys.exit("an error inside an array: %s" % json.dumps(x)[:300])
        return {k: ("<filtered>" if volatile(k) else walk(x[k], False)) for k in x}
    if isinstance(x, list):
        return [walk(e, True) for e in x]
    if isinstance(x, str):
        return x.replace(tmp, "TMP")
    return x
if not isinstance(v, dict) or list(v)[-1] != "ok":
    sys.exit("the value does not end with \"ok\"")
good = status in (0, 1) if tool == "fsck" else status == 0
if v["ok"] is not good:
    sys.exit("\"ok\": %s with exit status %d" % (v["ok"], status))
print(json.dumps(walk(v, False), indent=1))
PY
norm() {
	python3 "$tmp/norm.py" "$1" "$2" "$tmp"
}

# The case filter in force (FILTER: a case's filter file, or empty):
# block addresses the allocator chose, not the case (tests/cases/README).
FILTER=
casefilter() {
	if [ -n "$FILTER" ]; then sed -E -f "$FILTER"; else cat; fi
}

# golden NAME TOOL WANTSTATUS CMD...: run, normalise, compare with NAME.json.
golden() {
	local name=$1 tool=$2 want=$3 rc
	shift 3
	n=$((n + 1))
	"$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
	[ "$rc" = "$want" ] || { bad "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"; return; }
	if ! norm "$rc" "$tool" < "$tmp/out" > "$tmp/norm" 2> "$tmp/why"; then
		bad "$name: $(cat "$tmp/why")"; return
	fi
	casefilter < "$tmp/norm" > "$tmp/got"
	if [ "${GEFS_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/got" "$GOLD/$name.json"
	elif [ ! -e "$GOLD/$name.json" ]; then
		bad "$name: $GOLD/$name.json missing (GEFS_UPDATE_GOLDEN=1 creates it)"
	elif ! diff -u "$GOLD/$name.json" "$tmp/got" > "$tmp/diff"; then
		bad "$name: differs from $name.json"; head -30 "$tmp/diff"
	fi
}

case_img() {	# case name, output image
	gunzip -c "$CASES/$1/image.gz" > "$2"
}

DUMP=$BIN/gefs-dump FSCK=$BIN/gefs-fsck
std=$tmp/std.img
"$BIN/gefs-mkimg" --seed 1 --files 20 std "$std" > /dev/null || { echo "FAIL: gefs-mkimg"; exit 1; }
export TZ=UTC

golden dump-super dump 0 "$DUMP" --json "$std" super
golden dump-arenas dump 0 "$DUMP" --json "$std" arenas
golden dump-free dump 0 "$DUMP" --json "$std" free 1
golden dump-log dump 0 "$DUMP" --json "$std" log 1
golden dump-block-log dump 0 "$DUMP" --json "$std" block 0x114000
golden dump-snaps dump 0 "$DUMP" --json "$std" snaps
golden dump-ls dump 0 "$DUMP" --json "$std" ls -R -l main:/
golden dump-stats dump 0 "$DUMP" --json "$std" stats
# a name that is not UTF-8 ("f016" made "f\xff16", still in key order;
# the node hashes no longer match, hence --ignore-hash): U+FFFD in
# "name", the exact bytes in "name_hex"
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
n = d.count(b"f016")
d = d.replace(b"f016", b"f\xff16")
open(sys.argv[2], "wb").write(d)
sys.exit(n == 0)' "$std" "$tmp/raw.img" || bad "no name f016 in the std image"
golden dump-ls-rawname dump 0 "$DUMP" --json --ignore-hash "$tmp/raw.img" ls main:/
grep -q '"name_hex": "66ff3136"' "$GOLD/dump-ls-rawname.json" || bad "dump-ls-rawname: no name_hex"
# damage met mid-array: the arrays are closed, the error is at the top
case_img unfixable_leaf_hash "$tmp/leaf.img"
golden dump-tree-damaged dump 1 "$DUMP" --json "$tmp/leaf.img" tree adm
golden dump-stats-damaged dump 1 "$DUMP" --json "$tmp/leaf.img" stats
# not an image at all: still one value
head -c 1048576 /dev/zero > "$tmp/zero.img"
golden dump-notfs dump 1 "$DUMP" --json "$tmp/zero.img" super

golden fsck-clean fsck 0 "$FSCK" --json -n "$std"
case_img log_badhash "$tmp/log.img"
golden fsck-damaged-n fsck 4 "$FSCK" --json -n "$tmp/log.img"
golden fsck-damaged-y fsck 1 "$FSCK" --json -y "$tmp/log.img"
case_img leak_reclaim "$tmp/leak.img"
FILTER=$CASES/leak_reclaim/filter
golden fsck-reclaim fsck 1 "$FSCK" --json -y -E reclaim "$tmp/leak.img"
FILTER=
golden fsck-unfixable fsck 4 "$FSCK" --json -y "$tmp/leaf.img"
golden fsck-operr fsck 8 "$FSCK" --json -n "$tmp/nonexistent.img"

# the golden files are exactly the cases above
for f in "$GOLD"/*.json; do
	grep -q "^golden $(basename "$f" .json) " "$0" || bad "$(basename "$f"): no case writes it"
done
echo "json_golden: $n values"
exit $fail
