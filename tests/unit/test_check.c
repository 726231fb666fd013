/* SPDX-License-Identifier: MIT */
/*
 * check suite: gefs_check on builder images — a healthy image is clean,
 * and each corruption class (built with the builder, hashes carried up
 * the chain so the decoders behind them are reached) yields its problem
 * code and, under -n, exit status 4 without changing a byte.  Also the
 * problem table itself, repairs (-p/-y then a clean second run) and the
 * reference images when $GEFS_SHARED is present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "gefs.h"
#include "internal.h"
#include "check.h"
#include "builder.h"

enum { B = GEFS_BLKSZ };

static char dir[64];

typedef struct Res {
	int	status;
	int	rc;
	char	codes[8192];	/* " SB0001 AR0002 ..." */
	char	first[512];	/* first error message */
} Res;

static void
rep(void *arg, const GefsFinding *f)
{
	Res *r = arg;
	size_t n = strlen(r->codes);

	if (n + 8 < sizeof r->codes)
		snprintf(r->codes + n, sizeof r->codes - n, " %s", f->p->code);
	if (f->p->sev == GEFS_SEVERR && r->first[0] == 0)
		snprintf(r->first, sizeof r->first, "%s %.400s", f->p->code, f->msg);
}

static int
runcheck(const char *path, int mode, Res *r)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;

	memset(r, 0, sizeof *r);
	gefs_defcheckopts(&o);
	o.mode = mode;
	o.report = rep;
	o.arg = r;
	e.code = 0;
	r->rc = gefs_check(path, &o, &st, &e);
	r->status = r->rc < 0 ? 8 : gefs_checkstatus(&st);
	if (r->rc < 0)
		snprintf(r->first, sizeof r->first, "operational: %.400s", e.msg);
	return r->status;
}

static bool
has(const Res *r, const char *code)
{
	char pat[16];

	snprintf(pat, sizeof pat, " %s", code);
	return strstr(r->codes, pat) != NULL;
}

static int
count(const Res *r, const char *code)
{
	char pat[16];
	const char *p;
	int n = 0;

	snprintf(pat, sizeof pat, " %s", code);
	for (p = r->codes; (p = strstr(p, pat)) != NULL; p++)
		n++;
	return n;
}

/* ---- the image every case starts from ---- */

enum {
	V_NONE,
	V_NOROOT, V_NOKUP, V_PARENT, V_QIDDUP, V_DATALIGN, V_KEYTYPE, V_VALSIZE,
	V_BADOP, V_BADSEQ, V_DATATWICE, V_NOEMPTY, V_GHOST, V_NLBLLO, V_DLBGEN,
	V_DLFREE, V_DLTWICE, V_USERS, V_NOUSERS, V_NEXTGEN, V_NEXTQID, V_BLKSZ,
	V_RELEASE, V_LEAK, V_DATAEOF,
	/* round 2 checks */
	V_SHARED, V_SHHASH, V_SHFILL, V_SHGEN, V_SBDL, V_SBDLTAIL, V_SBDLOUT,
	V_SBDLCYC, V_UID, V_RETAIN, V_RETAINBAD, V_RETAINFT, V_CONFUNK,
	/* issue 10 */
	V_DELOPND,
};

typedef struct Img {
	Bld		*b;
	BldTree		*main, *adm, *st;
	GefsBptr	data;		/* first data block of /a */
} Img;

static const char text[] = "hello, gefs";

/* main: / (qid 0), /d (qid 3), /a (qid 4, 40000 bytes), /d/b (qid 5), /c (qid 7),
 * height 2 with a touch message in the root pivot; adm; empty. */
static int
buildmain(Img *im, int v)
{
	BldTree *t = im->main;
	static uint8_t big[40000];
	uint8_t k[GEFS_KEYMAX], val[GEFS_INLMAX];
	size_t nk;

	memset(big, 'x', sizeof big);
	if (v == V_UID)
		t->uid = 77;	/* every entry of main: one finding */
	if (v != V_NOROOT && bldfs_root(im->b, t, 0) < 0)
		return -1;
	if (bldfs_mkdir(im->b, t, 0, "d", 3, 0755) < 0)
		return -1;
	if (bldfs_file(im->b, t, 0, "a", 4, 0644, big, sizeof big) < 0)
		return -1;
	if (bldfs_file(im->b, t, 3, "b", 5, 0644, text, sizeof text - 1) < 0)
		return -1;
	/* /c (qid 7): one block, written apart (im->data) */
	if (bldfs_filex(im->b, t, 0, "c", 7, 0644, NULL, sizeof text - 1, BLD_FHOLES) < 0
	|| bldfs_dat(t, 7, 0, &im->data) < 0)
		return -1;
	nk = gefs_packentkey(k, 0, "a", 1);
	val[0] = 0;	/* Owstat touch */
	if (bldmsg(t, 0, GEFS_OWSTAT, k, nk, val, 1) < 0)
		return -1;
	switch (v) {
	case V_NOKUP:
		nk = gefs_packentkey(k, 0, "nokup", 5);
		{
			GefsXdir d;

			memset(&d, 0, sizeof d);
			d.qpath = 6;
			d.qtype = GEFS_QTDIR;
			d.mode = GEFS_DMDIR | 0755;
			gefs_packxdir(val, &d);
		}
		return bldkv(t, k, nk, val, GEFS_XDIRSZ);
	case V_PARENT:
		return bldfs_file(im->b, t, 77, "lost", 6, 0644, NULL, 0);
	case V_QIDDUP:
		return bldfs_file(im->b, t, 0, "dup", 4, 0644, NULL, 0);
	case V_DATALIGN:
		return bldfs_dat(t, 5, 100, &im->data);
	case V_DATAEOF:
		{
			GefsBptr bp;

			if (blddata(im->b, text, sizeof text - 1, 6, &bp) < 0)
				return -1;
			return bldfs_dat(t, 5, 5 * B, &bp);
		}
	case V_KEYTYPE:
		nk = gefs_packlabelkey(k, "x", 1);
		return bldkv(t, k, nk, val, GEFS_LABELVALSZ);
	case V_VALSIZE:
		nk = gefs_packupkey(k, 99);
		return bldkv(t, k, nk, val, 3);
	case V_BADOP:
		nk = gefs_packentkey(k, 3, "b", 1);
		return bldmsg(t, 0, GEFS_OCLEARB, k, nk, NULL, 0);
	case V_BADSEQ:
		nk = gefs_packentkey(k, 3, "zz", 2);
		return bldmsg(t, 0, GEFS_ODELETE, k, nk, NULL, 0);
	case V_DATATWICE:
		return bldfs_dat(t, 4, 3 * B, &im->data);
	case V_RETAINFT:
		nk = gefs_packconfkey(k, "retain", 6);
		return bldkv(t, k, nk, "@2", 2);
	}
	return 0;
}

