/* SPDX-License-Identifier: MIT */
/*
 * block — the block command: one block read raw and decoded by its type
 * (§3.1): superblock, arena header, log, deadlist, pivot or leaf; data
 * otherwise.  -x prints a hex dump instead.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "dump.h"

static void
blksuper(Dump *d, uint64_t addr, const uint8_t *blk)
{
	GefsSb sb;
	GefsErr e;
	char a[24];
	bool ok;
	uint32_t i;

	memset(&e, 0, sizeof e);
	if (gefs_unpacksb(&sb, blk, addr, &e) < 0) {
		fail(d, "%s", e.msg);
		return;
	}
	ok = gefs_sbhashok(blk, sb.narena);
	if (!ok)
		fail(d, "block 0x%llx (superblock): sbhash mismatch", (unsigned long long)addr);
	if (d->json) {
		jsonobj(&d->j, "superblock");
		jsonbool(&d->j, "sbhash_ok", ok);
		jsonu64(&d->j, "narena", sb.narena);
		jsonu64(&d->j, "snap_ht", sb.snapht);
		jsonhex(&d->j, "snap_addr", sb.snapaddr);
		jsonhash(&d->j, "snap_hash", sb.snaphash);
		jsonhex(&d->j, "nextqid", sb.nextqid);
		jsonu64(&d->j, "nextgen", sb.nextgen);
		jsonu64(&d->j, "qgen", sb.qgen);
		jsonarr(&d->j, "arenas");
		for (i = 0; i < sb.narena; i++) {
			jsonobj(&d->j, NULL);
			jsonhex(&d->j, "addr", sb.arenaaddr[i]);
			jsonhash(&d->j, "hash", sb.arenahash[i]);
			jsonend(&d->j);
		}
		jsonend(&d->j);
		jsonhash(&d->j, "sbhash", sb.sbhash);
		jsonend(&d->j);
		return;
	}
	printf("  magic %s  blksz %u  bufspc %u  narena %u  flag 0x%llx\n", GEFS_MAGIC, sb.blksz,
		sb.bufspc, sb.narena, (unsigned long long)sb.flag);
	printf("  snap ht %u  addr %s", sb.snapht, fmtnone(a, sizeof a, sb.snapaddr));
	printf("  hash %s\n", fmthashn(a, sizeof a, sb.snaphash));
	printf("  snapdl hd %s", fmtnone(a, sizeof a, sb.dlhdaddr));
	printf("  tl %s\n", fmtnone(a, sizeof a, sb.dltladdr));
	printf("  nextqid 0x%llx  nextgen %llu  qgen %llu\n", (unsigned long long)sb.nextqid,
		(unsigned long long)sb.nextgen, (unsigned long long)sb.qgen);
	for (i = 0; i < sb.narena; i++)
		printf("  arena[%u] 0x%llx  hash %s\n", i, (unsigned long long)sb.arenaaddr[i],
			fmthashn(a, sizeof a, sb.arenahash[i]));
	printf("  sbhash 0x%016llx %s\n", (unsigned long long)sb.sbhash, ok ? "ok" : "BAD");
}

static void
blkarena(Dump *d, uint64_t addr, const uint8_t *blk)
{
	GefsArenaHdr h;
	GefsErr e;
	char a[2][24], s[2][32];

	memset(&e, 0, sizeof e);
	if (gefs_unpackarena(&h, blk, addr, &e) < 0) {
		fail(d, "%s", e.msg);
		return;
	}
	if (d->json) {
		jsonobj(&d->j, "arena");
		jsonhex(&d->j, "loghd_addr", h.loghdaddr);
		jsonhash(&d->j, "loghd_hash", h.loghdhash);
		jsonu64(&d->j, "size", h.size);
		jsonu64(&d->j, "used", h.used);
		jsonend(&d->j);
		return;
	}
	printf("  loghd %s (hash %s)  size 0x%llx (%s)  used 0x%llx (%s)\n",
		fmtnone(a[0], sizeof a[0], h.loghdaddr), fmthashn(a[1], sizeof a[1], h.loghdhash),
		(unsigned long long)h.size, fmtsize(s[0], sizeof s[0], h.size, d->raw),
		(unsigned long long)h.used, fmtsize(s[1], sizeof s[1], h.used, d->raw));
}

static void
blklog(Dump *d, uint64_t addr, const uint8_t *blk, int type)
{
	GefsLogHdr h;
	GefsErr e;
	char c[24];
	bool ok, stop;
	int i;

	memset(&e, 0, sizeof e);
	if (gefs_unpackloghdr(&h, blk, type, addr, &e) < 0) {
		fail(d, "%s", e.msg);
		return;
	}
	ok = gefs_loghash(blk, h.logsz) == h.logh;
	if (!ok)
		fail(d, "block 0x%llx (%s): body hash mismatch", (unsigned long long)addr,
			gefs_typename(type));
	if (d->json) {
		jsonobj(&d->j, type == GEFS_TLOG ? "log" : "deadlist");
		jsonu64(&d->j, "logsz", h.logsz);
		jsonhash(&d->j, "logh", h.logh);
		jsonbool(&d->j, "logh_ok", ok);
		jsonhex(&d->j, "chain", h.chain.addr);
	} else
		printf("  logsz %u  logh 0x%016llx %s  chain %s\n", h.logsz,
			(unsigned long long)h.logh, ok ? "ok" : "BAD", fmtnone(c, sizeof c, h.chain.addr));
	if (type == GEFS_TLOG) {
		stop = false;
		showlog(d, addr, blk, &h, gefs_super(d->fs, NULL)->qgen, &stop);
	} else {
		if (d->json)
			jsonarr(&d->j, "blocks");
		for (i = 0; i + 8 <= h.logsz; i += 8) {
			if (d->json)
				jsonhex(&d->j, NULL, gefs_get64(blk + GEFS_LOGHDSZ + i));
			else
				printf("    %5d  0x%llx\n", i, (unsigned long long)gefs_get64(blk + GEFS_LOGHDSZ + i));
		}
		if (d->json)
			jsonend(&d->j);
	}
	if (d->json)
		jsonend(&d->j);
}

static void
blknode(Dump *d, uint64_t addr, const uint8_t *blk)
{
	GefsNode n;
	GefsErr e;

	memset(&e, 0, sizeof e);
	if (gefs_unpacknode(&n, blk, addr, &e) < 0) {
		fail(d, "%s", e.msg);
		return;
	}
	if (d->json)
		jsonarr(&d->j, "nodes");
	shownode(d, 0, &n, NULL);
	if (d->json)
		jsonend(&d->j);
}

/* The arena holding addr (§5.2), -1 if none. */
static int
arenaof(Dump *d, uint64_t addr)
{
	GefsArenaInfo ai;
	int i;

	for (i = 0; i < gefs_narena(d->fs); i++)
		if (gefs_arenainfo(d->fs, i, &ai) == 0 && addr >= ai.addr
		&& addr - ai.addr < ai.size + 2 * GEFS_BLKSZ)
			return i;
	return -1;
}

