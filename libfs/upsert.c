/* SPDX-License-Identifier: MIT */
/*
 * upsert — writing a copy-on-write Bε-tree (§8.5, §8.6, §10.5, §11.4).
 *
 * A batch of messages goes into the root's buffer.  A pivot whose buffer
 * would overflow flushes, one child at a time, the messages of the child
 * range that receives the most bytes (§11.4 step 3) until the rest fits;
 * a leaf applies what reaches it (§10.2), releasing the data blocks of the
 * Kdat values it replaces or deletes (§10.5).  Every node on the way is
 * written to a new block and the old one released (§14.1) once the pass
 * has succeeded (a failed pass frees what it allocated and leaves the
 * tree as it was); a node that overflows is split into as many nodes as
 * needed, a root that splits gets a new root above it.  Unlike the reference, a batch goes down in one
 * recursive pass (per 4096 messages, which bounds the memory a pass
 * needs) instead of repeated passes from the root.
 *
 * Shape (what every reference revision accepts): leaves are cut at three
 * quarters full, pivots keep room for two more 288-byte entries (§27.6:
 * 2·(nval+1) + valsz + 576 <= Pivspc, the later split test, which implies
 * the 2025-09 one), buffers never exceed Bufspc, no node but the root is
 * empty, and each pointer's key is the smallest key in its child (§8.5
 * rule 3).  The tree never gets shorter (§24 #6), except that a tree whose
 * keys are all deleted becomes one empty leaf.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B	= GEFS_BLKSZ,
	MSGHD	= 2 + 1 + 2 + 2,			/* offset, op, nk, nv */
	ENTHD	= 2 + 2 + 2,				/* offset, nk, nv */
	PIVROOM	= 2 * (8 + GEFS_KEYMAX + GEFS_PTRSZ),	/* 576: two more entries (§27.6) */
	PIVMAX	= GEFS_PIVSPC - 2 - PIVROOM,		/* 7609: 2·nval + valsz of a pivot */
	PIVFILL	= PIVMAX * 2 / 3,			/* target when a pivot is split */
	LEAFFILL = GEFS_LEAFSPC * 3 / 4,		/* target when a leaf is split */
	CHUNK	= 4096,					/* messages per pass (memory bound) */
};

/* A child pointer: a pivot entry, or a node just written. */
typedef struct Ent {
	uint8_t		k[GEFS_KEYMAX];
	uint16_t	nk;
	GefsBptr	bp;
	uint16_t	fill;
} Ent;

typedef struct Ents {
	Ent		*e;
	int		n, cap;
} Ents;

typedef struct Up {
	Gefs		*fs;
	GefsTree	*t;
	uint64_t	gen;		/* birth generation of new nodes */
	int		ht;		/* height during this pass */
	/* a pass changes nothing the tree reaches until it has succeeded:
	 * releases wait in rel, new blocks are listed in nw to be freed if
	 * it fails */
	GefsBptr	*rel;
	uint64_t	*nw;
	int		nrel, caprel, nnw, capnw;
	uint8_t		img[B];		/* node being built */
} Up;

static int flush(Up *u, const GefsBptr *bp, int depth, const GefsMsg *in, int nin, Ents *out);

static int
msgsz(const GefsMsg *m)
{
	return MSGHD + m->nk + m->nv;
}

static int
entsz(const Ent *e)
{
	return ENTHD + e->nk + GEFS_PIVVALSZ;
}

static int
nomem(Up *u)
{
	return gefs_seterr(&u->fs->err, ENOMEM, "tree update: out of memory");
}

/* Room for k more entries at index i (moved up). */
static int
entsopen(Up *u, Ents *s, int i, int k)
{
	Ent *p;
	int cap;

	if (k == 0)
		return 0;
	if (s->n + k > s->cap) {
		cap = s->cap ? 2 * s->cap : 64;
		while (cap < s->n + k)
			cap *= 2;
		if ((p = realloc(s->e, (size_t)cap * sizeof *p)) == NULL)
			return nomem(u);
		s->e = p;
		s->cap = cap;
	}
	memmove(&s->e[i + k], &s->e[i], (size_t)(s->n - i) * sizeof *s->e);
	s->n += k;
	return 0;
}

