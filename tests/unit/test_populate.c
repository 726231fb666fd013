/* SPDX-License-Identifier: MIT */
/* populate suite: the bulk loader (libfs/populate.c) through its public
 * API — files from descriptors and from chunk streams (unaligned chunks,
 * holes, a file spanning many runs), reserved qids in any order, the
 * spilling sort, the users file, one thread or two — each result reloaded and read back,
 * and gefs_check clean; errors (bad names, unreserved or out-of-order
 * qids, a full image) fail cleanly; sizing is consistent. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"

enum {
	B	= GEFS_BLKSZ,
	MIN	= GEFS_MINSIZE,
	RUNB	= 64 * B,	/* the loader's run of data blocks (1 MiB) */
};

/* A fresh image at path (deterministic), opened for writing. */
static Gefs *
fresh(char *path, size_t n, uint64_t size)
{
	GefsFormatOpts fo;
	GefsOpts o;
	GefsErr e;
	Gefs *fs;

	if (lttmp(path, n, ".img") < 0)
		return NULL;
	unlink(path);
	gefs_defformatopts(&fo);
	fo.noxrec = true;
	if (gefs_format(path, size, &fo, NULL, &e) < 0) {
		fprintf(stderr, "format: %s\n", e.msg);
		return NULL;
	}
	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = 1 << 20;
	if ((fs = gefs_open(path, &o, &e)) == NULL)
		fprintf(stderr, "open: %s\n", e.msg);
	return fs;
}

/* Errors and warnings gefs_check finds. */
static uint64_t
problems(const char *path)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;

	gefs_defcheckopts(&o);
	if (gefs_check(path, &o, &st, &e) < 0) {
		fprintf(stderr, "check: %s\n", e.msg);
		return 1;
	}
	return st.nfound[GEFS_SEVERR] + st.nfound[GEFS_SEVWARN] + st.nleak;
}

/* Chunks of a pattern file: length len, data only in [a, b), handed over
 * in pieces of step bytes (not block-aligned). */
typedef struct Pat {
	uint64_t	len, a, b, pos;
	size_t		step;
	uint8_t		buf[40000];
} Pat;

static uint8_t
patbyte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 14));
}

static int
patrd(void *arg, const void **buf, size_t *n, uint64_t *off)
{
	Pat *p = arg;
	size_t m, i;

	if (p->pos < p->a)
		p->pos = p->a;
	if (p->pos >= p->b)
		return 0;
	m = p->b - p->pos < p->step ? (size_t)(p->b - p->pos) : p->step;
	for (i = 0; i < m; i++)
		p->buf[i] = patbyte(p->pos + i);
	*buf = p->buf, *n = m, *off = p->pos;
	p->pos += m;
	return 1;
}

/* File at path reads back as the pattern (zeros outside [a, b)). */
static void
checkpat(GefsTree *t, const char *path, uint64_t len, uint64_t a, uint64_t b)
{
	static uint8_t buf[1 << 16];
	GefsXdir d;
	uint64_t off, i;
	int64_t n;
	int bad = 0;

	CU_ASSERT_FATAL(gefs_walk(t, path, &d) == 0);
	CU_ASSERT_EQUAL(d.length, len);
	for (off = 0; off < len && !bad; off += (uint64_t)n) {
		n = gefs_read(t, &d, off, buf, sizeof buf);
		CU_ASSERT_FATAL(n > 0);
		for (i = 0; i < (uint64_t)n; i++)
			if (buf[i] != (off + i >= a && off + i < b ? patbyte(off + i) : 0)) {
				fprintf(stderr, "%s: byte %llu differs\n", path, (unsigned long long)(off + i));
				bad = 1;
				break;
			}
	}
	CU_ASSERT_FALSE(bad);
}

/* Node shapes: pivots keep room for two 288-byte entries (§8.6), leaves
 * are full to within one entry (all but the last of their level). */
typedef struct Shape {
	int		npiv, nleaf, roomy, thin;
} Shape;

static int
shapefn(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Shape *s = arg;

	(void)depth, (void)bp;
	if (n->type == GEFS_TPIVOT) {
		s->npiv++;
		if (2 * (n->nval + 1) + n->valsz + 576 > GEFS_PIVSPC)
			s->roomy++;
	} else {
		s->nleaf++;
		if (2 * n->nval + n->valsz < GEFS_LEAFSPC - (6 + GEFS_KEYMAX + GEFS_XDIRSZ))
			s->thin++;
	}
	return 0;
}

