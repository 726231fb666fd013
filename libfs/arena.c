/* SPDX-License-Identifier: MIT */
/*
 * arena — free space of an arena (§6): a set of disjoint, coalesced free
 * ranges, and the replay of the allocation log that rebuilds it at load
 * time (§6.4).
 *
 * The set is an AVL tree of ranges keyed by start address, so memory grows
 * with the number of ranges, never with the number of blocks.  Adjacent
 * ranges are always merged, which makes "entirely free" the same as "inside
 * one range".
 *
 * Replay trusts nothing in a log block: the chain is bounded by the arena's
 * block count and checked for cycles with a set of visited blocks, every
 * range is checked against the arena's data area and the free set, and a
 * logh mismatch is tolerated only where a crash could have caused it (in
 * the block holding the barrier that ends replay).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ };

struct Range {
	uint64_t	start;
	uint64_t	end;		/* exclusive */
	Range		*l, *r;
	int		ht;
};

struct FreeSet {
	Range		*root;
	uint64_t	n;		/* ranges */
	uint64_t	bytes;		/* sum of their lengths */
};

/* ------------------------------------------------------------------ */
/* AVL tree of ranges                                                 */
/* ------------------------------------------------------------------ */

static int
height(const Range *r)
{
	return r != NULL ? r->ht : 0;
}

static void
fixht(Range *r)
{
	int hl, hr;

	hl = height(r->l);
	hr = height(r->r);
	r->ht = 1 + (hl > hr ? hl : hr);
}

static Range *
rotright(Range *y)
{
	Range *x;

	x = y->l;
	y->l = x->r;
	x->r = y;
	fixht(y);
	fixht(x);
	return x;
}

static Range *
rotleft(Range *x)
{
	Range *y;

	y = x->r;
	x->r = y->l;
	y->l = x;
	fixht(x);
	fixht(y);
	return y;
}

/* Restore the AVL balance at n after one of its subtrees changed height by
 * at most one; returns the new subtree root. */
static Range *
rebalance(Range *n)
{
	int bf;

	fixht(n);
	bf = height(n->l) - height(n->r);
	if (bf > 1) {
		if (height(n->l->l) < height(n->l->r))
			n->l = rotleft(n->l);
		return rotright(n);
	}
	if (bf < -1) {
		if (height(n->r->r) < height(n->r->l))
			n->r = rotright(n->r);
		return rotleft(n);
	}
	return n;
}

static Range *
avlinsert(Range *t, Range *n)
{
	if (t == NULL)
		return n;
	if (n->start < t->start)
		t->l = avlinsert(t->l, n);
	else
		t->r = avlinsert(t->r, n);
	return rebalance(t);
}

/* Unlink the smallest node of t into *min; returns the new subtree. */
static Range *
avlunlinkmin(Range *t, Range **min)
{
	if (t->l == NULL) {
		*min = t;
		return t->r;
	}
	t->l = avlunlinkmin(t->l, min);
	return rebalance(t);
}

/* Unlink the node whose start is key (it must exist) and free it. */
static Range *
avldelete(Range *t, uint64_t key)
{
	Range *m, *rest;

	if (t == NULL)
		return NULL;
	if (key < t->start)
		t->l = avldelete(t->l, key);
	else if (key > t->start)
		t->r = avldelete(t->r, key);
	else {
		if (t->l == NULL || t->r == NULL) {
			m = t->l != NULL ? t->l : t->r;
			free(t);
			return m;
		}
		rest = avlunlinkmin(t->r, &m);
		m->l = t->l;
		m->r = rest;
		free(t);
		return rebalance(m);
	}
	return rebalance(t);
}

/* The range with the greatest start <= a, or NULL. */
static Range *
floorof(const FreeSet *s, uint64_t a)
{
	Range *t, *best;

	best = NULL;
	for (t = s->root; t != NULL;)
		if (t->start <= a) {
			best = t;
			t = t->r;
		} else
			t = t->l;
	return best;
}