/* Snapshot 7 ("copy"): a second root pivot over main's children, so that
 * every node below it is shared; its first pivot entry altered by v. */
static int
sharecopy(Img *im, int v)
{
	static uint8_t blk[B];
	GefsNode n;
	GefsKv kv;
	GefsBptr bp;
	GefsSnap s;
	uint16_t fill;
	size_t off;

	memcpy(blk, bldblkp(im->b, im->main->root.addr), B);
	if (gefs_unpacknode(&n, blk, 0, NULL) < 0 || n.type != GEFS_TPIVOT)
		return -1;
	gefs_nodekv(&n, 0, &kv);
	off = (size_t)(kv.v - blk);
	if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) < 0)
		return -1;
	if (v == V_SHHASH)
		bp.hash ^= 1;
	if (v == V_SHFILL)
		fill += 2;
	if (v == V_SHGEN)
		bp.gen--;
	gefs_packpivval(blk + off, &bp, fill);
	memset(&s, 0, sizeof s);
	s.nlbl = 1;
	s.ht = im->main->ht;
	s.gen = 7;
	s.succ = -1;
	if (blddata(im->b, blk, B, 7, &s.root) < 0)
		return -1;
	bldsnap_label(im->st, "copy", 7, 0);
	return bldsnap_raw(im->st, &s);
}

/* A superblock snapdl of two chain blocks listing an allocated block,
 * hd newest (§7, §14.5); then damaged by v. */
static int
snapdl(Img *im, int v)
{
	BldTree *tmp = bldtnew(0);
	uint64_t a[2], hd = GEFS_NONE, tl;
	int rc;

	a[0] = bldalloc(im->b, BLD_BUSER, -1, 0);
	a[1] = v == V_SBDLOUT ? 0 : a[0];	/* 0: a superblock, outside every arena */
	rc = tmp == NULL ? -1 : bldsnap_dlist(im->b, tmp, 9, 8, a, 2, 1, &hd);
	bldtfree(tmp);
	if (rc < 0 || hd == GEFS_NONE)
		return -1;
	tl = gefs_get64(bldblkp(im->b, hd) + 12);
	if (v == V_SBDLCYC)
		gefs_put64(bldblkp(im->b, tl) + 12, hd);	/* chain is not hashed */
	bldsb(im->b)->dlhdaddr = hd;
	bldsb(im->b)->dltladdr = v == V_SBDLTAIL ? hd : tl;
	return 0;
}

/* Kconf entries of the snapshot tree (§17). */
static int
conf(Img *im, int v)
{
	const char *name = v == V_CONFUNK ? "colour" : "retain", *val;
	uint8_t k[GEFS_KEYMAX];
	size_t nk;

	val = v == V_CONFUNK ? "blue" : v == V_RETAINBAD ? "60@m 5@" : "60@m 24@h\t@d 7@2d 0@0m ";
	nk = gefs_packconfkey(k, name, strlen(name));
	return bldkv(im->st, k, nk, val, strlen(val));
}

/* A deadlist deleted as the reference deletes it (FORMAT.md §10.1): an
 * Odelete Kdlist message whose operand is the 48-byte value it deletes. */
static int
deldlist(Img *im)
{
	uint8_t k[GEFS_KEYMAX], val[GEFS_DLISTVALSZ];
	GefsDlist d;
	size_t nk;

	if (bldsnap_dlist(im->b, im->st, 6, 1, NULL, 0, 0, NULL) < 0)
		return -1;
	memset(&d, 0, sizeof d);
	d.hd.addr = d.hd.hash = d.tl.addr = d.tl.hash = GEFS_NONE;
	gefs_packdlist(val, &d);
	nk = gefs_packdlistkey(k, 6, 1);
	return bldmsg(im->st, 0, GEFS_ODELETE, k, nk, val, sizeof val);
}

/* The round 2 variants' additions to the snapshot tree and superblock. */
static int
extras(Img *im, int v)
{
	if (v == V_DELOPND)
		return deldlist(im);
	if (v >= V_SHARED && v <= V_SHGEN)
		return sharecopy(im, v);
	if (v >= V_SBDL && v <= V_SBDLCYC)
		return snapdl(im, v);
	if (v == V_RETAIN || v == V_RETAINBAD || v == V_CONFUNK)
		return conf(im, v);
	return 0;
}

