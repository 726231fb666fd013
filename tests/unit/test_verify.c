/* SPDX-License-Identifier: MIT */
/* verify suite: data blocks verified on worker threads (verify.c) give the
 * same findings, at the same points, in the same order, for every thread
 * count; a bad block is reported exactly once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "check.h"
#include "ltest.h"
#include "damage.h"
#include "bigimg.h"

enum { B = GEFS_BLKSZ };

/* Findings of one check, as text. */
typedef struct Log {
	char	*text;
	size_t	n, cap;
	int	nhash;
} Log;

static void
logs(Log *l, const char *s)
{
	size_t n = strlen(s);

	if (l->n + n + 1 > l->cap) {
		l->cap = 2 * (l->n + n + 1);
		l->text = realloc(l->text, l->cap);
	}
	memcpy(l->text + l->n, s, n + 1);
	l->n += n;
}

static void
record(void *arg, const GefsFinding *f)
{
	Log *l = arg;

	if (f->p->sev == GEFS_SEVNOTE)
		return;
	logs(l, f->p->code);
	logs(l, " ");
	logs(l, f->msg);
	logs(l, "\n");
	l->nhash += strcmp(f->p->code, "RF0006") == 0;
}

/* gefs_check path with nthreads (0 auto), findings into l. */
static void
run(const char *path, int nthreads, Log *l)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;

	memset(l, 0, sizeof *l);
	logs(l, "");
	gefs_defcheckopts(&o);
	o.nthreads = nthreads;
	o.report = record;
	o.arg = l;
	CU_ASSERT_EQUAL(gefs_check(path, &o, &st, &e), 0);
}

/* Main's data block addresses in key order, at most max. */
static size_t
datablocks(const char *path, uint64_t *v, size_t max)
{
	GefsErr e;
	Gefs *fs = gefs_open(path, NULL, &e);
	GefsTree *t = fs != NULL ? gefs_opentree(fs, "main") : NULL;
	uint8_t kt = GEFS_KDAT;
	GefsScan *s = t != NULL ? gefs_scanprefix(t, &kt, 1) : NULL;
	GefsBptr bp;
	GefsKv kv;
	size_t n = 0;

	while (s != NULL && n < max && gefs_scannext(s, &kv) > 0)
		if (kv.nv == GEFS_PTRSZ) {
			gefs_unpackbptr(&bp, kv.v);
			v[n++] = bp.addr;
		}
	gefs_scanfree(s);
	if (t != NULL)
		gefs_closetree(t);
	gefs_close(fs);
	return n;
}

/* How often "data block 0x<addr>:" occurs in text. */
static int
count(const char *text, uint64_t addr)
{
	char pat[64];
	const char *p;
	int n = 0;

	snprintf(pat, sizeof pat, "data block 0x%llx:", (unsigned long long)addr);
	for (p = text; (p = strstr(p, pat)) != NULL; p++)
		n++;
	return n;
}

static void
test_std(void)
{
	char path[256];
	uint64_t v[256];
	BldStdOpts so;
	GefsErr e;
	Log l1, l2, l4;
	size_t n, i;

	bldinitstd(&so);
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	CU_ASSERT_FATAL(bldstd(path, &so, &e) == 0);
	n = datablocks(path, v, 256);
	CU_ASSERT_FATAL(n >= 8);
	for (i = 0; i < n; i += n / 5)		/* five bad blocks, spread out */
		CU_ASSERT_EQUAL(dmpoke(path, v[i] + 7, "\x5a\xa5", 2), 0);
	run(path, 1, &l1);
	run(path, 2, &l2);
	run(path, 4, &l4);
	CU_ASSERT(l1.nhash >= 5);
	CU_ASSERT_STRING_EQUAL(l1.text, l2.text);
	CU_ASSERT_STRING_EQUAL(l1.text, l4.text);
	free(l1.text);
	free(l2.text);
	free(l4.text);
	unlink(path);
}

/* Many more blocks than the queue holds (96 MiB: 6144 blocks, 1.5 times
 * the window): three bad ones, two of them in one 1 MiB read, each
 * reported once, in key order, identically for 1, auto and 3 threads. */
