/* SPDX-License-Identifier: MIT */
/* repair suite: gefs_check's repairs through a commit (rebuilt logs,
 * counters, snapshot tree).  Each case damages a std builder image with
 * libfs's own write side (a committed, well-formed image that is wrong in
 * one way), then: -n finds it and changes nothing, -y repairs it (status
 * 1), a second run is clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

enum { B = GEFS_BLKSZ };

typedef struct Run {
	int		status;		/* gefs_checkstatus */
	uint64_t	nerr, nwarn, nleak;
	char		codes[512];	/* codes of errors and warnings, space-separated */
} Run;

static void
collect(void *arg, const GefsFinding *f)
{
	Run *r = arg;
	size_t n = strlen(r->codes);

	if (f->p->sev != GEFS_SEVNOTE && n + 8 < sizeof r->codes)
		snprintf(r->codes + n, sizeof r->codes - n, "%s ", f->p->code);
}

static Run
check(const char *path, int mode, bool reclaim)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	Run r;

	memset(&r, 0, sizeof r);
	gefs_defcheckopts(&o);
	o.mode = mode;
	o.reclaim = reclaim;
	o.report = collect;
	o.arg = &r;
	if (gefs_check(path, &o, &st, &e) < 0) {
		fprintf(stderr, "check: %s\n", e.msg);
		r.status = 8;
		return r;
	}
	r.status = gefs_checkstatus(&st);
	r.nerr = st.nfound[GEFS_SEVERR];
	r.nwarn = st.nfound[GEFS_SEVWARN];
	r.nleak = st.nleak;
	return r;
}

/* A hash of the whole image file. */
static uint64_t
filehash(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[B];
	uint64_t h = 0;
	size_t n;

	if (f == NULL)
		return 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		h = h * 31 + gefs_bufhash(buf, n);
	fclose(f);
	return h;
}

typedef int (*Mutate)(Gefs *fs, void *arg);

/* A std image of nfiles files (0: the default) damaged by fn through a
 * commit. */
static int
damagedn(char *path, size_t n, Mutate fn, void *arg, int nfiles)
{
	BldStdOpts so;
	GefsOpts o;
	GefsErr e;
	Gefs *fs;
	Bld *b;
	int rc;

	bldinitstd(&so);
	if (nfiles > 0)
		so.nfiles = nfiles;
	if (lttmp(path, n, ".img") < 0 || (b = bldstdimg(&so, &e)) == NULL)
		return -1;
	rc = bldwrite(b, path);
	bldfree(b);
	if (rc < 0)
		return -1;
	gefs_defopts(&o);
	o.rdwr = true;
	if ((fs = gefs_open(path, &o, &e)) == NULL)
		return -1;
	rc = fn(fs, arg) < 0 || commit(fs) < 0 ? -1 : 0;
	if (rc < 0)
		fprintf(stderr, "damage: %s\n", fs->err.msg);
	gefs_close(fs);
	return rc;
}

static int
damaged(char *path, size_t n, Mutate fn, void *arg)
{
	return damagedn(path, n, fn, arg, 0);
}

/* -n finds want (and changes nothing), -y repairs (status 1), then clean. */
static void
repaired(Mutate fn, void *arg, const char *want, bool reclaim)
{
	char path[256];
	uint64_t h;
	Run r;

	CU_ASSERT_FATAL(damaged(path, sizeof path, fn, arg) == 0);
	h = filehash(path);
	r = check(path, GEFS_CKNONE, false);
	CU_ASSERT(strstr(r.codes, want) != NULL);
	CU_ASSERT_EQUAL(filehash(path), h);
	r = check(path, GEFS_CKYES, reclaim);
	if (r.status != 1)
		fprintf(stderr, "\n  -y: status %d, %s\n", r.status, r.codes);
	CU_ASSERT_EQUAL(r.status, 1);
	r = check(path, GEFS_CKNONE, false);
	if (r.status != 0 || r.nwarn != 0)
		fprintf(stderr, "\n  second run: status %d, %s\n", r.status, r.codes);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.nerr + r.nwarn, 0);
	if (reclaim)
		CU_ASSERT_EQUAL(r.nleak, 0);
	unlink(path);
}

static int
freeroot(Gefs *fs, void *arg)
{
	return blkfree(fs, dmroot(fs, arg));
}

static int
leak3(Gefs *fs, void *arg)
{
	uint64_t a;
	int i;

	(void)arg;
	for (i = 0; i < 3; i++)
		if (blkalloc(fs, i, &a) < 0)
			return -1;
	return 0;
}

static int
lowgen(Gefs *fs, void *arg)
{
	(void)arg;
	fs->sb.nextgen = 2;
	return 0;
}

