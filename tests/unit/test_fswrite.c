/* SPDX-License-Identifier: MIT */
/* fswrite suite: the file layer of the write engine (libfs/fswrite.c) —
 * create, mkdir, write, truncate, remove, removeall, rename/move, wstat
 * and the users file — each committed, reopened and read back through
 * the read API, every image checked clean; a seeded random model test
 * (GEFS_MODEL_OPS operations, GEFS_MODEL_SEED); writes into main of every
 * reference image (skipped without $GEFS_SHARED). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "ltest.h"

enum { B = GEFS_BLKSZ, IMGSZ = 256 << 20 };
static const int64_t T0 = 1758700800123456789LL;

/* ---- images ---- */

/* A fresh 256 MiB image in a temporary file. */
static int
mkfresh(char *path, size_t n)
{
	GefsFormatOpts o;
	GefsErr e;

	if (lttmp(path, n, ".img") < 0)
		return -1;
	gefs_defformatopts(&o);
	o.noxrec = true;
	o.force = true;
	if (gefs_format(path, IMGSZ, &o, NULL, &e) < 0) {
		fprintf(stderr, "format %s: %s\n", path, e.msg);
		return -1;
	}
	return 0;
}

static Gefs *
openrw(const char *path)
{
	GefsOpts o;
	GefsErr e;
	Gefs *fs;

	gefs_defopts(&o);
	o.rdwr = true;
	if ((fs = gefs_open(path, &o, &e)) == NULL)
		fprintf(stderr, "open %s: %s\n", path, e.msg);
	else
		gefs_setclock(fs, T0);
	return fs;
}

static GefsTree *
opent(Gefs *fs, const char *label)
{
	GefsTree *t = gefs_opentree(fs, label);

	if (t == NULL)
		fprintf(stderr, "opentree %s: %s\n", label, gefs_errmsg(fs));
	return t;
}

static void
showfind(void *arg, const GefsFinding *f)
{
	uint64_t *n = arg;

	if (f->p->sev == GEFS_SEVERR) {
		fprintf(stderr, "\n  %s %s\n", f->p->code, f->msg);
		(*n)++;
	}
}

/* Errors gefs_check finds in path. */
static uint64_t
nerrors(const char *path)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	uint64_t n = 0;

	gefs_defcheckopts(&o);
	o.report = showfind;
	o.arg = &n;
	o.nthreads = 1;
	if (gefs_check(path, &o, &st, &e) < 0) {
		fprintf(stderr, "check %s: %s\n", path, e.msg);
		return 1000;
	}
	return n;
}

/* Commit, close, check clean, reopen; *t reopened on label. */
static Gefs *
cycle(Gefs *fs, GefsTree **t, const char *label, const char *path)
{
	if (gefs_commit(fs) < 0) {
		fprintf(stderr, "commit: %s\n", gefs_errmsg(fs));
		CU_FAIL("commit");
	}
	gefs_closetree(*t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(nerrors(path), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	*t = opent(fs, label);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*t);
	return fs;
}

/* The call failed with code, and the message mentions what. */
#define FAILS(call, fs, code, what) do { \
	CU_ASSERT_EQUAL((call), -1); \
	CU_ASSERT_EQUAL(gefs_errcode(fs), (code)); \
	if (gefs_errcode(fs) != (code) || strstr(gefs_errmsg(fs), (what)) == NULL) \
		fprintf(stderr, "\n%s:%d: got %d \"%s\"\n", __FILE__, __LINE__, gefs_errcode(fs), gefs_errmsg(fs)); \
	CU_ASSERT_PTR_NOT_NULL(strstr(gefs_errmsg(fs), (what))); \
} while (0)

static int64_t
rd(GefsTree *t, const char *path, uint64_t off, void *buf, size_t n)
{
	GefsXdir d;

	if (gefs_walk(t, path, &d) < 0)
		return -1;
	return gefs_read(t, &d, off, buf, n);
}

/* Number of Kdat keys of qid (any offset). */
static int
ndat(GefsTree *t, uint64_t qid)
{
	uint8_t pfx[9];
	GefsScan *s;
	GefsKv kv;
	int n = 0;

	pfx[0] = GEFS_KDAT;
	gefs_put64(pfx + 1, qid);
	s = gefs_scanprefix(t, pfx, 9);
	if (s == NULL)
		return -1;
	while (gefs_scannext(s, &kv) == 1)
		n++;
	gefs_scanfree(s);
	return n;
}

/* ---- what every reference revision accepts (§10.2, §24 #26, §27.1) ---- */

/* A leaf entry or buffered message, for replaying each key's sequence. */
typedef struct Seq {
	uint8_t		k[GEFS_KEYMAX];
	uint16_t	nk, nv;
	int		depth, idx;
	uint8_t		op;		/* 0: a leaf value */
	uint8_t		wflags;		/* Owstat flag byte */
} Seq;

typedef struct Seqs {
	Seq		*s;
	size_t		n, cap;
} Seqs;

static int
seqadd(Seqs *l, const uint8_t *k, uint16_t nk, const uint8_t *v, uint16_t nv, int depth, int idx, uint8_t op)
{
	Seq *x;

	if (l->n == l->cap && (l->s = realloc(l->s, (l->cap = 2 * l->cap + 256) * sizeof *l->s)) == NULL)
		return -1;
	x = &l->s[l->n++];
	memcpy(x->k, k, nk);
	x->nk = nk;
	x->nv = nv;
	x->depth = depth;
	x->idx = idx;
	x->op = op;
	x->wflags = op == GEFS_OWSTAT && nv > 0 ? v[0] : 0;
	return 0;
}

static int
seqnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	GefsKv kv;
	GefsMsg m;
	int i;

	(void)bp;
	for (i = 0; n->type == GEFS_TLEAF && i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		if (seqadd(arg, kv.k, kv.nk, kv.v, kv.nv, GEFS_MAXHT, i, 0) < 0)
			return -1;
	}
	for (i = 0; n->type == GEFS_TPIVOT && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		if (seqadd(arg, m.k, m.nk, m.v, m.nv, depth, i, m.op) < 0)
			return -1;
	}
	return 0;
}

/* Key order; for one key the order messages apply: deepest first, then
 * buffer order (a leaf value counts as deepest). */
static int
seqcmp(const void *a, const void *b)
{
	const Seq *x = a, *y = b;
	int c = gefs_keycmp(x->k, x->nk, y->k, y->nk);

	if (c != 0)
		return c;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->idx - y->idx;
}

/* Violations in t of the rules writers must keep: ops 1..5 only, Owstat
 * without bit 0x80, empty Odelete operands, and no Odelete, Oclearb,
 * Oclobber or Owstat on a key that is absent when it applies. */
static int
strictseq(GefsTree *t)
{
	Seqs l = {NULL, 0, 0};
	bool present = false;
	size_t i;
	int bad = 0;
	char ks[128];

	CU_ASSERT_EQUAL_FATAL(gefs_walktree(t, -1, seqnode, &l), 0);
	qsort(l.s, l.n, sizeof *l.s, seqcmp);
	for (i = 0; i < l.n; i++) {
		Seq *x = &l.s[i];
		if (i == 0 || gefs_keycmp(x->k, x->nk, l.s[i - 1].k, l.s[i - 1].nk) != 0)
			present = false;
		if (x->op == 0 || x->op == GEFS_OINSERT) {
			present = true;
			continue;
		}
		if (x->op > GEFS_OWSTAT || !present || (x->op == GEFS_ODELETE && x->nv != 0) || (x->wflags & 0x80)) {
			fprintf(stderr, "\n  op %d on %s (%s)\n", x->op, fmtkey(ks, sizeof ks, x->k, x->nk),
				present ? "bad operand" : "key absent");
			bad++;
		}
		present = x->op == GEFS_OWSTAT;
	}
	free(l.s);
	return bad;
}

/* ---- operations one by one ---- */

