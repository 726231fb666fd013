/* SPDX-License-Identifier: MIT */
/*
 * ckwalk.c — the raw node walk of passes 3 and 4 (FORMAT.md §8, §20.2):
 * every node of the snapshot tree and of every snapshot's tree, each
 * distinct node read once (snapshots are walked in increasing generation
 * order, so the first record to reach a shared node has the smallest
 * generation and "pointer gen <= record gen" holds for every later one).
 * A node must read, match its pointer's hash, decode (§8.1), sit at the
 * level its height says, have the fill its parent records; a later pointer
 * to a shared node must agree with it (§20.2).  Every block reached is
 * marked in the block map with its kind (reachability, §14.6, §20.2);
 * data blocks are verified against their pointers (verify.c queues them).
 * Keys, values and messages of each node: ckkeys.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

/* Report pr found in the tree w walks ({tree}); structural errors are
 * counted (the namespace of a tree that has any is not checked). */
static void runflush(Walk *w);

void
wprob(Walk *w, int pr, Pctx *c)
{
	runflush(w);		/* the run's findings come first, as unbatched */
	if (problemof(pr)->flags & GEFS_PRSTRUCT)
		w->nerr++;
	c->tree = w->name;
	ckproblem(w->ck, pr, c);
}

/* GN0001: a pointer (described by what) born after the snapshot. */
void
wgen(Walk *w, uint64_t addr, uint64_t gen, const char *what)
{
	Pctx c = PCTX(addr);

	c.n[0] = (int64_t)gen;
	c.n[1] = (int64_t)w->gen;
	c.why = what;
	wprob(w, PR_GNBLOCK, &c);
}

/* Where a pointer is held: a block address, or the root pointer (from
 * is NONE: the snapshot record or the superblock). */
static const char *
fromname(uint64_t from, char buf[32])
{
	if (from == GEFS_NONE)
		return "the root pointer";
	snprintf(buf, 32, "0x%llx", (unsigned long long)from);
	return buf;
}

/* Report pr about a pointer held by block from: the holder is named
 * ({s1}) only now, a finding being rare and pointers many. */
static void
rfprob(Walk *w, int pr, Pctx *c, uint64_t from)
{
	char fb[32];

	c->s[1] = fromname(from, fb);
	wprob(w, pr, c);
}

/* Mark a reference to addr as kind; 1 when first reached (descend/read),
 * 2 when already seen as the same kind (shared with an earlier tree), 0
 * when bad. */
static int
refblock(Walk *w, uint64_t addr, int kind, uint64_t from)
{
	Check *ck = w->ck;
	Pctx c = PCTX(addr);
	uint8_t m;

	runflush(w);		/* the pending run's blocks are marked first */
	c.blk = from;
	c.s[0] = ckkindname(kind);
	/* ckinarea's test, on the map byte read once for all the tests */
	m = addr % B == 0 && addr / B < ck->nblk ? ckmap(ck, addr / B) : 0;
	if (!(m & MAREA)) {
		c.addr = from;
		c.x[0] = addr;
		rfprob(w, PR_RFADDR, &c, from);
		return 0;
	}
	if (ckgetcur(ck, addr)) {
		rfprob(w, PR_RFTWICE, &c, from);
		return 0;
	}
	cksetcur(ck, addr);
	if (!(m & MALLOC))
		rfprob(w, PR_RFFREE, &c, from);
	if ((m & KMASK) == KNONE) {
		ckmapor(ck, addr / B, (uint8_t)kind);
		return 1;
	}
	if ((m & KMASK) == kind)
		return 2;
	c.s[2] = ckkindname(m);
	rfprob(w, PR_RFKIND, &c, from);
	return 0;
}

/* -E nodata: a leaf's data pointers mostly name adjacent blocks (a file
 * written in order), and no block is read: such a run is accounted for
 * with a few range updates of the maps instead of five lookups a block.
 * The run is only deferred: it is flushed before any other block is
 * marked (refblock) and before any finding is reported (wprob), so the
 * maps and the findings are as if each pointer were taken at once. */

/* True when the run can be marked in one go: every block inside an
 * arena, allocated, of no kind yet, not reached before in this tree;
 * otherwise refblock finds out what is wrong, block by block. */
