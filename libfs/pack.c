/* SPDX-License-Identifier: MIT */
/*
 * pack — big-endian encoders and bounds-checked decoders for every on-disk
 * structure of GEFS (FORMAT.md §1, §4–§10, §22.2).  Encoders trust their
 * caller; decoders trust nothing and fail with EBADMSG naming the block,
 * the structure and the field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gefs.h"

/* memcpy that accepts (NULL, 0): empty keys and values may come as NULL. */
static inline void
bcopyn(void *dst, const void *src, size_t n)
{
	if (n > 0)
		memcpy(dst, src, n);
}

typedef unsigned long long uvlong;

/* "block 0x… (what): " or "" when the address is unknown. */
static const char *
blkpfx(char *buf, size_t n, uint64_t addr, const char *what)
{
	if (addr == GEFS_NONE)
		snprintf(buf, n, "%s: ", what);
	else
		snprintf(buf, n, "block 0x%llx (%s): ", (uvlong)addr, what);
	return buf;
}

/* ---- block pointers (§1.3) ---- */

/*
 * Block pointer, 24 bytes (§1.3):
 *
 *	Offset	Size	Field
 *	0	8	addr	target block address, or NONE
 *	8	8	hash	blkhash of the target (not meaningful for some kinds)
 *	16	8	gen	birth generation of the target
 *
 * Encode bp at p.
 */
void
gefs_packbptr(uint8_t *p, const GefsBptr *bp)
{
	gefs_put64(p, bp->addr);	p += 8;
	gefs_put64(p, bp->hash);	p += 8;
	gefs_put64(p, bp->gen);
}

/* Decode 24 bytes at p into bp; every value is representable. */
void
gefs_unpackbptr(GefsBptr *bp, const uint8_t *p)
{
	bp->addr = gefs_get64(p);	p += 8;
	bp->hash = gefs_get64(p);	p += 8;
	bp->gen = gefs_get64(p);
}

/* ---- superblock (§4) ---- */

/* Length of the hashed region for narena arenas. */
size_t
gefs_sbhashlen(uint32_t narena)
{
	return GEFS_SBHDSZ + 16 * (size_t)narena;
}

/*
 * Superblock written prefix, 112 + 16·N bytes (§4):
 *
 *	Offset	Size	Field
 *	0	8	magic		"gefs9.00" (its first 2 bytes are type 0x6765)
 *	8	4	blksz		16384
 *	12	4	bufspc		8187
 *	16	4	narena		N, 1..255
 *	20	4	snap.ht
 *	24	8	snap.addr
 *	32	8	snap.hash
 *	40	8	snapdl.hd.addr
 *	48	8	snapdl.hd.hash
 *	56	8	snapdl.tl.addr
 *	64	8	snapdl.tl.hash
 *	72	8	flag
 *	80	8	nextqid
 *	88	8	nextgen
 *	96	8	qgen
 *	104+16i	8	arena[i].addr
 *	112+16i	8	arena[i].hash
 *	104+16N	8	sbhash		bufhash of [0, 104 + 16·N)
 *
 * Encode the prefix into blk (the tail is left alone: it is preserved, §22)
 * and compute sbhash, stored in both blk and sb.
 */
int
gefs_packsb(uint8_t *blk, GefsSb *sb, GefsErr *e)
{
	uint8_t *p = blk;
	uint32_t i;
	size_t n;

	if (sb->narena == 0 || sb->narena > GEFS_MAXARENA)
		return gefs_seterr(e, EINVAL, "superblock: narena %u not in 1..%d",
			sb->narena, GEFS_MAXARENA);
	memcpy(p, GEFS_MAGIC, 8);	p += 8;
	gefs_put32(p, sb->blksz);	p += 4;
	gefs_put32(p, sb->bufspc);	p += 4;
	gefs_put32(p, sb->narena);	p += 4;
	gefs_put32(p, sb->snapht);	p += 4;
	gefs_put64(p, sb->snapaddr);	p += 8;
	gefs_put64(p, sb->snaphash);	p += 8;
	gefs_put64(p, sb->dlhdaddr);	p += 8;
	gefs_put64(p, sb->dlhdhash);	p += 8;
	gefs_put64(p, sb->dltladdr);	p += 8;
	gefs_put64(p, sb->dltlhash);	p += 8;
	gefs_put64(p, sb->flag);	p += 8;
	gefs_put64(p, sb->nextqid);	p += 8;
	gefs_put64(p, sb->nextgen);	p += 8;
	gefs_put64(p, sb->qgen);	p += 8;
	for (i = 0; i < sb->narena; i++) {
		gefs_put64(p, sb->arenaaddr[i]);	p += 8;
		gefs_put64(p, sb->arenahash[i]);	p += 8;
	}
	n = gefs_sbhashlen(sb->narena);
	sb->sbhash = gefs_bufhash(blk, n);
	gefs_put64(p, sb->sbhash);
	return 0;
}

/* Decode the written prefix; the hash is judged by gefs_sbhashok. */
int
gefs_unpacksb(GefsSb *sb, const uint8_t *blk, uint64_t addr, GefsErr *e)
{
	const uint8_t *p = blk;
	char pfx[64];
	uint32_t i;

	memset(sb, 0, sizeof *sb);
	blkpfx(pfx, sizeof pfx, addr, "superblock");
	if (memcmp(p, GEFS_MAGIC, 8) != 0)
		return gefs_seterr(e, EBADMSG, "%sbad magic", pfx);
	p += 8;
	sb->blksz = gefs_get32(p);	p += 4;
	sb->bufspc = gefs_get32(p);	p += 4;
	sb->narena = gefs_get32(p);	p += 4;
	if (sb->narena > GEFS_MAXARENA)
		return gefs_seterr(e, EBADMSG, "%snarena %u > %d", pfx,
			sb->narena, GEFS_MAXARENA);
	sb->snapht = gefs_get32(p);	p += 4;
	sb->snapaddr = gefs_get64(p);	p += 8;
	sb->snaphash = gefs_get64(p);	p += 8;
	sb->dlhdaddr = gefs_get64(p);	p += 8;
	sb->dlhdhash = gefs_get64(p);	p += 8;
	sb->dltladdr = gefs_get64(p);	p += 8;
	sb->dltlhash = gefs_get64(p);	p += 8;
	sb->flag = gefs_get64(p);	p += 8;
	sb->nextqid = gefs_get64(p);	p += 8;
	sb->nextgen = gefs_get64(p);	p += 8;
	sb->qgen = gefs_get64(p);	p += 8;
	for (i = 0; i < sb->narena; i++) {
		sb->arenaaddr[i] = gefs_get64(p);	p += 8;
		sb->arenahash[i] = gefs_get64(p);	p += 8;
	}
	sb->sbhash = gefs_get64(p);
	return 0;
}

/* True when the stored sbhash matches the hashed region. */
bool
gefs_sbhashok(const uint8_t *blk, uint32_t narena)
{
	size_t n;

	if (narena > GEFS_MAXARENA)
		return false;
	n = gefs_sbhashlen(narena);
	return gefs_get64(blk + n) == gefs_bufhash(blk, n);
}

/* ---- arena header (§5.1) ---- */

/*
 * Arena header / footer, bytes [0, 34) of the block (§5.1):
 *
 *	Offset	Size	Field
 *	0	2	type		5 (Tarena)
 *	2	8	loghd.addr	first log block
 *	10	8	loghd.hash	informational, never verified
 *	18	8	size		S
 *	26	8	used
 *	34	16350	-		preserved (read-modify-write)
 *
 * Write the fields; the rest of blk is untouched.
 */
void
gefs_packarena(uint8_t *blk, const GefsArenaHdr *a)
{
	uint8_t *p = blk;

	gefs_put16(p, GEFS_TARENA);	p += 2;
	gefs_put64(p, a->loghdaddr);	p += 8;
	gefs_put64(p, a->loghdhash);	p += 8;
	gefs_put64(p, a->size);		p += 8;
	gefs_put64(p, a->used);
}

/* Decode an arena header; only the type can be wrong at this level. */
int
gefs_unpackarena(GefsArenaHdr *a, const uint8_t *blk, uint64_t addr, GefsErr *e)
{
	const uint8_t *p = blk;
	char pfx[64];
	uint16_t type;

	memset(a, 0, sizeof *a);
	type = gefs_get16(p);		p += 2;
	if (type != GEFS_TARENA)
		return gefs_seterr(e, EBADMSG, "%stype %u, want %d",
			blkpfx(pfx, sizeof pfx, addr, "arena"), type, GEFS_TARENA);
	a->loghdaddr = gefs_get64(p);	p += 8;
	a->loghdhash = gefs_get64(p);	p += 8;
	a->size = gefs_get64(p);	p += 8;
	a->used = gefs_get64(p);
	return 0;
}

/* ---- log and deadlist headers (§6.1, §7) ---- */

/* bufhash of the used body; logsz is clamped to the body capacity. */
uint64_t
gefs_loghash(const uint8_t *blk, uint16_t logsz)
{
	size_t n = logsz > GEFS_LOGSPC ? GEFS_LOGSPC : logsz;

	return gefs_bufhash(blk + GEFS_LOGHDSZ, n);
}

/*
 * Log (Tlog) and deadlist (Tdlist) block header, 36 bytes (§6.1, §7):
 *
 *	Offset	Size	Field
 *	0	2	type	3 (Tlog) or 4 (Tdlist)
 *	2	2	logsz	body bytes used, 0..16348
 *	4	8	logh	bufhash of [36, 36 + logsz)
 *	12	24	chain	Bptr to the next block; only addr is meaningful
 *	36	16348	body
 *
 * Write the header; logh is computed over the body already in blk.
 */
