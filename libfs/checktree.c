/* SPDX-License-Identifier: MIT */
/*
 * checktree.c — the checker's tree passes (FORMAT.md §8, §9, §10, §12,
 * §13.8, §14, §16, §20): a raw walk of every node of the snapshot tree and
 * of every snapshot's tree (each distinct node once: snapshots are walked
 * in increasing generation order, so the first record to reach a shared
 * node has the smallest generation and the rule "pointer gen <= record
 * gen" holds for every later one), the logical contents of the snapshot
 * tree (labels, records, deadlists), the namespace of every tree, the
 * users file, and the deadlist chains.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

typedef struct Bound {
	const uint8_t	*k;		/* NULL: unbounded */
	size_t		n;
} Bound;

typedef struct Walk {
	Check		*ck;
	bool		snaptree;
	uint64_t	gen;		/* owning record's generation */
	char		name[300];	/* for messages */
	int		ht;
	int		nerr;		/* structural errors: namespace checks skipped */
	struct Amap	*nodes;		/* file-tree node -> gen of its first pointer */
} Walk;

static void checkconf(Check *ck, const char *where, const GefsKv *kv);
static const char SNAPTREE[] = "snapshot tree";	/* checkconf's where for it */

/* An open-addressing map from block address to a value (deadlist
 * owners; generations of tree nodes). */
typedef struct Amap {
	uint64_t	*k;
	uint64_t	*v;
	size_t		n, cap;
} Amap;