static void
test_big(void)
{
	enum { N = 6144 };
	BigOpts bo = {.data = (uint64_t)N * B, .nfiles = 300, .perdir = 50};
	uint64_t *v = calloc(N, sizeof *v), bad[3];
	char path[256], pat[64];
	const char *p, *q;
	BigStats st;
	GefsErr e;
	Log l1, la, l3;
	int i;

	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	CU_ASSERT_FATAL(bigimg(path, &bo, &st, &e) == 0);
	CU_ASSERT_FATAL(datablocks(path, v, N) == N);
	bad[0] = v[100], bad[1] = v[101], bad[2] = v[N - 3];
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(dmpoke(path, bad[i] + B - 1, "\x01", 1), 0);
	run(path, 1, &l1);
	run(path, 0, &la);
	run(path, 3, &l3);
	CU_ASSERT_EQUAL(l1.nhash, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(count(l1.text, bad[i]), 1);
	for (i = 0, p = l1.text; i < 3 && p != NULL; i++) {	/* in key order */
		snprintf(pat, sizeof pat, "data block 0x%llx:", (unsigned long long)bad[i]);
		q = strstr(l1.text, pat);
		CU_ASSERT(q != NULL && q >= p);
		p = q;
	}
	CU_ASSERT_STRING_EQUAL(l1.text, la.text);
	CU_ASSERT_STRING_EQUAL(l1.text, l3.text);
	free(l1.text);
	free(la.text);
	free(l3.text);
	free(v);
	unlink(path);
}

/* ---- the queue itself ---- */

enum { NB = 64, NPUSH = 10000, NREC = 64 };

typedef struct Rec {
	char		ctx[16];
	uint64_t	addr, got;
	int		err;
	int		at;		/* pushes done when reported */
} Rec;

typedef struct Recs {
	Rec	r[NREC];
	int	n, pushed;
} Recs;

static void
bad(void *arg, uint64_t addr, uint64_t got, uint64_t want, int err, const char *ctx)
{
	Recs *rs = arg;
	Rec *r = &rs->r[rs->n < NREC ? rs->n : NREC - 1];

	(void)want;
	snprintf(r->ctx, sizeof r->ctx, "%s", ctx);
	r->addr = addr;
	r->got = got;
	r->err = err;
	r->at = rs->pushed;
	rs->n++;
}

/* Push NPUSH entries over the NB blocks of path (hashes in h): every
 * 997th with a wrong hash, one past the end of the file. */
static void
pushall(const char *path, const uint64_t *h, int nthr, bool cancel, Recs *rs)
{
	GefsErr e;
	Dev *d = devopen(path, DEV_RDONLY | DEV_NOLOCK, &e);
	Vq *q = d != NULL ? vqnew(d, nthr) : NULL;
	char ctx[16];
	uint64_t a;
	int i;

	memset(rs, 0, sizeof *rs);
	CU_ASSERT_FATAL(q != NULL);
	for (i = 0; i < NPUSH; i++) {
		a = (uint64_t)(i * 7 % NB);
		snprintf(ctx, sizeof ctx, "e%d", i);
		if (i == 5000)
			CU_ASSERT_EQUAL(vqpush(q, (NB + 3) * (uint64_t)B, 0, ctx, bad, rs), 0)
		else
			CU_ASSERT_EQUAL(vqpush(q, a * B, h[a] + (i % 997 == 5), ctx, bad, rs), 0);
		rs->pushed++;
	}
	vqdrain(q, cancel);
	vqfree(q);
	devclose(d);
}

static void
test_queue(void)
{
	char path[256];
	uint8_t *blk = malloc(B);
	uint64_t h[NB];
	Recs r0, r1, r3, rc;
	int fd, i;

	CU_ASSERT_FATAL(blk != NULL && lttmp(path, sizeof path, ".raw") == 0);
	fd = open(path, O_WRONLY);
	for (i = 0; i < NB; i++) {
		memset(blk, i, B);
		h[i] = gefs_blkhash(blk);
		CU_ASSERT_EQUAL(pwrite(fd, blk, B, (off_t)i * B), B);
	}
	close(fd);
	pushall(path, h, 0, false, &r0);
	pushall(path, h, 1, false, &r1);
	pushall(path, h, 3, false, &r3);
	pushall(path, h, 3, true, &rc);
	CU_ASSERT_EQUAL(r0.n, 12);	/* i = 5 + 997k, k = 0..10, and e5000 */
	CU_ASSERT_STRING_EQUAL(r0.r[0].ctx, "e5");
	CU_ASSERT(r0.r[0].at > 0 && r0.r[0].at < NPUSH);	/* reported during the walk */
	for (i = 0; i < r0.n && strcmp(r0.r[i].ctx, "e5000") != 0; i++)
		;
	CU_ASSERT(i < r0.n && r0.r[i].err == -1);
	CU_ASSERT_EQUAL(memcmp(&r0, &r1, sizeof r0), 0);
	CU_ASSERT_EQUAL(memcmp(&r0, &r3, sizeof r0), 0);
	CU_ASSERT(rc.n < r0.n);		/* cancelled: nothing reported at the drain */
	free(blk);
	unlink(path);
}

int
suite_verify(void)
{
	CU_pSuite s = CU_add_suite("verify", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "queue: same points and findings for 0, 1, 3 workers", test_queue)
	|| !CU_add_test(s, "std image: same findings for any thread count", test_std)
	|| !CU_add_test(s, "96 MiB: bad blocks once, in key order", test_big))
		return -1;
	return 0;
}
