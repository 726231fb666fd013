/* SPDX-License-Identifier: MIT */
/*
 * tree suite: message application (§10), point lookup (§11.2) and range
 * scans (§11.3) on hand-built height-1, 2 and 3 trees with messages
 * buffered at several levels, and damaged trees that must fail cleanly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "internal.h"
#include "treeimg.h"

/* ---- message application ---- */

/* The message tests need a handle only for its error slot, yet it is
 * made by the library's one constructor (treeimg.h over an empty tree
 * image), so that it is a handle like any other: one for the suite. */
static Timg *errim;

static int
errclean(void)
{
	if (errim != NULL)
		timgfree(errim);
	errim = NULL;
	return 0;
}

static int
errinit(void)
{
	errim = timgnew();
	if (errim == NULL)
		return -1;
	if (timgopen(errim) == NULL) {
		errclean();
		return -1;
	}
	return 0;
}

static Gefs *
errfs(void)
{
	memset(&errim->fs->err, 0, sizeof errim->fs->err);
	return errim->fs;
}

static GefsMsg
msg(int op, const char *k, const void *v, size_t nv)
{
	GefsMsg m = { (uint8_t)op, (const uint8_t *)k, (uint16_t)strlen(k), v, (uint16_t)nv };

	return m;
}

static void
test_apply_basic(void)
{
	Gefs *fs = errfs();
	uint8_t v[GEFS_INLMAX];
	uint16_t nv = 0;
	bool found = false;
	GefsMsg m;

	m = msg(GEFS_OINSERT, "\x06k", "abc", 3);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(found && nv == 3 && memcmp(v, "abc", 3) == 0);
	m = msg(GEFS_OINSERT, "\x06k", "de", 2);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(found && nv == 2 && memcmp(v, "de", 2) == 0);
	m = msg(GEFS_ODELETE, "\x06k", NULL, 0);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(!found);
	/* Odelete on an absent key is invalid; the message names key and node */
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x1ff4000, &found, v, &nv), -1);
	CU_ASSERT_EQUAL(fs->err.code, EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(fs->err.msg, "0x1ff4000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(fs->err.msg, "Kconf(\"k\")"));
	CU_ASSERT_PTR_NOT_NULL(strstr(fs->err.msg, "Odelete"));
	/* Oclearb / Oclobber: absent or present, the key ends absent */
	m = msg(GEFS_OCLEARB, "\x06k", NULL, 0);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(!found);
	found = true;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(!found);
	m = msg(GEFS_OCLOBBER, "\x06k", NULL, 0);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	found = true;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(!found);
	/* opcodes 0 and 9 are invalid */
	m = msg(0, "\x06k", NULL, 0);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), -1);
	m = msg(9, "\x06k", NULL, 0);
	found = true;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), -1);
}

static void
test_apply_wstat(void)
{
	Gefs *fs = errfs();
	uint8_t v[GEFS_INLMAX], op[64];
	uint16_t nv;
	bool found = false;
	GefsXdir d, w, r;
	GefsMsg m;
	size_t n;

	memset(&d, 0, sizeof d);
	d.qpath = 7;
	d.mode = 0644;
	d.length = 10;
	memset(&w, 0, sizeof w);
	w.length = 99;
	w.mtime = 1758700800123456789LL;
	w.muid = 3;
	n = gefs_packwstat(op, GEFS_OWSIZE | GEFS_OWMTIME | GEFS_OWMUID, &w);
	m = (GefsMsg){ GEFS_OWSTAT, (const uint8_t *)"\x01k", 2, op, (uint16_t)n };
	/* absent: invalid */
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), -1);
	CU_ASSERT_EQUAL(fs->err.code, EBADMSG);
	gefs_packxdir(v, &d);
	nv = GEFS_XDIRSZ;
	found = true;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), 0);
	CU_ASSERT_EQUAL(gefs_unpackxdir(&r, v, nv, NULL), 0);
	CU_ASSERT_EQUAL(r.qvers, 1);
	CU_ASSERT_EQUAL(r.length, 99);
	CU_ASSERT_EQUAL(r.mtime, w.mtime);
	CU_ASSERT_EQUAL(r.muid, 3);
	CU_ASSERT_EQUAL(r.mode, 0644);
	/* touch: flag byte 0 bumps the version only */
	op[0] = 0;
	m.v = op;
	m.nv = 1;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), 0);
	gefs_unpackxdir(&r, v, nv, NULL);
	CU_ASSERT_EQUAL(r.qvers, 2);
	/* bit 0x80 without a field: no effect beyond the bump */
	op[0] = GEFS_OWQPATH;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), 0);
	gefs_unpackxdir(&r, v, nv, NULL);
	CU_ASSERT_EQUAL(r.qvers, 3);
	CU_ASSERT_EQUAL(r.qpath, 7);
	/* bit 0x80 with the 8-byte field: qid.path set */
	gefs_put64(op + 1, 0x1234);
	m.nv = 9;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), 0);
	gefs_unpackxdir(&r, v, nv, NULL);
	CU_ASSERT_EQUAL(r.qpath, 0x1234);
	/* any other length is malformed */
	m.nv = 5;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), -1);
	/* a value that is no Xdir */
	nv = 12;
	m.nv = 1;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x8000, &found, v, &nv), -1);
}

