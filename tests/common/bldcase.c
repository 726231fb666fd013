/* SPDX-License-Identifier: MIT */
/*
 * bldcase.c — fsck corpus cases made by editing a finished builder image
 * in memory; see bldcase.h.  The trees of the std image are told apart by
 * node generation and depth (bldstd.c): main is generation 6 (height 3:
 * root pivot, depth-1 pivots, depth-2 leaves), snap1 generation 4 (height
 * 2); the snapshot tree, adm and empty are generation-0 leaves, told apart
 * by their keys.  Every helper checks what it finds and fails rather than
 * poking a wrong place.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "builder.h"
#include "bldcase.h"

enum {
	B	= GEFS_BLKSZ,
	PVA	= 10,		/* pivot entry area (§8.2) */
	LVA	= 6,		/* leaf entry area (§8.3) */
	MA	= 8197,		/* pivot message area */
	GSNAP	= 0,		/* snapshot tree, adm, empty */
	GSNAP1	= 4,
	GMAIN	= 6,
	XMODE	= 21,		/* Xdir field offsets (§9.4) */
	XQTYPE	= 20,
	XLEN	= 41,
	SNREF	= 0,		/* tree record field offsets (§9.6) */
	SNHT	= 8,
	SNGEN	= 16,
	SNSUCC	= 32,
};

/* A leaf entry or a message found in a node. */
typedef struct Hit {
	uint64_t	addr;		/* the node */
	int		i;		/* entry / message index */
	size_t		off;		/* its byte offset in the block */
	uint8_t		op;		/* messages */
	GefsKv		kv;
} Hit;

typedef bool (*Pred)(const Hit *h, void *arg);

/* ---- finding things ---- */

/* The nth (from 0) block of kind with generation gen at depth (-1: any),
 * in address order; GEFS_NONE if there is none. */
static uint64_t
nthblk(Bld *b, int kind, int depth, uint64_t gen, int nth)
{
	uint64_t a;
	BldInfo bi;

	for (a = 0; a + B <= bldsize(b); a += B) {
		bi = bldinfo(b, a);
		if (bi.kind == kind && (depth < 0 || bi.depth == depth) && bi.gen == gen && nth-- == 0)
			return a;
	}
	return GEFS_NONE;
}

/* Decode the node at a; false if it is not one. */
static bool
node(Bld *b, uint64_t a, GefsNode *n)
{
	const uint8_t *p = a == GEFS_NONE ? NULL : bldblkp(b, a);
	GefsErr e;

	return p != NULL && gefs_unpacknode(n, p, a, &e) == 0;
}

/* Byte offset in the block of entry i / message j of a decoded node. */
static size_t
entoff(const GefsNode *n, int i)
{
	size_t va = n->type == GEFS_TPIVOT ? PVA : LVA;

	return va + gefs_get16(n->b + va + 2 * i);
}

static size_t
msgoff(const GefsNode *n, int j)
{
	return MA + gefs_get16(n->b + MA + 2 * j);
}

/* The first leaf entry (leaves of generation gen at depth) that pred
 * accepts; -1 if none does. */
static int
findkv(Bld *b, uint64_t gen, int depth, Pred pred, void *arg, Hit *h)
{
	GefsNode n;
	uint64_t a;
	int k, i;

	for (k = 0; (a = nthblk(b, BLD_BLEAF, depth, gen, k)) != GEFS_NONE; k++) {
		if (!node(b, a, &n))
			continue;
		for (i = 0; i < n.nval; i++) {
			memset(h, 0, sizeof *h);
			h->addr = a;
			h->i = i;
			h->off = entoff(&n, i);
			gefs_nodekv(&n, i, &h->kv);
			if (pred(h, arg))
				return 0;
		}
	}
	return -1;
}

/* The first message buffered in a generation-gen pivot that pred
 * accepts; -1 if none does. */
static int
findmsg(Bld *b, uint64_t gen, Pred pred, void *arg, Hit *h)
{
	GefsNode n;
	GefsMsg m;
	uint64_t a;
	int k, j;

	for (k = 0; (a = nthblk(b, BLD_BPIVOT, -1, gen, k)) != GEFS_NONE; k++) {
		if (!node(b, a, &n))
			continue;
		for (j = 0; j < n.nbuf; j++) {
			gefs_nodemsg(&n, j, &m);
			memset(h, 0, sizeof *h);
			h->addr = a;
			h->i = j;
			h->off = msgoff(&n, j);
			h->op = m.op;
			h->kv = (GefsKv){m.k, m.nk, m.v, m.nv};
			if (pred(h, arg))
				return 0;
		}
	}
	return -1;
}

