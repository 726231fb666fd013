/* SPDX-License-Identifier: MIT */
/*
 * treeimg.h — a scratch image for the tree and fs suites: blocks are
 * written one after another into the data area of a single arena, and a
 * Gefs handle is put together by hand (no superblock or log needed), so
 * tests can read trees of any shape through the real blk/cache/dev layers.
 */
#ifndef TREEIMG_H
#define TREEIMG_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

enum {
	TIMG_NBLK	= 256,			/* blocks in the file */
	TIMG_ARENA	= GEFS_BLKSZ,		/* arena header at block 1 */
	TIMG_DATA	= 3 * GEFS_BLKSZ,	/* first data block */
};

typedef struct Timg {
	char		path[256];
	int		fd;
	uint64_t	next;		/* address of the next block put */
	Gefs		*fs;
} Timg;

static inline Timg *
timgnew(void)
{
	const char *tmp = getenv("TMPDIR");
	Timg *im;

	im = calloc(1, sizeof *im);
	if (im == NULL)
		return NULL;
	snprintf(im->path, sizeof im->path, "%s/gefs-treeimg-XXXXXX", tmp ? tmp : "/tmp");
	im->fd = mkstemp(im->path);
	if (im->fd < 0 || ftruncate(im->fd, (off_t)TIMG_NBLK * GEFS_BLKSZ) < 0) {
		free(im);
		return NULL;
	}
	im->next = TIMG_DATA;
	return im;
}

static inline uint64_t
timgnext(Timg *im)
{
	return im->next;
}

/* Write a block at the next address; the pointer to it (gen 0). */
static inline GefsBptr
timgput(Timg *im, const uint8_t *blk)
{
	GefsBptr bp = { im->next, gefs_blkhash(blk), 0 };

	if (pwrite(im->fd, blk, GEFS_BLKSZ, (off_t)im->next) != GEFS_BLKSZ)
		bp.addr = GEFS_NONE;
	im->next += GEFS_BLKSZ;
	return bp;
}

/* Overwrite the block at addr (for damage tests). */
static inline int
timgpoke(Timg *im, uint64_t addr, const uint8_t *blk)
{
	return pwrite(im->fd, blk, GEFS_BLKSZ, (off_t)addr) == GEFS_BLKSZ ? 0 : -1;
}

/* The §8.4 fill of the node bp points to. */
static inline int
timgfill(Timg *im, const GefsBptr *bp)
{
	static uint8_t blk[GEFS_BLKSZ];
	GefsNode n;

	if (pread(im->fd, blk, GEFS_BLKSZ, (off_t)bp->addr) != GEFS_BLKSZ
	    || gefs_unpacknode(&n, blk, bp->addr, NULL) < 0)
		return 0;
	return gefs_nodefill(&n);
}

/* A handle over the image: one arena spanning the file (made by the
 * library's one constructor; only the arena layer is filled in here). */
static inline Gefs *
timgopen(Timg *im)
{
	GefsOpts o;
	GefsErr e;
	Gefs *fs;

	gefs_defopts(&o);
	o.cachesz = 64 * GEFS_BLKSZ;
	fs = fsalloc(im->path, &o, DEV_RDONLY | DEV_NOLOCK, &e);
	if (fs == NULL) {
		fprintf(stderr, "timgopen: %s\n", e.msg);
		return NULL;
	}
	fs->sb.blksz = GEFS_BLKSZ;
	fs->sb.bufspc = GEFS_BUFSPC;
	fs->sb.narena = 1;
	fs->sb.arenaaddr[0] = TIMG_ARENA;
	if (arenasnew(fs, 1) < 0) {
		fsfree(fs);
		return NULL;
	}
	fs->arena[0].addr = TIMG_ARENA;
	fs->arena[0].size = (uint64_t)(TIMG_NBLK - 4) * GEFS_BLKSZ;
	fs->arena[0].hdr.size = fs->arena[0].size;
	im->fs = fs;
	return fs;
}

static inline void
timgfree(Timg *im)
{
	fsfree(im->fs);
	close(im->fd);
	unlink(im->path);
	free(im);
}

#endif
