/* SPDX-License-Identifier: MIT */
/*
 * pack suite: round trips and field offsets of every on-disk structure
 * (FORMAT.md §1–§10, §22.2), the §18.6 worked-example bytes and hashes
 * rebuilt with the encoders, decoder rejections, and the §5.3 layout table.
 */
#include <errno.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "gefs.h"
#include "vectors.h"

enum { B = GEFS_BLKSZ };
#define MB	0x1ff4000ULL	/* §18.6 main root leaf */
#define AB	0x1ff0000ULL	/* adm root leaf */
#define TB	0x1fec000ULL	/* snapshot-tree leaf */
#define UB	0x200c000ULL	/* /users data block */

static const char users[] = "-1:adm::glenda\n0:none::\n1:glenda:glenda:\n";
static const uint8_t rootkey[12] = { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0 };

static uint8_t mbblk[B], abblk[B], tbblk[B], ubblk[B];



static void
test_bptr(void)
{
	GefsBptr a = { 0x1ff4000, 0x6fe6f157eb324dbdULL, 7 }, b;
	uint8_t p[GEFS_PTRSZ];

	gefs_packbptr(p, &a);
	CU_ASSERT_EQUAL(gefs_get64(p), a.addr);
	CU_ASSERT_EQUAL(gefs_get64(p + 8), a.hash);
	CU_ASSERT_EQUAL(gefs_get64(p + 16), a.gen);
	gefs_unpackbptr(&b, p);
	CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
}

/* packsb reproduces the §18.6 superblock; unpacksb reads it back. */
static void
test_superblock(void)
{
	static uint8_t blk[B];
	GefsSb sb, d;
	GefsErr e;
	int i;

	memset(&sb, 0, sizeof sb);
	sb.blksz = B;
	sb.bufspc = GEFS_BUFSPC;
	sb.narena = 8;
	sb.snapht = 1;
	sb.snapaddr = TB;
	sb.snaphash = 0x4c6890046db4e32aULL;
	sb.dlhdaddr = sb.dlhdhash = sb.dltladdr = sb.dltlhash = GEFS_NONE;
	sb.nextqid = 3;
	sb.nextgen = 3;
	for (i = 0; i < 8; i++) {
		sb.arenaaddr[i] = gefs_get64(vec186sb + 104 + 16 * i);
		sb.arenahash[i] = gefs_get64(vec186sb + 112 + 16 * i);
	}
	memset(blk, 0, sizeof blk);
	CU_ASSERT_EQUAL(gefs_sbhashlen(8), 232);
	CU_ASSERT_EQUAL_FATAL(gefs_packsb(blk, &sb, &e), 0);
	CU_ASSERT(memcmp(blk, vec186sb, sizeof vec186sb) == 0);
	CU_ASSERT_EQUAL(sb.sbhash, 0x73eedf60fdbefc49ULL);
	CU_ASSERT_EQUAL(blk[240], 0);
	CU_ASSERT(gefs_sbhashok(blk, 8));
	CU_ASSERT_EQUAL_FATAL(gefs_unpacksb(&d, blk, 0, &e), 0);
	CU_ASSERT(memcmp(&d, &sb, sizeof d) == 0);
	blk[100] ^= 1;
	CU_ASSERT(!gefs_sbhashok(blk, 8));
	CU_ASSERT(!gefs_sbhashok(blk, 300));
	sb.narena = 0;
	CU_ASSERT_EQUAL(gefs_packsb(blk, &sb, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	sb.narena = 256;
	CU_ASSERT_EQUAL(gefs_packsb(blk, &sb, NULL), -1);
	memcpy(blk, vec186sb, sizeof vec186sb);
	gefs_put32(blk + 16, 256);
	CU_ASSERT_EQUAL(gefs_unpacksb(&d, blk, 0, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_STRING_EQUAL(e.msg, "block 0x0 (superblock): narena 256 > 255");
	gefs_put32(blk + 16, 8);
	blk[7] = '1';
	CU_ASSERT_EQUAL(gefs_unpacksb(&d, blk, 0xfffc000, &e), -1);
	CU_ASSERT(strstr(e.msg, "block 0xfffc000 (superblock)") != NULL);
}

/* §18.6 arena 0 header bytes 0..33. */
static void
test_arena(void)
{
	static const uint8_t want[34] = {
		0x00,0x05,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x00,0x27,0xa8,0xa3,0x95,0xbb,0x38,
		0x14,0x7d,0x00,0x00,0x00,0x00,0x01,0xff,0x40,0x00,0x00,0x00,0x00,0x00,0x00,0x01,
		0x80,0x00,
	};
	GefsArenaHdr a = { 0xc000, 0x27a8a395bb38147dULL, 0x1ff4000, 6 * B }, d;
	static uint8_t blk[B];
	GefsErr e;

	memset(blk, 0xaa, sizeof blk);
	gefs_packarena(blk, &a);
	CU_ASSERT(memcmp(blk, want, sizeof want) == 0);
	CU_ASSERT_EQUAL(blk[34], 0xaa);		/* tail untouched */
	CU_ASSERT_EQUAL_FATAL(gefs_unpackarena(&d, blk, 0x4000, &e), 0);
	CU_ASSERT(memcmp(&a, &d, sizeof a) == 0);
	blk[1] = 3;
	CU_ASSERT_EQUAL(gefs_unpackarena(&d, blk, 0x4000, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT(strstr(e.msg, "block 0x4000 (arena)") != NULL);
}

/* Build a log block from entries and compare with §18.6 bytes. */
static void
test_log(void)
{
	static const uint8_t want0[92] = {
		0x00,0x03,0x00,0x38,0xbe,0xdf,0x38,0xd2,0xd7,0x12,0xbe,0xf9,0xff,0xff,0xff,0xff,
		0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
		0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x05,0x00,0x00,0x00,0x00,
		0x01,0xfe,0xc0,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xc0,0x04,0x00,0x00,0x00,0x00,
		0x00,0x00,0x40,0x00,0x00,0x00,0x00,0x00,0x01,0xff,0x40,0x01,0x00,0x00,0x00,0x00,
		0x01,0xff,0x00,0x01,0x00,0x00,0x00,0x00,0x01,0xfe,0xc0,0x01,
	};
	GefsLogEnt ents[] = {
		{ GEFS_LOGFREE, 0xc000, 0x1ff4000 - 2 * B, 0 },
		{ GEFS_LOGALLOC, 0xc000, B, 0 },
		{ GEFS_LOGALLOC1, MB, B, 0 },
		{ GEFS_LOGALLOC1, AB, B, 0 },
		{ GEFS_LOGALLOC1, TB, B, 0 },
	};
	static uint8_t blk[B];
	GefsLogHdr h = { GEFS_TLOG, 0, 0, { GEFS_NONE, GEFS_NONE, GEFS_NONE } }, d;
	GefsLogEnt le;
	GefsErr e;
	size_t off, i;
	int w;

	memset(blk, 0, sizeof blk);
	off = 0;
	for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
		off += gefs_packlogent(blk + GEFS_LOGHDSZ + off, &ents[i]);
	h.logsz = (uint16_t)off;
	gefs_packloghdr(blk, &h);
	CU_ASSERT(memcmp(blk, want0, sizeof want0) == 0);
	CU_ASSERT_EQUAL(h.logh, 0xbedf38d2d712bef9ULL);
	CU_ASSERT_EQUAL(gefs_loghash(blk, 56), h.logh);
	CU_ASSERT_EQUAL_FATAL(gefs_unpackloghdr(&d, blk, GEFS_TLOG, 0xc000, &e), 0);
	CU_ASSERT(d.type == h.type && d.logsz == h.logsz && d.logh == h.logh);
	CU_ASSERT(memcmp(&d.chain, &h.chain, sizeof d.chain) == 0);
	for (i = 0, off = 0; i < sizeof ents / sizeof ents[0]; i++) {
		w = gefs_unpacklogent(&le, blk + GEFS_LOGHDSZ + off, blk + GEFS_LOGHDSZ + h.logsz, 0xc000, off, &e);
		CU_ASSERT_EQUAL_FATAL(w, ents[i].op >= GEFS_LOGALLOC ? 16 : 8);
		CU_ASSERT_EQUAL(le.op, ents[i].op);
		CU_ASSERT_EQUAL(le.addr, ents[i].addr);
		CU_ASSERT_EQUAL(le.len, ents[i].len);
		off += (size_t)w;
	}
	le.op = GEFS_LOGSYNC;
	le.qgen = 0x123456;
	CU_ASSERT_EQUAL(gefs_packlogent(blk, &le), 8);
	CU_ASSERT_EQUAL(gefs_get64(blk), 0x12345603ULL);
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, blk, blk + 8, GEFS_NONE, 0, &e), 8);
	CU_ASSERT_EQUAL(le.qgen, 0x123456);
}

/* §18.6 arena 2 log: logh of the 32-byte body with the dropped barrier after it. */
static void
test_log2(void)
{
	static uint8_t blk[B];
	uint64_t h2 = 0x4000 + 2 * 0x1ffc000ULL;
	GefsLogEnt f = { GEFS_LOGFREE, h2 + 2 * B, 0x1ff4000 - 2 * B, 0 };
	GefsLogEnt a = { GEFS_LOGALLOC, h2 + 2 * B, B, 0 };
	GefsLogEnt s = { GEFS_LOGSYNC, 0, 0, 0 };
	GefsLogHdr h = { GEFS_TLOG, 32, 0, { GEFS_NONE, GEFS_NONE, GEFS_NONE } };

	memset(blk, 0, sizeof blk);
	gefs_packlogent(blk + 36, &f);
	gefs_packlogent(blk + 52, &a);
	gefs_packlogent(blk + 68, &s);
	gefs_packloghdr(blk, &h);
	CU_ASSERT_EQUAL(h.logh, 0x8644e1a5b5ccec7cULL);
	CU_ASSERT_EQUAL(blk[75], 3);
}

static void
test_logbad(void)
{
	static uint8_t blk[B];
	GefsLogHdr d;
	GefsLogEnt le;
	uint8_t p[16];
	GefsErr e;

	memset(blk, 0, sizeof blk);
	gefs_put16(blk, GEFS_TLOG);
	gefs_put16(blk + 2, GEFS_LOGSPC + 1);
	CU_ASSERT_EQUAL(gefs_unpackloghdr(&d, blk, GEFS_TLOG, 0xc000, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_STRING_EQUAL(e.msg, "block 0xc000 (log): logsz 16349 > 16348");
	gefs_put16(blk + 2, 16);
	CU_ASSERT_EQUAL(gefs_unpackloghdr(&d, blk, GEFS_TDLIST, 0xc000, &e), -1);
	gefs_put16(blk, GEFS_TDLIST);
	CU_ASSERT_EQUAL(gefs_unpackloghdr(&d, blk, GEFS_TDLIST, 0xc000, &e), 0);
	gefs_put16(blk + 2, 12);
	CU_ASSERT_EQUAL(gefs_unpackloghdr(&d, blk, GEFS_TDLIST, 0xc000, &e), -1);
	CU_ASSERT_EQUAL(gefs_loghash(blk, 0xffff), gefs_loghash(blk, GEFS_LOGSPC));

	gefs_put64(p, 0x8000);			/* op 0 */
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 8, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.msg, "block 0xc000 (log): entry at body offset 8: bad op 0");
	gefs_put64(p, 0x8006);			/* op 6 */
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 0, &e), -1);
	gefs_put64(p, 0x8101);			/* unaligned */
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 0, &e), -1);
	gefs_put64(p, 0x8001);
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 7, 0xc000, 0, &e), -1);	/* truncated */
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 8, 0xc000, 0, &e), 8);
	gefs_put64(p, 0x8004);
	gefs_put64(p + 8, B);
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 8, 0xc000, 0, &e), -1);	/* 2-wide cut */
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 0, &e), 16);
	gefs_put64(p + 8, 0);
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 0, &e), -1);
	gefs_put64(p + 8, B + 1);
	CU_ASSERT_EQUAL(gefs_unpacklogent(&le, p, p + 16, 0xc000, 0, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
}

static void
test_keys(void)
{
	uint8_t k[GEFS_KEYMAX], big[GEFS_KEYMAX + 1];
	char name[GEFS_NAMEMAX];
	GefsKey key;
	GefsErr e;
	size_t n;

	n = gefs_packdatkey(k, 2, 0x4000);
	CU_ASSERT_EQUAL(n, 17);
	CU_ASSERT_EQUAL(k[0], 0);
	CU_ASSERT_EQUAL(gefs_get64(k + 1), 2);
	CU_ASSERT_EQUAL(gefs_get64(k + 9), 0x4000);
	CU_ASSERT_EQUAL_FATAL(gefs_unpackkey(&key, k, n, &e), 0);
	CU_ASSERT(key.type == GEFS_KDAT && key.qid == 2 && key.off == 0x4000);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 16, &e), -1);

	n = gefs_packentkey(k, 1, "users", 5);
	CU_ASSERT_EQUAL(n, 17);
	CU_ASSERT(memcmp(k, "\x01\0\0\0\0\0\0\0\x01\0\x05users\0", 17) == 0);
	CU_ASSERT_EQUAL_FATAL(gefs_unpackkey(&key, k, n, &e), 0);
	CU_ASSERT(key.type == GEFS_KENT && key.qid == 1 && key.nlen == 5);
	CU_ASSERT(memcmp(key.name, "users", 5) == 0);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, n - 1, &e), -1);	/* length mismatch */
	k[16] = 'x';
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, n, &e), -1);		/* no NUL */
	CU_ASSERT_EQUAL(gefs_packentkey(k, GEFS_NONE, "", 0), 12);
	CU_ASSERT(memcmp(k, rootkey, 12) == 0);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 12, &e), 0);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 11, &e), -1);
	memset(name, 'a', sizeof name);
	CU_ASSERT_EQUAL(gefs_packentkey(k, 5, name, GEFS_NAMEMAX), GEFS_KEYMAX);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, GEFS_KEYMAX, &e), 0);
	memset(big, 0, sizeof big);
	big[0] = GEFS_KCONF;
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, big, sizeof big, &e), -1);	/* > 256 */

	CU_ASSERT_EQUAL(gefs_packupkey(k, 7), 9);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 9, &e), 0);
	CU_ASSERT(key.type == GEFS_KUP && key.qid == 7);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 10, &e), -1);
	CU_ASSERT_EQUAL(gefs_packsnapkey(k, 3), 9);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 9, &e), 0);
	CU_ASSERT(key.type == GEFS_KSNAP && key.gen == 3);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 8, &e), -1);
	CU_ASSERT_EQUAL(gefs_packdlistkey(k, 3, 1), 17);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 17, &e), 0);
	CU_ASSERT(key.type == GEFS_KDLIST && key.gen == 3 && key.bgen == 1);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 9, &e), -1);
	CU_ASSERT_EQUAL(gefs_packlabelkey(k, "main", 4), 5);
	CU_ASSERT(memcmp(k, "\x03main", 5) == 0);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 5, &e), 0);
	CU_ASSERT(key.type == GEFS_KLABEL && key.nlen == 4 && memcmp(key.name, "main", 4) == 0);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 1, &e), -1);
	CU_ASSERT_EQUAL(gefs_packconfkey(k, "x-uuid", 6), 7);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 7, &e), 0);
	CU_ASSERT_EQUAL(key.type, GEFS_KCONF);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 1, &e), -1);
	k[0] = 7;
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 7, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 0, &e), -1);

	CU_ASSERT(gefs_keycmp((const uint8_t *)"ab", 2, (const uint8_t *)"abc", 3) < 0);
	CU_ASSERT(gefs_keycmp((const uint8_t *)"abc", 3, (const uint8_t *)"ab", 2) > 0);
	CU_ASSERT(gefs_keycmp((const uint8_t *)"b", 1, (const uint8_t *)"abc", 3) > 0);
	CU_ASSERT(gefs_keycmp((const uint8_t *)"abc", 3, (const uint8_t *)"abc", 3) == 0);
	CU_ASSERT(gefs_keycmp((const uint8_t *)"", 0, (const uint8_t *)"", 0) == 0);
}