/* Build the whole image with variant v; finished unless nofinish. */
static Img *
build(int v, bool nofinish)
{
	static Img im;
	uint64_t addrs[2];

	memset(&im, 0, sizeof im);
	im.b = bldnew(NULL);
	im.main = bldtnew(6);
	im.adm = bldtnew(0);
	im.st = bldtnew(0);
	if (im.b == NULL || im.main == NULL || im.adm == NULL || im.st == NULL)
		return NULL;
	if (blddata(im.b, text, sizeof text - 1, 6, &im.data) < 0)
		return NULL;
	if (buildmain(&im, v) < 0 || bldtree(im.b, im.main, 2, 0) < 0)
		return NULL;
	if (v == V_NOUSERS) {
		if (bldfs_root(im.b, im.adm, 1) < 0 || bldtree(im.b, im.adm, 1, 0) < 0)
			return NULL;
	} else if (bldfs_adm(im.b, im.adm, v == V_USERS ? "1:glenda:nobody:\n" : NULL) < 0)
		return NULL;
	bldsnap_label(im.st, "adm", 1, GEFS_LMUT);
	bldsnap_label(im.st, "main", 6, GEFS_LMUT);
	if (v != V_NOEMPTY)
		bldsnap_label(im.st, "empty", 0, 0);
	if (v == V_GHOST)
		bldsnap_label(im.st, "ghost", 5, 0);
	bldsnap_rec(im.st, 0, 2, v == V_NOEMPTY ? 0 : 1, 0, -1, 0, im.adm);
	bldsnap_rec(im.st, 1, 0, 1, 0, -1, 0, im.adm);
	bldsnap_rec(im.st, 6, 0, v == V_NLBLLO ? 0 : 1, 0, -1, 0, im.main);
	addrs[0] = im.data.addr;
	addrs[1] = im.data.addr;
	if (v == V_DLBGEN && bldsnap_dlist(im.b, im.st, 6, 6, NULL, 0, 0, NULL) < 0)
		return NULL;
	if (v == V_DLFREE) {
		/* the last block of arena 1 that can be free: never allocated */
		addrs[0] = bldarenaaddr(im.b, 1) + bldarenasz(im.b) - B;
		if (bldsnap_dlist(im.b, im.st, 6, 1, addrs, 1, 0, NULL) < 0)
			return NULL;
	}
	if (v == V_DLTWICE && (bldsnap_dlist(im.b, im.st, 6, 1, addrs, 1, 0, NULL) < 0
	|| bldsnap_dlist(im.b, im.st, 6, 0, addrs + 1, 1, 0, NULL) < 0))
		return NULL;
	if (extras(&im, v) < 0 || bldsnaptree(im.b, im.st, v == V_DELOPND ? 2 : 1, 0) < 0)
		return NULL;
	bldsb(im.b)->nextgen = v == V_NEXTGEN ? 6 : 8;
	bldsb(im.b)->nextqid = v == V_NEXTQID ? 5 : 8;
	if (v == V_BLKSZ)
		bldsb(im.b)->blksz = 8192;
	if (v == V_RELEASE)
		bldrelease(im.b, im.data.addr);
	if (v == V_LEAK)
		bldalloc(im.b, BLD_BUSER, -1, 0);
	if (!nofinish && bldfinish(im.b) < 0)
		return NULL;
	return &im;
}

static void
done(Img *im)
{
	if (im == NULL)
		return;
	bldtfree(im->main);
	bldtfree(im->adm);
	bldtfree(im->st);
	bldfree(im->b);
}

static void
imgpath(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s.img", dir, name);
}

/* Write im, check with -n; the image must not change. */
static void
checkimg(Img *im, const char *name, Res *r)
{
	char p[128];
	uint8_t *before;
	FILE *f;
	size_t n = 0;

	imgpath(p, sizeof p, name);
	CU_ASSERT_FATAL(im != NULL);
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	runcheck(p, GEFS_CKNONE, r);
	before = bldimg(im->b);
	f = fopen(p, "rb");
	CU_ASSERT_FATAL(f != NULL);
	{
		uint8_t buf[B];
		uint64_t off = 0;
		bool same = true;

		while ((n = fread(buf, 1, B, f)) > 0) {
			if (memcmp(buf, before + off, n) != 0)
				same = false;
			off += n;
		}
		CU_ASSERT(same);
		CU_ASSERT_EQUAL(off, bldsize(im->b));
	}
	fclose(f);
}

/* Build variant v, expect code and status. */
static void
expectv(int v, const char *code, int status)
{
	Img *im = build(v, false);
	Res r;

	if (im == NULL) {
		CU_FAIL("builder failed");
		return;
	}
	checkimg(im, code, &r);
	if (!has(&r, code) || r.status != status)
		fprintf(stderr, "\n  variant %d: want %s status %d, got%s status %d (%s)\n", v, code, status,
			r.codes, r.status, r.first);
	CU_ASSERT(has(&r, code));
	CU_ASSERT_EQUAL(r.status, status);
	done(im);
}

/* Build variant v and check it into r; false if it could not be built. */
static bool
runv(int v, Res *r)
{
	Img *im = build(v, false);
	char name[32];

	if (im == NULL) {
		CU_FAIL("builder failed");
		return false;
	}
	snprintf(name, sizeof name, "v%d", v);
	checkimg(im, name, r);
	done(im);
	return true;
}

/* Build variant v: want n findings of code (0: none) and status. */
static void
expectn(int v, const char *code, int n, int status)
{
	Res r;

	if (!runv(v, &r))
		return;
	if (count(&r, code) != n || r.status != status)
		fprintf(stderr, "\n  variant %d: want %d x %s status %d, got%s status %d (%s)\n", v, n, code,
			status, r.codes, r.status, r.first);
	CU_ASSERT_EQUAL(count(&r, code), n);
	CU_ASSERT_EQUAL(r.status, status);
}

/* Build the healthy image, poke (hashes carried up unless skip), expect. */
static void
expectpoke(uint64_t addr, size_t off, const void *p, size_t n, bool skip, const char *code, int status)
{
	Img *im = build(V_NONE, false);
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	bldhashmode(im->b, skip ? BLD_HASHSKIP : BLD_HASHFIX);
	CU_ASSERT_EQUAL(bldpoke(im->b, addr, off, p, n), 0);
	checkimg(im, code, &r);
	if (!has(&r, code) || r.status != status)
		fprintf(stderr, "\n  poke 0x%llx+%zu: want %s status %d, got%s status %d (%s)\n",
			(unsigned long long)addr, off, code, status, r.codes, r.status, r.first);
	CU_ASSERT(has(&r, code));
	CU_ASSERT_EQUAL(r.status, status);
	done(im);
}

/* ---- tests ---- */

/* Every placeholder of a message template is one the checker fills
 * (libfs/problem.c), and braces pair. */
static bool
templateok(const char *t)
{
	static const char *const names[] = {
		"at", "addr", "blk", "tree", "key", "why", "n0", "n1", "n2", "x0", "x1", "x2",
		"o0", "o1", "o2", "u0", "u1", "u2", "h0", "h1", "s0", "s1", "s2",
	};
	const char *e;
	size_t i;

	for (; (t = strchr(t, '{')) != NULL; t = e + 1) {
		if ((e = strchr(t, '}')) == NULL)
			return false;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i]) == (size_t)(e - t - 1) && memcmp(names[i], t + 1, (size_t)(e - t - 1)) == 0)
				break;
		if (i == sizeof names / sizeof names[0])
			return false;
	}
	return true;
}

/* The policy flags agree: a repair has a kind and nothing else has one;
 * commit repairs are of a commit kind, single-block ones are not; only
 * errors block the commit, and never one the commit repairs. */
