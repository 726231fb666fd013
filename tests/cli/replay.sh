#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# replay — gefs-replay applies scripts as one commit: a tree put in and
# read back equals the source; an error at any line of a script leaves the
# image byte-identical; -n changes nothing; with SOURCE_DATE_EPOCH the same
# image and scripts give the same bytes; the result is clean for gefs-fsck.
# Also the shell's per-command commits and begin/commit/abort.
set -u
bin=${GEFS_BIN:-${GEFS_BUILD:-build}}
rp=$bin/gefs-replay
sh=$bin/gefs-shell
fsck=$bin/gefs-fsck
tmp=$(mktemp -d "${TMPDIR:-/tmp}/replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000
nfail=0
ntest=0
check() {
	ntest=$((ntest + 1))
	[ "$2" -eq 0 ] || { nfail=$((nfail + 1)); echo "FAIL: $1"; }
}
clean() {	# clean IMG: gefs-fsck -n finds nothing to report as an error
	"$fsck" -n "$1" >"$tmp/fsck.out" 2>&1
	check "fsck -n $1 clean: $(tail -1 "$tmp/fsck.out")" $?
}

"$bin/gefs-mkfs" -q "$tmp/base.img" 256M || { echo "FAIL: mkfs"; exit 1; }

# A host tree: empty, small, block-sized and block-crossing files, a sparse
# file, a deep directory, odd names.
src=$tmp/src
mkdir -p "$src/deep/a/b/c/d" "$src/wide" "$src/sp ace"
: >"$src/empty"
printf x >"$src/one"
head -c 16384 /dev/urandom >"$src/blk"
head -c 16385 /dev/urandom >"$src/blk1"
head -c 3000000 /dev/urandom >"$src/deep/a/b/c/d/big"
truncate -s 5M "$src/sparse"
printf data | dd of="$src/sparse" bs=1 seek=3000000 conv=notrunc 2>/dev/null
for i in $(seq 1 60); do echo "$i" >"$src/wide/f$i"; done
echo 'é' >"$src/sp ace/ünïcödé"
chmod 0640 "$src/one"
touch -d @1600000000 "$src/one"

cat >"$tmp/s1" <<S
# build a tree
mkdir -p /x/y
put -r -p $src /x/y/src
useradd ci
chown ci:ci /x/y/src/one
S
cp "$tmp/base.img" "$tmp/a.img"
"$rp" "$tmp/a.img" "$tmp/s1" >"$tmp/out" 2>&1
check "replay s1 ($(head -3 "$tmp/out"))" $?
clean "$tmp/a.img"
"$sh" -c "get -r -p main:/x/y/src $tmp/back" "$tmp/a.img"
check "get back" $?
diff -r "$src" "$tmp/back" >"$tmp/diff" 2>&1
check "round trip equals the source ($(head -3 "$tmp/diff"))" $?
[ "$(stat -c '%a %Y' "$tmp/back/one")" = "640 1600000000" ]
check "mode and mtime kept ($(stat -c '%a %Y' "$tmp/back/one"))" $?
[ "$(du -k "$tmp/back/sparse" | cut -f1)" -lt 1000 ]
check "sparse file stays sparse in and out" $?
"$sh" -c 'stat /x/y/src/one' "$tmp/a.img" | grep -q 'uid ci gid ci'
check "chown to a new user" $?

# Determinism: same image, same script, same bytes.
cp "$tmp/base.img" "$tmp/b.img"
"$rp" "$tmp/b.img" "$tmp/s1" >/dev/null 2>&1
cmp -s "$tmp/a.img" "$tmp/b.img"
check "same inputs give the same image" $?

# An error at any line: the image is byte-identical to before.
cat >"$tmp/s2" <<S
mkdir /e
put $src/blk /e/blk
write /e/blk 100 hello
mv /e/blk /e/blk2
chmod 0600 /e/blk2
truncate -s 5 /e/blk2
rm /x/y/src/one
rm -r /x/y/src/deep
S
n=$(wc -l <"$tmp/s2")
for i in $(seq 1 "$n"); do
	cp "$tmp/a.img" "$tmp/c.img"
	sum=$(md5sum <"$tmp/c.img")
	{ head -n $((i - 1)) "$tmp/s2"; echo "rm /no/such/file"; tail -n +"$i" "$tmp/s2"; } >"$tmp/s3"
	"$rp" "$tmp/c.img" "$tmp/s3" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "^$tmp/s3:$i: " "$tmp/out" && [ "$(md5sum <"$tmp/c.img")" = "$sum" ]
	check "error at line $i: exit $rc, FILE:LINE, image unchanged ($(head -1 "$tmp/out"))" $?
done
cp "$tmp/a.img" "$tmp/c.img"
sum=$(md5sum <"$tmp/c.img")
"$rp" -n "$tmp/c.img" "$tmp/s2" >/dev/null 2>&1
check "-n of a good script succeeds" $?
[ "$(md5sum <"$tmp/c.img")" = "$sum" ]
check "-n changes nothing" $?
"$rp" -v "$tmp/c.img" "$tmp/s2" 2>"$tmp/err" >/dev/null
check "s2 applies" $?
grep -q "$n commands committed" "$tmp/err"
check "-v counts the commands ($(tail -1 "$tmp/err"))" $?
clean "$tmp/c.img"
"$sh" -c 'cat /e/blk2' "$tmp/c.img" | cmp -s - <(head -c 5 "$src/blk")
check "write, mv, truncate took effect" $?

# Usage and refusals.
"$rp" "$tmp/c.img" >/dev/null 2>&1; [ $? -eq 2 ]; check "no script: exit 2" $?
echo "poke 0x4000 0 00" >"$tmp/s4"
"$rp" "$tmp/c.img" "$tmp/s4" >/dev/null 2>&1; [ $? -eq 1 ]; check "raw pokes refused in replay" $?
echo "begin" >"$tmp/s5"
"$rp" "$tmp/c.img" "$tmp/s5" >/dev/null 2>&1; [ $? -eq 1 ]; check "begin refused in replay" $?

# The shell: one commit per command, and begin ... abort drops a block.
cp "$tmp/base.img" "$tmp/d.img"
"$sh" -w -c 'mkdir /k' -c 'begin' -c 'mkdir /k/l' -c 'abort' -c 'begin' -c 'mkdir /k/m' -c 'commit' "$tmp/d.img"
check "shell begin/commit/abort" $?
"$sh" -c 'ls /k' "$tmp/d.img" >"$tmp/out"
[ "$(cat "$tmp/out")" = "m/" ]
check "abort dropped /k/l, commit kept /k/m ($(tr '\n' ' ' <"$tmp/out"))" $?
clean "$tmp/d.img"
"$sh" -w -c 'mkdir /k/n' -c 'rm /no' -c 'mkdir /k/o' "$tmp/d.img" 2>/dev/null
"$sh" -c 'ls /k' "$tmp/d.img" >"$tmp/out"
[ "$(tr '\n' ' ' <"$tmp/out")" = "m/ n/ " ]
check "shell commits each command; a script stops at the failing one ($(tr '\n' ' ' <"$tmp/out"))" $?

# Snapshots: snap keeps the old state, a fork diverges, rmsnap deletes.
cp "$tmp/base.img" "$tmp/e.img"
printf 'mkdir /v1\n' >"$tmp/s5a"
printf 'snap main s1\nfork main f1\nmkdir f1:/only-f1\nmkdir /v2\n' >"$tmp/s6"
# The same two scripts in one replay: the snapshot of a label changed
# earlier in the commit is taken in memory, still one commit.
cp "$tmp/e.img" "$tmp/e1.img"
"$rp" "$tmp/e1.img" "$tmp/s5a" "$tmp/s6" >"$tmp/out" 2>&1
check "snap of a label changed in the same replay ($(head -2 "$tmp/out"))" $?
[ "$("$sh" -c 'ls s1:/' -c 'ls f1:/' -c 'ls main:/' "$tmp/e1.img" | tr '\n' ' ')" = "v1/ only-f1/ v1/ v1/ v2/ " ]
check "s1, f1 and main after one replay" $?
clean "$tmp/e1.img"
"$rp" "$tmp/e.img" "$tmp/s5a" >"$tmp/out" 2>&1 && "$rp" "$tmp/e.img" "$tmp/s6" >>"$tmp/out" 2>&1
check "snapshot script ($(head -2 "$tmp/out"))" $?
[ "$("$sh" -c 'ls s1:/' "$tmp/e.img" | tr '\n' ' ')" = "v1/ " ]
check "snap s1 holds the state at snap time" $?
[ "$("$sh" -c 'ls f1:/' "$tmp/e.img" | tr '\n' ' ')" = "only-f1/ v1/ " ]
check "fork f1 diverged" $?
[ "$("$sh" -c 'ls main:/' "$tmp/e.img" | tr '\n' ' ')" = "v1/ v2/ " ]
check "main went on" $?
clean "$tmp/e.img"
"$sh" -w -c 'rmsnap s1 f1' -c snaps "$tmp/e.img" >"$tmp/out" 2>&1
check "rmsnap" $?
! grep -qE '^(s1|f1) ' "$tmp/out"
check "labels gone ($(tr '\n' ' ' <"$tmp/out"))" $?
clean "$tmp/e.img"
"$sh" -w -c 'rmsnap adm' "$tmp/e.img" >/dev/null 2>&1; [ $? -eq 1 ]; check "adm cannot be deleted" $?

# Write, snap, write more, fork, write into the fork and main: one commit
# (qgen moves as for a script without snapshots), clean, every label's
# files as they were at its snapshot.
qgen() { "$sh" -c super "$1" 2>/dev/null | awk '$1 == "qgen" { print $2; exit }'; }
cp "$tmp/base.img" "$tmp/g.img"
cp "$tmp/base.img" "$tmp/h.img"
cat >"$tmp/s9" <<EOF
mkdir /w
put $src/one /w/a
snap main s1
put $src/blk1 /w/b
write /w/a 0 y
fork main f1
put $src/blk f1:/w/c
rm f1:/w/a
write f1:/w/b 16384 z
mkdir /v2
EOF
printf 'mkdir /w\nput %s/one /w/a\n' "$src" >"$tmp/s10"
q0=$(qgen "$tmp/g.img")
"$rp" "$tmp/g.img" "$tmp/s9" >"$tmp/out" 2>&1
check "write, snap, write, fork, write in one replay ($(head -2 "$tmp/out"))" $?
"$rp" "$tmp/h.img" "$tmp/s10" >/dev/null 2>&1
[ -n "$q0" ] && [ $(($(qgen "$tmp/g.img") - q0)) -eq $(($(qgen "$tmp/h.img") - q0)) ]
check "one commit: qgen $q0 -> $(qgen "$tmp/g.img"), without snapshots -> $(qgen "$tmp/h.img")" $?
clean "$tmp/g.img"
"$sh" -c 'ls -R s1:/' -c 'cat s1:/w/a' "$tmp/g.img" >"$tmp/out" 2>&1
[ "$(tr '\n' ' ' <"$tmp/out")" = "w/ w/a: a x" ]
check "s1: $(tr '\n' ' ' <"$tmp/out")" $?
"$sh" -c 'ls -R f1:/' "$tmp/g.img" >"$tmp/out" 2>&1
[ "$(tr '\n' ' ' <"$tmp/out")" = "w/ w/b c " ]
check "f1: $(tr '\n' ' ' <"$tmp/out")" $?
"$sh" -c 'ls -R main:/' -c 'cat main:/w/a' "$tmp/g.img" >"$tmp/out" 2>&1
[ "$(tr '\n' ' ' <"$tmp/out")" = "v2/ w/ w/a b y" ]
check "main: $(tr '\n' ' ' <"$tmp/out")" $?
cmp -s <("$sh" -c 'cat main:/w/b' "$tmp/g.img") "$src/blk1"; check "main:/w/b is the host file" $?
"$sh" -c 'stat f1:/w/b' "$tmp/g.img" | grep -q 'length 16385'; check "f1:/w/b keeps its length" $?
cmp -s <("$sh" -c 'cat f1:/w/b' "$tmp/g.img" | head -c 16384) <(head -c 16384 "$src/blk1"); check "f1:/w/b shares main's first block" $?
[ "$("$sh" -c 'cat f1:/w/b' "$tmp/g.img" | tail -c 1)" = z ]; check "f1:/w/b has its own last byte" $?

# retain: a Kconf entry the reference can parse, else refused.
printf 'retain main 60@1m 24@1h\nretain - 7@1d\n' >"$tmp/s7"
"$rp" "$tmp/e.img" "$tmp/s7" >"$tmp/out" 2>&1
check "retain ($(head -2 "$tmp/out"))" $?
"$bin/gefs-dump" "$tmp/e.img" tree main | grep -q 'Kconf("retain")  "60@1m 24@1h"' && "$bin/gefs-dump" "$tmp/e.img" snaps | grep -q '7@1d'
check "retain value stored" $?
clean "$tmp/e.img"
printf 'retain main 60@\n' >"$tmp/s8"
"$rp" "$tmp/e.img" "$tmp/s8" >/dev/null 2>&1; [ $? -eq 1 ]; check "unparseable retain refused" $?

# put reads the host in a thread of its own: a tree of more data than it
# reads ahead (16 MiB) round-trips, twice the same image bytes; an engine
# error stops the reader; a host entry it refuses stops the replay at its
# line, naming the entry, the image unchanged (a FIFO is never opened).
pt=$tmp/pt
mkdir -p "$pt/b/d" "$pt/a"
for f in a/z a/y b/x b/d/w v; do head -c $((${#f} * 7000)) /dev/urandom >"$pt/$f"; done
printf 'put -r %s /t\n' "$pt" >"$tmp/p1"
mkdir "$pt/big" "$pt/empty"
for i in $(seq 10 33); do head -c $((1048576 + i)) /dev/urandom >"$pt/big/f$i"; done
truncate -s 9M "$pt/big/hole"; printf x | dd of="$pt/big/hole" bs=1 seek=4500000 conv=notrunc 2>/dev/null
cp "$tmp/base.img" "$tmp/p3.img"
timeout 120 "$rp" "$tmp/p3.img" "$tmp/p1" >"$tmp/out" 2>&1
check "put -r of $(du -sm "$pt" | cut -f1) MiB ($(head -1 "$tmp/out"))" $?
rm -rf "$tmp/back"; "$sh" -c "get -r main:/t $tmp/back" "$tmp/p3.img" && diff -r "$pt" "$tmp/back" >/dev/null
check "it round-trips" $?
cp "$tmp/base.img" "$tmp/p1.img"
"$rp" "$tmp/p1.img" "$tmp/p1" && cmp -s "$tmp/p1.img" "$tmp/p3.img"
check "the same tree twice: the same image" $?
clean "$tmp/p3.img"
printf 'mkdir /q\nput -r %s /no/such/dir\n' "$pt" >"$tmp/p4"
cp "$tmp/base.img" "$tmp/p4.img"; sum=$(md5sum <"$tmp/p4.img")
timeout 120 "$rp" "$tmp/p4.img" "$tmp/p4" >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "^$tmp/p4:2: " "$tmp/out" && [ "$(md5sum <"$tmp/p4.img")" = "$sum" ]
check "an engine error stops the reader: exit $rc, image unchanged ($(head -1 "$tmp/out"))" $?
# refused MAKE OPTS NAME WANT: after MAKE, "put OPTS" fails at its line
# with a message naming NAME and saying WANT; the image is unchanged
refused() {
	eval "$1"
	printf 'mkdir /q\nput %s /t\n' "$2" >"$tmp/p5"
	timeout 60 "$rp" "$tmp/p4.img" "$tmp/p5" >"$tmp/out" 2>&1; rc=$?
	[ $rc -eq 1 ] && grep -q "^$tmp/p5:2: put: .*$3.*$4" "$tmp/out" && [ "$(md5sum <"$tmp/p4.img")" = "$sum" ]
	check "put $2 with $1: exit $rc, refused at its line, image unchanged ($(head -1 "$tmp/out"))" $?
}
refused 'mkfifo "$pt/b/d/fifo"' "-r $pt" b/d/fifo 'not a regular file'
refused 'rm "$pt/b/d/fifo"; ln -s v "$pt/b/link"' "-r $pt" b/link 'not a regular file'
refused 'rm "$pt/b/link"' "$pt" "$pt" 'is a directory (use -r)'
refused : "-r $pt/nope" nope 'No such file'

echo "replay: $((ntest - nfail)) passed, $nfail failed"
[ "$nfail" -eq 0 ]