/* ---- writing nodes ---- */

/* Grow a list of n items of sz bytes to hold one more. */
static int
grow(Up *u, void **p, int n, int *cap, size_t sz)
{
	void *q;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 64;
	if ((q = realloc(*p, (size_t)*cap * sz)) == NULL)
		return nomem(u);
	*p = q;
	return 0;
}

/* Release bp once the pass has succeeded. */
static int
later(Up *u, const GefsBptr *bp)
{
	if (grow(u, (void **)&u->rel, u->nrel, &u->caprel, sizeof *u->rel) < 0)
		return -1;
	u->rel[u->nrel++] = *bp;
	return 0;
}

/* A new block for this pass. */
static int
newblk(Up *u, uint64_t *a)
{
	if (grow(u, (void **)&u->nw, u->nnw, &u->capnw, sizeof *u->nw) < 0 || blknew(u->fs, a) < 0)
		return -1;
	u->nw[u->nnw++] = *a;
	return 0;
}

/* The smallest key of the node in img: its first entry or message. */
static void
minkey(const GefsNode *n, Ent *e)
{
	GefsKv kv = {0};
	GefsMsg m;

	if (n->nval > 0)
		gefs_nodekv(n, 0, &kv);
	if (n->type == GEFS_TPIVOT && n->nbuf > 0) {
		gefs_nodemsg(n, 0, &m);
		if (n->nval == 0 || gefs_keycmp(m.k, m.nk, kv.k, kv.nk) < 0) {
			kv.k = m.k;
			kv.nk = m.nk;
		}
	}
	e->nk = kv.nk;
	if (kv.nk > 0)
		memcpy(e->k, kv.k, kv.nk);
}

/* Write the node in u->img to a new block (queued in STAGE_DATA) and
 * append the pointer to it to out. */
static int
emit(Up *u, Ents *out)
{
	Gefs *fs = u->fs;
	GefsNode n;
	Ent *e;
	Blk *b;
	uint64_t a;

	/* built here by pack.c's bounds-checked appends from validated
	 * nodes and messages: viewed, not validated again */
	nodeview(&n, u->img, GEFS_NONE);
	if (entsopen(u, out, out->n, 1) < 0 || newblk(u, &a) < 0)
		return -1;
	e = &out->e[out->n - 1];
	minkey(&n, e);
	e->fill = (uint16_t)gefs_nodefill(&n);
	e->bp = (GefsBptr){a, gefs_blkhash(u->img), u->gen};
	if ((b = cacheget(fs->cache, a, CACHE_FILL, &fs->err)) == NULL)
		return -1;
	memcpy(b->buf, u->img, B);
	b->vhash = b->nodeh = e->bp.hash;
	b->flags = (b->flags & ~(uint32_t)BLK_BADHASH) | BLK_VERIFIED | BLK_NODEOK;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	return 0;
}

/* A new data block at a: the n bytes of buf, zeros after them (copied
 * once, straight into the cache). */
static int
datafill(Gefs *fs, uint64_t a, const uint8_t *buf, size_t n, GefsBptr *bp)
{
	Blk *b;

	if ((b = cacheget(fs->cache, a, CACHE_FILL, &fs->err)) == NULL)
		return -1;
	memcpy(b->buf, buf, n);
	if (n < B)
		memset(b->buf + n, 0, B - n);
	*bp = (GefsBptr){a, gefs_blkhash(b->buf), fs->ed->wgen};
	b->vhash = bp->hash;
	b->flags = (b->flags & ~(uint32_t)BLK_BADHASH) | BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	return 0;
}

int
datawrite(Gefs *fs, const uint8_t *buf, GefsBptr *bp)
{
	uint64_t a;

	if (fs->ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "writing data: %s is open read-only", devpath(fs->dev));
	if (blknew(fs, &a) < 0)
		return -1;
	return datafill(fs, a, buf, B, bp);
}

