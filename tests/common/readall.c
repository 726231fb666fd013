/* SPDX-License-Identifier: MIT */
/*
 * readall — every read path of libgefs over one image (see readall.h).
 * Output goes to /dev/null: only the absence of crashes, sanitizer
 * reports and hangs is under test, plus that errors come back cleanly.
 */
#include <stdio.h>
#include <string.h>
#include "gefs.h"
#include "readall.h"

typedef struct Ctx {
	Gefs		*fs;
	FILE		*null;
	int		nbad;
	int		nlabel;
	char		label[8][256];
} Ctx;

static int
logfn(void *arg, const GefsLogItem *it)
{
	(void)arg; (void)it;
	return 0;
}

static int
freefn(void *arg, uint64_t start, uint64_t len)
{
	(void)arg; (void)start; (void)len;
	return 0;
}

static int
labelfn(void *arg, const char *name, size_t nlen, const GefsLabel *l)
{
	Ctx *c = arg;

	(void)l;
	if (c->nlabel < 8 && nlen < sizeof c->label[0])
		snprintf(c->label[c->nlabel++], sizeof c->label[0], "%s", name);
	return 0;
}

static int
snapfn(void *arg, const GefsSnap *s)
{
	(void)arg; (void)s;
	return 0;
}

static int
dlistfn(void *arg, uint64_t gen, uint64_t bgen, const GefsDlist *d)
{
	(void)arg; (void)gen; (void)bgen; (void)d;
	return 0;
}

static int
nodefn(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	GefsKv kv;
	GefsMsg m;
	int i;

	(void)arg; (void)depth; (void)bp;
	for (i = 0; i < n->nval; i++)
		gefs_nodekv(n, i, &kv);
	for (i = 0; i < n->nbuf; i++)
		gefs_nodemsg(n, i, &m);
	return 0;
}

static int
dirfn(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	(void)arg; (void)name; (void)nlen; (void)d;
	return 0;
}

/* The arena-level paths: superblocks, arenas, logs, free space, blocks. */
static void
arenas(Ctx *c)
{
	GefsArenaInfo ai;
	GefsSb sb;
	bool valid;
	char why[256];
	static uint8_t blk[GEFS_BLKSZ];
	int i, n;

	for (i = 0; i < 2; i++)
		if (gefs_readsb(c->fs, i, &sb, &valid, why, sizeof why) < 0)
			c->nbad++;
	n = gefs_narena(c->fs);
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(c->fs, i, &ai) < 0 || gefs_walklog(c->fs, i, logfn, c) < 0
		|| gefs_walkfree(c->fs, i, freefn, c) < 0)
			c->nbad++;
		if (i == 0 && gefs_readblk(c->fs, ai.addr, blk) < 0)
			c->nbad++;
	}
	(void)gefs_xrec(c->fs);
}

/* One tree: node walk, stats, scans, listing, manifest (reads all data). */
static void
tree(Ctx *c, GefsTree *t, bool files)
{
	GefsTreeStats ts;
	GefsScan *s;
	GefsKv kv;
	GefsStat st;
	int r, n;

	if (gefs_walktree(t, -1, nodefn, c) < 0 || gefs_treestats(t, &ts) < 0)
		c->nbad++;
	if ((s = gefs_scan(t, NULL, 0, NULL, 0)) == NULL)
		c->nbad++;
	else {
		for (n = 0; (r = gefs_scannext(s, &kv)) == 1 && n < 1000000; n++)
			;
		if (r < 0)
			c->nbad++;
		gefs_scanfree(s);
	}
	if (!files)
		return;
	if (gefs_stat(t, "/", &st) < 0 || gefs_readdir(t, "/", dirfn, c) < 0
	|| gefs_manifest(t, "/", c->null) < 0)
		c->nbad++;
}

static void
trees(Ctx *c)
{
	GefsTree *t;
	char name[32];
	int i;

	if ((t = gefs_snaptree(c->fs)) != NULL) {
		tree(c, t, false);
		gefs_closetree(t);
	} else
		c->nbad++;
	if (gefs_walklabels(c->fs, labelfn, c) < 0 || gefs_walksnaps(c->fs, snapfn, c) < 0
	|| gefs_walkdlists(c->fs, dlistfn, c) < 0)
		c->nbad++;
	for (i = 0; i < c->nlabel; i++) {
		if ((t = gefs_opentree(c->fs, c->label[i])) == NULL) {
			c->nbad++;
			continue;
		}
		tree(c, t, true);
		gefs_closetree(t);
	}
	for (i = -1; i < 2; i++)
		(void)gefs_username(c->fs, i, name, sizeof name);
}

static void
check(const char *path, ReadallStats *st)
{
	GefsCheckOpts o;
	GefsCheckStats cs;
	GefsErr e;

	gefs_defcheckopts(&o);
	o.cachesz = 4 << 20;
	memset(&cs, 0, sizeof cs);
	(void)gefs_check(path, &o, &cs, &e);
	st->checked++;
}

int
readall(const char *path, bool ignhash, bool docheck, ReadallStats *st)
{
	GefsOpts o;
	GefsErr e;
	Ctx c;

	memset(&c, 0, sizeof c);
	gefs_defopts(&o);
	o.cachesz = 4 << 20;
	o.ignhash = ignhash;
	if ((c.null = fopen("/dev/null", "w")) == NULL)
		return -1;
	if ((c.fs = gefs_open(path, &o, &e)) != NULL) {
		st->opened++;
		arenas(&c);
		trees(&c);
		(void)gefs_errmsg(c.fs);
		gefs_close(c.fs);
	} else
		c.nbad++;
	if (c.nbad)
		st->failed++;
	fclose(c.null);
	if (docheck)
		check(path, st);
	return 0;
}
