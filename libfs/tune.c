/* SPDX-License-Identifier: MIT */
/*
 * tune — change the extension record (volume UUID and label, FORMAT.md
 * §22.2) of an open image through a normal commit (§15.2).
 *
 * The record lives in the tail of the superblock blocks, which commit()
 * carries over: it packs the superblock on top of the copy in use and
 * writes that whole block to both addresses.  So the new record is packed
 * into the cached block of the copy in use, which is held referenced until
 * the commit has written it; superblock 0, a flush, superblock 1, a flush
 * then give the crash behaviour of every commit (§15.3): a copy that loads
 * holds the old record or the new one.  The record is not covered by
 * sbhash (§22.1), so a torn superblock write can pair the old record with
 * the new commit, or leave the two copies' records different (gefs-fsck
 * SB0014); the state is consistent either way.
 */
#include <errno.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ };

/* The record must be one gefs_labelcheck accepts, with a label of
 * labellen bytes and nothing after them. */
static int
xrecok(Gefs *fs, const GefsXrec *x)
{
	GefsErr e;

	if (x->labellen > GEFS_LABELMAX || memchr(x->label, 0, x->labellen) != NULL
	|| x->label[x->labellen] != 0)
		return gefs_seterr(&fs->err, EINVAL, "extension record: label_len %u does not match the label",
			(unsigned)x->labellen);
	if (gefs_labelcheck((const char *)x->label, &e) < 0)
		return gefs_seterr(&fs->err, EINVAL, "%s", e.msg);
	return 0;
}

int
gefs_setxrec(Gefs *fs, const GefsXrec *x)
{
	uint64_t at;
	Blk *b;
	int rc;

	if (devrdonly(fs->dev))
		return gefs_seterr(&fs->err, EROFS, "%s is open read-only", devpath(fs->dev));
	if (xrecok(fs, x) < 0)
		return -1;
	at = fs->sbcopy == 1 ? sb1addr(fs) : 0;
	b = cacheget(fs->cache, at, CACHE_READ, &fs->err);
	if (b == NULL)
		return gefs_wraperr(&fs->err, "superblock copy %d at 0x%llx", fs->sbcopy,
			(unsigned long long)at);
	gefs_packsbxrec(b->buf, x);
	b->flags &= ~(uint32_t)BLK_VERIFIED;
	rc = commit(fs);
	cacheput(fs->cache, b);
	if (rc < 0)
		return gefs_wraperr(&fs->err, "extension record");
	fs->xrec = *x;
	fs->hasxrec = true;
	return 0;
}
