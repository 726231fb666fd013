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

/* What a finding about deadlist d names: {tree} "deadlist (gen, bgen)",
 * with " block 0x…" when about an entry of chain block blk. */
static Pctx
dlctx(const Dlrec *d, uint64_t addr, uint64_t blk, char name[80])
{
	Pctx c = PCTX(addr);

	snprintf(name, 80, "deadlist (%llu, %llu)", (unsigned long long)d->gen, (unsigned long long)d->bgen);
	if (blk != GEFS_NONE)
		snprintf(name + strlen(name), 80 - strlen(name), " block 0x%llx", (unsigned long long)blk);
	c.tree = name;
	return c;
}

/* The addresses listed in one deadlist block. */
static void
dlentries(Check *ck, const Dlrec *d, uint64_t blk, const uint8_t *b, uint16_t logsz)
{
	char name[80];
	Pctx c = dlctx(d, blk, blk, name);
	uint64_t a;
	uint8_t m;
	int k;
	uint16_t o;

	c.s[0] = "entry";
	for (o = 0; o + 8 <= logsz; o += 8) {
		a = gefs_unpackdlent(b, o / 8);
		c.x[0] = a;
		if (!ckinarea(ck, a)) {
			ckproblem(ck, PR_DLOUTSIDE, &c);
			continue;
		}
		m = ckmap(ck, a / B);
		k = m & KMASK;
		if (!(m & MALLOC))
			ckproblem(ck, PR_DLFREE, &c);
		if (m & MDLIST)
			ckproblem(ck, PR_DLTWICE, &c);
		c.s[1] = ckkindname(k);
		if (k != KNONE && k != KFNODE && k != KDATA)
			ckproblem(ck, PR_DLKIND, &c);
		ckmapor(ck, a / B, MDLIST);
	}
}

/* Chain block a of deadlist li already belongs to deadlist o (of own):
 * a loop, a shared suffix (§14.4) or a crossing. */
static void
dlshared(Check *ck, uint32_t li, uint32_t o, uint64_t a)
{
	const Dlrec *d = &ck->dl[li], *od = &ck->dl[o];
	char name[80], n0[48], n1[48];
	Pctx c = dlctx(d, a, GEFS_NONE, name);

	if (o == li) {
		ckproblem(ck, PR_DLCYCLE, &c);
		return;
	}
	snprintf(n0, sizeof n0, "(%llu, %llu)", (unsigned long long)od->gen, (unsigned long long)od->bgen);
	snprintf(n1, sizeof n1, "(%llu, %llu)", (unsigned long long)d->gen, (unsigned long long)d->bgen);
	c.s[0] = n0;
	c.s[1] = n1;
	ckproblem(ck, od->bgen == d->bgen ? PR_DLSHARED : PR_DLCROSS, &c);
}

/* Read chain block a of deadlist d into ck->buf, its header into h. */
static bool
dlread(Check *ck, const Dlrec *d, uint64_t a, GefsLogHdr *h)
{
	char name[80];
	Pctx c = dlctx(d, a, GEFS_NONE, name);
	GefsErr e;

	e.code = 0;
	if (ckreadraw(ck, a, ck->buf) < 0 || gefs_unpackloghdr(h, ck->buf, GEFS_TDLIST, a, &e) < 0) {
		c.why = e.code ? e.msg : ck->fs->err.msg;
		ckproblem(ck, PR_DLBLOCK, &c);
		return false;
	}
	if (gefs_loghash(ck->buf, h->logsz) != h->logh) {
		ckproblem(ck, PR_DLHASH, &c);
		return false;
	}
	return true;
}

