/* SPDX-License-Identifier: MIT */
/*
 * snap — the snapshot tree (§9.5–§9.7, §13): opening it, resolving labels
 * and snapshot records to file-system trees, and listing labels, records
 * and deadlists; every value is decoded by pack before use.  The write
 * side (§7, §14.2): deadlists appended to by kills during an edit, sealed
 * and entered into the snapshot tree by the commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static GefsTree *
newtree(Gefs *fs)
{
	GefsTree *t;

	t = calloc(1, sizeof *t);
	if (t == NULL)
		gefs_seterr(&fs->err, ENOMEM, "tree: out of memory");
	return t;
}

GefsTree *
gefs_snaptree(Gefs *fs)
{
	GefsBptr root;
	GefsTree *t;

	t = newtree(fs);
	if (t == NULL)
		return NULL;
	root.addr = fs->sb.snapaddr;
	root.hash = fs->sb.snaphash;
	root.gen = GEFS_NONE;	/* not stored (§4) */
	if (treeinit(t, fs, &root, (int)fs->sb.snapht, "superblock: snapshot tree") < 0) {
		free(t);
		return NULL;
	}
	t->snaptree = true;
	t->snap.gen = -1;
	t->snap.pred = -1;
	t->snap.succ = -1;
	t->snap.base = -1;
	return t;
}

/* Look key k up in the snapshot tree: 0 found, 1 absent, -1 error. */
static int
snapget(Gefs *fs, const uint8_t *k, size_t nk, uint8_t *v, uint16_t *nv)
{
	GefsTree *st;
	int rc;

	st = gefs_snaptree(fs);
	if (st == NULL)
		return -1;
	rc = treeget(st, k, nk, v, nv);
	gefs_closetree(st);
	return rc;
}

