/* SPDX-License-Identifier: MIT */
/*
 * rstats — statistics: the shape of every tree (the snapshot tree
 * and each snapshot record) from a full node walk, and the use of every
 * arena.  The walk reads and verifies every node reachable from the
 * snapshot tree, so it doubles as a quick metadata scan.
 */
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
levels(char *buf, size_t n, const GefsTreeStats *st)
{
	size_t o;
	int i;

	buf[0] = 0;
	for (i = 0, o = 0; i < st->ht && i < GEFS_MAXHT && o + 1 < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%llu", i ? "/" : "",
			(unsigned long long)st->nodes[i]);
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

/* Average fill in percent of the node's capacity. */
static double
fillpct(const GefsTreeStats *st)
{
	uint64_t cap;

	cap = st->nleaf * GEFS_LEAFSPC + st->npivot * (GEFS_PIVSPC + GEFS_BUFSPC);
	return cap ? 100.0 * (double)st->fill / (double)cap : 0.0;
}

/* One tree's row (or JSON object). */
static void
treerow(Stats *s, const char *what, int64_t gen, const char *labels, const GefsTreeStats *st)
{
	Render *rd;
	char lv[256], b[32];
	int i;

	rd = s->rd;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonstr(&rd->j, "tree", what);
		if (gen >= 0)
			jsoni64(&rd->j, "gen", gen);
		jsonarr(&rd->j, "labels");
		jsonend(&rd->j);
		jsoni64(&rd->j, "height", st->ht);
		jsonarr(&rd->j, "nodes_per_level");
		for (i = 0; i < st->ht && i < GEFS_MAXHT; i++)
			jsonu64(&rd->j, NULL, st->nodes[i]);
		jsonend(&rd->j);
		jsonu64(&rd->j, "pivots", st->npivot);
		jsonu64(&rd->j, "leaves", st->nleaf);
		jsonu64(&rd->j, "entries", st->nval);
		jsonu64(&rd->j, "pointers", st->nptr);
		jsonu64(&rd->j, "messages", st->nmsg);
		jsonu64(&rd->j, "message_bytes", st->msgbytes);
		jsonu64(&rd->j, "fill", st->fill);
		jsonu64(&rd->j, "bytes", st->bytes);
		jsonend(&rd->j);
		return;
	}
	levels(lv, sizeof lv, st);
	tabcell(s->tab, "%s", what);
	tabcell(s->tab, "%s", labels);
	tabcell(s->tab, "%d", st->ht);
	tabcell(s->tab, "%s", lv);
	tabcell(s->tab, "%llu", (unsigned long long)st->nval);
	tabcell(s->tab, "%llu", (unsigned long long)st->nmsg);
	tabcell(s->tab, "%s", fmtsize(b, sizeof b, st->msgbytes, rd->raw));
	tabcell(s->tab, "%.1f", fillpct(st));
	tabcell(s->tab, "%s", fmtsize(b, sizeof b, st->bytes, rd->raw));
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
	treerow(s, what, sn->gen, o ? l : "-", &st);
	addtotal(&s->tot, &st);
	s->ntrees++;
	return 0;
}

static void
treestats(Stats *s)
{
	static const char *hd[] = { "tree", "labels", "ht", "nodes/level", "entries",
		"msgs", "msg bytes", "fill%", "bytes" };
	Render *rd;
	GefsTree *t;
	GefsTreeStats st;
	size_t i;

	rd = s->rd;
	if (rd->json)
		jsonarr(&rd->j, "trees");
	else {
		s->tab = tabnew("llrlrrrrr");
		for (i = 0; i < 9; i++)
			tabcell(s->tab, "%s", hd[i]);
	}
	t = gefs_snaptree(rd->fs);
	memset(&st, 0, sizeof st);
	if (t == NULL || gefs_treestats(t, &st) < 0)
		rfsfail(rd, "snapshot tree");
	else {
		treerow(s, "snaptree", -1, "-", &st);
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
	char b[3][32];
	uint64_t size, used;
	int i, n;

	rd = s->rd;
	n = gefs_narena(rd->fs);
	size = used = 0;
	tab = NULL;
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	else {
		fprintf(rd->f, "\n");
		tab = tabnew("rrrrrr");
		tabcell(tab, "arena"); tabcell(tab, "size"); tabcell(tab, "used");
		tabcell(tab, "free"); tabcell(tab, "used%%"); tabcell(tab, "free ranges");
	}
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
			rfsfail(rd, "arena %d", i);
			continue;
		}
		size += ai.size;
		used += ai.used;
		if (rd->json) {
			jsonobj(&rd->j, NULL);
			jsonu64(&rd->j, "index", (uint64_t)i);
			jsonu64(&rd->j, "size", ai.size);
			jsonu64(&rd->j, "used", ai.used);
			jsonu64(&rd->j, "free", ai.size - ai.used);
			jsonu64(&rd->j, "free_ranges", ai.nfree);
			jsonend(&rd->j);
			continue;
		}
		tabcell(tab, "%d", i);
		tabcell(tab, "%s", fmtsize(b[0], sizeof b[0], ai.size, rd->raw));
		tabcell(tab, "%s", fmtsize(b[1], sizeof b[1], ai.used, rd->raw));
		tabcell(tab, "%s", fmtsize(b[2], sizeof b[2], ai.size - ai.used, rd->raw));
		tabcell(tab, "%.1f", ai.size ? 100.0 * (double)ai.used / (double)ai.size : 0.0);
		tabcell(tab, "%llu", (unsigned long long)ai.nfree);
	}
	if (rd->json) {
		jsonend(&rd->j);
		jsonobj(&rd->j, "total");
		jsonu64(&rd->j, "trees", s->ntrees);
		jsonu64(&rd->j, "tree_bytes", s->tot.bytes);
		jsonu64(&rd->j, "size", size);
		jsonu64(&rd->j, "used", used);
		jsonu64(&rd->j, "free", size - used);
		jsonend(&rd->j);
		return;
	}
	tabcell(tab, "all");
	tabcell(tab, "%s", fmtsize(b[0], sizeof b[0], size, rd->raw));
	tabcell(tab, "%s", fmtsize(b[1], sizeof b[1], used, rd->raw));
	tabcell(tab, "%s", fmtsize(b[2], sizeof b[2], size - used, rd->raw));
	tabcell(tab, "%.1f", size ? 100.0 * (double)used / (double)size : 0.0);
	tabendrow(tab);
	rtabprint(rd, tab, "");
	fprintf(rd->f, "\n%llu trees, %s of tree nodes walked (shared nodes counted once per tree)\n",
		(unsigned long long)s->ntrees, fmtsize(b[0], sizeof b[0], s->tot.bytes, rd->raw));
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
