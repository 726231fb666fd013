/* SPDX-License-Identifier: MIT */
/*
 * verify — the checker's data-block verification on worker threads.
 *
 * The tree walk queues (address, expected hash, key string) and goes on.
 * Entries are gathered in batches; a worker takes a whole batch, sorts it
 * by address, reads adjacent blocks with one pread of up to 1 MiB (after
 * a WILLNEED hint for the whole batch, so the device sees every run at
 * once), hashes each block and keeps the result in the entry.
 *
 * Reporting stays with the walking thread (problem reporting is not
 * thread safe) and stays deterministic: batch s is reported, in queueing
 * order, when the walker starts filling batch s + WINDOW, or at vqdrain.
 * Those points depend only on how many blocks were queued, never on the
 * number of threads or their timing, so every thread count (0 = verified
 * by the walker itself) gives the same findings in the same order.
 *
 * Memory: WINDOW batches of BATCH entries and one 1 MiB buffer per
 * thread, whatever the size of the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "check.h"

enum {
	B	= GEFS_BLKSZ,
	BATCH	= 256,			/* entries per batch: 4 MiB of data */
	WINDOW	= 16,			/* batches queued, in flight or unreported */
	RUN	= 64,			/* blocks per read: 1 MiB */
	MAXTHR	= 8,
	ALIGN	= 4096,			/* unaligned buffers make the kernel copy 6x slower */
};

typedef struct Ent {
	uint64_t	addr, hash, got;
	int		err;		/* 0, an errno, or -1: end of file */
	uint16_t	idx;		/* queueing position in the batch */
	VqBad		fn;		/* where a finding goes */
	void		*arg;
	char		ctx[VQCTX];
} Ent;

typedef struct Batch {
	Ent		e[BATCH];
	uint32_t	n;
	bool		done;		/* verified (under Vq.mu once submitted) */
} Batch;

typedef struct Wk {
	Vq		*q;
	pthread_t	thr;
	uint8_t		*buf;		/* RUN blocks, aligned */
} Wk;

struct Vq {
	int		fd, nthr;
	uint64_t	base;			/* the device window (devbase) */
	Wk		wk[MAXTHR];
	uint8_t		*buf;			/* nthr == 0: the walker's */
	pthread_mutex_t	mu;
	pthread_cond_t	work, done;
	Batch		*ring;			/* WINDOW batches; seq s at s % WINDOW */
	uint64_t	nsub;			/* batches submitted; nsub is being filled */
	uint64_t	nret;			/* batches reported */
	uint64_t	ntaken;			/* batches taken by workers (under mu) */
	bool		quit;			/* under mu */
	atomic_bool	skip;			/* cancelled: read nothing more */
	Ent		*bad[BATCH];		/* scratch for reporting one batch */
};