static void
test_apply_relink(void)
{
	Gefs *fs = errfs();
	uint8_t v[GEFS_INLMAX], op[GEFS_RELINKSZ];
	uint16_t nv;
	bool found = false;
	GefsSnap s, r;
	GefsRelink rl;
	GefsMsg m;
	uint8_t k[16];
	size_t nk = gefs_packsnapkey(k, 5);

	memset(&s, 0, sizeof s);
	s.nref = 1;
	s.nlbl = 1;
	s.ht = 1;
	s.gen = 5;
	s.pred = 2;
	s.succ = -1;
	s.root.addr = 0x10000;
	rl = (GefsRelink){ 9, -1, 1 };
	gefs_packrelink(op, &rl);
	m = (GefsMsg){ GEFS_ORELINK, k, (uint16_t)nk, op, GEFS_RELINKSZ };
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), -1);
	gefs_packsnap(v, &s);
	nv = GEFS_SNAPVALSZ;
	found = true;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), 0);
	gefs_unpacksnap(&r, v, nv, NULL);
	CU_ASSERT(r.succ == 9 && r.pred == 2 && r.nlbl == 0 && r.nref == 2);
	m.op = GEFS_OREPREV;
	rl = (GefsRelink){ -1, 0, 0 };
	gefs_packrelink(op, &rl);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), 0);
	gefs_unpacksnap(&r, v, nv, NULL);
	CU_ASSERT(r.succ == 9 && r.pred == -1 && r.nlbl == 0 && r.nref == 2);
	/* Oincref (op 8): counts only, link ignored */
	m.op = GEFS_OINCREF;
	rl = (GefsRelink){ 77, 2, -1 };
	gefs_packrelink(op, &rl);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), 0);
	gefs_unpacksnap(&r, v, nv, NULL);
	CU_ASSERT(r.succ == 9 && r.pred == -1 && r.nlbl == 2 && r.nref == 1);
	/* counts must stay >= 0 */
	rl = (GefsRelink){ -1, -3, 0 };
	gefs_packrelink(op, &rl);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(fs->err.msg, "Ksnap(5)"));
	/* operand must be 10 bytes */
	m.nv = 9;
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0xc000, &found, v, &nv), -1);
}

/* A sequence per §10.2: delete then a non-insert is invalid; delete then
 * insert re-creates. */
static void
test_apply_sequence(void)
{
	Gefs *fs = errfs();
	uint8_t v[GEFS_INLMAX], op[1] = { 0 };
	uint16_t nv;
	bool found = true;
	GefsXdir d;
	GefsMsg m;

	memset(&d, 0, sizeof d);
	gefs_packxdir(v, &d);
	nv = GEFS_XDIRSZ;
	m = msg(GEFS_ODELETE, "\x01x", NULL, 0);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	m = msg(GEFS_OWSTAT, "\x01x", op, 1);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), -1);
	m = msg(GEFS_OINSERT, "\x01x", v, GEFS_XDIRSZ);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	m = msg(GEFS_OWSTAT, "\x01x", op, 1);
	CU_ASSERT_EQUAL(applymsg(fs, &m, 0x4000, &found, v, &nv), 0);
	CU_ASSERT(found);
}

/* ---- trees built by hand ---- */

/* The model: what every key's logical value is. */
typedef struct Model {
	char		v[1000][16];	/* "" = absent; index = key number */
} Model;

static void
key(uint8_t *k, int i)
{
	k[0] = GEFS_KCONF;
	k[1] = (uint8_t)('0' + i / 100);
	k[2] = (uint8_t)('0' + i / 10 % 10);
	k[3] = (uint8_t)('0' + i % 10);
}

