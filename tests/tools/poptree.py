#!/usr/bin/env python3
"""poptree.py — deterministic source trees for gefs-mkfs -d tests, and the
manifest a tree should give back.

  poptree.py make DIR [--wide N] [--big MIB]   build the round-trip tree
  poptree.py manifest DIR                      print path, type, mode, length,
                                               mtime (s), sha256 per entry, in
                                               gefs-dump manifest order
  poptree.py bench small|many|big DIR          the trees of tests/bench/populate.sh
  poptree.py proto DIR                         an mkfs.xfs -p protofile of DIR
  poptree.py mtimes DIR JSON [EPOCH]           compare every mtime in ns with
                                               gefs-dump --json ls -R output
                                               (clamped to EPOCH seconds)

Contents come from a fixed PRNG, so two runs build identical trees.  Times
are fixed (a spread of mtimes, some with nanoseconds) and restored after
the tree is complete, directories last.
"""
import hashlib, os, random, stat, sys

B = 16384
DMDIR = 0o20000000000


def data(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n)) if n < 65536 else rng.randbytes(n)


def write(path, content, mode=0o644):
    with open(path, "wb") as f:
        f.write(content)
    os.chmod(path, mode)


def sparse(path, size, pieces, rng):
    """size bytes, data only at the (offset, length) pieces."""
    with open(path, "wb") as f:
        f.truncate(size)
        for off, n in pieces:
            f.seek(off)
            f.write(data(rng, n))


def make(root, wide=300, big=3):
    rng = random.Random(13)
    os.makedirs(root)
    sizes = [0, 1, B - 1, B, B + 1, 2 * B, 100000]
    for n in sizes:
        write(os.path.join(root, "size-%d" % n), data(rng, n))
    write(os.path.join(root, "empty"), b"")
    write(os.path.join(root, "big"), data(rng, big << 20))
    write(os.path.join(root, "ro"), b"read only\n", 0o444)
    write(os.path.join(root, "exec"), b"#!/bin/sh\n", 0o755)
    write(os.path.join(root, "private"), b"secret\n", 0o600)
    os.makedirs(os.path.join(root, "sparse"))
    sp = os.path.join(root, "sparse")
    sparse(os.path.join(sp, "hole-start"), 4 * B + 10, [(3 * B, B + 10)], rng)
    sparse(os.path.join(sp, "hole-end"), 64 * B, [(0, 100)], rng)
    sparse(os.path.join(sp, "hole-middle"), (8 << 20) + 3, [(0, B), ((8 << 20) - 5, 8)], rng)
    sparse(os.path.join(sp, "all-hole"), 5 * B, [], rng)
    # deep
    d = os.path.join(root, "deep")
    for i in range(40):
        d = os.path.join(d, "d%02d" % i)
    os.makedirs(d)
    write(os.path.join(d, "bottom"), b"bottom\n")
    # wide
    w = os.path.join(root, "wide")
    os.makedirs(w)
    for i in range(wide):
        write(os.path.join(w, "f%05d" % (i * 7919 % 100000)), data(rng, i % 50))
    for i in range(20):
        os.makedirs(os.path.join(w, "sub%02d" % i))
    # names
    n = os.path.join(root, "names")
    os.makedirs(n)
    for name in ["x" * 244, "é" * 122, "日本語のファイル", "with space", "a:b", "back\\slash",
                 "#hash", "-dash", "~tilde", "\x7f", "quote\"'", "%", "a" * 100 + "é",
                 "Ω" , "...", ".hidden", "..x"]:
        write(os.path.join(n, name), name.encode())
    os.makedirs(os.path.join(root, "emptydir"))
    os.chmod(os.path.join(root, "emptydir"), 0o700)
    times(root)


def times(root):
    """Fixed mtimes, set bottom-up so directory times stay."""
    k = 0
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in sorted(filenames) + sorted(dirnames) + [None]:
            p = os.path.join(dirpath, name) if name else dirpath
            k += 1
            ns = (1600000000 + k * 3601) * 10**9 + (k * 123456789 if k % 3 == 0 else 0)
            os.utime(p, ns=(ns, ns), follow_symlinks=False)


def fill(path, n, rng):
    with open(path, "wb") as f:
        while n > 0:
            m = min(n, 1 << 20)
            f.write(rng.randbytes(m))
            n -= m


def spread(rng, nfile, total, smallmax):
    """nfile sizes summing to total: most small, some large."""
    sizes = [rng.randint(0, smallmax) if rng.random() < 0.9 else rng.randint(smallmax, 64 * smallmax)
             for _ in range(nfile)]
    scale = total / max(1, sum(sizes))
    sizes = [int(x * scale) for x in sizes]
    sizes[-1] += total - sum(sizes)
    return sizes


