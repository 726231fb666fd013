/* SPDX-License-Identifier: MIT */
/*
 * builder suite: images made by the test image builder (tests/common)
 * are valid.  A small pack-level verifier of its own checks superblocks,
 * arena tables, log replay against the builder's block map, and every
 * tree (hashes, fills, key order, the range rule, K_i = min key of the
 * child), data blocks and deadlists; gefs_open must accept the images.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "gefs.h"
#include "builder.h"

enum { B = GEFS_BLKSZ };

typedef struct V {
	Bld		*b;
	const uint8_t	*img;
	uint64_t	nblk;
	GefsSb		sb;
	uint8_t		*alloc;		/* per block, after replay */
	int		nerr;
	char		err[512];
	/* statistics */
	uint64_t	nlogblk[GEFS_MAXARENA];
	uint64_t	npivot, nleaf, nmsg, ndata, ndlist, nsnap, nlabel;
	int		stopped;	/* arenas whose replay stopped at a barrier */
} V;

static void
bad(V *v, const char *fmt, unsigned long long a, unsigned long long x)
{
	if (v->nerr++ == 0)
		snprintf(v->err, sizeof v->err, fmt, a, x);
}

/* Mark [a, a+len) allocated (op alloc) or free; every block must change. */
static void
mark(V *v, uint64_t lo, uint64_t hi, uint64_t a, uint64_t len, bool alloc)
{
	uint64_t i;

	if (a < lo || len > hi - lo || a > hi - len) {
		bad(v, "log entry 0x%llx+%llu outside its arena", a, len);
		return;
	}
	for (i = a / B; i < (a + len) / B; i++) {
		if (v->alloc[i] == alloc)
			bad(v, "replay: block 0x%llx already %s", i * B, (unsigned long long)alloc);
		v->alloc[i] = alloc;
	}
}

/* Replay arena i's log (§6.4); check logh, used, footer, table hash. */
static void
replay(V *v, int i)
{
	uint64_t h = v->sb.arenaaddr[i], lo, hi, bp, used, n = 0;
	GefsArenaHdr ah;
	GefsLogHdr lh;
	GefsLogEnt le;
	GefsErr e;
	size_t off;
	int w;

	if (h + 2 * B > v->nblk * B || gefs_unpackarena(&ah, v->img + h, h, &e) != 0) {
		bad(v, "arena header 0x%llx: %llu", h, 0);
		return;
	}
	if (memcmp(v->img + h, v->img + h + B, B) != 0)
		bad(v, "arena 0x%llx: footer differs%llu", h, 0);
	if (gefs_blkhash(v->img + h) != v->sb.arenahash[i])
		bad(v, "arena 0x%llx: table hash %llx", h, v->sb.arenahash[i]);
	lo = h;
	hi = h + 2 * B + ah.size;
	used = ah.size;
	for (bp = ah.loghdaddr; bp != GEFS_NONE && n < v->nblk; bp = lh.chain.addr, n++) {
		if (bp % B || bp / B >= v->nblk || gefs_unpackloghdr(&lh, v->img + bp, GEFS_TLOG, bp, &e) != 0) {
			bad(v, "log block 0x%llx does not decode%llu", bp, 0);
			return;
		}
		if (gefs_loghash(v->img + bp, lh.logsz) != lh.logh)
			bad(v, "log block 0x%llx: logh %llx", bp, lh.logh);
		v->nlogblk[i]++;
		for (off = 0; off < lh.logsz; off += (size_t)w) {
			const uint8_t *p = v->img + bp + GEFS_LOGHDSZ;

			if ((w = gefs_unpacklogent(&le, p + off, p + lh.logsz, bp, off, &e)) < 0) {
				bad(v, "log block 0x%llx: entry at %llu", bp, off);
				return;
			}
			if (le.op == GEFS_LOGSYNC) {
				if (le.qgen >= v->sb.qgen) {
					v->stopped++;
					goto done;
				}
				continue;
			}
			mark(v, lo, hi, le.addr, le.len, le.op == GEFS_LOGALLOC1 || le.op == GEFS_LOGALLOC);
			if (le.op == GEFS_LOGALLOC1 || le.op == GEFS_LOGALLOC)
				used += le.len;
			else
				used -= le.len;
		}
	}
done:
	if (used != ah.used)
		bad(v, "arena 0x%llx: used %llu", h, used);
}

