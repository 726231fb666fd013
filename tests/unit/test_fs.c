/* SPDX-License-Identifier: MIT */
/*
 * fs suite: SHA-256 vectors; a hand-built image (snapshot tree, adm with
 * /users, a height-2 main tree with buffered Oinsert/Owstat messages, holes
 * and Kdat beyond the length) read through walk, stat, readdir, read,
 * users and manifest; and the interop test: every label of every
 * reference image must reproduce its manifest byte for byte.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "treeimg.h"

static void
hexsum(const void *p, size_t n, char hex[65])
{
	uint8_t d[32];
	Sha256 s;

	sha256init(&s);
	sha256update(&s, p, n);
	sha256final(&s, d);
	sha256hex(d, hex);
}

static void
test_sha256(void)
{
	static char mil[1000000];
	uint8_t d[32];
	char hex[65];
	Sha256 s;
	int i;

	hexsum("abc", 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hexsum("", 0, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hexsum("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(mil, 'a', sizeof mil);
	hexsum(mil, sizeof mil, hex);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* the same, fed in odd pieces */
	sha256init(&s);
	for (i = 0; i < 1000000; i += 777)
		sha256update(&s, mil, 1000000 - i < 777 ? (size_t)(1000000 - i) : 777);
	sha256final(&s, d);
	sha256hex(d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ---- a hand-built image ---- */

static const char userstext[] =
	"-1:adm::glenda\n0:none::\n1:glenda:glenda:\n# comment\n\n5:bob:\n7:carol::\n9:trailing::";

enum { T0 = 0, T1 = 1 };
static const int64_t mt0 = 1758700800123456789LL, mt1 = 1758704400987654321LL;

typedef struct Fsimg {
	Timg		*im;
	uint8_t		d1[GEFS_BLKSZ], d2[GEFS_BLKSZ], d3[GEFS_BLKSZ], d5[GEFS_BLKSZ];
} Fsimg;

static GefsXdir
xdir(uint64_t qid, uint32_t mode, uint64_t len, int32_t uid, int32_t gid, int32_t muid, int64_t mt)
{
	GefsXdir d;

	memset(&d, 0, sizeof d);
	d.qpath = qid;
	d.qtype = (uint8_t)(mode >> 24);
	d.mode = mode;
	d.atime = mt;
	d.mtime = mt;
	d.length = len;
	d.uid = uid;
	d.gid = gid;
	d.muid = muid;
	return d;
}

static void
addent(uint8_t *blk, uint64_t pqid, const char *name, const GefsXdir *d)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_XDIRSZ];
	size_t nk = gefs_packentkey(k, pqid, name, strlen(name));

	gefs_packxdir(v, d);
	CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, nk, v, sizeof v, NULL), 0);
}

static void
adddat(uint8_t *blk, uint64_t qid, uint64_t off, const GefsBptr *bp)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];

	gefs_packbptr(v, bp);
	CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, gefs_packdatkey(k, qid, off), v, sizeof v, NULL), 0);
}

static void
addup(uint8_t *blk, uint64_t qid, uint64_t pqid, const char *name)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_KEYMAX];
	size_t nv = gefs_packentkey(v, pqid, name, strlen(name));

	CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, gefs_packupkey(k, qid), v, nv, NULL), 0);
}

static GefsBptr
putdata(Timg *im, uint8_t *d)
{
	return timgput(im, d);
}

/* The adm tree: a single leaf holding / and /users. */
static GefsBptr
buildadm(Timg *im)
{
	uint8_t blk[GEFS_BLKSZ], ub[GEFS_BLKSZ];
	GefsXdir d;
	GefsBptr bp;

	memset(ub, 0, sizeof ub);
	memcpy(ub, userstext, sizeof userstext - 1);
	bp = putdata(im, ub);
	gefs_nodeinit(blk, GEFS_TLEAF);
	adddat(blk, 2, 0, &bp);
	d = xdir(2, 0664, sizeof userstext - 1, -1, -1, 0, 0);
	addent(blk, 1, "users", &d);
	d = xdir(1, GEFS_DMDIR | 0775, 0, -1, -1, 0, 0);
	addent(blk, GEFS_NONE, "", &d);
	addup(blk, 1, GEFS_NONE, "");
	return timgput(im, blk);
}

static void
addmsg(uint8_t *blk, int op, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	GefsMsg m = { (uint8_t)op, k, (uint16_t)nk, v, (uint16_t)nv };

	CU_ASSERT_EQUAL_FATAL(gefs_nodeaddmsg(blk, &m, NULL), 0);
}

