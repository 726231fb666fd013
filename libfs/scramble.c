/* SPDX-License-Identifier: MIT */
/*
 * scramble — gefs-image -s: replace every file and directory name of a
 * (metadata) image by a random one of the same length, in place, and
 * make the image valid again with gefs_rehash (poke.c).
 *
 * A Kent key is 0x01, pqid, nlen, name, NUL (§9.1): within a directory
 * keys sort by length first, then by the name's bytes.  So names are
 * grouped by (parent qid, length); each group's distinct names, sorted,
 * get as many distinct random names of that length, sorted too, in the
 * same order: every key keeps its place among all keys, so nodes keep
 * their layout and fill byte for byte, pivot keys (copies of Kent keys)
 * keep separating the same children, and only names change.  The same
 * map rewrites Kup values (a directory's own Kent key, §9.8) and the keys
 * and values of buffered messages.  The unused space of every node is
 * zeroed too: nodes the reference wrote keep stale bytes there (old keys,
 * names included).  The adm label's tree is left alone (its users file is
 * what owner fields are checked against).
 *
 * Labels (Klabel keys of the snapshot tree: 0x03 and the name, sorted by
 * bytes, a prefix first) get random names of the same length in the same
 * order, but adm, main and empty, which programs name, keep theirs.
 *
 * Names are drawn from [0-9A-Za-z], or when a group has more names than
 * that alphabet can spell at its length from the printable ASCII bytes
 * but '/'; a group that even those cannot spell (more than 93 names of
 * one byte, say) keeps its names (counted in nkept).  The generator is
 * splitmix64 seeded from the seed and the group, so a seed gives one
 * result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	B	= GEFS_BLKSZ,
	ENTHD	= 11,		/* Kent: type, pqid, nlen before the name */
};

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/* printable ASCII without '/' and without '.' (so never "." or "..") */
static const char print[] = " !\"#$%&'()*+,-0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
	"abcdefghijklmnopqrstuvwxyz{|}~";

typedef struct Name {
	uint64_t	pqid;
	uint16_t	len;
	uint8_t		old[GEFS_NAMEMAX];
	uint8_t		new[GEFS_NAMEMAX];
} Name;

/* A label name (Klabel key 0x03, name: no length, so labels sort by
 * their bytes, a prefix first). */
typedef struct Lbl {
	size_t		len;
	uint8_t		old[GEFS_KEYMAX];
	uint8_t		new[GEFS_KEYMAX];
} Lbl;

typedef struct Scr {
	Gefs		*fs;
	Lbl		*lv;		/* labels */
	size_t		nl, lcap;
	uint64_t	*snodes;	/* snapshot-tree nodes */
	size_t		nsn, sncap;
	uint64_t	seed;
	Name		*v;
	size_t		n, cap;
	uint64_t	*nodes;		/* nodes of the trees to scramble */
	size_t		nn, ncap;
	uint64_t	*adm;		/* the adm tree's nodes, sorted after its walk */
	size_t		nadm, admcap;
	GefsImageStats	*st;
} Scr;

static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	void *nv;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 256;
	if ((nv = realloc(*v, *cap * sz)) == NULL)
		return -1;
	*v = nv;
	return 0;
}

static int
namecmp(const void *a, const void *b)
{
	const Name *x = a, *y = b;

	if (x->pqid != y->pqid)
		return x->pqid < y->pqid ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->old, y->old, x->len);
}

/* The Kent key k (nk bytes) if it is one with a name: its length. */
static int
entname(const uint8_t *k, size_t nk)
{
	size_t len;

	if (nk < ENTHD + 2 || k[0] != GEFS_KENT)
		return -1;
	len = gefs_get16(k + 9);
	return len >= 1 && len <= GEFS_NAMEMAX && nk == ENTHD + len + 1 ? (int)len : -1;
}

/* Note the name of Kent key k. */
static int
addname(Scr *s, const uint8_t *k, size_t nk)
{
	int len = entname(k, nk);
	Name *m;

	if (len < 0)
		return 0;
	if (grow((void **)&s->v, &s->cap, s->n, sizeof *s->v) < 0)
		return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
	m = &s->v[s->n++];
	m->pqid = gefs_get64(k + 1);
	m->len = (uint16_t)len;
	memcpy(m->old, k + ENTHD, (size_t)len);
	return 0;
}

