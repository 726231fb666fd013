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

static void
addlabel(Check *ck, const GefsKv *kv)
{
	GefsLabel l;
	Labelrec *nl;
	GefsErr e;
	char ks[128];

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	e.code = 0;
	if (kv->nv != GEFS_LABELVALSZ || kv->v[0] != GEFS_KSNAP || gefs_unpacklabel(&l, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_SNLABEL, GEFS_NONE, "snapshot tree: %s: value of %u bytes is not a label%s%s", ks, kv->nv,
			e.code ? ": " : "", e.code ? e.msg : "");
		return;
	}
	if (l.flags & ~7u)
		ckreport(ck, PR_SNFLAGS, GEFS_NONE, "snapshot tree: %s: flags 0x%x", ks, l.flags);
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

	e.code = 0;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpacksnap(&s, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_KVVALUE, GEFS_NONE, "snapshot tree: snapshot record: %s", e.msg);
		return;
	}
	if ((uint64_t)s.gen != k.gen)
		ckreport(ck, PR_SNKEYGEN, GEFS_NONE, "snapshot tree: Ksnap(%llu) holds a record of gen %lld",
			(unsigned long long)k.gen, (long long)s.gen);
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

	e.code = 0;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpackdlist(&d, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_KVVALUE, GEFS_NONE, "snapshot tree: deadlist: %s", e.msg);
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
				ckconfkv(ck, "snapshot tree", &kv, true);
		}
	if (rc < 0)
		ckreport(ck, PR_SNTREE, ck->fs->sb.snapaddr, "snapshot tree: %s", gefs_errmsg(ck->fs));
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
	Snaprec *r;
	size_t i, j;

	for (i = 0; i < ck->nlabel; i++) {
		usegen(ck, ck->label[i].gen);
		r = findsnap(ck, (int64_t)ck->label[i].gen);
		if (r == NULL && ck->label[i].name != NULL
		&& ckrequired(ck->label[i].name, strlen(ck->label[i].name)))
			continue;	/* below, once every label is counted */
		if (r == NULL) {
			ckreport(ck, PR_SNNOSNAP, GEFS_NONE, "label \"%s\": snapshot %llu has no record", ck->label[i].name,
				(unsigned long long)ck->label[i].gen);
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
		if (i == ck->nlabel)
			ckreport(ck, PR_SNREQUIRED, GEFS_NONE, "label \"%s\" missing", need[j]);
	}
}

/* §13.8 and §27.2: nref counts either predecessors (2025-09) or forks
 * (later revisions); only a value matching neither is reported. */
static void
checkrec(Check *ck, Snaprec *r)
{
	GefsSnap *s = &r->s;
	uint64_t c1 = 0, c2 = 0;
	size_t i;

	usegen(ck, (uint64_t)s->gen);
	if (s->nlbl < 0 || s->nref < 0)
		ckreport(ck, PR_SNNEG, GEFS_NONE, "snapshot %lld: nlbl %d, nref %d", (long long)s->gen, s->nlbl, s->nref);
	else if ((uint32_t)s->nlbl > r->nlabel)
		ckreport(ck, PR_SNNLBLHI, GEFS_NONE, "snapshot %lld: nlbl %d, but %u labels point to it",
			(long long)s->gen, s->nlbl, r->nlabel);
	else if ((uint32_t)s->nlbl < r->nlabel)
		ckreport(ck, PR_SNNLBLLO, GEFS_NONE, "snapshot %lld: nlbl %d, but %u labels point to it",
			(long long)s->gen, s->nlbl, r->nlabel);
	if (s->ht < 1 || s->ht > GEFS_MAXHT || s->root.addr == GEFS_NONE) {
		ckreport(ck, PR_SNROOT, GEFS_NONE, "snapshot %lld: height %d, root 0x%llx", (long long)s->gen, s->ht,
			(unsigned long long)s->root.addr);
		r->bad = true;
	}
	if (s->base > s->gen || s->pred > s->gen)
		ckreport(ck, PR_SNORDER, GEFS_NONE, "snapshot %lld: base %lld, pred %lld", (long long)s->gen,
			(long long)s->base, (long long)s->pred);
	if (s->pred != -1 && findsnap(ck, s->pred) == NULL)
		ckreport(ck, PR_SNPRED, GEFS_NONE, "snapshot %lld: pred %lld has no record", (long long)s->gen, (long long)s->pred);
	if (s->succ != -1 && findsnap(ck, s->succ) == NULL)
		ckreport(ck, PR_SNSUCC, GEFS_NONE, "snapshot %lld: succ %lld has no record", (long long)s->gen, (long long)s->succ);
	for (i = 0; i < ck->nsnap; i++) {
		if (ck->snap[i].s.pred == s->gen && ck->snap[i].s.gen != s->gen)
			c1++;
		if (ck->snap[i].s.pred == -1 && ck->snap[i].s.base == s->gen && ck->snap[i].s.gen != s->gen)
			c2++;
	}
	if ((int64_t)s->nref < (int64_t)c1 && (uint64_t)s->nref != c2)
		ckreport(ck, PR_SNNREF, GEFS_NONE, "snapshot %lld: nref %d, but %llu records name it as pred",
			(long long)s->gen, s->nref, (unsigned long long)c1);
	else if ((int64_t)s->nref > (int64_t)c1 && (uint64_t)s->nref != c2)
		ckreport(ck, PR_SNNREF, GEFS_NONE, "snapshot %lld: nref %d, more than the %llu records naming it as pred (deleted successors, §24 #9)",
			(long long)s->gen, s->nref, (unsigned long long)c1);
}

void
checksnaptree(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	GefsBptr root;
	Walk w;
	size_t i;

	if (sb->snapht < 1 || sb->snapht > GEFS_MAXHT || sb->snapaddr == GEFS_NONE) {
		ckreport(ck, PR_CKSKIP, GEFS_NONE, "snapshot tree not checked: no usable root");
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
