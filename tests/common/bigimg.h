/* SPDX-License-Identifier: MIT */
/*
 * bigimg.h — big benchmark images (tests/common, library gefstest).
 *
 * A freshly formatted image whose `main` tree holds nfiles regular files
 * of pseudo-random data, perdir to a directory, written through libfs's
 * write side: data blocks allocated in runs of 64 blocks per arena, the
 * arenas in turn, every allocation logged; one bulk-built tree (as many
 * levels as the data needs); one commit.  The same options give the same
 * bytes (derived UUID, fixed ctime).  Writes GiBs at page-cache speed;
 * memory is about 160 bytes per data block (the tree's pairs).
 */
#ifndef GEFS_BIGIMG_H
#define GEFS_BIGIMG_H

#include <stdint.h>
#include "gefs.h"

typedef struct BigOpts {
	uint64_t	size;		/* image bytes; 0 = data * 3 / 2 + 256 MiB */
	uint64_t	data;		/* bytes of file data (whole blocks) */
	long		nfiles;		/* regular files, >= 1 */
	long		perdir;		/* files per directory; 0 = 256 */
	uint64_t	seed;		/* file contents; 0 = a fixed default */
} BigOpts;

/* What bigimg made. */
typedef struct BigStats {
	long		nfiles, ndirs;
	uint64_t	ndata;		/* data blocks */
	int		height;		/* main tree height */
	int		narena;
} BigStats;

/* Write the image to path (created or truncated).  -1 with *e set on
 * failure (bad options, no space in the image, I/O). */
int bigimg(const char *path, const BigOpts *o, BigStats *st, GefsErr *e);

#endif /* GEFS_BIGIMG_H */
