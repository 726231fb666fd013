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
#include "crashsim.h"

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

typedef struct Seen {
	const char	*allow;		/* codes not counted, or NULL */
	uint64_t	n;
} Seen;

/* Is code allowed?  allow lists codes; a leading "CR" word allows the
 * whole crash-remnant class. */
static bool
allowed(const char *allow, const char *code)
{
	if (allow == NULL)
		return false;
	if (strncmp(allow, "CR", 2) == 0 && (allow[2] == ' ' || allow[2] == 0) && strncmp(code, "CR", 2) == 0)
		return true;
	return strstr(allow, code) != NULL;
}

/* Count and print errors and warnings (they fail the test). */
static void
show(void *arg, const GefsFinding *f)
{
	Seen *s = arg;

	if (f->p->sev == GEFS_SEVNOTE || allowed(s->allow, f->p->code))
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
 * without errors or warnings (crash remnants, CR*, allowed). */
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
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, "CR", NULL), 0);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, "CR", NULL), 0);
			CU_ASSERT_EQUAL(problems(path, NULL), 0);
			unlink(path);
		}
	unlink(ref);
}

/* ---- every crash state of a recorded commit (crashsim) ---- */

/* What identifies a loaded state: the snapshot tree and the counters
 * must be those of the old or the new state, and its free space inside
 * theirs (an interrupted commit may leak what it allocated, never free
 * what a state uses). */
typedef struct Sig {
	uint64_t	snap, nextgen, nextqid;
	uint64_t	(*r)[2];	/* free ranges, in walk order */
	size_t		n, cap;
} Sig;

static int
addrange(void *arg, uint64_t start, uint64_t len)
{
	Sig *g = arg;
	void *p;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 256;
		if ((p = realloc(g->r, g->cap * sizeof *g->r)) == NULL)
			return -1;
		g->r = p;
	}
	g->r[g->n][0] = start;
	g->r[g->n][1] = len;
	g->n++;
	return 0;
}

static int
statesig(const char *path, Sig *g)
{
	GefsErr e;
	Gefs *fs;
	int i, rc = 0;

	if ((fs = gefs_open(path, NULL, &e)) == NULL) {
		fprintf(stderr, "\n  load %s: %s\n", path, e.msg);
		return -1;
	}
	g->n = 0;
	g->snap = fs->sb.snapaddr;
	g->nextgen = fs->sb.nextgen;
	g->nextqid = fs->sb.nextqid;
	for (i = 0; i < gefs_narena(fs) && rc == 0; i++)
		rc = gefs_walkfree(fs, i, addrange, g);
	gefs_close(fs);
	return rc;
}

/* Is every free range of g inside one of ref's? */
static bool
sigwithin(const Sig *g, const Sig *ref)
{
	size_t i, j;

	if (g->snap != ref->snap || g->nextgen != ref->nextgen || g->nextqid != ref->nextqid)
		return false;
	for (i = 0, j = 0; i < g->n; i++) {
		while (j < ref->n && ref->r[j][0] + ref->r[j][1] <= g->r[i][0])
			j++;
		if (j == ref->n || ref->r[j][0] > g->r[i][0] || ref->r[j][0] + ref->r[j][1] < g->r[i][0] + g->r[i][1])
			return false;
	}
	return true;
}

typedef struct Cst {
	Sig		old, new, got;
	const char	*allow;		/* besides CR*: codes the old state has */
	long		nbad;
} Cst;

/* Loads as the old or new state; after a repair (a commit of its own,
 * with rebuilt logs) only its trees and counters are compared, the free
 * space being checked by gefs_check. */
static bool
oldornew(Cst *c, const char *path, bool repaired)
{
	Sig o = c->old, n = c->new;

	if (repaired)
		o.n = n.n = c->got.n = 0;
	if (statesig(path, &c->got) < 0)
		return false;
	if (repaired)
		c->got.n = 0;
	return sigwithin(&c->got, &o) || sigwithin(&c->got, &n);
}

static void
cstfree(Cst *c)
{
	free(c->old.r);
	free(c->new.r);
	free(c->got.r);
}

/* One crash state: clean under no-fix checking (crash remnants and what
 * the old state had aside), loads as old or new, and after preen is
 * still old or new and fully clean. */
