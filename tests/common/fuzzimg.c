/* SPDX-License-Identifier: MIT */
/*
 * fuzzimg.c — decoding fuzz_image entries into patched images; see
 * fuzzimg.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzimg.h"

enum {
	NBASE	= 5,
	NFILES	= 12,		/* files of each base: small, quick to build */
	MAXPATCH = 64,		/* bytes of one patch record */
	RECHDR	= 5,		/* u16 block, u16 offset, u8 length */
};
static const char *kinds[NBASE] = { "std", "deep", "snaps", "logchain", "empty" };

typedef struct Base {
	Bld		*b;
	uint8_t		*save;		/* the image as built */
	uint64_t	*blk;		/* its metadata blocks: what patches aim at */
	size_t		nblk;
} Base;

struct Fuzzimg {
	Base	base[NBASE];
};

static void
freebase(Base *bs)
{
	bldfree(bs->b);
	free(bs->save);
	free(bs->blk);
	memset(bs, 0, sizeof *bs);
}

/* Build base kind into bs; on failure bs is left empty. */
static int
mkbase(Base *bs, const char *kind, GefsErr *e)
{
	BldStdOpts o;
	uint64_t a, size;
	int k;

	bldinitstd(&o);
	o.nfiles = NFILES;
	if ((bs->b = bldnamed(kind, &o, e)) == NULL)
		return -1;
	size = bldsize(bs->b);
	bs->save = malloc(size);
	bs->blk = malloc(sizeof(uint64_t) * (size / GEFS_BLKSZ));
	if (bs->save == NULL || bs->blk == NULL) {
		freebase(bs);
		return gefs_seterr(e, ENOMEM, "fuzzimg: %s: out of memory", kind);
	}
	memcpy(bs->save, bldimg(bs->b), size);
	for (a = 0; a < size; a += GEFS_BLKSZ) {
		k = bldinfo(bs->b, a).kind;
		if (k != BLD_BFREE && k != BLD_BDATA && k != BLD_BRESV && k != BLD_BUSER)
			bs->blk[bs->nblk++] = a;
	}
	if (bs->nblk == 0) {
		freebase(bs);
		return gefs_seterr(e, EINVAL, "fuzzimg: %s: no metadata blocks", kind);
	}
	return 0;
}

Fuzzimg *
fuzzimgnew(bool eager, GefsErr *e)
{
	Fuzzimg *f = calloc(1, sizeof *f);
	int i;

	if (f == NULL) {
		gefs_seterr(e, ENOMEM, "fuzzimg: out of memory");
		return NULL;
	}
	for (i = 0; eager && i < NBASE; i++)
		if (mkbase(&f->base[i], kinds[i], e) < 0) {
			fuzzimgfree(f);
			return NULL;
		}
	return f;
}

void
fuzzimgfree(Fuzzimg *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < NBASE; i++)
		freebase(&f->base[i]);
	free(f);
}

Bld *
fuzzimgapply(Fuzzimg *f, const uint8_t *data, size_t size, GefsErr *e)
{
	Base *bs;
	size_t i, n;
	uint64_t a;
	unsigned off;

	if (size < FUZZ_MINLEN)
		return NULL;
	bs = &f->base[data[0] % NBASE];
	if (bs->b == NULL && mkbase(bs, kinds[data[0] % NBASE], e) < 0)
		return NULL;
	memcpy(bldimg(bs->b), bs->save, bldsize(bs->b));
	bldhashmode(bs->b, (data[1] & FUZZ_HASHSKIP) ? BLD_HASHSKIP : BLD_HASHFIX);
	for (i = FUZZ_MINLEN; i + RECHDR <= size;) {
		a = bs->blk[gefs_get16(data + i) % bs->nblk];
		off = gefs_get16(data + i + 2) % GEFS_BLKSZ;
		n = 1 + data[i + 4] % MAXPATCH;
		i += RECHDR;
		if (n > size - i)
			n = size - i;
		if (off + n > GEFS_BLKSZ)
			n = GEFS_BLKSZ - off;
		if (n == 0)
			break;
		(void)bldpoke(bs->b, a, off, data + i, n);	/* a refused poke leaves the block */
		i += n;
	}
	return bs->b;
}