/* One chain block: false to stop following the chain. */
static bool
dlstep(Check *ck, Amap *own, uint32_t li, uint64_t a, GefsLogHdr *h)
{
	const Dlrec *d = &ck->dl[li];
	char name[80], why[120];
	Pctx c = dlctx(d, a, GEFS_NONE, name);
	int64_t o;
	uint8_t m;

	if (!ckinarea(ck, a)) {
		snprintf(why, sizeof why, "chain block 0x%llx outside every arena's data area", (unsigned long long)a);
		c.why = why;
		ckproblem(ck, PR_DLBLOCK, &c);
		return false;
	}
	m = ckmap(ck, a / B);
	if ((o = amget(own, a)) >= 0) {
		dlshared(ck, li, (uint32_t)o, a);
		return false;
	}
	c.s[0] = "chain block";
	c.s[1] = "the chain";
	c.s[2] = (m & MDLIST) ? "deadlist entry" : ckkindname(m);
	if ((m & KMASK) != KNONE || (m & MDLIST)) {
		ckproblem(ck, PR_RFKIND, &c);
		return false;
	}
	ckmapor(ck, a / B, KDCHAIN);
	ck->st->ndlist++;
	if (amput(own, a, li) < 0)
		return false;
	c.x[0] = a;
	if (!(m & MALLOC))
		ckproblem(ck, PR_DLFREE, &c);
	if (!dlread(ck, d, a, h))
		return false;
	dlentries(ck, d, a, ck->buf, h->logsz);
	return true;
}

static void
checkdl(Check *ck, Amap *own, uint32_t li)
{
	const Dlrec *d = &ck->dl[li];
	char name[80];
	Pctx c = dlctx(d, GEFS_NONE, GEFS_NONE, name);
	GefsLogHdr h;
	uint64_t a, last = GEFS_NONE;

	usegen(ck, d->gen);
	usegen(ck, d->bgen);
	if (d->bgen >= d->gen)
		ckproblem(ck, PR_DLBGEN, &c);
	c.n[0] = (int64_t)d->gen;
	if (findsnap(ck, (int64_t)d->gen) == NULL)
		ckproblem(ck, PR_DLNOSNAP, &c);
	for (a = d->d.hd.addr; a != GEFS_NONE && !ckcancelled(ck); a = h.chain.addr) {
		if (!dlstep(ck, own, li, a, &h))
			return;
		last = a;
	}
	c.addr = last;
	c.x[0] = d->d.tl.addr;
	if (last != GEFS_NONE && d->d.tl.addr != last)
		ckproblem(ck, PR_DLTAIL, &c);
}

/* SB0016, worded by why, at block a. */
static void
sbdl(Check *ck, uint64_t a, const char *why)
{
	Pctx c = PCTX(a);

	c.tree = "snapshot-tree deadlist";
	c.why = why;
	ckproblem(ck, PR_SBDLCHAIN, &c);
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
	char why[160];
	Blk *b;
	bool ok;

	for (a = sb->dlhdaddr; a != GEFS_NONE; a = h.chain.addr) {
		if (!ckinarea(ck, a) || (ckmap(ck, a / B) & KMASK) != KNONE) {
			snprintf(why, sizeof why, "chain block 0x%llx %s", (unsigned long long)a,
				ckinarea(ck, a) ? "reached twice or used otherwise" : "outside every arena's data area");
			sbdl(ck, a, why);
			return;
		}
		ckmapor(ck, a / B, KDCHAIN);
		if ((b = readlogblk(ck->fs, a, GEFS_TDLIST, &h, &ok)) == NULL) {
			sbdl(ck, a, ck->fs->err.msg);
			return;
		}
		snprintf(why, sizeof why, "block 0x%llx fails its body hash", (unsigned long long)a);
		if (!ok)
			sbdl(ck, a, why);
		for (o = 0; o + 8 <= h.logsz; o += 8) {
			x = gefs_unpackdlent(b->buf, o / 8);
			snprintf(why, sizeof why, "block 0x%llx lists 0x%llx, outside every arena",
				(unsigned long long)a, (unsigned long long)x);
			if (ckinarea(ck, x))
				ckmapor(ck, x / B, MDLIST);
			else
				sbdl(ck, a, why);
		}
		putblk(ck->fs, b);
		last = a;
	}
	snprintf(why, sizeof why, "tail 0x%llx is not the last chain block 0x%llx",
		(unsigned long long)sb->dltladdr, (unsigned long long)last);
	if (last != sb->dltladdr)
		sbdl(ck, ck->sbaddr[ck->fs->sbcopy], why);
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
