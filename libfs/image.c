/* SPDX-License-Identifier: MIT */
/*
 * image — the metadata of an image, for gefs-image (e2image -Q,
 * btrfs-image, xfs_metadump): every block that is not file data, handed
 * out in address order so that the caller can write a sparse file or one
 * gzip stream.
 *
 * The blocks are found by reading them raw, not through the verified
 * paths, so that a damaged image exports with its damage (the export must
 * show gefs-fsck the same findings): both superblocks, every arena's
 * header and footer, every block of every allocation-log chain to its end
 * (past the point where replay stops), every node of the snapshot tree,
 * the deadlist chains of its Kdlist values and every node of the tree of
 * each Ksnap record, whether the record is in a leaf or an Oinsert
 * message of a pivot, and the data of the adm label's users file.  A
 * block that does not decode is exported but not followed.  The unhashed
 * tail of log and deadlist blocks, where stale bytes of earlier contents
 * lie, is zeroed.  The superblocks get GEFS_XFMETA in their extension record
 * (a new record when a copy has none that is valid), which is outside
 * sbhash (§22), so every hash of the image stays as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ, SETMIN = 1024 };

/* Addresses seen: open addressing, an address stored as addr + 1 (block
 * addresses are aligned, so never UINT64_MAX), 0 = empty slot. */
typedef struct Aset {
	uint64_t	*v;
	size_t		n, cap;
} Aset;

typedef struct Img {
	Gefs		*fs;
	Aset		seen;
	Aset		chains;		/* log and deadlist blocks */
	GefsImageStats	*st;
	uint64_t	nblk;		/* blocks of the device */
} Img;

static size_t
slot(uint64_t k, size_t cap)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

/* Add addr: 1 new, 0 already there, -1 out of memory. */
static int
asetadd(Aset *s, uint64_t addr)
{
	uint64_t k = addr + 1, *nv, *old = s->v;
	size_t i, oldcap = s->cap;

	if (2 * (s->n + 1) > s->cap) {
		s->cap = s->cap ? 2 * s->cap : SETMIN;
		if ((nv = calloc(s->cap, sizeof *nv)) == NULL)
			return -1;
		s->v = nv;
		s->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				asetadd(s, old[i] - 1);
		free(old);
	}
	for (i = slot(k, s->cap); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == k)
			return 0;
	s->v[i] = k;
	s->n++;
	return 1;
}

static bool
asethas(const Aset *s, uint64_t addr)
{
	uint64_t k = addr + 1;
	size_t i;

	if (s->cap == 0)
		return false;
	for (i = slot(k, s->cap); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == k)
			return true;
	return false;
}

static int
cmpu64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Note addr for export: 1 when it is new and inside the device (read it
 * then), 0 when seen or outside, -1 out of memory. */
static int
note(Img *im, uint64_t addr)
{
	int r;

	if (addr == GEFS_NONE || addr % B != 0 || addr / B >= im->nblk)
		return 0;
	if ((r = asetadd(&im->seen, addr)) < 0)
		return gefs_seterr(&im->fs->err, ENOMEM, "out of memory");
	return r;
}

/* A log or deadlist chain from addr, to its end or to a block that is
 * seen, unreadable or of another type; at most nblk blocks. */
static int
chain(Img *im, uint64_t addr, int type, uint64_t *count)
{
	GefsLogHdr h;
	uint8_t *b;
	int r;

	if ((b = malloc(B)) == NULL)
		return gefs_seterr(&im->fs->err, ENOMEM, "out of memory");
	while ((r = note(im, addr)) == 1) {
		(*count)++;
		if (asetadd(&im->chains, addr) < 0) {
			r = gefs_seterr(&im->fs->err, ENOMEM, "out of memory");
			break;
		}
		if (gefs_readblk(im->fs, addr, b) < 0) {
			r = -1;
			break;
		}
		if (gefs_unpackloghdr(&h, b, type, addr, NULL) < 0) {
			im->st->nbad++;
			r = 0;
			break;
		}
		addr = h.chain.addr;
	}
	free(b);
	return r;
}

