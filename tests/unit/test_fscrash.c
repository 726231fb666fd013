/* SPDX-License-Identifier: MIT */
/*
 * test_fscrash.c — the engine's crash promise for file workloads: every
 * write of the commit of each workload is recorded (tests/common/
 * crashsim), and every state a power cut could leave (each prefix, each
 * prefix with a torn next write, subsets of the writes since the last
 * flush) must load, be clean under a no-fix check (crash remnants, the
 * CR warnings, aside), hold exactly the old or the new contents of every
 * label (manifests compared), and stay so, fully clean, after preen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "crashsim.h"
#include "ltest.h"

enum { Imgsz = 160 << 20 };	/* a little over the format's minimum */

/* The manifests of every label, concatenated in label order. */
typedef struct Mani {
	char	*buf;
	size_t	n;
} Mani;

typedef struct Walkm {
	Gefs	*fs;
	FILE	*f;
	int	rc;
} Walkm;

/* On a full image, hashing every byte of every state twice is minutes:
 * there a state is compared by its listing (names, lengths, qids) and
 * checked without reading data blocks (their hashes were checked once,
 * on the committed image). */
static bool shallow;

static int
eachent(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Walkm *w = arg;

	(void)nlen;
	fprintf(w->f, "%s %llu %llx %u\n", name, (unsigned long long)d->length,
		(unsigned long long)d->qpath, d->qvers);
	return 0;
}

static int
eachlabel(void *arg, const char *name, size_t nlen, const GefsLabel *l)
{
	Walkm *w = arg;
	GefsTree *t;

	(void)nlen, (void)l;
	fprintf(w->f, "== %s\n", name);
	t = gefs_opentree(w->fs, name);
	if (t == NULL || (shallow ? gefs_readdir(t, "/", eachent, w) : gefs_manifest(t, "/", w->f)) < 0)
		w->rc = -1;
	if (t != NULL)
		gefs_closetree(t);
	return w->rc;
}

static int
manifest(const char *path, Mani *m)
{
	GefsErr e;
	Walkm w = {0};

	free(m->buf);
	m->buf = NULL;
	if ((w.fs = gefs_open(path, NULL, &e)) == NULL) {
		fprintf(stderr, "\n  load %s: %s\n", path, e.msg);
		return -1;
	}
	w.f = open_memstream(&m->buf, &m->n);
	if (w.f == NULL || gefs_walklabels(w.fs, eachlabel, &w) < 0)
		w.rc = -1;
	if (w.f != NULL)
		fclose(w.f);
	gefs_close(w.fs);
	return w.rc;
}

/* Findings of a check in mode, other than the CR (crash remnant) class. */
static void
count(void *arg, const GefsFinding *f)
{
	int *n = arg;

	if (f->p->sev != GEFS_SEVNOTE && strncmp(f->p->code, "CR", 2) != 0) {
		fprintf(stderr, "\n  %s %s", f->p->code, f->msg);
		++*n;
	}
}

static int
findings(const char *path, int mode)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	int n = 0;

	gefs_defcheckopts(&o);
	o.mode = mode;
	o.nodata = shallow;
	o.report = count;
	o.arg = &n;
	if (gefs_check(path, &o, &st, &e) < 0) {
		fprintf(stderr, "\n  check %s: %s\n", path, e.msg);
		return 1000;
	}
	return n + (int)st.nerrleft;
}

/* The default run checks the first Nfirst states of each commit and then
 * one in Nstride (a power cut is as likely anywhere); GEFS_FSCRASH_ALL=1
 * (ctest label slow) checks every state. */
enum { Nfirst = 8, Nstride = 37 };

typedef struct Cst {
	Mani	old, new, got;
	long	nbad, seen, checked;
	bool	all;
} Cst;

static bool
oldornew(Cst *c, const char *path)
{
	if (manifest(path, &c->got) < 0)
		return false;
	return (c->got.n == c->old.n && memcmp(c->got.buf, c->old.buf, c->old.n) == 0)
		|| (c->got.n == c->new.n && memcmp(c->got.buf, c->new.buf, c->new.n) == 0);
}

static int
crashstate(void *arg, const char *path, const char *what)
{
	Cst *c = arg;
	const char *why = NULL;

	if (!c->all && c->seen++ >= Nfirst && c->seen % Nstride != 0)
		return 0;
	c->checked++;
	if (findings(path, GEFS_CKNONE) != 0)
		why = "not clean";
	else if (!oldornew(c, path))
		why = "contents neither old nor new";
	else if (findings(path, GEFS_CKPREEN) != 0)
		why = "preen found more";
	else if (!oldornew(c, path))
		why = "contents neither old nor new after preen";
	if (why != NULL) {
		fprintf(stderr, "\n  crash state %s: %s\n", what, why);
		c->nbad++;
	}
	return c->nbad > 3;	/* enough to see the pattern */
}

static long nstates;

