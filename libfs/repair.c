/* SPDX-License-Identifier: MIT */
/*
 * repair — the checker's repairs that need a commit (FORMAT.md §15.5):
 * allocation logs rebuilt, compressed, from the block map (fixing bad
 * logs, `used`, referenced-but-free blocks and, with reclaim, leaks);
 * `nextgen` and `nextqid` raised above what is in use; dangling labels
 * dropped (never adm, empty or main: those are re-pointed at the snapshot
 * that lost them, or kept, cklabel.c) and `nlbl` raised to the label
 * count, and retain values the reference aborts on mended (ckconf.c), by
 * writing a new snapshot tree.  All of it is one commit through commit.c, so a crash leaves the
 * old image.
 *
 * Rebuilding logs from the map is only sound when the map is complete:
 * every block the image references was reached.  Any error that may have
 * hidden references (an unreadable node, a bad pointer, a broken deadlist)
 * blocks these repairs; the findings they would have fixed are then left.
 *
 * Blocks the new state gives up (the old log chains, the old snapshot
 * tree) are referenced by the old state, so the new log blocks and the
 * new tree are never placed on them: they are marked MOLD in the map and
 * become free space only through the new logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ, MOLD = 1 << 7 };

/* Why a commit cannot be made, or NULL: errors the table flags as
 * blocking it (they may hide block references) were found. */
static const char *
blocked(Check *ck, char *why, size_t n)
{
	int pr;

	if (ck->st->fatal || ck->arbad)
		return "the arenas could not all be read";
	for (pr = 0; pr < NPROBLEM; pr++)
		if (ck->npr[pr] > 0 && (problemof(pr)->flags & GEFS_PRBLOCK)) {
			snprintf(why, n, "%s findings leave the block map incomplete", problemof(pr)->code);
			return why;
		}
	return NULL;
}

/* ---- the snapshot tree ---- */

typedef struct Kvs {
	GefsKv		*kv;
	size_t		n, cap;
} Kvs;

static int
kvsadd(Kvs *s, const GefsKv *kv)
{
	GefsKv *n;
	uint8_t *p;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		if ((n = realloc(s->kv, s->cap * sizeof *n)) == NULL)
			return -1;
		s->kv = n;
	}
	if ((p = malloc((size_t)kv->nk + kv->nv + 1)) == NULL)
		return -1;
	memcpy(p, kv->k, kv->nk);
	memcpy(p + kv->nk, kv->v, kv->nv);
	s->kv[s->n] = (GefsKv){p, kv->nk, p + kv->nk, kv->nv};
	s->n++;
	return 0;
}

static void
kvsfree(Kvs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free((void *)s->kv[i].k);
	free(s->kv);
}

static bool
hassnap(Check *ck, uint64_t gen)
{
	size_t i;

	for (i = 0; i < ck->nsnap; i++)
		if ((uint64_t)ck->snap[i].s.gen == gen)
			return true;
	return false;
}

/* Labels kept (their snapshot exists) that point at gen. */
static uint32_t
nkept(Check *ck, uint64_t gen)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < ck->nlabel; i++)
		if (ck->label[i].gen == gen && hassnap(ck, gen))
			n++;
	return n;
}

/* Keep or fix one pair of the snapshot tree; false drops it. */
static bool
fixsnapkv(Check *ck, GefsKv *kv, uint8_t *v)
{
	GefsLabel l;
	GefsSnap s;
	uint32_t n;

	if (kv->nk > 1 && kv->k[0] == GEFS_KLABEL && gefs_unpacklabel(&l, kv->v, kv->nv, NULL) == 0)
		return hassnap(ck, l.gen) || cklabelfix(ck, kv, &l, v);
	if (kv->nk > 0 && kv->k[0] == GEFS_KCONF)
		return ckretainfix(kv);	/* kv->v is all's own copy */
	if (kv->nk > 0 && kv->k[0] == GEFS_KSNAP && gefs_unpacksnap(&s, kv->v, kv->nv, NULL) == 0) {
		n = nkept(ck, (uint64_t)s.gen);
		if (s.nlbl < 0 || (uint32_t)s.nlbl < n) {
			s.nlbl = (int32_t)n;
			gefs_packsnap(v, &s);
			kv->v = v;
		}
	}
	return true;
}

