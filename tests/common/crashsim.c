/* SPDX-License-Identifier: MIT */
/*
 * crashsim — record writes through the device observer and replay every
 * crash state of them (see crashsim.h).  A state is built in the work file
 * by writing the chosen writes over a copy of the base image; afterwards
 * every byte range the state or the callback wrote is copied back from
 * the base, so each state costs only the blocks it touches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crashsim.h"

void
crecinit(Crec *r)
{
	memset(r, 0, sizeof *r);
}

void
crecfree(Crec *r)
{
	size_t i;

	for (i = 0; i < r->nw; i++)
		free(r->w[i].buf);
	free(r->w);
	memset(r, 0, sizeof *r);
}

static void
recwrite(void *arg, uint64_t off, const void *buf, size_t n)
{
	Crec *r = arg;
	Cw *w;

	if (r->nw == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		if ((w = realloc(r->w, r->cap * sizeof *w)) == NULL) {
			r->oom = true;
			r->cap = r->nw;
			return;
		}
		r->w = w;
	}
	w = &r->w[r->nw];
	if ((w->buf = malloc(n)) == NULL) {
		r->oom = true;
		return;
	}
	memcpy(w->buf, buf, n);
	w->off = off;
	w->n = n;
	w->epoch = r->epoch;
	r->nw++;
}

static void
recflush(void *arg)
{
	Crec *r = arg;

	r->epoch++;
}

void
crecattach(Crec *r, Dev *d)
{
	devobserve(d, recwrite, r);
	devobserveflush(d, recflush);
}

void
crecall(Crec *r)
{
	if (r == NULL)
		devobserveall(NULL, NULL, NULL);
	else
		devobserveall(recwrite, recflush, r);
}

/* ---- building states ---- */

typedef struct Span {
	uint64_t	off;
	size_t		n;
} Span;

typedef struct Sim {
	const Crec	*r;
	int		bfd, wfd;	/* base (read), work (write) */
	const char	*work;
	Span		*dirty;		/* ranges to copy back from the base */
	size_t		ndirty, cap;
	bool		oom;
	CrashFn		fn;
	void		*arg;
	long		nstate;
} Sim;

static void
markdirty(Sim *s, uint64_t off, size_t n)
{
	Span *d;

	if (s->ndirty == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		if ((d = realloc(s->dirty, s->cap * sizeof *d)) == NULL) {
			s->oom = true;
			s->cap = s->ndirty;
			return;
		}
		s->dirty = d;
	}
	s->dirty[s->ndirty++] = (Span){off, n};
}

/* The callback's writes, as ranges to undo. */
static void
fnwrite(void *arg, uint64_t off, const void *buf, size_t n)
{
	(void)buf;
	markdirty(arg, off, n);
}