static bool
runclean(Walk *w, uint64_t lo, uint64_t hi)
{
	Check *ck = w->ck;
	uint64_t b, n;
	uint8_t m;

	if (hi > ck->nblk)
		return false;
	for (b = lo; b < hi; b += n) {
		m = ckmaprun(ck, b, hi, &n);
		if ((m & (MAREA | MALLOC | KMASK)) != (MAREA | MALLOC))
			return false;
	}
	for (b = lo; b < hi; b += n)
		if (bmrun(ck->cur, b, hi, &n) != 0)
			return false;
	return true;
}

/* Block i of the run, in pointer order. */
static uint64_t
runblk(const Walk *w, uint64_t i)
{
	return w->rundown ? w->runfirst - i * B : w->runfirst + i * B;
}

static void
runflush(Walk *w)
{
	Check *ck = w->ck;
	uint64_t n = w->runn, lo, i;

	if (n == 0)
		return;
	w->runn = 0;		/* before refblock: it flushes too */
	lo = (w->rundown ? runblk(w, n - 1) : w->runfirst) / B;
	if (runclean(w, lo, lo + n)) {
		if (bmupdate(ck->cur, lo, lo + n, 0, 1) < 0)
			for (i = 0; i < n; i++)
				cksetcur(ck, (lo + i) * B);	/* reports the want of memory */
		ckmapupd(ck, lo, lo + n, 0xff, KDATA);
		ck->st->ndata += n;
		return;
	}
	for (i = 0; i < n; i++)
		if (refblock(w, runblk(w, i), KDATA, w->runfrom) == 1)
			ck->st->ndata++;
}

/* Add data block addr, held by from, to the run (flushing a run it does
 * not extend); false when it cannot start one (unaligned or past the
 * device: refblock reports it).  A run that strays outside is checked
 * block by block at its flush (runclean). */
static bool
runadd(Walk *w, uint64_t addr, uint64_t from)
{
	if (w->runn > 0 && from == w->runfrom) {
		if ((w->runn == 1 || !w->rundown) && addr == runblk(w, w->runn - 1) + B) {
			w->rundown = false;
			w->runn++;
			return true;
		}
		if ((w->runn == 1 || w->rundown) && addr + B == runblk(w, w->runn - 1)) {
			w->rundown = true;
			w->runn++;
			return true;
		}
	}
	runflush(w);
	if (addr % B != 0 || addr / B >= w->ck->nblk)
		return false;
	w->runfrom = from;
	w->runfirst = addr;
	w->runn = 1;
	w->rundown = false;
	return true;
}

/* A data block found bad by the verification queue (verify.c); the
 * message is the one a serial read and hash would give. */
static void
databad(void *arg, uint64_t addr, uint64_t got, uint64_t want, int err, const char *ks)
{
	Walk *w = arg;
	Pctx c = PCTX(addr);
	char why[300];

	c.key = ks;
	if (err != 0) {
		snprintf(why, sizeof why, "%s: read at 0x%llx: %s", devpath(w->ck->fs->dev),
			(unsigned long long)addr, err < 0 ? "unexpected end of file" : strerror(err));
		c.why = why;
		wprob(w, PR_RFDATAREAD, &c);
	} else {
		c.x[0] = got;
		c.x[1] = want;
		wprob(w, PR_RFDATAHASH, &c);
	}
}

/* A data block pointer from a Kdat value or Oinsert (§10.5), under key
 * k[0, nk): the key is formatted only for a finding or for the
 * verification queue (which outlives the node holding it). */
void
refdata(Walk *w, const GefsBptr *bp, uint64_t from, const uint8_t *k, size_t nk)
{
	Check *ck = w->ck;
	Pctx c = PCTX(from);
	char why[200], ks[VQCTX];

	c.k = k;
	c.nk = nk;
	if (bp->gen > w->gen) {
		snprintf(why, sizeof why, "block 0x%llx: %s: data block", (unsigned long long)from,
			fmtkey(ks, sizeof ks, k, nk));
		wgen(w, from, bp->gen, why);
	}
	if (ck->o.nodata && runadd(w, bp->addr, from))
		return;		/* accounted for at the run's flush */
	if (refblock(w, bp->addr, KDATA, from) != 1)
		return;
	ck->st->ndata++;
	if (ck->o.nodata)
		return;		/* -E nodata: referenced and accounted for, not read */
	if (ck->vq != NULL && vqpush(ck->vq, bp->addr, bp->hash, fmtkey(ks, sizeof ks, k, nk), databad, w) == 0)
		return;		/* verified on a worker thread, reported through databad */
	c.addr = bp->addr;
	if (ckreadraw(ck, bp->addr, ck->buf) < 0) {
		c.why = ck->fs->err.msg;
		wprob(w, PR_RFDATAREAD, &c);
	} else if (gefs_blkhash(ck->buf) != bp->hash) {
		c.x[0] = gefs_blkhash(ck->buf);
		c.x[1] = bp->hash;
		wprob(w, PR_RFDATAHASH, &c);
	}
}

