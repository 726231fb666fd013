/* SPDX-License-Identifier: MIT */
/*
 * ckguard.c — the checker's guards against making things worse: the
 * device must hold the whole file system before any repair is planned,
 * an image with no superblock magic at all is not a GEFS image (an
 * operational error, not damage), and a single-block repair is written
 * only over the block it repairs.
 *
 * A device shorter than its file system (a truncated image, a short dd)
 * has live data where the backup superblock should be: restoring it there
 * would destroy that data.  The size the file system spans is read from
 * superblock 0's arena table and the last arena's header, before the
 * device's last block is looked at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

/* Largest arena address or size taken at face value: 2^62 bytes keeps
 * every sum below in range (FORMAT.md §23 limits devices far lower). */
static const uint64_t MAXSPAN = 1ull << 62;

/* Bytes the last arena spans from its header: header, footer, data area
 * and the two never-freed blocks, i.e. 2 blocks + the header's size
 * (§5.3), from a copy the table's hash verifies; 2 blocks when no copy on
 * the device does (a lower bound). */
static uint64_t
lastspan(Dev *d, uint64_t a, uint64_t want, uint64_t devbytes, uint8_t *buf)
{
	GefsArenaHdr h;
	GefsErr e;
	uint64_t at;
	int j;

	for (j = 0; j < 2; j++) {
		at = a + (uint64_t)j * B;
		e.code = 0;
		if (at + B > devbytes || devread(d, buf, B, at, &e) < 0
		|| gefs_unpackarena(&h, buf, at, &e) < 0)
			continue;
		if (want != GEFS_NONE && gefs_blkhash(buf) != want)
			continue;
		if (h.size % B == 0 && h.size < MAXSPAN)
			return 2 * B + h.size;
	}
	return 2 * B;
}

/* Blocks the file system spans by superblock 0 (its arenas and the backup
 * superblock after them), or 0 when block 0 is not a verified superblock
 * or its table is out of order (pass 1 reports that). */
static uint64_t
fsblocks(Check *ck, uint64_t devbytes)
{
	uint8_t *buf;
	uint64_t a, span, n = 0;
	GefsErr e;
	GefsSb sb;

	if ((buf = malloc(B)) == NULL)
		return 0;
	e.code = 0;
	if (devread(ck->fs->dev, buf, B, 0, &e) < 0 || memcmp(buf, GEFS_MAGIC, 8) != 0
	|| gefs_unpacksb(&sb, buf, 0, &e) < 0 || sb.narena == 0 || !gefs_sbhashok(buf, sb.narena))
		goto out;
	a = sb.arenaaddr[sb.narena - 1];
	if (a % B != 0 || a < B || a >= MAXSPAN)
		goto out;
	span = lastspan(ck->fs->dev, a, sb.arenahash[sb.narena - 1], devbytes, buf);
	n = (a + span) / B + 1;
out:
	free(buf);
	return n;
}

uint64_t
cksize(Check *ck, uint64_t devbytes)
{
	ck->devblk = devbytes / B;
	ck->fsblk = devbytes >= B ? fsblocks(ck, devbytes) : 0;
	/* -n goes on over the whole file system: reads past the device's
	 * end are then errors naming their address */
	if (ck->fsblk > ck->devblk && ck->o.mode == GEFS_CKNONE)
		return ck->fsblk * B;
	return devbytes;
}

bool
ckshort(Check *ck)
{
	Pctx c = PCTX(GEFS_NONE);

	if (ck->fsblk <= ck->devblk)
		return false;
	c.addr = (ck->fsblk - 1) * B;
	c.n[0] = (int64_t)ck->fsblk;
	c.n[1] = (int64_t)ck->devblk;
	c.why = ck->o.mode == GEFS_CKNONE ? "checking what the device holds"
		: "truncated image or device too small; nothing is repaired";
	ckproblem(ck, PR_SBSHORT, &c);
	if (ck->o.mode == GEFS_CKNONE)
		return false;
	ck->stop = true;
	return true;
}

bool
cknotgefs(Check *ck)
{
	if (memcmp(ck->sbblk[0], GEFS_MAGIC, 8) == 0 || memcmp(ck->sbblk[1], GEFS_MAGIC, 8) == 0)
		return false;
	gefs_seterr(ck->e, EINVAL, "%s: not a GEFS file system (no superblock magic at 0x0 or 0x%llx)",
		ck->path, (unsigned long long)ck->sbaddr[1]);
	ck->stop = true;
	ck->st->fatal = true;
	return true;
}

/* The kind of block a single-block repair of problem pr rewrites (the
 * table's kind of repair): a superblock copy, an arena header or footer,
 * or (a torn log tail cut at its barrier) the log block itself. */
static int
fixkind(int pr)
{
	switch (GEFS_PRREPAIR(problemof(pr)->flags)) {
	case GEFS_RKSB:		return KSB;
	case GEFS_RKLOGBLK:	return KLOG;
	default:		return KHDR;
	}
}

/* A superblock repair goes to a superblock block, a header repair to an
 * arena header or footer, both on the device and nothing else's. */
bool
ckfixsafe(Check *ck, const Fix *f, const char **why)
{
	uint64_t b = f->dst / B;
	uint8_t m, area;
	int want;

	*why = "outside the device";
	if (f->dst % B != 0 || b >= ck->nblk || b >= ck->devblk)
		return false;
	want = fixkind(f->pr);
	area = want == KLOG ? MDLIST : MAREA | MDLIST;	/* a log block lies in its arena's data area */
	m = bmget(ck->map, b);
	if ((m & KMASK) == want && !(m & area))
		return true;
	*why = (m & KMASK) != KNONE ? ckkindname(m) : (m & MAREA) ? "in an arena's data area"
		: "listed in a deadlist";
	return false;
}