/* The range with the smallest start > a, or NULL. */
static Range *
above(const FreeSet *s, uint64_t a)
{
	Range *t, *best;

	best = NULL;
	for (t = s->root; t != NULL;)
		if (t->start > a) {
			best = t;
			t = t->l;
		} else
			t = t->r;
	return best;
}

static void
freetree(Range *t)
{
	Range *l;

	/* iterative on the right spine keeps the recursion at tree height */
	while (t != NULL) {
		freetree(t->l);
		l = t->r;
		free(t);
		t = l;
	}
}

/* ------------------------------------------------------------------ */
/* Free-range sets                                                    */
/* ------------------------------------------------------------------ */

FreeSet *
fsetnew(void)
{
	return calloc(1, sizeof(FreeSet));
}

void
fsetfree(FreeSet *s)
{
	if (s == NULL)
		return;
	freetree(s->root);
	free(s);
}

/* A range [start, start+len) is well formed when non-empty and not
 * wrapping past 2^64. */
static int
rangeok(uint64_t start, uint64_t len)
{
	if (len == 0 || start + len < start) {
		errno = EINVAL;
		return 0;
	}
	return 1;
}

int
fsetins(FreeSet *s, uint64_t start, uint64_t len)
{
	Range *p, *q, *n;
	uint64_t end;

	if (!rangeok(start, len))
		return -1;
	end = start + len;
	p = floorof(s, start);
	q = above(s, start);
	if ((p != NULL && p->end > start) || (q != NULL && q->start < end)) {
		errno = EEXIST;
		return -1;
	}
	if (p != NULL && p->end == start) {
		p->end = end;
		if (q != NULL && q->start == end) {
			/* bridges two ranges: p absorbs q */
			p->end = q->end;
			s->root = avldelete(s->root, q->start);
			s->n--;
		}
	} else if (q != NULL && q->start == end) {
		/* key changes but keeps its place: nothing lies between p and q */
		q->start = start;
	} else {
		n = calloc(1, sizeof *n);
		if (n == NULL) {
			errno = ENOMEM;
			return -1;
		}
		n->start = start;
		n->end = end;
		n->ht = 1;
		s->root = avlinsert(s->root, n);
		s->n++;
	}
	s->bytes += len;
	return 0;
}

int
fsetrm(FreeSet *s, uint64_t start, uint64_t len)
{
	Range *p, *n;
	uint64_t end;

	if (!rangeok(start, len))
		return -1;
	end = start + len;
	p = floorof(s, start);
	if (p == NULL || p->end < end) {
		errno = ENOENT;
		return -1;
	}
	if (p->start == start && p->end == end) {
		s->root = avldelete(s->root, start);
		s->n--;
	} else if (p->start == start)
		p->start = end;
	else if (p->end == end)
		p->end = start;
	else {
		n = calloc(1, sizeof *n);
		if (n == NULL) {
			errno = ENOMEM;
			return -1;
		}
		n->start = end;
		n->end = p->end;
		n->ht = 1;
		p->end = start;
		s->root = avlinsert(s->root, n);
		s->n++;
	}
	s->bytes -= len;
	return 0;
}

bool
fsetisfree(const FreeSet *s, uint64_t addr)
{
	Range *p;

	p = floorof(s, addr);
	return p != NULL && addr < p->end;
}

int
fsetfind(const FreeSet *s, uint64_t addr, uint64_t *start, uint64_t *len)
{
	Range *p;

	p = floorof(s, addr);
	if (p == NULL || addr >= p->end)
		p = above(s, addr);
	if (p == NULL)
		return -1;
	*start = p->start;
	*len = p->end - p->start;
	return 0;
}

int
fsetlast(const FreeSet *s, uint64_t *start, uint64_t *len)
{
	Range *t;

	if (s->root == NULL)
		return -1;
	for (t = s->root; t->r != NULL; t = t->r)
		;
	*start = t->start;
	*len = t->end - t->start;
	return 0;
}