static void
test_names(void)
{
	uint8_t n[GEFS_NAMEMAX + 1];
	GefsErr e;

	memset(n, 'x', sizeof n);
	CU_ASSERT_EQUAL(gefs_namecheck(n, 1, &e), 0);
	CU_ASSERT_EQUAL(gefs_namecheck(n, GEFS_NAMEMAX, &e), 0);
	CU_ASSERT_EQUAL(gefs_namecheck(n, GEFS_NAMEMAX + 1, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck(n, 0, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)".", 1, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"..", 2, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"...", 3, &e), 0);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)".a", 2, &e), 0);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"a/b", 3, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"a\nb", 3, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"a\0b", 3, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"\x1f", 1, &e), -1);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)" ", 1, &e), 0);
	CU_ASSERT_EQUAL(gefs_namecheck((const uint8_t *)"\xc3\xa9\x7f", 3, &e), 0);
}

static void
test_values(void)
{
	GefsXdir x = { 0, 2, 3, 0x80, 0x800001fd, -5, 1700000000000000000LL, 41, -1, -1, 0 }, dx;
	GefsLabel l = { 2, GEFS_LMUT }, dl;
	GefsSnap s = { 2, 1, 1, 0, 0, 0, 2, 0, { MB, 0x6fe6f157eb324dbdULL, 0 } }, ds;
	GefsDlist dd = { { 0x8000, GEFS_NONE, 0 }, { 0xc000, GEFS_NONE, 0 } }, ddl;
	GefsRelink r = { -1, -1, 1 }, dr;
	GefsBptr bp = { 0x4000, 1, 2 }, dbp;
	uint8_t v[GEFS_INLMAX];
	uint16_t fill;
	GefsErr e;

	gefs_packxdir(v, &x);
	CU_ASSERT_EQUAL(gefs_get64(v + 8), 2);
	CU_ASSERT_EQUAL(gefs_get32(v + 16), 3);
	CU_ASSERT_EQUAL(v[20], 0x80);
	CU_ASSERT_EQUAL(gefs_get32(v + 21), 0x800001fd);
	CU_ASSERT_EQUAL(gefs_get64(v + 25), (uint64_t)-5);
	CU_ASSERT_EQUAL(gefs_get64(v + 41), 41);
	CU_ASSERT_EQUAL(gefs_get32(v + 49), 0xffffffff);
	CU_ASSERT_EQUAL(gefs_get32(v + 57), 0);
	CU_ASSERT_EQUAL_FATAL(gefs_unpackxdir(&dx, v, GEFS_XDIRSZ, &e), 0);
	CU_ASSERT(dx.flag == x.flag && dx.qpath == x.qpath && dx.qvers == x.qvers && dx.qtype == x.qtype);
	CU_ASSERT(dx.mode == x.mode && dx.atime == x.atime && dx.mtime == x.mtime && dx.length == x.length);
	CU_ASSERT(dx.uid == x.uid && dx.gid == x.gid && dx.muid == x.muid);
	CU_ASSERT_EQUAL(gefs_unpackxdir(&dx, v, 60, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_EQUAL(gefs_unpackxdir(&dx, v, 62, &e), -1);

	gefs_packlabel(v, &l);
	CU_ASSERT(memcmp(v, "\x04\0\0\0\0\0\0\0\x02\0\0\0\x01", 13) == 0);
	CU_ASSERT_EQUAL(gefs_unpacklabel(&dl, v, 13, &e), 0);
	CU_ASSERT(dl.gen == 2 && dl.flags == 1);
	CU_ASSERT_EQUAL(gefs_unpacklabel(&dl, v, 12, &e), -1);
	v[0] = 5;
	CU_ASSERT_EQUAL(gefs_unpacklabel(&dl, v, 13, &e), -1);

	gefs_packsnap(v, &s);
	CU_ASSERT_EQUAL(gefs_get32(v), 2);
	CU_ASSERT_EQUAL(gefs_get32(v + 8), 1);
	CU_ASSERT_EQUAL(gefs_get64(v + 32), 2);
	CU_ASSERT_EQUAL(gefs_get64(v + 48), MB);
	CU_ASSERT_EQUAL(gefs_unpacksnap(&ds, v, 72, &e), 0);
	CU_ASSERT(memcmp(&ds, &s, sizeof s) == 0);
	CU_ASSERT_EQUAL(gefs_unpacksnap(&ds, v, 71, &e), -1);

	gefs_packdlist(v, &dd);
	CU_ASSERT_EQUAL(gefs_get64(v + 24), 0xc000);
	CU_ASSERT_EQUAL(gefs_unpackdlist(&ddl, v, 48, &e), 0);
	CU_ASSERT(memcmp(&ddl, &dd, sizeof dd) == 0);
	CU_ASSERT_EQUAL(gefs_unpackdlist(&ddl, v, 47, &e), -1);

	gefs_packpivval(v, &bp, 300);
	CU_ASSERT_EQUAL(gefs_get16(v + 24), 300);
	CU_ASSERT_EQUAL(gefs_unpackpivval(&dbp, &fill, v, 26, &e), 0);
	CU_ASSERT(dbp.addr == 0x4000 && dbp.hash == 1 && dbp.gen == 2 && fill == 300);
	CU_ASSERT_EQUAL(gefs_unpackpivval(&dbp, &fill, v, 24, &e), -1);

	gefs_packrelink(v, &r);
	CU_ASSERT(memcmp(v, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10) == 0);
	CU_ASSERT_EQUAL(gefs_unpackrelink(&dr, v, 10, &e), 0);
	CU_ASSERT(dr.link == -1 && dr.dlbl == -1 && dr.dref == 1);
	CU_ASSERT_EQUAL(gefs_unpackrelink(&dr, v, 11, &e), -1);
}

static void
test_wstat(void)
{
	GefsXdir src = { 0, 9, 0, 0, 0x800001ed, 11, 22, 33, 44, 55, 66 };
	GefsXdir d, z;
	uint8_t v[GEFS_WSTATMAX + 8];
	GefsErr e;
	size_t n;
	int q;

	memset(&z, 0, sizeof z);
	n = gefs_packwstat(v, 0xff, &src);	/* 0x80 is never written */
	CU_ASSERT_EQUAL(n, GEFS_WSTATMAX);
	CU_ASSERT_EQUAL(v[0], 0x7f);
	CU_ASSERT_EQUAL(gefs_get64(v + 1), 33);
	CU_ASSERT_EQUAL(gefs_get32(v + 9), 0x800001ed);
	CU_ASSERT_EQUAL(gefs_get64(v + 13), 22);
	CU_ASSERT_EQUAL(gefs_get64(v + 21), 11);
	CU_ASSERT_EQUAL(gefs_get32(v + 29), 44);
	CU_ASSERT_EQUAL(gefs_get32(v + 33), 55);
	CU_ASSERT_EQUAL(gefs_get32(v + 37), 66);
	d = z;
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n, &q, &e), 0);
	CU_ASSERT(d.length == 33 && d.mode == 0x800001ed && d.qtype == 0x80 && d.mtime == 22
		&& d.atime == 11 && d.uid == 44 && d.gid == 55 && d.muid == 66 && d.qvers == 1 && q == 0);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n - 1, &q, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_EQUAL(d.qvers, 1);		/* unchanged on error */
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n + 1, &q, &e), -1);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, 0, &q, &e), -1);

	/* touch: flag 0 bumps the version only */
	v[0] = 0;
	d = z;
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, 1, NULL, &e), 0);
	CU_ASSERT_EQUAL(d.qvers, 1);

	/* 0x80 with no field: no effect */
	n = gefs_packwstat(v, GEFS_OWSIZE, &src);
	v[0] |= GEFS_OWQPATH;
	d = z;
	q = -1;
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n, &q, &e), 0);
	CU_ASSERT(q == 0 && d.length == 33 && d.qpath == 0);
	/* 0x80 with its 8-byte field after the others */
	gefs_put64(v + n, 0x1234);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n + 8, &q, &e), 0);
	CU_ASSERT(q == 1 && d.qpath == 0x1234 && d.qvers == 2);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n + 4, &q, &e), -1);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, n + 16, &q, &e), -1);
	v[0] = GEFS_OWQPATH;
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, 1, &q, &e), 0);
	CU_ASSERT_EQUAL(gefs_applywstat(&d, v, 9, &q, &e), 0);
	CU_ASSERT_EQUAL(q, 1);
}