/* Without gefs_setclock, SOURCE_DATE_EPOCH gives the time. */
static void
epochtime(const char *path)
{
	GefsOpts o;
	GefsErr e;
	GefsStat st;
	GefsTree *t;
	Gefs *fs;

	gefs_defopts(&o);
	o.rdwr = true;
	fs = gefs_open(path, &o, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	setenv("SOURCE_DATE_EPOCH", "1234567890", 1);
	CU_ASSERT_EQUAL(gefs_create(t, "/epoch", 0666, NULL), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	CU_ASSERT_EQUAL(gefs_stat(t, "/epoch", &st), 0);
	CU_ASSERT_EQUAL(st.d.mtime, 1234567890LL * 1000000000);
	CU_ASSERT_EQUAL(st.d.atime, 1234567890LL * 1000000000);
	gefs_closetree(t);
	gefs_close(fs);
}

static void
test_create(void)
{
	char path[256];
	GefsStat st, root0, root;
	GefsTree *t;
	Gefs *fs;
	uint64_t q0;

	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	q0 = gefs_super(fs, NULL)->nextqid;
	CU_ASSERT_EQUAL(gefs_stat(t, "/", &root0), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/d", 0755, NULL), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/d/f", 0664 | GEFS_DMAPPEND, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "d/e/", 0700, NULL), 0);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_super(fs, NULL)->nextqid, q0 + 3);
	CU_ASSERT_EQUAL(gefs_stat(t, "/d", &st), 0);
	CU_ASSERT_EQUAL(st.d.mode, GEFS_DMDIR | 0755);	/* root is 0775: 0755 kept */
	CU_ASSERT_EQUAL(st.d.qtype, GEFS_QTDIR);
	CU_ASSERT_EQUAL(st.d.qpath, q0);
	CU_ASSERT_EQUAL(st.d.qvers, 2);		/* two entries created in it */
	CU_ASSERT_EQUAL(st.d.mtime, T0);
	CU_ASSERT_STRING_EQUAL(st.uid, "adm");
	CU_ASSERT_STRING_EQUAL(st.gid, "adm");
	CU_ASSERT_EQUAL(gefs_stat(t, "/d/f", &st), 0);
	CU_ASSERT_EQUAL(st.d.mode, GEFS_DMAPPEND | 0644);	/* 0664 masked by the parent's 0755 */
	CU_ASSERT_EQUAL(st.d.qtype, GEFS_QTAPPEND);
	CU_ASSERT_EQUAL(st.d.length, 0);
	CU_ASSERT_EQUAL(st.d.qvers, 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/d/e/..", &st), 0);	/* Kup of e */
	CU_ASSERT_STRING_EQUAL(st.name, "d");
	CU_ASSERT_EQUAL(gefs_stat(t, "/", &root), 0);
	CU_ASSERT_EQUAL(root.d.qvers, root0.d.qvers + 1);
	gefs_closetree(t);
	gefs_close(fs);
	epochtime(path);
	unlink(path);
}

/* A read-only handle refuses every change. */
static void
rofails(const char *path)
{
	GefsOpts o;
	GefsErr e;
	GefsTree *t;
	Gefs *fs;

	gefs_defopts(&o);
	fs = gefs_open(path, &o, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	FAILS(gefs_create(t, "/y", 0666, NULL), fs, EROFS, "read-only");
	FAILS(gefs_remove(t, "/f"), fs, EROFS, "read-only");
	gefs_closetree(t);
	gefs_close(fs);
}

static void
test_errors(void)
{
	char path[256], big[300];
	GefsTree *t, *ro;
	Gefs *fs;
	GefsWstat w;

	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/d", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/f", 0666, NULL), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/d/x", 0666, NULL), 0);
	FAILS(gefs_create(t, "/d", 0666, NULL), fs, EEXIST, "/d");
	FAILS(gefs_create(t, "/nope/x", 0666, NULL), fs, ENOENT, "nope");
	FAILS(gefs_create(t, "/f/x", 0666, NULL), fs, ENOTDIR, "/f/x");
	FAILS(gefs_pwrite(t, "/d", "x", 1, 0), fs, EISDIR, "/d");
	FAILS(gefs_truncate(t, "/d", 0), fs, EISDIR, "/d");
	FAILS(gefs_pwrite(t, "/gone", "x", 1, 0), fs, ENOENT, "/gone");
	FAILS(gefs_remove(t, "/d"), fs, ENOTEMPTY, "/d");
	FAILS(gefs_remove(t, "/"), fs, EINVAL, "root");
	FAILS(gefs_create(t, "/a\001b", 0666, NULL), fs, EINVAL, "control");
	FAILS(gefs_create(t, "/d/..", 0666, NULL), fs, EINVAL, "reserved");
	memset(big + 1, 'n', 245);
	big[0] = '/';
	big[246] = 0;
	FAILS(gefs_create(t, big, 0666, NULL), fs, EINVAL, "245");
	big[245] = 0;	/* 244 bytes: the longest name */
	CU_ASSERT_EQUAL(gefs_create(t, big, 0666, NULL), 0);
	FAILS(gefs_create(t, "/m", 0666 | 0x1000, NULL), fs, EINVAL, "mode");
	FAILS(gefs_create(t, "/u", 0666, "nobody-here"), fs, EINVAL, "nobody-here");
	FAILS(gefs_rename(t, "/d", "/d/x/y"), fs, ENOTDIR, "/d/x/y");
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/d/sub", 0777, NULL), 0);
	FAILS(gefs_rename(t, "/d", "/d/sub/d2"), fs, EINVAL, "below itself");
	FAILS(gefs_rename(t, "/f", "/d"), fs, EEXIST, "/d");
	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSMODE;
	w.mode = 0777;
	FAILS(gefs_wstat(t, "/d", &w), fs, EINVAL, "DMDIR");
	w.mask = GEFS_WSUID;
	w.uid = "mallory";
	FAILS(gefs_wstat(t, "/f", &w), fs, EINVAL, "mallory");
	ro = gefs_opentree(fs, "empty");	/* an immutable label */
	CU_ASSERT_PTR_NOT_NULL_FATAL(ro);
	FAILS(gefs_create(ro, "/x", 0666, NULL), fs, EROFS, "/x");
	gefs_closetree(ro);
	fs = cycle(fs, &t, "main", path);
	gefs_closetree(t);
	gefs_close(fs);
	rofails(path);
	unlink(path);
}

/* Pattern byte of file offset o for seed s. */
static uint8_t
pat(uint64_t o, int s)
{
	return (uint8_t)((o * 131 + (o >> 14) * 7 + (uint64_t)s) % 251 + 1);
}

static void
fillpat(uint8_t *p, uint64_t off, size_t n, int s)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(off + i, s);
}

