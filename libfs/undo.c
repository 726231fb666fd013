/* SPDX-License-Identifier: MIT */
/*
 * undo — the old bytes of every range a format overwrites, so that a
 * format that fails (ENOSPC, EIO) leaves an existing image as it was.
 *
 * A format writes few ranges (per arena a header, footer and log block,
 * four tree blocks, two superblocks, and the signatures wipe.c erases), so
 * keeping them in memory costs at most a couple of MiB.  Only the part
 * below the old length is kept: what lies beyond it goes with the
 * truncation back to that length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/falloc.h>
#include "wipe.h"

/* One saved range; buf NULL when it was all zeros. */
typedef struct Saved {
	uint64_t	off;
	size_t		n;
	uint8_t		*buf;
} Saved;

struct Undo {
	Dev		*d;
	uint64_t	oldsize;
	Saved		*s;
	size_t		ns, cap;
};

Undo *
undonew(Dev *d, uint64_t oldsize, GefsErr *e)
{
	Undo *u;

	if ((u = calloc(1, sizeof *u)) == NULL) {
		gefs_seterr(e, ENOMEM, "out of memory");
		return NULL;
	}
	u->d = d;
	u->oldsize = oldsize;
	return u;
}

void
undofree(Undo *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->ns; i++)
		free(u->s[i].buf);
	free(u->s);
	free(u);
}

static bool
allzero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Room for one more Saved. */
static int
grow(Undo *u, GefsErr *e)
{
	Saved *s;
	size_t cap;

	if (u->ns < u->cap)
		return 0;
	cap = u->cap ? 2 * u->cap : 64;
	if ((s = realloc(u->s, cap * sizeof *s)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory for the undo log");
	u->s = s;
	u->cap = cap;
	return 0;
}

int
undosave(Undo *u, uint64_t off, size_t n, GefsErr *e)
{
	uint8_t *buf;

	if (off >= u->oldsize)
		return 0;
	if (n > u->oldsize - off)
		n = (size_t)(u->oldsize - off);
	if (grow(u, e) < 0)
		return -1;
	if ((buf = malloc(n)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory for the undo log");
	if (devread(u->d, buf, n, off, e) < 0) {
		free(buf);
		return gefs_wraperr(e, "saving the bytes a format overwrites");
	}
	if (allzero(buf, n)) {
		free(buf);
		buf = NULL;
	}
	u->s[u->ns++] = (Saved){off, n, buf};
	return 0;
}

int
undowrite(Undo *u, const void *buf, size_t n, uint64_t off, GefsErr *e)
{
	if (undosave(u, off, n, e) < 0)
		return -1;
	return devwrite(u->d, buf, n, off, e);
}

/* Zeros back into s: a hole in a file (no space needed, so it works on
 * the full file system that made the format fail), else written. */
static int
putzero(Undo *u, const Saved *s, GefsErr *e)
{
	uint8_t *z;
	int rc;

	if (!devisblk(u->d)
	&& fallocate(devfd(u->d), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		(off_t)(devbase(u->d) + s->off), (off_t)s->n) == 0)
		return 0;
	if ((z = calloc(1, s->n)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	rc = devwrite(u->d, z, s->n, s->off, e);
	free(z);
	return rc;
}

/* Keep the first error of a roll-back in *e. */
static void
keep(GefsErr *e, const GefsErr *e1, int *rc)
{
	if (*rc == 0 && e != NULL)
		*e = *e1;
	*rc = -1;
}

int
undoroll(Undo *u, GefsErr *e)
{
	GefsErr e1;
	size_t i;
	int rc = 0, r;

	for (i = u->ns; i-- > 0;) {
		if (u->s[i].buf == NULL)
			r = putzero(u, &u->s[i], &e1);
		else
			r = devwrite(u->d, u->s[i].buf, u->s[i].n, u->s[i].off, &e1);
		if (r < 0)
			keep(e, &e1, &rc);
	}
	if (!devisblk(u->d) && devsize(u->d) != u->oldsize && devtruncate(u->d, u->oldsize, &e1) < 0)
		keep(e, &e1, &rc);
	if (devsync(u->d, &e1) < 0)
		keep(e, &e1, &rc);
	return rc;
}
