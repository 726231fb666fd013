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
	GefsOpts ro;
	Gefs *fs;

	if (o != NULL)
		ro = *o;
	else
		gefs_defopts(&ro);
	ro.rdwr = false;
	if (o == NULL || o->cachesz == 0)
		ro.cachesz = RAWCACHE;
	if ((fs = fsalloc(path, &ro, DEV_RDONLY, e)) != NULL)
		fs->sbcopy = -1;	/* no copy in use */
	return fs;
}
