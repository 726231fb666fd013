/* SPDX-License-Identifier: MIT */
/*
 * populate — bulk loading a whole file-system tree into a freshly
 * formatted image (gefs-mkfs -d): the bulk-load path of issue 13.
 *
 * Instead of one upsert per message, the caller hands over files and
 * directories in the order it assigns their qids; file data is written in
 * large sequential runs straight to newly allocated blocks (hashed while
 * being written, no cache round trip), the tree's keys are collected and
 * sorted (§9.1) and the tree is built bottom-up, leaves filled to the
 * reference's split threshold and each pivot keeping the §8.6 room for
 * two more 288-byte entries.  Then the snapshot tree is rebuilt with the
 * label's new record and everything is published in one commit.
 *
 * Key order makes most of the sorting free: Kdat keys sort first, by qid
 * then offset, and files get increasing qids as they are added, so data
 * pointers go to the tree builder as they are written.  Only Kent and Kup
 * pairs (one or two per name) go through the sorter, which keeps a bounded
 * buffer and spills sorted runs to an unlinked temporary file, merged at
 * the end: memory does not grow with the source.
 *
 * Data goes in runs of RUNBLK blocks, double-buffered: while the caller
 * reads the next files into one buffer, a writer thread hashes and writes
 * the other (with O_DIRECT where the host allows: no page-cache copy).
 * Allocation and the order in which data pointers reach the tree are the
 * loader's alone, so the image is the same with one thread or two.
 *
 * Allocation: one cursor runs upwards through the arenas' free space,
 * lowest block first (the reference's placement for whole-block data
 * writes, §5.5), leaving each arena's reserve (§5.4) free so the result
 * can be edited afterwards; contiguous allocations are logged as one
 * LogAlloc entry (§6.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

enum {
	B		= GEFS_BLKSZ,
	RUNBLK		= 64,			/* data blocks per sequential write (1 MiB) */
	PIVROOM		= 2 * 288,		/* room kept in a pivot for two entries (§8.6, §27.6) */
	SORTMEM		= 32 << 20,		/* default sort budget */
	SORTMIN		= 64 << 10,		/* smallest (tests use it to force spills) */
	RDBUF		= 64 << 10,		/* merge read buffer per run */
	FANIN		= 16,			/* runs merged at once: FANIN read buffers */
	RESMIN		= 512 << 10,		/* arena reserve bounds (§5.4) */
	RESMAX		= 8 << 20,
	ROOTQID		= 0,			/* the root of every tree forked from empty (§12.1) */
	USERSMAX	= 1 << 20,		/* the reference reads users files below 1 MiB (§16) */
};

/* ------------------------------------------------------------------ */
/* allocation                                                         */
/* ------------------------------------------------------------------ */

typedef struct Alloc {
	Gefs		*fs;
	int		ai;		/* arena the cursor is in */
	uint64_t	cur;		/* next address to try */
	uint64_t	runaddr, runlen;	/* allocations not logged yet */
	int		runai;
	uint64_t	nblk;		/* blocks allocated */
} Alloc;

/* The reserve of an arena of size S (§5.4). */
static uint64_t
reserve(uint64_t s)
{
	uint64_t r = s / 1024;

	return r < RESMIN ? RESMIN : r > RESMAX ? RESMAX : r;
}

/* Log the pending run as one entry. */
static int
logrun(Alloc *al)
{
	GefsLogEnt le;

	if (al->runlen == 0)
		return 0;
	le = (GefsLogEnt){.op = al->runlen == B ? GEFS_LOGALLOC1 : GEFS_LOGALLOC,
		.addr = al->runaddr, .len = al->runlen};
	al->runlen = 0;
	return logappend(al->fs, al->runai, &le);
}

/* Up to want contiguous blocks at the cursor: *addr, *got. */
static int
allocrun(Alloc *al, uint64_t want, uint64_t *addr, uint64_t *got)
{
	Gefs *fs = al->fs;
	Arena *a;
	uint64_t s, l, n;

	for (; al->ai < (int)fs->sb.narena; al->ai++, al->cur = 0) {
		a = &fs->arena[al->ai];
		if (fsetbytes(a->free) < reserve(a->size) + B || fsetfind(a->free, al->cur, &s, &l) < 0)
			continue;
		if (s < al->cur) {
			l -= al->cur - s;
			s = al->cur;
		}
		n = (fsetbytes(a->free) - reserve(a->size)) / B;
		n = n < want ? n : want;
		n = n < l / B ? n : l / B;
		if (fsetrm(a->free, s, n * B) < 0)
			return gefs_seterr(&fs->err, errno, "arena %d: allocating 0x%llx", al->ai, (unsigned long long)s);
		a->used += n * B;
		if (al->runlen > 0 && (al->runai != al->ai || al->runaddr + al->runlen != s) && logrun(al) < 0)
			return -1;
		if (al->runlen == 0) {
			al->runai = al->ai;
			al->runaddr = s;
		}
		al->runlen += n * B;
		al->cur = s + n * B;
		al->nblk += n;
		*addr = s;
		*got = n;
		return 0;
	}
	return gefs_seterr(&fs->err, ENOSPC, "the image is full (%llu blocks written)",
		(unsigned long long)al->nblk);
}

/* Write n blocks at addr, past the cache (which must not keep copies). */
static int
putblks(Gefs *fs, const void *buf, uint64_t n, uint64_t addr)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		cacheinval(fs->cache, addr + i * B);
	return devwrite(fs->dev, buf, n * B, addr, &fs->err);
}

/* ------------------------------------------------------------------ */
/* the streaming tree builder                                         */
/* ------------------------------------------------------------------ */

typedef struct Level {
	uint8_t		*blk;
	uint8_t		first[GEFS_KEYMAX];	/* the node's first key */
	uint16_t	nfirst;
	size_t		fill, n;
	uint64_t	nemit;			/* nodes written at this level */
} Level;

typedef struct Build {
	Gefs		*fs;
	Alloc		*al;
	uint64_t	gen;
	Level		lv[GEFS_MAXHT];
	int		nlv;
	uint8_t		last[GEFS_KEYMAX];	/* last key added (order check) */
	uint16_t	nlast;
	bool		any;
	uint64_t	nnode;
} Build;

static int addat(Build *b, int l, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv);

static int
levelinit(Build *b, int l)
{
	Level *x = &b->lv[l];

	if (l >= GEFS_MAXHT)
		return gefs_seterr(&b->fs->err, EFBIG, "tree build: taller than %d levels", GEFS_MAXHT);
	if (x->blk == NULL && (x->blk = aligned_alloc(4096, B)) == NULL)
		return gefs_seterr(&b->fs->err, ENOMEM, "tree build: out of memory");
	gefs_nodeinit(x->blk, l == 0 ? GEFS_TLEAF : GEFS_TPIVOT);
	x->fill = x->n = 0;
	if (l >= b->nlv)
		b->nlv = l + 1;
	return 0;
}

/* Write level l's node and, unless it is the root, point its parent at it. */
static int
emit(Build *b, int l, bool root, GefsBptr *bp)
{
	Level *x = &b->lv[l];
	uint8_t v[GEFS_PIVVALSZ];
	uint64_t a, got;
	uint16_t fill;

	if (allocrun(b->al, 1, &a, &got) < 0)
		return -1;
	*bp = (GefsBptr){a, gefs_blkhash(x->blk), b->gen};
	fill = (uint16_t)(x->fill);
	if (putblks(b->fs, x->blk, 1, a) < 0)
		return -1;
	x->nemit++;
	b->nnode++;
	if (root)
		return 0;
	if (l + 1 >= b->nlv && levelinit(b, l + 1) < 0)
		return -1;
	gefs_packpivval(v, bp, fill);
	return addat(b, l + 1, x->first, x->nfirst, v, sizeof v);
}

