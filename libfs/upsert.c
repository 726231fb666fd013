/*
 * upsert — writing a copy-on-write Bε-tree (§8.5, §8.6, §10.5, §11.4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int
treeupsert(GefsTree *t, const GefsMsg *m, int n)
{
	(void)m;
	(void)n;
	return gefs_seterr(&t->fs->err, ENOSYS, "upsert: not yet");
}

int
datawrite(Gefs *fs, const uint8_t *buf, GefsBptr *bp)
{
	(void)buf;
	(void)bp;
	return gefs_seterr(&fs->err, ENOSYS, "datawrite: not yet");
}