/* Every block of kind k goes with the old state: free in the new one,
 * but not to be reused by it (MOLD). */
static void
giveup(Check *ck, int k)
{
	uint64_t b, n;

	for (b = 0; b < ck->nblk; b += n)
		if ((ckmaprun(ck, b, ck->nblk, &n) & KMASK) == k)
			ckmapupd(ck, b, b + n, (uint8_t)~(KMASK | MALLOC), MOLD);
}

/* A block no state references and the new state may use. */
static bool
spare(Check *ck, uint64_t b, bool reclaim)
{
	uint8_t m = ckmap(ck, b);

	return (m & MAREA) && !(m & (MTAIL | MDLIST | MOLD)) && (m & KMASK) == KNONE
		&& (reclaim || !(m & MALLOC));
}

typedef struct Alloc {
	Check		*ck;
	uint64_t	next;		/* scan downwards from here */
} Alloc;

/* Reclaim in arena ai: asked for, or its log is broken (what it says is
 * allocated cannot be trusted). */
static bool
reclaiming(Check *ck, int ai)
{
	return ck->o.reclaim || (ai >= 0 && ck->logbad[ai]);
}

/* The allocation hook while the new snapshot tree is written: the
 * highest block nothing references (nor, unless reclaiming, holds
 * allocated), marked in the block map as taken. */
static int
newnode(void *arg, uint64_t *addr)
{
	Alloc *a = arg;
	Check *ck = a->ck;

	while (a->next > 0) {
		a->next--;
		if (spare(ck, a->next, reclaiming(ck, arenaof(ck->fs, a->next * B)))) {
			ckmapupd(ck, a->next, a->next + 1, (uint8_t)~KMASK, KSNODE | MALLOC);
			*addr = a->next * B;
			return 0;
		}
	}
	return gefs_seterr(&ck->fs->err, ENOSPC, "no free block for the new snapshot tree");
}

/* treebuild's allocator: the handle's (blknew), which asks the hook. */
static int
viahandle(void *arg, uint64_t *addr)
{
	return blknew(arg, addr);
}

/* Write a new snapshot tree without dangling labels and with nlbl raised
 * to the label count. */