/* main: height 2; leaf A has the data, leaf B the entries; the root
 * buffers a new file (its Kdat below K_0) and two Owstats. */
static GefsBptr
buildmain(Fsimg *f)
{
	uint8_t a[GEFS_BLKSZ], b[GEFS_BLKSZ], r[GEFS_BLKSZ], d4[GEFS_BLKSZ];
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	GefsBptr p1, p2, p3, p4, p5, pa, pb;
	GefsXdir d;
	size_t nk, nv;
	int i;

	for (i = 0; i < GEFS_BLKSZ; i++) {
		f->d1[i] = (uint8_t)(i * 7 + 1);
		f->d2[i] = (uint8_t)(i * 13 + 5);
		f->d3[i] = (uint8_t)('a' + i % 26);
	}
	memset(d4, 0xee, sizeof d4);
	memset(f->d5, 0, sizeof f->d5);
	memcpy(f->d5, "hello", 5);
	p1 = putdata(f->im, f->d1);
	p2 = putdata(f->im, f->d2);
	p3 = putdata(f->im, f->d3);
	p4 = putdata(f->im, d4);
	p5 = putdata(f->im, f->d5);

	gefs_nodeinit(a, GEFS_TLEAF);
	adddat(a, 10, 0, &p1);
	adddat(a, 10, 32768, &p2);		/* 16384 is a hole */
	adddat(a, 11, 0, &p3);
	adddat(a, 11, 16384, &p4);		/* beyond the length: ignored */
	pa = timgput(f->im, a);

	gefs_nodeinit(b, GEFS_TLEAF);
	d = xdir(10, 0664, 40000, 1, -1, 1, mt0);
	addent(b, 0, "b", &d);
	d = xdir(12, GEFS_DMDIR | 0755, 0, 1, -1, 1, mt0);
	addent(b, 0, "zz", &d);
	d = xdir(11, 0664, 100, 1, -1, 1, mt0);
	addent(b, 0, "abc", &d);
	d = xdir(13, 0644, 0, 42, -1, 1, mt1);
	addent(b, 12, "x", &d);
	d = xdir(0, GEFS_DMDIR | 0775, 0, -1, -1, 0, 0);
	addent(b, GEFS_NONE, "", &d);
	addup(b, 0, GEFS_NONE, "");
	addup(b, 12, 0, "zz");
	pb = timgput(f->im, b);

	gefs_nodeinit(r, GEFS_TPIVOT);
	gefs_packpivval(v, &pa, (uint16_t)timgfill(f->im, &pa));
	nk = gefs_packdatkey(k, 10, 0);
	gefs_nodeadd(r, k, nk, v, GEFS_PIVVALSZ, NULL);
	gefs_packpivval(v, &pb, (uint16_t)timgfill(f->im, &pb));
	nk = gefs_packentkey(k, 0, "b", 1);
	gefs_nodeadd(r, k, nk, v, GEFS_PIVVALSZ, NULL);
	/* messages in key order */
	gefs_packbptr(v, &p5);
	addmsg(r, GEFS_OINSERT, k, gefs_packdatkey(k, 9, 0), v, GEFS_PTRSZ);
	v[0] = GEFS_OWMTIME | GEFS_OWQPATH;	/* bit 0x80 without its field */
	gefs_put64(v + 1, (uint64_t)mt1);
	addmsg(r, GEFS_OWSTAT, k, gefs_packentkey(k, 0, "b", 1), v, 9);
	d = xdir(9, 0644, 5, 1, -1, 1, mt0);
	gefs_packxdir(v, &d);
	addmsg(r, GEFS_OINSERT, k, gefs_packentkey(k, 0, "new", 3), v, GEFS_XDIRSZ);
	v[0] = GEFS_OWMODE | GEFS_OWQPATH;	/* bit 0x80 with qid.path */
	gefs_put32(v + 1, 0600);
	gefs_put64(v + 5, 0x99);
	nv = 13;
	addmsg(r, GEFS_OWSTAT, k, gefs_packentkey(k, 12, "x", 1), v, nv);
	return timgput(f->im, r);
}

static void
addsnap(uint8_t *blk, uint64_t gen, int ht, const GefsBptr *root)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];
	GefsSnap s;

	memset(&s, 0, sizeof s);
	s.nlbl = 1;
	s.ht = ht;
	s.gen = (int64_t)gen;
	s.succ = -1;
	s.root = *root;
	gefs_packsnap(v, &s);
	CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, gefs_packsnapkey(k, gen), v, sizeof v, NULL), 0);
}

