/* SPDX-License-Identifier: MIT */
/*
 * commit — make the in-memory state durable in one atomic step (FORMAT.md
 * §15.2, §15.5): every arena's log gets LogSync(Q) and its tail is
 * written; then new blocks and the arena headers; then superblock 0, then
 * superblock 1, each followed by a flush; then the footers.  A crash at
 * any point leaves either the old or the new state loadable (§15.3).
 *
 * What the commit publishes is whatever the layers above left in fs: the
 * superblock fields (snapshot-tree root, snapdl, nextqid, nextgen), each
 * arena's loghd/size/used, and the dirty blocks in the cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ };

/* Append the barrier and seal every arena's tail (§15.2 step 3). */
static int
synclogs(Gefs *fs, uint64_t q)
{
	GefsLogEnt le;
	uint32_t i;

	for (i = 0; i < fs->sb.narena; i++) {
		le = (GefsLogEnt){.op = GEFS_LOGSYNC, .qgen = q};
		if (logappend(fs, (int)i, &le) < 0 || logseal(fs, (int)i) < 0)
			return gefs_wraperr(&fs->err, "commit: arena %u log", i);
	}
	return 0;
}

/* The informational hash of the log head (§5.1): its block as it will be
 * written. */
static uint64_t
headhash(Gefs *fs, const Arena *a)
{
	GefsErr e;
	Blk *b;
	uint64_t h;

	if (a->tailblk != NULL && a->tailblk->addr == a->hdr.loghdaddr)
		return gefs_blkhash(a->tailblk->buf);
	e.code = 0;
	b = cacheget(fs->cache, a->hdr.loghdaddr, CACHE_READ, &e);
	if (b == NULL)
		return GEFS_NONE;
	h = gefs_blkhash(b->buf);
	cacheput(fs->cache, b);
	return h;
}

/* Pack arena i's header into the copy in use and queue it as header and
 * footer (identical blocks); its hash goes to the superblock table.  The
 * two blocks stay referenced in hf until the flush. */
static int
packhdr(Gefs *fs, uint32_t i, Blk *hf[2])
{
	Arena *a = &fs->arena[i];
	Blk *src;

	a->hdr.size = a->size;
	a->hdr.used = a->used;
	a->hdr.loghdhash = headhash(fs, a);
	hf[0] = cacheget(fs->cache, a->addr, CACHE_READ, &fs->err);
	hf[1] = cacheget(fs->cache, a->addr + B, CACHE_READ, &fs->err);
	if (hf[0] == NULL || hf[1] == NULL)
		return gefs_wraperr(&fs->err, "commit: arena %u header", i);
	src = hf[a->hdrcopy == 1];
	gefs_packarena(src->buf, &a->hdr);
	if (src != hf[0])
		memcpy(hf[0]->buf, src->buf, B);
	memcpy(hf[1]->buf, hf[0]->buf, B);
	hf[0]->flags &= ~(uint32_t)BLK_VERIFIED;
	hf[1]->flags &= ~(uint32_t)BLK_VERIFIED;
	fs->sb.arenahash[i] = gefs_blkhash(hf[0]->buf);
	cachedirty(fs->cache, hf[0], STAGE_HDR);
	cachedirty(fs->cache, hf[1], STAGE_FOOTER);
	return 0;
}

/* Pack the superblock with qgen q on top of the copy in use and queue it
 * at both addresses (the tail of the block, §22, is kept). */
static int
packsbs(Gefs *fs, uint64_t q, Blk *sb[2])
{
	uint64_t at[2];
	GefsSb s;
	Blk *src;

	at[0] = 0;
	at[1] = sb1addr(fs);
	sb[0] = cacheget(fs->cache, at[0], CACHE_READ, &fs->err);
	sb[1] = cacheget(fs->cache, at[1], CACHE_READ, &fs->err);
	if (sb[0] == NULL || sb[1] == NULL)
		return gefs_wraperr(&fs->err, "commit: superblock");
	s = fs->sb;
	s.qgen = q;
	src = sb[fs->sbcopy == 1];
	if (gefs_packsb(src->buf, &s, &fs->err) < 0)
		return -1;
	memcpy(sb[1 - (fs->sbcopy == 1)]->buf, src->buf, B);
	sb[0]->flags &= ~(uint32_t)BLK_VERIFIED;
	sb[1]->flags &= ~(uint32_t)BLK_VERIFIED;
	cachedirty(fs->cache, sb[0], STAGE_SB0);
	cachedirty(fs->cache, sb[1], STAGE_SB1);
	return 0;
}

int
commit(Gefs *fs)
{
	Blk **held;
	uint64_t q;
	uint32_t i, n = 0;
	int rc = -1;

	if (devrdonly(fs->dev))
		return gefs_seterr(&fs->err, EROFS, "commit: %s is open read-only", devpath(fs->dev));
	held = calloc(2 * (size_t)fs->sb.narena + 2, sizeof *held);
	if (held == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "commit: out of memory");
	q = fs->sb.qgen + 1;
	if (synclogs(fs, q) < 0)
		goto out;
	for (i = 0; i < fs->sb.narena; i++, n += 2)
		if (packhdr(fs, i, held + n) < 0)
			goto out;
	if (packsbs(fs, q, held + n) < 0)
		goto out;
	n += 2;
	if (cacheflush(fs->cache, &fs->err) < 0) {
		gefs_wraperr(&fs->err, "commit %llu", (unsigned long long)q);
		goto out;
	}
	fs->sb.qgen = q;
	rc = 0;
out:
	for (i = 0; i < 2 * fs->sb.narena + 2; i++)
		if (held[i] != NULL)
			cacheput(fs->cache, held[i]);
	free(held);
	return rc;
}
