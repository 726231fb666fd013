/* SPDX-License-Identifier: MIT */
/*
 * sbfind — rebuilding a superblock when both copies are lost but the
 * arenas survive (gefs-fsck; as e2fsck falls back on a backup, except
 * that here there is none left, so the fields are derived):
 *
 *   arenas     arena 0's header is at block 1 (§5.3, H_0 = B); each arena
 *              that decodes (header, else footer, §5.1) gives the next
 *              position, H + 2B + S, which is where §5.3 (and a grow,
 *              §19) puts the next arena; the chain must end within an
 *              arena count of blocks before the backup superblock (the
 *              unused tail of §5.3), else an arena was lost and nothing
 *              is rebuilt.  arena[i].hash is the hash of the copy used.
 *   qgen       the greatest LogSync generation in the logs (§6.2): the
 *              barrier of the last commit whose log tails were written.
 *   snap root  among the blocks the logs leave allocated when replayed up
 *              to that barrier (§6.4), the tree nodes holding snapshot-tree
 *              keys (Klabel, Ksnap, Kdlist, Kconf) that no such pivot
 *              points to and whose whole tree reads with every hash
 *              matching; if several, the one allocated last: by the
 *              commit (barrier) its allocation entry belongs to, then by
 *              log position within one arena; a block no entry allocates
 *              (compacted or formatted so) is older than any that one
 *              does; two roots of one commit in two arenas are a tie, not
 *              resolved.
 *   nextgen    1 + the greatest generation of a Ksnap or Kdlist key, or
 *              of a node or data block pointer in any snapshot.
 *   nextqid    1 + the greatest qid path of an entry in any snapshot.
 *              (Both can come out lower than the lost ones: generations
 *              and qids of what was deleted are not recorded anywhere.)
 *   the rest   blksz, bufspc, snapdl NONE, flag 0 as every image has; the
 *              tail (extension record) of a copy whose record decodes.
 *
 * Everything is read raw; the result is written to both copies only when
 * the checker's mode allows the repair (-y), and checking goes on from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum {
	B	= GEFS_BLKSZ,
	LOGBODY	= GEFS_BLKSZ - GEFS_LOGSPC,	/* body offset of a Tlog block (§6.1) */
};

typedef struct Cand {
	uint64_t	addr;
	uint64_t	epoch;		/* generation of the barrier after its allocation */
	uint64_t	idx;		/* entry position in its arena's log */
	int		arena;		/* -1: allocation not seen (formatted so) */
	bool		child;		/* a snapshot-tree pivot points to it */
	int		ht;		/* verified root: its height; 0 not a root */
} Cand;

typedef struct Find {
	Check		*ck;
	int		n;
	uint64_t	addr[GEFS_MAXARENA], hash[GEFS_MAXARENA];
	GefsArenaHdr	hdr[GEFS_MAXARENA];
	uint64_t	qgen;
	uint8_t		*alloc;		/* bit per block, after replay */
	Cand		*c;
	size_t		nc, cap;
	uint8_t		*buf;
	char		why[256];	/* why nothing can be rebuilt */
} Find;

typedef void (*Entfn)(Find *f, int ai, uint64_t idx, const GefsLogEnt *le);

static bool
bit(const uint8_t *m, uint64_t b)
{
	return (m[b / 8] >> (b % 8)) & 1;
}