static int walk(Img *im, uint64_t addr, int depth, bool snaptree);

/* A snapshot-tree pair (leaf entry or Oinsert message): the tree of a
 * Ksnap record, the chains of a Kdlist value. */
static int
snappair(Img *im, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	GefsSnap s;
	GefsDlist d;

	if (nk < 1)
		return 0;
	if (k[0] == GEFS_KSNAP && gefs_unpacksnap(&s, v, nv, NULL) == 0)
		return walk(im, s.root.addr, 0, false);
	if (k[0] == GEFS_KDLIST && gefs_unpackdlist(&d, v, nv, NULL) == 0) {
		if (chain(im, d.hd.addr, GEFS_TDLIST, &im->st->ndlist) < 0)
			return -1;
		return chain(im, d.tl.addr, GEFS_TDLIST, &im->st->ndlist);
	}
	return 0;
}

/* The pairs of one decoded node: children of a pivot, and in the
 * snapshot tree the records its entries and messages hold. */
static int
nodepairs(Img *im, const GefsNode *n, int depth, bool snaptree)
{
	GefsBptr bp;
	GefsKv kv;
	GefsMsg m;
	uint16_t fill;
	int i;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (n->type == GEFS_TPIVOT) {
			if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) == 0
			&& walk(im, bp.addr, depth + 1, snaptree) < 0)
				return -1;
		} else if (snaptree && snappair(im, kv.k, kv.nk, kv.v, kv.nv) < 0)
			return -1;
	}
	for (i = 0; snaptree && n->type == GEFS_TPIVOT && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (m.op == GEFS_OINSERT && snappair(im, m.k, m.nk, m.v, m.nv) < 0)
			return -1;
	}
	return 0;
}

/* Every node of the tree under addr (depth: of addr, at most MAXHT;
 * a snapshot tree's records start their trees at depth 0 again, so the
 * recursion is at most 2·MAXHT deep). */
static int
walk(Img *im, uint64_t addr, int depth, bool snaptree)
{
	GefsNode n;
	uint8_t *b;
	int r;

	if (depth >= GEFS_MAXHT)
		return 0;
	if ((r = note(im, addr)) <= 0)
		return r;
	if ((b = malloc(B)) == NULL)
		return gefs_seterr(&im->fs->err, ENOMEM, "out of memory");
	im->st->nnode++;
	if ((r = gefs_readblk(im->fs, addr, b)) == 0) {
		if (gefs_unpacknode(&n, b, addr, NULL) == 0)
			r = nodepairs(im, &n, depth, snaptree);
		else
			im->st->nbad++;
	}
	free(b);
	return r;
}

/* The data blocks of the users file of the adm label (§16): user and
 * group names, which the checker needs to judge every owner field.  A
 * damaged adm tree exports no users file (the check then says so). */
static int
users(Img *im)
{
	uint8_t pre[GEFS_KEYMAX];
	GefsTree *t;
	GefsScan *sc;
	GefsXdir d;
	GefsBptr bp;
	GefsKv kv;
	size_t np;
	int r = 0;

	if ((t = gefs_opentree(im->fs, "adm")) == NULL)
		return 0;
	if (gefs_walk(t, "/users", &d) == 0) {
		np = gefs_packdatkey(pre, d.qpath, 0) - 8;	/* type and qid: every offset */
		if ((sc = gefs_scanprefix(t, pre, np)) != NULL) {
			while (r >= 0 && gefs_scannext(sc, &kv) == 1)
				if (kv.nv >= GEFS_PTRSZ) {
					gefs_unpackbptr(&bp, kv.v);
					if ((r = note(im, bp.addr)) > 0)
						im->st->nusers++;
				}
			gefs_scanfree(sc);
		}
	}
	gefs_closetree(t);
	return r < 0 ? -1 : 0;
}

