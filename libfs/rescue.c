/* SPDX-License-Identifier: MIT */
/*
 * rescue — opening an image whose superblocks cannot be used, for the
 * tools that read blocks by address (gefs-dump block, super --force):
 * the device and the block cache only, no superblock, no arenas, no
 * replay.  What needs the loaded file system (trees, arenas, free space)
 * is not available on such a handle: gefs_narena is 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { RAWCACHE = 16 * GEFS_BLKSZ };	/* block reads only: a small cache will do */

Gefs *
gefs_openraw(const char *path, const GefsOpts *o, GefsErr *e)
{
	Gefs *fs;

	fs = calloc(1, sizeof *fs);
	if (fs == NULL) {
		gefs_seterr(e, ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	if (o != NULL)
		fs->opts = *o;
	else
		gefs_defopts(&fs->opts);
	fs->opts.rdwr = false;
	fs->sbcopy = -1;	/* no copy in use */
	fs->dev = devopen(path, DEV_RDONLY, &fs->err);
	if (fs->dev != NULL)
		fs->cache = cachenew(fs->dev, fs->opts.cachesz ? fs->opts.cachesz : RAWCACHE, &fs->err);
	if (fs->cache == NULL) {
		if (e != NULL)
			*e = fs->err;
		gefs_close(fs);
		return NULL;
	}
	return fs;
}
