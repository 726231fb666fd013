/* SPDX-License-Identifier: MIT */
/*
 * label — snapshots and labels in an edit session (§13.5, §13.6, §14.4):
 * an immutable label of a snapshot, a mutable fork, and the deletion of a
 * label with the deletion of its snapshot when nothing else refers to it
 * (deadlists merged or freed, a deleted tip's own blocks swept).
 *
 * The snapshot tree is changed at once (copy-on-write, in memory and in
 * blocks the committed state considers free); the next gefs_commit makes
 * it durable.  Every block these operations free waits for that commit
 * (§15.3 last paragraph, §24 #10), the stored nlbl stays true (§24 #16),
 * and a merged deadlist keeps a true tl (§27.3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	LABELREF = 127,		/* label bytes the reference handles (§13.3) */
};

/* Names the reference reserves (§13.3): never created or deleted here. */
static bool
reserved(const char *name)
{
	return strcmp(name, "dump") == 0 || strcmp(name, "empty") == 0 || strcmp(name, "adm") == 0;
}

static int
namecheck(Gefs *fs, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > LABELREF)
		return gefs_seterr(&fs->err, EINVAL, "label \"%.64s\": want 1 to %d bytes", name, LABELREF);
	if (reserved(name))
		return gefs_seterr(&fs->err, EPERM, "label \"%s\" is reserved", name);
	return 0;
}

/* Is a writable tree of label open or holding changes in this edit? */
static GefsTree *
inedit(Gefs *fs, const char *label)
{
	GefsTree *t;

	for (t = fs->ed->trees; t != NULL; t = t->next)
		if (strcmp(t->label, label) == 0)
			return t;
	return NULL;
}

bool
gefs_labeldirty(Gefs *fs, const char *label)
{
	GefsTree *t;

	t = fs->ed != NULL ? inedit(fs, label) : NULL;
	return t != NULL && t->dirty;
}

/* The session checks every label operation starts with. */
static int
editable(Gefs *fs, const char *what)
{
	if (fs->ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "%s: %s is open read-only", what, devpath(fs->dev));
	if (fs->ed->broken)
		return gefs_seterr(&fs->err, EIO, "%s: refused after a failed commit", what);
	return 0;
}

static int
addlabel(Gefs *fs, Batch *bt, const char *name, uint64_t gen, uint32_t flags)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_LABELVALSZ];
	GefsLabel l = {.gen = gen, .flags = flags};

	gefs_packlabel(v, &l);
	return batchadd(fs, bt, GEFS_OINSERT, k, gefs_packlabelkey(k, name, strlen(name)), v, sizeof v);
}

static int
addsnap(Gefs *fs, Batch *bt, const GefsSnap *s)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];

	gefs_packsnap(v, s);
	return batchadd(fs, bt, GEFS_OINSERT, k, gefs_packsnapkey(k, (uint64_t)s->gen), v, sizeof v);
}

/* Apply a batch of label operations to the snapshot tree now. */
static int
run(Gefs *fs, Batch *bt, int rc)
{
	if (rc == 0)
		rc = batchapply(fs, bt);
	batchfree(bt);
	if (rc == 0)
		fs->ed->snapdirty = true;
	return rc;
}

int
gefs_snapshot(Gefs *fs, const char *src, const char *dst, bool mut)
{
	GefsLabel l, x;
	GefsSnap t, n;
	GefsTree *w;
	Batch *bt;
	int rc;

	if (editable(fs, "snapshot") < 0 || namecheck(fs, dst) < 0)
		return -1;
	if (gefs_getlabel(fs, dst, &x) == 0)
		return gefs_seterr(&fs->err, EEXIST, "snapshot: label \"%s\" exists", dst);
	/* §13.5 commits a dirty source first; here it is folded into its
	 * record in memory, so the snapshot joins the session's one commit */
	if ((w = inedit(fs, src)) != NULL && w->dirty && editfold(fs) < 0)
		return -1;
	if (gefs_getlabel(fs, src, &l) < 0 || gefs_getsnap(fs, l.gen, &t) < 0)
		return gefs_wraperr(&fs->err, "snapshot of \"%.64s\"", src);
	if ((bt = batchnew(fs)) == NULL)
		return -1;
	if (!mut)
		rc = batchrelink(fs, bt, GEFS_ORELINK, t.gen, t.succ, +1, 0) < 0 || addlabel(fs, bt, dst, l.gen, 0) < 0;
	else {
		n = (GefsSnap){.nref = 0, .nlbl = 1, .ht = t.ht, .gen = (int64_t)drawgen(fs), .pred = t.gen,
			.succ = -1, .base = t.gen, .root = t.root};
		rc = batchrelink(fs, bt, GEFS_ORELINK, t.gen, t.succ, 0, +1) < 0
			|| addlabel(fs, bt, dst, (uint64_t)n.gen, GEFS_LMUT) < 0 || addsnap(fs, bt, &n) < 0;
	}
	return run(fs, bt, rc ? -1 : 0);
}

