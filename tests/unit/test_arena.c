/* SPDX-License-Identifier: MIT */
/* arena suite: free-range sets, and allocation-log replay (§6.4) on
 * builder images with hand-written logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"

enum { B = GEFS_BLKSZ };

/* ------------------------------------------------------------------ */
/* Free-range sets                                                    */
/* ------------------------------------------------------------------ */

typedef struct Rv {
	uint64_t	s[64], l[64];
	int		n;
} Rv;

static int
collect(void *arg, uint64_t start, uint64_t len)
{
	Rv *r = arg;

	if (r->n < 64) {
		r->s[r->n] = start;
		r->l[r->n] = len;
	}
	r->n++;
	return 0;
}

static void
ranges(FreeSet *s, Rv *r)
{
	memset(r, 0, sizeof *r);
	fsetwalk(s, collect, r);
}

static void
test_coalesce(void)
{
	FreeSet *s = fsetnew();
	Rv r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(fsetins(s, 100, 10), 0);
	CU_ASSERT_EQUAL(fsetins(s, 130, 10), 0);
	CU_ASSERT_EQUAL(fsetcount(s), 2);
	CU_ASSERT_EQUAL(fsetins(s, 110, 5), 0);		/* joins the left */
	CU_ASSERT_EQUAL(fsetins(s, 125, 5), 0);		/* joins the right */
	CU_ASSERT_EQUAL(fsetcount(s), 2);
	CU_ASSERT_EQUAL(fsetins(s, 115, 10), 0);	/* bridges */
	CU_ASSERT_EQUAL(fsetcount(s), 1);
	CU_ASSERT_EQUAL(fsetbytes(s), 40);
	ranges(s, &r);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.s[0], 100);
	CU_ASSERT_EQUAL(r.l[0], 40);
	/* overlaps of every kind are refused, set unchanged */
	errno = 0;
	CU_ASSERT_EQUAL(fsetins(s, 90, 11), -1);
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_EQUAL(fsetins(s, 139, 5), -1);
	CU_ASSERT_EQUAL(fsetins(s, 120, 1), -1);
	CU_ASSERT_EQUAL(fsetins(s, 50, 200), -1);
	CU_ASSERT_EQUAL(fsetins(s, 5, 0), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(fsetins(s, UINT64_MAX - 5, 10), -1);
	CU_ASSERT_EQUAL(fsetbytes(s), 40);
	CU_ASSERT_EQUAL(fsetcount(s), 1);
	/* touching on both sides from outside is fine */
	CU_ASSERT_EQUAL(fsetins(s, 90, 10), 0);
	CU_ASSERT_EQUAL(fsetins(s, 140, 10), 0);
	CU_ASSERT_EQUAL(fsetcount(s), 1);
	CU_ASSERT_EQUAL(fsetbytes(s), 60);
	fsetfree(s);
}

static void
test_remove(void)
{
	FreeSet *s = fsetnew();
	uint64_t st, ln;
	Rv r;

	CU_ASSERT_EQUAL(fsetins(s, 0, 100), 0);
	CU_ASSERT_EQUAL(fsetrm(s, 40, 10), 0);		/* split */
	CU_ASSERT_EQUAL(fsetcount(s), 2);
	CU_ASSERT_EQUAL(fsetrm(s, 0, 10), 0);		/* left end */
	CU_ASSERT_EQUAL(fsetrm(s, 90, 10), 0);		/* right end */
	ranges(s, &r);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT(r.s[0] == 10 && r.l[0] == 30 && r.s[1] == 50 && r.l[1] == 40);
	errno = 0;
	CU_ASSERT_EQUAL(fsetrm(s, 35, 20), -1);		/* straddles a hole */
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(fsetrm(s, 0, 5), -1);
	CU_ASSERT_EQUAL(fsetrm(s, 95, 1), -1);
	CU_ASSERT_EQUAL(fsetbytes(s), 70);
	CU_ASSERT(fsetisfree(s, 10));
	CU_ASSERT(fsetisfree(s, 39));
	CU_ASSERT(!fsetisfree(s, 40));
	CU_ASSERT(!fsetisfree(s, 49));
	CU_ASSERT(fsetisfree(s, 50));
	CU_ASSERT(!fsetisfree(s, 90));
	CU_ASSERT(!fsetisfree(s, 0));
	CU_ASSERT_EQUAL(fsetfind(s, 45, &st, &ln), 0);
	CU_ASSERT(st == 50 && ln == 40);
	CU_ASSERT_EQUAL(fsetfind(s, 20, &st, &ln), 0);
	CU_ASSERT(st == 10 && ln == 30);
	CU_ASSERT_EQUAL(fsetfind(s, 90, &st, &ln), -1);
	CU_ASSERT_EQUAL(fsetlast(s, &st, &ln), 0);
	CU_ASSERT(st == 50 && ln == 40);
	CU_ASSERT_EQUAL(fsetrm(s, 10, 30), 0);		/* whole range */
	CU_ASSERT_EQUAL(fsetrm(s, 50, 40), 0);
	CU_ASSERT_EQUAL(fsetcount(s), 0);
	CU_ASSERT_EQUAL(fsetbytes(s), 0);
	CU_ASSERT_EQUAL(fsetlast(s, &st, &ln), -1);
	fsetfree(s);
}

