/* SPDX-License-Identifier: MIT */
/*
 * bldstd.c — ready-made images (see builder.h): the standard image, a
 * formatter-like one, a deep one, a snapshot history, a log-chain one.
 *
 * All of them come from one model: a history of R rounds of a file table.
 * File i is born in some round, may die later, and its contents change
 * version in some rounds; round r becomes snapshot gen[r] (a full tree of
 * generation gen[r]), data blocks of unchanged contents are shared with the
 * earlier round, and each round's deadlists list what it killed of the
 * previous round's blocks, grouped by birth generation (§14.2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bldint.h"

enum { NDIR = 5, MAXROUND = 8, QFILE = 10 };

/* Directories: qid, parent, name, first round present. */
static const struct {
	uint64_t	qid, parent;
	const char	*name;
	int		from;
} dirs[NDIR] = {
	{ 0, GEFS_NONE, "", 0 },
	{ 3, 0, "d1", 0 },
	{ 4, 0, "d2", 0 },
	{ 5, 3, "sub", 0 },
	{ 6, 0, "d3", 1 },
};

/* Shared data blocks of one (file, version). */
typedef struct Cache {
	uint64_t	qid;
	uint32_t	ver;
	size_t		n;
	GefsBptr	*bp;		/* per block; addr NONE = hole */
} Cache;

typedef struct Hist {
	Bld		*b;
	uint64_t	seed;
	int		nfiles;
	int		rounds;
	int		longnames;
	bool		textdata;
	char		(*name)[GEFS_NAMEMAX + 1];
	Cache		*c;
	size_t		nc;
} Hist;

static int
birth(Hist *h, int i)
{
	int half = h->nfiles / 2;

	if (i < half || h->rounds < 2)
		return 0;
	return 1 + (i - half) * (h->rounds - 1) / (h->nfiles - half);
}

static bool
alive(Hist *h, int i, int r)
{
	return r >= birth(h, i) && !(i % 7 == 1 && r > birth(h, i));
}

static uint32_t
version(Hist *h, int i, int r)
{
	uint32_t v = 1;
	int k;

	for (k = birth(h, i) + 1; k <= r; k++)
		if ((i + k) % 3 == 0)
			v++;
	return v;
}

static int
dirof(Hist *h, int i)
{
	if (birth(h, i) >= 1 && i % 2 == 1)
		return 4;
	return i % 4;
}

/* Length of file i at version v: the interesting sizes of the reference
 * images, jittered by the seed. */
static uint64_t
flen(Hist *h, int i, uint32_t v)
{
	uint64_t s = h->seed * 1000003 + (uint64_t)i * 31 + v, j = bldrand(&s);

	switch ((i + v) % 9) {
	case 0: return 0;
	case 1: return 1;
	case 2: return BLD_B - 1;
	case 3: return BLD_B;
	case 4: return BLD_B + 1;
	case 5: return 3 * BLD_B + j % BLD_B;
	case 6: return 1 + j % 4000;
	case 7: return 5 * BLD_B;		/* with holes */
	default: return 2 * BLD_B + j % 100;
	}
}

/* Contents: seeded bytes; files of kind 7 have holes at blocks 1, 2, 4. */
static uint8_t *
fdata(Hist *h, int i, uint32_t v, uint64_t len)
{
	uint64_t s = h->seed ^ ((uint64_t)i << 20) ^ v, k, x = 0;
	uint8_t *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	for (k = 0; k < len; k++) {
		if (k % 8 == 0)
			x = bldrand(&s);
		p[k] = (uint8_t)(x >> (8 * (k % 8)));
		if (h->textdata)	/* a line per 64 bytes: compresses well */
			p[k] = k % 64 == 63 ? '\n' : (uint8_t)('a' + (i + v + k / 64) % 26);
	}
	if ((i + v) % 9 == 7)
		for (k = 0; k < len; k++)
			if ((k / BLD_B) % 3 != 0 && k / BLD_B != 3)
				p[k] = 0;
	return p;
}

