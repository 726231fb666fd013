/* SPDX-License-Identifier: MIT */
/*
 * poke.c — raw block access for debugging tools: write a block as it is,
 * find what references a block, and "rehash" a changed block so that the
 * damage it carries is valid (every hash that covers it recomputed up to
 * both superblocks).  gefs-shell's poke, flip, zap, set and owner, and
 * the tests that build damaged images, stand on this.
 *
 * None of this goes through the allocation log, copy-on-write or the
 * commit: it changes blocks in place, on purpose.  Raw writes go to the
 * device and drop the cached copy, so later reads see them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B		= GEFS_BLKSZ,
	Maxhops		= 2 * GEFS_MAXHT + 2,	/* node -> ... -> root -> record -> ... -> superblock */
};

/* ------------------------------------------------------------------ */
/* Raw writes                                                          */
/* ------------------------------------------------------------------ */

int
gefs_writeblk(Gefs *fs, uint64_t addr, const uint8_t *buf)
{
	if (devrdonly(fs->dev))
		return gefs_seterr(&fs->err, EROFS, "%s: opened read-only", devpath(fs->dev));
	if (addr % B != 0 || devsize(fs->dev) < B || addr > devsize(fs->dev) - B)
		return gefs_seterr(&fs->err, EINVAL, "block 0x%llx: not a block-aligned address inside the device",
			(unsigned long long)addr);
	cacheinval(fs->cache, addr);
	if (devwrite(fs->dev, buf, B, addr, &fs->err) < 0 || devsync(fs->dev, &fs->err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Finding references                                                  */
/* ------------------------------------------------------------------ */

/* A search for pointers to one address over every tree. */
typedef struct Find {
	Gefs		*fs;
	uint64_t	addr;
	int64_t		gen;		/* tree being walked; -1 the snapshot tree */
	GefsRefFn	fn;
	void		*arg;
	int		rc;
} Find;

static int
report(Find *f, const GefsNode *n, int kind, int idx, const uint8_t *k, size_t nk)
{
	GefsRef r;

	r = (GefsRef){.tree = f->gen, .node = n->addr, .kind = kind, .idx = idx, .k = k, .nk = nk};
	f->rc = f->fn(f->arg, &r);
	return f->rc;
}

/* The pointer carried by a leaf value or message operand of key type kt,
 * if any: Kdat values are pointers, Ksnap values hold the tree root. */
static bool
valptr(uint8_t kt, const uint8_t *v, size_t nv, GefsBptr *bp)
{
	GefsSnap s;

	if (kt == GEFS_KDAT && nv == GEFS_PTRSZ) {
		gefs_unpackbptr(bp, v);
		return true;
	}
	if (kt == GEFS_KSNAP && gefs_unpacksnap(&s, v, nv, NULL) == 0) {
		*bp = s.root;
		return true;
	}
	return false;
}

static int
scanentries(Find *f, const GefsNode *n)
{
	GefsKv kv;
	GefsBptr bp;
	uint16_t fill;
	int i;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (n->type == GEFS_TPIVOT) {
			if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) == 0 && bp.addr == f->addr
			&& report(f, n, GEFS_REFPIVOT, i, kv.k, kv.nk) != 0)
				return f->rc;
		} else if (kv.nk > 0 && valptr(kv.k[0], kv.v, kv.nv, &bp) && bp.addr == f->addr
		&& report(f, n, GEFS_REFVAL, i, kv.k, kv.nk) != 0)
			return f->rc;
	}
	return 0;
}

static int
scanmsgs(Find *f, const GefsNode *n)
{
	GefsMsg m;
	GefsBptr bp;
	int i;

	for (i = 0; n->type == GEFS_TPIVOT && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (m.op == GEFS_OINSERT && m.nk > 0 && valptr(m.k[0], m.v, m.nv, &bp) && bp.addr == f->addr
		&& report(f, n, GEFS_REFMSG, i, m.k, m.nk) != 0)
			return f->rc;
	}
	return 0;
}

static int
eachnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Find *f = arg;

	(void)depth, (void)bp;
	if (scanentries(f, n) != 0)
		return f->rc;
	return scanmsgs(f, n);
}

static int
walkone(Find *f, GefsTree *t)
{
	int rc;

	if (t == NULL)
		return -1;
	rc = gefs_walktree(t, -1, eachnode, f);
	gefs_closetree(t);
	return rc;
}

