/* SPDX-License-Identifier: MIT */
/*
 * rblock — one block: one block read raw and decoded by its type
 * (§3.1): superblock, arena header, log, deadlist, pivot or leaf; data
 * otherwise.  -x prints a hex dump instead.  And owner: what points to
 * a block.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

/* A superblock: the rows of sbrows (the super command's too), the
 * arena table, and whether sbhash verifies; text and JSON alike. */
static void
blksuper(Render *rd, uint64_t addr, const uint8_t *blk)
{
	GefsSb sb;
	GefsErr e;
	Table *tab;
	char a[24], name[32];
	bool ok;
	uint32_t i;

	memset(&e, 0, sizeof e);
	if (gefs_unpacksb(&sb, blk, addr, &e) < 0) {
		rfail(rd, "%s", e.msg);
		return;
	}
	ok = gefs_sbhashok(blk, sb.narena);
	if (!ok)
		rfail(rd, "block 0x%llx (superblock): sbhash mismatch", (unsigned long long)addr);
	if (rd->json) {
		jsonobj(&rd->j, "superblock");
		rrows(rd, NULL, sbrows, &sb);
		jsonbool(&rd->j, "sbhash_ok", ok);
		for (i = 0; i < sb.narena; i++) {
			snprintf(name, sizeof name, "arena[%u].addr", i);
			jsonhex(&rd->j, name, sb.arenaaddr[i]);
			snprintf(name, sizeof name, "arena[%u].hash", i);
			jsonstr(&rd->j, name, fmthashn(a, sizeof a, sb.arenahash[i]));
		}
		jsonend(&rd->j);
		return;
	}
	tab = tabnew("ll");
	rrows(rd, tab, sbrows, &sb);
	tabcell(tab, "sbhash_ok");
	tabcell(tab, "%s", ok ? "true" : "false");
	for (i = 0; i < sb.narena; i++) {
		tabcell(tab, "arena[%u].addr", i);
		tabcell(tab, "0x%llx", (unsigned long long)sb.arenaaddr[i]);
		tabcell(tab, "arena[%u].hash", i);
		tabcell(tab, "%s", fmthashn(a, sizeof a, sb.arenahash[i]));
	}
	rtabprint(rd, tab, "  ");
}

/* An arena header or footer: the rows of arenarows. */
static void
blkarena(Render *rd, uint64_t addr, const uint8_t *blk)
{
	GefsArenaHdr h;
	GefsErr e;
	Table *tab;

	memset(&e, 0, sizeof e);
	if (gefs_unpackarena(&h, blk, addr, &e) < 0) {
		rfail(rd, "%s", e.msg);
		return;
	}
	if (rd->json) {
		jsonobj(&rd->j, "arena_header");	/* "arena" is the index */
		rrows(rd, NULL, arenarows, &h);
		jsonend(&rd->j);
		return;
	}
	tab = tabnew("ll");
	rrows(rd, tab, arenarows, &h);
	rtabprint(rd, tab, "  ");
}

/* A deadlist entry (§9.8): a block freed in that generation. */
typedef struct Dlent {
	uint64_t	off, addr;
} Dlent;
static const Rowspec dlentrows[] = {
	{ "off",	Rnum,	offsetof(Dlent, off), 8, 0 },
	{ "addr",	Rhex,	offsetof(Dlent, addr), 8, 0 },
	{ NULL, 0, 0, 0, 0 },
};

/* What every block shows first: where it is and what it claims to be. */
typedef struct Brow {
	uint32_t	have;		/* Barena: inside an arena */
	uint64_t	addr, type, blkhash;
	int64_t		arena;
	const char	*typename;
} Brow;
enum { Barena = 1 };
static const Rowspec browrows[] = {
	{ "addr",	Rhex,	offsetof(Brow, addr), 8, 0 },
	{ "arena",	Rint,	offsetof(Brow, arena), 8, Barena },	/* "-": outside */
	{ "type",	Rnum,	offsetof(Brow, type), 8, 0 },
	{ "typename",	Rstr,	offsetof(Brow, typename), 0, 0 },
	{ "blkhash",	Rhash,	offsetof(Brow, blkhash), 8, 0 },
	{ NULL, 0, 0, 0, 0 },
};

static void
blklog(Render *rd, uint64_t addr, const uint8_t *blk, int type)
{
	GefsLogHdr h;
	GefsErr e;
	Lblk b;
	Dlent de;
	Table *tab;
	bool stop;
	int i;

	memset(&e, 0, sizeof e);
	if (gefs_unpackloghdr(&h, blk, type, addr, &e) < 0) {
		rfail(rd, "%s", e.msg);
		return;
	}
	loghdrof(&b, addr, blk, &h);
	if (!b.ok)
		rfail(rd, "block 0x%llx (%s): body hash mismatch", (unsigned long long)addr,
			gefs_typename(type));
	if (rd->json) {
		jsonobj(&rd->j, type == GEFS_TLOG ? "log" : "deadlist");
		rrec(rd, NULL, loghdrrows, &b);
	} else {
		tab = tabnew("ll");
		rrows(rd, tab, loghdrrows, &b);
		rtabprint(rd, tab, "  ");
	}
	if (type == GEFS_TLOG) {
		stop = false;
		showlog(rd, addr, blk, &h, gefs_super(rd->fs, NULL)->qgen, &stop);
	} else {
		if (rd->json)
			jsonarr(&rd->j, "entries");
		tab = rtabnew(rd, dlentrows);
		for (i = 0; (i + 1) * GEFS_DLENTSZ <= h.logsz; i++) {
			de.off = (uint64_t)i * GEFS_DLENTSZ;
			de.addr = gefs_unpackdlent(blk, i);
			rrecobj(rd, tab, NULL, dlentrows, &de);
		}
		if (rd->json)
			jsonend(&rd->j);
		rtabprint(rd, tab, "    ");
	}
	if (rd->json)
		jsonend(&rd->j);
}