static int
stopat2(void *arg, uint64_t start, uint64_t len)
{
	int *n = arg;

	(void)start;
	(void)len;
	return ++*n == 2 ? 7 : 0;
}

/* Random operations against a bitmap model: the set always equals the
 * model, fully coalesced, in order. */
static void
test_model(void)
{
	enum { N = 2048 };
	static uint8_t map[N];
	uint64_t seed = 12345, a, l, i, total, prevend;
	FreeSet *s = fsetnew();
	int op, k, ok, bad, stop;
	Rv r;

	memset(map, 0, sizeof map);
	bad = 0;
	for (k = 0; k < 40000 && !bad; k++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (seed >> 20) % N;
		l = 1 + (seed >> 40) % 24;
		if (a + l > N)
			l = N - a;
		op = (int)((seed >> 60) & 1);
		ok = 1;
		for (i = a; i < a + l; i++)
			if (map[i] != (op == 0 ? 0 : 1))
				ok = 0;
		if ((op == 0 ? fsetins(s, a, l) : fsetrm(s, a, l)) == 0) {
			if (!ok)
				bad = 1;
			for (i = a; i < a + l; i++)
				map[i] = op == 0;
		} else if (ok)
			bad = 1;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* compare: ranges maximal, ordered, matching the bitmap */
	total = 0;
	for (i = 0; i < N; i++) {
		total += map[i];
		if (fsetisfree(s, i) != (map[i] != 0))
			bad = 1;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fsetbytes(s), total);
	ranges(s, &r);
	CU_ASSERT_EQUAL((uint64_t)r.n, fsetcount(s));
	prevend = 0;
	for (k = 0; k < r.n && k < 64; k++) {
		CU_ASSERT(k == 0 || r.s[k] > prevend);	/* not touching */
		prevend = r.s[k] + r.l[k];
	}
	stop = 0;
	if (fsetcount(s) >= 2)
		CU_ASSERT_EQUAL(fsetwalk(s, stopat2, &stop), 7);
	fsetfree(s);
}

/* Many ranges inserted in order (the worst case for an unbalanced tree),
 * then every other one removed: stays fast, counts right. */
static void
test_many(void)
{
	enum { N = 200000 };
	FreeSet *s = fsetnew();
	uint64_t i;
	int bad = 0;

	for (i = 0; i < N; i++)
		bad |= fsetins(s, i * 3 * B, B) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fsetcount(s), N);
	for (i = 0; i < N; i += 2)
		bad |= fsetrm(s, i * 3 * B, B) != 0;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fsetcount(s), N / 2);
	CU_ASSERT_EQUAL(fsetbytes(s), (uint64_t)N / 2 * B);
	CU_ASSERT(fsetisfree(s, 3 * B));
	CU_ASSERT(!fsetisfree(s, 6 * B));
	/* fill every gap: one range */
	for (i = 0; i + 1 < N; i++) {
		if (i % 2 == 0)
			bad |= fsetins(s, i * 3 * B, B) != 0;
		bad |= fsetins(s, i * 3 * B + B, 2 * B) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(fsetcount(s), 1);
	fsetfree(s);
}

/* ------------------------------------------------------------------ */
/* Replay                                                             */
/* ------------------------------------------------------------------ */

