/* SPDX-License-Identifier: MIT */
/*
 * ckfiles.c — the namespace of one file-system tree (FORMAT.md §12,
 * §20.2), from a logical scan (messages applied): every Kent names a
 * valid entry whose qid path is unique, below nextqid and not reserved;
 * directories have a Kup naming their own entry and length 0; every
 * entry's parent is a directory and every directory reaches the root
 * (no cycle); Kdat keys are aligned and belong to a regular file, below
 * its length (§12.5); owners are users (§16, ckusers.c).  One File of
 * state per qid of the tree being scanned, nothing more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

enum {
	FUSED	= 1 << 0,
	FENT	= 1 << 1,	/* has a Kent */
	FDIR	= 1 << 2,
	FKUP	= 1 << 3,
	FVIS	= 1 << 4,	/* on the climb being followed */
	FOK	= 1 << 5,	/* reaches the root */
	FBAD	= 1 << 6,	/* does not */
};

typedef struct File {
	uint64_t	qid, pqid, length, keyhash, maxoff, ndat;
	uint8_t		flags;
} File;

/* One table serves every tree of the check (ck->ftab): cleared, not
 * freed, between trees, so that its pages are faulted in once, not once
 * a tree (snapshots of one file system have about as many files). */
typedef struct Ftab {
	File		*f;
	size_t		n, cap;		/* cap: power of two */
	File		*last;		/* the last found: a file's keys are adjacent */
} Ftab;

/* Load factor 3/4: linear probing stays short, a table of 16 Ki files
 * takes 32 Ki slots, not 64 Ki. */
enum { LOADNUM = 3, LOADDEN = 4, FTAB0 = 1024 };

