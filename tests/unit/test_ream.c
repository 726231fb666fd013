/* SPDX-License-Identifier: MIT */
/*
 * ream suite: the formatter.  Formats temporary files and compares them
 * with FORMAT.md §18.6 (the 256 MiB worked example), checks the extension
 * record (§22.2), the reproducible UUID, name checks, error paths, big
 * layouts (§5.3) and that the result loads and checks clean.  The §18.7
 * digests are compared by tests/cli/mkfs_conformance.sh (coreutils).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "vectors.h"

enum { B = GEFS_BLKSZ, MIB256 = 268435456 };

/* A fresh temporary path under $TMPDIR; the file does not exist. */
static void
tmpname(char *path, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, n, "%s/ream.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* Read n bytes at off of path into buf; 0 or -1. */
static int
rd(const char *path, void *buf, size_t n, uint64_t off)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = pread(fd, buf, n, (off_t)off);
	close(fd);
	return got == (ssize_t)n ? 0 : -1;
}

static uint8_t blk[B], blk2[B];

/* Format path at size with no extension record. */
static int
fmtplain(const char *path, uint64_t size, const char *user, GefsFormatStats *st, GefsErr *e)
{
	GefsFormatOpts o;

	gefs_defformatopts(&o);
	o.noxrec = true;
	o.user = user;
	return gefs_format(path, size, &o, st, e);
}



static const uint8_t arena0hdr[34] = {
	0x00,0x05,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x00,0x27,0xa8,0xa3,0x95,0xbb,0x38,
	0x14,0x7d,0x00,0x00,0x00,0x00,0x01,0xff,0x40,0x00,0x00,0x00,0x00,0x00,0x00,0x01,
	0x80,0x00,
};

static const uint8_t arena0log[92] = {
	0x00,0x03,0x00,0x38,0xbe,0xdf,0x38,0xd2,0xd7,0x12,0xbe,0xf9,0xff,0xff,0xff,0xff,
	0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
	0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x05,0x00,0x00,0x00,0x00,
	0x01,0xfe,0xc0,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x04,0x00,0x00,0x00,0x00,
	0x00,0x00,0x40,0x00,0x00,0x00,0x00,0x00,0x01,0xff,0x40,0x01,0x00,0x00,0x00,0x00,
	0x01,0xff,0x00,0x01,0x00,0x00,0x00,0x00,0x01,0xfe,0xc0,0x01,
};

static const uint8_t arena2log[76] = {
	0x00,0x03,0x00,0x20,0x86,0x44,0xe1,0xa5,0xb5,0xcc,0xec,0x7c,0xff,0xff,0xff,0xff,
	0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
	0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x04,0x00,0x40,0x05,0x00,0x00,0x00,0x00,
	0x01,0xfe,0xc0,0x00,0x00,0x00,0x00,0x00,0x04,0x00,0x40,0x04,0x00,0x00,0x00,0x00,
	0x00,0x00,0x40,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x03,
};

static const uint8_t mainhdr[10] = {0x00,0x02,0x00,0x02,0x00,0x66,0x3f,0xad,0x3f,0x94};
static const uint8_t mainents[102] = {
	0x00,0x09,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x0c,0x01,0xff,0xff,
	0xff,0xff,0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x0c,0x01,0xff,0xff,0xff,0xff,
	0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x3d,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x80,0x80,0x00,
	0x01,0xfd,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xff,0xff,0xff,0xff,0xff,0xff,
	0xff,0xff,0x00,0x00,0x00,0x00,
};
static const uint8_t admhdr[14] = {0x00,0x02,0x00,0x04,0x00,0xe5,0x3f,0xcd,0x3f,0x7b,0x3f,0x2e,0x3f,0x15};
static const uint8_t snaphdr[18] = {
	0x00,0x02,0x00,0x06,0x01,0x41,0x3f,0xe5,0x3f,0xce,0x3f,0xb8,0x3f,0x63,0x3f,0x0e,0x3e,0xb9,
};