/* Value offset in the block of a found leaf entry. */
static size_t
valoff(const Hit *h)
{
	return h->off + 4 + h->kv.nk;
}

/* ---- predicates ---- */

static bool
iskey(const Hit *h, void *arg)
{
	const GefsKv *want = arg;

	return gefs_keycmp(h->kv.k, h->kv.nk, want->k, want->nk) == 0;
}

/* A Kent entry (not first in its leaf) of a file (arg NULL) or of a
 * directory other than the root (arg non-NULL). */
static bool
isent(const Hit *h, void *arg)
{
	GefsXdir d;

	if (h->kv.k[0] != GEFS_KENT || h->i == 0 || h->kv.nk < 13
	|| gefs_get64(h->kv.k + 1) == GEFS_NONE
	|| gefs_unpackxdir(&d, h->kv.v, h->kv.nv, NULL) < 0)
		return false;
	return (arg != NULL) == ((d.mode & GEFS_DMDIR) != 0);
}

/* A file's Kent whose leaf predecessor has another parent or key type:
 * its name can be lowered without breaking the key order. */
static bool
isfirstent(const Hit *h, void *arg)
{
	GefsNode n;
	GefsKv p;

	if (!isent(h, NULL) || !node(arg, h->addr, &n))
		return false;
	gefs_nodekv(&n, h->i - 1, &p);
	return p.k[0] != GEFS_KENT || p.nk < 9 || memcmp(p.k + 1, h->kv.k + 1, 8) != 0;
}

/* A Kdat entry, not first in its leaf. */
static bool
isdat(const Hit *h, void *arg)
{
	(void)arg;
	return h->kv.k[0] == GEFS_KDAT && h->kv.nk == 17 && h->kv.nv == 24 && h->i > 0;
}

/* A message of key type and opcode ((int *)arg)[0], [1]. */
static bool
ismsg(const Hit *h, void *arg)
{
	const int *w = arg;

	return h->kv.nk > 0 && h->kv.k[0] == w[0] && h->op == w[1];
}

/* ---- poking ---- */

static int
poke8(Bld *b, uint64_t a, size_t off, uint8_t v)
{
	return bldpoke(b, a, off, &v, 1);
}

static int
poke16(Bld *b, uint64_t a, size_t off, uint16_t v)
{
	uint8_t p[2];

	gefs_put16(p, v);
	return bldpoke(b, a, off, p, 2);
}

static int
poke32(Bld *b, uint64_t a, size_t off, uint32_t v)
{
	uint8_t p[4];

	gefs_put32(p, v);
	return bldpoke(b, a, off, p, 4);
}

static int
poke64(Bld *b, uint64_t a, size_t off, uint64_t v)
{
	uint8_t p[8];

	gefs_put64(p, v);
	return bldpoke(b, a, off, p, 8);
}

/* Swap offset-table slots i and i+1 at table base tb of node a. */
static int
swapslots(Bld *b, uint64_t a, size_t tb, int i)
{
	const uint8_t *p = bldblkp(b, a);
	uint8_t s[4];

	if (p == NULL)
		return -1;
	memcpy(s, p + tb + 2 * i + 2, 2);
	memcpy(s + 2, p + tb + 2 * i, 2);
	return bldpoke(b, a, tb + 2 * i, s, 4);
}

/* Store child's actual fill in every pivot entry pointing at it (after
 * a change of its size), so that only the intended fault remains. */
static int
setfill(Bld *b, uint64_t child)
{
	BldRef r[4];
	GefsNode n;
	size_t nr, i;

	if (!node(b, child, &n))
		return -1;
	nr = bldrefs(b, child, r, 4);
	for (i = 0; i < nr && i < 4; i++)
		if (r[i].kind == BLD_RPIVOT && poke16(b, r[i].parent, r[i].off + 24, (uint16_t)gefs_nodefill(&n)) < 0)
			return -1;
	return 0;
}

/* The record (value offset) of snapshot gen in the snapshot tree. */
static int
snaprec(Bld *b, uint64_t gen, Hit *h)
{
	uint8_t k[9];
	GefsKv want = {k, 0, NULL, 0};

	want.nk = (uint16_t)gefs_packsnapkey(k, gen);
	if (findkv(b, GSNAP, 0, iskey, &want, h) < 0 || h->kv.nv != 72)
		return -1;
	return 0;
}