void
gefs_packloghdr(uint8_t *blk, GefsLogHdr *h)
{
	uint8_t *p = blk;

	h->logh = gefs_loghash(blk, h->logsz);
	gefs_put16(p, h->type);		p += 2;
	gefs_put16(p, h->logsz);	p += 2;
	gefs_put64(p, h->logh);		p += 8;
	gefs_packbptr(p, &h->chain);
}

/* Deadlist body entry i: a bare u64 block address (§7). */
void
gefs_packdlent(uint8_t *blk, int i, uint64_t addr)
{
	gefs_put64(blk + GEFS_LOGHDSZ + (size_t)i * GEFS_DLENTSZ, addr);
}

uint64_t
gefs_unpackdlent(const uint8_t *blk, int i)
{
	return gefs_get64(blk + GEFS_LOGHDSZ + (size_t)i * GEFS_DLENTSZ);
}

/* Decode a log or deadlist header, requiring type want. */
int
gefs_unpackloghdr(GefsLogHdr *h, const uint8_t *blk, int want, uint64_t addr, GefsErr *e)
{
	const uint8_t *p = blk;
	char pfx[64];

	memset(h, 0, sizeof *h);
	blkpfx(pfx, sizeof pfx, addr, gefs_typename(want));
	h->type = gefs_get16(p);	p += 2;
	h->logsz = gefs_get16(p);	p += 2;
	h->logh = gefs_get64(p);	p += 8;
	gefs_unpackbptr(&h->chain, p);
	if (h->type != want)
		return gefs_seterr(e, EBADMSG, "%stype %u (%s), want %d", pfx,
			h->type, gefs_typename(h->type), want);
	if (h->logsz > GEFS_LOGSPC)
		return gefs_seterr(e, EBADMSG, "%slogsz %u > %d", pfx,
			h->logsz, GEFS_LOGSPC);
	if (want == GEFS_TDLIST && h->logsz % 8 != 0)
		return gefs_seterr(e, EBADMSG, "%slogsz %u not a multiple of 8",
			pfx, h->logsz);
	return 0;
}

/* ---- allocation-log entries (§6.2) ---- */

/*
 * Allocation-log entry (§6.2): a u64 word whose low 8 bits are the op.
 *
 *	Offset	Size	Field
 *	0	8	word	addr | op (ops 1, 2, 4, 5); qgen << 8 | 3 (LogSync)
 *	8	8	len	ops 4 and 5 only: bytes, a multiple of 16384
 *
 * Encode le at p; returns the width (8, or 16 for ops 4 and 5).
 */
size_t
gefs_packlogent(uint8_t *p, const GefsLogEnt *le)
{
	switch (le->op) {
	case GEFS_LOGSYNC:
		gefs_put64(p, le->qgen << 8 | GEFS_LOGSYNC);
		return 8;
	case GEFS_LOGALLOC:
	case GEFS_LOGFREE:
		gefs_put64(p, (le->addr & ~(uint64_t)0xff) | (uint8_t)le->op);
		gefs_put64(p + 8, le->len);
		return 16;
	}
	gefs_put64(p, (le->addr & ~(uint64_t)0xff) | (uint8_t)le->op);
	return 8;
}

/* Decode the entry at p (not past end); returns its width or -1.
 * Replay decodes every entry: the message prefix is formatted only for
 * a bad one, by decoding it again. */
static int unpacklogent(GefsLogEnt *le, const uint8_t *p, const uint8_t *end, const char *pfx, GefsErr *e);

int
gefs_unpacklogent(GefsLogEnt *le, const uint8_t *p, const uint8_t *end,
	uint64_t addr, size_t off, GefsErr *e)
{
	char pfx[96];
	int w;

	if ((w = unpacklogent(le, p, end, "", NULL)) >= 0 || e == NULL)
		return w;
	if (addr == GEFS_NONE)
		snprintf(pfx, sizeof pfx, "log: entry at body offset %zu", off);
	else
		snprintf(pfx, sizeof pfx, "block 0x%llx (log): entry at body offset %zu",
			(uvlong)addr, off);
	return unpacklogent(le, p, end, pfx, e);
}

static int
unpacklogent(GefsLogEnt *le, const uint8_t *p, const uint8_t *end, const char *pfx, GefsErr *e)
{
	uint64_t w;

	memset(le, 0, sizeof *le);
	if (p > end || end - p < 8)
		return gefs_seterr(e, EBADMSG, "%s: truncated", pfx);
	w = gefs_get64(p);
	le->op = w & 0xff;
	if (le->op == GEFS_LOGSYNC) {
		le->qgen = w >> 8;
		return 8;
	}
	if (le->op < GEFS_LOGALLOC1 || le->op > GEFS_LOGFREE)
		return gefs_seterr(e, EBADMSG, "%s: bad op %d", pfx, le->op);
	le->addr = w & ~(uint64_t)0xff;
	if (le->addr % GEFS_BLKSZ != 0)
		return gefs_seterr(e, EBADMSG, "%s: address 0x%llx not block-aligned",
			pfx, (uvlong)le->addr);
	if (le->op <= GEFS_LOGFREE1) {
		le->len = GEFS_BLKSZ;
		return 8;
	}
	if (end - p < 16)
		return gefs_seterr(e, EBADMSG, "%s: truncated 2-wide entry", pfx);
	le->len = gefs_get64(p + 8);
	if (le->len == 0 || le->len % GEFS_BLKSZ != 0)
		return gefs_seterr(e, EBADMSG, "%s: length 0x%llx not a non-zero multiple of %d",
			pfx, (uvlong)le->len, GEFS_BLKSZ);
	return 16;
}

int
gefs_logbody(const uint8_t *blk, uint16_t logsz, size_t from, uint64_t addr,
	GefsLogEntFn fn, void *arg, size_t *bad, GefsErr *e)
{
	const uint8_t *body = blk + GEFS_LOGHDSZ, *end = body + logsz;
	GefsLogEnt le;
	size_t off;
	int w, rc;

	for (off = from; off < logsz; off += (size_t)w) {
		w = gefs_unpacklogent(&le, body + off, end, addr, off, e);
		if (w < 0) {
			if (bad != NULL)
				*bad = off;
			return -1;
		}
		if ((rc = fn(arg, off, &le, w)) != 0)
			return rc;
	}
	return 0;
}

int
gefs_logput(uint8_t *blk, uint16_t *logsz, const GefsLogEnt *le)
{
	int w;

	w = (int)gefs_packlogent(blk + GEFS_LOGHDSZ + *logsz, le);
	*logsz = (uint16_t)(*logsz + w);
	return w;
}

void
gefs_logclear(uint8_t *blk, uint16_t logsz)
{
	if (logsz < GEFS_LOGSPC)
		memset(blk + GEFS_LOGHDSZ + logsz, 0, GEFS_LOGSPC - logsz);
}

/* ---- keys (§9) ---- */

/* Byte-string order: memcmp over the shorter, then the shorter first. */
int
gefs_keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	int c;

	c = memcmp(a, b, na < nb ? na : nb);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	return 0;
}

/*
 * Keys (§9.1).  Every key starts with its type byte.
 *
 *	Kdat	0:1 type 0	1:8 qid		9:8 off			17 bytes
 *	Kent	0:1 type 1	1:8 pqid	9:2 nlen  11:nlen name	11+nlen:1 NUL
 *	Kup	0:1 type 2	1:8 qid					9 bytes
 *	Klabel	0:1 type 3	1:n name (no length, no NUL)		1+n bytes
 *	Ksnap	0:1 type 4	1:8 gen					9 bytes
 *	Kdlist	0:1 type 5	1:8 gen		9:8 bgen		17 bytes
 *	Kconf	0:1 type 6	1:n name				1+n bytes
 *
 * (offset:size field.)  Kdat: 0x00, qid, off.
 */
size_t
gefs_packdatkey(uint8_t *k, uint64_t qid, uint64_t off)
{
	uint8_t *p = k;

	*p = GEFS_KDAT;		p += 1;
	gefs_put64(p, qid);	p += 8;
	gefs_put64(p, off);	p += 8;
	return p - k;
}

/* Kent: 0x01, pqid, nlen, name, NUL — 12 + nlen bytes (nlen <= 244). */
size_t
gefs_packentkey(uint8_t *k, uint64_t pqid, const char *name, size_t nlen)
{
	uint8_t *p = k;

	if (nlen > GEFS_NAMEMAX)
		nlen = GEFS_NAMEMAX;
	p += gefs_packentpfx(p, pqid);
	gefs_put16(p, (uint16_t)nlen);	p += 2;
	bcopyn(p, name, nlen);		p += nlen;
	*p = 0;				p += 1;
	return p - k;
}

/* The Kent prefix shared by the entries of directory pqid: type, pqid. */
size_t
gefs_packentpfx(uint8_t *k, uint64_t pqid)
{
	k[0] = GEFS_KENT;
	gefs_put64(k + 1, pqid);
	return GEFS_ENTPFXSZ;
}

/* The block type word (§3.1). */
int
gefs_blktype(const uint8_t *blk)
{
	return gefs_get16(blk);
}

/* Kup: 0x02, qid — 9 bytes. */
size_t
gefs_packupkey(uint8_t *k, uint64_t qid)
{
	uint8_t *p = k;

	*p = GEFS_KUP;		p += 1;
	gefs_put64(p, qid);	p += 8;
	return p - k;
}