/* Every key of node n (and Kup value, and message) given to fn. */
typedef int (*KeyFn)(Scr *s, const uint8_t *k, size_t nk);
static int
nodekeys(Scr *s, const GefsNode *n, KeyFn fn)
{
	GefsKv kv;
	GefsMsg m;
	int i;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (fn(s, kv.k, kv.nk) < 0 || (kv.nk > 0 && kv.k[0] == GEFS_KUP && fn(s, kv.v, kv.nv) < 0))
			return -1;
	}
	for (i = 0; n->type == GEFS_TPIVOT && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (fn(s, m.k, m.nk) < 0 || (m.nk > 0 && m.k[0] == GEFS_KUP && fn(s, m.v, m.nv) < 0))
			return -1;
	}
	return 0;
}

/* The new name of the Kent key k, patched in place (k points into a
 * block copy the caller owns). */
static int
patchname(Scr *s, const uint8_t *k, size_t nk)
{
	Name key, *m;
	int len = entname(k, nk);

	if (len < 0)
		return 0;
	key.pqid = gefs_get64(k + 1);
	key.len = (uint16_t)len;
	memcpy(key.old, k + ENTHD, (size_t)len);
	m = bsearch(&key, s->v, s->n, sizeof *s->v, namecmp);
	if (m != NULL)
		memcpy((uint8_t *)k + ENTHD, m->new, (size_t)len);
	return 0;
}

static int
strcmpn(const void *a, const void *b, void *len)
{
	return memcmp(a, b, *(size_t *)len);
}

/* m distinct random names of length len over alphabet a (na letters),
 * sorted, into out (m·len bytes).  -1 when na^len < 2m (too few: a
 * random draw would mostly collide) or out of memory. */
static int
draw(uint64_t *rs, const char *a, size_t na, size_t len, size_t m, uint8_t *out)
{
	size_t i, j, got = 0;
	double space = 1;

	for (i = 0; i < len && space < 4.0 * (double)m; i++)
		space *= (double)na;
	if (space < 2.0 * (double)m)
		return -1;
	while (got < m) {
		for (i = got; i < m; i++)
			for (j = 0; j < len; j++)
				out[i * len + j] = (uint8_t)a[mix(rs) % na];
		qsort_r(out, m, len, strcmpn, &len);
		for (i = 1, got = 1; i < m; i++)
			if (memcmp(out + i * len, out + (got - 1) * len, len) != 0)
				memmove(out + got++ * len, out + i * len, len);
	}
	return 0;
}

/* How many names of the group v[0, m) the draw out leaves unchanged. */
static size_t
same(const Name *v, size_t m, const uint8_t *out)
{
	size_t i, n = 0, len = v->len;

	for (i = 0; i < m; i++)
		n += memcmp(out + i * len, v[i].old, len) == 0;
	return n;
}

/* New names for the group v[0, m) (sorted, distinct, one pqid and len):
 * draws until no name maps to itself (a draw of short names may hit the
 * original by chance), at most MAXDRAW times. */
enum { MAXDRAW = 16 };
static int
group(Scr *s, Name *v, size_t m)
{
	uint64_t rs = s->seed ^ mix(&(uint64_t){ v->pqid * 0x100 + v->len });
	uint8_t *out;
	size_t i, len = v->len, nsame = m;
	int rc = -1, k;

	if ((out = malloc(m * len)) == NULL)
		return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
	for (k = 0; k < MAXDRAW && nsame > 0; k++) {
		rc = draw(&rs, alnum, sizeof alnum - 1, len, m, out);
		if (rc < 0)
			rc = draw(&rs, print, sizeof print - 1, len, m, out);
		if (rc < 0)
			break;
		nsame = same(v, m, out);
	}
	for (i = 0; i < m; i++)
		memcpy(v[i].new, rc == 0 ? out + i * len : v[i].old, len);
	s->st->nkept += nsame;
	s->st->nnames += m - nsame;
	free(out);
	return 0;
}

/* Sort and dedupe the names, then map each (pqid, len) group. */
static int
mapnames(Scr *s)
{
	size_t i, j, n = 0;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof *s->v, namecmp);
	for (i = 0; i < s->n; i++)
		if (n == 0 || namecmp(&s->v[n - 1], &s->v[i]) != 0)
			s->v[n++] = s->v[i];
	s->n = n;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && s->v[j].pqid == s->v[i].pqid && s->v[j].len == s->v[i].len; j++)
			;
		if (group(s, s->v + i, j - i) < 0)
			return -1;
	}
	return 0;
}

static int
cmpu64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Append address a to the list *v of *n (capacity *cap). */
static int
push(Scr *s, uint64_t **v, size_t *n, size_t *cap, uint64_t a)
{
	if (grow((void **)v, cap, *n, sizeof **v) < 0)
		return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
	(*v)[(*n)++] = a;
	return 0;
}