static const GefsBulkAttr fattr = {0644, 1000000001, 0, 1, 1, GEFS_NONE, false};

static void
test_stream(void)
{
	char path[256];
	Gefs *fs = fresh(path, sizeof path, MIN);
	GefsBulkOpts bo;
	GefsBulkStats st;
	GefsBulkAttr a = fattr;
	GefsBulk *b;
	GefsTree *t;
	Pat p;
	uint64_t d, q;

	CU_ASSERT_FATAL(fs != NULL);
	gefs_defbulkopts(&bo);
	bo.anyorder = true;
	bo.sortmem = 1;			/* the smallest budget: runs spill */
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, &bo)) != NULL);
	q = gefs_bulkreserve(b, 3);
	/* the directory after the files that go in it: qids decide, not calls */
	a.length = 5 * B + 3, a.qid = q + 2;
	p = (Pat){a.length, B + 100, 4 * B + 1, 0, 777, {0}};
	CU_ASSERT(gefs_bulkstream(b, q, "holes", 5, &a, patrd, &p, NULL) == 0);
	a.length = 3 << 20, a.qid = q + 1;	/* more than one run of data */
	p = (Pat){a.length, 0, a.length, 0, 40000, {0}};
	CU_ASSERT(gefs_bulkstream(b, q, "big", 3, &a, patrd, &p, NULL) == 0);
	a = fattr, a.qid = q;
	CU_ASSERT(gefs_bulkdir(b, gefs_bulkroot(b, &fattr), "dir", 3, &a, &d) == 0 && d == q);
	for (int i = 0; i < 12000; i++) {	/* enough names for > FANIN runs */
		char nm[16];
		a = fattr, a.mode = 0755;
		snprintf(nm, sizeof nm, "e%05d", i);
		CU_ASSERT_FATAL(gefs_bulkdir(b, d, nm, strlen(nm), &a, &q) == 0);
	}
	CU_ASSERT_FATAL(gefs_bulkend(b, &st) == 0);
	CU_ASSERT(st.nrun > 16);		/* merged in more than one round */
	CU_ASSERT_EQUAL(st.nfile, 2);
	CU_ASSERT_EQUAL(st.datablocks, 4 + 192);	/* blocks 1..4 of holes, all of big */
	gefs_bulkfree(b);
	gefs_close(fs);
	CU_ASSERT_FATAL((fs = gefs_open(path, NULL, NULL)) != NULL);
	CU_ASSERT_FATAL((t = gefs_opentree(fs, "main")) != NULL);
	checkpat(t, "dir/holes", 5 * B + 3, B + 100, 4 * B + 1);
	checkpat(t, "dir/big", 3 << 20, 0, 3 << 20);
	{
		Shape sh = {0, 0, 0, 0};
		CU_ASSERT(gefs_walktree(t, -1, shapefn, &sh) == 0);
		CU_ASSERT(sh.npiv >= 1 && sh.nleaf > 10);
		CU_ASSERT_EQUAL(sh.roomy, 0);
		CU_ASSERT(sh.thin <= 1);	/* only the last leaf may be short */
	}
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(problems(path), 0);
	unlink(path);
}

/* Files from descriptors (a sparse one), --snap, a new label, users. */
static void
test_fdlabels(void)
{
	static const char users[] = "-1:adm::glenda\n0:none::\n1:glenda:glenda:\n2:ori:ori:\n";
	char path[256], src[256];
	Gefs *fs = fresh(path, sizeof path, MIN);
	GefsBulkOpts bo;
	GefsBulkAttr a = fattr;
	GefsBulk *b;
	GefsTree *t;
	GefsLabel l;
	uint8_t buf[100];
	char name[64];
	int fd;

	CU_ASSERT_FATAL(fs != NULL);
	CU_ASSERT_FATAL(lttmp(src, sizeof src, ".dat") == 0);
	CU_ASSERT_FATAL((fd = open(src, O_RDWR | O_TRUNC)) >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 40 * B) == 0);
	memset(buf, 0xab, sizeof buf);
	CU_ASSERT_FATAL(pwrite(fd, buf, sizeof buf, 20 * B + 5) == (ssize_t)sizeof buf);
	gefs_defbulkopts(&bo);
	bo.label = "work";
	bo.snap = "work@1";
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, &bo)) != NULL);
	a.length = 40 * B;
	CU_ASSERT(gefs_bulkfile(b, 0, "sparse", 6, &a, fd, NULL) == 0);
	CU_ASSERT(gefs_bulkusers(b, users, strlen(users)) == 0);
	CU_ASSERT_FATAL(gefs_bulkend(b, NULL) == 0);
	gefs_bulkfree(b);
	gefs_close(fs);
	close(fd);
	CU_ASSERT_FATAL((fs = gefs_open(path, NULL, NULL)) != NULL);
	CU_ASSERT(gefs_getlabel(fs, "work", &l) == 0 && (l.flags & 1));
	CU_ASSERT(gefs_getlabel(fs, "work@1", &l) == 0 && l.flags == 0);
	CU_ASSERT(gefs_username(fs, 2, name, sizeof name) == 0 && strcmp(name, "ori") == 0);
	CU_ASSERT_FATAL((t = gefs_opentree(fs, "work")) != NULL);
	checkpat(t, "/", 0, 0, 0);	/* walk works; content below */
	{
		GefsXdir d;
		uint8_t got[100];
		CU_ASSERT_FATAL(gefs_walk(t, "sparse", &d) == 0);
		CU_ASSERT(gefs_read(t, &d, 20 * B + 5, got, sizeof got) == (int64_t)sizeof got);
		CU_ASSERT(memcmp(got, buf, sizeof buf) == 0);
	}
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(problems(path), 0);
	unlink(path);
	unlink(src);
}