/* A type byte followed by raw name bytes (Klabel, Kconf). */
static size_t
packnamekey(uint8_t *k, int type, const char *name, size_t n)
{
	if (n > GEFS_KEYMAX - 1)
		n = GEFS_KEYMAX - 1;
	k[0] = (uint8_t)type;
	bcopyn(k + 1, name, n);
	return 1 + n;
}

/* Klabel: 0x03, name — 1 + n bytes (n <= 255). */
size_t
gefs_packlabelkey(uint8_t *k, const char *name, size_t n)
{
	return packnamekey(k, GEFS_KLABEL, name, n);
}

/* Ksnap: 0x04, gen — 9 bytes. */
size_t
gefs_packsnapkey(uint8_t *k, uint64_t gen)
{
	uint8_t *p = k;

	*p = GEFS_KSNAP;	p += 1;
	gefs_put64(p, gen);	p += 8;
	return p - k;
}

/* Kdlist: 0x05, gen, bgen — 17 bytes. */
size_t
gefs_packdlistkey(uint8_t *k, uint64_t gen, uint64_t bgen)
{
	uint8_t *p = k;

	*p = GEFS_KDLIST;	p += 1;
	gefs_put64(p, gen);	p += 8;
	gefs_put64(p, bgen);	p += 8;
	return p - k;
}

/* Kconf: 0x06, name — 1 + n bytes. */
size_t
gefs_packconfkey(uint8_t *k, const char *name, size_t n)
{
	return packnamekey(k, GEFS_KCONF, name, n);
}

/* Fixed-length key check: nk must equal want. */
static int
keylen(size_t nk, size_t want, const char *what, GefsErr *e)
{
	if (nk != want)
		return gefs_seterr(e, EBADMSG, "%s key: length %zu, want %zu", what, nk, want);
	return 0;
}

/* Decode a Kent key: the length field must match and the NUL be present. */
static int
unpackent(GefsKey *key, const uint8_t *k, size_t nk, GefsErr *e)
{
	size_t nlen;

	if (nk < 12)
		return gefs_seterr(e, EBADMSG, "Kent key: length %zu < 12", nk);
	key->qid = gefs_get64(k + 1);
	nlen = gefs_get16(k + 9);
	if (nk != 12 + nlen)
		return gefs_seterr(e, EBADMSG, "Kent key: name length %zu, key length %zu, want %zu",
			nlen, nk, 12 + nlen);
	if (k[nk - 1] != 0)
		return gefs_seterr(e, EBADMSG, "Kent key: no trailing NUL");
	key->name = k + 11;
	key->nlen = nlen;
	return 0;
}

/* Decode and validate key k of nk bytes per its type byte. */
int
gefs_unpackkey(GefsKey *key, const uint8_t *k, size_t nk, GefsErr *e)
{
	memset(key, 0, sizeof *key);
	if (nk == 0)
		return gefs_seterr(e, EBADMSG, "key: empty");
	if (nk > GEFS_KEYMAX)
		return gefs_seterr(e, EBADMSG, "key: length %zu > %d", nk, GEFS_KEYMAX);
	key->type = k[0];
	switch (k[0]) {
	case GEFS_KDAT:
		if (keylen(nk, 17, "Kdat", e) < 0)
			return -1;
		key->qid = gefs_get64(k + 1);
		key->off = gefs_get64(k + 9);
		return 0;
	case GEFS_KENT:
		return unpackent(key, k, nk, e);
	case GEFS_KUP:
		if (keylen(nk, 9, "Kup", e) < 0)
			return -1;
		key->qid = gefs_get64(k + 1);
		return 0;
	case GEFS_KSNAP:
		if (keylen(nk, 9, "Ksnap", e) < 0)
			return -1;
		key->gen = gefs_get64(k + 1);
		return 0;
	case GEFS_KDLIST:
		if (keylen(nk, 17, "Kdlist", e) < 0)
			return -1;
		key->gen = gefs_get64(k + 1);
		key->bgen = gefs_get64(k + 9);
		return 0;
	case GEFS_KLABEL:
	case GEFS_KCONF:
		if (nk < 2)
			return gefs_seterr(e, EBADMSG, "%s key: empty name",
				k[0] == GEFS_KLABEL ? "Klabel" : "Kconf");
		key->name = k + 1;
		key->nlen = nk - 1;
		return 0;
	}
	return gefs_seterr(e, EBADMSG, "key: type %u >= 7", k[0]);
}

/* A file name per §12.6: 1..244 bytes, no control byte, no '/', not . or .. */
int
gefs_namecheck(const uint8_t *name, size_t n, GefsErr *e)
{
	size_t i;

	if (n == 0)
		return gefs_seterr(e, EINVAL, "name: empty");
	if (n > GEFS_NAMEMAX)
		return gefs_seterr(e, EINVAL, "name: length %zu > %d", n, GEFS_NAMEMAX);
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return gefs_seterr(e, EINVAL, "name: \"%.*s\" is reserved", (int)n, name);
	for (i = 0; i < n; i++) {
		if (name[i] < 0x20)
			return gefs_seterr(e, EINVAL, "name: control byte 0x%02x at %zu", name[i], i);
		if (name[i] == '/')
			return gefs_seterr(e, EINVAL, "name: '/' at %zu", i);
	}
	return 0;
}

/* ---- values (§9.4–§9.7, §8.2, §10.4) ---- */

/* Value length check: nv must equal want. */
static int
vallen(size_t nv, size_t want, const char *what, GefsErr *e)
{
	if (nv != want)
		return gefs_seterr(e, EBADMSG, "%s value: length %zu, want %zu", what, nv, want);
	return 0;
}

/*
 * Xdir, the Kent value, 61 bytes (§9.4):
 *
 *	Offset	Size	Field
 *	0	8	flag		reserved, ignored on read
 *	8	8	qid.path
 *	16	4	qid.vers
 *	20	1	qid.type
 *	21	4	mode
 *	25	8	atime		s64 ns
 *	33	8	mtime		s64 ns
 *	41	8	length
 *	49	4	uid		s32
 *	53	4	gid		s32
 *	57	4	muid		s32
 */
void
gefs_packxdir(uint8_t *v, const GefsXdir *d)
{
	uint8_t *p = v;

	gefs_put64(p, d->flag);			p += 8;
	gefs_put64(p, d->qpath);		p += 8;
	gefs_put32(p, d->qvers);		p += 4;
	*p = d->qtype;				p += 1;
	gefs_put32(p, d->mode);			p += 4;
	gefs_put64(p, (uint64_t)d->atime);	p += 8;
	gefs_put64(p, (uint64_t)d->mtime);	p += 8;
	gefs_put64(p, d->length);		p += 8;
	gefs_put32(p, (uint32_t)d->uid);	p += 4;
	gefs_put32(p, (uint32_t)d->gid);	p += 4;
	gefs_put32(p, (uint32_t)d->muid);
}

/* Decode an Xdir; only the length is judged (mode bits are the checker's). */
int
gefs_unpackxdir(GefsXdir *d, const uint8_t *v, size_t nv, GefsErr *e)
{
	const uint8_t *p = v;

	memset(d, 0, sizeof *d);
	if (vallen(nv, GEFS_XDIRSZ, "Xdir", e) < 0)
		return -1;
	d->flag = gefs_get64(p);		p += 8;
	d->qpath = gefs_get64(p);		p += 8;
	d->qvers = gefs_get32(p);		p += 4;
	d->qtype = *p;				p += 1;
	d->mode = gefs_get32(p);		p += 4;
	d->atime = (int64_t)gefs_get64(p);	p += 8;
	d->mtime = (int64_t)gefs_get64(p);	p += 8;
	d->length = gefs_get64(p);		p += 8;
	d->uid = (int32_t)gefs_get32(p);	p += 4;
	d->gid = (int32_t)gefs_get32(p);	p += 4;
	d->muid = (int32_t)gefs_get32(p);
	return 0;
}

/*
 * Klabel value, 13 bytes (§9.5):
 *
 *	Offset	Size	Field
 *	0	1	tag	0x04 (so bytes 0..8 are the Ksnap key)
 *	1	8	gen
 *	9	4	flags	bit 0 Lmut
 */
void
gefs_packlabel(uint8_t *v, const GefsLabel *l)
{
	uint8_t *p = v;

	*p = GEFS_KSNAP;		p += 1;
	gefs_put64(p, l->gen);		p += 8;
	gefs_put32(p, l->flags);
}

/* Decode a Klabel value; the tag must be the Ksnap type byte. */
int
gefs_unpacklabel(GefsLabel *l, const uint8_t *v, size_t nv, GefsErr *e)
{
	memset(l, 0, sizeof *l);
	if (vallen(nv, GEFS_LABELVALSZ, "Klabel", e) < 0)
		return -1;
	if (v[0] != GEFS_KSNAP)
		return gefs_seterr(e, EBADMSG, "Klabel value: tag 0x%02x, want 0x04", v[0]);
	l->gen = gefs_get64(v + 1);
	l->flags = gefs_get32(v + 9);
	return 0;
}

/*
 * Ksnap value, the tree record, 72 bytes (§9.6):
 *
 *	Offset	Size	Field
 *	0	4	nref	s32
 *	4	4	nlbl	s32
 *	8	4	ht	s32
 *	12	4	flag	u32, 0
 *	16	8	gen	s64
 *	24	8	pred	s64
 *	32	8	succ	s64
 *	40	8	base	s64
 *	48	24	root	Bptr
 */