static bool
kept(Scr *s, uint64_t a)
{
	return bsearch(&a, s->adm, s->nadm, sizeof a, cmpu64) != NULL;
}

/* gefs_walktree callbacks: adm's nodes; every other node and its names. */
static int
admnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Scr *s = arg;

	(void)depth, (void)bp;
	return push(s, &s->adm, &s->nadm, &s->admcap, n->addr);
}

static int
treenode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Scr *s = arg;

	(void)depth, (void)bp;
	if (kept(s, n->addr))
		return 0;
	if (push(s, &s->nodes, &s->nn, &s->ncap, n->addr) < 0)
		return -1;
	return nodekeys(s, n, addname);
}

/* Every snapshot's tree but adm's (walked first, into adm). */
static int
walksnap(void *arg, const GefsSnap *sn)
{
	Scr *s = arg;
	GefsTree *t;
	int rc;

	if ((t = gefs_opensnap(s->fs, (uint64_t)sn->gen)) == NULL)
		return -1;
	rc = gefs_walktree(t, -1, treenode, s);
	gefs_closetree(t);
	return rc;
}

static int
walkadm(Scr *s)
{
	GefsTree *t;
	int rc;

	if ((t = gefs_opentree(s->fs, "adm")) == NULL)
		return 0;	/* no adm: nothing to keep */
	rc = gefs_walktree(t, -1, admnode, s);
	gefs_closetree(t);
	if (rc == 0 && s->nadm > 0)
		qsort(s->adm, s->nadm, sizeof *s->adm, cmpu64);
	return rc;
}

/* Rewrite the names of node addr; 1 when it changed (then written). */
static int
patchnode(Scr *s, uint64_t addr, uint8_t *buf, uint8_t *old, KeyFn fn)
{
	GefsNode n;

	if (gefs_readblk(s->fs, addr, buf) < 0)
		return -1;
	memcpy(old, buf, B);
	if (gefs_unpacknode(&n, buf, addr, &s->fs->err) < 0 || nodekeys(s, &n, fn) < 0)
		return -1;
	nodeclear(buf, &n);	/* old names may lie in the unused space */
	if (memcmp(old, buf, B) == 0)
		return 0;
	return gefs_writeblk(s->fs, addr, buf) < 0 ? -1 : 1;
}

static int patchlabel(Scr *s, const uint8_t *k, size_t nk);

/* Patch the listed nodes v[0, n) with fn; the changed ones are moved to
 * the front of v, their count is returned (-1 on errors). */
static long
patchall(Scr *s, uint64_t *v, size_t n, KeyFn fn)
{
	uint8_t *buf = malloc(2 * B);
	size_t i, nc = 0;
	int r = 0;

	if (buf == NULL)
		return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
	qsort(v, n, sizeof *v, cmpu64);
	for (i = 0; i < n && r >= 0; i++) {
		if (i > 0 && v[i] == v[i - 1])
			continue;
		if ((r = patchnode(s, v[i], buf, buf + B, fn)) == 1)
			v[nc++] = v[i];
	}
	free(buf);
	return r < 0 ? -1 : (long)nc;
}

/* Patch every listed node (tree nodes: names; snapshot-tree nodes:
 * labels), then rehash the changed ones up to both superblocks (each
 * rehash recomputes from what is on disk, so the order does not matter). */
static int
rewrite(Scr *s)
{
	long nt, ns;
	size_t i;
	int r = 0, nfix;

	if ((nt = patchall(s, s->nodes, s->nn, patchname)) < 0
	|| (ns = patchall(s, s->snodes, s->nsn, patchlabel)) < 0)
		return -1;
	for (i = 0; r == 0 && i < (size_t)nt; i++)
		r = gefs_rehash(s->fs, s->nodes[i], &nfix);
	for (i = 0; r == 0 && i < (size_t)ns; i++)
		r = gefs_rehash(s->fs, s->snodes[i], &nfix);
	s->st->nchanged = (uint64_t)(nt + ns);
	return r;
}

/* ---- labels ---- */

/* The labels every image has keep their names: programs and messages
 * name them. */
static bool
fixedlabel(const uint8_t *n, size_t len)
{
	static const char *keep[] = { "adm", "main", "empty" };
	size_t i;

	for (i = 0; i < nelem(keep); i++)
		if (len == strlen(keep[i]) && memcmp(n, keep[i], len) == 0)
			return true;
	return false;
}

static int
lexcmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c != 0 ? c : na < nb ? -1 : na > nb;
}

static int
lblcmp(const void *a, const void *b)
{
	const Lbl *x = a, *y = b;

	return lexcmp(x->old, x->len, y->old, y->len);
}