static void
test_xrec(void)
{
	uint8_t rec[GEFS_XRECSZ];
	GefsXrec x, d;
	GefsErr e;

	memset(&x, 0, sizeof x);
	x.flags = 0;
	memcpy(x.uuid, "0123456789abcdef", 16);
	x.labellen = 4;
	memcpy(x.label, "data", 4);
	x.ctime = 1700000000000000000LL;
	gefs_packxrec(rec, &x);
	CU_ASSERT(memcmp(rec, "GEFSXT01\0\x01\x02\0", 12) == 0);
	CU_ASSERT(memcmp(rec + 16, x.uuid, 16) == 0);
	CU_ASSERT_EQUAL(gefs_get16(rec + 32), 4);
	CU_ASSERT(memcmp(rec + 34, "data", 4) == 0);
	CU_ASSERT_EQUAL(gefs_get64(rec + 290), (uint64_t)x.ctime);
	CU_ASSERT_EQUAL(gefs_get64(rec + 504), gefs_bufhash(rec, 504));
	CU_ASSERT_EQUAL_FATAL(gefs_unpackxrec(&d, rec, &e), 0);
	CU_ASSERT_STRING_EQUAL((char *)d.label, "data");
	CU_ASSERT(d.labellen == 4 && d.ctime == x.ctime && memcmp(d.uuid, x.uuid, 16) == 0);
	rec[300] = 1;
	CU_ASSERT_EQUAL(gefs_unpackxrec(&d, rec, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	gefs_packxrec(rec, &x);
	gefs_put16(rec + 32, 256);
	gefs_put64(rec + 504, gefs_bufhash(rec, 504));
	CU_ASSERT_EQUAL(gefs_unpackxrec(&d, rec, &e), -1);
	gefs_packxrec(rec, &x);
	gefs_put16(rec + 8, 2);
	gefs_put64(rec + 504, gefs_bufhash(rec, 504));
	CU_ASSERT_EQUAL(gefs_unpackxrec(&d, rec, &e), -1);
	memset(rec, 0, sizeof rec);
	CU_ASSERT_EQUAL(gefs_unpackxrec(&d, rec, &e), -1);
}

/* An Xdir as the reference formatter writes it (§18.3). */
static void
fmtxdir(uint8_t *v, uint64_t qpath, uint32_t mode, uint64_t len)
{
	GefsXdir d;

	memset(&d, 0, sizeof d);
	d.qpath = qpath;
	d.qtype = (uint8_t)(mode >> 24);
	d.mode = mode;
	d.length = len;
	d.uid = -1;
	d.gid = -1;
	gefs_packxdir(v, &d);
}

static void
addsnap(uint8_t *blk, int64_t gen, int32_t nref, int64_t succ, uint64_t root, uint64_t hash)
{
	GefsSnap s = { nref, 1, 1, 0, gen, 0, succ, 0, { root, hash, 0 } };
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];

	gefs_packsnap(v, &s);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, gefs_packsnapkey(k, (uint64_t)gen), v, sizeof v, NULL), 0);
}

static void
addlabel(uint8_t *blk, const char *name, uint64_t gen, uint32_t flags)
{
	GefsLabel l = { gen, flags };
	uint8_t k[GEFS_KEYMAX], v[GEFS_LABELVALSZ];

	gefs_packlabel(v, &l);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, gefs_packlabelkey(k, name, strlen(name)), v, sizeof v, NULL), 0);
}

