/* SPDX-License-Identifier: MIT */
/*
 * rstats — statistics: the shape of every tree (the snapshot tree
 * and each snapshot record) from a full node walk, and the use of every
 * arena.  The walk reads and verifies every node reachable from the
 * snapshot tree, so it doubles as a quick metadata scan.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

typedef struct Stats {
	Render		*rd;
	Table		*tab;
	GefsTreeStats	tot;
	uint64_t	ntrees;
	unsigned	nerr0;		/* failures before this command */
	/* labels, gathered first to name the snapshots */
	struct { char *name; size_t n; uint64_t gen; } *lbl;
	size_t		nlbl, cap;
} Stats;

static int
addlabel(void *arg, const char *name, size_t n, const GefsLabel *l)
{
	Stats *s;
	void *p;

	s = arg;
	if (s->nlbl == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		p = realloc(s->lbl, s->cap * sizeof *s->lbl);
		if (p == NULL)
			return -1;
		s->lbl = p;
	}
	s->lbl[s->nlbl].name = strndup(name, n);
	if (s->lbl[s->nlbl].name == NULL)
		return -1;
	s->lbl[s->nlbl].n = n;
	s->lbl[s->nlbl].gen = l->gen;
	s->nlbl++;
	return 0;
}

static void
addtotal(GefsTreeStats *t, const GefsTreeStats *st)
{
	t->npivot += st->npivot;
	t->nleaf += st->nleaf;
	t->nval += st->nval;
	t->nptr += st->nptr;
	t->nmsg += st->nmsg;
	t->msgbytes += st->msgbytes;
	t->fill += st->fill;
	t->bytes += st->bytes;
}

/* One tree of the stats command: its shape from a full node walk. */
typedef struct Trow {
	uint32_t	have;		/* Tgen: a snapshot (not the snapshot tree) */
	const char	*tree, *labels;
	Rnv		levels;
	int64_t		gen;
	uint64_t	height, pivots, leaves, entries, pointers, messages;
	uint64_t	msgbytes, fill, fillpct, bytes;
} Trow;
enum { Tgen = 1 };
#define T(f)	offsetof(Trow, f), 8
/* The first columns as they were before the row table (scripts read
 * tree, labels, height). */
