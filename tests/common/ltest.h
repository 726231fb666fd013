/* SPDX-License-Identifier: MIT */
/*
 * ltest.h — helpers shared by the load and arena unit suites: open a
 * builder image through gefs_open (via an unlinked temporary file), catch
 * warnings, write raw log blocks and arena-header fields.
 */
#ifndef GEFS_LTEST_H
#define GEFS_LTEST_H

#include "gefs.h"
#include "builder.h"

/* Warnings caught from opts.warn, newline-separated. */
typedef struct LtWarn {
	char	buf[16384];
	int	n;
} LtWarn;
void ltwarn(void *arg, const char *msg);

/* A temporary file name under $TMPDIR (or /tmp) ending in suffix; the file
 * exists (empty).  0, or -1. */
int lttmp(char *path, size_t n, const char *suffix);
/* Write the image of b to a temporary file (gzip-compressed when gz) and
 * gefs_open it with o (NULL: defaults), warnings into w (may be NULL);
 * the file is unlinked before returning. */
Gefs *ltopen(Bld *b, const GefsOpts *o, LtWarn *w, GefsErr *e, bool gz);
/* Same for raw image bytes. */
Gefs *ltopenraw(const uint8_t *img, size_t n, const GefsOpts *o, LtWarn *w, GefsErr *e, bool gz);
/* Fill blk (16 KiB, zeroed first) as a log block of type type holding the
 * n entries, chain address chain; logh computed. */
void ltlog(uint8_t *blk, int type, const GefsLogEnt *ent, int n, uint64_t chain);
/* Set the header and footer `used` of arena ai (and the superblocks'
 * table hash). */
void ltsetused(Bld *b, int ai, uint64_t used);
/* A plain finished builder image: narena arenas of blks blocks. */
Bld *ltimage(int narena, uint64_t blks, uint64_t qgen);

#endif