/* The three §18.3 tree leaves and the users block, byte-exact by hash. */
static void
test_fmtleaves(void)
{
	static const uint8_t mhd[] = { 0,2,0,2,0,0x66,0x3f,0xad,0x3f,0x94 };
	static const uint8_t ahd[] = { 0,2,0,4,0,0xe5,0x3f,0xcd,0x3f,0x7b,0x3f,0x2e,0x3f,0x15 };
	static const uint8_t thd[] = { 0,2,0,6,1,0x41,0x3f,0xe5,0x3f,0xce,0x3f,0xb8,0x3f,0x63,0x3f,0x0e,0x3e,0xb9 };
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	GefsBptr ubp;
	uint64_t mh, ah;

	gefs_nodeinit(mbblk, GEFS_TLEAF);
	fmtxdir(v, 0, GEFS_DMDIR | 0775, 0);
	CU_ASSERT_EQUAL(gefs_nodeadd(mbblk, rootkey, 12, v, GEFS_XDIRSZ, NULL), 0);
	CU_ASSERT_EQUAL(gefs_nodeadd(mbblk, k, gefs_packupkey(k, 0), rootkey, 12, NULL), 0);
	CU_ASSERT(memcmp(mbblk, mhd, sizeof mhd) == 0);
	CU_ASSERT_EQUAL(gefs_get16(mbblk + 0x3f9a), 9);		/* Kup entry physically first */
	mh = gefs_blkhash(mbblk);
	CU_ASSERT_EQUAL(mh, 0x6fe6f157eb324dbdULL);

	memset(ubblk, 0, sizeof ubblk);
	memcpy(ubblk, users, sizeof users - 1);
	CU_ASSERT_EQUAL(sizeof users - 1, 41);
	CU_ASSERT_EQUAL(gefs_blkhash(ubblk), 0x6d41f053c56e878dULL);
	ubp.addr = UB;
	ubp.hash = gefs_blkhash(ubblk);
	ubp.gen = 0;
	gefs_nodeinit(abblk, GEFS_TLEAF);
	gefs_packbptr(v, &ubp);
	CU_ASSERT_EQUAL(gefs_nodeadd(abblk, k, gefs_packdatkey(k, 2, 0), v, GEFS_PTRSZ, NULL), 0);
	fmtxdir(v, 2, 0664, 41);
	CU_ASSERT_EQUAL(gefs_nodeadd(abblk, k, gefs_packentkey(k, 1, "users", 5), v, GEFS_XDIRSZ, NULL), 0);
	fmtxdir(v, 1, GEFS_DMDIR | 0775, 0);
	CU_ASSERT_EQUAL(gefs_nodeadd(abblk, rootkey, 12, v, GEFS_XDIRSZ, NULL), 0);
	CU_ASSERT_EQUAL(gefs_nodeadd(abblk, k, gefs_packupkey(k, 1), rootkey, 12, NULL), 0);
	CU_ASSERT(memcmp(abblk, ahd, sizeof ahd) == 0);
	ah = gefs_blkhash(abblk);
	CU_ASSERT_EQUAL(ah, 0x8d41031325289e15ULL);

	gefs_nodeinit(tbblk, GEFS_TLEAF);
	addlabel(tbblk, "adm", 1, GEFS_LMUT);
	addlabel(tbblk, "empty", 0, 0);
	addlabel(tbblk, "main", 2, GEFS_LMUT);
	addsnap(tbblk, 0, 2, 2, MB, mh);
	addsnap(tbblk, 1, 0, -1, AB, ah);
	addsnap(tbblk, 2, 0, -1, MB, mh);
	CU_ASSERT(memcmp(tbblk, thd, sizeof thd) == 0);
	CU_ASSERT_EQUAL(gefs_blkhash(tbblk), 0x4c6890046db4e32aULL);
}

/* Decoding the §18.3 leaves gives back their entries. */
static void
test_unpacknode(void)
{
	GefsNode n;
	GefsKv kv;
	GefsKey key;
	GefsSnap s;
	GefsErr e;

	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, mbblk, MB, &e), 0);
	CU_ASSERT(n.type == GEFS_TLEAF && n.nval == 2 && n.valsz == 102 && n.addr == MB);
	CU_ASSERT_EQUAL(gefs_nodefill(&n), 106);
	gefs_nodekv(&n, 0, &kv);
	CU_ASSERT(kv.nk == 12 && memcmp(kv.k, rootkey, 12) == 0 && kv.nv == GEFS_XDIRSZ);
	gefs_nodekv(&n, 1, &kv);
	CU_ASSERT(kv.nk == 9 && kv.nv == 12 && memcmp(kv.v, rootkey, 12) == 0);

	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, abblk, AB, &e), 0);
	CU_ASSERT_EQUAL(n.nval, 4);
	gefs_nodekv(&n, 1, &kv);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, kv.k, kv.nk, &e), 0);
	CU_ASSERT(key.type == GEFS_KENT && key.nlen == 5 && memcmp(key.name, "users", 5) == 0);

	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, tbblk, TB, &e), 0);
	CU_ASSERT(n.nval == 6 && n.valsz == 0x141);
	gefs_nodekv(&n, 3, &kv);
	CU_ASSERT_EQUAL(gefs_unpacksnap(&s, kv.v, kv.nv, &e), 0);
	CU_ASSERT(s.nref == 2 && s.succ == 2 && s.root.addr == MB);
}

/* A pivot: entries at VA, messages at MA, offsets per the packing rule. */
static void
test_pivot(void)
{
	static uint8_t blk[B];
	uint8_t k[GEFS_KEYMAX], v[GEFS_PIVVALSZ];
	GefsBptr bp = { MB, 1, 0 };
	GefsMsg m, dm;
	GefsNode n;
	GefsKv kv;
	GefsErr e;
	int i;

	gefs_nodeinit(blk, GEFS_TPIVOT);
	gefs_packpivval(v, &bp, 106);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 0, v, sizeof v, &e), 0);	/* empty key */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, gefs_packupkey(k, 5), v, sizeof v, &e), 0);
	CU_ASSERT_EQUAL(gefs_get16(blk + GEFS_PIVVA), GEFS_PIVSPC - 30);
	CU_ASSERT_EQUAL(gefs_get16(blk + GEFS_PIVVA + 2), GEFS_PIVSPC - 30 - 39);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 9, v, 24, &e), -1);		/* pivot values are 26 bytes */
	CU_ASSERT_EQUAL(e.code, EINVAL);
	m.op = GEFS_OINSERT;
	m.k = k;
	m.nk = (uint16_t)gefs_packupkey(k, 6);
	m.v = rootkey;
	m.nv = 12;
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), 0);
	m.op = GEFS_OCLOBBER;
	m.nv = 0;
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), 0);
	CU_ASSERT_EQUAL(gefs_get16(blk + GEFS_PIVMA), GEFS_BUFSPC - 26);
	CU_ASSERT_EQUAL(gefs_get16(blk + GEFS_PIVMA + 2), GEFS_BUFSPC - 26 - 14);
	m.op = 0;
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), -1);
	m.op = 9;
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), -1);
	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	CU_ASSERT(n.type == GEFS_TPIVOT && n.nval == 2 && n.valsz == 69 && n.nbuf == 2 && n.bufsz == 40);
	CU_ASSERT_EQUAL(gefs_nodefill(&n), 4 + 69 + 4 + 40);
	gefs_nodekv(&n, 0, &kv);
	CU_ASSERT(kv.nk == 0 && kv.nv == 26 && gefs_get16(kv.v + 24) == 106);
	gefs_nodemsg(&n, 0, &dm);
	CU_ASSERT(dm.op == GEFS_OINSERT && dm.nk == 9 && dm.nv == 12 && memcmp(dm.v, rootkey, 12) == 0);
	gefs_nodemsg(&n, 1, &dm);
	CU_ASSERT(dm.op == GEFS_OCLOBBER && dm.nv == 0);

	/* fill the message area: ENOSPC, nothing changed */
	m.op = GEFS_OINSERT;
	m.nk = 200;
	m.v = k;
	m.nv = 200;
	memset(k, 1, sizeof k);
	for (i = 0; gefs_nodeaddmsg(blk, &m, &e) == 0; i++)
		;
	CU_ASSERT_EQUAL(e.code, ENOSPC);
	CU_ASSERT_EQUAL(i, (GEFS_BUFSPC - 44) / 407);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	CU_ASSERT(2 * n.nbuf + n.bufsz <= GEFS_BUFSPC);
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(mbblk, &m, &e), -1);		/* not a pivot */
}

/* A leaf of 8 small entries for the corruption cases. */
static void
mkleaf(uint8_t *blk)
{
	uint8_t k[4] = { 3, 'a', 'a', 0 };
	int i;

	gefs_nodeinit(blk, GEFS_TLEAF);
	for (i = 0; i < 8; i++) {
		k[3] = (uint8_t)i;
		CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 4, (const uint8_t *)"value", 5, NULL), 0);
	}
}

