/* SPDX-License-Identifier: MIT */
/*
 * bldtree.c — the builder's trees: tree specs, layout of a tree of a given
 * height, file-system and snapshot-tree helpers (see builder.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bldint.h"

BldTree *
bldtnew(uint64_t gen)
{
	BldTree *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->gen = gen;
	t->msgdepth = -1;
	t->uid = -1;
	t->gid = -1;
	t->muid = 0;
	t->root.addr = GEFS_NONE;
	t->root.hash = GEFS_NONE;
	t->root.gen = GEFS_NONE;
	t->id = -1;
	return t;
}

void
bldtfree(BldTree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nkv; i++) {
		free(t->kv[i].k);
		free(t->kv[i].v);
	}
	for (i = 0; i < t->nmsg; i++) {
		free(t->msg[i].k);
		free(t->msg[i].v);
	}
	for (i = 0; i < BLD_MAXHT; i++)
		free(t->node[i]);
	free(t->kv);
	free(t->msg);
	free(t);
}

/* A private copy of n bytes (never NULL on success, even for n = 0). */
static uint8_t *
dup(const void *p, size_t n)
{
	uint8_t *q = malloc(n + 1);

	if (q != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

int
bldkv(BldTree *t, const void *k, size_t nk, const void *v, size_t nv)
{
	struct BldKv *n, *e;

	if (t->nkv == t->kvcap) {
		t->kvcap = t->kvcap ? 2 * t->kvcap : 64;
		if ((n = realloc(t->kv, t->kvcap * sizeof *n)) == NULL) {
			t->failed = 1;
			return -1;
		}
		t->kv = n;
	}
	e = &t->kv[t->nkv];
	e->k = dup(k, nk);
	e->v = dup(v, nv);
	if (e->k == NULL || e->v == NULL) {
		free(e->k);
		free(e->v);
		t->failed = 1;
		return -1;
	}
	e->nk = nk;
	e->nv = nv;
	e->seq = t->nkv++;
	return 0;
}

int
bldmsg(BldTree *t, int depth, int op, const void *k, size_t nk, const void *v, size_t nv)
{
	struct BldMsg *n, *e;

	if (t->nmsg == t->msgcap) {
		t->msgcap = t->msgcap ? 2 * t->msgcap : 64;
		if ((n = realloc(t->msg, t->msgcap * sizeof *n)) == NULL) {
			t->failed = 1;
			return -1;
		}
		t->msg = n;
	}
	e = &t->msg[t->nmsg];
	e->k = dup(k, nk);
	e->v = dup(v, nv);
	if (e->k == NULL || e->v == NULL || depth < 0) {
		free(e->k);
		free(e->v);
		t->failed = 1;
		return -1;
	}
	e->depth = depth;
	e->op = op;
	e->nk = nk;
	e->nv = nv;
	e->seq = t->nmsg++;
	return 0;
}

/* §9.1 order: memcmp over the shorter length, then shorter first. */
static int
keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	if (c != 0)
		return c;
	return na < nb ? -1 : na > nb;
}

static int
kvcmp(const void *a, const void *b)
{
	const struct BldKv *x = a, *y = b;
	int c = keycmp(x->k, x->nk, y->k, y->nk);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int
msgcmp(const void *a, const void *b)
{
	const struct BldMsg *x = a, *y = b;
	int c = keycmp(x->k, x->nk, y->k, y->nk);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* ------------------------------------------------------------------ */
/* Node walking (for references and reachability)                     */
/* ------------------------------------------------------------------ */

void
bldnodevals(Bld *b, uint64_t addr, BldValFn fn, void *arg)
{
	const uint8_t *p = bldblkp(b, addr);
	int type, i, n, base, tab;
	uint32_t e, nk, nv;

	if (p == NULL)
		return;
	type = gefs_get16(p);
	if (type != GEFS_TLEAF && type != GEFS_TPIVOT)
		return;
	base = type == GEFS_TLEAF ? GEFS_LEAFVA : GEFS_PIVVA;
	n = gefs_get16(p + 2);
	for (i = 0; i < n; i++) {
		tab = base + 2 * i;
		if (tab + 2 > BLD_B)
			break;
		e = base + gefs_get16(p + tab);
		if (e + 2 > BLD_B || e + 4 + (nk = gefs_get16(p + e)) > BLD_B)
			break;
		nv = gefs_get16(p + e + 2 + nk);
		if (e + 4 + nk + nv > BLD_B)
			break;
		fn(arg, addr, 'e', i, 0, p + e + 2, nk, e + 4 + nk, nv);
	}
	if (type != GEFS_TPIVOT)
		return;
	n = gefs_get16(p + 6);
	for (i = 0; i < n; i++) {
		tab = GEFS_PIVMA + 2 * i;
		if (tab + 2 > BLD_B)
			break;
		e = GEFS_PIVMA + gefs_get16(p + tab);
		if (e + 3 > BLD_B || e + 5 + (nk = gefs_get16(p + e + 1)) > BLD_B)
			break;
		nv = gefs_get16(p + e + 3 + nk);
		if (e + 5 + nk + nv > BLD_B)
			break;
		fn(arg, addr, 'm', i, p[e], p + e + 3, nk, e + 5 + nk, nv);
	}
}

/* Record the pointers a node holds: children, Kdat data blocks, Ksnap
 * roots, Kdlist chains. */
static void
refval(void *arg, uint64_t addr, int what, int slot, int op, const uint8_t *k, size_t nk,
	uint32_t voff, size_t nv)
{
	Bld *b = arg;
	const uint8_t *v = b->img + addr + voff;
	bool msg = what == 'm';
	int type = gefs_get16(b->img + addr);

	if (msg && op != GEFS_OINSERT)
		return;
	if (!msg && type == GEFS_TPIVOT) {
		if (nv >= GEFS_PTRSZ)
			bldaddref(b, gefs_get64(v), addr, BLD_RPIVOT, slot, voff);
		return;
	}
	if (nk < 1)
		return;
	if (k[0] == GEFS_KDAT && nv >= GEFS_PTRSZ)
		bldaddref(b, gefs_get64(v), addr, msg ? BLD_RMSG : BLD_RKDAT, slot, voff);
	else if (k[0] == GEFS_KSNAP && nv >= GEFS_SNAPVALSZ)
		bldaddref(b, gefs_get64(v + 48), addr, msg ? BLD_RMSG : BLD_RSNAP, slot, voff + 48);
	else if (k[0] == GEFS_KDLIST && nv >= GEFS_DLISTVALSZ) {
		bldaddref(b, gefs_get64(v), addr, BLD_RDLIST, slot, voff);
		bldaddref(b, gefs_get64(v + 24), addr, BLD_RDLIST, slot, voff + 24);
	}
}

/* ------------------------------------------------------------------ */
/* Layout                                                             */
/* ------------------------------------------------------------------ */

/* A built node, as its parent needs it. */
typedef struct Nd {
	GefsBptr	bp;
	uint16_t	fill;
	const uint8_t	*min;		/* smallest key (entry or message) */
	size_t		nmin;
	bool		hasmin;
} Nd;

typedef struct Lay {
	Bld		*b;
	BldTree		*t;
	int		ht;
	size_t		n[BLD_MAXHT];		/* nodes per level, level 0 = leaves */
	size_t		*start[BLD_MAXHT];	/* first child (or kv) of each node, n+1 entries */
	Nd		*nd[BLD_MAXHT];
	int		*mlevel;		/* per message: level and node */
	size_t		*mnode;
	uint8_t		blk[GEFS_BLKSZ];
} Lay;

static void
smin(Nd *d, const uint8_t *k, size_t nk)
{
	if (!d->hasmin || keycmp(k, nk, d->min, d->nmin) < 0) {
		d->min = k;
		d->nmin = nk;
		d->hasmin = true;
	}
}

/* Allocate and write the node in l->blk; fill in *d; note references. */
static int
putnode(Lay *l, int level, size_t idx, Nd *d)
{
	Bld *b = l->b;
	const uint8_t *p = l->blk;
	int leaf = gefs_get16(p) == GEFS_TLEAF;
	uint64_t a;
	int depth = l->ht - 1 - level;

	a = bldalloc(b, leaf ? BLD_BLEAF : BLD_BPIVOT, -1, l->t->gen);
	if (a == GEFS_NONE)
		return -1;
	memcpy(b->img + a, p, BLD_B);
	b->map[a / BLD_B].depth = depth;
	b->map[a / BLD_B].tree = l->t->id;
	d->bp.addr = a;
	d->bp.hash = gefs_blkhash(p);
	d->bp.gen = l->t->gen;
	d->fill = (uint16_t)(2 * gefs_get16(p + 2) + gefs_get16(p + 4));
	if (!leaf)
		d->fill += (uint16_t)(2 * gefs_get16(p + 6) + gefs_get16(p + 8));
	l->t->node[depth][idx] = a;
	bldnodevals(b, a, refval, b);
	return b->failed ? -1 : 0;
}

/* Leaves: kvs in order, a new leaf when the next pair would pass target. */
static int
leaves(Lay *l, int target)
{
	BldTree *t = l->t;
	size_t i, n = 0, fill = 0, esz;

	if ((l->start[0] = malloc(sizeof(size_t) * (t->nkv + 2))) == NULL)
		return -1;
	l->start[0][0] = 0;
	for (i = 0; i < t->nkv; i++) {
		esz = 2 + 4 + t->kv[i].nk + t->kv[i].nv;
		if (i > 0 && fill + esz > (size_t)target) {
			l->start[0][++n] = i;
			fill = 0;
		}
		fill += esz;
	}
	l->start[0][++n] = t->nkv;
	l->n[0] = n;
	return 0;
}

/* Pivot levels: fanout f, the smallest with f^(ht-1) >= leaves unless
 * given; children spread evenly over ceil(n/f) parents. */
static int
levels(Lay *l)
{
	size_t f = (size_t)l->t->pivfanout, p, n, g, j;
	int u;

	if (f == 0 && l->ht == 1)
		f = 1;
	if (f == 0) {
		for (f = 1;; f++) {
			for (p = 1, u = 1; u < l->ht && p < l->n[0]; u++)
				p *= f;
			if (p >= l->n[0])
				break;
		}
	}
	for (u = 1; u < l->ht; u++) {
		n = l->n[u - 1];
		g = (n + f - 1) / f;
		if ((l->start[u] = malloc(sizeof(size_t) * (g + 1))) == NULL)
			return -1;
		for (j = 0; j <= g; j++)
			l->start[u][j] = j * n / g;
		l->n[u] = g;
	}
	if (l->n[l->ht - 1] != 1)
		return bldfail(l->b, EINVAL, "builder: tree of %zu leaves does not fit height %d with fanout %zu",
			l->n[0], l->ht, f);
	return 0;
}

/* Node of level u containing leaf i. */
static size_t
upnode(Lay *l, int u, size_t i)
{
	int v;
	size_t j;

	for (v = 1; v <= u; v++) {
		for (j = 0; j + 1 < l->n[v] && l->start[v][j + 1] <= i; j++)
			;
		i = j;
	}
	return i;
}

/* Message m goes to the depth-d pivot above the leaf whose range holds
 * its key (leaf 0 for keys below every leaf). */
static int
placemsgs(Lay *l)
{
	BldTree *t = l->t;
	size_t i, j, leaf;

	l->mlevel = calloc(t->nmsg + 1, sizeof *l->mlevel);
	l->mnode = calloc(t->nmsg + 1, sizeof *l->mnode);
	if (!l->mlevel || !l->mnode)
		return -1;
	for (i = 0; i < t->nmsg; i++) {
		struct BldMsg *m = &t->msg[i];

		if (m->depth >= l->ht - 1)
			return bldfail(l->b, EINVAL, "builder: message depth %d in a tree of height %d",
				m->depth, l->ht);
		leaf = 0;
		for (j = 1; j < l->n[0]; j++) {
			struct BldKv *f = &t->kv[l->start[0][j]];

			if (keycmp(f->k, f->nk, m->k, m->nk) > 0)
				break;
			leaf = j;
		}
		l->mlevel[i] = l->ht - 1 - m->depth;
		l->mnode[i] = upnode(l, l->mlevel[i], leaf);
	}
	return 0;
}

static int
buildleaf(Lay *l, size_t j)
{
	BldTree *t = l->t;
	Nd *d = &l->nd[0][j];
	GefsErr e;
	size_t i;

	gefs_nodeinit(l->blk, GEFS_TLEAF);
	memset(d, 0, sizeof *d);
	for (i = l->start[0][j]; i < l->start[0][j + 1]; i++) {
		struct BldKv *kv = &t->kv[i];

		if (gefs_nodeadd(l->blk, kv->k, kv->nk, kv->v, kv->nv, &e) != 0)
			return bldfail(l->b, ENOSPC, "builder: leaf %zu: %s", j, e.msg);
		smin(d, kv->k, kv->nk);
	}
	return putnode(l, 0, j, d);
}

static int
buildpivot(Lay *l, int u, size_t j)
{
	BldTree *t = l->t;
	Nd *d = &l->nd[u][j], *c;
	uint8_t v[GEFS_PIVVALSZ];
	GefsMsg m;
	GefsErr e;
	size_t i;

	gefs_nodeinit(l->blk, GEFS_TPIVOT);
	memset(d, 0, sizeof *d);
	for (i = l->start[u][j]; i < l->start[u][j + 1]; i++) {
		c = &l->nd[u - 1][i];
		gefs_packpivval(v, &c->bp, c->fill);
		if (gefs_nodeadd(l->blk, c->hasmin ? c->min : v, c->hasmin ? c->nmin : 0, v, sizeof v, &e) != 0)
			return bldfail(l->b, ENOSPC, "builder: pivot at depth %d: %s", l->ht - 1 - u, e.msg);
		if (c->hasmin)
			smin(d, c->min, c->nmin);
	}
	for (i = 0; i < t->nmsg; i++) {
		if (l->mlevel[i] != u || l->mnode[i] != j)
			continue;
		m.op = (uint8_t)t->msg[i].op;
		m.k = t->msg[i].k;
		m.nk = (uint16_t)t->msg[i].nk;
		m.v = t->msg[i].v;
		m.nv = (uint16_t)t->msg[i].nv;
		if (gefs_nodeaddmsg(l->blk, &m, &e) != 0)
			return bldfail(l->b, ENOSPC, "builder: pivot buffer at depth %d: %s", l->ht - 1 - u, e.msg);
		smin(d, m.k, m.nk);
	}
	return putnode(l, u, j, d);
}

/* Check the spec, sort it, reject duplicate keys. */
static int
prepare(Bld *b, BldTree *t, int height)
{
	size_t i;

	if (b->failed)
		return -1;
	if (b->finished)
		return bldfail(b, EINVAL, "builder: bldtree after bldfinish");
	if (t->failed)
		return bldfail(b, ENOMEM, "builder: tree spec incomplete (out of memory or bad message depth)");
	if (t->root.addr != GEFS_NONE)
		return bldfail(b, EINVAL, "builder: tree already built");
	if (height < 1 || height > BLD_MAXHT)
		return bldfail(b, EINVAL, "builder: height %d", height);
	if (t->nkv > 1)
		qsort(t->kv, t->nkv, sizeof *t->kv, kvcmp);
	if (t->nmsg > 1)
		qsort(t->msg, t->nmsg, sizeof *t->msg, msgcmp);
	for (i = 1; i < t->nkv; i++)
		if (keycmp(t->kv[i - 1].k, t->kv[i - 1].nk, t->kv[i].k, t->kv[i].nk) == 0)
			return bldfail(b, EINVAL, "builder: duplicate key in tree spec (entry %zu)", i);
	return 0;
}

static void
layfree(Lay *l)
{
	int u;

	for (u = 0; u < BLD_MAXHT; u++) {
		free(l->start[u]);
		free(l->nd[u]);
	}
	free(l->mlevel);
	free(l->mnode);
	free(l);
}

int
bldtree(Bld *b, BldTree *t, int height, int leaffill)
{
	Lay *l;
	size_t j;
	int u, rc = -1;

	if (prepare(b, t, height) != 0)
		return -1;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return bldfail(b, ENOMEM, "builder: out of memory");
	l->b = b;
	l->t = t;
	l->ht = height;
	t->id = b->ntree++;
	if (leaves(l, leaffill > 0 ? leaffill : GEFS_LEAFSPC) != 0 || levels(l) != 0 || placemsgs(l) != 0)
		goto out;
	for (u = 0; u < height; u++) {
		l->nd[u] = calloc(l->n[u], sizeof(Nd));
		free(t->node[height - 1 - u]);
		t->node[height - 1 - u] = calloc(l->n[u], sizeof(uint64_t));
		t->nnode[height - 1 - u] = l->n[u];
		if (!l->nd[u] || !t->node[height - 1 - u])
			goto out;
	}
	for (j = 0; j < l->n[0]; j++)
		if (buildleaf(l, j) != 0)
			goto out;
	for (u = 1; u < height; u++)
		for (j = 0; j < l->n[u]; j++)
			if (buildpivot(l, u, j) != 0)
				goto out;
	t->root = l->nd[height - 1][0].bp;
	t->rootfill = l->nd[height - 1][0].fill;
	t->ht = height;
	rc = 0;
out:
	if (rc != 0 && !b->failed)
		bldfail(b, ENOMEM, "builder: out of memory");
	layfree(l);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reachable blocks                                                   */
/* ------------------------------------------------------------------ */

typedef struct Acc {
	Bld		*b;
	uint64_t	*v;
	size_t		n, cap;
	int		err;
} Acc;

static void
push(Acc *a, uint64_t x)
{
	uint64_t *n;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		if ((n = realloc(a->v, a->cap * sizeof *n)) == NULL) {
			a->err = 1;
			return;
		}
		a->v = n;
	}
	a->v[a->n++] = x;
}

static void
dataval(void *arg, uint64_t addr, int what, int slot, int op, const uint8_t *k, size_t nk,
	uint32_t voff, size_t nv)
{
	Acc *a = arg;
	uint64_t x;

	(void)slot;
	if (what == 'm' && op != GEFS_OINSERT)
		return;
	if (gefs_get16(a->b->img + addr) == GEFS_TPIVOT && what == 'e')
		return;
	if (nk < 1 || k[0] != GEFS_KDAT || nv < GEFS_PTRSZ)
		return;
	x = gefs_get64(a->b->img + addr + voff);
	if (x != GEFS_NONE && x % BLD_B == 0 && x / BLD_B < a->b->nblk)
		push(a, x);
}

int
bldtreeblocks(Bld *b, const BldTree *t, uint64_t **v, size_t *n)
{
	Acc a = { b, *v, *n, *n, 0 };
	size_t i;
	int d;

	for (d = 0; d < t->ht && d < BLD_MAXHT; d++)
		for (i = 0; i < t->nnode[d]; i++) {
			push(&a, t->node[d][i]);
			bldnodevals(b, t->node[d][i], dataval, &a);
		}
	*v = a.v;
	*n = a.n;
	return a.err ? bldfail(b, ENOMEM, "builder: out of memory") : 0;
}

/* ------------------------------------------------------------------ */
/* File-system trees                                                  */
/* ------------------------------------------------------------------ */

const char bldusers[] = "-1:adm::glenda\n0:none::\n1:glenda:glenda:\n";

static int
emit(Bld *b, BldTree *t, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	int rc;

	if (t->msgdepth < 0)
		rc = bldkv(t, k, nk, v, nv);
	else
		rc = bldmsg(t, t->msgdepth, GEFS_OINSERT, k, nk, v, nv);
	if (rc != 0)
		return bldfail(b, ENOMEM, "builder: out of memory");
	return 0;
}

static void
mkxdir(GefsXdir *d, const BldTree *t, uint64_t qid, uint32_t mode, uint64_t len)
{
	memset(d, 0, sizeof *d);
	d->qpath = qid;
	d->qtype = (uint8_t)((mode >> 24) & (GEFS_QTDIR | GEFS_QTAPPEND | GEFS_QTEXCL | GEFS_QTTMP));
	d->mode = mode;
	d->atime = t->mtime;
	d->mtime = t->mtime;
	d->length = len;
	d->uid = t->uid;
	d->gid = t->gid;
	d->muid = t->muid;
}

/* Kent(pqid, name) -> xdir; for directories also Kup(qid) -> that key. */
static int
entry(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode, uint64_t len)
{
	uint8_t k[GEFS_KEYMAX], u[GEFS_KEYMAX], v[GEFS_XDIRSZ];
	size_t nk, nu, nl = strlen(name);
	GefsXdir d;

	if (b->failed)
		return -1;
	if (nl > GEFS_NAMEMAX)
		return bldfail(b, EINVAL, "builder: name of %zu bytes", nl);
	nk = gefs_packentkey(k, pqid, name, nl);
	mkxdir(&d, t, qid, mode, len);
	gefs_packxdir(v, &d);
	if (emit(b, t, k, nk, v, sizeof v) != 0)
		return -1;
	if (!(mode & GEFS_DMDIR))
		return 0;
	nu = gefs_packupkey(u, qid);
	return emit(b, t, u, nu, k, nk);
}

int
bldfs_root(Bld *b, BldTree *t, uint64_t qid)
{
	return entry(b, t, GEFS_NONE, "", qid, GEFS_DMDIR | 0775, 0);
}

int
bldfs_mkdir(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode)
{
	return entry(b, t, pqid, name, qid, mode | GEFS_DMDIR, 0);
}

int
bldfs_dat(BldTree *t, uint64_t qid, uint64_t off, const GefsBptr *bp)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	size_t nk = gefs_packdatkey(k, qid, off);

	gefs_packbptr(v, bp);
	if (t->msgdepth < 0)
		return bldkv(t, k, nk, v, sizeof v);
	return bldmsg(t, t->msgdepth, GEFS_OINSERT, k, nk, v, sizeof v);
}

static bool
allzero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int
bldfs_filex(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode,
	const void *data, uint64_t len, int flags)
{
	const uint8_t *p = data;
	GefsBptr bp;
	uint64_t off;
	size_t n;

	if (!(flags & BLD_FNOKENT) && entry(b, t, pqid, name, qid, mode & ~GEFS_DMDIR, len) != 0)
		return -1;
	if (p == NULL)
		return b->failed ? -1 : 0;
	for (off = 0; off < len; off += BLD_B) {
		n = len - off < BLD_B ? (size_t)(len - off) : BLD_B;
		if ((flags & BLD_FHOLES) && allzero(p + off, n))
			continue;
		if (blddata(b, p + off, n, t->gen, &bp) != 0)
			return -1;
		if (bldfs_dat(t, qid, off, &bp) != 0)
			return bldfail(b, ENOMEM, "builder: out of memory");
	}
	return 0;
}

int
bldfs_file(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode,
	const void *data, uint64_t len)
{
	return bldfs_filex(b, t, pqid, name, qid, mode, data, len, 0);
}

int
bldfs_adm(Bld *b, BldTree *t, const char *text)
{
	if (text == NULL)
		text = bldusers;
	if (bldfs_root(b, t, 1) != 0 ||
	    bldfs_file(b, t, 1, "users", 2, 0664, text, strlen(text)) != 0)
		return -1;
	return bldtree(b, t, 1, 0);
}

/* ------------------------------------------------------------------ */
/* Snapshot tree                                                      */
/* ------------------------------------------------------------------ */

int
bldsnap_label(BldTree *st, const char *name, uint64_t gen, uint32_t flags)
{
	uint8_t k[1 + GEFS_LABELMAX], v[GEFS_LABELVALSZ];
	size_t n = strlen(name);
	GefsLabel l = { gen, flags };

	if (n > GEFS_LABELMAX)
		return -1;
	n = gefs_packlabelkey(k, name, n);
	gefs_packlabel(v, &l);
	return bldkv(st, k, n, v, sizeof v);
}

int
bldsnap_raw(BldTree *st, const GefsSnap *s)
{
	uint8_t k[16], v[GEFS_SNAPVALSZ];
	size_t n = gefs_packsnapkey(k, (uint64_t)s->gen);

	gefs_packsnap(v, s);
	return bldkv(st, k, n, v, sizeof v);
}

int
bldsnap_rec(BldTree *st, uint64_t gen, int32_t nref, int32_t nlbl, int64_t pred, int64_t succ,
	int64_t base, const BldTree *ft)
{
	GefsSnap s;

	memset(&s, 0, sizeof s);
	s.nref = nref;
	s.nlbl = nlbl;
	s.ht = ft->ht;
	s.gen = (int64_t)gen;
	s.pred = pred;
	s.succ = succ;
	s.base = base;
	s.root = ft->root;
	return bldsnap_raw(st, &s);
}

/* One Tdlist block holding addrs[0..n), chained to next. */
static uint64_t
dlblock(Bld *b, const uint64_t *addrs, size_t n, uint64_t next)
{
	GefsLogHdr h;
	uint64_t a;
	size_t i;

	if ((a = bldalloc(b, BLD_BDLIST, -1, 0)) == GEFS_NONE)
		return GEFS_NONE;
	for (i = 0; i < n; i++)
		gefs_put64(b->img + a + GEFS_LOGHDSZ + 8 * i, addrs[i]);
	memset(&h, 0, sizeof h);
	h.type = GEFS_TDLIST;
	h.logsz = (uint16_t)(8 * n);
	h.chain.addr = next;
	h.chain.hash = GEFS_NONE;
	h.chain.gen = 0;
	gefs_packloghdr(b->img + a, &h);
	if (next != GEFS_NONE)
		bldaddref(b, next, a, BLD_RCHAIN, 0, 12);
	return a;
}

int
bldsnap_dlist(Bld *b, BldTree *st, uint64_t gen, uint64_t bgen, const uint64_t *addrs, size_t n,
	int perblk, uint64_t *hd)
{
	uint8_t k[32], v[GEFS_DLISTVALSZ];
	size_t per = perblk > 0 ? (size_t)perblk : GEFS_LOGSPC / 8, i, c;
	GefsDlist d;
	uint64_t prev = GEFS_NONE, tl = GEFS_NONE;

	if (b->failed)
		return -1;
	if (per > GEFS_LOGSPC / 8)
		per = GEFS_LOGSPC / 8;
	for (i = 0; i < n; i += c) {
		c = n - i < per ? n - i : per;
		if ((prev = dlblock(b, addrs + i, c, prev)) == GEFS_NONE)
			return -1;
		if (tl == GEFS_NONE)
			tl = prev;
	}
	memset(&d, 0, sizeof d);
	d.hd.addr = prev;
	d.hd.hash = GEFS_NONE;
	d.tl.addr = tl;
	d.tl.hash = GEFS_NONE;
	gefs_packdlist(v, &d);
	if (hd != NULL)
		*hd = prev;
	if (bldkv(st, k, gefs_packdlistkey(k, gen, bgen), v, sizeof v) != 0)
		return bldfail(b, ENOMEM, "builder: out of memory");
	return 0;
}

int
bldsnaptree(Bld *b, BldTree *st, int height, int leaffill)
{
	if (bldtree(b, st, height, leaffill) != 0)
		return -1;
	b->sb.snapht = (uint32_t)st->ht;
	b->sb.snapaddr = st->root.addr;
	b->sb.snaphash = st->root.hash;
	bldunref(b, BLD_RSBSNAP);
	return bldaddref(b, st->root.addr, 0, BLD_RSBSNAP, 0, 24);
}
