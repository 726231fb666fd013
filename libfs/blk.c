/* SPDX-License-Identifier: MIT */
/*
 * blk — typed block reads with verification (§3): tree nodes and data
 * blocks against the hash of the pointer used to reach them, log and
 * deadlist blocks against their own body hash (§1.3: pointers to them
 * carry no usable hash).  Every address is checked against the arena
 * table before it reaches the cache, so a wild pointer in an image names
 * itself instead of reading a superblock or a header as a node.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ };

void
fswarn(Gefs *fs, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fs->nwarn++;
	if (fs->opts.warn != NULL)
		fs->opts.warn(fs->opts.warnarg, msg);
}

/* End of arena i: H + 32K + S, clamped to the next arena's start (or the
 * end of the address space) when the size is unknown or absurd. */
static uint64_t
arenaend(Gefs *fs, int i)
{
	uint64_t lim, end;
	const Arena *a;

	a = &fs->arena[i];
	lim = (uint32_t)i + 1 < fs->sb.narena ? fs->arena[i + 1].addr : GEFS_NONE;
	end = a->addr + 2 * B + a->size;
	if (a->size == GEFS_NONE || end < a->addr || end > lim)
		return lim;
	return end;
}

int
arenaof(Gefs *fs, uint64_t addr)
{
	int lo, hi, mid;

	if (fs->arena == NULL || fs->sb.narena == 0)
		return -1;
	/* the table is ordered (checked at load): find the last start <= addr */
	lo = 0;
	hi = (int)fs->sb.narena - 1;
	if (addr < fs->arena[0].addr)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (fs->arena[mid].addr <= addr)
			lo = mid;
		else
			hi = mid - 1;
	}
	return addr < arenaend(fs, lo) ? lo : -1;
}

int
indata(Gefs *fs, int ai, uint64_t addr)
{
	uint64_t lo;

	if (ai < 0 || addr % B != 0)
		return -1;
	lo = fs->arena[ai].addr + 2 * B;
	return addr >= lo && addr < arenaend(fs, ai) ? 0 : -1;
}

/* Is addr a fit place for a block of type want?  Arena blocks are the
 * header and footer of some arena; every other kind lies in a data area.
 * Before the arenas are loaded only the device bounds are known. */
static int
checkaddr(Gefs *fs, uint64_t addr, int want)
{
	const char *tn;
	int ai;

	tn = want < 0 ? "node" : gefs_typename(want);
	if (addr == GEFS_NONE)
		return gefs_seterr(&fs->err, EBADMSG, "%s pointer: address is NONE", tn);
	if (addr % B != 0 || devsize(fs->dev) < B || addr > devsize(fs->dev) - B)
		return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): %s",
			(unsigned long long)addr, tn, addr % B ? "address not block-aligned" : "address outside the device");
	if (fs->arena == NULL)
		return 0;
	ai = arenaof(fs, addr);
	if (want == GEFS_TARENA) {
		if (ai >= 0 && (addr == fs->arena[ai].addr || addr == fs->arena[ai].addr + B))
			return 0;
		return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (arena): not an arena header or footer",
			(unsigned long long)addr);
	}
	if (indata(fs, ai, addr) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): address outside every arena's data area",
			(unsigned long long)addr, tn);
	return 0;
}

/* Does block type t satisfy want (-1: pivot or leaf; GEFS_TDAT: any)? */
static bool
typeok(int t, int want)
{
	if (want == GEFS_TDAT)
		return true;
	if (want < 0)
		return t == GEFS_TPIVOT || t == GEFS_TLEAF;
	return t == want;
}

Blk *
getblk(Gefs *fs, const GefsBptr *bp, int want)
{
	const char *tn;
	Blk *b;
	int t;

	if (checkaddr(fs, bp->addr, want) < 0)
		return NULL;
	tn = want < 0 ? "node" : gefs_typename(want);
	b = cacheget(fs->cache, bp->addr, CACHE_READ, &fs->err);
	if (b == NULL) {
		gefs_wraperr(&fs->err, "block 0x%llx (%s)", (unsigned long long)bp->addr, tn);
		return NULL;
	}
	blkhashonce(b);
	if (b->vhash != bp->hash) {
		if (!fs->opts.ignhash) {
			gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): hash 0x%016llx does not match the pointer's 0x%016llx",
				(unsigned long long)bp->addr, tn, (unsigned long long)b->vhash,
				(unsigned long long)bp->hash);
			cacheput(fs->cache, b);
			return NULL;
		}
		fswarn(fs, "block 0x%llx (%s): hash 0x%016llx does not match the pointer's 0x%016llx, read on",
			(unsigned long long)bp->addr, tn, (unsigned long long)b->vhash, (unsigned long long)bp->hash);
	}
	t = gefs_blktype(b->buf);
	if (!typeok(t, want)) {
		gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): type %d (%s), expected %s",
			(unsigned long long)bp->addr, tn, t, gefs_typename(t), want < 0 ? "pivot or leaf" : tn);
		cacheput(fs->cache, b);
		return NULL;
	}
	return b;
}