static void
test_nodebad(void)
{
	static uint8_t blk[B];
	uint8_t *p;
	GefsNode n;
	GefsErr e;
	uint16_t off7;

	mkleaf(blk);
	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, blk, AB, &e), 0);
	off7 = gefs_get16(blk + GEFS_LEAFVA + 14);
	p = blk + GEFS_LEAFVA + off7;
	gefs_put16(p, 300);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	CU_ASSERT_STRING_EQUAL(e.msg, "block 0x1ff0000 (leaf): entry 7: key length 300 > 256");
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, GEFS_NONE, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.msg, "leaf: entry 7: key length 300 > 256");
	gefs_put16(p, 4);
	gefs_put16(p + 6, 600);				/* value length */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	gefs_put16(p + 6, 5);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), 0);

	/* entry runs past the end of the area */
	gefs_put16(blk + GEFS_LEAFVA, GEFS_LEAFSPC - 10);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	gefs_put16(blk + GEFS_LEAFVA, GEFS_LEAFSPC);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	gefs_put16(blk + GEFS_LEAFVA, 0xffff);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* entry inside the offset table */
	gefs_put16(blk + GEFS_LEAFVA, 14);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* two offsets naming the same bytes, valsz adjusted to match */
	mkleaf(blk);
	gefs_put16(blk + GEFS_LEAFVA + 2, gefs_get16(blk + GEFS_LEAFVA));
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	CU_ASSERT(strstr(e.msg, "overlaps") != NULL);
	/* overlapping by a few bytes */
	mkleaf(blk);
	gefs_put16(blk + GEFS_LEAFVA + 2, (uint16_t)(gefs_get16(blk + GEFS_LEAFVA) - 4));
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* valsz disagreeing with the entries */
	mkleaf(blk);
	gefs_put16(blk + 4, 103);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* huge counts */
	mkleaf(blk);
	gefs_put16(blk + 2, 0xffff);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	mkleaf(blk);
	gefs_put16(blk + 4, 0xffff);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* bad types */
	mkleaf(blk);
	gefs_put16(blk, 0);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	gefs_put16(blk, GEFS_TLOG);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	gefs_put16(blk, 0x6765);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), -1);
	/* an empty leaf is fine */
	gefs_nodeinit(blk, GEFS_TLEAF);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, AB, &e), 0);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, blk, 257, blk, 1, &e), -1);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, blk, 1, blk, 513, &e), -1);
}

static void
test_pivotbad(void)
{
	static uint8_t blk[B];
	uint8_t k[9], v[GEFS_PIVVALSZ];
	GefsBptr bp = { MB, 1, 0 };
	GefsMsg m = { GEFS_OINSERT, k, 9, v, 5 };
	GefsNode n;
	GefsErr e;
	uint8_t *p;

	gefs_packupkey(k, 1);
	gefs_packpivval(v, &bp, 1);
	gefs_nodeinit(blk, GEFS_TPIVOT);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);	/* nval 0 */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 9, v, sizeof v, &e), 0);
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), 0);
	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	/* message op 0 and 9; op 8 accepted */
	p = blk + GEFS_PIVMA + gefs_get16(blk + GEFS_PIVMA);
	*p = 0;
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	CU_ASSERT(strstr(e.msg, "message 0: op 0") != NULL);
	*p = 9;
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	*p = GEFS_OINCREF;
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	/* pivot value of 25 bytes (sizes kept consistent) */
	p = blk + GEFS_PIVVA + gefs_get16(blk + GEFS_PIVVA);
	gefs_put16(p + 2 + 9, 25);
	gefs_put16(blk + 4, (uint16_t)(gefs_get16(blk + 4) - 1));
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(p + 2 + 9, 26);
	gefs_put16(blk + 4, (uint16_t)(gefs_get16(blk + 4) + 1));
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	/* bufsz wrong; message offset outside its area */
	gefs_put16(blk + 8, 1);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + 8, 19);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	gefs_put16(blk + GEFS_PIVMA, GEFS_BUFSPC - 3);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + GEFS_PIVMA, GEFS_BUFSPC - 19);
	gefs_put16(blk + 6, 5000);				/* nbuf too big */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
}

/* §5.3 invariants over many sizes: N in 8..32, arenas contiguous from
 * 16384, tail of 0..N−1 blocks, backup superblock at the last whole block. */
static void
layoutsweep(void)
{
	GefsLayout l;
	uint64_t size, i, x = 0x9e3779b97f4a7c15ULL;
	int k, ok;

	for (k = 0; k < 2000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size = GEFS_MINSIZE + x % (k < 1000 ? (64ULL << 30) : (1ULL << 62));
		if (gefs_layout(&l, size, NULL) != 0) {
			CU_FAIL("layout failed");
			return;
		}
		ok = l.narena >= 8 && l.narena <= 32 && l.arenasz % B == 0
			&& l.arenastart[0] == B && l.sb1 == size - size % B - B
			&& l.tail % B == 0 && l.tail < l.narena * B
			&& l.arenastart[l.narena - 1] + l.arenasz + 2 * B + l.tail == l.sb1
			&& (size - B < (32ULL << 40) ? l.narena == 8 : 1);
		for (i = 1; i < l.narena; i++)
			ok = ok && l.arenastart[i] == l.arenastart[i - 1] + l.arenasz + 2 * B;
		for (; i < 32; i++)
			ok = ok && l.arenastart[i] == 0;
		if (!ok) {
			CU_FAIL("layout invariant");
			return;
		}
	}
	CU_PASS("layout sweep");
}

/* §5.3 examples. */
static void
test_layout(void)
{
	static const struct {
		uint64_t size, n, s, h1, sb1;
	} t[] = {
		{ 134234112ULL, 8, 16728064ULL, 0x1000000ULL, 0x8000000ULL },
		{ 209720320ULL, 8, 26165248ULL, 0x1900000ULL, 0xc7fc000ULL },
		{ 268435456ULL, 8, 33505280ULL, 0x2000000ULL, 0xfffc000ULL },
		{ 1073741824ULL, 8, 134168576ULL, 0x8000000ULL, 0x3fffc000ULL },
		{ 40ULL << 40, 10, 4398046461952ULL, 0x40000000000ULL, 0x27ffffffc000ULL },
		{ 200ULL << 40, 32, 6871947624448ULL, 0x64000000000ULL, 0xc7ffffffc000ULL },
	};
	GefsLayout l;
	GefsErr e;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL_FATAL(gefs_layout(&l, t[i].size, &e), 0);
		CU_ASSERT_EQUAL(l.narena, t[i].n);
		CU_ASSERT_EQUAL(l.arenasz, t[i].s);
		CU_ASSERT_EQUAL(l.arenasz % B, 0);
		CU_ASSERT_EQUAL(l.arenastart[0], B);
		CU_ASSERT_EQUAL(l.arenastart[1], t[i].h1);
		CU_ASSERT_EQUAL(l.sb0, 0);
		CU_ASSERT_EQUAL(l.sb1, t[i].sb1);
		CU_ASSERT_EQUAL(l.devsize, t[i].size);
		CU_ASSERT_EQUAL(l.arenastart[l.narena - 1] + l.arenasz + 2 * B + l.tail, l.sb1);
	}
	CU_ASSERT_EQUAL(gefs_layout(&l, 268435456ULL, &e), 0);
	CU_ASSERT_EQUAL(l.tail, 6 * B);
	CU_ASSERT_EQUAL(l.arenasz, 0x1ff4000ULL);
	CU_ASSERT_EQUAL(l.arenastart[7], 0x4000 + 7 * 0x1ffc000ULL);
	CU_ASSERT_EQUAL(gefs_layout(&l, 137396224ULL, &e), 0);
	CU_ASSERT_EQUAL(l.tail, 0);
	CU_ASSERT_EQUAL(gefs_layout(&l, 134234112ULL + 5000, &e), 0);	/* partial last block */
	CU_ASSERT_EQUAL(l.sb1, 0x8000000ULL);
	CU_ASSERT_EQUAL(gefs_layout(&l, GEFS_MINSIZE - 1, &e), -1);
	CU_ASSERT_EQUAL(e.code, EINVAL);
	CU_ASSERT_EQUAL(gefs_layout(&l, 0, NULL), -1);
	CU_ASSERT_EQUAL(gefs_layout(&l, UINT64_MAX, &e), 0);
	CU_ASSERT_EQUAL(l.narena, 32);
	layoutsweep();
}

/* ---- field offsets against the FORMAT.md tables ---- */

/* A value of n bytes unique to field f: bytes f·8+1 .. f·8+n. */
static uint64_t
pat(int f, int n)
{
	uint64_t v = 0;
	int j;

	for (j = 0; j < n; j++)
		v = v << 8 | (uint8_t)(f * 8 + j + 1);
	return v;
}

/* The n-byte big-endian field at off holds want, and no other field
 * claimed its bytes before (cov marks them). */
static bool
field(const uint8_t *p, uint8_t *cov, size_t off, int n, uint64_t want)
{
	uint64_t v = 0;
	bool fresh = true;
	int j;

	for (j = 0; j < n; j++) {
		v = v << 8 | p[off + j];
		fresh = fresh && cov[off + j] == 0;
		cov[off + j] = 1;
	}
	return fresh && v == want;
}

/* Every byte of [0, n) was claimed by some field. */
static bool
covered(const uint8_t *cov, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cov[i])
			return false;
	return true;
}

/* Bptr at off: addr, hash, gen at +0, +8, +16 (§1.3). */
static bool
bptrat(const uint8_t *p, uint8_t *cov, size_t off, const GefsBptr *bp)
{
	return field(p, cov, off, 8, bp->addr) && field(p, cov, off + 8, 8, bp->hash)
		&& field(p, cov, off + 16, 8, bp->gen);
}