static GefsLogEnt
ent(int op, uint64_t addr, uint64_t len)
{
	GefsLogEnt e;

	memset(&e, 0, sizeof e);
	e.op = op;
	if (op == GEFS_LOGSYNC)
		e.qgen = addr;
	else {
		e.addr = addr;
		e.len = op == GEFS_LOGALLOC1 || op == GEFS_LOGFREE1 ? (uint64_t)B : len;
	}
	return e;
}

/* A 2-arena image of 32-block arenas whose arena-0 log is replaced by
 * the n entries (used set to match 'used', 0 = leave). */
static Bld *
logimage(uint64_t qgen, const GefsLogEnt *e, int n, uint64_t used)
{
	Bld *b = ltimage(2, 32, qgen);
	uint64_t h;

	if (b == NULL)
		return NULL;
	h = bldarenaaddr(b, 0);
	ltlog(bldblkp(b, h + 2 * B), GEFS_TLOG, e, n, GEFS_NONE);
	if (used != 0)
		ltsetused(b, 0, used);
	return b;
}

/* The standard start of arena 0's log: free the data area, allocate the
 * log block. */
#define H0	((uint64_t)B)
#define S	((uint64_t)32 * B)
#define LOGSTART	ent(GEFS_LOGFREE, H0 + 2 * B, S - 2 * B), ent(GEFS_LOGALLOC, H0 + 2 * B, B)

static void
test_plain(void)
{
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGALLOC1, H0 + 10 * B, 0), ent(GEFS_LOGALLOC1, H0 + 11 * B, 0),
		ent(GEFS_LOGFREE1, H0 + 10 * B, 0) };
	Bld *b = logimage(0, e, 5, 4 * B);
	GefsArenaInfo ai;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	Rv r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(bldarenaaddr(b, 0), H0);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		bldfree(b);
		return;
	}
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(gefs_arenainfo(fs, 0, &ai), 0);
	CU_ASSERT_EQUAL(ai.used, 4 * B);
	CU_ASSERT_EQUAL(ai.nfree, 2);
	CU_ASSERT_EQUAL(ai.freebytes, S - 4 * B);
	CU_ASSERT_EQUAL(ai.nent, 5);
	CU_ASSERT_EQUAL(ai.nlog, 1);
	CU_ASSERT_EQUAL(ai.stopoff, GEFS_NONE);
	CU_ASSERT_EQUAL(ai.logtail, H0 + 2 * B);
	CU_ASSERT_EQUAL(ai.tailsz, 56);
	memset(&r, 0, sizeof r);
	CU_ASSERT_EQUAL(gefs_walkfree(fs, 0, collect, &r), 0);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT(r.s[0] == H0 + 3 * B && r.l[0] == 8 * B);	/* [H+3B, H+11B) */
	CU_ASSERT(r.s[1] == H0 + 12 * B && r.l[1] == S - 12 * B);
	CU_ASSERT_EQUAL(gefs_walkfree(fs, 2, collect, &r), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	gefs_close(fs);
	bldfree(b);
}

/* Open b and expect failure whose message holds every string of want. */
static void
expectfail(Bld *b, const GefsOpts *o, const char *const *want)
{
	GefsErr err;
	Gefs *fs;
	int i;

	memset(&err, 0, sizeof err);
	fs = ltopen(b, o, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	gefs_close(fs);
	CU_ASSERT_EQUAL(err.code, EBADMSG);
	for (i = 0; want[i] != NULL; i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want[i]));
		if (strstr(err.msg, want[i]) == NULL)
			fprintf(stderr, "\nwanted \"%s\" in: %s\n", want[i], err.msg);
	}
}

static void
test_allocnotfree(void)
{
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGALLOC1, H0 + 10 * B, 0), ent(GEFS_LOGALLOC1, H0 + 10 * B, 0) };
	const char *want[] = { "log block 0xc000", "offset 40", "not entirely free", NULL };
	Bld *b = logimage(0, e, 4, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	expectfail(b, NULL, want);
	bldfree(b);
}

static void
test_freeoverlap(void)
{
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGFREE, H0 + 20 * B, 2 * B) };
	const char *want[] = { "log block 0xc000", "offset 32", "overlaps free space", NULL };
	Bld *b = logimage(0, e, 3, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	expectfail(b, NULL, want);
	bldfree(b);
}

static void
test_freeoutside(void)
{
	/* arena 1's header block is not in arena 0's data area */
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGFREE1, H0 + S + 2 * B, 0) };
	const char *want[] = { "log block 0xc000", "offset 32", "outside the data area", NULL };
	Bld *b = logimage(0, e, 3, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	expectfail(b, NULL, want);
	bldfree(b);
}