void
blkhashonce(Blk *b)
{
	if (!(b->flags & BLK_VERIFIED)) {
		b->vhash = gefs_blkhash(b->buf);
		b->flags = (b->flags | BLK_VERIFIED) & ~(uint32_t)BLK_NODEOK;
	}
}

/* A node is validated once per time its buffer is read or changed (a
 * scan visits pivots many times). */
Blk *
getnode(Gefs *fs, const GefsBptr *bp, GefsNode *out)
{
	Blk *b;

	b = getblk(fs, bp, -1);
	if (b == NULL)
		return NULL;
	/* a lookup decodes every node on its path: validate each content once */
	if ((b->flags & (BLK_VERIFIED | BLK_NODEOK)) == (BLK_VERIFIED | BLK_NODEOK) && b->nodeh == b->vhash) {
		nodeview(out, b->buf, bp->addr);
		return b;
	}
	if (gefs_unpacknode(out, b->buf, bp->addr, &fs->err) < 0) {
		cacheput(fs->cache, b);
		return NULL;
	}
	if (b->flags & BLK_VERIFIED) {
		b->flags |= BLK_NODEOK;
		b->nodeh = b->vhash;
	}
	return b;
}

Blk *
readlogblk(Gefs *fs, uint64_t addr, int want, GefsLogHdr *hdr, bool *hashok)
{
	Blk *b;

	if (checkaddr(fs, addr, want) < 0)
		return NULL;
	b = cacheget(fs->cache, addr, CACHE_READ, &fs->err);
	if (b == NULL) {
		gefs_wraperr(&fs->err, "block 0x%llx (%s)", (unsigned long long)addr, gefs_typename(want));
		return NULL;
	}
	if (gefs_unpackloghdr(hdr, b->buf, want, addr, &fs->err) < 0) {
		cacheput(fs->cache, b);
		return NULL;
	}
	/* in-place rewrites make a cached verdict worthless: hash every time */
	*hashok = gefs_loghash(b->buf, hdr->logsz) == hdr->logh;
	return b;
}

Blk *
getlogblk(Gefs *fs, uint64_t addr, int want, GefsLogHdr *hdr)
{
	bool hashok;
	Blk *b;

	b = readlogblk(fs, addr, want, hdr, &hashok);
	if (b == NULL || hashok)
		return b;
	if (!fs->opts.ignhash) {
		gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): logh 0x%016llx does not match the body (logsz %u)",
			(unsigned long long)addr, gefs_typename(want), (unsigned long long)hdr->logh, hdr->logsz);
		cacheput(fs->cache, b);
		return NULL;
	}
	fswarn(fs, "block 0x%llx (%s): logh 0x%016llx does not match the body, read on",
		(unsigned long long)addr, gefs_typename(want), (unsigned long long)hdr->logh);
	return b;
}

void
putblk(Gefs *fs, Blk *b)
{
	if (b != NULL)
		cacheput(fs->cache, b);
}

int
gefs_readblk(Gefs *fs, uint64_t addr, uint8_t *buf)
{
	Blk *b;

	if (addr % B != 0)
		return gefs_seterr(&fs->err, EINVAL, "address 0x%llx is not block-aligned", (unsigned long long)addr);
	if (devsize(fs->dev) < B || addr > devsize(fs->dev) - B)
		return gefs_seterr(&fs->err, ENOENT, "block 0x%llx lies outside the device (%llu bytes)",
			(unsigned long long)addr, (unsigned long long)devsize(fs->dev));
	b = cacheget(fs->cache, addr, CACHE_READ, &fs->err);
	if (b == NULL)
		return -1;
	memcpy(buf, b->buf, B);
	cacheput(fs->cache, b);
	return 0;
}