/* Whole blocks, an overwrite inside one, a truncate to 0. */
static Gefs *
wholeblocks(Gefs *fs, GefsTree **t, const char *path, uint8_t *buf, uint8_t *want, uint8_t *got)
{
	enum { N = 5 * B };
	GefsStat st;

	fillpat(buf, 0, N, 2);
	CU_ASSERT_EQUAL(gefs_pwrite(*t, "/f", buf, N, 0), N);
	CU_ASSERT_EQUAL(gefs_pwrite(*t, "/f", "xyz", 3, B), 3);
	memcpy(want, buf, N);
	memcpy(want + B, "xyz", 3);
	fs = cycle(fs, t, "main", path);
	CU_ASSERT_EQUAL(rd(*t, "/f", 0, got, 8 * B), N);
	CU_ASSERT(memcmp(got, want, N) == 0);
	CU_ASSERT_EQUAL(gefs_truncate(*t, "/f", 0), 0);
	fs = cycle(fs, t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(*t, "/f", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 0);
	CU_ASSERT_EQUAL(ndat(*t, st.d.qpath), 0);
	return fs;
}

static void
test_write(void)
{
	char path[256];
	uint8_t *buf, *want, *got;
	enum { N = 5 * B };
	GefsStat st;
	GefsTree *t;
	Gefs *fs;

	buf = malloc(N);
	want = calloc(1, 8 * B);
	got = malloc(8 * B);
	CU_ASSERT_FATAL(buf && want && got && mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_create(t, "/f", 0666, NULL), 0);
	/* a small write, one crossing a block boundary, one after a hole */
	fillpat(buf, 0, N, 1);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", buf, 10, 0), 10);
	memcpy(want, buf, 10);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", buf, 100, B - 50), 100);
	memcpy(want + B - 50, buf, 100);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", buf, B + 7, 4 * B + 3), B + 7);
	memcpy(want + 4 * B + 3, buf, B + 7);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/f", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 5 * B + 10);
	CU_ASSERT_EQUAL(st.d.qvers, 3);
	CU_ASSERT_EQUAL(ndat(t, st.d.qpath), 4);	/* blocks 0, 1, 4, 5; 2 and 3 are holes */
	CU_ASSERT_EQUAL(rd(t, "/f", 0, got, 8 * B), 5 * B + 10);
	CU_ASSERT(memcmp(got, want, 5 * B + 10) == 0);
	/* shrink to an unaligned length: later blocks cleared, tail zeroed */
	CU_ASSERT_EQUAL(gefs_truncate(t, "/f", B - 20), 0);
	CU_ASSERT_EQUAL(gefs_truncate(t, "/f", 3 * B), 0);	/* grow again: zeros */
	memset(want + B - 20, 0, 7 * B + 20);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/f", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 3 * B);
	CU_ASSERT_EQUAL(ndat(t, st.d.qpath), 1);
	CU_ASSERT_EQUAL(rd(t, "/f", 0, got, 8 * B), 3 * B);
	CU_ASSERT(memcmp(got, want, 3 * B) == 0);
	fs = wholeblocks(fs, &t, path, buf, want, got);
	CU_ASSERT_EQUAL(strictseq(t), 0);
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
	free(buf);
	free(want);
	free(got);
}

/* The Kdat pointers of qid, at most max, in offset order: their count. */
static int
datptrs(GefsTree *t, uint64_t qid, GefsBptr *bp, int max)
{
	uint8_t pfx[9];
	GefsScan *s;
	GefsKv kv;
	int n = 0;

	pfx[0] = GEFS_KDAT;
	gefs_put64(pfx + 1, qid);
	if ((s = gefs_scanprefix(t, pfx, 9)) == NULL)
		return -1;
	while (n < max && gefs_scannext(s, &kv) == 1 && kv.nv == GEFS_PTRSZ)
		gefs_unpackbptr(&bp[n++], kv.v);
	gefs_scanfree(s);
	return n;
}

/* §5.5: a file's data blocks come from arena ((q mod (N-1)) + 1 + r) mod N
 * (r = 0 for the first 2048 attempts of a session), whole blocks in
 * ascending runs from the lowest free block; for files of several qids. */
static void
test_place(void)
{
	enum { NF = 5, NB = 4 };
	char path[256], name[16];
	uint8_t *buf = malloc(NB * B);
	GefsBptr bp[NB + 1];
	GefsStat st;
	GefsTree *t;
	Gefs *fs;
	uint32_t n;
	int i, j, want;

	CU_ASSERT_FATAL(buf != NULL && mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	n = fs->sb.narena;
	CU_ASSERT_FATAL(n >= 3);	/* else every choice is the same arena */
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	fillpat(buf, 0, NB * B, 7);
	for (i = 0; i < NF; i++) {
		snprintf(name, sizeof name, "/f%d", i);
		CU_ASSERT_EQUAL_FATAL(gefs_create(t, name, 0666, NULL), 0);
		CU_ASSERT_EQUAL(gefs_pwrite(t, name, buf, NB * B, 0), NB * B);
		CU_ASSERT_EQUAL_FATAL(gefs_stat(t, name, &st), 0);
		CU_ASSERT_EQUAL_FATAL(datptrs(t, st.d.qpath, bp, NB + 1), NB);
		want = (int)(((uint32_t)st.d.qpath % (n - 1) + 1) % n);
		for (j = 0; j < NB; j++) {
			CU_ASSERT_EQUAL(arenaof(fs, bp[j].addr), want);
			if (j > 0)
				CU_ASSERT_EQUAL(bp[j].addr, bp[j - 1].addr + B);
		}
	}
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(nerrors(path), 0);
	unlink(path);
	free(buf);
}

static int
countent(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	(void)name, (void)nlen, (void)d;
	(*(int *)arg)++;
	return 0;
}

static void
test_remove(void)
{
	char path[256], p[64];
	uint8_t buf[3 * B];
	GefsStat st;
	GefsTree *t;
	Gefs *fs;
	uint64_t q;
	int i, n;

	memset(buf, 0x5a, sizeof buf);
	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_create(t, "/f", 0666, NULL), 0);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", buf, sizeof buf, 0), (int64_t)sizeof buf);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/a", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/a/b", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/a/b/c", 0777, NULL), 0);
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof p, "/a/%s/f%d", i % 2 ? "b" : "b/c", i);
		CU_ASSERT_EQUAL(gefs_create(t, p, 0666, NULL), 0);
		CU_ASSERT_EQUAL(gefs_pwrite(t, p, buf, (size_t)i * 1000, 0), i * 1000);
	}
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/e", 0777, NULL), 0);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/f", &st), 0);
	q = st.d.qpath;
	CU_ASSERT_EQUAL(gefs_remove(t, "/f"), 0);
	CU_ASSERT_EQUAL(gefs_remove(t, "/e"), 0);
	CU_ASSERT_EQUAL(ndat(t, q), 0);
	CU_ASSERT_EQUAL(gefs_removeall(t, "/a"), 0);
	fs = cycle(fs, &t, "main", path);
	n = 0;
	CU_ASSERT_EQUAL(gefs_readdir(t, "/", countent, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(ndat(t, q), 0);
	FAILS(gefs_stat(t, "/a/b", &st), fs, ENOENT, "a");
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
}

static void
test_rename(void)
{
	char path[256];
	GefsStat st, a0, a1, b1;
	GefsTree *t;
	Gefs *fs;
	uint64_t q;

	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/a", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/b", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/a/d", 0777, NULL), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/a/d/f", 0666, NULL), 0);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/a/d/f", "hello", 5, 0), 5);
	CU_ASSERT_EQUAL(gefs_create(t, "/a/g", 0666, NULL), 0);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/a", &a0), 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/a/d", &st), 0);
	q = st.d.qpath;
	CU_ASSERT_EQUAL(gefs_rename(t, "/a/g", "/a/h"), 0);	/* within a directory */
	CU_ASSERT_EQUAL(gefs_rename(t, "/a/d", "/b/moved"), 0);	/* a directory across */
	CU_ASSERT_EQUAL(gefs_rename(t, "/a/h", "/a/h"), 0);	/* itself: nothing */
	fs = cycle(fs, &t, "main", path);
	FAILS(gefs_stat(t, "/a/g", &st), fs, ENOENT, "g");
	CU_ASSERT_EQUAL(gefs_stat(t, "/a/h", &st), 0);
	CU_ASSERT_EQUAL(st.d.qvers, 1);
	CU_ASSERT_EQUAL(gefs_stat(t, "/b/moved", &st), 0);
	CU_ASSERT_EQUAL(st.d.qpath, q);
	CU_ASSERT_EQUAL(gefs_stat(t, "/b/moved/..", &st), 0);	/* Kup repointed */
	CU_ASSERT_STRING_EQUAL(st.name, "b");
	CU_ASSERT_EQUAL(gefs_stat(t, "/b/moved/f/", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 5);
	CU_ASSERT_EQUAL(gefs_stat(t, "/a", &a1), 0);
	CU_ASSERT_EQUAL(a1.d.qvers, a0.d.qvers + 2);
	CU_ASSERT_EQUAL(gefs_stat(t, "/b", &b1), 0);
	CU_ASSERT_EQUAL(b1.d.qvers, 1);
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
}