static int
rewritesnaps(Check *ck)
{
	Gefs *fs = ck->fs;
	GefsTree *t;
	GefsScan *s = NULL;
	GefsKv kv, *keep = NULL;
	GefsBptr root;
	Kvs all = {0};
	Alloc al = {ck, ck->nblk};
	uint8_t (*vbuf)[GEFS_SNAPVALSZ] = NULL;
	size_t i, n = 0;
	int ht, rc = -1;

	if ((t = gefs_snaptree(fs)) == NULL || (s = gefs_scan(t, NULL, 0, NULL, 0)) == NULL)
		goto out;
	while ((rc = gefs_scannext(s, &kv)) > 0)
		if (kvsadd(&all, &kv) < 0) {
			rc = gefs_seterr(&fs->err, ENOMEM, "out of memory");
			goto out;
		}
	if (rc < 0)
		goto out;
	vbuf = calloc(all.n + 1, sizeof *vbuf);
	keep = calloc(all.n + 1, sizeof *keep);
	if (vbuf == NULL || keep == NULL) {
		rc = gefs_seterr(&fs->err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < all.n; i++) {
		kv = all.kv[i];
		if (fixsnapkv(ck, &kv, vbuf[i]))
			keep[n++] = kv;
	}
	/* the old tree's nodes go with the old state (§14.5) */
	giveup(ck, KSNODE);
	/* the new nodes come through the handle's allocation hook */
	setallochook(fs, newnode, &al);
	rc = treebuild(fs, keep, n, 0, viahandle, fs, &root, &ht);
	setallochook(fs, NULL, NULL);
	if (rc == 0) {
		fs->sb.snapaddr = root.addr;
		fs->sb.snaphash = root.hash;
		fs->sb.snapht = (uint32_t)ht;
	}
out:
	kvsfree(&all);
	free(keep);
	free(vbuf);
	gefs_scanfree(s);
	if (t != NULL)
		gefs_closetree(t);
	return rc;
}

/* ---- the allocation logs ---- */

/* Arena ai's free space in the new state: data-area blocks that nothing
 * references, that the old logs did not hold allocated (unless reclaiming,
 * or the arena's log was found broken), and that are not the two tail
 * blocks; blocks only the old state used (MOLD) are free. */
static FreeSet *
newfree(Check *ck, uint32_t ai)
{
	Arena *a = &ck->fs->arena[ai];
	bool reclaim = reclaiming(ck, (int)ai);
	uint64_t b, n, lo, hi, first = 0, run = 0;
	FreeSet *f;
	uint8_t m;

	if ((f = fsetnew()) == NULL)
		return NULL;
	lo = (a->addr + 2 * B) / B;
	hi = lo + a->size / B;
	for (b = lo; b <= hi; b += n) {
		n = 1;
		m = b < hi ? ckmaprun(ck, b, hi, &n) : 0;
		if (b < hi && (m & KMASK) == KNONE && !(m & (MDLIST | MTAIL))
		&& ((m & MOLD) || reclaim || !(m & MALLOC))) {
			if (run == 0)
				first = b;
			run += n;
			continue;
		}
		if (run > 0 && fsetins(f, first * B, run * B) < 0) {
			fsetfree(f);
			return NULL;
		}
		run = 0;
	}
	return f;
}

/* New log blocks go where the old state has nothing. */
static bool
logok(void *arg, uint64_t addr)
{
	Check *ck = arg;

	return !(ckmap(ck, addr / B) & MOLD);
}

static int
rebuildlogs(Check *ck)
{
	Gefs *fs = ck->fs;
	FreeSet *f;
	uint32_t i;

	giveup(ck, KLOG);
	for (i = 0; i < fs->sb.narena; i++) {
		if ((f = newfree(ck, i)) == NULL)
			return gefs_seterr(&fs->err, ENOMEM, "out of memory");
		if (logrebuild(fs, (int)i, f, logok, ck) < 0)
			return gefs_wraperr(&fs->err, "arena %u", i);
	}
	return 0;
}

/* RP0001: the commit's repairs are not made, for reason why. */
static void
nocommit(Check *ck, const char *why)
{
	Pctx c = PCTX(GEFS_NONE);

	c.n[0] = (int64_t)ck->ncommit;
	c.why = why;
	ckproblem(ck, PR_RPNOCOMMIT, &c);
}

int
ckcommit(Check *ck)
{
	Gefs *fs = ck->fs;
	const char *r;
	char why[128];
	bool opened;
	int rc;

	if (ck->ncommit == 0)
		return 0;
	r = ck->st->cancelled ? "cancelled" : blocked(ck, why, sizeof why);
	if (r == NULL && devrdonly(fs->dev))
		r = "the image is open read-only";
	if (r != NULL) {
		if (!ck->st->cancelled)
			nocommit(ck, r);
		ckrelease(ck, false);
		return 0;
	}
	if (ck->anygen && ck->maxgen >= fs->sb.nextgen)
		fs->sb.nextgen = ck->maxgen + 1;
	if (ck->anyqid && ck->maxqid >= fs->sb.nextqid)
		fs->sb.nextqid = ck->maxqid + 1;
	/* the checker's handle is read-side only: the repair's allocations
	 * need a write state for the commit's duration */
	opened = fs->ed == NULL;
	if (opened && editopen(fs) < 0)
		return gefs_seterr(ck->e, fs->err.code, "repair commit: %s", fs->err.msg);
	rc = (ck->snapfix && rewritesnaps(ck) < 0) || rebuildlogs(ck) < 0 || commit(fs) < 0 ? -1 : 0;
	if (opened)
		editclose(fs);
	if (rc < 0) {
		ckrelease(ck, false);
		return gefs_seterr(ck->e, fs->err.code ? fs->err.code : EIO, "repair commit: %s", fs->err.msg);
	}
	ckrelease(ck, true);
	ck->committed = true;
	return 0;
}