static void
mkname(Hist *h, int i)
{
	uint64_t s = h->seed * 7919 + (uint64_t)i;
	size_t n, k;
	char *p = h->name[i];

	n = (size_t)snprintf(p, GEFS_NAMEMAX + 1, "f%03d", i);
	if (h->longnames)
		k = n + 120 + bldrand(&s) % 120;
	else
		k = i % 5 == 0 ? n + 1 + bldrand(&s) % 40 : n;
	if (k > GEFS_NAMEMAX)
		k = GEFS_NAMEMAX;
	for (; n < k; n++)
		p[n] = "abcdefghijklmnopqrstuvwxyz0123456789._-"[bldrand(&s) % 39];
	p[n] = 0;
}

/* Data blocks of (file i, version v): shared when made before. */
static Cache *
blocks(Hist *h, int i, uint32_t v, uint64_t gen)
{
	uint64_t qid = QFILE + (uint64_t)i, len = flen(h, i, v), off;
	Cache *c, *n;
	uint8_t *p;
	size_t k;

	for (k = 0; k < h->nc; k++)
		if (h->c[k].qid == qid && h->c[k].ver == v)
			return &h->c[k];
	if ((n = realloc(h->c, (h->nc + 1) * sizeof *n)) == NULL)
		return NULL;
	h->c = n;
	c = &h->c[h->nc];
	c->qid = qid;
	c->ver = v;
	c->n = (size_t)((len + BLD_B - 1) / BLD_B);
	if ((c->bp = calloc(c->n + 1, sizeof *c->bp)) == NULL || (p = fdata(h, i, v, len)) == NULL) {
		free(c->bp);
		return NULL;
	}
	h->nc++;
	for (k = 0, off = 0; k < c->n; k++, off += BLD_B) {
		size_t m = len - off < BLD_B ? (size_t)(len - off) : BLD_B;
		size_t z;

		for (z = 0; z < m && p[off + z] == 0; z++)
			;
		c->bp[k].addr = GEFS_NONE;
		if (z < m && blddata(h->b, p + off, m, gen, &c->bp[k]) != 0)
			break;
	}
	free(p);
	return h->b->failed ? NULL : c;
}

/* File i of round r into t: Kent, and Kdat of every non-hole block. */
static int
addfile(Hist *h, BldTree *t, int i, int r)
{
	uint32_t v = version(h, i, r);
	uint64_t qid = QFILE + (uint64_t)i;
	Cache *c = blocks(h, i, v, t->gen);
	size_t k;

	if (c == NULL)
		return bldfail(h->b, ENOMEM, "builder: file data");
	if (bldfs_filex(h->b, t, dirs[dirof(h, i)].qid, h->name[i], qid, i % 4 == 3 ? 0600 : 0644,
	    NULL, flen(h, i, v), 0) != 0)
		return -1;
	for (k = 0; k < c->n; k++)
		if (c->bp[k].addr != GEFS_NONE && bldfs_dat(t, qid, (uint64_t)k * BLD_B, &c->bp[k]) != 0)
			return bldfail(h->b, ENOMEM, "builder: out of memory");
	return 0;
}

/* Buffered messages of the last round: at every pivot depth an Owstat on
 * a file that exists; at depth 0 also a directory touch, a size grow, a
 * file created by Oinsert Kent + Kdat, and an Oinsert Kdat superseding a
 * leaf's data pointer. */
