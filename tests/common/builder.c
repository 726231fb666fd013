/* SPDX-License-Identifier: MIT */
/*
 * builder.c — the test image builder (see builder.h).  Core: geometry,
 * allocation, block map, references, logs, superblocks, rehash.  Trees,
 * file systems, snapshots and ready-made images are in bldtree.c and
 * bldstd.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bldint.h"

void
bldinitopts(BldOpts *o)
{
	memset(o, 0, sizeof *o);
	o->narena = 2;
	o->arenablks = 64;
	o->alloc = BLD_ALLOCLOW;
	o->logstyle = BLD_LOGNORMAL;
	o->logbudget = GEFS_LOGSPC;
	o->userarena = -1;
}

/* Record the first error; always returns -1. */
int
bldfail(Bld *b, int code, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return -1;
	b->failed = true;
	b->err.code = code;
	va_start(ap, fmt);
	vsnprintf(b->err.msg, sizeof b->err.msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
blderr(Bld *b)
{
	return b->failed ? b->err.msg : "";
}

/* Set the map entry of block addr. */
void
bldsetmap(Bld *b, uint64_t addr, int kind, uint64_t gen)
{
	BldInfo *m = &b->map[addr / BLD_B];

	m->kind = kind;
	m->gen = gen;
	m->depth = -1;
	m->tree = -1;
}

/* Check the options; 0 if usable. */
static int
checkopts(const BldOpts *o)
{
	if (o->narena < 1 || o->narena > GEFS_MAXARENA)
		return -1;
	if (o->arenablks < 8 || o->arenablks > (1u << 20))
		return -1;
	if (o->logbudget < 40 || o->logbudget > GEFS_LOGSPC)
		return -1;
	if (o->userarena >= o->narena || o->alloc < 0 || o->alloc > BLD_ALLOCSCATTER)
		return -1;
	if (o->logstyle < 0 || o->logstyle > BLD_LOGCOMPRESS || o->oldsync < 0 || o->garbage < 0)
		return -1;
	return 0;
}

/* Mark the fixed blocks: superblocks, headers, footers, the trailing pair
 * and the first log block of every arena. */
static void
layout(Bld *b)
{
	uint64_t h;
	int i;

	bldsetmap(b, 0, BLD_BSUPER, 0);
	bldsetmap(b, (b->nblk - 1) * BLD_B, BLD_BSUPER, 0);
	for (i = 0; i < b->o.narena; i++) {
		h = BLD_B + (uint64_t)i * (b->asz + 2 * BLD_B);
		b->arena[i].h = h;
		bldsetmap(b, h, BLD_BARENA, 0);
		bldsetmap(b, h + BLD_B, BLD_BFOOTER, 0);
		bldsetmap(b, h + 2 * BLD_B, BLD_BLOG, 0);
		b->touched[(h + 2 * BLD_B) / BLD_B] = 1;
		bldsetmap(b, h + b->asz, BLD_BRESV, 0);
		bldsetmap(b, h + b->asz + BLD_B, BLD_BRESV, 0);
	}
}

/* Superblock fields before bldfinish: the formatter's counters. */
static void
sbdefaults(Bld *b)
{
	GefsSb *sb = &b->sb;
	int i;

	sb->blksz = GEFS_BLKSZ;
	sb->bufspc = GEFS_BUFSPC;
	sb->narena = (uint32_t)b->o.narena;
	sb->snapht = 1;
	sb->snapaddr = GEFS_NONE;
	sb->snaphash = GEFS_NONE;
	sb->dlhdaddr = sb->dlhdhash = sb->dltladdr = sb->dltlhash = GEFS_NONE;
	sb->nextqid = 3;
	sb->nextgen = 3;
	sb->qgen = b->o.qgen;
	for (i = 0; i < b->o.narena; i++) {
		sb->arenaaddr[i] = b->arena[i].h;
		sb->arenahash[i] = GEFS_NONE;
	}
}

Bld *
bldnew(const BldOpts *o)
{
	BldOpts d;
	Bld *b;
	uint64_t i;

	if (o == NULL) {
		bldinitopts(&d);
		o = &d;
	}
	d = *o;
	if (d.narena == 0)
		d.narena = 2;
	if (d.arenablks == 0)
		d.arenablks = 64;
	if (d.logbudget == 0)
		d.logbudget = GEFS_LOGSPC;
	if (checkopts(&d) != 0)
		return NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	b->o = d;
	b->asz = d.arenablks * BLD_B;
	b->nblk = 2 + (uint64_t)d.narena * (d.arenablks + 2);
	b->img = calloc(b->nblk, BLD_B);
	b->map = calloc(b->nblk, sizeof *b->map);
	b->touched = calloc(b->nblk, 1);
	b->arena = calloc((size_t)d.narena, sizeof *b->arena);
	if (!b->img || !b->map || !b->touched || !b->arena) {
		bldfree(b);
		return NULL;
	}
	for (i = 0; i < b->nblk; i++)
		bldsetmap(b, i * BLD_B, BLD_BFREE, 0);
	b->rng = d.seed ^ 0x9e3779b97f4a7c15ULL;
	layout(b);
	sbdefaults(b);
	return b;
}

void
bldfree(Bld *b)
{
	int i;

	if (b == NULL)
		return;
	if (b->arena)
		for (i = 0; i < b->o.narena; i++)
			free(b->arena[i].ev);
	free(b->arena);
	free(b->img);
	free(b->map);
	free(b->touched);
	free(b->ref);
	free(b);
}

uint64_t bldsize(Bld *b) { return b->nblk * BLD_B; }
int bldnarena(Bld *b) { return b->o.narena; }
uint64_t bldarenasz(Bld *b) { return b->asz; }
GefsSb *bldsb(Bld *b) { return &b->sb; }
uint8_t *bldimg(Bld *b) { return b->img; }
void bldhashmode(Bld *b, int mode) { b->hashmode = mode; }

uint64_t
bldarenaaddr(Bld *b, int i)
{
	if (i < 0 || i >= b->o.narena)
		return GEFS_NONE;
	return b->arena[i].h;
}

uint8_t *
bldblkp(Bld *b, uint64_t addr)
{
	if (addr % BLD_B != 0 || addr / BLD_B >= b->nblk)
		return NULL;
	return b->img + addr;
}

BldInfo
bldinfo(Bld *b, uint64_t addr)
{
	BldInfo none = { BLD_BFREE, -1, -1, 0 };

	if (addr % BLD_B != 0 || addr / BLD_B >= b->nblk)
		return none;
	return b->map[addr / BLD_B];
}

const char *
bldkindname(int kind)
{
	static const char *names[BLD_NKIND] = {
		"free", "super", "arena", "footer", "log", "dlist",
		"pivot", "leaf", "data", "reserved", "user",
	};

	if (kind < 0 || kind >= BLD_NKIND)
		return "?";
	return names[kind];
}

/* splitmix64: the builder's only randomness, seeded by the options. */
uint64_t
bldrand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------------ */
/* Allocation                                                         */
/* ------------------------------------------------------------------ */

/* A free block of arena ai by policy (untouched: never allocated by an
 * event, so a log may claim it anywhere in its history); NONE if none. */
uint64_t
bldpick(Bld *b, int ai, int policy, bool untouched)
{
	uint64_t lo, hi, n, k, i;

	lo = (b->arena[ai].h + 2 * BLD_B) / BLD_B;
	hi = (b->arena[ai].h + b->asz) / BLD_B;
#define OK(i)	(b->map[i].kind == BLD_BFREE && (!untouched || !b->touched[i]))
	if (policy == BLD_ALLOCHIGH) {
		for (i = hi; i-- > lo;)
			if (OK(i))
				return i * BLD_B;
		return GEFS_NONE;
	}
	if (policy == BLD_ALLOCLOW) {
		for (i = lo; i < hi; i++)
			if (OK(i))
				return i * BLD_B;
		return GEFS_NONE;
	}
	for (n = 0, i = lo; i < hi; i++)
		n += OK(i);
	if (n == 0)
		return GEFS_NONE;
	k = bldrand(&b->rng) % n;
	for (i = lo; i < hi; i++)
		if (OK(i) && k-- == 0)
			return i * BLD_B;
#undef OK
	return GEFS_NONE;
}

/* Append an allocation event to arena ai (normal logs replay them). */
static int
addev(Bld *b, int ai, uint64_t addr, int op)
{
	Arena *a = &b->arena[ai];
	Ev *n;

	if (a->nev == a->evcap) {
		a->evcap = a->evcap ? 2 * a->evcap : 64;
		if ((n = realloc(a->ev, a->evcap * sizeof *n)) == NULL)
			return bldfail(b, ENOMEM, "builder: out of memory");
		a->ev = n;
	}
	a->ev[a->nev].addr = addr;
	a->ev[a->nev].op = (uint8_t)op;
	a->nev++;
	return 0;
}

/* Arena index of addr, -1 outside every arena. */
int
bldarenaof(Bld *b, uint64_t addr)
{
	uint64_t span = b->asz + 2 * BLD_B;

	if (addr < BLD_B)
		return -1;
	if ((addr - BLD_B) / span >= (uint64_t)b->o.narena)
		return -1;
	return (int)((addr - BLD_B) / span);
}

uint64_t
bldalloc(Bld *b, int kind, int arena, uint64_t gen)
{
	uint64_t a;
	int i, first, tries;

	if (b->failed)
		return GEFS_NONE;
	if (b->finished) {
		bldfail(b, EINVAL, "builder: bldalloc after bldfinish");
		return GEFS_NONE;
	}
	if (arena >= b->o.narena || kind <= BLD_BFREE || kind >= BLD_NKIND) {
		bldfail(b, EINVAL, "builder: bldalloc: bad arena %d or kind %d", arena, kind);
		return GEFS_NONE;
	}
	tries = 1;
	if (arena >= 0)
		first = arena;
	else if (b->o.userarena >= 0)
		first = b->o.userarena;
	else {
		first = (int)(b->rr++ % (unsigned)b->o.narena);
		tries = b->o.narena;
	}
	for (i = 0; i < tries; i++) {
		int ai = (first + i) % b->o.narena;

		if ((a = bldpick(b, ai, b->o.alloc, false)) == GEFS_NONE)
			continue;
		bldsetmap(b, a, kind, gen);
		b->touched[a / BLD_B] = 1;
		memset(b->img + a, 0, BLD_B);
		if (addev(b, ai, a, GEFS_LOGALLOC1) != 0)
			return GEFS_NONE;
		return a;
	}
	bldfail(b, ENOSPC, "builder: out of space (%d arenas of %llu blocks)",
		b->o.narena, (unsigned long long)b->o.arenablks);
	return GEFS_NONE;
}

int
bldrelease(Bld *b, uint64_t addr)
{
	int ai;
	size_t i, j;

	if (b->failed)
		return -1;
	ai = bldarenaof(b, addr);
	if (b->finished || ai < 0 || addr % BLD_B != 0 || addr < b->arena[ai].h + 3 * BLD_B ||
	    addr >= b->arena[ai].h + b->asz || b->map[addr / BLD_B].kind == BLD_BFREE)
		return bldfail(b, EINVAL, "builder: cannot release 0x%llx", (unsigned long long)addr);
	bldsetmap(b, addr, BLD_BFREE, 0);
	for (i = j = 0; i < b->nref; i++)
		if (b->ref[i].parent != addr || b->ref[i].kind == BLD_RSBSNAP || b->ref[i].kind == BLD_RSBARENA)
			b->ref[j++] = b->ref[i];
	b->nref = j;
	return addev(b, ai, addr, GEFS_LOGFREE1);
}

int
blddata(Bld *b, const void *p, size_t n, uint64_t gen, GefsBptr *bp)
{
	uint64_t a;

	if (n > BLD_B)
		return bldfail(b, EINVAL, "builder: data block of %zu bytes", n);
	if ((a = bldalloc(b, BLD_BDATA, -1, gen)) == GEFS_NONE)
		return -1;
	if (n > 0)
		memcpy(b->img + a, p, n);
	bp->addr = a;
	bp->hash = gefs_blkhash(b->img + a);
	bp->gen = gen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* References                                                         */
/* ------------------------------------------------------------------ */

int
bldaddref(Bld *b, uint64_t child, uint64_t parent, int kind, int slot, uint32_t off)
{
	BldRef *n;

	if (child == GEFS_NONE || child % BLD_B != 0 || child / BLD_B >= b->nblk)
		return 0;
	if (b->nref == b->refcap) {
		b->refcap = b->refcap ? 2 * b->refcap : 256;
		if ((n = realloc(b->ref, b->refcap * sizeof *n)) == NULL)
			return bldfail(b, ENOMEM, "builder: out of memory");
		b->ref = n;
	}
	b->ref[b->nref].child = child;
	b->ref[b->nref].parent = parent;
	b->ref[b->nref].kind = kind;
	b->ref[b->nref].slot = slot;
	b->ref[b->nref].off = off;
	b->nref++;
	return 0;
}

/* Drop every reference of one kind (the superblock's snapshot root). */
void
bldunref(Bld *b, int kind)
{
	size_t i, j;

	for (i = j = 0; i < b->nref; i++)
		if (b->ref[i].kind != kind)
			b->ref[j++] = b->ref[i];
	b->nref = j;
}

size_t
bldrefs(Bld *b, uint64_t child, BldRef *out, size_t max)
{
	size_t i, n;

	for (i = n = 0; i < b->nref; i++)
		if (b->ref[i].child == child) {
			if (n < max)
				out[n] = b->ref[i];
			n++;
		}
	return n;
}

/* ------------------------------------------------------------------ */
/* Logs                                                               */
/* ------------------------------------------------------------------ */

/* A log being written: current block and its used body bytes. */
typedef struct Logw {
	Bld		*b;
	int		ai;
	uint64_t	cur;
	size_t		sz;
	uint64_t	*blks;		/* compressed logs: preallocated chain */
	size_t		nblks, iblk;
} Logw;

/* Close the current block: header with chain next and logh. */
static void
logclose(Logw *w, uint64_t next)
{
	GefsLogHdr h;

	memset(&h, 0, sizeof h);
	h.type = GEFS_TLOG;
	h.logsz = (uint16_t)w->sz;
	h.chain.addr = next;
	h.chain.hash = GEFS_NONE;
	h.chain.gen = GEFS_NONE;
	gefs_packloghdr(w->b->img + w->cur, &h);
	if (next != GEFS_NONE)
		bldaddref(w->b, next, w->cur, BLD_RCHAIN, 0, 12);
}

/* Move to a new block: normal logs allocate an untouched block (highest,
 * as the reference does) and log it in the old tail; compressed logs take
 * the next preallocated one. */
static int
lognext(Logw *w)
{
	Bld *b = w->b;
	GefsLogEnt le;
	uint64_t nb;

	if (w->blks != NULL) {
		if (w->iblk + 1 >= w->nblks)
			return bldfail(b, ENOSPC, "builder: compressed log of arena %d overflows", w->ai);
		nb = w->blks[++w->iblk];
	} else {
		if ((nb = bldpick(b, w->ai, BLD_ALLOCHIGH, true)) == GEFS_NONE)
			return bldfail(b, ENOSPC, "builder: no block for the log of arena %d", w->ai);
		bldsetmap(b, nb, BLD_BLOG, 0);
		b->touched[nb / BLD_B] = 1;
		memset(&le, 0, sizeof le);
		le.op = GEFS_LOGALLOC1;
		le.addr = nb;
		le.len = BLD_B;
		w->sz += gefs_packlogent(b->img + w->cur + GEFS_LOGHDSZ + w->sz, &le);
	}
	logclose(w, nb);
	w->cur = nb;
	w->sz = 0;
	memset(b->img + nb, 0, BLD_B);
	return 0;
}

/* Append one entry, rolling over when the budget would be exceeded (a
 * normal log keeps 8 bytes for the LogAlloc1 of the next block). */
static int
logput(Logw *w, int op, uint64_t addr, uint64_t len)
{
	GefsLogEnt le;
	size_t n = op >= GEFS_LOGALLOC ? 16 : 8;
	size_t keep = w->blks != NULL ? 0 : 8;

	if (w->sz + n + keep > (size_t)w->b->o.logbudget && lognext(w) != 0)
		return -1;
	memset(&le, 0, sizeof le);
	le.op = op;
	le.addr = addr;
	le.len = len;
	le.qgen = addr;		/* LogSync: the generation travels in addr */
	if (op == GEFS_LOGSYNC)
		le.addr = 0;
	w->sz += gefs_packlogent(w->b->img + w->cur + GEFS_LOGHDSZ + w->sz, &le);
	return 0;
}

/* Entries after the final barrier: each would break replay (double
 * allocation, opcode 0, a free of the arena header), and must be ignored.
 * Only what fits in the tail block is written. */
static void
loggarbage(Logw *w)
{
	Bld *b = w->b;
	uint64_t h = b->arena[w->ai].h;
	uint8_t *p;
	int i;

	for (i = 0; i < b->o.garbage; i++) {
		size_t n = i % 3 == 2 ? 16 : 8;

		if (w->sz + n > (size_t)b->o.logbudget)
			break;
		p = b->img + w->cur + GEFS_LOGHDSZ + w->sz;
		switch (i % 3) {
		case 0:
			gefs_put64(p, (h + 2 * BLD_B) | GEFS_LOGALLOC1);
			break;
		case 1:
			gefs_put64(p, 0);
			break;
		default:
			gefs_put64(p, h | GEFS_LOGFREE);
			gefs_put64(p + 8, 2 * BLD_B);
		}
		w->sz += n;
	}
}

/* Barriers: old ones (qgen - 1) every oldsync entries; the final one. */
static int
logsyncmaybe(Logw *w, size_t k)
{
	Bld *b = w->b;

	if (b->o.oldsync > 0 && b->o.qgen > 0 && k % (size_t)b->o.oldsync == 0)
		return logput(w, GEFS_LOGSYNC, b->o.qgen - 1, 0);
	return 0;
}

/* Normal log: free the data area, allocate the first log block, replay
 * every event in order. */
static int
lognormal(Bld *b, int ai)
{
	Arena *a = &b->arena[ai];
	Logw w = { b, ai, a->h + 2 * BLD_B, 0, NULL, 0, 0 };
	size_t i;
	int rc = 0;

	memset(b->img + w.cur, 0, BLD_B);
	rc |= logput(&w, GEFS_LOGFREE, a->h + 2 * BLD_B, b->asz - 2 * BLD_B);
	rc |= logput(&w, GEFS_LOGALLOC, a->h + 2 * BLD_B, BLD_B);
	for (i = 0; i < a->nev && rc == 0; i++) {
		rc |= logput(&w, a->ev[i].op, a->ev[i].addr, BLD_B);
		rc |= logsyncmaybe(&w, i + 1);
	}
	if (b->o.sync && rc == 0)
		rc |= logput(&w, GEFS_LOGSYNC, b->o.qgen, 0);
	if (b->o.sync)
		loggarbage(&w);
	if (rc != 0)
		return -1;
	logclose(&w, GEFS_NONE);
	return 0;
}

/* Free ranges of arena ai's data area into r (2 words each); count. */
static size_t
freeranges(Bld *b, int ai, uint64_t *r, size_t max)
{
	uint64_t lo = (b->arena[ai].h + 2 * BLD_B) / BLD_B;
	uint64_t hi = (b->arena[ai].h + b->asz) / BLD_B;
	uint64_t i, start = GEFS_NONE;
	size_t n = 0;

	for (i = lo; i <= hi; i++) {
		bool fr = i < hi && b->map[i].kind == BLD_BFREE;

		if (fr && start == GEFS_NONE)
			start = i;
		if (!fr && start != GEFS_NONE) {
			if (r != NULL && n < max) {
				r[2 * n] = start * BLD_B;
				r[2 * n + 1] = (i - start) * BLD_B;
			}
			n++;
			start = GEFS_NONE;
		}
	}
	return n;
}

/* Blocks a compressed log of nr ranges needs under the budget: the
 * packing logput will do, simulated. */
static size_t
compblocks(Bld *b, size_t nr)
{
	size_t cap = (size_t)b->o.logbudget, sz = 0, n = 1, i;
	bool old = b->o.oldsync > 0 && b->o.qgen > 0;

#define PUT(w)	do { if (sz + (w) > cap) { n++; sz = 0; } sz += (w); } while (0)
	for (i = 1; i <= nr; i++) {
		PUT(16);
		if (old && i % (size_t)b->o.oldsync == 0)
			PUT(8);
	}
	if (b->o.sync)
		PUT(8);
#undef PUT
	return n;
}

/* Compressed log (§6.5): the free ranges as LogFree entries, in blocks
 * taken (unlogged) from the lowest free addresses. */
static int
logcompress(Bld *b, int ai)
{
	Arena *a = &b->arena[ai];
	uint64_t *blks = NULL, *r = NULL, nb;
	size_t nblks = 1, nr, i;
	Logw w;
	int rc = -1;

	if ((blks = malloc(sizeof *blks * (b->nblk + 1))) == NULL)
		return bldfail(b, ENOMEM, "builder: out of memory");
	blks[0] = a->h + 2 * BLD_B;
	while (compblocks(b, freeranges(b, ai, NULL, 0)) > nblks) {
		if ((nb = bldpick(b, ai, BLD_ALLOCLOW, false)) == GEFS_NONE) {
			bldfail(b, ENOSPC, "builder: no block for the log of arena %d", ai);
			goto out;
		}
		bldsetmap(b, nb, BLD_BLOG, 0);
		blks[nblks++] = nb;
	}
	nr = freeranges(b, ai, NULL, 0);
	if ((r = malloc(sizeof *r * (2 * nr + 2))) == NULL) {
		bldfail(b, ENOMEM, "builder: out of memory");
		goto out;
	}
	freeranges(b, ai, r, nr);
	w = (Logw){ b, ai, blks[0], 0, blks, nblks, 0 };
	memset(b->img + w.cur, 0, BLD_B);
	for (i = 0; i < nr; i++)
		if (logput(&w, GEFS_LOGFREE, r[2 * i], r[2 * i + 1]) != 0 || logsyncmaybe(&w, i + 1) != 0)
			goto out;
	if (b->o.sync) {
		if (logput(&w, GEFS_LOGSYNC, b->o.qgen, 0) != 0)
			goto out;
		loggarbage(&w);
	}
	/* blocks left over stay in the chain, empty */
	while (w.iblk + 1 < w.nblks)
		if (lognext(&w) != 0)
			goto out;
	logclose(&w, GEFS_NONE);
	rc = 0;
out:
	free(blks);
	free(r);
	return rc;
}

/* Header and footer of arena ai; its table entry in the superblock. */
static void
arenahdr(Bld *b, int ai)
{
	Arena *a = &b->arena[ai];
	GefsArenaHdr h;
	uint8_t *p = b->img + a->h;
	size_t nfree = 0;
	uint64_t i;

	for (i = (a->h + 2 * BLD_B) / BLD_B; i < (a->h + b->asz) / BLD_B; i++)
		nfree += b->map[i].kind == BLD_BFREE;
	memset(&h, 0, sizeof h);
	h.loghdaddr = a->h + 2 * BLD_B;
	h.loghdhash = b->o.logstyle == BLD_LOGCOMPRESS ? GEFS_NONE : gefs_blkhash(b->img + h.loghdaddr);
	h.size = b->asz;
	h.used = b->asz - nfree * BLD_B;
	memset(p, 0, BLD_B);
	gefs_put16(p, GEFS_TARENA);
	gefs_packarena(p, &h);
	memcpy(p + BLD_B, p, BLD_B);
	b->sb.arenaaddr[ai] = a->h;
	b->sb.arenahash[ai] = gefs_blkhash(p);
	bldaddref(b, a->h, 0, BLD_RSBARENA, ai, (uint32_t)(GEFS_SBHDSZ + 16 * ai));
	bldaddref(b, h.loghdaddr, a->h, BLD_RLOGHD, ai, 2);
}

/* Both superblocks from b->sb. */
static int
writesb(Bld *b)
{
	GefsErr e;
	uint64_t last = (b->nblk - 1) * BLD_B;

	memset(b->img, 0, BLD_B);
	if (gefs_packsb(b->img, &b->sb, &e) != 0)
		return bldfail(b, EINVAL, "builder: superblock: %s", e.msg);
	memcpy(b->img + last, b->img, BLD_B);
	return 0;
}

int
bldfinish(Bld *b)
{
	int i;

	if (b->failed)
		return -1;
	if (b->finished)
		return bldfail(b, EINVAL, "builder: bldfinish twice");
	for (i = 0; i < b->o.narena; i++) {
		if (b->o.logstyle == BLD_LOGCOMPRESS) {
			if (logcompress(b, i) != 0)
				return -1;
		} else if (lognormal(b, i) != 0)
			return -1;
	}
	for (i = 0; i < b->o.narena; i++)
		arenahdr(b, i);
	if (writesb(b) != 0)
		return -1;
	b->finished = true;
	return 0;
}

int
bldwrite(Bld *b, const char *path)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "wb")) == NULL)
		return bldfail(b, errno, "builder: %s: %s", path, strerror(errno));
	if (fwrite(b->img, BLD_B, (size_t)b->nblk, f) != b->nblk)
		rc = bldfail(b, EIO, "builder: %s: short write", path);
	if (fclose(f) != 0 && rc == 0)
		rc = bldfail(b, EIO, "builder: %s: %s", path, strerror(errno));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Mutation and rehash                                                */
