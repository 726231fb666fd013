/* SPDX-License-Identifier: MIT */
/*
 * treebuild — write a whole new Bε-tree from sorted key/value pairs
 * (bulk loading, bottom-up): leaves filled to about three quarters, then
 * pivot levels over them until one root is left.  The result satisfies
 * every invariant of FORMAT.md §8.5 and leaves each pivot room for two
 * more 288-byte entries (§8.6), so the reference can go on modifying it.
 *
 * Used where a tree is rewritten wholesale (the checker's snapshot-tree
 * repair); blocks come from the caller's allocator and are queued dirty in
 * STAGE_DATA, to be written by the next commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B		= GEFS_BLKSZ,
	LEAFFILL	= GEFS_LEAFSPC * 3 / 4,	/* stop filling a leaf past this */
	PIVROOM		= 576,			/* room kept free in a pivot (§8.6) */
};

/* A node written at one level, as its parent will point at it. */
typedef struct Child {
	uint8_t		k[GEFS_KEYMAX];
	uint16_t	nk;
	GefsBptr	bp;
	uint16_t	fill;
} Child;

typedef struct Build {
	Gefs		*fs;
	uint64_t	gen;
	TreeAlloc	alloc;
	void		*arg;
	uint8_t		*blk;		/* node being filled */
	Child		*out;		/* nodes written at this level */
	size_t		nout, cap;
} Build;

/* Allocate, write (queue) the node in b->blk, and record it. */
static int
emitnode(Build *b)
{
	GefsNode n;
	GefsKv kv;
	Child *c;
	Blk *x;
	uint64_t a;

	if (b->nout == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		if ((c = realloc(b->out, b->cap * sizeof *c)) == NULL)
			return gefs_seterr(&b->fs->err, ENOMEM, "tree build: out of memory");
		b->out = c;
	}
	if (b->alloc(b->arg, &a) < 0)
		return -1;
	if (gefs_unpacknode(&n, b->blk, a, &b->fs->err) < 0)
		return -1;
	c = &b->out[b->nout++];
	c->nk = 0;
	if (n.nval > 0) {
		gefs_nodekv(&n, 0, &kv);
		memcpy(c->k, kv.k, kv.nk);
		c->nk = kv.nk;
	}
	c->fill = (uint16_t)gefs_nodefill(&n);
	c->bp = (GefsBptr){a, gefs_blkhash(b->blk), b->gen};
	x = cacheget(b->fs->cache, a, CACHE_NOREAD, &b->fs->err);
	if (x == NULL)
		return -1;
	memcpy(x->buf, b->blk, B);
	x->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(b->fs->cache, x, STAGE_DATA);
	cacheput(b->fs->cache, x);
	return 0;
}

/* The leaf level. */
static int
leaves(Build *b, const GefsKv *kv, size_t n)
{
	size_t i, fill = 0, need;

	gefs_nodeinit(b->blk, GEFS_TLEAF);
	for (i = 0; i < n; i++) {
		if (i > 0 && gefs_keycmp(kv[i - 1].k, kv[i - 1].nk, kv[i].k, kv[i].nk) >= 0)
			return gefs_seterr(&b->fs->err, EINVAL, "tree build: keys not strictly increasing at %zu", i);
		need = gefs_kvspace(kv[i].nk, kv[i].nv);
		if (fill > 0 && fill + need > LEAFFILL) {
			if (emitnode(b) < 0)
				return -1;
			gefs_nodeinit(b->blk, GEFS_TLEAF);
			fill = 0;
		}
		if (gefs_nodeadd(b->blk, kv[i].k, kv[i].nk, kv[i].v, kv[i].nv, &b->fs->err) < 0)
			return -1;
		fill += need;
	}
	return emitnode(b);
}

/* One pivot level over the children c[0..n). */
static int
pivots(Build *b, const Child *c, size_t n)
{
	uint8_t v[GEFS_PIVVALSZ];
	size_t i, fill = 0, need;

	gefs_nodeinit(b->blk, GEFS_TPIVOT);
	for (i = 0; i < n; i++) {
		need = gefs_kvspace(c[i].nk, GEFS_PIVVALSZ);
		if (fill > 0 && fill + need + PIVROOM > GEFS_PIVSPC) {
			if (emitnode(b) < 0)
				return -1;
			gefs_nodeinit(b->blk, GEFS_TPIVOT);
			fill = 0;
		}
		gefs_packpivval(v, &c[i].bp, c[i].fill);
		if (gefs_nodeadd(b->blk, c[i].k, c[i].nk, v, sizeof v, &b->fs->err) < 0)
			return -1;
		fill += need;
	}
	return emitnode(b);
}

int
treebuild(Gefs *fs, const GefsKv *kv, size_t n, uint64_t gen, TreeAlloc alloc, void *arg,
	GefsBptr *root, int *ht)
{
	Build b;
	Child *lvl = NULL;
	size_t nlvl;
	int h = 1, rc = -1;

	memset(&b, 0, sizeof b);
	b = (Build){fs, gen, alloc, arg, malloc(B), NULL, 0, 0};
	if (b.blk == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "tree build: out of memory");
	if (leaves(&b, kv, n) < 0)
		goto out;
	while (b.nout > 1) {
		if (++h > GEFS_MAXHT) {
			gefs_seterr(&fs->err, EFBIG, "tree build: taller than %d levels", GEFS_MAXHT);
			goto out;
		}
		free(lvl);
		lvl = b.out;
		nlvl = b.nout;
		b.out = NULL;
		b.nout = b.cap = 0;
		if (pivots(&b, lvl, nlvl) < 0)
			goto out;
	}
	*root = b.out[0].bp;
	*ht = h;
	rc = 0;
out:
	free(lvl);
	free(b.out);
	free(b.blk);
	return rc;
}