int
datawriteq(Gefs *fs, uint64_t qid, bool full, const uint8_t *buf, size_t n, GefsBptr *bp)
{
	uint64_t a;

	if (fs->ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "writing data: %s is open read-only", devpath(fs->dev));
	if (blknewdat(fs, qid, full, &a) < 0)
		return -1;
	return datafill(fs, a, buf, n, bp);
}

/* ---- leaves ---- */

typedef struct Kvs {
	GefsKv		*kv;
	int		n;
	uint8_t		*vbuf;		/* values produced by messages */
	size_t		nvbuf;
} Kvs;

/* §10.5: an Oinsert, Odelete or Oclearb applied to an existing Kdat
 * value releases the data block it points to. */
static int
releasedat(Up *u, const GefsMsg *m, bool found, const uint8_t *v, uint16_t nv)
{
	GefsBptr bp;

	if (!found || m->nk == 0 || m->k[0] != GEFS_KDAT || nv != GEFS_PTRSZ)
		return 0;
	if (m->op != GEFS_OINSERT && m->op != GEFS_ODELETE && m->op != GEFS_OCLEARB)
		return 0;
	gefs_unpackbptr(&bp, v);
	return later(u, &bp);
}

/* Apply the run of messages m[0..n) for one key to the leaf value (kv
 * NULL: absent) and append the result to out unless absent. */
static int
applyrun(Up *u, uint64_t addr, const GefsKv *kv, const GefsMsg *m, int n, Kvs *out)
{
	uint8_t *v = out->vbuf + out->nvbuf;
	uint16_t nv = 0;
	bool found = kv != NULL;
	int i;

	if (found) {
		memcpy(v, kv->v, kv->nv);
		nv = kv->nv;
	}
	for (i = 0; i < n; i++)
		if (releasedat(u, &m[i], found, v, nv) < 0 || applymsg(u->fs, &m[i], addr, &found, v, &nv) < 0)
			return -1;
	if (!found)
		return 0;
	out->kv[out->n++] = (GefsKv){m[0].k, m[0].nk, v, nv};
	out->nvbuf += GEFS_INLMAX;
	return 0;
}

/* Merge the leaf's pairs (n NULL: none) with the messages into out. */
static int
leafmerge(Up *u, const GefsNode *n, const GefsMsg *m, int nm, Kvs *out)
{
	int i = 0, j = 0, k, nval = n != NULL ? n->nval : 0, c;
	uint64_t addr = n != NULL ? n->addr : GEFS_NONE;
	GefsKv kv;

	while (i < nval || j < nm) {
		if (i < nval)
			gefs_nodekv(n, i, &kv);
		c = i >= nval ? 1 : j >= nm ? -1 : gefs_keycmp(kv.k, kv.nk, m[j].k, m[j].nk);
		if (c < 0) {
			out->kv[out->n++] = kv;
			i++;
			continue;
		}
		for (k = j + 1; k < nm && gefs_keycmp(m[k].k, m[k].nk, m[j].k, m[j].nk) == 0; k++)
			;
		if (applyrun(u, addr, c == 0 ? &kv : NULL, &m[j], k - j, out) < 0)
			return -1;
		i += c == 0;
		j = k;
	}
	return 0;
}

/* Pack the pairs into leaves of at most LEAFFILL bytes each (one leaf
 * when they all fit in one). */
static int
packleaves(Up *u, const Kvs *s, Ents *out)
{
	size_t tot = 0, acc = 0, need, target;
	int i;

	for (i = 0; i < s->n; i++)
		tot += ENTHD + (size_t)s->kv[i].nk + s->kv[i].nv;
	target = tot <= GEFS_LEAFSPC ? GEFS_LEAFSPC : tot / ((tot + LEAFFILL - 1) / LEAFFILL);
	gefs_nodeinit(u->img, GEFS_TLEAF);
	for (i = 0; i < s->n; i++) {
		need = ENTHD + (size_t)s->kv[i].nk + s->kv[i].nv;
		if (acc > 0 && acc + need > target) {
			if (emit(u, out) < 0)
				return -1;
			gefs_nodeinit(u->img, GEFS_TLEAF);
			acc = 0;
		}
		if (gefs_nodeadd(u->img, s->kv[i].k, s->kv[i].nk, s->kv[i].v, s->kv[i].nv, &u->fs->err) < 0)
			return -1;
		acc += need;
	}
	return acc > 0 ? emit(u, out) : 0;
}