static void
blknode(Render *rd, uint64_t addr, const uint8_t *blk)
{
	GefsNode n;
	GefsErr e;

	memset(&e, 0, sizeof e);
	if (gefs_unpacknode(&n, blk, addr, &e) < 0) {
		rfail(rd, "%s", e.msg);
		return;
	}
	if (rd->json)
		jsonarr(&rd->j, "nodes");
	shownode(rd, 0, &n, NULL);
	if (rd->json)
		jsonend(&rd->j);
}

/* The arena holding addr (§5.2), -1 if none. */
static int
arenaof(Render *rd, uint64_t addr)
{
	GefsArenaInfo ai;
	int i;

	for (i = 0; i < gefs_narena(rd->fs); i++)
		if (gefs_arenainfo(rd->fs, i, &ai) == 0 && addr >= ai.addr
		&& addr - ai.addr < ai.size + 2 * GEFS_BLKSZ)
			return i;
	return -1;
}

int
rblock(Render *rd, uint64_t addr, bool hex)
{
	uint8_t *blk;
	Brow br;
	Table *tab;
	int type, ar;
	unsigned nerr;

	nerr = rd->nerr;
	blk = malloc(GEFS_BLKSZ);
	if (blk == NULL)
		return rfail(rd, "out of memory");
	if (gefs_readblk(rd->fs, addr, blk) < 0) {
		rfsfail(rd, "block 0x%llx", (unsigned long long)addr);
		free(blk);
		return -1;
	}
	type = gefs_blktype(blk);
	ar = arenaof(rd, addr);
	br.have = ar >= 0 ? Barena : 0;
	br.addr = addr;
	br.arena = ar;
	br.type = (uint64_t)type;
	br.typename = gefs_typename(type);
	br.blkhash = gefs_blkhash(blk);
	tab = rtabnew(rd, browrows);
	rrec(rd, tab, browrows, &br);
	rtabprint(rd, tab, "");
	if (hex)
		hexdump(rd->f, blk, GEFS_BLKSZ, 0);
	else switch (type) {
	case GEFS_TSUPER:	blksuper(rd, addr, blk); break;
	case GEFS_TARENA:	blkarena(rd, addr, blk); break;
	case GEFS_TLOG:
	case GEFS_TDLIST:	blklog(rd, addr, blk, type); break;
	case GEFS_TPIVOT:
	case GEFS_TLEAF:	blknode(rd, addr, blk); break;
	default:
		if (!rd->json)
			hexdump(rd->f, blk, GEFS_BLKSZ, 0);
	}
	free(blk);
	return rd->nerr == nerr ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* owner: what points to a block                                      */
/* ------------------------------------------------------------------ */

/* One pointer to the block: the tree and node holding it, what kind of
 * pointer it is, its index there and the entry's key (node, index and
 * key do not apply to the superblock's root pointer). */
typedef struct Oref {
	uint32_t	have;		/* Onode */
	const char	*tree, *kind, *key;
	uint64_t	node, idx;
} Oref;
enum { Onode = 1 };
static const Rowspec orefrows[] = {
	{ "tree",	Rstr,	offsetof(Oref, tree), 0, 0 },
	{ "node",	Raddr,	offsetof(Oref, node), 8, Onode },
	{ "kind",	Rstr,	offsetof(Oref, kind), 0, 0 },
	{ "index",	Rnum,	offsetof(Oref, idx), 8, Onode },
	{ "key",	Rstr,	offsetof(Oref, key), 0, Onode },
	{ NULL, 0, 0, 0, 0 },
};

static const char *refkind[] = {
	[GEFS_REFSB] = "superblock snapshot-tree root",
	[GEFS_REFPIVOT] = "child pointer",
	[GEFS_REFVAL] = "value",
	[GEFS_REFMSG] = "buffered insert",
};

typedef struct Owner {
	Render	*rd;
	Table	*tab;
} Owner;

static int
eachref(void *arg, const GefsRef *r)
{
	Owner *o = arg;
	Oref or;
	char tree[48], key[128];

	memset(&or, 0, sizeof or);
	or.kind = r->kind >= 0 && r->kind <= GEFS_REFMSG ? refkind[r->kind] : "?";
	if (r->kind == GEFS_REFSB)
		or.tree = "superblock";
	else {
		or.have = Onode;
		if (r->tree < 0)
			snprintf(tree, sizeof tree, "snapshot tree");
		else
			snprintf(tree, sizeof tree, "snapshot %lld", (long long)r->tree);
		or.tree = tree;
		or.node = r->node;
		or.idx = (uint64_t)r->idx;
		or.key = gefs_fmtkey(key, sizeof key, r->k, r->nk);
	}
	rrecobj(o->rd, o->tab, NULL, orefrows, &or);
	return 0;
}

int
rowner(Render *rd, uint64_t addr)
{
	Owner o;
	unsigned nerr;

	nerr = rd->nerr;
	o.rd = rd;
	if (rd->json)
		jsonarr(&rd->j, "refs");
	o.tab = rtabnew(rd, orefrows);
	tabheader(o.tab);		/* no pointer: "(none)" */
	if (gefs_findrefs(rd->fs, addr, eachref, &o) < 0)
		rfsfail(rd, "owner 0x%llx", (unsigned long long)addr);
	if (rd->json)
		jsonend(&rd->j);
	rtabprint(rd, o.tab, "");
	return rd->nerr == nerr ? 0 : -1;
}