static int
addmsgs(Hist *h, BldTree *t, int r, int height, uint64_t newqid)
{
	uint8_t k[GEFS_KEYMAX], v[64];
	GefsXdir d;
	size_t nk, nv;
	int i, depth = 0, found = 0;

	memset(&d, 0, sizeof d);
	for (i = 0; i < h->nfiles && depth < height - 1; i++) {
		if (!alive(h, i, r))
			continue;
		d.mtime = 1700000000000000000LL + i;
		d.muid = 1;
		nk = gefs_packentkey(k, dirs[dirof(h, i)].qid, h->name[i], strlen(h->name[i]));
		nv = gefs_packwstat(v, GEFS_OWMTIME | GEFS_OWMUID, &d);
		if (bldmsg(t, depth++, GEFS_OWSTAT, k, nk, v, nv) != 0)
			return -1;
	}
	for (; i < h->nfiles && found < 2; i++) {
		uint64_t len = flen(h, i, version(h, i, r));

		if (!alive(h, i, r))
			continue;
		nk = gefs_packentkey(k, dirs[dirof(h, i)].qid, h->name[i], strlen(h->name[i]));
		if (found++ == 0) {
			d.length = len + 3 * BLD_B + 17;	/* grows into a hole */
			nv = gefs_packwstat(v, GEFS_OWSIZE | GEFS_OWMTIME, &d);
			if (bldmsg(t, 0, GEFS_OWSTAT, k, nk, v, nv) != 0)
				return -1;
		} else if (len > 0) {
			static const char x[] = "superseded block 0";
			GefsBptr bp;

			if (blddata(h->b, x, sizeof x, t->gen, &bp) != 0)
				return -1;
			nk = gefs_packdatkey(k, QFILE + (uint64_t)i, 0);
			gefs_packbptr(v, &bp);
			if (bldmsg(t, 0, GEFS_OINSERT, k, nk, v, GEFS_PTRSZ) != 0)
				return -1;
		} else
			found--;
	}
	nk = gefs_packentkey(k, GEFS_NONE, "", 0);
	nv = gefs_packwstat(v, 0, &d);
	if (bldmsg(t, 0, GEFS_OWSTAT, k, nk, v, nv) != 0)
		return -1;
	{
		uint8_t data[20000];
		size_t j;

		for (j = 0; j < sizeof data; j++)
			data[j] = (uint8_t)(j * 7 + h->seed);
		t->msgdepth = 0;
		i = bldfs_file(h->b, t, 3, "msgfile", newqid, 0644, data, sizeof data);
		t->msgdepth = -1;
	}
	return i;
}