/* The label entry name in the snapshot tree. */
static int
labelent(Bld *b, const char *name, Hit *h)
{
	uint8_t k[GEFS_KEYMAX];
	GefsKv want = {k, 0, NULL, 0};

	want.nk = (uint16_t)gefs_packlabelkey(k, name, strlen(name));
	if (findkv(b, GSNAP, 0, iskey, &want, h) < 0 || h->kv.nv != 13)
		return -1;
	return 0;
}

/* ---- tree nodes ---- */

/* main's root pivot: entries 0 and 1 swapped (ND0005). */
static int
pivorder(Bld *b)
{
	uint64_t a = nthblk(b, BLD_BPIVOT, 0, GMAIN, 0);
	GefsNode n;

	if (!node(b, a, &n) || n.nval < 2)
		return -1;
	return swapslots(b, a, PVA, 0);
}

/* A depth-1 pivot of main records a wrong fill for its first child
 * (ND0008). */
static int
pivfill(Bld *b)
{
	uint64_t a = nthblk(b, BLD_BPIVOT, 1, GMAIN, 0);
	GefsNode n;
	GefsKv kv;
	size_t f;

	if (!node(b, a, &n))
		return -1;
	gefs_nodekv(&n, 0, &kv);
	f = entoff(&n, 0) + 4 + kv.nk + 24;
	return poke16(b, a, f, (uint16_t)(gefs_get16(n.b + f) + 8));
}

/* A leaf of main with two entries out of order (ND0005). */
static int
leaforder(Bld *b)
{
	uint64_t a = nthblk(b, BLD_BLEAF, 2, GMAIN, 1);
	GefsNode n;

	if (!node(b, a, &n) || n.nval < 3)
		return -1;
	return swapslots(b, a, LVA, 1);
}

/* The last key of main (last entry of its rightmost leaf) gets the
 * undefined key type 9, which keeps it last (KV0001/KV0002). */
static int
leafbadkey(Bld *b)
{
	uint64_t a = nthblk(b, BLD_BPIVOT, 0, GMAIN, 0);
	GefsBptr bp;
	GefsNode n;
	GefsKv kv;
	uint16_t fill;

	while (node(b, a, &n) && n.type == GEFS_TPIVOT) {
		gefs_nodekv(&n, n.nval - 1, &kv);
		if (gefs_unpackpivval(&bp, &fill, kv.v, kv.nv, NULL) < 0)
			return -1;
		a = bp.addr;
	}
	if (!node(b, a, &n) || n.type != GEFS_TLEAF || n.nval < 2)
		return -1;
	return poke8(b, a, entoff(&n, n.nval - 1) + 2, 9);
}

/* A leaf of main whose valsz disagrees with its entries (ND0003). */
static int
leafdecode(Bld *b)
{
	uint64_t a = nthblk(b, BLD_BLEAF, 2, GMAIN, 2);
	GefsNode n;

	if (!node(b, a, &n))
		return -1;
	return poke16(b, a, 4, (uint16_t)(n.valsz + 2));
}

/* ---- messages ---- */

/* An Owstat on a Kent turned into an Oclearb, which only Kdat keys take
 * (KV0005). */
static int
msgbadop(Bld *b)
{
	int w[2] = {GEFS_KENT, GEFS_OWSTAT};
	Hit h;

	if (findmsg(b, GMAIN, ismsg, w, &h) < 0)
		return -1;
	return poke8(b, h.addr, h.off, GEFS_OCLEARB);
}

/* A pivot of main whose first two messages (of different keys) are out
 * of order (ND0011). */
static int
msgorder(Bld *b)
{
	GefsNode n;
	GefsMsg m0, m1;
	uint64_t a;
	int k;

	for (k = 0; (a = nthblk(b, BLD_BPIVOT, -1, GMAIN, k)) != GEFS_NONE; k++) {
		if (!node(b, a, &n) || n.nbuf < 2)
			continue;
		gefs_nodemsg(&n, 0, &m0);
		gefs_nodemsg(&n, 1, &m1);
		if (gefs_keycmp(m0.k, m0.nk, m1.k, m1.nk) < 0)
			return swapslots(b, a, MA, 0);
	}
	return -1;
}

/* ---- keys and values of file-system trees ---- */

/* A file's Xdir one byte short (valsz and the parent's fill follow):
 * KV0003. */
