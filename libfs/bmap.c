/* SPDX-License-Identifier: MIT */
/*
 * bmap — the checker's block map: one byte of state per device block,
 * stored so that memory follows what is allocated, not the device size.
 *
 * A radix tree over block numbers: leaves hold LEAFN bytes, inner nodes
 * FAN slots, and every slot is either a child or, when all the blocks it
 * covers have the same byte, just that byte.  A map starts as one uniform
 * root; marking an arena allocated, or a log freeing most of it, changes
 * a few slots per level; only blocks whose state differs from their
 * neighbours' (tree nodes, data, logs, the edges of free ranges) cost a
 * leaf.  Walks go run by run (bmrun): a uniform slot is one run however
 * many blocks it covers, so an empty 1 EiB image is walked in
 * microseconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum {
	LEAFB	= 12,			/* a leaf: 4096 blocks, one byte each */
	LEAFN	= 1 << LEAFB,
	FANB	= 9,			/* an inner node: 512 slots (4.5 KiB) */
	FAN	= 1 << FANB,
	MAXLVL	= (64 - LEAFB + FANB - 1) / FANB,
};

typedef struct Bnode {
	void	*kid[FAN];		/* NULL: uniform, val[i] */
	uint8_t	val[FAN];
} Bnode;

struct Bmap {
	uint64_t	n;		/* blocks */
	int		top;		/* level of the root: 0 = a leaf */
	void		*root;
	uint8_t		rootval;
	uint64_t	bytes;		/* allocated */
};

/* log2 of the blocks a slot at level l covers. */
static int
spanb(int l)
{
	return LEAFB + FANB * l;
}

Bmap *
bmnew(uint64_t n)
{
	Bmap *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->n = n;
	while (m->top < MAXLVL && spanb(m->top) < 64 && ((uint64_t)1 << spanb(m->top)) < n)
		m->top++;
	return m;
}

static void
freenode(void *p, int l)
{
	Bnode *b = p;
	int i;

	if (p == NULL)
		return;
	if (l > 0)
		for (i = 0; i < FAN; i++)
			freenode(b->kid[i], l - 1);
	free(p);
}

/* Back to all zero (no memory held). */
void
bmclear(Bmap *m)
{
	freenode(m->root, m->top);
	m->root = NULL;
	m->rootval = 0;
	m->bytes = 0;
}

void
bmfree(Bmap *m)
{
	if (m == NULL)
		return;
	bmclear(m);
	free(m);
}

uint64_t
bmbytes(const Bmap *m)
{
	return m->bytes;
}

uint8_t
bmget(const Bmap *m, uint64_t b)
{
	const Bnode *nd;
	void *p = m->root;
	uint8_t v = m->rootval;
	int l = m->top, i;

	while (p != NULL) {
		if (l == 0)
			return ((uint8_t *)p)[b & (LEAFN - 1)];
		nd = p;
		i = (int)((b >> spanb(l - 1)) & (FAN - 1));
		v = nd->val[i];
		p = nd->kid[i];
		l--;
	}
	return v;
}

/* Split a uniform slot of level l holding v into a child. */
static void *
split(Bmap *m, int l, uint8_t v)
{
	Bnode *nd;
	uint8_t *lf;
	int i;

	if (l == 0) {
		if ((lf = malloc(LEAFN)) == NULL)
			return NULL;
		memset(lf, v, LEAFN);
		m->bytes += LEAFN;
		return lf;
	}
	if ((nd = malloc(sizeof *nd)) == NULL)
		return NULL;
	for (i = 0; i < FAN; i++)
		nd->kid[i] = NULL;
	memset(nd->val, v, FAN);
	m->bytes += sizeof *nd;
	return nd;
}

typedef struct Upd {
	uint64_t	lo, hi;
	uint8_t		and, or;
} Upd;

/* Apply u to the slot (*pp, *pv) of level l covering [base, base + span). */
static int
update(Bmap *m, void **pp, uint8_t *pv, int l, uint64_t base, const Upd *u)
{
	uint64_t span = (uint64_t)1 << spanb(l), lo, hi, b;
	uint8_t nv;
	Bnode *nd;
	int i;

	if (u->hi <= base)
		return 0;
	lo = u->lo > base ? u->lo : base;
	hi = u->hi - base < span ? u->hi : base + span;
	if (lo >= hi)
		return 0;
	if (*pp == NULL) {
		nv = (uint8_t)((*pv & u->and) | u->or);
		if (nv == *pv)
			return 0;
		if (lo == base && hi - base == span) {
			*pv = nv;
			return 0;
		}
		if ((*pp = split(m, l, *pv)) == NULL)
			return -1;
	}
	if (l == 0) {
		for (b = lo; b < hi; b++) {
			uint8_t *c = (uint8_t *)*pp + (b - base);

			*c = (uint8_t)((*c & u->and) | u->or);
		}
		return 0;
	}
	nd = *pp;
	span >>= FANB;
	for (i = (int)((lo - base) / span); i < FAN && base + (uint64_t)i * span < hi; i++)
		if (update(m, &nd->kid[i], &nd->val[i], l - 1, base + (uint64_t)i * span, u) < 0)
			return -1;
	return 0;
}

int
bmupdate(Bmap *m, uint64_t lo, uint64_t hi, uint8_t and, uint8_t or)
{
	Upd u = {lo, hi > m->n ? m->n : hi, and, or};

	if (u.lo >= u.hi)
		return 0;
	return update(m, &m->root, &m->rootval, m->top, 0, &u);
}

/* The byte of block b when a leaf holds it (the common case once the
 * neighbourhood differs), else NULL. */
static uint8_t *
leafbyte(Bmap *m, uint64_t b)
{
	Bnode *nd;
	void *p = m->root;
	int l = m->top;

	while (p != NULL && l > 0) {
		nd = p;
		p = nd->kid[(b >> spanb(l - 1)) & (FAN - 1)];
		l--;
	}
	return p == NULL ? NULL : (uint8_t *)p + (b & (LEAFN - 1));
}

int
bmput(Bmap *m, uint64_t b, uint8_t v)
{
	uint8_t *c;

	if (b < m->n && (c = leafbyte(m, b)) != NULL) {
		*c = v;
		return 0;
	}
	return bmupdate(m, b, b + 1, 0, v);
}

int
bmor(Bmap *m, uint64_t b, uint8_t v)
{
	uint8_t *c;

	if (b < m->n && (c = leafbyte(m, b)) != NULL) {
		*c |= v;
		return 0;
	}
	return bmupdate(m, b, b + 1, 0xff, v);
}

uint8_t
bmrun(const Bmap *m, uint64_t b, uint64_t hi, uint64_t *n)
{
	const Bnode *nd;
	const uint8_t *lf;
	void *p = m->root;
	uint64_t end, e;
	uint8_t v = m->rootval;
	int l = m->top, i;

	if (hi > m->n)
		hi = m->n;
	while (p != NULL && l > 0) {
		nd = p;
		i = (int)((b >> spanb(l - 1)) & (FAN - 1));
		v = nd->val[i];
		p = nd->kid[i];
		l--;
	}
	/* the slot found covers [b & ~(span - 1), + span) */
	end = spanb(l) >= 64 ? UINT64_MAX : (b | (((uint64_t)1 << spanb(l)) - 1)) + 1;
	if (end > hi || end == 0)
		end = hi;
	if (p != NULL) {
		lf = p;
		v = lf[b & (LEAFN - 1)];
		for (e = b + 1; e < end && lf[e & (LEAFN - 1)] == v; e++)
			;
		end = e;
	}
	*n = end > b ? end - b : 1;
	return v;
}
