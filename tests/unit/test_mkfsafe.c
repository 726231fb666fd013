/* SPDX-License-Identifier: MIT */
/*
 * mkfsafe suite: a format destroys nothing it was not told to.  A file of
 * unrecognised data is refused without force; a format that fails at any
 * write (ENOSPC, EIO, a torn write; through the formatter's fault hook)
 * leaves an existing file as it was — its length and every byte, the old
 * signatures it erased included — and removes a file it created; the
 * backup superblocks of other file systems are erased.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "wipe.h"

enum {
	MiB	= 1 << 20,
	SIZE	= 136 * MiB,		/* a little over the minimum */
	BIGGER	= SIZE + 32 * MiB,
	MAXEXT	= 256,
	SWAPSIG	= 4096 - 10,		/* "SWAPSPACE2" ends the first 4 KiB page */
	SWAPHDR	= 1024,			/* version 1, last page */
	BTRFSM1	= 64 * MiB,		/* btrfs mirror 1 */
	EXTG1	= 32768 * 4096,		/* ext4 group 1 with 4 KiB blocks: 128 MiB */
};

typedef struct Ext {
	uint64_t	off, n;
} Ext;

/* Where a format writes, and the victim's data: filled by setup. */
static Ext where[MAXEXT];
static size_t nwhere;