static int
kentshort(Bld *b)
{
	GefsNode n;
	Hit h;

	if (findkv(b, GMAIN, 2, isent, NULL, &h) < 0 || h.kv.nv != 61 || !node(b, h.addr, &n))
		return -1;
	if (poke16(b, h.addr, h.off + 2 + h.kv.nk, 60) < 0 || poke16(b, h.addr, 4, (uint16_t)(n.valsz - 1)) < 0)
		return -1;
	return setfill(b, h.addr);
}

/* A directory with length 16384 (FS0006). */
static int
dirlen(Bld *b)
{
	Hit h;

	if (findkv(b, GMAIN, 2, isent, b, &h) < 0)
		return -1;
	return poke64(b, h.addr, valoff(&h) + XLEN, B);
}

/* A Kdat key with an offset 1 past a block boundary (FS0012). */
static int
datalign(Bld *b)
{
	Hit h;

	if (findkv(b, GMAIN, 2, isdat, NULL, &h) < 0)
		return -1;
	return poke64(b, h.addr, h.off + 2 + 9, gefs_get64(h.kv.k + 9) + 1);
}

/* A file name starting with '/' (FS0003). */
static int
nameslash(Bld *b)
{
	Hit h;

	if (findkv(b, GMAIN, 2, isfirstent, b, &h) < 0 || h.kv.nk < 13)
		return -1;
	return poke8(b, h.addr, h.off + 2 + 11, '/');
}

/* Two Kdat entries of one leaf point at the same data block (RF0003):
 * the second one's pointer is copied from the first's. */
static int
dattwice(Bld *b)
{
	GefsNode n;
	Hit h;
	size_t o;

	if (findkv(b, GMAIN, 2, isdat, NULL, &h) < 0 || !node(b, h.addr, &n))
		return -1;
	o = entoff(&n, h.i - 1);
	if (n.b[o + 2] != GEFS_KDAT || gefs_get16(n.b + o) != 17)
		return -1;
	return bldpoke(b, h.addr, valoff(&h), n.b + o + 4 + 17, 24);
}

/* A Kdat pointing at arena 0's header (RF0002). */
static int
datoutside(Bld *b)
{
	Hit h;

	if (findkv(b, GMAIN, 2, isdat, NULL, &h) < 0)
		return -1;
	return poke64(b, h.addr, valoff(&h), bldarenaaddr(b, 0));
}

/* A pointer of snap1 (generation 4) born in generation 5 (GN0001). */
static int
datfuture(Bld *b)
{
	Hit h;

	if (findkv(b, GSNAP1, 1, isdat, NULL, &h) < 0)
		return -1;
	return poke64(b, h.addr, valoff(&h) + 16, 5);
}

/* ---- snapshot tree ---- */

/* snap1's record says generation 5 under key 4 (SN0004). */
static int
snapkeygen(Bld *b)
{
	Hit h;

	return snaprec(b, GSNAP1, &h) < 0 ? -1 : poke64(b, h.addr, valoff(&h) + SNGEN, 5);
}

/* main's record has height 0 (SN0013). */
static int
snapbadroot(Bld *b)
{
	Hit h;

	return snaprec(b, GMAIN, &h) < 0 ? -1 : poke32(b, h.addr, valoff(&h) + SNHT, 0);
}

/* snap1's record has nref -1 (SN0007). */
static int
snapnrefneg(Bld *b)
{
	Hit h;

	return snaprec(b, GSNAP1, &h) < 0 ? -1 : poke32(b, h.addr, valoff(&h) + SNREF, UINT32_MAX);
}

/* The label adm renamed adn (same place in key order): SN0012. */
static int
noadm(Bld *b)
{
	Hit h;

	return labelent(b, "adm", &h) < 0 ? -1 : poke8(b, h.addr, h.off + 2 + 3, 'n');
}

/* ---- deadlists ---- */

/* Kdlist(6, 4) renamed Kdlist(6, 6): bgen not below gen (DL0001). */
static int
dlbgen(Bld *b)
{
	uint8_t k[17];
	GefsKv want = {k, 0, NULL, 0};
	Hit h;

	want.nk = (uint16_t)gefs_packdlistkey(k, GMAIN, GSNAP1);
	if (findkv(b, GSNAP, 0, iskey, &want, &h) < 0)
		return -1;
	return poke64(b, h.addr, h.off + 2 + 9, GMAIN);
}