static int
lowqid(Gefs *fs, void *arg)
{
	(void)arg;
	fs->sb.nextqid = 2;
	return 0;
}

/* A log entry allocating a block that is already allocated. */
static int
doublealloc(Gefs *fs, void *arg)
{
	GefsLogEnt le;
	uint64_t a = dmroot(fs, arg);

	le = (GefsLogEnt){.op = GEFS_LOGALLOC1, .addr = a, .len = B};
	return logappend(fs, arenaof(fs, a), &le);
}

static int
dangling(Gefs *fs, void *arg)
{
	(void)arg;
	return dmsnaps(fs, "ghost", 5, NULL);
}

static int
nlbllow(Gefs *fs, void *arg)
{
	(void)arg;
	return dmsnaps(fs, NULL, 0, "main");
}

static void test_rffree(void) { repaired(freeroot, "main", "RF0001", false); }
static void test_nextgen(void) { repaired(lowgen, NULL, "GN0002", false); }
static void test_nextqid(void) { repaired(lowqid, NULL, "GN0003", false); }
static void test_dalloc(void) { repaired(doublealloc, "main", "LG0005", false); }

static void test_dangling(void) { repaired(dangling, NULL, "SN0002", false); }
static void test_nlbllow(void) { repaired(nlbllow, NULL, "SN0006", false); }

/* ---- labels the file system needs (adm, empty, main) ---- */

/* Label arg[0] names a snapshot with no record; its old record keeps
 * nlbl 1 (or, with arg[1], gets nlbl 0: nothing evidently lost it). */
static int
lostlabel(Gefs *fs, void *arg)
{
	const char **a = arg;

	return dmrelabel(fs, a[0], 99, a[1]);
}

static int
nop(Gefs *fs, void *arg)
{
	(void)fs;
	(void)arg;
	return 0;
}

/* The generation label names now, or -1. */
static int64_t
labelgen(const char *path, const char *label, bool *users)
{
	GefsOpts o;
	GefsErr e;
	GefsXdir d;
	GefsTree *t;
	Gefs *fs;
	int64_t g = -1;

	gefs_defopts(&o);
	if ((fs = gefs_open(path, &o, &e)) == NULL)
		return -1;
	if ((t = gefs_opentree(fs, label)) != NULL) {
		g = gefs_treesnap(t)->gen;
		*users = gefs_walk(t, "/users", &d) == 0;
		gefs_closetree(t);
	}
	gefs_close(fs);
	return g;
}

/* -y re-points the label at the snapshot that lost it: the users file
 * (or main's files) is there again, and the second run is clean. */
static void
repointed(const char *label)
{
	const char *a[2] = {label, NULL};
	char path[256];
	bool users = false;
	int64_t before;
	Run r;

	CU_ASSERT_FATAL(damaged(path, sizeof path, nop, NULL) == 0);
	before = labelgen(path, label, &users);
	unlink(path);
	CU_ASSERT(before >= 0);
	repaired(lostlabel, a, "SN0002", false);
	CU_ASSERT_FATAL(damaged(path, sizeof path, lostlabel, a) == 0);
	r = check(path, GEFS_CKYES, false);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_EQUAL(labelgen(path, label, &users), before);
	CU_ASSERT_EQUAL(users, strcmp(label, "adm") == 0);
	unlink(path);
}

static void test_lostadm(void) { repointed("adm"); }
static void test_lostmain(void) { repointed("main"); }

/* No snapshot fits: the label is kept and reported (SN0030), and -y adds
 * no finding that was not there before. */
static void
test_lostnone(void)
{
	const char *a[2] = {"adm", "adm"};
	char path[256], *p, code[8];
	Run r1, r2;

	CU_ASSERT_FATAL(damaged(path, sizeof path, lostlabel, a) == 0);
	r1 = check(path, GEFS_CKNONE, false);
	CU_ASSERT(strstr(r1.codes, "SN0030") != NULL);
	CU_ASSERT(strstr(r1.codes, "SN0002") == NULL);
	CU_ASSERT_EQUAL(check(path, GEFS_CKYES, false).status & 4, 4);
	r2 = check(path, GEFS_CKNONE, false);
	CU_ASSERT(strstr(r2.codes, "SN0030") != NULL);
	for (p = r2.codes; sscanf(p, "%7s", code) == 1; p += strlen(code) + 1)
		if (strstr(r1.codes, code) == NULL) {
			fprintf(stderr, "\n  -y added %s: before %s, after %s\n", code, r1.codes, r2.codes);
			CU_FAIL("a repair added a finding");
		}
	unlink(path);
}