/* Replay allocation must equal the builder's block map inside arenas. */
static void
mapcheck(V *v)
{
	uint64_t i, a0 = v->sb.arenaaddr[0], a1;

	a1 = v->sb.arenaaddr[v->sb.narena - 1] + 2 * B + bldarenasz(v->b);
	for (i = a0 / B; i < a1 / B; i++)
		if (v->alloc[i] != (bldinfo(v->b, i * B).kind != BLD_BFREE))
			bad(v, "block 0x%llx: replay says allocated=%llu, map differs", i * B, v->alloc[i]);
}

static int
kcmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	return gefs_keycmp(a, na, b, nb);
}

static void walk(V *v, const GefsBptr *bp, int ht, int depth, const GefsKv *lo, const GefsKv *hi,
	int fill, char what);

static void
data(V *v, const uint8_t *val, size_t nv)
{
	GefsBptr bp;

	if (nv != GEFS_PTRSZ) {
		bad(v, "Kdat value of %llu bytes%llu", nv, 0);
		return;
	}
	gefs_unpackbptr(&bp, val);
	if (bp.addr % B || bp.addr / B >= v->nblk || !v->alloc[bp.addr / B])
		bad(v, "data block 0x%llx not allocated%llu", bp.addr, 0);
	else if (gefs_blkhash(v->img + bp.addr) != bp.hash)
		bad(v, "data block 0x%llx: hash %llx", bp.addr, bp.hash);
	v->ndata++;
}

static void
dlist(V *v, const uint8_t *val, size_t nv)
{
	GefsDlist d;
	GefsLogHdr lh;
	GefsErr e;
	uint64_t a, n = 0, k;

	if (gefs_unpackdlist(&d, val, nv, &e) != 0) {
		bad(v, "Kdlist value%llu%llu", 0, 0);
		return;
	}
	for (a = d.hd.addr; a != GEFS_NONE && n++ < v->nblk; a = lh.chain.addr) {
		if (a % B || a / B >= v->nblk || !v->alloc[a / B] ||
		    gefs_unpackloghdr(&lh, v->img + a, GEFS_TDLIST, a, &e) != 0) {
			bad(v, "deadlist block 0x%llx%llu", a, 0);
			return;
		}
		if (gefs_loghash(v->img + a, lh.logsz) != lh.logh)
			bad(v, "deadlist block 0x%llx: logh %llx", a, lh.logh);
		for (k = 0; k < lh.logsz; k += 8) {
			uint64_t x = gefs_get64(v->img + a + GEFS_LOGHDSZ + k);

			if (x % B || x / B >= v->nblk || !v->alloc[x / B])
				bad(v, "deadlist 0x%llx lists free block 0x%llx", a, x);
		}
		v->ndlist++;
		if (lh.chain.addr == GEFS_NONE && a != d.tl.addr)
			bad(v, "deadlist tail 0x%llx != tl 0x%llx", a, d.tl.addr);
	}
}