static int
addat(Build *b, int l, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	Level *x = &b->lv[l];
	size_t need = 2 + 4 + nk + nv;
	/* a pivot keeps 2·(nval + 1) + valsz + 576 <= Pivspc: the 2 is the
	 * offset slot of the next entry (§8.6) */
	size_t room = l == 0 ? GEFS_LEAFSPC : GEFS_PIVSPC - PIVROOM - 2;
	GefsBptr bp;

	if (x->n > 0 && x->fill + need > room) {
		if (emit(b, l, false, &bp) < 0 || levelinit(b, l) < 0)
			return -1;
	}
	if (gefs_nodeadd(x->blk, k, nk, v, nv, &b->fs->err) < 0)
		return -1;
	if (x->n++ == 0) {
		memcpy(x->first, k, nk);
		x->nfirst = (uint16_t)nk;
	}
	x->fill += need;
	return 0;
}

static int
buildinit(Build *b, Gefs *fs, Alloc *al, uint64_t gen)
{
	memset(b, 0, sizeof *b);
	b->fs = fs;
	b->al = al;
	b->gen = gen;
	return levelinit(b, 0);
}

/* Add the next pair (keys strictly increasing). */
static int
buildadd(Build *b, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	char kb[96];

	if (nk == 0 || nk > GEFS_KEYMAX || nv > GEFS_INLMAX)
		return gefs_seterr(&b->fs->err, EINVAL, "tree build: key of %zu or value of %zu bytes", nk, nv);
	if (b->any && gefs_keycmp(b->last, b->nlast, k, nk) >= 0)
		return gefs_seterr(&b->fs->err, EEXIST, "tree build: %s added twice or out of order",
			fmtkey(kb, sizeof kb, k, nk));
	memcpy(b->last, k, nk);
	b->nlast = (uint16_t)nk;
	b->any = true;
	return addat(b, 0, k, nk, v, nv);
}

/* Close every level bottom-up; the one node left on the top is the root. */
static int
buildend(Build *b, GefsBptr *root, int *ht)
{
	GefsBptr bp;
	int l;

	if (!b->any)
		return gefs_seterr(&b->fs->err, EINVAL, "tree build: no keys");
	for (l = 0; l < b->nlv; l++) {
		if (l == b->nlv - 1 && b->lv[l].nemit == 0) {
			if (emit(b, l, true, root) < 0)
				return -1;
			*ht = l + 1;
			return 0;
		}
		if (b->lv[l].n > 0 && emit(b, l, false, &bp) < 0)
			return -1;
	}
	return gefs_seterr(&b->fs->err, EIO, "tree build: no root");
}

static void
buildfree(Build *b)
{
	int l;

	for (l = 0; l < GEFS_MAXHT; l++)
		free(b->lv[l].blk);
}

/* ------------------------------------------------------------------ */
/* the sorter: bounded buffer, sorted runs spilled to a temporary file */
/* ------------------------------------------------------------------ */

/* A record: u16 nk, u16 nv, key, value. */
typedef struct Run {
	uint64_t	off, end;	/* in the spill file */
	uint8_t		*buf;		/* merge buffer */
	size_t		have, pos;
} Run;

typedef struct Sorter {
	Gefs		*fs;
	size_t		budget;
	uint8_t		*mem;		/* records */
	size_t		used;
	uint32_t	*idx;		/* record offsets, grows down from the end of mem */
	size_t		n;
	int		fd;		/* spill file, -1 until needed */
	const char	*tmpdir;
	uint64_t	fileoff;
	Run		*run;
	size_t		nrun;
	uint64_t	spilled;	/* bytes */
	uint64_t	nspill;		/* runs spilled (before any cascade) */
} Sorter;

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
reccmp(const void *a, const void *b, void *arg)
{
	const uint8_t *m = arg, *x = m + *(const uint32_t *)a, *y = m + *(const uint32_t *)b;

	return gefs_keycmp(x + 4, get16(x), y + 4, get16(y));
}

static int
sortinit(Sorter *s, Gefs *fs, size_t budget, const char *tmpdir)
{
	memset(s, 0, sizeof *s);
	s->fs = fs;
	s->fd = -1;
	s->tmpdir = tmpdir;
	s->budget = budget < SORTMIN ? SORTMIN : budget;
	if ((s->mem = malloc(s->budget)) == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "sort: out of memory for a %zu-byte buffer", s->budget);
	return 0;
}

static int
spillopen(Sorter *s)
{
	char path[PATH_MAX];
	const char *d = s->tmpdir;

	if (d == NULL && (d = getenv("TMPDIR")) == NULL)
		d = "/tmp";
	snprintf(path, sizeof path, "%s/gefs-sort.XXXXXX", d);
	if ((s->fd = mkstemp(path)) < 0)
		return gefs_seterr(&s->fs->err, errno, "sort: cannot create a temporary file in %s: %s", d, strerror(errno));
	unlink(path);
	return 0;
}

/* Records appended to the spill file (a run being written). */
typedef struct Cat {
	Sorter		*s;
	uint8_t		buf[RDBUF];
	size_t		n;
} Cat;

static int
catflush(Cat *c)
{
	Sorter *s = c->s;

	if (c->n > 0 && pwrite(s->fd, c->buf, c->n, (off_t)s->fileoff) != (ssize_t)c->n)
		return gefs_seterr(&s->fs->err, errno ? errno : ENOSPC, "sort: writing the temporary file: %s",
			strerror(errno ? errno : ENOSPC));
	s->fileoff += c->n;
	c->n = 0;
	return 0;
}

static int
catrec(void *arg, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	Cat *c = arg;
	uint8_t *p;

	if (c->n + 4 + nk + nv > sizeof c->buf && catflush(c) < 0)
		return -1;
	p = c->buf + c->n;
	p[0] = (uint8_t)(nk >> 8), p[1] = (uint8_t)nk, p[2] = (uint8_t)(nv >> 8), p[3] = (uint8_t)nv;
	memcpy(p + 4, k, nk);
	memcpy(p + 4 + nk, v, nv);
	c->n += 4 + nk + nv;
	return 0;
}

/* Sort the buffer and write it out as one run, through a small buffer
 * (not a copy of the whole: memory stays the budget). */
static int
spill(Sorter *s)
{
	uint32_t *idx = (uint32_t *)(s->mem + s->budget) - s->n;
	uint64_t start;
	const uint8_t *p;
	size_t i;
	Run *r;
	Cat *c;

	if (s->fd < 0 && spillopen(s) < 0)
		return -1;
	qsort_r(idx, s->n, sizeof *idx, reccmp, s->mem);
	if ((r = realloc(s->run, (s->nrun + 1) * sizeof *r)) == NULL || (c = malloc(sizeof *c)) == NULL)
		return gefs_seterr(&s->fs->err, ENOMEM, "sort: out of memory");
	s->run = r;
	c->s = s, c->n = 0;
	start = s->fileoff;
	for (i = 0; i < s->n; i++) {
		p = s->mem + idx[i];
		if (catrec(c, p + 4, get16(p), p + 4 + get16(p), get16(p + 2)) < 0)
			break;
	}
	if (i < s->n || catflush(c) < 0) {
		free(c);
		return -1;
	}
	free(c);
	s->run[s->nrun++] = (Run){start, s->fileoff, NULL, 0, 0};
	s->spilled += s->fileoff - start;
	s->nspill++;
	s->used = s->n = 0;
	return 0;
}