/* The generations of every snapshot record, collected before walking. */
typedef struct Gens {
	int64_t		*v;
	size_t		n, cap;
} Gens;

static int
eachgen(void *arg, const GefsSnap *s)
{
	Gens *g = arg;
	int64_t *v;

	if (g->n == g->cap) {
		v = realloc(g->v, (g->cap * 2 + 16) * sizeof *v);
		if (v == NULL)
			return -1;
		g->v = v;
		g->cap = g->cap * 2 + 16;
	}
	g->v[g->n++] = s->gen;
	return 0;
}

static int
walkall(Find *f)
{
	Gens g = {0};
	size_t i;
	int rc;

	if (f->fs->sb.snapaddr == f->addr) {
		f->gen = -1;
		rc = f->fn(f->arg, &(GefsRef){.tree = -1, .node = GEFS_NONE, .kind = GEFS_REFSB});
		if (rc != 0)
			return rc;
	}
	f->gen = -1;
	rc = walkone(f, gefs_snaptree(f->fs));
	if (rc == 0 && gefs_walksnaps(f->fs, eachgen, &g) < 0)
		rc = g.n == g.cap ? gefs_seterr(&f->fs->err, ENOMEM, "out of memory") : -1;
	for (i = 0; rc == 0 && i < g.n; i++) {
		f->gen = g.v[i];
		rc = walkone(f, gefs_opensnap(f->fs, (uint64_t)g.v[i]));
	}
	free(g.v);
	return rc;
}

/* Walk with hash checks off: the point is to find pointers whose hash no
 * longer matches.  Warnings are silenced for the duration. */
int
gefs_findrefs(Gefs *fs, uint64_t addr, GefsRefFn fn, void *arg)
{
	GefsOpts saved;
	Find f;
	int rc;

	saved = fs->opts;
	fs->opts.ignhash = true;
	fs->opts.warn = NULL;
	f = (Find){.fs = fs, .addr = addr, .fn = fn, .arg = arg};
	rc = walkall(&f);
	fs->opts = saved;
	return rc < 0 ? -1 : rc;
}

/* ------------------------------------------------------------------ */
/* Rehashing                                                           */
/* ------------------------------------------------------------------ */

typedef struct Refs {
	GefsRef		*v;
	size_t		n, cap;
} Refs;

static int
collect(void *arg, const GefsRef *r)
{
	Refs *rs = arg;
	GefsRef *v;

	if (rs->n == rs->cap) {
		v = realloc(rs->v, (rs->cap * 2 + 8) * sizeof *v);
		if (v == NULL)
			return -1;
		rs->v = v;
		rs->cap = rs->cap * 2 + 8;
	}
	rs->v[rs->n] = *r;
	rs->v[rs->n].k = NULL;	/* points into a block that may be evicted */
	rs->v[rs->n].nk = 0;
	rs->n++;
	return 0;
}

/* Write both superblock copies from fs->sb, each on top of its own block
 * (so the tail of each, the extension record included, is kept). */
