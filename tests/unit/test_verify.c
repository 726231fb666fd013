/* verify suite: data blocks verified on worker threads (verify.c) give the
 * same findings, in the same order, for every thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

enum { B = GEFS_BLKSZ };

typedef struct Log {
	char	text[8192];
	int	nhash;
} Log;

static void
record(void *arg, const GefsFinding *f)
{
	Log *l = arg;
	size_t n = strlen(l->text);

	if (f->p->sev == GEFS_SEVNOTE)
		return;
	snprintf(l->text + n, sizeof l->text - n, "%s %s\n", f->p->code, f->msg);
	l->nhash += strcmp(f->p->code, "RF0006") == 0;
}

static void
run(const char *path, int nthreads, Log *l)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;

	memset(l, 0, sizeof *l);
	gefs_defcheckopts(&o);
	o.nthreads = nthreads;
	o.report = record;
	o.arg = l;
	CU_ASSERT_EQUAL(gefs_check(path, &o, &st, &e), 0);
}

/* Every data block pointer of label's tree, at most max. */
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

static void
test_order(void)
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
	unlink(path);
}

int
suite_verify(void)
{
	CU_pSuite s = CU_add_suite("verify", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "same findings for any thread count", test_order))
		return -1;
	return 0;
}
