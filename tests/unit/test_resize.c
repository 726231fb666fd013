/* SPDX-License-Identifier: MIT */
/* resize suite: gefs_grow (libfs/resize.c) — the reference's layout of
 * the four new arenas (FORMAT.md §19), refusals, and a grow cut at every
 * write (I/O error or torn write) leaving an image that loads as the old
 * or the grown file system and checks clean after preen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"
#include "damage.h"

enum { B = GEFS_BLKSZ };
#define GROWBY	(128ULL << 20)

/* What a cut grow may leave for preen to repair (§15.3): a stale or
 * missing backup superblock, one header copy old, a torn log tail; and
 * the torn superblock 0 the test makes (SB0002). */
static const char crashcodes[] = "AR0001 AR0002 AR0008 SB0001 SB0002 SB0010 CR0001 CR0002 CR0003 CR0004 CR0005 CR0006 LG0003";

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

/* The device size and arena count path loads with; -1 if it does not. */
static int
loaded(const char *path, uint64_t *size)
{
	GefsErr e;
	Gefs *fs = dmopen(path, &e);
	int n;

	if (fs == NULL) {
		fprintf(stderr, "open %s: %s\n", path, e.msg);
		return -1;
	}
	*size = gefs_devsize(fs);
	n = gefs_narena(fs);
	gefs_close(fs);
	return n;
}

/* The layout of §19 steps 2-4, the arenas' contents, and the backup. */
static void
test_layout(void)
{
	char path[256];
	GefsArenaInfo ai, last;
	uint64_t size, newend, s;
	GefsGrow g;
	GefsErr e;
	Gefs *fs;
	int i, n;

	CU_ASSERT_FATAL(mkimg(path, sizeof path) == 0);
	fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	n = gefs_narena(fs);
	size = gefs_devsize(fs);
	CU_ASSERT_EQUAL_FATAL(gefs_arenainfo(fs, n - 1, &last), 0);
	CU_ASSERT_EQUAL(gefs_grow(fs, size + GROWBY, &g), 0);
	gefs_close(fs);
	newend = (size + GROWBY) / B * B - 2 * B;
	s = (newend - (last.addr + last.size + 2 * B)) / 4;
	s = s - s % B - 2 * B;
	CU_ASSERT_EQUAL(g.arenasz, s);
	CU_ASSERT_EQUAL(g.sb1, (size + GROWBY) / B * B - B);
	fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_narena(fs), n + 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(gefs_arenainfo(fs, n + i, &ai), 0);
		CU_ASSERT_EQUAL(ai.addr, last.addr + last.size + 2 * B + (uint64_t)i * (s + 2 * B));
		CU_ASSERT_EQUAL(ai.size, s);
		CU_ASSERT_EQUAL(ai.loghead, ai.addr + 2 * B);
		CU_ASSERT_EQUAL(ai.used, 3 * B);		/* log block + 2 trailing */
		CU_ASSERT_EQUAL(ai.copyok[0], 1);
		CU_ASSERT(ai.tblhash != GEFS_NONE);		/* real hashes, not §24 #17 */
		CU_ASSERT(ai.agree);
	}
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(gefs_arenainfo(fs, i, &ai), 0);
		CU_ASSERT(ai.tblhash != GEFS_NONE);
	}
	/* no shrinking, no growth below 64 MiB */
	CU_ASSERT_EQUAL(gefs_grow(fs, size, &g), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	CU_ASSERT_EQUAL(gefs_grow(fs, size + GROWBY + (32 << 20), &g), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	gefs_close(fs);
	CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
	unlink(path);
}

/* Damage superblock 0's prefix, as a torn write of it would: bytes of
 * the snapshot-tree deadlist fields, so that only sbhash fails. */
static int
tearsb0(const char *path)
{
	uint8_t junk[32];
	FILE *f = fopen(path, "r+b");
	int rc;

	if (f == NULL)
		return -1;
	memset(junk, 0xa5, sizeof junk);
	rc = fseek(f, 40, SEEK_SET) == 0 && fwrite(junk, 1, sizeof junk, f) == sizeof junk ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

typedef struct Calls {
	Gefs	*fs;
	int	sb0;		/* the write call that writes block 0 */
} Calls;

static void
seewrite(void *arg, uint64_t off, const void *buf, size_t n)
{
	Calls *c = arg;
	DevStats st;

	(void)buf;
	(void)n;
	devstats(c->fs->dev, &st);
	if (off == 0 && c->sb0 == 0)
		c->sb0 = (int)st.nwrite + 1;	/* nwrite counts the calls before */
}

/* Which write call of a grow writes superblock 0 (1-based); 0 if none. */
static int
sb0write(void)
{
	char path[256];
	uint64_t size;
	Calls c = {NULL, 0};
	GefsGrow g;
	GefsErr e;

	CU_ASSERT_FATAL(mkimg(path, sizeof path) == 0);
	CU_ASSERT_FATAL(loaded(path, &size) > 0);
	c.fs = dmopen(path, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.fs);
	devobserve(c.fs->dev, seewrite, &c);
	CU_ASSERT_EQUAL(gefs_grow(c.fs, size + GROWBY, &g), 0);
	gefs_close(c.fs);
	unlink(path);
	return c.sb0;
}

/* A grow cut at its k-th write loads as the old or the grown file system
 * (never neither), as the old one when the cut write was superblock 0's
 * and it is torn, and checks clean after preen. */
static void
test_crash(void)
{
	char path[256];
	uint64_t size0 = 0, size;
	GefsGrow g;
	GefsErr e;
	Gefs *fs;
	int k, kind, done, n0, n, runs = 0, sb0call;

	sb0call = sb0write();
	CU_ASSERT_FATAL(sb0call > 1);
	for (kind = DEVFAULT_EIO; kind <= DEVFAULT_SHORT; kind += DEVFAULT_SHORT - DEVFAULT_EIO)
		for (k = 1, done = 0; !done && k < 64; k++, runs++) {
			CU_ASSERT_FATAL(mkimg(path, sizeof path) == 0);
			n0 = loaded(path, &size0);
			fs = dmopen(path, &e);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
			devfault(fs->dev, k, kind);
			done = gefs_grow(fs, size0 + GROWBY, &g) == 0;
			gefs_close(fs);
			n = loaded(path, &size);
			CU_ASSERT(n == n0 || n == n0 + 4);
			if (done)
				CU_ASSERT_EQUAL(n, n0 + 4);
			/* the cut write is superblock 0's: tear it (a torn
			 * prefix, which the fault model does not produce) and
			 * the copy at the new end, the old state, loads */
			if (k == sb0call) {
				CU_ASSERT_EQUAL(tearsb0(path), 0);
				CU_ASSERT_EQUAL(loaded(path, &size), n0);
			}
			CU_ASSERT_EQUAL(findings(path, GEFS_CKPREEN, crashcodes), 0);
			CU_ASSERT_EQUAL(findings(path, GEFS_CKNONE, NULL), 0);
			unlink(path);
		}
	CU_ASSERT(runs >= 8);
}

int
suite_resize(void)
{
	CU_pSuite s = CU_add_suite("resize", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "layout and refusals", test_layout)
	|| !CU_add_test(s, "crash points", test_crash))
		return -1;
	return 0;
}
