/* SPDX-License-Identifier: MIT */
/* dev suite: I/O loops, locking, gzip images, faults, the observer. */
#include <errno.h>
#include <fcntl.h>
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

/* A gzip image cut short, or a gzip header followed by junk, is corrupt
 * input (EBADMSG), never an image of what inflated before the damage. */
static void
test_gzbad(void)
{
	static uint8_t blk[GEFS_BLKSZ];
	GefsErr e;
	gzFile gz;
	FILE *f;
	long n;
	int i;

	mkpath("gzbad");
	gz = gzopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(gz);
	for (i = 0; i < 64; i++) {
		memset(blk, i, sizeof blk);
		gzwrite(gz, blk, sizeof blk);
	}
	gzclose(gz);
	f = fopen(path, "r+b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	CU_ASSERT_EQUAL(ftruncate(fileno(f), n / 2), 0);
	fclose(f);
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "corrupt gzip input"));
	/* the 10-byte gzip header, then bytes that are no deflate stream */
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite("\x1f\x8b\x08\0\0\0\0\0\0\x03", 1, 10, f);
	for (i = 0; i < 4096; i++)
		fputc(0xff - (i % 7), f);
	fclose(f);
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "corrupt gzip input"));
	unlink(path);
}

/* A FIFO or a character device is refused at once (open of a FIFO used
 * to block until a writer came), for reading and for writing. */
static void
test_special(void)
{
	GefsErr e;

	mkpath("fifo");
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	alarm(10);	/* a regression hangs: fail, do not wait forever */
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not a regular file or block device"));
	CU_ASSERT_PTR_NULL(devopen(path, 0, &e));
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_PTR_NULL(devopen("/dev/null", DEV_RDONLY, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not a regular file or block device"));
	alarm(0);
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


/* The window (gefs_setwindow): reads and writes land at base + off, the
 * bytes around it are untouched, a window with a length bounds writes and
 * refuses truncation; devclip gives raw-descriptor users the same. */
static void
test_window(void)
{
	enum { BASE = 3 * GEFS_BLKSZ + 512, LEN = 4 * GEFS_BLKSZ };
	uint8_t w[GEFS_BLKSZ], r[GEFS_BLKSZ], fill[BASE + LEN + GEFS_BLKSZ];
	uint64_t size, base;
	GefsErr e;
	Dev *d;
	int fd;

	mkpath("win");
	memset(fill, 0xa5, sizeof fill);
	memset(w, 0x3c, sizeof w);
	fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, fill, sizeof fill, 0), (ssize_t)sizeof fill);
	close(fd);
	CU_ASSERT_EQUAL(gefs_setwindow(BASE, LEN, &e), 0);
	d = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(devsize(d), LEN);
	CU_ASSERT_EQUAL(devbase(d), BASE);
	CU_ASSERT(devfixed(d));
	CU_ASSERT_EQUAL(devwrite(d, w, sizeof w, GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, GEFS_BLKSZ, &e), 0);
	CU_ASSERT_EQUAL(memcmp(r, w, sizeof r), 0);
	CU_ASSERT_EQUAL(devwrite(d, w, sizeof w, LEN, &e), -1);		/* past the window */
	CU_ASSERT_EQUAL(e.code, ENOSPC);
	CU_ASSERT_EQUAL(devread(d, r, sizeof r, LEN, &e), -1);
	CU_ASSERT_EQUAL(devtruncate(d, 2 * LEN, &e), -1);
	devclose(d);
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, r, sizeof r, BASE + GEFS_BLKSZ), (ssize_t)sizeof r);
	CU_ASSERT_EQUAL(memcmp(r, w, sizeof r), 0);
	CU_ASSERT_EQUAL(pread(fd, r, GEFS_BLKSZ, BASE - 512), GEFS_BLKSZ);	/* before, and block 0 */
	CU_ASSERT(r[0] == 0xa5 && r[511] == 0xa5 && r[512] == 0xa5);
	CU_ASSERT_EQUAL(pread(fd, r, 16, BASE + 2 * GEFS_BLKSZ), 16);		/* after what was written */
	CU_ASSERT(r[0] == 0xa5 && r[15] == 0xa5);
	close(fd);
	/* the raw view of ream.c and wipe.c */
	size = sizeof fill;
	CU_ASSERT_EQUAL(devclip(path, false, false, &size, &base, &e), 0);
	CU_ASSERT(size == LEN && base == BASE);
	CU_ASSERT_EQUAL(gefs_setwindow(0, 0, &e), 0);
	unlink(path);
}

/* A window without a length: the rest of the file, which writes and
 * truncation may grow; windows past the end; partitions of a file that
 * has no partition table. */
static void
test_window2(void)
{
	enum { BASE = 3 * GEFS_BLKSZ + 512 };
	uint8_t fill[BASE + 5 * GEFS_BLKSZ];
	uint64_t size, base;
	struct stat st;
	GefsErr e;
	Dev *d;
	int fd;

	mkpath("win2");
	memset(fill, 0xa5, sizeof fill);
	fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, fill, sizeof fill, 0), (ssize_t)sizeof fill);
	close(fd);
	CU_ASSERT_EQUAL(gefs_setwindow(BASE, 0, &e), 0);
	d = devopen(path, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(devsize(d), sizeof fill - BASE);
	CU_ASSERT(!devfixed(d));
	CU_ASSERT_EQUAL(devtruncate(d, 10 * GEFS_BLKSZ, &e), 0);
	devclose(d);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, BASE + 10 * GEFS_BLKSZ);
	/* past the end */
	CU_ASSERT_EQUAL(gefs_setwindow(BASE, 100 * GEFS_BLKSZ, &e), 0);
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	CU_ASSERT(strstr(e.msg, "past the end") != NULL);
	CU_ASSERT_EQUAL(gefs_setwindow(1 << 30, 0, &e), 0);
	CU_ASSERT_PTR_NULL(devopen(path, DEV_RDONLY, &e));
	CU_ASSERT(strstr(e.msg, "past the end") != NULL);
	CU_ASSERT_EQUAL(gefs_setwindow(UINT64_MAX - 5, 10, &e), -1);
	CU_ASSERT_EQUAL(gefs_setwindow(0, 0, &e), 0);
	CU_ASSERT_EQUAL(gefs_partwindow(path, 1, &size, &base, &e), -1);	/* no table */
	CU_ASSERT(strstr(e.msg, "no partition table") != NULL);
	CU_ASSERT_EQUAL(gefs_partwindow(path, 0, &size, &base, &e), -1);
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
	    !CU_add_test(s, "damaged gzip image", test_gzbad) ||
	    !CU_add_test(s, "special files", test_special) ||
	    !CU_add_test(s, "faults and observer", test_faults) ||
	    !CU_add_test(s, "window", test_window) ||
	    !CU_add_test(s, "window without a length", test_window2))
		return -1;
	return 0;
}
