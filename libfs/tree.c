/* SPDX-License-Identifier: MIT */
/*
 * tree — reading a copy-on-write Bε-tree (§8, §10, §11): point lookup and
 * range scans that apply the messages buffered in pivots, raw node walks
 * and statistics.  Generic: the same code reads the snapshot tree and every
 * file-system tree; key types matter only to applymsg's operand checks.
 *
 * Untrusted input: every node comes through getnode (hash and layout
 * checked); the level of each node is checked against the tree height, so
 * a descent is bounded by the height and cannot loop; a scan refuses keys
 * that do not come out strictly increasing, so a pointer that leads back
 * into visited parts of the tree is reported rather than followed forever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static const char *opname[] = {
	"Onop", "Oinsert", "Odelete", "Oclearb", "Oclobber",
	"Owstat", "Orelink", "Oreprev", "Oincref",
};

/* Printable name bytes: non-printing bytes and quotes as \xNN. */
static void
fmtname(char *buf, size_t n, const uint8_t *s, size_t ns)
{
	size_t i, o;

	for (i = 0, o = 0; i < ns && o + 5 < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", s[i]);
	}
	if (i < ns && o + 4 <= n)
		o += (size_t)snprintf(buf + o, n - o, "...");
	buf[o < n ? o : n - 1] = 0;
}

/* Append "0x" and v in hex at p. */
static char *
puthex(char *p, uint64_t v)
{
	char d[16];
	int i = 0;

	*p++ = '0';
	*p++ = 'x';
	do
		d[i++] = "0123456789abcdef"[v & 15];
	while ((v >>= 4) != 0);
	while (i > 0)
		*p++ = d[--i];
	return p;
}

/* "Kdat(0xQID, 0xOFF)" without printf: the checker formats one for every
 * data block it visits. */
static char *
fmtdat(char *buf, size_t n, uint64_t qid, uint64_t off)
{
	char t[64], *p = t;

	memcpy(p, "Kdat(", 5);
	p = puthex(p + 5, qid);
	*p++ = ',';
	*p++ = ' ';
	p = puthex(p, off);
	*p++ = ')';
	if ((size_t)(p - t) >= n)
		p = t + n - 1;	/* truncated, as snprintf would */
	memcpy(buf, t, (size_t)(p - t));
	buf[p - t] = 0;
	return buf;
}

const char *
fmtkey(char *buf, size_t n, const uint8_t *k, size_t nk)
{
	char name[80];
	GefsKey key;
	size_t i, o;

	if (n == 0)
		return buf;
	if (gefs_unpackkey(&key, k, nk, NULL) == 0) {
		switch (key.type) {
		case GEFS_KDAT:
			return fmtdat(buf, n, key.qid, key.off);
		case GEFS_KENT:
			fmtname(name, sizeof name, key.name, key.nlen);
			snprintf(buf, n, "Kent(0x%llx, \"%s\")", (unsigned long long)key.qid, name);
			return buf;
		case GEFS_KUP:
			snprintf(buf, n, "Kup(0x%llx)", (unsigned long long)key.qid);
			return buf;
		case GEFS_KLABEL:
		case GEFS_KCONF:
			fmtname(name, sizeof name, key.name, key.nlen);
			snprintf(buf, n, "%s(\"%s\")", key.type == GEFS_KLABEL ? "Klabel" : "Kconf", name);
			return buf;
		case GEFS_KSNAP:
			snprintf(buf, n, "Ksnap(%lld)", (long long)key.gen);
			return buf;
		case GEFS_KDLIST:
			snprintf(buf, n, "Kdlist(%lld, %lld)", (long long)key.gen, (long long)key.bgen);
			return buf;
		}
	}
	/* undecodable: raw bytes */
	o = (size_t)snprintf(buf, n, "key[%zu]", nk);
	for (i = 0; i < nk && o + 3 < n && i < 32; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%02x", i ? "" : " ", k[i]);
	return buf;
}

const char *
gefs_fmtkey(char *buf, size_t n, const uint8_t *k, size_t nk)
{
	return fmtkey(buf, n, k, nk);
}

static int
nomsg(Gefs *fs, const GefsMsg *m, uint64_t addr, const char *why)
{
	char ks[128];

	return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (pivot): %s on %s: %s",
		(unsigned long long)addr, opname[m->op < nelem(opname) ? m->op : 0],
		fmtkey(ks, sizeof ks, m->k, m->nk), why);
}

