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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

/* Report pr prefixed with the tree's name; structural errors are counted. */
void
werr(Walk *w, int pr, uint64_t addr, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (problemof(pr)->flags & GEFS_PRSTRUCT)
		w->nerr++;
	ckreport(w->ck, pr, addr, "%s: %s", w->name, msg);
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

/* Mark a reference to addr as kind; 1 when first reached (descend/read),
 * 2 when already seen as the same kind (shared with an earlier tree), 0
 * when bad. */
static int
refblock(Walk *w, uint64_t addr, int kind, uint64_t from)
{
	Check *ck = w->ck;
	char fb[32];
	uint8_t m;

	if (!ckinarea(ck, addr)) {
		werr(w, PR_RFADDR, from, "block 0x%llx: pointer to %s 0x%llx outside every arena's data area",
			(unsigned long long)from, ckkindname(kind), (unsigned long long)addr);
		return 0;
	}
	if (ckgetcur(ck, addr)) {
		werr(w, PR_RFTWICE, addr, "block 0x%llx: %s 0x%llx reached twice in this tree",
			(unsigned long long)from, ckkindname(kind), (unsigned long long)addr);
		return 0;
	}
	cksetcur(ck, addr);
	m = ckmap(ck, addr / B);
	if (!(m & MALLOC))
		werr(w, PR_RFFREE, addr, "%s 0x%llx (pointed to by %s) is free according to the allocation log",
			ckkindname(kind), (unsigned long long)addr, fromname(from, fb));
	if ((m & KMASK) == KNONE) {
		ckmapor(ck, addr / B, (uint8_t)kind);
		return 1;
	}
	if ((m & KMASK) == kind)
		return 2;
	werr(w, PR_RFKIND, addr, "block 0x%llx: %s 0x%llx is also used as a %s",
		(unsigned long long)from, ckkindname(kind), (unsigned long long)addr, ckkindname(m));
	return 0;
}

/* A data block found bad by the verification queue (verify.c); the
 * message is the one a serial read and hash would give. */
static void
databad(void *arg, uint64_t addr, uint64_t got, uint64_t want, int err, const char *ks)
{
	Walk *w = arg;

	if (err != 0)
		werr(w, PR_RFDATAREAD, addr, "%s: data block 0x%llx: %s: read at 0x%llx: %s", ks,
			(unsigned long long)addr, devpath(w->ck->fs->dev), (unsigned long long)addr,
			err < 0 ? "unexpected end of file" : strerror(err));
	else
		werr(w, PR_RFDATAHASH, addr, "%s: data block 0x%llx: hash 0x%016llx, pointer says 0x%016llx", ks,
			(unsigned long long)addr, (unsigned long long)got, (unsigned long long)want);
}

/* A data block pointer from a Kdat value or Oinsert (§10.5). */
void
refdata(Walk *w, const GefsBptr *bp, uint64_t from, const char *ks)
{
	Check *ck = w->ck;

	if (bp->gen > w->gen)
		werr(w, PR_GNBLOCK, from, "block 0x%llx: %s: data block gen %llu after the snapshot's gen %llu",
			(unsigned long long)from, ks, (unsigned long long)bp->gen, (unsigned long long)w->gen);
	if (refblock(w, bp->addr, KDATA, from) != 1)
		return;
	ck->st->ndata++;
	if (ck->o.nodata)
		return;		/* -E nodata: referenced and accounted for, not read */
	if (ck->vq != NULL && vqpush(ck->vq, bp->addr, bp->hash, ks, databad, w) == 0)
		return;		/* verified on a worker thread, reported through databad */
	if (ckreadraw(ck, bp->addr, ck->buf) < 0)
		werr(w, PR_RFDATAREAD, bp->addr, "%s: data block 0x%llx: %s", ks, (unsigned long long)bp->addr,
			ck->fs->err.msg);
	else if (gefs_blkhash(ck->buf) != bp->hash)
		werr(w, PR_RFDATAHASH, bp->addr, "%s: data block 0x%llx: hash 0x%016llx, pointer says 0x%016llx", ks,
			(unsigned long long)bp->addr, (unsigned long long)gefs_blkhash(ck->buf), (unsigned long long)bp->hash);
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

static void
children(Walk *w, const GefsNode *n, int depth, const Bound *hi)
{
	GefsKv kv, nx;
	GefsBptr bp;
	GefsErr e;
	Bound clo, chi;
	uint16_t fill;
	int i;

	prefetch(w, n);
	for (i = 0; i < n->nval && !ckcancelled(w->ck); i++) {
		gefs_nodekv(n, i, &kv);
		e.code = 0;
		if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, &e) < 0) {
			werr(w, PR_KVVALUE, n->addr, "block 0x%llx: entry %d: %s", (unsigned long long)n->addr, i, e.msg);
			continue;
		}
		if (w->snaptree && bp.gen != 0)
			werr(w, PR_NDSNAPGEN, n->addr, "block 0x%llx: entry %d: child 0x%llx has gen %llu, not 0",
				(unsigned long long)n->addr, i, (unsigned long long)bp.addr, (unsigned long long)bp.gen);
		if (!w->snaptree && bp.gen > w->gen)
			werr(w, PR_GNBLOCK, n->addr, "block 0x%llx: entry %d: child 0x%llx born in gen %llu, after the snapshot's gen %llu",
				(unsigned long long)n->addr, i, (unsigned long long)bp.addr, (unsigned long long)bp.gen,
				(unsigned long long)w->gen);
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
	GefsNode n;
	GefsErr e;
	char fb[32];
	int64_t g;
	Blk *b;

	e.code = 0;
	b = cacheget(ck->fs->cache, bp->addr, CACHE_READ, &e);
	if (b == NULL)
		return;		/* reported at the first pointer */
	if (gefs_blkhash(b->buf) != bp->hash)
		werr(w, PR_SHHASH, bp->addr, "shared node 0x%llx: %s says hash 0x%016llx, the node hashes to 0x%016llx",
			(unsigned long long)bp->addr, fromname(from, fb), (unsigned long long)bp->hash,
			(unsigned long long)gefs_blkhash(b->buf));
	else if (fill >= 0 && gefs_unpacknode(&n, b->buf, bp->addr, &e) == 0 && gefs_nodefill(&n) != fill)
		werr(w, PR_SHFILL, bp->addr, "shared node 0x%llx: %s records fill %d, the node's is %d",
			(unsigned long long)bp->addr, fromname(from, fb), fill, gefs_nodefill(&n));
	cacheput(ck->fs->cache, b);
	if (w->nodes != NULL && (g = amget(w->nodes, bp->addr)) >= 0 && (uint64_t)g != bp->gen)
		werr(w, PR_SHGEN, bp->addr, "shared node 0x%llx: %s says gen %llu, an earlier pointer %llu",
			(unsigned long long)bp->addr, fromname(from, fb), (unsigned long long)bp->gen,
			(unsigned long long)g);
}

/* Check the node bp points to and, first time reached, its subtree. */
static void
walknode(Walk *w, const GefsBptr *bp, int depth, int fill, uint64_t from, const Bound *lo, const Bound *hi)
{
	Check *ck = w->ck;
	GefsNode n;
	GefsErr e;
	char fb[32];
	Blk *b;
	int want;

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
		werr(w, PR_NDREAD, bp->addr, "block 0x%llx: %s", (unsigned long long)bp->addr, e.msg);
		return;
	}
	blkhashonce(b);		/* hashed and decoded once: the namespace scan reuses both */
	if (b->vhash != bp->hash)
		werr(w, PR_NDHASH, bp->addr, "block 0x%llx: hash 0x%016llx, %s says 0x%016llx",
			(unsigned long long)bp->addr, (unsigned long long)b->vhash,
			from == GEFS_NONE ? "the root pointer" : fromname(from, fb), (unsigned long long)bp->hash);
	if (gefs_unpacknode(&n, b->buf, bp->addr, &e) < 0) {
		werr(w, PR_NDDECODE, bp->addr, "%s", e.msg);
		goto out;
	}
	b->flags |= BLK_NODEOK;
	b->nodeh = b->vhash;
	want = depth == w->ht - 1 ? GEFS_TLEAF : GEFS_TPIVOT;
	if (n.type != want)
		werr(w, PR_NDLEVEL, bp->addr, "block 0x%llx: a %s at depth %d of a tree of height %d",
			(unsigned long long)bp->addr, gefs_typename(n.type), depth, w->ht);
	if (fill >= 0 && gefs_nodefill(&n) != fill)
		werr(w, PR_NDFILL, bp->addr, "block 0x%llx: fill %d, parent 0x%llx records %d",
			(unsigned long long)bp->addr, gefs_nodefill(&n), (unsigned long long)from, fill);
	if (n.type == GEFS_TLEAF && depth > 0 && n.nval == 0)
		werr(w, PR_NDEMPTY, bp->addr, "block 0x%llx: empty leaf below the root", (unsigned long long)bp->addr);
	if (n.type == GEFS_TPIVOT && n.nval == 1)
		werr(w, PR_NDONE, bp->addr, "block 0x%llx: pivot with one entry", (unsigned long long)bp->addr);
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

	ckclearcur(w->ck);
	if (w->ht < 1 || w->ht > GEFS_MAXHT) {
		werr(w, PR_NDHEIGHT, from, "height %d out of range 1..%d", w->ht, GEFS_MAXHT);
		return;
	}
	walknode(w, root, 0, -1, from, &none, &none);
}
