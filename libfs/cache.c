/* SPDX-License-Identifier: MIT */
/*
 * cache — the block cache, after venti's disk cache: a fixed budget of
 * block buffers allocated up front, hash chains on the address, reference
 * counts, and a victim heap ordered by each block's second-to-last use
 * (LRU-2), so a long scan, whose blocks are used once, evicts its own
 * blocks before the working set.  Only clean, unreferenced blocks are in
 * the heap: dirty and referenced blocks are never evicted.  Dirty blocks
 * carry a write stage; a flush writes one stage sorted by address with
 * adjacent blocks coalesced into one vectored write, then syncs (the
 * commit's data and log stages share one sync).  A cache full of dirty
 * new blocks writes its data stage out without a sync: nothing durable
 * refers to those blocks before the commit's first sync covers them.
 *
 * Where the data stage goes out through O_DIRECT, a writer thread writes
 * it in the background: once a quarter of the cache is dirty, the dirty
 * unreferenced data-stage blocks are handed to it as one job while the
 * caller fills the rest.  Every decision (when, which blocks) is taken on
 * the caller's thread from its own counts, so the bytes written do not
 * depend on timing; a block in the job is waited for before anyone gets,
 * invalidates or re-dirties it, and before any stage is flushed.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

/* One run of a writer job: iov[i, i+k) written at addr. */
typedef struct Run {
	int		i, k;
	uint64_t	addr;
} Run;

/* The writer thread and its one job (see the head of the file). */
typedef struct Wr {
	pthread_t	t;
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	bool		job, quit;	/* a job is posted / the thread must end */
	Dev		*dev;
	int		fd;
	struct iovec	*iov;
	Run		*run;
	int		nrun;
	int		err;		/* errno of the failed run, 0 */
	uint64_t	erraddr;
} Wr;

struct Cache {
	Dev		*dev;
	uint8_t		*mem;		/* nblk * GEFS_BLKSZ */
	Blk		*blk;
	size_t		nblk;
	Blk		**hash;
	size_t		nhash;		/* power of two */
	Blk		**heap;		/* clean, unreferenced blocks */
	size_t		nheap;
	uint64_t	tick;
	CacheStats	st;
	int		dfd;		/* devdirect's descriptor for the data
					 * stage; -1 none, -2 not opened yet */
	Wr		*wr;		/* the writer thread, NULL until used */
	Blk		**job;		/* the blocks of its job, sorted */
	size_t		njob;		/* 0: no job outstanding */
	uint8_t		*busy;		/* per block: in the job */
	uint64_t	scanat;		/* ndirty at which to look for a job again */
};

enum {
	MINBLK	= 16,
	RUNMAX	= 256,		/* blocks a vectored write: 4 MiB, under IOV_MAX */
};

static void wrstop(Cache *c);
static int wrreap(Cache *c, GefsErr *e);
static int wrkick(Cache *c, GefsErr *e);

static size_t
hashof(Cache *c, uint64_t addr)
{
	uint64_t h = (addr >> GEFS_BLKSHIFT) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 20) & (c->nhash - 1);
}

/* Heap order: older second-to-last use first, then older last use. */
static bool
before(const Blk *a, const Blk *b)
{
	if (a->used[1] != b->used[1])
		return a->used[1] < b->used[1];
	return a->used[0] < b->used[0];
}

static void
heapset(Cache *c, size_t i, Blk *b)
{
	c->heap[i] = b;
	b->heapidx = (int)i;
}

static void
siftup(Cache *c, size_t i)
{
	Blk *b = c->heap[i];

	while (i > 0 && before(b, c->heap[(i - 1) / 2])) {
		heapset(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heapset(c, i, b);
}

static void
siftdown(Cache *c, size_t i)
{
	Blk *b = c->heap[i];
	size_t k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= c->nheap)
			break;
		if (k + 1 < c->nheap && before(c->heap[k + 1], c->heap[k]))
			k++;
		if (!before(c->heap[k], b))
			break;
		heapset(c, i, c->heap[k]);
		i = k;
	}
	heapset(c, i, b);
}

static void
heapadd(Cache *c, Blk *b)
{
	if (b->heapidx >= 0)
		return;
	c->heap[c->nheap] = b;
	b->heapidx = (int)c->nheap++;
	siftup(c, c->nheap - 1);
}

