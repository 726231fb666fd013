/* SPDX-License-Identifier: MIT */
/* commit suite: the write side of libfs — log appends and rollover,
 * compressed log rewrites, the commit protocol and its crash points, and
 * bulk-built trees — checked by reloading the image and by gefs_check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

enum { B = GEFS_BLKSZ };

/* Write builder image b (NULL: the std image) to a new temporary file. */
static int
mkimg(char *path, size_t n, Bld *b)
{
	BldStdOpts o;
	GefsErr e;
	int rc;

	if (lttmp(path, n, ".img") < 0)
		return -1;
	if (b == NULL) {
		bldinitstd(&o);
		if ((b = bldstdimg(&o, &e)) == NULL)
			return -1;
	}
	rc = bldwrite(b, path);
	bldfree(b);
	return rc;
}

/* Open path for writing, saying why not. */
static Gefs *
openrw(const char *path)
{
	GefsErr e;
	Gefs *fs = dmopen(path, &e);

	if (fs == NULL)
		fprintf(stderr, "open %s: %s\n", path, e.msg);
	return fs;
}

/* The findings a crash between the stages of a commit leaves (§15.3):
 * one copy of a header or superblock old, a log tail torn past its
 * barrier.  Preen repairs them. */
static const char crashcodes[] = "AR0001 AR0002 AR0008 SB0001 SB0002 SB0010 LG0003";

typedef struct Seen {
	const char	*allow;		/* codes not counted, or NULL */
	uint64_t	n;
} Seen;

/* Count and print errors and warnings (they fail the test). */
static void
show(void *arg, const GefsFinding *f)
{
	Seen *s = arg;

	if (f->p->sev == GEFS_SEVNOTE || (s->allow != NULL && strstr(s->allow, f->p->code) != NULL))
		return;
	fprintf(stderr, "\n  %s %s\n", f->p->code, f->msg);
	s->n++;
}

/* Errors and warnings gefs_check finds in path, except those in allow;
 * mode GEFS_CKNONE or a repair mode. */
static uint64_t
findings(const char *path, int mode, const char *allow, uint64_t *nleak)
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
	if (nleak != NULL)
		*nleak = st.nleak;
	return s.n;
}

static uint64_t
problems(const char *path, uint64_t *nleak)
{
	return findings(path, GEFS_CKNONE, NULL, nleak);
}

/* Free bytes of every arena, summed with a position weight so that two
 * different free maps rarely agree. */
static int
sumfree(void *arg, uint64_t start, uint64_t len)
{
	uint64_t *s = arg;

	s[0] += len;
	s[1] = s[1] * 1000003 + start * 31 + len;
	return 0;
}

static void
freemap(Gefs *fs, uint64_t s[2])
{
	int i;

	s[0] = s[1] = 0;
	for (i = 0; i < gefs_narena(fs); i++)
		gefs_walkfree(fs, i, (GefsFreeFn)sumfree, s);
}