static void
setbits(Find *f, uint64_t addr, uint64_t len, bool on)
{
	uint64_t b;

	for (b = addr / B; b < (addr + len) / B && b < f->ck->nblk; b++)
		if (on)
			f->alloc[b / 8] |= (uint8_t)(1u << (b % 8));
		else
			f->alloc[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/* Is copy i of the superblock usable as it is (magic, hash)? */
static bool
sbusable(Check *ck, int i, uint8_t *buf)
{
	GefsSb sb;

	if (ckreadraw(ck, ck->sbaddr[i], buf) < 0)
		return false;
	return gefs_unpacksb(&sb, buf, ck->sbaddr[i], NULL) == 0 && gefs_sbhashok(buf, sb.narena);
}

/* The arena at h: header, else footer, decoding with a plausible size. */
static int
arenaat(Find *f, uint64_t h)
{
	GefsArenaHdr a;
	int c;

	for (c = 0; c < 2; c++) {
		if (ckreadraw(f->ck, h + (uint64_t)c * B, f->buf) < 0
		    || gefs_unpackarena(&a, f->buf, h + (uint64_t)c * B, NULL) < 0)
			continue;
		if (a.size == 0 || a.size % B != 0 || a.size > f->ck->sbaddr[1]
		    || h + 2 * B + a.size > f->ck->sbaddr[1])
			continue;
		f->addr[f->n] = h;
		f->hash[f->n] = gefs_blkhash(f->buf);
		f->hdr[f->n] = a;
		f->n++;
		return 0;
	}
	return -1;
}

/* Follow the chain of arenas from block 1 (§5.3, §19). */
static int
findarenas(Find *f)
{
	uint64_t h = B, tail;

	while (f->n < GEFS_MAXARENA - 1 && h < f->ck->sbaddr[1] && arenaat(f, h) == 0)
		h = f->addr[f->n - 1] + 2 * B + f->hdr[f->n - 1].size;
	if (f->n == 0) {
		snprintf(f->why, sizeof f->why, "no arena header or footer decodes at 0x%llx or 0x%llx",
			(unsigned long long)B, (unsigned long long)(2 * B));
		return -1;
	}
	tail = (f->ck->sbaddr[1] - h) / B;
	if (h > f->ck->sbaddr[1] || tail >= (uint64_t)f->n + 1)
		return snprintf(f->why, sizeof f->why, "the arena chain ends at 0x%llx after %d arenas, "
			"%llu blocks before the backup superblock: an arena is lost",
			(unsigned long long)h, f->n, (unsigned long long)tail), -1;
	return 0;
}

/* One entry of replay1's walk (a gefs_logbody callback). */
typedef struct Lwalk Lwalk;
struct Lwalk {
	Find		*f;
	int		ai;
	uint64_t	stop, idx, *maxsync;
	Entfn		fn;
	bool		done;
};

static int
replayent(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Lwalk *k = arg;

	(void)off, (void)w;
	if (k->fn != NULL)
		k->fn(k->f, k->ai, k->idx, le);
	k->idx++;
	if (le->op == GEFS_LOGSYNC) {
		if (le->qgen > *k->maxsync)
			*k->maxsync = le->qgen;
		if (k->stop != GEFS_NONE && le->qgen >= k->stop)
			return k->done = true, 1;
	}
	return 0;
}

/* Replay arena ai's log, calling fn for every entry, up to the first
 * barrier >= stop (stop NONE: to the end); *maxsync gets the greatest
 * barrier generation seen. */
static int
replay1(Find *f, int ai, uint64_t stop, Entfn fn, uint64_t *maxsync)
{
	uint64_t bp = f->hdr[ai].loghdaddr, nblk = 0;
	Lwalk k = {f, ai, stop, 0, maxsync, fn, false};
	GefsLogHdr h;
	size_t bad;

	for (; bp != GEFS_NONE && !k.done; bp = h.chain.addr) {
		if (++nblk > f->hdr[ai].size / B || ckreadraw(f->ck, bp, f->buf) < 0
		    || gefs_unpackloghdr(&h, f->buf, GEFS_TLOG, bp, NULL) < 0)
			return snprintf(f->why, sizeof f->why, "arena %d: log block 0x%llx cannot be read or decoded",
				ai, (unsigned long long)bp), -1;
		if (gefs_logbody(f->buf, h.logsz, 0, bp, replayent, &k, &bad, NULL) < 0)
			return snprintf(f->why, sizeof f->why, "arena %d: log block 0x%llx: bad entry at %zu",
				ai, (unsigned long long)bp, bad), -1;
	}
	return 0;
}

static int
replayall(Find *f, uint64_t stop, Entfn fn)
{
	uint64_t max = 0;
	int i;

	for (i = 0; i < f->n; i++)
		if (replay1(f, i, stop, fn, &max) < 0)
			return -1;
	if (stop == GEFS_NONE)
		f->qgen = max;
	return 0;
}

/* Allocation state: the whole arena allocated, then the log (§6.4). */
static void
allocent(Find *f, int ai, uint64_t idx, const GefsLogEnt *le)
{
	uint64_t lo = f->addr[ai], hi = lo + 2 * B + f->hdr[ai].size;

	(void)idx;
	if (le->op == GEFS_LOGSYNC)
		return;
	if (le->addr < lo || le->addr >= hi || le->len > hi - le->addr)
		return;		/* outside its arena: the checker reports it later */
	setbits(f, le->addr, le->len, le->op == GEFS_LOGALLOC1 || le->op == GEFS_LOGALLOC);
}

static int
candcmp(const void *a, const void *b)
{
	const Cand *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static Cand *
candof(Find *f, uint64_t addr)
{
	Cand key = { .addr = addr };

	return f->nc ? bsearch(&key, f->c, f->nc, sizeof *f->c, candcmp) : NULL;
}

/* When was each candidate allocated: by the last allocation entry for
 * it, in the commit of the barrier that follows that entry in its log
 * (a compacted log starts without a barrier, so the one before would not
 * do); PENDING until that barrier is seen, and after the last one, the
 * newest.  A block no entry allocates was allocated before its log was
 * compacted or formatted: older than any (arena -1). */
enum { PENDING = UINT64_MAX };

static void
stampent(Find *f, int ai, uint64_t idx, const GefsLogEnt *le)
{
	uint64_t a;
	size_t i;
	Cand *c;

	if (le->op == GEFS_LOGSYNC) {
		for (i = 0; i < f->nc; i++)
			if (f->c[i].arena == ai && f->c[i].epoch == PENDING)
				f->c[i].epoch = le->qgen;
		return;
	}
	if (le->op != GEFS_LOGALLOC1 && le->op != GEFS_LOGALLOC)
		return;
	for (a = le->addr; a - le->addr < le->len && a / B < f->ck->nblk; a += B)
		if ((c = candof(f, a)) != NULL) {
			c->epoch = PENDING;
			c->idx = idx;
			c->arena = ai;
		}
}

static bool
snapkey(const GefsNode *n)
{
	GefsKv kv;
	int t;

	if (n->nval == 0)
		return false;
	gefs_nodekv(n, 0, &kv);
	t = kv.nk > 0 ? kv.k[0] : -1;
	return t == GEFS_KLABEL || t == GEFS_KSNAP || t == GEFS_KDLIST || t == GEFS_KCONF;
}

static int
candadd(Find *f, uint64_t addr)
{
	Cand *nc;

	if (f->nc == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		nc = realloc(f->c, f->cap * sizeof *nc);
		if (nc == NULL)
			return gefs_seterr(f->ck->e, ENOMEM, "check: out of memory");
		f->c = nc;
	}
	memset(&f->c[f->nc], 0, sizeof *f->c);
	f->c[f->nc].addr = addr;
	f->c[f->nc].arena = -1;
	f->nc++;
	return 0;
}

/* Every allocated block that is a node of a snapshot tree. */
static int
findnodes(Find *f)
{
	GefsNode n;
	uint64_t b;

	for (b = 1; b + 1 < f->ck->nblk; b++) {
		if (!bit(f->alloc, b) || ckreadraw(f->ck, b * B, f->buf) < 0)
			continue;
		if (gefs_get16(f->buf) != GEFS_TPIVOT && gefs_get16(f->buf) != GEFS_TLEAF)
			continue;
		if (gefs_unpacknode(&n, f->buf, b * B, NULL) == 0 && snapkey(&n) && candadd(f, b * B) < 0)
			return -1;
	}
	return 0;
}

/* Mark the children of every candidate pivot. */
static void
markchildren(Find *f)
{
	GefsNode n;
	GefsKv kv;
	GefsBptr bp;
	uint16_t fill;
	Cand *c;
	size_t i;
	int j;

	for (i = 0; i < f->nc; i++) {
		if (ckreadraw(f->ck, f->c[i].addr, f->buf) < 0
		    || gefs_unpacknode(&n, f->buf, f->c[i].addr, NULL) < 0 || n.type != GEFS_TPIVOT)
			continue;
		for (j = 0; j < n.nval; j++) {
			gefs_nodekv(&n, j, &kv);
			if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) == 0 && (c = candof(f, bp.addr)) != NULL)
				c->child = true;
		}
	}
}

static int
countnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	(void)arg, (void)depth, (void)n, (void)bp;
	return 0;
}

