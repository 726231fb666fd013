/* SPDX-License-Identifier: MIT */
/*
 * bigimg — big benchmark images through libfs's write side (bigimg.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "damage.h"
#include "bigimg.h"

enum {
	B	= GEFS_BLKSZ,
	HALF	= 64,		/* a pair's slot: key bytes, then value bytes */
	RUN	= 64,		/* blocks per arena in turn, and per write */
};

typedef struct Big {
	Gefs		*fs;
	GefsErr		*e;
	int		fd, ai;
	uint64_t	seed, gen;
	GefsKv		*kv;		/* the main tree's pairs */
	uint8_t		*mem;		/* their bytes, 2 * HALF per pair */
	size_t		nkv, cap;
	uint8_t		*run;		/* RUN blocks, filled from the end */
	uint64_t	runlow;		/* lowest address in run */
	uint32_t	nrun, nturn;	/* blocks in run; in this arena's turn */
	GefsXdir	root;
	BigStats	*st;
} Big;

/* Keep one pair (key and value at most HALF bytes each). */
static int
addkv(Big *g, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	uint8_t *p = g->mem + g->nkv * 2 * HALF;

	if (g->nkv == g->cap || nk > HALF || nv > HALF)
		return gefs_seterr(g->e, EOVERFLOW, "bigimg: pair table full or pair too big");
	memcpy(p, k, nk);
	memcpy(p + HALF, v, nv);
	g->kv[g->nkv++] = (GefsKv){p, (uint16_t)nk, p + HALF, (uint16_t)nv};
	return 0;
}

static int
kvcmp(const void *a, const void *b)
{
	const GefsKv *x = a, *y = b;

	return gefs_keycmp(x->k, x->nk, y->k, y->nk);
}

/* xorshift64: fast, deterministic file contents. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Write the blocks gathered in the run (one pwrite: they are adjacent). */
static int
flushrun(Big *g)
{
	size_t n = (size_t)g->nrun * B;

	if (g->nrun == 0)
		return 0;
	g->nrun = 0;
	if (pwrite(g->fd, g->run + (size_t)RUN * B - n, n, (off_t)g->runlow) != (ssize_t)n)
		return gefs_seterr(g->e, errno ? errno : EIO, "bigimg: writing data at 0x%llx",
			(unsigned long long)g->runlow);
	return 0;
}

/* Allocate the next data block, RUN per arena in turn (blkalloc hands
 * out descending addresses, so a run fills the buffer from its end). */
static int
nextblk(Big *g, uint64_t *addr)
{
	int tries;

	if (g->nturn == RUN) {
		g->nturn = 0;
		g->ai = (g->ai + 1) % gefs_narena(g->fs);
	}
	for (tries = 0; blkalloc(g->fs, g->ai, addr) < 0; tries++) {
		if (tries == gefs_narena(g->fs))
			return gefs_seterr(g->e, ENOSPC, "bigimg: image too small for the data");
		g->ai = (g->ai + 1) % gefs_narena(g->fs);
		g->nturn = 0;
	}
	g->nturn++;
	if (g->nrun > 0 && (g->nrun == RUN || *addr + B != g->runlow) && flushrun(g) < 0)
		return -1;
	g->runlow = *addr;
	g->nrun++;
	return 0;
}

/* One data block of qid at block index b: contents, write, Kdat pair. */
static int
datablk(Big *g, uint64_t qid, uint64_t b)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	uint64_t *w;
	GefsBptr bp;
	size_t i;

	if (nextblk(g, &bp.addr) < 0)
		return -1;
	w = (uint64_t *)(g->run + (size_t)(RUN - g->nrun) * B);
	for (i = 0; i < B / 8; i++)
		w[i] = rnd(&g->seed);
	bp.hash = gefs_blkhash(w);
	bp.gen = g->gen;
	gefs_packbptr(v, &bp);
	g->st->ndata++;
	return addkv(g, k, gefs_packdatkey(k, qid, b * B), v, GEFS_PTRSZ);
}

/* Kent(pqid, name) -> xdir for a new qid; directories also get Kup. */
static int
entry(Big *g, uint64_t pqid, const char *name, bool dir, uint64_t len, uint64_t *qid)
{
	uint8_t k[GEFS_KEYMAX], u[GEFS_KEYMAX], v[GEFS_XDIRSZ];
	GefsXdir d = g->root;
	size_t nk;

	d.qpath = *qid = g->fs->sb.nextqid++;
	d.qtype = dir ? GEFS_QTDIR : 0;
	d.mode = dir ? GEFS_DMDIR | 0755 : 0644;
	d.length = len;
	gefs_packxdir(v, &d);
	nk = gefs_packentkey(k, pqid, name, strlen(name));
	if (addkv(g, k, nk, v, GEFS_XDIRSZ) < 0)
		return -1;
	return dir ? addkv(g, u, gefs_packupkey(u, *qid), k, nk) : 0;
}