static int
addlabel(Scr *s, const uint8_t *k, size_t nk)
{
	Lbl *l;

	if (nk < 2 || k[0] != GEFS_KLABEL)
		return 0;
	if (grow((void **)&s->lv, &s->lcap, s->nl, sizeof *s->lv) < 0)
		return gefs_seterr(&s->fs->err, ENOMEM, "out of memory");
	l = &s->lv[s->nl++];
	l->len = nk - 1;
	memcpy(l->old, k + 1, l->len);
	return 0;
}

static int
patchlabel(Scr *s, const uint8_t *k, size_t nk)
{
	Lbl key, *l;

	if (nk < 2 || k[0] != GEFS_KLABEL)
		return 0;
	key.len = nk - 1;
	memcpy(key.old, k + 1, key.len);
	if ((l = bsearch(&key, s->lv, s->nl, sizeof *s->lv, lblcmp)) != NULL)
		memcpy((uint8_t *)k + 1, l->new, key.len);
	return 0;
}

static int
snapnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Scr *s = arg;

	(void)depth, (void)bp;
	if (push(s, &s->snodes, &s->nsn, &s->sncap, n->addr) < 0)
		return -1;
	return nodekeys(s, n, addlabel);
}

/* A new name for l: the least of MAXDRAW random names of its length
 * above lo (the previous label's new name) and below hi (the next kept
 * label), never l's own; the least leaves the most room to the labels
 * after it.  -1 when no draw fits. */
enum { MAXLDRAW = 512 };
static int
drawlabel(uint64_t *rs, Lbl *l, const Lbl *lo, const Lbl *hi)
{
	uint8_t c[GEFS_KEYMAX];
	bool got = false;
	size_t i, k;

	for (k = 0; k < MAXLDRAW; k++) {
		for (i = 0; i < l->len; i++)
			c[i] = (uint8_t)alnum[mix(rs) % (sizeof alnum - 1)];
		if ((lo && lexcmp(c, l->len, lo->new, lo->len) <= 0) || (hi && lexcmp(c, l->len, hi->old, hi->len) >= 0)
		|| memcmp(c, l->old, l->len) == 0 || (got && memcmp(c, l->new, l->len) >= 0))
			continue;
		memcpy(l->new, c, l->len);
		got = true;
	}
	return got ? 0 : -1;
}

/* New names for every label but the fixed ones, in the same order; when
 * one cannot be placed every label keeps its name. */
static int
maplabels(Scr *s)
{
	uint64_t rs = s->seed ^ 0x6c6162656c73ULL;	/* "labels" */
	const Lbl *hi;
	size_t i, j, n = 0;

	qsort(s->lv, s->nl, sizeof *s->lv, lblcmp);
	for (i = 0; i < s->nl; i++)
		if (n == 0 || lblcmp(&s->lv[n - 1], &s->lv[i]) != 0)
			s->lv[n++] = s->lv[i];
	s->nl = n;
	for (i = 0; i < n; i++) {
		memcpy(s->lv[i].new, s->lv[i].old, s->lv[i].len);
		if (fixedlabel(s->lv[i].old, s->lv[i].len))
			continue;
		for (j = i + 1, hi = NULL; j < n && hi == NULL; j++)
			if (fixedlabel(s->lv[j].old, s->lv[j].len))
				hi = &s->lv[j];
		if (drawlabel(&rs, &s->lv[i], i ? &s->lv[i - 1] : NULL, hi) < 0) {
			for (j = 0; j < n; j++)
				memcpy(s->lv[j].new, s->lv[j].old, s->lv[j].len);
			s->st->nlabelskept = n;
			s->st->nlabels = 0;
			return 0;
		}
		s->st->nlabels++;
	}
	return 0;
}

/* Label names in the snapshot tree's nodes (keys and messages). */
static int
labels(Scr *s)
{
	GefsTree *t;
	int rc;

	if ((t = gefs_snaptree(s->fs)) == NULL)
		return -1;
	rc = gefs_walktree(t, -1, snapnode, s);
	gefs_closetree(t);
	return rc < 0 || maplabels(s) < 0 ? -1 : 0;
}

int
gefs_scramble(Gefs *fs, uint64_t seed, GefsImageStats *st)
{
	Scr s = { .fs = fs, .seed = seed, .st = st };
	int rc = -1;

	if (walkadm(&s) == 0 && gefs_walksnaps(fs, walksnap, &s) == 0 && mapnames(&s) == 0
	&& labels(&s) == 0)
		rc = rewrite(&s);
	free(s.v);
	free(s.lv);
	free(s.snodes);
	free(s.nodes);
	free(s.adm);
	return rc;
}
