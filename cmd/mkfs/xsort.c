/* SPDX-License-Identifier: MIT */
/*
 * xsort — an external sort of byte records for gefs-mkfs -d's index.
 *
 * A record is [u16 key length][key][payload]; records compare by their
 * keys as unsigned bytes (memcmp, the shorter first on a tie); the
 * callers' keys are unique, so no order is kept among equal ones.  Records are buffered up to a
 * budget; past it the buffer is sorted and written as one run to an
 * unlinked temporary file (in $TMPDIR, else /tmp).  Reading merges the
 * runs; more than FANIN runs are first merged FANIN at a time into
 * longer ones, so that the read buffers stay bounded however small the
 * budget: memory is the budget plus FANIN read buffers, whatever the
 * number of records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xsort.h"

enum {
	FANIN	= 8,		/* runs merged at once: FANIN read buffers */
	RDBUF	= 64 << 10,	/* per run; holds the largest record */
	LENSZ	= 4,		/* u32 record length before each record */
};

typedef struct Run {
	uint64_t	start;		/* in the file: for xsrewind */
	uint64_t	off, end;	/* unread part */
	uint8_t		*buf;
	size_t		have, pos;
} Run;

struct Xsort {
	size_t		budget;
	uint8_t		*mem;		/* [u32 len][record] ... */
	size_t		used, cap;
	uint32_t	*idx;		/* offsets of the buffered records */
	size_t		n, capidx;
	size_t		next;		/* in-memory reading: next of idx */
	int		fd;		/* -1 until the first spill */
	uint64_t	fileoff;
	Run		*run;
	size_t		nrun;
	bool		reading, failed;
};

/* The temporary file's directory, for messages. */
static const char *
tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && d[0] ? d : "/tmp";
}

/* The first failure, reported once: later calls fail quietly. */
static int
xfail(Xsort *x, const char *what, int err)
{
	if (!x->failed)
		msg("", "%s the temporary file in %s: %s", what, tmpdir(), strerror(err ? err : EIO));
	x->failed = true;
	return -1;
}

Xsort *
xsopen(size_t budget)
{
	Xsort *x = calloc(1, sizeof *x);

	if (x == NULL) {
		msg("", "out of memory");
		return NULL;
	}
	x->budget = budget;
	x->fd = -1;
	return x;
}

static uint16_t
keylen(const uint8_t *r)
{
	return (uint16_t)(r[0] | r[1] << 8);
}

static int
reccmp(const uint8_t *a, const uint8_t *b)
{
	size_t na = keylen(a), nb = keylen(b);
	int c = memcmp(a + 2, b + 2, na < nb ? na : nb);

	return c != 0 ? c : (na > nb) - (na < nb);
}

static int
idxcmp(const void *a, const void *b, void *arg)
{
	const uint8_t *m = arg;

	return reccmp(m + *(const uint32_t *)a + LENSZ, m + *(const uint32_t *)b + LENSZ);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static int
spillopen(Xsort *x)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/gefs-mkfs-index.XXXXXX", tmpdir());
	if ((x->fd = mkstemp(path)) < 0)
		return xfail(x, "cannot create", errno);
	unlink(path);
	return 0;
}

/* Write n bytes at the file's end. */
static int
putout(Xsort *x, const void *p, size_t n)
{
	ssize_t w;

	errno = 0;
	if ((w = pwrite(x->fd, p, n, (off_t)x->fileoff)) != (ssize_t)n)
		return xfail(x, "writing", w < 0 ? errno : ENOSPC);
	x->fileoff += n;
	return 0;
}

/* A new run from fileoff (where its first record was written) on. */
static int
newrun(Xsort *x, uint64_t start)
{
	Run *r = realloc(x->run, (x->nrun + 1) * sizeof *r);

	if (r == NULL)
		return xfail(x, "out of memory for", ENOMEM);
	x->run = r;
	r[x->nrun++] = (Run){start, start, x->fileoff, NULL, 0, 0};
	return 0;
}