static int
crashstate(void *arg, const char *path, const char *what)
{
	Cst *c = arg;
	char allow[256];
	const char *why = NULL;

	snprintf(allow, sizeof allow, "CR %s", c->allow);
	if (findings(path, GEFS_CKNONE, allow, NULL) != 0)
		why = "not clean";
	else if (!oldornew(c, path, false))
		why = "neither old nor new";
	else if (findings(path, GEFS_CKPREEN, allow, NULL) != 0)
		why = "preen found more";
	else if (!oldornew(c, path, true))
		why = "neither old nor new after preen";
	else if (problems(path, NULL) != 0)
		why = "not clean after preen";
	if (why != NULL) {
		fprintf(stderr, "\n  crash state %s: %s\n", what, why);
		c->nbad++;
	}
	return 0;
}

static long nstates;		/* crash states tested, printed at the end */

static void
runcrash(Crec *r, const char *base, Cst *c)
{
	char work[256];
	long n;

	CU_ASSERT_FATAL(lttmp(work, sizeof work, ".img") == 0);
	n = crashsim(r, base, work, 1, crashstate, c);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(c->nbad, 0);
	if (n > 0)
		nstates += n;
	unlink(work);
}

static int
copyfile(const char *from, const char *to)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "cp --sparse=always '%s' '%s'", from, to);
	return system(cmd) == 0 ? 0 : -1;
}

/* Changes made before a recorded commit. */
static int
rebuildalloc(Gefs *fs)
{
	uint64_t a;

	return rebuildall(fs) < 0 || blkalloc(fs, 1, &a) < 0 ? -1 : 0;
}

/* Enough entries to carry the log tail past half a block, with the old
 * barrier near its start: a torn tail write is torn past the barrier. */
static int
churn(Gefs *fs)
{
	uint64_t a;
	int i;

	for (i = 0; i < 700; i++)
		if (blkalloc(fs, 0, &a) < 0 || blkfree(fs, a) < 0)
			return -1;
	return blkalloc(fs, 2, &a);
}

/* Every crash state of a plain commit made after fn. */
static void
crashcommit(int (*fn)(Gefs *))
{
	char base[256], path[256];
	Cst c = {.allow = ""};
	Crec r;
	Gefs *fs;

	CU_ASSERT_FATAL(mkimg(base, sizeof base, NULL) == 0);
	fs = openrw(base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(commit(fs), 0);		/* a barrier at the start of the tail */
	gefs_close(fs);
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	CU_ASSERT_FATAL(copyfile(base, path) == 0);
	CU_ASSERT_FATAL(statesig(base, &c.old) == 0);
	crecinit(&r);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(fn(fs), 0);
	crecattach(&r, fs->dev);	/* what fn wrote before the commit is the base */
	CU_ASSERT_EQUAL(commit(fs), 0);
	gefs_close(fs);
	CU_ASSERT_FATAL(statesig(path, &c.new) == 0);
	runcrash(&r, base, &c);
	cstfree(&c);
	crecfree(&r);
	unlink(base);
	unlink(path);
}

static void
test_crashsim(void)
{
	crashcommit(rebuildalloc);
	crashcommit(churn);
}

static void
lowgen(GefsSb *sb, void *arg)
{
	(void)arg;
	sb->nextgen = 1;
}

/* gefs-fsck -y's own repair commit (nextgen raised: rebuilt logs and a
 * new superblock). */
static void
test_crashrepair(void)
{
	char base[256], path[256];
	Cst c = {.allow = "GN0002"};
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	Crec r;

	CU_ASSERT_FATAL(mkimg(base, sizeof base, NULL) == 0);
	CU_ASSERT_FATAL(dmsb(base, 0, lowgen, NULL, false) == 0 && dmsb(base, 1, lowgen, NULL, false) == 0);
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	CU_ASSERT_FATAL(copyfile(base, path) == 0);
	CU_ASSERT_FATAL(statesig(base, &c.old) == 0);
	crecinit(&r);
	gefs_defcheckopts(&o);
	o.mode = GEFS_CKYES;
	crecall(&r);
	CU_ASSERT_EQUAL(gefs_check(path, &o, &st, &e), 0);
	crecall(NULL);
	CU_ASSERT(st.nfixed > 0);
	CU_ASSERT(r.nw > 0);
	CU_ASSERT_EQUAL(problems(path, NULL), 0);
	CU_ASSERT_FATAL(statesig(path, &c.new) == 0);
	runcrash(&r, base, &c);
	cstfree(&c);
	printf("\n  %ld crash states tested ", nstates);
	crecfree(&r);
	unlink(base);
	unlink(path);
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
	|| !CU_add_test(s, "crash states of a commit", test_crashsim)
	|| !CU_add_test(s, "crash states of a repair commit", test_crashrepair)
	|| !CU_add_test(s, "bulk-built trees", test_treebuild))
		return -1;
	return 0;
}