/* §4 superblock table, 3 arenas: every field where the table puts it. */
static void
test_sboffsets(void)
{
	static uint8_t blk[B], cov[B];
	GefsSb sb;
	int i;

	memset(&sb, 0, sizeof sb);
	sb.blksz = (uint32_t)pat(1, 4);
	sb.bufspc = (uint32_t)pat(2, 4);
	sb.narena = 3;
	sb.snapht = (uint32_t)pat(3, 4);
	sb.snapaddr = pat(4, 8);
	sb.snaphash = pat(5, 8);
	sb.dlhdaddr = pat(6, 8);
	sb.dlhdhash = pat(7, 8);
	sb.dltladdr = pat(8, 8);
	sb.dltlhash = pat(9, 8);
	sb.flag = pat(10, 8);
	sb.nextqid = pat(11, 8);
	sb.nextgen = pat(12, 8);
	sb.qgen = pat(13, 8);
	for (i = 0; i < 3; i++) {
		sb.arenaaddr[i] = pat(14 + 2 * i, 8);
		sb.arenahash[i] = pat(15 + 2 * i, 8);
	}
	memset(blk, 0x5a, sizeof blk);
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL_FATAL(gefs_packsb(blk, &sb, NULL), 0);
	CU_ASSERT(memcmp(blk, "gefs9.00", 8) == 0);
	memset(cov, 1, 8);
	CU_ASSERT(field(blk, cov, 8, 4, pat(1, 4)));
	CU_ASSERT(field(blk, cov, 12, 4, pat(2, 4)));
	CU_ASSERT(field(blk, cov, 16, 4, 3));
	CU_ASSERT(field(blk, cov, 20, 4, pat(3, 4)));
	CU_ASSERT(field(blk, cov, 24, 8, pat(4, 8)));
	CU_ASSERT(field(blk, cov, 32, 8, pat(5, 8)));
	CU_ASSERT(field(blk, cov, 40, 8, pat(6, 8)));
	CU_ASSERT(field(blk, cov, 48, 8, pat(7, 8)));
	CU_ASSERT(field(blk, cov, 56, 8, pat(8, 8)));
	CU_ASSERT(field(blk, cov, 64, 8, pat(9, 8)));
	CU_ASSERT(field(blk, cov, 72, 8, pat(10, 8)));
	CU_ASSERT(field(blk, cov, 80, 8, pat(11, 8)));
	CU_ASSERT(field(blk, cov, 88, 8, pat(12, 8)));
	CU_ASSERT(field(blk, cov, 96, 8, pat(13, 8)));
	for (i = 0; i < 3; i++) {
		CU_ASSERT(field(blk, cov, 104 + 16 * i, 8, pat(14 + 2 * i, 8)));
		CU_ASSERT(field(blk, cov, 112 + 16 * i, 8, pat(15 + 2 * i, 8)));
	}
	CU_ASSERT_EQUAL(gefs_sbhashlen(3), 104 + 16 * 3);
	CU_ASSERT(field(blk, cov, 104 + 16 * 3, 8, gefs_bufhash(blk, 104 + 16 * 3)));
	CU_ASSERT(covered(cov, 112 + 16 * 3));
	CU_ASSERT_EQUAL(blk[112 + 16 * 3], 0x5a);	/* tail untouched */
	CU_ASSERT_EQUAL(blk[B - 1], 0x5a);
}

/* §5.1 arena header, §6.1 log header, §6.2 entries. */
static void
test_blkoffsets(void)
{
	static uint8_t blk[B], cov[B];
	GefsArenaHdr a = { pat(1, 8), pat(2, 8), pat(3, 8), pat(4, 8) };
	GefsLogHdr h = { GEFS_TLOG, 8, 0, { pat(5, 8), pat(6, 8), pat(7, 8) } };
	GefsLogEnt le = { GEFS_LOGFREE, 0x123454000ULL, pat(8, 8), 0 };

	memset(blk, 0x5a, sizeof blk);
	memset(cov, 0, sizeof cov);
	gefs_packarena(blk, &a);
	CU_ASSERT(field(blk, cov, 0, 2, 5));
	CU_ASSERT(field(blk, cov, 2, 8, pat(1, 8)));
	CU_ASSERT(field(blk, cov, 10, 8, pat(2, 8)));
	CU_ASSERT(field(blk, cov, 18, 8, pat(3, 8)));
	CU_ASSERT(field(blk, cov, 26, 8, pat(4, 8)));
	CU_ASSERT(covered(cov, 34));
	CU_ASSERT_EQUAL(blk[34], 0x5a);

	memset(cov, 0, sizeof cov);
	gefs_put64(blk + 36, pat(9, 8));
	gefs_packloghdr(blk, &h);
	CU_ASSERT(field(blk, cov, 0, 2, GEFS_TLOG));
	CU_ASSERT(field(blk, cov, 2, 2, 8));
	CU_ASSERT(field(blk, cov, 4, 8, gefs_bufhash(blk + 36, 8)));
	CU_ASSERT(bptrat(blk, cov, 12, &h.chain));
	CU_ASSERT(covered(cov, 36));
	h.type = GEFS_TDLIST;
	gefs_packloghdr(blk, &h);
	CU_ASSERT_EQUAL(gefs_get16(blk), 4);

	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packlogent(blk, &le), 16);
	CU_ASSERT(field(blk, cov, 0, 8, 0x123454000ULL | 5));
	CU_ASSERT(field(blk, cov, 8, 8, pat(8, 8)));
	le.op = GEFS_LOGFREE1;
	CU_ASSERT_EQUAL(gefs_packlogent(blk, &le), 8);
	CU_ASSERT_EQUAL(gefs_get64(blk), 0x123454000ULL | 2);
}

/* §9.1 keys, §9.4–§9.7 values, §8.2 pivot value, §10.4 operand. */
static void
test_valoffsets(void)
{
	GefsXdir x = { pat(1, 8), pat(2, 8), (uint32_t)pat(3, 4), (uint8_t)pat(4, 1),
		(uint32_t)pat(5, 4), (int64_t)pat(6, 8), (int64_t)pat(7, 8), pat(8, 8),
		(int32_t)pat(9, 4), (int32_t)pat(10, 4), (int32_t)pat(11, 4) };
	GefsLabel l = { pat(1, 8), (uint32_t)pat(2, 4) };
	GefsSnap s = { (int32_t)pat(1, 4), (int32_t)pat(2, 4), (int32_t)pat(3, 4),
		(uint32_t)pat(4, 4), (int64_t)pat(5, 8), (int64_t)pat(6, 8), (int64_t)pat(7, 8),
		(int64_t)pat(8, 8), { pat(9, 8), pat(10, 8), pat(11, 8) } };
	GefsDlist d = { { pat(1, 8), pat(2, 8), pat(3, 8) }, { pat(4, 8), pat(5, 8), pat(6, 8) } };
	GefsBptr bp = { pat(1, 8), pat(2, 8), pat(3, 8) };
	GefsRelink r = { (int64_t)pat(1, 8), (int8_t)pat(2, 1), (int8_t)pat(3, 1) };
	uint8_t v[GEFS_KEYMAX + GEFS_INLMAX], cov[GEFS_KEYMAX + GEFS_INLMAX];

	memset(cov, 0, sizeof cov);
	gefs_packxdir(v, &x);
	CU_ASSERT(field(v, cov, 0, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 8, 8, pat(2, 8)));
	CU_ASSERT(field(v, cov, 16, 4, pat(3, 4)));
	CU_ASSERT(field(v, cov, 20, 1, pat(4, 1)));
	CU_ASSERT(field(v, cov, 21, 4, pat(5, 4)));
	CU_ASSERT(field(v, cov, 25, 8, pat(6, 8)));
	CU_ASSERT(field(v, cov, 33, 8, pat(7, 8)));
	CU_ASSERT(field(v, cov, 41, 8, pat(8, 8)));
	CU_ASSERT(field(v, cov, 49, 4, pat(9, 4)));
	CU_ASSERT(field(v, cov, 53, 4, pat(10, 4)));
	CU_ASSERT(field(v, cov, 57, 4, pat(11, 4)));
	CU_ASSERT(covered(cov, GEFS_XDIRSZ) && !cov[GEFS_XDIRSZ]);

	memset(cov, 0, sizeof cov);
	gefs_packlabel(v, &l);
	CU_ASSERT(field(v, cov, 0, 1, 4));
	CU_ASSERT(field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 9, 4, pat(2, 4)));
	CU_ASSERT(covered(cov, GEFS_LABELVALSZ));

	memset(cov, 0, sizeof cov);
	gefs_packsnap(v, &s);
	CU_ASSERT(field(v, cov, 0, 4, pat(1, 4)));
	CU_ASSERT(field(v, cov, 4, 4, pat(2, 4)));
	CU_ASSERT(field(v, cov, 8, 4, pat(3, 4)));
	CU_ASSERT(field(v, cov, 12, 4, pat(4, 4)));
	CU_ASSERT(field(v, cov, 16, 8, pat(5, 8)));
	CU_ASSERT(field(v, cov, 24, 8, pat(6, 8)));
	CU_ASSERT(field(v, cov, 32, 8, pat(7, 8)));
	CU_ASSERT(field(v, cov, 40, 8, pat(8, 8)));
	CU_ASSERT(bptrat(v, cov, 48, &s.root));
	CU_ASSERT(covered(cov, GEFS_SNAPVALSZ));

	memset(cov, 0, sizeof cov);
	gefs_packdlist(v, &d);
	CU_ASSERT(bptrat(v, cov, 0, &d.hd));
	CU_ASSERT(bptrat(v, cov, 24, &d.tl));
	CU_ASSERT(covered(cov, GEFS_DLISTVALSZ));

	memset(cov, 0, sizeof cov);
	gefs_packpivval(v, &bp, (uint16_t)pat(4, 2));
	CU_ASSERT(bptrat(v, cov, 0, &bp));
	CU_ASSERT(field(v, cov, 24, 2, pat(4, 2)));
	CU_ASSERT(covered(cov, GEFS_PIVVALSZ));

	memset(cov, 0, sizeof cov);
	gefs_packrelink(v, &r);
	CU_ASSERT(field(v, cov, 0, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 8, 1, pat(2, 1)));
	CU_ASSERT(field(v, cov, 9, 1, pat(3, 1)));
	CU_ASSERT(covered(cov, GEFS_RELINKSZ));

	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packdatkey(v, pat(1, 8), pat(2, 8)), 17);
	CU_ASSERT(field(v, cov, 0, 1, GEFS_KDAT));
	CU_ASSERT(field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 9, 8, pat(2, 8)));
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packentkey(v, pat(1, 8), "abc", 3), 15);
	CU_ASSERT(field(v, cov, 0, 1, GEFS_KENT));
	CU_ASSERT(field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 9, 2, 3));
	CU_ASSERT(field(v, cov, 11, 3, 0x616263));
	CU_ASSERT(field(v, cov, 14, 1, 0));
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packdlistkey(v, pat(1, 8), pat(2, 8)), 17);
	CU_ASSERT(field(v, cov, 0, 1, GEFS_KDLIST));
	CU_ASSERT(field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 9, 8, pat(2, 8)));
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packupkey(v, pat(1, 8)), 9);
	CU_ASSERT(field(v, cov, 0, 1, GEFS_KUP) && field(v, cov, 1, 8, pat(1, 8)));
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packsnapkey(v, pat(1, 8)), 9);
	CU_ASSERT(field(v, cov, 0, 1, GEFS_KSNAP) && field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT_EQUAL(gefs_packconfkey(v, "ab", 2), 3);
	CU_ASSERT(memcmp(v, "\x06" "ab", 3) == 0);
}

