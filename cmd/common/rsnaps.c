/* SPDX-License-Identifier: MIT */
/*
 * rsnaps — the snapshot tree: labels, snapshot records, deadlists (with
 * their block chains walked and counted) and global configuration
 * entries of the snapshot tree (§9.5–§9.9, §13).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

typedef struct Lbl {
	char		*name;
	size_t		n;
	GefsLabel	l;
} Lbl;

typedef struct Snaps {
	Render	*rd;
	Lbl	*lbl;
	size_t	nlbl, cap;
	Table	*tab;
} Snaps;

static int
addlabel(void *arg, const char *name, size_t n, const GefsLabel *l)
{
	Snaps *s;
	Lbl *nl;

	s = arg;
	if (s->nlbl == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		nl = realloc(s->lbl, s->cap * sizeof *nl);
		if (nl == NULL)
			return -1;
		s->lbl = nl;
	}
	s->lbl[s->nlbl].name = malloc(n + 1);
	if (s->lbl[s->nlbl].name == NULL)
		return -1;
	memcpy(s->lbl[s->nlbl].name, name, n + 1);
	s->lbl[s->nlbl].n = n;
	s->lbl[s->nlbl].l = *l;
	s->nlbl++;
	return 0;
}

/* The records of the snaps command: labels (§9.6), snapshots (§9.7),
 * deadlists (§9.8) and configuration entries (§17). */
typedef struct Lrow {
	Rnm		name;
	int64_t		gen;
	uint64_t	flags;
	bool		mut;
} Lrow;
static const Rowspec lrows[] = {
	{ "name",	Rname,	offsetof(Lrow, name), 0, 0 },
	{ "gen",	Rint,	offsetof(Lrow, gen), 8, 0 },
	{ "flags",	Rnum,	offsetof(Lrow, flags), 8, 0 },
	{ "mutable",	Rbool,	offsetof(Lrow, mut), 1, 0 },
	{ NULL, 0, 0, 0, 0 },
};

typedef struct Srow {
	uint32_t	have;		/* Sgen: root.gen is not NONE */
	int64_t		gen, nref, nlbl, ht, pred, succ, base;
	uint64_t	flag, rootaddr, roothash, rootgen;
	const char	*labels;
} Srow;
enum { Sgen = 1 };
#define S(f)	offsetof(Srow, f), 8
static const Rowspec srows[] = {
	{ "gen",	Rint,	S(gen), 0 },
	{ "labels",	Rstr,	offsetof(Srow, labels), 0, 0 },	/* those naming it */
	{ "nref",	Rint,	S(nref), 0 },
	{ "nlbl",	Rint,	S(nlbl), 0 },
	{ "ht",		Rint,	S(ht), 0 },
	{ "flag",	Rnum,	S(flag), 0 },
	{ "pred",	Rint,	S(pred), 0 },
	{ "succ",	Rint,	S(succ), 0 },
	{ "base",	Rint,	S(base), 0 },
	{ "root.addr",	Raddr,	S(rootaddr), 0 },
	{ "root.hash",	Rhashn,	S(roothash), 0 },
	{ "root.gen",	Rnum,	S(rootgen), Sgen },
	{ NULL, 0, 0, 0, 0 },
};
#undef S