static void
addlabel(uint8_t *blk, const char *name, uint64_t gen)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_LABELVALSZ];
	GefsLabel l = { gen, GEFS_LMUT };

	gefs_packlabel(v, &l);
	CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, gefs_packlabelkey(k, name, strlen(name)), v, sizeof v, NULL), 0);
}

static Fsimg *
buildfs(void)
{
	static Fsimg f;
	uint8_t st[GEFS_BLKSZ];
	GefsBptr adm, main, sp;

	memset(&f, 0, sizeof f);
	f.im = timgnew();
	if (f.im == NULL)
		return NULL;
	adm = buildadm(f.im);
	main = buildmain(&f);
	gefs_nodeinit(st, GEFS_TLEAF);
	addlabel(st, "adm", 1);
	addlabel(st, "main", 2);
	addsnap(st, 1, 1, &adm);
	addsnap(st, 2, 2, &main);
	sp = timgput(f.im, st);
	if (timgopen(f.im) == NULL)
		return NULL;
	f.im->fs->sb.snapaddr = sp.addr;
	f.im->fs->sb.snaphash = sp.hash;
	f.im->fs->sb.snapht = 1;
	return &f;
}

static int
countlabel(void *arg, const char *name, size_t nlen, const GefsLabel *l)
{
	char *s = arg;

	(void)nlen;
	sprintf(s + strlen(s), "%s=%llu ", name, (unsigned long long)l->gen);
	return 0;
}

static int
countsnap(void *arg, const GefsSnap *s)
{
	*(int *)arg += (int)s->gen;
	return 0;
}

static int
listent(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	char *s = arg;

	(void)nlen;
	(void)d;
	strcat(s, name);
	strcat(s, " ");
	return 0;
}

static void
test_snapshots(void)
{
	Fsimg *f = buildfs();
	GefsTree *t;
	char s[256] = "";
	int sum = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(gefs_walklabels(f->im->fs, countlabel, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "adm=1 main=2 ");
	CU_ASSERT_EQUAL(gefs_walksnaps(f->im->fs, countsnap, &sum), 0);
	CU_ASSERT_EQUAL(sum, 3);
	t = gefs_opentree(f->im->fs, "nope");
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), ENOENT);
	CU_ASSERT_PTR_NULL(gefs_opensnap(f->im->fs, 5));
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), ENOENT);
	t = gefs_opensnap(f->im->fs, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_treesnap(t)->ht, 2);
	gefs_closetree(t);
	t = gefs_snaptree(f->im->fs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_treesnap(t)->gen, -1);
	gefs_closetree(t);
	timgfree(f->im);
}

