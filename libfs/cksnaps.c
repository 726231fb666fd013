/* SPDX-License-Identifier: MIT */
/*
 * cksnaps.c — pass 3, the snapshot tree's contents (FORMAT.md §13): after
 * its raw walk (ckwalk.c), every label (§13.3), snapshot record (§13.1)
 * and deadlist key (§14.1) is collected, Kconf entries checked (ckconf.c);
 * labels must name records and the required ones exist (§13.7); each
 * record's counts (nlbl, nref), links (pred, succ, base) and root are
 * checked against the others.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

static void *
grow(void *p, size_t n, size_t sz)
{
	/* grow by doubling at powers of two */
	if (n == 0 || (n & (n - 1)) == 0)
		return realloc(p, (n ? 2 * n : 8) * sz);
	return p;
}

/* What a finding about pair kv of the snapshot tree names. */
static Pctx
snapctx(const GefsKv *kv)
{
	Pctx c = PCTX(GEFS_NONE);

	c.tree = "snapshot tree";
	c.k = kv->k;
	c.nk = kv->nk;
	return c;
}

static void
addlabel(Check *ck, const GefsKv *kv)
{
	GefsLabel l;
	Labelrec *nl;
	GefsErr e;
	Pctx c = snapctx(kv);

	e.code = 0;
	if (kv->nv != GEFS_LABELVALSZ || kv->v[0] != GEFS_KSNAP || gefs_unpacklabel(&l, kv->v, kv->nv, &e) < 0) {
		c.n[0] = kv->nv;
		c.s[0] = e.code ? ": " : "";
		c.why = e.code ? e.msg : "";
		ckproblem(ck, PR_SNLABEL, &c);
		return;
	}
	c.x[0] = l.flags;
	if (l.flags & ~7u)
		ckproblem(ck, PR_SNFLAGS, &c);
	nl = grow(ck->label, ck->nlabel, sizeof *nl);
	if (nl == NULL)
		return;
	ck->label = nl;
	nl[ck->nlabel].name = strndup((const char *)kv->k + 1, kv->nk - 1u);
	nl[ck->nlabel].gen = l.gen;
	nl[ck->nlabel].flags = l.flags;
	nl[ck->nlabel].moved = false;
	ck->nlabel++;
}

static void
addsnap(Check *ck, const GefsKv *kv)
{
	Snaprec *ns;
	GefsKey k;
	GefsSnap s;
	GefsErr e;
	Pctx c = snapctx(kv);

	e.code = 0;
	c.why = e.msg;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpacksnap(&s, kv->v, kv->nv, &e) < 0) {
		ckproblem(ck, PR_KVVALUE, &c);
		return;
	}
	c.n[0] = (int64_t)k.gen;
	c.n[1] = s.gen;
	if ((uint64_t)s.gen != k.gen)
		ckproblem(ck, PR_SNKEYGEN, &c);
	ns = grow(ck->snap, ck->nsnap, sizeof *ns);
	if (ns == NULL)
		return;
	ck->snap = ns;
	memset(&ns[ck->nsnap], 0, sizeof *ns);
	ns[ck->nsnap].s = s;
	ns[ck->nsnap].s.gen = (int64_t)k.gen;	/* find it by its key */
	ck->nsnap++;
}

static void
adddl(Check *ck, const GefsKv *kv)
{
	GefsKey k;
	GefsDlist d;
	GefsErr e;
	Dlrec *nd;
	Pctx c = snapctx(kv);

	e.code = 0;
	c.why = e.msg;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpackdlist(&d, kv->v, kv->nv, &e) < 0) {
		ckproblem(ck, PR_KVVALUE, &c);
		return;
	}
	nd = grow(ck->dl, ck->ndl, sizeof *nd);
	if (nd == NULL)
		return;
	ck->dl = nd;
	nd[ck->ndl].gen = k.gen;
	nd[ck->ndl].bgen = k.bgen;
	nd[ck->ndl].d = d;
	ck->ndl++;
}

static void
collect(Check *ck)
{
	GefsTree *t;
	GefsScan *s = NULL;
	GefsKv kv;
	Pctx c;
	int rc = -1;

	t = gefs_snaptree(ck->fs);
	if (t != NULL)
		s = gefs_scan(t, NULL, 0, NULL, 0);
	if (s != NULL)
		while ((rc = gefs_scannext(s, &kv)) > 0) {
			if (kv.nk == 0)
				continue;
			if (kv.k[0] == GEFS_KLABEL && kv.nk > 1)
				addlabel(ck, &kv);
			else if (kv.k[0] == GEFS_KSNAP)
				addsnap(ck, &kv);
			else if (kv.k[0] == GEFS_KDLIST)
				adddl(ck, &kv);
			else if (kv.k[0] == GEFS_KCONF)
				ckconfkv(ck, "snapshot tree", &kv, true, 0);
		}
	if (rc < 0) {
		c = PCTX(ck->fs->sb.snapaddr);
		c.tree = "snapshot tree";
		c.why = gefs_errmsg(ck->fs);
		ckproblem(ck, PR_SNTREE, &c);
	}
	gefs_scanfree(s);
	if (t != NULL)
		gefs_closetree(t);
}