static int
sortadd(Sorter *s, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	size_t len = 4 + nk + nv;
	uint8_t *p;

	if (s->used + len + 4 * (s->n + 1) > s->budget && spill(s) < 0)
		return -1;
	p = s->mem + s->used;
	p[0] = (uint8_t)(nk >> 8), p[1] = (uint8_t)nk, p[2] = (uint8_t)(nv >> 8), p[3] = (uint8_t)nv;
	memcpy(p + 4, k, nk);
	memcpy(p + 4 + nk, v, nv);
	s->n++;
	((uint32_t *)(s->mem + s->budget))[-(ptrdiff_t)s->n] = (uint32_t)s->used;
	s->used += len;
	return 0;
}

/* The next record of run r at r->buf + r->pos, refilling; 0 at its end. */
static int
runpeek(Sorter *s, Run *r)
{
	size_t want;
	ssize_t got;

	if (r->have - r->pos >= 4 && r->have - r->pos >= 4 + (size_t)get16(r->buf + r->pos) + get16(r->buf + r->pos + 2))
		return 1;
	memmove(r->buf, r->buf + r->pos, r->have - r->pos);
	r->have -= r->pos;
	r->pos = 0;
	want = RDBUF - r->have;
	if (want > r->end - r->off)
		want = (size_t)(r->end - r->off);
	if (want > 0) {
		if ((got = pread(s->fd, r->buf + r->have, want, (off_t)r->off)) != (ssize_t)want)
			return gefs_seterr(&s->fs->err, errno ? errno : EIO, "sort: reading the temporary file");
		r->have += want;
		r->off += want;
	}
	if (r->have == 0)
		return 0;
	if (r->have < 4 || r->have < 4 + (size_t)get16(r->buf) + get16(r->buf + 2))
		return gefs_seterr(&s->fs->err, EIO, "sort: truncated record in the temporary file");
	return 1;
}

typedef int (*SortFn)(void *arg, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv);

static int
emitrec(const uint8_t *p, SortFn fn, void *arg)
{
	return fn(arg, p + 4, get16(p), p + 4 + get16(p), get16(p + 2));
}

/* k-way merge of the first k runs (k <= FANIN). */
static int
merge(Sorter *s, size_t k, SortFn fn, void *arg)
{
	size_t i, best;
	const uint8_t *p, *q;
	int rc;

	for (i = 0; i < k; i++)
		if (s->run[i].buf == NULL && (s->run[i].buf = malloc(RDBUF)) == NULL)
			return gefs_seterr(&s->fs->err, ENOMEM, "sort: out of memory");
	for (;;) {
		best = k;
		for (i = 0; i < k; i++) {
			if ((rc = runpeek(s, &s->run[i])) < 0)
				return -1;
			if (rc == 0)
				continue;
			p = s->run[i].buf + s->run[i].pos;
			q = best < k ? s->run[best].buf + s->run[best].pos : NULL;
			if (q == NULL || gefs_keycmp(p + 4, get16(p), q + 4, get16(q)) < 0)
				best = i;
		}
		if (best == k)
			return 0;
		p = s->run[best].buf + s->run[best].pos;
		if (emitrec(p, fn, arg) < 0)
			return -1;
		s->run[best].pos += 4 + (size_t)get16(p) + get16(p + 2);
	}
}

/* Merge runs FANIN at a time until at most FANIN are left, so that the
 * read buffers stay bounded however small the budget. */
static int
cascade(Sorter *s)
{
	uint64_t start;
	size_t i;
	Cat *c;

	if (s->nrun <= FANIN)
		return 0;
	if ((c = malloc(sizeof *c)) == NULL)
		return gefs_seterr(&s->fs->err, ENOMEM, "sort: out of memory");
	c->s = s;
	while (s->nrun > FANIN) {
		start = s->fileoff;
		c->n = 0;
		if (merge(s, FANIN, catrec, c) < 0 || catflush(c) < 0) {
			free(c);
			return -1;
		}
		for (i = 0; i < FANIN; i++)
			free(s->run[i].buf);
		memmove(s->run, s->run + FANIN, (s->nrun - FANIN) * sizeof *s->run);
		s->nrun -= FANIN;
		s->run[s->nrun++] = (Run){start, s->fileoff, NULL, 0, 0};
	}
	free(c);
	return 0;
}

/* Hand every record to fn in key order. */
static int
sortend(Sorter *s, SortFn fn, void *arg)
{
	uint32_t *idx;
	size_t i;

	if (s->nrun == 0) {
		idx = (uint32_t *)(s->mem + s->budget) - s->n;
		qsort_r(idx, s->n, sizeof *idx, reccmp, s->mem);
		for (i = 0; i < s->n; i++)
			if (emitrec(s->mem + idx[i], fn, arg) < 0)
				return -1;
		return 0;
	}
	if (s->n > 0 && spill(s) < 0)
		return -1;
	free(s->mem);
	s->mem = NULL;
	if (cascade(s) < 0)
		return -1;
	return merge(s, s->nrun, fn, arg);
}

static void
sortfree(Sorter *s)
{
	size_t i;

	for (i = 0; i < s->nrun; i++)
		free(s->run[i].buf);
	free(s->run);
	free(s->mem);
	if (s->fd >= 0)
		close(s->fd);
}

/* ------------------------------------------------------------------ */
/* the bulk loader                                                    */
/* ------------------------------------------------------------------ */

/* One run of data blocks: gathered by the loader, then hashed and
 * written (by the writer thread when there is one) at the addresses the
 * loader allocated; its pointers are added when the loader next needs
 * the buffer, so they reach the tree in the same order either way. */
typedef struct Wbuf {
	uint8_t		*blk;
	uint64_t	off[RUNBLK], q[RUNBLK];	/* file offsets and qids */
	uint64_t	addr[RUNBLK], hash[RUNBLK];
	size_t		n;
	uint64_t	paddr[RUNBLK], plen[RUNBLK];	/* contiguous pieces */
	size_t		npiece;
	int		rc;
	GefsErr		err;
} Wbuf;

/* The writer thread: takes one Wbuf at a time.  The loader touches the
 * device (allocation log, tree nodes) only while the writer is idle. */
typedef struct Writer {
	pthread_t	t;
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	Wbuf		*job;
	Dev		*dev;
	int		dfd;		/* devdirect's descriptor, or -1 */
	bool		on, quit;
} Writer;

struct GefsBulk {
	Gefs		*fs;
	GefsBulkOpts	o;
	uint64_t	gen;		/* working generation: the new snapshot's id */
	uint64_t	nextqid;
	Alloc		al;
	Build		bt;
	Sorter		so;
	GefsXdir	root;
	Wbuf		wb[2];		/* gathered here, written from there */
	int		cur;		/* the buffer being gathered */
	Wbuf		*pend;		/* written, its pointers not added yet */
	Writer		wr;
	uint8_t		*run;		/* wb[cur]: RUNBLK data blocks being gathered */
	uint64_t	*runoff;	/* their file offsets */
	uint64_t	*runq;		/* and files: a run spans small files */
	size_t		nrun;
	size_t		first;		/* the current file's first slot */
	uint64_t	runqid;		/* the current file */
	GefsBulkStats	st;
	bool		failed;
	char		*users;		/* new /users text for adm, or NULL */
	size_t		nusers;
};

void
gefs_defbulkopts(GefsBulkOpts *o)
{
	memset(o, 0, sizeof *o);
	o->label = "main";
}

/* A data pointer: straight to the tree when files come in qid order. */
static int
datkey(GefsBulk *b, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	if (b->o.anyorder)
		return sortadd(&b->so, k, nk, v, nv);
	return buildadd(&b->bt, k, nk, v, nv);
}

/* n bytes of whole blocks at addr: past the page cache when the writer
 * has an O_DIRECT descriptor (the data is not read again: the copy into
 * the page cache would be the load's largest cost), else through it. */