/* A leaf (n NULL: an empty one) with messages m applied: 0, 1 or more
 * leaves appended to out. */
static int
leafapply(Up *u, const GefsNode *n, const GefsMsg *m, int nm, Ents *out)
{
	int nval = n != NULL ? n->nval : 0;
	Kvs s = {0};
	int rc = -1;

	s.kv = malloc(((size_t)nval + (size_t)nm + 1) * sizeof *s.kv);
	s.vbuf = malloc(((size_t)nm + 1) * GEFS_INLMAX);
	if (s.kv == NULL || s.vbuf == NULL)
		rc = nomem(u);
	else if (leafmerge(u, n, m, nm, &s) == 0)
		rc = packleaves(u, &s, out);
	free(s.kv);
	free(s.vbuf);
	return rc;
}

/* ---- pivots ---- */

/* The node's entries as child pointers. */
static int
loadents(Up *u, const GefsNode *n, Ents *s)
{
	GefsKv kv;
	GefsErr e;
	int i;

	if (entsopen(u, s, 0, n->nval) < 0)
		return -1;
	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		memcpy(s->e[i].k, kv.k, kv.nk);
		s->e[i].nk = kv.nk;
		if (gefs_unpackpivval(&s->e[i].bp, &s->e[i].fill, kv.v, kv.nv, &e) < 0)
			return gefs_seterr(&u->fs->err, EBADMSG, "block 0x%llx (pivot): entry %d: %s",
				(unsigned long long)n->addr, i, e.msg);
	}
	return 0;
}

/* The node's buffered messages followed, key by key, by the incoming
 * ones (deeper is older, §8.5 rule 7): a stable merge into *all. */
static int
mergemsgs(Up *u, const GefsNode *n, const GefsMsg *in, int nin, GefsMsg **all)
{
	GefsMsg *a, m;
	int i = 0, j = 0, k = 0;

	if ((a = malloc(((size_t)n->nbuf + (size_t)nin + 1) * sizeof *a)) == NULL)
		return nomem(u);
	while (i < n->nbuf || j < nin) {
		if (i < n->nbuf)
			gefs_nodemsg(n, i, &m);
		if (i < n->nbuf && (j >= nin || gefs_keycmp(m.k, m.nk, in[j].k, in[j].nk) <= 0)) {
			a[k++] = m;
			i++;
		} else
			a[k++] = in[j++];
	}
	*all = a;
	return k;
}

/* Bytes the messages take in a buffer, offsets included. */
static int
bufbytes(const GefsMsg *m, int n)
{
	int i, sz = 0;

	for (i = 0; i < n; i++)
		sz += msgsz(&m[i]);
	return sz;
}

/* The child whose range receives the most message bytes (the first on a
 * tie), and that range [*lo, *hi) of m.  Messages below the first key
 * belong to child 0 (§8.5 rule 4). */
static int
victim(const Ents *s, const GefsMsg *m, int nm, int *lo, int *hi)
{
	int c = 0, j = 0, start, best = -1, bestsz = -1, sz;

	for (c = 0; c < s->n; c++) {
		start = j;
		sz = 0;
		while (j < nm && (c == s->n - 1
		|| gefs_keycmp(m[j].k, m[j].nk, s->e[c + 1].k, s->e[c + 1].nk) < 0))
			sz += msgsz(&m[j++]);
		if (sz > bestsz) {
			best = c;
			bestsz = sz;
			*lo = start;
			*hi = j;
		}
	}
	return best;
}