/* Whole file at path into a fresh buffer of *n bytes. */
static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0
	|| (p = malloc((size_t)len)) == NULL || fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	*n = p ? (size_t)len : 0;
	if (f != NULL)
		fclose(f);
	return p;
}

/* Load image path (a copy of one fresh image) with threads threads:
 * files spanning many runs and small ones sharing runs, data pointers
 * straight to the tree (no anyorder), one file from a descriptor with
 * and one without the dense hint. */
static void
loadwith(const char *path, int threads, int fd)
{
	GefsBulkAttr a = fattr, d = fattr;
	GefsBulkOpts bo;
	GefsOpts o;
	GefsBulk *b;
	Gefs *fs;
	uint64_t q;
	char name[32];
	int i;

	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = 1 << 20;
	CU_ASSERT_FATAL((fs = gefs_open(path, &o, NULL)) != NULL);
	gefs_defbulkopts(&bo);
	bo.threads = threads;
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, &bo)) != NULL);
	CU_ASSERT(gefs_bulkdir(b, 0, "d", 1, &d, &q) == 0);
	for (i = 0; i < 40; i++) {
		Pat p = {.len = i % 8 == 0 ? (3u << 20) + 7 : 5000 + (uint64_t)i, .step = 30001};
		p.b = p.len;
		a.length = p.len;
		snprintf(name, sizeof name, "f%02d", i);
		CU_ASSERT(gefs_bulkstream(b, q, name, strlen(name), &a, patrd, &p, NULL) == 0);
	}
	a.length = 2 * RUNB;
	a.dense = false;
	CU_ASSERT(gefs_bulkfile(b, 0, "fd0", 3, &a, fd, NULL) == 0);
	a.dense = true;
	CU_ASSERT(gefs_bulkfile(b, 0, "fd1", 3, &a, fd, NULL) == 0);
	CU_ASSERT_FATAL(gefs_bulkend(b, NULL) == 0);
	gefs_bulkfree(b);
	gefs_close(fs);
}

/* One thread or two (hashing and writing behind the loader): the same
 * image bytes, and a clean one. */
static void
test_threads(void)
{
	char path[256], src[256], copy[300];
	Gefs *fs = fresh(path, sizeof path, MIN);
	uint8_t *x, *y, *buf;
	size_t nx, ny, i;
	int fd;

	CU_ASSERT_FATAL(fs != NULL);
	gefs_close(fs);
	CU_ASSERT_FATAL(lttmp(src, sizeof src, ".dat") == 0);
	CU_ASSERT_FATAL((fd = open(src, O_RDWR | O_TRUNC)) >= 0);
	CU_ASSERT_FATAL((buf = malloc(2 * RUNB)) != NULL);
	for (i = 0; i < 2 * RUNB; i++)
		buf[i] = patbyte(i);
	CU_ASSERT_FATAL(pwrite(fd, buf, 2 * RUNB, 0) == (ssize_t)(2 * RUNB));
	free(buf);
	snprintf(copy, sizeof copy, "%s.2", path);
	CU_ASSERT_FATAL((x = slurp(path, &nx)) != NULL);
	{
		FILE *f = fopen(copy, "wb");
		CU_ASSERT_FATAL(f != NULL && fwrite(x, 1, nx, f) == nx && fclose(f) == 0);
	}
	free(x);
	loadwith(path, 1, fd);
	loadwith(copy, 2, fd);
	close(fd);
	x = slurp(path, &nx);
	y = slurp(copy, &ny);
	CU_ASSERT_FATAL(x != NULL && y != NULL);
	CU_ASSERT(nx == ny && memcmp(x, y, nx) == 0);
	free(x);
	free(y);
	CU_ASSERT_EQUAL(problems(copy), 0);
	unlink(path);
	unlink(copy);
	unlink(src);
}