void
gefs_packsnap(uint8_t *v, const GefsSnap *s)
{
	uint8_t *p = v;

	gefs_put32(p, (uint32_t)s->nref);	p += 4;
	gefs_put32(p, (uint32_t)s->nlbl);	p += 4;
	gefs_put32(p, (uint32_t)s->ht);		p += 4;
	gefs_put32(p, s->flag);			p += 4;
	gefs_put64(p, (uint64_t)s->gen);	p += 8;
	gefs_put64(p, (uint64_t)s->pred);	p += 8;
	gefs_put64(p, (uint64_t)s->succ);	p += 8;
	gefs_put64(p, (uint64_t)s->base);	p += 8;
	gefs_packbptr(p, &s->root);
}

/* Decode a tree record; only the length is judged here. */
int
gefs_unpacksnap(GefsSnap *s, const uint8_t *v, size_t nv, GefsErr *e)
{
	const uint8_t *p = v;

	memset(s, 0, sizeof *s);
	if (vallen(nv, GEFS_SNAPVALSZ, "Ksnap", e) < 0)
		return -1;
	s->nref = (int32_t)gefs_get32(p);	p += 4;
	s->nlbl = (int32_t)gefs_get32(p);	p += 4;
	s->ht = (int32_t)gefs_get32(p);		p += 4;
	s->flag = gefs_get32(p);		p += 4;
	s->gen = (int64_t)gefs_get64(p);	p += 8;
	s->pred = (int64_t)gefs_get64(p);	p += 8;
	s->succ = (int64_t)gefs_get64(p);	p += 8;
	s->base = (int64_t)gefs_get64(p);	p += 8;
	gefs_unpackbptr(&s->root, p);
	return 0;
}

/*
 * Kdlist value, 48 bytes (§9.7):
 *
 *	Offset	Size	Field
 *	0	24	hd	Bptr (only addr meaningful)
 *	24	24	tl	Bptr (only addr meaningful)
 */
void
gefs_packdlist(uint8_t *v, const GefsDlist *d)
{
	uint8_t *p = v;

	gefs_packbptr(p, &d->hd);	p += GEFS_PTRSZ;
	gefs_packbptr(p, &d->tl);
}

int
gefs_unpackdlist(GefsDlist *d, const uint8_t *v, size_t nv, GefsErr *e)
{
	memset(d, 0, sizeof *d);
	if (vallen(nv, GEFS_DLISTVALSZ, "Kdlist", e) < 0)
		return -1;
	gefs_unpackbptr(&d->hd, v);
	gefs_unpackbptr(&d->tl, v + GEFS_PTRSZ);
	return 0;
}

/*
 * Pivot entry value, 26 bytes (§8.2):
 *
 *	Offset	Size	Field
 *	0	24	child	Bptr
 *	24	2	fill	the child's fill (§8.4)
 */
void
gefs_packpivval(uint8_t *v, const GefsBptr *bp, uint16_t fill)
{
	uint8_t *p = v;

	gefs_packbptr(p, bp);		p += GEFS_PTRSZ;
	gefs_put16(p, fill);
}

int
gefs_unpackpivval(GefsBptr *bp, uint16_t *fill, const uint8_t *v, size_t nv, GefsErr *e)
{
	memset(bp, 0, sizeof *bp);
	*fill = 0;
	if (vallen(nv, GEFS_PIVVALSZ, "pivot entry", e) < 0)
		return -1;
	gefs_unpackbptr(bp, v);
	*fill = gefs_get16(v + GEFS_PTRSZ);
	return 0;
}

/*
 * Orelink / Oreprev / Oincref operand, 10 bytes (§10.4, §27.1):
 *
 *	Offset	Size	Field
 *	0	8	link	s64
 *	8	1	dlbl	s8
 *	9	1	dref	s8
 */
void
gefs_packrelink(uint8_t *v, const GefsRelink *r)
{
	uint8_t *p = v;

	gefs_put64(p, (uint64_t)r->link);	p += 8;
	*p = (uint8_t)r->dlbl;			p += 1;
	*p = (uint8_t)r->dref;
}

int
gefs_unpackrelink(GefsRelink *r, const uint8_t *v, size_t nv, GefsErr *e)
{
	memset(r, 0, sizeof *r);
	if (vallen(nv, GEFS_RELINKSZ, "relink operand", e) < 0)
		return -1;
	r->link = (int64_t)gefs_get64(v);
	r->dlbl = (int8_t)v[8];
	r->dref = (int8_t)v[9];
	return 0;
}

/* ---- Owstat (§10.3) ---- */

/* Field widths of flag bits 0x01..0x40, in bit order. */
static const uint8_t wstatw[7] = { 8, 4, 8, 8, 4, 4, 4 };

/*
 * Owstat operand (§10.3): a flag byte, then one field per set bit in
 * increasing bit order (offsets depend on the bits set):
 *
 *	Bit	Size	Field
 *	-	1	flags
 *	0x01	8	length
 *	0x02	4	mode (qid.type := mode >> 24)
 *	0x04	8	mtime
 *	0x08	8	atime
 *	0x10	4	uid
 *	0x20	4	gid
 *	0x40	4	muid
 *	0x80	8 or 0	qid.path (never written; read per §10.3)
 *
 * Encode an operand setting the fields named by flags (0x80 is dropped).
 */
size_t
gefs_packwstat(uint8_t *v, uint8_t flags, const GefsXdir *d)
{
	uint8_t *p = v;

	flags &= 0x7f;
	*p = flags;					p += 1;
	if (flags & GEFS_OWSIZE) { gefs_put64(p, d->length);		p += 8; }
	if (flags & GEFS_OWMODE) { gefs_put32(p, d->mode);		p += 4; }
	if (flags & GEFS_OWMTIME) { gefs_put64(p, (uint64_t)d->mtime);	p += 8; }
	if (flags & GEFS_OWATIME) { gefs_put64(p, (uint64_t)d->atime);	p += 8; }
	if (flags & GEFS_OWUID) { gefs_put32(p, (uint32_t)d->uid);	p += 4; }
	if (flags & GEFS_OWGID) { gefs_put32(p, (uint32_t)d->gid);	p += 4; }
	if (flags & GEFS_OWMUID) { gefs_put32(p, (uint32_t)d->muid);	p += 4; }
	return p - v;
}

/* Apply an Owstat operand to d (see gefs.h); d is unchanged on error. */
int
gefs_applywstat(GefsXdir *d, const uint8_t *v, size_t nv, int *qpathbit, GefsErr *e)
{
	const uint8_t *p;
	GefsXdir x;
	size_t n0;
	uint8_t f;
	int i, qbit;

	if (nv == 0)
		return gefs_seterr(e, EBADMSG, "Owstat operand: empty");
	f = v[0];
	n0 = 1;
	for (i = 0; i < 7; i++)
		if (f & (1 << i))
			n0 += wstatw[i];
	qbit = (f & GEFS_OWQPATH) && nv == n0 + 8;
	if (nv != n0 && !qbit)
		return gefs_seterr(e, EBADMSG, "Owstat operand: flags 0x%02x: length %zu, want %zu%s",
			f, nv, n0, (f & GEFS_OWQPATH) ? " or +8" : "");
	x = *d;
	x.qvers++;
	p = v + 1;
	if (f & GEFS_OWSIZE) { x.length = gefs_get64(p);		p += 8; }
	if (f & GEFS_OWMODE) { x.mode = gefs_get32(p); x.qtype = x.mode >> 24; p += 4; }
	if (f & GEFS_OWMTIME) { x.mtime = (int64_t)gefs_get64(p);	p += 8; }
	if (f & GEFS_OWATIME) { x.atime = (int64_t)gefs_get64(p);	p += 8; }
	if (f & GEFS_OWUID) { x.uid = (int32_t)gefs_get32(p);	p += 4; }
	if (f & GEFS_OWGID) { x.gid = (int32_t)gefs_get32(p);	p += 4; }
	if (f & GEFS_OWMUID) { x.muid = (int32_t)gefs_get32(p);	p += 4; }
	if (qbit)
		x.qpath = gefs_get64(p);
	*d = x;
	if (qpathbit != NULL)
		*qpathbit = qbit;
	return 0;
}

/* ---- extension record (§22.2) ---- */

#define XMAGIC	"GEFSXT01"
enum { XVERSION = 1, XHASHOFF = 504 };

/*
 * Extension record, 512 bytes at superblock offset 8192 (§22.2):
 *
 *	Offset	Size	Field
 *	0	8	magic		"GEFSXT01"
 *	8	2	version		1
 *	10	2	size		512
 *	12	4	flags
 *	16	16	uuid
 *	32	2	label_len	0..255
 *	34	256	label		label_len bytes used, rest zero
 *	290	8	ctime		s64 ns
 *	298	206	reserved	zero
 *	504	8	xhash		bufhash of [0, 504)
 *
 * Write the record at rec, reserved bytes zero, xhash last.
 */
void
gefs_packxrec(uint8_t *rec, const GefsXrec *x)
{
	uint8_t *p = rec;
	size_t n = x->labellen > GEFS_LABELMAX ? GEFS_LABELMAX : x->labellen;

	memset(rec, 0, GEFS_XRECSZ);
	memcpy(p, XMAGIC, 8);			p += 8;
	gefs_put16(p, XVERSION);		p += 2;
	gefs_put16(p, GEFS_XRECSZ);		p += 2;
	gefs_put32(p, x->flags);		p += 4;
	memcpy(p, x->uuid, 16);			p += 16;
	gefs_put16(p, (uint16_t)n);		p += 2;
	memcpy(p, x->label, n);			p += 256;
	gefs_put64(p, (uint64_t)x->ctime);
	gefs_put64(rec + XHASHOFF, gefs_bufhash(rec, XHASHOFF));
}

