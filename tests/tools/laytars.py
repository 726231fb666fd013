#!/usr/bin/env python3
"""laytars.py — tar archives for gefs-mkfs -d layering tests.

  laytars.py corner DIR        the archives of the override rules' corners
                               (DIR/c0.tar ... c2.tar in layer order, see
                               below; c3.tar: a hard link to a hard link)
  laytars.py many FILE N       one archive of N tiny members, 100 a
                               directory, in an order that is not the
                               namespace's (N prime to 7919)

Every member has a fixed mtime and mode, so two runs give the same bytes.
"""
import io, sys, tarfile

T = 1600000000


def add(t, name, kind="f", data=b"", link=None, mode=0o644):
    i = tarfile.TarInfo(name)
    i.mtime, i.mode = T, mode
    if kind == "d":
        i.type, i.mode = tarfile.DIRTYPE, 0o755
        t.addfile(i)
    elif kind == "h":
        i.type, i.linkname = tarfile.LNKTYPE, link
        t.addfile(i)
    else:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))


# Layer by layer: file over directory, directory over file, parents made
# for names whose parent is missing or an earlier source's file, the same
# name twice in one archive, hard links (to a file, to a name given twice,
# of a whole link set), a name made three layers down under an earlier
# layer's file, "./" as the root.
CORNER = [
    [("./", "d"), ("a/", "d"), ("a/x", "f", b"ax"), ("b", "f", b"b0"), ("q/p/x", "f", b"qpx"),
     ("dup", "f", b"one"), ("dup", "f", b"two"), ("h1", "h", None, "dup"), ("h2", "h", None, "a/x"),
     ("deep/er/still/f", "f", b"deep"), ("z/", "d")],
    [("a", "f", b"a over dir"), ("b/", "d"), ("b/in", "f", b"under b"), ("q", "f", b"q file"),
     ("z/zz", "f", b"zz"), ("dup", "f", b"three"), ("h3", "h", None, "dup")],
    [("q/p/y/z", "f", b"qpyz"), ("a/new", "f", b"dir over file again"), ("deep/er", "f", b"file over deep")],
    # an error: a hard link to a hard link (not a file before it)
    [("f", "f", b"f"), ("g", "h", None, "f"), ("h", "h", None, "g")],
]


def corner(d):
    for n, layer in enumerate(CORNER):
        with tarfile.open("%s/c%d.tar" % (d, n), "w", format=tarfile.GNU_FORMAT) as t:
            for m in layer:
                add(t, m[0], m[1], (m[2] if len(m) > 2 else None) or b"", m[3] if len(m) > 3 else None)


def many(path, n):
    per = 100
    nd = (n + per - 1) // per
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for i in range(n):
            # directories in reverse (d00000 left for the index to make),
            # their files spread: the index, not the archive, gives the
            # namespace order
            j = (i * 7919) % n
            if i < nd - 1:
                add(t, "d%05d/" % (nd - 1 - i), "d")
            add(t, "d%05d/f%07d" % (j // per, j), "f", b"xy"[: j % 3])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "corner":
        corner(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "many":
        many(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