/* A fresh temporary path under $TMPDIR; the file does not exist. */
static void
tmpname(char *path, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, n, "%s/mkfsafe.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* The data extents of the open file fd (SEEK_DATA/SEEK_HOLE). */
static size_t
extents(int fd, Ext *x, size_t max)
{
	off_t d = 0, h;
	size_t n = 0;

	while (n < max && (d = lseek(fd, d, SEEK_DATA)) >= 0) {
		if ((h = lseek(fd, d, SEEK_HOLE)) < 0)
			break;
		x[n++] = (Ext){(uint64_t)d, (uint64_t)(h - d)};
		d = h;
	}
	return n;
}

/* Deterministic non-zero bytes that depend on the offset. */
static void
pattern(uint8_t *p, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(((off + i) * 2654435761u >> 13) | 1);
}

/* Write what a victim holds at x, clipped to size. */
static int
putext(int fd, Ext x, uint64_t size)
{
	uint8_t *buf;
	int rc;

	if (x.off >= size)
		return 0;
	if (x.n > size - x.off)
		x.n = size - x.off;
	if ((buf = malloc(x.n)) == NULL)
		return -1;
	pattern(buf, x.n, x.off);
	rc = pwrite(fd, buf, x.n, (off_t)x.off) == (ssize_t)x.n ? 0 : -1;
	free(buf);
	return rc;
}

/* Old signatures: a swap area libblkid finds, a btrfs mirror and an
 * ext4 backup superblock it does not look for. */
static int
putsigs(int fd, uint64_t size)
{
	static const uint8_t swaphdr[8] = {1, 0, 0, 0, 100, 0, 0, 0};
	uint8_t ext[2] = {0x53, 0xef};
	int bad = 0;

	bad |= pwrite(fd, "SWAPSPACE2", 10, SWAPSIG) != 10;
	bad |= pwrite(fd, swaphdr, sizeof swaphdr, SWAPHDR) != sizeof swaphdr;
	bad |= pwrite(fd, "_BHRfS_M", 8, BTRFSM1 + 0x40) != 8;
	if (EXTG1 + 1024 <= size)
		bad |= pwrite(fd, ext, 2, EXTG1 + 56) != 2;
	return bad ? -1 : 0;
}

/* A file of size bytes with data wherever a format writes, in its first
 * and last MiB, and the old signatures. */
static int
mkvictim(const char *path, uint64_t size)
{
	size_t i;
	int fd, bad = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
		return -1;
	bad |= ftruncate(fd, (off_t)size) < 0;
	for (i = 0; i < nwhere; i++)
		bad |= putext(fd, where[i], size);
	bad |= putext(fd, (Ext){0, MiB}, size) < 0;
	bad |= putext(fd, (Ext){size - MiB, MiB}, size) < 0;
	bad |= putsigs(fd, size) < 0;
	close(fd);
	return bad ? -1 : 0;
}

/* Compare n bytes at off of two open files. */
static bool
samebytes(int a, int b, uint64_t off, uint64_t n)
{
	static uint8_t ba[MiB], bb[MiB];
	size_t m;

	for (; n > 0; off += m, n -= m) {
		m = n < MiB ? (size_t)n : MiB;
		if (pread(a, ba, m, (off_t)off) != (ssize_t)m || pread(b, bb, m, (off_t)off) != (ssize_t)m
		|| memcmp(ba, bb, m) != 0)
			return false;
	}
	return true;
}

/* Whether two files hold the same bytes: the same length, and the same
 * bytes wherever either has data (holes read as zeros). */
static bool
samefile(const char *pa, const char *pb)
{
	Ext x[2 * MAXEXT];
	struct stat sa, sb;
	size_t n, i;
	int a, b;
	bool same;

	a = open(pa, O_RDONLY);
	b = open(pb, O_RDONLY);
	same = a >= 0 && b >= 0 && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_size == sb.st_size;
	if (same) {
		n = extents(a, x, MAXEXT);
		n += extents(b, x + n, MAXEXT);
		for (i = 0; i < n && same; i++)
			same = samebytes(a, b, x[i].off, x[i].n);
	}
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return same;
}

/* Add where a format at size writes (extents of a fresh file). */
static int
addwhere(uint64_t size)
{
	char path[256];
	GefsErr e;
	int fd;

	tmpname(path, sizeof path);
	if (gefs_format(path, size, NULL, NULL, &e) < 0 || (fd = open(path, O_RDONLY)) < 0)
		return -1;
	nwhere += extents(fd, where + nwhere, MAXEXT - nwhere);
	close(fd);
	unlink(path);
	return 0;
}

/* The victims' data: where formats at both sizes write. */
static int
setup(void)
{
	nwhere = 0;
	if (addwhere(SIZE) < 0 || addwhere(BIGGER) < 0)
		return -1;
	return nwhere > 0 ? 0 : -1;
}

/* Format a victim of oldsize at size, failing at write nth as kind,
 * until a run succeeds; every failure leaves it as it was. */
static void
faults(uint64_t oldsize, uint64_t size, int kind)
{
	char path[256], ref[256];
	GefsFormatOpts o;
	GefsFormatStats st;
	GefsErr e;
	int nth, rc = -1;

	tmpname(path, sizeof path);
	tmpname(ref, sizeof ref);
	CU_ASSERT_EQUAL_FATAL(mkvictim(ref, oldsize), 0);
	gefs_defformatopts(&o);
	o.force = true;
	for (nth = 1; nth < 100 && rc < 0; nth++) {
		CU_ASSERT_EQUAL_FATAL(mkvictim(path, oldsize), 0);
		reamfault(nth, kind);
		rc = gefs_format(path, size, &o, &st, &e);
		if (rc < 0 && !samefile(path, ref)) {
			CU_FAIL("a failed format changed the file");
			fprintf(stderr, "\n  fault at write %d (kind %d, %llu -> %llu): %s\n", nth, kind,
				(unsigned long long)oldsize, (unsigned long long)size, e.msg);
			break;
		}
	}
	reamfault(0, DEVFAULT_NONE);
	/* 8 arenas, 4 tree blocks, 2 superblocks, 2 backup superblocks zapped */
	CU_ASSERT(nth > 16);
	CU_ASSERT_EQUAL(rc, 0);
	/* the swap signature, the btrfs mirror, the ext4 backup */
	CU_ASSERT_EQUAL(st.nwiped, 3);
	unlink(path);
	unlink(ref);
}

/* One fault kind each keeps the suite fast; a torn write is the hardest. */
static void test_fault_same(void) { faults(SIZE, SIZE, DEVFAULT_SHORT); }
static void test_fault_grow(void) { faults(SIZE, BIGGER, DEVFAULT_ENOSPC); }
static void test_fault_shrink(void) { faults(BIGGER, SIZE, DEVFAULT_EIO); }

/* A failed format of a new file leaves no file. */
static void
test_fault_new(void)
{
	char path[256];
	struct stat st;
	GefsErr e;

	tmpname(path, sizeof path);
	reamfault(5, DEVFAULT_ENOSPC);
	CU_ASSERT_EQUAL(gefs_format(path, SIZE, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "write at 0x"));
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	reamfault(0, DEVFAULT_NONE);
}

/* Write one non-zero byte at off of a sparse file of size bytes. */
static int
mkdot(const char *path, uint64_t size, uint64_t off)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), bad;

	if (fd < 0)
		return -1;
	bad = ftruncate(fd, (off_t)size) < 0 || pwrite(fd, "x", 1, (off_t)off) != 1;
	close(fd);
	return bad ? -1 : 0;
}

/* Unknown data needs force; zeros and holes do not. */
static void
test_refuse(void)
{
	char path[256], what[192];
	struct stat st;
	GefsErr e;

	tmpname(path, sizeof path);
	/* data in the first MiB, then in the last */
	CU_ASSERT_EQUAL_FATAL(mkdot(path, SIZE, 4096), 0);
	CU_ASSERT_EQUAL(gefs_fmtrefuse(path, 0, what, sizeof what, &e), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(what, "data no file system claims"));
	CU_ASSERT_EQUAL(gefs_format(path, 0, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EEXIST);
	CU_ASSERT_EQUAL_FATAL(mkdot(path, SIZE, SIZE - 1), 0);
	CU_ASSERT_EQUAL(gefs_format(path, BIGGER, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EEXIST);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size == SIZE);
	/* blank in its first and last MiB, data where a shrink cuts */
	CU_ASSERT_EQUAL_FATAL(mkdot(path, BIGGER, SIZE + 10), 0);
	CU_ASSERT_EQUAL(gefs_fmtrefuse(path, 0, what, sizeof what, &e), 0);
	CU_ASSERT_EQUAL(gefs_fmtrefuse(path, SIZE, what, sizeof what, &e), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(what, "cut"));
	CU_ASSERT_EQUAL(gefs_format(path, SIZE, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EEXIST);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size == BIGGER);
	/* a file of holes formats at any size */
	CU_ASSERT_EQUAL_FATAL(truncate(path, 0), 0);
	CU_ASSERT_EQUAL_FATAL(truncate(path, BIGGER), 0);
	CU_ASSERT_EQUAL(gefs_fmtrefuse(path, SIZE, what, sizeof what, &e), 0);
	CU_ASSERT_EQUAL(gefs_format(path, SIZE, NULL, NULL, &e), 0);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size == SIZE);
	unlink(path);
}