/* Decode a record; invalid unless magic, version, size, xhash agree. */
int
gefs_unpackxrec(GefsXrec *x, const uint8_t *rec, GefsErr *e)
{
	const uint8_t *p = rec;

	memset(x, 0, sizeof *x);
	if (memcmp(p, XMAGIC, 8) != 0)
		return gefs_seterr(e, EBADMSG, "extension record: bad magic");
	p += 8;
	if (gefs_get16(p) != XVERSION)
		return gefs_seterr(e, EBADMSG, "extension record: version %u, want 1", gefs_get16(p));
	p += 2;
	if (gefs_get16(p) != GEFS_XRECSZ)
		return gefs_seterr(e, EBADMSG, "extension record: size %u, want %d",
			gefs_get16(p), GEFS_XRECSZ);
	p += 2;
	if (gefs_get64(rec + XHASHOFF) != gefs_bufhash(rec, XHASHOFF))
		return gefs_seterr(e, EBADMSG, "extension record: xhash mismatch");
	x->flags = gefs_get32(p);		p += 4;
	memcpy(x->uuid, p, 16);			p += 16;
	x->labellen = gefs_get16(p);		p += 2;
	if (x->labellen > GEFS_LABELMAX)
		return gefs_seterr(e, EBADMSG, "extension record: label_len %u > %d",
			x->labellen, GEFS_LABELMAX);
	memcpy(x->label, p, x->labellen);	p += 256;
	x->label[x->labellen] = 0;
	x->ctime = (int64_t)gefs_get64(p);
	return 0;
}

int
gefs_unpacksbxrec(GefsXrec *x, const uint8_t *sbblk, GefsErr *e)
{
	return gefs_unpackxrec(x, sbblk + GEFS_XRECOFF, e);
}

void
gefs_packsbxrec(uint8_t *sbblk, const GefsXrec *x)
{
	gefs_packxrec(sbblk + GEFS_XRECOFF, x);
}

bool
gefs_sbxrecsame(const uint8_t *sbblk0, const uint8_t *sbblk1)
{
	return memcmp(sbblk0 + GEFS_XRECOFF, sbblk1 + GEFS_XRECOFF, GEFS_XRECSZ) == 0;
}

uint64_t
gefs_sbtailhash(const uint8_t *sbblk, uint32_t narena)
{
	size_t p;

	p = gefs_sbhashlen(narena) + 8;
	if (p > GEFS_XRECOFF)
		return 0;
	return gefs_bufhash(sbblk + p, GEFS_XRECOFF - p)
		^ gefs_bufhash(sbblk + GEFS_XRECOFF + GEFS_XRECSZ,
			GEFS_BLKSZ - GEFS_XRECOFF - GEFS_XRECSZ);
}

/* ---- tree nodes (§8) ----
 *
 * Pivot (§8.2):				Leaf (§8.3):
 *	Offset	Size	Field			Offset	Size	Field
 *	0	2	type 1			0	2	type 2
 *	2	2	nval			2	2	nval
 *	4	2	valsz			4	2	valsz
 *	6	2	nbuf			6	16378	entry area, VA = 6
 *	8	2	bufsz
 *	10	8187	entry area, VA = 10
 *	8197	8187	message area, MA = 8197
 *
 * An area starts with its offset table (u16 per item, sorted by key, each
 * relative to the area base); items are packed from the area's end down.
 *
 *	Entry (rel.)			Message (rel.)
 *	0	2	nk		0	1	op
 *	2	nk	key		1	2	nk
 *	2+nk	2	nv		3	nk	key
 *	4+nk	nv	value		3+nk	2	nv
 *					5+nk	nv	value
 *
 * A pivot entry's value is the 26-byte pivot value above.
 */

/* Geometry of one area of a node. */
typedef struct Area {
	int		base;	/* VA or MA */
	int		space;	/* area size */
	int		ismsg;	/* messages: 1-byte op before the key */
	const char	*what;	/* "entry" or "message" */
} Area;

static const Area leafarea = { GEFS_LEAFVA, GEFS_LEAFSPC, 0, "entry" };
static const Area pivarea = { GEFS_PIVVA, GEFS_PIVSPC, 0, "entry" };
static const Area msgarea = { GEFS_PIVMA, GEFS_BUFSPC, 1, "message" };

/* Spans of an area, (offset << SPANSHIFT) | size: an offset is below
 * 16384 and an entry or message at most 6 + 256 + 512 bytes, so both fit. */
enum { SPANSHIFT = 15, SPANMAX = GEFS_LEAFSPC / 2 + 1 };

static int
spancmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The offset of a span that overlaps the next one, or -1.  Nodes packed
 * as the reference packs them list their entries from the top of the
 * area down, so the common case is checked in one pass; any other order
 * is sorted first. */
static int
overlap(uint32_t *sp, int n)
{
	uint32_t msk = (1u << SPANSHIFT) - 1;
	int i;

	for (i = 1; i < n; i++)
		if ((sp[i] >> SPANSHIFT) + (sp[i] & msk) > (sp[i - 1] >> SPANSHIFT))
			break;
	if (i >= n)
		return -1;
	qsort(sp, (size_t)n, sizeof *sp, spancmp);
	for (i = 1; i < n; i++)
		if ((sp[i - 1] >> SPANSHIFT) + (sp[i - 1] & msk) > (sp[i] >> SPANSHIFT))
			return (int)(sp[i - 1] >> SPANSHIFT);
	return -1;
}

/* Validate entry or message i at relative offset off; *sz gets its size. */
static int
checkent(const uint8_t *a, const Area *ar, int type, int i, int off, int *sz,
	const char *pfx, GefsErr *e)
{
	int h = ar->ismsg, nk, nv, op;

	if (off + h + 2 > ar->space)
		return gefs_seterr(e, EBADMSG, "%s%s %d: offset %d: key length outside the area",
			pfx, ar->what, i, off);
	op = a[off];
	if (ar->ismsg && (op < GEFS_OINSERT || op > GEFS_OINCREF))
		return gefs_seterr(e, EBADMSG, "%s%s %d: op %d not in 1..8", pfx, ar->what, i, op);
	nk = gefs_get16(a + off + h);
	if (nk > GEFS_KEYMAX)
		return gefs_seterr(e, EBADMSG, "%s%s %d: key length %d > %d",
			pfx, ar->what, i, nk, GEFS_KEYMAX);
	if (off + h + 4 + nk > ar->space)
		return gefs_seterr(e, EBADMSG, "%s%s %d: offset %d: key of %d bytes runs past the area",
			pfx, ar->what, i, off, nk);
	nv = gefs_get16(a + off + h + 2 + nk);
	if (nv > GEFS_INLMAX)
		return gefs_seterr(e, EBADMSG, "%s%s %d: value length %d > %d",
			pfx, ar->what, i, nv, GEFS_INLMAX);
	if (type == GEFS_TPIVOT && !ar->ismsg && nv != GEFS_PIVVALSZ)
		return gefs_seterr(e, EBADMSG, "%s%s %d: value length %d, want %d",
			pfx, ar->what, i, nv, GEFS_PIVVALSZ);
	*sz = h + 4 + nk + nv;
	if (off + *sz > ar->space)
		return gefs_seterr(e, EBADMSG, "%s%s %d: offset %d: %d bytes run past the area",
			pfx, ar->what, i, off, *sz);
	return 0;
}

/* Validate one area: n offsets, every entry inside, disjoint, sizes summing to sum. */
static int
checkarea(const uint8_t *blk, const Area *ar, int type, int n, int sum, const char *pfx, GefsErr *e)
{
	const uint8_t *a = blk + ar->base;
	uint32_t span[SPANMAX];
	int i, off, sz = 0, tot;

	if (2 * n + sum > ar->space)
		return gefs_seterr(e, EBADMSG, "%s%d %ss (%d bytes) + %d offset bytes > %d",
			pfx, n, ar->what, sum, 2 * n, ar->space);
	tot = 0;
	for (i = 0; i < n; i++) {
		off = gefs_get16(a + 2 * i);
		if (off < 2 * n || off >= ar->space)
			return gefs_seterr(e, EBADMSG, "%s%s %d: offset %d outside [%d, %d)",
				pfx, ar->what, i, off, 2 * n, ar->space);
		if (checkent(a, ar, type, i, off, &sz, pfx, e) < 0)
			return -1;
		span[i] = (uint32_t)off << SPANSHIFT | (uint32_t)sz;
		tot += sz;
	}
	if ((off = overlap(span, n)) >= 0)
		return gefs_seterr(e, EBADMSG, "%s%s at offset %d overlaps another %s",
			pfx, ar->what, off, ar->what);
	if (tot != sum)
		return gefs_seterr(e, EBADMSG, "%s%s bytes %d, header says %d",
			pfx, ar->what, tot, sum);
	return 0;
}