/* pread all of n bytes at off: 0, an errno, or -1 at end of file. */
static int
readall(int fd, uint8_t *p, size_t n, uint64_t off)
{
	ssize_t r;
	size_t done = 0;

	while (done < n) {
		r = pread(fd, p + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno != 0 ? errno : EIO;
		if (r == 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static int
byaddr(const void *a, const void *b)
{
	const Ent *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The length of the run of adjacent blocks starting at e[i] (at most RUN). */
static uint32_t
runlen(const Batch *b, uint32_t i)
{
	uint32_t j;

	for (j = i + 1; j < b->n && j - i < RUN && b->e[j].addr == b->e[j - 1].addr + B; j++)
		;
	return j - i;
}

/* Read and hash the run e[i..i+n) with buf.  A failed run is read again
 * block by block, so an error names exactly the blocks a serial read
 * would. */
static void
verifyrun(Vq *q, Batch *b, uint32_t i, uint32_t n, uint8_t *buf)
{
	uint32_t k;
	int err;

	err = readall(q->fd, buf, (size_t)n * B, q->base + b->e[i].addr);
	for (k = 0; k < n; k++) {
		if (err != 0 && n > 1)
			b->e[i + k].err = readall(q->fd, buf + (size_t)k * B, B, q->base + b->e[i + k].addr);
		else
			b->e[i + k].err = err;
		b->e[i + k].got = b->e[i + k].err ? 0 : gefs_blkhash(buf + (size_t)k * B);
	}
}

/* Verify every entry of b (left sorted by address); results stay in the
 * entries.  Once cancelled, the remaining entries are marked good. */
static void
verifybatch(Vq *q, Batch *b, uint8_t *buf)
{
	uint32_t i, n;

	qsort(b->e, b->n, sizeof b->e[0], byaddr);
	for (i = 0; i < b->n; i += runlen(b, i))	/* cold: 1.5x faster */
		posix_fadvise(q->fd, (off_t)(q->base + b->e[i].addr), (off_t)runlen(b, i) * B, POSIX_FADV_WILLNEED);
	for (i = 0; i < b->n; i += n) {
		n = runlen(b, i);
		if (atomic_load(&q->skip)) {
			for (; i < b->n; i++)
				b->e[i].got = b->e[i].hash, b->e[i].err = 0;
			return;
		}
		verifyrun(q, b, i, n, buf);
	}
}

/* Worker: verify submitted batches in order until told to quit. */
static void *
worker(void *arg)
{
	Wk *w = arg;
	Vq *q = w->q;
	Batch *b;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->ntaken == q->nsub && !q->quit)
			pthread_cond_wait(&q->work, &q->mu);
		if (q->ntaken == q->nsub)
			break;
		b = &q->ring[q->ntaken++ % WINDOW];
		pthread_mutex_unlock(&q->mu);
		verifybatch(q, b, w->buf);
		pthread_mutex_lock(&q->mu);
		b->done = true;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static uint8_t *
alignbuf(void)
{
	void *p;

	return posix_memalign(&p, ALIGN, (size_t)RUN * B) == 0 ? p : NULL;
}

/* Start up to nthr workers (at most MAXTHR) reading d's descriptor; 0, or
 * none started: the walker verifies each batch itself.  NULL when out of
 * memory. */
Vq *
vqnew(Dev *d, int nthr)
{
	Vq *q = calloc(1, sizeof *q);
	Wk *w;

	if (q == NULL || (q->ring = calloc(WINDOW, sizeof *q->ring)) == NULL) {
		free(q);
		return NULL;
	}
	q->fd = devfd(d);
	q->base = devbase(d);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	atomic_init(&q->skip, false);
	for (; q->nthr < nthr && q->nthr < MAXTHR; q->nthr++) {
		w = &q->wk[q->nthr];
		w->q = q;
		if ((w->buf = alignbuf()) == NULL || pthread_create(&w->thr, NULL, worker, w) != 0) {
			free(w->buf);
			w->buf = NULL;
			break;
		}
	}
	if (q->nthr == 0 && (q->buf = alignbuf()) == NULL) {
		vqfree(q);
		return NULL;
	}
	return q;
}

/* Report the oldest unreported batch, once verified, in queueing order
 * (nothing when cancelled); its slot is free again. */
static void
retire(Vq *q)
{
	Batch *b = &q->ring[q->nret % WINDOW];
	uint32_t i, n = 0, j;
	Ent *e;

	pthread_mutex_lock(&q->mu);
	while (!b->done)
		pthread_cond_wait(&q->done, &q->mu);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < b->n; i++)
		if (b->e[i].err != 0 || b->e[i].got != b->e[i].hash)
			q->bad[n++] = &b->e[i];
	for (i = 1; i < n; i++)		/* few: insertion sort by queueing position */
		for (j = i; j > 0 && q->bad[j - 1]->idx > q->bad[j]->idx; j--)
			e = q->bad[j], q->bad[j] = q->bad[j - 1], q->bad[j - 1] = e;
	for (i = 0; i < n && !atomic_load(&q->skip); i++)
		q->bad[i]->fn(q->bad[i]->arg, q->bad[i]->addr, q->bad[i]->got, q->bad[i]->hash, q->bad[i]->err,
			q->bad[i]->ctx);
	b->n = 0;
	b->done = false;	/* no worker looks at it until it is submitted again */
	q->nret++;
}

/* Hand the batch being filled to the workers, or verify it here. */
static void
submit(Vq *q)
{
	Batch *b = &q->ring[q->nsub % WINDOW];

	if (q->nthr == 0) {
		verifybatch(q, b, q->buf);
		b->done = true;
		q->nsub++;
		return;
	}
	pthread_mutex_lock(&q->mu);
	q->nsub++;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
}

/* Queue one data block: its address, the hash its pointer holds and the
 * key naming it; fn(arg, ...) gets a finding, at a later vqpush or at
 * vqdrain.  May report older findings before returning. */
int
vqpush(Vq *q, uint64_t addr, uint64_t hash, const char *ctx, VqBad fn, void *arg)
{
	Batch *b;
	Ent *e;

	if (q->nsub - q->nret == WINDOW)
		retire(q);
	b = &q->ring[q->nsub % WINDOW];
	e = &b->e[b->n];
	e->addr = addr;
	e->hash = hash;
	e->idx = (uint16_t)b->n++;
	e->fn = fn;
	e->arg = arg;
	snprintf(e->ctx, sizeof e->ctx, "%s", ctx);
	if (b->n == BATCH)
		submit(q);
	return 0;
}

/* Verify everything queued and report what is left, in queueing order.
 * cancel: read nothing more and report nothing. */
void
vqdrain(Vq *q, bool cancel)
{
	if (cancel)
		atomic_store(&q->skip, true);
	if (q->nsub - q->nret < WINDOW && q->ring[q->nsub % WINDOW].n > 0)
		submit(q);	/* the batch being filled (a full window: none) */
	while (q->nret < q->nsub)
		retire(q);
	atomic_store(&q->skip, false);
}

/* Stop the workers and free q (NULL: nothing). */
void
vqfree(Vq *q)
{
	int i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthr; i++) {
		pthread_join(q->wk[i].thr, NULL);
		free(q->wk[i].buf);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->done);
	free(q->ring);
	free(q->buf);
	free(q);
}