static const Rowspec trows[] = {
	{ "tree",		Rstr,	offsetof(Trow, tree), 0, 0 },
	{ "labels",		Rstr,	offsetof(Trow, labels), 0, 0 },
	{ "height",		Rnum,	T(height), 0 },
	{ "nodes_per_level",	Rnums,	offsetof(Trow, levels), 0, 0 },	/* root first, "/" between */
	{ "entries",		Rnum,	T(entries), 0 },
	{ "messages",		Rnum,	T(messages), 0 },
	{ "message_bytes",	Rbytes,	T(msgbytes), 0 },
	{ "fill_pct",		Rtenths, T(fillpct), 0 },	/* of the nodes' capacity */
	{ "bytes",		Rbytes,	T(bytes), 0 },
	{ "gen",		Rint,	T(gen), Tgen },
	{ "pivots",		Rnum,	T(pivots), 0 },
	{ "leaves",		Rnum,	T(leaves), 0 },
	{ "pointers",		Rnum,	T(pointers), 0 },
	{ "fill",		Rbytes,	T(fill), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef T

/* One arena, and the totals. */
typedef struct Arow {
	uint64_t	index, size, used, free, usedpct, nfree, trees, treebytes;
} Arow;
#define A(f)	offsetof(Arow, f), 8
static const Rowspec arows[] = {
	{ "index",		Rnum,	A(index), 0 },
	{ "size",		Rbytes,	A(size), 0 },
	{ "used",		Rbytes,	A(used), 0 },
	{ "free",		Rbytes,	A(free), 0 },
	{ "used_pct",		Rtenths, A(usedpct), 0 },
	{ "free_ranges",	Rnum,	A(nfree), 0 },
	{ NULL, 0, 0, 0, 0 },
};
static const Rowspec totrows[] = {
	{ "trees",		Rnum,	A(trees), 0 },
	{ "tree_bytes",		Rbytes,	A(treebytes), 0 },	/* shared nodes once per tree */
	{ "size",		Rbytes,	A(size), 0 },
	{ "used",		Rbytes,	A(used), 0 },
	{ "free",		Rbytes,	A(free), 0 },
	{ "used_pct",		Rtenths, A(usedpct), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef A

/* Average fill in tenths of a percent of the node's capacity. */
static uint64_t
filltenths(const GefsTreeStats *st)
{
	uint64_t cap;

	cap = st->nleaf * GEFS_LEAFSPC + st->npivot * (GEFS_PIVSPC + GEFS_BUFSPC);
	return pcttenths(st->fill, cap);
}

/* One tree's row (or JSON object). */
static void
treerow(Stats *s, const char *what, int64_t gen, const char *labels, const GefsTreeStats *st)
{
	Trow r;

	memset(&r, 0, sizeof r);
	r.have = gen >= 0 ? Tgen : 0;
	r.tree = what;
	r.gen = gen;
	r.labels = labels;
	r.levels = (Rnv){ st->nodes, (size_t)(st->ht < GEFS_MAXHT ? st->ht : GEFS_MAXHT) };
	if (st->ht < 0)
		r.levels.n = 0;
	r.height = (uint64_t)st->ht;
	r.pivots = st->npivot;
	r.leaves = st->nleaf;
	r.entries = st->nval;
	r.pointers = st->nptr;
	r.messages = st->nmsg;
	r.msgbytes = st->msgbytes;
	r.fill = st->fill;
	r.fillpct = filltenths(st);
	r.bytes = st->bytes;
	rrecobj(s->rd, s->tab, NULL, trows, &r);
}

static int
eachsnap(void *arg, const GefsSnap *sn)
{
	Stats *s;
	GefsTree *t;
	GefsTreeStats st;
	char what[32], l[1024], nm[4 * GEFS_LABELMAX + 8];
	size_t i, o;

	s = arg;
	snprintf(what, sizeof what, "snap %lld", (long long)sn->gen);
	l[0] = 0;
	for (i = 0, o = 0; i < s->nlbl && o + 1 < sizeof l; i++)
		if ((int64_t)s->lbl[i].gen == sn->gen)
			o += (size_t)snprintf(l + o, sizeof l - o, "%s%s", o ? "," : "",
				showname(s->rd, nm, sizeof nm, (uint8_t *)s->lbl[i].name, s->lbl[i].n, 'l'));
	t = gefs_opensnap(s->rd->fs, (uint64_t)sn->gen);
	memset(&st, 0, sizeof st);
	if (t == NULL || gefs_treestats(t, &st) < 0) {
		rfsfail(s->rd, "snapshot %lld", (long long)sn->gen);
		if (t != NULL)
			gefs_closetree(t);
		return 0;
	}
	gefs_closetree(t);
	treerow(s, what, sn->gen, l, &st);
	addtotal(&s->tot, &st);
	s->ntrees++;
	return 0;
}

static void
treestats(Stats *s)
{
	Render *rd;
	GefsTree *t;
	GefsTreeStats st;

	rd = s->rd;
	if (rd->json)
		jsonarr(&rd->j, "trees");
	s->tab = rtabnew(rd, trows);
	t = gefs_snaptree(rd->fs);
	memset(&st, 0, sizeof st);
	if (t == NULL || gefs_treestats(t, &st) < 0)
		rfsfail(rd, "snapshot tree");
	else {
		treerow(s, "snaptree", -1, "", &st);
		addtotal(&s->tot, &st);
		s->ntrees++;
	}
	if (t != NULL)
		gefs_closetree(t);
	/* without the snapshot tree there is nothing more to walk */
	if (rd->nerr == s->nerr0 && gefs_walklabels(rd->fs, addlabel, s) != 0)
		rfsfail(rd, "labels");
	if (rd->nerr == s->nerr0 && gefs_walksnaps(rd->fs, eachsnap, s) != 0)
		rfsfail(rd, "snapshot records");
	if (rd->json) {
		jsonend(&rd->j);
		return;
	}
	rtabprint(rd, s->tab, "");
}

static void
arenastats(Stats *s)
{
	Render *rd;
	GefsArenaInfo ai;
	Table *tab;
	Arow r, t;
	int i, n;

	rd = s->rd;
	n = gefs_narena(rd->fs);
	memset(&t, 0, sizeof t);
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	else
		fprintf(rd->f, "\n");
	tab = rtabnew(rd, arows);
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
			rfsfail(rd, "arena %d", i);
			continue;
		}
		memset(&r, 0, sizeof r);
		r.index = (uint64_t)i;
		r.size = ai.size;
		r.used = ai.used;
		r.free = ai.size - ai.used;
		r.usedpct = pcttenths(ai.used, ai.size);
		r.nfree = ai.nfree;
		rrecobj(rd, tab, NULL, arows, &r);
		t.size += ai.size;
		t.used += ai.used;
	}
	if (rd->json)
		jsonend(&rd->j);
	rtabprint(rd, tab, "");
	t.free = t.size - t.used;
	t.usedpct = pcttenths(t.used, t.size);
	t.trees = s->ntrees;
	t.treebytes = s->tot.bytes;
	if (rd->json) {
		rrecobj(rd, NULL, "total", totrows, &t);
		return;
	}
	fprintf(rd->f, "\ntotal:\n");
	tab = tabnew("lr");
	rrows(rd, tab, totrows, &t);
	rtabprint(rd, tab, "  ");
}

int
rstats(Render *rd)
{
	Stats s;
	size_t i;
	unsigned nerr;

	nerr = rd->nerr;
	memset(&s, 0, sizeof s);
	s.rd = rd;
	s.nerr0 = nerr;
	treestats(&s);
	arenastats(&s);
	for (i = 0; i < s.nlbl; i++)
		free(s.lbl[i].name);
	free(s.lbl);
	return rd->nerr == nerr ? 0 : -1;
}