/* ---- findings without a repair ---- */

/* -n on an image damaged by fn reports want (and nothing else that is an
 * error or warning but allow). */
static void
found(Mutate fn, void *arg, const char *want, int count)
{
	char path[256], *p;
	Run r;
	int n = 0;

	CU_ASSERT_FATAL(damaged(path, sizeof path, fn, arg) == 0);
	r = check(path, GEFS_CKNONE, false);
	for (p = r.codes; (p = strstr(p, want)) != NULL; p++)
		n++;
	if (n != count)
		fprintf(stderr, "\n  want %d x %s, got: %s\n", count, want, r.codes);
	CU_ASSERT_EQUAL(n, count);
	unlink(path);
}

static int
sharegen(Gefs *fs, void *arg)
{
	(void)arg;
	return dmsnaproot(fs, "snap1", "main", 3);
}

static bool
setuid77(GefsKv *kv, uint8_t *v, void *arg)
{
	GefsXdir d;

	(void)arg;
	if (kv->k[0] == GEFS_KENT && gefs_unpackxdir(&d, kv->v, kv->nv, NULL) == 0 && d.qpath > 4) {
		d.uid = 77;
		d.muid = 78;
		gefs_packxdir(v, &d);
	}
	return true;
}

static int
baduid(Gefs *fs, void *arg)
{
	(void)arg;
	return dmtree(fs, "main", setuid77, NULL, NULL);
}

static int
conf(Gefs *fs, void *arg)
{
	const char **nv = arg;
	uint8_t k[GEFS_KEYMAX];
	GefsKv kv = {k, 0, (const uint8_t *)nv[1], (uint16_t)strlen(nv[1])};

	kv.nk = (uint16_t)gefs_packconfkey(k, nv[0], strlen(nv[0]));
	return dmtree(fs, "main", NULL, NULL, &kv);
}

static int
snap1conf(Gefs *fs, void *arg)
{
	const char **nv = arg;
	uint8_t k[GEFS_KEYMAX];
	GefsKv kv = {k, 0, (const uint8_t *)nv[1], (uint16_t)strlen(nv[1])};

	kv.nk = (uint16_t)gefs_packconfkey(k, nv[0], strlen(nv[0]));
	return dmtree(fs, "snap1", NULL, NULL, &kv);
}

static void test_sharegen(void) { found(sharegen, NULL, "ND0017", 1); }
static void test_baduid(void) { found(baduid, NULL, "US0004", 2); }

static void
test_retain(void)
{
	const char *good[2] = {"retain", "60@m 24@h\t@d 7@2d"}, *bad[2] = {"retain", "60@m 5@"};
	const char *unk[2] = {"colour", "blue"};

	const char *logged[2] = {"retain", "60@m 24h"};

	found(conf, good, "CF", 0);
	found(conf, bad, "CF0004", 1);	/* in main: repaired (test_retainfs) */
	found(conf, logged, "CF0001", 1);	/* the reference only logs it */
	found(conf, unk, "CF", 0);	/* a note */
}

/* The retain value in label's tree ("" when absent) and the root of
 * every other label's tree, concatenated into roots. */
static void
labelstate(const char *path, const char *label, char *val, size_t n, char *roots, size_t nr)
{
	static const char *all[] = {"adm", "empty", "snap1", "main"};
	const GefsSnap *s;
	GefsTree *t;
	GefsErr e;
	Gefs *fs;
	size_t i, o = 0;

	val[0] = roots[0] = 0;
	if ((fs = gefs_open(path, NULL, &e)) == NULL)
		return;
	if (gefs_getconf(fs, label, "retain", val, n) < 0)
		val[0] = 0;
	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(all[i], label) == 0 || (t = gefs_opentree(fs, all[i])) == NULL)
			continue;
		s = gefs_treesnap(t);
		o += (size_t)snprintf(roots + o, nr - o, "%s %lld 0x%016llx 0x%016llx; ", all[i], (long long)s->gen,
			(unsigned long long)s->root.addr, (unsigned long long)s->root.hash);
		gefs_closetree(t);
	}
	gefs_close(fs);
}

/* A retain value main's tree holds that the reference aborts on: -y
 * mends it through an edit commit (the good items kept), the second run
 * is clean and the other labels' trees are untouched.  In an immutable
 * snapshot's tree (snap1) it is CF0005 and left. */