/* A FIFO is refused by name: never opened, so nothing waits. */
static void
test_fifo(void)
{
	char path[256], what[64];
	uint64_t size;
	bool isblk;
	GefsErr e;

	tmpname(path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	CU_ASSERT_EQUAL(gefs_imagesize(path, &size, &isblk, &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not a regular file or block device"));
	CU_ASSERT_EQUAL(gefs_fmtrefuse(path, 0, what, sizeof what, &e), -1);
	CU_ASSERT_EQUAL(gefs_format(path, SIZE, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	unlink(path);
}

/* Put n bytes of p at off of path. */
static int
put(const char *path, uint64_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY), bad;

	if (fd < 0)
		return -1;
	bad = pwrite(fd, p, n, (off_t)off) != (ssize_t)n;
	close(fd);
	return bad ? -1 : 0;
}

/* Old superblocks with hostile fields place nothing outside the image
 * and do not make the wipe read without bound: each formats at once. */
static void
test_hostile(void)
{
	static const struct {
		uint64_t	off;
		uint8_t		b[16];
		size_t		n;
	} v[] = {
		/* xfs: 4 KiB blocks, 16 MiB AGs, 2^32-1 AGs tiling 2^44 blocks */
		{0, "XFSB\0\0\x10\0\0\0\x0f\xff\xff\xff\xf0\0", 16},
		/* ext: block size 1024 << 0xffffffff */
		{1024 + 24, "\xff\xff\xff\xff", 4},
		/* ext: 0 blocks per group */
		{1024 + 32, "\0\0\0\0", 4},
		/* FAT32: backup boot sector 0xffff of 4 KiB sectors */
		{11, "\0\x10", 2},
		/* exFAT: sector shift 255 */
		{3, "EXFAT   ", 8},
	};
	char path[256];
	GefsFormatOpts o;
	GefsErr e;
	size_t i;
	uint8_t tail[2] = {0x55, 0xaa}, xfs[8] = {0, 0, 0x10, 0}, ext[2] = {0x53, 0xef};
	uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff}, sh = 255;

	gefs_defformatopts(&o);
	o.force = true;
	tmpname(path, sizeof path);
	for (i = 0; i < nelem(v); i++) {
		CU_ASSERT_EQUAL_FATAL(mkdot(path, SIZE, SIZE - 1), 0);
		CU_ASSERT_EQUAL(put(path, 510, tail, 2), 0);
		CU_ASSERT_EQUAL(put(path, 1024 + 56, ext, 2), 0);
		CU_ASSERT_EQUAL(put(path, 84, xfs, 4), 0);	/* agblocks 4096 */
		CU_ASSERT_EQUAL(put(path, 88, ff, 4), 0);	/* agcount 2^32-1 */
		CU_ASSERT_EQUAL(put(path, 50, ff, 2), 0);	/* BPB_BkBootSec */
		CU_ASSERT_EQUAL(put(path, 14, ff, 2), 0);	/* BPB_RsvdSecCnt */
		CU_ASSERT_EQUAL(put(path, 108, &sh, 1), 0);
		CU_ASSERT_EQUAL(put(path, v[i].off, v[i].b, v[i].n), 0);
		CU_ASSERT_EQUAL(gefs_format(path, 0, &o, NULL, &e), 0);
	}
	unlink(path);
}

int
suite_mkfsafe(void)
{
	CU_pSuite s = CU_add_suite("mkfsafe", NULL, NULL);

	if (s == NULL || setup() < 0)
		return -1;
	if (!CU_add_test(s, "failed format, same size, is undone", test_fault_same)
	|| !CU_add_test(s, "failed format, growing, is undone", test_fault_grow)
	|| !CU_add_test(s, "failed format, shrinking, is undone", test_fault_shrink)
	|| !CU_add_test(s, "failed format of a new file removes it", test_fault_new)
	|| !CU_add_test(s, "unknown data needs force", test_refuse)
	|| !CU_add_test(s, "a FIFO is refused by name", test_fifo)
	|| !CU_add_test(s, "hostile old superblocks", test_hostile))
		return -1;
	return 0;
}