/* ------------------------------------------------------------------ */

/* Recompute the sbhash of the superblock copy at p (stored narena). */
static void
sbrehash(uint8_t *p)
{
	uint32_t n = gefs_get32(p + 16);
	size_t len;

	if (n > GEFS_MAXARENA)
		n = GEFS_MAXARENA;
	len = GEFS_SBHDSZ + 16 * (size_t)n;
	gefs_put64(p + len, gefs_bufhash(p, len));
}

/* Store h as the hash of a superblock-held pointer at off, both copies. */
static void
sbput(Bld *b, uint32_t off, uint64_t h)
{
	uint64_t last = (b->nblk - 1) * BLD_B;

	gefs_put64(b->img + off + 8, h);
	gefs_put64(b->img + last + off + 8, h);
	sbrehash(b->img);
	sbrehash(b->img + last);
}

static int
rehash(Bld *b, uint64_t addr, int depth)
{
	uint8_t *p = bldblkp(b, addr);
	uint64_t h;
	uint16_t sz;
	size_t i;
	int kind;

	if (p == NULL)
		return bldfail(b, EINVAL, "builder: rehash: bad address 0x%llx", (unsigned long long)addr);
	if (depth > 64)
		return bldfail(b, EINVAL, "builder: rehash: reference loop at 0x%llx", (unsigned long long)addr);
	kind = b->map[addr / BLD_B].kind;
	switch (kind) {
	case BLD_BLOG:
	case BLD_BDLIST:
		sz = gefs_get16(p + 2);
		if (sz > GEFS_LOGSPC)
			sz = GEFS_LOGSPC;
		gefs_put64(p + 4, gefs_bufhash(p + GEFS_LOGHDSZ, sz));
		return 0;
	case BLD_BSUPER:
		sbrehash(p);
		return 0;
	case BLD_BFOOTER:
		return 0;
	}
	h = gefs_blkhash(p);
	for (i = 0; i < b->nref; i++) {
		BldRef r = b->ref[i];

		if (r.child != addr)
			continue;
		switch (r.kind) {
		case BLD_RSBSNAP:
		case BLD_RSBARENA:
			sbput(b, r.off, h);
			break;
		case BLD_RPIVOT:
		case BLD_RKDAT:
		case BLD_RMSG:
		case BLD_RSNAP:
			if (r.off + 16 > BLD_B)
				break;
			gefs_put64(b->img + r.parent + r.off + 8, h);
			if (rehash(b, r.parent, depth + 1) != 0)
				return -1;
			break;
		}
	}
	return 0;
}