static Gefs *
openrw(const char *path)
{
	GefsOpts o;
	GefsErr e;
	Gefs *fs;

	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = 8 << 20;
	fs = gefs_open(path, &o, &e);
	if (fs == NULL)
		fprintf(stderr, "\n  open %s: %s\n", path, e.msg);
	else
		gefs_setclock(fs, 1700000000LL * 1000000000);
	return fs;
}

typedef int (*Work)(Gefs *fs, GefsTree *t);
static int fill(Gefs *fs, GefsTree *t);

/* Run w on a fresh image (its setup committed first when setup is not
 * NULL), recording the second commit's writes, and test every crash
 * state of it. */
static void
crashwork(Work setup, Work w)
{
	char base[256], path[256], work[256], cmd[600];
	Cst c = {.all = getenv("GEFS_FSCRASH_ALL") != NULL};
	Crec r;
	Gefs *fs;
	GefsTree *t;
	GefsErr e;
	long n;

	CU_ASSERT_FATAL(lttmp(base, sizeof base, ".img") == 0);
	CU_ASSERT_FATAL(gefs_format(base, Imgsz, NULL, NULL, &e) == 0);
	fs = openrw(base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(setup != NULL ? setup(fs, t) : 0, 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	shallow = setup == fill;
	CU_ASSERT_FATAL(manifest(base, &c.old) == 0);
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	snprintf(cmd, sizeof cmd, "cp --sparse=always '%s' '%s'", base, path);
	CU_ASSERT_FATAL(system(cmd) == 0);
	crecinit(&r);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	crecattach(&r, fs->dev);
	t = gefs_opentree(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(w(fs, t), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	shallow = false;
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE), 0);
	shallow = setup == fill;
	CU_ASSERT_FATAL(manifest(path, &c.new) == 0);
	CU_ASSERT(c.new.n != c.old.n || memcmp(c.new.buf, c.old.buf, c.old.n) != 0);
	CU_ASSERT_FATAL(lttmp(work, sizeof work, ".img") == 0);
	n = crashsim(&r, base, work, 7, crashstate, &c);
	CU_ASSERT(n > 0 && c.checked > 0);
	CU_ASSERT_EQUAL(c.nbad, 0);
	nstates += c.checked;
	free(c.old.buf);
	free(c.new.buf);
	free(c.got.buf);
	crecfree(&r);
	unlink(base);
	unlink(path);
	unlink(work);
}

/* ---- the workloads ---- */

static uint8_t data[256 << 10];

static int
putfile(GefsTree *t, const char *path, size_t n, uint64_t off)
{
	if (gefs_create(t, path, 0664, NULL) < 0)
		return -1;
	return n == 0 || gefs_pwrite(t, path, data, n, off) == (int64_t)n ? 0 : -1;
}

static int
smallfiles(Gefs *fs, GefsTree *t)
{
	char p[64];
	int i;

	(void)fs;
	for (i = 0; i < 8; i++) {
		snprintf(p, sizeof p, "/d%d", i);
		if (gefs_mkdir(t, p, 0775, NULL) < 0)
			return -1;
	}
	for (i = 0; i < 160; i++) {
		snprintf(p, sizeof p, "/d%d/f%d", i % 8, i);
		if (putfile(t, p, (size_t)(i * 397) % 40000, 0) < 0)
			return -1;
	}
	return 0;
}

static int
holes(Gefs *fs, GefsTree *t)
{
	(void)fs;
	if (putfile(t, "/sparse", 64 << 10, 0) < 0)
		return -1;
	if (gefs_pwrite(t, "/sparse", data, 64 << 10, 5 << 20) != 64 << 10)
		return -1;
	if (gefs_pwrite(t, "/sparse", data, 100, (20 << 20) + 7) != 100)
		return -1;
	return gefs_truncate(t, "/sparse", 30 << 20);
}

static int
deepwide(Gefs *fs, GefsTree *t)
{
	char p[1024] = "";
	int i;

	(void)fs;
	for (i = 0; i < 24; i++) {
		strcat(p, "/deep");
		if (gefs_mkdir(t, p, 0775, NULL) < 0)
			return -1;
	}
	if (gefs_mkdir(t, "/wide", 0775, NULL) < 0)
		return -1;
	for (i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/wide/name-%04d-%.*s", i, i % 40, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		if (gefs_create(t, p, 0664, NULL) < 0)
			return -1;
	}
	return 0;
}

static int
renames(Gefs *fs, GefsTree *t)
{
	char from[64], to[64];
	int i;

	(void)fs;
	if (gefs_mkdir(t, "/moved", 0775, NULL) < 0)
		return -1;
	for (i = 0; i < 40; i++) {
		snprintf(from, sizeof from, "/d%d/f%d", i % 8, i);
		if (i % 2)
			snprintf(to, sizeof to, "/moved/g%d", i);
		else
			snprintf(to, sizeof to, "/d%d/h%d", i % 8, i);
		if (gefs_rename(t, from, to) < 0)
			return -1;
	}
	return gefs_rename(t, "/d7", "/moved/d7");
}

static int
truncates(Gefs *fs, GefsTree *t)
{
	char p[64];
	int i;

	(void)fs;
	for (i = 0; i < 40; i++) {
		snprintf(p, sizeof p, "/d%d/f%d", i % 8, i);
		if (gefs_truncate(t, p, i % 3 == 0 ? 0 : i % 3 == 1 ? 1000 + i : 100000 + i) < 0)
			return -1;
	}
	return 0;
}

static int
deletes(Gefs *fs, GefsTree *t)
{
	char p[64];
	int i;

	(void)fs;
	for (i = 0; i < 60; i++) {
		snprintf(p, sizeof p, "/d%d/f%d", i % 8, i);
		if (gefs_remove(t, p) < 0)
			return -1;
	}
	return gefs_removeall(t, "/d5");
}

/* A label of main, then changes to main: its deadlist fills. */
static int
labelsetup(Gefs *fs, GefsTree *t)
{
	if (smallfiles(fs, t) < 0 || gefs_commit(fs) < 0)
		return -1;
	return gefs_snapshot(fs, "main", "keep", false);
}

/* Change main and delete the label in one commit: its deadlists merge. */
static int
labeldel(Gefs *fs, GefsTree *t)
{
	if (deletes(fs, t) < 0)
		return -1;
	return gefs_dellabel(fs, "keep");
}

/* Writes, a snapshot, more writes, a fork, writes into the fork and into
 * main again, all in one commit: each snapshot folds the changed main
 * into its record in memory, and the blocks it shares are copied, not
 * freed, by the later changes. */
static int
insnap(Gefs *fs, GefsTree *t)
{
	GefsTree *f;
	int rc;

	if (putfile(t, "/new1", 5000, 0) < 0 || gefs_pwrite(t, "/d1/f1", data, 300, 7) != 300
	|| gefs_snapshot(fs, "main", "s1", false) < 0)
		return -1;
	if (putfile(t, "/new2", 70000, 0) < 0 || gefs_pwrite(t, "/new1", data + 9, 100, 10) != 100
	|| gefs_remove(t, "/d2/f2") < 0 || gefs_snapshot(fs, "main", "f", true) < 0)
		return -1;
	if ((f = gefs_opentree(fs, "f")) == NULL)
		return -1;
	rc = putfile(f, "/infork", 20000, 0) < 0 || gefs_pwrite(f, "/new2", data + 3, 500, 60000) != 500
		|| gefs_remove(f, "/new1") < 0 || gefs_remove(f, "/d3/f3") < 0 ? -1 : 0;
	gefs_closetree(f);
	if (rc < 0 || gefs_pwrite(t, "/new2", data + 5, 1000, 100) != 1000)
		return -1;
	return gefs_removeall(t, "/d4");
}

/* Fill the image until a write does not fit (the failed write is
 * dropped by an abort), then commit what fitted. */
static int
fill(Gefs *fs, GefsTree *t)
{
	char p[64];
	int i;

	for (i = 0; i < 100000; i++) {
		snprintf(p, sizeof p, "/fill%d", i);
		if (putfile(t, p, sizeof data, 0) < 0)
			break;
		if (i % 64 == 63 && gefs_commit(fs) < 0)
			return -1;
	}
	if (gefs_errcode(fs) != ENOSPC)
		return -1;
	return gefs_abort(fs);
}

/* On the full image: delete files, the commit must fit. */
static int
fullfree(Gefs *fs, GefsTree *t)
{
	char p[64];
	int i;

	(void)fs;
	for (i = 0; i < 40; i++) {
		snprintf(p, sizeof p, "/fill%d", i);
		if (gefs_remove(t, p) < 0)
			return -1;
	}
	return 0;
}

static void test_smallfiles(void) { crashwork(NULL, smallfiles); }
static void test_holes(void) { crashwork(NULL, holes); }
static void test_deepwide(void) { crashwork(NULL, deepwide); }
static void test_renames(void) { crashwork(smallfiles, renames); }
static void test_truncates(void) { crashwork(smallfiles, truncates); }
static void test_deletes(void) { crashwork(smallfiles, deletes); }
static void test_labels(void) { crashwork(labelsetup, labeldel); }
static void test_insnap(void) { crashwork(smallfiles, insnap); }

static void
test_full(void)
{
	crashwork(fill, fullfree);
	printf("\n  %ld crash states tested ", nstates);
}

int
suite_fscrash(void)
{
	CU_pSuite s;
	size_t i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 9));
	s = CU_add_suite("fscrash", NULL, NULL);
	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "many small files", test_smallfiles)
	|| !CU_add_test(s, "a big file with holes", test_holes)
	|| !CU_add_test(s, "deep and wide directories", test_deepwide)
	|| !CU_add_test(s, "renames and moves", test_renames)
	|| !CU_add_test(s, "truncates", test_truncates)
	|| !CU_add_test(s, "deletes", test_deletes)
	|| !CU_add_test(s, "label deleted, deadlists merged", test_labels)
	|| !CU_add_test(s, "snapshot and fork of a changed label in one commit", test_insnap)
	|| !CU_add_test(s, "a commit on a full image", test_full))
		return -1;
	return 0;
}