static int
writesbs(Gefs *fs, int *nfix)
{
	uint8_t *buf;
	uint64_t at[2];
	int i, rc;

	buf = malloc(B);
	if (buf == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	at[0] = 0;
	at[1] = sb1addr(fs);
	rc = 0;
	for (i = 0; i < 2 && rc == 0; i++) {
		rc = gefs_readblk(fs, at[i], buf);
		if (rc == 0)
			rc = gefs_packsb(buf, &fs->sb, &fs->err);
		if (rc == 0)
			rc = gefs_writeblk(fs, at[i], buf);
		*nfix += rc == 0;
	}
	free(buf);
	return rc;
}

/* Store hash h in the pointer r describes, inside the node block buf. */
static int
patchnode(Gefs *fs, uint8_t *buf, const GefsRef *r, uint64_t h)
{
	GefsNode n;
	GefsKv kv;
	GefsMsg m;
	GefsBptr bp;
	GefsSnap s;
	uint16_t fill;
	uint8_t *v;

	if (gefs_unpacknode(&n, buf, r->node, &fs->err) < 0)
		return -1;
	if (r->idx < 0 || r->idx >= (r->kind == GEFS_REFMSG ? n.nbuf : n.nval))
		return gefs_seterr(&fs->err, EBADMSG, "node 0x%llx: %s %d: no longer there",
			(unsigned long long)r->node, r->kind == GEFS_REFMSG ? "message" : "entry", r->idx);
	if (r->kind == GEFS_REFMSG) {
		gefs_nodemsg(&n, r->idx, &m);
		kv = (GefsKv){.k = m.k, .nk = m.nk, .v = m.v, .nv = m.nv};
	} else
		gefs_nodekv(&n, r->idx, &kv);
	if (kv.nk == 0)
		return gefs_seterr(&fs->err, EBADMSG, "node 0x%llx: entry %d: empty key", (unsigned long long)r->node, r->idx);
	v = buf + (kv.v - buf);		/* the same bytes, writable */
	if (r->kind == GEFS_REFPIVOT) {
		gefs_unpackpivval(&bp, &fill, v, kv.nv, NULL);
		bp.hash = h;
		gefs_packpivval(v, &bp, fill);
	} else if (kv.k[0] == GEFS_KDAT) {
		gefs_unpackbptr(&bp, v);
		bp.hash = h;
		gefs_packbptr(v, &bp);
	} else {
		gefs_unpacksnap(&s, v, kv.nv, NULL);
		s.root.hash = h;
		gefs_packsnap(v, &s);
	}
	return 0;
}

/* The pointers to a block, each with the pointers to the node holding
 * it, up to the superblock: gathered before anything is written, so that
 * a block whose new contents no longer decode (the damage a test wants)
 * need not be walked through again. */
typedef struct Hop {
	GefsRef		r;
	struct Hop	*up;		/* pointers to r.node */
	size_t		nup;
} Hop;

static void
freehops(Hop *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		freehops(v[i].up, v[i].nup);
	free(v);
}

static int
gather(Gefs *fs, uint64_t addr, int hops, Hop **v, size_t *n)
{
	Refs rs = {0};
	size_t i;
	int rc;

	*v = NULL;
	*n = 0;
	if (hops > Maxhops)
		return gefs_seterr(&fs->err, ELOOP, "block 0x%llx: pointer chain longer than %d hops",
			(unsigned long long)addr, Maxhops);
	rc = gefs_findrefs(fs, addr, collect, &rs);
	if (rc == 0 && rs.n > 0 && (*v = calloc(rs.n, sizeof **v)) == NULL)
		rc = gefs_seterr(&fs->err, ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < rs.n; i++, ++*n) {
		(*v)[i].r = rs.v[i];
		if (rs.v[i].kind != GEFS_REFSB)
			rc = gather(fs, rs.v[i].node, hops + 1, &(*v)[i].up, &(*v)[i].nup);
	}
	free(rs.v);
	return rc;
}

/* Store h, the new hash of the block the hops point to, in each of
 * them, and so on up; buf is scratch. */
static int
apply(Gefs *fs, const Hop *v, size_t n, uint64_t h, uint8_t *buf, int *nfix)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].r.kind == GEFS_REFSB) {
			fs->sb.snaphash = h;
			if (writesbs(fs, nfix) < 0)
				return -1;
			continue;
		}
		if (gefs_readblk(fs, v[i].r.node, buf) < 0 || patchnode(fs, buf, &v[i].r, h) < 0
		|| gefs_writeblk(fs, v[i].r.node, buf) < 0)
			return -1;
		++*nfix;
		if (apply(fs, v[i].up, v[i].nup, gefs_blkhash(buf), buf, nfix) < 0)
			return -1;
	}
	return 0;
}

/* Tree node or data block addr gets contents nb (NULL: keeps its own):
 * every pointer to it, and so on up, gets its new hash. */