/* The file-system tree of round r. */
static int
buildround(Hist *h, BldTree *t, int r, int height, int leaffill, bool msgs)
{
	Bld *b = h->b;
	int i;

	t->uid = -1;
	t->gid = -1;
	t->muid = 0;
	if (bldfs_root(b, t, 0) != 0)
		return -1;
	t->uid = 1;
	t->muid = 1;
	t->mtime = 1600000000000000000LL + (int64_t)r * 1000000000LL;
	for (i = 1; i < NDIR; i++)
		if (r >= dirs[i].from && bldfs_mkdir(b, t, dirs[i].parent, dirs[i].name, dirs[i].qid, 0775) != 0)
			return -1;
	for (i = 0; i < h->nfiles; i++)
		if (alive(h, i, r) && addfile(h, t, i, r) != 0)
			return -1;
	if (msgs && height > 1 && addmsgs(h, t, r, height, QFILE + (uint64_t)h->nfiles) != 0)
		return bldfail(b, ENOMEM, "builder: messages");
	return bldtree(b, t, height, leaffill);
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A dead block: birth generation, then position in the walk. */
typedef struct Dead {
	uint64_t	gen;
	size_t		pos;
	uint64_t	addr;
} Dead;

static int
deadcmp(const void *a, const void *b)
{
	const Dead *x = a, *y = b;

	if (x->gen != y->gen)
		return (x->gen > y->gen) - (x->gen < y->gen);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Deadlists of snapshot gen: blocks of prev not in cur, one Kdlist per
 * birth generation (ascending), chains of about two blocks each. */
static int
killed(Bld *b, BldTree *st, const BldTree *prev, const BldTree *cur, uint64_t gen)
{
	uint64_t *pv = NULL, *cv = NULL, *list = NULL;
	size_t np = 0, nc = 0, nd = 0, i, j, k;
	Dead *dead = NULL;
	int rc = -1;

	if (bldtreeblocks(b, prev, &pv, &np) != 0 || bldtreeblocks(b, cur, &cv, &nc) != 0)
		goto out;
	if (nc > 1)
		qsort(cv, nc, sizeof *cv, u64cmp);
	if (np > 1)
		qsort(pv, np, sizeof *pv, u64cmp);
	for (i = j = 0; i < np; i++)
		if (j == 0 || pv[j - 1] != pv[i])
			pv[j++] = pv[i];
	np = j;
	if ((dead = malloc((np + 1) * sizeof *dead)) == NULL || (list = malloc((np + 1) * sizeof *list)) == NULL)
		goto out;
	for (i = 0; i < np; i++)
		if (nc == 0 || !bsearch(&pv[i], cv, nc, sizeof *cv, u64cmp)) {
			dead[nd].gen = bldinfo(b, pv[i]).gen;
			dead[nd].pos = nd;
			dead[nd++].addr = pv[i];
		}
	if (nd > 1)
		qsort(dead, nd, sizeof *dead, deadcmp);
	for (i = 0; i < nd; i = j) {
		for (j = i; j < nd && dead[j].gen == dead[i].gen; j++)
			list[j - i] = dead[j].addr;
		if (dead[i].gen >= gen)
			continue;
		k = j - i;
		if (bldsnap_dlist(b, st, gen, dead[i].gen, list, k, (int)((k + 1) / 2), NULL) != 0)
			goto out;
	}
	rc = 0;
out:
	free(pv);
	free(cv);
	free(dead);
	free(list);
	return rc;
}

/* Parameters of one history image. */
typedef struct Spec {
	int		rounds;
	uint64_t	gen[MAXROUND];
	const char	*label[MAXROUND];	/* last round: "main" */
	int		height;			/* last round */
	int		leaffill;
	int		longnames;
	int		oldheight;		/* earlier rounds; 0 = height */
	int		snapht;			/* snapshot tree height */
} Spec;

/* empty (0) and adm (1), and the rounds; labels and records. */
static int
snaps(Hist *h, const Spec *sp, BldTree *st, BldTree *empty, BldTree *adm, BldTree **rt)
{
	int r, R = sp->rounds;

	if (bldsnap_label(st, "adm", 1, GEFS_LMUT) != 0 || bldsnap_label(st, "empty", 0, 0) != 0)
		return -1;
	if (bldsnap_rec(st, 0, 2, 1, 0, (int64_t)sp->gen[0], 0, empty) != 0 ||
	    bldsnap_rec(st, 1, 0, 1, 0, -1, 0, adm) != 0)
		return -1;
	for (r = 0; r < R; r++) {
		if (bldsnap_label(st, sp->label[r], sp->gen[r], r == R - 1 ? GEFS_LMUT : 0) != 0)
			return -1;
		if (bldsnap_rec(st, sp->gen[r], r == R - 1 ? 0 : 1, 1, r == 0 ? 0 : (int64_t)sp->gen[r - 1],
		    r == R - 1 ? -1 : (int64_t)sp->gen[r + 1], 0, rt[r]) != 0)
			return -1;
		if (r > 0 && killed(h->b, st, rt[r - 1], rt[r], sp->gen[r]) != 0)
			return -1;
	}
	return 0;
}

/* Build the whole history image into h->b. */
static int
history(Hist *h, const Spec *sp)
{
	Bld *b = h->b;
	BldTree *st = bldtnew(0), *empty = bldtnew(0), *adm = bldtnew(0), *rt[MAXROUND] = { 0 };
	int r, rc = -1;

	if (!st || !empty || !adm)
		goto out;
	if (bldfs_root(b, empty, 0) != 0 || bldtree(b, empty, 1, 0) != 0 || bldfs_adm(b, adm, NULL) != 0)
		goto out;
	for (r = 0; r < sp->rounds; r++) {
		if ((rt[r] = bldtnew(sp->gen[r])) == NULL)
			goto out;
		if (buildround(h, rt[r], r, r == sp->rounds - 1 || !sp->oldheight ? sp->height : sp->oldheight, sp->leaffill,
		    r == sp->rounds - 1) != 0)
			goto out;
	}
	if (snaps(h, sp, st, empty, adm, rt) != 0 || bldsnaptree(b, st, sp->snapht, sp->snapht > 1 ? 400 : 0) != 0)
		goto out;
	b->sb.nextqid = QFILE + (uint64_t)h->nfiles + 1;
	b->sb.nextgen = sp->gen[sp->rounds - 1] + 2;
	rc = bldfinish(b);
out:
	if (rc != 0 && !b->failed)
		bldfail(b, ENOMEM, "builder: out of memory");
	bldtfree(st);
	bldtfree(empty);
	bldtfree(adm);
	for (r = 0; r < MAXROUND; r++)
		bldtfree(rt[r]);
	return rc;
}

/* One attempt at a history image with arena size blks. */
static Bld *
tryhist(const BldStdOpts *o, const Spec *sp, uint64_t blks, GefsErr *e)
{
	BldOpts io = o->img;
	Hist h;
	Bld *b;
	size_t k;
	int i;

	io.arenablks = blks;
	if ((b = bldnew(&io)) == NULL) {
		gefs_seterr(e, EINVAL, "builder: bad image options");
		return NULL;
	}
	memset(&h, 0, sizeof h);
	h.b = b;
	h.seed = o->seed;
	h.textdata = o->textdata;
	h.nfiles = o->nfiles;
	h.rounds = sp->rounds;
	h.longnames = sp->longnames;
	if ((h.name = calloc((size_t)h.nfiles + 1, sizeof *h.name)) == NULL) {
		bldfree(b);
		gefs_seterr(e, ENOMEM, "builder: out of memory");
		return NULL;
	}
	for (i = 0; i < h.nfiles; i++)
		mkname(&h, i);
	if (history(&h, sp) != 0) {
		gefs_seterr(e, b->err.code ? b->err.code : EINVAL, "%s", b->err.msg);
		bldfree(b);
		b = NULL;
	}
	for (k = 0; k < h.nc; k++)
		free(h.c[k].bp);
	free(h.c);
	free(h.name);
	return b;
}

/* A history image; arenablks 0 grows the arenas until it fits. */
static Bld *
mkhist(const BldStdOpts *o, const Spec *sp, GefsErr *e)
{
	uint64_t blks = o->img.arenablks;
	GefsErr e1;
	Bld *b;

	if (blks != 0)
		return tryhist(o, sp, blks, e);
	for (blks = 64; blks <= (1u << 16); blks *= 2) {
		memset(&e1, 0, sizeof e1);
		if ((b = tryhist(o, sp, blks, &e1)) != NULL)
			return b;
		if (e1.code != ENOSPC)
			break;
	}
	if (e != NULL)
		*e = e1;
	return NULL;
}

void
bldinitstd(BldStdOpts *o)
{
	memset(o, 0, sizeof *o);
	bldinitopts(&o->img);
	o->img.narena = 4;
	o->img.arenablks = 0;
	o->seed = 1;
	o->nfiles = 24;
	o->height = 3;
}

/* Fill the defaults of a caller's options. */
static BldStdOpts
stdopts(const BldStdOpts *in)
{
	BldStdOpts o;

	if (in == NULL)
		bldinitstd(&o);
	else
		o = *in;
	if (o.nfiles <= 0)
		o.nfiles = 24;
	if (o.height <= 0)
		o.height = 3;
	if (o.img.narena == 0)
		o.img.narena = 4;
	return o;
}

Bld *
bldstdimg(const BldStdOpts *in, GefsErr *e)
{
	BldStdOpts o = stdopts(in);
	Spec sp = { 2, { 4, 6 }, { "snap1", "main" }, o.height, 1024, 0, 2, 1 };

	if (o.height < 2 || o.height > BLD_MAXHT) {
		gefs_seterr(e, EINVAL, "builder: std height %d (2..%d)", o.height, BLD_MAXHT);
		return NULL;
	}
	return mkhist(&o, &sp, e);
}

int
bldstd(const char *path, const BldStdOpts *o, GefsErr *e)
{
	Bld *b = bldstdimg(o, e);
	int rc;

	if (b == NULL)
		return -1;
	if ((rc = bldwrite(b, path)) != 0)
		gefs_seterr(e, EIO, "%s", blderr(b));
	bldfree(b);
	return rc;
}

/* What the formatter writes (§18): main and empty share one root leaf. */
static Bld *
mkempty(const BldStdOpts *o, GefsErr *e)
{
	BldOpts io = o->img;
	Bld *b;
	BldTree *m = bldtnew(0), *a = bldtnew(0), *st = bldtnew(0);
	int rc = -1;

	if (io.arenablks == 0)
		io.arenablks = 64;
	if ((b = bldnew(&io)) == NULL || !m || !a || !st)
		goto out;
	if (bldfs_root(b, m, 0) == 0 && bldtree(b, m, 1, 0) == 0 && bldfs_adm(b, a, NULL) == 0 &&
	    bldsnap_label(st, "adm", 1, GEFS_LMUT) == 0 && bldsnap_label(st, "empty", 0, 0) == 0 &&
	    bldsnap_label(st, "main", 2, GEFS_LMUT) == 0 &&
	    bldsnap_rec(st, 0, 2, 1, 0, 2, 0, m) == 0 && bldsnap_rec(st, 1, 0, 1, 0, -1, 0, a) == 0 &&
	    bldsnap_rec(st, 2, 0, 1, 0, -1, 0, m) == 0 && bldsnaptree(b, st, 1, 0) == 0)
		rc = bldfinish(b);
out:
	if (rc != 0) {
		gefs_seterr(e, b && b->err.code ? b->err.code : EINVAL, "%s", b ? blderr(b) : "builder: bad options");
		bldfree(b);
		b = NULL;
	}
	bldtfree(m);
	bldtfree(a);
	bldtfree(st);
	return b;
}

Bld *
bldnamed(const char *kind, const BldStdOpts *in, GefsErr *e)
{
	BldStdOpts o = stdopts(in);
	Spec sp;

	if (strcmp(kind, "std") == 0)
		return bldstdimg(&o, e);
	if (strcmp(kind, "empty") == 0)
		return mkempty(&o, e);
	if (strcmp(kind, "deep") == 0) {
		sp = (Spec){ 2, { 4, 6 }, { "deep-s1", "main" }, 4, 600, 1, 0, 1 };
		if (in != NULL && in->height > 0)
			sp.height = in->height;
		if (in == NULL || in->nfiles <= 0)
			o.nfiles = 120;
		return mkhist(&o, &sp, e);
	}
	if (strcmp(kind, "snaps") == 0) {
		sp = (Spec){ 4, { 3, 5, 7, 9 }, { "s1", "s2", "s3", "main" }, o.height, 1024, 0, 2, 2 };
		return mkhist(&o, &sp, e);
	}
	if (strcmp(kind, "logchain") == 0) {
		o.img.logbudget = 96;
		o.img.oldsync = 3;
		o.img.qgen = 7;
		o.img.sync = true;
		o.img.garbage = 5;
		o.img.alloc = BLD_ALLOCSCATTER;
		if (o.img.seed == 0)
			o.img.seed = o.seed;
		return bldstdimg(&o, e);
	}
	gefs_seterr(e, EINVAL, "builder: unknown image kind '%s' (std, empty, deep, snaps, logchain)", kind);
	return NULL;
}