/* Owstat: decode the Xdir, bump and set fields, re-encode (§10.3). */
static int
applywstat(Gefs *fs, const GefsMsg *m, uint64_t addr, uint8_t *v, uint16_t *nv)
{
	GefsErr e;
	GefsXdir d;

	e.code = 0;
	if (gefs_unpackxdir(&d, v, *nv, &e) < 0)
		return nomsg(fs, m, addr, e.msg);
	if (gefs_applywstat(&d, m->v, m->nv, NULL, &e) < 0)
		return nomsg(fs, m, addr, e.msg);
	gefs_packxdir(v, &d);
	*nv = GEFS_XDIRSZ;
	return 0;
}

/* Orelink, Oreprev, Oincref on a tree record (§10.4, §27.1). */
static int
applyrelink(Gefs *fs, const GefsMsg *m, uint64_t addr, uint8_t *v, uint16_t *nv)
{
	GefsErr e;
	GefsSnap s;
	GefsRelink r;
	int64_t nlbl, nref;

	e.code = 0;
	if (gefs_unpacksnap(&s, v, *nv, &e) < 0)
		return nomsg(fs, m, addr, e.msg);
	if (gefs_unpackrelink(&r, m->v, m->nv, &e) < 0)
		return nomsg(fs, m, addr, e.msg);
	nlbl = (int64_t)s.nlbl + r.dlbl;
	nref = (int64_t)s.nref + r.dref;
	if (nlbl < 0 || nref < 0 || nlbl > INT32_MAX || nref > INT32_MAX)
		return nomsg(fs, m, addr, "nlbl or nref out of range");
	s.nlbl = (int32_t)nlbl;
	s.nref = (int32_t)nref;
	if (m->op == GEFS_ORELINK)
		s.succ = r.link;
	else if (m->op == GEFS_OREPREV)
		s.pred = r.link;
	gefs_packsnap(v, &s);
	*nv = GEFS_SNAPVALSZ;
	return 0;
}

int
applymsg(Gefs *fs, const GefsMsg *m, uint64_t addr, bool *found, uint8_t *v, uint16_t *nv)
{
	switch (m->op) {
	case GEFS_OINSERT:
		if (m->nv > GEFS_INLMAX)
			return nomsg(fs, m, addr, "value longer than 512 bytes");
		if (m->nv > 0)
			memcpy(v, m->v, m->nv);
		*nv = m->nv;
		*found = true;
		return 0;
	case GEFS_ODELETE:
		if (!*found)
			return nomsg(fs, m, addr, "key absent");
		*found = false;
		return 0;
	case GEFS_OCLEARB:
	case GEFS_OCLOBBER:
		*found = false;
		return 0;
	case GEFS_OWSTAT:
		if (!*found)
			return nomsg(fs, m, addr, "key absent");
		return applywstat(fs, m, addr, v, nv);
	case GEFS_ORELINK:
	case GEFS_OREPREV:
	case GEFS_OINCREF:
		if (!*found)
			return nomsg(fs, m, addr, "key absent");
		return applyrelink(fs, m, addr, v, nv);
	}
	return nomsg(fs, m, addr, "invalid opcode");
}

int
treeinit(GefsTree *t, Gefs *fs, const GefsBptr *root, int ht, const char *what)
{
	memset(t, 0, sizeof *t);
	t->fs = fs;
	if (ht < 1 || ht > GEFS_MAXHT)
		return gefs_seterr(&fs->err, EBADMSG, "%s: tree height %d out of range 1..%d",
			what, ht, GEFS_MAXHT);
	if (root->addr == GEFS_NONE)
		return gefs_seterr(&fs->err, EBADMSG, "%s: root address is NONE", what);
	t->snap.root = *root;
	t->snap.ht = ht;
	return 0;
}

/* Drop t from its handle's list of writable trees. */
static void
unlist(GefsTree *t)
{
	GefsTree **p;

	for (p = &t->fs->ed->trees; *p != NULL; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			return;
		}
}