static void
test_allocfree(void)
{
	char path[256];
	uint64_t a[6], before[2], after[2], leak = 0;
	Gefs *fs;
	int i;

	CU_ASSERT_FATAL(mkimg(path, sizeof path, NULL) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	freemap(fs, before);
	for (i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(blkalloc(fs, i % 2, &a[i]), 0);
	for (i = 0; i < 6; i += 2)
		CU_ASSERT_EQUAL(blkfree(fs, a[i]), 0);
	CU_ASSERT_EQUAL(blkfree(fs, a[0]), -1);		/* twice */
	CU_ASSERT_EQUAL(commit(fs), 0);
	freemap(fs, after);
	gefs_close(fs);
	CU_ASSERT_EQUAL(before[0] - after[0], 3 * B);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	freemap(fs, before);
	CU_ASSERT_EQUAL(before[0], after[0]);
	CU_ASSERT_EQUAL(before[1], after[1]);
	gefs_close(fs);
	CU_ASSERT_EQUAL(problems(path, &leak), 0);
	CU_ASSERT_EQUAL(leak, 3);			/* allocated, never used */
	unlink(path);
}

/* Enough entries to fill several log blocks: rollover to blocks from the
 * top of the arena, chained; replay after reload gives the same map. */
static void
test_rollover(void)
{
	char path[256];
	uint64_t a, before[2], after[2];
	GefsArenaInfo ai;
	Gefs *fs;
	int i;

	CU_ASSERT_FATAL(mkimg(path, sizeof path, NULL) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	for (i = 0; i < 3000; i++) {
		CU_ASSERT_EQUAL_FATAL(blkalloc(fs, 0, &a), 0);
		CU_ASSERT_EQUAL_FATAL(blkfree(fs, a), 0);
	}
	CU_ASSERT_EQUAL(commit(fs), 0);
	freemap(fs, after);
	gefs_close(fs);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	freemap(fs, before);
	CU_ASSERT_EQUAL(before[1], after[1]);
	CU_ASSERT_EQUAL(gefs_arenainfo(fs, 0, &ai), 0);
	CU_ASSERT(ai.nlog >= 3);
	/* a second session appends after the barrier and commits again */
	CU_ASSERT_EQUAL(blkalloc(fs, 0, &a), 0);
	CU_ASSERT_EQUAL(commit(fs), 0);
	gefs_close(fs);
	CU_ASSERT_EQUAL(problems(path, NULL), 0);
	unlink(path);
}

static int
copyrange(void *arg, uint64_t start, uint64_t len)
{
	return fsetins(arg, start, len);
}

/* Rewrite every arena's log, compressed, listing the same free space. */
static int
rebuildall(Gefs *fs)
{
	FreeSet *f;
	int i;

	for (i = 0; i < gefs_narena(fs); i++) {
		if ((f = fsetnew()) == NULL || fsetwalk(fs->arena[i].free, copyrange, f) != 0)
			return -1;
		if (logrebuild(fs, i, f, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

static void
test_rebuild(void)
{
	char path[256];
	uint64_t before[2], after[2], used[2];
	GefsArenaInfo ai;
	Gefs *fs;
	int narena;

	CU_ASSERT_FATAL(mkimg(path, sizeof path, NULL) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	narena = gefs_narena(fs);
	freemap(fs, before);
	gefs_arenainfo(fs, 0, &ai);
	used[0] = ai.used;
	CU_ASSERT_EQUAL_FATAL(rebuildall(fs), 0);
	CU_ASSERT_EQUAL(commit(fs), 0);
	gefs_close(fs);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	freemap(fs, after);
	gefs_arenainfo(fs, 0, &ai);
	used[1] = ai.used;
	CU_ASSERT_EQUAL(ai.nlog, 1);
	gefs_close(fs);
	/* each new one-block log was free space; the old chains stay
	 * allocated (the caller frees them after the commit) */
	CU_ASSERT_EQUAL(before[0] - after[0], (uint64_t)narena * B);
	CU_ASSERT_EQUAL(used[1], used[0] + B);
	CU_ASSERT_EQUAL(problems(path, NULL), 0);
	unlink(path);
}

/* A commit cut short at its k-th write (an I/O error, or a torn write)
 * leaves an image that loads as the old or the new state and checks
 * without errors. */
static void
test_crash(void)
{
	char path[256], ref[256];
	uint64_t old[2], new[2], got[2], a;
	Gefs *fs;
	int k, kind, done;

	CU_ASSERT_FATAL(mkimg(ref, sizeof ref, NULL) == 0);
	fs = openrw(ref);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	freemap(fs, old);
	CU_ASSERT_EQUAL(rebuildall(fs), 0);
	CU_ASSERT_EQUAL(blkalloc(fs, 1, &a), 0);
	CU_ASSERT_EQUAL(commit(fs), 0);
	freemap(fs, new);
	gefs_close(fs);
	CU_ASSERT(old[1] != new[1]);
	for (kind = DEVFAULT_EIO; kind <= DEVFAULT_SHORT; kind += DEVFAULT_SHORT - DEVFAULT_EIO)
		for (k = 1, done = 0; !done && k < 64; k++) {
			CU_ASSERT_FATAL(mkimg(path, sizeof path, NULL) == 0);
			fs = openrw(path);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
			CU_ASSERT_EQUAL(rebuildall(fs), 0);
			CU_ASSERT_EQUAL(blkalloc(fs, 1, &a), 0);
			devfault(fs->dev, k, kind);
			done = commit(fs) == 0;
			gefs_close(fs);
			fs = openrw(path);
			CU_ASSERT_PTR_NOT_NULL(fs);
			if (fs != NULL) {
				freemap(fs, got);
				CU_ASSERT(got[1] == old[1] || got[1] == new[1]);
				if (done)
					CU_ASSERT_EQUAL(got[1], new[1]);
				gefs_close(fs);
			}
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, crashcodes, NULL), 0);
			CU_ASSERT_EQUAL(problems(path, NULL), 0);
			unlink(path);
		}
	unlink(ref);
}

/* Bulk-built trees of many sizes read back as built, with every key. */
static void
test_treebuild(void)
{
	enum { N = 20000 };
	char path[256];
	uint8_t (*k)[24], v[300];
	GefsKv *kv, got;
	GefsBptr root;
	GefsTree t;
	GefsScan *s;
	Gefs *fs;
	int ht, n, i, sizes[] = {0, 1, 40, 700, N};
	size_t j;

	CU_ASSERT_FATAL(mkimg(path, sizeof path, ltimage(2, 4096, 3)) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	k = calloc(N, sizeof *k);
	kv = calloc(N, sizeof *kv);
	CU_ASSERT_FATAL(k != NULL && kv != NULL);
	memset(v, 0xab, sizeof v);
	for (i = 0; i < N; i++) {
		n = snprintf((char *)k[i], sizeof k[i], "key%08d", i);
		kv[i] = (GefsKv){k[i], (uint16_t)n, v, (uint16_t)(i % 300)};
	}
	for (j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
		CU_ASSERT_EQUAL_FATAL(treebuild(fs, kv, (size_t)sizes[j], 7, dmalloc, fs, &root, &ht), 0);
		CU_ASSERT(sizes[j] < 1000 || ht >= 2);
		CU_ASSERT_EQUAL_FATAL(treeinit(&t, fs, &root, ht, "built"), 0);
		s = gefs_scan(&t, NULL, 0, NULL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (i = 0; gefs_scannext(s, &got) > 0; i++)
			if (i < sizes[j]) {
				CU_ASSERT_EQUAL(got.nk, kv[i].nk);
				CU_ASSERT_EQUAL(got.nv, kv[i].nv);
				CU_ASSERT(memcmp(got.k, kv[i].k, got.nk) == 0);
			}
		CU_ASSERT_EQUAL(i, sizes[j]);
		gefs_scanfree(s);
	}
	/* out of order keys are refused */
	kv[1] = kv[0];
	CU_ASSERT_EQUAL(treebuild(fs, kv, 2, 7, dmalloc, fs, &root, &ht), -1);
	free(k);
	free(kv);
	gefs_close(fs);
	unlink(path);
}

int
suite_commit(void)
{
	CU_pSuite s = CU_add_suite("commit", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "alloc and free", test_allocfree)
	|| !CU_add_test(s, "log rollover", test_rollover)
	|| !CU_add_test(s, "compressed rewrite", test_rebuild)
	|| !CU_add_test(s, "crash points", test_crash)
	|| !CU_add_test(s, "bulk-built trees", test_treebuild))
		return -1;
	return 0;
}
