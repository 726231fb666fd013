/* SPDX-License-Identifier: MIT */
/*
 * handle — the one constructor and destructor of a Gefs.  Every handle
 * (gefs_open, the checker, the unit tests' tree images) is made by fsalloc
 * and released by fsfree; each layer sets up and tears down its own part:
 * dev and cache here, the arenas with their free sets and log tails in
 * arena.c (arenasnew/arenasfree), the users table in fs.c, the edit
 * session in session.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* The cache budget when the options leave it 0 (gefs_defopts's). */
#define DEFCACHE	((size_t)64 << 20)

void
gefs_defopts(GefsOpts *o)
{
	memset(o, 0, sizeof *o);
	o->cachesz = DEFCACHE;
	o->sbcopy = -1;
}

/* A handle on the image at path: options (defaults when o is NULL), the
 * device opened with devflags (DEV_*) and an empty cache; nothing is
 * loaded.  NULL with *e (may be NULL) set on failure. */
/* The handle's common part: options, device (opened by the caller or
 * borrowed from another handle), an empty cache. */
static Gefs *
fsmake(Dev *dev, bool borrowed, const GefsOpts *o, GefsErr *e)
{
	Gefs *fs;

	fs = calloc(1, sizeof *fs);
	if (fs == NULL) {
		gefs_seterr(e, ENOMEM, "%s: out of memory", dev != NULL ? devpath(dev) : "handle");
		if (!borrowed)
			devclose(dev);
		return NULL;
	}
	if (o != NULL)
		fs->opts = *o;
	else
		gefs_defopts(&fs->opts);
	if (fs->opts.cachesz == 0)
		fs->opts.cachesz = DEFCACHE;
	fs->dev = dev;
	fs->devborrowed = borrowed;
	if (fsnewcache(fs) < 0) {
		if (e != NULL)
			*e = fs->err;
		fsfree(fs);
		return NULL;
	}
	return fs;
}

Gefs *
fsalloc(const char *path, const GefsOpts *o, int devflags, GefsErr *e)
{
	Dev *dev;
	GefsErr err = {0};

	dev = devopen(path, devflags, &err);
	if (dev == NULL) {
		if (e != NULL)
			*e = err;
		return NULL;
	}
	return fsmake(dev, false, o, e);
}

/* A second handle on a device another handle holds open and locked (the
 * checker's engine commit after its repair commit); fsfree leaves the
 * device to its owner. */
Gefs *
fsborrow(Dev *dev, const GefsOpts *o, GefsErr *e)
{
	return fsmake(dev, true, o, e);
}

/* Replace the cache by an empty one (every cached block, dirty ones
 * included, is dropped; the arenas' open log tails must be closed). */
int
fsnewcache(Gefs *fs)
{
	if (fs->cache != NULL)
		cachefree(fs->cache);
	fs->cache = cachenew(fs->dev, fs->opts.cachesz, &fs->err);
	return fs->cache != NULL ? 0 : -1;
}

/* Release everything, layer by layer from the top; NULL is a no-op.
 * Nothing is written. */
void
fsfree(Gefs *fs)
{
	if (fs == NULL)
		return;
	usersfree(fs);
	editclose(fs);
	arenasfree(fs);
	if (fs->cache != NULL)
		cachefree(fs->cache);
	if (fs->dev != NULL && !fs->devborrowed)
		devclose(fs->dev);
	free(fs);
}