/* The height of the tree under c, if the whole of it reads with every
 * hash matching; 0 otherwise. */
static int
verifyroot(Find *f, Cand *c, GefsBptr *root)
{
	GefsTree t;
	GefsNode n;
	GefsKv kv;
	uint16_t fill;
	GefsBptr bp = { c->addr, 0, 0 };
	bool ign = f->ck->fs->opts.ignhash;
	int ht, rc;

	for (ht = 1; ht <= GEFS_MAXHT; ht++) {
		if (ckreadraw(f->ck, bp.addr, f->buf) < 0 || gefs_unpacknode(&n, f->buf, bp.addr, NULL) < 0)
			return 0;
		if (ht == 1)
			root->hash = gefs_blkhash(f->buf);
		if (n.type == GEFS_TLEAF)
			break;
		gefs_nodekv(&n, 0, &kv);
		if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) < 0)
			return 0;
	}
	root->addr = c->addr;
	root->gen = GEFS_NONE;
	if (ht > GEFS_MAXHT || treeinit(&t, f->ck->fs, root, ht, "snapshot tree") < 0)
		return 0;
	f->ck->fs->opts.ignhash = false;
	rc = gefs_walktree(&t, -1, countnode, NULL);
	f->ck->fs->opts.ignhash = ign;
	return rc == 0 ? ht : 0;
}

