/* SPDX-License-Identifier: MIT */
/*
 * logw — writing allocation logs (FORMAT.md §6.3, §6.5): appending
 * entries to an arena's log tail, rolling over to a new log block, and
 * rewriting a whole log as a compressed list of free ranges.  Block
 * allocation through the log lives in arena.c.
 *
 * The tail is kept referenced in the cache (so it is never evicted before
 * the commit writes it) and marked dirty in STAGE_LOG; the commit
 * (commit.c) seals it (logh) and writes it before the arena headers.
 * Blocks a log leaves behind on rollover are sealed at once.
 *
 * A block taken for a log by logrebuild is not logged (§6.5): it is simply
 * absent from the free ranges the new log lists, so replay counts it as
 * allocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B	= GEFS_BLKSZ,
	ROLL	= GEFS_LOGSPC - GEFS_LOGSLOP,	/* 16308: start a new block at or past this */
};

/* Seal the tail: recompute logh and keep chain (header of §6.1). */
static void
sealtail(Arena *a)
{
	gefs_packloghdr(a->tailblk->buf, &a->tailh);
	a->tailblk->flags &= ~(uint32_t)BLK_VERIFIED;
}

/* A fresh, empty log block at addr (not read), referenced. */
static Blk *
newlogblk(Gefs *fs, uint64_t addr, GefsLogHdr *h)
{
	Blk *b;

	b = cacheget(fs->cache, addr, CACHE_NOREAD, &fs->err);
	if (b == NULL)
		return NULL;
	memset(b->buf, 0, B);
	h->type = GEFS_TLOG;
	h->logsz = 0;
	h->logh = 0;
	h->chain = (GefsBptr){GEFS_NONE, GEFS_NONE, GEFS_NONE};
	gefs_packloghdr(b->buf, h);
	cachedirty(fs->cache, b, STAGE_LOG);
	return b;
}

int
logopen(Gefs *fs, int ai)
{
	Arena *a = &fs->arena[ai];
	GefsLogHdr h;
	Blk *b;
	bool ok;

	if (a->tailblk != NULL)
		return 0;
	b = readlogblk(fs, a->logtail, GEFS_TLOG, &h, &ok);
	if (b == NULL)
		return gefs_wraperr(&fs->err, "arena %d: opening the log tail 0x%llx", ai,
			(unsigned long long)a->logtail);
	/* appends overwrite what replay ignored; the stale chain goes (§6.4).
	 * Unlike the reference, the barrier replay stopped at is kept: if a
	 * commit dies after rewriting this block, the committed state still
	 * replays exactly to its own barrier instead of through the entries of
	 * the interrupted edit (§15.3, step 3). */
	h.logsz = a->tailsz;
	if (a->stopoff != GEFS_NONE) {
		h.logsz = (uint16_t)(a->tailsz + 8);	/* LogSync is 8 bytes wide */
		a->tailsz = h.logsz;
		a->stopoff = GEFS_NONE;
	}
	h.chain = (GefsBptr){GEFS_NONE, GEFS_NONE, GEFS_NONE};
	gefs_logclear(b->buf, h.logsz);
	a->tailblk = b;
	a->tailh = h;
	sealtail(a);
	cachedirty(fs->cache, b, STAGE_LOG);
	return 0;
}

/* Put one encoded entry at the end of the tail (room is known). */
static void
putent(Gefs *fs, Arena *a, const GefsLogEnt *le)
{
	gefs_logput(a->tailblk->buf, &a->tailh.logsz, le);
	cachedirty(fs->cache, a->tailblk, STAGE_LOG);
}

/* Continue the log in a new block: the highest free block of the arena,
 * whose allocation is logged in the old tail (§6.3). */
static int
rollover(Gefs *fs, int ai)
{
	Arena *a = &fs->arena[ai];
	GefsLogEnt le;
	GefsLogHdr nh;
	uint64_t start, len, o;
	Blk *nb;

	if (fsetlast(a->free, &start, &len) < 0)
		return gefs_seterr(&fs->err, ENOSPC, "arena %d: no free block for a new log block", ai);
	o = start + len - B;
	if (fsetrm(a->free, o, B) < 0)
		return gefs_seterr(&fs->err, errno, "arena %d: taking log block 0x%llx", ai, (unsigned long long)o);
	a->used += B;
	nb = newlogblk(fs, o, &nh);
	if (nb == NULL)
		return -1;
	le = (GefsLogEnt){.op = GEFS_LOGALLOC1, .addr = o, .len = B};
	putent(fs, a, &le);
	a->tailh.chain = (GefsBptr){o, GEFS_NONE, GEFS_NONE};
	sealtail(a);
	cacheput(fs->cache, a->tailblk);
	a->tailblk = nb;
	a->tailh = nh;
	a->logtail = o;
	a->nlog++;
	return 0;
}

int
logappend(Gefs *fs, int ai, const GefsLogEnt *le)
{
	Arena *a = &fs->arena[ai];

	if (logopen(fs, ai) < 0)
		return -1;
	if (a->tailh.logsz >= ROLL && rollover(fs, ai) < 0)
		return -1;
	putent(fs, a, le);
	a->tailsz = a->tailh.logsz;
	if (fs->ed != NULL)
		fs->ed->nappend++;	/* something for the next commit to publish */
	return 0;
}