static int
wrblks(Writer *wr, const uint8_t *p, size_t n, uint64_t addr, GefsErr *e)
{
	if (wr->dfd >= 0) {
		if (devwritedirect(wr->dev, wr->dfd, p, n, addr, e) == 0)
			return 0;
		if (e->code != EINVAL)
			return -1;
		close(wr->dfd);		/* alignment refused: buffered from now on */
		wr->dfd = -1;
	}
	return devwrite(wr->dev, p, n, addr, e);
}

/* Hash and write w's blocks at the addresses allocated for them. */
static void
wbwrite(Writer *wr, Wbuf *w)
{
	size_t i, done = 0;

	w->rc = 0;
	for (i = 0; i < w->n; i++)
		w->hash[i] = gefs_blkhash(w->blk + i * B);
	for (i = 0; i < w->npiece && w->rc == 0; i++) {
		w->rc = wrblks(wr, w->blk + done * B, w->plen[i] * B, w->paddr[i], &w->err);
		done += w->plen[i];
	}
}

static void *
writer(void *arg)
{
	Writer *wr = arg;
	Wbuf *w;

	pthread_mutex_lock(&wr->mu);
	for (;;) {
		while (wr->job == NULL && !wr->quit)
			pthread_cond_wait(&wr->cv, &wr->mu);
		if (wr->job == NULL)
			break;
		w = wr->job;
		pthread_mutex_unlock(&wr->mu);
		wbwrite(wr, w);
		pthread_mutex_lock(&wr->mu);
		wr->job = NULL;
		pthread_cond_broadcast(&wr->cv);
	}
	pthread_mutex_unlock(&wr->mu);
	return NULL;
}

/* Write w: handed to the writer thread, or here and now without one. */
static void
wrsubmit(Writer *wr, Wbuf *w)
{
	if (!wr->on) {
		wbwrite(wr, w);
		return;
	}
	pthread_mutex_lock(&wr->mu);
	wr->job = w;
	pthread_cond_broadcast(&wr->cv);
	pthread_mutex_unlock(&wr->mu);
}

static void
wrwait(Writer *wr)
{
	if (!wr->on)
		return;
	pthread_mutex_lock(&wr->mu);
	while (wr->job != NULL)
		pthread_cond_wait(&wr->cv, &wr->mu);
	pthread_mutex_unlock(&wr->mu);
}

/* One writer thread when n > 1 (0: when more than one CPU is online);
 * without it everything is written in the loader's thread. */
static void
wrstart(Writer *wr, Dev *dev, int n)
{
	memset(wr, 0, sizeof *wr);
	wr->dev = dev;
	wr->dfd = devdirect(dev);
	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
	if (n < 2 || pthread_mutex_init(&wr->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&wr->cv, NULL) != 0) {
		pthread_mutex_destroy(&wr->mu);
		return;
	}
	wr->on = pthread_create(&wr->t, NULL, writer, wr) == 0;
	if (!wr->on) {
		pthread_cond_destroy(&wr->cv);
		pthread_mutex_destroy(&wr->mu);
	}
}

/* Join the writer (it finishes the run it has), close the descriptor. */
static void
wrstop(Writer *wr)
{
	if (wr->dev == NULL)	/* never started */
		return;
	if (wr->on) {
		pthread_mutex_lock(&wr->mu);
		wr->quit = true;
		pthread_cond_broadcast(&wr->cv);
		pthread_mutex_unlock(&wr->mu);
		pthread_join(wr->t, NULL);
		pthread_cond_destroy(&wr->cv);
		pthread_mutex_destroy(&wr->mu);
		wr->on = false;
	}
	if (wr->dfd >= 0)
		close(wr->dfd);
	wr->dfd = -1;
}

/* Gather into wb[i] from now on. */
static void
usebuf(GefsBulk *b, int i)
{
	b->cur = i;
	b->run = b->wb[i].blk;
	b->runoff = b->wb[i].off;
	b->runq = b->wb[i].q;
}

/* Wait for the run being written; add its data pointers. */
static int
settle(GefsBulk *b)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	Wbuf *w = b->pend;
	GefsBptr bp;
	size_t i;

	if (w == NULL)
		return 0;
	wrwait(&b->wr);
	b->pend = NULL;
	if (w->rc < 0) {
		b->fs->err = w->err;
		return -1;
	}
	for (i = 0; i < w->n; i++) {
		bp = (GefsBptr){w->addr[i], w->hash[i], b->gen};
		gefs_packbptr(v, &bp);
		if (datkey(b, k, gefs_packdatkey(k, w->q[i], w->off[i]), v, sizeof v) < 0)
			return -1;
	}
	return 0;
}

/* Allocate the gathered blocks and start writing them; gathering goes
 * on in the other buffer.  Allocation and pointer order do not depend
 * on the writer's timing: the same source gives the same image. */
static int
flushrun(GefsBulk *b)
{
	Wbuf *w = &b->wb[b->cur];
	uint64_t a, n, i;
	size_t done = 0;

	if (settle(b) < 0)
		return -1;
	if (b->nrun == 0)
		return 0;
	w->n = b->nrun;
	w->npiece = 0;
	while (done < w->n) {
		if (allocrun(&b->al, w->n - done, &a, &n) < 0)
			return -1;
		for (i = 0; i < n; i++, done++) {
			cacheinval(b->fs->cache, a + i * B);
			w->addr[done] = a + i * B;
		}
		w->paddr[w->npiece] = a;
		w->plen[w->npiece++] = n;
	}
	wrsubmit(&b->wr, w);
	b->pend = w;
	usebuf(b, 1 - b->cur);
	b->st.datablocks += b->nrun;
	b->nrun = b->first = 0;
	return 0;
}

/* A slot for the block at file offset off (block-aligned), zeroed. */
static uint8_t *
slot(GefsBulk *b, uint64_t off)
{
	uint8_t *p;

	if (b->nrun == RUNBLK && flushrun(b) < 0)
		return NULL;
	p = b->run + b->nrun * B;
	memset(p, 0, B);
	b->runq[b->nrun] = b->runqid;
	b->runoff[b->nrun++] = off;
	return p;
}

/* Put n bytes at file offset off into the gathered blocks; offsets only
 * grow (a chunk may continue the last block). */
static int
putbytes(GefsBulk *b, uint64_t off, const uint8_t *p, size_t n, uint64_t len)
{
	uint64_t bo, last;
	uint8_t *d;
	size_t m;

	if (off + n > len || off + n < off)
		return gefs_seterr(&b->fs->err, EINVAL, "data at %llu..%llu lies beyond the file length %llu",
			(unsigned long long)off, (unsigned long long)(off + n), (unsigned long long)len);
	while (n > 0) {
		bo = off / B * B;
		last = b->nrun > b->first ? b->runoff[b->nrun - 1] : GEFS_NONE;
		if (last != GEFS_NONE && bo < last)
			return gefs_seterr(&b->fs->err, EINVAL, "data at offset %llu comes after offset %llu",
				(unsigned long long)off, (unsigned long long)last);
		if (last == bo)
			d = b->run + (b->nrun - 1) * B;
		else if ((d = slot(b, bo)) == NULL)
			return -1;
		m = B - (size_t)(off - bo);
		m = m < n ? m : n;
		memcpy(d + (off - bo), p, m);
		off += m, p += m, n -= m;
	}
	return 0;
}

/* pread exactly n bytes at off (EINTR looped); a short file is an error. */
static int
readfull(GefsBulk *b, int fd, uint8_t *d, size_t n, uint64_t off)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r)
		if ((r = pread(fd, d + got, n - got, (off_t)(off + got))) <= 0) {
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			return gefs_seterr(&b->fs->err, r < 0 ? errno : EIO, "reading at offset %llu: %s",
				(unsigned long long)(off + got), r < 0 ? strerror(errno) : "the file shrank while being read");
		}
	return 0;
}