int
bldrehash(Bld *b, uint64_t addr)
{
	return rehash(b, addr, 0);
}

int
bldpoke(Bld *b, uint64_t addr, size_t off, const void *p, size_t n)
{
	uint8_t *blk = bldblkp(b, addr);

	if (blk == NULL || off > BLD_B || n > BLD_B - off)
		return bldfail(b, EINVAL, "builder: poke 0x%llx+%zu: out of range", (unsigned long long)addr, off);
	memcpy(blk + off, p, n);
	if (b->hashmode == BLD_HASHFIX)
		return bldrehash(b, addr);
	return 0;
}

void
bldsummary(Bld *b, char *buf, size_t n)
{
	size_t cnt[BLD_NKIND] = { 0 };
	uint64_t i;

	for (i = 0; i < b->nblk; i++)
		cnt[b->map[i].kind]++;
	snprintf(buf, n, "%d arenas x %llu blocks (%llu bytes): %zu pivots, %zu leaves, %zu data, "
		"%zu log, %zu dlist blocks; snapshot tree height %u; qgen %llu nextqid %llu nextgen %llu",
		b->o.narena, (unsigned long long)b->o.arenablks, (unsigned long long)bldsize(b),
		cnt[BLD_BPIVOT], cnt[BLD_BLEAF], cnt[BLD_BDATA], cnt[BLD_BLOG], cnt[BLD_BDLIST],
		b->sb.snapht, (unsigned long long)b->sb.qgen, (unsigned long long)b->sb.nextqid,
		(unsigned long long)b->sb.nextgen);
}
