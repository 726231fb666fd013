/* SPDX-License-Identifier: MIT */
/*
 * fuzz_image — libFuzzer harness over load + full walk + check.
 *
 * Input encoding (compact, so the fuzzer mutates structure, not 4 MiB
 * images): byte 0 picks a base image built once by the test image builder
 * (std, deep, snaps, logchain, empty); byte 1 is flags: bit 0 read with
 * ignhash, bit 1 leave hashes as built (else every patched block is
 * re-hashed up the pointer chain, so decoders behind the hash checks are
 * reached), bit 2 also run the checker.  Then patch records until the end:
 *	u16 block index (into the base's metadata blocks, modulo their count)
 *	u16 offset in the block (modulo 16384)
 *	u8  length n (1..64), then n bytes
 * The patched image lives in a memfd, opened by path /proc/self/fd/N.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "gefs.h"
#include "builder.h"
#include "readall.h"

enum { NBASE = 5 };
static const char *kinds[NBASE] = { "std", "deep", "snaps", "logchain", "empty" };

typedef struct Base {
	Bld		*b;
	uint8_t		*save;
	uint64_t	*blk;
	size_t		nblk;
} Base;

static Base base[NBASE];
static char path[64];

static void
mkbase(Base *bs, const char *kind)
{
	BldStdOpts o;
	GefsErr e;
	uint64_t a, size;
	int k;

	bldinitstd(&o);
	o.nfiles = 12;
	if ((bs->b = bldnamed(kind, &o, &e)) == NULL) {
		fprintf(stderr, "fuzz_image: %s: %s\n", kind, e.msg);
		abort();	/* the harness itself is broken: a programmer error */
	}
	size = bldsize(bs->b);
	bs->save = malloc(size);
	bs->blk = malloc(sizeof(uint64_t) * (size / GEFS_BLKSZ));
	if (bs->save == NULL || bs->blk == NULL)
		abort();
	memcpy(bs->save, bldimg(bs->b), size);
	for (a = 0; a < size; a += GEFS_BLKSZ) {
		k = bldinfo(bs->b, a).kind;
		if (k != BLD_BFREE && k != BLD_BDATA && k != BLD_BRESV && k != BLD_BUSER)
			bs->blk[bs->nblk++] = a;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i, fd;

	(void)argc; (void)argv;
	for (i = 0; i < NBASE; i++)
		mkbase(&base[i], kinds[i]);
	if ((fd = memfd_create("gefs-fuzz", 0)) < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ReadallStats st;
	Base *bs;
	size_t i, n;
	uint64_t a;
	unsigned off;

	if (size < 2)
		return 0;
	bs = &base[data[0] % NBASE];
	memcpy(bldimg(bs->b), bs->save, bldsize(bs->b));
	bldhashmode(bs->b, (data[1] & 2) ? BLD_HASHSKIP : BLD_HASHFIX);
	for (i = 2; i + 5 <= size;) {
		a = bs->blk[gefs_get16(data + i) % bs->nblk];
		off = gefs_get16(data + i + 2) % GEFS_BLKSZ;
		n = 1 + data[i + 4] % 64;
		i += 5;
		if (n > size - i)
			n = size - i;
		if (off + n > GEFS_BLKSZ)
			n = GEFS_BLKSZ - off;
		if (n == 0)
			break;
		(void)bldpoke(bs->b, a, off, data + i, n);
		i += n;
	}
	if (bldwrite(bs->b, path) < 0)
		return 0;
	memset(&st, 0, sizeof st);
	readall(path, data[1] & 1, (data[1] & 4) != 0, &st);
	return 0;
}