static void
policyok(const GefsProblem *p)
{
	int rk = GEFS_PRREPAIR(p->flags);

	CU_ASSERT_EQUAL(rk == GEFS_RKNONE, (p->flags & GEFS_PRNOFIX) != 0);
	if (rk != GEFS_RKNONE)
		CU_ASSERT_EQUAL(rk >= GEFS_RKLOG, (p->flags & GEFS_PRCOMMIT) != 0);
	if (p->flags & GEFS_PRBLOCK) {
		CU_ASSERT_EQUAL(p->sev, GEFS_SEVERR);
		CU_ASSERT(!(p->flags & GEFS_PRCOMMIT));
	}
	if (p->flags & GEFS_PRSTRUCT)
		CU_ASSERT_EQUAL(p->sev, GEFS_SEVERR);
}

static void
test_table(void)
{
	const GefsProblem *p;
	size_t n, i, j;

	p = gefs_problems(&n);
	CU_ASSERT(n >= 100);
	for (i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i].code);
		CU_ASSERT_EQUAL(strlen(p[i].code), 6);
		CU_ASSERT_PTR_NOT_NULL(p[i].desc);
		CU_ASSERT(p[i].sev >= GEFS_SEVNOTE && p[i].sev <= GEFS_SEVERR);
		/* notes never have a repair (but leaks can be reclaimed), nothing is
		 * both preen and nofix */
		CU_ASSERT(p[i].sev != GEFS_SEVNOTE || (p[i].flags & GEFS_PRNOFIX) || strcmp(p[i].code, "RF0005") == 0);
		/* a commit repair is a repair */
		CU_ASSERT(!((p[i].flags & GEFS_PRCOMMIT) && (p[i].flags & GEFS_PRNOFIX)));
		CU_ASSERT(!((p[i].flags & GEFS_PRPREEN) && (p[i].flags & GEFS_PRNOFIX)));
		for (j = 0; j < i; j++)
			CU_ASSERT(strcmp(p[i].code, p[j].code) != 0);
		/* in code order (--list-problems and gefs-fsck(8) list it so) */
		if (i > 0)
			CU_ASSERT(strcmp(p[i - 1].code, p[i].code) < 0);
		policyok(&p[i]);
		if (p[i].msg != NULL && !templateok(p[i].msg))
			fprintf(stderr, "\n  %s: bad template %s\n", p[i].code, p[i].msg);
		CU_ASSERT(p[i].msg == NULL || templateok(p[i].msg));
		/* the table words every finding: only a retired row (never
		 * reported) has no template */
		CU_ASSERT(p[i].msg != NULL || strncmp(p[i].desc, "retired", 7) == 0);
	}
}

static void
test_clean(void)
{
	Img *im = build(V_NONE, false);
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	checkimg(im, "clean", &r);
	if (r.status != 0)
		fprintf(stderr, "\n  clean: status %d:%s (%s)\n", r.status, r.codes, r.first);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	done(im);
}

static void
test_named(void)
{
	static const char *kind[] = {"std", "empty", "deep", "snaps", "logchain"};
	BldStdOpts o;
	GefsErr e;
	Bld *b;
	Res r;
	char p[128];
	size_t i;

	for (i = 0; i < sizeof kind / sizeof kind[0]; i++) {
		bldinitstd(&o);
		b = bldnamed(kind[i], &o, &e);
		if (b == NULL) {
			fprintf(stderr, "\n  builder %s: %s\n", kind[i], e.msg);
			CU_FAIL("bldnamed");
			continue;
		}
		imgpath(p, sizeof p, kind[i]);
		CU_ASSERT_EQUAL(bldwrite(b, p), 0);
		runcheck(p, GEFS_CKNONE, &r);
		if (r.status != 0)
			fprintf(stderr, "\n  named %s: status %d:%s (%s)\n", kind[i], r.status, r.codes, r.first);
		CU_ASSERT_EQUAL(r.status, 0);
		bldfree(b);
	}
}

static void
test_super(void)
{
	uint8_t bad[8] = "XXXXXXXX", one = 1, z[8] = {0};
	Img *im = build(V_NONE, false);
	uint64_t last, arena;

	CU_ASSERT_FATAL(im != NULL);
	last = bldsize(im->b) - B;
	arena = bldarenaaddr(im->b, 1);
	done(im);
	expectpoke(0, 0, bad, 8, true, "SB0001", 4);		/* magic of copy 0 */
	expectpoke(last, 90, &one, 1, true, "SB0002", 4);	/* sbhash of copy 1 */
	expectpoke(last, 87, &one, 1, false, "SB0010", 0);	/* copies differ */
	expectv(V_BLKSZ, "SB0003", 4);
	/* arena 1's table entry moved onto arena 0: out of order (fatal) */
	expectpoke(0, 104 + 16, z, 8, false, "SB0008", 4);
	(void)arena;
}

static void
test_arena(void)
{
	uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8}, t = 9;
	Img *im = build(V_NONE, false);
	uint64_t h;

	CU_ASSERT_FATAL(im != NULL);
	h = bldarenaaddr(im->b, 0);
	done(im);
	expectpoke(h, 26, v, 8, true, "AR0002", 4);	/* header used, stale table hash */
	expectpoke(h + B, 1, &t, 1, true, "AR0001", 4);	/* footer type */
}

static void
test_log(void)
{
	Img *im = build(V_NONE, false);
	uint64_t lb;
	uint8_t op;

	CU_ASSERT_FATAL(im != NULL);
	lb = bldarenaaddr(im->b, 0) + 2 * B;
	done(im);
	/* entry 0 is LogFree(data area): as LogAlloc it allocates used blocks */
	op = GEFS_LOGALLOC;
	expectpoke(lb, 36 + 7, &op, 1, false, "LG0005", 4);
	op = 9;
	expectpoke(lb, 36 + 7, &op, 1, false, "LG0004", 4);
	/* entry 1, LogAlloc of the log block, as a free: already free */
	op = GEFS_LOGFREE;
	expectpoke(lb, 36 + 16 + 7, &op, 1, false, "LG0006", 4);
	op = 0x55;
	expectpoke(lb, 36 + 20, &op, 1, true, "LG0002", 4);
}

