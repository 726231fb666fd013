/* SPDX-License-Identifier: MIT */
/*
 * crashsim.h — crash simulation for the commit and repair tests: record
 * the writes a piece of libfs makes (with the flushes between them) and
 * rebuild, one after the other, every state a power cut could leave on
 * storage with a volatile write cache:
 *
 *   - every prefix of the writes (a cut after write k);
 *   - every prefix followed by a torn write (first half of write k new,
 *     the rest old);
 *   - any subset of the writes since the last flush, all earlier writes
 *     in place (the cache may write back in any order between flushes):
 *     all subsets when the epoch has at most CSALL writes, else CSSAMPLE
 *     subsets drawn from a seeded generator.
 */
#ifndef GEFS_CRASHSIM_H
#define GEFS_CRASHSIM_H

#include "internal.h"

enum {
	CSALL		= 10,	/* epochs this small: every subset */
	CSSAMPLE	= 48,	/* else this many seeded subsets */
};

typedef struct Cw {
	uint64_t	off;
	size_t		n;
	uint8_t		*buf;
	int		epoch;		/* flushes before it */
} Cw;

typedef struct Crec {
	Cw		*w;
	size_t		nw, cap;
	int		epoch;
	bool		oom;
} Crec;

void crecinit(Crec *r);
void crecfree(Crec *r);
/* Record the writes and flushes of d. */
void crecattach(Crec *r, Dev *d);
/* Record those of every device opened for writing from now on (a whole
 * gefs_check run); r NULL stops. */
void crecall(Crec *r);

/* Called on each crash state, built in the file path; fn may write to it
 * (what it writes is undone afterwards).  what names the state.  Non-zero
 * stops the walk. */
typedef int (*CrashFn)(void *arg, const char *path, const char *what);

/* Build every crash state of r's writes on top of the image file base (as
 * it was before them) in the file work, and call fn on each.  Returns the
 * number of states, or -1 (I/O error, fn's non-zero, or r ran out of
 * memory). */
long crashsim(const Crec *r, const char *base, const char *work, uint64_t seed, CrashFn fn, void *arg);

#endif
