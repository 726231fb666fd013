/* SPDX-License-Identifier: MIT */
/* dev suite: I/O loops, locking, gzip images, faults, the observer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <CUnit/CUnit.h>
#include "internal.h"

static char path[256];

static void
mkpath(const char *tag)
{
	const char *d = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof path, "%s/gefs-dev-%s-XXXXXX", d && *d ? d : "/tmp", tag);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
}

static void
test_roundtrip(void)
{
	GefsErr e;
	uint8_t w[3 * GEFS_BLKSZ], r[3 * GEFS_BLKSZ];
	Dev *d;
	size_t i;

	mkpath("rt");
	for (i = 0; i < sizeof w; i++)
		w[i] = (uint8_t)(i * 7 + 3);
	d = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(devtruncate(d, 8 * GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(devsize(d), 8 * GEFS_BLKSZ);
	CU_ASSERT_EQUAL(devwrite(d, w, sizeof w, GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(devsync(d, &e), 0);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(memcmp(w, r, sizeof w), 0);
	/* a read past the end fails and names the offset */
	CU_ASSERT_EQUAL(devread(d, r, GEFS_BLKSZ, 8 * GEFS_BLKSZ, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "0x20000"));
	devclose(d);
	unlink(path);
}

static void
test_errors(void)
{
	GefsErr e;

	CU_ASSERT_PTR_NULL(devopen("/nonexistent/gefs-x", DEV_RDONLY, &e));
	CU_ASSERT_EQUAL(e.code, ENOENT);
	CU_ASSERT_PTR_NULL(devopen("/tmp", DEV_RDONLY, &e));
	CU_ASSERT_EQUAL(e.code, EISDIR);
}

static void
test_lock(void)
{
	GefsErr e;
	Dev *a, *b;

	mkpath("lk");
	a = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NULL(devopen(path, 0, &e));
	CU_ASSERT_EQUAL(e.code, EWOULDBLOCK);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, path));
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	devclose(a);
	a = devopen(path, DEV_RDONLY, &e);
	b = devopen(path, DEV_RDONLY, &e);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	CU_ASSERT_PTR_NULL(devopen(path, 0, &e));
	devclose(a);
	devclose(b);
	unlink(path);
}

/* A gzip image inflates into a sparse copy, read-only. */
static void
test_gzip(void)
{
	static uint8_t blk[GEFS_BLKSZ], r[GEFS_BLKSZ];
	struct stat st;
	GefsErr e;
	gzFile gz;
	Dev *d;
	int i;

	mkpath("gz");
	gz = gzopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
	memset(blk, 0, sizeof blk);
	for (i = 0; i < 256; i++)		/* 4 MiB, one non-zero block */
		gzwrite(gz, blk, sizeof blk);
	gzclose(gz);
	/* rewrite with block 100 non-zero */
	gz = gzopen(path, "wb");
	for (i = 0; i < 256; i++) {
		memset(blk, i == 100 ? 0xab : 0, sizeof blk);
		gzwrite(gz, blk, sizeof blk);
	}
	gzclose(gz);
	CU_ASSERT_PTR_NULL(devopen(path, 0, &e));
	CU_ASSERT_EQUAL(e.code, EROFS);
	d = devopen(path, DEV_RDONLY, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_TRUE(devgzip(d));
	CU_ASSERT_EQUAL(devsize(d), 256 * GEFS_BLKSZ);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, 100 * GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(r[0], 0xab);
	CU_ASSERT_EQUAL(r[GEFS_BLKSZ - 1], 0xab);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, 99 * GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(r[0], 0);
	CU_ASSERT_EQUAL(devwrite(d, r, sizeof r, 0, &e), -1);
	CU_ASSERT_EQUAL(e.code, EROFS);
	/* the temporary copy is sparse: far fewer blocks than 4 MiB */
	CU_ASSERT_EQUAL(fstat(devfd(d), &st), 0);
	CU_ASSERT_TRUE(st.st_blocks * 512 < 1024 * 1024);
	devclose(d);
	unlink(path);
}

typedef struct Seen {
	int		n;
	uint64_t	off[16];
	size_t		len[16];
} Seen;

static void
seen(void *arg, uint64_t off, const void *buf, size_t n)
{
	Seen *s = arg;

	(void)buf;
	if (s->n < 16) {
		s->off[s->n] = off;
		s->len[s->n] = n;
	}
	s->n++;
}

static void
test_faults(void)
{
	static uint8_t w[2 * GEFS_BLKSZ], r[2 * GEFS_BLKSZ];
	GefsErr e;
	Seen s;
	Dev *d;

	mkpath("ft");
	memset(&s, 0, sizeof s);
	d = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	devtruncate(d, 8 * GEFS_BLKSZ, &e);
	devobserve(d, seen, &s);
	memset(w, 0x5a, sizeof w);
	CU_ASSERT_EQUAL(devwrite(d, w, GEFS_BLKSZ, 0, &e), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.off[0], 0);
	devfault(d, 2, DEVFAULT_EIO);
	CU_ASSERT_EQUAL(devwrite(d, w, GEFS_BLKSZ, 0, &e), 0);
	CU_ASSERT_EQUAL(devwrite(d, w, GEFS_BLKSZ, 0, &e), -1);
	CU_ASSERT_EQUAL(e.code, EIO);
	devfault(d, 1, DEVFAULT_ENOSPC);
	CU_ASSERT_EQUAL(devwrite(d, w, GEFS_BLKSZ, 0, &e), -1);
	CU_ASSERT_EQUAL(e.code, ENOSPC);
	CU_ASSERT_EQUAL(devwrite(d, w, GEFS_BLKSZ, 0, &e), 0);	/* one-shot */
	/* a short write writes exactly the first half */
	devfault(d, 1, DEVFAULT_SHORT);
	CU_ASSERT_EQUAL(devwrite(d, w, sizeof w, 4 * GEFS_BLKSZ, &e), -1);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, 4 * GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(r[GEFS_BLKSZ - 1], 0x5a);
	CU_ASSERT_EQUAL(r[GEFS_BLKSZ], 0);
	devclose(d);
	unlink(path);
}

int
suite_dev(void)
{
	CU_pSuite s = CU_add_suite("dev", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "round trip", test_roundtrip) ||
	    !CU_add_test(s, "open errors", test_errors) ||
	    !CU_add_test(s, "flock", test_lock) ||
	    !CU_add_test(s, "gzip image", test_gzip) ||
	    !CU_add_test(s, "faults and observer", test_faults))
		return -1;
	return 0;
}