/* Read [bo, bo + nb·B) ∩ [0, len) of fd into fresh slots, as many
 * blocks per pread as the run has room for. */
static int
readblks(GefsBulk *b, int fd, uint64_t bo, uint64_t nb, uint64_t len)
{
	uint64_t n, i, want;
	uint8_t *d;

	while (nb > 0) {
		if (b->nrun == RUNBLK && flushrun(b) < 0)
			return -1;
		n = RUNBLK - b->nrun < nb ? RUNBLK - b->nrun : nb;
		d = b->run + b->nrun * B;
		want = len - bo < n * B ? len - bo : n * B;
		if (readfull(b, fd, d, want, bo) < 0)
			return -1;
		memset(d + want, 0, n * B - want);
		for (i = 0; i < n; i++) {
			b->runq[b->nrun] = b->runqid;
			b->runoff[b->nrun++] = bo + i * B;
		}
		bo += n * B, nb -= n;
	}
	return 0;
}

/* The next data extent of fd at or after pos: 1, 0 at the end, -1. */
static int
nextdata(GefsBulk *b, int fd, uint64_t pos, uint64_t len, uint64_t *ds, uint64_t *de)
{
	off_t s, e;

	if (pos >= len)
		return 0;
	if ((s = lseek(fd, (off_t)pos, SEEK_DATA)) < 0) {
		if (errno == ENXIO)
			return 0;
		if (errno != EINVAL && errno != EOPNOTSUPP)
			return gefs_seterr(&b->fs->err, errno, "seeking data: %s", strerror(errno));
		*ds = pos, *de = len;		/* no sparse support: all data */
		return 1;
	}
	if ((e = lseek(fd, s, SEEK_HOLE)) < 0)
		e = (off_t)len;
	if ((uint64_t)s >= len)
		return 0;
	*ds = (uint64_t)s;
	*de = (uint64_t)e < len ? (uint64_t)e : len;
	return 1;
}

/* The data of a file from fd: its data extents only (holes stay holes).
 * A file with every byte allocated has none: one extent, no seeking. */
static int
fddata(GefsBulk *b, int fd, uint64_t len)
{
	uint64_t pos = 0, ds = 0, de = 0, first, end;
	struct stat st;
	int rc;

	if (fstat(fd, &st) == 0 && (uint64_t)st.st_blocks * 512 >= len)
		return len > 0 ? readblks(b, fd, 0, (len + B - 1) / B, len) : 0;
	while ((rc = nextdata(b, fd, pos, len, &ds, &de)) > 0) {
		first = ds / B;
		if (first < pos / B)
			first = pos / B;
		end = (de + B - 1) / B;
		if (end > first && readblks(b, fd, first * B, end - first, len) < 0)
			return -1;
		pos = end * B;
	}
	return rc;
}

/* Queue the entry of a new file or directory. */
static int
putent(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen, const GefsXdir *d)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_XDIRSZ];
	uint8_t uk[GEFS_KEYMAX];
	size_t nk;

	if (gefs_namecheck((const uint8_t *)name, nlen, &b->fs->err) < 0)
		return -1;
	nk = gefs_packentkey(k, pqid, name, nlen);
	gefs_packxdir(v, d);
	if (sortadd(&b->so, k, nk, v, sizeof v) < 0)
		return -1;
	if (d->mode & GEFS_DMDIR)
		return sortadd(&b->so, uk, gefs_packupkey(uk, d->qpath), k, nk);
	return 0;
}

/* The qid of a new entry: the caller's reserved one, or the next. */
static int
newqid(GefsBulk *b, const GefsBulkAttr *a, uint64_t *qid)
{
	if (a->qid == GEFS_NONE) {
		*qid = b->nextqid++;
		return 0;
	}
	if (a->qid < b->fs->sb.nextqid || a->qid >= b->nextqid)
		return gefs_seterr(&b->fs->err, EINVAL, "qid 0x%llx was not reserved", (unsigned long long)a->qid);
	*qid = a->qid;
	return 0;
}

uint64_t
gefs_bulkreserve(GefsBulk *b, uint64_t n)
{
	uint64_t q = b->nextqid;

	b->nextqid += n;
	return q;
}

static GefsXdir
mkxdir(uint64_t qid, bool dir, const GefsBulkAttr *a)
{
	GefsXdir d;

	memset(&d, 0, sizeof d);
	d.qpath = qid;
	d.mode = (a->mode & 0777) | (dir ? GEFS_DMDIR : 0);
	d.qtype = (uint8_t)(d.mode >> 24);
	d.atime = d.mtime = a->mtime;
	d.length = dir ? 0 : a->length;
	d.uid = d.muid = a->uid;
	d.gid = a->gid;
	return d;
}

static int
bulkok(GefsBulk *b)
{
	if (b->failed)
		return gefs_seterr(&b->fs->err, EINVAL, "bulk load: an earlier step failed");
	return 0;
}

/* Common to both kinds of file: entry, then data through fn. */
static int
addfile(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen, const GefsBulkAttr *a,
	int (*fn)(GefsBulk *, void *), void *arg, uint64_t *qid)
{
	GefsXdir d;
	uint64_t q = 0;

	if (bulkok(b) < 0)
		return -1;
	if (newqid(b, a, &q) < 0) {
		b->failed = true;
		return -1;
	}
	if (!b->o.anyorder && b->st.nfile > 0 && q <= b->runqid) {
		b->failed = true;
		return gefs_seterr(&b->fs->err, EINVAL, "file qid 0x%llx out of order (set anyorder)", (unsigned long long)q);
	}
	d = mkxdir(q, false, a);
	b->runqid = d.qpath;
	b->first = b->nrun;
	if (putent(b, pqid, name, nlen, &d) < 0 || fn(b, arg) < 0) {
		b->failed = true;
		return gefs_wraperr(&b->fs->err, "%.*s", (int)nlen, name);
	}
	b->st.nfile++;
	b->st.bytes += a->length;
	if (qid != NULL)
		*qid = d.qpath;
	return 0;
}

typedef struct FdArg {
	int		fd;
	uint64_t	len;
	bool		dense;
} FdArg;

static int
fdfn(GefsBulk *b, void *arg)
{
	FdArg *f = arg;

	if (f->dense)	/* the caller's fstat said so: no seeking */
		return f->len > 0 ? readblks(b, f->fd, 0, (f->len + B - 1) / B, f->len) : 0;
	return fddata(b, f->fd, f->len);
}

int
gefs_bulkfile(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen, const GefsBulkAttr *a, int fd,
	uint64_t *qid)
{
	FdArg f = {fd, a->length, a->dense};

	return addfile(b, pqid, name, nlen, a, fdfn, &f, qid);
}

typedef struct StreamArg {
	GefsBulkRead	rd;
	void		*arg;
	uint64_t	len;
} StreamArg;

static int
streamfn(GefsBulk *b, void *arg)
{
	StreamArg *s = arg;
	const void *p;
	size_t n;
	uint64_t off;
	int rc;

	while ((rc = s->rd(s->arg, &p, &n, &off)) > 0)
		if (n > 0 && putbytes(b, off, p, n, s->len) < 0)
			return -1;
	if (rc < 0)
		return gefs_seterr(&b->fs->err, EIO, "reading the data failed");
	return 0;
}

int
gefs_bulkstream(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen, const GefsBulkAttr *a,
	GefsBulkRead rd, void *arg, uint64_t *qid)
{
	StreamArg s = {rd, arg, a->length};

	return addfile(b, pqid, name, nlen, a, streamfn, &s, qid);
}