static void
test_files(void)
{
	Fsimg *f = buildfs();
	static uint8_t buf[3 * GEFS_BLKSZ];
	GefsTree *t;
	GefsXdir d;
	GefsStat st;
	char s[256] = "", u[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	t = gefs_opentree(f->im->fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_walk(t, "/zz/x", &d), 0);
	CU_ASSERT_EQUAL(d.qpath, 0x99);		/* Owstat bit 0x80 with its field */
	CU_ASSERT_EQUAL(d.mode, 0600);
	CU_ASSERT_EQUAL(gefs_walk(t, "zz/./../b", &d), 0);
	CU_ASSERT_EQUAL(d.qpath, 10);
	CU_ASSERT_EQUAL(d.qvers, 1);
	CU_ASSERT_EQUAL(d.mtime, mt1);
	CU_ASSERT_EQUAL(gefs_walk(t, "/..", &d), 0);
	CU_ASSERT_EQUAL(d.qpath, 0);
	CU_ASSERT_EQUAL(gefs_walk(t, "/nope", &d), -1);
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), ENOENT);
	CU_ASSERT_EQUAL(gefs_walk(t, "/b/c", &d), -1);
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), ENOTDIR);
	/* stat */
	CU_ASSERT_EQUAL(gefs_stat(t, "/zz/x", &st), 0);
	CU_ASSERT_STRING_EQUAL(st.name, "x");
	CU_ASSERT_STRING_EQUAL(st.uid, "42");
	CU_ASSERT_STRING_EQUAL(st.gid, "adm");
	CU_ASSERT_STRING_EQUAL(st.muid, "glenda");
	CU_ASSERT_EQUAL(st.mtime, 1758704401);
	CU_ASSERT_EQUAL(gefs_stat(t, "/", &st), 0);
	CU_ASSERT_STRING_EQUAL(st.name, "/");
	CU_ASSERT_STRING_EQUAL(st.muid, "none");
	/* listings: sorted, and on-disk order */
	CU_ASSERT_EQUAL(gefs_readdir(t, "/", listent, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "abc b new zz ");
	s[0] = 0;
	CU_ASSERT_EQUAL(gefs_readdirqid(t, 0, false, listent, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "b zz abc new ");
	CU_ASSERT_EQUAL(gefs_readdir(t, "/b", listent, s), -1);
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), ENOTDIR);
	/* data: a hole reads as zeros; the tail past the length is cut */
	CU_ASSERT_EQUAL(gefs_walk(t, "/b", &d), 0);
	memset(buf, 0xaa, sizeof buf);
	CU_ASSERT_EQUAL(gefs_read(t, &d, 0, buf, sizeof buf), 40000);
	CU_ASSERT(memcmp(buf, f->d1, GEFS_BLKSZ) == 0);
	CU_ASSERT(buf[GEFS_BLKSZ] == 0 && buf[2 * GEFS_BLKSZ - 1] == 0);
	CU_ASSERT(memcmp(buf + 2 * GEFS_BLKSZ, f->d2, 40000 - 2 * GEFS_BLKSZ) == 0);
	CU_ASSERT_EQUAL(buf[40000], 0xaa);
	CU_ASSERT_EQUAL(gefs_read(t, &d, 16380, buf, 10), 10);
	CU_ASSERT(memcmp(buf, f->d1 + 16380, 4) == 0 && buf[4] == 0);
	CU_ASSERT_EQUAL(gefs_read(t, &d, 40000, buf, 10), 0);
	CU_ASSERT_EQUAL(gefs_walk(t, "/new", &d), 0);
	CU_ASSERT_EQUAL(gefs_read(t, &d, 0, buf, sizeof buf), 5);
	CU_ASSERT(memcmp(buf, "hello", 5) == 0);
	CU_ASSERT_EQUAL(gefs_walk(t, "/zz", &d), 0);
	CU_ASSERT_EQUAL(gefs_read(t, &d, 0, buf, 1), -1);
	CU_ASSERT_EQUAL(gefs_errcode(f->im->fs), EISDIR);
	/* users */
	CU_ASSERT_EQUAL(gefs_username(f->im->fs, -1, u, sizeof u), 0);
	CU_ASSERT_STRING_EQUAL(u, "adm");
	CU_ASSERT_EQUAL(gefs_username(f->im->fs, 7, u, sizeof u), 0);
	CU_ASSERT_STRING_EQUAL(u, "carol");
	CU_ASSERT_EQUAL(gefs_username(f->im->fs, 5, u, sizeof u), 1);	/* 3 fields only */
	CU_ASSERT_STRING_EQUAL(u, "5");
	CU_ASSERT_EQUAL(gefs_username(f->im->fs, 9, u, sizeof u), 1);	/* no final newline */
	CU_ASSERT_EQUAL(gefs_username(f->im->fs, 1, u, 4), 0);
	CU_ASSERT_STRING_EQUAL(u, "gle");
	gefs_closetree(t);
	timgfree(f->im);
}

static char *
readall(FILE *fp, size_t *n)
{
	char *s = NULL;
	size_t cap = 0, m;

	*n = 0;
	for (;;) {
		if (*n + 65536 > cap) {
			cap = cap ? 2 * cap : 1 << 20;
			s = realloc(s, cap);
			if (s == NULL)
				return NULL;
		}
		m = fread(s + *n, 1, cap - *n, fp);
		*n += m;
		if (m == 0)
			return s;
	}
}