/* ---- deleting ---- */

typedef struct Sweep {
	Gefs		*fs;
	int64_t		pred;
} Sweep;

/* Defer the free of one pointer of the deleted tip born after pred. */
static int
sweepptr(Sweep *s, const GefsBptr *bp)
{
	if (bp->gen == GEFS_NONE || (int64_t)bp->gen <= s->pred)
		return 0;
	return blkdefer(s->fs, bp->addr);
}

/* A node of the deleted tip: itself, the data blocks of its Kdat values
 * and of its buffered Kdat inserts (§10.5). */
static int
sweepnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Sweep *s = arg;
	GefsBptr d;
	GefsKv kv;
	GefsMsg m;
	int i;

	(void)depth;
	if (sweepptr(s, bp) < 0)
		return -1;
	for (i = 0; n->type == GEFS_TLEAF && i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (kv.nk > 0 && kv.k[0] == GEFS_KDAT && kv.nv == GEFS_PTRSZ) {
			gefs_unpackbptr(&d, kv.v);
			if (sweepptr(s, &d) < 0)
				return -1;
		}
	}
	for (i = 0; n->type == GEFS_TPIVOT && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (m.op == GEFS_OINSERT && m.nk > 0 && m.k[0] == GEFS_KDAT && m.nv == GEFS_PTRSZ) {
			gefs_unpackbptr(&d, m.v);
			if (sweepptr(s, &d) < 0)
				return -1;
		}
	}
	return 0;
}

/* §13.6 step 4: every block of tip t born after its predecessor. */
static int
sweep(Gefs *fs, const GefsSnap *t)
{
	GefsTree *tr;
	Sweep s = {fs, t->pred};
	int rc;

	if ((tr = gefs_opensnap(fs, (uint64_t)t->gen)) == NULL)
		return -1;
	rc = gefs_walktree(tr, -1, sweepnode, &s);
	gefs_closetree(tr);
	return rc;
}

/* §13.6 step 2: the snapshot itself goes.  Unlike the 2025-09
 * reference, the predecessor's succ is moved only when t was its
 * successor (a fork is not: the reference would cut the predecessor off
 * its own line), and a predecessor that loses its child (t was a tip)
 * has its nref decremented, so that it can be reclaimed in turn (§24 #9). */
static int
dropsnap(Gefs *fs, Batch *bt, const GefsSnap *t)
{
	uint8_t k[GEFS_KEYMAX];
	GefsSnap p;
	int64_t succ;
	int dref;

	if (t->pred >= 0 && t->pred != t->gen && gefs_getsnap(fs, (uint64_t)t->pred, &p) == 0) {
		dref = t->succ == -1 && p.nref > 0 ? -1 : 0;
		succ = p.succ == t->gen ? t->succ : p.succ;
		if (batchrelink(fs, bt, GEFS_ORELINK, t->pred, succ, 0, dref) < 0)
			return -1;
	}
	if (t->succ != -1 && batchrelink(fs, bt, GEFS_OREPREV, t->succ, t->pred, 0, 0) < 0)
		return -1;
	return batchadd(fs, bt, GEFS_ODELETE, k, gefs_packsnapkey(k, (uint64_t)t->gen), NULL, 0);
}