int
logseal(Gefs *fs, int ai)
{
	Arena *a = &fs->arena[ai];

	if (a->tailblk == NULL)
		return 0;
	sealtail(a);
	cachedirty(fs->cache, a->tailblk, STAGE_LOG);
	return 0;
}

void
logclose(Gefs *fs)
{
	uint32_t i;

	if (fs->arena == NULL)
		return;
	for (i = 0; i < fs->sb.narena; i++)
		if (fs->arena[i].tailblk != NULL) {
			cacheput(fs->cache, fs->arena[i].tailblk);
			fs->arena[i].tailblk = NULL;
		}
}

/* ---- rewriting a whole log (§6.5) ---- */

typedef struct Pick {
	LogUsable	ok;
	void		*arg;
	uint64_t	*blk;
	size_t		n, want;
} Pick;

/* Collect usable blocks of one free range, lowest first. */
static int
pickrange(void *arg, uint64_t start, uint64_t len)
{
	Pick *p = arg;
	uint64_t a;

	for (a = start; a < start + len && p->n < p->want; a += B)
		if (p->ok == NULL || p->ok(p->arg, a))
			p->blk[p->n++] = a;
	return p->n == p->want;
}

typedef struct Emit {
	Gefs		*fs;
	int		ai;
	uint64_t	*blk;
	size_t		nblk, cur;
	Blk		*b;
	GefsLogHdr	h;
} Emit;

/* Move to pre-allocated block i, sealing and chaining the current one. */
static int
emitnext(Emit *m)
{
	Blk *nb;
	GefsLogHdr nh;

	if (m->cur + 1 >= m->nblk)
		return gefs_seterr(&m->fs->err, EOVERFLOW, "arena %d: compressed log needs more blocks than reserved", m->ai);
	nb = newlogblk(m->fs, m->blk[m->cur + 1], &nh);
	if (nb == NULL)
		return -1;
	m->h.chain = (GefsBptr){m->blk[m->cur + 1], GEFS_NONE, GEFS_NONE};
	gefs_packloghdr(m->b->buf, &m->h);
	cachedirty(m->fs->cache, m->b, STAGE_LOG);
	cacheput(m->fs->cache, m->b);
	m->b = nb;
	m->h = nh;
	m->cur++;
	return 0;
}

/* One LogFree entry per free range. */
static int
emitrange(void *arg, uint64_t start, uint64_t len)
{
	Emit *m = arg;
	GefsLogEnt le;

	if (m->h.logsz >= ROLL && emitnext(m) < 0)
		return -1;
	le = (GefsLogEnt){.op = GEFS_LOGFREE, .addr = start, .len = len};
	gefs_logput(m->b->buf, &m->h.logsz, &le);
	return 0;
}

int
logrebuild(Gefs *fs, int ai, FreeSet *nf, LogUsable ok, void *arg)
{
	Arena *a = &fs->arena[ai];
	Pick p;
	Emit m;
	uint64_t nr;
	size_t i;
	int rc = -1;

	memset(&m, 0, sizeof m);
	nr = fsetcount(nf);
	p = (Pick){ok, arg, NULL, 0, (size_t)((16 * nr + GEFS_LOGSPC) / ROLL + (16 * nr) / ROLL + 1)};
	p.blk = calloc(p.want, sizeof *p.blk);
	if (p.blk == NULL) {
		fsetfree(nf);
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
	}
	fsetwalk(nf, pickrange, &p);
	if (p.n < p.want) {
		rc = gefs_seterr(&fs->err, ENOSPC, "arena %d: %zu free blocks needed for the new log, %zu usable",
			ai, p.want, p.n);
		goto out;
	}
	for (i = 0; i < p.n; i++)
		if (fsetrm(nf, p.blk[i], B) < 0) {
			rc = gefs_seterr(&fs->err, errno, "arena %d: reserving log block 0x%llx", ai,
				(unsigned long long)p.blk[i]);
			goto out;
		}
	m = (Emit){fs, ai, p.blk, p.n, 0, NULL, {0}};
	if ((m.b = newlogblk(fs, p.blk[0], &m.h)) == NULL || fsetwalk(nf, emitrange, &m) != 0)
		goto out;
	/* the new chain replaces the old log: the arena now follows nf */
	logclose1(fs, ai);
	fsetfree(a->free);
	a->free = nf;
	nf = NULL;
	a->hdr.loghdaddr = p.blk[0];
	a->logtail = p.blk[m.cur];
	a->tailblk = m.b;
	a->tailh = m.h;
	a->tailsz = m.h.logsz;
	a->nlog = m.cur + 1;
	m.b = NULL;
	sealtail(a);
	a->used = a->size - fsetbytes(a->free);
	/* reserved blocks the ranges did not need are freed again (§6.5 step 4) */
	for (i = m.cur + 1; i < p.n; i++)
		if (blkfree(fs, p.blk[i]) < 0)
			goto out;
	a->hdr.loghdhash = GEFS_NONE;
	rc = 0;
out:
	if (m.b != NULL)
		cacheput(fs->cache, m.b);
	fsetfree(nf);
	free(p.blk);
	return rc;
}

void
logclose1(Gefs *fs, int ai)
{
	Arena *a = &fs->arena[ai];

	if (a->tailblk != NULL) {
		cacheput(fs->cache, a->tailblk);
		a->tailblk = NULL;
	}
}