/* True when the n bytes at p are all zero. */
static bool
allzero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/* The §18.6 worked example, block by block. */
static void
test_example(void)
{
	static const char users[] = "-1:adm::glenda\n0:none::\n1:glenda:glenda:\n";
	GefsFormatStats st;
	char path[256];
	GefsErr e;
	int i;

	tmpname(path, sizeof path);
	CU_ASSERT_EQUAL_FATAL(fmtplain(path, MIB256, "glenda", &st, &e), 0);
	CU_ASSERT_EQUAL(st.lay.narena, 8);
	CU_ASSERT_FALSE(st.xrec);
	CU_ASSERT_EQUAL(st.nblocks, 8 * 3 + 4 + 2);
	CU_ASSERT_EQUAL(st.byteswritten, (uint64_t)(8 * 3 + 4 + 2) * B);
	CU_ASSERT(st.nsync >= 3);
	/* superblocks: both copies the same block */
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0), 0);
	CU_ASSERT_EQUAL(memcmp(blk, vec186sb, sizeof vec186sb), 0);
	CU_ASSERT(allzero(blk + sizeof vec186sb, B - sizeof vec186sb));
	CU_ASSERT_EQUAL_FATAL(rd(path, blk2, B, 0xfffc000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, blk2, B), 0);
	/* arena 0: header = footer, hash in the table; its log */
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x4000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, arena0hdr, sizeof arena0hdr), 0);
	CU_ASSERT(allzero(blk + sizeof arena0hdr, B - sizeof arena0hdr));
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x5df9afbd40e0807dULL);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk2, B, 0x8000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, blk2, B), 0);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0xc000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, arena0log, sizeof arena0log), 0);
	CU_ASSERT(allzero(blk + sizeof arena0log, B - sizeof arena0log));
	/* arena 1 header hash, arena 2 log with the dropped barrier */
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x2000000), 0);
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x9313c66e6bd24988ULL);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x3ffc000 + 0x8000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, arena2log, sizeof arena2log), 0);
	CU_ASSERT(allzero(blk + sizeof arena2log, B - sizeof arena2log));
	for (i = 2; i < 8; i++) {
		CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x4000 + (uint64_t)i * 0x1ffc000), 0);
		CU_ASSERT_EQUAL(gefs_blkhash(blk), gefs_get64(vec186sb + 112 + 16 * i));
	}
	/* the tree blocks */
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x1ff4000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, mainhdr, sizeof mainhdr), 0);
	CU_ASSERT_EQUAL(memcmp(blk + 16282, mainents, sizeof mainents), 0);
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x6fe6f157eb324dbdULL);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x1ff0000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, admhdr, sizeof admhdr), 0);
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x8d41031325289e15ULL);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x1fec000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, snaphdr, sizeof snaphdr), 0);
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x4c6890046db4e32aULL);
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x200c000), 0);
	CU_ASSERT_EQUAL(memcmp(blk, users, sizeof users - 1), 0);
	CU_ASSERT(allzero(blk + sizeof users - 1, B - (sizeof users - 1)));
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x6d41f053c56e878dULL);
	/* a block never written is zero */
	CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, 0x1000000), 0);
	CU_ASSERT(allzero(blk, B));
	unlink(path);
}

/* The extension record: decodes at 8192 of both copies, holds what was
 * asked; every other byte is the reference's. */
