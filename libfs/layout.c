/* SPDX-License-Identifier: MIT */
/*
 * layout — the arena placement the reference formatter computes (FORMAT.md
 * §5.3).  All arithmetic in 64-bit integers, truncating division.
 */
#include <errno.h>
#include <string.h>
#include "gefs.h"

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
	lay->sb1 = size - size % B - B;
	lay->tail = sz - n * (s + 2 * B);
	return 0;
}
