/* SPDX-License-Identifier: MIT */
/* cache suite: LRU-2 victims, full dirty cache, staged ordered flushes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"

enum { NDEV = 256 };	/* device blocks */

static char path[256];
static Dev *dev;

typedef struct Wlog {
	int		n;
	uint64_t	off[512];
	size_t		len[512];
} Wlog;

static void
logw(void *arg, uint64_t off, const void *buf, size_t n)
{
	Wlog *w = arg;

	(void)buf;
	if (w->n < 512) {
		w->off[w->n] = off;
		w->len[w->n] = n;
	}
	w->n++;
}

/* A fresh device of NDEV blocks; block i holds the byte i everywhere. */
static void
setup(void)
{
	static uint8_t blk[GEFS_BLKSZ];
	const char *d = getenv("TMPDIR");
	GefsErr e;
	int fd, i;

	snprintf(path, sizeof path, "%s/gefs-cache-XXXXXX", d && *d ? d : "/tmp");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	dev = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (i = 0; i < NDEV; i++) {
		memset(blk, i, sizeof blk);
		CU_ASSERT_FATAL(devwrite(dev, blk, sizeof blk, (uint64_t)i * GEFS_BLKSZ, &e) == 0);
	}
}

static void
teardown(void)
{
	devclose(dev);
	unlink(path);
}

static uint64_t A(int i) { return (uint64_t)i * GEFS_BLKSZ; }

/* Get and release block i, checking its contents. */
static void
use(Cache *c, int i)
{
	GefsErr e;
	Blk *b = cacheget(c, A(i), CACHE_READ, &e);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->buf[100], (uint8_t)i);
	cacheput(c, b);
}