/* Every file (and directory) with its data. */
static int
addfiles(Big *g, const BigOpts *o)
{
	uint64_t nblk = (o->data + B - 1) / B, per, n, b, dq = 0, fq;
	long perdir = o->perdir > 0 ? o->perdir : 256, i;
	char name[32];

	per = (nblk + (uint64_t)o->nfiles - 1) / (uint64_t)o->nfiles;
	for (i = 0; i < o->nfiles; i++) {
		if (i % perdir == 0) {
			snprintf(name, sizeof name, "d%05ld", i / perdir);
			if (entry(g, g->root.qpath, name, true, 0, &dq) < 0)
				return -1;
			g->st->ndirs++;
		}
		n = per < nblk ? per : nblk;
		nblk -= n;
		snprintf(name, sizeof name, "f%07ld", i);
		if (entry(g, dq, name, false, n * B, &fq) < 0)
			return -1;
		for (b = 0; b < n; b++)
			if (datablk(g, fq, b) < 0)
				return -1;
		g->st->nfiles++;
	}
	return flushrun(g);
}

/* Format path at size bytes, reproducibly, and open it for writing. */
static Gefs *
format(const char *path, uint64_t size, GefsErr *e)
{
	GefsFormatOpts fo;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0 || ftruncate(fd, (off_t)size) < 0) {
		gefs_seterr(e, errno, "bigimg: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	gefs_defformatopts(&fo);
	fo.uuidmode = GEFS_UUIDDERIVE;
	fo.ctimeset = true;
	fo.ctime = 1700000000LL * 1000000000LL;
	if (gefs_format(path, size, &fo, NULL, e) < 0)
		return NULL;
	return dmopen(path, e);
}

/* Take main's pairs as formatted (its root directory) and its gen. */
static int
loadmain(Big *g)
{
	GefsTree *t = gefs_opentree(g->fs, "main");
	GefsScan *sc;
	GefsKv kv;
	int rc = -1;

	if (t == NULL || gefs_walk(t, "/", &g->root) < 0) {
		gefs_seterr(g->e, ENOENT, "bigimg: no main tree");
		goto out;
	}
	g->gen = (uint64_t)gefs_treesnap(t)->gen;
	if ((sc = gefs_scan(t, NULL, 0, NULL, 0)) == NULL)
		goto out;
	rc = 0;
	while (rc == 0 && gefs_scannext(sc, &kv) > 0)
		rc = addkv(g, kv.k, kv.nk, kv.v, kv.nv);
	gefs_scanfree(sc);
out:
	if (t != NULL)
		gefs_closetree(t);
	return rc;
}

/* Sort the pairs, build the tree, point main at it and commit. */
static int
publish(Big *g)
{
	GefsBptr root;

	qsort(g->kv, g->nkv, sizeof *g->kv, kvcmp);
	if (treebuild(g->fs, g->kv, g->nkv, g->gen, dmalloc, g->fs, &root, &g->st->height) < 0
	|| dmsetroot(g->fs, "main", &root, g->st->height) < 0 || commit(g->fs) < 0) {
		*g->e = g->fs->err;
		return -1;
	}
	return 0;
}

int
bigimg(const char *path, const BigOpts *o, BigStats *st, GefsErr *e)
{
	uint64_t size = o->size ? o->size : o->data / 2 * 3 + (256ull << 20);
	Big g = {.e = e, .st = st, .seed = o->seed ? o->seed : 0x9e3779b97f4a7c15ull};
	void *run = NULL;
	int rc = -1;

	memset(st, 0, sizeof *st);
	if (o->nfiles < 1 || o->data / B > (1ull << 32))
		return gefs_seterr(e, EINVAL, "bigimg: bad options");
	g.cap = o->data / B + 3 * (size_t)o->nfiles + 64;
	g.kv = calloc(g.cap, sizeof *g.kv);
	g.mem = malloc(g.cap * 2 * HALF);
	if (g.kv == NULL || g.mem == NULL || posix_memalign(&run, 4096, (size_t)RUN * B) != 0) {
		gefs_seterr(e, ENOMEM, "bigimg: out of memory");
		goto out;
	}
	g.run = run;
	if ((g.fs = format(path, size, e)) == NULL)
		goto out;
	g.fd = devfd(g.fs->dev);
	st->narena = gefs_narena(g.fs);
	if (loadmain(&g) == 0 && addfiles(&g, o) == 0 && publish(&g) == 0)
		rc = 0;
out:
	gefs_close(g.fs);
	free(run);
	free(g.mem);
	free(g.kv);
	return rc;
}