int
gefs_dellabel(Gefs *fs, const char *name)
{
	uint8_t k[GEFS_KEYMAX];
	GefsLabel l;
	GefsSnap t;
	Batch *bt;
	bool gone, tip;
	int rc;

	if (editable(fs, "delete label") < 0 || namecheck(fs, name) < 0)
		return -1;
	if (inedit(fs, name) != NULL)
		return gefs_seterr(&fs->err, EBUSY, "delete label \"%s\": its tree is open for writing", name);
	if (gefs_getlabel(fs, name, &l) < 0 || gefs_getsnap(fs, l.gen, &t) < 0)
		return gefs_wraperr(&fs->err, "delete label");
	tip = t.succ == -1 && t.nlbl == 1;
	gone = t.nlbl - 1 == 0 && t.nref <= 1;
	if (gone && tip && t.nref > 0)	/* §13.8: the sweep would free its fork's blocks */
		return gefs_seterr(&fs->err, EBUSY, "delete label \"%s\": snapshot %lld has a fork", name, (long long)t.gen);
	if ((bt = batchnew(fs)) == NULL)
		return -1;
	rc = batchadd(fs, bt, GEFS_ODELETE, k, gefs_packlabelkey(k, name, strlen(name)), NULL, 0);
	if (rc == 0 && !gone)
		rc = batchrelink(fs, bt, GEFS_ORELINK, t.gen, t.succ, -1, 0);
	if (rc == 0 && gone)
		rc = dropsnap(fs, bt, &t);
	if (rc == 0 && gone)
		rc = reclaim(fs, t.gen, t.succ, t.pred);
	if (rc == 0 && gone && tip)
		rc = sweep(fs, &t);
	if (rc == 0)
		rc = dlflush(fs, bt);
	return run(fs, bt, rc);
}

/* ---- configuration entries (§17) ---- */

enum {
	CONFNAME = 31,		/* the reference console's limits (§9.9) */
	CONFVAL = 127,
};

/* The tree holding label's entries: the snapshot tree for NULL. */
static GefsTree *
conftree(Gefs *fs, const char *label)
{
	return label == NULL ? gefs_snaptree(fs) : gefs_opentree(fs, label);
}

int
gefs_getconf(Gefs *fs, const char *label, const char *name, char *val, size_t n)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	size_t nk, nv = sizeof v;
	GefsTree *t;
	int rc;

	if (strlen(name) == 0 || strlen(name) > CONFNAME)
		return gefs_seterr(&fs->err, EINVAL, "configuration \"%.40s\": want 1 to %d bytes", name, CONFNAME);
	nk = gefs_packconfkey(k, name, strlen(name));
	if ((t = conftree(fs, label)) == NULL)
		return -1;
	rc = gefs_lookup(t, k, nk, v, &nv);
	gefs_closetree(t);
	if (rc != 0)
		return -1;
	if (nv >= n)
		return gefs_seterr(&fs->err, EINVAL, "configuration \"%s\": value of %zu bytes does not fit", name, nv);
	memcpy(val, v, nv);
	val[nv] = 0;
	return 0;
}

/* The message setting (or, val NULL, deleting) name. */
static int
confmsg(Gefs *fs, const char *label, const char *name, const char *val, uint8_t *k, GefsMsg *m)
{
	char cur[CONFVAL + 2];
	size_t nn = strlen(name), nv = val != NULL ? strlen(val) : 0;

	if (nn == 0 || nn > CONFNAME || nv > CONFVAL)
		return gefs_seterr(&fs->err, EINVAL, "configuration \"%.40s\": name of 1 to %d bytes, value of at most %d",
			name, CONFNAME, CONFVAL);
	if (val != NULL && strcmp(name, "retain") == 0 && gefs_retaincheck((const uint8_t *)val, nv) >= 0)
		return gefs_seterr(&fs->err, EINVAL, "retain \"%s\": bad item at byte %ld (want [count]@[interval]m|h|d)",
			val, gefs_retaincheck((const uint8_t *)val, nv));
	if (val == NULL && gefs_getconf(fs, label, name, cur, sizeof cur) < 0)
		return -1;	/* Odelete needs the key (§10.2) */
	*m = (GefsMsg){val != NULL ? GEFS_OINSERT : GEFS_ODELETE, k, (uint16_t)gefs_packconfkey(k, name, nn),
		(const uint8_t *)val, (uint16_t)nv};
	return 0;
}

int
gefs_setconf(Gefs *fs, const char *label, const char *name, const char *val)
{
	uint8_t k[GEFS_KEYMAX];
	GefsTree *t;
	GefsMsg m;
	Batch *bt;
	int rc;

	if (editable(fs, "configuration") < 0 || confmsg(fs, label, name, val, k, &m) < 0)
		return -1;
	if (label == NULL) {
		if ((bt = batchnew(fs)) == NULL)
			return -1;
		return run(fs, bt, batchadd(fs, bt, m.op, m.k, m.nk, m.v, m.nv));
	}
	if ((t = gefs_opentree(fs, label)) == NULL)
		return -1;
	rc = treeupsert(t, &m, 1);
	gefs_closetree(t);
	return rc;
}
