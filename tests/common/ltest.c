/* SPDX-License-Identifier: MIT */
/*
 * ltest — helpers shared by the load and arena unit suites (ltest.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "ltest.h"

void
ltwarn(void *arg, const char *msg)
{
	LtWarn *w = arg;
	size_t l = strlen(w->buf);

	w->n++;
	snprintf(w->buf + l, sizeof w->buf - l, "%s\n", msg);
}

int
lttmp(char *path, size_t n, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir == 0)
		dir = "/tmp";
	if ((size_t)snprintf(path, n, "%s/gefs-ltest-XXXXXX%s", dir, suffix) >= n)
		return -1;
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
writeimg(const char *path, const uint8_t *img, size_t n, bool gz)
{
	gzFile g;
	FILE *f;
	int ok;

	if (gz) {
		if ((g = gzopen(path, "wb")) == NULL)
			return -1;
		ok = gzwrite(g, img, (unsigned)n) == (int)n;
		return gzclose(g) == Z_OK && ok ? 0 : -1;
	}
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(img, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

Gefs *
ltopenraw(const uint8_t *img, size_t n, const GefsOpts *o, LtWarn *w, GefsErr *e, bool gz)
{
	char path[512];
	GefsOpts d;
	Gefs *fs;

	if (o != NULL)
		d = *o;
	else
		gefs_defopts(&d);
	if (w != NULL) {
		memset(w, 0, sizeof *w);
		d.warn = ltwarn;
		d.warnarg = w;
	}
	if (lttmp(path, sizeof path, gz ? ".img.gz" : ".img") < 0) {
		gefs_seterr(e, EIO, "cannot create a temporary file");
		return NULL;
	}
	if (writeimg(path, img, n, gz) < 0) {
		unlink(path);
		gefs_seterr(e, EIO, "%s: cannot write", path);
		return NULL;
	}
	fs = gefs_open(path, &d, e);
	unlink(path);
	return fs;
}

Gefs *
ltopen(Bld *b, const GefsOpts *o, LtWarn *w, GefsErr *e, bool gz)
{
	return ltopenraw(bldimg(b), (size_t)bldsize(b), o, w, e, gz);
}

void
ltlog(uint8_t *blk, int type, const GefsLogEnt *ent, int n, uint64_t chain)
{
	GefsLogHdr h;
	size_t off = 0;
	int i;

	memset(blk, 0, GEFS_BLKSZ);
	for (i = 0; i < n; i++)
		off += gefs_packlogent(blk + GEFS_LOGHDSZ + off, &ent[i]);
	memset(&h, 0, sizeof h);
	h.type = (uint16_t)type;
	h.logsz = (uint16_t)off;
	h.chain.addr = chain;
	h.chain.hash = GEFS_NONE;
	h.chain.gen = GEFS_NONE;
	gefs_packloghdr(blk, &h);
}

void
ltsetused(Bld *b, int ai, uint64_t used)
{
	uint64_t h = bldarenaaddr(b, ai);
	uint8_t *p = bldblkp(b, h);
	GefsArenaHdr a;

	gefs_unpackarena(&a, p, h, NULL);
	a.used = used;
	gefs_packarena(p, &a);
	memcpy(bldblkp(b, h + GEFS_BLKSZ), p, GEFS_BLKSZ);
	bldrehash(b, h);
}

Bld *
ltimage(int narena, uint64_t blks, uint64_t qgen)
{
	BldOpts o;
	Bld *b;

	bldinitopts(&o);
	o.narena = narena;
	o.arenablks = blks;
	o.qgen = qgen;
	b = bldnew(&o);
	if (b != NULL && bldfinish(b) != 0) {
		bldfree(b);
		b = NULL;
	}
	return b;
}