/* A leaf entry or message value of a snapshot tree or fs tree. */
static void
value(V *v, const uint8_t *k, size_t nk, const uint8_t *val, size_t nv, char what)
{
	GefsSnap s;
	GefsLabel l;
	GefsErr e;

	if (nk < 1)
		return;
	if (what == 'f' && k[0] == GEFS_KDAT)
		data(v, val, nv);
	if (what != 's')
		return;
	if (k[0] == GEFS_KSNAP) {
		if (gefs_unpacksnap(&s, val, nv, &e) != 0) {
			bad(v, "Ksnap value%llu%llu", 0, 0);
			return;
		}
		v->nsnap++;
		walk(v, &s.root, s.ht, 0, NULL, NULL, -1, 'f');
	} else if (k[0] == GEFS_KLABEL) {
		if (gefs_unpacklabel(&l, val, nv, &e) != 0)
			bad(v, "Klabel value%llu%llu", 0, 0);
		v->nlabel++;
	} else if (k[0] == GEFS_KDLIST)
		dlist(v, val, nv);
}

static void
pivot(V *v, const GefsNode *n, int ht, int depth, const GefsKv *hi, char what)
{
	GefsKv kv, next;
	GefsMsg m;
	GefsBptr cbp;
	uint16_t cfill;
	GefsErr e;
	int i;

	for (i = 0; i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (hi && kcmp(m.k, m.nk, hi->k, hi->nk) >= 0)
			bad(v, "pivot 0x%llx: message %llu beyond range", n->addr, i);
		if (i > 0) {
			GefsMsg p;

			gefs_nodemsg(n, i - 1, &p);
			if (kcmp(p.k, p.nk, m.k, m.nk) > 0)
				bad(v, "pivot 0x%llx: message %llu out of order", n->addr, i);
		}
		if (m.op == GEFS_OINSERT)
			value(v, m.k, m.nk, m.v, m.nv, what);
		v->nmsg++;
	}
	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (i + 1 < n->nval)
			gefs_nodekv(n, i + 1, &next);
		if (gefs_unpackpivval(&cbp, &cfill, kv.v, kv.nv, &e) != 0) {
			bad(v, "pivot 0x%llx: entry %llu", n->addr, i);
			continue;
		}
		walk(v, &cbp, ht, depth + 1, &kv, i + 1 < n->nval ? &next : hi, cfill, what);
	}
}

/* Smallest key of a node: first entry, or first message if smaller. */
static void
minkey(const GefsNode *n, const uint8_t **k, size_t *nk)
{
	GefsKv kv;
	GefsMsg m;

	*k = NULL;
	*nk = 0;
	if (n->nval > 0) {
		gefs_nodekv(n, 0, &kv);
		*k = kv.k;
		*nk = kv.nk;
	}
	if (n->type == GEFS_TPIVOT && n->nbuf > 0) {
		gefs_nodemsg(n, 0, &m);
		if (*k == NULL || kcmp(m.k, m.nk, *k, *nk) < 0) {
			*k = m.k;
			*nk = m.nk;
		}
	}
}

/* Verify the node bp points to and everything below it. */
static void
walk(V *v, const GefsBptr *bp, int ht, int depth, const GefsKv *lo, const GefsKv *hi, int fill, char what)
{
	GefsNode n;
	GefsErr e;
	GefsKv kv, prev = { NULL, 0, NULL, 0 };
	const uint8_t *mk;
	size_t nmk;
	int i;

	if (bp->addr % B || bp->addr / B >= v->nblk || !v->alloc[bp->addr / B]) {
		bad(v, "node 0x%llx not allocated (depth %llu)", bp->addr, depth);
		return;
	}
	if (gefs_blkhash(v->img + bp->addr) != bp->hash)
		bad(v, "node 0x%llx: hash %llx", bp->addr, bp->hash);
	if (gefs_unpacknode(&n, v->img + bp->addr, bp->addr, &e) != 0) {
		bad(v, "node 0x%llx does not decode%llu", bp->addr, 0);
		return;
	}
	if ((depth < ht - 1) != (n.type == GEFS_TPIVOT) || depth >= ht)
		bad(v, "node 0x%llx: wrong type at depth %llu", bp->addr, depth);
	if (fill >= 0 && gefs_nodefill(&n) != fill)
		bad(v, "node 0x%llx: fill %llu in parent", bp->addr, fill);
	minkey(&n, &mk, &nmk);
	if (lo && (mk == NULL || kcmp(lo->k, lo->nk, mk, nmk) != 0))
		bad(v, "node 0x%llx: parent key is not its min key%llu", bp->addr, 0);
	for (i = 0; i < n.nval; i++) {
		gefs_nodekv(&n, i, &kv);
		if (i > 0 && kcmp(prev.k, prev.nk, kv.k, kv.nk) >= 0)
			bad(v, "node 0x%llx: entry %llu out of order", bp->addr, i);
		if (hi && kcmp(kv.k, kv.nk, hi->k, hi->nk) >= 0)
			bad(v, "node 0x%llx: entry %llu beyond range", bp->addr, i);
		if (n.type == GEFS_TLEAF)
			value(v, kv.k, kv.nk, kv.v, kv.nv, what);
		prev = kv;
	}
	if (n.type == GEFS_TPIVOT) {
		v->npivot++;
		pivot(v, &n, ht, depth, hi, what);
	} else
		v->nleaf++;
}