/* Sort the buffer; write it out as one run. */
static int
spill(Xsort *x)
{
	enum { OUTBUF = 64 << 10 };
	uint8_t out[OUTBUF];
	uint64_t start = x->fileoff;
	size_t i, o = 0, len;

	if (x->fd < 0 && spillopen(x) < 0)
		return -1;
	qsort_r(x->idx, x->n, sizeof *x->idx, idxcmp, x->mem);
	for (i = 0; i < x->n; i++) {
		len = LENSZ + get32(x->mem + x->idx[i]);
		if (o + len > OUTBUF) {
			if (putout(x, out, o) < 0)
				return -1;
			o = 0;
		}
		if (len > OUTBUF) {
			if (putout(x, x->mem + x->idx[i], len) < 0)
				return -1;
			continue;
		}
		memcpy(out + o, x->mem + x->idx[i], len);
		o += len;
	}
	if (o > 0 && putout(x, out, o) < 0)
		return -1;
	x->used = x->n = 0;
	return newrun(x, start);
}

/* Room for one more record of len bytes (with its length). */
static int
grow(Xsort *x, size_t len)
{
	uint8_t *m;
	uint32_t *v;
	size_t c;

	if (x->used + len > x->cap) {
		for (c = x->cap ? x->cap : 4096; c < x->used + len; c *= 2)
			;
		if ((m = realloc(x->mem, c)) == NULL)
			return xfail(x, "out of memory before", ENOMEM);
		x->mem = m, x->cap = c;
	}
	if (x->n == x->capidx) {
		c = x->capidx ? 2 * x->capidx : 256;
		if ((v = realloc(x->idx, c * sizeof *v)) == NULL)
			return xfail(x, "out of memory before", ENOMEM);
		x->idx = v, x->capidx = c;
	}
	return 0;
}

int
xsadd(Xsort *x, const void *rec, size_t n)
{
	size_t len = LENSZ + n;
	uint32_t n32 = (uint32_t)n;

	if (x->failed)
		return -1;
	if (x->reading || n < 2 || n > XSRECMAX || (size_t)2 + keylen(rec) > n)
		return xfail(x, "a malformed record for", EINVAL);
	/* the buffer and its index count against the budget */
	if (x->n > 0 && x->used + len + (x->n + 1) * sizeof *x->idx > x->budget && spill(x) < 0)
		return -1;
	if (grow(x, len) < 0)
		return -1;
	memcpy(x->mem + x->used, &n32, LENSZ);
	memcpy(x->mem + x->used + LENSZ, rec, n);
	x->idx[x->n++] = (uint32_t)x->used;
	x->used += len;
	return 0;
}

/* ---- reading ---- */

/* Run r's next record at r->buf + r->pos, refilled from the file: 1, 0 at
 * its end, -1. */
static int
runpeek(Xsort *x, Run *r)
{
	size_t want;

	if (r->have - r->pos >= LENSZ && r->have - r->pos >= LENSZ + get32(r->buf + r->pos))
		return 1;
	memmove(r->buf, r->buf + r->pos, r->have - r->pos);
	r->have -= r->pos;
	r->pos = 0;
	want = RDBUF - r->have;
	if (want > r->end - r->off)
		want = (size_t)(r->end - r->off);
	errno = 0;
	if (want > 0 && pread(x->fd, r->buf + r->have, want, (off_t)r->off) != (ssize_t)want)
		return xfail(x, "reading", errno ? errno : EIO);
	r->have += want;
	r->off += want;
	if (r->have == 0)
		return 0;
	if (r->have < LENSZ || r->have < LENSZ + get32(r->buf) || get32(r->buf) > XSRECMAX)
		return xfail(x, "a truncated record in", EIO);
	return 1;
}

