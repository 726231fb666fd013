/* SPDX-License-Identifier: MIT */
/*
 * resize — grow a file system into a larger device the way the
 * reference's grow procedure lays it out (FORMAT.md §19): four new arenas
 * of equal size after the last one, each with a header, a footer and a
 * log block that frees its data area, takes its own first block and ends
 * with LogSync(0), exactly as the formatter writes an arena (§18.2 steps
 * 1-3); narena += 4; the backup superblock moves to the new last block,
 * and the old one becomes free space of a new arena.
 *
 * Unlike the reference, which writes superblock 0 and then the new backup
 * with table hash NONE for the old arenas (§24 #17), the new state is
 * published by a normal commit (§15.2): every header gets its real hash,
 * and a crash at any point leaves an image that loads.  Crash safety needs
 * one step before the commit: the superblock in use is first copied, as
 * it is, to the new last block.  The loader looks for the backup there
 * (§15.4), so without it a torn write of superblock 0 would leave no
 * loadable copy; with it, the commit's usual order (new blocks and
 * headers, superblock 0, flush, superblock 1, flush, footers) applies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B		= GEFS_BLKSZ,
	NEWARENAS	= 4,			/* arenas added per grow (§19) */
	LOGFIRSTSZ	= 16 + 16 + 8,		/* LogFree, LogAlloc, LogSync(0) */
};
/* The reference refuses to add less than this (§19 step 2). */
#define GROWMIN		(64ULL << 20)

/* Validate and lay out a grow to size bytes (§19 steps 2-3). */
static int
plan(Gefs *fs, uint64_t size, GefsGrow *g)
{
	const Arena *last = &fs->arena[fs->sb.narena - 1];
	uint64_t newend, s;

	memset(g, 0, sizeof *g);
	g->oldsize = devsize(fs->dev);
	g->newsize = size;
	g->oldnarena = fs->sb.narena;
	g->oldend = last->addr + last->size + 2 * B;
	if (fs->sbcopy != 0)
		return gefs_seterr(&fs->err, EBADMSG,
			"superblock copy 0 is not valid (copy %d is in use): repair it first (gefs-fsck -y)", fs->sbcopy);
	if (size < g->oldsize)
		return gefs_seterr(&fs->err, EINVAL,
			"%llu bytes is smaller than the image (%llu bytes): shrinking is not supported",
			(unsigned long long)size, (unsigned long long)g->oldsize);
	if (fs->sb.narena + NEWARENAS > GEFS_MAXARENA)
		return gefs_seterr(&fs->err, EINVAL, "%u arenas: 4 more would reach the limit of %d",
			fs->sb.narena, GEFS_MAXARENA);
	newend = size / B * B - 2 * B;
	if (newend < g->oldend || newend - g->oldend < GROWMIN)
		return gefs_seterr(&fs->err, EINVAL,
			"%llu bytes leaves less than 64 MiB after the last arena (which ends at 0x%llx): grow by more",
			(unsigned long long)size, (unsigned long long)g->oldend);
	s = (newend - g->oldend) / NEWARENAS;
	g->arenasz = s - s % B - 2 * B;
	g->newnarena = fs->sb.narena + NEWARENAS;
	g->sb1 = sb1of(size);
	return 0;
}

/* Resize a regular file to size; a block device must already be that big. */
static int
growdev(Gefs *fs, uint64_t size)
{
	if (size == devsize(fs->dev))
		return 0;
	if (devisblk(fs->dev))
		return gefs_seterr(&fs->err, EINVAL, "%s: a block device of %llu bytes cannot be grown to %llu",
			devpath(fs->dev), (unsigned long long)devsize(fs->dev), (unsigned long long)size);
	return devtruncate(fs->dev, size, &fs->err);
}

/* Copy superblock 0, as it is, to the new last block and flush: until the
 * commit, both places the loader looks at hold the old state. */
static int
backup(Gefs *fs, uint64_t at)
{
	Blk *b = cacheget(fs->cache, 0, CACHE_READ, &fs->err);
	int rc;

	if (b == NULL)
		return gefs_wraperr(&fs->err, "superblock 0");
	rc = devwrite(fs->dev, b->buf, B, at, &fs->err);
	cacheput(fs->cache, b);
	if (rc < 0 || devsync(fs->dev, &fs->err) < 0)
		return gefs_wraperr(&fs->err, "backup superblock at 0x%llx", (unsigned long long)at);
	return 0;
}

/* The first log block of a new arena at h of size s, as the formatter
 * writes it (§18.2 step 1), queued with the commit's log tails. */
static int
mklog(Gefs *fs, uint64_t h, uint64_t s, uint64_t *hash)
{
	const GefsLogEnt ent[] = {
		{GEFS_LOGFREE, h + 2 * B, s - 2 * B, 0},
		{GEFS_LOGALLOC, h + 2 * B, B, 0},
		{GEFS_LOGSYNC, 0, 0, 0},
	};
	GefsLogHdr lh = {GEFS_TLOG, 0, 0, {GEFS_NONE, GEFS_NONE, GEFS_NONE}};
	size_t i;
	Blk *b;

	b = cacheget(fs->cache, h + 2 * B, CACHE_NOREAD, &fs->err);
	if (b == NULL)
		return -1;
	lh.logsz = 0;
	for (i = 0; i < sizeof ent / sizeof ent[0]; i++)
		gefs_logput(b->buf, &lh.logsz, &ent[i]);
	gefs_packloghdr(b->buf, &lh);
	*hash = gefs_blkhash(b->buf);
	cachedirty(fs->cache, b, STAGE_LOG);
	cacheput(fs->cache, b);
	return 0;
}

/* Arena ai at h: its log, its in-memory state, then replay to rebuild the
 * free map from that log as loading would.  The header and footer are
 * written by the commit. */
static int
addarena(Gefs *fs, int ai, uint64_t h, uint64_t s)
{
	Arena *a = &fs->arena[ai];
	uint64_t lh;

	memset(a, 0, sizeof *a);
	if (mklog(fs, h, s, &lh) < 0)
		return gefs_wraperr(&fs->err, "new arena %d log", ai);
	a->addr = h;
	a->size = s;
	a->hdr = (GefsArenaHdr){h + 2 * B, lh, s, 3 * B};
	a->tblhash = GEFS_NONE;
	a->copyok[0] = a->copyok[1] = 1;
	a->agree = true;
	fs->sb.arenaaddr[ai] = h;
	fs->sb.arenahash[ai] = GEFS_NONE;
	fs->sb.narena = (uint32_t)ai + 1;
	if (replay(fs, ai) < 0)
		return gefs_wraperr(&fs->err, "new arena %d", ai);
	return 0;
}

int
gefs_grow(Gefs *fs, uint64_t size, GefsGrow *g)
{
	Arena *na;
	uint32_t i;

	if (devrdonly(fs->dev))
		return gefs_seterr(&fs->err, EROFS, "%s is open read-only", devpath(fs->dev));
	if (plan(fs, size, g) < 0)
		return -1;
	na = realloc(fs->arena, g->newnarena * sizeof *na);
	if (na == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	fs->arena = na;
	if (growdev(fs, size) < 0 || backup(fs, g->sb1) < 0)
		return -1;
	for (i = 0; i < NEWARENAS; i++) {
		g->arenaaddr[i] = g->oldend + i * (g->arenasz + 2 * B);
		if (addarena(fs, (int)(g->oldnarena + i), g->arenaaddr[i], g->arenasz) < 0)
			return -1;
	}
	if (commit(fs) < 0)
		return gefs_wraperr(&fs->err, "grow");
	return 0;
}