/* Refusals: nothing committed, the image still the fresh one. */
static void
test_errors(void)
{
	char path[256];
	Gefs *fs = fresh(path, sizeof path, MIN);
	GefsBulkAttr a = fattr;
	GefsBulk *b;
	Pat p;
	uint64_t q;

	CU_ASSERT_FATAL(fs != NULL);
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, NULL)) != NULL);
	a.qid = 1234;				/* not reserved */
	CU_ASSERT(gefs_bulkdir(b, 0, "x", 1, &a, &q) < 0);
	gefs_bulkfree(b);
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, NULL)) != NULL);
	a = fattr;
	CU_ASSERT(gefs_bulkdir(b, 0, "a/b", 3, &a, &q) < 0);	/* '/' in a name */
	CU_ASSERT(gefs_bulkdir(b, 0, "c", 1, &a, &q) < 0);	/* after a failure */
	CU_ASSERT(gefs_bulkend(b, NULL) < 0);
	gefs_bulkfree(b);
	/* without anyorder, files must come in qid order */
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, NULL)) != NULL);
	q = gefs_bulkreserve(b, 2);
	a.length = 10, a.qid = q + 1;
	p = (Pat){10, 0, 10, 0, 10, {0}};
	CU_ASSERT(gefs_bulkstream(b, 0, "f1", 2, &a, patrd, &p, NULL) == 0);
	a.qid = q;
	p = (Pat){10, 0, 10, 0, 10, {0}};
	CU_ASSERT(gefs_bulkstream(b, 0, "f0", 2, &a, patrd, &p, NULL) < 0);
	gefs_bulkfree(b);
	/* a stream that writes past the length it declared */
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, NULL)) != NULL);
	a = fattr, a.length = 5;
	p = (Pat){10, 0, 10, 0, 10, {0}};
	CU_ASSERT(gefs_bulkstream(b, 0, "long", 4, &a, patrd, &p, NULL) < 0);
	gefs_bulkfree(b);
	/* more data than the image holds */
	CU_ASSERT_FATAL((b = gefs_bulkbegin(fs, NULL)) != NULL);
	a = fattr, a.length = 200 << 20;
	p = (Pat){a.length, 0, a.length, 0, 40000, {0}};
	CU_ASSERT(gefs_bulkstream(b, 0, "huge", 4, &a, patrd, &p, NULL) < 0);
	CU_ASSERT(strstr(gefs_errmsg(fs), "full") != NULL);
	gefs_bulkfree(b);
	gefs_close(fs);
	CU_ASSERT_EQUAL(problems(path), 0);
	unlink(path);
}

static void
test_sizing(void)
{
	GefsBulkNeed n = {1000, 100, 20000, 1000, 50000};
	uint64_t s0, s25, big;

	CU_ASSERT_EQUAL(gefs_bulkcap(MIN - 1), 0);
	CU_ASSERT(gefs_bulkcap(MIN) > 7000 && gefs_bulkcap(MIN) < MIN / B);
	CU_ASSERT(gefs_bulksize(&n, 0, &s0) == 0 && gefs_bulkcap(s0) >= gefs_bulkblocks(&n));
	CU_ASSERT(gefs_bulksize(&n, 25, &s25) == 0 && s25 > s0);
	CU_ASSERT(gefs_bulkcap(s0 - (1 << 20)) < gefs_bulkblocks(&n));	/* the smallest whole MiB */
	n.datablocks = 1;
	CU_ASSERT(gefs_bulksize(&n, 25, &big) == 0 && big == MIN);
}

int
suite_populate(void)
{
	CU_pSuite s = CU_add_suite("populate", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "streams, holes, reserved qids, spilled sort", test_stream)
	|| !CU_add_test(s, "descriptors, labels, users", test_fdlabels)
	|| !CU_add_test(s, "one thread or two: the same bytes", test_threads)
	|| !CU_add_test(s, "refusals", test_errors)
	|| !CU_add_test(s, "sizing", test_sizing))
		return -1;
	return 0;
}