static void
heapdel(Cache *c, Blk *b)
{
	size_t i = (size_t)b->heapidx;
	Blk *last;

	if (b->heapidx < 0)
		return;
	b->heapidx = -1;
	last = c->heap[--c->nheap];
	if (last == b)
		return;
	heapset(c, i, last);
	siftup(c, i);
	siftdown(c, (size_t)last->heapidx);
}

static Blk *
lookup(Cache *c, uint64_t addr)
{
	Blk *b;

	for (b = c->hash[hashof(c, addr)]; b != NULL; b = b->hnext)
		if (b->addr == addr)
			return b;
	return NULL;
}

static void
unhash(Cache *c, Blk *b)
{
	Blk **pp;

	if (b->addr == GEFS_NONE)
		return;
	for (pp = &c->hash[hashof(c, b->addr)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			break;
		}
	b->hnext = NULL;
	b->addr = GEFS_NONE;
}

static void
inhash(Cache *c, Blk *b, uint64_t addr)
{
	size_t h = hashof(c, addr);

	b->addr = addr;
	b->hnext = c->hash[h];
	c->hash[h] = b;
}

Cache *
cachenew(Dev *d, size_t budget, GefsErr *e)
{
	Cache *c;
	size_t i, n = budget / GEFS_BLKSZ;

	if (n < MINBLK)
		n = MINBLK;
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto nomem;
	c->dev = d;
	c->dfd = -2;
	c->nblk = n;
	for (c->nhash = 64; c->nhash < n; c->nhash <<= 1)
		;
	c->mem = aligned_alloc(4096, n * GEFS_BLKSZ);
	c->blk = calloc(n, sizeof *c->blk);
	c->hash = calloc(c->nhash, sizeof *c->hash);
	c->heap = calloc(n, sizeof *c->heap);
	c->busy = calloc(n, 1);
	if (c->mem == NULL || c->blk == NULL || c->hash == NULL || c->heap == NULL || c->busy == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		c->blk[i].buf = c->mem + i * GEFS_BLKSZ;
		c->blk[i].addr = GEFS_NONE;
		c->blk[i].heapidx = -1;
		heapadd(c, &c->blk[i]);
	}
	return c;
nomem:
	cachefree(c);
	gefs_seterr(e, ENOMEM, "cannot allocate a block cache of %zu blocks", n);
	return NULL;
}

void
cachefree(Cache *c)
{
	if (c == NULL)
		return;
	wrstop(c);
	if (c->dfd >= 0)
		close(c->dfd);
	free(c->mem);
	free(c->blk);
	free(c->hash);
	free(c->heap);
	free(c->busy);
	free(c);
}

/* A block to load into: the heap's minimum, flushing the data stage once
 * when every clean block is referenced. */
static int writestage(Cache *c, int s, GefsErr *e);

static Blk *
victim(Cache *c, GefsErr *e)
{
	Blk *b;

	if (wrkick(c, e) < 0 || (c->nheap == 0 && wrreap(c, e) < 0))
		return NULL;
	/* written, not synced: new blocks become durable with the commit's
	 * first flush, and nothing durable points at them before it (§15.3) */
	if (c->nheap == 0 && c->st.ndirty > 0 && writestage(c, STAGE_DATA, e) < 0)
		return NULL;
	if (c->nheap == 0) {
		gefs_seterr(e, ENOMEM, "cache full: all %zu blocks referenced or dirty", c->nblk);
		return NULL;
	}
	b = c->heap[0];
	heapdel(c, b);
	if (b->addr != GEFS_NONE) {
		c->st.evictions++;
		unhash(c, b);
	}
	return b;
}

static void
touch(Cache *c, Blk *b)
{
	b->used[1] = b->used[0];
	b->used[0] = ++c->tick;
}

Blk *
cacheget(Cache *c, uint64_t addr, int flags, GefsErr *e)
{
	Blk *b;

	if (addr % GEFS_BLKSZ != 0 || addr > devsize(c->dev) || devsize(c->dev) - addr < GEFS_BLKSZ) {
		gefs_seterr(e, EINVAL, "block 0x%llx outside the device (%llu bytes)",
			(unsigned long long)addr, (unsigned long long)devsize(c->dev));
		return NULL;
	}
	if ((b = lookup(c, addr)) != NULL && c->busy[b - c->blk] && wrreap(c, e) < 0)
		return NULL;	/* its bytes are being written: wait for them */
	if (b != NULL) {
		c->st.hits++;
		heapdel(c, b);
		b->ref++;
		touch(c, b);
		return b;
	}
	c->st.misses++;
	if ((b = victim(c, e)) == NULL)
		return NULL;
	b->flags = 0;
	b->used[0] = b->used[1] = 0;
	if (flags & CACHE_FILL)
		;	/* the caller overwrites every byte */
	else if (flags & CACHE_NOREAD)
		memset(b->buf, 0, GEFS_BLKSZ);
	else if (devread(c->dev, b->buf, GEFS_BLKSZ, addr, e) < 0) {
		heapadd(c, b);
		return NULL;
	}
	inhash(c, b, addr);
	b->ref = 1;
	touch(c, b);
	return b;
}

void
cacheput(Cache *c, Blk *b)
{
	if (b == NULL || b->ref <= 0)
		return;
	if (--b->ref == 0 && !b->dirty)
		heapadd(c, b);
}

void
cachedirty(Cache *c, Blk *b, int s)
{
	if (!b->dirty)
		c->st.ndirty++;
	b->dirty = 1;
	b->stage = s;
	heapdel(c, b);
}

static int
addrcmp(const void *a, const void *b)
{
	const Blk *x = *(Blk *const *)a, *y = *(Blk *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Write one run of stage s.  Data-stage runs (new tree, data and
 * deadlist blocks: nothing durable points at them before the commit's
 * sync) go through an O_DIRECT descriptor where the host allows it, so
 * that bulk file data is not copied into the page cache first (the
 * buffers are page-aligned, 16 KiB blocks); the commit's fsync of the
 * same file makes them durable.  devdirect gives none when a write
 * observer or fault injection is set; EINVAL (an alignment the host
 * refuses) falls back to buffered writes for good. */
static int
putrun(Cache *c, int s, const struct iovec *iov, int k, uint64_t addr, GefsErr *e)
{
	GefsErr le = {0};

	if (e == NULL)
		e = &le;
	if (s == STAGE_DATA && c->dfd == -2)
		c->dfd = devdirect(c->dev);
	if (s == STAGE_DATA && c->dfd >= 0) {
		if (devwritevdirect(c->dev, c->dfd, iov, k, addr, e) == 0)
			return 0;
		if (e->code != EINVAL)
			return -1;
		close(c->dfd);
		c->dfd = -1;
		e->code = 0;
	}
	return devwritev(c->dev, iov, k, addr, e);
}

/* b was written: clean, evictable when unreferenced. */
static void
clean(Cache *c, Blk *b)
{
	b->dirty = 0;
	c->st.ndirty--;
	c->st.byteswritten += GEFS_BLKSZ;
	if (b->ref == 0)
		heapadd(c, b);
}

/* Write v[0,n) (sorted), coalescing runs of adjacent addresses. */
static int
writeruns(Cache *c, int s, Blk **v, size_t n, GefsErr *e)
{
	struct iovec iov[256];	/* 4 MiB a call: runs of new blocks are long */
	size_t i = 0, k;

	while (i < n) {
		for (k = 0; i + k < n && k < nelem(iov) && (k == 0
		|| v[i + k]->addr == v[i + k - 1]->addr + GEFS_BLKSZ); k++) {
			iov[k].iov_base = v[i + k]->buf;
			iov[k].iov_len = GEFS_BLKSZ;
		}
		if (putrun(c, s, iov, (int)k, v[i]->addr, e) < 0)
			return -1;
		for (; k > 0; k--, i++)
			clean(c, v[i]);
	}
	return 0;
}

/* ---- the writer thread ---- */

static void
wrrun(Wr *w)
{
	int i;

	for (i = 0; i < w->nrun && w->err == 0; i++)
		if ((w->err = devdirectio(w->dev, w->fd, w->iov + w->run[i].i, w->run[i].k, w->run[i].addr)) != 0)
			w->erraddr = w->run[i].addr;
}

static void *
wrmain(void *arg)
{
	Wr *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->job && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->job)
			break;
		pthread_mutex_unlock(&w->mu);
		wrrun(w);
		pthread_mutex_lock(&w->mu);
		w->job = false;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Start the writer thread: 0, or -1 when the host gives none (the
 * caller then writes synchronously). */
static int
wrstart(Cache *c)
{
	Wr *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto nomutex;
	if (pthread_cond_init(&w->cv, NULL) != 0)
		goto nocond;
	if (pthread_create(&w->t, NULL, wrmain, w) != 0)
		goto nothread;
	w->dev = c->dev;
	c->wr = w;
	return 0;
nothread:
	pthread_cond_destroy(&w->cv);
nocond:
	pthread_mutex_destroy(&w->mu);
nomutex:
	free(w);
	return -1;
}

static void
wrstop(Cache *c)
{
	Wr *w = c->wr;

	if (w == NULL)
		return;
	wrreap(c, NULL);
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->t, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	c->wr = NULL;
}

/* Wait for the outstanding job and account it: its blocks are clean
 * when it succeeded; after EINVAL (an alignment the host refuses) they
 * stay dirty for the buffered path, which is used from then on; another
 * error fails naming the run's address (the blocks stay dirty). */
static int
wrreap(Cache *c, GefsErr *e)
{
	Wr *w = c->wr;
	size_t i;
	int j, rc = 0;

	if (c->njob == 0)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->job)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	for (j = 0; j < w->nrun && w->err == 0; j++)
		devdirectdone(c->dev, w->run[j].addr, (size_t)w->run[j].k * GEFS_BLKSZ);
	for (i = 0; i < c->njob; i++) {
		c->busy[c->job[i] - c->blk] = 0;
		if (w->err == 0)
			clean(c, c->job[i]);
	}
	if (w->err == EINVAL) {
		close(c->dfd);
		c->dfd = -1;
	} else if (w->err != 0)
		rc = gefs_seterr(e, w->err, "%s: write at 0x%llx: %s", devpath(c->dev),
			(unsigned long long)w->erraddr, strerror(w->err));
	if (w->err == 0)
		c->st.flushes++;
	free(c->job);
	free(w->iov);
	free(w->run);
	c->job = NULL;
	c->njob = 0;
	return rc;
}

/* The dirty, unreferenced data-stage blocks into c->job, sorted. */
static size_t
wrpick(Cache *c)
{
	size_t i, n = 0;
	Blk *b;

	for (i = 0; i < c->nblk; i++) {
		b = &c->blk[i];
		if (b->dirty && b->stage == STAGE_DATA && b->ref == 0 && b->addr != GEFS_NONE)
			c->job[n++] = b;
	}
	qsort(c->job, n, sizeof *c->job, addrcmp);
	return n;
}

/* Cut c->job[0, n) into runs of adjacent blocks for w; -1 (ENOMEM or a
 * window outside the device) leaves nothing posted. */
static int
wrplan(Cache *c, Wr *w, size_t n, GefsErr *e)
{
	size_t i;

	w->iov = malloc(n * sizeof *w->iov);
	w->run = malloc(n * sizeof *w->run);
	if (w->iov == NULL || w->run == NULL)
		return gefs_seterr(e, ENOMEM, "cache flush: out of memory");
	w->nrun = 0;
	for (i = 0; i < n; i++) {
		w->iov[i] = (struct iovec){c->job[i]->buf, GEFS_BLKSZ};
		if (i > 0 && c->job[i]->addr == c->job[i - 1]->addr + GEFS_BLKSZ && w->run[w->nrun - 1].k < RUNMAX) {
			w->run[w->nrun - 1].k++;
			continue;
		}
		w->run[w->nrun++] = (Run){(int)i, 1, c->job[i]->addr};
	}
	for (i = 0; i < (size_t)w->nrun; i++)
		if (devdirectok(c->dev, w->run[i].addr, (size_t)w->run[i].k * GEFS_BLKSZ, e) < 0)
			return -1;
	return 0;
}

/* Post c->job[0, n) to the writer. */
static int
wrpost(Cache *c, size_t n, GefsErr *e)
{
	Wr *w = c->wr;
	size_t i;

	if (wrplan(c, w, n, e) < 0) {
		free(w->iov);
		free(w->run);
		free(c->job);
		c->job = NULL;
		return -1;
	}
	for (i = 0; i < n; i++)
		c->busy[c->job[i] - c->blk] = 1;
	c->njob = n;
	w->fd = c->dfd;
	w->err = 0;
	pthread_mutex_lock(&w->mu);
	w->job = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* Hand the data stage to the writer when a quarter of the cache is dirty
 * and not yet in a job (after the previous job is reaped).  Too few
 * unreferenced blocks: look again when an eighth more are dirty. */
static int
wrkick(Cache *c, GefsErr *e)
{
	size_t quarter = c->nblk / 4, n;

	if (c->st.ndirty - c->njob < quarter || c->st.ndirty < c->scanat)
		return 0;
	if (c->dfd == -2)
		c->dfd = devdirect(c->dev);
	if (c->dfd < 0 || (c->wr == NULL && wrstart(c) < 0))
		return 0;
	if (wrreap(c, e) < 0)
		return -1;
	if ((c->job = malloc(c->nblk * sizeof *c->job)) == NULL)
		return 0;	/* the synchronous path remains */
	if ((n = wrpick(c)) < quarter / 2) {
		free(c->job);
		c->job = NULL;
		c->scanat = c->st.ndirty + c->nblk / 8;
		return 0;
	}
	c->scanat = 0;
	return wrpost(c, n, e);
}

/* Write the dirty blocks of stage s, not synced: 1 when there were
 * some, 0 when none, -1. */
static int
writestage(Cache *c, int s, GefsErr *e)
{
	Blk **v;
	size_t i, n = 0;
	int rc;

	if (wrreap(c, e) < 0)
		return -1;
	if (c->st.ndirty == 0)
		return 0;
	if ((v = malloc(sizeof *v * c->nblk)) == NULL)
		return gefs_seterr(e, ENOMEM, "cache flush: out of memory");
	for (i = 0; i < c->nblk; i++)
		if (c->blk[i].dirty && c->blk[i].stage == s && c->blk[i].addr != GEFS_NONE)
			v[n++] = &c->blk[i];
	qsort(v, n, sizeof *v, addrcmp);
	rc = n == 0 ? 0 : writeruns(c, s, v, n, e);
	free(v);
	if (rc == 0 && n > 0)
		c->st.flushes++;
	return rc < 0 ? -1 : (int)(n > 0);
}

int
cacheflushstage(Cache *c, int s, GefsErr *e)
{
	int rc = writestage(c, s, e);

	return rc <= 0 ? rc : devsync(c->dev, e);
}

/* Every stage in order with a sync after each, except that the data
 * stage and the log tails share one: §15.2 asks for the log tails to be
 * durable before the headers, and for the tree and data blocks before
 * the superblocks; neither order depends on the other (a tail written
 * without the blocks it lists, or blocks without the tail, both load as
 * the old state: replay stops at the old barrier, §15.3). */
int
cacheflush(Cache *c, GefsErr *e)
{
	int s, rc, w = 0;

	for (s = 0; s < NSTAGE; s++) {
		if ((rc = writestage(c, s, e)) < 0)
			return -1;
		w |= rc;
		if (s == STAGE_DATA)
			continue;	/* the log stage follows it */
		if (w && devsync(c->dev, e) < 0)
			return -1;
		w = 0;
	}
	return 0;
}

void
cacheinval(Cache *c, uint64_t addr)
{
	Blk *b = lookup(c, addr);

	if (b == NULL)
		return;
	if (c->busy[b - c->blk])
		wrreap(c, NULL);	/* a failed job leaves it dirty: dropped below */
	if (b->dirty) {
		b->dirty = 0;
		c->st.ndirty--;
	}
	heapdel(c, b);
	unhash(c, b);
	b->used[0] = b->used[1] = 0;
	if (b->ref == 0)
		heapadd(c, b);
}

void
cachestats(Cache *c, CacheStats *st)
{
	*st = c->st;
	st->nblk = c->nblk;
}

Dev *
cachedev(Cache *c)
{
	return c->dev;
}