static int
putall(int fd, const void *p, size_t n, uint64_t off)
{
	ssize_t w;
	size_t done = 0;

	while (done < n) {
		w = pwrite(fd, (const uint8_t *)p + done, n - done, (off_t)(off + done));
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Copy [off, off+n) of the base over the work file (zeros past its end). */
static int
restore(Sim *s, uint64_t off, size_t n)
{
	uint8_t buf[1 << 14];
	size_t m;
	ssize_t got;

	while (n > 0) {
		m = n < sizeof buf ? n : sizeof buf;
		got = pread(s->bfd, buf, m, (off_t)off);
		if (got < 0)
			return -1;
		memset(buf + got, 0, m - (size_t)got);
		if (putall(s->wfd, buf, m, off) < 0)
			return -1;
		off += m;
		n -= m;
	}
	return 0;
}

/* Apply the writes sel says (sel NULL: the first k), write k torn when
 * torn, run the callback, undo it all. */
static int
state(Sim *s, const bool *sel, size_t k, bool torn, const char *what)
{
	const Cw *w;
	size_t i, n;
	int rc;

	for (i = 0; i < s->r->nw && (sel != NULL || i <= k); i++) {
		w = &s->r->w[i];
		if (sel != NULL ? !sel[i] : (i == k && !torn))
			continue;
		n = sel == NULL && i == k ? w->n / 2 : w->n;
		if (putall(s->wfd, w->buf, n, w->off) < 0)
			return -1;
		markdirty(s, w->off, w->n);
	}
	devobserveall(fnwrite, NULL, s);
	rc = s->fn(s->arg, s->work, what);
	devobserveall(NULL, NULL, NULL);
	s->nstate++;
	for (i = 0; i < s->ndirty; i++)
		if (restore(s, s->dirty[i].off, s->dirty[i].n) < 0)
			return -1;
	s->ndirty = 0;
	return rc != 0 || s->oom ? -1 : 0;
}

/* Every prefix, and every prefix with the next write torn. */
static int
prefixes(Sim *s)
{
	char what[64];
	size_t k;

	for (k = 0; k <= s->r->nw; k++) {
		snprintf(what, sizeof what, "prefix of %zu writes", k);
		if (state(s, NULL, k, false, what) < 0)
			return -1;
		if (k == s->r->nw || s->r->w[k].n < 2)
			continue;
		snprintf(what, sizeof what, "%zu writes, write %zu torn", k, k + 1);
		if (state(s, NULL, k, true, what) < 0)
			return -1;
	}
	return 0;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Subset number j of the m writes from first: bit i of j when the epoch
 * is small, else a seeded draw.  False for a subset that is a prefix
 * (already built). */
static bool
subset(bool *sel, size_t first, size_t m, uint64_t j, uint64_t *rng)
{
	size_t i, last = 0, nset = 0;

	for (i = 0; i < m; i++) {
		sel[first + i] = m <= CSALL ? (j >> i) & 1 : (xorshift(rng) & 1);
		if (sel[first + i]) {
			nset++;
			last = i + 1;
		}
	}
	return nset != last;
}

/* The subsets of epoch e, whose writes are [first, first + m). */
static int
epochsubsets(Sim *s, bool *sel, size_t first, size_t m, int e, uint64_t *rng)
{
	uint64_t j, nsub = m <= CSALL ? (uint64_t)1 << m : CSSAMPLE;
	char what[96];
	size_t i;

	for (i = 0; i < s->r->nw; i++)
		sel[i] = i < first;
	for (j = 0; j < nsub; j++) {
		if (!subset(sel, first, m, j, rng))
			continue;
		snprintf(what, sizeof what, "epoch %d: subset %llu of %zu writes", e, (unsigned long long)j, m);
		if (state(s, sel, 0, false, what) < 0)
			return -1;
	}
	return 0;
}

static int
subsets(Sim *s, uint64_t seed)
{
	uint64_t rng = seed | 1;
	size_t first, m;
	bool *sel;
	int rc = 0;

	if ((sel = calloc(s->r->nw + 1, sizeof *sel)) == NULL)
		return -1;
	for (first = 0; first < s->r->nw && rc == 0; first += m) {
		for (m = 1; first + m < s->r->nw && s->r->w[first + m].epoch == s->r->w[first].epoch; m++)
			;
		if (m >= 2)
			rc = epochsubsets(s, sel, first, m, s->r->w[first].epoch, &rng);
	}
	free(sel);
	return rc;
}

/* Make work a copy of base (holes kept). */
static int
copyimg(Sim *s)
{
	static const uint8_t zero[1 << 14];
	uint8_t buf[1 << 14];
	uint64_t off = 0;
	ssize_t n;

	if (ftruncate(s->wfd, 0) < 0)
		return -1;
	while ((n = pread(s->bfd, buf, sizeof buf, (off_t)off)) > 0) {
		if (((size_t)n != sizeof buf || memcmp(buf, zero, sizeof buf) != 0)
		&& putall(s->wfd, buf, (size_t)n, off) < 0)
			return -1;
		off += (uint64_t)n;
	}
	return n < 0 || ftruncate(s->wfd, (off_t)off) < 0 ? -1 : 0;
}

long
crashsim(const Crec *r, const char *base, const char *work, uint64_t seed, CrashFn fn, void *arg)
{
	Sim s;
	int rc = -1;

	if (r->oom)
		return -1;
	memset(&s, 0, sizeof s);
	s.r = r;
	s.work = work;
	s.fn = fn;
	s.arg = arg;
	s.bfd = open(base, O_RDONLY | O_CLOEXEC);
	s.wfd = open(work, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (s.bfd >= 0 && s.wfd >= 0 && copyimg(&s) == 0 && prefixes(&s) == 0 && subsets(&s, seed) == 0)
		rc = 0;
	if (s.bfd >= 0)
		close(s.bfd);
	if (s.wfd >= 0)
		close(s.wfd);
	free(s.dirty);
	return rc < 0 ? -1 : s.nstate;
}