static void
test_wstat(void)
{
	char path[256], got[16];
	GefsWstat w;
	GefsStat st;
	GefsTree *t;
	Gefs *fs;

	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_create(t, "/f", 0666, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/d", 0777, NULL), 0);
	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSMODE | GEFS_WSMTIME | GEFS_WSATIME | GEFS_WSUID | GEFS_WSGID;
	w.mode = GEFS_DMAPPEND | GEFS_DMEXCL | GEFS_DMTMP | 0600;
	w.mtime = 1000000000LL * 5;
	w.atime = 1000000000LL * 6;
	w.uid = "glenda";
	w.gid = "none";
	CU_ASSERT_EQUAL(gefs_wstat(t, "/f", &w), 0);
	w.mask = GEFS_WSMODE;
	w.mode = GEFS_DMDIR | GEFS_DMEXCL | 0700;
	CU_ASSERT_EQUAL(gefs_wstat(t, "/d", &w), 0);
	w.mask = 0;
	CU_ASSERT_EQUAL(gefs_wstat(t, "/d", &w), 0);	/* no message, no bump */
	/* an append-only file: writes land at the end */
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", "ab", 2, 0), 2);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/f", "cd", 2, 0), 2);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/f", &st), 0);
	CU_ASSERT_EQUAL(st.d.mode, GEFS_DMAPPEND | GEFS_DMEXCL | GEFS_DMTMP | 0600);
	CU_ASSERT_EQUAL(st.d.qtype, GEFS_QTAPPEND | GEFS_QTEXCL | GEFS_QTTMP);
	CU_ASSERT_EQUAL(st.d.atime, 6000000000LL);
	CU_ASSERT_EQUAL(st.d.mtime, T0);	/* the writes came after */
	CU_ASSERT_STRING_EQUAL(st.uid, "glenda");
	CU_ASSERT_STRING_EQUAL(st.gid, "none");
	CU_ASSERT_EQUAL(st.d.qvers, 3);
	CU_ASSERT_EQUAL(rd(t, "/f", 0, got, sizeof got), 4);
	CU_ASSERT(memcmp(got, "abcd", 4) == 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/d", &st), 0);
	CU_ASSERT_EQUAL(st.d.mode, GEFS_DMDIR | GEFS_DMEXCL | 0700);
	CU_ASSERT_EQUAL(st.d.qvers, 1);
	/* the acting user becomes muid and the owner of new files */
	CU_ASSERT_EQUAL(gefs_setuser(fs, "glenda"), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/g", 0666, NULL), 0);
	FAILS(gefs_setuser(fs, "nobody-here"), fs, ENOENT, "nobody-here");
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/g", &st), 0);
	CU_ASSERT_STRING_EQUAL(st.uid, "glenda");
	CU_ASSERT_STRING_EQUAL(st.muid, "glenda");
	CU_ASSERT_STRING_EQUAL(st.gid, "adm");
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
}

static void
test_users(void)
{
	static const char junk[] = "1:x:nosuchuser:\n";
	char path[256], text[256];
	GefsWstat w;
	GefsStat st;
	GefsTree *t, *adm;
	Gefs *fs;
	int64_t n;

	CU_ASSERT_FATAL(mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	adm = opent(fs, "adm");
	CU_ASSERT_PTR_NOT_NULL_FATAL(adm);
	CU_ASSERT_EQUAL(gefs_useradd(adm, 10, "alice", NULL), 0);
	CU_ASSERT_EQUAL(gefs_useradd(adm, 11, "devs", "alice"), 0);
	CU_ASSERT_EQUAL(gefs_groupmember(adm, "devs", "glenda"), 0);
	CU_ASSERT_EQUAL(gefs_groupmember(adm, "devs", "alice"), 0);
	FAILS(gefs_useradd(adm, 12, "alice", NULL), adm->fs, EEXIST, "alice");
	FAILS(gefs_useradd(adm, 10, "bob", NULL), adm->fs, EEXIST, "id");
	FAILS(gefs_useradd(adm, 12, "bo:b", NULL), adm->fs, EINVAL, "bo:b");
	FAILS(gefs_groupmember(adm, "devs", "alice"), adm->fs, EEXIST, "member");
	FAILS(gefs_groupmember(adm, "devs", "zed"), adm->fs, EINVAL, "zed");
	FAILS(gefs_groupmember(adm, "nogrp", "alice"), adm->fs, ENOENT, "nogrp");
	/* direct edits that the reference could not load are refused */
	FAILS(gefs_pwrite(adm, "/users", junk, sizeof junk - 1, 0), fs, EINVAL, "nosuchuser");
	FAILS(gefs_pwrite(adm, "/users", "x\n", 2, 4096), fs, EINVAL, "hole");
	FAILS(gefs_remove(adm, "/users"), fs, EINVAL, "users");
	FAILS(gefs_rename(adm, "/users", "/u2"), fs, EINVAL, "users");
	CU_ASSERT_EQUAL(gefs_truncate(adm, "/users", 0), 0);	/* empty parses */
	n = gefs_pwrite(adm, "/users", "-1:adm::glenda\n0:none::\n1:glenda:glenda:\n10:alice::\n11:devs:alice:glenda,alice\n",
		79, 0);
	CU_ASSERT_EQUAL(n, 79);
	/* new names usable at once */
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_create(t, "/f", 0666, "alice"), 0);
	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSGID;
	w.gid = "devs";
	CU_ASSERT_EQUAL(gefs_wstat(t, "/f", &w), 0);
	gefs_closetree(adm);
	fs = cycle(fs, &t, "main", path);
	CU_ASSERT_EQUAL(gefs_stat(t, "/f", &st), 0);
	CU_ASSERT_STRING_EQUAL(st.uid, "alice");
	CU_ASSERT_STRING_EQUAL(st.gid, "devs");
	adm = opent(fs, "adm");
	CU_ASSERT_PTR_NOT_NULL_FATAL(adm);
	n = rd(adm, "/users", 0, text, sizeof text - 1);
	CU_ASSERT_EQUAL(n, 79);
	text[n > 0 ? n : 0] = 0;
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "11:devs:alice:glenda,alice\n"));
	gefs_closetree(adm);
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
}

/* A write that does not fit fails with ENOSPC naming the file; after an
 * abort the image is the last committed state, and deleting on the full
 * image works. */