/* §10.3: fields follow the flag byte in bit order, only the bits set. */
static void
test_wstatoffsets(void)
{
	GefsXdir x = { 0, 0, 0, 0, (uint32_t)pat(2, 4), (int64_t)pat(4, 8), (int64_t)pat(3, 8),
		pat(1, 8), (int32_t)pat(5, 4), (int32_t)pat(6, 4), (int32_t)pat(7, 4) };
	uint8_t v[GEFS_WSTATMAX], cov[GEFS_WSTATMAX];

	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packwstat(v, GEFS_OWMODE | GEFS_OWATIME | GEFS_OWMUID, &x), 17);
	CU_ASSERT(field(v, cov, 0, 1, 0x4a));
	CU_ASSERT(field(v, cov, 1, 4, pat(2, 4)));
	CU_ASSERT(field(v, cov, 5, 8, pat(4, 8)));
	CU_ASSERT(field(v, cov, 13, 4, pat(7, 4)));
	memset(cov, 0, sizeof cov);
	CU_ASSERT_EQUAL(gefs_packwstat(v, GEFS_OWSIZE | GEFS_OWMTIME | GEFS_OWUID | GEFS_OWGID, &x), 25);
	CU_ASSERT(field(v, cov, 0, 1, 0x35));
	CU_ASSERT(field(v, cov, 1, 8, pat(1, 8)));
	CU_ASSERT(field(v, cov, 9, 8, pat(3, 8)));
	CU_ASSERT(field(v, cov, 17, 4, pat(5, 4)));
	CU_ASSERT(field(v, cov, 21, 4, pat(6, 4)));
}

/* §22.2 extension record. */
static void
test_xrecoffsets(void)
{
	uint8_t rec[GEFS_XRECSZ], cov[GEFS_XRECSZ];
	GefsXrec x;
	int i;

	memset(&x, 0, sizeof x);
	x.flags = (uint32_t)pat(1, 4);
	for (i = 0; i < 16; i++)
		x.uuid[i] = (uint8_t)(0xa0 + i);
	x.labellen = 255;
	memset(x.label, 'L', 255);
	x.ctime = (int64_t)pat(2, 8);
	memset(cov, 0, sizeof cov);
	gefs_packxrec(rec, &x);
	CU_ASSERT(memcmp(rec, "GEFSXT01", 8) == 0);
	memset(cov, 1, 8);
	CU_ASSERT(field(rec, cov, 8, 2, 1));
	CU_ASSERT(field(rec, cov, 10, 2, 512));
	CU_ASSERT(field(rec, cov, 12, 4, pat(1, 4)));
	CU_ASSERT(field(rec, cov, 16, 8, 0xa0a1a2a3a4a5a6a7ULL));
	CU_ASSERT(field(rec, cov, 24, 8, 0xa8a9aaabacadaeafULL));
	CU_ASSERT(field(rec, cov, 32, 2, 255));
	CU_ASSERT(rec[34] == 'L' && rec[34 + 254] == 'L' && rec[34 + 255] == 0);
	memset(cov + 34, 1, 256);
	CU_ASSERT(field(rec, cov, 290, 8, pat(2, 8)));
	for (i = 298; i < 504; i++)
		CU_ASSERT_EQUAL(rec[i], 0);
	memset(cov + 298, 1, 206);
	CU_ASSERT(field(rec, cov, 504, 8, gefs_bufhash(rec, 504)));
	CU_ASSERT(covered(cov, GEFS_XRECSZ));
}

/* §8.2/§8.3: header fields, offset tables at VA/MA, item layout, and the
 * reference's packing: the k-th item added sits at area_size − Σ sizes. */
static void
test_nodeoffsets(void)
{
	static uint8_t blk[B];
	static const uint8_t k1[] = { 3, 'a' }, k2[] = { 3, 'b', 'b', 'b' }, k3[] = { 3, 'c', 'c' };
	uint8_t v[GEFS_PIVVALSZ], *p;
	GefsBptr bp = { pat(1, 8), pat(2, 8), pat(3, 8) };
	GefsMsg m1 = { GEFS_OINSERT, k1, 2, (const uint8_t *)"xyz", 3 };
	GefsMsg m2 = { GEFS_ODELETE, k2, 4, NULL, 0 };
	int i;

	memset(blk, 0x77, sizeof blk);
	gefs_nodeinit(blk, GEFS_TLEAF);
	for (i = 0; i < B; i++)
		if (blk[i] != (i == 1 ? 2 : 0))
			break;
	CU_ASSERT_EQUAL(i, B);			/* zeroed, type 2 */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k1, 2, (const uint8_t *)"12345", 5, NULL), 0);	/* 11 */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k2, 4, (const uint8_t *)"1", 1, NULL), 0);		/* 9 */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k3, 3, NULL, 0, NULL), 0);				/* 7 */
	CU_ASSERT_EQUAL(gefs_get16(blk + 0), 2);
	CU_ASSERT_EQUAL(gefs_get16(blk + 2), 3);
	CU_ASSERT_EQUAL(gefs_get16(blk + 4), 27);
	CU_ASSERT_EQUAL(gefs_get16(blk + 6), 16378 - 11);
	CU_ASSERT_EQUAL(gefs_get16(blk + 8), 16378 - 20);
	CU_ASSERT_EQUAL(gefs_get16(blk + 10), 16378 - 27);
	p = blk + 6 + 16378 - 11;
	CU_ASSERT(gefs_get16(p) == 2 && memcmp(p + 2, k1, 2) == 0);
	CU_ASSERT(gefs_get16(p + 4) == 5 && memcmp(p + 6, "12345", 5) == 0);
	CU_ASSERT_EQUAL(p + 11, blk + B);	/* first entry ends the block */
	p = blk + 6 + 16378 - 27;
	CU_ASSERT(gefs_get16(p) == 3 && gefs_get16(p + 5) == 0);
	CU_ASSERT_EQUAL(blk[12], 0);		/* slack between table and entries */

	gefs_nodeinit(blk, GEFS_TPIVOT);
	CU_ASSERT_EQUAL(gefs_get16(blk), 1);
	gefs_packpivval(v, &bp, 0x1234);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k1, 2, v, sizeof v, NULL), 0);	/* 32 */
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k2, 4, v, sizeof v, NULL), 0);	/* 34 */
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m1, NULL), 0);			/* 10 */
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m2, NULL), 0);			/* 9 */
	CU_ASSERT_EQUAL(gefs_get16(blk + 2), 2);
	CU_ASSERT_EQUAL(gefs_get16(blk + 4), 66);
	CU_ASSERT_EQUAL(gefs_get16(blk + 6), 2);
	CU_ASSERT_EQUAL(gefs_get16(blk + 8), 19);
	CU_ASSERT_EQUAL(gefs_get16(blk + 10), 8187 - 32);
	CU_ASSERT_EQUAL(gefs_get16(blk + 12), 8187 - 66);
	CU_ASSERT_EQUAL(gefs_get16(blk + 8197), 8187 - 10);
	CU_ASSERT_EQUAL(gefs_get16(blk + 8199), 8187 - 19);
	p = blk + 10 + 8187 - 32;		/* entry: nk, key, nv 26, Bptr, fill */
	CU_ASSERT(gefs_get16(p) == 2 && memcmp(p + 2, k1, 2) == 0 && gefs_get16(p + 4) == 26);
	CU_ASSERT(gefs_get64(p + 6) == bp.addr && gefs_get64(p + 14) == bp.hash && gefs_get64(p + 22) == bp.gen);
	CU_ASSERT_EQUAL(gefs_get16(p + 30), 0x1234);
	CU_ASSERT_EQUAL(p + 32, blk + 8197);	/* entry area ends where messages start */
	p = blk + 8197 + 8187 - 10;		/* message: op, nk, key, nv, value */
	CU_ASSERT(p[0] == GEFS_OINSERT && gefs_get16(p + 1) == 2 && memcmp(p + 3, k1, 2) == 0);
	CU_ASSERT(gefs_get16(p + 5) == 3 && memcmp(p + 7, "xyz", 3) == 0);
	CU_ASSERT_EQUAL(p + 10, blk + B);
	p = blk + 8197 + 8187 - 19;
	CU_ASSERT(p[0] == GEFS_ODELETE && gefs_get16(p + 1) == 4 && gefs_get16(p + 7) == 0);
}