static int quiet;	/* failures are expected: do not print them */

/* The whole check; 0 when the image is valid. */
static int
verify(Bld *b, V *v)
{
	GefsErr e;
	GefsBptr root;
	size_t len;
	int i;

	memset(v, 0, sizeof *v);
	v->b = b;
	v->img = bldimg(b);
	v->nblk = bldsize(b) / B;
	if (gefs_unpacksb(&v->sb, v->img, 0, &e) != 0 || !gefs_sbhashok(v->img, v->sb.narena)) {
		bad(v, "superblock 0 bad%llu%llu", 0, 0);
		return -1;
	}
	len = gefs_sbhashlen(v->sb.narena) + 8;
	if (memcmp(v->img, v->img + (v->nblk - 1) * B, len) != 0)
		bad(v, "superblock copies differ%llu%llu", 0, 0);
	v->alloc = malloc(v->nblk);
	memset(v->alloc, 1, v->nblk);
	for (i = 0; i < (int)v->sb.narena; i++)
		replay(v, i);
	mapcheck(v);
	root.addr = v->sb.snapaddr;
	root.hash = v->sb.snaphash;
	root.gen = 0;
	walk(v, &root, (int)v->sb.snapht, 0, NULL, NULL, -1, 's');
	free(v->alloc);
	if (v->nerr && !quiet)
		fprintf(stderr, "verify: %d errors, first: %s\n", v->nerr, v->err);
	return v->nerr ? -1 : 0;
}

/* gefs_open accepts the image with no warning. */
static int nwarn;
static void
warnfn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "gefs_open warning: %s\n", msg);
	nwarn++;
}

static void
opencheck(Bld *b)
{
	char path[] = "/tmp/gefs-builder-XXXXXX";
	GefsOpts o;
	GefsErr e;
	Gefs *fs;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(bldwrite(b, path), 0);
	gefs_defopts(&o);
	o.warn = warnfn;
	nwarn = 0;
	memset(&e, 0, sizeof e);
	fs = gefs_open(path, &o, &e);
	if (fs == NULL)
		fprintf(stderr, "gefs_open: %s\n", e.msg);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT_EQUAL(nwarn, 0);
	gefs_close(fs);
	unlink(path);
}

/* ------------------------------------------------------------------ */