static void
test_badop(void)
{
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGALLOC1, H0 + 10 * B, 0) };
	const char *want[] = { "0xc000", "32", NULL };
	Bld *b = logimage(0, e, 3, 0);
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	p = bldblkp(b, H0 + 2 * B);
	p[GEFS_LOGHDSZ + 32 + 7] = 0;		/* LogNop */
	bldrehash(b, H0 + 2 * B);
	expectfail(b, NULL, want);
	bldfree(b);
}

typedef struct Items {
	int	n[5];
	size_t	stopoff;
	int	last;
} Items;

static int
countitem(void *arg, const GefsLogItem *it)
{
	Items *x = arg;

	x->n[it->kind]++;
	if (it->kind == GEFS_LOGSTOP)
		x->stopoff = it->off;
	x->last = it->kind;
	return 0;
}

/* Barriers: old ones skipped, replay stops at the first >= qgen, entries
 * after it (even invalid ones) are ignored. */
static void
test_barrier(void)
{
	GefsLogEnt e[] = { LOGSTART,
		ent(GEFS_LOGSYNC, 3, 0),			/* old: skipped */
		ent(GEFS_LOGALLOC1, H0 + 10 * B, 0),
		ent(GEFS_LOGSYNC, 5, 0),			/* stop (offset 48) */
		ent(GEFS_LOGALLOC1, H0 + 11 * B, 0),		/* ignored */
		ent(GEFS_LOGALLOC1, H0 + 10 * B, 0),		/* would be corrupt */
		ent(GEFS_LOGFREE1, H0 + 2 * B, 0) };
	Bld *b = logimage(5, e, 8, 4 * B);
	GefsArenaInfo ai;
	LtWarn w;
	GefsErr err;
	Items x;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(w.n, 0);
	gefs_arenainfo(fs, 0, &ai);
	CU_ASSERT_EQUAL(ai.used, 4 * B);
	CU_ASSERT_EQUAL(ai.stopoff, 48);
	CU_ASSERT_EQUAL(ai.tailsz, 48);
	CU_ASSERT_EQUAL(ai.logtail, H0 + 2 * B);
	CU_ASSERT_EQUAL(ai.nent, 3);
	memset(&x, 0, sizeof x);
	CU_ASSERT_EQUAL(gefs_walklog(fs, 0, countitem, &x), 0);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGBLOCK], 1);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGAPPLIED], 4);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGSTOP], 1);
	CU_ASSERT_EQUAL(x.stopoff, 48);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGIGNORED], 3);
	gefs_close(fs);
	bldfree(b);
}

/* A torn tail: logh wrong, tolerated only when the stopping barrier is in
 * that block. */