static size_t
aslot(const Amap *m, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);

	while (m->k[i] != GEFS_NONE && m->k[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
aput(Amap *m, uint64_t k, uint64_t v)
{
	uint64_t *ok = m->k;
	uint64_t *ov = m->v;
	size_t i, ocap = m->cap;

	if (2 * (m->n + 1) > m->cap) {
		m->cap = ocap ? 2 * ocap : 256;
		m->k = malloc(m->cap * sizeof *m->k);
		m->v = malloc(m->cap * sizeof *m->v);
		if (m->k == NULL || m->v == NULL) {
			free(m->k);
			free(m->v);
			m->k = ok;
			m->v = ov;
			m->cap = ocap;
			return -1;
		}
		memset(m->k, 0xff, m->cap * sizeof *m->k);
		for (i = 0; i < ocap; i++)
			if (ok[i] != GEFS_NONE) {
				size_t j = aslot(m, ok[i]);

				m->k[j] = ok[i];
				m->v[j] = ov[i];
			}
		free(ok);
		free(ov);
	}
	i = aslot(m, k);
	if (m->k[i] == GEFS_NONE)
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return 0;
}

static int64_t
aget(const Amap *m, uint64_t k)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	i = aslot(m, k);
	return m->k[i] == GEFS_NONE ? -1 : (int64_t)m->v[i];
}

/* Report pr prefixed with the tree's name; structural errors are counted. */
static void __attribute__((format(printf, 4, 5)))
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

static bool
typeok(Walk *w, int t)
{
	if (w->snaptree)
		return t == GEFS_KLABEL || t == GEFS_KSNAP || t == GEFS_KDLIST || t == GEFS_KCONF;
	return t == GEFS_KDAT || t == GEFS_KENT || t == GEFS_KUP || t == GEFS_KCONF;
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
static void
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

/* A value for key type t (leaf entry or Oinsert operand), §9. */
static void
checkval(Walk *w, uint64_t addr, int t, const char *ks, const uint8_t *v, size_t nv)
{
	static const int size[] = {GEFS_PTRSZ, GEFS_XDIRSZ, -1, GEFS_LABELVALSZ, GEFS_SNAPVALSZ, GEFS_DLISTVALSZ, -1};
	GefsErr e;
	GefsXdir d;
	GefsKey k;
	GefsLabel l;
	GefsSnap s;
	GefsDlist dl;
	GefsBptr bp;
	int rc = 0;

	if (t < 0 || t > GEFS_KCONF)
		return;
	if ((size[t] >= 0 && nv != (size_t)size[t]) || (t == GEFS_KUP && (nv < 12 || nv > GEFS_KEYMAX))) {
		werr(w, PR_KVSIZE, addr, "block 0x%llx: %s: value of %zu bytes", (unsigned long long)addr, ks, nv);
		return;
	}
	e.code = 0;
	switch (t) {
	case GEFS_KDAT:
		gefs_unpackbptr(&bp, v);
		if (!w->snaptree)
			refdata(w, &bp, addr, ks);
		return;
	case GEFS_KENT:	rc = gefs_unpackxdir(&d, v, nv, &e); break;
	case GEFS_KUP:
		rc = gefs_unpackkey(&k, v, nv, &e);
		if (rc == 0 && k.type != GEFS_KENT)
			rc = gefs_seterr(&e, EBADMSG, "not a Kent key");
		break;
	case GEFS_KLABEL:	rc = gefs_unpacklabel(&l, v, nv, &e); break;
	case GEFS_KSNAP:	rc = gefs_unpacksnap(&s, v, nv, &e); break;
	case GEFS_KDLIST:	rc = gefs_unpackdlist(&dl, v, nv, &e); break;
	}
	if (rc < 0)
		werr(w, PR_KVVALUE, addr, "block 0x%llx: %s: %s", (unsigned long long)addr, ks, e.msg);
}

/* Key k: decodes, allowed here, inside [lo, hi).  Returns its type or -1. */
static int
checkkey(Walk *w, uint64_t addr, const uint8_t *k, size_t nk, const Bound *lo, const Bound *hi, int prlo, int prhi, const char *ks)
{
	GefsErr e;
	GefsKey key;

	e.code = 0;
	if (gefs_unpackkey(&key, k, nk, &e) < 0) {
		werr(w, PR_KVKEY, addr, "block 0x%llx: %s: %s", (unsigned long long)addr, ks, e.msg);
		return -1;
	}
	if (!typeok(w, key.type))
		werr(w, PR_KVTYPE, addr, "block 0x%llx: %s: key type %d not allowed in this tree",
			(unsigned long long)addr, ks, key.type);
	if (lo->k != NULL && gefs_keycmp(k, nk, lo->k, lo->n) < 0)
		werr(w, prlo, addr, "block 0x%llx: %s below the node's range", (unsigned long long)addr, ks);
	if (hi->k != NULL && gefs_keycmp(k, nk, hi->k, hi->n) >= 0)
		werr(w, prhi, addr, "block 0x%llx: %s at or above the node's range", (unsigned long long)addr, ks);
	return key.type;
}

static void
checkents(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi)
{
	GefsKv kv, pk;
	char ks[128];
	int i, t;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		fmtkey(ks, sizeof ks, kv.k, kv.nk);
		t = checkkey(w, n->addr, kv.k, kv.nk, lo, hi, PR_NDLOW, PR_NDHIGH, ks);
		if (i > 0 && gefs_keycmp(pk.k, pk.nk, kv.k, kv.nk) >= 0)
			werr(w, PR_NDORDER, n->addr, "block 0x%llx: entry %d %s not after entry %d",
				(unsigned long long)n->addr, i, ks, i - 1);
		pk = kv;
		if (n->type == GEFS_TLEAF && t >= 0)
			checkval(w, n->addr, t, ks, kv.v, kv.nv);
	}
}

/* One buffered message's opcode and operand (§10). */
static void
checkop(Walk *w, const GefsNode *n, int t, const GefsMsg *m, const char *ks)
{
	GefsErr e;
	GefsXdir d;
	GefsRelink r;
	int qbit = 0;
	bool ok;

	switch (m->op) {
	case GEFS_OINSERT:	ok = true; break;
	case GEFS_ODELETE:	ok = true; break;
	case GEFS_OCLEARB:	ok = t == GEFS_KDAT; break;
	case GEFS_OCLOBBER:	ok = t == GEFS_KENT || t == GEFS_KUP; break;
	case GEFS_OWSTAT:	ok = t == GEFS_KENT; break;
	default:		ok = t == GEFS_KSNAP; break;	/* 6, 7, 8 */
	}
	if (!ok) {
		werr(w, PR_KVOP, n->addr, "block 0x%llx: message op %d on %s", (unsigned long long)n->addr, m->op, ks);
		return;
	}
	e.code = 0;
	if (m->op == GEFS_OINSERT)
		checkval(w, n->addr, t, ks, m->v, m->nv);
	else if (m->op == GEFS_OWSTAT) {
		memset(&d, 0, sizeof d);
		if (gefs_applywstat(&d, m->v, m->nv, &qbit, &e) < 0)
			werr(w, PR_KVWSTAT, n->addr, "block 0x%llx: Owstat on %s: %s", (unsigned long long)n->addr, ks, e.msg);
		else if (qbit || (m->nv > 0 && (m->v[0] & GEFS_OWQPATH)))
			werr(w, PR_KVQPATH, n->addr, "block 0x%llx: Owstat on %s has flag bit 0x80 (%s qid.path field)",
				(unsigned long long)n->addr, ks, qbit ? "with a" : "without a");
	} else if (m->op >= GEFS_ORELINK) {
		if (gefs_unpackrelink(&r, m->v, m->nv, &e) < 0)
			werr(w, PR_KVRELINK, n->addr, "block 0x%llx: message op %d on %s: %s", (unsigned long long)n->addr,
				m->op, ks, e.msg);
		if (m->op == GEFS_OINCREF)
			werr(w, PR_KVINCREF, n->addr, "block 0x%llx: Oincref on %s", (unsigned long long)n->addr, ks);
	} else if (m->nv != 0 && m->op != GEFS_ODELETE)
		/* the reference writes the deleted value as Odelete's operand
		 * (FORMAT.md §10.1): any operand is accepted and ignored */
		werr(w, PR_KVSIZE, n->addr, "block 0x%llx: message op %d on %s has a %u-byte operand, not none",
			(unsigned long long)n->addr, m->op, ks, m->nv);
}

static void
checkmsgs(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi)
{
	GefsMsg m, pm;
	char ks[128];
	int j, t;

	for (j = 0; j < n->nbuf; j++) {
		gefs_nodemsg(n, j, &m);
		fmtkey(ks, sizeof ks, m.k, m.nk);
		t = checkkey(w, n->addr, m.k, m.nk, lo, hi, PR_NDMSGRANGE, PR_NDMSGRANGE, ks);
		if (j > 0 && gefs_keycmp(pm.k, pm.nk, m.k, m.nk) > 0)
			werr(w, PR_NDMSGORDER, n->addr, "block 0x%llx: message %d %s before message %d's key",
				(unsigned long long)n->addr, j, ks, j - 1);
		pm = m;
		if (t >= 0)
			checkop(w, n, t, &m, ks);
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
	if (w->nodes != NULL && (g = aget(w->nodes, bp->addr)) >= 0 && (uint64_t)g != bp->gen)
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
	if (w->nodes != NULL && aput(w->nodes, bp->addr, bp->gen) < 0)
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
static void
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

/* ---- the snapshot tree's contents (§13) ---- */

static void *
grow(void *p, size_t n, size_t sz)
{
	/* grow by doubling at powers of two */
	if (n == 0 || (n & (n - 1)) == 0)
		return realloc(p, (n ? 2 * n : 8) * sz);
	return p;
}

static void
addlabel(Check *ck, const GefsKv *kv)
{
	GefsLabel l;
	Labelrec *nl;
	GefsErr e;
	char ks[128];

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	e.code = 0;
	if (kv->nv != GEFS_LABELVALSZ || kv->v[0] != GEFS_KSNAP || gefs_unpacklabel(&l, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_SNLABEL, GEFS_NONE, "snapshot tree: %s: value of %u bytes is not a label%s%s", ks, kv->nv,
			e.code ? ": " : "", e.code ? e.msg : "");
		return;
	}
	if (l.flags & ~7u)
		ckreport(ck, PR_SNFLAGS, GEFS_NONE, "snapshot tree: %s: flags 0x%x", ks, l.flags);
	nl = grow(ck->label, ck->nlabel, sizeof *nl);
	if (nl == NULL)
		return;
	ck->label = nl;
	nl[ck->nlabel].name = strndup((const char *)kv->k + 1, kv->nk - 1u);
	nl[ck->nlabel].gen = l.gen;
	nl[ck->nlabel].flags = l.flags;
	nl[ck->nlabel].moved = false;
	ck->nlabel++;
}

static void
addsnap(Check *ck, const GefsKv *kv)
{
	Snaprec *ns;
	GefsKey k;
	GefsSnap s;
	GefsErr e;

	e.code = 0;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpacksnap(&s, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_KVVALUE, GEFS_NONE, "snapshot tree: snapshot record: %s", e.msg);
		return;
	}
	if ((uint64_t)s.gen != k.gen)
		ckreport(ck, PR_SNKEYGEN, GEFS_NONE, "snapshot tree: Ksnap(%llu) holds a record of gen %lld",
			(unsigned long long)k.gen, (long long)s.gen);
	ns = grow(ck->snap, ck->nsnap, sizeof *ns);
	if (ns == NULL)
		return;
	ck->snap = ns;
	memset(&ns[ck->nsnap], 0, sizeof *ns);
	ns[ck->nsnap].s = s;
	ns[ck->nsnap].s.gen = (int64_t)k.gen;	/* find it by its key */
	ck->nsnap++;
}

static void
adddl(Check *ck, const GefsKv *kv)
{
	GefsKey k;
	GefsDlist d;
	GefsErr e;
	Dlrec *nd;

	e.code = 0;
	if (gefs_unpackkey(&k, kv->k, kv->nk, &e) < 0 || gefs_unpackdlist(&d, kv->v, kv->nv, &e) < 0) {
		ckreport(ck, PR_KVVALUE, GEFS_NONE, "snapshot tree: deadlist: %s", e.msg);
		return;
	}
	nd = grow(ck->dl, ck->ndl, sizeof *nd);
	if (nd == NULL)
		return;
	ck->dl = nd;
	nd[ck->ndl].gen = k.gen;
	nd[ck->ndl].bgen = k.bgen;
	nd[ck->ndl].d = d;
	ck->ndl++;
}

/* A Kconf entry (§17): retain must match ^([0-9]*@[0-9]*[mhd][ \t]*)*$
 * (ckconf.c; the reference aborts on some malformed values); other names
 * are ignored by the reference. */
static void
checkconf(Check *ck, const char *where, const GefsKv *kv)
{
	if (kv->nk != 7 || memcmp(kv->k + 1, "retain", 6) != 0) {
		ckreport(ck, PR_CFUNKNOWN, GEFS_NONE, "%s: configuration entry \"%.*s\" is not used by the reference",
			where, (int)(kv->nk - 1), (const char *)kv->k + 1);
		return;
	}
	ckretain(ck, where, kv, strcmp(where, SNAPTREE) == 0);
}

static void
collect(Check *ck)
{
	GefsTree *t;
	GefsScan *s = NULL;
	GefsKv kv;
	int rc = -1;

	t = gefs_snaptree(ck->fs);
	if (t != NULL)
		s = gefs_scan(t, NULL, 0, NULL, 0);
	if (s != NULL)
		while ((rc = gefs_scannext(s, &kv)) > 0) {
			if (kv.nk == 0)
				continue;
			if (kv.k[0] == GEFS_KLABEL && kv.nk > 1)
				addlabel(ck, &kv);
			else if (kv.k[0] == GEFS_KSNAP)
				addsnap(ck, &kv);
			else if (kv.k[0] == GEFS_KDLIST)
				adddl(ck, &kv);
			else if (kv.k[0] == GEFS_KCONF)
				checkconf(ck, SNAPTREE, &kv);
		}
	if (rc < 0)
		ckreport(ck, PR_SNTREE, ck->fs->sb.snapaddr, "snapshot tree: %s", gefs_errmsg(ck->fs));
	gefs_scanfree(s);
	if (t != NULL)
		gefs_closetree(t);
}

static Snaprec *
findsnap(Check *ck, int64_t gen)
{
	size_t lo = 0, hi = ck->nsnap, m;

	while (lo < hi) {
		m = (lo + hi) / 2;
		if ((uint64_t)ck->snap[m].s.gen == (uint64_t)gen)
			return &ck->snap[m];
		if ((uint64_t)ck->snap[m].s.gen < (uint64_t)gen)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

static void
usegen(Check *ck, uint64_t g)
{
	if (g == GEFS_NONE)
		return;
	if (!ck->anygen || g > ck->maxgen)
		ck->maxgen = g;
	ck->anygen = true;
}

static void
checklabels(Check *ck)
{
	static const char *need[] = {"adm", "empty"};
	Snaprec *r;
	size_t i, j;

	for (i = 0; i < ck->nlabel; i++) {
		usegen(ck, ck->label[i].gen);
		r = findsnap(ck, (int64_t)ck->label[i].gen);
		if (r == NULL && ck->label[i].name != NULL
		&& ckrequired(ck->label[i].name, strlen(ck->label[i].name)))
			continue;	/* below, once every label is counted */
		if (r == NULL) {
			ckreport(ck, PR_SNNOSNAP, GEFS_NONE, "label \"%s\": snapshot %llu has no record", ck->label[i].name,
				(unsigned long long)ck->label[i].gen);
			continue;
		}
		r->nlabel++;
		if (r->name == NULL && ck->label[i].name != NULL)
			r->name = strdup(ck->label[i].name);
	}
	for (i = 0; i < ck->nlabel; i++)
		if (ck->label[i].name != NULL && ckrequired(ck->label[i].name, strlen(ck->label[i].name))
		&& findsnap(ck, (int64_t)ck->label[i].gen) == NULL)
			ckrepoint(ck, &ck->label[i]);
	for (j = 0; j < nelem(need); j++) {
		for (i = 0; i < ck->nlabel; i++)
			if (ck->label[i].name != NULL && strcmp(ck->label[i].name, need[j]) == 0)
				break;
		if (i == ck->nlabel)
			ckreport(ck, PR_SNREQUIRED, GEFS_NONE, "label \"%s\" missing", need[j]);
	}
}

/* §13.8 and §27.2: nref counts either predecessors (2025-09) or forks
 * (later revisions); only a value matching neither is reported. */
static void
checkrec(Check *ck, Snaprec *r)
{
	GefsSnap *s = &r->s;
	uint64_t c1 = 0, c2 = 0;
	size_t i;

	usegen(ck, (uint64_t)s->gen);
	if (s->nlbl < 0 || s->nref < 0)
		ckreport(ck, PR_SNNEG, GEFS_NONE, "snapshot %lld: nlbl %d, nref %d", (long long)s->gen, s->nlbl, s->nref);
	else if ((uint32_t)s->nlbl > r->nlabel)
		ckreport(ck, PR_SNNLBLHI, GEFS_NONE, "snapshot %lld: nlbl %d, but %u labels point to it",
			(long long)s->gen, s->nlbl, r->nlabel);
	else if ((uint32_t)s->nlbl < r->nlabel)
		ckreport(ck, PR_SNNLBLLO, GEFS_NONE, "snapshot %lld: nlbl %d, but %u labels point to it",
			(long long)s->gen, s->nlbl, r->nlabel);
	if (s->ht < 1 || s->ht > GEFS_MAXHT || s->root.addr == GEFS_NONE) {
		ckreport(ck, PR_SNROOT, GEFS_NONE, "snapshot %lld: height %d, root 0x%llx", (long long)s->gen, s->ht,
			(unsigned long long)s->root.addr);
		r->bad = true;
	}
	if (s->base > s->gen || s->pred > s->gen)
		ckreport(ck, PR_SNORDER, GEFS_NONE, "snapshot %lld: base %lld, pred %lld", (long long)s->gen,
			(long long)s->base, (long long)s->pred);
	if (s->pred != -1 && findsnap(ck, s->pred) == NULL)
		ckreport(ck, PR_SNPRED, GEFS_NONE, "snapshot %lld: pred %lld has no record", (long long)s->gen, (long long)s->pred);
	if (s->succ != -1 && findsnap(ck, s->succ) == NULL)
		ckreport(ck, PR_SNSUCC, GEFS_NONE, "snapshot %lld: succ %lld has no record", (long long)s->gen, (long long)s->succ);
	for (i = 0; i < ck->nsnap; i++) {
		if (ck->snap[i].s.pred == s->gen && ck->snap[i].s.gen != s->gen)
			c1++;
		if (ck->snap[i].s.pred == -1 && ck->snap[i].s.base == s->gen && ck->snap[i].s.gen != s->gen)
			c2++;
	}
	if ((int64_t)s->nref < (int64_t)c1 && (uint64_t)s->nref != c2)
		ckreport(ck, PR_SNNREF, GEFS_NONE, "snapshot %lld: nref %d, but %llu records name it as pred",
			(long long)s->gen, s->nref, (unsigned long long)c1);
	else if ((int64_t)s->nref > (int64_t)c1 && (uint64_t)s->nref != c2)
		ckreport(ck, PR_SNNREF, GEFS_NONE, "snapshot %lld: nref %d, more than the %llu records naming it as pred (deleted successors, §24 #9)",
			(long long)s->gen, s->nref, (unsigned long long)c1);
}

void
checksnaptree(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	GefsBptr root;
	Walk w;
	size_t i;

	if (sb->snapht < 1 || sb->snapht > GEFS_MAXHT || sb->snapaddr == GEFS_NONE) {
		ckreport(ck, PR_CKSKIP, GEFS_NONE, "snapshot tree not checked: no usable root");
		ck->stop = true;
		return;
	}
	memset(&w, 0, sizeof w);
	w.ck = ck;
	w.snaptree = true;
	w.gen = GEFS_NONE;
	w.ht = (int)sb->snapht;
	snprintf(w.name, sizeof w.name, "snapshot tree");
	root.addr = sb->snapaddr;
	root.hash = sb->snaphash;
	root.gen = GEFS_NONE;
	walktree(&w, &root, ck->sbaddr[ck->fs->sbcopy]);
	collect(ck);
	ck->st->nlabel = ck->nlabel;
	ck->st->nsnap = ck->nsnap;
	checklabels(ck);
	for (i = 0; i < ck->nsnap; i++)
		checkrec(ck, &ck->snap[i]);
}

/* ---- the namespace of one tree (§12, §20.2) ---- */

enum {
	FUSED	= 1 << 0,
	FENT	= 1 << 1,	/* has a Kent */
	FDIR	= 1 << 2,
	FKUP	= 1 << 3,
	FVIS	= 1 << 4,	/* on the climb being followed */
	FOK	= 1 << 5,	/* reaches the root */
	FBAD	= 1 << 6,	/* does not */
};

typedef struct File {
	uint64_t	qid, pqid, length, keyhash, maxoff, ndat;
	uint8_t		flags;
} File;

typedef struct Ftab {
	File		*f;
	size_t		n, cap;		/* cap: power of two */
	File		*last;		/* the last found: a file's keys are adjacent */
} Ftab;

static size_t
fslot(const Ftab *t, uint64_t qid)
{
	size_t i = (size_t)((qid * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);

	while ((t->f[i].flags & FUSED) && t->f[i].qid != qid)
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* The file of qid; added when absent if add (NULL out of memory). */
static File *
fget(Ftab *t, uint64_t qid, bool add)
{
	File *of;
	size_t i, ocap;

	if (t->last != NULL && t->last->qid == qid)
		return t->last;
	if (t->cap == 0 && !add)
		return NULL;
	if (add && 2 * (t->n + 1) > t->cap) {
		of = t->f;
		ocap = t->cap;
		t->cap = ocap ? 2 * ocap : 1024;
		t->f = calloc(t->cap, sizeof *t->f);
		if (t->f == NULL) {
			t->f = of;
			t->cap = ocap;
			return NULL;
		}
		for (i = 0; i < ocap; i++)
			if (of[i].flags & FUSED)
				t->f[fslot(t, of[i].qid)] = of[i];
		free(of);
		t->last = NULL;		/* it pointed into the old table */
	}
	i = fslot(t, qid);
	if (t->f[i].flags & FUSED)
		return t->last = &t->f[i];
	if (!add)
		return NULL;
	memset(&t->f[i], 0, sizeof t->f[i]);
	t->f[i].qid = qid;
	t->f[i].flags = FUSED;
	t->n++;
	return t->last = &t->f[i];
}

typedef struct Ns {
	Check		*ck;
	Walk		*w;
	Ftab		tab;
	bool		haveroot;
	uint64_t	rootqid;
	int64_t		*badid;		/* undefined ids reported in this tree */
	size_t		nbadid;
} Ns;

static void checkids(Ns *ns, const char *ks, const GefsXdir *d);

static void
nsdat(Ns *ns, const GefsKey *k)
{
	File *f;

	if (k->off % B != 0)
		werr(ns->w, PR_FSDATALIGN, GEFS_NONE, "Kdat(0x%llx, 0x%llx): offset not a multiple of 16384",
			(unsigned long long)k->qid, (unsigned long long)k->off);
	f = fget(&ns->tab, k->qid, true);
	if (f == NULL)
		return;
	if (f->ndat == 0 || k->off > f->maxoff)
		f->maxoff = k->off;
	f->ndat++;
}

static void
nsent(Ns *ns, const GefsKv *kv, const GefsKey *k)
{
	Walk *w = ns->w;
	GefsXdir d;
	GefsErr e;
	File *f;
	char ks[128];

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	e.code = 0;
	if (k->qid == GEFS_NONE ? k->nlen != 0 : gefs_namecheck(k->name, k->nlen, &e) < 0)
		werr(w, PR_FSNAME, GEFS_NONE, "%s: %s", ks, e.code ? e.msg : "root entry with a name");
	if (gefs_unpackxdir(&d, kv->v, kv->nv, &e) < 0) {
		werr(w, PR_KVVALUE, GEFS_NONE, "%s: %s", ks, e.msg);
		return;
	}
	if (d.qtype != (uint8_t)(d.mode >> 24))
		werr(w, PR_FSQTYPE, GEFS_NONE, "%s: qid.type 0x%x, mode 0%o", ks, d.qtype, d.mode);
	checkids(ns, ks, &d);
	if (d.mode & ~GEFS_MODEBITS)
		werr(w, PR_FSMODE, GEFS_NONE, "%s: mode 0%o", ks, d.mode);
	if ((d.mode & GEFS_DMDIR) && d.length != 0)
		werr(w, PR_FSDIRLEN, GEFS_NONE, "%s: directory of length %llu", ks, (unsigned long long)d.length);
	if (!(d.qpath >> 63) && (!ns->ck->anyqid || d.qpath > ns->ck->maxqid)) {
		ns->ck->maxqid = d.qpath;
		ns->ck->anyqid = true;
	}
	if (!(d.qpath >> 63) && d.qpath >= ns->ck->fs->sb.nextqid)
		werr(w, PR_GNNEXTQID, GEFS_NONE, "%s: qid path 0x%llx not below nextqid 0x%llx", ks,
			(unsigned long long)d.qpath, (unsigned long long)ns->ck->fs->sb.nextqid);
	f = fget(&ns->tab, d.qpath, true);
	if (f == NULL)
		return;
	if (f->flags & FENT) {
		werr(w, PR_FSQIDDUP, GEFS_NONE, "%s: qid path 0x%llx already used by another entry", ks,
			(unsigned long long)d.qpath);
		return;
	}
	f->flags |= FENT | ((d.mode & GEFS_DMDIR) ? FDIR : 0);
	f->pqid = k->qid;
	f->length = d.length;
	f->keyhash = gefs_bufhash(kv->k, kv->nk);
	if (d.mode & GEFS_DMDIR)
		ns->ck->st->ndir++;
	else
		ns->ck->st->nfile++;
	if (k->qid == GEFS_NONE) {
		ns->haveroot = true;
		ns->rootqid = d.qpath;
	}
}

static void
nsup(Ns *ns, const GefsKv *kv, const GefsKey *k)
{
	File *f = fget(&ns->tab, k->qid, false);
	const char *why = NULL;

	if (f == NULL || !(f->flags & FENT))
		why = "no entry has this qid";
	else if (!(f->flags & FDIR))
		why = "the entry is not a directory";
	else if (gefs_bufhash(kv->v, kv->nv) != f->keyhash)
		why = "the value is not the directory's own Kent key";
	if (why != NULL)
		werr(ns->w, PR_FSKUP, GEFS_NONE, "Kup(0x%llx): %s", (unsigned long long)k->qid, why);
	else
		f->flags |= FKUP;
}

/* Climb from f to the root; marks every file on the way FOK or FBAD. */
static void
climb(Ns *ns, File *f, File **stk)
{
	File *c = f, *p;
	size_t n = 0;
	uint8_t res = FBAD;

	while (c != NULL && !(c->flags & (FOK | FBAD))) {
		if (c->flags & FVIS) {
			werr(ns->w, PR_FSCYCLE, GEFS_NONE, "directory qid 0x%llx is its own ancestor (cycle)",
				(unsigned long long)c->qid);
			c = NULL;
			break;
		}
		c->flags |= FVIS;
		stk[n++] = c;
		if (c->pqid == GEFS_NONE) {
			res = FOK;
			c = NULL;
			break;
		}
		p = fget(&ns->tab, c->pqid, false);
		c = (p != NULL && (p->flags & FENT) && (p->flags & FDIR)) ? p : NULL;
	}
	if (c != NULL)
		res = c->flags & (FOK | FBAD);
	while (n > 0) {
		c = stk[--n];
		c->flags = (uint8_t)((c->flags & ~FVIS) | res);
	}
}

static void
nsfile(Ns *ns, File *f)
{
	Walk *w = ns->w;
	File *p;

	if (f->ndat > 0) {
		if (!(f->flags & FENT))
			werr(w, PR_FSDATAORPHAN, GEFS_NONE, "Kdat(0x%llx, …): %llu data keys of a qid with no entry",
				(unsigned long long)f->qid, (unsigned long long)f->ndat);
		else if (f->flags & FDIR)
			werr(w, PR_FSDATADIR, GEFS_NONE, "Kdat(0x%llx, 0x%llx): data keys of a directory",
				(unsigned long long)f->qid, (unsigned long long)f->maxoff);
		else if (f->maxoff >= f->length)
			werr(w, PR_FSDATAEOF, GEFS_NONE, "Kdat(0x%llx, 0x%llx): data at or beyond the file length %llu",
				(unsigned long long)f->qid, (unsigned long long)f->maxoff, (unsigned long long)f->length);
	}
	if (!(f->flags & FENT))
		return;
	if ((f->flags & FDIR) && !(f->flags & FKUP))
		werr(w, PR_FSNOKUP, GEFS_NONE, "directory qid 0x%llx has no Kup", (unsigned long long)f->qid);
	if (f->qid >> 63 && !((f->qid == 0x8000000000000001ull || f->qid == 0x8000000000000002ull)
	&& ns->haveroot && f->pqid == ns->rootqid))
		werr(w, PR_FSQIDHI, GEFS_NONE, "entry Kent(0x%llx, …) has reserved qid path 0x%llx",
			(unsigned long long)f->pqid, (unsigned long long)f->qid);
	if (f->pqid == GEFS_NONE)
		return;
	p = fget(&ns->tab, f->pqid, false);
	if (p == NULL || !(p->flags & FENT) || !(p->flags & FDIR))
		werr(w, PR_FSPARENT, GEFS_NONE, "qid 0x%llx: parent 0x%llx %s", (unsigned long long)f->qid,
			(unsigned long long)f->pqid, p == NULL || !(p->flags & FENT) ? "has no entry" : "is not a directory");
}

static void
nsfinish(Ns *ns)
{
	File *f, **stk;
	size_t i;

	if (!ns->haveroot)
		werr(ns->w, PR_FSNOROOT, GEFS_NONE, "no root directory entry Kent(NONE, \"\")");
	else {
		f = fget(&ns->tab, ns->rootqid, false);
		if (f == NULL || !(f->flags & FDIR) || !(f->flags & FKUP))
			werr(ns->w, PR_FSROOTTYPE, GEFS_NONE, "root entry (qid 0x%llx) is %s", (unsigned long long)ns->rootqid,
				f != NULL && !(f->flags & FDIR) ? "not a directory" : "without a Kup");
	}
	for (i = 0; i < ns->tab.cap; i++)
		if (ns->tab.f[i].flags & FUSED)
			nsfile(ns, &ns->tab.f[i]);
	stk = malloc((ns->tab.n + 1) * sizeof *stk);
	if (stk == NULL)
		return;
	for (i = 0; i < ns->tab.cap; i++) {
		f = &ns->tab.f[i];
		if ((f->flags & FUSED) && (f->flags & FENT) && !(f->flags & (FOK | FBAD)))
			climb(ns, f, stk);
	}
	free(stk);
}

static void
namespace(Check *ck, Walk *w, GefsTree *t)
{
	GefsScan *s;
	GefsKv kv;
	GefsKey k;
	Ns ns;
	int rc = -1;

	memset(&ns, 0, sizeof ns);
	ns.ck = ck;
	ns.w = w;
	s = gefs_scan(t, NULL, 0, NULL, 0);
	if (s != NULL)
		while ((rc = gefs_scannext(s, &kv)) > 0) {
			if (gefs_unpackkey(&k, kv.k, kv.nk, NULL) < 0)
				continue;
			if (k.type == GEFS_KDAT)
				nsdat(&ns, &k);
			else if (k.type == GEFS_KENT)
				nsent(&ns, &kv, &k);
			else if (k.type == GEFS_KUP)
				nsup(&ns, &kv, &k);
			else if (k.type == GEFS_KCONF)
				checkconf(ck, w->name, &kv);
		}
	gefs_scanfree(s);
	if (rc < 0)
		werr(w, PR_KVSEQ, GEFS_NONE, "%s", gefs_errmsg(ck->fs));
	else
		nsfinish(&ns);
	free(ns.tab.f);
	free(ns.badid);
}

/* ---- the users file (§16) ---- */

static void
checkusers(Check *ck, GefsTree *t)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	char *text = NULL, why[200];
	GefsXdir d;
	uint64_t off;
	size_t nv;
	int64_t r;

	if (gefs_walk(t, "/users", &d) < 0) {
		if (gefs_errcode(ck->fs) == ENOENT)
			ckreport(ck, PR_USMISSING, GEFS_NONE, "adm: /users: missing");
		else
			ckreport(ck, PR_USTYPE, GEFS_NONE, "adm: /users: %s", gefs_errmsg(ck->fs));
		return;
	}
	if ((d.mode & GEFS_DMDIR) || d.length >= (1u << 20)) {
		ckreport(ck, PR_USTYPE, GEFS_NONE, "adm: /users is %s", (d.mode & GEFS_DMDIR) ? "a directory" : "1 MiB or longer");
		return;
	}
	for (off = 0; off < d.length; off += B) {
		nv = sizeof v;
		if (gefs_lookup(t, k, gefs_packdatkey(k, d.qpath, off), v, &nv) != 0) {
			ckreport(ck, PR_USTYPE, GEFS_NONE, "adm: /users has a hole at offset %llu", (unsigned long long)off);
			return;
		}
	}
	text = malloc(d.length + 1);
	if (text == NULL)
		return;
	r = gefs_read(t, &d, 0, text, d.length);
	if (r < 0)
		ckreport(ck, PR_USTYPE, GEFS_NONE, "adm: /users: %s", gefs_errmsg(ck->fs));
	else if (userscheck(text, (size_t)r, why, sizeof why) != NULL)
		ckreport(ck, PR_USPARSE, GEFS_NONE, "adm: /users: %s", why);
	free(text);
}

/* The numeric ids the users file of adm defines (§16), for the owner
 * checks of pass 4; none are kept when the file cannot be read or parsed
 * (reported by checkusers). */
static void
loadids(Check *ck)
{
	GefsTree t;
	GefsXdir d;
	Snaprec *r = NULL;
	char *text = NULL, *p, *q, *end, why[200];
	int64_t r2, *v;
	size_t i;

	for (i = 0; i < ck->nsnap; i++)
		if (ck->snap[i].name != NULL && strcmp(ck->snap[i].name, "adm") == 0 && !ck->snap[i].bad)
			r = &ck->snap[i];
	if (r == NULL || treeinit(&t, ck->fs, &r->s.root, r->s.ht, "adm") < 0 || gefs_walk(&t, "/users", &d) < 0
	|| (d.mode & GEFS_DMDIR) || d.length >= (1u << 20) || (text = malloc(d.length + 1)) == NULL)
		goto out;
	r2 = gefs_read(&t, &d, 0, text, d.length);
	if (r2 < 0 || userscheck(text, (size_t)r2, why, sizeof why) != NULL)
		goto out;
	end = text + r2;
	for (p = text; p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL; p = q + 1) {
		if (p == q || *p == '#')
			continue;
		if ((v = realloc(ck->ids, (ck->nids + 1) * sizeof *v)) == NULL)
			goto out;
		ck->ids = v;
		ck->ids[ck->nids++] = strtoll(p, NULL, 10);
	}
	ck->haveids = true;
out:
	free(text);
}

static bool
idknown(Check *ck, int64_t id)
{
	size_t i;

	for (i = 0; i < ck->nids; i++)
		if (ck->ids[i] == id)
			return true;
	return false;
}

/* Owner, group and last modifier of an entry must be users (§16); one
 * finding per tree and id. */
static void
checkids(Ns *ns, const char *ks, const GefsXdir *d)
{
	int64_t id[3] = {d->uid, d->gid, d->muid}, *v;
	static const char *what[3] = {"owner", "group", "last modifier"};
	size_t i, j;

	if (!ns->ck->haveids)
		return;
	for (i = 0; i < 3; i++) {
		if (idknown(ns->ck, id[i]))
			continue;
		for (j = 0; j < ns->nbadid && ns->badid[j] != id[i]; j++)
			;
		if (j < ns->nbadid || (v = realloc(ns->badid, (ns->nbadid + 1) * sizeof *v)) == NULL)
			continue;
		ns->badid = v;
		ns->badid[ns->nbadid++] = id[i];
		werr(ns->w, PR_USUNDEF, GEFS_NONE, "%s: %s id %lld is not defined in the users file (further uses in this tree not reported)",
			ks, what[i], (long long)id[i]);
	}
}

/* ---- pass 4: every snapshot's tree ---- */

static void
checkone(Check *ck, Snaprec *r)
{
	GefsTree t;
	Walk w;

	memset(&w, 0, sizeof w);
	w.ck = ck;
	w.nodes = ck->nodegen;
	w.gen = (uint64_t)r->s.gen;
	w.ht = r->s.ht;
	if (r->name != NULL)
		snprintf(w.name, sizeof w.name, "tree \"%.200s\" (gen %lld)", r->name, (long long)r->s.gen);
	else
		snprintf(w.name, sizeof w.name, "tree of snapshot %lld", (long long)r->s.gen);
	if (r->s.root.gen != GEFS_NONE && r->s.root.gen > w.gen)
		werr(&w, PR_GNBLOCK, GEFS_NONE, "root 0x%llx born in gen %llu, after the snapshot",
			(unsigned long long)r->s.root.addr, (unsigned long long)r->s.root.gen);
	walktree(&w, &r->s.root, GEFS_NONE);
	if (ck->vq != NULL)
		vqdrain(ck->vq, ckcancelled(ck));	/* w's findings, before w goes */
	if (ckcancelled(ck))
		return;
	if (w.nerr > 0) {
		r->treebad = true;
		werr(&w, PR_CKSKIP, GEFS_NONE, "namespace not checked after %d structural errors", w.nerr);
		return;
	}
	if (treeinit(&t, ck->fs, &r->s.root, r->s.ht, w.name) < 0)
		return;
	namespace(ck, &w, &t);
	if (r->name != NULL && strcmp(r->name, "adm") == 0)
		checkusers(ck, &t);
}

/* Worker threads for data verification: nthreads counts the walking
 * thread too (1: no workers).  Auto (0): one per online CPU beyond the
 * first, but at least 2 (reads overlap: 1 GiB cold in 2.0 s with two,
 * 2.7 s with one, on 2 CPUs), at most 8. */
static int
nworkers(Check *ck)
{
	long n = ck->o.nthreads;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 3)
		n = 3;
	return n <= 1 ? 0 : n > 9 ? 8 : (int)n - 1;
}

void
checktrees(Check *ck)
{
	size_t i;
	bool adm = false;

	ck->nodegen = calloc(1, sizeof *ck->nodegen);	/* NULL: gens not compared */
	/* NULL: verified serially; nothing to verify with nodata */
	ck->vq = ck->o.nodata ? NULL : vqnew(ck->fs->dev, nworkers(ck));
	loadids(ck);
	for (i = 0; i < ck->nsnap && !ckcancelled(ck); i++) {
		ckprogress(ck, i, ck->nsnap);
		if (ck->snap[i].name != NULL && strcmp(ck->snap[i].name, "adm") == 0)
			adm = true;
		if (!ck->snap[i].bad)
			checkone(ck, &ck->snap[i]);
	}
	if (!adm && ck->nsnap > 0)
		ckreport(ck, PR_USMISSING, GEFS_NONE, "no adm tree: the users file cannot be checked");
	vqfree(ck->vq);
	ck->vq = NULL;
	if (ck->nodegen != NULL) {
		free(ck->nodegen->k);
		free(ck->nodegen->v);
		free(ck->nodegen);
		ck->nodegen = NULL;
	}
}

/* ---- pass 5: deadlists (§7, §14, §20.2) ---- */


/* The addresses listed in one deadlist block. */
static void
dlentries(Check *ck, const Dlrec *d, uint64_t blk, const uint8_t *b, uint16_t logsz)
{
	uint64_t a;
	uint8_t m;
	int k;
	uint16_t o;

	for (o = 0; o + 8 <= logsz; o += 8) {
		a = gefs_get64(b + GEFS_LOGHDSZ + o);
		if (!ckinarea(ck, a)) {
			ckreport(ck, PR_DLOUTSIDE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx outside every arena's data area",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
			continue;
		}
		m = ckmap(ck, a / B);
		k = m & KMASK;
		if (!(m & MALLOC))
			ckreport(ck, PR_DLFREE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx is free according to the log",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
		if (m & MDLIST)
			ckreport(ck, PR_DLTWICE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx already listed",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
		if (k != KNONE && k != KFNODE && k != KDATA)
			ckreport(ck, PR_DLKIND, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx is a %s",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a,
				ckkindname(k));
		ckmapor(ck, a / B, MDLIST);
	}
}

/* One chain block: false to stop following the chain. */
static bool
dlstep(Check *ck, Amap *own, uint32_t li, uint64_t a, GefsLogHdr *h)
{
	const Dlrec *d = &ck->dl[li];
	GefsErr e;
	int64_t o;
	uint8_t m;

	if (!ckinarea(ck, a)) {
		ckreport(ck, PR_DLBLOCK, a, "deadlist (%llu, %llu): chain block 0x%llx outside every arena's data area",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	m = ckmap(ck, a / B);
	if ((o = aget(own, a)) >= 0) {
		if ((uint32_t)o == li)
			ckreport(ck, PR_DLCYCLE, a, "deadlist (%llu, %llu): chain loops at 0x%llx",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		else if (ck->dl[o].bgen == d->bgen)
			ckreport(ck, PR_DLSHARED, a, "deadlists (%llu, %llu) and (%llu, %llu) share the chain from 0x%llx",
				(unsigned long long)ck->dl[o].gen, (unsigned long long)ck->dl[o].bgen,
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		else
			ckreport(ck, PR_DLCROSS, a, "deadlists (%llu, %llu) and (%llu, %llu) share chain block 0x%llx",
				(unsigned long long)ck->dl[o].gen, (unsigned long long)ck->dl[o].bgen,
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	if ((m & KMASK) != KNONE || (m & MDLIST)) {
		ckreport(ck, PR_RFKIND, a, "deadlist (%llu, %llu): chain block 0x%llx is also used as a %s",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a,
			(m & MDLIST) ? "deadlist entry" : ckkindname(m));
		return false;
	}
	ckmapor(ck, a / B, KDCHAIN);
	ck->st->ndlist++;
	if (aput(own, a, li) < 0)
		return false;
	if (!(m & MALLOC))
		ckreport(ck, PR_DLFREE, a, "deadlist (%llu, %llu): chain block 0x%llx is free according to the log",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
	e.code = 0;
	if (ckreadraw(ck, a, ck->buf) < 0 || gefs_unpackloghdr(h, ck->buf, GEFS_TDLIST, a, &e) < 0) {
		ckreport(ck, PR_DLBLOCK, a, "deadlist (%llu, %llu): %s", (unsigned long long)d->gen,
			(unsigned long long)d->bgen, e.code ? e.msg : ck->fs->err.msg);
		return false;
	}
	if (gefs_loghash(ck->buf, h->logsz) != h->logh) {
		ckreport(ck, PR_DLHASH, a, "deadlist (%llu, %llu): block 0x%llx: body hash mismatch",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	dlentries(ck, d, a, ck->buf, h->logsz);
	return true;
}

static void
checkdl(Check *ck, Amap *own, uint32_t li)
{
	const Dlrec *d = &ck->dl[li];
	GefsLogHdr h;
	uint64_t a, last = GEFS_NONE;

	usegen(ck, d->gen);
	usegen(ck, d->bgen);
	if (d->bgen >= d->gen)
		ckreport(ck, PR_DLBGEN, GEFS_NONE, "deadlist (%llu, %llu): bgen not below gen",
			(unsigned long long)d->gen, (unsigned long long)d->bgen);
	if (findsnap(ck, (int64_t)d->gen) == NULL)
		ckreport(ck, PR_DLNOSNAP, GEFS_NONE, "deadlist (%llu, %llu): no snapshot record %llu",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)d->gen);
	for (a = d->d.hd.addr; a != GEFS_NONE && !ckcancelled(ck); a = h.chain.addr) {
		if (!dlstep(ck, own, li, a, &h))
			return;
		last = a;
	}
	if (last != GEFS_NONE && d->d.tl.addr != last)
		ckreport(ck, PR_DLTAIL, last, "deadlist (%llu, %llu): tl 0x%llx, but the chain ends at 0x%llx",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)d->d.tl.addr,
			(unsigned long long)last);
}

/* The superblock's snapshot-tree deadlist (§14.5), normally NONE: its
 * chain blocks and the snapshot-tree blocks it lists, freed after the
 * commit that wrote it.  Both stay marked as referenced, so that a log
 * rebuild keeps them allocated. */
static void
checksnapdl(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	GefsLogHdr h;
	uint64_t a, last = GEFS_NONE, o, x;
	Blk *b;
	bool ok;

	for (a = sb->dlhdaddr; a != GEFS_NONE; a = h.chain.addr) {
		if (!ckinarea(ck, a) || (ckmap(ck, a / B) & KMASK) != KNONE) {
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: chain block 0x%llx %s", (unsigned long long)a,
				ckinarea(ck, a) ? "reached twice or used otherwise" : "outside every arena's data area");
			return;
		}
		ckmapor(ck, a / B, KDCHAIN);
		if ((b = readlogblk(ck->fs, a, GEFS_TDLIST, &h, &ok)) == NULL) {
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: %s", ck->fs->err.msg);
			return;
		}
		if (!ok)
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: block 0x%llx fails its body hash",
				(unsigned long long)a);
		for (o = 0; o + 8 <= h.logsz; o += 8) {
			x = gefs_get64(b->buf + GEFS_LOGHDSZ + o);
			if (ckinarea(ck, x))
				ckmapor(ck, x / B, MDLIST);
			else
				ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: block 0x%llx lists 0x%llx, outside every arena",
					(unsigned long long)a, (unsigned long long)x);
		}
		putblk(ck->fs, b);
		last = a;
	}
	if (last != sb->dltladdr)
		ckreport(ck, PR_SBDLCHAIN, ck->sbaddr[ck->fs->sbcopy], "snapshot-tree deadlist: tail 0x%llx is not the last chain block 0x%llx",
			(unsigned long long)sb->dltladdr, (unsigned long long)last);
}

void
checkfree(Check *ck)
{
	Amap own = {NULL, NULL, 0, 0};
	size_t i;

	for (i = 0; i < ck->ndl && !ckcancelled(ck); i++) {
		ckprogress(ck, i, ck->ndl);
		checkdl(ck, &own, (uint32_t)i);
	}
	free(own.k);
	free(own.v);
	if (ck->fs->sb.dlhdaddr != GEFS_NONE)
		checksnapdl(ck);
}