/* Leaf with keys ks (terminated by -1), values "v<key>". */
static GefsBptr
mkleaf(Timg *im, const int *ks, Model *mo)
{
	uint8_t blk[GEFS_BLKSZ], k[4];
	char v[16];
	int i;

	gefs_nodeinit(blk, GEFS_TLEAF);
	for (i = 0; ks[i] >= 0; i++) {
		key(k, ks[i]);
		snprintf(v, sizeof v, "v%03d", ks[i]);
		CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, 4, (uint8_t *)v, strlen(v), NULL), 0);
		if (mo != NULL)
			strcpy(mo->v[ks[i]], v);
	}
	return timgput(im, blk);
}

typedef struct Pmsg {
	int		op;
	int		k;
	const char	*v;
} Pmsg;

/* Pivot: children kids[i] under keys pk[i] (n of them), messages ms
 * (terminated by op 0), applied to the model in order. */
static GefsBptr
mkpivot(Timg *im, const int *pk, const GefsBptr *kids, int n, const Pmsg *ms, Model *mo)
{
	uint8_t blk[GEFS_BLKSZ], k[4], pv[GEFS_PIVVALSZ];
	GefsMsg m;
	int i;

	gefs_nodeinit(blk, GEFS_TPIVOT);
	for (i = 0; i < n; i++) {
		key(k, pk[i]);
		gefs_packpivval(pv, &kids[i], (uint16_t)timgfill(im, &kids[i]));
		CU_ASSERT_EQUAL_FATAL(gefs_nodeadd(blk, k, 4, pv, sizeof pv, NULL), 0);
	}
	for (i = 0; ms != NULL && ms[i].op != 0; i++) {
		key(k, ms[i].k);
		m = (GefsMsg){ (uint8_t)ms[i].op, k, 4, (const uint8_t *)ms[i].v,
			(uint16_t)(ms[i].v ? strlen(ms[i].v) : 0) };
		CU_ASSERT_EQUAL_FATAL(gefs_nodeaddmsg(blk, &m, NULL), 0);
		if (mo == NULL)
			continue;
		if (ms[i].op == GEFS_OINSERT)
			strcpy(mo->v[ms[i].k], ms[i].v);
		else
			mo->v[ms[i].k][0] = 0;
	}
	return timgput(im, blk);
}

/*
 * Height 3: root pivot -> 3 inner pivots -> 5 leaves.  Messages at both
 * pivot levels, for keys below K_0 of the root and of inner pivots, keys
 * in leaves and not, runs of several messages for one key.
 */
static GefsBptr
build3(Timg *im, Model *mo)
{
	static const int l0[] = { 10, 20, 30, -1 }, l1[] = { 40, 50, -1 }, l2[] = { 60, 70, 80, -1 },
		l3[] = { 100, 110, -1 }, l4[] = { 130, 140, 150, -1 };
	static const Pmsg p0m[] = { { 1, 5, "p0-5" }, { 2, 20, 0 }, { 1, 45, "p0-45" }, { 1, 50, "p0-50" }, { 0, 0, 0 } };
	static const Pmsg p1m[] = { { 4, 60, 0 }, { 1, 75, "p1-75" }, { 1, 110, "p1-110" }, { 0, 0, 0 } };
	static const Pmsg p2m[] = { { 1, 125, "p2-125" }, { 2, 150, 0 }, { 1, 160, "p2-160" }, { 0, 0, 0 } };
	static const Pmsg rm[] = { { 1, 1, "r1" }, { 1, 2, "r2" }, { 2, 2, 0 }, { 1, 20, "r20" },
		{ 2, 45, 0 }, { 1, 75, "r75" }, { 4, 80, 0 }, { 2, 110, 0 }, { 4, 160, 0 },
		{ 1, 170, "r170a" }, { 1, 170, "r170b" }, { 0, 0, 0 } };
	GefsBptr leaf[5], inner[3];
	int k0[] = { 10, 40 }, k1[] = { 60, 100 }, k2[] = { 130 }, kr[] = { 5, 55, 120 };

	memset(mo, 0, sizeof *mo);
	leaf[0] = mkleaf(im, l0, mo);
	leaf[1] = mkleaf(im, l1, mo);
	leaf[2] = mkleaf(im, l2, mo);
	leaf[3] = mkleaf(im, l3, mo);
	leaf[4] = mkleaf(im, l4, mo);
	inner[0] = mkpivot(im, k0, leaf, 2, p0m, mo);
	inner[1] = mkpivot(im, k1, leaf + 2, 2, p1m, mo);
	inner[2] = mkpivot(im, k2, leaf + 4, 1, p2m, mo);
	return mkpivot(im, kr, inner, 3, rm, mo);
}

