/* SPDX-License-Identifier: MIT */
/*
 * ckdlist.c — pass 5, the deadlists (FORMAT.md §7, §14, §20.2): every
 * Kdlist chain of the snapshot tree and the superblock's snapshot-tree
 * deadlist are followed block by block (each a deadlist block whose body
 * hash matches, inside an arena, not free, shared only between deadlists
 * of one bgen, §14.4), and every block they list must be a data or
 * file-tree block that is allocated and listed once (§14.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

/* The addresses listed in one deadlist block. */
static void
dlentries(Check *ck, const Dlrec *d, uint64_t blk, const uint8_t *b, uint16_t logsz)
{
	uint64_t a;
	uint8_t m;
	int k;
	uint16_t o;

	for (o = 0; o + 8 <= logsz; o += 8) {
		a = gefs_get64(b + GEFS_LOGHDSZ + o);
		if (!ckinarea(ck, a)) {
			ckreport(ck, PR_DLOUTSIDE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx outside every arena's data area",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
			continue;
		}
		m = ckmap(ck, a / B);
		k = m & KMASK;
		if (!(m & MALLOC))
			ckreport(ck, PR_DLFREE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx is free according to the log",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
		if (m & MDLIST)
			ckreport(ck, PR_DLTWICE, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx already listed",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a);
		if (k != KNONE && k != KFNODE && k != KDATA)
			ckreport(ck, PR_DLKIND, blk, "deadlist (%llu, %llu) block 0x%llx: entry 0x%llx is a %s",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)blk, (unsigned long long)a,
				ckkindname(k));
		ckmapor(ck, a / B, MDLIST);
	}
}

/* One chain block: false to stop following the chain. */
static bool
dlstep(Check *ck, Amap *own, uint32_t li, uint64_t a, GefsLogHdr *h)
{
	const Dlrec *d = &ck->dl[li];
	GefsErr e;
	int64_t o;
	uint8_t m;

	if (!ckinarea(ck, a)) {
		ckreport(ck, PR_DLBLOCK, a, "deadlist (%llu, %llu): chain block 0x%llx outside every arena's data area",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	m = ckmap(ck, a / B);
	if ((o = amget(own, a)) >= 0) {
		if ((uint32_t)o == li)
			ckreport(ck, PR_DLCYCLE, a, "deadlist (%llu, %llu): chain loops at 0x%llx",
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		else if (ck->dl[o].bgen == d->bgen)
			ckreport(ck, PR_DLSHARED, a, "deadlists (%llu, %llu) and (%llu, %llu) share the chain from 0x%llx",
				(unsigned long long)ck->dl[o].gen, (unsigned long long)ck->dl[o].bgen,
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		else
			ckreport(ck, PR_DLCROSS, a, "deadlists (%llu, %llu) and (%llu, %llu) share chain block 0x%llx",
				(unsigned long long)ck->dl[o].gen, (unsigned long long)ck->dl[o].bgen,
				(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	if ((m & KMASK) != KNONE || (m & MDLIST)) {
		ckreport(ck, PR_RFKIND, a, "deadlist (%llu, %llu): chain block 0x%llx is also used as a %s",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a,
			(m & MDLIST) ? "deadlist entry" : ckkindname(m));
		return false;
	}
	ckmapor(ck, a / B, KDCHAIN);
	ck->st->ndlist++;
	if (amput(own, a, li) < 0)
		return false;
	if (!(m & MALLOC))
		ckreport(ck, PR_DLFREE, a, "deadlist (%llu, %llu): chain block 0x%llx is free according to the log",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
	e.code = 0;
	if (ckreadraw(ck, a, ck->buf) < 0 || gefs_unpackloghdr(h, ck->buf, GEFS_TDLIST, a, &e) < 0) {
		ckreport(ck, PR_DLBLOCK, a, "deadlist (%llu, %llu): %s", (unsigned long long)d->gen,
			(unsigned long long)d->bgen, e.code ? e.msg : ck->fs->err.msg);
		return false;
	}
	if (gefs_loghash(ck->buf, h->logsz) != h->logh) {
		ckreport(ck, PR_DLHASH, a, "deadlist (%llu, %llu): block 0x%llx: body hash mismatch",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)a);
		return false;
	}
	dlentries(ck, d, a, ck->buf, h->logsz);
	return true;
}

static void
checkdl(Check *ck, Amap *own, uint32_t li)
{
	const Dlrec *d = &ck->dl[li];
	GefsLogHdr h;
	uint64_t a, last = GEFS_NONE;

	usegen(ck, d->gen);
	usegen(ck, d->bgen);
	if (d->bgen >= d->gen)
		ckreport(ck, PR_DLBGEN, GEFS_NONE, "deadlist (%llu, %llu): bgen not below gen",
			(unsigned long long)d->gen, (unsigned long long)d->bgen);
	if (findsnap(ck, (int64_t)d->gen) == NULL)
		ckreport(ck, PR_DLNOSNAP, GEFS_NONE, "deadlist (%llu, %llu): no snapshot record %llu",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)d->gen);
	for (a = d->d.hd.addr; a != GEFS_NONE && !ckcancelled(ck); a = h.chain.addr) {
		if (!dlstep(ck, own, li, a, &h))
			return;
		last = a;
	}
	if (last != GEFS_NONE && d->d.tl.addr != last)
		ckreport(ck, PR_DLTAIL, last, "deadlist (%llu, %llu): tl 0x%llx, but the chain ends at 0x%llx",
			(unsigned long long)d->gen, (unsigned long long)d->bgen, (unsigned long long)d->d.tl.addr,
			(unsigned long long)last);
}

/* The superblock's snapshot-tree deadlist (§14.5), normally NONE: its
 * chain blocks and the snapshot-tree blocks it lists, freed after the
 * commit that wrote it.  Both stay marked as referenced, so that a log
 * rebuild keeps them allocated. */
static void
checksnapdl(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	GefsLogHdr h;
	uint64_t a, last = GEFS_NONE, o, x;
	Blk *b;
	bool ok;

	for (a = sb->dlhdaddr; a != GEFS_NONE; a = h.chain.addr) {
		if (!ckinarea(ck, a) || (ckmap(ck, a / B) & KMASK) != KNONE) {
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: chain block 0x%llx %s", (unsigned long long)a,
				ckinarea(ck, a) ? "reached twice or used otherwise" : "outside every arena's data area");
			return;
		}
		ckmapor(ck, a / B, KDCHAIN);
		if ((b = readlogblk(ck->fs, a, GEFS_TDLIST, &h, &ok)) == NULL) {
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: %s", ck->fs->err.msg);
			return;
		}
		if (!ok)
			ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: block 0x%llx fails its body hash",
				(unsigned long long)a);
		for (o = 0; o + 8 <= h.logsz; o += 8) {
			x = gefs_get64(b->buf + GEFS_LOGHDSZ + o);
			if (ckinarea(ck, x))
				ckmapor(ck, x / B, MDLIST);
			else
				ckreport(ck, PR_SBDLCHAIN, a, "snapshot-tree deadlist: block 0x%llx lists 0x%llx, outside every arena",
					(unsigned long long)a, (unsigned long long)x);
		}
		putblk(ck->fs, b);
		last = a;
	}
	if (last != sb->dltladdr)
		ckreport(ck, PR_SBDLCHAIN, ck->sbaddr[ck->fs->sbcopy], "snapshot-tree deadlist: tail 0x%llx is not the last chain block 0x%llx",
			(unsigned long long)sb->dltladdr, (unsigned long long)last);
}

void
checkfree(Check *ck)
{
	Amap *own = amnew();
	size_t i;

	if (own == NULL) {
		gefs_seterr(ck->e, ENOMEM, "check: out of memory for the deadlist owners");
		ck->stop = true;
		return;
	}
	for (i = 0; i < ck->ndl && !ckcancelled(ck); i++) {
		ckprogress(ck, i, ck->ndl);
		checkdl(ck, own, (uint32_t)i);
	}
	amfree(own);
	if (ck->fs->sb.dlhdaddr != GEFS_NONE)
		checksnapdl(ck);
}