/* Pivot nodes over the entries, each holding the messages of its range,
 * split so that every one keeps PIVROOM free. */
static int
packpivots(Up *u, const Ents *s, const GefsMsg *m, int nm, Ents *out)
{
	uint8_t v[GEFS_PIVVALSZ];
	size_t tot = 0, acc = 0, target;
	int i, j = 0;

	for (i = 0; i < s->n; i++)
		tot += (size_t)entsz(&s->e[i]);
	target = tot <= PIVMAX ? PIVMAX : tot / ((tot + PIVFILL - 1) / PIVFILL);
	gefs_nodeinit(u->img, GEFS_TPIVOT);
	for (i = 0; i < s->n; i++) {
		if (acc > 0 && acc + (size_t)entsz(&s->e[i]) > target) {
			for (; j < nm && gefs_keycmp(m[j].k, m[j].nk, s->e[i].k, s->e[i].nk) < 0; j++)
				if (gefs_nodeaddmsg(u->img, &m[j], &u->fs->err) < 0)
					return -1;
			if (emit(u, out) < 0)
				return -1;
			gefs_nodeinit(u->img, GEFS_TPIVOT);
			acc = 0;
		}
		gefs_packpivval(v, &s->e[i].bp, s->e[i].fill);
		if (gefs_nodeadd(u->img, s->e[i].k, s->e[i].nk, v, sizeof v, &u->fs->err) < 0)
			return -1;
		acc += (size_t)entsz(&s->e[i]);
	}
	for (; j < nm; j++)
		if (gefs_nodeaddmsg(u->img, &m[j], &u->fs->err) < 0)
			return -1;
	return emit(u, out);
}

/* Levels of pivots over s until they stand at depth (s is at depth+lv). */
static int
stack(Up *u, Ents *s, int lv)
{
	Ents up = {0};

	while (lv-- > 0) {
		up.n = 0;
		if (s->n > 0 && packpivots(u, s, NULL, 0, &up) < 0) {
			free(up.e);
			return -1;
		}
		free(s->e);
		*s = up;
		up = (Ents){0};
	}
	return 0;
}

/* Flush child c with the messages all[lo, hi), replacing its entry by
 * what it becomes, and drop those messages. */
static int
flushchild(Up *u, Ents *s, int c, int depth, GefsMsg *all, int *nall, int lo, int hi)
{
	Ents sub = {0};
	int rc = -1;

	if (flush(u, &s->e[c].bp, depth + 1, all + lo, hi - lo, &sub) < 0)
		goto out;
	memmove(&s->e[c], &s->e[c + 1], (size_t)(s->n - c - 1) * sizeof *s->e);
	s->n--;
	if (entsopen(u, s, c, sub.n) < 0)
		goto out;
	if (sub.n > 0)
		memcpy(&s->e[c], sub.e, (size_t)sub.n * sizeof *sub.e);
	memmove(&all[lo], &all[hi], (size_t)(*nall - hi) * sizeof *all);
	*nall -= hi - lo;
	rc = 0;
out:
	free(sub.e);
	return rc;
}

/* §11.4 step 2: messages that fit in the pivot's buffer are packed into
 * a copy of it, each after the buffered ones of a smaller or equal key
 * (in sorted order, so one forward scan finds every place). */
static int
fastpath(Up *u, const GefsNode *n, const GefsMsg *in, int nin, Ents *out)
{
	GefsNode c = *n;
	GefsMsg m;
	int i, j = 0;

	memcpy(u->img, n->b, B);
	c.b = u->img;
	for (i = 0; i < nin; i++) {
		for (; j < c.nbuf; j++) {
			gefs_nodemsg(&c, j, &m);
			if (gefs_keycmp(m.k, m.nk, in[i].k, in[i].nk) > 0)
				break;
		}
		if (gefs_nodeinsmsg(u->img, j, &in[i], &u->fs->err) < 0)
			return -1;
		c.nbuf++;
		j++;
	}
	return emit(u, out);
}