static void walknode(Walk *w, const GefsBptr *bp, int depth, int fill, uint64_t from, const Bound *lo, const Bound *hi);

/* Ask for every child of pivot n at once, runs of adjacent blocks
 * together: cold, a walk that reads them one by one waits for each (the
 * metadata-only check is mostly these reads). */
static void
prefetch(Walk *w, const GefsNode *n)
{
	GefsKv kv;
	GefsBptr bp;
	uint64_t lo = 0, len = 0;
	uint16_t fill;
	int i;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) < 0 || bp.addr % B != 0)
			continue;
		if (len > 0 && bp.addr == lo + len) {
			len += B;
			continue;
		}
		if (len > 0)
			devwillneed(w->ck->fs->dev, lo, len);
		lo = bp.addr;
		len = B;
	}
	if (len > 0)
		devwillneed(w->ck->fs->dev, lo, len);
}

/* The generation of child pointer i of pivot n: 0 in the snapshot tree
 * (§13), at most the snapshot's in a file-system tree. */
static void
childgen(Walk *w, const GefsNode *n, int i, const GefsBptr *bp)
{
	Pctx c = PCTX(n->addr);
	char why[120];

	if (w->snaptree && bp->gen != 0) {
		c.n[0] = i;
		c.x[0] = bp->addr;
		c.n[1] = (int64_t)bp->gen;
		wprob(w, PR_NDSNAPGEN, &c);
	}
	if (!w->snaptree && bp->gen > w->gen) {
		snprintf(why, sizeof why, "block 0x%llx: entry %d: child 0x%llx", (unsigned long long)n->addr, i,
			(unsigned long long)bp->addr);
		wgen(w, n->addr, bp->gen, why);
	}
}

static void
children(Walk *w, const GefsNode *n, int depth, const Bound *hi)
{
	GefsKv kv, nx;
	GefsBptr bp;
	GefsErr e;
	Bound clo, chi;
	uint16_t fill;
	Pctx c;
	int i;

	prefetch(w, n);
	for (i = 0; i < n->nval && !ckcancelled(w->ck); i++) {
		gefs_nodekv(n, i, &kv);
		e.code = 0;
		if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, &e) < 0) {
			c = PCTX(n->addr);
			c.k = kv.k;
			c.nk = kv.nk;
			c.why = e.msg;
			wprob(w, PR_KVVALUE, &c);
			continue;
		}
		childgen(w, n, i, &bp);
		clo.k = kv.k;
		clo.n = kv.nk;
		if (i + 1 < n->nval) {
			gefs_nodekv(n, i + 1, &nx);
			chi.k = nx.k;
			chi.n = nx.nk;
		} else
			chi = *hi;
		walknode(w, &bp, depth + 1, fill, n->addr, &clo, &chi);
	}
}

/* A later pointer to a node shared between trees (§20.2): its hash and
 * fill must be the node's, its gen that of the first pointer.  Only the
 * node is read again, not its subtree.  (Data blocks shared between trees
 * are verified at their first pointer only: remembering their pointers
 * would cost memory per data block.) */
static void
sharednode(Walk *w, const GefsBptr *bp, int fill, uint64_t from)
{
	Check *ck = w->ck;
	Pctx c = PCTX(bp->addr);
	GefsNode n;
	GefsErr e;
	char fb[32];
	int64_t g;
	Blk *b;

	e.code = 0;
	b = cacheget(ck->fs->cache, bp->addr, CACHE_READ, &e);
	if (b == NULL)
		return;		/* reported at the first pointer */
	c.s[0] = fromname(from, fb);
	if (gefs_blkhash(b->buf) != bp->hash) {
		c.x[0] = bp->hash;
		c.x[1] = gefs_blkhash(b->buf);
		wprob(w, PR_SHHASH, &c);
	} else if (fill >= 0 && gefs_unpacknode(&n, b->buf, bp->addr, &e) == 0 && gefs_nodefill(&n) != fill) {
		c.n[0] = fill;
		c.n[1] = gefs_nodefill(&n);
		wprob(w, PR_SHFILL, &c);
	}
	cacheput(ck->fs->cache, b);
	if (w->nodes != NULL && (g = amget(w->nodes, bp->addr)) >= 0 && (uint64_t)g != bp->gen) {
		c.n[0] = (int64_t)bp->gen;
		c.n[1] = g;
		wprob(w, PR_SHGEN, &c);
	}
}