int
fsetfirst(const FreeSet *s, uint64_t *start, uint64_t *len)
{
	Range *t;

	if (s->root == NULL)
		return -1;
	for (t = s->root; t->l != NULL; t = t->l)
		;
	*start = t->start;
	*len = t->end - t->start;
	return 0;
}

static int
walkrange(const Range *t, FsetFn fn, void *arg)
{
	int rc;

	for (; t != NULL; t = t->r) {
		if ((rc = walkrange(t->l, fn, arg)) != 0)
			return rc;
		if ((rc = fn(arg, t->start, t->end - t->start)) != 0)
			return rc;
	}
	return 0;
}

int
fsetwalk(const FreeSet *s, FsetFn fn, void *arg)
{
	return walkrange(s->root, fn, arg);
}

uint64_t
fsetcount(const FreeSet *s)
{
	return s->n;
}

uint64_t
fsetbytes(const FreeSet *s)
{
	return s->bytes;
}

/* ------------------------------------------------------------------ */
/* Walking an allocation-log chain                                    */
/* ------------------------------------------------------------------ */

/* What one walk of a chain found: where replay stops. */
typedef struct LogEnd {
	uint64_t	tail;		/* block where replay stopped */
	uint16_t	tailsz;		/* its logsz, truncated at the barrier */
	uint64_t	stopoff;	/* barrier offset, GEFS_NONE when none */
	uint64_t	nlog;		/* blocks replayed */
} LogEnd;

typedef int (*ItemFn)(Gefs *fs, void *arg, const GefsLogItem *it);

/* Where an arena's data area lies: [H + 2B, H + 2B + S). */
static void
dataarea(const Arena *a, uint64_t *lo, uint64_t *hi)
{
	*lo = a->addr + 2 * B;
	*hi = *lo + a->size;
	if (*hi < *lo)
		*hi = GEFS_NONE;
}

/* The barrier that ends replay (§6.4): the first LogSync >= qgen. */
typedef struct Scan {
	uint64_t	qgen;
	long		stop;
} Scan;

static int
stopat(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Scan *s = arg;

	(void)w;
	if (le->op != GEFS_LOGSYNC || le->qgen < s->qgen)
		return 0;
	s->stop = (long)off;
	return 1;
}

/* Scan the body of a log block up to logsz: *stop is the offset of the
 * first barrier >= qgen, or -1.  -1 (error in fs->err) if an entry before
 * that point does not decode. */
static int
scanblock(Gefs *fs, const uint8_t *blk, const GefsLogHdr *h, uint64_t addr, long *stop, size_t *bad)
{
	Scan s = {fs->sb.qgen, -1};
	int rc;

	rc = gefs_logbody(blk, h->logsz, 0, addr, stopat, &s, bad, &fs->err);
	*stop = s.stop;
	return rc < 0 ? -1 : 0;
}

/* Check a chain link before following it: aligned, in this arena's data
 * area (§5.5: log blocks come from their own arena), not seen before. */
static int
checklink(Gefs *fs, int ai, FreeSet *seen, uint64_t addr, uint64_t from)
{
	uint64_t lo, hi;

	dataarea(&fs->arena[ai], &lo, &hi);
	if (addr % B != 0 || addr < lo || addr >= hi)
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx (%s 0x%llx): outside the arena's data area [0x%llx, 0x%llx)",
			ai, (unsigned long long)addr, from == GEFS_NONE ? "head, from the arena header at" : "chain of",
			(unsigned long long)(from == GEFS_NONE ? fs->arena[ai].addr : from),
			(unsigned long long)lo, (unsigned long long)hi);
	if (fsetins(seen, addr, B) < 0) {
		if (errno == ENOMEM)
			return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx: chain: cycle: block 0x%llx is reached twice",
			ai, (unsigned long long)from, (unsigned long long)addr);
	}
	return 0;
}

/* Decide what a logh mismatch means (§6.4): tolerated, reported, when the
 * barrier that ends replay lies in this block; else corruption (a warning
 * with ignhash). */