static void
test_xrec(void)
{
	static const uint8_t uuid[16] = {0x12,0x34,0x56,0x78,0x9a,0xbc,0x4d,0xef,0x81,0x23,0x45,0x67,0x89,0xab,0xcd,0xef};
	char path[256], plain[256];
	GefsFormatOpts o;
	GefsFormatStats st;
	GefsXrec x;
	GefsErr e;

	tmpname(path, sizeof path);
	tmpname(plain, sizeof plain);
	gefs_defformatopts(&o);
	o.label = "données";
	o.uuidmode = GEFS_UUIDGIVEN;
	memcpy(o.uuid, uuid, 16);
	o.ctimeset = true;
	o.ctime = 1700000000123456789LL;
	CU_ASSERT_EQUAL_FATAL(gefs_format(path, MIB256, &o, &st, &e), 0);
	CU_ASSERT(st.xrec);
	CU_ASSERT_EQUAL(memcmp(st.uuid, uuid, 16), 0);
	CU_ASSERT_EQUAL_FATAL(fmtplain(plain, MIB256, NULL, NULL, &e), 0);
	for (uint64_t off = 0; off < MIB256; off += 0xfffc000) {
		CU_ASSERT_EQUAL_FATAL(rd(path, blk, B, off), 0);
		CU_ASSERT_EQUAL_FATAL(gefs_unpackxrec(&x, blk + GEFS_XRECOFF, &e), 0);
		CU_ASSERT_EQUAL(memcmp(x.uuid, uuid, 16), 0);
		CU_ASSERT_EQUAL(x.labellen, strlen("données"));
		CU_ASSERT_STRING_EQUAL((char *)x.label, "données");
		CU_ASSERT_EQUAL(x.ctime, 1700000000123456789LL);
		CU_ASSERT_EQUAL(x.flags, 0);
		CU_ASSERT_EQUAL_FATAL(rd(plain, blk2, B, off), 0);
		CU_ASSERT(allzero(blk2 + GEFS_XRECOFF, GEFS_XRECSZ));
		memset(blk + GEFS_XRECOFF, 0, GEFS_XRECSZ);
		CU_ASSERT_EQUAL(memcmp(blk, blk2, B), 0);
	}
	unlink(path);
	unlink(plain);
}

/* Derived UUIDs: version 5, the same for the same inputs, different when
 * any input differs; two formats with them are byte-identical. */
static void
test_derive(void)
{
	uint8_t a[16], b[16];
	char p1[256], p2[256];
	GefsFormatOpts o;
	GefsFormatStats s1, s2;
	GefsErr e;

	gefs_deriveuuid(a, 5000000000LL, MIB256, "glenda", "x");
	gefs_deriveuuid(b, 5000000000LL, MIB256, NULL, "x");
	CU_ASSERT_EQUAL(memcmp(a, b, 16), 0);
	CU_ASSERT_EQUAL(a[6] >> 4, 5);
	CU_ASSERT_EQUAL(a[8] & 0xc0, 0x80);
	gefs_deriveuuid(b, 5000000000LL, MIB256, "glenda", "y");
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 16), 0);
	gefs_deriveuuid(b, 6000000000LL, MIB256, "glenda", "x");
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 16), 0);
	gefs_deriveuuid(b, 5000000000LL, MIB256 + B, "glenda", "x");
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 16), 0);
	gefs_deriveuuid(b, 5000000000LL, MIB256, "ori", "x");
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 16), 0);

	tmpname(p1, sizeof p1);
	tmpname(p2, sizeof p2);
	gefs_defformatopts(&o);
	o.uuidmode = GEFS_UUIDDERIVE;
	o.ctimeset = true;
	o.ctime = 5000000000LL;
	o.label = "x";
	CU_ASSERT_EQUAL_FATAL(gefs_format(p1, MIB256, &o, &s1, &e), 0);
	CU_ASSERT_EQUAL_FATAL(gefs_format(p2, MIB256, &o, &s2, &e), 0);
	CU_ASSERT_EQUAL(memcmp(s1.uuid, a, 16), 0);
	CU_ASSERT_EQUAL(memcmp(s1.uuid, s2.uuid, 16), 0);
	CU_ASSERT_EQUAL_FATAL(rd(p1, blk, B, 0), 0);
	CU_ASSERT_EQUAL_FATAL(rd(p2, blk2, B, 0), 0);
	CU_ASSERT_EQUAL(memcmp(blk, blk2, B), 0);
	unlink(p1);
	unlink(p2);
}