/* A writable tree is shared by every handle of its label and outlives
 * them while it holds uncommitted changes (the commit needs it). */
void
gefs_closetree(GefsTree *t)
{
	if (t == NULL)
		return;
	if (t->writable && t->fs->ed != NULL) {
		if (--t->ref > 0 || t->dirty)
			return;
		unlist(t);
	}
	free(t);
}

const GefsSnap *
gefs_treesnap(const GefsTree *t)
{
	return &t->snap;
}

/* ---- node search ---- */

static int
entcmp(const GefsNode *n, int i, const uint8_t *k, size_t nk)
{
	GefsKv kv;

	gefs_nodekv(n, i, &kv);
	return gefs_keycmp(kv.k, kv.nk, k, nk);
}

static int
msgcmp(const GefsNode *n, int i, const uint8_t *k, size_t nk)
{
	GefsMsg m;

	gefs_nodemsg(n, i, &m);
	return gefs_keycmp(m.k, m.nk, k, nk);
}

/* First entry index whose key is >= k (nval if none). */
static int
entlower(const GefsNode *n, const uint8_t *k, size_t nk)
{
	int lo = 0, hi = n->nval, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (entcmp(n, mid, k, nk) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the last entry whose key is <= k; -1 if none. */
static int
entfloor(const GefsNode *n, const uint8_t *k, size_t nk)
{
	int i = entlower(n, k, nk);

	if (i < n->nval && entcmp(n, i, k, nk) == 0)
		return i;
	return i - 1;
}

/* First buffered message whose key is >= k (nbuf if none). */
static int
msglower(const GefsNode *n, const uint8_t *k, size_t nk)
{
	int lo = 0, hi = n->type == GEFS_TPIVOT ? n->nbuf : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (msgcmp(n, mid, k, nk) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A node at depth d of a height-ht tree is a leaf iff d == ht-1 (§8.5). */
static int
checklevel(Gefs *fs, const GefsNode *n, int d, int ht)
{
	int want = d == ht - 1 ? GEFS_TLEAF : GEFS_TPIVOT;

	if (n->type == want)
		return 0;
	return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): at depth %d of a tree of height %d, expected a %s",
		(unsigned long long)n->addr, gefs_typename(n->type), d, ht, gefs_typename(want));
}

/* The child pointer of pivot entry i. */
static int
childptr(Gefs *fs, const GefsNode *n, int i, GefsBptr *bp)
{
	GefsErr e;
	GefsKv kv;
	uint16_t fill;

	gefs_nodekv(n, i, &kv);
	if (gefs_unpackpivval(bp, &fill, kv.v, kv.nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (pivot): entry %d: %s",
			(unsigned long long)n->addr, i, e.msg);
	return 0;
}

/* Read the node bp points to at depth d and check its level. */
Blk *
loadnode(GefsTree *t, const GefsBptr *bp, int d, GefsNode *n)
{
	Blk *b;

	b = getnode(t->fs, bp, n);
	if (b == NULL)
		return NULL;
	if (checklevel(t->fs, n, d, t->snap.ht) < 0) {
		putblk(t->fs, b);
		return NULL;
	}
	return b;
}

/* ---- point lookup (§11.2) ---- */

/* Apply, deepest pivot first, the messages for k buffered on the path. */
static int
applypath(Gefs *fs, const GefsNode *path, int np, const uint8_t *k, size_t nk,
	bool *found, uint8_t *v, uint16_t *nv)
{
	GefsMsg m;
	int d, j;

	for (d = np - 1; d >= 0; d--) {
		if (path[d].type != GEFS_TPIVOT)
			continue;
		for (j = msglower(&path[d], k, nk); j < path[d].nbuf; j++) {
			gefs_nodemsg(&path[d], j, &m);
			if (gefs_keycmp(m.k, m.nk, k, nk) != 0)
				break;
			if (applymsg(fs, &m, path[d].addr, found, v, nv) < 0)
				return -1;
		}
	}
	return 0;
}

int
treeget(GefsTree *t, const uint8_t *k, size_t nk, uint8_t *v, uint16_t *nv)
{
	Gefs *fs = t->fs;
	Blk *blk[GEFS_MAXHT];
	GefsNode path[GEFS_MAXHT];
	GefsBptr bp = t->snap.root;
	GefsKv kv;
	bool found = false;
	int np, i, rc = -1;

	for (np = 0; np < t->snap.ht; np++) {
		blk[np] = loadnode(t, &bp, np, &path[np]);
		if (blk[np] == NULL)
			goto out;
		if (path[np].type == GEFS_TLEAF)
			break;
		i = entfloor(&path[np], k, nk);
		if (i < 0)
			break;		/* below every child: only this path's buffers */
		if (childptr(fs, &path[np], i, &bp) < 0) {
			np++;
			goto out;
		}
	}
	if (np < t->snap.ht)
		np++;		/* count the node the loop stopped at */
	if (path[np - 1].type == GEFS_TLEAF) {
		i = entlower(&path[np - 1], k, nk);
		if (i < path[np - 1].nval && entcmp(&path[np - 1], i, k, nk) == 0) {
			gefs_nodekv(&path[np - 1], i, &kv);
			memcpy(v, kv.v, kv.nv);
			*nv = kv.nv;
			found = true;
		}
	}
	if (applypath(fs, path, np, k, nk, &found, v, nv) < 0)
		goto out;
	rc = found ? 0 : 1;
out:
	while (np-- > 0)
		putblk(fs, blk[np]);
	return rc;
}

int
gefs_lookup(GefsTree *t, const uint8_t *k, size_t nk, uint8_t *v, size_t *nv)
{
	uint8_t val[GEFS_INLMAX];
	uint16_t n;
	char ks[128];
	int rc;

	if (nk > GEFS_KEYMAX)
		return gefs_seterr(&t->fs->err, EINVAL, "lookup: key longer than %d bytes", GEFS_KEYMAX);
	rc = treeget(t, k, nk, val, &n);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		gefs_seterr(&t->fs->err, ENOENT, "%s: not found", fmtkey(ks, sizeof ks, k, nk));
		return 1;
	}
	if (n > *nv)
		return gefs_seterr(&t->fs->err, EINVAL, "%s: value of %u bytes does not fit in %zu",
			fmtkey(ks, sizeof ks, k, nk), n, *nv);
	memcpy(v, val, n);
	*nv = n;
	return 0;
}

/* ---- range checks shared by scans and walks ---- */

/* One level of a root-to-leaf path. */
typedef struct Level {
	Blk		*b;
	GefsNode	n;
	int		i;	/* pivot: the child on the path; leaf: next entry */
	int		mi;	/* pivot: next buffered message */
	const uint8_t	*lo;	/* this node's range [lo, hi); NULL: unbounded */
	const uint8_t	*hi;	/* (both point into the parent's block) */
	uint16_t	nlo, nhi;
} Level;

/*
 * A non-root node must be non-empty and its first and last entries must lie
 * in its range [lo, hi) (§8.5 rules 3 and 5).  Checking the ends is enough
 * to make every block reachable under at most one range, so a damaged tree
 * whose pointers are shared or circular cannot make a scan revisit it.
 */
static int
checkrange(Gefs *fs, const Level *l)
{
	GefsKv first, last;
	const char *why = NULL;

	if (l->n.nval == 0)
		why = "empty non-root node";
	else {
		gefs_nodekv(&l->n, 0, &first);
		gefs_nodekv(&l->n, l->n.nval - 1, &last);
		if (l->lo != NULL && gefs_keycmp(first.k, first.nk, l->lo, l->nlo) < 0)
			why = "first key below the parent's pivot key";
		else if (gefs_keycmp(first.k, first.nk, last.k, last.nk) > 0)
			why = "first key above the last key";
		else if (l->hi != NULL && gefs_keycmp(last.k, last.nk, l->hi, l->nhi) >= 0)
			why = "last key not below the next pivot key";
	}
	if (why == NULL)
		return 0;
	return gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (%s): %s",
		(unsigned long long)l->n.addr, gefs_typename(l->n.type), why);
}

/* Load child p->i of pivot level p into c, with its range, at depth d;
 * *bp receives the child pointer. */
static int
loadchild(GefsTree *t, Level *p, Level *c, int d, GefsBptr *bp)
{
	GefsKv k, nx;

	if (p->i >= p->n.nval)
		return gefs_seterr(&t->fs->err, EBADMSG, "block 0x%llx (pivot): no entries",
			(unsigned long long)p->n.addr);
	if (childptr(t->fs, &p->n, p->i, bp) < 0)
		return -1;
	gefs_nodekv(&p->n, p->i, &k);
	c->i = 0;
	c->mi = 0;
	c->lo = k.k;
	c->nlo = k.nk;
	c->hi = p->hi;
	c->nhi = p->nhi;
	if (p->i + 1 < p->n.nval) {
		gefs_nodekv(&p->n, p->i + 1, &nx);
		if (gefs_keycmp(k.k, k.nk, nx.k, nx.nk) >= 0)
			return gefs_seterr(&t->fs->err, EBADMSG, "block 0x%llx (pivot): entry %d: key not above entry %d",
				(unsigned long long)p->n.addr, p->i + 1, p->i);
		c->hi = nx.k;
		c->nhi = nx.nk;
	}
	c->b = loadnode(t, bp, d, &c->n);
	if (c->b == NULL)
		return -1;
	if (checkrange(t->fs, c) < 0) {
		putblk(t->fs, c->b);
		c->b = NULL;
		return -1;
	}
	return 0;
}

/* ---- range scan (§11.3) ---- */

struct GefsScan {
	GefsTree	*t;
	int		nlv;			/* levels on the path */
	Level		lv[GEFS_MAXHT];
	uint8_t		lo[GEFS_KEYMAX], hi[GEFS_KEYMAX];
	uint16_t	nlo, nhi;
	bool		hashi;
	int		state;			/* 0 running, 1 ended, -1 failed */
	uint8_t		key[GEFS_KEYMAX];	/* the last key taken */
	uint16_t	nkey;
	bool		haskey;
	uint8_t		val[GEFS_INLMAX];
	uint16_t	nval;
};

/* Position the cursors of level l at the scan's lower bound. */
static void
position(GefsScan *s, Level *l)
{
	if (l->n.type == GEFS_TLEAF) {
		l->i = entlower(&l->n, s->lo, s->nlo);
		return;
	}
	l->i = entfloor(&l->n, s->lo, s->nlo);
	if (l->i < 0)
		l->i = 0;	/* messages below K_0 stay in this pivot's buffer */
	l->mi = msglower(&l->n, s->lo, s->nlo);
}

static int release(GefsScan *s, int keep);

void
gefs_tolerate(GefsTree *t, GefsDamageFn fn, void *arg)
{
	t->dmfn = fn;
	t->dmarg = arg;
}

void
treedamage(GefsTree *t, GefsDamage *dm)
{
	t->ndamage++;
	dm->msg = t->fs->err.msg;
	dm->path = t->dmpath;
	dm->npath = t->ndmpath;
	if (t->dmfn != NULL)
		t->dmfn(t->dmarg, dm);
}

/* Drop the buffered messages of every level whose key is below hi (or
 * equal to it, with eq); hi NULL: all of them.  They belong to keys
 * whose base value was lost, or to a key that could not be taken. */
static void
dropmsgs(GefsScan *s, const uint8_t *hi, size_t nhi, bool eq)
{
	GefsMsg m;
	Level *l;
	int d, c;

	for (d = 0; d < s->nlv; d++) {
		l = &s->lv[d];
		for (; l->n.type == GEFS_TPIVOT && l->mi < l->n.nbuf; l->mi++) {
			if (hi == NULL)
				continue;
			gefs_nodemsg(&l->n, l->mi, &m);
			c = gefs_keycmp(m.k, m.nk, hi, nhi);
			if (c > 0 || (c == 0 && !eq))
				break;
		}
	}
}

/* The child on the path of the deepest pivot cannot be read: report its
 * key range (the pivot keys around it), drop the messages buffered for
 * it and move to the next child.  1 when no child is left. */
static int
skipchild(GefsScan *s, const GefsBptr *bp)
{
	uint8_t lo[GEFS_KEYMAX], hi[GEFS_KEYMAX];
	GefsDamage dm;
	Level *p = &s->lv[s->nlv - 1];
	GefsKv k;
	int d;

	if (p->i >= p->n.nval)
		return -1;	/* an empty pivot: nothing to skip to */
	memset(&dm, 0, sizeof dm);
	dm.kind = GEFS_DMRANGE;
	dm.addr = bp->addr;
	gefs_nodekv(&p->n, p->i, &k);
	memcpy(lo, k.k, k.nk);
	dm.lo = lo;
	dm.nlo = k.nk;
	if (p->i + 1 < p->n.nval)
		gefs_nodekv(&p->n, p->i + 1, &k);
	else if (p->hi != NULL) {
		k.k = p->hi;
		k.nk = p->nhi;
	}
	if (p->i + 1 < p->n.nval || p->hi != NULL) {
		memcpy(hi, k.k, k.nk);
		dm.hi = hi;
		dm.nhi = k.nk;
	}
	treedamage(s->t, &dm);
	dropmsgs(s, dm.hi, dm.nhi, false);
	for (d = s->nlv - 1; d >= 0; d--)
		if (s->lv[d].i + 1 < s->lv[d].n.nval)
			break;
	if (d < 0)
		return 1;
	if (release(s, d + 1) < 0)
		return -1;
	s->lv[d].i++;
	return 0;
}

/* Extend the path from its deepest pivot down to a leaf; with a damage
 * callback, children that cannot be read are skipped (1: none left). */
static int
descend(GefsScan *s)
{
	Level *p, *c;
	GefsBptr bp;
	int rc;

	while (s->lv[s->nlv - 1].n.type == GEFS_TPIVOT) {
		p = &s->lv[s->nlv - 1];
		c = &s->lv[s->nlv];
		bp.addr = GEFS_NONE;
		if (loadchild(s->t, p, c, s->nlv, &bp) < 0) {
			if (s->t->dmfn == NULL)
				return -1;
			if ((rc = skipchild(s, &bp)) != 0)
				return rc;
			continue;
		}
		s->nlv++;
		position(s, c);
	}
	return 0;
}

/* Drop levels from the bottom up to (not including) keep; a pivot left
 * with messages still unread held keys outside its range. */
static int
release(GefsScan *s, int keep)
{
	Gefs *fs = s->t->fs;
	Level *l;
	int rc = 0;

	while (s->nlv > keep) {
		l = &s->lv[--s->nlv];
		if (rc == 0 && l->n.type == GEFS_TPIVOT && l->mi < l->n.nbuf && s->state == 0)
			rc = gefs_seterr(&fs->err, EBADMSG, "block 0x%llx (pivot): message %d: key not below the node's upper bound",
				(unsigned long long)l->n.addr, l->mi);
		putblk(fs, l->b);
		l->b = NULL;
	}
	return rc;
}

/* Move the path to the next leaf; 1 when there is none. */
static int
nextleaf(GefsScan *s)
{
	int d;

	for (d = s->nlv - 2; d >= 0; d--)
		if (s->lv[d].i + 1 < s->lv[d].n.nval)
			break;
	if (d < 0)
		return 1;
	if (release(s, d + 1) < 0)
		return -1;
	s->lv[d].i++;
	return descend(s);
}

/* The smallest key under any cursor of the path; false if none. */
static bool
minkey(GefsScan *s, const uint8_t **k, uint16_t *nk)
{
	Level *l;
	GefsKv kv;
	GefsMsg m;
	bool have = false;
	int d;

	l = &s->lv[s->nlv - 1];
	if (l->i < l->n.nval) {
		gefs_nodekv(&l->n, l->i, &kv);
		*k = kv.k;
		*nk = kv.nk;
		have = true;
	}
	for (d = s->nlv - 2; d >= 0; d--) {
		l = &s->lv[d];
		if (l->mi >= l->n.nbuf)
			continue;
		gefs_nodemsg(&l->n, l->mi, &m);
		if (!have || gefs_keycmp(m.k, m.nk, *k, *nk) < 0) {
			*k = m.k;
			*nk = m.nk;
			have = true;
		}
	}
	return have;
}

/* Take key s->key: the leaf value if any, then the messages, deepest
 * first.  Returns 1 if the key exists afterwards. */
static int
takekey(GefsScan *s)
{
	Gefs *fs = s->t->fs;
	Level *l = &s->lv[s->nlv - 1];
	GefsKv kv;
	GefsMsg m;
	bool found = false;
	int d;

	if (l->i < l->n.nval && entcmp(&l->n, l->i, s->key, s->nkey) == 0) {
		gefs_nodekv(&l->n, l->i, &kv);
		memcpy(s->val, kv.v, kv.nv);
		s->nval = kv.nv;
		found = true;
		l->i++;
	}
	for (d = s->nlv - 2; d >= 0; d--) {
		l = &s->lv[d];
		for (; l->mi < l->n.nbuf; l->mi++) {
			gefs_nodemsg(&l->n, l->mi, &m);
			if (gefs_keycmp(m.k, m.nk, s->key, s->nkey) != 0)
				break;
			if (applymsg(fs, &m, l->n.addr, &found, s->val, &s->nval) < 0)
				return -1;
		}
	}
	return found;
}

/* The key just taken could not be (a message that does not apply):
 * report it, drop what is left of it and go on. */
static int
dropkey(GefsScan *s)
{
	GefsDamage dm;
	Level *l = &s->lv[s->nlv - 1];

	memset(&dm, 0, sizeof dm);
	dm.kind = GEFS_DMKEY;
	dm.addr = GEFS_NONE;
	dm.lo = s->key;
	dm.nlo = s->nkey;
	treedamage(s->t, &dm);
	if (l->i < l->n.nval && entcmp(&l->n, l->i, s->key, s->nkey) == 0)
		l->i++;
	dropmsgs(s, s->key, s->nkey, true);
	return 0;
}

/* One step: 1 a pair is ready, 0 keep going, -1 error; sets state. */
static int
step(GefsScan *s)
{
	Level *leaf = &s->lv[s->nlv - 1];
	const uint8_t *k = NULL;
	uint16_t nk = 0;
	char ks[128];
	bool have;
	int rc;

	have = minkey(s, &k, &nk);
	if (leaf->i >= leaf->n.nval && (!have || (leaf->hi != NULL && gefs_keycmp(k, nk, leaf->hi, leaf->nhi) >= 0))) {
		/* everything below this leaf's upper bound has been taken */
		if (leaf->hi == NULL || (s->hashi && gefs_keycmp(leaf->hi, leaf->nhi, s->hi, s->nhi) >= 0)) {
			s->state = 1;
			return 0;
		}
		rc = nextleaf(s);
		if (rc != 0)
			s->state = rc < 0 ? -1 : 1;
		return rc < 0 ? -1 : 0;
	}
	if (s->hashi && gefs_keycmp(k, nk, s->hi, s->nhi) >= 0) {
		s->state = 1;
		return 0;
	}
	if (s->haskey && gefs_keycmp(k, nk, s->key, s->nkey) <= 0) {
		s->state = -1;
		return gefs_seterr(&s->t->fs->err, EBADMSG, "tree at 0x%llx: key %s out of order after the previous key",
			(unsigned long long)s->t->snap.root.addr, fmtkey(ks, sizeof ks, k, nk));
	}
	memcpy(s->key, k, nk);
	s->nkey = nk;
	s->haskey = true;
	rc = takekey(s);
	if (rc < 0 && s->t->dmfn != NULL)
		return dropkey(s);
	if (rc < 0)
		s->state = -1;
	return rc;
}

GefsScan *
gefs_scan(GefsTree *t, const uint8_t *lo, size_t nlo, const uint8_t *hi, size_t nhi)
{
	GefsScan *s;
	int rc;

	if (nlo > GEFS_KEYMAX || (hi != NULL && nhi > GEFS_KEYMAX)) {
		gefs_seterr(&t->fs->err, EINVAL, "scan: bound longer than %d bytes", GEFS_KEYMAX);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		gefs_seterr(&t->fs->err, ENOMEM, "scan: out of memory");
		return NULL;
	}
	s->t = t;
	if (lo != NULL && nlo > 0)
		memcpy(s->lo, lo, nlo);
	s->nlo = lo != NULL ? (uint16_t)nlo : 0;
	if (hi != NULL) {
		memcpy(s->hi, hi, nhi);
		s->nhi = (uint16_t)nhi;
		s->hashi = true;
	}
	s->lv[0].b = loadnode(t, &t->snap.root, 0, &s->lv[0].n);
	if (s->lv[0].b == NULL) {
		free(s);
		return NULL;
	}
	s->nlv = 1;
	position(s, &s->lv[0]);
	rc = descend(s);
	if (rc < 0) {
		gefs_scanfree(s);
		return NULL;
	}
	if (rc == 1)
		s->state = 1;	/* every child was skipped as damaged */
	return s;
}

GefsScan *
gefs_scanprefix(GefsTree *t, const uint8_t *prefix, size_t nk)
{
	uint8_t hi[GEFS_KEYMAX];
	size_t nhi = nk;

	if (nk > GEFS_KEYMAX) {
		gefs_seterr(&t->fs->err, EINVAL, "scan: prefix longer than %d bytes", GEFS_KEYMAX);
		return NULL;
	}
	/* the smallest key above every key with this prefix: drop trailing
	 * 0xff bytes and increment the last one left */
	memcpy(hi, prefix, nk);
	while (nhi > 0 && hi[nhi - 1] == 0xff)
		nhi--;
	if (nhi == 0)
		return gefs_scan(t, prefix, nk, NULL, 0);
	hi[nhi - 1]++;
	return gefs_scan(t, prefix, nk, hi, nhi);
}

int
gefs_scannext(GefsScan *s, GefsKv *kv)
{
	int rc;

	while (s->state == 0) {
		rc = step(s);
		if (rc < 0) {
			s->state = -1;
			break;
		}
		if (rc == 1) {
			kv->k = s->key;
			kv->nk = s->nkey;
			kv->v = s->val;
			kv->nv = s->nval;
			return 1;
		}
	}
	return s->state < 0 ? -1 : 0;
}

void
gefs_scanfree(GefsScan *s)
{
	if (s == NULL)
		return;
	s->state = 1;	/* no range complaints while tearing down */
	release(s, 0);
	free(s);
}

/* ---- raw node walk and statistics ---- */

int
gefs_walktree(GefsTree *t, int maxdepth, GefsNodeFn fn, void *arg)
{
	Level lv[GEFS_MAXHT];
	GefsBptr bp;
	int n = 0, rc;

	memset(lv, 0, sizeof lv);
	lv[0].b = loadnode(t, &t->snap.root, 0, &lv[0].n);
	if (lv[0].b == NULL)
		return -1;
	n = 1;
	rc = fn(arg, 0, &lv[0].n, &t->snap.root);
	while (rc == 0 && n > 0) {
		Level *p = &lv[n - 1];
		if (p->n.type != GEFS_TPIVOT || p->i >= p->n.nval || (maxdepth >= 0 && n > maxdepth)) {
			putblk(t->fs, p->b);
			n--;
			if (n > 0)
				lv[n - 1].i++;
			continue;
		}
		if (loadchild(t, p, &lv[n], n, &bp) < 0) {
			rc = -1;
			break;
		}
		rc = fn(arg, n, &lv[n].n, &bp);
		n++;
	}
	while (n > 0)
		putblk(t->fs, lv[--n].b);
	return rc;
}

static int
statnode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	GefsTreeStats *st = arg;

	(void)bp;
	st->nodes[depth]++;
	st->bytes += GEFS_BLKSZ;
	st->fill += (uint64_t)gefs_nodefill(n);
	if (n->type == GEFS_TLEAF) {
		st->nleaf++;
		st->nval += n->nval;
		return 0;
	}
	st->npivot++;
	st->nptr += n->nval;
	st->nmsg += n->nbuf;
	st->msgbytes += 2u * n->nbuf + n->bufsz;
	return 0;
}

int
gefs_treestats(GefsTree *t, GefsTreeStats *st)
{
	memset(st, 0, sizeof *st);
	st->ht = t->snap.ht;
	return gefs_walktree(t, -1, statnode, st);
}