/* §18.6 arena 2 log block, bytes 0..75, from packlogent + packloghdr. */
static void
test_log2bytes(void)
{
	static const uint8_t want[76] = {
		0x00,0x03,0x00,0x20,0x86,0x44,0xe1,0xa5,0xb5,0xcc,0xec,0x7c,0xff,0xff,0xff,0xff,
		0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
		0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x04,0x00,0x40,0x05,0x00,0x00,0x00,0x00,
		0x01,0xfe,0xc0,0x00,0x00,0x00,0x00,0x00,0x04,0x00,0x40,0x04,0x00,0x00,0x00,0x00,
		0x00,0x00,0x40,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x03,
	};
	static uint8_t blk[B];
	uint64_t h2 = 0x4000 + 2 * 0x1ffc000ULL;
	GefsLogEnt f = { GEFS_LOGFREE, h2 + 2 * B, 0x1ff4000 - 2 * B, 0 };
	GefsLogEnt a = { GEFS_LOGALLOC, h2 + 2 * B, B, 0 };
	GefsLogEnt s = { GEFS_LOGSYNC, 0, 0, 0 };
	GefsLogHdr h = { GEFS_TLOG, 0, 0, { GEFS_NONE, GEFS_NONE, GEFS_NONE } };
	size_t off = GEFS_LOGHDSZ;
	int i;

	memset(blk, 0, sizeof blk);
	off += gefs_packlogent(blk + off, &f);
	off += gefs_packlogent(blk + off, &a);
	h.logsz = (uint16_t)(off - GEFS_LOGHDSZ);	/* the barrier after it was dropped */
	off += gefs_packlogent(blk + off, &s);
	gefs_packloghdr(blk, &h);
	CU_ASSERT(memcmp(blk, want, sizeof want) == 0);
	for (i = (int)sizeof want; i < B && blk[i] == 0; i++)
		;
	CU_ASSERT_EQUAL(i, B);
}

/* §18.6 main root leaf: the packed entries from byte 16282 to the end. */
static void
test_mbbytes(void)
{
	static const uint8_t want[102] = {
		0x00,0x09,0x02,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x0c,0x01,0xff,0xff,
		0xff,0xff,0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x0c,0x01,0xff,0xff,0xff,0xff,
		0xff,0xff,0xff,0xff,0x00,0x00,0x00,0x00,0x3d,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
		0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x80,0x80,0x00,
		0x01,0xfd,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
		0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xff,0xff,0xff,0xff,0xff,0xff,
		0xff,0xff,0x00,0x00,0x00,0x00,
	};
	int i;

	/* mbblk was built by test_fmtleaves */
	CU_ASSERT_EQUAL(0x3f9a, 16282);
	CU_ASSERT(memcmp(mbblk + 0x3f9a, want, sizeof want) == 0);
	for (i = 10; i < 0x3f9a && mbblk[i] == 0; i++)
		;
	CU_ASSERT_EQUAL(i, 0x3f9a);
}

/* Message-area and key rejections: lengths, offsets into the table. */
static void
test_msgbad(void)
{
	static uint8_t blk[B];
	uint8_t k[GEFS_KEYMAX], v[GEFS_PIVVALSZ], *p;
	GefsBptr bp = { MB, 1, 0 };
	GefsMsg m = { GEFS_OWSTAT, k, 9, v, 1 };
	GefsNode n;
	GefsKey key;
	GefsErr e;

	memset(k, 0, sizeof k);
	gefs_packupkey(k, 1);
	gefs_packpivval(v, &bp, 1);
	gefs_nodeinit(blk, GEFS_TPIVOT);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 9, v, sizeof v, &e), 0);
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), 0);
	CU_ASSERT_EQUAL(gefs_nodeaddmsg(blk, &m, &e), 0);
	CU_ASSERT_EQUAL_FATAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	p = blk + GEFS_PIVMA + gefs_get16(blk + GEFS_PIVMA + 2);
	gefs_put16(p + 1, 257);				/* message key length */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.msg, "block 0x8000 (pivot): message 1: key length 257 > 256");
	gefs_put16(p + 1, 9);
	gefs_put16(p + 3 + 9, 513);			/* message value length */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	gefs_put16(p + 3 + 9, 1);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), 0);
	gefs_put16(blk + GEFS_PIVMA + 2, 2);		/* message 1 inside the table */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + GEFS_PIVMA + 2, gefs_get16(blk + GEFS_PIVMA));	/* same as message 0 */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + GEFS_PIVMA + 2, GEFS_BUFSPC - 1);	/* op byte only */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + GEFS_PIVMA + 2, 0xffff);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	/* pivot entry inside the table; a second pivot entry past the area */
	gefs_nodeinit(blk, GEFS_TPIVOT);
	CU_ASSERT_EQUAL(gefs_nodeadd(blk, k, 9, v, sizeof v, &e), 0);
	gefs_put16(blk + GEFS_PIVVA, 0);
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);
	gefs_put16(blk + GEFS_PIVVA, GEFS_PIVSPC - 30);	/* 39-byte entry across MA */
	CU_ASSERT_EQUAL(gefs_unpacknode(&n, blk, 0x8000, &e), -1);

	/* Kent with a huge length field, or a length that disagrees */
	CU_ASSERT_EQUAL(gefs_packentkey(k, 1, "ab", 2), 14);
	gefs_put16(k + 9, 0xffff);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 14, &e), -1);
	CU_ASSERT_EQUAL(e.code, EBADMSG);
	gefs_put16(k + 9, 3);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 14, &e), -1);
	k[0] = 0xff;
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, 14, &e), -1);
	CU_ASSERT_EQUAL(gefs_unpackkey(&key, k, GEFS_KEYMAX + 1, &e), -1);
	/* values: truncated and oversize */
	CU_ASSERT_EQUAL(gefs_unpackxdir(&(GefsXdir){0}, v, 0, &e), -1);
	CU_ASSERT_EQUAL(gefs_unpacklabel(&(GefsLabel){0}, v, 0xffff, &e), -1);
	CU_ASSERT_EQUAL(gefs_unpacksnap(&(GefsSnap){0}, v, 0, &e), -1);
}

int
suite_pack(void)
{
	CU_pSuite s = CU_add_suite("pack", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "bptr", test_bptr) ||
	    !CU_add_test(s, "superblock", test_superblock) ||
	    !CU_add_test(s, "arena", test_arena) ||
	    !CU_add_test(s, "log", test_log) ||
	    !CU_add_test(s, "log2", test_log2) ||
	    !CU_add_test(s, "logbad", test_logbad) ||
	    !CU_add_test(s, "keys", test_keys) ||
	    !CU_add_test(s, "names", test_names) ||
	    !CU_add_test(s, "values", test_values) ||
	    !CU_add_test(s, "wstat", test_wstat) ||
	    !CU_add_test(s, "xrec", test_xrec) ||
	    !CU_add_test(s, "fmtleaves", test_fmtleaves) ||
	    !CU_add_test(s, "unpacknode", test_unpacknode) ||
	    !CU_add_test(s, "pivot", test_pivot) ||
	    !CU_add_test(s, "nodebad", test_nodebad) ||
	    !CU_add_test(s, "pivotbad", test_pivotbad) ||
	    !CU_add_test(s, "layout", test_layout) ||
	    !CU_add_test(s, "sboffsets", test_sboffsets) ||
	    !CU_add_test(s, "blkoffsets", test_blkoffsets) ||
	    !CU_add_test(s, "valoffsets", test_valoffsets) ||
	    !CU_add_test(s, "wstatoffsets", test_wstatoffsets) ||
	    !CU_add_test(s, "xrecoffsets", test_xrecoffsets) ||
	    !CU_add_test(s, "nodeoffsets", test_nodeoffsets) ||
	    !CU_add_test(s, "log2bytes", test_log2bytes) ||
	    !CU_add_test(s, "mbbytes", test_mbbytes) ||
	    !CU_add_test(s, "msgbad", test_msgbad))
		return -1;
	return 0;
}