int
gefs_bulkdir(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen, const GefsBulkAttr *a, uint64_t *qid)
{
	GefsXdir d;
	uint64_t q = 0;

	if (bulkok(b) < 0)
		return -1;
	if (newqid(b, a, &q) < 0) {
		b->failed = true;
		return -1;
	}
	d = mkxdir(q, true, a);
	if (putent(b, pqid, name, nlen, &d) < 0) {
		b->failed = true;
		return gefs_wraperr(&b->fs->err, "%.*s", (int)nlen, name);
	}
	b->st.ndir++;
	*qid = d.qpath;
	return 0;
}

uint64_t
gefs_bulkroot(GefsBulk *b, const GefsBulkAttr *a)
{
	b->root = mkxdir(ROOTQID, true, a);
	return ROOTQID;
}

int
gefs_bulkusers(GefsBulk *b, const char *text, size_t n)
{
	if (n == 0 || n >= USERSMAX)
		return gefs_seterr(&b->fs->err, EINVAL, "users file of %zu bytes: it must hold 1 to %d", n, USERSMAX - 1);
	free(b->users);
	if ((b->users = malloc(n)) == NULL)
		return gefs_seterr(&b->fs->err, ENOMEM, "out of memory");
	memcpy(b->users, text, n);
	b->nusers = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the snapshot tree: the label's new record (§13.4, §13.5)           */
/* ------------------------------------------------------------------ */

typedef struct Pair {
	uint8_t		k[GEFS_KEYMAX];
	uint16_t	nk;
	uint8_t		v[GEFS_INLMAX];
	uint16_t	nv;
} Pair;

typedef struct Snaps {
	Gefs		*fs;
	Pair		*p;
	size_t		n;
} Snaps;

static Pair *
findkey(Snaps *s, const uint8_t *k, size_t nk)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->p[i].nk == nk && memcmp(s->p[i].k, k, nk) == 0)
			return &s->p[i];
	return NULL;
}

/* Insert or replace k → v. */
static int
setkey(Snaps *s, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	Pair *p, *np;

	if ((p = findkey(s, k, nk)) == NULL) {
		if ((np = realloc(s->p, (s->n + 1) * sizeof *np)) == NULL)
			return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
		s->p = np;
		p = &s->p[s->n++];
		memcpy(p->k, k, nk);
		p->nk = (uint16_t)nk;
	}
	memcpy(p->v, v, nv);
	p->nv = (uint16_t)nv;
	return 0;
}

static void
delkey(Snaps *s, const uint8_t *k, size_t nk)
{
	Pair *p = findkey(s, k, nk);

	if (p != NULL)
		*p = s->p[--s->n];
}

static int
putsnap(Snaps *s, const GefsSnap *r)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];

	gefs_packsnap(v, r);
	return setkey(s, k, gefs_packsnapkey(k, (uint64_t)r->gen), v, sizeof v);
}

static int
putlabel(Snaps *s, const char *name, uint64_t gen, uint32_t flags)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_LABELVALSZ];
	GefsLabel l = {gen, flags};

	gefs_packlabel(v, &l);
	return setkey(s, k, gefs_packlabelkey(k, name, strlen(name)), v, sizeof v);
}

static int
getrec(Snaps *s, uint64_t gen, GefsSnap *r)
{
	uint8_t k[GEFS_KEYMAX];
	Pair *p = findkey(s, k, gefs_packsnapkey(k, gen));

	if (p == NULL)
		return gefs_seterr(&s->fs->err, ENOENT, "snapshot %llu has no record", (unsigned long long)gen);
	return gefs_unpacksnap(r, p->v, p->nv, &s->fs->err);
}

static int
getlab(Snaps *s, const char *name, GefsLabel *l)
{
	uint8_t k[GEFS_KEYMAX];
	Pair *p = findkey(s, k, gefs_packlabelkey(k, name, strlen(name)));

	if (p == NULL)
		return 1;
	return gefs_unpacklabel(l, p->v, p->nv, &s->fs->err) < 0 ? -1 : 0;
}

static int
loadsnaps(Snaps *s)
{
	GefsTree *t;
	GefsScan *sc = NULL;
	GefsKv kv;
	int rc = -1;

	if ((t = gefs_snaptree(s->fs)) == NULL || (sc = gefs_scan(t, NULL, 0, NULL, 0)) == NULL)
		goto out;
	while ((rc = gefs_scannext(sc, &kv)) > 0)
		if (kv.nv > GEFS_INLMAX || setkey(s, kv.k, kv.nk, kv.v, kv.nv) < 0) {
			rc = -1;
			break;
		}
out:
	gefs_scanfree(sc);
	if (t != NULL)
		gefs_closetree(t);
	return rc;
}

/* The label's old record o goes the way of updatesnap (§13.4); the old
 * tree must be one the new one can replace without deadlists: a single
 * node born at or before o's base (a fresh image's), which nothing kills. */
static int
moveline(Snaps *s, GefsSnap *o, GefsSnap *t, const char *label)
{
	uint8_t k[GEFS_KEYMAX];
	GefsSnap p;

	if (o->ht != 1 || o->root.gen > (uint64_t)o->base)
		return gefs_seterr(&s->fs->err, ENOTEMPTY, "label %s already holds files: -d fills only a fresh image", label);
	o->nlbl -= 1;
	o->nref += 1;
	t->base = o->base;
	if (o->nlbl == 0 && o->nref == 1 && o->pred != o->gen) {
		/* folded away: t takes o's place after o's predecessor */
		t->pred = o->pred;
		if (getrec(s, (uint64_t)o->pred, &p) < 0)
			return -1;
		p.succ = t->gen;
		delkey(s, k, gefs_packsnapkey(k, (uint64_t)o->gen));
		return putsnap(s, &p);
	}
	t->pred = o->gen;
	o->succ = t->gen;
	return putsnap(s, o);
}

static int
labelok(Gefs *fs, const char *name, const char *what)
{
	size_t n = strlen(name);

	if (n == 0 || n > 127 || strcmp(name, "dump") == 0 || strcmp(name, "empty") == 0
	|| strcmp(name, "adm") == 0)
		return gefs_seterr(&fs->err, EINVAL, "%s \"%s\": not a usable label name", what, name);
	return 0;
}

/* Label's new record t (and snap's label, unless NULL) in the snapshot
 * pairs. */
static int
newrecord(GefsBulk *b, Snaps *s, GefsSnap *t, const char *label, const char *snap)
{
	GefsLabel l;
	GefsSnap o;
	int rc;

	if ((rc = getlab(s, label, &l)) < 0)
		return -1;
	if (rc == 0) {
		if (!(l.flags & 1))
			return gefs_seterr(&b->fs->err, EROFS, "label %s is immutable", label);
		if (getrec(s, l.gen, &o) < 0 || moveline(s, &o, t, label) < 0)
			return -1;
	} else {
		/* a new line forked from empty (§13.5) */
		if (getlab(s, "empty", &l) != 0 || getrec(s, l.gen, &o) < 0)
			return gefs_seterr(&b->fs->err, ENOENT, "the image has no label empty");
		t->pred = t->base = o.gen;
		o.nref += 1;
		if (putsnap(s, &o) < 0)
			return -1;
	}
	if (putlabel(s, label, (uint64_t)t->gen, 1) < 0)
		return -1;
	if (snap != NULL) {
		if (getlab(s, snap, &l) == 0 || strcmp(snap, label) == 0)
			return gefs_seterr(&b->fs->err, EEXIST, "label %s exists already", snap);
		t->nlbl += 1;
		if (putlabel(s, snap, (uint64_t)t->gen, 0) < 0)
			return -1;
	}
	return putsnap(s, t);
}

/* Blocks the new state no longer references, freed in the commit that
 * drops them (after every allocation, so that none is reused while the
 * old state is still the committed one). */
