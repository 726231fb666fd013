/* SPDX-License-Identifier: MIT */
/*
 * rsnaps — the snapshot tree: labels, snapshot records, deadlists (with
 * their block chains walked and counted) and global configuration
 * entries of the snapshot tree (§9.5–§9.9, §13).
 */
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

static void
showlabels(Snaps *s)
{
	Render *rd;
	Table *tab;
	char nm[4 * GEFS_LABELMAX + 8];
	size_t i;

	rd = s->rd;
	if (rd->json) {
		jsonarr(&rd->j, "labels");
		for (i = 0; i < s->nlbl; i++) {
			jsonobj(&rd->j, NULL);
			jsonname(rd, "name", (uint8_t *)s->lbl[i].name, s->lbl[i].n, 'l');
			jsoni64(&rd->j, "gen", (int64_t)s->lbl[i].l.gen);
			jsonu64(&rd->j, "flags", s->lbl[i].l.flags);
			jsonbool(&rd->j, "mutable", s->lbl[i].l.flags & GEFS_LMUT);
			jsonend(&rd->j);
		}
		jsonend(&rd->j);
		return;
	}
	fprintf(rd->f, "labels (%zu):\n", s->nlbl);
	tab = tabnew("lrl");
	tabheader(tab);
	tabcell(tab, "name");
	tabcell(tab, "gen");
	tabcell(tab, "flags");
	for (i = 0; i < s->nlbl; i++) {
		tabcell(tab, "%s", showname(rd, nm, sizeof nm, (uint8_t *)s->lbl[i].name,
			s->lbl[i].n, 'l'));
		tabcell(tab, "%lld", (long long)s->lbl[i].l.gen);
		tabcell(tab, "0x%x%s", s->lbl[i].l.flags,
			(s->lbl[i].l.flags & GEFS_LMUT) ? " mutable" : "");
	}
	rtabprint(rd, tab, "  ");
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
	if (o == 0)
		snprintf(buf, n, "-");
	return buf;
}

static int
eachsnap(void *arg, const GefsSnap *sn)
{
	Snaps *s;
	char a[24], l[1024];

	s = arg;
	if (s->rd->json) {
		jsonsnap(s->rd, NULL, sn);
		return 0;
	}
	tabcell(s->tab, "%lld", (long long)sn->gen);
	tabcell(s->tab, "%s", labelsof(s, sn->gen, l, sizeof l));
	tabcell(s->tab, "%d", sn->nref);
	tabcell(s->tab, "%d", sn->nlbl);
	tabcell(s->tab, "%d", sn->ht);
	tabcell(s->tab, "%lld", (long long)sn->pred);
	tabcell(s->tab, "%lld", (long long)sn->succ);
	tabcell(s->tab, "%lld", (long long)sn->base);
	tabcell(s->tab, "%s", fmtnone(a, sizeof a, sn->root.addr));
	return 0;
}

static void
showsnaps(Snaps *s)
{
	Render *rd;
	static const char *hd[] = { "gen", "labels", "nref", "nlbl", "ht", "pred", "succ",
		"base", "root" };
	size_t i;

	rd = s->rd;
	if (rd->json)
		jsonarr(&rd->j, "snapshots");
	else {
		fprintf(rd->f, "\nsnapshots:\n");
		s->tab = tabnew("rlrrrrrrl");
		tabheader(s->tab);
		for (i = 0; i < 9; i++)
			tabcell(s->tab, "%s", hd[i]);
	}
	if (gefs_walksnaps(rd->fs, eachsnap, s) != 0)
		rfsfail(rd, "snapshot records");
	if (rd->json)
		jsonend(&rd->j);
	else {
		rtabprint(rd, s->tab, "  ");
	}
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
	Render *rd;
	uint64_t nb, ne;
	char a[24], b[24];

	s = arg;
	rd = s->rd;
	dlcount(rd, dl->hd.addr, &nb, &ne);
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsoni64(&rd->j, "gen", (int64_t)gen);
		jsoni64(&rd->j, "bgen", (int64_t)bgen);
		jsonhex(&rd->j, "hd", dl->hd.addr);
		jsonhex(&rd->j, "tl", dl->tl.addr);
		jsonu64(&rd->j, "blocks", nb);
		jsonu64(&rd->j, "entries", ne);
		jsonend(&rd->j);
		return 0;
	}
	tabcell(s->tab, "%lld", (long long)gen);
	tabcell(s->tab, "%lld", (long long)bgen);
	tabcell(s->tab, "%s", fmtnone(a, sizeof a, dl->hd.addr));
	tabcell(s->tab, "%s", fmtnone(b, sizeof b, dl->tl.addr));
	tabcell(s->tab, "%llu", (unsigned long long)nb);
	tabcell(s->tab, "%llu", (unsigned long long)ne);
	return 0;
}

static void
showdlists(Snaps *s)
{
	Render *rd;
	static const char *hd[] = { "gen", "bgen", "hd", "tl", "blocks", "entries" };
	size_t i;

	rd = s->rd;
	if (rd->json)
		jsonarr(&rd->j, "deadlists");
	else {
		fprintf(rd->f, "\ndeadlists:\n");
		s->tab = tabnew("rrllrr");
		tabheader(s->tab);
		for (i = 0; i < 6; i++)
			tabcell(s->tab, "%s", hd[i]);
	}
	if (gefs_walkdlists(rd->fs, eachdlist, s) != 0)
		rfsfail(rd, "deadlists");
	if (rd->json)
		jsonend(&rd->j);
	else {
		rtabprint(rd, s->tab, "  ");
	}
}

/* Kconf entries of the snapshot tree (§17). */
static void
showconf(Snaps *s)
{
	Render *rd;
	GefsTree *t;
	GefsScan *sc;
	GefsKv kv;
	uint8_t pfx;
	char k[1100], v[2100];
	int rc, n;

	rd = s->rd;
	n = 0;
	if (rd->json)
		jsonarr(&rd->j, "config");
	else
		fprintf(rd->f, "\nconfig:\n");
	pfx = GEFS_KCONF;
	t = gefs_snaptree(rd->fs);
	sc = t ? gefs_scanprefix(t, &pfx, 1) : NULL;
	rc = 0;
	while (sc != NULL && (rc = gefs_scannext(sc, &kv)) == 1) {
		n++;
		if (rd->json) {
			jsonobj(&rd->j, NULL);
			jsonmem(&rd->j, "name", kv.k + 1, kv.nk - 1u);
			jsonmem(&rd->j, "value", kv.v, kv.nv);
			jsonend(&rd->j);
		} else
			fprintf(rd->f, "  %s = \"%s\"\n", showname(rd, k, sizeof k, kv.k + 1, kv.nk - 1u, 'c'),
				showname(rd, v, sizeof v, kv.v, kv.nv, 'c'));
	}
	if (sc == NULL || rc < 0)
		rfsfail(rd, "snapshot tree: config entries");
	else if (n == 0 && !rd->json)
		fprintf(rd->f, "  (none)\n");
	gefs_scanfree(sc);
	if (t != NULL)
		gefs_closetree(t);
	if (rd->json)
		jsonend(&rd->j);
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