/* Of runs v[0..n), the one whose record comes first; n at their end. */
static size_t
runbest(Xsort *x, Run *v, size_t n)
{
	size_t i, best = n;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = runpeek(x, &v[i])) < 0)
			return SIZE_MAX;
		if (rc == 0)
			continue;
		if (best == n)
			best = i;
		else if (reccmp(v[i].buf + v[i].pos + LENSZ, v[best].buf + v[best].pos + LENSZ) < 0)
			best = i;
	}
	return best;
}

static int
runbufs(Xsort *x, Run *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].buf == NULL && (v[i].buf = malloc(RDBUF)) == NULL)
			return xfail(x, "out of memory for reading", ENOMEM);
	return 0;
}

static void
runfree(Run *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].buf);
		v[i].buf = NULL;
	}
}

/* Merge the first FANIN runs into one at the file's end; the space they
 * took is given back where the file system can punch holes. */
static int
mergefirst(Xsort *x)
{
	/* runs lie in the file in list order: the first FANIN are adjacent */
	uint64_t start = x->fileoff, lo = x->run[0].off, hi = x->run[FANIN - 1].end;
	size_t b, len;

	if (runbufs(x, x->run, FANIN) < 0)
		return -1;
	while ((b = runbest(x, x->run, FANIN)) < FANIN) {
		len = LENSZ + get32(x->run[b].buf + x->run[b].pos);
		if (putout(x, x->run[b].buf + x->run[b].pos, len) < 0)
			return -1;
		x->run[b].pos += len;
	}
	if (b == SIZE_MAX)
		return -1;
	runfree(x->run, FANIN);
	memmove(x->run, x->run + FANIN, (x->nrun - FANIN) * sizeof *x->run);
	x->nrun -= FANIN;
	x->run[x->nrun++] = (Run){start, start, x->fileoff, NULL, 0, 0};
	fallocate(x->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)lo, (off_t)(hi - lo));
	return 0;
}

int
xsread(Xsort *x)
{
	if (x->failed || x->reading)
		return x->failed ? -1 : 0;
	x->reading = true;
	if (x->nrun == 0) {
		if (x->n > 1)
			qsort_r(x->idx, x->n, sizeof *x->idx, idxcmp, x->mem);
		x->next = 0;
		return 0;
	}
	if (x->n > 0 && spill(x) < 0)
		return -1;
	free(x->mem), free(x->idx);
	x->mem = NULL, x->idx = NULL;
	x->cap = x->capidx = 0;
	while (x->nrun > FANIN)
		if (mergefirst(x) < 0)
			return -1;
	return runbufs(x, x->run, x->nrun);
}

int
xsnext(Xsort *x, const uint8_t **rec, size_t *n)
{
	size_t b;
	Run *r;

	if (x->failed || !x->reading)
		return x->failed ? -1 : xfail(x, "reading before the end of", EINVAL);
	if (x->nrun == 0) {
		if (x->next == x->n)
			return 0;
		*rec = x->mem + x->idx[x->next] + LENSZ;
		*n = get32(x->mem + x->idx[x->next++]);
		return 1;
	}
	if ((b = runbest(x, x->run, x->nrun)) == SIZE_MAX)
		return -1;
	if (b == x->nrun)
		return 0;
	r = &x->run[b];
	*rec = r->buf + r->pos + LENSZ;
	*n = get32(r->buf + r->pos);
	r->pos += LENSZ + *n;
	return 1;
}

int
xsrewind(Xsort *x)
{
	size_t i;

	if (x->failed || !x->reading)
		return x->failed ? -1 : xfail(x, "rewinding before the end of", EINVAL);
	x->next = 0;
	for (i = 0; i < x->nrun; i++) {
		x->run[i].off = x->run[i].start;
		x->run[i].have = x->run[i].pos = 0;
	}
	return 0;
}

void
xsclose(Xsort *x)
{
	if (x == NULL)
		return;
	runfree(x->run, x->nrun);
	free(x->run);
	free(x->mem);
	free(x->idx);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}