static void
test_nodes(void)
{
	Img *im = build(V_NONE, false);
	uint64_t root, leaf, leaf2;
	uint8_t x = 0x5a, big[2] = {0x7f, 0xff}, off[4];
	GefsNode n;
	GefsKv kv;
	uint8_t *p;
	size_t fo;

	CU_ASSERT_FATAL(im != NULL);
	CU_ASSERT_FATAL(im->main->nnode[1] >= 1);
	root = im->main->root.addr;
	leaf = im->main->node[1][0];
	leaf2 = im->main->node[1][im->main->nnode[1] - 1];
	p = bldblkp(im->b, root);
	CU_ASSERT_FATAL(gefs_unpacknode(&n, p, root, NULL) == 0);
	gefs_nodekv(&n, 0, &kv);
	fo = (size_t)(kv.v - p) + GEFS_PTRSZ;
	p = bldblkp(im->b, leaf);
	memcpy(off, p + GEFS_LEAFVA, 4);
	done(im);
	expectpoke(leaf, 100, &x, 1, true, "ND0002", 4);		/* node hash */
	expectpoke(leaf, 2, big, 2, false, "ND0003", 4);		/* nval huge */
	big[0] = 0;
	big[1] = 0x10;
	expectpoke(root, fo, big, 2, false, "ND0008", 4);		/* fill */
	{
		uint8_t sw[4] = {off[2], off[3], off[0], off[1]};

		expectpoke(leaf, GEFS_LEAFVA, sw, 4, false, "ND0005", 4);	/* key order */
	}
	x = GEFS_TPIVOT;
	expectpoke(leaf2, 1, &x, 1, false, "ND0003", 4);		/* a leaf claiming to be a pivot */
}

static void
test_kv(void)
{
	expectv(V_KEYTYPE, "KV0002", 4);
	expectv(V_VALSIZE, "KV0003", 4);
	expectv(V_BADOP, "KV0005", 4);
	expectv(V_BADSEQ, "KV0010", 4);
	/* the reference's Odelete Kdlist carries the deleted value (§10.1) */
	expectn(V_DELOPND, "KV0003", 0, 0);
}

static void
test_reach(void)
{
	Img *im = build(V_NONE, false);
	uint64_t data;
	uint8_t x = 1;

	CU_ASSERT_FATAL(im != NULL);
	data = im->data.addr;
	done(im);
	expectpoke(data, 5, &x, 1, true, "RF0006", 4);	/* data hash */
	expectv(V_RELEASE, "RF0001", 4);
	expectv(V_DATATWICE, "RF0003", 4);
	expectv(V_LEAK, "RF0005", 0);
}

/* ---- the block map (bmap.c) ---- */

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Walk m run by run and compare with ref[0, n). */
static bool
sameruns(const Bmap *m, const uint8_t *ref, uint64_t n)
{
	uint64_t b, k, len;
	uint8_t v;

	for (b = 0; b < n; b += len) {
		v = bmrun(m, b, n, &len);
		if (len == 0 || b + len > n)
			return false;
		for (k = b; k < b + len; k++)
			if (ref[k] != v)
				return false;
	}
	return true;
}

/* Random range updates and puts agree with a flat array, by lookup and
 * by runs; clearing gives the memory back. */
