/*
 * damage.c — see damage.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "damage.h"

enum { B = GEFS_BLKSZ, MAXKV = 512 };

Gefs *
dmopen(const char *path, GefsErr *e)
{
	GefsOpts o;

	gefs_defopts(&o);
	o.rdwr = true;
	return gefs_open(path, &o, e);
}

uint64_t
dmroot(Gefs *fs, const char *label)
{
	GefsTree *t = gefs_opentree(fs, label);
	uint64_t a;

	if (t == NULL)
		return GEFS_NONE;
	a = gefs_treesnap(t)->root.addr;
	gefs_closetree(t);
	return a;
}

/* The first value under the one-byte key prefix kt in tree t, decoded as a
 * block pointer at value offset voff (a Kdat value, a Kdlist hd). */
static uint64_t
firstptr(GefsTree *t, uint8_t kt, size_t voff)
{
	GefsScan *s = gefs_scanprefix(t, &kt, 1);
	GefsKv kv;
	GefsBptr bp;
	uint64_t a = GEFS_NONE;

	while (s != NULL && gefs_scannext(s, &kv) > 0)
		if (kv.nv >= voff + GEFS_PTRSZ) {
			gefs_unpackbptr(&bp, kv.v + voff);
			if (bp.addr != GEFS_NONE) {
				a = bp.addr;
				break;
			}
		}
	gefs_scanfree(s);
	return a;
}

uint64_t
dmdata(Gefs *fs, const char *label)
{
	GefsTree *t = gefs_opentree(fs, label);
	uint64_t a;

	if (t == NULL)
		return GEFS_NONE;
	a = firstptr(t, GEFS_KDAT, 0);
	gefs_closetree(t);
	return a;
}

uint64_t
dmdlist(Gefs *fs)
{
	GefsTree *t = gefs_snaptree(fs);
	uint64_t a;

	if (t == NULL)
		return GEFS_NONE;
	a = firstptr(t, GEFS_KDLIST, 0);
	gefs_closetree(t);
	return a;
}

int
dmalloc(void *arg, uint64_t *addr)
{
	Gefs *fs = arg;
	int i;

	for (i = 0; i < gefs_narena(fs); i++)
		if (fsetcount(fs->arena[i].free) > 0)
			return blkalloc(fs, i, addr);
	return gefs_seterr(&fs->err, ENOSPC, "no free block");
}

/* The gen of label's snapshot, or -1. */
static int64_t
genof(Gefs *fs, const char *label)
{
	GefsTree *t;
	int64_t g;

	if (label == NULL || (t = gefs_opentree(fs, label)) == NULL)
		return -1;
	g = gefs_treesnap(t)->gen;
	gefs_closetree(t);
	return g;
}

int
dmsnaps(Gefs *fs, const char *name, uint64_t gen, const char *lowlbl)
{
	static uint8_t store[MAXKV][GEFS_KEYMAX + GEFS_INLMAX];
	GefsTree *t = gefs_snaptree(fs);
	GefsScan *s = t != NULL ? gefs_scan(t, NULL, 0, NULL, 0) : NULL;
	GefsKv kv[MAXKV], x;
	GefsLabel l = {.gen = gen, .flags = 0};
	GefsSnap sn;
	GefsBptr root;
	uint8_t lk[GEFS_KEYMAX], lv[GEFS_LABELVALSZ];
	int64_t low = genof(fs, lowlbl);
	size_t n = 0, nk;
	int ht, rc;

	nk = name != NULL ? gefs_packlabelkey(lk, name, strlen(name)) : 0;
	gefs_packlabel(lv, &l);
	while (s != NULL && n + 1 < MAXKV && gefs_scannext(s, &x) > 0) {
		if (nk > 0 && gefs_keycmp(lk, nk, x.k, x.nk) < 0) {
			kv[n++] = (GefsKv){lk, (uint16_t)nk, lv, sizeof lv};
			nk = 0;
		}
		memcpy(store[n], x.k, x.nk);
		memcpy(store[n] + x.nk, x.v, x.nv);
		kv[n] = (GefsKv){store[n], x.nk, store[n] + x.nk, x.nv};
		if (x.k[0] == GEFS_KSNAP && gefs_unpacksnap(&sn, x.v, x.nv, NULL) == 0 && sn.gen == low) {
			sn.nlbl = 0;
			gefs_packsnap(store[n] + x.nk, &sn);
		}
		n++;
	}
	if (nk > 0)
		kv[n++] = (GefsKv){lk, (uint16_t)nk, lv, sizeof lv};
	gefs_scanfree(s);
	if (t != NULL)
		gefs_closetree(t);
	rc = treebuild(fs, kv, n, 0, dmalloc, fs, &root, &ht);
	fs->sb.snapaddr = root.addr;
	fs->sb.snaphash = root.hash;
	fs->sb.snapht = (uint32_t)ht;
	return rc;
}

static int
rw(const char *path, void *buf, size_t n, uint64_t off, bool wr)
{
	int fd = open(path, wr ? O_WRONLY : O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = wr ? pwrite(fd, buf, n, (off_t)off) : pread(fd, buf, n, (off_t)off);
	close(fd);
	return r == (ssize_t)n ? 0 : -1;
}

int
dmpoke(const char *path, uint64_t off, const void *p, size_t n)
{
	return rw(path, (void *)p, n, off, true);
}

int
dmsb(const char *path, int i, void (*fn)(GefsSb *sb, void *arg), void *arg, bool keephash)
{
	uint8_t *blk = malloc(B);
	uint64_t off = 0, h;
	GefsSb sb;
	GefsErr e;
	FILE *f;
	int rc = -1;

	if (blk == NULL)
		return -1;
	if (i == 1) {
		if ((f = fopen(path, "rb")) == NULL)
			goto out;
		fseek(f, 0, SEEK_END);
		off = (uint64_t)ftell(f) / B * B - B;
		fclose(f);
	}
	if (rw(path, blk, B, off, false) < 0 || gefs_unpacksb(&sb, blk, off, &e) < 0)
		goto out;
	h = gefs_get64(blk + gefs_sbhashlen(sb.narena));
	fn(&sb, arg);
	if (gefs_packsb(blk, &sb, &e) < 0)
		goto out;
	if (keephash)
		gefs_put64(blk + gefs_sbhashlen(sb.narena), h);
	rc = rw(path, blk, B, off, true);
out:
	free(blk);
	return rc;
}
