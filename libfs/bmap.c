/* SPDX-License-Identifier: MIT */
/*
 * bmap — the checker's block map: one byte of state per device block,
 * stored so that memory follows what is allocated, not the device size,
 * and a block in use costs about 2 bits.
 *
 * A radix tree over block numbers: leaves cover LEAFN blocks, inner
 * nodes FAN slots, and every slot is either a child or, when all the
 * blocks it covers have the same byte, just that byte.  A map starts as
 * one uniform root; marking an arena allocated, or a log freeing most of
 * it, changes a few slots per level; only blocks whose state differs
 * from their neighbours' (tree nodes, data, logs, the edges of free
 * ranges) cost a leaf.  Walks go run by run (bmrun): a uniform slot is
 * one run however many blocks it covers, so an empty 1 EiB image is
 * walked in microseconds.
 *
 * A leaf does not store bytes: a full image's neighbourhood has few
 * states (data, tree nodes, free), so each block has a 2-bit code that
 * picks one of a leaf's three palette bytes, or, code XCODE, says its byte
 * is in the leaf's exception list (sorted by block).  The rare states (log
 * and deadlist blocks, headers) are exceptions.  When exceptions pile up
 * the leaf re-picks its palette from the three most common bytes; a leaf
 * whose bytes are too varied for that (only crafted images) falls back to
 * one byte per block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum {
	LEAFB	= 12,			/* a leaf: 4096 blocks */
	LEAFN	= 1 << LEAFB,
	CODEB	= 2,			/* bits of a block's code */
	PER	= 8 / CODEB,		/* codes per byte */
	NPAL	= (1 << CODEB) - 1,	/* palette bytes; the last code escapes */
	XCODE	= NPAL,
	ADDPAL	= -1,			/* leafupd: a palette byte to add */
	XMAX	= LEAFN / 32,		/* exceptions before a re-pick: 512 B */
	FANB	= 9,			/* an inner node: 512 slots (4.5 KiB) */
	FAN	= 1 << FANB,
	MAXLVL	= (64 - LEAFB + FANB - 1) / FANB,
};

typedef struct Bnode {
	void	*kid[FAN];		/* NULL: uniform, val[i] */
	uint8_t	val[FAN];
} Bnode;

typedef struct Xent {
	uint16_t	off;		/* block within the leaf */
	uint8_t		v;
} Xent;

typedef struct Leaf {
	uint8_t		code[LEAFN / PER];
	uint8_t		pal[NPAL];
	uint8_t		npal;		/* palette bytes in use */
	uint16_t	nx, capx;
	Xent		*x;		/* exceptions, by off */
	uint8_t		*wide;		/* non-NULL: a byte per block, the rest unused */
} Leaf;

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
freeleaf(Leaf *lf)
{
	free(lf->x);
	free(lf->wide);
	free(lf);
}

