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

/* A std image damaged by fn through a commit. */
static int
damaged(char *path, size_t n, Mutate fn, void *arg)
{
	BldStdOpts so;
	GefsOpts o;
	GefsErr e;
	Gefs *fs;
	Bld *b;
	int rc;

	bldinitstd(&so);
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

static void test_sharegen(void) { found(sharegen, NULL, "ND0017", 1); }
static void test_baduid(void) { found(baduid, NULL, "US0004", 2); }

static void
test_retain(void)
{
	const char *good[2] = {"retain", "60@m 24@h\t@d 7@2d"}, *bad[2] = {"retain", "60@m 5@"};
	const char *unk[2] = {"colour", "blue"};

	found(conf, good, "CF", 0);
	found(conf, bad, "CF0001", 1);
	found(conf, unk, "CF", 0);	/* a note */
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
	|| !CU_add_test(s, "retain syntax", test_retain))
		return -1;
	return 0;
}
