/* SPDX-License-Identifier: MIT */
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

/* Rewrite tree t (the snapshot tree when snap is NULL, else the tree of
 * that record, whose root is then updated in *snap) with every pair passed
 * through fn (which may change the value in place, buffer of GEFS_INLMAX
 * bytes, or return false to drop the pair) and the pair extra added. */
typedef bool (*KvFn)(GefsKv *kv, uint8_t *v, void *arg);

static int
rewrite(Gefs *fs, GefsTree *t, uint64_t gen, KvFn fn, void *arg, const GefsKv *extra, GefsBptr *root, int *ht)
{
	static uint8_t store[MAXKV][GEFS_KEYMAX + GEFS_INLMAX];
	GefsScan *s = gefs_scan(t, NULL, 0, NULL, 0);
	GefsKv kv[MAXKV], x;
	size_t n = 0;
	bool add = extra != NULL;

	while (s != NULL && n + 1 < MAXKV && gefs_scannext(s, &x) > 0) {
		if (add && gefs_keycmp(extra->k, extra->nk, x.k, x.nk) < 0) {
			kv[n++] = *extra;
			add = false;
		}
		memcpy(store[n], x.k, x.nk);
		memcpy(store[n] + GEFS_KEYMAX, x.v, x.nv);
		x.k = store[n];
		x.v = store[n] + GEFS_KEYMAX;
		if (fn == NULL || fn(&x, store[n] + GEFS_KEYMAX, arg))
			kv[n++] = x;
	}
	if (add)
		kv[n++] = *extra;
	gefs_scanfree(s);
	return treebuild(fs, kv, n, gen, dmalloc, fs, root, ht);
}

typedef struct Snapedit {
	int64_t		low;		/* record whose nlbl becomes 0 */
	int64_t		gen;		/* record whose root changes ... */
	GefsBptr	root;		/* ... to this */
	int		ht;
} Snapedit;

static bool
snapfn(GefsKv *kv, uint8_t *v, void *arg)
{
	Snapedit *ed = arg;
	GefsSnap sn;

	if (kv->k[0] != GEFS_KSNAP || gefs_unpacksnap(&sn, kv->v, kv->nv, NULL) < 0)
		return true;
	if (sn.gen == ed->low)
		sn.nlbl = 0;
	if (sn.gen == ed->gen) {
		sn.root = ed->root;
		sn.ht = ed->ht;
	}
	gefs_packsnap(v, &sn);
	return true;
}

static int
snaprewrite(Gefs *fs, Snapedit *ed, const GefsKv *extra)
{
	GefsTree *t = gefs_snaptree(fs);
	GefsBptr root;
	int ht, rc;

	if (t == NULL)
		return -1;
	rc = rewrite(fs, t, 0, snapfn, ed, extra, &root, &ht);
	gefs_closetree(t);
	fs->sb.snapaddr = root.addr;
	fs->sb.snaphash = root.hash;
	fs->sb.snapht = (uint32_t)ht;
	return rc;
}

int
dmsnaps(Gefs *fs, const char *name, uint64_t gen, const char *lowlbl)
{
	Snapedit ed = {genof(fs, lowlbl), -2, {0, 0, 0}, 0};
	GefsLabel l = {.gen = gen, .flags = 0};
	uint8_t lk[GEFS_KEYMAX], lv[GEFS_LABELVALSZ];
	GefsKv extra;

	gefs_packlabel(lv, &l);
	extra = (GefsKv){lk, 0, lv, sizeof lv};
	if (name != NULL)
		extra.nk = (uint16_t)gefs_packlabelkey(lk, name, strlen(name));
	return snaprewrite(fs, &ed, name != NULL ? &extra : NULL);
}

int
dmsnaproot(Gefs *fs, const char *label, const char *other, uint64_t gen)
{
	GefsTree *t = gefs_opentree(fs, other);
	Snapedit ed = {-2, genof(fs, label), {0, 0, 0}, 0};

	if (t == NULL)
		return -1;
	ed.root = gefs_treesnap(t)->root;
	ed.root.gen = gen;
	ed.ht = gefs_treesnap(t)->ht;
	gefs_closetree(t);
	return snaprewrite(fs, &ed, NULL);
}

int
dmsetroot(Gefs *fs, const char *label, const GefsBptr *root, int ht)
{
	Snapedit ed = {-2, genof(fs, label), *root, ht};

	return snaprewrite(fs, &ed, NULL);
}

int
dmtree(Gefs *fs, const char *label, bool (*fn)(GefsKv *kv, uint8_t *v, void *arg), void *arg,
	const GefsKv *extra)
{
	GefsTree *t = gefs_opentree(fs, label);
	Snapedit ed = {-2, -2, {0, 0, 0}, 0};
	int rc;

	if (t == NULL)
		return -1;
	ed.gen = gefs_treesnap(t)->gen;
	rc = rewrite(fs, t, (uint64_t)ed.gen, fn, arg, extra, &ed.root, &ed.ht);
	gefs_closetree(t);
	return rc < 0 ? -1 : snaprewrite(fs, &ed, NULL);
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
