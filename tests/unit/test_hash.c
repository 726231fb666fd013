/* SPDX-License-Identifier: MIT */
/* hash suite: every test vector of FORMAT.md §21.2 and §18.6. */
#include <string.h>
#include <CUnit/CUnit.h>
#include "gefs.h"
#include "vectors.h"

static const char digits[] = "012345678901234567890123456789012345678901234567890123456789012";

static void
test_vectors(void)
{
	uint8_t b[64];
	int i;

	CU_ASSERT_EQUAL(gefs_bufhash("", 0), 0x35d244c2ba0d952fULL);
	CU_ASSERT_EQUAL(gefs_bufhash("a", 1), 0xea6a586ea38e2e61ULL);
	CU_ASSERT_EQUAL(gefs_bufhash("abc", 3), 0x8af9c49d69f1ad94ULL);
	CU_ASSERT_EQUAL(gefs_bufhash("gefs9.00", 8), 0x11cedcf1fa183ad0ULL);
	for (i = 0; i < 64; i++)
		b[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(gefs_bufhash(b, 15), 0xf8ad531dd6ec5574ULL);
	CU_ASSERT_EQUAL(gefs_bufhash(b, 64), 0x3d005bfbf1fa8c07ULL);
	CU_ASSERT_EQUAL(gefs_bufhash(digits, 31), 0x9d7f4557f7b637cdULL);
	CU_ASSERT_EQUAL(gefs_bufhash(digits, 32), 0xb5978403111c7f18ULL);
	CU_ASSERT_EQUAL(gefs_bufhash(digits, 63), 0x20686214644a5482ULL);
	CU_ASSERT_EQUAL(gefs_metrohash64(digits, 63, 0), 0x400e735c4f048f65ULL);
}

static void
test_blocks(void)
{
	static uint8_t blk[GEFS_BLKSZ];
	int i;

	memset(blk, 0, sizeof blk);
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x8d19d8745486446eULL);
	for (i = 0; i < GEFS_BLKSZ; i++)
		blk[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(gefs_blkhash(blk), 0x0cbd033025378bb1ULL);
	CU_ASSERT_EQUAL(gefs_bufhash(blk, GEFS_BLKSZ), gefs_blkhash(blk));
}

/* The §18.6 superblock: its 232-byte hashed region hashes to 73eedf60fdbefc49. */
static void
test_superblock(void)
{
	CU_ASSERT_EQUAL(gefs_bufhash(vec186sb, 232), 0x73eedf60fdbefc49ULL);
}

/* Alignment must not matter: hash at every offset 0..7 of a buffer. */
static void
test_alignment(void)
{
	uint8_t buf[80];
	int i;

	for (i = 0; i < 8; i++) {
		memcpy(buf + i, digits, 63);
		CU_ASSERT_EQUAL(gefs_bufhash(buf + i, 63), 0x20686214644a5482ULL);
	}
}

int
suite_hash(void)
{
	CU_pSuite s = CU_add_suite("hash", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "21.2 vectors", test_vectors) ||
	    !CU_add_test(s, "whole blocks", test_blocks) ||
	    !CU_add_test(s, "18.6 superblock region", test_superblock) ||
	    !CU_add_test(s, "alignment", test_alignment))
		return -1;
	return 0;
}
