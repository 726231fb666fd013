/* SPDX-License-Identifier: MIT */
/* load suite: gefs_open (§15.4) — superblock choice, arena headers and
 * footers, the extension record, gzip images, the reference images, and a
 * crafted fresh 256 MiB image (§18.8). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"

enum { B = GEFS_BLKSZ };

/* Recompute the sbhash of the superblock copy at p for narena n (any n,
 * unlike the builder, which clamps). */
static void
sbrehash(uint8_t *p, uint32_t n)
{
	size_t len = GEFS_SBHDSZ + 16 * (size_t)n;

	gefs_put64(p + len, gefs_bufhash(p, len));
}

static uint8_t *
sbcopy(Bld *b, int c)
{
	return bldblkp(b, c == 0 ? 0 : bldsize(b) - B);
}

static bool
has(const char *s, const char *want)
{
	if (strstr(s, want) != NULL)
		return true;
	fprintf(stderr, "\nwanted \"%s\" in: %s\n", want, s);
	return false;
}

static void
test_tiny(void)
{
	Bld *b = ltimage(8, 16, 0);
	static uint8_t blk[B];
	char why[256];
	GefsArenaInfo ai;
	const GefsSb *sb;
	GefsSb sb1;
	bool valid;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	int i, copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs == NULL) {
		fprintf(stderr, "\n%s\n", err.msg);
		bldfree(b);
		return;
	}
	CU_ASSERT_EQUAL(w.n, 0);
	sb = gefs_super(fs, &copy);
	CU_ASSERT_EQUAL(copy, 0);
	CU_ASSERT_EQUAL(sb->narena, 8);
	CU_ASSERT_EQUAL(gefs_narena(fs), 8);
	CU_ASSERT_EQUAL(gefs_devsize(fs), bldsize(b));
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(gefs_arenainfo(fs, i, &ai), 0);
		CU_ASSERT_EQUAL(ai.addr, bldarenaaddr(b, i));
		CU_ASSERT_EQUAL(ai.size, 16 * B);
		CU_ASSERT_EQUAL(ai.used, 3 * B);
		CU_ASSERT_EQUAL(ai.hdr.used, 3 * B);
		CU_ASSERT_EQUAL(ai.nfree, 1);
		CU_ASSERT_EQUAL(ai.freebytes, 13 * B);
		CU_ASSERT_EQUAL(ai.hdrcopy, 0);
		CU_ASSERT(ai.agree);
		CU_ASSERT(ai.copyok[0] == 1 && ai.copyok[1] == 1);
		CU_ASSERT_EQUAL(ai.loghead, ai.addr + 2 * B);
	}
	CU_ASSERT_EQUAL(gefs_arenainfo(fs, 8, &ai), -1);
	CU_ASSERT_EQUAL(gefs_readsb(fs, 1, &sb1, &valid, why, sizeof why), 0);
	CU_ASSERT(valid);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(sb1.sbhash, sb->sbhash);
	CU_ASSERT_EQUAL(gefs_readsb(fs, 2, &sb1, &valid, why, sizeof why), -1);
	CU_ASSERT_EQUAL(gefs_readblk(fs, 0, blk), 0);
	CU_ASSERT_EQUAL(memcmp(blk, bldimg(b), B), 0);
	CU_ASSERT_EQUAL(gefs_readblk(fs, 100, blk), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), EINVAL);
	CU_ASSERT_EQUAL(gefs_readblk(fs, bldsize(b), blk), -1);
	CU_ASSERT_EQUAL(gefs_errcode(fs), ENOENT);
	CU_ASSERT_PTR_NULL(gefs_xrec(fs));
	/* the blk layer's address map */
	CU_ASSERT_EQUAL(arenaof(fs, 0), -1);
	CU_ASSERT_EQUAL(arenaof(fs, bldarenaaddr(b, 3) + 5 * B), 3);
	CU_ASSERT_EQUAL(arenaof(fs, bldsize(b) - B), -1);
	gefs_close(fs);
	bldfree(b);
}