static void
test_bmapops(void)
{
	enum { N = 300007 };
	uint64_t x = 12345, lo, hi, b, i;
	uint8_t *ref = calloc(N, 1), and, or;
	Bmap *m = bmnew(N);
	int bad = 0;

	CU_ASSERT_FATAL(ref != NULL && m != NULL);
	for (i = 0; i < 3000; i++) {
		lo = rnd(&x) % N;
		hi = i % 3 == 0 ? lo + 1 : lo + rnd(&x) % (i % 5 == 0 ? N : 9000);
		if (hi > N)
			hi = N;
		and = (uint8_t)rnd(&x);
		or = (uint8_t)(rnd(&x) & 0x7f);
		CU_ASSERT_EQUAL_FATAL(bmupdate(m, lo, hi, and, or), 0);
		for (b = lo; b < hi; b++)
			ref[b] = (uint8_t)((ref[b] & and) | or);
		b = rnd(&x) % N;
		bad += bmget(m, b) != ref[b];
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(sameruns(m, ref, N));
	CU_ASSERT(bmbytes(m) > 0);
	bmclear(m);
	CU_ASSERT_EQUAL(bmbytes(m), 0);
	CU_ASSERT_EQUAL(bmget(m, N - 1), 0);
	bmfree(m);
	free(ref);
}

/* A map of 2^46 blocks (a 1 EiB device): an arena marked and freed, a
 * few blocks used; a handful of runs and little memory. */
static void
test_bmaphuge(void)
{
	const uint64_t n = (uint64_t)1 << 46;
	uint64_t b, len, runs = 0, total = 0, set = 0;
	Bmap *m = bmnew(n);

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(bmupdate(m, 3, n - 7, 0, MAREA | MALLOC), 0);
	CU_ASSERT_EQUAL(bmupdate(m, 1000, n - 1000, (uint8_t)~MALLOC, 0), 0);
	for (b = 5; b < n; b = b * 3 + 11)
		CU_ASSERT_EQUAL(bmput(m, b, MAREA | MALLOC | KFNODE), 0);
	for (b = 0; b < n; b += len) {
		if (bmrun(m, b, n, &len) & KFNODE)
			set += len;
		runs++;
		total += len;
	}
	CU_ASSERT_EQUAL(total, n);
	CU_ASSERT_EQUAL(set, 27);	/* 5, 26, 89, ... below 2^46 */
	CU_ASSERT(runs < 50000);
	CU_ASSERT(bmbytes(m) < (16u << 20));
	CU_ASSERT_EQUAL(bmget(m, n - 1), 0);
	CU_ASSERT_EQUAL(bmget(m, n - 8), MAREA | MALLOC);
	CU_ASSERT_EQUAL(bmget(m, n / 2), MAREA);
	bmfree(m);
}

/* A full map of N blocks like a full image's (data, with a tree node in
 * every 17 and a log or deadlist block in every 701) costs at most 2 bits
 * a block plus the leaves' and inner nodes' headers. */
static void
test_bmapfull(void)
{
	enum { N = 1 << 20, HDR = 64 };		/* HDR: per-leaf bookkeeping, generous */
	const uint64_t leaves = N / 4096;
	uint64_t b, len, data = 0, want = 0;
	Bmap *m = bmnew(N);
	uint8_t v;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(bmupdate(m, 0, N, 0, MAREA | MALLOC), 0);
	for (b = 0; b < N; b++) {
		v = b % 701 == 0 ? KLOG : b % 701 == 1 ? KDCHAIN | MDLIST : b % 17 == 0 ? KFNODE : KDATA;
		CU_ASSERT_EQUAL_FATAL(bmor(m, b, v), 0);
		want += v == KDATA;
	}
	CU_ASSERT(bmbytes(m) <= N / 4 + leaves * HDR + (64u << 10));
	for (b = 0; b < N; b += len)
		if ((bmrun(m, b, N, &len) & KMASK) == KDATA)
			data += len;
	CU_ASSERT_EQUAL(data, want);
	CU_ASSERT_EQUAL(bmget(m, 701), MAREA | MALLOC | KLOG);
	CU_ASSERT_EQUAL(bmget(m, 702), MAREA | MALLOC | KDCHAIN | MDLIST);
	CU_ASSERT_EQUAL(bmget(m, 17 * 3), MAREA | MALLOC | KFNODE);
	bmfree(m);
}

/* Every block its own byte, set and changed one by one: leaves fall back
 * to a byte per block and still agree with a flat array. */
static void
test_bmapvaried(void)
{
	enum { N = 20000 };
	uint8_t *ref = calloc(N, 1);
	uint64_t x = 99, b, i;
	Bmap *m = bmnew(N);

	CU_ASSERT_FATAL(ref != NULL && m != NULL);
	for (i = 0; i < 4 * N; i++) {
		b = rnd(&x) % N;
		ref[b] = (uint8_t)(i % 5 == 0 ? rnd(&x) : ref[b] | (1u << (i % 8)));
		CU_ASSERT_EQUAL_FATAL(i % 5 == 0 ? bmput(m, b, ref[b]) : bmor(m, b, (uint8_t)(1u << (i % 8))), 0);
	}
	CU_ASSERT(sameruns(m, ref, N));
	CU_ASSERT(bmbytes(m) <= (uint64_t)N * 2);
	bmfree(m);
	free(ref);
}

/* Check path with -E nodata: the status, the statistics in *st. */
static int
checknodata(const char *path, Res *r, GefsCheckStats *st)
{
	GefsCheckOpts o;
	GefsErr e;

	memset(r, 0, sizeof *r);
	gefs_defcheckopts(&o);
	o.nodata = true;
	o.report = rep;
	o.arg = r;
	r->rc = gefs_check(path, &o, st, &e);
	r->status = r->rc < 0 ? 8 : gefs_checkstatus(st);
	return r->status;
}

/* -E nodata: a damaged data block goes unseen (it is not read), yet is
 * counted as referenced like in a full check; a damaged node is found. */
static void
test_nodata(void)
{
	Img *im = build(V_NONE, false);
	GefsCheckStats full, meta;
	uint64_t data, leaf;
	uint8_t x = 1, orig;
	char p[128];
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	data = im->data.addr;
	leaf = im->main->node[1][0];
	orig = bldblkp(im->b, data)[5];
	bldhashmode(im->b, BLD_HASHSKIP);
	CU_ASSERT_EQUAL(bldpoke(im->b, data, 5, &x, 1), 0);
	imgpath(p, sizeof p, "nodata");
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKNONE, &r), 4);
	CU_ASSERT(has(&r, "RF0006"));
	CU_ASSERT_EQUAL(checknodata(p, &r, &meta), 0);
	CU_ASSERT(!has(&r, "RF0006"));
	CU_ASSERT_EQUAL(bldpoke(im->b, data, 5, &orig, 1), 0);
	CU_ASSERT_EQUAL(bldpoke(im->b, leaf, 100, &x, 1), 0);
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(checknodata(p, &r, &meta), 4);
	CU_ASSERT(has(&r, "ND0002"));
	done(im);
	/* the same accounting as a full check on a clean image */
	im = build(V_NONE, false);
	CU_ASSERT_FATAL(im != NULL);
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(checknodata(p, &r, &meta), 0);
	{
		GefsCheckOpts o;
		GefsErr e;

		gefs_defcheckopts(&o);
		CU_ASSERT_EQUAL(gefs_check(p, &o, &full, &e), 0);
	}
	CU_ASSERT(meta.ndata > 0);
	CU_ASSERT_EQUAL(meta.ndata, full.ndata);
	CU_ASSERT_EQUAL(meta.nref, full.nref);
	CU_ASSERT_EQUAL(meta.nleak, full.nleak);
	done(im);
	unlink(p);
}

static void
test_gen(void)
{
	expectv(V_NEXTGEN, "GN0002", 4);
	expectv(V_NEXTQID, "GN0003", 4);
}

static void
test_snap(void)
{
	expectv(V_GHOST, "SN0002", 4);
	expectv(V_NLBLLO, "SN0006", 4);
	expectv(V_NOEMPTY, "SN0012", 4);
}

static void
test_dlist(void)
{
	expectv(V_DLBGEN, "DL0001", 4);
	expectv(V_DLFREE, "DL0008", 4);
	expectv(V_DLTWICE, "DL0009", 4);
}

static void
test_fs(void)
{
	expectv(V_NOROOT, "FS0001", 4);
	expectv(V_NOKUP, "FS0008", 4);
	expectv(V_PARENT, "FS0010", 4);
	expectv(V_QIDDUP, "FS0007", 4);
	expectv(V_DATALIGN, "FS0012", 4);
	expectv(V_DATAEOF, "FS0013", 0);
	expectv(V_USERS, "US0003", 4);
	expectv(V_NOUSERS, "US0001", 4);
}

/* Pointers to nodes shared between snapshots: the same hash, fill and gen
 * as the node and the first pointer; one finding each, not blamed on the
 * node itself. */
static void
test_shared(void)
{
	Res r;

	expectn(V_SHARED, "ND0015", 0, 0);
	expectn(V_SHHASH, "ND0015", 1, 4);
	expectn(V_SHFILL, "ND0016", 1, 4);
	expectn(V_SHGEN, "ND0017", 1, 4);
	if (runv(V_SHHASH, &r)) {
		CU_ASSERT(!has(&r, "ND0002"));
		CU_ASSERT(!has(&r, "ND0008"));
	}
	if (runv(V_SHFILL, &r))
		CU_ASSERT(!has(&r, "ND0008"));
}