/* Height 2: root pivot over 3 leaves, messages below K_0 and between. */
static GefsBptr
build2(Timg *im, Model *mo)
{
	static const int l0[] = { 10, 20, -1 }, l1[] = { 30, 40, -1 }, l2[] = { 50, 60, -1 };
	static const Pmsg rm[] = { { 1, 3, "r3" }, { 1, 4, "r4" }, { 4, 4, 0 }, { 1, 20, "r20" },
		{ 4, 25, 0 }, { 2, 30, 0 }, { 1, 35, "r35" }, { 3, 60, 0 }, { 1, 99, "r99" }, { 0, 0, 0 } };
	GefsBptr leaf[3];
	int kr[] = { 10, 30, 50 };

	memset(mo, 0, sizeof *mo);
	leaf[0] = mkleaf(im, l0, mo);
	leaf[1] = mkleaf(im, l1, mo);
	leaf[2] = mkleaf(im, l2, mo);
	return mkpivot(im, kr, leaf, 3, rm, mo);
}

static void
checklookups(GefsTree *t, const Model *mo)
{
	uint8_t k[4], v[GEFS_INLMAX];
	size_t nv;
	int i, rc;

	for (i = 0; i < 200; i++) {
		key(k, i);
		nv = sizeof v;
		rc = gefs_lookup(t, k, 4, v, &nv);
		if (mo->v[i][0]) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT(rc == 0 && nv == strlen(mo->v[i]) && memcmp(v, mo->v[i], nv) == 0);
		} else {
			CU_ASSERT_EQUAL(rc, 1);
			if (rc != 1)
				fprintf(stderr, "key %d: rc %d %s\n", i, rc, gefs_errmsg(t->fs));
		}
	}
}

