/* SPDX-License-Identifier: MIT */
/* upsert suite: the write engine — copy-on-write Bε-tree upserts
 * against an in-memory model, commits of dirty trees (new snapshot
 * records, deadlists), abort, the latch, and a commit cut at every write
 * (failed, torn, out of space): the image always loads as the old or the
 * new contents and gefs_check finds no error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
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

/* Blocks the last check found allocated but unreferenced. */
static uint64_t lastleak;

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
	lastleak = st.nleak;
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
 * error or warning in any committed image.  GEFS_UPSERT_ROUNDS and
 * GEFS_UPSERT_SEED change the length (48 rounds) and the seed. */
static void
test_model(void)
{
	const char *er = getenv("GEFS_UPSERT_ROUNDS"), *es = getenv("GEFS_UPSERT_SEED");
	char path[256];
	Model *m = calloc(1, sizeof *m);
	Batchbuf bb = {0};
	GefsTree *t;
	Gefs *fs;
	int r, bad = 0, ROUNDS = er != NULL ? atoi(er) : 48;
	uint64_t seed = es != NULL ? strtoull(es, NULL, 0) : 0x9e3779b97f4a7c15ull;

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
	CU_ASSERT_EQUAL(lastleak, 0);
	bbfree(&bb);
	free(m);
	unlink(path);
}

/* A committed image of nkey keys (the model m0, seed seed), built the
 * same way every time. */
static int
baseimg(char *path, size_t n, Model *m0, uint64_t seed, int nkey)
{
	Batchbuf bb = {0};
	GefsTree *t = NULL;
	Gefs *fs = NULL;
	int rc = -1;

	memset(m0, 0, sizeof *m0);
	m0->rnd = seed;
	if (mkimg(path, n, 256) < 0 || bbinit(&bb, nkey) < 0 || (fs = openrw(path)) == NULL
	|| (t = gefs_opentree(fs, "main")) == NULL)
		goto out;
	randbatch(m0, &bb, nkey, NKEY);
	rc = treeupsert(t, bb.m, bb.n) == 0 && gefs_commit(fs) == 0 ? 0 : -1;
out:
	gefs_closetree(t);
	gefs_close(fs);
	bbfree(&bb);
	return rc;
}

/* The findings a crash between the stages of a commit leaves (§15.3):
 * one copy of a header or superblock old, a log tail torn past its
 * barrier.  Preen repairs them. */
static const char crashcodes[] = "AR0001 AR0002 AR0008 SB0001 SB0002 SB0010 CR0001 CR0002 CR0003 CR0004 CR0005 CR0006 LG0003";

/* Apply the edit (batch of m1) to the base image at path with the k-th
 * write failing as kind; 1 if the commit succeeded, 0 if it failed (and a
 * second commit was refused), -1 on a setup error. */
static int
faulted(const char *path, const Batchbuf *bb, int k, int kind)
{
	GefsTree *t;
	Gefs *fs;
	int rc = -1;

	if ((fs = openrw(path)) == NULL)
		return -1;
	if ((t = gefs_opentree(fs, "main")) != NULL && treeupsert(t, bb->m, bb->n) == 0) {
		devfault(fs->dev, k, kind);
		if (gefs_commit(fs) == 0)
			rc = 1;
		else if (gefs_commit(fs) < 0 && gefs_errcode(fs) == EIO && treeupsert(t, bb->m, 1) < 0)
			rc = 0;		/* latched */
	}
	gefs_closetree(t);
	gefs_close(fs);
	return rc;
}

/* A commit of a real tree edit (inserts, replacements and deletes over
 * a three-level tree: nodes rewritten, old ones killed and freed by the
 * fold of the old record) cut at every write position, by an I/O error,
 * a torn (short) write and ENOSPC: the image loads with exactly the old
 * or the new contents (the new ones once the commit succeeded), preen
 * repairs what the crash left, and gefs_check then finds nothing. */