static size_t
fslot(const Ftab *t, uint64_t qid)
{
	size_t i = (size_t)((qid * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);

	while ((t->f[i].flags & FUSED) && t->f[i].qid != qid)
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* The file of qid; added when absent if add (NULL out of memory). */
static File *
fget(Ftab *t, uint64_t qid, bool add)
{
	File *of;
	size_t i, ocap;

	if (t->last != NULL && t->last->qid == qid)
		return t->last;
	if (t->cap == 0 && !add)
		return NULL;
	if (add && LOADDEN * (t->n + 1) > LOADNUM * t->cap) {
		of = t->f;
		ocap = t->cap;
		t->cap = ocap ? 2 * ocap : FTAB0;
		t->f = calloc(t->cap, sizeof *t->f);
		if (t->f == NULL) {
			t->f = of;
			t->cap = ocap;
			return NULL;
		}
		for (i = 0; i < ocap; i++)
			if (of[i].flags & FUSED)
				t->f[fslot(t, of[i].qid)] = of[i];
		free(of);
		t->last = NULL;		/* it pointed into the old table */
	}
	i = fslot(t, qid);
	if (t->f[i].flags & FUSED)
		return t->last = &t->f[i];
	if (!add)
		return NULL;
	memset(&t->f[i], 0, sizeof t->f[i]);
	t->f[i].qid = qid;
	t->f[i].flags = FUSED;
	t->n++;
	return t->last = &t->f[i];
}

typedef struct Ns {
	Check		*ck;
	Walk		*w;
	Ftab		tab;		/* ck->ftab's, given back at the end */
	bool		haveroot;
	uint64_t	rootqid;
	int64_t		*badid;		/* undefined ids reported in this tree */
	size_t		nbadid;
} Ns;

static void checkids(Ns *ns, const Pctx *kc, const GefsXdir *d);

static void
nsdat(Ns *ns, const GefsKey *k)
{
	Pctx c = PCTX(GEFS_NONE);
	File *f;

	c.x[0] = k->qid;
	c.x[1] = k->off;
	if (k->off % B != 0)
		wprob(ns->w, PR_FSDATALIGN, &c);
	f = fget(&ns->tab, k->qid, true);
	if (f == NULL)
		return;
	if (f->ndat == 0 || k->off > f->maxoff)
		f->maxoff = k->off;
	f->ndat++;
}

/* The fields of entry d (under key c->k): type, mode, length, qid
 * path below nextqid (§12.2). */
static void
entfields(Ns *ns, Pctx *c, const GefsXdir *d)
{
	Walk *w = ns->w;

	c->x[0] = d->qtype;
	c->x[1] = d->mode;
	c->n[0] = (int64_t)d->length;
	if (d->qtype != (uint8_t)(d->mode >> 24))
		wprob(w, PR_FSQTYPE, c);
	checkids(ns, c, d);
	if (d->mode & ~GEFS_MODEBITS)
		wprob(w, PR_FSMODE, c);
	if ((d->mode & GEFS_DMDIR) && d->length != 0)
		wprob(w, PR_FSDIRLEN, c);
	if (!(d->qpath >> 63) && (!ns->ck->anyqid || d->qpath > ns->ck->maxqid)) {
		ns->ck->maxqid = d->qpath;
		ns->ck->anyqid = true;
	}
	c->x[0] = d->qpath;
	c->x[1] = ns->ck->fs->sb.nextqid;
	if (!(d->qpath >> 63) && d->qpath >= ns->ck->fs->sb.nextqid)
		wprob(w, PR_GNNEXTQID, c);
}

static void
nsent(Ns *ns, const GefsKv *kv, const GefsKey *k)
{
	Walk *w = ns->w;
	Pctx c = PCTX(GEFS_NONE);
	GefsXdir d;
	GefsErr e;
	File *f;

	c.k = kv->k;		/* formatted only if a finding is shown */
	c.nk = kv->nk;
	e.code = 0;
	if (k->qid == GEFS_NONE ? k->nlen != 0 : gefs_namecheck(k->name, k->nlen, &e) < 0) {
		c.why = e.code ? e.msg : "root entry with a name";
		wprob(w, PR_FSNAME, &c);
	}
	if (gefs_unpackxdir(&d, kv->v, kv->nv, &e) < 0) {
		c.why = e.msg;
		wprob(w, PR_KVVALUE, &c);
		return;
	}
	entfields(ns, &c, &d);
	f = fget(&ns->tab, d.qpath, true);
	if (f == NULL)
		return;
	if (f->flags & FENT) {
		wprob(w, PR_FSQIDDUP, &c);
		return;
	}
	f->flags |= FENT | ((d.mode & GEFS_DMDIR) ? FDIR : 0);
	f->pqid = k->qid;
	f->length = d.length;
	f->keyhash = gefs_bufhash(kv->k, kv->nk);
	if (d.mode & GEFS_DMDIR)
		ns->ck->st->ndir++;
	else
		ns->ck->st->nfile++;
	if (k->qid == GEFS_NONE) {
		ns->haveroot = true;
		ns->rootqid = d.qpath;
	}
}

static void
nsup(Ns *ns, const GefsKv *kv, const GefsKey *k)
{
	File *f = fget(&ns->tab, k->qid, false);
	const char *why = NULL;

	if (f == NULL || !(f->flags & FENT))
		why = "no entry has this qid";
	else if (!(f->flags & FDIR))
		why = "the entry is not a directory";
	else if (gefs_bufhash(kv->v, kv->nv) != f->keyhash)
		why = "the value is not the directory's own Kent key";
	if (why != NULL) {
		Pctx c = PCTX(GEFS_NONE);

		c.x[0] = k->qid;
		c.why = why;
		wprob(ns->w, PR_FSKUP, &c);
	} else
		f->flags |= FKUP;
}

/* Climb from f to the root; marks every file on the way FOK or FBAD. */
static void
climb(Ns *ns, File *f, File **stk)
{
	File *c = f, *p;
	size_t n = 0;
	uint8_t res = FBAD;

	while (c != NULL && !(c->flags & (FOK | FBAD))) {
		if (c->flags & FVIS) {
			Pctx x = PCTX(GEFS_NONE);

			x.x[0] = c->qid;
			wprob(ns->w, PR_FSCYCLE, &x);
			c = NULL;
			break;
		}
		c->flags |= FVIS;
		stk[n++] = c;
		if (c->pqid == GEFS_NONE) {
			res = FOK;
			c = NULL;
			break;
		}
		p = fget(&ns->tab, c->pqid, false);
		c = (p != NULL && (p->flags & FENT) && (p->flags & FDIR)) ? p : NULL;
	}
	if (c != NULL)
		res = c->flags & (FOK | FBAD);
	while (n > 0) {
		c = stk[--n];
		c->flags = (uint8_t)((c->flags & ~FVIS) | res);
	}
}

static void
nsfile(Ns *ns, File *f)
{
	Walk *w = ns->w;
	Pctx c = PCTX(GEFS_NONE);
	File *p;

	c.x[0] = f->qid;
	c.x[1] = f->maxoff;
	c.n[0] = (int64_t)(f->flags & FENT ? f->length : f->ndat);
	if (f->ndat > 0) {
		if (!(f->flags & FENT))
			wprob(w, PR_FSDATAORPHAN, &c);
		else if (f->flags & FDIR)
			wprob(w, PR_FSDATADIR, &c);
		else if (f->maxoff >= f->length)
			wprob(w, PR_FSDATAEOF, &c);
	}
	if (!(f->flags & FENT))
		return;
	if ((f->flags & FDIR) && !(f->flags & FKUP))
		wprob(w, PR_FSNOKUP, &c);
	c.x[1] = f->pqid;
	if (f->qid >> 63 && !((f->qid == 0x8000000000000001ull || f->qid == 0x8000000000000002ull)
	&& ns->haveroot && f->pqid == ns->rootqid))
		wprob(w, PR_FSQIDHI, &c);
	if (f->pqid == GEFS_NONE)
		return;
	p = fget(&ns->tab, f->pqid, false);
	c.s[0] = p == NULL || !(p->flags & FENT) ? "has no entry" : "is not a directory";
	if (p == NULL || !(p->flags & FENT) || !(p->flags & FDIR))
		wprob(w, PR_FSPARENT, &c);
}

static void
nsfinish(Ns *ns)
{
	Pctx c = PCTX(GEFS_NONE);
	File *f, **stk;
	size_t i;

	if (!ns->haveroot)
		wprob(ns->w, PR_FSNOROOT, &c);
	else {
		f = fget(&ns->tab, ns->rootqid, false);
		c.x[0] = ns->rootqid;
		c.s[0] = f != NULL && !(f->flags & FDIR) ? "not a directory" : "without a Kup";
		if (f == NULL || !(f->flags & FDIR) || !(f->flags & FKUP))
			wprob(ns->w, PR_FSROOTTYPE, &c);
	}
	for (i = 0; i < ns->tab.cap; i++)
		if (ns->tab.f[i].flags & FUSED)
			nsfile(ns, &ns->tab.f[i]);
	stk = malloc((ns->tab.n + 1) * sizeof *stk);
	if (stk == NULL)
		return;
	for (i = 0; i < ns->tab.cap; i++) {
		f = &ns->tab.f[i];
		if ((f->flags & FUSED) && (f->flags & FENT) && !(f->flags & (FOK | FBAD)))
			climb(ns, f, stk);
	}
	free(stk);
}

void
cknamespace(Check *ck, Walk *w, GefsTree *t)
{
	GefsScan *s;
	GefsKv kv;
	GefsKey k;
	Ns ns;
	int rc = -1;

	memset(&ns, 0, sizeof ns);
	ns.ck = ck;
	ns.w = w;
	if (ck->ftab != NULL) {
		ns.tab = *ck->ftab;
		ns.tab.n = 0;
		ns.tab.last = NULL;
		if (ns.tab.f != NULL)
			memset(ns.tab.f, 0, ns.tab.cap * sizeof *ns.tab.f);
	}
	s = gefs_scan(t, NULL, 0, NULL, 0);
	if (s != NULL)
		while ((rc = gefs_scannext(s, &kv)) > 0) {
			if (gefs_unpackkey(&k, kv.k, kv.nk, NULL) < 0)
				continue;
			if (k.type == GEFS_KDAT)
				nsdat(&ns, &k);
			else if (k.type == GEFS_KENT)
				nsent(&ns, &kv, &k);
			else if (k.type == GEFS_KUP)
				nsup(&ns, &kv, &k);
			else if (k.type == GEFS_KCONF)
				ckconfkv(ck, w->name, &kv, false, w->gen);
		}
	gefs_scanfree(s);
	if (rc < 0) {
		Pctx c = PCTX(GEFS_NONE);

		c.why = gefs_errmsg(ck->fs);
		wprob(w, PR_KVSEQ, &c);
	}
	else
		nsfinish(&ns);
	if (ck->ftab == NULL && (ck->ftab = malloc(sizeof *ck->ftab)) == NULL)
		free(ns.tab.f);		/* not kept: the next tree starts afresh */
	else
		*ck->ftab = ns.tab;
	free(ns.badid);
}

void
nsfree(Check *ck)
{
	if (ck->ftab != NULL)
		free(ck->ftab->f);
	free(ck->ftab);
	ck->ftab = NULL;
}

/* Owner, group and last modifier of an entry (under key kc->k) must be
 * users (§16); one finding per tree and id. */
static void
checkids(Ns *ns, const Pctx *kc, const GefsXdir *d)
{
	int64_t id[3] = {d->uid, d->gid, d->muid}, *v;
	static const char *what[3] = {"owner", "group", "last modifier"};
	Pctx c = PCTX(GEFS_NONE);
	size_t i, j;

	if (!ns->ck->haveids)
		return;
	for (i = 0; i < 3; i++) {
		if (idknown(ns->ck, id[i]))
			continue;
		for (j = 0; j < ns->nbadid && ns->badid[j] != id[i]; j++)
			;
		if (j < ns->nbadid || (v = realloc(ns->badid, (ns->nbadid + 1) * sizeof *v)) == NULL)
			continue;
		ns->badid = v;
		ns->badid[ns->nbadid++] = id[i];
		c.k = kc->k;
		c.nk = kc->nk;
		c.s[0] = what[i];
		c.n[0] = id[i];
		wprob(ns->w, PR_USUNDEF, &c);
	}
}
