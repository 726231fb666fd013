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
 * The chain walk is the only one in the library: replay, the checker and
 * gefs-dump consume its items.  It trusts nothing in a log block: the
 * chain is checked for cycles with a set of visited blocks of the data
 * area (which bounds it by the arena's block count), every
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

/* One walk: what to walk, the item being reported, where it ended, the
 * blocks seen (the cycle check; they all lie in the data area, which
 * bounds the walk by the arena's block count). */
typedef struct Walk {
	Gefs		*fs;
	int		ai;
	const LogWalk	*w;
	LogItem		li;
	LogEnd		*end;
	FreeSet		*seen;
	bool		broken;		/* damage ended the walk (LWGOON) */
} Walk;

/* What scanning one block found: where replay stops in it (-1: not in
 * it), the first entry that does not decode (rc < 0) and why, a tear. */
typedef struct Scanned {
	long		stop;
	int		rc;
	size_t		bad;
	bool		hashok, torn;
	GefsErr		e;
} Scanned;

/* Where an arena's data area lies: [H + 2B, H + 2B + S). */
static void
dataarea(const Arena *a, uint64_t *lo, uint64_t *hi)
{
	*lo = a->addr + 2 * B;
	*hi = *lo + a->size;
	if (*hi < *lo)
		*hi = GEFS_NONE;
}

/* Where the walked arena's data area lies: [H + 2B, H + 2B + S). */
static void
walkarea(const Walk *k, uint64_t *lo, uint64_t *hi)
{
	*lo = k->fs->arena[k->ai].addr + 2 * B;
	*hi = *lo + k->w->size;
	if (*hi < *lo)
		*hi = GEFS_NONE;
}

LogWalk
logwalkof(Gefs *fs, int ai, int mode, ItemFn fn, void *arg)
{
	LogWalk w = {fs->arena[ai].hdr.loghdaddr, fs->arena[ai].size, fs->sb.qgen, mode, fn, arg};

	return w;
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

/* Scan the body of a log block up to logsz for the stop and for entries
 * before it that do not decode.  A tail torn while a commit rewrote it
 * (§15.3 step 3) has a whole new first half and the barrier of the
 * commit in use overwritten by the entries after it: replay ends at the
 * tear, as at a barrier (what it replays of the interrupted commit can
 * only allocate more, never free a committed block). */
static void
scanblock(const Walk *k, const uint8_t *blk, const GefsLogHdr *h, Scanned *s)
{
	Scan sc = {k->w->mode & LWTHRU ? UINT64_MAX : k->w->qgen, -1};

	s->bad = 0;
	memset(&s->e, 0, sizeof s->e);
	s->rc = gefs_logbody(blk, h->logsz, 0, k->li.it.blk, stopat, &sc, &s->bad, &s->e) < 0 ? -1 : 0;
	s->stop = sc.stop;
	s->torn = s->rc < 0 && !s->hashok && h->chain.addr == GEFS_NONE && s->bad >= LOGTORNBODY;
	if (s->torn) {
		s->stop = (long)s->bad;
		s->rc = 0;
	}
}

/* Check a chain link before following it: aligned, in this arena's data
 * area (§5.5: log blocks come from their own arena), not seen before.
 * An item ending the walk with LWGOON, else the error. */
static int
checklink(Walk *k, uint64_t addr, uint64_t from)
{
	Gefs *fs = k->fs;
	uint64_t lo, hi;
	int kind;

	walkarea(k, &lo, &hi);
	if (addr % B != 0 || addr < lo || addr >= hi)
		kind = LOGDADDR;
	else if (fsetins(k->seen, addr, B) == 0)
		return 0;
	else if (errno == ENOMEM)
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", k->ai);
	else
		kind = LOGDCYCLE;
	if (k->w->mode & LWGOON) {
		k->broken = true;
		k->li = (LogItem){.it = {.kind = kind, .blk = addr, .seq = k->li.it.seq}, .from = from};
		return k->w->fn(fs, k->w->arg, &k->li);
	}
	if (kind == LOGDCYCLE)
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx: chain: cycle: block 0x%llx is reached twice",
			k->ai, (unsigned long long)from, (unsigned long long)addr);
	return gefs_seterr(&fs->err, EBADMSG,
		"arena %d: log block 0x%llx (%s 0x%llx): outside the arena's data area [0x%llx, 0x%llx)",
		k->ai, (unsigned long long)addr, from == GEFS_NONE ? "head, from the arena header at" : "chain of",
		(unsigned long long)(from == GEFS_NONE ? fs->arena[k->ai].addr : from),
		(unsigned long long)lo, (unsigned long long)hi);
}

/* Without LWGOON, damage in a block fails the walk before any of its
 * entries is reported.  A logh mismatch (§6.4) is tolerated, reported,
 * when the stop lies in the block; else it is corruption (a warning
 * with ignhash).  A bad logh explains a bad entry better than the entry
 * does, so it is judged first. */
static int
strictblock(Walk *k, const GefsLogHdr *h, const Scanned *s)
{
	Gefs *fs = k->fs;
	unsigned long long addr = k->li.it.blk;

	if (s->torn)
		fswarn(fs, "arena %d: log block 0x%llx: torn at body offset %zu (interrupted commit); replay ends there",
			k->ai, addr, s->bad);
	if (!s->hashok && s->stop >= 0)
		fswarn(fs, "arena %d: log block 0x%llx: logh mismatch, tolerated: replay stops at the barrier at offset %ld in this block",
			k->ai, addr, s->stop);
	else if (!s->hashok && fs->opts.ignhash)
		fswarn(fs, "arena %d: log block 0x%llx: logh mismatch (stored 0x%016llx), read on",
			k->ai, addr, (unsigned long long)h->logh);
	else if (!s->hashok)
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: log block 0x%llx (log): logh 0x%016llx does not match the body (logsz %u)",
			k->ai, addr, (unsigned long long)h->logh, h->logsz);
	if (s->rc < 0) {
		fs->err = s->e;
		return gefs_wraperr(&fs->err, "arena %d: allocation log", k->ai);
	}
	return 0;
}