/* The superblock's snapshot-tree deadlist: walked, its blocks accounted
 * (not leaked); a stale tail, an address outside the arenas and a cycle
 * are errors. */
static void
test_snapdl(void)
{
	Res r;

	if (runv(V_SBDL, &r)) {
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT(has(&r, "SB0007"));	/* a warning */
		CU_ASSERT(!has(&r, "SB0016"));
		CU_ASSERT(!has(&r, "RF0005"));
	}
	expectn(V_SBDLTAIL, "SB0016", 1, 4);
	expectn(V_SBDLOUT, "SB0016", 1, 4);
	expectn(V_SBDLCYC, "SB0016", 1, 4);
}

/* Undefined owners: one warning per tree and id, none without a users
 * file. */
static void
test_ids(void)
{
	expectn(V_UID, "US0004", 1, 0);
	expectn(V_NOUSERS, "US0004", 0, 4);
}

/* Kconf (§17): retain's grammar in the snapshot tree and in a file tree;
 * other names are a note. */
static void
test_conf(void)
{
	expectn(V_RETAIN, "CF0001", 0, 0);
	/* an item without its unit letter: the reference aborts (errors) */
	expectn(V_RETAINBAD, "CF0003", 1, 4);
	expectn(V_RETAINFT, "CF0004", 1, 4);
	expectn(V_RETAINBAD, "CF0001", 0, 4);
	expectn(V_CONFUNK, "CF0002", 1, 0);
	expectn(V_RETAIN, "CF0002", 0, 0);
}

/* -p restores a damaged superblock copy and arena header; a second run is
 * clean. */
static void
test_repair(void)
{
	uint8_t bad[8] = "XXXXXXXX", v[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	Img *im = build(V_NONE, false);
	char p[128];
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	bldhashmode(im->b, BLD_HASHSKIP);
	bldpoke(im->b, bldsize(im->b) - B, 0, bad, 8);
	bldpoke(im->b, bldarenaaddr(im->b, 1) + B, 26, v, 8);
	imgpath(p, sizeof p, "repair");
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKNONE, &r), 4);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKPREEN, &r), 1);
	CU_ASSERT(has(&r, "SB0001"));
	CU_ASSERT(has(&r, "AR0002"));
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKNONE, &r), 0);
	if (r.status != 0)
		fprintf(stderr, "\n  after repair:%s (%s)\n", r.codes, r.first);
	done(im);
}

/* Does the file at p hold exactly n bytes of img? */
static bool
samefile(const char *p, const uint8_t *img, size_t n)
{
	static uint8_t buf[B];
	size_t off = 0, got;
	bool same = true;
	FILE *f = fopen(p, "rb");

	if (f == NULL)
		return false;
	while ((got = fread(buf, 1, B, f)) > 0) {
		if (off + got > n || memcmp(buf, img + off, got) != 0)
			same = false;
		off += got;
	}
	fclose(f);
	return same && off == n;
}

/* An image cut below its file system's size: SB0017 in every mode, the
 * repair modes stop there and write nothing (the last block is file
 * data, not the backup superblock), -n reads on to the device's end. */
static void
test_short(void)
{
	Img *im = build(V_NONE, false);
	uint64_t cut;
	char p[128];
	Res r;
	int m;

	CU_ASSERT_FATAL(im != NULL);
	imgpath(p, sizeof p, "short");
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	/* in the last arena's data area, 3 blocks past its footer */
	cut = bldarenaaddr(im->b, bldnarena(im->b) - 1) + 5 * B;
	CU_ASSERT_EQUAL_FATAL(truncate(p, (off_t)cut), 0);
	for (m = GEFS_CKYES; m >= GEFS_CKNONE; m--) {
		CU_ASSERT_EQUAL(runcheck(p, m, &r), 4);
		CU_ASSERT(has(&r, "SB0017"));
		CU_ASSERT(strstr(r.first, "SB0017 the file system size is at least") == r.first);
		CU_ASSERT(samefile(p, bldimg(im->b), cut));
		if (m != GEFS_CKNONE)
			CU_ASSERT_STRING_EQUAL(r.codes, " SB0017");
	}
	CU_ASSERT(has(&r, "SB0015"));	/* -n: copy 1 is past the end */
	done(im);
}

/* Nothing that looks like GEFS: one operational error (status 8), no
 * findings; one copy with the magic is damage, not a foreign image. */
static void
test_notgefs(void)
{
	static uint8_t junk[64 * B];
	Img *im = build(V_NONE, false);
	char p[128];
	FILE *f;
	size_t i;
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	imgpath(p, sizeof p, "junk");
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 2654435761u >> 13);
	f = fopen(p, "wb");
	CU_ASSERT_FATAL(f != NULL);
	fwrite(junk, 1, sizeof junk, f);
	fclose(f);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKYES, &r), 8);
	CU_ASSERT_STRING_EQUAL(r.codes, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first, "not a GEFS file system (no superblock magic at 0x0 or 0xfc000)"));
	CU_ASSERT(samefile(p, junk, sizeof junk));
	imgpath(p, sizeof p, "onemagic");
	memset(bldimg(im->b), 0, 8);
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKNONE, &r), 4);
	CU_ASSERT(has(&r, "SB0001"));
	done(im);
}

/* A planned single-block repair whose target the check could not confirm
 * is not written (RP0002): here the footer of an arena whose header the
 * table verifies but whose size is impossible (AR0005) would be restored
 * from that header, destroying the one copy with the right size. */
static void
test_unsafe(void)
{
	static const uint8_t huge[8] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0};
	Img *im = build(V_NONE, false);
	char p[128];
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	/* arena 1's header size (offset 18, §5.1); the table follows it */
	CU_ASSERT_EQUAL_FATAL(bldpoke(im->b, bldarenaaddr(im->b, 1), 18, huge, sizeof huge), 0);
	imgpath(p, sizeof p, "unsafe");
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKPREEN, &r), 4);
	CU_ASSERT(has(&r, "AR0002"));
	CU_ASSERT(has(&r, "AR0005"));
	CU_ASSERT(has(&r, "RP0002"));
	CU_ASSERT(samefile(p, bldimg(im->b), bldsize(im->b)));
	done(im);
}

/* A check cancelled before it starts stops with status 32 and writes
 * nothing, even under -y with a repair planned. */