static int
rehashptr(Gefs *fs, uint64_t addr, const uint8_t *nb, int *nfix)
{
	Hop *v;
	size_t n;
	uint8_t *buf;
	int rc;

	buf = malloc(B);
	if (buf == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	rc = gather(fs, addr, 0, &v, &n);
	if (rc == 0 && n == 0)
		rc = gefs_seterr(&fs->err, ENOENT, "block 0x%llx: no tree, record or superblock points to it",
			(unsigned long long)addr);
	if (rc == 0 && nb != NULL)
		rc = gefs_writeblk(fs, addr, nb);
	if (rc == 0)
		rc = gefs_readblk(fs, addr, buf);
	if (rc == 0)
		rc = apply(fs, v, n, gefs_blkhash(buf), buf, nfix);
	freehops(v, n);
	free(buf);
	return rc;
}

/* Recompute the logh of the log or deadlist block in buf. */
static int
rehashlog(Gefs *fs, uint64_t addr, uint8_t *buf, int want, int *nfix)
{
	GefsLogHdr h;

	if (gefs_unpackloghdr(&h, buf, want, addr, &fs->err) < 0)
		return -1;
	gefs_packloghdr(buf, &h);
	if (gefs_writeblk(fs, addr, buf) < 0)
		return -1;
	++*nfix;
	return 0;
}

/* Arena i's header or footer changed: the superblock's table follows it. */
static int
rehasharena(Gefs *fs, int i, const uint8_t *buf, int *nfix)
{
	fs->sb.arenahash[i] = gefs_blkhash(buf);
	return writesbs(fs, nfix);
}

/* Which arena has its header or footer at addr; -1 if none. */
static int
arenablk(Gefs *fs, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < fs->sb.narena; i++)
		if (addr == fs->arena[i].addr || addr == fs->arena[i].addr + B)
			return (int)i;
	return -1;
}

/* A superblock copy changed: its own sbhash is recomputed from its
 * bytes, and fs->sb follows it, so that later rehashes (which write both
 * copies from fs->sb) keep the change instead of undoing it. */
static int
rehashsb(Gefs *fs, uint64_t addr, const uint8_t *nb, int *nfix)
{
	uint8_t *buf;
	GefsSb sb;
	int rc;

	buf = malloc(B);
	if (buf == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	rc = nb != NULL ? 0 : gefs_readblk(fs, addr, buf);
	if (nb != NULL)
		memcpy(buf, nb, B);	/* nothing is written if it does not decode */
	if (rc == 0)
		rc = gefs_unpacksb(&sb, buf, addr, &fs->err);
	if (rc == 0)
		rc = gefs_packsb(buf, &sb, &fs->err);
	if (rc == 0)
		rc = gefs_writeblk(fs, addr, buf);
	if (rc == 0 && sb.narena == fs->sb.narena)
		fs->sb = sb;	/* a changed narena would not match fs->arena */
	*nfix += rc == 0;
	free(buf);
	return rc;
}

/* Does any tree point to addr?  (A data block may start with any bytes,
 * a log block's type word included.)  *rc is -1 when the walk failed. */
static bool
referenced(Gefs *fs, uint64_t addr, int *rc)
{
	Refs rs = {0};

	*rc = gefs_findrefs(fs, addr, collect, &rs);
	free(rs.v);
	return rs.n > 0;
}

/* What gefs_rehash and gefs_writerehash share: nb, when not NULL, is
 * written to addr first (after the pointers to it are found). */
static int
rehash(Gefs *fs, uint64_t addr, const uint8_t *nb, int *nfix)
{
	uint8_t *buf;
	int rc, ai, type;
	bool islog;

	*nfix = 0;
	if (addr == 0 || addr == sb1addr(fs))
		return rehashsb(fs, addr, nb, nfix);
	buf = malloc(B);
	if (buf == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	rc = gefs_readblk(fs, addr, buf);
	ai = arenablk(fs, addr);
	type = gefs_blktype(nb != NULL ? nb : buf);
	/* A data block may start with any bytes, a log's type word included. */
	islog = rc == 0 && (type == GEFS_TLOG || type == GEFS_TDLIST) && !referenced(fs, addr, &rc);
	if (rc == 0 && ai < 0 && !islog)
		rc = rehashptr(fs, addr, nb, nfix);
	else if (rc == 0) {
		if (nb != NULL) {
			rc = gefs_writeblk(fs, addr, nb);
			memcpy(buf, nb, B);
		}
		if (rc == 0)
			rc = ai >= 0 ? rehasharena(fs, ai, buf, nfix) : rehashlog(fs, addr, buf, type, nfix);
	}
	free(buf);
	return rc;
}

int
gefs_rehash(Gefs *fs, uint64_t addr, int *nfix)
{
	return rehash(fs, addr, NULL, nfix);
}

int
gefs_writerehash(Gefs *fs, uint64_t addr, const uint8_t *buf, int *nfix)
{
	return rehash(fs, addr, buf, nfix);
}