static void
test_minimal(void)
{
	Bld *b = bldnew(NULL);
	BldTree *m = bldtnew(2), *a = bldtnew(0), *st = bldtnew(0);
	V v;

	CU_ASSERT_FATAL(b && m && a && st);
	CU_ASSERT_EQUAL(bldfs_root(b, m, 0), 0);
	CU_ASSERT_EQUAL(bldfs_mkdir(b, m, 0, "dir", 3, 0755), 0);
	CU_ASSERT_EQUAL(bldfs_file(b, m, 3, "hello", 4, 0644, "hello\n", 6), 0);
	CU_ASSERT_EQUAL(bldtree(b, m, 1, 0), 0);
	CU_ASSERT_EQUAL(bldfs_adm(b, a, NULL), 0);
	CU_ASSERT_EQUAL(bldsnap_label(st, "adm", 1, GEFS_LMUT), 0);
	CU_ASSERT_EQUAL(bldsnap_label(st, "empty", 0, 0), 0);
	CU_ASSERT_EQUAL(bldsnap_label(st, "main", 2, GEFS_LMUT), 0);
	CU_ASSERT_EQUAL(bldsnap_rec(st, 0, 2, 1, 0, 2, 0, m), 0);
	CU_ASSERT_EQUAL(bldsnap_rec(st, 1, 0, 1, 0, -1, 0, a), 0);
	CU_ASSERT_EQUAL(bldsnap_rec(st, 2, 0, 1, 0, -1, 0, m), 0);
	CU_ASSERT_EQUAL(bldsnaptree(b, st, 1, 0), 0);
	bldsb(b)->nextqid = 5;
	CU_ASSERT_EQUAL(bldfinish(b), 0);
	CU_ASSERT_STRING_EQUAL(blderr(b), "");
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	CU_ASSERT_EQUAL(v.nleaf, 4);	/* main twice (empty shares it), adm, snapshot tree */
	CU_ASSERT_EQUAL(v.nsnap, 3);
	CU_ASSERT_EQUAL(v.nlabel, 3);
	CU_ASSERT_EQUAL(v.ndata, 3);	/* hello twice, users */
	opencheck(b);
	bldtfree(m);
	bldtfree(a);
	bldtfree(st);
	bldfree(b);
}

/* empty (own root leaf), adm and the labels around a built main tree m
 * of generation gen; then finish. */
static int
wrap(Bld *b, BldTree *m, uint64_t gen)
{
	BldTree *a = bldtnew(0), *em = bldtnew(0), *st = bldtnew(0);
	int rc = -1;

	if (a && em && st && bldfs_adm(b, a, NULL) == 0 && bldfs_root(b, em, 0) == 0 &&
	    bldtree(b, em, 1, 0) == 0 &&
	    bldsnap_label(st, "adm", 1, GEFS_LMUT) == 0 && bldsnap_label(st, "empty", 0, 0) == 0 &&
	    bldsnap_label(st, "main", gen, GEFS_LMUT) == 0 &&
	    bldsnap_rec(st, 0, 2, 1, 0, (int64_t)gen, 0, em) == 0 &&
	    bldsnap_rec(st, 1, 0, 1, 0, -1, 0, a) == 0 &&
	    bldsnap_rec(st, gen, 0, 1, 0, -1, 0, m) == 0 && bldsnaptree(b, st, 1, 0) == 0) {
		bldsb(b)->nextgen = gen + 1;
		bldsb(b)->nextqid = 1000;
		rc = bldfinish(b);
	}
	if (rc != 0)
		fprintf(stderr, "wrap: %s\n", blderr(b));
	bldtfree(a);
	bldtfree(em);
	bldtfree(st);
	return rc;
}

/* Trees of height 1..5 with messages at every pivot depth, one of them
 * below every key (it lowers the leftmost keys on its path). */