static void
test_crash(void)
{
	static const int kinds[] = {DEVFAULT_EIO, DEVFAULT_SHORT, DEVFAULT_ENOSPC};
	char path[256];
	Model *m0 = calloc(1, sizeof *m0), *m1 = calloc(1, sizeof *m1);
	Batchbuf bb = {0};
	int j, k, rc, old, npoint = 0;

	CU_ASSERT_FATAL(m0 != NULL && m1 != NULL && bbinit(&bb, 400) == 0);
	for (j = 0; j < 3; j++)
		for (k = 1, rc = 0; rc == 0 && k < 200; k++) {
			CU_ASSERT_FATAL(baseimg(path, sizeof path, m0, 0x1234567, 3000) == 0);
			*m1 = *m0;
			randbatch(m1, &bb, 400, NKEY);
			rc = faulted(path, &bb, k, kinds[j]);
			CU_ASSERT(rc >= 0);
			old = comparedisk(path, m0) == 0;
			CU_ASSERT(old || comparedisk(path, m1) == 0);
			if (rc == 1)
				CU_ASSERT(!old);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, crashcodes), 0);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
			unlink(path);
			npoint++;
		}
	printf("\n    %d crash points tested ", npoint);
	CU_ASSERT(npoint > 30);
	bbfree(&bb);
	free(m0);
	free(m1);
}

/* Read the whole file at path into a new buffer. */
static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long sz;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0) {
		rewind(f);
		p = malloc((size_t)sz);
		if (p != NULL && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
			free(p);
			p = NULL;
		}
		*n = (size_t)sz;
	}
	if (f != NULL)
		fclose(f);
	return p;
}

/* An edit dropped by gefs_abort leaves the image byte-identical, reads
 * see the committed contents again, and a later edit commits normally. */