/* Report one item of the current block: kind at off, why. */
static int
blkitem(Walk *k, int kind, size_t off, const char *why)
{
	LogItem *li = &k->li;

	li->it.kind = kind;
	li->it.off = off;
	li->w = 0;
	memset(&li->it.ent, 0, sizeof li->it.ent);
	li->why = why;
	return k->w->fn(k->fs, k->w->arg, li);
}

/* One emitblock walk: where replay stops, whether to go on past it. */
typedef struct Emit {
	Walk		*k;
	long		stop;
	bool		all;
	int		rc;		/* fn's non-zero return */
} Emit;

static int
emitent(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Emit *m = arg;
	LogItem *li = &m->k->li;

	if (m->stop >= 0 && (long)off > m->stop && !m->all)
		return 1;
	li->it.off = off;
	li->it.ent = *le;
	li->w = w;
	if (m->stop < 0 || (long)off < m->stop)
		li->it.kind = GEFS_LOGAPPLIED;
	else
		li->it.kind = (long)off == m->stop ? GEFS_LOGSTOP : GEFS_LOGIGNORED;
	m->rc = m->k->w->fn(m->k->fs, m->k->w->arg, li);
	return m->rc != 0;
}

/* Report the block and every entry of it to fn.  Entries after the stop
 * are reported only with LWALL, as ignored, up to the first that does
 * not decode (GEFS_LOGBAD; with LWGOON also an entry before the stop). */
static int
emitblock(Walk *k, const uint8_t *blk, long stop)
{
	Emit m = {k, stop, (k->w->mode & LWALL) != 0, 0};
	size_t bad;
	int rc;

	if ((rc = blkitem(k, GEFS_LOGBLOCK, 0, NULL)) != 0)
		return rc;
	if (gefs_logbody(blk, k->li.it.hdr.logsz, 0, k->li.it.blk, emitent, &m, &bad, NULL) >= 0)
		return m.rc;
	return m.rc != 0 ? m.rc : blkitem(k, GEFS_LOGBAD, bad, NULL);
}

/* With LWGOON, the block's damage after its entries: an entry that does
 * not decode (the walk ends) or the tear, a logh mismatch, the end. */
static int
damageitems(Walk *k, const Scanned *s)
{
	int rc = 0;

	if (s->torn)
		rc = blkitem(k, LOGDTORN, s->bad, s->e.msg);
	else if (s->rc < 0) {
		k->broken = true;
		rc = blkitem(k, LOGDENTRY, s->bad, s->e.msg);
	}
	if (rc == 0 && !s->hashok && !s->torn)
		rc = blkitem(k, s->stop >= 0 ? LOGDHASHSTOP : LOGDHASH, s->stop >= 0 ? (size_t)s->stop : 0, NULL);
	return rc != 0 ? rc : blkitem(k, LOGBLKEND, 0, NULL);
}