/* Decode and validate with messages prefixed pfx. */
static int
unpacknode(GefsNode *n, const uint8_t *blk, uint64_t addr, const char *pfx, GefsErr *e)
{
	int type;

	memset(n, 0, sizeof *n);
	type = gefs_get16(blk);
	n->addr = addr;
	n->type = type;
	n->b = blk;
	n->nval = gefs_get16(blk + 2);
	n->valsz = gefs_get16(blk + 4);
	if (type == GEFS_TLEAF)
		return checkarea(blk, &leafarea, type, n->nval, n->valsz, pfx, e);
	n->nbuf = gefs_get16(blk + 6);
	n->bufsz = gefs_get16(blk + 8);
	if (n->nval < 1)
		return gefs_seterr(e, EBADMSG, "%snval 0, want >= 1", pfx);
	if (checkarea(blk, &pivarea, type, n->nval, n->valsz, pfx, e) < 0)
		return -1;
	return checkarea(blk, &msgarea, type, n->nbuf, n->bufsz, pfx, e);
}

void
nodeview(GefsNode *n, const uint8_t *blk, uint64_t addr)
{
	memset(n, 0, sizeof *n);
	n->addr = addr;
	n->type = gefs_get16(blk);
	n->b = blk;
	n->nval = gefs_get16(blk + 2);
	n->valsz = gefs_get16(blk + 4);
	if (n->type == GEFS_TPIVOT) {
		n->nbuf = gefs_get16(blk + 6);
		n->bufsz = gefs_get16(blk + 8);
	}
}

/* Decode and validate the node in blk (see gefs.h).  Nodes are decoded
 * on every visit: the message prefix is formatted only for a node found
 * bad, by decoding it again. */
int
gefs_unpacknode(GefsNode *n, const uint8_t *blk, uint64_t addr, GefsErr *e)
{
	char pfx[64];
	int type = gefs_get16(blk);

	if (type != GEFS_TPIVOT && type != GEFS_TLEAF) {
		memset(n, 0, sizeof *n);
		return gefs_seterr(e, EBADMSG, "%stype %d (%s), want pivot or leaf",
			blkpfx(pfx, sizeof pfx, addr, "node"), type, gefs_typename(type));
	}
	if (unpacknode(n, blk, addr, "", NULL) == 0)
		return 0;
	return unpacknode(n, blk, addr, blkpfx(pfx, sizeof pfx, addr, gefs_typename(type)), e);
}

/* Entry i of a decoded node (0 <= i < nval). */
void
gefs_nodekv(const GefsNode *n, int i, GefsKv *kv)
{
	int base = n->type == GEFS_TLEAF ? GEFS_LEAFVA : GEFS_PIVVA;
	const uint8_t *p;

	p = n->b + base + gefs_get16(n->b + base + 2 * i);
	kv->nk = gefs_get16(p);		p += 2;
	kv->k = p;			p += kv->nk;
	kv->nv = gefs_get16(p);		p += 2;
	kv->v = p;
}

/* Message i of a decoded pivot (0 <= i < nbuf). */
void
gefs_nodemsg(const GefsNode *n, int i, GefsMsg *m)
{
	const uint8_t *p;

	p = n->b + GEFS_PIVMA + gefs_get16(n->b + GEFS_PIVMA + 2 * i);
	m->op = *p;			p += 1;
	m->nk = gefs_get16(p);		p += 2;
	m->k = p;			p += m->nk;
	m->nv = gefs_get16(p);		p += 2;
	m->v = p;
}

/* Bytes the node's contents occupy (§8.4). */
int
gefs_nodefill(const GefsNode *n)
{
	int fill = 2 * n->nval + n->valsz;

	if (n->type == GEFS_TPIVOT)
		fill += 2 * n->nbuf + n->bufsz;
	return fill;
}

/* Start an empty node of type in blk (zeroed: slack stays zero). */
void
gefs_nodeinit(uint8_t *blk, int type)
{
	memset(blk, 0, GEFS_BLKSZ);
	gefs_put16(blk, (uint16_t)type);
}

/* Place sz bytes below the packed ones of area ar; returns where, or NULL
 * (ENOSPC).  cnt and tot are the area's header fields. */
static uint8_t *
place(uint8_t *blk, const Area *ar, uint8_t *cnt, uint8_t *tot, int sz, GefsErr *e)
{
	int n = gefs_get16(cnt), sum = gefs_get16(tot), off;

	if (2 * (n + 1) + sum + sz > ar->space) {
		gefs_seterr(e, ENOSPC, "node: %s of %d bytes does not fit (%d %ss, %d bytes)",
			ar->what, sz, n, ar->what, sum);
		return NULL;
	}
	off = ar->space - sum - sz;
	gefs_put16(blk + ar->base + 2 * n, (uint16_t)off);
	gefs_put16(cnt, (uint16_t)(n + 1));
	gefs_put16(tot, (uint16_t)(sum + sz));
	return blk + ar->base + off;
}

/* Append a key/value entry (see gefs.h). */
/* An entry's bytes: key length, key, value length, value (§8.3); a
 * message has its op byte before them. */
enum { SLOTSZ = 2, ENTLENSZ = 2 + 2, MSGOPSZ = 1 };

size_t
gefs_kvspace(size_t nk, size_t nv)
{
	return SLOTSZ + ENTLENSZ + nk + nv;
}

size_t
gefs_msgspace(size_t nk, size_t nv)
{
	return SLOTSZ + MSGOPSZ + ENTLENSZ + nk + nv;
}

int
gefs_nodeadd(uint8_t *blk, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, GefsErr *e)
{
	int type = gefs_get16(blk);
	uint8_t *p;

	if (type != GEFS_TLEAF && type != GEFS_TPIVOT)
		return gefs_seterr(e, EINVAL, "node: type %d is not a tree node", type);
	if (nk > GEFS_KEYMAX || nv > GEFS_INLMAX)
		return gefs_seterr(e, EINVAL, "node: key %zu or value %zu bytes too long", nk, nv);
	if (type == GEFS_TPIVOT && nv != GEFS_PIVVALSZ)
		return gefs_seterr(e, EINVAL, "node: pivot value %zu bytes, want %d", nv, GEFS_PIVVALSZ);
	p = place(blk, type == GEFS_TLEAF ? &leafarea : &pivarea, blk + 2, blk + 4,
		(int)(gefs_kvspace(nk, nv) - SLOTSZ), e);
	if (p == NULL)
		return -1;
	gefs_put16(p, (uint16_t)nk);	p += 2;
	bcopyn(p, k, nk);		p += nk;
	gefs_put16(p, (uint16_t)nv);	p += 2;
	bcopyn(p, v, nv);
	return 0;
}

/* Append a message to a pivot's buffer (see gefs.h). */
int
gefs_nodeaddmsg(uint8_t *blk, const GefsMsg *m, GefsErr *e)
{
	uint8_t *p;

	if (gefs_get16(blk) != GEFS_TPIVOT)
		return gefs_seterr(e, EINVAL, "node: messages go in pivots only");
	if (m->op < GEFS_OINSERT || m->op > GEFS_OINCREF)
		return gefs_seterr(e, EINVAL, "node: message op %d not in 1..8", m->op);
	if (m->nk > GEFS_KEYMAX || m->nv > GEFS_INLMAX)
		return gefs_seterr(e, EINVAL, "node: message key %u or value %u bytes too long",
			m->nk, m->nv);
	p = place(blk, &msgarea, blk + 6, blk + 8, (int)(gefs_msgspace(m->nk, m->nv) - SLOTSZ), e);
	if (p == NULL)
		return -1;
	*p = m->op;			p += 1;
	gefs_put16(p, m->nk);		p += 2;
	bcopyn(p, m->k, m->nk);		p += m->nk;
	gefs_put16(p, m->nv);		p += 2;
	bcopyn(p, m->v, m->nv);
	return 0;
}

/* ---- inserting into a built pivot (the fast path of §11.4 step 2) ---- */

/* Can messages be packed below the existing ones of the pivot in blk?
 * True when they tile the end of the message area, as every writer packs
 * them (§8.2); a node packed otherwise is rebuilt instead. */
bool
gefs_msgpacked(const GefsNode *n)
{
	int i, off, lo = GEFS_BUFSPC;

	for (i = 0; i < n->nbuf; i++) {
		off = gefs_get16(n->b + GEFS_PIVMA + 2 * i);
		if (off < lo)
			lo = off;
	}
	return GEFS_BUFSPC - lo == n->bufsz;
}

int
gefs_nodeinsmsg(uint8_t *blk, int i, const GefsMsg *m, GefsErr *e)
{
	uint8_t *tab = blk + GEFS_PIVMA;
	int n = gefs_get16(blk + 6);
	uint16_t off;

	if (i < 0 || i > n)
		return gefs_seterr(e, EINVAL, "node: message index %d not in 0..%d", i, n);
	if (gefs_nodeaddmsg(blk, m, e) < 0)
		return -1;
	off = gefs_get16(tab + 2 * n);
	memmove(tab + 2 * (i + 1), tab + 2 * i, (size_t)(n - i) * 2);
	gefs_put16(tab + 2 * i, off);
	return 0;
}

/* ---- Kconf retain values (§17) ---- */

/* One retain item, [count]@[interval](m|h|d): its length, or 0. */
static size_t
retainitem(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == end || *q++ != '@')
		return 0;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == end || (*q != 'm' && *q != 'h' && *q != 'd'))
		return 0;
	return (size_t)(q + 1 - p);
}

long
gefs_retaincheck(const uint8_t *v, size_t n)
{
	const uint8_t *p = v, *end = v + n;
	size_t k;

	while (p < end) {
		if ((k = retainitem(p, end)) == 0)
			return (long)(p - v);
		for (p += k; p < end && (*p == ' ' || *p == '\t'); p++)
			;
	}
	return -1;
}