/* Copy 0's sbhash broken: copy 1 is used and that is reported. */
static void
test_sb0bad(void)
{
	Bld *b = ltimage(2, 16, 0);
	char why[256];
	GefsSb sb;
	bool valid;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	int copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	sbcopy(b, 0)[GEFS_SBHDSZ + 32] ^= 1;		/* sbhash byte */
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_super(fs, &copy);
	CU_ASSERT_EQUAL(copy, 1);
	CU_ASSERT(w.n >= 1);
	CU_ASSERT(has(w.buf, "superblock 0"));
	CU_ASSERT(has(w.buf, "sbhash"));
	CU_ASSERT_EQUAL(gefs_readsb(fs, 0, &sb, &valid, why, sizeof why), 0);
	CU_ASSERT(!valid);
	CU_ASSERT(has(why, "sbhash"));
	gefs_close(fs);
	bldfree(b);
}

static void
test_sbboth(void)
{
	Bld *b = ltimage(2, 16, 0);
	GefsErr err;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	sbcopy(b, 0)[GEFS_SBHDSZ + 32] ^= 1;
	memcpy(sbcopy(b, 1), "gefs9.01", 8);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT_EQUAL(err.code, EBADMSG);
	CU_ASSERT(has(err.msg, "copy 0"));
	CU_ASSERT(has(err.msg, "sbhash"));
	CU_ASSERT(has(err.msg, "copy 1"));
	gefs_close(fs);
	bldfree(b);
}