int
gefs_getsnap(Gefs *fs, uint64_t gen, GefsSnap *s)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	size_t nk;
	GefsErr e;
	int rc;

	nk = gefs_packsnapkey(k, gen);
	rc = snapget(fs, k, nk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return gefs_seterr(&fs->err, ENOENT, "snapshot %lld: no such record", (long long)gen);
	if (gefs_unpacksnap(s, v, nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Ksnap(%lld): %s", (long long)gen, e.msg);
	if ((uint64_t)s->gen != gen)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Ksnap(%lld): record gen %lld differs",
			(long long)gen, (long long)s->gen);
	return 0;
}

int
gefs_getlabel(Gefs *fs, const char *name, GefsLabel *l)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	size_t n = strlen(name), nk;
	uint16_t nv;
	GefsErr e;
	int rc;

	if (n == 0 || n > GEFS_LABELMAX)
		return gefs_seterr(&fs->err, ENOENT, "label \"%.64s\": no such label", name);
	nk = gefs_packlabelkey(k, name, n);
	rc = snapget(fs, k, nk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return gefs_seterr(&fs->err, ENOENT, "label \"%.255s\": no such label", name);
	if (gefs_unpacklabel(l, v, nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel(\"%.255s\"): %s", name, e.msg);
	return 0;
}

GefsTree *
gefs_opensnap(Gefs *fs, uint64_t gen)
{
	GefsSnap s;
	GefsTree *t;
	char what[64];

	if (gefs_getsnap(fs, gen, &s) < 0)
		return NULL;
	t = newtree(fs);
	if (t == NULL)
		return NULL;
	snprintf(what, sizeof what, "snapshot %lld", (long long)gen);
	if (treeinit(t, fs, &s.root, s.ht, what) < 0) {
		free(t);
		return NULL;
	}
	t->snap = s;
	return t;
}

/* The writable tree of label already open in this edit, or NULL. */
static GefsTree *
sharedtree(Gefs *fs, const char *label)
{
	GefsTree *t;

	for (t = fs->ed->trees; t != NULL; t = t->next)
		if (strcmp(t->label, label) == 0)
			return t;
	return NULL;
}

/* Make t the edit's writable tree of a mutable label (§15.5 step 2). */
static void
makewritable(Gefs *fs, GefsTree *t, const char *label, const GefsLabel *l)
{
	t->writable = true;
	t->ref = 1;
	t->orig = t->snap;
	t->wgen = GEFS_NONE;
	snprintf(t->label, sizeof t->label, "%s", label);
	t->lflags = l->flags;
	t->next = fs->ed->trees;
	fs->ed->trees = t;
}

GefsTree *
gefs_opentree(Gefs *fs, const char *label)
{
	GefsLabel l;
	GefsTree *t;
	bool rw = fs->ed != NULL && !fs->ed->broken;

	if (rw && (t = sharedtree(fs, label)) != NULL) {
		t->ref++;
		return t;
	}
	if (gefs_getlabel(fs, label, &l) < 0)
		return NULL;
	t = gefs_opensnap(fs, l.gen);
	if (t == NULL && fs->err.code == ENOENT)
		fs->err.code = EBADMSG;	/* a label without its record is damage */
	if (t == NULL)
		gefs_wraperr(&fs->err, "label \"%.200s\"", label);
	else if (rw && (l.flags & GEFS_LMUT))
		makewritable(fs, t, label, &l);
	return t;
}

/* Scan every snapshot-tree key of type ktype, calling each(arg, kv);
 * stops on a non-zero return, which is passed back. */
static int
walktype(Gefs *fs, uint8_t ktype, int (*each)(Gefs *, const GefsKv *, void *), void *arg)
{
	GefsTree *st;
	GefsScan *sc;
	GefsKv kv;
	int rc;

	st = gefs_snaptree(fs);
	if (st == NULL)
		return -1;
	sc = gefs_scanprefix(st, &ktype, 1);
	if (sc == NULL) {
		gefs_closetree(st);
		return -1;
	}
	while ((rc = gefs_scannext(sc, &kv)) == 1)
		if ((rc = each(fs, &kv, arg)) != 0)
			break;
	gefs_scanfree(sc);
	gefs_closetree(st);
	return rc;
}

typedef struct Walkarg {
	GefsLabelFn	lfn;
	GefsSnapFn	sfn;
	GefsDlistFn	dfn;
	void		*arg;
} Walkarg;

static int
eachlabel(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char name[GEFS_KEYMAX];
	GefsLabel l;
	GefsErr e;

	if (kv->nk < 2)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel with an empty name");
	memcpy(name, kv->k + 1, kv->nk - 1u);
	name[kv->nk - 1] = 0;
	if (gefs_unpacklabel(&l, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel(\"%.200s\"): %s", name, e.msg);
	return w->lfn(w->arg, name, kv->nk - 1u, &l);
}

int
gefs_walklabels(Gefs *fs, GefsLabelFn fn, void *arg)
{
	Walkarg w = { .lfn = fn, .arg = arg };

	return walktype(fs, GEFS_KLABEL, eachlabel, &w);
}

static int
eachsnap(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char ks[128];
	GefsKey key;
	GefsSnap s;
	GefsErr e;

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	if (gefs_unpackkey(&key, kv->k, kv->nk, &e) < 0 || gefs_unpacksnap(&s, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: %s", ks, e.msg);
	if ((uint64_t)s.gen != key.gen)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: record gen %lld differs",
			ks, (long long)s.gen);
	return w->sfn(w->arg, &s);
}

int
gefs_walksnaps(Gefs *fs, GefsSnapFn fn, void *arg)
{
	Walkarg w = { .sfn = fn, .arg = arg };

	return walktype(fs, GEFS_KSNAP, eachsnap, &w);
}

static int
eachdlist(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char ks[128];
	GefsKey key;
	GefsDlist d;
	GefsErr e;

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	if (gefs_unpackkey(&key, kv->k, kv->nk, &e) < 0 || gefs_unpackdlist(&d, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: %s", ks, e.msg);
	return w->dfn(w->arg, key.gen, key.bgen, &d);
}

int
gefs_walkdlists(Gefs *fs, GefsDlistFn fn, void *arg)
{
	Walkarg w = { .dfn = fn, .arg = arg };

	return walktype(fs, GEFS_KDLIST, eachdlist, &w);
}

/* ------------------------------------------------------------------ */
/* Deadlists being appended to (§7, §14.2)                            */
/* ------------------------------------------------------------------ */

enum {
	DLSLOP	= 40,	/* §7: a new head block when fewer free body bytes remain */
};

static int
dlcmp(const Dl *d, uint64_t gen, uint64_t bgen)
{
	if (d->gen != gen)
		return d->gen < gen ? -1 : 1;
	if (d->bgen != bgen)
		return d->bgen < bgen ? -1 : 1;
	return 0;
}

/* Index of the first list >= (gen, bgen). */
static size_t
dlfind(Edit *ed, uint64_t gen, uint64_t bgen)
{
	size_t lo = 0, hi = ed->ndl, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dlcmp(&ed->dl[mid], gen, bgen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The committed Kdlist(gen, bgen): 0 found, 1 absent, -1 error. */
static int
dlload(Gefs *fs, uint64_t gen, uint64_t bgen, GefsDlist *d)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	GefsErr e;
	int rc;

	rc = snapget(fs, k, gefs_packdlistkey(k, gen, bgen), v, &nv);
	if (rc != 0)
		return rc;
	if (gefs_unpackdlist(d, v, nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Kdlist(%lld, %lld): %s",
			(long long)gen, (long long)bgen, e.msg);
	return 0;
}

/* The edit's entry for Kdlist(gen, bgen), created from the committed
 * list (or empty) on first use. */
Dl *
dlget(Gefs *fs, uint64_t gen, uint64_t bgen)
{
	Edit *ed = fs->ed;
	GefsDlist d;
	size_t i, cap;
	Dl *p;
	int rc;

	i = dlfind(ed, gen, bgen);
	if (i < ed->ndl && dlcmp(&ed->dl[i], gen, bgen) == 0)
		return &ed->dl[i];
	if ((rc = dlload(fs, gen, bgen, &d)) < 0)
		return NULL;
	if (ed->ndl == ed->capdl) {
		cap = ed->capdl ? 2 * ed->capdl : 16;
		if ((p = realloc(ed->dl, cap * sizeof *p)) == NULL) {
			gefs_seterr(&fs->err, ENOMEM, "out of memory");
			return NULL;
		}
		ed->dl = p;
		ed->capdl = cap;
	}
	memmove(&ed->dl[i + 1], &ed->dl[i], (ed->ndl - i) * sizeof *ed->dl);
	ed->ndl++;
	p = &ed->dl[i];
	memset(p, 0, sizeof *p);
	*p = (Dl){.gen = gen, .bgen = bgen, .hd = GEFS_NONE, .tl = GEFS_NONE, .existed = rc == 0};
	if (rc == 0) {
		p->hd = d.hd.addr;
		p->tl = d.tl.addr;
	}
	return p;
}

/* Seal the head block of d (logsz and logh, §7) if it is new. */
static int
dlseal(Gefs *fs, Dl *d)
{
	GefsLogHdr h;
	GefsErr e;
	Blk *b;

	if (!d->hdnew)
		return 0;
	if ((b = cacheget(fs->cache, d->hd, CACHE_READ, &fs->err)) == NULL)
		return -1;
	if (gefs_unpackloghdr(&h, b->buf, GEFS_TDLIST, d->hd, &e) < 0) {
		cacheput(fs->cache, b);
		return gefs_seterr(&fs->err, EBADMSG, "%s", e.msg);
	}
	h.logsz = d->cursz;
	gefs_packloghdr(b->buf, &h);
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	return 0;
}

/* Start a new head block for d, chained to the old head (§7: newest
 * first).  Deadlist blocks are snapshot-tree metadata (gen 0). */
static int
dlnewblk(Gefs *fs, Dl *d)
{
	GefsLogHdr h;
	uint64_t a;
	Blk *b;

	if (dlseal(fs, d) < 0 || blknew(fs, &a) < 0)
		return -1;
	if ((b = cacheget(fs->cache, a, CACHE_NOREAD, &fs->err)) == NULL)
		return -1;
	memset(b->buf, 0, GEFS_BLKSZ);
	h = (GefsLogHdr){.type = GEFS_TDLIST, .chain = {d->hd, GEFS_NONE, 0}};
	gefs_packloghdr(b->buf, &h);
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	if (d->tl == GEFS_NONE)
		d->tl = a;
	d->hd = a;
	d->hdnew = true;
	d->cursz = 0;
	return 0;
}

int
dlkill(Gefs *fs, uint64_t gen, uint64_t bgen, uint64_t addr)
{
	Dl *d;
	Blk *b;

	if ((d = dlget(fs, gen, bgen)) == NULL)
		return -1;
	if ((!d->hdnew || GEFS_LOGSPC - d->cursz < DLSLOP) && dlnewblk(fs, d) < 0)
		return -1;
	if ((b = cacheget(fs->cache, d->hd, CACHE_READ, &fs->err)) == NULL)
		return -1;
	gefs_packdlent(b->buf, d->cursz / GEFS_DLENTSZ, addr);
	d->cursz = (uint16_t)(d->cursz + GEFS_DLENTSZ);
	d->gone = false;
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	d->changed = true;
	return 0;
}

/* §14.1: the generation-aware release. */
int
blkrelease(Gefs *fs, GefsTree *t, const GefsBptr *bp)
{
	if (fs->ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "releasing: %s is open read-only", devpath(fs->dev));
	if (blkfresh(fs, bp->addr))
		return freefresh(fs, bp->addr);
	if (t == NULL || t->snaptree)
		return blkdefer(fs, bp->addr);	/* §14.5: after the commit */
	if (bp->gen >= fs->ed->wgen)
		return gefs_seterr(&fs->err, EBADMSG, "releasing 0x%llx: born in generation %llu, not in this edit",
			(unsigned long long)bp->addr, (unsigned long long)bp->gen);
	if ((int64_t)bp->gen <= t->snap.base)
		return 0;	/* §14.2: the line it was forked from owns it */
	return dlkill(fs, t->wgen, bp->gen, bp->addr);
}

/* Walk the deadlist chain from hd (newest first, §7) until NONE, calling
 * fn on every listed block and then on the chain block itself; bounded by
 * the device's block count (a cycle is damage). */
static int
dlwalk(Gefs *fs, uint64_t hd, int (*fn)(Gefs *, void *, uint64_t, bool), void *arg)
{
	uint64_t a = hd, next, left = devsize(fs->dev) / GEFS_BLKSZ;
	GefsLogHdr h;
	Blk *b;
	int i;

	while (a != GEFS_NONE) {
		if (left-- == 0)
			return gefs_seterr(&fs->err, EBADMSG, "deadlist from 0x%llx: the chain does not end",
				(unsigned long long)hd);
		if ((b = getlogblk(fs, a, GEFS_TDLIST, &h)) == NULL)
			return -1;
		for (i = 0; i < h.logsz / GEFS_DLENTSZ; i++)
			if (fn(fs, arg, gefs_unpackdlent(b->buf, i), false) < 0) {
				putblk(fs, b);
				return -1;
			}
		next = h.chain.addr;
		putblk(fs, b);
		if (fn(fs, arg, a, true) < 0)
			return -1;
		a = next;
	}
	return 0;
}

/* Release one block (§14.4 frees): a block of this edit now, a
 * committed one once the commit is durable. */
static int
dropone(Gefs *fs, void *arg, uint64_t addr, bool chain)
{
	GefsBptr bp = {addr, GEFS_NONE, 0};

	(void)arg;
	(void)chain;
	return blkrelease(fs, NULL, &bp);
}

typedef struct Copy {
	uint64_t	gen, bgen;
} Copy;

/* Copy a listed block into another list; release the chain blocks. */
static int
copyone(Gefs *fs, void *arg, uint64_t addr, bool chain)
{
	Copy *c = arg;

	if (chain)
		return dropone(fs, NULL, addr, true);
	return dlkill(fs, c->gen, c->bgen, addr);
}

/* Mark d deleted. */
static void
dlgone(Dl *d)
{
	d->hd = d->tl = GEFS_NONE;
	d->hdnew = false;
	d->cursz = 0;
	d->gone = true;
	d->changed = true;
}

/* Free every block d lists and its own blocks, delete it (§14.4). */
static int
dlfree(Gefs *fs, uint64_t gen, uint64_t bgen)
{
	Dl *d = dlget(fs, gen, bgen);
	uint64_t hd;

	if (d == NULL || dlseal(fs, d) < 0)
		return -1;
	hd = d->hd;
	dlgone(d);
	return dlwalk(fs, hd, dropone, NULL);
}

/* Splice the chain hd..tl of a list onto dst's fresh tail block. */
static int
dlsplice(Gefs *fs, Dl *dst, uint64_t hd, uint64_t tl)
{
	GefsLogHdr h;
	GefsErr e;
	Blk *b;

	if ((b = cacheget(fs->cache, dst->tl, CACHE_READ, &fs->err)) == NULL)
		return -1;
	if (gefs_unpackloghdr(&h, b->buf, GEFS_TDLIST, dst->tl, &e) < 0) {
		cacheput(fs->cache, b);
		return gefs_seterr(&fs->err, EBADMSG, "%s", e.msg);
	}
	h.chain = (GefsBptr){hd, GEFS_NONE, 0};
	gefs_packloghdr(b->buf, &h);
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	dst->tl = tl;
	dst->changed = true;
	return 0;
}

/* Merge Kdlist(gen, bgen) into Kdlist(dgen, bgen) (§14.4) without ever
 * rewriting a committed block: an empty destination takes the chain, a
 * destination whose tail is a block of this edit gets the chain spliced
 * on (tl kept true, §27.3), any other gets the entries copied into new
 * blocks (the source's blocks are then released). */
int
dlmerge(Gefs *fs, uint64_t gen, uint64_t dgen, uint64_t bgen)
{
	Dl *s, *d, src;
	Copy c = {dgen, bgen};

	if ((d = dlget(fs, dgen, bgen)) == NULL || (s = dlget(fs, gen, bgen)) == NULL || dlseal(fs, s) < 0)
		return -1;
	src = *s;
	dlgone(s);
	if (src.hd == GEFS_NONE)
		return 0;
	d = dlget(fs, dgen, bgen);
	if (d->hd == GEFS_NONE) {
		d->hd = src.hd;
		d->tl = src.tl;
		d->hdnew = src.hdnew;
		d->cursz = src.cursz;
		d->changed = true;
		return 0;
	}
	if (blkfresh(fs, d->tl))
		return dlsplice(fs, d, src.hd, src.tl);
	return dlwalk(fs, src.hd, copyone, &c);
}

typedef struct Gens {
	uint64_t	*b;
	size_t		n, cap;
} Gens;

static int
gensadd(Gefs *fs, Gens *g, uint64_t b)
{
	uint64_t *p;

	if (g->n > 0 && g->b[g->n - 1] == b)
		return 0;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 32;
		if ((p = realloc(g->b, g->cap * sizeof *p)) == NULL)
			return gefs_seterr(&fs->err, ENOMEM, "out of memory");
		g->b = p;
	}
	g->b[g->n++] = b;
	return 0;
}

/* The bgens of every Kdlist(gen, *), committed or of this edit. */
static int
dlgens(Gefs *fs, uint64_t gen, Gens *g)
{
	uint8_t pre[GEFS_KEYMAX];
	GefsTree *st;
	GefsScan *sc;
	GefsKey key;
	GefsKv kv;
	size_t i;
	int rc;

	gefs_packdlistkey(pre, gen, 0);
	if ((st = gefs_snaptree(fs)) == NULL)
		return -1;
	if ((sc = gefs_scanprefix(st, pre, 9)) == NULL) {
		gefs_closetree(st);
		return -1;
	}
	while ((rc = gefs_scannext(sc, &kv)) == 1)
		if (gefs_unpackkey(&key, kv.k, kv.nk, NULL) == 0 && (rc = gensadd(fs, g, key.bgen)) < 0)
			break;
	gefs_scanfree(sc);
	gefs_closetree(st);
	for (i = dlfind(fs->ed, gen, 0); rc == 0 && i < fs->ed->ndl && fs->ed->dl[i].gen == gen; i++)
		if (!fs->ed->dl[i].gone)
			rc = gensadd(fs, g, fs->ed->dl[i].bgen);
	return rc;
}

/* §14.4 reclaimblocks(g, s, p) for deleting snapshot g with successor s
 * (-1: none) and predecessor p.  Every free waits for the commit. */
int
reclaim(Gefs *fs, int64_t g, int64_t s, int64_t p)
{
	Gens gs = {0};
	size_t i;
	int rc;

	rc = dlgens(fs, (uint64_t)g, &gs);
	for (i = 0; rc == 0 && i < gs.n; i++) {
		if ((int64_t)gs.b[i] <= p)
			rc = dlmerge(fs, (uint64_t)g, (uint64_t)(s != -1 ? s : p), gs.b[i]);
		else
			rc = dlfree(fs, (uint64_t)g, gs.b[i]);
	}
	gs.n = 0;
	if (rc == 0 && s != -1)
		rc = dlgens(fs, (uint64_t)s, &gs);
	for (i = 0; rc == 0 && s != -1 && i < gs.n; i++)
		if ((int64_t)gs.b[i] > p)
			rc = dlfree(fs, (uint64_t)s, gs.b[i]);
	free(gs.b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Message batches for the snapshot tree                              */
/* ------------------------------------------------------------------ */

enum {
	SLOTVAL	= 128,	/* largest value: a Kconf value (console limit 127), a record 72 */
};

typedef struct Slot {
	uint8_t		op;
	uint16_t	nk, nv;
	uint8_t		k[GEFS_KEYMAX];
	uint8_t		v[SLOTVAL];
} Slot;

struct Batch {
	Slot		*s;
	int		n, cap;
};

Batch *
batchnew(Gefs *fs)
{
	Batch *b = calloc(1, sizeof *b);

	if (b == NULL)
		gefs_seterr(&fs->err, ENOMEM, "out of memory");
	return b;
}

void
batchfree(Batch *b)
{
	if (b != NULL)
		free(b->s);
	free(b);
}

int
batchadd(Gefs *fs, Batch *b, int op, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	Slot *p;

	if (nk > GEFS_KEYMAX || nv > SLOTVAL)
		return gefs_seterr(&fs->err, EINVAL, "snapshot tree: key %zu or value %zu bytes too long", nk, nv);
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		if ((p = realloc(b->s, (size_t)b->cap * sizeof *p)) == NULL)
			return gefs_seterr(&fs->err, ENOMEM, "out of memory");
		b->s = p;
	}
	p = &b->s[b->n++];
	p->op = (uint8_t)op;
	p->nk = (uint16_t)nk;
	p->nv = (uint16_t)nv;
	memcpy(p->k, k, nk);
	if (nv > 0)
		memcpy(p->v, v, nv);
	return 0;
}

int
batchrelink(Gefs *fs, Batch *bt, int op, int64_t gen, int64_t link, int dlbl, int dref)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_RELINKSZ];
	GefsRelink r = {link, (int8_t)dlbl, (int8_t)dref};

	gefs_packrelink(v, &r);
	return batchadd(fs, bt, op, k, gefs_packsnapkey(k, (uint64_t)gen), v, sizeof v);
}

/* Seal every deadlist of the edit and queue its Kdlist change. */
int
dlflush(Gefs *fs, Batch *bt)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_DLISTVALSZ];
	GefsDlist dv;
	size_t i, nk;
	Dl *d;

	for (i = 0; i < fs->ed->ndl; i++) {
		d = &fs->ed->dl[i];
		if (dlseal(fs, d) < 0)
			return -1;
		if (!d->changed || (d->gone && !d->existed))
			continue;
		/* queued once: the next flush sees the list as entered */
		d->changed = false;
		d->existed = !d->gone;
		nk = gefs_packdlistkey(k, d->gen, d->bgen);
		if (d->gone) {
			if (batchadd(fs, bt, GEFS_ODELETE, k, nk, NULL, 0) < 0)
				return -1;
			continue;
		}
		dv.hd = (GefsBptr){d->hd, GEFS_NONE, 0};
		dv.tl = (GefsBptr){d->tl, GEFS_NONE, 0};
		gefs_packdlist(v, &dv);
		if (batchadd(fs, bt, GEFS_OINSERT, k, nk, v, sizeof v) < 0)
			return -1;
	}
	return 0;
}


int
batchmsgs(Gefs *fs, Batch *bt, GefsMsg **out)
{
	GefsMsg *m;
	int i;

	*out = NULL;
	if (bt->n == 0)
		return 0;
	if ((m = malloc((size_t)bt->n * sizeof *m)) == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	for (i = 0; i < bt->n; i++)
		m[i] = (GefsMsg){bt->s[i].op, bt->s[i].k, bt->s[i].nk, bt->s[i].v, bt->s[i].nv};
	*out = m;
	return bt->n;
}