/* Is a allocated later than b?  0 when it cannot be told. */
static int
newer(const Cand *a, const Cand *b)
{
	if (a->arena < 0 || b->arena < 0)
		return a->arena < 0 && b->arena < 0 ? 0 : a->arena < 0 ? -1 : 1;
	if (a->epoch != b->epoch)
		return a->epoch > b->epoch ? 1 : -1;
	if (a->arena != b->arena)
		return 0;
	return a->idx > b->idx ? 1 : -1;
}

/* The newest verified root; -1 with f->why when there is none or two. */
static int
pickroot(Find *f, GefsSb *sb)
{
	GefsBptr bp, best = { GEFS_NONE, 0, 0 };
	Cand *b = NULL;
	bool tie = false;
	size_t i;
	int ht;

	for (i = 0; i < f->nc; i++) {
		if (f->c[i].child || (ht = verifyroot(f, &f->c[i], &bp)) == 0)
			continue;
		f->c[i].ht = ht;
		if (b == NULL || newer(&f->c[i], b) != 0) {
			if (b == NULL || newer(&f->c[i], b) > 0) {
				tie = false;
				b = &f->c[i];
				best = bp;
			}
		} else
			tie = true;
	}
	if (b == NULL)
		return snprintf(f->why, sizeof f->why, "no snapshot-tree root among the %zu snapshot-tree nodes "
			"the logs leave allocated", f->nc), -1;
	if (tie)
		return snprintf(f->why, sizeof f->why, "two snapshot-tree roots, 0x%llx and another, "
			"cannot be ordered", (unsigned long long)b->addr), -1;
	sb->snapaddr = best.addr;
	sb->snaphash = best.hash;
	sb->snapht = (uint32_t)b->ht;
	return 0;
}

typedef struct Maxes {
	uint64_t	gen, qid;
	bool		anygen;
} Maxes;