Snaprec *
findsnap(Check *ck, int64_t gen)
{
	size_t lo = 0, hi = ck->nsnap, m;

	while (lo < hi) {
		m = (lo + hi) / 2;
		if ((uint64_t)ck->snap[m].s.gen == (uint64_t)gen)
			return &ck->snap[m];
		if ((uint64_t)ck->snap[m].s.gen < (uint64_t)gen)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

void
usegen(Check *ck, uint64_t g)
{
	if (g == GEFS_NONE)
		return;
	if (!ck->anygen || g > ck->maxgen)
		ck->maxgen = g;
	ck->anygen = true;
}

static void
checklabels(Check *ck)
{
	static const char *need[] = {"adm", "empty"};
	Pctx c = PCTX(GEFS_NONE);
	Snaprec *r;
	size_t i, j;

	for (i = 0; i < ck->nlabel; i++) {
		usegen(ck, ck->label[i].gen);
		r = findsnap(ck, (int64_t)ck->label[i].gen);
		if (r == NULL && ck->label[i].name != NULL
		&& ckrequired(ck->label[i].name, strlen(ck->label[i].name)))
			continue;	/* below, once every label is counted */
		if (r == NULL) {
			c.s[0] = ck->label[i].name;
			c.n[0] = (int64_t)ck->label[i].gen;
			c.why = "";
			ckproblem(ck, PR_SNNOSNAP, &c);
			continue;
		}
		r->nlabel++;
		if (r->name == NULL && ck->label[i].name != NULL)
			r->name = strdup(ck->label[i].name);
	}
	for (i = 0; i < ck->nlabel; i++)
		if (ck->label[i].name != NULL && ckrequired(ck->label[i].name, strlen(ck->label[i].name))
		&& findsnap(ck, (int64_t)ck->label[i].gen) == NULL)
			ckrepoint(ck, &ck->label[i]);
	for (j = 0; j < nelem(need); j++) {
		for (i = 0; i < ck->nlabel; i++)
			if (ck->label[i].name != NULL && strcmp(ck->label[i].name, need[j]) == 0)
				break;
		c.s[0] = need[j];
		if (i == ck->nlabel)
			ckproblem(ck, PR_SNREQUIRED, &c);
	}
}

static void checknref(Check *ck, const Snaprec *r);

/* A record's counts, root and links (§13.8, §27.2). */
static void
checkrec(Check *ck, Snaprec *r)
{
	GefsSnap *s = &r->s;
	Pctx c = PCTX(GEFS_NONE);

	usegen(ck, (uint64_t)s->gen);
	c.n[0] = s->gen;
	c.n[1] = s->nlbl;
	c.n[2] = s->nlbl < 0 || s->nref < 0 ? (int64_t)s->nref : (int64_t)r->nlabel;
	if (s->nlbl < 0 || s->nref < 0)
		ckproblem(ck, PR_SNNEG, &c);
	else if ((uint32_t)s->nlbl != r->nlabel)
		ckproblem(ck, (uint32_t)s->nlbl > r->nlabel ? PR_SNNLBLHI : PR_SNNLBLLO, &c);
	c.n[1] = s->ht;
	c.x[0] = s->root.addr;
	if (s->ht < 1 || s->ht > GEFS_MAXHT || s->root.addr == GEFS_NONE) {
		ckproblem(ck, PR_SNROOT, &c);
		r->bad = true;
	}
	c.n[1] = s->base;
	c.n[2] = s->pred;
	if (s->base > s->gen || s->pred > s->gen)
		ckproblem(ck, PR_SNORDER, &c);
	c.n[1] = s->pred;
	if (s->pred != -1 && findsnap(ck, s->pred) == NULL)
		ckproblem(ck, PR_SNPRED, &c);
	c.n[1] = s->succ;
	if (s->succ != -1 && findsnap(ck, s->succ) == NULL)
		ckproblem(ck, PR_SNSUCC, &c);
	checknref(ck, r);
}

/* nref counts either predecessors (2025-09) or forks (later revisions):
 * only a value matching neither is reported. */
static void
checknref(Check *ck, const Snaprec *r)
{
	const GefsSnap *s = &r->s;
	Pctx c = PCTX(GEFS_NONE);
	uint64_t c1 = 0, c2 = 0;
	size_t i;

	for (i = 0; i < ck->nsnap; i++) {
		if (ck->snap[i].s.pred == s->gen && ck->snap[i].s.gen != s->gen)
			c1++;
		if (ck->snap[i].s.pred == -1 && ck->snap[i].s.base == s->gen && ck->snap[i].s.gen != s->gen)
			c2++;
	}
	c.n[0] = s->gen;
	c.n[1] = s->nref;
	c.n[2] = (int64_t)c1;
	c.s[0] = "but";
	c.s[1] = "records name it as pred";
	if ((int64_t)s->nref > (int64_t)c1) {
		c.s[0] = "more than the";
		c.s[1] = "records naming it as pred (deleted successors, §24 #9)";
	}
	if ((int64_t)s->nref != (int64_t)c1 && (uint64_t)s->nref != c2)
		ckproblem(ck, PR_SNNREF, &c);
}

void
checksnaptree(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	GefsBptr root;
	Pctx c = PCTX(GEFS_NONE);
	Walk w;
	size_t i;

	if (sb->snapht < 1 || sb->snapht > GEFS_MAXHT || sb->snapaddr == GEFS_NONE) {
		c.tree = "snapshot tree";
		c.s[0] = "";
		c.why = ": no usable root";
		ckproblem(ck, PR_CKSKIP, &c);
		ck->stop = true;
		return;
	}
	memset(&w, 0, sizeof w);
	w.ck = ck;
	w.snaptree = true;
	w.gen = GEFS_NONE;
	w.ht = (int)sb->snapht;
	snprintf(w.name, sizeof w.name, "snapshot tree");
	root.addr = sb->snapaddr;
	root.hash = sb->snaphash;
	root.gen = GEFS_NONE;
	walktree(&w, &root, ck->sbaddr[ck->fs->sbcopy]);
	collect(ck);
	ck->st->nlabel = ck->nlabel;
	ck->st->nsnap = ck->nsnap;
	checklabels(ck);
	for (i = 0; i < ck->nsnap; i++)
		checkrec(ck, &ck->snap[i]);
}