/* A block that cannot be read or is not a log block: an item ending the
 * walk with LWGOON (out of memory excepted), else the error. */
static int
unreadable(Walk *k)
{
	Gefs *fs = k->fs;
	int rc;

	if (!(k->w->mode & LWGOON) || fs->err.code == ENOMEM)
		return gefs_wraperr(&fs->err, "arena %d: allocation log", k->ai);
	k->broken = true;
	k->li.buf = NULL;
	rc = blkitem(k, LOGDREAD, 0, fs->err.msg);
	memset(&fs->err, 0, sizeof fs->err);
	return rc;
}

/* One block of the chain: read, scan, judge, emit.  *next gets the
 * chain pointer, NONE once replay stops here. */
static int
walkblock(Walk *k, uint64_t *next)
{
	LogEnd *end = k->end;
	LogItem *li = &k->li;
	GefsLogHdr h;
	Scanned s;
	Blk *b;
	int rc;

	*next = GEFS_NONE;
	b = readlogblk(k->fs, li->it.blk, GEFS_TLOG, &h, &s.hashok);
	if (b == NULL)
		return unreadable(k);
	scanblock(k, b->buf, &h, &s);
	if (!(k->w->mode & LWGOON) && strictblock(k, &h, &s) < 0) {
		putblk(k->fs, b);
		return -1;
	}
	li->it.hdr = h;
	li->it.hashok = s.hashok;
	li->buf = b->buf;
	rc = emitblock(k, b->buf, s.stop);
	if (rc == 0 && (k->w->mode & LWGOON))
		rc = damageitems(k, &s);
	li->buf = NULL;
	putblk(k->fs, b);
	if (k->broken)
		return rc;
	end->nlog++;
	end->tail = li->it.blk;
	end->tailsz = s.stop >= 0 ? (uint16_t)s.stop : h.logsz;
	end->stopoff = s.stop >= 0 ? (uint64_t)s.stop : GEFS_NONE;
	end->torn = s.torn;
	*next = s.stop >= 0 ? GEFS_NONE : h.chain.addr;
	return rc;
}

int
walklog(Gefs *fs, int ai, const LogWalk *w, LogEnd *end)
{
	Walk k = {.fs = fs, .ai = ai, .w = w, .end = end};
	uint64_t addr, prev, next;
	int rc = 0;

	*end = (LogEnd){.tail = GEFS_NONE, .stopoff = GEFS_NONE};
	if ((k.seen = fsetnew()) == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
	prev = next = GEFS_NONE;
	for (addr = w->head; addr != GEFS_NONE && !k.broken; addr = next) {
		if ((rc = checklink(&k, addr, prev)) != 0 || k.broken)
			break;
		k.li.it.blk = addr;
		if ((rc = walkblock(&k, &next)) != 0)
			break;
		prev = addr;
		k.li.it.seq++;
	}
	end->chainend = rc == 0 && !k.broken && addr == GEFS_NONE && end->stopoff == GEFS_NONE;
	fsetfree(k.seen);
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
applyent(Gefs *fs, void *arg, const LogItem *li)
{
	const GefsLogItem *it = &li->it;
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
	LogWalk w = logwalkof(fs, ai, 0, applyent, &ai);
	LogEnd end;

	a = &fs->arena[ai];
	fsetfree(a->free);
	a->free = fsetnew();
	if (a->free == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "arena %d: out of memory", ai);
	a->used = a->size;		/* nothing is free until the log says so */
	a->nent = 0;
	if (walklog(fs, ai, &w, &end) != 0)
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
useritem(Gefs *fs, void *arg, const LogItem *li)
{
	UserWalk *w;

	(void)fs;
	w = arg;
	return w->fn(w->arg, &li->it);
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
	UserWalk u;
	LogWalk w;
	LogEnd end;

	if (arenaarg(fs, ai) < 0)
		return -1;
	u.fn = fn;
	u.arg = arg;
	w = logwalkof(fs, ai, LWALL, useritem, &u);
	return walklog(fs, ai, &w, &end);
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
