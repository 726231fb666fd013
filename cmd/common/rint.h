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

#endif