/* Scan [lo, hi) (key numbers; -1: unbounded) and compare with the model. */
static void
checkscan(GefsTree *t, const Model *mo, int lo, int hi)
{
	uint8_t kl[4], kh[4];
	GefsScan *s;
	GefsKv kv;
	int i = lo < 0 ? 0 : lo, n, rc;

	key(kl, i);
	key(kh, hi < 0 ? 0 : hi);
	s = gefs_scan(t, lo < 0 ? NULL : kl, 4, hi < 0 ? NULL : kh, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	while ((rc = gefs_scannext(s, &kv)) == 1) {
		while (i < 1000 && !mo->v[i][0])
			i++;
		CU_ASSERT(i < 1000 && (hi < 0 || i < hi));
		if (i >= 1000)
			break;
		n = (kv.k[1] - '0') * 100 + (kv.k[2] - '0') * 10 + (kv.k[3] - '0');
		CU_ASSERT_EQUAL(n, i);
		CU_ASSERT(kv.nv == strlen(mo->v[i]) && memcmp(kv.v, mo->v[i], kv.nv) == 0);
		i++;
	}
	CU_ASSERT_EQUAL(rc, 0);
	while (i < 1000 && (hi < 0 || i < hi) && !mo->v[i][0])
		i++;
	CU_ASSERT(i == 1000 || (hi >= 0 && i >= hi));
	gefs_scanfree(s);
}

static void
checkall(GefsTree *t, const Model *mo)
{
	static const int r[][2] = { { -1, -1 }, { 0, 5 }, { 3, 4 }, { 4, 21 }, { 21, 21 }, { 25, 61 },
		{ 44, 46 }, { 55, 56 }, { 60, -1 }, { 61, 130 }, { 119, 121 }, { 150, 171 }, { 171, -1 } };
	size_t i;

	checklookups(t, mo);
	for (i = 0; i < nelem(r); i++)
		checkscan(t, mo, r[i][0], r[i][1]);
}

static void
test_height1(void)
{
	static const int ks[] = { 1, 2, 7, 300, 999, -1 };
	static Model mo;
	Timg *im = timgnew();
	GefsBptr root;
	GefsTree t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	memset(&mo, 0, sizeof mo);
	root = mkleaf(im, ks, &mo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	CU_ASSERT_EQUAL_FATAL(treeinit(&t, im->fs, &root, 1, "test"), 0);
	checklookups(&t, &mo);
	checkscan(&t, &mo, -1, -1);
	checkscan(&t, &mo, 2, 300);
	timgfree(im);
}

static void
test_height2(void)
{
	static Model mo;
	Timg *im = timgnew();
	GefsBptr root;
	GefsTree t;
	uint8_t p[2] = { GEFS_KCONF, '0' };
	GefsScan *s;
	GefsKv kv;
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	root = build2(im, &mo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	CU_ASSERT_EQUAL_FATAL(treeinit(&t, im->fs, &root, 2, "test"), 0);
	checkall(&t, &mo);
	/* prefix "\x06" "0": keys 000..099 */
	s = gefs_scanprefix(&t, p, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	while (gefs_scannext(s, &kv) == 1)
		n++;
	gefs_scanfree(s);
	CU_ASSERT_EQUAL(n, 7);	/* 3 10 20 35 40 50 99 */
	timgfree(im);
}

static void
test_height3(void)
{
	static Model mo;
	Timg *im = timgnew();
	GefsBptr root;
	GefsTree t;
	GefsTreeStats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	root = build3(im, &mo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	CU_ASSERT_EQUAL_FATAL(treeinit(&t, im->fs, &root, 3, "test"), 0);
	checkall(&t, &mo);
	CU_ASSERT_EQUAL(gefs_treestats(&t, &st), 0);
	CU_ASSERT_EQUAL(st.ht, 3);
	CU_ASSERT(st.nodes[0] == 1 && st.nodes[1] == 3 && st.nodes[2] == 5);
	CU_ASSERT(st.npivot == 4 && st.nleaf == 5 && st.nval == 13 && st.nptr == 8);
	CU_ASSERT_EQUAL(st.nmsg, 21);
	timgfree(im);
}

/* Pre-order with depths. */
static int
visit(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	char *s = arg;
	size_t l = strlen(s);

	(void)bp;
	s[l] = (char)('0' + depth);
	s[l + 1] = n->type == GEFS_TLEAF ? 'l' : 'p';
	s[l + 2] = 0;
	return 0;
}

static void
test_walk(void)
{
	static Model mo;
	Timg *im = timgnew();
	GefsBptr root;
	GefsTree t;
	char s[64] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	root = build3(im, &mo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	treeinit(&t, im->fs, &root, 3, "test");
	CU_ASSERT_EQUAL(gefs_walktree(&t, -1, visit, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "0p1p2l2l1p2l2l1p2l");
	s[0] = 0;
	CU_ASSERT_EQUAL(gefs_walktree(&t, 1, visit, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "0p1p1p1p");
	timgfree(im);
}

/* ---- damage ---- */

static void
test_badsequence(void)
{
	static const int l0[] = { 10, 20, -1 };
	static const Pmsg rm[] = { { 2, 15, 0 }, { 0, 0, 0 } };
	Timg *im = timgnew();
	GefsBptr leaf, root;
	GefsTree t;
	uint8_t k[4], v[GEFS_INLMAX];
	size_t nv = sizeof v;
	GefsScan *s;
	GefsKv kv;
	char addr[32];
	int k0[] = { 10 }, rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	leaf = mkleaf(im, l0, NULL);
	root = mkpivot(im, k0, &leaf, 1, rm, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	treeinit(&t, im->fs, &root, 2, "test");
	key(k, 15);
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), -1);
	CU_ASSERT_EQUAL(gefs_errcode(im->fs), EBADMSG);
	snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)root.addr);
	CU_ASSERT_PTR_NOT_NULL(strstr(gefs_errmsg(im->fs), addr));
	CU_ASSERT_PTR_NOT_NULL(strstr(gefs_errmsg(im->fs), "Kconf(\"015\")"));
	/* the other keys still read */
	key(k, 20);
	nv = sizeof v;
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), 0);
	s = gefs_scan(&t, NULL, 0, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	while ((rc = gefs_scannext(s, &kv)) == 1)
		;
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(gefs_scannext(s, &kv), -1);
	gefs_scanfree(s);
	timgfree(im);
}

/* Heights that do not match the nodes, bad hashes, misordered leaves. */
static void
test_damage(void)
{
	static const int good[] = { 10, 20, -1 }, bad[] = { 30, 20, 40, -1 };
	Timg *im = timgnew();
	GefsBptr l0, l1, kids[2], root, bh;
	GefsTree t;
	uint8_t k[4], v[GEFS_INLMAX];
	size_t nv = sizeof v;
	GefsScan *s;
	GefsKv kv;
	int kr[] = { 10, 30 }, rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	l0 = mkleaf(im, good, NULL);
	l1 = mkleaf(im, bad, NULL);
	kids[0] = l0;
	kids[1] = l1;
	root = mkpivot(im, kr, kids, 2, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	/* height 3 claimed over a height-2 tree: the leaves sit too high */
	treeinit(&t, im->fs, &root, 3, "test");
	key(k, 10);
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), -1);
	CU_ASSERT_EQUAL(gefs_errcode(im->fs), EBADMSG);
	CU_ASSERT_PTR_NULL(gefs_scan(&t, NULL, 0, NULL, 0));
	/* height 1 claimed: the root is no leaf */
	treeinit(&t, im->fs, &root, 1, "test");
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), -1);
	/* a wrong hash in the root pointer */
	bh = root;
	bh.hash ^= 1;
	treeinit(&t, im->fs, &bh, 2, "test");
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), -1);
	CU_ASSERT_EQUAL(gefs_errcode(im->fs), EBADMSG);
	/* a misordered leaf: the scan fails instead of emitting disorder */
	treeinit(&t, im->fs, &root, 2, "test");
	s = gefs_scan(&t, NULL, 0, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	while ((rc = gefs_scannext(s, &kv)) == 1)
		;
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(gefs_errcode(im->fs), EBADMSG);
	gefs_scanfree(s);
	/* heights out of range */
	CU_ASSERT_EQUAL(treeinit(&t, im->fs, &root, 0, "test"), -1);
	CU_ASSERT_EQUAL(treeinit(&t, im->fs, &root, GEFS_MAXHT + 1, "test"), -1);
	timgfree(im);
}