static void
test_cancel(void)
{
	uint8_t bad[8] = "XXXXXXXX";
	Img *im = build(V_NONE, false);
	volatile int stop = 1;
	GefsCheckOpts o;
	GefsCheckStats st;
	char p[128];
	Res r;

	CU_ASSERT_FATAL(im != NULL);
	bldhashmode(im->b, BLD_HASHSKIP);
	bldpoke(im->b, bldsize(im->b) - B, 0, bad, 8);
	imgpath(p, sizeof p, "cancel");
	CU_ASSERT_EQUAL_FATAL(bldwrite(im->b, p), 0);
	gefs_defcheckopts(&o);
	o.mode = GEFS_CKYES;
	o.cancel = &stop;
	CU_ASSERT_EQUAL(gefs_check(p, &o, &st, NULL), 0);
	CU_ASSERT(gefs_checkstatus(&st) & 32);
	CU_ASSERT_EQUAL(st.nfixed, 0);
	stop = 0;
	CU_ASSERT_EQUAL(runcheck(p, GEFS_CKNONE, &r), 4);	/* still damaged */
	CU_ASSERT(has(&r, "SB0001"));
	done(im);
}

/* Every reference image is clean (skipped without $GEFS_SHARED). */
static void
test_reference(void)
{
	static const char *img[] = {"ref-fresh-256M", "ref-small", "ref-many", "ref-deep"};
	const char *sh = getenv("GEFS_SHARED");
	char p[512];
	Res r;
	size_t i;

	if (sh == NULL)
		return;
	for (i = 0; i < sizeof img / sizeof img[0]; i++) {
		snprintf(p, sizeof p, "%s/reference-images/%s.img.gz", sh, img[i]);
		if (access(p, R_OK) != 0)
			continue;
		runcheck(p, GEFS_CKNONE, &r);
		if (r.status != 0)
			fprintf(stderr, "\n  %s: status %d:%s (%s)\n", img[i], r.status, r.codes, r.first);
		CU_ASSERT_EQUAL(r.status, 0);
	}
}

/* The walk hands findings their key raw (Pctx k, nk), formatted only
 * when a message is rendered: the text must be what the eager
 * formatting into a 128-byte buffer gave, for every key type, names of
 * the longest and with bytes needing escapes, and undecodable keys. */
static void
lazykey(const uint8_t *k, size_t nk)
{
	char ks[128], eager[1024], lazy[1024];
	Pctx c = PCTX(0x4000);

	c.tree = "tree \"main\" (gen 2)";
	c.n[0] = 3;
	c.n[1] = 2;
	c.key = fmtkey(ks, sizeof ks, k, nk);
	ckrender(eager, sizeof eager, PR_NDORDER, &c);
	c.key = NULL;
	c.k = k;
	c.nk = nk;
	ckrender(lazy, sizeof lazy, PR_NDORDER, &c);
	CU_ASSERT_STRING_EQUAL(lazy, eager);
	CU_ASSERT_PTR_NOT_NULL(strstr(lazy, ks));
}

static void
test_lazykey(void)
{
	uint8_t k[GEFS_KEYMAX + 8];
	char name[256];
	size_t i;

	memset(name, 'n', sizeof name);
	for (i = 0; i < sizeof name; i += 7)
		name[i] = (char)(i % 2 ? 0x01 : 0xe9);	/* escaped when shown */
	lazykey(k, gefs_packdatkey(k, 0x123456789abcull, 0x4000));
	lazykey(k, gefs_packentkey(k, 0x42, "file.txt", 8));
	lazykey(k, gefs_packentkey(k, 0x42, name, 244));
	lazykey(k, gefs_packupkey(k, 0xffffffffffffffffull));
	lazykey(k, gefs_packlabelkey(k, name, 255));
	lazykey(k, gefs_packconfkey(k, "retain", 6));
	lazykey(k, gefs_packsnapkey(k, 7));
	lazykey(k, gefs_packdlistkey(k, 7, 3));
	memset(k, 0xee, sizeof k);	/* undecodable: raw bytes, long and short */
	lazykey(k, GEFS_KEYMAX);
	lazykey(k, 3);
	lazykey(k, 0);
}

static int
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/gefs-check-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
suite_check(void)
{
	CU_pSuite s = CU_add_suite("check", setup, teardown);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "problem table", test_table) ||
	    !CU_add_test(s, "healthy builder image", test_clean) ||
	    !CU_add_test(s, "named builder images", test_named) ||
	    !CU_add_test(s, "superblocks", test_super) ||
	    !CU_add_test(s, "arena headers", test_arena) ||
	    !CU_add_test(s, "allocation logs", test_log) ||
	    !CU_add_test(s, "tree nodes", test_nodes) ||
	    !CU_add_test(s, "keys, values, messages", test_kv) ||
	    !CU_add_test(s, "reachability", test_reach) ||
	    !CU_add_test(s, "generations", test_gen) ||
	    !CU_add_test(s, "snapshots and labels", test_snap) ||
	    !CU_add_test(s, "deadlists", test_dlist) ||
	    !CU_add_test(s, "namespace and users", test_fs) ||
	    !CU_add_test(s, "shared nodes", test_shared) ||
	    !CU_add_test(s, "snapshot-tree deadlist", test_snapdl) ||
	    !CU_add_test(s, "undefined user ids", test_ids) ||
	    !CU_add_test(s, "configuration entries", test_conf) ||
	    !CU_add_test(s, "repairs", test_repair) ||
	    !CU_add_test(s, "metadata only (-E nodata)", test_nodata) ||
	    !CU_add_test(s, "keys rendered lazily as eagerly", test_lazykey) ||
	    !CU_add_test(s, "block map operations", test_bmapops) ||
	    !CU_add_test(s, "block map of 2^46 blocks", test_bmaphuge) ||
	    !CU_add_test(s, "block map of a full image: 2 bits a block", test_bmapfull) ||
	    !CU_add_test(s, "block map with varied bytes", test_bmapvaried) ||
	    !CU_add_test(s, "cancel", test_cancel) ||
	    !CU_add_test(s, "device shorter than the file system", test_short) ||
	    !CU_add_test(s, "not a GEFS image", test_notgefs) ||
	    !CU_add_test(s, "repair target in doubt", test_unsafe) ||
	    !CU_add_test(s, "reference images", test_reference))
		return -1;
	return 0;
}