static int
judgelogh(Gefs *fs, int ai, uint64_t addr, const GefsLogHdr *h, long stop)
{
	if (stop >= 0) {
		fswarn(fs, "arena %d: log block 0x%llx: logh mismatch, tolerated: replay stops at the barrier at offset %ld in this block",
			ai, (unsigned long long)addr, stop);
		return 0;
	}
	if (fs->opts.ignhash) {
		fswarn(fs, "arena %d: log block 0x%llx: logh mismatch (stored 0x%016llx), read on",
			ai, (unsigned long long)addr, (unsigned long long)h->logh);
		return 0;
	}
	return gefs_seterr(&fs->err, EBADMSG,
		"arena %d: log block 0x%llx (log): logh 0x%016llx does not match the body (logsz %u)",
		ai, (unsigned long long)addr, (unsigned long long)h->logh, h->logsz);
}

/* One emitblock walk: where replay stops, whether to go on past it, the
 * consumer and what it returned. */
typedef struct Emit {
	Gefs		*fs;
	GefsLogItem	*it;
	long		stop;
	bool		all;
	ItemFn		fn;
	void		*arg;
	int		rc;		/* fn's non-zero return */
} Emit;

static int
emitent(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Emit *m = arg;
	GefsLogItem *it = m->it;

	(void)w;
	if (m->stop >= 0 && (long)off > m->stop && !m->all)
		return 1;
	it->off = off;
	it->ent = *le;
	if (m->stop < 0 || (long)off < m->stop)
		it->kind = GEFS_LOGAPPLIED;
	else
		it->kind = (long)off == m->stop ? GEFS_LOGSTOP : GEFS_LOGIGNORED;
	m->rc = m->fn(m->fs, m->arg, it);
	return m->rc != 0;
}

/* Report every entry of one log block to fn.  Entries after the barrier
 * (stop >= 0) are reported only when all is set, as ignored, up to the
 * first that does not decode. */
static int
emitblock(Gefs *fs, GefsLogItem *it, const uint8_t *blk, long stop, bool all, ItemFn fn, void *arg)
{
	Emit m = {fs, it, stop, all, fn, arg, 0};
	size_t bad;
	int rc;

	it->kind = GEFS_LOGBLOCK;
	it->off = 0;
	memset(&it->ent, 0, sizeof it->ent);
	if ((rc = fn(fs, arg, it)) != 0)
		return rc;
	if (gefs_logbody(blk, it->hdr.logsz, 0, it->blk, emitent, &m, &bad, NULL) >= 0)
		return m.rc;
	/* only possible after the barrier: scanblock checked the rest */
	it->off = bad;
	it->kind = GEFS_LOGBAD;
	memset(&it->ent, 0, sizeof it->ent);
	return fn(fs, arg, it);
}

/* One block of the chain: read, scan, judge logh, emit.  *next gets the
 * chain pointer, NONE once replay stops here. */
