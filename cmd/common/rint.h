/* SPDX-License-Identifier: MIT */
/*
 * rint.h — what the renderer files (cmd/common/r*.c) share among
 * themselves: keys, values, messages and nodes, text and JSON.
 */
#ifndef GEFS_RINT_H
#define GEFS_RINT_H

#include "render.h"

void	fmtkv(Render *r, FILE *f, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	fmtmsg(Render *r, FILE *f, const GefsMsg *m);
void	jsonmsg(Render *r, const GefsMsg *m);		/* an object in an array */
/* One decoded node, text or JSON (an object in an array); bp is the
 * pointer it was reached by, or NULL. */
void	shownode(Render *r, int depth, const GefsNode *n, const GefsBptr *bp);
void	jsonkey(Render *r, const char *key, const uint8_t *k, size_t nk);
void	jsonval(Render *r, const char *key, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	jsonbptr(Render *r, const char *key, const GefsBptr *bp);
void	jsonsnap(Render *r, const char *key, const GefsSnap *s);
/* The entries of a log block; *stop is set at the barrier that ends
 * replay (generation >= qgen), later entries are marked ignored. */
int	showlog(Render *r, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h, uint64_t qgen, bool *stop);

/* Row tables (rrows.c): one array per structure drives text and JSON. */
typedef enum { Rnum, Rhex, Raddr, Rhashn, Rhash, Rsize } Rkind;
typedef struct Rowspec {
	const char	*name;		/* text label and JSON key */
	Rkind		kind;		/* Rnum decimal, Rhex 0x…, Raddr 0x… or NONE,
					 * Rhashn hash or NONE, Rhash hash, Rsize 0x… (human) */
	size_t		off;		/* of the field in its struct */
	int		width;		/* 4 or 8 bytes */
} Rowspec;
extern const Rowspec sbrows[];		/* GefsSb */
extern const Rowspec arenarows[];	/* GefsArenaHdr */
/* A row's value as text, into buf. */
const char *rowtext(Render *r, const Rowspec *rs, const void *base, char *buf, size_t n);
/* Every row of rs for the struct at base: JSON members of the open
 * object, or two cells (name, value) per row of tab. */
void rrows(Render *r, Table *tab, const Rowspec *rs, const void *base);

#endif