static void
test_full(void)
{
	enum { STEP = 4 << 20 };
	char path[256], name[32];
	uint8_t *buf = malloc(STEP);
	GefsFormatOpts o;
	GefsErr e;
	GefsTree *t;
	Gefs *fs;
	int i, rc = 0;

	CU_ASSERT_FATAL(buf != NULL && lttmp(path, sizeof path, ".img") == 0);
	gefs_defformatopts(&o);
	o.noxrec = true;
	CU_ASSERT_FATAL(gefs_format(path, GEFS_MINSIZE, &o, NULL, &e) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	fillpat(buf, 0, STEP, 3);
	for (i = 0; rc == 0 && i < 64; i++) {
		snprintf(name, sizeof name, "/f%02d", i);
		rc = gefs_create(t, name, 0666, NULL);
		if (rc == 0)
			rc = gefs_pwrite(t, name, buf, STEP, 0) == STEP ? 0 : -1;
		if (rc == 0)
			rc = gefs_commit(fs);
	}
	CU_ASSERT(i > 4 && i < 64);
	CU_ASSERT_EQUAL(gefs_errcode(fs), ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(gefs_errmsg(fs), name));
	CU_ASSERT_EQUAL(gefs_abort(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(nerrors(path), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_walk(t, name, &(GefsXdir){0}), -1);	/* the aborted file */
	CU_ASSERT_EQUAL(gefs_remove(t, "/f00"), 0);
	CU_ASSERT_EQUAL(gefs_truncate(t, "/f01", 1), 0);
	fs = cycle(fs, &t, "main", path);	/* the space comes back, durably */
	CU_ASSERT_EQUAL(gefs_create(t, "/again", 0666, NULL), 0);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/again", buf, STEP, 0), STEP);
	if (gefs_errcode(fs) != 0)
		fprintf(stderr, "\n%s\n", gefs_errmsg(fs));
	fs = cycle(fs, &t, "main", path);
	gefs_closetree(t);
	gefs_close(fs);
	unlink(path);
	free(buf);
}

/* ---- the model test ---- */

enum {
	MMAX	= 400,		/* live entries at most */
	MFILE	= 192 * 1024,	/* most file offsets stay below this */
	MBIG	= 1200 * 1024,	/* a rare big write: more than one write step */
	MLEN	= 4 << 20,	/* longest file (appends grow files past MFILE) */
	MSTEP	= 64 * B,	/* the write step of fswrite (one Owstat each) */
};

typedef struct MNode {
	char		path[256];
	bool		dir;
	uint32_t	mode;
	uint64_t	len, qpath;
	uint32_t	vers;
	int64_t		mtime, atime;
	int32_t		uid, gid, muid;
	uint8_t		*data;		/* len bytes */
} MNode;

typedef struct Model {
	MNode		n[MMAX];
	int		nn;
	uint64_t	nextqid;
	int64_t		clock;
	uint64_t	rng;
	int32_t		actor;
} Model;

static uint64_t
rnd(Model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static uint64_t
rndn(Model *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

static int
mfind(Model *m, const char *path)
{
	int i;

	for (i = 0; i < m->nn; i++)
		if (strcmp(m->n[i].path, path) == 0)
			return i;
	return -1;
}

static int
mparent(Model *m, const char *path)
{
	char p[256];
	char *s;

	snprintf(p, sizeof p, "%s", path);
	s = strrchr(p, '/');
	if (s == p)
		p[1] = 0;
	else
		*s = 0;
	return mfind(m, p);
}

static bool
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || (n == 1 && dir[0] == '/' && path[1] != 0));
}

static bool
mempty(Model *m, int d)
{
	int i;

	for (i = 0; i < m->nn; i++)
		if (i != d && mparent(m, m->n[i].path) == d)
			return false;
	return true;
}

static void
mdel(Model *m, int i)
{
	free(m->n[i].data);
	m->n[i] = m->n[--m->nn];
}

/* A random path: an existing entry, or a new name in a directory. */
static void
rpath(Model *m, char *p, size_t np, bool existing)
{
	static const char *names[] = {"a", "b", "c", "dd", "e e", "f.txt", "\xc3\xa9t\xc3\xa9", "longer-name-17"};
	int i = (int)rndn(m, (uint64_t)m->nn);

	if (existing) {
		snprintf(p, np, "%s", m->n[i].path);
		return;
	}
	while (!m->n[i].dir)
		i = (int)rndn(m, (uint64_t)m->nn);
	if (strlen(m->n[i].path) > 180)
		i = 0;	/* the root: paths stay short enough for the model */
	snprintf(p, np, "%s%s%s", m->n[i].path, strcmp(m->n[i].path, "/") ? "/" : "",
		names[rndn(m, nelem(names))]);
}

/* What the model expects of create: 0 or an errno. */
static int
mcreate(Model *m, const char *path, uint32_t mode)
{
	int p = mparent(m, path), i;
	uint32_t keep = (mode & GEFS_DMDIR) ? 0777 : 0666;
	MNode *n;

	if (p < 0)
		return ENOENT;
	if (!m->n[p].dir)
		return ENOTDIR;
	if (mfind(m, path) >= 0)
		return EEXIST;
	if (m->nn == MMAX)
		return -1;
	i = m->nn++;
	n = &m->n[i];
	memset(n, 0, sizeof *n);
	snprintf(n->path, sizeof n->path, "%s", path);
	n->dir = (mode & GEFS_DMDIR) != 0;
	n->mode = mode & (~keep | (m->n[p].mode & keep));
	n->qpath = m->nextqid++;
	n->mtime = n->atime = m->clock;
	n->uid = n->muid = m->actor;
	n->gid = m->n[p].gid;
	m->n[p].vers++;
	return 0;
}

static int
mwrite(Model *m, const char *path, const uint8_t *buf, size_t cnt, uint64_t off)
{
	int i = mfind(m, path);
	MNode *n;
	uint64_t end;

	if (i < 0)
		return ENOENT;
	n = &m->n[i];
	if (n->dir)
		return EISDIR;
	if (n->mode & GEFS_DMAPPEND)
		off = n->len;
	if (cnt == 0)
		return 0;
	end = off + cnt;
	if (end > MLEN)
		return -1;	/* longer than the model keeps: skipped */
	if (end > n->len) {
		n->data = realloc(n->data, end);
		memset(n->data + n->len, 0, end - n->len);
		n->len = end;
	}
	memcpy(n->data + off, buf, cnt);
	n->vers += (uint32_t)(((end - 1) / B - off / B + 1 + MSTEP / B - 1) / (MSTEP / B));
	n->mtime = m->clock;
	n->muid = m->actor;
	return 0;
}

static int
mtrunc(Model *m, const char *path, uint64_t len)
{
	int i = mfind(m, path);
	MNode *n;

	if (i < 0)
		return ENOENT;
	n = &m->n[i];
	if (n->dir)
		return EISDIR;
	n->data = realloc(n->data, len ? len : 1);
	if (len > n->len)
		memset(n->data + n->len, 0, len - n->len);
	n->len = len;
	n->vers++;
	n->muid = m->actor;
	return 0;
}

static int
mremove(Model *m, const char *path, bool all)
{
	int i = mfind(m, path), p, j;

	if (strcmp(path, "/") == 0)
		return EINVAL;
	if (i < 0)
		return ENOENT;
	if (m->n[i].dir && !all && !mempty(m, i))
		return ENOTEMPTY;
	p = mparent(m, path);
	m->n[p].vers++;
	for (j = m->nn - 1; j >= 0; j--)
		if (j != i && under(m->n[j].path, path))
			mdel(m, j);
	mdel(m, mfind(m, path));
	return 0;
}

static int
mrename(Model *m, const char *from, const char *to)
{
	int a = mfind(m, from), q = mparent(m, to), p, j;
	char np[512];
	size_t nf = strlen(from);

	if (strcmp(from, "/") == 0)
		return EINVAL;
	if (a < 0)
		return ENOENT;
	if (strcmp(to, "/") == 0)
		return EINVAL;
	if (q < 0)
		return ENOENT;
	if (!m->n[q].dir)
		return ENOTDIR;
	if (strcmp(from, to) == 0)
		return 0;
	if (mfind(m, to) >= 0)
		return EEXIST;
	if (m->n[a].dir && under(to, from))
		return EINVAL;
	for (j = 0; j < m->nn; j++)
		if ((j == a || under(m->n[j].path, from)) && strlen(to) + strlen(m->n[j].path) - nf >= 200)
			return -1;	/* too long for the model */
	p = mparent(m, from);
	m->n[p].vers++;
	if (q != p)
		m->n[q].vers++;
	m->n[a].vers++;
	m->n[a].muid = m->actor;
	for (j = 0; j < m->nn; j++)
		if (j == a || under(m->n[j].path, from)) {
			snprintf(np, sizeof np, "%s%s", to, m->n[j].path + nf);
			if (strlen(np) >= sizeof m->n[j].path)
				return -1;
			snprintf(m->n[j].path, sizeof m->n[j].path, "%s", np);
		}
	return 0;
}

static int
mwstat(Model *m, const char *path, uint32_t mode, int64_t mtime)
{
	int i = mfind(m, path);

	if (i < 0)
		return ENOENT;
	if ((mode ^ m->n[i].mode) & GEFS_DMDIR)
		return EINVAL;
	m->n[i].mode = mode;
	m->n[i].mtime = mtime;
	m->n[i].vers++;
	m->n[i].muid = m->actor;
	return 0;
}

/* Every model entry matches the tree, and the tree has no other. */
static int
mcompare(Model *m, GefsTree *t, const char *when)
{
	GefsStat st;
	uint8_t *buf = malloc(MLEN + 1);
	int i, bad = 0, j, nch[MMAX] = {0};
	MNode *n;

	for (j = 1; j < m->nn; j++)
		nch[mparent(m, m->n[j].path)]++;	/* entry 0 is the root */
	for (i = 0; i < m->nn && bad == 0; i++) {
		n = &m->n[i];
		if (gefs_stat(t, n->path, &st) < 0) {
			fprintf(stderr, "%s: %s: %s\n", when, n->path, gefs_errmsg(t->fs));
			bad++;
			break;
		}
		if (st.d.mode != n->mode || st.d.qtype != (uint8_t)(n->mode >> 24) || st.d.length != n->len
		    || st.d.qpath != n->qpath || st.d.qvers != n->vers || st.d.mtime != n->mtime
		    || st.d.atime != n->atime || st.d.uid != n->uid || st.d.gid != n->gid || st.d.muid != n->muid) {
			fprintf(stderr, "%s: %s: stat mode %o/%o len %llu/%llu qid %llx/%llx vers %u/%u mtime %lld/%lld atime %lld/%lld uid %d/%d gid %d/%d muid %d/%d\n",
				when, n->path, st.d.mode, n->mode, (unsigned long long)st.d.length,
				(unsigned long long)n->len, (unsigned long long)st.d.qpath, (unsigned long long)n->qpath,
				st.d.qvers, n->vers, (long long)st.d.mtime, (long long)n->mtime, (long long)st.d.atime, (long long)n->atime,
				st.d.uid, n->uid, st.d.gid, n->gid, st.d.muid, n->muid);
			bad++;
		}
		if (n->dir) {
			int got = 0;
			if (gefs_readdir(t, n->path, countent, &got) < 0 || got != nch[i]) {
				fprintf(stderr, "%s: %s: %d entries, model %d\n", when, n->path, got, nch[i]);
				bad++;
			}
		} else if (rd(t, n->path, 0, buf, MLEN + 1) != (int64_t)n->len
		    || (n->len && memcmp(buf, n->data, n->len) != 0)) {
			for (j = 0; j < (int)n->len && buf[j] == n->data[j]; j++)
				;
			fprintf(stderr, "%s: %s (qid 0x%llx): contents differ from byte %d of %llu (%02x, model %02x)\n",
				when, n->path, (unsigned long long)n->qpath, j, (unsigned long long)n->len,
				j < (int)n->len ? buf[j] : 0, j < (int)n->len ? n->data[j] : 0);
			bad++;
		}
	}
	free(buf);
	return bad;
}

/* A random wstat of mode and mtime on both: the model's verdict, the
 * engine's result in *got. */
static int
rwstat(Model *m, GefsTree *t, char *p, size_t np, int *got)
{
	GefsWstat w;
	int want;

	rpath(m, p, np, true);
	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSMODE | GEFS_WSMTIME;
	w.mode = (uint32_t)rndn(m, 0777 + 1) | (rndn(m, 4) == 0 ? GEFS_DMAPPEND : 0) | (rndn(m, 4) == 0 ? GEFS_DMEXCL : 0);
	w.mode |= rndn(m, 4) == 0 ? GEFS_DMTMP : 0;
	if (mfind(m, p) >= 0)
		w.mode |= m->n[mfind(m, p)].mode & GEFS_DMDIR;
	w.mtime = (int64_t)rndn(m, 1000000) * 1000000000;
	want = mwstat(m, p, w.mode, w.mtime);
	*got = gefs_wstat(t, p, &w);
	return want;
}

/* One random operation on both; 0 when they agree. */
static int
mstep(Model *m, GefsTree *t, uint8_t *buf)
{
	char p[256], q[256];
	int op = (int)rndn(m, 100), want, got;
	uint64_t off = 0, len = 0;
	uint32_t mode;
	bool all;

	m->clock += 1000;
	gefs_setclock(t->fs, m->clock);
	if (op == 99) {
		m->actor = m->actor == -1 ? 1 : -1;	/* adm, glenda (§16, the formatter's users) */
		return gefs_setuser(t->fs, m->actor == -1 ? "adm" : "glenda") < 0;
	}
	if (op < 25) {
		rpath(m, p, sizeof p, false);
		mode = (uint32_t)rndn(m, 0777 + 1) | (rndn(m, 3) == 0 ? GEFS_DMDIR : 0);
		want = m->nn + 1 >= MMAX ? -1 : mcreate(m, p, mode);
		got = want < 0 ? 0 : gefs_create(t, p, mode, NULL);
	} else if (op < 60) {
		rpath(m, p, sizeof p, true);
		off = rndn(m, 4) == 0 ? rndn(m, MFILE - 40000) : rndn(m, 3 * B);
		len = op == 59 && rndn(m, 4) == 0 ? MBIG : rndn(m, 40000);
		fillpat(buf, off, (size_t)len, (int)rndn(m, 200));
		want = mwrite(m, p, buf, (size_t)len, off);
		got = want < 0 ? 0 : gefs_pwrite(t, p, buf, (size_t)len, off) < 0 ? -1 : 0;
	} else if (op < 70) {
		rpath(m, p, sizeof p, true);
		len = rndn(m, 2) ? rndn(m, MFILE) : rndn(m, 3 * B);
		want = mtrunc(m, p, len);
		got = gefs_truncate(t, p, len);
	} else if (op < 78) {
		all = op == 77 && rndn(m, 3) == 0;
		rpath(m, p, sizeof p, true);
		want = mremove(m, p, all);
		got = all ? gefs_removeall(t, p) : gefs_remove(t, p);
	} else if (op < 90) {
		rpath(m, p, sizeof p, true);
		rpath(m, q, sizeof q, rndn(m, 4) == 0);
		want = mrename(m, p, q);
		got = want < 0 ? 0 : gefs_rename(t, p, q);
	} else
		want = rwstat(m, t, p, sizeof p, &got);
	if (getenv("GEFS_MODEL_TRACE") != NULL)	/* every operation, to replay a failure */
		fprintf(stderr, "op %d %s -> %s off %llu len %llu: %d\n", op, p, op >= 78 && op < 90 ? q : "",
			(unsigned long long)off, (unsigned long long)len, want);
	if (want < 0)
		return 0;	/* the model's own limits: skipped */
	if ((want == 0) != (got == 0) || (want != 0 && gefs_errcode(t->fs) != want)) {
		fprintf(stderr, "op %d on %s: model %d, engine %d (%s)\n", op, p, want, got == 0 ? 0 : gefs_errcode(t->fs),
			got == 0 ? "ok" : gefs_errmsg(t->fs));
		return 1;
	}
	return 0;
}

/* ---- snapshots of main taken along the model test ---- */

enum { NSNAP = 3 };	/* labels kept; the oldest is deleted beyond */

typedef struct Snaps {
	char		name[NSNAP][16];
	Model		*m[NSNAP];
	int		n, seq;
} Snaps;

static Model *
mclone(const Model *m)
{
	Model *c = malloc(sizeof *c);
	int i;

	if (c == NULL)
		return NULL;
	*c = *m;
	for (i = 0; i < m->nn; i++) {
		c->n[i].data = m->n[i].len > 0 ? malloc(m->n[i].len) : NULL;	/* never shared */
		if (c->n[i].data != NULL)
			memcpy(c->n[i].data, m->n[i].data, m->n[i].len);
	}
	return c;
}

static void
mfree(Model *m)
{
	int i;

	for (i = 0; m != NULL && i < m->nn; i++)
		free(m->n[i].data);
	free(m);
}

/* Label main as it is now (the model saved with it), deleting the oldest
 * label beyond NSNAP; each change committed when commit is set, else
 * left to the next commit (main may hold uncommitted changes: the
 * snapshot folds them in memory).  Errors found. */
static int
msnap(Snaps *sn, const Model *m, Gefs *fs, bool commit)
{
	if (sn->n == NSNAP) {
		if (gefs_dellabel(fs, sn->name[0]) < 0 || (commit && gefs_commit(fs) < 0)) {
			fprintf(stderr, "delete label %s: %s\n", sn->name[0], gefs_errmsg(fs));
			return 1;
		}
		mfree(sn->m[0]);
		memmove(&sn->m[0], &sn->m[1], (NSNAP - 1) * sizeof sn->m[0]);
		memmove(sn->name[0], sn->name[1], (NSNAP - 1) * sizeof sn->name[0]);
		sn->n--;
	}
	snprintf(sn->name[sn->n], sizeof sn->name[0], "s%d", sn->seq++);
	if (gefs_snapshot(fs, "main", sn->name[sn->n], false) < 0 || (commit && gefs_commit(fs) < 0)) {
		fprintf(stderr, "snapshot %s: %s\n", sn->name[sn->n], gefs_errmsg(fs));
		return 1;
	}
	sn->m[sn->n++] = mclone(m);
	return 0;
}

/* Every label still lists what main held when it was taken. */
static int
msnapcmp(Snaps *sn, Gefs *fs, const char *when)
{
	GefsTree *t;
	char w[96];
	int i, bad = 0;

	for (i = 0; i < sn->n && bad == 0; i++) {
		if ((t = opent(fs, sn->name[i])) == NULL)
			return 1;
		snprintf(w, sizeof w, "label %s, %s", sn->name[i], when);
		bad += sn->m[i] == NULL || mcompare(sn->m[i], t, w);
		gefs_closetree(t);
	}
	return bad;
}

/* The model of a fresh tree: its root as the engine has it. */
static void
minit(Model *m, GefsTree *t, uint64_t seed)
{
	GefsStat st;

	m->rng = seed | 1;
	m->clock = T0;
	m->actor = -1;
	m->nextqid = gefs_super(t->fs, NULL)->nextqid;
	CU_ASSERT_FATAL(gefs_stat(t, "/", &st) == 0);
	m->nn = 1;
	strcpy(m->n[0].path, "/");
	m->n[0].dir = true;
	m->n[0].mode = st.d.mode;
	m->n[0].qpath = st.d.qpath;
	m->n[0].vers = st.d.qvers;
	m->n[0].mtime = st.d.mtime;
	m->n[0].atime = st.d.atime;
	m->n[0].uid = st.d.uid;
	m->n[0].gid = st.d.gid;
	m->n[0].muid = st.d.muid;
}

/* Close and reopen, the acting user set again. */
static Gefs *
mreopen(Model *m, Gefs *fs, GefsTree **t, const char *path)
{
	gefs_closetree(*t);
	gefs_close(fs);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	*t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(*t);
	CU_ASSERT_EQUAL(gefs_setuser(fs, m->actor == -1 ? "adm" : "glenda"), 0);
	return fs;
}

static void
test_model(void)
{
	const char *e = getenv("GEFS_MODEL_OPS"), *se = getenv("GEFS_MODEL_SEED");
	long nops = e ? atol(e) : 5000;
	uint64_t seed = se ? strtoull(se, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	char path[256], when[64];
	uint8_t *buf = malloc(MBIG);
	Model *m = calloc(1, sizeof *m);
	GefsTree *t;
	Gefs *fs;
	long i;
	int bad = 0, ncommit = 0;
	Snaps sn;

	CU_ASSERT_FATAL(buf && m && mkfresh(path, sizeof path) == 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(&sn, 0, sizeof sn);
	minit(m, t, seed);
	for (i = 0; i < nops && bad == 0; i++) {
		bad += mstep(m, t, buf);
		if (bad == 0 && getenv("GEFS_MODEL_EACH") != NULL && i >= atol(getenv("GEFS_MODEL_EACH"))) {
			snprintf(when, sizeof when, "after op %ld, uncommitted", i);
			bad += mcompare(m, t, when);	/* to find the operation that went wrong */
		}
		if (bad == 0 && i % 50 == 24 && i % 150 != 24) {
			/* in the middle of a commit: a label of the changed main */
			bad += msnap(&sn, m, fs, false);
			snprintf(when, sizeof when, "after op %ld, labelled uncommitted", i);
			bad += bad == 0 ? msnapcmp(&sn, fs, when) : 0;
		}
		if (bad == 0 && (i % 50 == 49 || i == nops - 1)) {
			ncommit++;
			if (gefs_commit(fs) < 0) {
				fprintf(stderr, "commit: %s\n", gefs_errmsg(fs));
				bad++;
				break;
			}
			snprintf(when, sizeof when, "after op %ld (commit %d)", i, ncommit);
			bad += mcompare(m, t, when);
			if (bad == 0 && ncommit % 7 == 0)
				bad += msnap(&sn, m, fs, true);
			if (ncommit % 10 == 0 || i == nops - 1) {
				fs = mreopen(m, fs, &t, path);
				snprintf(when, sizeof when, "reopened after op %ld", i);
				bad += mcompare(m, t, when);
				bad += msnapcmp(&sn, fs, when);
			}
		}
	}
	if (bad == 0)
		bad += strictseq(t);
	if (bad)
		fprintf(stderr, "model test failed at op %ld: GEFS_MODEL_SEED=0x%llx\n", i, (unsigned long long)seed);
	CU_ASSERT_EQUAL(bad, 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(nerrors(path), 0);
	fprintf(stderr, "[%ld ops, %d commits, %d entries, %d labels taken] ", i, ncommit, m->nn, sn.seq);
	for (i = 0; i < sn.n; i++)
		mfree(sn.m[i]);
	unlink(path);
	for (i = 0; i < m->nn; i++)
		free(m->n[i].data);
	free(m);
	free(buf);
}

/* ---- reference images ---- */

static char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char *b = NULL;
	size_t cap = 0, r;

	*n = 0;
	if (fp == NULL)
		return NULL;
	for (;;) {
		if (*n + 65536 > cap && (b = realloc(b, cap = 2 * cap + 65536)) == NULL)
			break;
		if ((r = fread(b + *n, 1, cap - *n, fp)) == 0)
			break;
		*n += r;
	}
	fclose(fp);
	return b;
}

/* Does label lbl of fs list exactly as the reference's manifest? */
static bool
samemanifest(Gefs *fs, const char *dir, const char *img, const char *lbl)
{
	char path[1200], *want, *got = NULL;
	size_t nwant, ngot;
	GefsTree *t;
	FILE *fp;
	bool same;

	snprintf(path, sizeof path, "%s/%s.manifest.%s", dir, img, lbl);
	if ((want = slurp(path, &nwant)) == NULL || (t = opent(fs, lbl)) == NULL) {
		free(want);
		return false;
	}
	fp = open_memstream(&got, &ngot);
	same = fp != NULL && gefs_manifest(t, "/", fp) == 0;
	if (fp != NULL)
		fclose(fp);
	same = same && ngot == nwant && memcmp(got, want, ngot) == 0;
	if (!same)
		fprintf(stderr, "%s %s: manifest differs (%zu vs %zu bytes)\n", img, lbl, ngot, nwant);
	gefs_closetree(t);
	free(got);
	free(want);
	return same;
}

/* The first file path in a manifest (for removing something the
 * reference wrote), or "" when it lists none. */
static void
firstfile(const char *dir, const char *img, char *out, size_t n)
{
	char path[1200], *m, *p, *tab;
	size_t nm;

	out[0] = 0;
	snprintf(path, sizeof path, "%s/%s.manifest.main", dir, img);
	if ((m = slurp(path, &nm)) == NULL)
		return;
	for (p = m; p < m + nm && (tab = memchr(p, '\t', (size_t)(m + nm - p))) != NULL; ) {
		if (tab[1] == 'f' && (size_t)(tab - p) < n) {
			memcpy(out, p, (size_t)(tab - p));
			out[tab - p] = 0;
			break;
		}
		if ((p = memchr(tab, '\n', (size_t)(m + nm - tab))) == NULL)
			break;
		p++;
	}
	free(m);
}

/* A file of main with a Kdat key past its length (a reference truncate
 * leaves them, §24 #5): its path and length; false when there is none. */
static bool
stalefile(GefsTree *t, const char *dir, const char *img, char *out, size_t n, uint64_t *len)
{
	char path[1200], *m, *line, *save = NULL;
	uint8_t lo[GEFS_KEYMAX], hi[GEFS_KEYMAX];
	unsigned long long l, q;
	GefsScan *sc;
	GefsKv kv;
	size_t nm;
	bool found = false;

	snprintf(path, sizeof path, "%s/%s.manifest.main", dir, img);
	if ((m = slurp(path, &nm)) == NULL)
		return false;
	m[nm > 0 ? nm - 1 : 0] = 0;
	for (line = strtok_r(m, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%1023[^\t]\tf\t%*o\t%llu\t%*s\t%*s\t%*s\t%*d\t%llx", path, &l, &q) != 3 || strlen(path) >= n)
			continue;
		sc = gefs_scan(t, lo, gefs_packdatkey(lo, q, (l + B - 1) / B * B), hi, gefs_packdatkey(hi, q, UINT64_MAX));
		found = sc != NULL && gefs_scannext(sc, &kv) == 1;
		gefs_scanfree(sc);
		if (found) {
			strcpy(out, path);
			*len = l;
		}
	}
	free(m);
	return found;
}

/* Growing a file over such a key shows zeros, not the old block. */
static void
stalegrow(GefsTree *t, const char *dir, const char *img)
{
	char path[1024];
	uint8_t *buf = malloc(4 * B), zero[4 * B];
	uint64_t len;

	if (buf == NULL || !stalefile(t, dir, img, path, sizeof path, &len)) {
		free(buf);
		return;
	}
	memset(zero, 0, sizeof zero);
	CU_ASSERT_EQUAL(gefs_truncate(t, path, len + 3 * B), 0);
	CU_ASSERT_EQUAL(rd(t, path, len, buf, 3 * B), 3 * B);
	CU_ASSERT(memcmp(buf, zero, 3 * B) == 0);
	fprintf(stderr, "[%s: %s grown over a stale block] ", img, path);
	free(buf);
}

static int
addlabel(void *arg, const char *name, size_t nlen, const GefsLabel *l)
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
	char path[256], cmd[1500], labels[1024] = "", victim[512], *lbl, *save;
	uint8_t *buf = malloc(300000);
	GefsStat st;
	GefsTree *t;
	Gefs *fs;

	snprintf(cmd, sizeof cmd, "%s/%s.img.gz", dir, img);
	if (buf == NULL || access(cmd, R_OK) != 0) {
		fprintf(stderr, "[%s absent, skipped] ", img);
		free(buf);
		return;
	}
	CU_ASSERT_FATAL(lttmp(path, sizeof path, ".img") == 0);
	snprintf(cmd, sizeof cmd, "gzip -dc '%s/%s.img.gz' > '%s'", dir, img, path);
	CU_ASSERT_FATAL(system(cmd) == 0);
	firstfile(dir, img, victim, sizeof victim);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	fillpat(buf, 0, 300000, 7);
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/h7", 0775, NULL), 0);
	CU_ASSERT_EQUAL(gefs_create(t, "/h7/big", 0664, NULL), 0);
	CU_ASSERT_EQUAL(gefs_pwrite(t, "/h7/big", buf, 300000, 5 * B + 1), 300000);
	CU_ASSERT_EQUAL(gefs_truncate(t, "/h7/big", 200001), 0);
	CU_ASSERT_EQUAL(gefs_rename(t, "/h7/big", "/h7-big"), 0);
	if (victim[0] != 0) {
		CU_ASSERT_EQUAL(gefs_pwrite(t, victim, "patched", 7, 3), 7);
		CU_ASSERT_EQUAL(gefs_remove(t, victim), 0);
	}
	stalegrow(t, dir, img);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	gefs_closetree(t);
	gefs_close(fs);
	CU_ASSERT_EQUAL(nerrors(path), 0);
	fs = openrw(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	t = opent(fs, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(gefs_stat(t, "/h7-big", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 200001);
	CU_ASSERT_EQUAL(rd(t, "/h7-big", 5 * B + 1, buf + 1000, 1000), 1000);
	CU_ASSERT(memcmp(buf, buf + 1000, 1000) == 0);	/* buf still holds the pattern */
	if (victim[0] != 0)
		CU_ASSERT_EQUAL(gefs_stat(t, victim, &st), -1);
	gefs_closetree(t);
	CU_ASSERT_EQUAL(gefs_walklabels(fs, addlabel, labels), 0);
	for (lbl = strtok_r(labels, "\n", &save); lbl; lbl = strtok_r(NULL, "\n", &save))
		if (strcmp(lbl, "main") != 0)
			CU_ASSERT(samemanifest(fs, dir, img, lbl));
	gefs_close(fs);
	unlink(path);
	free(buf);
}

static void
test_interop(void)
{
	static const char *imgs[] = { "ref-fresh-256M", "ref-small", "ref-many", "ref-deep" };
	const char *sh = getenv("GEFS_SHARED");
	char dir[1024];
	size_t i;

	if (sh == NULL || strlen(sh) > 900 || access(sh, R_OK) != 0) {
		fprintf(stderr, "[GEFS_SHARED not available, skipped] ");
		return;
	}
	snprintf(dir, sizeof dir, "%s/reference-images", sh);
	for (i = 0; i < nelem(imgs); i++)
		interop1(dir, imgs[i]);
}

/* ---- batches (gefs_batchput) and the data stage's writer thread ---- */

/* A fresh image of sz bytes with a fixed UUID and time: two made so
 * hold the same bytes. */
static int
mkfixed(char *path, size_t n, uint64_t sz)
{
	GefsFormatOpts o;
	GefsErr e;

	if (lttmp(path, n, ".img") < 0)
		return -1;
	gefs_defformatopts(&o);
	o.noxrec = true;
	o.force = true;
	o.uuidmode = GEFS_UUIDGIVEN;
	memset(o.uuid, 0x5a, sizeof o.uuid);
	o.ctimeset = true;
	o.ctime = T0;
	if (gefs_format(path, sz, &o, NULL, &e) < 0) {
		fprintf(stderr, "format %s: %s\n", path, e.msg);
		return -1;
	}
	return 0;
}

/* Size of batch file i: empty, short, whole blocks, a partial tail. */
static size_t
bsize(int i)
{
	static const size_t sz[] = { 0, 10, B, B + 7, 5 * B + 3, 3 * B - 1 };

	return sz[i % (int)nelem(sz)];
}

/* Put files /d/f00../d/f(n-1) (contents pat(.., i)) through a batch, or
 * with gefs_create and one gefs_pwrite when plain. */
static int
putfiles(GefsTree *t, int n, bool plain, uint8_t *buf)
{
	GefsBatch *bt = plain ? NULL : gefs_batchopen(t);
	char name[64];
	int i, rc = 0;

	if (!plain && bt == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(name, sizeof name, "/d/f%02d", i);
		fillpat(buf, 0, bsize(i), i);
		if (plain)
			rc = gefs_create(t, name, 0640, NULL) < 0
			    || (bsize(i) > 0 && gefs_pwrite(t, name, buf, bsize(i), 0) != (int64_t)bsize(i)) ? -1 : 0;
		else
			rc = gefs_batchput(bt, name, 0640, NULL, buf, bsize(i));
	}
	if (gefs_batchclose(bt) < 0)
		rc = -1;
	return rc;
}

/* Every /d/f.. of putfiles reads back, with the Xdir of create+pwrite. */
static void
checkfiles(GefsTree *t, int n, uint8_t *want, uint8_t *got)
{
	char name[64];
	GefsStat st;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "/d/f%02d", i);
		CU_ASSERT_EQUAL_FATAL(gefs_stat(t, name, &st), 0);
		CU_ASSERT_EQUAL(st.d.length, bsize(i));
		CU_ASSERT_EQUAL(st.d.qvers, bsize(i) > 0);
		CU_ASSERT_EQUAL(st.d.mode, 0640);
		CU_ASSERT_EQUAL(st.d.mtime, T0);
		CU_ASSERT_EQUAL(ndat(t, st.d.qpath), (int)((bsize(i) + B - 1) / B));
		fillpat(want, 0, bsize(i), i);
		CU_ASSERT_EQUAL(rd(t, name, 0, got, 8 * B), (int64_t)bsize(i));
		CU_ASSERT(memcmp(got, want, bsize(i)) == 0);
	}
}

static void
batcherrs(GefsTree *t, Gefs *fs, uint8_t *buf)
{
	GefsBatch *bt = gefs_batchopen(t);
	GefsStat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(bt);
	CU_ASSERT_EQUAL(gefs_batchput(bt, "/e/x", 0644, NULL, buf, 5), 0);
	FAILS(gefs_batchput(bt, "/e/x", 0644, NULL, buf, 5), fs, EEXIST, "/e/x");	/* queued */
	FAILS(gefs_batchput(bt, "/d/f00", 0644, NULL, buf, 5), fs, EEXIST, "/d/f00");	/* in the tree */
	FAILS(gefs_batchput(bt, "/e/x/y", 0644, NULL, buf, 5), fs, ENOENT, "/e/x");	/* queued parent */
	CU_ASSERT_EQUAL(gefs_stat(t, "/e/x", &st), -1);	/* not seen before the flush */
	CU_ASSERT_EQUAL(gefs_batchput(bt, "/e/sub", GEFS_DMDIR | 0755, NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/e/sub", &st), 0);	/* directories at once */
	CU_ASSERT_EQUAL(gefs_batchflush(bt), 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/e/x", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, 5);
	/* a commit flushes what is queued; an abort drops it */
	CU_ASSERT_EQUAL(gefs_batchput(bt, "/e/c", 0644, NULL, buf, B + 1), 0);
	CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/e/c", &st), 0);
	CU_ASSERT_EQUAL(st.d.length, B + 1);
	CU_ASSERT_EQUAL(gefs_batchput(bt, "/e/a", 0644, NULL, buf, 3), 0);
	CU_ASSERT_EQUAL(gefs_abort(fs), 0);
	CU_ASSERT_EQUAL(gefs_batchflush(bt), 0);
	CU_ASSERT_EQUAL(gefs_stat(t, "/e/a", &st), -1);
	CU_ASSERT_EQUAL(gefs_batchclose(bt), 0);
}

static void
test_batch(void)
{
	enum { N = 30 };
	char pa[256], pb[256];
	uint8_t *buf = malloc(8 * B), *want = malloc(8 * B), *got = malloc(8 * B);
	GefsTree *ta, *tb;
	Gefs *fa, *fb;

	CU_ASSERT_FATAL(buf && want && got && mkfresh(pa, sizeof pa) == 0 && mkfresh(pb, sizeof pb) == 0);
	fa = openrw(pa);
	fb = openrw(pb);
	CU_ASSERT_FATAL(fa != NULL && fb != NULL);
	ta = opent(fa, "main");
	tb = opent(fb, "main");
	CU_ASSERT_FATAL(ta != NULL && tb != NULL);
	CU_ASSERT_EQUAL(gefs_mkdir(ta, "/d", 0755, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(ta, "/e", 0755, NULL), 0);
	CU_ASSERT_EQUAL(gefs_mkdir(tb, "/d", 0755, NULL), 0);
	CU_ASSERT_EQUAL(putfiles(ta, N, false, buf), 0);
	CU_ASSERT_EQUAL(putfiles(tb, N, true, buf), 0);
	batcherrs(ta, fa, buf);
	fa = cycle(fa, &ta, "main", pa);
	fb = cycle(fb, &tb, "main", pb);
	checkfiles(ta, N, want, got);
	checkfiles(tb, N, want, got);
	CU_ASSERT_EQUAL(strictseq(ta), 0);
	gefs_closetree(ta);
	gefs_closetree(tb);
	gefs_close(fa);
	gefs_close(fb);
	unlink(pa);
	unlink(pb);
	free(buf);
	free(want);
	free(got);
}

/* Do files a and b hold the same bytes? */
static bool
samebytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	static uint8_t x[B], y[B];
	size_t na, nb;
	bool same = fa != NULL && fb != NULL;

	while (same) {
		na = fread(x, 1, sizeof x, fa);
		nb = fread(y, 1, sizeof y, fb);
		same = na == nb && memcmp(x, y, na) == 0;
		if (na == 0)
			break;
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return same;
}

/* 600 files of up to 5 blocks (~1500 blocks) through a 1 MiB cache:
 * the data stage goes out many times while files are put, through the
 * writer thread where the host allows O_DIRECT. */
static void
writer1(const char *path, uint8_t *buf, uint8_t *want, uint8_t *got)
{
	enum { N = 600 };
	GefsOpts o;
	GefsErr e;
	GefsTree *t;
	Gefs *fs;
	char d[16];
	int i;

	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = 1 << 20;
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs = gefs_open(path, &o, &e));
	gefs_setclock(fs, T0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = opent(fs, "main"));
	CU_ASSERT_EQUAL(gefs_mkdir(t, "/d", 0755, NULL), 0);
	CU_ASSERT_EQUAL(putfiles(t, N, false, buf), 0);
	for (i = 0; i < 4; i++) {	/* and plain writes between commits */
		snprintf(d, sizeof d, "/d/g%d", i);
		CU_ASSERT_EQUAL(gefs_create(t, d, 0644, NULL), 0);
		fillpat(buf, 0, 6 * B, i);
		CU_ASSERT_EQUAL(gefs_pwrite(t, d, buf, 6 * B, 0), 6 * B);
		CU_ASSERT_EQUAL(gefs_commit(fs), 0);
	}
	fs = cycle(fs, &t, "main", path);
	checkfiles(t, N, want, got);
	gefs_closetree(t);
	gefs_close(fs);
}

static void
test_writer(void)
{
	char pa[256], pb[256];
	uint8_t *buf = malloc(8 * B), *want = malloc(8 * B), *got = malloc(8 * B);
	int fd;

	CU_ASSERT_FATAL(buf && want && got && mkfixed(pa, sizeof pa, IMGSZ) == 0 && mkfixed(pb, sizeof pb, IMGSZ) == 0);
	if ((fd = open(pa, O_WRONLY | O_DIRECT)) < 0)
		fprintf(stderr, "[no O_DIRECT here: the synchronous path] ");
	else
		close(fd);
	writer1(pa, buf, want, got);
	writer1(pb, buf, want, got);
	CU_ASSERT(samebytes(pa, pb));	/* the thread does not change the bytes */
	unlink(pa);
	unlink(pb);
	free(buf);
	free(want);
	free(got);
}

int
suite_fswrite(void)
{
	CU_pSuite s = CU_add_suite("fswrite", NULL, NULL);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "create and mkdir", test_create)
	    || !CU_add_test(s, "errors", test_errors)
	    || !CU_add_test(s, "write, holes, truncate", test_write)
	    || !CU_add_test(s, "data placement by qid (§5.5)", test_place)
	    || !CU_add_test(s, "remove and removeall", test_remove)
	    || !CU_add_test(s, "rename and move", test_rename)
	    || !CU_add_test(s, "wstat and the acting user", test_wstat)
	    || !CU_add_test(s, "the users file", test_users)
	    || !CU_add_test(s, "a full image: ENOSPC, abort, delete", test_full)
	    || !CU_add_test(s, "batches of new files", test_batch)
	    || !CU_add_test(s, "the data stage's writer thread", test_writer)
	    || !CU_add_test(s, "random operations against a model", test_model)
	    || !CU_add_test(s, "writes into the reference images", test_interop))
		return -1;
	return 0;
}