static int
walkblock(Gefs *fs, int ai, GefsLogItem *it, bool all, ItemFn fn, void *arg, LogEnd *end, uint64_t *next)
{
	GefsLogHdr h;
	bool hashok;
	long stop;
	size_t bad = 0;
	Blk *b;
	int rc;

	*next = GEFS_NONE;
	b = readlogblk(fs, it->blk, GEFS_TLOG, &h, &hashok);
	if (b == NULL)
		return gefs_wraperr(&fs->err, "arena %d: allocation log", ai);
	rc = scanblock(fs, b->buf, &h, it->blk, &stop, &bad);
	/* A tail torn while a commit rewrote it (§15.3 step 3): the first
	 * half of the block is new and whole, the barrier of the commit
	 * in use was overwritten by the entries after it.  Replay ends at
	 * the tear, as at a barrier: what it replays of the interrupted
	 * commit can only allocate more, never free a committed block. */
	if (rc < 0 && !hashok && h.chain.addr == GEFS_NONE && bad >= LOGTORNBODY) {
		fswarn(fs, "arena %d: log block 0x%llx: torn at body offset %zu (interrupted commit); replay ends there",
			ai, (unsigned long long)it->blk, bad);
		stop = (long)bad;
		rc = 0;
	}
	/* a bad logh explains a bad entry better than the entry does */
	if (!hashok && judgelogh(fs, ai, it->blk, &h, stop) < 0) {
		putblk(fs, b);
		return -1;
	}
	if (rc < 0) {
		gefs_wraperr(&fs->err, "arena %d: allocation log", ai);
		putblk(fs, b);
		return -1;
	}
	it->hdr = h;
	it->hashok = hashok;
	rc = emitblock(fs, it, b->buf, stop, all, fn, arg);
	putblk(fs, b);
	end->nlog++;
	end->tail = it->blk;
	end->tailsz = stop >= 0 ? (uint16_t)stop : h.logsz;
	end->stopoff = stop >= 0 ? (uint64_t)stop : GEFS_NONE;
	*next = stop >= 0 ? GEFS_NONE : h.chain.addr;
	return rc;
}

/* Walk arena ai's log chain from the header's loghd, stopping at the first
 * barrier >= sb.qgen (§6.4).  Non-zero returns of fn stop the walk and are
 * returned; -1 with fs->err on damage. */
static int
walkchain(Gefs *fs, int ai, bool all, ItemFn fn, void *arg, LogEnd *end)
{
	GefsLogItem it;
	FreeSet *seen;
	uint64_t addr, prev, next, maxblk;
	int rc;

	memset(end, 0, sizeof *end);
	end->tail = GEFS_NONE;
	end->stopoff = GEFS_NONE;
	seen = fsetnew();
	if (seen == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
	memset(&it, 0, sizeof it);
	maxblk = fs->arena[ai].size / B;
	rc = 0;
	prev = next = GEFS_NONE;
	for (addr = fs->arena[ai].hdr.loghdaddr; addr != GEFS_NONE; addr = next) {
		if (it.seq >= maxblk) {
			rc = gefs_seterr(&fs->err, EBADMSG,
				"arena %d: log block 0x%llx: chain longer than the arena's %llu blocks",
				ai, (unsigned long long)prev, (unsigned long long)maxblk);
			break;
		}
		if ((rc = checklink(fs, ai, seen, addr, prev)) != 0)
			break;
		it.blk = addr;
		if ((rc = walkblock(fs, ai, &it, all, fn, arg, end, &next)) != 0)
			break;
		prev = addr;
		it.seq++;
	}
	fsetfree(seen);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Replay                                                             */
/* ------------------------------------------------------------------ */

/* The arena layer's part of the handle: n zeroed arenas (no free set, no
 * log tail yet).  Replaces whatever the handle held. */
int
arenasnew(Gefs *fs, uint32_t n)
{
	arenasfree(fs);
	fs->arena = calloc(n > 0 ? n : 1, sizeof *fs->arena);
	if (fs->arena == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory for %u arenas", n);
	return 0;
}

/* Free n arenas' free sets and records (no open tails). */
static void
arenafree(Arena *a, uint32_t n)
{
	uint32_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++) {
		fsetfree(a[i].free);
		free(a[i].damage);
	}
	free(a);
}

/* Drop the loader's arenas the checker kept to compare. */
void
arenaslibfree(Gefs *fs)
{
	arenafree(fs->lib, fs->nlib);
	fs->lib = NULL;
	fs->nlib = 0;
}

/* Close the open log tails, free the free sets and the arenas (and the
 * loader's, kept by the checker). */
void
arenasfree(Gefs *fs)
{
	arenaslibfree(fs);
	if (fs->arena == NULL)
		return;
	if (fs->cache != NULL)
		logclose(fs);
	arenafree(fs->arena, fs->sb.narena);
	fs->arena = NULL;
}

/* Apply one entry to arena ai's free set (§6.4). */
static int
applyent(Gefs *fs, void *arg, const GefsLogItem *it)
{
	Arena *a;
	const GefsLogEnt *le;
	uint64_t lo, hi;
	bool alloc;
	char rs[RANGESTRSZ];

	a = &fs->arena[*(int *)arg];
	le = &it->ent;
	if (it->kind != GEFS_LOGAPPLIED || le->op == GEFS_LOGSYNC)
		return 0;
	alloc = le->op == GEFS_LOGALLOC1 || le->op == GEFS_LOGALLOC;
	dataarea(a, &lo, &hi);
	if (le->addr < lo || le->addr >= hi || le->len > hi - le->addr)
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx (log): entry at offset %zu: %s of %s outside the data area [0x%llx, 0x%llx)",
			*(int *)arg, (unsigned long long)it->blk, it->off, alloc ? "alloc" : "free",
			rangestr(rs, le->addr, le->len),
			(unsigned long long)lo, (unsigned long long)hi);
	if ((alloc ? fsetrm : fsetins)(a->free, le->addr, le->len) < 0) {
		if (errno == ENOMEM)
			return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", *(int *)arg);
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx (log): entry at offset %zu: %s",
			*(int *)arg, (unsigned long long)it->blk, it->off,
			alloc ? "alloc of a range that is not entirely free" : "free of a range that overlaps free space");
	}
	if (alloc)
		a->used += le->len;
	else
		a->used -= le->len;
	a->nent++;
	return 0;
}