static void
test_names(void)
{
	char longu[200], longl[300];
	GefsErr e;

	CU_ASSERT_EQUAL(gefs_usercheck("glenda", &e), 0);
	CU_ASSERT_EQUAL(gefs_usercheck("ori", &e), 0);
	CU_ASSERT_EQUAL(gefs_usercheck("ünï cödé", &e), 0);
	CU_ASSERT_EQUAL(gefs_usercheck("", &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_EQUAL(gefs_usercheck(NULL, &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("a:b", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("a,b", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("a\nb", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("a\tb", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("a\x7f", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("adm", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("none", &e), -1);
	CU_ASSERT_EQUAL(gefs_usercheck("nogroup", &e), -1);
	memset(longu, 'u', sizeof longu);
	longu[127] = 0;
	CU_ASSERT_EQUAL(gefs_usercheck(longu, &e), 0);
	longu[127] = 'u';
	longu[128] = 0;
	CU_ASSERT_EQUAL(gefs_usercheck(longu, &e), -1);

	CU_ASSERT_EQUAL(gefs_labelcheck(NULL, &e), 0);
	CU_ASSERT_EQUAL(gefs_labelcheck("", &e), 0);
	CU_ASSERT_EQUAL(gefs_labelcheck("root fs", &e), 0);
	CU_ASSERT_EQUAL(gefs_labelcheck("日本語 ✓ 😀", &e), 0);
	CU_ASSERT_EQUAL(gefs_labelcheck("a/b", &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_EQUAL(gefs_labelcheck("a\nb", &e), -1);
	CU_ASSERT_EQUAL(gefs_labelcheck("a\x7f", &e), -1);
	CU_ASSERT_EQUAL(gefs_labelcheck("a\xc2\x85", &e), -1);	/* U+0085, C1 */
	CU_ASSERT_EQUAL(gefs_labelcheck("\xff", &e), -1);
	CU_ASSERT_EQUAL(gefs_labelcheck("\xc0\xaf", &e), -1);	/* overlong '/' */
	CU_ASSERT_EQUAL(gefs_labelcheck("\xed\xa0\x80", &e), -1);	/* surrogate */
	CU_ASSERT_EQUAL(gefs_labelcheck("\xe6\x97", &e), -1);	/* truncated */
	memset(longl, 'l', sizeof longl);
	longl[255] = 0;
	CU_ASSERT_EQUAL(gefs_labelcheck(longl, &e), 0);
	longl[255] = 'l';
	longl[256] = 0;
	CU_ASSERT_EQUAL(gefs_labelcheck(longl, &e), -1);
}

/* Layouts with more than 8 arenas (§5.3 table; devices of 32 TiB up). */
static void
test_biglayout(void)
{
	const uint64_t T = 1ULL << 40;
	GefsLayout lay;
	GefsErr e;

	CU_ASSERT_EQUAL_FATAL(gefs_layout(&lay, 40 * T, &e), 0);
	CU_ASSERT_EQUAL(lay.narena, 10);
	CU_ASSERT_EQUAL(lay.arenasz, 4398046461952ULL);
	CU_ASSERT_EQUAL(lay.arenastart[1], 0x40000000000ULL);
	CU_ASSERT_EQUAL(lay.sb1, 0x27ffffffc000ULL);
	CU_ASSERT_EQUAL_FATAL(gefs_layout(&lay, 200 * T, &e), 0);
	CU_ASSERT_EQUAL(lay.narena, 32);
	CU_ASSERT_EQUAL(lay.arenasz, 6871947624448ULL);
	CU_ASSERT_EQUAL(lay.arenastart[1], 0x64000000000ULL);
	CU_ASSERT_EQUAL(lay.sb1, 0xc7ffffffc000ULL);
	/* 32 TiB of arena space needs 32 TiB + 2 blocks of device */
	CU_ASSERT_EQUAL_FATAL(gefs_layout(&lay, 32 * T, &e), 0);
	CU_ASSERT_EQUAL(lay.narena, 8);
	CU_ASSERT_EQUAL_FATAL(gefs_layout(&lay, 32 * T + 3 * B, &e), 0);
	CU_ASSERT_EQUAL(lay.narena, 9);
	CU_ASSERT_EQUAL_FATAL(gefs_layout(&lay, 1ULL << 62, &e), 0);
	CU_ASSERT_EQUAL(lay.narena, 32);
	for (uint64_t i = 1; i < lay.narena; i++)
		CU_ASSERT_EQUAL(lay.arenastart[i], lay.arenastart[i - 1] + lay.arenasz + 2 * B);
	CU_ASSERT(lay.arenastart[31] + lay.arenasz + 2 * B + lay.tail == lay.sb1);
}

/* Every refusal, and a created file removed again on failure. */
static void
test_errors(void)
{
	char path[256], dir[256];
	GefsFormatOpts o;
	GefsErr e;
	struct stat st;

	tmpname(path, sizeof path);
	CU_ASSERT_EQUAL(fmtplain(path, GEFS_MINSIZE - B, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "134234112"));
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(fmtplain(path, 0, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, ENOENT);
	CU_ASSERT_EQUAL(fmtplain(path, GEFS_MINSIZE, "adm", NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	gefs_defformatopts(&o);
	o.noxrec = true;
	o.label = "x";
	CU_ASSERT_EQUAL(gefs_format(path, GEFS_MINSIZE, &o, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	tmpname(dir, sizeof dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	CU_ASSERT_EQUAL(fmtplain(dir, GEFS_MINSIZE, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EISDIR);
	rmdir(dir);

	/* the minimum size works; formatting it again needs force */
	CU_ASSERT_EQUAL_FATAL(fmtplain(path, GEFS_MINSIZE, NULL, NULL, &e), 0);
	CU_ASSERT_EQUAL(gefs_probe(path, dir, sizeof dir, &e), 1);
	CU_ASSERT_STRING_EQUAL(dir, "a gefs file system");
	CU_ASSERT_EQUAL(fmtplain(path, 0, NULL, NULL, &e), -1);
	CU_ASSERT_EQUAL(e.code, EEXIST);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	gefs_defformatopts(&o);
	o.force = true;
	CU_ASSERT_EQUAL(gefs_format(path, MIB256, &o, NULL, &e), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, MIB256);
	/* superblock 0 wiped: the backup is still recognised */
	memset(blk, 0, B);
	{
		int fd = open(path, O_WRONLY);
		CU_ASSERT_EQUAL(pwrite(fd, blk, B, 0), B);
		close(fd);
	}
	CU_ASSERT_EQUAL(gefs_probe(path, dir, sizeof dir, &e), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dir, "backup"));
	unlink(path);
	CU_ASSERT_EQUAL(gefs_probe(path, dir, sizeof dir, &e), -1);
	CU_ASSERT_EQUAL(e.code, ENOENT);
}

/* A formatted image opens, has the record, and checks clean. */
static void
test_loads(void)
{
	GefsFormatOpts o;
	GefsCheckOpts co;
	GefsCheckStats cs;
	const GefsXrec *x;
	char path[256];
	GefsErr e;
	Gefs *fs;

	tmpname(path, sizeof path);
	gefs_defformatopts(&o);
	o.label = "vol";
	o.user = "ori";
	CU_ASSERT_EQUAL_FATAL(gefs_format(path, 1ULL << 30, &o, NULL, &e), 0);
	fs = gefs_open(path, NULL, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_narena(fs), 8);
	x = gefs_xrec(fs);
	CU_ASSERT_PTR_NOT_NULL(x);
	if (x)
		CU_ASSERT_STRING_EQUAL((const char *)x->label, "vol");
	gefs_close(fs);
	gefs_defcheckopts(&co);
	CU_ASSERT_EQUAL_FATAL(gefs_check(path, &co, &cs, &e), 0);
	CU_ASSERT_EQUAL(cs.nfound[GEFS_SEVERR], 0);
	CU_ASSERT_EQUAL(cs.nleak, 0);
	unlink(path);
}

int
suite_ream(void)
{
	CU_pSuite s = CU_add_suite("ream", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "256 MiB worked example", test_example)
	|| !CU_add_test(s, "extension record", test_xrec)
	|| !CU_add_test(s, "derived uuid", test_derive)
	|| !CU_add_test(s, "user and label names", test_names)
	|| !CU_add_test(s, "layouts over 8 arenas", test_biglayout)
	|| !CU_add_test(s, "errors", test_errors)
	|| !CU_add_test(s, "loads and checks clean", test_loads))
		return -1;
	return 0;
}
