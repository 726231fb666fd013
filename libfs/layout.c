/* SPDX-License-Identifier: MIT */
/*
 * layout — the arena placement the reference formatter computes (FORMAT.md
 * §5.3).  All arithmetic in 64-bit integers, truncating division.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

enum { BLK = GEFS_BLKSZ };

enum { MAXN = 32, MINN = 8 };
#define ARENAUNIT	(4096ULL << 30)		/* 4 TiB: one arena per unit */

/* Compute the layout for a device of size bytes; -1 (EINVAL) if too small. */
int
gefs_layout(GefsLayout *lay, uint64_t size, GefsErr *e)
{
	const uint64_t B = GEFS_BLKSZ;
	uint64_t sz, n, s, i;

	memset(lay, 0, sizeof *lay);
	if (size < GEFS_MINSIZE)
		return gefs_seterr(e, EINVAL, "disk too small: %llu bytes < %d",
			(unsigned long long)size, GEFS_MINSIZE);
	sz = size - size % B - 2 * B;
	n = sz / ARENAUNIT + (sz % ARENAUNIT != 0);	/* ceil, without overflow */
	if (n < MINN)
		n = MINN;
	if (n >= MAXN)
		n = MAXN;
	s = sz / n;
	s = s - s % B - 2 * B;
	lay->devsize = size;
	lay->narena = n;
	lay->arenasz = s;
	for (i = 0; i < n; i++)
		lay->arenastart[i] = B + i * (s + 2 * B);
	lay->sb0 = 0;
	lay->sb1 = sb1of(size);
	lay->tail = sz - n * (s + 2 * B);
	return 0;
}

/* ---- where things are, for loader, checker and writers ---- */

/* Superblock copy 1: the last whole block of a device of devbytes bytes,
 * L - (L mod B) - B (§5.3 step 6); 0 when the device has fewer than two
 * blocks. */
uint64_t
sb1of(uint64_t devbytes)
{
	uint64_t l = devbytes - devbytes % BLK;

	return l >= 2 * BLK ? l - BLK : 0;
}

/* ---- the arena rules loader and checker share (§5.1, §5.2) ---- */

/* Entry a of the superblock's arena table, prev the one before it (first:
 * there is none), sb1 the backup superblock's address.  Arenas may not
 * overlap (§5.2), so the next table entry lies past this arena's header
 * and footer at least; its size is judged by arenafits once read. */
int
arenaslot(uint64_t a, uint64_t prev, bool first, uint64_t sb1)
{
	if (a % BLK != 0 || a < BLK)
		return ARSLOT_ALIGN;
	if (!first && (a < prev || a - prev < 2 * BLK))
		return ARSLOT_ORDER;
	if (a > sb1 || sb1 - a < 2 * BLK)
		return ARSLOT_PAST;
	return ARSLOT_OK;
}

/* An arena at a of S = s bytes spans [a, a + 2B + S) (§5.1): S a positive
 * multiple of B, the span ending at or before lim (the next arena's
 * header or the backup superblock).  A one-block arena (S = B, room for
 * its log block only) obeys §5.1 and §5.2 and so loads. */
bool
arenafits(uint64_t a, uint64_t s, uint64_t lim)
{
	return s != 0 && s % BLK == 0 && lim >= a && lim - a >= 2 * BLK && s <= lim - a - 2 * BLK;
}