static void
test_abort(void)
{
	char path[256];
	Model *m0 = calloc(1, sizeof *m0), *m1 = calloc(1, sizeof *m1);
	Batchbuf bb = {0};
	uint8_t *before, *after;
	size_t n0 = 0, n1 = 0;
	GefsTree *t;
	Gefs *fs;

	CU_ASSERT_FATAL(m0 != NULL && m1 != NULL && bbinit(&bb, 500) == 0);
	CU_ASSERT_FATAL(baseimg(path, sizeof path, m0, 77, 2000) == 0);
	before = slurp(path, &n0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	*m1 = *m0;
	randbatch(m1, &bb, 500, NKEY);
	CU_ASSERT_EQUAL(treeupsert(t, bb.m, bb.n), 0);
	CU_ASSERT_EQUAL(compare(t, m1), 0);
	CU_ASSERT_EQUAL(gefs_abort(fs), 0);
	CU_ASSERT_EQUAL(compare(t, m0), 0);
	after = slurp(path, &n1);
	CU_ASSERT(after != NULL && n0 == n1 && memcmp(before, after, n0) == 0);
	/* the same edit again, committed this time */
	CU_ASSERT_EQUAL(treeupsert(t, bb.m, bb.n), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(comparedisk(path, m1), 0);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	free(before);
	free(after);
	bbfree(&bb);
	free(m0);
	free(m1);
	unlink(path);
}

/* Fill main with new keys until an upsert fails with ENOSPC (the failed
 * pass leaves the tree as it was); commit what fit.  Then, on the full
 * image, delete half the keys with the reserve open and commit: a full
 * image stays editable.  Every image checks clean. */
static void
test_full(void)
{
	char path[256];
	Model *m = calloc(1, sizeof *m), *prev = calloc(1, sizeof *prev);
	Batchbuf bb = {0};
	GefsTree *t;
	Gefs *fs;
	int i, n = 0, rc = 0, err = 0;

	CU_ASSERT_FATAL(m != NULL && prev != NULL && bbinit(&bb, 100) == 0);
	CU_ASSERT_FATAL(mkimg(path, sizeof path, 64) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	m->rnd = 5;
	for (n = 0; n < 50 && rc == 0; n++) {
		*prev = *m;
		randbatch(m, &bb, 100, NKEY);
		if ((rc = treeupsert(t, bb.m, bb.n)) < 0)
			err = gefs_errcode(fs);
		else
			CU_ASSERT_EQUAL_FATAL(gefs_commit(fs), 0);
	}
	CU_ASSERT_EQUAL(err, ENOSPC);
	CU_ASSERT(n > 2);
	CU_ASSERT_EQUAL(compare(t, prev), 0);	/* the failed pass changed nothing */
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	/* delete every other key the model holds, on the full image */
	*m = *prev;
	for (i = 0, bb.n = 0; i < NKEY && bb.n < 100; i++)
		if (m->has[i] && i % 2 == 0) {
			bb.m[bb.n] = (GefsMsg){GEFS_ODELETE, bb.k[bb.n], (uint16_t)mkey(bb.k[bb.n], i), NULL, 0};
			bb.n++;
			m->has[i] = false;
		}
	setreserve(fs, true);
	CU_ASSERT_EQUAL(treeupsert(t, bb.m, bb.n), 0);
	setreserve(fs, false);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	CU_ASSERT_EQUAL(compare(t, m), 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(comparedisk(path, m), 0);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	bbfree(&bb);
	free(m);
	free(prev);
	unlink(path);
}

/* Apply a random batch to the tree of label and commit. */
static int
editcommit(Gefs *fs, const char *label, Model *m, Batchbuf *bb, int n)
{
	GefsTree *t = gefs_opentree(fs, label);
	int rc = -1;

	if (t == NULL)
		return -1;
	randbatch(m, bb, n, NKEY);
	if (treeupsert(t, bb->m, bb->n) == 0 && gefs_commit(fs) == 0 && compare(t, m) == 0)
		rc = 0;
	else
		fprintf(stderr, "edit %s: %s\n", label, gefs_errmsg(fs));
	gefs_closetree(t);
	return rc;
}

/* The tree of label holds m. */
static int
holds(Gefs *fs, const char *label, const Model *m)
{
	GefsTree *t = gefs_opentree(fs, label);
	int rc;

	if (t == NULL)
		return -1;
	rc = compare(t, m);
	gefs_closetree(t);
	return rc;
}

/* Labels: an immutable label of main keeps its contents while main
 * moves on (deadlists kept, merged when intermediate records fold); a
 * mutable fork of it is a line of its own; deleting the fork (a tip:
 * its own blocks swept) and then the label (its snapshot deleted, its
 * deadlists merged into main's or freed) leaves main intact, and every
 * image on the way checks clean. */
static void
test_labels(void)
{
	char path[256];
	Model *m0 = calloc(1, sizeof *m0), *m = calloc(1, sizeof *m), *mf = calloc(1, sizeof *mf);
	Batchbuf bb = {0};
	GefsLabel l;
	Gefs *fs;
	int i;

	CU_ASSERT_FATAL(m0 && m && mf && bbinit(&bb, 300) == 0);
	CU_ASSERT_FATAL(baseimg(path, sizeof path, m0, 99, 2500) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_snapshot(fs, "main", "tag1", false), 0);
	CU_ASSERT_EQUAL(gefs_snapshot(fs, "main", "tag1", false), -1);	/* exists */
	CU_ASSERT_EQUAL(gefs_snapshot(fs, "main", "adm", false), -1);	/* reserved */
	*m = *m0;
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(editcommit(fs, "main", m, &bb, 300), 0);
	CU_ASSERT_EQUAL(holds(fs, "tag1", m0), 0);
	CU_ASSERT_EQUAL(gefs_snapshot(fs, "tag1", "fork", true), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	*mf = *m0;
	mf->rnd = 4242;
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(editcommit(fs, "fork", mf, &bb, 300), 0);
	CU_ASSERT_EQUAL(holds(fs, "tag1", m0), 0);
	CU_ASSERT_EQUAL(holds(fs, "main", m), 0);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(holds(fs, "fork", mf), 0);
	/* the last label of a tip with a fork stays (§13.8) */
	CU_ASSERT_EQUAL(gefs_snapshot(fs, "main", "fork2", true), 0);
	CU_ASSERT_EQUAL(gefs_dellabel(fs, "main"), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EBUSY);
	CU_ASSERT_EQUAL(gefs_dellabel(fs, "fork2"), 0);
	CU_ASSERT_EQUAL(gefs_dellabel(fs, "fork"), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_dellabel(fs, "tag1"), 0);
	CU_ASSERT_EQUAL(gefs_getlabel(fs, "tag1", &l), -1);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	CU_ASSERT_EQUAL(editcommit(fs, "main", m, &bb, 300), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);	/* the deferred frees, durable */
	gefs_close(fs);
	CU_ASSERT_EQUAL(comparedisk(path, m), 0);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	CU_ASSERT_EQUAL(lastleak, 0);	/* swept, reclaimed, frees committed */
	bbfree(&bb);
	free(m0);
	free(m);
	free(mf);
	unlink(path);
}

/* The state before the label crash test: tag1 on main's first contents
 * m0, then two edits of main (m): tag1's snapshot keeps deadlists. */
static int
labelbase(char *path, size_t n, Model *m0, Model *m, Batchbuf *bb)
{
	Gefs *fs;
	int rc = -1;

	if (baseimg(path, n, m0, 0x77, 1500) < 0 || (fs = openrw(path)) == NULL)
		return -1;
	*m = *m0;
	if (gefs_snapshot(fs, "main", "tag1", false) == 0 && editcommit(fs, "main", m, bb, 200) == 0
	&& editcommit(fs, "main", m, bb, 200) == 0)
		rc = 0;
	gefs_close(fs);
	return rc;
}

/* Label tag2 created and tag1 deleted (its snapshot deleted, deadlists
 * merged into main's or freed) in one commit cut at every write, failed
 * or torn: the image is the old state (tag1 with m0, no tag2) or the new
 * one (tag2 with m, no tag1), main intact, clean after preen. */
static void
test_crashlabel(void)
{
	static const int kinds[] = {DEVFAULT_EIO, DEVFAULT_SHORT};
	char path[256];
	Model *m0 = calloc(1, sizeof *m0), *m = calloc(1, sizeof *m);
	Batchbuf bb = {0};
	GefsLabel l;
	Gefs *fs;
	int j, k, done, has1, has2, npoint = 0;

	CU_ASSERT_FATAL(m0 != NULL && m != NULL && bbinit(&bb, 200) == 0);
	for (j = 0; j < 2; j++)
		for (k = 1, done = 0; !done && k < 200; k++, npoint++) {
			CU_ASSERT_FATAL(labelbase(path, sizeof path, m0, m, &bb) == 0);
			fs = openrw(path);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
			devfault(fs->dev, k, kinds[j]);
			done = gefs_snapshot(fs, "main", "tag2", false) == 0 && gefs_dellabel(fs, "tag1") == 0
				&& gefs_commit(fs) == 0;
			gefs_close(fs);
			fs = openrw(path);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
			CU_ASSERT_EQUAL(holds(fs, "main", m), 0);
			has1 = gefs_getlabel(fs, "tag1", &l) == 0;
			has2 = gefs_getlabel(fs, "tag2", &l) == 0;
			CU_ASSERT(has1 != has2 && (!done || has2));
			CU_ASSERT(!has1 || holds(fs, "tag1", m0) == 0);
			CU_ASSERT(!has2 || holds(fs, "tag2", m) == 0);
			gefs_close(fs);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, crashcodes), 0);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
			unlink(path);
		}
	printf("\n    %d crash points tested ", npoint);
	CU_ASSERT(npoint > 20);
	bbfree(&bb);
	free(m0);
	free(m);
}

/* Configuration entries, global and per label: set, read back, a bad
 * retain refused, deleted; durable and clean after a commit. */
static void
test_conf(void)
{
	char path[256], v[200];
	Model *m = calloc(1, sizeof *m);
	Gefs *fs;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(baseimg(path, sizeof path, m, 3, 100) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_setconf(fs, NULL, "retain", "60@m 24@h @d"), 0);
	CU_ASSERT_EQUAL(gefs_setconf(fs, NULL, "retain", "5@ 2@h"), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	CU_ASSERT_EQUAL(gefs_setconf(fs, "main", "retain", "10@h"), 0);
	CU_ASSERT_EQUAL(gefs_setconf(fs, NULL, "nothere", NULL), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), ENOENT);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT(gefs_getconf(fs, NULL, "retain", v, sizeof v) == 0 && strcmp(v, "60@m 24@h @d") == 0);
	CU_ASSERT(gefs_getconf(fs, "main", "retain", v, sizeof v) == 0 && strcmp(v, "10@h") == 0);
	CU_ASSERT_EQUAL(gefs_setconf(fs, NULL, "retain", NULL), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	CU_ASSERT_EQUAL(gefs_getconf(fs, NULL, "retain", v, sizeof v), -1);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	free(m);
	unlink(path);
}

/* The first regular file of at least 2 blocks in a directory listing. */
static int
bigfile(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	GefsXdir *f = arg;

	(void)name;
	(void)nlen;
	if ((d->qtype & GEFS_QTDIR) || d->length < 2 * B || f->qpath != 0)
		return 0;
	*f = *d;
	return 1;
}

/* Point block off of file f at a new data block filled with c. */
static int
putdat(GefsTree *t, const GefsXdir *f, uint64_t off, int c)
{
	static uint8_t buf[B];
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	GefsBptr bp;
	GefsMsg m;

	memset(buf, c, sizeof buf);
	if (datawrite(t->fs, buf, &bp) < 0)
		return -1;
	gefs_packbptr(v, &bp);
	m = (GefsMsg){GEFS_OINSERT, k, (uint16_t)gefs_packdatkey(k, f->qpath, off), v, sizeof v};
	return treeupsert(t, &m, 1);
}

/* Does block off of f read as c? */
static int
readsas(GefsTree *t, const GefsXdir *f, uint64_t off, int c)
{
	static uint8_t buf[B];
	size_t i;

	if (gefs_read(t, f, off, buf, B) != B)
		return -1;
	for (i = 0; i < B; i++)
		if (buf[i] != (uint8_t)c)
			return 1;
	return 0;
}

/* Data blocks replaced through Kdat inserts, buffered in pivots and
 * applied at leaves (§10.5): the old blocks are released (killed, then
 * freed by the fold; a block of the edit freed at once), reads see the
 * newest data, and nothing leaks. */
static void
test_data(void)
{
	char path[256];
	Model *m = calloc(1, sizeof *m);
	Batchbuf bb = {0};
	GefsXdir f;
	GefsTree *t;
	Gefs *fs;
	int i;

	CU_ASSERT_FATAL(m != NULL && bbinit(&bb, 600) == 0);
	CU_ASSERT_FATAL(baseimg(path, sizeof path, m, 5, 3000) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(&f, 0, sizeof f);
	CU_ASSERT_FATAL(gefs_readdir(t, "/", bigfile, &f) == 1);
	CU_ASSERT(gefs_treesnap(t)->ht >= 2);
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL(putdat(t, &f, 0, 'a' + i), 0);
		CU_ASSERT_EQUAL(putdat(t, &f, B, 'A' + i), 0);
		CU_ASSERT_EQUAL(putdat(t, &f, 0, 'a' + i + 1), 0);	/* twice in one edit */
		randbatch(m, &bb, 600, NKEY);				/* flushes */
		CU_ASSERT_EQUAL(treeupsert(t, bb.m, bb.n), 0);
		CU_ASSERT_EQUAL(readsas(t, &f, 0, 'a' + i + 1), 0);
		CU_ASSERT_EQUAL(readsas(t, &f, B, 'A' + i), 0);
		if (i % 2 == 1)
			CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	}
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(comparedisk(path, m), 0);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	CU_ASSERT_EQUAL(lastleak, 0);
	bbfree(&bb);
	free(m);
	unlink(path);
}

/* Inflate the gzip image gz into a new sparse temporary file. */
static int
gunzip(const char *gz, char *path, size_t n)
{
	static uint8_t buf[B], zero[B];
	gzFile z;
	int fd, rc = -1, k;
	off_t off = 0;

	if (lttmp(path, n, ".img") < 0 || (fd = open(path, O_WRONLY)) < 0)
		return -1;
	if ((z = gzopen(gz, "rb")) != NULL) {
		while ((k = gzread(z, buf, sizeof buf)) > 0) {
			if ((k < B || memcmp(buf, zero, B) != 0) && pwrite(fd, buf, (size_t)k, off) != k)
				break;
			off += k;
		}
		rc = k == 0 && ftruncate(fd, off) == 0 ? 0 : -1;
		gzclose(z);
	}
	close(fd);
	return rc;
}

/* Does the manifest of label in the image at path equal the reference's
 * listing in file want? */
static int
samemanifest(Gefs *fs, const char *label, const char *want)
{
	uint8_t *w;
	char *got = NULL;
	size_t nw = 0, ng = 0;
	GefsTree *t;
	FILE *fp;
	int rc = -1;

	if ((w = slurp(want, &nw)) == NULL || (t = gefs_opentree(fs, label)) == NULL) {
		free(w);
		return -1;
	}
	if ((fp = open_memstream(&got, &ng)) != NULL) {
		if (gefs_manifest(t, "/", fp) == 0 && fclose(fp) == 0)
			rc = ng == nw && memcmp(got, w, nw) == 0 ? 0 : 1;
		else
			fclose(fp);
	}
	gefs_closetree(t);
	free(got);
	free(w);
	return rc;
}

/* Edit one reference image: keys into main, a fork of snapshot label a
 * with keys written into it, label d deleted; the image checks with no
 * error or warning beyond those the reference left in it, and every label
 * keeps the reference's manifest (the fork: a's). */
static void
interop1(const char *dir, const char *img, const char *a, const char *d)
{
	char gz[1024], path[256], want[1024];
	Model *m = calloc(1, sizeof *m), *mf = calloc(1, sizeof *mf);
	Batchbuf bb = {0};
	uint64_t base;
	Gefs *fs;

	snprintf(gz, sizeof gz, "%s/%s.img.gz", dir, img);
	CU_ASSERT_FATAL(m && mf && bbinit(&bb, 400) == 0);
	CU_ASSERT_FATAL(gunzip(gz, path, sizeof path) == 0);
	base = findings(path, GEFS_CKNONE, NULL);	/* what the reference left */
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	m->rnd = 31;
	mf->rnd = 37;
	CU_ASSERT_EQUAL(editcommit(fs, "main", m, &bb, 400), 0);
	CU_ASSERT_EQUAL(gefs_snapshot(fs, a, "fork", true), 0);
	CU_ASSERT_EQUAL(editcommit(fs, "fork", mf, &bb, 400), 0);
	CU_ASSERT_EQUAL(editcommit(fs, "main", m, &bb, 400), 0);
	CU_ASSERT_EQUAL(gefs_dellabel(fs, d), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), base);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(holds(fs, "main", m), 0);
	CU_ASSERT_EQUAL(holds(fs, "fork", mf), 0);
	snprintf(want, sizeof want, "%s/%s.manifest.%s", dir, img, "main");
	CU_ASSERT_EQUAL(samemanifest(fs, "main", want), 0);
	snprintf(want, sizeof want, "%s/%s.manifest.%s", dir, img, a);
	CU_ASSERT(strcmp(a, d) == 0 || samemanifest(fs, a, want) == 0);
	CU_ASSERT_EQUAL(samemanifest(fs, "fork", want), 0);
	snprintf(want, sizeof want, "%s/%s.manifest.%s", dir, img, "adm");
	CU_ASSERT_EQUAL(samemanifest(fs, "adm", want), 0);
	gefs_close(fs);
	bbfree(&bb);
	free(m);
	free(mf);
	unlink(path);
}

/* The reference images (skipped without ../shared). */
static void
test_interop(void)
{
	const char *sh = getenv("GEFS_SHARED");
	char dir[1024];

	if (sh == NULL || strlen(sh) > 900 || access(sh, R_OK) != 0) {
		fprintf(stderr, "interop: GEFS_SHARED not available, skipped\n");
		return;
	}
	snprintf(dir, sizeof dir, "%s/reference-images", sh);
	interop1(dir, "ref-small", "small-mid", "small-mid");
	interop1(dir, "ref-many", "many-s1", "many-s3");
	interop1(dir, "ref-deep", "deep-s1", "deep-s1");
}

int
suite_upsert(void)
{
	CU_pSuite s = CU_add_suite("upsert", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "random edits against a model", test_model)
	|| !CU_add_test(s, "crash and fault points of a commit", test_crash)
	|| !CU_add_test(s, "abort", test_abort)
	|| !CU_add_test(s, "a full image", test_full)
	|| !CU_add_test(s, "data blocks replaced", test_data)
	|| !CU_add_test(s, "configuration entries", test_conf)
	|| !CU_add_test(s, "labels, forks and their deletion", test_labels)
	|| !CU_add_test(s, "crash points of label creation and deletion", test_crashlabel)
	|| !CU_add_test(s, "reference images: edit, fork, delete a label", test_interop))
		return -1;
	return 0;
}