static void
test_heights(void)
{
	BldOpts o;
	char name[32];
	uint8_t k[GEFS_KEYMAX], val[64];
	GefsXdir d;
	GefsBptr bp;
	size_t nk, nv;
	int ht, i;
	V v;

	for (ht = 1; ht <= 5; ht++) {
		Bld *b;
		BldTree *m;

		bldinitopts(&o);
		o.arenablks = 256;
		b = bldnew(&o);
		m = bldtnew(5);
		CU_ASSERT_FATAL(b && m);
		CU_ASSERT_EQUAL(bldfs_root(b, m, 0), 0);
		for (i = 0; i < 150; i++) {
			snprintf(name, sizeof name, "file%03d", i);
			CU_ASSERT_EQUAL(bldfs_file(b, m, 0, name, 10 + i, 0644, NULL, 0), 0);
		}
		CU_ASSERT_EQUAL(bldfs_file(b, m, 0, "zz", 9, 0644, NULL, 100), 0);
		memset(&d, 0, sizeof d);
		for (i = 0; i < ht - 1; i++) {
			snprintf(name, sizeof name, "file%03d", 40 * i + 3);
			nk = gefs_packentkey(k, 0, name, strlen(name));
			d.mtime = i;
			nv = gefs_packwstat(val, GEFS_OWMTIME, &d);
			CU_ASSERT_EQUAL(bldmsg(m, i, GEFS_OWSTAT, k, nk, val, nv), 0);
		}
		if (ht > 1) {
			CU_ASSERT_EQUAL(blddata(b, "zz", 2, 5, &bp), 0);
			nk = gefs_packdatkey(k, 9, 0);
			gefs_packbptr(val, &bp);
			CU_ASSERT_EQUAL(bldmsg(m, ht - 2, GEFS_OINSERT, k, nk, val, GEFS_PTRSZ), 0);
		}
		CU_ASSERT_EQUAL(bldtree(b, m, ht, ht == 1 ? 0 : 700), 0);
		CU_ASSERT_EQUAL(m->ht, ht);
		CU_ASSERT_EQUAL(m->nnode[0], 1);
		if (ht > 1)
			CU_ASSERT(m->nnode[ht - 1] > m->nnode[ht - 2]);
		CU_ASSERT_EQUAL(bldinfo(b, m->root.addr).kind, ht == 1 ? BLD_BLEAF : BLD_BPIVOT);
		CU_ASSERT_EQUAL(bldinfo(b, m->node[ht - 1][0]).depth, ht - 1);
		CU_ASSERT_EQUAL(wrap(b, m, 5), 0);
		CU_ASSERT_EQUAL(verify(b, &v), 0);
		CU_ASSERT_EQUAL(v.nmsg, ht > 1 ? (uint64_t)ht : 0);
		opencheck(b);
		bldtfree(m);
		bldfree(b);
	}
}

/* A spec that cannot fit its height fails cleanly, as do duplicates. */
static void
test_failures(void)
{
	Bld *b = bldnew(NULL);
	BldTree *t = bldtnew(1), *u = bldtnew(1);
	uint8_t k[4] = { 6, 'a', 'b', 'c' }, v[400];
	int i;

	memset(v, 'x', sizeof v);
	for (i = 0; i < 100; i++) {
		k[3] = (uint8_t)i;
		bldkv(t, k, sizeof k, v, sizeof v);
	}
	CU_ASSERT_EQUAL(bldtree(b, t, 1, 0), -1);	/* 40 KiB in one leaf */
	CU_ASSERT_NOT_EQUAL(strlen(blderr(b)), 0);
	CU_ASSERT_EQUAL(bldfinish(b), -1);
	bldfree(b);
	b = bldnew(NULL);
	bldkv(u, k, sizeof k, v, 1);
	bldkv(u, k, sizeof k, v, 2);
	CU_ASSERT_EQUAL(bldtree(b, u, 1, 0), -1);
	CU_ASSERT(strstr(blderr(b), "duplicate") != NULL);
	bldfree(b);
	bldtfree(t);
	bldtfree(u);
	CU_ASSERT_PTR_NULL(bldnamed("nosuch", NULL, NULL));
}