/* Node n (at addr, pointed to from block from with fill recorded) sits
 * at the level its depth says, has the fill its parent records, is not
 * an empty leaf below the root nor a pivot of one entry. */
static void
nodeshape(Walk *w, const GefsNode *n, uint64_t addr, int depth, int fill, uint64_t from)
{
	Pctx c = PCTX(addr);
	int want = depth == w->ht - 1 ? GEFS_TLEAF : GEFS_TPIVOT;

	if (n->type != want) {
		c.s[0] = gefs_typename(n->type);
		c.n[0] = depth;
		c.n[1] = w->ht;
		wprob(w, PR_NDLEVEL, &c);
	}
	if (fill >= 0 && gefs_nodefill(n) != fill) {
		c.n[0] = gefs_nodefill(n);
		c.blk = from;
		c.n[1] = fill;
		wprob(w, PR_NDFILL, &c);
	}
	if (n->type == GEFS_TLEAF && depth > 0 && n->nval == 0)
		wprob(w, PR_NDEMPTY, &c);
	if (n->type == GEFS_TPIVOT && n->nval == 1)
		wprob(w, PR_NDONE, &c);
}

/* Check the node bp points to and, first time reached, its subtree. */
static void
walknode(Walk *w, const GefsBptr *bp, int depth, int fill, uint64_t from, const Bound *lo, const Bound *hi)
{
	Check *ck = w->ck;
	Pctx c = PCTX(bp->addr);
	GefsNode n;
	GefsErr e;
	char fb[32];
	Blk *b;

	switch (refblock(w, bp->addr, w->snaptree ? KSNODE : KFNODE, from)) {
	case 2:
		sharednode(w, bp, fill, from);
		return;
	case 1:
		break;
	default:
		return;
	}
	if (w->nodes != NULL && amput(w->nodes, bp->addr, bp->gen) < 0)
		w->nodes = NULL;	/* out of memory: the gen comparison stops */
	ck->st->nnode++;
	e.code = 0;
	b = cacheget(ck->fs->cache, bp->addr, CACHE_READ, &e);
	if (b == NULL) {
		c.why = e.msg;
		wprob(w, PR_NDREAD, &c);
		return;
	}
	blkhashonce(b);		/* hashed and decoded once: the namespace scan reuses both */
	if (b->vhash != bp->hash) {
		c.x[0] = b->vhash;
		c.s[0] = fromname(from, fb);
		c.x[1] = bp->hash;
		wprob(w, PR_NDHASH, &c);
	}
	if (gefs_unpacknode(&n, b->buf, bp->addr, &e) < 0) {
		c.why = e.msg;
		wprob(w, PR_NDDECODE, &c);
		goto out;
	}
	b->flags |= BLK_NODEOK;
	b->nodeh = b->vhash;
	nodeshape(w, &n, bp->addr, depth, fill, from);
	checkents(w, &n, lo, hi);
	if (n.type == GEFS_TPIVOT) {
		checkmsgs(w, &n, lo, hi);
		if (depth + 1 < w->ht)
			children(w, &n, depth, hi);
	}
out:
	cacheput(ck->fs->cache, b);
}

/* Walk a whole tree from its root pointer. */
void
walktree(Walk *w, const GefsBptr *root, uint64_t from)
{
	Bound none = {NULL, 0};
	Pctx c = PCTX(from);

	ckclearcur(w->ck);
	if (w->ht < 1 || w->ht > GEFS_MAXHT) {
		c.n[0] = w->ht;
		c.n[1] = GEFS_MAXHT;
		wprob(w, PR_NDHEIGHT, &c);
		return;
	}
	walknode(w, root, 0, -1, from, &none, &none);
	runflush(w);
}
