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
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, b, STAGE_DATA);
	cacheput(fs->cache, b);
	d->changed = true;
	return 0;
}
