/* SPDX-License-Identifier: MIT */
/*
 * rblock — one block: one block read raw and decoded by its type
 * (§3.1): superblock, arena header, log, deadlist, pivot or leaf; data
 * otherwise.  -x prints a hex dump instead.
 */
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
	char a[24];
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
		jsonarr(&rd->j, "arenas");
		for (i = 0; i < sb.narena; i++) {
			jsonobj(&rd->j, NULL);
			jsonhex(&rd->j, "addr", sb.arenaaddr[i]);
			jsonhash(&rd->j, "hash", sb.arenahash[i]);
			jsonend(&rd->j);
		}
		jsonend(&rd->j);
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
		jsonobj(&rd->j, "arena");
		rrows(rd, NULL, arenarows, &h);
		jsonend(&rd->j);
		return;
	}
	tab = tabnew("ll");
	rrows(rd, tab, arenarows, &h);
	rtabprint(rd, tab, "  ");
}

static void
blklog(Render *rd, uint64_t addr, const uint8_t *blk, int type)
{
	GefsLogHdr h;
	GefsErr e;
	Lblk b;
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
			jsonarr(&rd->j, "blocks");
		for (i = 0; (i + 1) * GEFS_DLENTSZ <= h.logsz; i++) {
			if (rd->json)
				jsonhex(&rd->j, NULL, gefs_unpackdlent(blk, i));
			else
				fprintf(rd->f, "    %5d  0x%llx\n", i * GEFS_DLENTSZ, (unsigned long long)gefs_unpackdlent(blk, i));
		}
		if (rd->json)
			jsonend(&rd->j);
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
	if (rd->json) {
		jsonhex(&rd->j, "addr", addr);
		jsoni64(&rd->j, "arena", ar);
		jsonu64(&rd->j, "type", (uint64_t)type);
		jsonstr(&rd->j, "typename", gefs_typename(type));
		jsonhash(&rd->j, "blkhash", gefs_blkhash(blk));
	} else {
		fprintf(rd->f, "block 0x%llx  type %d (%s)  blkhash 0x%016llx  ", (unsigned long long)addr,
			type, gefs_typename(type), (unsigned long long)gefs_blkhash(blk));
		if (ar >= 0)
			fprintf(rd->f, "arena %d\n", ar);
		else
			fprintf(rd->f, "outside the arenas\n");
	}
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