static void
test_retainfs(void)
{
	const char *bad[2] = {"retain", "60@m 5@ 2@d"}, *gone[2] = {"retain", "5@"};
	char path[256], val[GEFS_INLMAX + 1], roots[512], roots2[512];
	Run r;

	repaired(conf, bad, "CF0004", false);
	CU_ASSERT_FATAL(damaged(path, sizeof path, conf, bad) == 0);
	labelstate(path, "main", val, sizeof val, roots, sizeof roots);
	CU_ASSERT_STRING_EQUAL(val, "60@m 5@ 2@d");
	CU_ASSERT_EQUAL(check(path, GEFS_CKYES, false).status, 1);
	labelstate(path, "main", val, sizeof val, roots2, sizeof roots2);
	CU_ASSERT_STRING_EQUAL(val, "60@m 2@d");
	CU_ASSERT_STRING_EQUAL(roots, roots2);
	CU_ASSERT(strstr(roots, "snap1") != NULL && strstr(roots, "adm") != NULL);
	unlink(path);
	/* nothing valid left: the entry goes */
	CU_ASSERT_FATAL(damaged(path, sizeof path, conf, gone) == 0);
	CU_ASSERT_EQUAL(check(path, GEFS_CKYES, false).status, 1);
	labelstate(path, "main", val, sizeof val, roots2, sizeof roots2);
	CU_ASSERT_STRING_EQUAL(val, "");
	CU_ASSERT_EQUAL(check(path, GEFS_CKNONE, false).status, 0);
	unlink(path);
	/* an immutable snapshot's tree: reported, not repaired */
	CU_ASSERT_FATAL(damaged(path, sizeof path, snap1conf, bad) == 0);
	r = check(path, GEFS_CKYES, false);
	CU_ASSERT(strstr(r.codes, "CF0005") != NULL);
	CU_ASSERT_EQUAL(r.status, 4);
	unlink(path);
}

/* A retain value in the snapshot tree that the reference aborts on: -y
 * keeps its good items, or drops the entry when none is left. */
static int
snapconf(Gefs *fs, void *arg)
{
	const char *val = arg;
	uint8_t k[GEFS_KEYMAX];
	GefsKv kv = {k, 0, (const uint8_t *)val, (uint16_t)strlen(val)};

	kv.nk = (uint16_t)gefs_packconfkey(k, "retain", 6);
	return dmsnapkv(fs, &kv);
}

/* The snapshot tree's retain value after a repair ("" when absent). */
static void
snapretain(const char *path, char *out, size_t n)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv = 0;
	GefsTree *t;
	GefsErr e;
	Gefs *fs;
	size_t nk;

	out[0] = 0;
	if ((fs = gefs_open(path, NULL, &e)) == NULL)
		return;
	nk = gefs_packconfkey(k, "retain", 6);
	if ((t = gefs_snaptree(fs)) != NULL) {
		if (treeget(t, k, nk, v, &nv) == 0)
			snprintf(out, n, "%.*s", (int)nv, (const char *)v);
		gefs_closetree(t);
	}
	gefs_close(fs);
}

static void
retainfixed(const char *bad, const char *want)
{
	char path[256], got[GEFS_INLMAX + 1];

	repaired(snapconf, (void *)bad, "CF0003", false);
	CU_ASSERT_FATAL(damaged(path, sizeof path, snapconf, (void *)bad) == 0);
	CU_ASSERT_EQUAL(check(path, GEFS_CKYES, false).status, 1);
	snapretain(path, got, sizeof got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  retain \"%s\" repaired to \"%s\", want \"%s\"\n", bad, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	unlink(path);
}

static void
test_retainfix(void)
{
	retainfixed("60@m 5@ 24@h\t@2", "60@m 24@h");
	retainfixed("5@m5@h 1@", "5@m5@h");
	retainfixed("5@ @x", "");
}

/* Leaks are notes: -y leaves them, -y with reclaim frees them. */
static void
test_leaks(void)
{
	char path[256];
	uint64_t h;
	Run r;

	CU_ASSERT_FATAL(damaged(path, sizeof path, leak3, NULL) == 0);
	r = check(path, GEFS_CKNONE, false);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.nleak, 3);
	h = filehash(path);
	r = check(path, GEFS_CKYES, false);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(filehash(path), h);
	unlink(path);
	repaired(leak3, NULL, "", true);
}

/* A node whose hash is wrong hides what it points to: the logs are not
 * rebuilt (status 4, RP0001) and the image is not changed. */