/* A scan larger than the cache does not evict a block used twice before. */
static void
test_scan(void)
{
	CacheStats st, st2;
	GefsErr e;
	Cache *c;
	int i;

	setup();
	c = cachenew(dev, 32 * GEFS_BLKSZ, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	use(c, 7);
	use(c, 7);			/* the working set: used twice */
	for (i = 100; i < 200; i++)	/* a scan of 100 blocks through 32 */
		use(c, i);
	cachestats(c, &st);
	use(c, 7);
	cachestats(c, &st2);
	CU_ASSERT_EQUAL(st2.hits, st.hits + 1);
	CU_ASSERT_EQUAL(st2.misses, st.misses);
	CU_ASSERT_TRUE(st.evictions >= 100 - 32);
	cachefree(c);
	teardown();
}

/* Referenced blocks are never evicted; all referenced is a clean error. */
static void
test_referenced(void)
{
	Blk *held[16], *b;
	GefsErr e;
	Cache *c;
	int i;

	setup();
	c = cachenew(dev, 16 * GEFS_BLKSZ, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 16; i++) {
		held[i] = cacheget(c, A(i), CACHE_READ, &e);
		CU_ASSERT_PTR_NOT_NULL_FATAL(held[i]);
	}
	b = cacheget(c, A(20), CACHE_READ, &e);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(e.code, ENOMEM);
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(held[i]->addr, A(i));
	cacheput(c, held[3]);
	b = cacheget(c, A(20), CACHE_READ, &e);
	CU_ASSERT_PTR_NOT_NULL(b);
	CU_ASSERT_EQUAL(b->buf[0], 20);
	/* outside the device, unaligned */
	CU_ASSERT_PTR_NULL(cacheget(c, A(NDEV), CACHE_READ, &e));
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_PTR_NULL(cacheget(c, 100, CACHE_READ, &e));
	cachefree(c);
	teardown();
}

/* A full cache of dirty blocks flushes its data stage instead of failing. */
static void
test_fulldirty(void)
{
	uint8_t r[GEFS_BLKSZ];
	CacheStats st;
	GefsErr e;
	Cache *c;
	Blk *b;
	int i;

	setup();
	c = cachenew(dev, 16 * GEFS_BLKSZ, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 40; i++) {
		b = cacheget(c, A(100 + i), CACHE_NOREAD, &e);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		memset(b->buf, 0xc0 + (i & 15), GEFS_BLKSZ);
		cachedirty(c, b, STAGE_DATA);
		cacheput(c, b);
	}
	cachestats(c, &st);
	CU_ASSERT_TRUE(st.flushes >= 1);
	CU_ASSERT_EQUAL(cacheflush(c, &e), 0);
	for (i = 0; i < 40; i++) {
		CU_ASSERT_EQUAL(devread(dev, r, sizeof r, A(100 + i), &e), 0);
		CU_ASSERT_EQUAL(r[5], 0xc0 + (i & 15));
	}
	cachefree(c);
	teardown();
}

/* Stages are written in order, ascending within a stage, adjacent blocks
 * coalesced into one write. */
static void
test_stages(void)
{
	static const struct { int blk, stage; } d[] = {
		{ 50, STAGE_SB1 }, { 12, STAGE_DATA }, { 0, STAGE_SB0 }, { 10, STAGE_DATA },
		{ 11, STAGE_DATA }, { 30, STAGE_HDR }, { 40, STAGE_LOG }, { 31, STAGE_FOOTER },
		{ 5, STAGE_DATA },
	};
	static const uint64_t want[] = { 5, 10, 11, 12, 40, 30, 0, 50, 31 };
	DevStats d0, d1;
	GefsErr e;
	Wlog w;
	Cache *c;
	Blk *b;
	size_t i;

	setup();
	memset(&w, 0, sizeof w);
	c = cachenew(dev, 64 * GEFS_BLKSZ, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < nelem(d); i++) {
		b = cacheget(c, A(d[i].blk), CACHE_READ, &e);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		cachedirty(c, b, d[i].stage);
		cacheput(c, b);
	}
	devobserve(dev, logw, &w);
	devstats(dev, &d0);
	CU_ASSERT_EQUAL(cacheflush(c, &e), 0);
	devstats(dev, &d1);
	/* 9 blocks in 7 write calls: 10, 11, 12 coalesced into one */
	CU_ASSERT_EQUAL(d1.nwrite - d0.nwrite, 7);
	CU_ASSERT_EQUAL(w.n, (int)nelem(want));
	for (i = 0; i < nelem(want) && i < (size_t)w.n; i++)
		CU_ASSERT_EQUAL(w.off[i], A((int)want[i]));
	cachefree(c);
	teardown();
}

/* A failed write leaves the blocks dirty; a retry writes them. */
static void
test_failedwrite(void)
{
	uint8_t r[GEFS_BLKSZ];
	CacheStats st;
	GefsErr e;
	Cache *c;
	Blk *b;

	setup();
	c = cachenew(dev, 16 * GEFS_BLKSZ, &e);
	b = cacheget(c, A(9), CACHE_READ, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(b->buf, 0xee, GEFS_BLKSZ);
	cachedirty(c, b, STAGE_DATA);
	cacheput(c, b);
	devfault(dev, 1, DEVFAULT_EIO);
	CU_ASSERT_EQUAL(cacheflush(c, &e), -1);
	cachestats(c, &st);
	CU_ASSERT_EQUAL(st.ndirty, 1);
	CU_ASSERT_EQUAL(cacheflush(c, &e), 0);
	CU_ASSERT_EQUAL(devread(dev, r, sizeof r, A(9), &e), 0);
	CU_ASSERT_EQUAL(r[0], 0xee);
	cachefree(c);
	teardown();
}

int
suite_cache(void)
{
	CU_pSuite s = CU_add_suite("cache", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "scan does not evict the working set", test_scan) ||
	    !CU_add_test(s, "referenced blocks stay", test_referenced) ||
	    !CU_add_test(s, "full dirty cache flushes", test_fulldirty) ||
	    !CU_add_test(s, "stage order and coalescing", test_stages) ||
	    !CU_add_test(s, "failed write stays dirty", test_failedwrite))
		return -1;
	return 0;
}
