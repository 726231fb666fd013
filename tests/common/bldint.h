/* SPDX-License-Identifier: MIT */
/*
 * bldint.h — what the builder's own files share (builder.c, bldtree.c,
 * bldstd.c).  Tests include builder.h only.
 */
#ifndef GEFS_BLDINT_H
#define GEFS_BLDINT_H

#include "builder.h"

enum { BLD_B = GEFS_BLKSZ };

/* One allocation event of an arena: replayed by a normal log. */
typedef struct Ev {
	uint64_t	addr;
	uint8_t		op;		/* GEFS_LOGALLOC1 or GEFS_LOGFREE1 */
} Ev;

typedef struct Arena {
	uint64_t	h;		/* header address */
	Ev		*ev;
	size_t		nev, evcap;
} Arena;

struct BldKv {
	uint8_t		*k;
	size_t		nk;
	uint8_t		*v;
	size_t		nv;
	size_t		seq;
};

struct BldMsg {
	int		depth;
	int		op;
	uint8_t		*k;
	size_t		nk;
	uint8_t		*v;
	size_t		nv;
	size_t		seq;
};

struct Bld {
	BldOpts		o;
	uint8_t		*img;
	uint64_t	nblk;		/* image blocks */
	uint64_t	asz;		/* arena size S, bytes */
	BldInfo		*map;		/* per block */
	uint8_t		*touched;	/* per block: ever allocated */
	Arena		*arena;
	BldRef		*ref;
	size_t		nref, refcap;
	GefsSb		sb;
	unsigned	rr;		/* round-robin arena counter */
	uint64_t	rng;
	int		ntree;
	int		hashmode;
	bool		finished;
	bool		failed;
	GefsErr		err;
};

int bldfail(Bld *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bldsetmap(Bld *b, uint64_t addr, int kind, uint64_t gen);
uint64_t bldrand(uint64_t *s);
uint64_t bldpick(Bld *b, int ai, int policy, bool untouched);
int bldarenaof(Bld *b, uint64_t addr);
int bldaddref(Bld *b, uint64_t child, uint64_t parent, int kind, int slot, uint32_t off);
void bldunref(Bld *b, int kind);

/* Visit every pivot entry, leaf entry and message of the node at addr:
 * fn(arg, addr, what, slot, op, key, nk, voff, nv), what = 'e' for an
 * entry, 'm' for a message; voff is the value's offset in the block.
 * Offsets are bounds-checked; a damaged node is visited as far as it
 * decodes. */
typedef void (*BldValFn)(void *arg, uint64_t addr, int what, int slot, int op,
	const uint8_t *k, size_t nk, uint32_t voff, size_t nv);
void bldnodevals(Bld *b, uint64_t addr, BldValFn fn, void *arg);

#endif