def bench(kind, root):
    """small: 2,000 names, 100 MiB; many: 50,000 names in 5,000
    directories, 400 MiB; big: 20 files of 2 GiB apparent in all, one
    quarter data (2 MiB of every 8 MiB)."""
    rng = random.Random(2026)
    os.makedirs(root)
    if kind == "big":
        per = (2 << 30) // 20
        for i in range(20):
            with open(os.path.join(root, "big%02d" % i), "wb") as f:
                f.truncate(per)
                for off in range(0, per, 8 << 20):
                    f.seek(off)
                    f.write(rng.randbytes(min(2 << 20, per - off)))
        times(root)
        return
    ndir, nfile, total = (20, 1980, 100 << 20) if kind == "small" else (5000, 45000, 400 << 20)
    dirs = []
    top = max(1, int(ndir ** 0.5))
    for i in range(ndir):
        d = os.path.join(root, "d%03d" % (i % top), "s%04d" % i) if kind == "many" and i >= top else \
            os.path.join(root, "d%03d" % i)
        os.makedirs(d, exist_ok=True)
        dirs.append(d)
    for i, n in enumerate(spread(rng, nfile, total, 16384 if kind == "many" else 65536)):
        fill(os.path.join(dirs[i % len(dirs)], "f%05d" % i), n, rng)
    times(root)


def proto(root):
    """mkfs.xfs protofile: boot image, block/inode counts, then the tree."""
    out = ["/dev/null", "0 0"]

    def mode(st):
        return "%03o" % (st.st_mode & 0o777)

    def walk(path, depth):
        for name in sorted(os.listdir(path)):
            p = os.path.join(path, name)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                out.append("%s%s d--%s 0 0" % (" " * depth, name, mode(st)))
                walk(p, depth + 1)
                out.append(" " * depth + "$")
            elif stat.S_ISREG(st.st_mode):
                out.append("%s%s ---%s 0 0 %s" % (" " * depth, name, mode(st), os.path.abspath(p)))

    out.append("d--%s 0 0" % mode(os.stat(root)))
    walk(root, 1)
    out.append("$")
    print("\n".join(out))


def manifest(root):
    out = []

    def entry(path, rel):
        st = os.lstat(path)
        sec = (st.st_mtime_ns + 500000000) // 10**9
        if stat.S_ISDIR(st.st_mode):
            out.append("%s\td\t%o\t0\t%d\t-" % (rel or "/", DMDIR | (st.st_mode & 0o777), sec))
            for name in sorted(os.listdir(os.fsencode(path))):
                entry(os.path.join(path, os.fsdecode(name)), (rel if rel else "") + "/" + os.fsdecode(name))
        elif stat.S_ISREG(st.st_mode):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            out.append("%s\tf\t%o\t%d\t%d\t%s" % (rel, st.st_mode & 0o777, st.st_size, sec, h.hexdigest()))

    entry(root, "")
    sys.stdout.buffer.write(("\n".join(out) + "\n").encode("utf-8", "surrogateescape"))


def mtimes(root, jsonpath, epoch=None):
    import json
    ents = json.load(open(jsonpath, encoding="utf-8", errors="surrogateescape"))["entries"]
    import re
    unesc = lambda m: chr(int(m.group(1), 16))	# gefs-dump writes \\xHH for some bytes
    got = {re.sub(r"\\x([0-9a-f]{2})", unesc, e["path"]): e["mtime_ns"] for e in ents if isinstance(e, dict)}
    bad = 0
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(p, root)
            want = os.lstat(p).st_mtime_ns
            if epoch is not None:
                want = min(want, epoch * 10**9)
            n += 1
            if got.get(rel) != want:
                print("mtime of %s: image %s, source %d" % (rel, got.get(rel), want))
                bad += 1
    if n != len(got):
        print("image lists %d entries, source has %d" % (len(got), n))
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "mtimes":
        mtimes(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else None)
    elif len(sys.argv) == 4 and sys.argv[1] == "bench":
        bench(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "proto":
        proto(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "make":
        wide, big = 300, 3
        args = sys.argv[3:]
        while args:
            if args[0] == "--wide":
                wide = int(args[1])
            elif args[0] == "--big":
                big = int(args[1])
            else:
                sys.exit("poptree.py: unknown option " + args[0])
            args = args[2:]
        make(sys.argv[2], wide, big)
    elif len(sys.argv) == 3 and sys.argv[1] == "manifest":
        manifest(sys.argv[2])
    else:
        sys.exit(__doc__)