/* Forcing a copy; differing prefixes are reported. */
static void
test_forced(void)
{
	Bld *b = ltimage(2, 16, 0);
	GefsOpts o;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	int copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	gefs_put64(sbcopy(b, 1) + 80, 77);		/* nextqid */
	sbrehash(sbcopy(b, 1), 2);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_super(fs, &copy)->nextqid, 3);
	CU_ASSERT_EQUAL(copy, 0);
	CU_ASSERT(has(w.buf, "differ"));
	gefs_close(fs);

	gefs_defopts(&o);
	o.sbcopy = 1;
	fs = ltopen(b, &o, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(gefs_super(fs, &copy)->nextqid, 77);
	CU_ASSERT_EQUAL(copy, 1);
	gefs_close(fs);

	/* forcing an invalid copy fails, even when the other is fine */
	sbcopy(b, 0)[GEFS_SBHDSZ + 32] ^= 1;
	o.sbcopy = 0;
	fs = ltopen(b, &o, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT(has(err.msg, "forced"));
	/* ... unless hashes are ignored and the hash is its only fault */
	o.ignhash = true;
	fs = ltopen(b, &o, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT(has(w.buf, "sbhash"));
	gefs_close(fs);
	bldfree(b);
}

/* narena 300 with a valid hash: that copy is refused. */
static void
test_narena(void)
{
	Bld *b = ltimage(2, 16, 0);
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	int c, copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	gefs_put32(sbcopy(b, 0) + 16, 300);
	sbrehash(sbcopy(b, 0), 300);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_super(fs, &copy);
	CU_ASSERT_EQUAL(copy, 1);
	CU_ASSERT(has(w.buf, "superblock 0"));
	gefs_close(fs);
	for (c = 1; c < 2; c++) {
		gefs_put32(sbcopy(b, c) + 16, 300);
		sbrehash(sbcopy(b, c), 300);
	}
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT_EQUAL(err.code, EBADMSG);
	CU_ASSERT(has(err.msg, "300"));
	bldfree(b);
}

/* Field checks: blksz, bufspc, narena 0, an unordered arena table, an
 * arena outside the device. */
static void
test_fields(void)
{
	static const struct { size_t off; uint32_t v; int n64; const char *want; } t[] = {
		{ 8, 8192, 0, "blksz" },
		{ 12, 4096, 0, "bufspc" },
		{ 16, 0, 0, "narena is 0" },
		{ GEFS_SBHDSZ + 16, B, 1, "not after arena 0" },	/* arena 1 on arena 0 */
		{ GEFS_SBHDSZ + 16, 0x7fff0000, 1, "backup superblock" },
		{ GEFS_SBHDSZ, 0x2000, 1, "not block-aligned" },
	};
	GefsErr err;
	Gefs *fs;
	size_t i;
	Bld *b;

	for (i = 0; i < nelem(t); i++) {
		b = ltimage(2, 16, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		if (t[i].n64)
			gefs_put64(sbcopy(b, 0) + t[i].off, t[i].v);
		else
			gefs_put32(sbcopy(b, 0) + t[i].off, t[i].v);
		sbrehash(sbcopy(b, 0), gefs_get32(sbcopy(b, 0) + 16));
		memcpy(sbcopy(b, 1), sbcopy(b, 0), B);
		fs = ltopen(b, NULL, NULL, &err, false);
		CU_ASSERT_PTR_NULL(fs);
		gefs_close(fs);
		CU_ASSERT(has(err.msg, t[i].want));
		bldfree(b);
	}
}

/* Garbage in the last block does not stop a load that copy 0 satisfies. */
static void
test_lastblock(void)
{
	Bld *b = ltimage(2, 16, 0);
	LtWarn w;
	GefsErr err;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(sbcopy(b, 1), 0x77, B);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	CU_ASSERT(has(w.buf, "superblock 1"));
	gefs_close(fs);
	bldfree(b);
}

static void
test_headers(void)
{
	Bld *b = ltimage(4, 16, 0);
	GefsArenaInfo ai;
	uint64_t h;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	h = bldarenaaddr(b, 2);
	p = bldblkp(b, h);
	p[100] ^= 1;			/* slack: decodes, hash differs */
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_arenainfo(fs, 2, &ai);
	CU_ASSERT_EQUAL(ai.hdrcopy, 1);
	CU_ASSERT(ai.copyok[0] == 0 && ai.copyok[1] == 1);
	CU_ASSERT(!ai.agree);
	CU_ASSERT_EQUAL(ai.used, 3 * B);
	CU_ASSERT(has(w.buf, "using the footer"));
	gefs_close(fs);

	/* header with a bad type: footer */
	p[100] ^= 1;
	gefs_put16(p, 9);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_arenainfo(fs, 2, &ai);
	CU_ASSERT_EQUAL(ai.hdrcopy, 1);
	CU_ASSERT_EQUAL(ai.copyok[0], -1);
	CU_ASSERT(has(w.buf, "does not decode"));
	gefs_close(fs);

	/* neither decodes: error naming both */
	gefs_put16(p + B, 9);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT(has(err.msg, "arena 2"));
	CU_ASSERT(has(err.msg, "footer"));
	gefs_put16(p, GEFS_TARENA);
	gefs_put16(p + B, GEFS_TARENA);

	/* both decode, neither verifies: header, with a warning */
	p[200] ^= 1;
	p[B + 200] ^= 2;
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_arenainfo(fs, 2, &ai);
	CU_ASSERT_EQUAL(ai.hdrcopy, 0);
	CU_ASSERT(has(w.buf, "neither header nor footer"));
	gefs_close(fs);

	/* table hash NONE (after a grow): unverified, reported */
	p[200] ^= 1;
	p[B + 200] ^= 2;
	gefs_put64(sbcopy(b, 0) + GEFS_SBHDSZ + 16 * 2 + 8, GEFS_NONE);
	sbrehash(sbcopy(b, 0), 4);
	memcpy(sbcopy(b, 1), sbcopy(b, 0), B);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	gefs_arenainfo(fs, 2, &ai);
	CU_ASSERT_EQUAL(ai.hdrcopy, 0);
	CU_ASSERT_EQUAL(ai.tblhash, GEFS_NONE);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT(has(w.buf, "NONE"));
	gefs_close(fs);
	bldfree(b);
}

/* Arena sizes that overlap the next arena are refused. */
static void
test_arenasize(void)
{
	Bld *b = ltimage(2, 16, 0);
	GefsArenaHdr a;
	uint64_t h;
	GefsErr err;
	Gefs *fs;
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	h = bldarenaaddr(b, 0);
	p = bldblkp(b, h);
	gefs_unpackarena(&a, p, h, NULL);
	a.size += B;
	gefs_packarena(p, &a);
	memcpy(p + B, p, B);
	bldrehash(b, h);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT(has(err.msg, "arena 0"));
	CU_ASSERT(has(err.msg, "size"));
	bldfree(b);
}

/* One rule for arena placement (layout.c), loader and checker alike:
 * a one-block arena (S = B: its log block only) obeys §5.1 and §5.2, so
 * it loads; table entries closer than a header and footer overlap. */
static void
test_onearena(void)
{
	Bld *b = ltimage(2, 16, 0);
	GefsArenaInfo ai;
	GefsArenaHdr a;
	uint8_t *p;
	uint64_t h;
	GefsErr err;
	Gefs *fs;

	CU_ASSERT(arenafits(0x4000, B, 0x4000 + 3 * B));
	CU_ASSERT(!arenafits(0x4000, 0, 0x4000 + 3 * B));
	CU_ASSERT(!arenafits(0x4000, 2 * B, 0x4000 + 3 * B));
	CU_ASSERT(!arenafits(0x4000, B + 1, 0x4000 + 4 * B));
	CU_ASSERT_EQUAL(arenaslot(5 * B, 4 * B, false, 100 * B), ARSLOT_ORDER);
	CU_ASSERT_EQUAL(arenaslot(6 * B, 4 * B, false, 100 * B), ARSLOT_OK);
	CU_ASSERT_EQUAL(arenaslot(99 * B, 4 * B, false, 100 * B), ARSLOT_PAST);
	CU_ASSERT_EQUAL(arenaslot(0, 0, true, 100 * B), ARSLOT_ALIGN);
	CU_ASSERT_EQUAL(sb1of(10 * B + 100), 9 * B);
	CU_ASSERT_EQUAL(sb1of(B + 100), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	/* arena 1 shrunk to one block holding an empty log */
	h = bldarenaaddr(b, 1);
	p = bldblkp(b, h);
	gefs_unpackarena(&a, p, h, NULL);
	a.size = B;
	a.used = B;
	gefs_packarena(p, &a);
	memcpy(p + B, p, B);
	bldrehash(b, h);
	ltlog(bldblkp(b, a.loghdaddr), GEFS_TLOG, NULL, 0, GEFS_NONE);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs != NULL) {
		CU_ASSERT_EQUAL(gefs_arenainfo(fs, 1, &ai), 0);
		CU_ASSERT_EQUAL(ai.size, B);
		CU_ASSERT_EQUAL(ai.used, B);
		CU_ASSERT_EQUAL(ai.freebytes, 0);
	} else
		fprintf(stderr, "\n%s\n", err.msg);
	gefs_close(fs);
	bldfree(b);
}

/* opts.tolerant: a damaged log does not fail the open; the arena is
 * recorded as not loaded (no free space), the others load. */
static void
test_tolerant(void)
{
	Bld *b = ltimage(3, 16, 0);
	GefsLogEnt bad = {GEFS_LOGFREE, 0x4000, 0x4000, 0};
	GefsArenaHdr a;
	GefsArenaInfo ai;
	GefsOpts o;
	GefsErr err;
	Gefs *fs;
	uint64_t h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	h = bldarenaaddr(b, 1);
	gefs_unpackarena(&a, bldblkp(b, h), h, NULL);
	/* a free of block 1, outside every data area */
	ltlog(bldblkp(b, a.loghdaddr), GEFS_TLOG, &bad, 1, GEFS_NONE);
	fs = ltopen(b, NULL, NULL, &err, false);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT(has(err.msg, "arena 1"));
	gefs_close(fs);
	gefs_defopts(&o);
	o.tolerant = true;
	fs = ltopen(b, &o, NULL, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_PTR_NULL(gefs_arenadamage(fs, 0));
	CU_ASSERT_PTR_NOT_NULL(gefs_arenadamage(fs, 1));
	CU_ASSERT(gefs_arenadamage(fs, 1) != NULL && has(gefs_arenadamage(fs, 1), "outside the data area"));
	CU_ASSERT_PTR_NULL(gefs_arenadamage(fs, 2));
	CU_ASSERT_EQUAL(gefs_arenainfo(fs, 1, &ai), 0);
	CU_ASSERT_EQUAL(ai.freebytes, 0);
	CU_ASSERT_EQUAL(gefs_arenainfo(fs, 2, &ai), 0);
	CU_ASSERT_EQUAL(ai.freebytes, 13 * B);
	gefs_close(fs);
	bldfree(b);
}

static void
test_gzip(void)
{
	Bld *b = ltimage(2, 16, 0);
	GefsArenaInfo ai;
	GefsOpts o;
	GefsErr err;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	fs = ltopen(b, NULL, NULL, &err, true);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs != NULL) {
		CU_ASSERT_EQUAL(gefs_arenainfo(fs, 1, &ai), 0);
		CU_ASSERT_EQUAL(ai.used, 3 * B);
	}
	gefs_close(fs);
	gefs_defopts(&o);
	o.rdwr = true;
	fs = ltopen(b, &o, NULL, &err, true);
	CU_ASSERT_PTR_NULL(fs);
	gefs_close(fs);
	fs = ltopen(b, &o, NULL, &err, false);	/* a plain file opens rdwr */
	CU_ASSERT_PTR_NOT_NULL(fs);
	gefs_close(fs);
	bldfree(b);
}

static void
test_xrec(void)
{
	Bld *b = ltimage(2, 16, 0);
	const GefsXrec *xp;
	GefsXrec x;
	LtWarn w;
	GefsErr err;
	Gefs *fs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	memset(&x, 0, sizeof x);
	memset(x.uuid, 0xab, sizeof x.uuid);
	x.labellen = 4;
	memcpy(x.label, "root", 5);
	gefs_packxrec(sbcopy(b, 1) + GEFS_XRECOFF, &x);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_EQUAL(w.n, 0);		/* the tail is not the prefix */
	xp = gefs_xrec(fs);
	CU_ASSERT_PTR_NOT_NULL(xp);
	if (xp != NULL)
		CU_ASSERT_STRING_EQUAL((const char *)xp->label, "root");
	gefs_close(fs);
	x.labellen = 3;
	memcpy(x.label, "top", 4);
	gefs_packxrec(sbcopy(b, 0) + GEFS_XRECOFF, &x);
	fs = ltopen(b, NULL, &w, &err, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	xp = gefs_xrec(fs);
	CU_ASSERT_PTR_NOT_NULL(xp);
	if (xp != NULL)
		CU_ASSERT_STRING_EQUAL((const char *)xp->label, "top");
	CU_ASSERT(has(w.buf, "extension"));
	gefs_close(fs);
	bldfree(b);
}

/* ------------------------------------------------------------------ */
/* A fresh 256 MiB image laid out as in §18 (sparse file), state §18.8 */
/* ------------------------------------------------------------------ */

enum { F_N = 8 };
static const uint64_t F_L = 268435456, F_S = 0x1FF4000;

static uint64_t
fh(int i)
{
	return 0x4000 + (uint64_t)i * 0x1FFC000;
}

static int
wblk(int fd, uint64_t addr, const uint8_t *blk)
{
	return pwrite(fd, blk, B, (off_t)addr) == B ? 0 : -1;
}

static GefsLogEnt
le(int op, uint64_t addr, uint64_t len)
{
	GefsLogEnt e;

	memset(&e, 0, sizeof e);
	e.op = op;
	e.addr = addr;
	e.len = len;
	return e;
}

/* Write arena i's log, header and footer as §18.4 gives them. */
static int
freshbuild(int fd, int i, GefsSb *sb)
{
	static uint8_t blk[B];
	GefsLogEnt e[5];
	GefsArenaHdr a;
	uint64_t h = fh(i), e0 = fh(0) + F_S;
	int n = 0;

	e[n++] = le(GEFS_LOGFREE, h + 2 * B, F_S - 2 * B);
	e[n++] = le(GEFS_LOGALLOC, h + 2 * B, B);
	if (i == 0) {
		e[n++] = le(GEFS_LOGALLOC1, e0 - B, B);
		e[n++] = le(GEFS_LOGALLOC1, e0 - 2 * B, B);
		e[n++] = le(GEFS_LOGALLOC1, e0 - 3 * B, B);
	} else if (i == 1)
		e[n++] = le(GEFS_LOGALLOC1, h + 3 * B, B);
	ltlog(blk, GEFS_TLOG, e, n, GEFS_NONE);
	if (wblk(fd, h + 2 * B, blk) < 0)
		return -1;
	memset(blk, 0, B);
	memset(&a, 0, sizeof a);
	gefs_put16(blk, GEFS_TARENA);
	a.loghdaddr = h + 2 * B;
	a.loghdhash = 0x1234;
	a.size = F_S;
	a.used = (uint64_t)(i == 0 ? 6 : i == 1 ? 4 : 3) * B;
	gefs_packarena(blk, &a);
	sb->arenaaddr[i] = h;
	sb->arenahash[i] = gefs_blkhash(blk);
	return wblk(fd, h, blk) | wblk(fd, h + B, blk);
}

typedef struct Rv1 {
	uint64_t	start, len;
	int		n;
} Rv1;

/* Keep the first range. */
static int
first(void *arg, uint64_t start, uint64_t len)
{
	Rv1 *r = arg;

	if (r->n++ == 0) {
		r->start = start;
		r->len = len;
	}
	return 0;
}

/* Check the §18.8 state of a fresh 256 MiB image. */
static void
freshcheck(Gefs *fs)
{
	GefsArenaInfo ai;
	uint64_t lo, hi;
	Rv1 r;
	int i;

	for (i = 0; i < F_N; i++) {
		CU_ASSERT_EQUAL_FATAL(gefs_arenainfo(fs, i, &ai), 0);
		CU_ASSERT_EQUAL(ai.addr, fh(i));
		CU_ASSERT_EQUAL(ai.size, F_S);
		lo = fh(i) + 3 * B + (i == 1 ? B : 0);
		hi = fh(i) + F_S - (i == 0 ? 3 * B : 0);
		CU_ASSERT_EQUAL(ai.nfree, 1);
		CU_ASSERT_EQUAL(ai.freebytes, hi - lo);
		CU_ASSERT_EQUAL(ai.used, (uint64_t)(i == 0 ? 6 : i == 1 ? 4 : 3) * B);
		CU_ASSERT_EQUAL(ai.used, ai.hdr.used);
		CU_ASSERT_EQUAL(ai.stopoff, GEFS_NONE);
		memset(&r, 0, sizeof r);
		gefs_walkfree(fs, i, first, &r);
		CU_ASSERT(r.start == lo && r.len == hi - lo);
	}
}

static void
test_fresh256(void)
{
	static uint8_t blk[B];
	char path[512];
	GefsSb sb;
	LtWarn w;
	GefsOpts o;
	GefsErr err;
	Gefs *fs;
	int fd, i, bad;

	CU_ASSERT_EQUAL_FATAL(lttmp(path, sizeof path, ".img"), 0);
	fd = open(path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	bad = ftruncate(fd, (off_t)F_L) != 0;
	memset(&sb, 0, sizeof sb);
	sb.blksz = B;
	sb.bufspc = GEFS_BUFSPC;
	sb.narena = F_N;
	sb.snapht = 1;
	sb.snapaddr = 0x1fec000;
	sb.snaphash = 0x4c6890046db4e32aULL;
	sb.dlhdaddr = sb.dlhdhash = sb.dltladdr = sb.dltlhash = GEFS_NONE;
	sb.nextqid = 3;
	sb.nextgen = 3;
	for (i = 0; i < F_N; i++)
		bad |= freshbuild(fd, i, &sb);
	memset(blk, 0, B);
	bad |= gefs_packsb(blk, &sb, NULL);
	bad |= wblk(fd, 0, blk) | wblk(fd, F_L - B, blk);
	close(fd);
	CU_ASSERT_EQUAL(bad, 0);
	gefs_defopts(&o);
	o.warn = ltwarn;
	o.warnarg = &w;
	memset(&w, 0, sizeof w);
	fs = gefs_open(path, &o, &err);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs == NULL) {
		fprintf(stderr, "\n%s\n", err.msg);
		return;
	}
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(gefs_super(fs, NULL)->sbhash, sb.sbhash);
	freshcheck(fs);
	gefs_close(fs);
}

/* The formatter's own 256 MiB image loads into the §18.8 state; without
 * an extension record its superblock is the §18.6 one. */
static void
test_format256(void)
{
	GefsFormatOpts fo;
	const GefsXrec *x;
	char path[512];
	LtWarn w;
	GefsOpts o;
	GefsErr err;
	Gefs *fs;
	int k;

	for (k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL_FATAL(lttmp(path, sizeof path, ".img"), 0);
		gefs_defformatopts(&fo);
		fo.noxrec = k == 1;
		fo.label = k == 0 ? "fresh" : NULL;
		fo.force = true;
		if (gefs_format(path, F_L, &fo, NULL, &err) < 0) {
			CU_FAIL("gefs_format");
			fprintf(stderr, "\n%s\n", err.msg);
			unlink(path);
			return;
		}
		gefs_defopts(&o);
		memset(&w, 0, sizeof w);
		o.warn = ltwarn;
		o.warnarg = &w;
		fs = gefs_open(path, &o, &err);
		unlink(path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
		CU_ASSERT_EQUAL(w.n, 0);
		freshcheck(fs);
		x = gefs_xrec(fs);
		if (k == 0) {
			CU_ASSERT_PTR_NOT_NULL(x);
			if (x != NULL)
				CU_ASSERT_STRING_EQUAL((const char *)x->label, "fresh");
		} else {
			CU_ASSERT_PTR_NULL(x);
			CU_ASSERT_EQUAL(gefs_super(fs, NULL)->sbhash, 0x73eedf60fdbefc49ULL);
		}
		gefs_close(fs);
	}
}

/* ------------------------------------------------------------------ */
/* Reference images (skipped without $GEFS_SHARED)                    */
/* ------------------------------------------------------------------ */

static const struct {
	const char	*name;
	uint64_t	size;
} refimg[] = {
	{ "ref-fresh-256M", 268435456 },
	{ "ref-small", 268435456 },
	{ "ref-many", 536870912 },
	{ "ref-deep", 536870912 },
};

static Gefs *
openref(const char *name, LtWarn *w, GefsErr *e)
{
	const char *dir = getenv("GEFS_SHARED");
	char path[1024];
	GefsOpts o;

	if (dir == NULL || *dir == 0)
		return NULL;
	snprintf(path, sizeof path, "%s/reference-images/%s.img.gz", dir, name);
	if (access(path, R_OK) != 0)
		return NULL;
	gefs_defopts(&o);
	memset(w, 0, sizeof *w);
	o.warn = ltwarn;
	o.warnarg = w;
	return gefs_open(path, &o, e);
}

static int
countlog(void *arg, const GefsLogItem *it)
{
	int *n = arg;

	n[it->kind]++;
	return 0;
}

/* Collect free ranges into a flat list (for comparing two free sets). */
typedef struct Ranges {
	uint64_t	r[64][2];
	int		n;
} Ranges;

static int
addrange(void *arg, uint64_t start, uint64_t len)
{
	Ranges *rs = arg;

	if (rs->n == 64)
		return 1;
	rs->r[rs->n][0] = start;
	rs->r[rs->n][1] = len;
	rs->n++;
	return 0;
}

/* Arena i of the checker's handle cf carries what the loader's lf does. */
static void
samearena(Gefs *lf, Gefs *cf, uint32_t i)
{
	Ranges r1, r2;

	memset(&r1, 0, sizeof r1);
	memset(&r2, 0, sizeof r2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cf->arena[i].free);
	fsetwalk(lf->arena[i].free, addrange, &r1);
	fsetwalk(cf->arena[i].free, addrange, &r2);
	CU_ASSERT(r1.n > 0 && r1.n == r2.n && memcmp(r1.r, r2.r, sizeof r1.r) == 0);
	CU_ASSERT_EQUAL(cf->arena[i].used, lf->arena[i].used);
	CU_ASSERT_EQUAL(cf->arena[i].logtail, lf->arena[i].logtail);
	CU_ASSERT_EQUAL(cf->arena[i].tailsz, lf->arena[i].tailsz);
	CU_ASSERT_EQUAL(cf->arena[i].stopoff, lf->arena[i].stopoff);
	CU_ASSERT_EQUAL(cf->arena[i].nlog, lf->arena[i].nlog);
}

/* The checker's handle carries what the loader's does (free sets, log
 * tails), and the write layer works on it: one handle, two loaders. */
static void
test_ckhandle(void)
{
	GefsFormatOpts fo;
	char path[512];
	GefsErr err;
	Gefs *lf, *cf;
	uint64_t addr;
	uint32_t i;

	CU_ASSERT_EQUAL_FATAL(lttmp(path, sizeof path, ".img"), 0);
	gefs_defformatopts(&fo);
	fo.force = true;
	if (gefs_format(path, F_L, &fo, NULL, &err) < 0) {
		CU_FAIL("gefs_format");
		unlink(path);
		return;
	}
	lf = gefs_open(path, NULL, &err);
	cf = ckloadfs(path, &err);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(lf);
	CU_ASSERT_PTR_NOT_NULL(cf);
	if (lf != NULL && cf != NULL) {
		CU_ASSERT_EQUAL(cf->sb.narena, lf->sb.narena);
		for (i = 0; i < lf->sb.narena; i++)
			samearena(lf, cf, i);
		/* an allocation through the log: opens the tail, appends */
		CU_ASSERT_EQUAL(blkalloc(cf, 1, &addr), 0);
		CU_ASSERT_EQUAL(arenaof(cf, addr), 1);
		CU_ASSERT(cf->arena[1].tailblk != NULL);
		CU_ASSERT_EQUAL(cf->arena[1].used, lf->arena[1].used + B);
	}
	gefs_close(lf);
	fsfree(cf);
}

static void
test_refimages(void)
{
	GefsArenaInfo ai;
	const GefsSb *sb;
	size_t k;
	LtWarn w;
	GefsErr err;
	Gefs *fs;
	int i, copy, n[5];

	for (k = 0; k < nelem(refimg); k++) {
		memset(&err, 0, sizeof err);
		fs = openref(refimg[k].name, &w, &err);
		if (fs == NULL) {
			if (err.code != 0) {
				CU_FAIL("reference image does not load");
				fprintf(stderr, "\n%s: %s\n", refimg[k].name, err.msg);
			} else
				fprintf(stderr, "[skipped %s: no $GEFS_SHARED image] ", refimg[k].name);
			continue;
		}
		if (w.n != 0)
			fprintf(stderr, "\n%s: %s", refimg[k].name, w.buf);
		CU_ASSERT_EQUAL(w.n, 0);
		sb = gefs_super(fs, &copy);
		CU_ASSERT_EQUAL(copy, 0);
		CU_ASSERT_EQUAL(gefs_devsize(fs), refimg[k].size);
		CU_ASSERT_EQUAL(sb->narena, 8);
		CU_ASSERT_EQUAL(sb->blksz, B);
		CU_ASSERT_EQUAL(sb->bufspc, GEFS_BUFSPC);
		for (i = 0; i < (int)sb->narena; i++) {
			CU_ASSERT_EQUAL_FATAL(gefs_arenainfo(fs, i, &ai), 0);
			CU_ASSERT_EQUAL(ai.used, ai.size - ai.freebytes);
			CU_ASSERT_EQUAL(ai.used, ai.hdr.used);
			CU_ASSERT_EQUAL(ai.hdrcopy, 0);
			CU_ASSERT(ai.agree);
			CU_ASSERT(ai.nfree >= 1);
			/* the walk sees what replay saw */
			memset(n, 0, sizeof n);
			CU_ASSERT_EQUAL(gefs_walklog(fs, i, countlog, n), 0);
			CU_ASSERT_EQUAL((uint64_t)n[GEFS_LOGBLOCK], ai.nlog);
			CU_ASSERT_EQUAL(n[GEFS_LOGSTOP], ai.stopoff != GEFS_NONE);
			CU_ASSERT_EQUAL(n[GEFS_LOGBAD], 0);
			/* §5.3: every arena the same size on a fresh layout */
			CU_ASSERT_EQUAL(ai.size, (refimg[k].size - 2 * B) / 8 / B * B - 2 * B);
		}
		if (k == 0) {
			CU_ASSERT_EQUAL(sb->qgen, 0);
			CU_ASSERT_EQUAL(sb->nextqid, 3);
			CU_ASSERT_EQUAL(sb->sbhash, 0x73eedf60fdbefc49ULL);
			freshcheck(fs);
		}
		gefs_close(fs);
	}
}

int
suite_load(void)
{
	CU_pSuite s = CU_add_suite("load", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "tiny image", test_tiny)
	|| !CU_add_test(s, "superblock 0 bad", test_sb0bad)
	|| !CU_add_test(s, "both superblocks bad", test_sbboth)
	|| !CU_add_test(s, "forced copy", test_forced)
	|| !CU_add_test(s, "narena 300", test_narena)
	|| !CU_add_test(s, "superblock fields", test_fields)
	|| !CU_add_test(s, "garbage last block", test_lastblock)
	|| !CU_add_test(s, "arena headers", test_headers)
	|| !CU_add_test(s, "arena size", test_arenasize)
	|| !CU_add_test(s, "one-block arena", test_onearena)
	|| !CU_add_test(s, "tolerant load", test_tolerant)
	|| !CU_add_test(s, "gzip", test_gzip)
	|| !CU_add_test(s, "extension record", test_xrec)
	|| !CU_add_test(s, "fresh 256 MiB layout", test_fresh256)
	|| !CU_add_test(s, "gefs_format 256 MiB", test_format256)
	|| !CU_add_test(s, "checker's handle", test_ckhandle)
	|| !CU_add_test(s, "reference images", test_refimages))
		return -1;
	return 0;
}
