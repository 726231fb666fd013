/* SPDX-License-Identifier: MIT */
/*
 * fuzzimg.h — the input encoding of the libFuzzer harness
 * tests/fuzz/fuzz_image.c, in one place, so that the harness and the
 * corpus materialiser (tests/tools/gefs-fuzzimg.c, which turns corpus
 * entries into image files for the robustness runs) decode an entry the
 * same way.
 *
 * An entry is compact, so the fuzzer mutates structure, not 4 MiB images:
 * byte 0 picks a base image built once by the test image builder (std,
 * deep, snaps, logchain, empty); byte 1 is flags: bit 0 read with
 * ignhash, bit 1 leave hashes as built (else every patched block is
 * re-hashed up the pointer chain, so decoders behind the hash checks are
 * reached), bit 2 also run the checker.  Then patch records until the end:
 *	u16 block index (into the base's metadata blocks, modulo their count)
 *	u16 offset in the block (modulo 16384)
 *	u8  length n (1..64), then n bytes (fewer when the entry ends)
 */
#ifndef GEFS_FUZZIMG_H
#define GEFS_FUZZIMG_H

#include <stddef.h>
#include <stdint.h>
#include "builder.h"

enum {
	FUZZ_IGNHASH	= 1 << 0,	/* flags (byte 1) */
	FUZZ_HASHSKIP	= 1 << 1,
	FUZZ_CHECK	= 1 << 2,
	FUZZ_MINLEN	= 2,		/* base and flags: shorter entries do nothing */
};

typedef struct Fuzzimg Fuzzimg;

/* The bases, each built on first use (all at once when eager: the
 * harness, so that no input pays for a build).  NULL with e set. */
Fuzzimg *fuzzimgnew(bool eager, GefsErr *e);
void fuzzimgfree(Fuzzimg *f);
/* The image of entry data: its base restored and patched.  The Bld is f's
 * (valid until the next call); NULL when size < FUZZ_MINLEN, or with e
 * set when the base cannot be built. */
Bld *fuzzimgapply(Fuzzimg *f, const uint8_t *data, size_t size, GefsErr *e);

#endif