static void
nodamage(void *arg, const GefsDamage *dm)
{
	(void)arg, (void)dm;	/* counted by the tree; the checker reports it */
}

static void
maxgen(Maxes *m, uint64_t g)
{
	if (g != GEFS_NONE && g > m->gen)
		m->gen = g;
}

/* Birth generations of the nodes of a tree (§13.1). */
static int
nodegen(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	(void)depth, (void)n;
	maxgen(arg, bp->gen);
	return 0;
}

/* The greatest qid path of an entry, and birth generation of a node or
 * data block, in the tree of snapshot s. */
static void
maxqid(Find *f, const GefsSnap *s, Maxes *m)
{
	GefsTree t;
	GefsScan *sc;
	GefsKv kv;
	GefsXdir d;
	GefsBptr bp;

	if (treeinit(&t, f->ck->fs, &s->root, s->ht, "snapshot") < 0)
		return;
	gefs_tolerate(&t, nodamage, NULL);
	sc = gefs_scan(&t, NULL, 0, NULL, 0);
	while (sc != NULL && gefs_scannext(sc, &kv) == 1) {
		if (kv.nk > 0 && kv.k[0] == GEFS_KENT && gefs_unpackxdir(&d, kv.v, kv.nv, NULL) == 0
		    && !(d.qpath >> 63) && d.qpath > m->qid)
			m->qid = d.qpath;
		if (kv.nk > 0 && kv.k[0] == GEFS_KDAT && kv.nv == GEFS_PTRSZ) {
			gefs_unpackbptr(&bp, kv.v);
			maxgen(m, bp.gen);
		}
	}
	gefs_scanfree(sc);
	gefs_walktree(&t, -1, nodegen, m);	/* a damaged part is the checker's to report */
}

/* nextgen and nextqid from the snapshot tree and every snapshot. */
static void
counters(Find *f, GefsSb *sb)
{
	GefsBptr root = { sb->snapaddr, sb->snaphash, GEFS_NONE };
	Maxes m = { 0, 0, false };
	GefsTree t;
	GefsScan *sc;
	GefsKv kv;
	GefsKey k;
	GefsSnap s;

	if (treeinit(&t, f->ck->fs, &root, (int)sb->snapht, "snapshot tree") < 0)
		return;
	gefs_tolerate(&t, nodamage, NULL);
	sc = gefs_scan(&t, NULL, 0, NULL, 0);
	while (sc != NULL && gefs_scannext(sc, &kv) == 1) {
		if (gefs_unpackkey(&k, kv.k, kv.nk, NULL) < 0)
			continue;
		if (k.type == GEFS_KSNAP || k.type == GEFS_KDLIST) {
			if (!m.anygen || k.gen > m.gen)
				m.gen = k.gen;
			m.anygen = true;
		}
		if (k.type == GEFS_KDLIST && k.bgen > m.gen)
			m.gen = k.bgen;
		if (k.type == GEFS_KSNAP && gefs_unpacksnap(&s, kv.v, kv.nv, NULL) == 0)
			maxqid(f, &s, &m);
	}
	gefs_scanfree(sc);
	sb->nextgen = m.gen + 1;
	sb->nextqid = m.qid + 1;
}

/* Arenas, qgen and the allocation state, then the snapshot-tree root and
 * the counters: the superblock f describes, or -1 with f->why. */
static int
derive(Find *f, GefsSb *sb)
{
	int i;

	memset(sb, 0, sizeof *sb);
	if (findarenas(f) < 0 || replayall(f, GEFS_NONE, NULL) < 0)
		return -1;
	for (i = 0; i < f->n; i++)
		setbits(f, f->addr[i], 2 * B + f->hdr[i].size, true);
	if (replayall(f, f->qgen ? f->qgen : GEFS_NONE, allocent) < 0 || findnodes(f) < 0)
		return -1;
	qsort(f->c, f->nc, sizeof *f->c, candcmp);
	if (replayall(f, f->qgen ? f->qgen : GEFS_NONE, stampent) < 0)
		return -1;
	markchildren(f);
	if (pickroot(f, sb) < 0)
		return -1;
	sb->blksz = GEFS_BLKSZ;
	sb->bufspc = GEFS_BUFSPC;
	sb->narena = (uint32_t)f->n;
	sb->dlhdaddr = sb->dlhdhash = sb->dltladdr = sb->dltlhash = GEFS_NONE;
	sb->qgen = f->qgen;
	for (i = 0; i < f->n; i++) {
		sb->arenaaddr[i] = f->addr[i];
		sb->arenahash[i] = f->hash[i];
	}
	counters(f, sb);
	return 0;
}