/* ---- warnings and notes only ---- */

/* snap1's label has flag bit 0x100 (SN0003). */
static int
labelflags(Bld *b)
{
	Hit h;

	return labelent(b, "snap1", &h) < 0 ? -1 : poke32(b, h.addr, valoff(&h) + 9, 0x100);
}

/* A file with mode bit 0x1000 (FS0005). */
static int
filemode(Bld *b)
{
	const uint8_t *p;
	Hit h;

	if (findkv(b, GMAIN, 2, isent, NULL, &h) < 0 || (p = bldblkp(b, h.addr)) == NULL)
		return -1;
	return poke32(b, h.addr, valoff(&h) + XMODE, gefs_get32(p + valoff(&h) + XMODE) | 0x1000);
}

/* A file with qid.type QTTMP but no DMTMP (FS0004). */
static int
fileqtype(Bld *b)
{
	Hit h;

	return findkv(b, GMAIN, 2, isent, NULL, &h) < 0 ? -1 : poke8(b, h.addr, valoff(&h) + XQTYPE, 0x04);
}

/* snap1's succ names generation 5, which has no record (SN0010). */
static int
snapsucc(Bld *b)
{
	Hit h;

	return snaprec(b, GSNAP1, &h) < 0 ? -1 : poke64(b, h.addr, valoff(&h) + SNSUCC, 5);
}

/* Kdlist(6, 4)'s tl names the head block (DL0010, a note: the case
 * runs with -v). */
static int
dltail(Bld *b)
{
	uint8_t k[17];
	GefsKv want = {k, 0, NULL, 0};
	Hit h;

	want.nk = (uint16_t)gefs_packdlistkey(k, GMAIN, GSNAP1);
	if (findkv(b, GSNAP, 0, iskey, &want, &h) < 0 || h.kv.nv != 48)
		return -1;
	return poke64(b, h.addr, valoff(&h) + 24, gefs_get64(h.kv.v));
}

typedef struct Bcase {
	const char	*name;
	int		(*fn)(Bld *);
} Bcase;

static const Bcase bcases[] = {
	{"unfixable_pivot_order",	pivorder},
	{"unfixable_pivot_fill",	pivfill},
	{"unfixable_leaf_order",	leaforder},
	{"unfixable_leaf_badkey",	leafbadkey},
	{"unfixable_leaf_decode",	leafdecode},
	{"unfixable_msg_badop",		msgbadop},
	{"unfixable_msg_order",		msgorder},
	{"unfixable_kent_short",	kentshort},
	{"unfixable_dir_length",	dirlen},
	{"unfixable_dat_unaligned",	datalign},
	{"unfixable_name_slash",	nameslash},
	{"unfixable_dat_twice",		dattwice},
	{"unfixable_dat_outside",	datoutside},
	{"unfixable_dat_future",	datfuture},
	{"unfixable_snap_keygen",	snapkeygen},
	{"unfixable_snap_badroot",	snapbadroot},
	{"unfixable_snap_nref_neg",	snapnrefneg},
	{"unfixable_label_noadm",	noadm},
	{"unfixable_dlist_bgen",	dlbgen},
	{"warn_label_flags",		labelflags},
	{"warn_file_mode",		filemode},
	{"warn_file_qtype",		fileqtype},
	{"warn_snap_succ",		snapsucc},
	{"note_dlist_tail",		dltail},
};

const char *
bldcasename(size_t i)
{
	return i < sizeof bcases / sizeof bcases[0] ? bcases[i].name : NULL;
}

int
bldcase(const char *name, const char *out, GefsErr *e)
{
	const Bcase *c = NULL;
	BldStdOpts o;
	Bld *b;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof bcases / sizeof bcases[0]; i++)
		if (strcmp(bcases[i].name, name) == 0)
			c = &bcases[i];
	if (c == NULL)
		return gefs_seterr(e, ENOENT, "unknown case %s", name);
	bldinitstd(&o);
	o.textdata = true;
	if ((b = bldstdimg(&o, e)) == NULL)
		return -1;
	if (c->fn(b) < 0)
		gefs_seterr(e, EINVAL, "%s: the structure to damage was not found%s%s", name,
			*blderr(b) ? ": " : "", blderr(b));
	else if (bldwrite(b, out) < 0)
		gefs_seterr(e, EIO, "%s: %s", out, blderr(b));
	else
		rc = 0;
	bldfree(b);
	return rc;
}