static void
freenode(void *p, int l)
{
	Bnode *b = p;
	int i;

	if (p == NULL)
		return;
	if (l == 0) {
		freeleaf(p);
		return;
	}
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

/* ---- leaves ---- */

static int
getcode(const Leaf *lf, unsigned i)
{
	return (lf->code[i / PER] >> (i % PER * CODEB)) & XCODE;
}

static void
setcode(Leaf *lf, unsigned i, int c)
{
	unsigned sh = i % PER * CODEB;

	lf->code[i / PER] = (uint8_t)((lf->code[i / PER] & ~(XCODE << sh)) | c << sh);
}

/* The index of block i's exception, or where it would go. */
static unsigned
xfind(const Leaf *lf, unsigned i)
{
	unsigned lo = 0, hi = lf->nx, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lf->x[mid].off < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint8_t
leafget(const Leaf *lf, unsigned i)
{
	int c;

	if (lf->wide != NULL)
		return lf->wide[i];
	c = getcode(lf, i);
	return c != XCODE ? lf->pal[c] : lf->x[xfind(lf, i)].v;
}

/* Room for one more exception. */
static int
xgrow(Bmap *m, Leaf *lf)
{
	unsigned cap = lf->capx ? lf->capx * 2u : 16;
	Xent *x;

	if (lf->nx < lf->capx)
		return 0;
	if ((x = realloc(lf->x, cap * sizeof *x)) == NULL)
		return -1;
	m->bytes += (cap - lf->capx) * sizeof *x;
	lf->x = x;
	lf->capx = (uint16_t)cap;
	return 0;
}

/* Give up on codes: a byte per block (crafted images only). */
static int
widen(Bmap *m, Leaf *lf, const uint8_t *v)
{
	if ((lf->wide = malloc(LEAFN)) == NULL)
		return -1;
	memcpy(lf->wide, v, LEAFN);
	m->bytes += LEAFN - (uint64_t)lf->capx * sizeof(Xent);
	free(lf->x);
	lf->x = NULL;
	lf->nx = lf->capx = 0;
	return 0;
}

/* The three most common bytes of v[0, LEAFN) into pal. */
static int
pickpal(const uint8_t *v, uint8_t *pal)
{
	unsigned cnt[256] = {0}, i, k, best;
	int n;

	for (i = 0; i < LEAFN; i++)
		cnt[v[i]]++;
	for (n = 0; n < NPAL; n++) {
		for (best = 0, k = 1; k < 256; k++)
			if (cnt[k] > cnt[best])
				best = k;
		if (cnt[best] == 0)
			break;
		pal[n] = (uint8_t)best;
		cnt[best] = 0;
	}
	return n;
}

/* The leaf's bytes into v: codes through the palette, exceptions (sorted
 * by block) in one pass. */
static void
leafbytes(const Leaf *lf, uint8_t *v)
{
	unsigned i, j = 0;
	int c;

	for (i = 0; i < LEAFN; i++) {
		c = getcode(lf, i);
		if (c != XCODE)
			v[i] = lf->pal[c];
		else if (j < lf->nx && lf->x[j].off == i)
			v[i] = lf->x[j++].v;
	}
}

/* Re-pick the palette from the leaf's bytes and recode it; widen it if
 * even then more than half the exception budget is needed. */
static int
repick(Bmap *m, Leaf *lf)
{
	uint8_t v[LEAFN], code[256];
	unsigned i, nx = 0;
	int k;

	leafbytes(lf, v);
	lf->npal = (uint8_t)pickpal(v, lf->pal);
	memset(code, XCODE, sizeof code);
	for (k = lf->npal - 1; k >= 0; k--)
		code[lf->pal[k]] = (uint8_t)k;
	for (i = 0; i < LEAFN; i++)
		nx += code[v[i]] == XCODE;
	if (nx > XMAX / 2)
		return widen(m, lf, v);
	for (lf->nx = 0, i = 0; i < LEAFN; i++) {
		setcode(lf, i, code[v[i]]);
		if (code[v[i]] == XCODE)
			lf->x[lf->nx++] = (Xent){(uint16_t)i, v[i]};
	}
	return 0;
}

/* Block i's byte becomes v as an exception. */
static int
xset(Bmap *m, Leaf *lf, unsigned i, uint8_t v)
{
	unsigned j = xfind(lf, i);

	if (getcode(lf, i) == XCODE) {
		lf->x[j].v = v;
		return 0;
	}
	if (xgrow(m, lf) < 0)
		return -1;
	memmove(lf->x + j + 1, lf->x + j, (lf->nx - j) * sizeof *lf->x);
	lf->x[j] = (Xent){(uint16_t)i, v};
	lf->nx++;
	setcode(lf, i, XCODE);
	return lf->nx > XMAX ? repick(m, lf) : 0;
}

static int
leafset(Bmap *m, Leaf *lf, unsigned i, uint8_t v)
{
	unsigned j;
	int k;

	if (lf->wide != NULL) {
		lf->wide[i] = v;
		return 0;
	}
	for (k = 0; k < lf->npal && lf->pal[k] != v; k++)
		;
	if (k == lf->npal && k < NPAL)
		lf->pal[lf->npal++] = v;
	if (k == NPAL)
		return xset(m, lf, i, v);
	if (getcode(lf, i) == XCODE) {
		j = xfind(lf, i);
		memmove(lf->x + j, lf->x + j + 1, (lf->nx - j - 1) * sizeof *lf->x);
		lf->nx--;
	}
	setcode(lf, i, k);
	return 0;
}

/* Every byte of a leaf through (v & and) | or: the palette and the
 * exceptions, not the codes. */
static void
leafall(Leaf *lf, uint8_t and, uint8_t or)
{
	unsigned i;

	if (lf->wide != NULL) {
		for (i = 0; i < LEAFN; i++)
			lf->wide[i] = (uint8_t)((lf->wide[i] & and) | or);
		return;
	}
	for (i = 0; i < lf->npal; i++)
		lf->pal[i] = (uint8_t)((lf->pal[i] & and) | or);
	for (i = 0; i < lf->nx; i++)
		lf->x[i].v = (uint8_t)((lf->x[i].v & and) | or);
}

/* Block i's byte v becomes (v & and) | or: when v and the result are
 * both palette bytes, only the code changes (the common case). */
static int
leafop(Bmap *m, Leaf *lf, unsigned i, uint8_t and, uint8_t or)
{
	uint8_t o, n;
	int c, k;

	if (lf->wide == NULL && (c = getcode(lf, i)) != XCODE) {
		o = lf->pal[c];
		n = (uint8_t)((o & and) | or);
		if (n == o)
			return 0;
		for (k = 0; k < lf->npal; k++)
			if (lf->pal[k] == n) {
				setcode(lf, i, k);
				return 0;
			}
	}
	o = leafget(lf, i);
	n = (uint8_t)((o & and) | or);
	return n == o ? 0 : leafset(m, lf, i, n);
}

/* ---- the tree ---- */

uint8_t
bmget(const Bmap *m, uint64_t b)
{
	const Bnode *nd;
	void *p = m->root;
	uint8_t v = m->rootval;
	int l = m->top, i;

	while (p != NULL) {
		if (l == 0)
			return leafget(p, (unsigned)(b & (LEAFN - 1)));
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
	Leaf *lf;
	int i;

	if (l == 0) {
		if ((lf = calloc(1, sizeof *lf)) == NULL)
			return NULL;
		lf->pal[0] = v;
		lf->npal = 1;
		m->bytes += sizeof *lf;
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

static Leaf *leafof(Bmap *m, uint64_t b);

typedef struct Upd {
	uint64_t	lo, hi;
	uint8_t		and, or;
} Upd;

/* Apply u to blocks [lo, hi) of the leaf at base; blocks whose palette
 * byte u leaves as it is are passed over by their code. */
/* For each palette entry c, the code its bytes take under u: c itself
 * when u leaves it, the entry of the new byte (added when there is
 * room), or XCODE: an exception, the slow way. */
static void
palmap(Leaf *lf, const Upd *u, int *to)
{
	uint8_t nv;
	int c, k;

	for (c = 0; c < NPAL; c++) {
		to[c] = XCODE;
		if (lf->wide != NULL || c >= lf->npal)
			continue;
		nv = (uint8_t)((lf->pal[c] & u->and) | u->or);
		for (k = 0; k < lf->npal && lf->pal[k] != nv; k++)
			;
		if (k < lf->npal)
			to[c] = k;
		else if (k < NPAL)
			to[c] = ADDPAL;	/* added when a block needs it */
	}
}

static int
leafupd(Bmap *m, Leaf *lf, uint64_t base, uint64_t lo, uint64_t hi, const Upd *u)
{
	int to[NPAL], c;
	unsigned i;
	uint8_t v;

	if (lo == base && hi - base == LEAFN) {
		leafall(lf, u->and, u->or);
		return 0;
	}
	palmap(lf, u, to);
	for (i = (unsigned)(lo - base); i < hi - base; i++) {
		if (lf->wide == NULL && (c = getcode(lf, i)) != XCODE && to[c] != XCODE) {
			if (to[c] == ADDPAL) {
				lf->pal[lf->npal] = (uint8_t)((lf->pal[c] & u->and) | u->or);
				to[c] = lf->npal++;
				palmap(lf, u, to);	/* other entries may map to it too */
			}
			if (to[c] != c)
				setcode(lf, i, to[c]);
			continue;
		}
		v = leafget(lf, i);
		if (((v & u->and) | u->or) == v)
			continue;
		if (leafset(m, lf, i, (uint8_t)((v & u->and) | u->or)) < 0)
			return -1;
		palmap(lf, u, to);	/* the palette may have grown or been re-picked */
	}
	return 0;
}

/* Apply u to the slot (*pp, *pv) of level l covering [base, base + span). */
static int
update(Bmap *m, void **pp, uint8_t *pv, int l, uint64_t base, const Upd *u)
{
	uint64_t span = (uint64_t)1 << spanb(l), lo, hi;
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
	if (l == 0)
		return leafupd(m, *pp, base, lo, hi, u);
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

	Leaf *lf;

	if (u.lo >= u.hi)
		return 0;
	if (u.hi - u.lo == 1 && (lf = leafof(m, lo)) != NULL)	/* the common single block */
		return leafop(m, lf, (unsigned)(lo & (LEAFN - 1)), and, or);
	return update(m, &m->root, &m->rootval, m->top, 0, &u);
}

/* The leaf holding block b, when there is one (the common case once
 * the neighbourhood differs), else NULL. */
static Leaf *
leafof(Bmap *m, uint64_t b)
{
	Bnode *nd;
	void *p = m->root;
	int l = m->top;

	while (p != NULL && l > 0) {
		nd = p;
		p = nd->kid[(b >> spanb(l - 1)) & (FAN - 1)];
		l--;
	}
	return p;
}

int
bmput(Bmap *m, uint64_t b, uint8_t v)
{
	Leaf *lf;

	if (b < m->n && (lf = leafof(m, b)) != NULL)
		return leafop(m, lf, (unsigned)(b & (LEAFN - 1)), 0, v);
	return bmupdate(m, b, b + 1, 0, v);
}

int
bmor(Bmap *m, uint64_t b, uint8_t v)
{
	Leaf *lf;

	if (b < m->n && (lf = leafof(m, b)) != NULL)
		return leafop(m, lf, (unsigned)(b & (LEAFN - 1)), 0xff, v);
	return bmupdate(m, b, b + 1, 0xff, v);
}

/* The end of the run of v starting at block b, below end, in leaf lf:
 * while the code is a palette entry, whole bytes of four equal codes at
 * a time. */
static uint64_t
leafrun(const Leaf *lf, uint64_t b, uint64_t end, uint8_t v)
{
	uint64_t e = b + 1;
	unsigned i;
	int c;

	if (lf->wide != NULL || (c = getcode(lf, (unsigned)(b & (LEAFN - 1)))) == XCODE) {
		while (e < end && leafget(lf, (unsigned)(e & (LEAFN - 1))) == v)
			e++;
		return e;
	}
	for (; e < end; e++) {
		i = (unsigned)(e & (LEAFN - 1));
		if (i % PER == 0 && end - e >= PER && lf->code[i / PER] == (uint8_t)(c * 0x55)) {
			e += PER - 1;
			continue;
		}
		if (getcode(lf, i) != c)
			break;
	}
	return e;
}

uint8_t
bmrun(const Bmap *m, uint64_t b, uint64_t hi, uint64_t *n)
{
	const Bnode *nd;
	void *p = m->root;
	uint64_t end;
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
		v = leafget(p, (unsigned)(b & (LEAFN - 1)));
		end = leafrun(p, b, end, v);
	}
	*n = end > b ? end - b : 1;
	return v;
}