/* A pivot with messages in arriving: packed into a copy of it when they
 * fit, else children are flushed until the buffer fits and the pivot is
 * rebuilt (split if its entries outgrew it). */
static int
pivotflush(Up *u, const GefsNode *n, int depth, const GefsMsg *in, int nin, Ents *out)
{
	Ents s = {0}, sub = {0};
	GefsMsg *all = NULL;
	int nall, c, lo, hi, rc = -1;

	if (2 * n->nbuf + n->bufsz + bufbytes(in, nin) <= GEFS_BUFSPC && gefs_msgpacked(n))
		return fastpath(u, n, in, nin, out);
	if (loadents(u, n, &s) < 0 || (nall = mergemsgs(u, n, in, nin, &all)) < 0)
		goto out;
	while (s.n > 0 && bufbytes(all, nall) > GEFS_BUFSPC) {
		c = victim(&s, all, nall, &lo, &hi);
		if (flushchild(u, &s, c, depth, all, &nall, lo, hi) < 0)
			goto out;
	}
	if (s.n > 0)
		rc = packpivots(u, &s, all, nall, out);
	else if (leafapply(u, NULL, all, nall, &sub) == 0 && stack(u, &sub, u->ht - 1 - depth) == 0) {
		/* every child emptied: what the buffer still holds becomes a
		 * new subtree of the right height */
		if (entsopen(u, out, out->n, sub.n) == 0) {
			if (sub.n > 0)
				memcpy(&out->e[out->n - sub.n], sub.e, (size_t)sub.n * sizeof *sub.e);
			rc = 0;
		}
	}
out:
	free(sub.e);
	free(s.e);
	free(all);
	return rc;
}

/* Rewrite the node bp points to (at depth) with the messages in[0..nin)
 * arriving from above; the nodes it becomes (none if it emptied) are
 * appended to out and the old node is released. */
static int
flush(Up *u, const GefsBptr *bp, int depth, const GefsMsg *in, int nin, Ents *out)
{
	GefsNode n;
	GefsBptr old = *bp;
	Blk *b;
	int rc;

	if ((b = loadnode(u->t, bp, depth, &n)) == NULL)
		return -1;
	if (n.type == GEFS_TLEAF)
		rc = leafapply(u, &n, in, nin, out);
	else
		rc = pivotflush(u, &n, depth, in, nin, out);
	putblk(u->fs, b);
	if (rc < 0)
		return -1;
	return later(u, &old);
}

/* ---- the batch ---- */

typedef struct Ord {
	GefsMsg		m;
	int		i;
} Ord;