typedef struct Drow {
	int64_t		gen, bgen;
	uint64_t	hd, tl, nblk, nent;
} Drow;
#define D(f)	offsetof(Drow, f), 8
static const Rowspec drows[] = {
	{ "gen",	Rint,	D(gen), 0 },
	{ "bgen",	Rint,	D(bgen), 0 },
	{ "hd",		Raddr,	D(hd), 0 },
	{ "tl",		Raddr,	D(tl), 0 },
	{ "blocks",	Rnum,	D(nblk), 0 },	/* walked from hd */
	{ "entries",	Rnum,	D(nent), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef D

typedef struct Crow {
	Rnm	name, value;
} Crow;
static const Rowspec crows[] = {
	{ "name",	Rname,	offsetof(Crow, name), 0, 0 },
	{ "value",	Rname,	offsetof(Crow, value), 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

/* A section: its title in text, its array in JSON, and the table. */
static Table *
section(Render *rd, const char *title, const char *key, const Rowspec *rs)
{
	Table *tab;

	if (rd->json) {
		jsonarr(&rd->j, key);
		return NULL;
	}
	fprintf(rd->f, "%s", title);
	tab = rtabnew(rd, rs);
	tabheader(tab);
	return tab;
}

static void
endsection(Render *rd, Table *tab)
{
	if (rd->json)
		jsonend(&rd->j);
	else
		rtabprint(rd, tab, "  ");
}

static void
showlabels(Snaps *s)
{
	Render *rd;
	Table *tab;
	Lrow r;
	size_t i;
	char title[48];

	rd = s->rd;
	snprintf(title, sizeof title, "labels (%zu):\n", s->nlbl);
	tab = section(rd, title, "labels", lrows);
	for (i = 0; i < s->nlbl; i++) {
		r.name = (Rnm){ (uint8_t *)s->lbl[i].name, s->lbl[i].n, 'l' };
		r.gen = (int64_t)s->lbl[i].l.gen;
		r.flags = s->lbl[i].l.flags;
		r.mut = (s->lbl[i].l.flags & GEFS_LMUT) != 0;
		rrecobj(rd, tab, NULL, lrows, &r);
	}
	endsection(rd, tab);
}

/* The labels naming snapshot gen, comma-separated, into buf. */
static const char *
labelsof(Snaps *s, int64_t gen, char *buf, size_t n)
{
	char nm[4 * GEFS_LABELMAX + 8];
	size_t i, o;

	buf[0] = 0;
	for (i = 0, o = 0; i < s->nlbl && o + 1 < n; i++) {
		if ((int64_t)s->lbl[i].l.gen != gen)
			continue;
		o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? "," : "",
			showname(s->rd, nm, sizeof nm, (uint8_t *)s->lbl[i].name, s->lbl[i].n, 'l'));
	}
	return buf;
}

static int
eachsnap(void *arg, const GefsSnap *sn)
{
	Snaps *s;
	Srow r;
	char l[1024];

	s = arg;
	memset(&r, 0, sizeof r);
	r.gen = sn->gen;
	r.labels = labelsof(s, sn->gen, l, sizeof l);
	r.nref = sn->nref;
	r.nlbl = sn->nlbl;
	r.ht = sn->ht;
	r.flag = sn->flag;
	r.pred = sn->pred;
	r.succ = sn->succ;
	r.base = sn->base;
	r.rootaddr = sn->root.addr;
	r.roothash = sn->root.hash;
	r.rootgen = sn->root.gen;
	r.have = sn->root.gen != GEFS_NONE ? Sgen : 0;
	rrecobj(s->rd, s->tab, NULL, srows, &r);
	return 0;
}

static void
showsnaps(Snaps *s)
{
	Render *rd;

	rd = s->rd;
	s->tab = section(rd, "\nsnapshots:\n", "snapshots", srows);
	if (gefs_walksnaps(rd->fs, eachsnap, s) != 0)
		rfsfail(rd, "snapshot records");
	endsection(rd, s->tab);
}

/* Walk a deadlist chain from hd: blocks and entries.  Brent's cycle
 * detection bounds the walk on a damaged chain. */
static int
dlcount(Render *rd, uint64_t hd, uint64_t *nblk, uint64_t *nent)
{
	GefsLogHdr h;
	GefsErr e;
	uint8_t *blk;
	uint64_t a, tort, steps, lim;
	int rc;

	*nblk = *nent = 0;
	blk = malloc(GEFS_BLKSZ);
	if (blk == NULL)
		return -1;
	rc = 0;
	tort = GEFS_NONE;
	steps = 0;
	lim = 2;
	for (a = hd; a != GEFS_NONE; a = h.chain.addr) {
		if (a == tort) {
			rfail(rd, "deadlist: chain loops back to block 0x%llx", (unsigned long long)a);
			rc = -1;
			break;
		}
		if (++steps == lim) {
			tort = a;
			lim *= 2;
			steps = 0;
		}
		memset(&e, 0, sizeof e);
		if (gefs_readblk(rd->fs, a, blk) < 0) {
			rfsfail(rd, "deadlist block 0x%llx", (unsigned long long)a);
			rc = -1;
			break;
		}
		if (gefs_unpackloghdr(&h, blk, GEFS_TDLIST, a, &e) < 0) {
			rfail(rd, "%s", e.msg);
			rc = -1;
			break;
		}
		if (gefs_loghash(blk, h.logsz) != h.logh)
			rfail(rd, "deadlist block 0x%llx: body hash mismatch", (unsigned long long)a);
		(*nblk)++;
		*nent += h.logsz / GEFS_DLENTSZ;
	}
	free(blk);
	return rc;
}

static int
eachdlist(void *arg, uint64_t gen, uint64_t bgen, const GefsDlist *dl)
{
	Snaps *s;
	Drow r;

	s = arg;
	dlcount(s->rd, dl->hd.addr, &r.nblk, &r.nent);
	r.gen = (int64_t)gen;
	r.bgen = (int64_t)bgen;
	r.hd = dl->hd.addr;
	r.tl = dl->tl.addr;
	rrecobj(s->rd, s->tab, NULL, drows, &r);
	return 0;
}

static void
showdlists(Snaps *s)
{
	Render *rd;

	rd = s->rd;
	s->tab = section(rd, "\ndeadlists:\n", "deadlists", drows);
	if (gefs_walkdlists(rd->fs, eachdlist, s) != 0)
		rfsfail(rd, "deadlists");
	endsection(rd, s->tab);
}

/* Kconf entries of the snapshot tree (§17). */
static void
showconf(Snaps *s)
{
	Render *rd;
	GefsTree *t;
	GefsScan *sc;
	GefsKv kv;
	Table *tab;
	Crow r;
	uint8_t pfx;
	int rc;

	rd = s->rd;
	tab = section(rd, "\nconfig:\n", "config", crows);
	pfx = GEFS_KCONF;
	t = gefs_snaptree(rd->fs);
	sc = t ? gefs_scanprefix(t, &pfx, 1) : NULL;
	rc = 0;
	while (sc != NULL && (rc = gefs_scannext(sc, &kv)) == 1) {
		r.name = (Rnm){ kv.k + 1, kv.nk - 1u, 'c' };
		r.value = (Rnm){ kv.v, kv.nv, 'c' };
		rrecobj(rd, tab, NULL, crows, &r);
	}
	if (sc == NULL || rc < 0)
		rfsfail(rd, "snapshot tree: config entries");
	gefs_scanfree(sc);
	if (t != NULL)
		gefs_closetree(t);
	endsection(rd, tab);
}

int
rsnaps(Render *rd)
{
	Snaps s;
	size_t i;
	unsigned nerr;

	nerr = rd->nerr;
	memset(&s, 0, sizeof s);
	s.rd = rd;
	if (gefs_walklabels(rd->fs, addlabel, &s) != 0)
		rfsfail(rd, "labels");
	/* a damaged snapshot tree fails every section alike: report it once */
	showlabels(&s);
	if (rd->nerr == nerr)
		showsnaps(&s);
	if (rd->nerr == nerr)
		showdlists(&s);
	if (rd->nerr == nerr)
		showconf(&s);
	for (i = 0; i < s.nlbl; i++)
		free(s.lbl[i].name);
	free(s.lbl);
	return rd->nerr == nerr ? 0 : -1;
}