/* Superblocks, arena headers and footers, the allocation logs. */
static int
fixed(Img *im)
{
	GefsArenaInfo ai;
	int i;

	if (note(im, 0) < 0 || note(im, (im->nblk - 1) * B) < 0)
		return -1;
	for (i = 0; i < gefs_narena(im->fs); i++) {
		if (gefs_arenainfo(im->fs, i, &ai) < 0 || note(im, ai.addr) < 0 || note(im, ai.addr + B) < 0)
			return -1;
		im->st->narena++;
		if (chain(im, ai.loghead, GEFS_TLOG, &im->st->nlog) < 0)
			return -1;
	}
	return 0;
}

/* Mark a superblock block as a metadata image's (its record, or a new
 * one when it has no valid record). */
static void
markxrec(uint8_t *blk)
{
	GefsXrec x;

	if (gefs_unpacksbxrec(&x, blk, NULL) < 0)
		memset(&x, 0, sizeof x);
	x.flags |= GEFS_XFMETA;
	gefs_packsbxrec(blk, &x);
}

/* The body of a log or deadlist block past logsz is covered by no hash
 * (logh covers [0, logsz), chain and Kdlist hashes are never verified,
 * §24) and holds whatever the block held before: old nodes, old file
 * data.  Zeroed. */
static void
cleartail(uint8_t *blk, uint64_t addr)
{
	GefsLogHdr h;

	if (gefs_unpackloghdr(&h, blk, gefs_get16(blk), addr, NULL) == 0)
		gefs_logclear(blk, h.logsz);
}

/* Hand every noted block to fn in address order. */
static int
emit(Img *im, GefsImageFn fn, void *arg)
{
	uint64_t *a, sb1 = (im->nblk - 1) * B;
	uint8_t *b;
	size_t i, n = 0;
	int rc = 0;

	a = malloc((im->seen.n + 1) * sizeof *a);
	if (a == NULL || (b = malloc(B)) == NULL) {
		free(a);
		return gefs_seterr(&im->fs->err, ENOMEM, "out of memory");
	}
	for (i = 0; i < im->seen.cap; i++)
		if (im->seen.v[i] != 0)
			a[n++] = im->seen.v[i] - 1;
	qsort(a, n, sizeof *a, cmpu64);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = gefs_readblk(im->fs, a[i], b)) < 0)
			break;
		if (a[i] == 0 || a[i] == sb1)
			markxrec(b);
		else if (asethas(&im->chains, a[i]))
			cleartail(b, a[i]);
		if ((rc = fn(arg, a[i], b)) != 0 && gefs_errcode(im->fs) == 0)
			gefs_seterr(&im->fs->err, EIO, "writing block 0x%llx of the image",
				(unsigned long long)a[i]);
	}
	im->st->nblk = n;
	free(b);
	free(a);
	return rc != 0 ? -1 : 0;
}

int
gefs_metaimage(Gefs *fs, GefsImageFn fn, void *arg, GefsImageStats *st)
{
	const GefsSb *sb = gefs_super(fs, NULL);
	GefsImageStats dummy;
	Img im = { .fs = fs, .st = st ? st : &dummy };
	int rc = -1;

	memset(im.st, 0, sizeof *im.st);
	im.nblk = devsize(fs->dev) / B;
	if (im.nblk < 2)
		return gefs_seterr(&fs->err, EINVAL, "%s: too small for a file system", devpath(fs->dev));
	fs->err.code = 0;
	if (fixed(&im) == 0 && chain(&im, sb->dlhdaddr, GEFS_TDLIST, &im.st->ndlist) == 0
	&& walk(&im, sb->snapaddr, 0, true) == 0 && users(&im) == 0)
		rc = emit(&im, fn, arg);
	free(im.seen.v);
	free(im.chains.v);
	return rc;
}