int
cmdblock(Dump *d, int argc, char **argv)
{
	uint8_t *blk;
	uint64_t addr;
	int c, type, ar;
	bool hex;

	hex = false;
	while ((c = getopt(argc, argv, "+x")) != -1) {
		if (c != 'x')
			usagefail("block: unknown option '-%c'", optopt);
		hex = true;
	}
	if (argc - optind != 1)
		usagefail("block: expected one ADDR");
	addr = parseaddr(argv[optind]);
	if (hex && d->json)
		usagefail("block: -x writes a hex dump: --json does not apply");
	dumpopen(d);
	dumpbegin(d);
	blk = malloc(GEFS_BLKSZ);
	if (blk == NULL) {
		fail(d, "out of memory");
		return dumpend(d);
	}
	if (gefs_readblk(d->fs, addr, blk) < 0) {
		fsfail(d, "block 0x%llx", (unsigned long long)addr);
		free(blk);
		return dumpend(d);
	}
	type = gefs_get16(blk);
	ar = arenaof(d, addr);
	if (d->json) {
		jsonhex(&d->j, "addr", addr);
		jsoni64(&d->j, "arena", ar);
		jsonu64(&d->j, "type", (uint64_t)type);
		jsonstr(&d->j, "typename", gefs_typename(type));
		jsonhash(&d->j, "blkhash", gefs_blkhash(blk));
	} else {
		printf("block 0x%llx  type %d (%s)  blkhash 0x%016llx  ", (unsigned long long)addr,
			type, gefs_typename(type), (unsigned long long)gefs_blkhash(blk));
		if (ar >= 0)
			printf("arena %d\n", ar);
		else
			printf("outside the arenas\n");
	}
	if (hex)
		hexdump(stdout, blk, GEFS_BLKSZ, 0);
	else switch (type) {
	case GEFS_TSUPER:	blksuper(d, addr, blk); break;
	case GEFS_TARENA:	blkarena(d, addr, blk); break;
	case GEFS_TLOG:
	case GEFS_TDLIST:	blklog(d, addr, blk, type); break;
	case GEFS_TPIVOT:
	case GEFS_TLEAF:	blknode(d, addr, blk); break;
	default:
		if (!d->json)
			hexdump(stdout, blk, GEFS_BLKSZ, 0);
	}
	free(blk);
	return dumpend(d);
}