typedef struct Addrs {
	uint64_t	*a;
	size_t		n;
} Addrs;

static int
addaddr(Addrs *v, uint64_t a)
{
	uint64_t *n;

	if ((n = realloc(v->a, (v->n + 1) * sizeof *n)) == NULL)
		return -1;
	v->a = n;
	v->a[v->n++] = a;
	return 0;
}

static int
oldnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	(void)depth, (void)bp;
	return addaddr(arg, n->addr);
}

/* The nodes of tree t and, with data, the blocks its Kdat keys point at. */
static int
collect(GefsTree *t, bool data, Addrs *v)
{
	static const uint8_t kdat[] = {GEFS_KDAT};
	GefsScan *sc;
	GefsBptr bp;
	GefsKv kv;
	int rc;

	if (gefs_walktree(t, -1, oldnode, v) != 0)
		return -1;
	if (!data)
		return 0;
	if ((sc = gefs_scanprefix(t, kdat, 1)) == NULL)
		return -1;
	while ((rc = gefs_scannext(sc, &kv)) > 0) {
		if (kv.nv != GEFS_PTRSZ)
			continue;
		gefs_unpackbptr(&bp, kv.v);
		if (addaddr(v, bp.addr) < 0) {
			rc = -1;
			break;
		}
	}
	gefs_scanfree(sc);
	return rc;
}

/* The old snapshot tree (§14.5) and, when its record went and nothing
 * else shares its root (a fresh image's adm), the old tree of label. */
static int
freeold(Gefs *fs, Alloc *al, const char *label)
{
	Addrs v = {NULL, 0};
	GefsTree *t;
	size_t i;
	int rc;

	if ((t = gefs_snaptree(fs)) == NULL)
		return -1;
	rc = collect(t, false, &v);
	gefs_closetree(t);
	if (rc == 0 && label != NULL) {
		if ((t = gefs_opentree(fs, label)) == NULL)
			rc = -1;
		else {
			rc = collect(t, true, &v);
			gefs_closetree(t);
		}
	}
	if (rc == 0 && logrun(al) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < v.n; i++)
		rc = blkfree(fs, v.a[i]);
	free(v.a);
	return rc ? -1 : 0;
}

/* Whether the snapshot pairs still hold a record whose tree root is at
 * addr (then that tree's blocks stay). */
static bool
rootused(Snaps *s, uint64_t addr)
{
	GefsSnap r;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->p[i].nk == 9 && s->p[i].k[0] == GEFS_KSNAP
		&& gefs_unpacksnap(&r, s->p[i].v, s->p[i].nv, NULL) == 0 && r.root.addr == addr)
			return true;
	return false;
}

/* ---- the adm tree with a new /users (§16) ---- */

static int
paircmp(const void *a, const void *b)
{
	const Pair *x = a, *y = b;

	return gefs_keycmp(x->k, x->nk, y->k, y->nk);
}


static int
loadtree(Snaps *s, const char *label)
{
	GefsTree *t;
	GefsScan *sc = NULL;
	GefsKv kv;
	int rc = -1;

	if ((t = gefs_opentree(s->fs, label)) == NULL || (sc = gefs_scan(t, NULL, 0, NULL, 0)) == NULL)
		goto out;
	while ((rc = gefs_scannext(sc, &kv)) > 0)
		if (kv.nv > GEFS_INLMAX || setkey(s, kv.k, kv.nk, kv.v, kv.nv) < 0) {
			rc = -1;
			break;
		}
out:
	gefs_scanfree(sc);
	if (t != NULL)
		gefs_closetree(t);
	return rc;
}

/* The users file's entry in adm's pairs: its key and Xdir. */
static Pair *
usersent(Snaps *s, GefsXdir *d)
{
	uint8_t k[GEFS_KEYMAX];
	GefsXdir root;
	Pair *p;

	if ((p = findkey(s, k, gefs_packentkey(k, GEFS_NONE, "", 0))) == NULL
	|| gefs_unpackxdir(&root, p->v, p->nv, &s->fs->err) < 0
	|| (p = findkey(s, k, gefs_packentkey(k, root.qpath, "users", 5))) == NULL
	|| gefs_unpackxdir(d, p->v, p->nv, &s->fs->err) < 0) {
		gefs_seterr(&s->fs->err, ENOENT, "label adm has no /users");
		return NULL;
	}
	return p;
}

/* Drop file q's data pointers; write text as its new blocks. */
static int
userdata(GefsBulk *b, Snaps *s, uint64_t q, uint64_t gen)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ], *blk = b->run;
	GefsBptr bp;
	uint64_t a, got;
	size_t i, off, m;

	for (i = s->n; i > 0; i--)
		if (s->p[i - 1].nk == 17 && s->p[i - 1].k[0] == GEFS_KDAT && gefs_get64(s->p[i - 1].k + 1) == q)
			s->p[i - 1] = s->p[--s->n];
	for (off = 0; off < b->nusers; off += B) {
		m = b->nusers - off < B ? b->nusers - off : B;
		memset(blk, 0, B);
		memcpy(blk, b->users + off, m);
		if (allocrun(&b->al, 1, &a, &got) < 0 || putblks(b->fs, blk, 1, a) < 0)
			return -1;
		bp = (GefsBptr){a, gefs_blkhash(blk), gen};
		gefs_packbptr(v, &bp);
		if (setkey(s, k, gefs_packdatkey(k, q, off), v, sizeof v) < 0)
			return -1;
	}
	return 0;
}

/* adm's new tree: the same pairs but /users (longer, its version bumped
 * as a write would) and its data. */
static int
newadm(GefsBulk *b, uint64_t gen, GefsBptr *root, int *ht)
{
	Snaps s = {b->fs, NULL, 0};
	GefsXdir d;
	Build bt;
	Pair *p;
	size_t i;
	int rc = -1;

	if (loadtree(&s, "adm") < 0 || (p = usersent(&s, &d)) == NULL)
		goto out;
	d.length = b->nusers;
	d.qvers++;
	gefs_packxdir(p->v, &d);
	if (userdata(b, &s, d.qpath, gen) < 0)
		goto out;
	qsort(s.p, s.n, sizeof *s.p, paircmp);
	if (buildinit(&bt, b->fs, &b->al, gen) < 0)
		goto out;
	for (i = 0; i < s.n; i++)
		if (buildadd(&bt, s.p[i].k, s.p[i].nk, s.p[i].v, s.p[i].nv) < 0)
			break;
	rc = i == s.n ? buildend(&bt, root, ht) : -1;
	buildfree(&bt);
out:
	free(s.p);
	return rc;
}

/* Write the new snapshot tree pointing at the new tree root/ht (and at
 * adm's new tree, generation gen + 1, when there is a new users file). */