/* Zero [base + 2·cnt, lowest item) of one area (§8.2: items are packed
 * from the area's end down, after the offset table). */
static void
areaclear(uint8_t *blk, int base, int space, int cnt)
{
	int i, lo = space, o;

	for (i = 0; i < cnt; i++) {
		o = gefs_get16(blk + base + 2 * i);
		if (o < lo)
			lo = o;
	}
	if (lo > 2 * cnt)
		memset(blk + base + 2 * cnt, 0, (size_t)(lo - 2 * cnt));
}

void
nodeclear(uint8_t *blk, const GefsNode *n)
{
	if (n->type == GEFS_TLEAF) {
		areaclear(blk, GEFS_LEAFVA, GEFS_LEAFSPC, n->nval);
		return;
	}
	areaclear(blk, GEFS_PIVVA, GEFS_PIVSPC, n->nval);
	areaclear(blk, GEFS_PIVMA, GEFS_BUFSPC, n->nbuf);
}

/* ---- named fields (gefs-shell's set) ---- */

/* Where a field lives. */
enum {
	Atblk,		/* off bytes into the block */
	Atarena,	/* superblock arena table: 104 + 16·idx + off */
	Atsbhash,	/* after the arena table: 104 + 16·narena */
	Atlogent,	/* allocation-log entry idx; off selects the part */
	Atdlent,	/* deadlist entry idx: 36 + 8·idx */
	Atptr,		/* value of node entry idx (a pointer): + off */
	Atent,		/* node entry idx: off 0 key, 1 value */
	Atmsg,		/* pivot message idx: off 0 key, 1 value, 2 op */
};
enum { Lop, Laddr, Llen, Lqgen };	/* parts of a log entry */

typedef struct Fdef {
	GefsField	f;
	int		at;
	int		off;
} Fdef;

#define NUM(n, w, what)	{ n, GEFS_FNUM, w, what }
#define BYTES(n, what)	{ n, GEFS_FBYTES, 0, what }