int
replay(Gefs *fs, int ai)
{
	Arena *a;
	LogEnd end;

	a = &fs->arena[ai];
	fsetfree(a->free);
	a->free = fsetnew();
	if (a->free == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
	a->used = a->size;		/* nothing is free until the log says so */
	a->nent = 0;
	if (walkchain(fs, ai, false, applyent, &ai, &end) != 0)
		return -1;
	a->logtail = end.tail;
	a->tailsz = end.tailsz;
	a->stopoff = end.stopoff;
	a->nlog = end.nlog;
	if (a->used != a->size - fsetbytes(a->free))
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: after replay used 0x%llx != size 0x%llx - free 0x%llx",
			ai, (unsigned long long)a->used, (unsigned long long)a->size,
			(unsigned long long)fsetbytes(a->free));
	if (a->used != a->hdr.used)
		fswarn(fs, "arena %d: header 0x%llx: used 0x%llx, but replay gives 0x%llx",
			ai, (unsigned long long)(a->addr + (uint64_t)a->hdrcopy * B),
			(unsigned long long)a->hdr.used, (unsigned long long)a->used);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public inspection                                                  */
/* ------------------------------------------------------------------ */

typedef struct UserWalk {
	GefsLogFn	fn;
	void		*arg;
} UserWalk;

static int
useritem(Gefs *fs, void *arg, const GefsLogItem *it)
{
	UserWalk *w;

	(void)fs;
	w = arg;
	return w->fn(w->arg, it);
}

static int
arenaarg(Gefs *fs, int ai)
{
	if (ai < 0 || fs->arena == NULL || (uint32_t)ai >= fs->sb.narena)
		return gefs_seterr(&fs->err, EINVAL, "no arena %d (the file system has %u)", ai, fs->sb.narena);
	return 0;
}

int
gefs_walklog(Gefs *fs, int ai, GefsLogFn fn, void *arg)
{
	UserWalk w;
	LogEnd end;

	if (arenaarg(fs, ai) < 0)
		return -1;
	w.fn = fn;
	w.arg = arg;
	return walkchain(fs, ai, true, useritem, &w, &end);
}

int
gefs_walkfree(Gefs *fs, int ai, GefsFreeFn fn, void *arg)
{
	if (arenaarg(fs, ai) < 0)
		return -1;
	if (fs->arena[ai].free == NULL)
		return 0;
	return fsetwalk(fs->arena[ai].free, fn, arg);
}

/* ------------------------------------------------------------------ */
/* Allocation (§5.4, §5.5, §6.3) and the edit's block bookkeeping     */
/* ------------------------------------------------------------------ */

enum {
	RESMIN	= 512 << 10,	/* §5.4: the reserve is S/1024 clamped to */
	RESMAX	= 8 << 20,	/* [512 KiB, 8 MiB] */
	RRSTEP	= 2048,		/* §5.5: attempts per arena step */
};

/* The §5.4 reserve of arena a. */
static uint64_t
reserveof(const Arena *a)
{
	uint64_t r = a->size / 1024;

	return r < RESMIN ? RESMIN : r > RESMAX ? RESMAX : r;
}

/* Take a block of arena ai (§5.5): the lowest free one when low, else
 * the highest; logged. */
static int
takeblk(Gefs *fs, int ai, bool low, uint64_t *addr)
{
	Arena *a = &fs->arena[ai];
	GefsLogEnt le;
	uint64_t start, len;

	if ((low ? fsetfirst : fsetlast)(a->free, &start, &len) < 0)
		return gefs_seterr(&fs->err, ENOSPC, "arena %d: no free block", ai);
	*addr = low ? start : start + len - B;
	if (fsetrm(a->free, *addr, B) < 0)
		return gefs_seterr(&fs->err, errno, "arena %d: allocating 0x%llx", ai, (unsigned long long)*addr);
	a->used += B;
	le = (GefsLogEnt){.op = GEFS_LOGALLOC1, .addr = *addr, .len = B};
	return logappend(fs, ai, &le);
}

int
blkalloc(Gefs *fs, int ai, uint64_t *addr)
{
	return takeblk(fs, ai, false, addr);
}

int
blkfree(Gefs *fs, uint64_t addr)
{
	GefsLogEnt le;
	int ai;

	ai = arenaof(fs, addr);
	if (ai < 0 || indata(fs, ai, addr) < 0)
		return gefs_seterr(&fs->err, EINVAL, "freeing 0x%llx: not a block of an arena's data area",
			(unsigned long long)addr);
	if (fsetisfree(fs->arena[ai].free, addr))
		return gefs_seterr(&fs->err, EBADMSG, "freeing 0x%llx: the block is already free",
			(unsigned long long)addr);
	/* logged first: a rollover must not take the block being freed, or
	 * its allocation would precede this free in the log */
	le = (GefsLogEnt){.op = GEFS_LOGFREE1, .addr = addr, .len = B};
	if (logappend(fs, ai, &le) < 0)
		return -1;
	if (fsetins(fs->arena[ai].free, addr, B) < 0)
		return gefs_seterr(&fs->err, errno, "freeing 0x%llx", (unsigned long long)addr);
	fs->arena[ai].used -= B;
	return 0;
}

void
setallochook(Gefs *fs, AllocHook fn, void *arg)
{
	if (fs->ed == NULL)
		return;
	fs->ed->hook = fn;
	fs->ed->hookarg = arg;
}

void
setreserve(Gefs *fs, bool on)
{
	if (fs->ed != NULL)
		fs->ed->reserve = on;
}

uint64_t
opengen(Gefs *fs)
{
	return fs->ed != NULL ? fs->ed->wgen : GEFS_NONE;
}

bool
blkfresh(Gefs *fs, uint64_t addr)
{
	return fs->ed != NULL && fsetisfree(fs->ed->fresh, addr);
}

/* May arena ai give a block now?  Free space beyond its reserve, or any
 * free space when the reserve is open; a rollover of its log needs one
 * more block, so that much is kept in every case. */
static bool
canalloc(Gefs *fs, int ai)
{
	Arena *a = &fs->arena[ai];
	uint64_t nfree = a->size - a->used;

	if (fs->ed->reserve)
		return nfree >= 2 * B;
	return nfree > reserveof(a) + B;
}

/* §5.5: attempt tries of an allocation uses arena (base + r + tries)
 * mod N, r = rr/2048 with rr counting every attempt; base is 0 for tree
 * nodes and deadlist blocks, (q mod (N-1)) + 1 for a data block of qid
 * q (N = 1: arena 0).  2N attempts, then the file system is full. */
static int
pickarena(Gefs *fs, uint32_t base, int *ai)
{
	Edit *ed = fs->ed;
	uint32_t n = fs->sb.narena, tries, r;

	for (tries = 0; tries < 2 * n; tries++) {
		r = ++ed->rr / RRSTEP;
		*ai = (int)((base + r + tries) % n);
		if (canalloc(fs, *ai))
			return 0;
	}
	return gefs_seterr(&fs->err, ENOSPC, "file system full: no arena of %u has a free block%s",
		n, ed->reserve ? "" : " outside its reserve");
}

/* A new block of this edit: from the hook, else from the arena §5.5
 * picks for base, the lowest free block when low. */
static int
newaddr(Gefs *fs, uint32_t base, bool low, uint64_t *addr)
{
	Edit *ed = fs->ed;
	int ai = 0;

	if (ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "allocating: %s is open read-only", devpath(fs->dev));
	if (ed->hook != NULL) {
		if (ed->hook(ed->hookarg, addr) < 0)
			return -1;
	} else if (pickarena(fs, base, &ai) < 0 || takeblk(fs, ai, low, addr) < 0)
		return -1;
	if (fsetins(ed->fresh, *addr, B) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "allocating 0x%llx: the block was already given out in this edit",
			(unsigned long long)*addr);
	return 0;
}

int
blknew(Gefs *fs, uint64_t *addr)
{
	return newaddr(fs, 0, false, addr);
}

int
blknewdat(Gefs *fs, uint64_t qid, bool full, uint64_t *addr)
{
	uint32_t n = fs->sb.narena, q = (uint32_t)qid;	/* §5.5: the low 32 bits */

	return newaddr(fs, n > 1 ? q % (n - 1) + 1 : 0, full, addr);
}

int
freefresh(Gefs *fs, uint64_t addr)
{
	if (fsetrm(fs->ed->fresh, addr, B) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "freeing 0x%llx: not a block of this edit", (unsigned long long)addr);
	cacheinval(fs->cache, addr);
	if (fs->ed->hook != NULL)
		return 0;	/* the hook's owner keeps its own map */
	return blkfree(fs, addr);
}

int
blkdefer(Gefs *fs, uint64_t addr)
{
	Edit *ed = fs->ed;
	uint64_t *p;
	size_t cap;

	if (ed->npend == ed->cappend) {
		cap = ed->cappend ? 2 * ed->cappend : 256;
		if ((p = realloc(ed->pend, cap * sizeof *p)) == NULL)
			return gefs_seterr(&fs->err, ENOMEM, "out of memory");
		ed->pend = p;
		ed->cappend = cap;
	}
	ed->pend[ed->npend++] = addr;
	return 0;
}

/* Release the blocks of the committed state dropped by the commit that
 * just became durable, and forget which blocks the edit allocated.  The
 * frees are logged after the commit's barrier: durable with the next. */
static int
addrcmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int
allocdone(Gefs *fs)
{
	Edit *ed = fs->ed;
	size_t i;
	int ai;

	/* in address order, each once: deadlists of a crashed merge may
	 * share a chain suffix (§14.4), and log appends stay sorted */
	qsort(ed->pend, ed->npend, sizeof *ed->pend, addrcmp);
	for (i = 0; i < ed->npend; i++) {
		if (i > 0 && ed->pend[i] == ed->pend[i - 1])
			continue;
		ai = arenaof(fs, ed->pend[i]);
		if (ai >= 0 && fsetisfree(fs->arena[ai].free, ed->pend[i])) {
			fswarn(fs, "block 0x%llx released twice; freed once", (unsigned long long)ed->pend[i]);
			continue;
		}
		if (blkfree(fs, ed->pend[i]) < 0)
			return -1;
	}
	ed->npend = 0;
	fsetfree(ed->fresh);
	if ((ed->fresh = fsetnew()) == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	return 0;
}