static int
newsnaps(GefsBulk *b, const GefsBptr *root, int ht)
{
	Snaps s = {b->fs, NULL, 0};
	GefsSnap t = {0, 1, ht, 0, (int64_t)b->gen, -1, -1, 0, *root}, ta, old;
	GefsBptr sr, ar;
	GefsLabel l;
	Build bt;
	size_t i;
	int sht, aht, rc = -1;
	const char *drop = NULL;

	if (loadsnaps(&s) < 0 || newrecord(b, &s, &t, b->o.label, b->o.snap) < 0)
		goto out;
	if (b->users != NULL) {
		if (newadm(b, b->gen + 1, &ar, &aht) < 0)
			goto out;
		ta = (GefsSnap){0, 1, aht, 0, (int64_t)b->gen + 1, -1, -1, 0, ar};
		if (getlab(&s, "adm", &l) != 0 || getrec(&s, l.gen, &old) < 0 || newrecord(b, &s, &ta, "adm", NULL) < 0)
			goto out;
		if (!rootused(&s, old.root.addr))
			drop = "adm";
	}
	qsort(s.p, s.n, sizeof *s.p, paircmp);
	if (buildinit(&bt, b->fs, &b->al, 0) < 0)
		goto out;
	for (i = 0; i < s.n; i++)
		if (buildadd(&bt, s.p[i].k, s.p[i].nk, s.p[i].v, s.p[i].nv) < 0)
			break;
	rc = i == s.n ? buildend(&bt, &sr, &sht) : -1;
	buildfree(&bt);
	if (rc == 0 && (rc = freeold(b->fs, &b->al, drop)) == 0) {
		b->fs->sb.snapaddr = sr.addr;
		b->fs->sb.snaphash = sr.hash;
		b->fs->sb.snapht = (uint32_t)sht;
	}
out:
	free(s.p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* begin, end                                                         */
/* ------------------------------------------------------------------ */

GefsBulk *
gefs_bulkbegin(Gefs *fs, const GefsBulkOpts *o)
{
	GefsBulkAttr ra = {0775, 0, 0, -1, -1, GEFS_NONE, false};
	GefsBulk *b;

	if (devrdonly(fs->dev)) {
		gefs_seterr(&fs->err, EROFS, "%s is open read-only", devpath(fs->dev));
		return NULL;
	}
	if ((b = calloc(1, sizeof *b)) == NULL) {
		gefs_seterr(&fs->err, ENOMEM, "out of memory");
		return NULL;
	}
	b->fs = fs;
	gefs_defbulkopts(&b->o);
	if (o != NULL)
		b->o = *o;
	if (b->o.label == NULL)
		b->o.label = "main";
	b->gen = fs->sb.nextgen;
	b->nextqid = fs->sb.nextqid;
	b->al = (Alloc){.fs = fs};
	gefs_bulkroot(b, &ra);
	if ((strcmp(b->o.label, "main") != 0 && labelok(fs, b->o.label, "label") < 0)
	|| (b->o.snap != NULL && labelok(fs, b->o.snap, "snapshot") < 0)
	|| (b->wb[0].blk = aligned_alloc(4096, RUNBLK * B)) == NULL
	|| (b->wb[1].blk = aligned_alloc(4096, RUNBLK * B)) == NULL
	|| buildinit(&b->bt, fs, &b->al, b->gen) < 0
	|| sortinit(&b->so, fs, b->o.sortmem ? b->o.sortmem : SORTMEM, b->o.tmpdir) < 0) {
		if (b->wb[1].blk == NULL && fs->err.code == 0)
			gefs_seterr(&fs->err, ENOMEM, "out of memory");
		gefs_bulkfree(b);
		return NULL;
	}
	usebuf(b, 0);
	wrstart(&b->wr, fs->dev, b->o.threads);
	b->so.budget &= ~(size_t)7;
	if (b->so.budget > (1u << 30))
		b->so.budget = 1u << 30;
	return b;
}

static int
sortedpair(void *arg, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	GefsBulk *b = arg;

	return buildadd(&b->bt, k, nk, v, nv);
}

/* The root's entry and parent link, the sorted entries, the tree. */
static int
finishtree(GefsBulk *b, GefsBptr *root, int *ht)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_XDIRSZ], uk[GEFS_KEYMAX];
	size_t nk;

	nk = gefs_packentkey(k, GEFS_NONE, "", 0);
	gefs_packxdir(v, &b->root);
	if (sortadd(&b->so, k, nk, v, sizeof v) < 0
	|| sortadd(&b->so, uk, gefs_packupkey(uk, ROOTQID), k, nk) < 0
	|| sortend(&b->so, sortedpair, b) < 0)
		return -1;
	b->st.spilled = b->so.spilled;
	b->st.nrun = b->so.nspill;
	return buildend(&b->bt, root, ht);
}

int
gefs_bulkend(GefsBulk *b, GefsBulkStats *st)
{
	Gefs *fs = b->fs;
	GefsBptr root;
	int ht, rc = -1;

	if (bulkok(b) < 0 || flushrun(b) < 0 || settle(b) < 0 || finishtree(b, &root, &ht) < 0 || newsnaps(b, &root, ht) < 0
	|| logrun(&b->al) < 0)
		goto out;
	b->st.nodes = b->bt.nnode;
	b->st.height = ht;
	b->st.blocks = b->al.nblk;
	b->st.gen = b->gen;
	fs->sb.nextgen = b->gen + (b->users != NULL ? 2 : 1);
	if (b->nextqid > fs->sb.nextqid)
		fs->sb.nextqid = b->nextqid;
	/* data and nodes went past the cache; the commit's flush after its
	 * log stage (§15.2) makes them durable before any header or
	 * superblock names them */
	if (commit(fs) < 0)
		goto out;
	if (st != NULL)
		*st = b->st;
	rc = 0;
out:
	if (rc < 0)
		b->failed = true;
	return rc;
}

void
gefs_bulkfree(GefsBulk *b)
{
	if (b == NULL)
		return;
	wrstop(&b->wr);
	buildfree(&b->bt);
	sortfree(&b->so);
	free(b->wb[0].blk);
	free(b->wb[1].blk);
	free(b->users);
	free(b);
}

/* ------------------------------------------------------------------ */
/* sizing                                                             */
/* ------------------------------------------------------------------ */

/* Blocks a bulk load can take from a fresh image of size bytes: each
 * arena's free space (S − 3 blocks: log, and the two tail blocks are
 * outside it) less its reserve and two blocks for log growth, less the
 * formatter's four tree and data blocks. */
uint64_t
gefs_bulkcap(uint64_t size)
{
	GefsLayout lay;
	GefsErr e;
	uint64_t per, res;

	if (gefs_layout(&lay, size, &e) < 0)
		return 0;
	res = reserve(lay.arenasz);
	if (lay.arenasz < res + 5 * B)
		return 0;
	per = (lay.arenasz - res) / B - 5;
	return per * lay.narena - 4;
}

/* Blocks a load of n needs: data, leaves filled to within one largest
 * entry of full, pivots holding at least (8187 − 576) / 288 = 26
 * children, the snapshot tree, and the log entries' blocks. */
uint64_t
gefs_bulkblocks(const GefsBulkNeed *n)
{
	uint64_t kv, leaves, piv, names, logs;

	names = n->nfile + n->ndir + 1;
	kv = n->datablocks * (6 + 17 + GEFS_PTRSZ)
		+ names * (6 + 12 + GEFS_XDIRSZ) + n->namebytes
		+ (n->ndir + 1) * (6 + 9 + 12) + n->dirnamebytes;
	leaves = kv / (GEFS_LEAFSPC - (GEFS_KVMAX + 6)) + 1;
	piv = leaves / 25 + GEFS_MAXHT;
	logs = 2 * 8 + 4;
	return n->datablocks + leaves + piv + logs;
}

int
gefs_bulksize(const GefsBulkNeed *n, unsigned headroom, uint64_t *size)
{
	uint64_t need = gefs_bulkblocks(n), lo, hi, mid;

	need += need / 100 * headroom;
	lo = GEFS_MINSIZE;
	if (gefs_bulkcap(lo) >= need) {
		*size = lo;
		return 0;
	}
	hi = lo;
	while (gefs_bulkcap(hi) < need) {
		if (hi > UINT64_MAX / 4)
			return -1;
		hi *= 2;
	}
	while (hi - lo > B) {
		mid = lo + (hi - lo) / 2 / B * B;
		if (gefs_bulkcap(mid) >= need)
			hi = mid;
		else
			lo = mid;
	}
	*size = (hi + (1 << 20) - 1) / (1 << 20) * (1 << 20);	/* whole MiB */
	return 0;
}