static int
ordcmp(const void *a, const void *b)
{
	const Ord *x = a, *y = b;
	int c = gefs_keycmp(x->m.k, x->m.nk, y->m.k, y->m.nk);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* Check and stably sort n messages by key into out. */
static int
sortmsgs(Up *u, const GefsMsg *m, int n, GefsMsg *out)
{
	Ord *o;
	int i;

	if ((o = malloc((size_t)n * sizeof *o)) == NULL)
		return nomem(u);
	for (i = 0; i < n; i++) {
		if (m[i].op < GEFS_OINSERT || m[i].op > GEFS_OREPREV || m[i].nk > GEFS_KEYMAX
		|| m[i].nv > GEFS_INLMAX) {
			free(o);
			return gefs_seterr(&u->fs->err, EINVAL, "tree update: message %d: op %d, key %u, value %u bytes",
				i, m[i].op, m[i].nk, m[i].nv);
		}
		o[i] = (Ord){m[i], i};
		if (o[i].m.op == GEFS_ODELETE)
			o[i].m.nv = 0;		/* written empty (§10.1) */
	}
	qsort(o, (size_t)n, sizeof *o, ordcmp);
	for (i = 0; i < n; i++)
		out[i] = o[i].m;
	free(o);
	return 0;
}

/* The new root over the nodes the old root became: pivots stacked while
 * there are several, an empty leaf when there are none. */
static int
newroot(Up *u, Ents *out, int *ht)
{
	while (out->n > 1) {
		if (*ht >= GEFS_MAXHT)
			return gefs_seterr(&u->fs->err, EFBIG, "tree update: taller than %d levels", GEFS_MAXHT);
		if (stack(u, out, 1) < 0)
			return -1;
		(*ht)++;
	}
	if (out->n == 0) {
		gefs_nodeinit(u->img, GEFS_TLEAF);
		if (emit(u, out) < 0)
			return -1;
		*ht = 1;
	}
	return 0;
}

/* Undo a failed pass: its new blocks are freed, the tree is untouched. */
static void
undo(Up *u)
{
	GefsErr keep = u->fs->err;
	GefsBptr bp;
	int i;

	for (i = 0; i < u->nnw; i++) {
		bp = (GefsBptr){u->nw[i], GEFS_NONE, u->gen};
		if (blkrelease(u->fs, u->t, &bp) < 0)
			u->fs->ed->broken = true;	/* the edit cannot be trusted now */
	}
	u->fs->err = keep;
}

/* Apply the releases of a pass that succeeded (§14.1).  A failure here
 * (no block for a deadlist) leaves the edit inconsistent: latched. */
static int
settle(Up *u)
{
	Edit *ed = u->fs->ed;
	bool res = ed->reserve;
	int i, rc = 0;

	ed->reserve = true;	/* deadlist blocks record space given back */
	for (i = 0; i < u->nrel && rc == 0; i++)
		if (blkrelease(u->fs, u->t, &u->rel[i]) < 0) {
			ed->broken = true;
			rc = gefs_wraperr(&u->fs->err, "tree update: releasing replaced blocks (abort the edit)");
		}
	ed->reserve = res;
	return rc;
}

/* One pass of sorted messages from the root: all of it or nothing. */
static int
pass(Up *u, const GefsMsg *m, int n)
{
	GefsTree *t = u->t;
	Ents out = {0};
	int ht = t->snap.ht, rc = -1;

	u->ht = ht;
	u->nrel = u->nnw = 0;
	if (flush(u, &t->snap.root, 0, m, n, &out) == 0 && newroot(u, &out, &ht) == 0) {
		t->snap.root = out.e[0].bp;
		t->snap.ht = ht;
		rc = settle(u);
	} else
		undo(u);
	free(out.e);
	return rc;
}

/* The generation a tree's next record gets (§13.4): the open generation
 * for the first tree changed in an edit, fresh ones after it. */
static void
markdirty(GefsTree *t)
{
	if (!t->dirty && !t->snaptree)
		t->wgen = drawgen(t->fs);
	t->dirty = true;
}

int
treeupsert(GefsTree *t, const GefsMsg *m, int n)
{
	Gefs *fs = t->fs;
	GefsMsg *s;
	Up *u;
	int i, k, rc = 0;

	if (fs->ed == NULL || !t->writable)
		return gefs_seterr(&fs->err, EROFS, "tree update: the tree is not open for writing");
	if (fs->ed->broken)
		return gefs_seterr(&fs->err, EIO, "tree update: refused after a failed commit");
	if (n <= 0)
		return 0;
	u = malloc(sizeof *u);
	s = malloc((size_t)n * sizeof *s);
	if (u == NULL || s == NULL) {
		free(u);
		free(s);
		return gefs_seterr(&fs->err, ENOMEM, "tree update: out of memory");
	}
	/* img (16 KiB) is built before it is read: not cleared per upsert */
	memset(u, 0, offsetof(Up, img));
	u->fs = fs;
	u->t = t;
	u->gen = t->snaptree ? 0 : fs->ed->wgen;
	markdirty(t);
	/* chunks in submission order keep each key's messages in order */
	for (i = 0; i < n && rc == 0; i += k) {
		k = n - i < CHUNK ? n - i : CHUNK;
		rc = sortmsgs(u, m + i, k, s);
		if (rc == 0)
			rc = pass(u, s, k);
	}
	free(s);
	free(u->rel);
	free(u->nw);
	free(u);
	return rc;
}