static void
test_std(void)
{
	GefsErr e;
	Bld *b = bldstdimg(NULL, &e);
	V v;

	if (b == NULL)
		fprintf(stderr, "bldstdimg: %s\n", e.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	CU_ASSERT(v.nmsg >= 5);
	CU_ASSERT(v.npivot >= 3);
	CU_ASSERT(v.ndlist >= 2);
	CU_ASSERT_EQUAL(v.nsnap, 4);
	CU_ASSERT_EQUAL(v.nlabel, 4);
	CU_ASSERT(v.ndata > 20);
	opencheck(b);
	bldfree(b);
}

static void
test_named(void)
{
	static const char *kinds[] = { "std", "empty", "deep", "snaps", "logchain" };
	BldStdOpts o;
	GefsErr e;
	size_t i;
	V v;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		Bld *b;

		bldinitstd(&o);
		o.seed = 7 + i;
		b = bldnamed(kinds[i], i == 2 ? NULL : &o, &e);
		if (b == NULL)
			fprintf(stderr, "%s: %s\n", kinds[i], e.msg);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(verify(b, &v), 0);
		if (strcmp(kinds[i], "snaps") == 0) {
			CU_ASSERT_EQUAL(v.nsnap, 6);
			CU_ASSERT(v.ndlist >= 3);
		}
		if (strcmp(kinds[i], "deep") == 0)
			CU_ASSERT(v.npivot >= 6);
		if (strcmp(kinds[i], "empty") == 0)
			CU_ASSERT_EQUAL(v.nleaf, 4);
		if (strcmp(kinds[i], "logchain") == 0) {
			int a, chained = 0;

			for (a = 0; a < bldnarena(b); a++)
				chained += v.nlogblk[a] >= 2;
			CU_ASSERT_EQUAL(chained, bldnarena(b));
			CU_ASSERT_EQUAL(v.stopped, bldnarena(b));
			CU_ASSERT_EQUAL(v.sb.qgen, 7);
		}
		opencheck(b);
		bldfree(b);
	}
}

