/* SPDX-License-Identifier: MIT */
/* tune suite: gefs_setxrec (libfs/tune.c) — the extension record changed
 * through a commit, added to an image that had none, refused when not
 * valid, and a change cut at every write of its commit leaving the old or
 * the new record, with the matching state, and a clean check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

/* The findings a commit cut between its stages may leave (§15.3); preen
 * repairs them. */
static const char crashcodes[] = "AR0001 AR0002 AR0008 SB0001 SB0002 SB0010 CR0001 CR0002 CR0003 CR0004 CR0005 CR0006 SB0014 LG0003";
/* A cut between the two superblock writes leaves the copies' records
 * different (SB0014, a warning that preen does not repair when the
 * prefixes agree, as after a torn write of superblock 1). */
static const char xreccode[] = "SB0014";

/* The builder's standard image in a new temporary file. */
static int
mkimg(char *path, size_t n)
{
	BldStdOpts o;
	GefsErr e;
	Bld *b;
	int rc;

	if (lttmp(path, n, ".img") < 0)
		return -1;
	bldinitstd(&o);
	if ((b = bldstdimg(&o, &e)) == NULL)
		return -1;
	rc = bldwrite(b, path);
	bldfree(b);
	return rc;
}

static void
setlabel(GefsXrec *x, const char *label, uint8_t uuidbyte)
{
	memset(x, 0, sizeof *x);
	x->labellen = (uint16_t)strlen(label);
	memcpy(x->label, label, x->labellen);
	memset(x->uuid, uuidbyte, sizeof x->uuid);
	x->ctime = 1700000000LL * 1000000000;
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

/* Errors and warnings of gefs_check in mode, except the codes in allow. */
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

/* The label of path's record ("" when none), and its qgen. */
static void
readback(const char *path, char *label, size_t n, uint64_t *qgen)
{
	GefsErr e;
	Gefs *fs = dmopen(path, &e);
	const GefsXrec *x;

	label[0] = 0;
	*qgen = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	if ((x = gefs_xrec(fs)) != NULL)
		snprintf(label, n, "%s", (const char *)x->label);
	*qgen = gefs_super(fs, NULL)->qgen;
	gefs_close(fs);
}

static void
test_set(void)
{
	char path[256], label[300];
	uint64_t q0, q1;
	GefsXrec x;
	GefsErr e;
	Gefs *fs;

	CU_ASSERT_FATAL(mkimg(path, sizeof path) == 0);
	readback(path, label, sizeof label, &q0);
	fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	setlabel(&x, "first", 0x11);
	CU_ASSERT_EQUAL(gefs_setxrec(fs, &x), 0);
	CU_ASSERT_STRING_EQUAL((const char *)gefs_xrec(fs)->label, "first");
	setlabel(&x, "bad/label", 0x22);		/* refused, nothing written */
	CU_ASSERT_EQUAL(gefs_setxrec(fs, &x), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	setlabel(&x, "second", 0x33);
	x.labellen = 3;					/* length and bytes disagree */
	CU_ASSERT_EQUAL(gefs_setxrec(fs, &x), -1);
	gefs_close(fs);
	readback(path, label, sizeof label, &q1);
	CU_ASSERT_STRING_EQUAL(label, "first");
	CU_ASSERT_EQUAL(q1, q0 + 1);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	/* read-only handles refuse */
	fs = gefs_open(path, NULL, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	setlabel(&x, "ro", 0x44);
	CU_ASSERT_EQUAL(gefs_setxrec(fs, &x), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EROFS);
	gefs_close(fs);
	unlink(path);
}

/* One run: set "old", then "new" with the k-th write failing (kind).
 * Returns whether the second commit succeeded. */
static int
cutrun(const char *path, int k, int kind, uint64_t *qold)
{
	GefsXrec x;
	GefsErr e;
	Gefs *fs;
	int done;

	fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	setlabel(&x, "old", 0x01);
	CU_ASSERT_EQUAL(gefs_setxrec(fs, &x), 0);
	*qold = gefs_super(fs, NULL)->qgen;
	gefs_close(fs);
	fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	setlabel(&x, "new", 0x02);
	devfault(fs->dev, k, kind);
	done = gefs_setxrec(fs, &x) == 0;
	gefs_close(fs);
	return done;
}

/* A change cut at its k-th write (I/O error, or a torn write) loads with
 * the old record or the new one (with the old or new qgen), and checks
 * without errors (after preen for the crash findings). */
static void
test_crash(void)
{
	char path[256], label[300];
	uint64_t q, qold;
	int k, kind, done, n = 0;

	for (kind = DEVFAULT_EIO; kind <= DEVFAULT_SHORT; kind += DEVFAULT_SHORT - DEVFAULT_EIO)
		for (k = 1, done = 0; !done && k < 64; k++, n++) {
			CU_ASSERT_FATAL(mkimg(path, sizeof path) == 0);
			done = cutrun(path, k, kind, &qold);
			readback(path, label, sizeof label, &q);
			CU_ASSERT(strcmp(label, "old") == 0 || strcmp(label, "new") == 0);
			/* Whole writes: the record moves with the state.  A torn
			 * superblock write can keep the old record (the tail is
			 * not under sbhash) with the new commit. */
			if (kind == DEVFAULT_EIO)
				CU_ASSERT((strcmp(label, "old") == 0 && q == qold)
					|| (strcmp(label, "new") == 0 && q == qold + 1));
			if (done)
				CU_ASSERT_STRING_EQUAL(label, "new");
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, crashcodes), 0);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, xreccode), 0);
			unlink(path);
		}
	CU_ASSERT(n >= 6);		/* logs, headers, two superblocks, footers */
}

int
suite_tune(void)
{
	CU_pSuite s = CU_add_suite("tune", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "set, refuse, read back", test_set)
	|| !CU_add_test(s, "crash points", test_crash))
		return -1;
	return 0;
}