static void
test_logh(void)
{
	GefsLogEnt e[] = { LOGSTART, ent(GEFS_LOGSYNC, 5, 0), ent(GEFS_LOGALLOC1, H0 + 11 * B, 0) };
	const char *want[] = { "0xc000", "logh", NULL };
	Bld *b = logimage(5, e, 4, 3 * B);
	GefsOpts o;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	p = bldblkp(b, H0 + 2 * B);
	p[GEFS_LOGHDSZ + 45] ^= 0x40;		/* torn after the barrier */
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.buf, "logh mismatch, tolerated"));
	gefs_close(fs);
	bldfree(b);

	/* no barrier in the block: corruption, or a warning with ignhash */
	b = logimage(0, e, 2, 3 * B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	p = bldblkp(b, H0 + 2 * B);
	p[4] ^= 1;
	expectfail(b, NULL, want);
	gefs_defopts(&o);
	o.ignhash = true;
	fs = ltopen(b, &o, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT_EQUAL(w.n, 1);
	gefs_close(fs);
	bldfree(b);
}

/* Two-block chains: a wrong block type, a cycle, a self-loop, a link out
 * of the arena. */
static void
test_chain(void)
{
	GefsLogEnt e1[] = { LOGSTART, ent(GEFS_LOGALLOC1, H0 + 20 * B, 0) };
	GefsLogEnt e2[] = { ent(GEFS_LOGALLOC1, H0 + 21 * B, 0) };
	const char *wtype[] = { "0x54000", NULL };
	const char *wcycle[] = { "cycle", "0xc000", NULL };
	const char *wself[] = { "cycle", NULL };
	const char *wout[] = { "outside the arena", NULL };
	GefsArenaInfo ai;
	GefsErr err;
	Items x;
	Gefs *fs;
	Bld *b;

	/* a good chain first */
	b = logimage(0, e1, 3, 5 * B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	ltlog(bldblkp(b, H0 + 2 * B), GEFS_TLOG, e1, 3, H0 + 20 * B);
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, e2, 1, GEFS_NONE);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_arenainfo(fs, 0, &ai);
	CU_ASSERT_EQUAL(ai.nlog, 2);
	CU_ASSERT_EQUAL(ai.logtail, H0 + 20 * B);
	CU_ASSERT_EQUAL(ai.used, 5 * B);
	memset(&x, 0, sizeof x);
	CU_ASSERT_EQUAL(gefs_walklog(fs, 0, countitem, &x), 0);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGBLOCK], 2);
	CU_ASSERT_EQUAL(x.n[GEFS_LOGAPPLIED], 4);
	gefs_close(fs);

	/* the second block is a deadlist */
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TDLIST, NULL, 0, GEFS_NONE);
	expectfail(b, NULL, wtype);
	/* cycle back to the head */
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, NULL, 0, H0 + 2 * B);
	expectfail(b, NULL, wcycle);
	/* self-loop on an empty block */
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, NULL, 0, H0 + 20 * B);
	expectfail(b, NULL, wself);
	/* into arena 1 */
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, NULL, 0, bldarenaaddr(b, 1) + 5 * B);
	expectfail(b, NULL, wout);
	bldfree(b);
}

/* The items of a going-on walk (LWGOON) other than entries, in order. */
typedef struct Goon {
	int		kind[32];
	int		n;
	uint64_t	blk, from;	/* of the last damage item */
} Goon;

static int
goonitem(Gefs *fs, void *arg, const LogItem *li)
{
	Goon *g = arg;

	(void)fs;
	if (li->it.kind == GEFS_LOGAPPLIED || li->it.kind == GEFS_LOGSTOP || li->it.kind == GEFS_LOGIGNORED)
		return 0;
	if (g->n < 32)
		g->kind[g->n++] = li->it.kind;
	if (li->it.kind >= LOGDADDR && li->it.kind < LOGBLKEND) {
		g->blk = li->it.blk;
		g->from = li->from;
	}
	return 0;
}

/* Walk arena 0 of b (opened tolerant: the loader may refuse the log)
 * going on; the items in g, the walk's end in end. */