/* Compressed logs of a fragmented image: LogFree ranges only. */
static void
test_compress(void)
{
	BldStdOpts o;
	GefsErr e;
	Bld *b;
	V v;
	int a, multi = 0;

	bldinitstd(&o);
	o.img.logstyle = BLD_LOGCOMPRESS;
	o.img.alloc = BLD_ALLOCSCATTER;
	o.img.seed = 3;
	o.img.logbudget = 64;
	o.img.sync = true;
	o.img.qgen = 2;
	b = bldstdimg(&o, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	for (a = 0; a < bldnarena(b); a++) {
		const uint8_t *p = bldblkp(b, bldarenaaddr(b, a) + 2 * B);
		int op = gefs_get64(p + GEFS_LOGHDSZ) & 0xff;

		CU_ASSERT_EQUAL(op, GEFS_LOGFREE);
		multi += v.nlogblk[a] >= 2;
	}
	CU_ASSERT(multi >= 1);
	opencheck(b);
	bldfree(b);
}

static void
test_determinism(void)
{
	BldStdOpts o;
	Bld *x, *y, *z;

	bldinitstd(&o);
	x = bldstdimg(&o, NULL);
	y = bldstdimg(&o, NULL);
	o.seed = 99;
	z = bldstdimg(&o, NULL);
	CU_ASSERT_FATAL(x && y && z);
	CU_ASSERT_EQUAL(bldsize(x), bldsize(y));
	CU_ASSERT(memcmp(bldimg(x), bldimg(y), bldsize(x)) == 0);
	CU_ASSERT(bldsize(x) != bldsize(z) || memcmp(bldimg(x), bldimg(z), bldsize(x)) != 0);
	bldfree(x);
	bldfree(y);
	bldfree(z);
	x = bldnamed("logchain", NULL, NULL);
	y = bldnamed("logchain", NULL, NULL);
	CU_ASSERT_FATAL(x && y);
	CU_ASSERT(memcmp(bldimg(x), bldimg(y), bldsize(x)) == 0);
	bldfree(x);
	bldfree(y);
}

/* First block of a kind (and depth, -1 any) in the map. */
static uint64_t
find(Bld *b, int kind, int depth)
{
	uint64_t a;

	for (a = 0; a < bldsize(b); a += B) {
		BldInfo i = bldinfo(b, a);

		if (i.kind == kind && (depth < 0 || i.depth == depth))
			return a;
	}
	return GEFS_NONE;
}

/* Mutations after finish: rehash carries hashes to the superblock. */
static void
test_rehash(void)
{
	Bld *b = bldstdimg(NULL, NULL);
	uint64_t leaf, dat, dl, ar, old;
	uint8_t x = 0x5a;
	uint8_t w[8];
	BldRef r[4];
	V v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	leaf = find(b, BLD_BLEAF, 2);
	dat = find(b, BLD_BDATA, -1);
	dl = find(b, BLD_BDLIST, -1);
	ar = bldarenaaddr(b, 1);
	CU_ASSERT_FATAL(leaf != GEFS_NONE && dat != GEFS_NONE && dl != GEFS_NONE);
	CU_ASSERT_EQUAL_FATAL(bldrefs(b, leaf, r, 4), 1);
	CU_ASSERT_EQUAL(r[0].kind, BLD_RPIVOT);
	old = gefs_get64(bldblkp(b, r[0].parent) + r[0].off + 8);
	/* a leaf's slack byte (between offset table and entries) */
	CU_ASSERT_EQUAL(bldpoke(b, leaf, 8000, &x, 1), 0);
	CU_ASSERT_NOT_EQUAL(gefs_get64(bldblkp(b, r[0].parent) + r[0].off + 8), old);
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	/* skip mode leaves the hash stale; rehash repairs it */
	quiet = 1;
	bldhashmode(b, BLD_HASHSKIP);
	CU_ASSERT_EQUAL(bldpoke(b, dat, 100, &x, 1), 0);
	CU_ASSERT_NOT_EQUAL(verify(b, &v), 0);
	CU_ASSERT(strstr(v.err, "data block") != NULL);
	CU_ASSERT_EQUAL(bldrehash(b, dat), 0);
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	/* a deadlist block: logh follows the body */
	bldhashmode(b, BLD_HASHFIX);
	gefs_put64(w, dat);
	CU_ASSERT_EQUAL(bldpoke(b, dl, GEFS_LOGHDSZ, w, 8), 0);
	CU_ASSERT_EQUAL(verify(b, &v), 0);
	/* an arena header: the table hash follows, the footer now differs */
	CU_ASSERT_EQUAL(bldpoke(b, ar, 300, &x, 1), 0);
	CU_ASSERT_EQUAL(verify(b, &v), -1);
	CU_ASSERT_EQUAL(v.nerr, 1);
	CU_ASSERT(strstr(v.err, "footer differs") != NULL);
	/* a superblock field: sbhash follows */
	x = 1;
	CU_ASSERT_EQUAL(bldpoke(b, 0, 79, &x, 1), 0);
	CU_ASSERT(gefs_sbhashok(bldimg(b), bldnarena(b)));
	CU_ASSERT_EQUAL(bldpoke(b, bldsize(b) - B, 79, &x, 1), 0);
	CU_ASSERT(gefs_sbhashok(bldimg(b) + bldsize(b) - B, bldnarena(b)));
	quiet = 0;
	bldfree(b);
}

int
suite_builder(void)
{
	CU_pSuite s = CU_add_suite("builder", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "minimal image", test_minimal) ||
	    !CU_add_test(s, "heights 1..5 with messages", test_heights) ||
	    !CU_add_test(s, "failures", test_failures) ||
	    !CU_add_test(s, "standard image", test_std) ||
	    !CU_add_test(s, "named kinds", test_named) ||
	    !CU_add_test(s, "compressed logs", test_compress) ||
	    !CU_add_test(s, "determinism", test_determinism) ||
	    !CU_add_test(s, "rehash", test_rehash))
		return -1;
	return 0;
}