/* A pivot whose child pointer leads back to itself (readable only with
 * ignhash): the height bound stops the descent. */
static void
test_loop(void)
{
	static const int l0[] = { 10, -1 };
	Timg *im = timgnew();
	uint8_t blk[GEFS_BLKSZ], k[4], pv[GEFS_PIVVALSZ], v[GEFS_INLMAX];
	size_t nv = sizeof v;
	GefsBptr leaf, self;
	GefsTree t;
	GefsScan *s;
	GefsKv kv;
	int rc, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	leaf = mkleaf(im, l0, NULL);
	(void)leaf;
	self.addr = timgnext(im);
	self.hash = 0;
	self.gen = 0;
	gefs_nodeinit(blk, GEFS_TPIVOT);
	key(k, 10);
	gefs_packpivval(pv, &self, 12);
	gefs_nodeadd(blk, k, 4, pv, sizeof pv, NULL);
	self = timgput(im, blk);
	CU_ASSERT_PTR_NOT_NULL_FATAL(timgopen(im));
	im->fs->opts.ignhash = true;
	self.hash = 0;
	treeinit(&t, im->fs, &self, 6, "test");
	CU_ASSERT_EQUAL(gefs_lookup(&t, k, 4, v, &nv), -1);
	CU_ASSERT_EQUAL(gefs_errcode(im->fs), EBADMSG);
	s = gefs_scan(&t, NULL, 0, NULL, 0);
	if (s != NULL) {
		while ((rc = gefs_scannext(s, &kv)) == 1 && n < 100)
			n++;
		CU_ASSERT_EQUAL(rc, -1);
		gefs_scanfree(s);
	}
	CU_ASSERT_EQUAL(gefs_walktree(&t, -1, visit, (char[64]){ 0 }), -1);
	timgfree(im);
}

int
suite_tree(void)
{
	CU_pSuite s = CU_add_suite("tree", errinit, errclean);

	if (s == NULL)
		return -1;
	if (!CU_add_test(s, "apply: insert, delete, clearb, clobber, bad ops", test_apply_basic)
	    || !CU_add_test(s, "apply: Owstat incl. bit 0x80", test_apply_wstat)
	    || !CU_add_test(s, "apply: Orelink, Oreprev, Oincref", test_apply_relink)
	    || !CU_add_test(s, "apply: sequences", test_apply_sequence)
	    || !CU_add_test(s, "height 1: lookup and scan", test_height1)
	    || !CU_add_test(s, "height 2: messages below K_0 and in ranges", test_height2)
	    || !CU_add_test(s, "height 3: messages at two levels", test_height3)
	    || !CU_add_test(s, "walktree pre-order and maxdepth", test_walk)
	    || !CU_add_test(s, "invalid message sequence in a tree", test_badsequence)
	    || !CU_add_test(s, "damaged trees fail cleanly", test_damage)
	    || !CU_add_test(s, "pointer loop bounded by height", test_loop))
		return -1;
	return 0;
}