static void
test_blocked(void)
{
	char path[256];
	uint64_t h, a;
	GefsOpts o;
	GefsErr e;
	Gefs *fs;
	FILE *f;
	Run r;

	CU_ASSERT_FATAL(damaged(path, sizeof path, freeroot, "main") == 0);
	gefs_defopts(&o);
	fs = gefs_open(path, &o, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	a = dmroot(fs, "adm");
	gefs_close(fs);
	f = fopen(path, "r+b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, (long)(a + 100), SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	h = filehash(path);
	r = check(path, GEFS_CKYES, false);
	CU_ASSERT_EQUAL(r.status, 4);
	CU_ASSERT(strstr(r.codes, "RF0001") != NULL);
	CU_ASSERT_EQUAL(filehash(path), h);
	unlink(path);
}

typedef struct Tally {
	uint64_t	shown;		/* GN0003 findings one by one */
	uint64_t	more;		/* ... and summed up */
	uint64_t	nsum;		/* summary findings */
	uint64_t	nfixed;		/* of either, those marked fixed */
} Tally;

static void
tally(void *arg, const GefsFinding *f)
{
	Tally *t = arg;

	if (strcmp(f->p->code, "GN0003") != 0)
		return;
	if (f->more > 0) {
		t->nsum++;
		t->more += f->more;
		t->nfixed += f->fixed ? f->more : 0;
	} else {
		t->shown++;
		t->nfixed += f->fixed;
	}
}

static Tally
tallied(const char *path, int mode, unsigned maxshow, GefsCheckStats *st)
{
	GefsCheckOpts o;
	GefsErr e;
	Tally t = {0};

	gefs_defcheckopts(&o);
	o.mode = mode;
	o.maxshow = maxshow;
	o.report = tally;
	o.arg = &t;
	CU_ASSERT_EQUAL(gefs_check(path, &o, st, &e), 0);
	return t;
}

/* Thousands of identical findings (every qid above a lowered nextqid):
 * the first maxshow are shown, the rest come as one summary with their
 * count (held for the commit under -y: what is kept is bounded by
 * maxshow, not by the findings), and the statistics count them all. */
static void
test_collapse(void)
{
	enum { NFILES = 1500, SHOW = 10 };
	GefsCheckStats st;
	char path[256];
	Tally t;

	CU_ASSERT_FATAL(damagedn(path, sizeof path, lowqid, NULL, NFILES) == 0);
	t = tallied(path, GEFS_CKNONE, SHOW, &st);
	CU_ASSERT_EQUAL(t.shown, SHOW);
	CU_ASSERT_EQUAL(t.nsum, 1);
	CU_ASSERT(t.shown + t.more >= NFILES);
	CU_ASSERT_EQUAL(st.nfound[GEFS_SEVERR], t.shown + t.more);
	CU_ASSERT_EQUAL(st.nerrleft, t.shown + t.more);
	CU_ASSERT_EQUAL(t.nfixed, 0);
	t = tallied(path, GEFS_CKYES, SHOW, &st);
	CU_ASSERT_EQUAL(t.shown, SHOW);
	CU_ASSERT_EQUAL(t.nsum, 1);
	CU_ASSERT_EQUAL(t.nfixed, t.shown + t.more);
	CU_ASSERT_EQUAL(st.nfixed, t.shown + t.more);
	CU_ASSERT_EQUAL(st.nerrleft, 0);
	CU_ASSERT_EQUAL(gefs_checkstatus(&st), 1);
	t = tallied(path, GEFS_CKNONE, SHOW, &st);
	CU_ASSERT_EQUAL(t.shown + t.more, 0);
	CU_ASSERT_EQUAL(gefs_checkstatus(&st), 0);
	unlink(path);
}

int
suite_repair(void)
{
	CU_pSuite s = CU_add_suite("repair", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "referenced but free", test_rffree)
	|| !CU_add_test(s, "nextgen", test_nextgen)
	|| !CU_add_test(s, "nextqid", test_nextqid)
	|| !CU_add_test(s, "double alloc in log", test_dalloc)
	|| !CU_add_test(s, "dangling label", test_dangling)
	|| !CU_add_test(s, "nlbl below labels", test_nlbllow)
	|| !CU_add_test(s, "leaks and reclaim", test_leaks)
	|| !CU_add_test(s, "blocked by a bad node", test_blocked)
	|| !CU_add_test(s, "shared node generation", test_sharegen)
	|| !CU_add_test(s, "undefined user ids", test_baduid)
	|| !CU_add_test(s, "retain syntax", test_retain)
	|| !CU_add_test(s, "retain repaired in the snapshot tree", test_retainfix)
	|| !CU_add_test(s, "retain repaired in a mutable label's tree", test_retainfs)
	|| !CU_add_test(s, "lost adm label re-pointed", test_lostadm)
	|| !CU_add_test(s, "lost main label re-pointed", test_lostmain)
	|| !CU_add_test(s, "lost adm label, nothing fits", test_lostnone)
	|| !CU_add_test(s, "repeated findings collapse", test_collapse))
		return -1;
	return 0;
}