static void
test_manifest(void)
{
	Fsimg *f = buildfs();
	GefsTree *t;
	char *out = NULL, exp[4096], sb[65], sa[65], sn[65], se[65];
	static uint8_t bdata[40000];
	size_t n = 0;
	FILE *fp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	memcpy(bdata, f->d1, GEFS_BLKSZ);
	memset(bdata + GEFS_BLKSZ, 0, GEFS_BLKSZ);
	memcpy(bdata + 2 * GEFS_BLKSZ, f->d2, 40000 - 2 * GEFS_BLKSZ);
	hexsum(bdata, 40000, sb);
	hexsum(f->d3, 100, sa);
	hexsum("hello", 5, sn);
	hexsum("", 0, se);
	snprintf(exp, sizeof exp,
		"/\td\t20000000775\t0\tadm\tadm\tnone\t0\t0\t0\t-\n"
		"/abc\tf\t664\t100\tglenda\tadm\tglenda\t1758700800\tb\t0\t%s\n"
		"/b\tf\t664\t40000\tglenda\tadm\tglenda\t1758704401\ta\t1\t%s\n"
		"/new\tf\t644\t5\tglenda\tadm\tglenda\t1758700800\t9\t0\t%s\n"
		"/zz\td\t20000000755\t0\tglenda\tadm\tglenda\t1758700800\tc\t0\t-\n"
		"/zz/x\tf\t600\t0\t42\tadm\tglenda\t1758704401\t99\t1\t%s\n", sa, sb, sn, se);
	t = gefs_opentree(f->im->fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	fp = open_memstream(&out, &n);
	CU_ASSERT_EQUAL(gefs_manifest(t, "/", fp), 0);
	fclose(fp);
	CU_ASSERT_STRING_EQUAL(out, exp);
	free(out);
	/* a subtree, path given loosely */
	fp = open_memstream(&out, &n);
	CU_ASSERT_EQUAL(gefs_manifest(t, "zz/", fp), 0);
	fclose(fp);
	CU_ASSERT_STRING_EQUAL(out, strstr(exp, "/zz\t"));
	free(out);
	gefs_closetree(t);
	timgfree(f->im);
}

/* ---- interop: the reference images ---- */

static int
addlbl(void *arg, const char *name, size_t nlen, const GefsLabel *l)
{
	char *s = arg;

	(void)l;
	if (strlen(s) + nlen + 2 < 1024) {
		strcat(s, name);
		strcat(s, "\n");
	}
	return 0;
}

static void
interop1(const char *dir, const char *img)
{
	char path[4096], labels[1024] = "", *lbl, *save, *got, *want;
	size_t ngot, nwant;
	GefsOpts o;
	GefsErr e;
	GefsTree *t;
	Gefs *fs;
	FILE *fp;
	int nlabel = 0;

	snprintf(path, sizeof path, "%s/%s.img.gz", dir, img);
	gefs_defopts(&o);
	fs = gefs_open(path, &o, &e);
	CU_ASSERT_PTR_NOT_NULL(fs);
	if (fs == NULL) {
		fprintf(stderr, "%s: %s\n", path, e.msg);
		return;
	}
	CU_ASSERT_EQUAL(gefs_walklabels(fs, addlbl, labels), 0);
	for (lbl = strtok_r(labels, "\n", &save); lbl; lbl = strtok_r(NULL, "\n", &save)) {
		snprintf(path, sizeof path, "%s/%s.manifest.%s", dir, img, lbl);
		fp = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL(fp);
		if (fp == NULL)
			continue;
		want = readall(fp, &nwant);
		fclose(fp);
		t = gefs_opentree(fs, lbl);
		CU_ASSERT_PTR_NOT_NULL(t);
		if (t == NULL) {
			fprintf(stderr, "%s %s: %s\n", img, lbl, gefs_errmsg(fs));
			free(want);
			continue;
		}
		got = NULL;
		fp = open_memstream(&got, &ngot);
		CU_ASSERT_EQUAL(gefs_manifest(t, "/", fp), 0);
		fclose(fp);
		CU_ASSERT(ngot == nwant && memcmp(got, want, ngot) == 0);
		if (ngot != nwant || memcmp(got, want, ngot) != 0)
			fprintf(stderr, "%s %s: manifest differs (%zu vs %zu bytes) %s\n", img, lbl,
				ngot, nwant, gefs_errmsg(fs));
		free(got);
		free(want);
		gefs_closetree(t);
		nlabel++;
	}
	CU_ASSERT(nlabel >= 3);
	gefs_close(fs);
}

static void
test_interop(void)
{
	static const char *imgs[] = { "ref-fresh-256M", "ref-small", "ref-many", "ref-deep" };
	const char *sh = getenv("GEFS_SHARED");
	char dir[1024];
	size_t i;

	if (sh != NULL && strlen(sh) > 900)
		sh = NULL;

	if (sh == NULL || access(sh, R_OK) != 0) {
		fprintf(stderr, "interop: GEFS_SHARED not available, skipped\n");
		return;
	}
	snprintf(dir, sizeof dir, "%s/reference-images", sh);
	for (i = 0; i < nelem(imgs); i++)
		interop1(dir, imgs[i]);
}

int
suite_fs(void)
{
	CU_pSuite s = CU_add_suite("fs", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "sha256 vectors", test_sha256)
	    || !CU_add_test(s, "labels and snapshot records", test_snapshots)
	    || !CU_add_test(s, "walk, stat, readdir, read, users", test_files)
	    || !CU_add_test(s, "manifest of a hand-built tree", test_manifest)
	    || !CU_add_test(s, "reference images reproduce their manifests", test_interop))
		return -1;
	return 0;
}