/* Offsets as in the layout comments above (§4, §5.1, §6, §7, §8). */
static const Fdef superf[] = {
	{ NUM("blksz", 4, "block size"), Atblk, 8 },
	{ NUM("bufspc", 4, "pivot buffer space"), Atblk, 12 },
	{ NUM("narena", 4, "number of arenas"), Atblk, 16 },
	{ NUM("snap.ht", 4, "snapshot tree height"), Atblk, 20 },
	{ NUM("snap.addr", 8, "snapshot tree root"), Atblk, 24 },
	{ NUM("snap.hash", 8, "its hash"), Atblk, 32 },
	{ NUM("snapdl.hd.addr", 8, "snapshot deadlist head"), Atblk, 40 },
	{ NUM("snapdl.hd.hash", 8, "its hash"), Atblk, 48 },
	{ NUM("snapdl.tl.addr", 8, "snapshot deadlist tail"), Atblk, 56 },
	{ NUM("snapdl.tl.hash", 8, "its hash"), Atblk, 64 },
	{ NUM("flag", 8, "flags"), Atblk, 72 },
	{ NUM("nextqid", 8, "next qid path"), Atblk, 80 },
	{ NUM("nextgen", 8, "next generation"), Atblk, 88 },
	{ NUM("qgen", 8, "log replay barrier"), Atblk, 96 },
	{ NUM("arena[].addr", 8, "arena header address"), Atarena, 0 },
	{ NUM("arena[].hash", 8, "arena header hash"), Atarena, 8 },
	{ NUM("sbhash", 8, "hash of the superblock"), Atsbhash, 0 },
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

static const Fdef arenaf[] = {
	{ NUM("loghd.addr", 8, "first log block"), Atblk, 2 },
	{ NUM("loghd.hash", 8, "its hash (informational)"), Atblk, 10 },
	{ NUM("size", 8, "arena size in bytes"), Atblk, 18 },
	{ NUM("used", 8, "bytes in use"), Atblk, 26 },
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

static const Fdef logf[] = {
	{ NUM("logsz", 2, "body bytes used"), Atblk, 2 },
	{ NUM("logh", 8, "hash of the body"), Atblk, 4 },
	{ NUM("chain", 8, "next log block"), Atblk, 12 },
	{ NUM("entry[].op", 1, "entry op (1 alloc1, 2 free1, 3 sync, 4 alloc, 5 free)"), Atlogent, Lop },
	{ NUM("entry[].addr", 8, "extent start (low 8 bits 0)"), Atlogent, Laddr },
	{ NUM("entry[].len", 8, "extent length (ops 4, 5)"), Atlogent, Llen },
	{ NUM("entry[].qgen", 7, "sync generation (op 3)"), Atlogent, Lqgen },
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

static const Fdef dlistf[] = {
	{ NUM("logsz", 2, "body bytes used"), Atblk, 2 },
	{ NUM("logh", 8, "hash of the body"), Atblk, 4 },
	{ NUM("chain", 8, "next deadlist block"), Atblk, 12 },
	{ NUM("blocks[]", 8, "a dead block's address"), Atdlent, 0 },
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

#define ENTF \
	{ BYTES("entry[].key", "key bytes"), Atent, 0 }, \
	{ BYTES("entry[].value", "value bytes"), Atent, 1 }, \
	{ NUM("entry[].addr", 8, "pointer address"), Atptr, 0 }, \
	{ NUM("entry[].hash", 8, "pointer hash"), Atptr, 8 }, \
	{ NUM("entry[].gen", 8, "pointer generation"), Atptr, 16 }

static const Fdef pivotf[] = {
	{ NUM("nval", 2, "entries"), Atblk, 2 },
	{ NUM("valsz", 2, "entry bytes"), Atblk, 4 },
	{ NUM("nbuf", 2, "buffered messages"), Atblk, 6 },
	{ NUM("bufsz", 2, "message bytes"), Atblk, 8 },
	ENTF,
	{ NUM("entry[].fill", 2, "the child's fill"), Atptr, GEFS_PTRSZ },
	{ NUM("msg[].op", 1, "message op"), Atmsg, 2 },
	{ BYTES("msg[].key", "message key bytes"), Atmsg, 0 },
	{ BYTES("msg[].value", "message value bytes"), Atmsg, 1 },
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

static const Fdef leaff[] = {
	{ NUM("nval", 2, "entries"), Atblk, 2 },
	{ NUM("valsz", 2, "entry bytes"), Atblk, 4 },
	ENTF,
	{ { NULL, 0, 0, NULL }, 0, 0 },
};

static const Fdef *
fdefs(int type)
{
	switch (type) {
	case GEFS_TSUPER:	return superf;
	case GEFS_TARENA:	return arenaf;
	case GEFS_TLOG:		return logf;
	case GEFS_TDLIST:	return dlistf;
	case GEFS_TPIVOT:	return pivotf;
	case GEFS_TLEAF:	return leaff;
	}
	return NULL;
}

/* The public view: GefsField is the first member of every Fdef, but the
 * arrays differ in stride, so a copy per type is kept. */
const GefsField *
gefs_fields(int type)
{
	enum { Maxf = 24 };
	static GefsField tab[6][Maxf];
	static const int types[6] = { GEFS_TSUPER, GEFS_TARENA, GEFS_TLOG, GEFS_TDLIST, GEFS_TPIVOT, GEFS_TLEAF };
	const Fdef *d;
	int i, j;

	for (i = 0; i < 6 && types[i] != type; i++)
		;
	if (i == 6)
		return NULL;
	d = fdefs(type);
	for (j = 0; j < Maxf - 1 && d[j].f.name != NULL; j++)
		tab[i][j] = d[j].f;
	tab[i][j] = (GefsField){ NULL, 0, 0, NULL };
	return tab[i];
}

/* "entry[12].key" -> "entry[].key", *idx 12; -1 when malformed. */
static int
fieldpat(const char *name, char *pat, size_t n, int *idx)
{
	const char *o, *c;
	char *e;
	long v;

	*idx = -1;
	o = strchr(name, '[');
	if (o == NULL)
		return snprintf(pat, n, "%s", name) < (int)n ? 0 : -1;
	c = strchr(o, ']');
	if (c == NULL || c == o + 1 || o[1] == '-' || o[1] == '+')
		return -1;
	v = strtol(o + 1, &e, 10);
	if (e != c || v < 0 || v > GEFS_BLKSZ)
		return -1;
	*idx = (int)v;
	return snprintf(pat, n, "%.*s[]%s", (int)(o - name), name, c + 1) < (int)n ? 0 : -1;
}

static const Fdef *
findfdef(int type, const char *name, int *idx, GefsErr *e)
{
	const Fdef *d;
	char pat[64];

	d = fdefs(type);
	if (d == NULL) {
		gefs_seterr(e, EINVAL, "a block of type %d (%s) has no named fields", type, gefs_typename(type));
		return NULL;
	}
	if (fieldpat(name, pat, sizeof pat, idx) == 0)
		for (; d->f.name != NULL; d++)
			if (strcmp(d->f.name, pat) == 0)
				return d;
	gefs_seterr(e, EINVAL, "%s: no field %s (see help set)", gefs_typename(type), name);
	return NULL;
}

const GefsField *
gefs_field(int type, const char *name, int *idx, GefsErr *e)
{
	const Fdef *d = findfdef(type, name, idx, e);

	return d == NULL ? NULL : &d->f;
}

/* Store num big-endian in w bytes at p (w 1..8). */
static void
putn(uint8_t *p, int w, uint64_t num)
{
	int i;

	for (i = w - 1; i >= 0; i--, num >>= 8)
		p[i] = (uint8_t)num;
}

static int
fits(const char *name, uint64_t num, int w, GefsErr *e)
{
	if (w < 8 && num >> (8 * w) != 0)
		return gefs_seterr(e, EINVAL, "%s: 0x%llx does not fit in %d byte%s", name, (uvlong)num, w,
			w == 1 ? "" : "s");
	return 0;
}

static int
badidx(const char *name, int idx, int n, GefsErr *e)
{
	return gefs_seterr(e, EINVAL, "%s: index %d, the block has %d", name, idx, n);
}

/* Body offset of allocation-log entry idx, and its width; -1 when the
 * entries before it do not decode or the log is shorter. */
static int
logentat(uint8_t *blk, uint64_t addr, const char *name, int idx, size_t *off, int *w, GefsErr *e)
{
	const uint8_t *body = blk + GEFS_LOGHDSZ, *end;
	GefsLogEnt le;
	int i, logsz;

	*w = 0;
	logsz = gefs_get16(blk + 2);
	end = body + (logsz > GEFS_LOGSPC ? GEFS_LOGSPC : logsz);
	*off = 0;
	for (i = 0; body + *off < end; i++, *off += (size_t)*w) {
		*w = gefs_unpacklogent(&le, body + *off, end, addr, *off, e);
		if (*w < 0)
			return -1;
		if (i == idx)
			return 0;
	}
	return badidx(name, idx, i, e);
}

static int
setlogent(const char *name, uint8_t *blk, uint64_t addr, const Fdef *d, int idx, uint64_t num, GefsErr *e)
{
	uint8_t *p;
	uint64_t word;
	size_t off;
	int w = 0;

	if (logentat(blk, addr, name, idx, &off, &w, e) < 0)
		return -1;
	p = blk + GEFS_LOGHDSZ + off;
	word = gefs_get64(p);
	switch (d->off) {
	case Lop:
		word = (word & ~(uint64_t)0xff) | num;
		break;
	case Laddr:
		if ((num & 0xff) != 0)
			return gefs_seterr(e, EINVAL, "%s: 0x%llx has low 8 bits set (the op)", name, (uvlong)num);
		word = num | (word & 0xff);
		break;
	case Lqgen:
		word = num << 8 | (word & 0xff);
		break;
	case Llen:
		if (w != 16)
			return gefs_seterr(e, EINVAL, "%s: entry %d has no len (op %d)", name, idx, (int)(word & 0xff));
		gefs_put64(p + 8, num);
		return 0;
	}
	gefs_put64(p, word);
	return 0;
}

/* The node in blk decoded, and idx checked against its entries (or
 * messages). */
static int
nodeidx(const char *name, GefsNode *n, uint8_t *blk, uint64_t addr, const Fdef *d, int idx, GefsErr *e)
{
	if (gefs_unpacknode(n, blk, addr, e) < 0)
		return -1;
	if (idx >= (d->at == Atmsg ? n->nbuf : n->nval))
		return badidx(name, idx, d->at == Atmsg ? n->nbuf : n->nval, e);
	return 0;
}

/* A pointer field of entry idx: the pivot value, or a leaf's Kdat value. */
static int
setptr(const char *name, uint8_t *blk, uint64_t addr, const Fdef *d, int idx, uint64_t num, GefsErr *e)
{
	GefsNode n;
	GefsKv kv;

	if (nodeidx(name, &n, blk, addr, d, idx, e) < 0)
		return -1;
	gefs_nodekv(&n, idx, &kv);
	if (n.type == GEFS_TLEAF && (kv.nk == 0 || kv.k[0] != GEFS_KDAT || kv.nv != GEFS_PTRSZ))
		return gefs_seterr(e, EINVAL, "%s: entry %d does not hold a pointer (not a Kdat value)", name, idx);
	putn(blk + (kv.v - blk) + d->off, d->f.width, num);
	return 0;
}

/* Repack the items of area ar of the node in blk, item idx's key
 * (part 0) or value (part 1) replaced by b[0,nb).  The offset table keeps
 * its order, so a key put out of order stays out of order. */
static int
repack(uint8_t *blk, const GefsNode *n, const Area *ar, int idx, int part, const uint8_t *b, size_t nb, GefsErr *e)
{
	static const uint8_t none[1];
	uint8_t *old, *cnt, *tot, *p;
	GefsNode on;
	GefsMsg m;
	GefsKv kv;
	int i, cnum, rc;

	old = malloc(GEFS_BLKSZ);
	if (old == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	memcpy(old, blk, GEFS_BLKSZ);
	nodeview(&on, old, n->addr);
	cnt = blk + (ar->ismsg ? 6 : 2);
	tot = cnt + 2;
	cnum = gefs_get16(cnt);
	memset(blk + ar->base, 0, (size_t)ar->space);
	gefs_put16(cnt, 0);
	gefs_put16(tot, 0);
	rc = 0;
	for (i = 0; i < cnum && rc == 0; i++) {
		m.op = 0;
		if (ar->ismsg)
			gefs_nodemsg(&on, i, &m);
		else {
			gefs_nodekv(&on, i, &kv);
			m = (GefsMsg){.k = kv.k, .nk = kv.nk, .v = kv.v, .nv = kv.nv};
		}
		if (i == idx && part == 0)
			m.k = nb > 0 ? b : none, m.nk = (uint16_t)nb;
		if (i == idx && part == 1)
			m.v = nb > 0 ? b : none, m.nv = (uint16_t)nb;
		p = place(blk, ar, cnt, tot, ar->ismsg + 4 + m.nk + m.nv, e);
		if (p == NULL) {
			rc = -1;
			break;
		}
		if (ar->ismsg)
			*p++ = m.op;
		gefs_put16(p, m.nk);		p += 2;
		bcopyn(p, m.k, m.nk);		p += m.nk;
		gefs_put16(p, m.nv);		p += 2;
		bcopyn(p, m.v, m.nv);
	}
	if (rc < 0)
		memcpy(blk, old, GEFS_BLKSZ);	/* all or nothing */
	free(old);
	return rc;
}

static int
setitem(const char *name, uint8_t *blk, uint64_t addr, const Fdef *d, int idx, const uint8_t *b, size_t nb, GefsErr *e)
{
	GefsNode n;

	if (nodeidx(name, &n, blk, addr, d, idx, e) < 0)
		return -1;
	if (nb > (d->off == 0 ? GEFS_KEYMAX : GEFS_INLMAX))
		return gefs_seterr(e, EINVAL, "%s: %zu bytes, at most %d", name, nb,
			d->off == 0 ? GEFS_KEYMAX : GEFS_INLMAX);
	if (d->at == Atmsg)
		return repack(blk, &n, &msgarea, idx, d->off, b, nb, e);
	return repack(blk, &n, n.type == GEFS_TLEAF ? &leafarea : &pivarea, idx, d->off, b, nb, e);
}

static int
setmsgop(const char *name, uint8_t *blk, uint64_t addr, const Fdef *d, int idx, uint64_t num, GefsErr *e)
{
	GefsNode n;

	if (nodeidx(name, &n, blk, addr, d, idx, e) < 0)
		return -1;
	blk[GEFS_PIVMA + gefs_get16(blk + GEFS_PIVMA + 2 * idx)] = (uint8_t)num;
	return 0;
}

/* A number field at a place computed from the block alone. */
static int
setfixed(const char *name, uint8_t *blk, const Fdef *d, int idx, uint64_t num, GefsErr *e)
{
	uint32_t na;

	switch (d->at) {
	case Atblk:
		putn(blk + d->off, d->f.width, num);
		return 0;
	case Atdlent:
		if ((size_t)idx >= gefs_get16(blk + 2) / GEFS_DLENTSZ)
			return badidx(name, idx, gefs_get16(blk + 2) / GEFS_DLENTSZ, e);
		gefs_packdlent(blk, idx, num);
		return 0;
	}
	na = gefs_get32(blk + 16);
	if (na > GEFS_MAXARENA)
		return gefs_seterr(e, EBADMSG, "superblock: narena %u > %d: the table cannot be placed", na, GEFS_MAXARENA);
	if (d->at == Atsbhash)
		putn(blk + gefs_sbhashlen(na), 8, num);
	else if ((uint32_t)idx >= na)
		return badidx(name, idx, (int)na, e);
	else
		putn(blk + GEFS_SBHDSZ + 16 * (size_t)idx + d->off, 8, num);
	return 0;
}

int
gefs_setfield(uint8_t *blk, uint64_t addr, const char *name, uint64_t num, const uint8_t *b, size_t n, GefsErr *e)
{
	const Fdef *d;
	int idx;

	d = findfdef(gefs_get16(blk), name, &idx, e);
	if (d == NULL)
		return -1;
	if ((idx >= 0) != (strchr(d->f.name, '[') != NULL))
		return gefs_seterr(e, EINVAL, "%s: want an index", name);
	if (d->f.kind == GEFS_FBYTES)
		return setitem(name, blk, addr, d, idx, b, n, e);
	if (fits(name, num, d->f.width, e) < 0)
		return -1;
	switch (d->at) {
	case Atlogent:	return setlogent(name, blk, addr, d, idx, num, e);
	case Atptr:	return setptr(name, blk, addr, d, idx, num, e);
	case Atmsg:	return setmsgop(name, blk, addr, d, idx, num, e);
	}
	return setfixed(name, blk, d, idx, num, e);
}