static int
goonwalk(Bld *b, Goon *g, LogEnd *end, int *strict)
{
	GefsOpts o;
	GefsErr err;
	LogWalk w;
	LogEnd e2;
	Goon g2;
	Gefs *fs;
	int rc;

	gefs_defopts(&o);
	o.tolerant = true;
	memset(g, 0, sizeof *g);
	fs = ltopen(b, &o, NULL, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	w = logwalkof(fs, 0, LWGOON, goonitem, g);
	rc = walklog(fs, 0, &w, end);
	/* the same chain without LWGOON: fails exactly when damage is met */
	w.mode = 0;
	w.arg = &g2;
	memset(&g2, 0, sizeof g2);
	*strict = walklog(fs, 0, &w, &e2);
	gefs_close(fs);
	return rc;
}

/* The chain walk reports damage as items and goes on where the format
 * allows (the checker's view), where the loader's walk fails. */
static void
test_goon(void)
{
	GefsLogEnt e1[] = { LOGSTART, ent(GEFS_LOGALLOC1, H0 + 20 * B, 0) };
	GefsLogEnt e2[] = { ent(GEFS_LOGALLOC1, H0 + 21 * B, 0) };
	GefsLogEnt e3[] = { ent(GEFS_LOGALLOC1, H0 + 22 * B, 0) };
	const int bk = GEFS_LOGBLOCK, be = LOGBLKEND;
	const int whash[] = { bk, be, bk, LOGDHASH, be, bk, be };
	const int wentry[] = { bk, be, bk, GEFS_LOGBAD, LOGDENTRY, LOGDHASH, be };
	LogEnd end;
	Goon g;
	int strict;
	uint8_t *p;
	Bld *b;

	b = logimage(0, e1, 3, 6 * B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	ltlog(bldblkp(b, H0 + 2 * B), GEFS_TLOG, e1, 3, H0 + 20 * B);
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, e2, 1, H0 + 21 * B);
	ltlog(bldblkp(b, H0 + 21 * B), GEFS_TLOG, e3, 1, GEFS_NONE);
	/* the middle block fails its logh: reported, the walk goes on */
	bldblkp(b, H0 + 20 * B)[4] ^= 1;
	CU_ASSERT_EQUAL(goonwalk(b, &g, &end, &strict), 0);
	CU_ASSERT_EQUAL(strict, -1);
	CU_ASSERT_EQUAL(g.n, 7);
	CU_ASSERT_EQUAL(memcmp(g.kind, whash, sizeof whash), 0);
	CU_ASSERT_EQUAL(g.blk, H0 + 20 * B);
	CU_ASSERT(end.chainend);
	CU_ASSERT_EQUAL(end.nlog, 3);
	CU_ASSERT_EQUAL(end.tail, H0 + 21 * B);
	/* its first entry does not decode either: the walk ends with it */
	p = bldblkp(b, H0 + 20 * B);
	p[GEFS_LOGHDSZ + 7] = 0;		/* LogNop */
	CU_ASSERT_EQUAL(goonwalk(b, &g, &end, &strict), 0);
	CU_ASSERT_EQUAL(g.n, 7);
	CU_ASSERT_EQUAL(memcmp(g.kind, wentry, sizeof wentry), 0);
	CU_ASSERT(!end.chainend);
	CU_ASSERT_EQUAL(end.nlog, 1);
	/* a cycle back to the head, then a link out of the arena: one item
	 * naming the block and who links to it, and the walk ends */
	ltlog(bldblkp(b, H0 + 20 * B), GEFS_TLOG, e2, 1, H0 + 21 * B);
	ltlog(bldblkp(b, H0 + 21 * B), GEFS_TLOG, e3, 1, H0 + 2 * B);
	CU_ASSERT_EQUAL(goonwalk(b, &g, &end, &strict), 0);
	CU_ASSERT_EQUAL(strict, -1);
	CU_ASSERT_EQUAL(g.kind[g.n - 1], LOGDCYCLE);
	CU_ASSERT_EQUAL(g.blk, H0 + 2 * B);
	CU_ASSERT_EQUAL(g.from, H0 + 21 * B);
	CU_ASSERT(!end.chainend);
	ltlog(bldblkp(b, H0 + 21 * B), GEFS_TLOG, e3, 1, bldarenaaddr(b, 1) + 5 * B);
	CU_ASSERT_EQUAL(goonwalk(b, &g, &end, &strict), 0);
	CU_ASSERT_EQUAL(g.kind[g.n - 1], LOGDADDR);
	CU_ASSERT_EQUAL(g.blk, bldarenaaddr(b, 1) + 5 * B);
	CU_ASSERT_EQUAL(g.from, H0 + 21 * B);
	CU_ASSERT_EQUAL(end.nlog, 3);
	bldfree(b);
}

/* The header's used disagreeing with replay is reported, not fatal. */
static void
test_usedwarn(void)
{
	GefsLogEnt e[] = { LOGSTART };
	Bld *b = logimage(0, e, 2, 7 * B);
	LtWarn w;
	GefsErr err;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.buf, "used"));
	gefs_close(fs);
	bldfree(b);
}

int
suite_arena(void)
{
	CU_pSuite s = CU_add_suite("arena", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "fset coalesce", test_coalesce)
	|| !CU_add_test(s, "fset remove", test_remove)
	|| !CU_add_test(s, "fset model", test_model)
	|| !CU_add_test(s, "fset many", test_many)
	|| !CU_add_test(s, "replay plain", test_plain)
	|| !CU_add_test(s, "replay alloc not free", test_allocnotfree)
	|| !CU_add_test(s, "replay free overlap", test_freeoverlap)
	|| !CU_add_test(s, "replay free outside", test_freeoutside)
	|| !CU_add_test(s, "replay bad op", test_badop)
	|| !CU_add_test(s, "replay barrier", test_barrier)
	|| !CU_add_test(s, "replay logh", test_logh)
	|| !CU_add_test(s, "replay chain", test_chain)
	|| !CU_add_test(s, "replay used warning", test_usedwarn)
	|| !CU_add_test(s, "chain walk goes on past damage (LWGOON)", test_goon))
		return -1;
	return 0;
}