/* The block to write: the tail of a copy whose extension record still
 * decodes (§22), else zeros; then the rebuilt prefix. */
static int
packnew(Find *f, GefsSb *sb, uint8_t *blk, bool *xrec)
{
	GefsXrec x;
	int i;

	memset(blk, 0, B);
	*xrec = false;
	for (i = 1; i >= 0; i--)
		if (ckreadraw(f->ck, f->ck->sbaddr[i], f->buf) == 0
		    && gefs_unpacksbxrec(&x, f->buf, NULL) == 0) {
			memcpy(blk, f->buf, B);
			*xrec = true;
		}
	return gefs_packsb(blk, sb, f->ck->e);
}

static int
writesb(Check *ck, const uint8_t *blk)
{
	if (devwrite(ck->fs->dev, blk, B, ck->sbaddr[0], ck->e) < 0
	    || devwrite(ck->fs->dev, blk, B, ck->sbaddr[1], ck->e) < 0)
		return -1;
	return devsync(ck->fs->dev, ck->e);
}

/* Report the rebuild (SB0018), write it when the mode says so. */
static int
rebuild(Find *f, GefsSb *sb)
{
	Check *ck = f->ck;
	uint8_t *blk;
	bool xrec;
	int rc = 1;
	Pctx c = PCTX(ck->sbaddr[0]);

	blk = malloc(B);
	if (blk == NULL || packnew(f, sb, blk, &xrec) < 0) {
		free(blk);
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	}
	c.n[0] = f->n;
	c.n[1] = sb->snapht;
	c.blk = sb->snapaddr;
	c.x[0] = sb->qgen;
	c.x[1] = sb->nextgen;
	c.x[2] = sb->nextqid;
	if (ckproblem(ck, PR_SBREBUILD, &c)) {
		if (writesb(ck, blk) < 0)
			rc = -1;
		else
			rc = 0;
	}
	if (!xrec)
		cknote(ck, PR_SBXLOST, &PCTX(ck->sbaddr[0]));
	free(blk);
	return rc;
}

int
sbfind(Check *ck)
{
	Find f;
	GefsSb sb;
	int rc;
	Pctx c = PCTX(ck->sbaddr[0]);

	memset(&f, 0, sizeof f);
	f.ck = ck;
	f.buf = malloc(B);
	if (f.buf == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	if (ck->o.sbcopy == 0 || ck->o.sbcopy == 1 || sbusable(ck, 0, f.buf) || sbusable(ck, 1, f.buf)) {
		free(f.buf);
		return 0;	/* a copy to start from: choosesb's business */
	}
	f.alloc = calloc(ck->nblk / 8 + 1, 1);
	if (f.alloc == NULL)
		rc = gefs_seterr(ck->e, ENOMEM, "check: out of memory for %llu blocks",
			(unsigned long long)ck->nblk);
	else if (derive(&f, &sb) == 0)
		rc = rebuild(&f, &sb);
	else if (f.why[0] == 0)
		rc = -1;	/* out of memory, in ck->e */
	else if (f.n == 0)
		rc = 0;		/* no arena either: perhaps not GEFS at all (choosesb says) */
	else {
		c.why = f.why;
		cknote(ck, strstr(f.why, "arena chain") ? PR_SBNOARENA : PR_SBNOROOT, &c);
		rc = 1;
	}
	free(f.alloc);
	free(f.c);
	free(f.buf);
	return rc;
}
