/* SPDX-License-Identifier: MIT */
/*
 * check.c — the checker (FORMAT.md §20): driver, reporting and repair
 * plumbing, superblocks, arena headers, allocation-log replay into the
 * block map, deadlists and reachability.  Trees, snapshots and the
 * namespace are in checktree.c.
 *
 * The checker's handle comes from the one constructor (fsalloc, handle.c);
 * its passes judge superblocks (with the loader's verdict, sbjudge) and
 * headers themselves because they must go on where the loader stops (a
 * bad header copy), using the same format rules (layout.c); the log pass
 * consumes the library's chain walk in its going-on mode (arena.c,
 * walklog with LWGOON), which reports damage as items.  After the log pass
 * the handle carries what the loader's would (free sets, log tails), so
 * the write layer works on it (ckloadfs).  Its own replay fills a
 * map of one byte per block (kind, allocated, listed in a deadlist, inside
 * an arena), held sparsely (bmap.c: a uniform range costs nothing), and
 * walked run by run; with a second such map for "reached in the current
 * tree" that is all the memory that grows with what is allocated, besides
 * the cache and per-file state of one tree at a time.  Repairs are planned while
 * checking and written at the end, each a single-block rewrite followed
 * by a sync, after reopening the image for writing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

/* ---- reporting ---- */

/* Count n findings of pr, fixed or not, in the statistics. */
static void
account(Check *ck, int pr, bool fixed, uint64_t n)
{
	const GefsProblem *p = problemof(pr);

	ck->st->nfound[p->sev] += n;
	if (fixed) {
		ck->st->nfixed += n;
		ck->st->nfixsev[p->sev] += n;
		/* the leaks are freed together by the commit, or none is */
		if (GEFS_PRREPAIR(p->flags) == GEFS_RKRECLAIM)
			ck->st->nreclaim = ck->st->nleak;
	} else if (p->sev == GEFS_SEVERR)
		ck->st->nerrleft += n;
	if (p->flags & GEFS_PRFATAL) {
		ck->st->fatal = true;
		ck->stop = true;
	}
}

/* Pass a finding (or a summary of more) on to the caller. */
static void
tell(Check *ck, int pr, uint64_t addr, int pass, bool fixed, const char *msg, uint64_t more)
{
	GefsFinding f;

	if (ck->o.report == NULL)
		return;
	f.p = problemof(pr);
	f.msg = msg;
	f.addr = addr;
	f.pass = pass;
	f.fixed = fixed;
	f.more = more;
	ck->o.report(ck->o.arg, &f);
}

/* One summary finding for n findings of pr not shown. */
static void
tellmore(Check *ck, int pr, int pass, bool fixed, uint64_t n)
{
	char msg[128];

	snprintf(msg, sizeof msg, "%llu more findings of this problem not shown",
		(unsigned long long)n);
	tell(ck, pr, GEFS_NONE, pass, fixed, msg, n);
}

void
ckflushmore(Check *ck)
{
	int pr;

	for (pr = 0; pr < NPROBLEM; pr++)
		if (ck->nmore[pr] > 0) {
			tellmore(ck, pr, ck->pass, false, ck->nmore[pr]);
			ck->nmore[pr] = 0;
		}
}

/* Keep a finding the final commit is to repair: it is delivered when the
 * commit is made or given up (ckrelease), so that "fixed" is true.  Only
 * the first maxshow of a problem are kept: the rest are counted. */
static void
hold(Check *ck, int pr, uint64_t addr, const char *msg)
{
	Held *h;

	h = realloc(ck->held, (ck->nheld + 1) * sizeof *h);
	if (h != NULL) {
		ck->held = h;
		h += ck->nheld;
		h->pr = pr;
		h->addr = addr;
		h->pass = ck->pass;
		h->msg = strdup(msg);
		if (h->msg != NULL) {
			ck->nheld++;
			return;
		}
	}
	account(ck, pr, false, 1);	/* out of memory: reported as left */
	tell(ck, pr, addr, ck->pass, false, msg, 0);
}

void
ckrelease(Check *ck, bool fixed)
{
	size_t i;
	int pr;

	for (i = 0; i < ck->nheld; i++) {
		account(ck, ck->held[i].pr, fixed, 1);
		tell(ck, ck->held[i].pr, ck->held[i].addr, ck->held[i].pass, fixed, ck->held[i].msg, 0);
		free(ck->held[i].msg);
	}
	free(ck->held);
	ck->held = NULL;
	ck->nheld = 0;
	for (pr = 0; pr < NPROBLEM; pr++)
		if (ck->nheldmore[pr] > 0) {
			account(ck, pr, fixed, ck->nheldmore[pr]);
			tellmore(ck, pr, GEFS_CKPFIX, fixed, ck->nheldmore[pr]);
			ck->nheldmore[pr] = 0;
		}
}

/* What finding pr implies beyond itself, as the table says: its arena's
 * log is not to be trusted, the snapshot tree is to be rewritten. */
static void
implies(Check *ck, int pr, uint64_t addr, bool fixed)
{
	int rk = GEFS_PRREPAIR(problemof(pr)->flags);
	int ai;

	if (rk == GEFS_RKLOGBAD && ck->logbad != NULL && (ai = arenaof(ck->fs, addr)) >= 0)
		ck->logbad[ai] = 1;
	if (fixed && rk == GEFS_RKSNAP)
		ck->snapfix = true;
}

/* Count, word, show or sum up one finding; held when the commit is to
 * repair it. */
static void
emit(Check *ck, int pr, const Pctx *c, bool fixed)
{
	char msg[1024];
	bool show, commit = fixed && (problemof(pr)->flags & GEFS_PRCOMMIT);

	ck->npr[pr]++;
	implies(ck, pr, c->addr, fixed);
	if (commit)
		ck->ncommit++;
	show = ck->npr[pr] <= ck->maxshow;
	if (!show) {
		if (commit)
			ck->nheldmore[pr]++;
		else {
			account(ck, pr, fixed, 1);
			ck->nmore[pr]++;
		}
		return;
	}
	ckrender(msg, sizeof msg, pr, c);
	if (commit) {
		hold(ck, pr, c->addr, msg);
		return;
	}
	account(ck, pr, fixed, 1);
	tell(ck, pr, c->addr, ck->pass, fixed, msg, 0);
}

/* The e2fsck fix_problem rule: -n never, -p only PREEN problems, -y all
 * that have a repair; leaks only when reclaiming (-p or -y). */
static bool
decide(Check *ck, int pr)
{
	const GefsProblem *p = problemof(pr);

	if (p->flags & GEFS_PRNOFIX)
		return false;
	if (GEFS_PRREPAIR(p->flags) == GEFS_RKRECLAIM)
		return ck->o.reclaim && ck->o.mode != GEFS_CKNONE;
	if (ck->o.mode == GEFS_CKYES)
		return true;
	if (ck->o.mode == GEFS_CKPREEN)
		return (p->flags & GEFS_PRPREEN) != 0;
	return false;
}

bool
ckproblem(Check *ck, int pr, const Pctx *c)
{
	bool fix = decide(ck, pr);

	emit(ck, pr, c, fix);
	return fix;
}

/* Problems repaired by the final commit are decided here too: their
 * findings are held until the commit is made or given up (repair.c). */
void
cknote(Check *ck, int pr, const Pctx *c)
{
	emit(ck, pr, c, (problemof(pr)->flags & GEFS_PRCOMMIT) && decide(ck, pr));
}

int
ckplanfix(Check *ck, int pr, uint64_t dst, const uint8_t *src)
{
	Fix *nf;

	nf = realloc(ck->fix, (ck->nfix + 1) * sizeof *nf);
	if (nf == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	ck->fix = nf;
	nf[ck->nfix].dst = dst;
	nf[ck->nfix].pr = pr;
	nf[ck->nfix].buf = malloc(B);
	if (nf[ck->nfix].buf == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	memcpy(nf[ck->nfix].buf, src, B);
	ck->nfix++;
	return 0;
}

bool
ckcancelled(Check *ck)
{
	if (ck->o.cancel != NULL && *ck->o.cancel) {
		ck->st->cancelled = true;
		ck->stop = true;
	}
	return ck->stop;
}

void
ckprogress(Check *ck, uint64_t cur, uint64_t max)
{
	if (ck->o.progress != NULL)
		ck->o.progress(ck->o.arg, ck->pass, cur, max);
}

const char *
ckkindname(int k)
{
	static const char *name[] = {
		"unused", "superblock", "arena header", "log block",
		"deadlist block", "snapshot-tree node", "tree node", "data block",
	};

	return name[k & KMASK];
}

/* Out of memory for a map: stop, with an operational error. */
static void
mapnomem(Check *ck)
{
	if (ck->e->code == 0)
		gefs_seterr(ck->e, ENOMEM, "check: out of memory for the block map (%llu bytes held)",
			(unsigned long long)(bmbytes(ck->map) + bmbytes(ck->cur)));
	ck->stop = true;
	ck->st->fatal = true;
}

uint8_t
ckmap(Check *ck, uint64_t b)
{
	return bmget(ck->map, b);
}

uint8_t
ckmaprun(Check *ck, uint64_t b, uint64_t hi, uint64_t *n)
{
	return bmrun(ck->map, b, hi, n);
}

void
ckmapupd(Check *ck, uint64_t lo, uint64_t hi, uint8_t and, uint8_t or)
{
	if (bmupdate(ck->map, lo, hi, and, or) < 0)
		mapnomem(ck);
}

void
ckmapor(Check *ck, uint64_t b, uint8_t v)
{
	if (bmor(ck->map, b, v) < 0)
		mapnomem(ck);
}

bool
ckinarea(Check *ck, uint64_t addr)
{
	if (addr % B != 0 || addr / B >= ck->nblk)
		return false;
	return (ckmap(ck, addr / B) & MAREA) != 0;
}

void
cksetcur(Check *ck, uint64_t addr)
{
	if (bmput(ck->cur, addr / B, 1) < 0)
		mapnomem(ck);
}

bool
ckgetcur(Check *ck, uint64_t addr)
{
	return bmget(ck->cur, addr / B) != 0;
}

void
ckclearcur(Check *ck)
{
	bmclear(ck->cur);
}

int
ckreadraw(Check *ck, uint64_t addr, uint8_t *buf)
{
	if (addr % B != 0 || addr / B >= ck->nblk)
		return gefs_seterr(&ck->fs->err, EINVAL, "address 0x%llx outside the device",
			(unsigned long long)addr);
	return devread(ck->fs->dev, buf, B, addr, &ck->fs->err);
}

/* ---- pass 1: superblocks ---- */

/* Why copy i cannot be chosen (NULL if it can); sets *pr.  The verdict
 * is the loader's (sbjudge); a copy is chosen on magic, decoding and
 * sbhash (§15.4), its other fields are reported once it is in use. */
static const char *
sbwhy(Check *ck, int i, int *pr)
{
	SbJudge j;
	GefsSb sb;

	sbjudge(ck->sbblk[i], ck->sbaddr[i], ck->sbaddr[1], &sb, &j);
	switch (j.first) {
	case SBF_MAGIC:
		*pr = PR_SBMAGIC;
		return "bad magic";
	case SBF_DECODE:
		*pr = PR_SBNARENA;
		return "narena is 0 or 256 or more";
	case SBF_HASH:
		*pr = PR_SBHASH;
		return "sbhash mismatch";
	}
	return NULL;
}

/* Report pr about block addr, with an index n ({n0}: an arena, a copy)
 * and values x0, x1 ({x0} {x1}, or {u0} {u1} in decimal). */
static void
note(Check *ck, int pr, uint64_t addr, int64_t n, uint64_t x0, uint64_t x1)
{
	Pctx c = PCTX(addr);

	c.n[0] = n;
	c.x[0] = x0;
	c.x[1] = x1;
	cknote(ck, pr, &c);
}

/* The finding about superblock copy i: why it is bad, and the copy it
 * is restored from (from >= 0). */
static const Pctx *
sbctx(Pctx *c, Check *ck, int i, const char *why, int from)
{
	static const char *restore[2] = {" (restore from copy 0)", " (restore from copy 1)"};

	*c = PCTX(ck->sbaddr[i]);
	c->n[0] = i;
	c->why = why;
	c->s[0] = from == 0 || from == 1 ? restore[from] : "";
	return c;
}

/* Both copies are valid and differ.  A commit writes copy 0, flushes,
 * then copy 1 (§15.2), so a cut between them leaves copy 0 one commit
 * newer: a crash remnant.  Any other difference (copy 1 newer, the same
 * qgen) no crash explains.  The copy not in use is rewritten from it. */
static int
sbdiffer(Check *ck, int use)
{
	GefsSb s[2];
	int pr, other = 1 - use;
	Pctx c = PCTX(ck->sbaddr[other]);

	gefs_unpacksb(&s[0], ck->sbblk[0], ck->sbaddr[0], NULL);
	gefs_unpacksb(&s[1], ck->sbblk[1], ck->sbaddr[1], NULL);
	pr = s[0].qgen > s[1].qgen ? PR_CRSB : PR_SBDIFFER;
	c.n[0] = other;
	c.n[1] = use;
	if (ckproblem(ck, pr, &c) && ckplanfix(ck, pr, ck->sbaddr[other], ck->sbblk[use]) < 0)
		return -1;
	return 0;
}

/* The copy not in use passes magic and sbhash, but the loader would
 * refuse it for its other fields (sbjudge): an error, restored from the
 * copy in use (it is not a newer or older state, so not SB0010).
 * 1 when it is bad, 0 when not, -1 out of memory. */
static int
sbother(Check *ck, int use)
{
	int o = 1 - use;
	SbJudge j;
	Pctx c;
	GefsSb sb;

	if (sbjudge(ck->sbblk[o], ck->sbaddr[o], ck->sbaddr[1], &sb, &j) == 0)
		return 0;
	if (ckproblem(ck, PR_ARSBCOPY, sbctx(&c, ck, o, j.why, use)) && ckplanfix(ck, PR_ARSBCOPY, ck->sbaddr[o], ck->sbblk[use]) < 0)
		return -1;
	return 1;
}

/* Read both copies, choose one, plan restores of a bad or differing copy. */
static int
choosesb(Check *ck)
{
	const char *why[2];
	int pr[2] = {0, 0}, i, use, rc;
	bool ok[2];
	GefsSb sb;
	Pctx c;

	for (i = 0; i < 2; i++) {
		why[i] = NULL;
		if (ckreadraw(ck, ck->sbaddr[i], ck->sbblk[i]) < 0) {
			memset(ck->sbblk[i], 0, B);
			cknote(ck, PR_SBREAD, sbctx(&c, ck, i, ck->fs->err.msg, -1));
			why[i] = "unreadable";
			pr[i] = -1;
		} else
			why[i] = sbwhy(ck, i, &pr[i]);
		ok[i] = why[i] == NULL;
	}
	if (cknotgefs(ck))
		return -1;
	if (ck->o.sbcopy == 0 || ck->o.sbcopy == 1)
		use = ck->o.sbcopy;
	else
		use = ok[0] ? 0 : 1;
	for (i = 0; i < 2; i++) {
		if (ok[i] || pr[i] < 0)
			continue;
		if (ok[use] && i != use) {
			if (ckproblem(ck, pr[i], sbctx(&c, ck, i, why[i], use)) && ckplanfix(ck, pr[i], ck->sbaddr[i], ck->sbblk[use]) < 0)
				return -1;
		} else
			cknote(ck, pr[i], sbctx(&c, ck, i, why[i], -1));
	}
	if (ok[use] && ok[1 - use] && (rc = sbother(ck, use)) != 0) {
		if (rc < 0)
			return -1;
		ok[1 - use] = false;	/* restored, not compared */
	}
	if (!ok[use]) {
		c = PCTX(ck->sbaddr[use]);
		c.n[0] = use;
		c.s[0] = ck->o.sbcopy == use ? ", chosen with -b" : "";
		cknote(ck, PR_SBNONE, &c);
		return 1;
	}
	if (use == 1)
		cknote(ck, PR_SBBACKUP, &PCTX(ck->sbaddr[1]));
	gefs_unpacksb(&ck->fs->sb, ck->sbblk[use], ck->sbaddr[use], NULL);
	ck->fs->sbcopy = use;
	sb = ck->fs->sb;
	if (ok[0] && ok[1] && memcmp(ck->sbblk[0], ck->sbblk[1], gefs_sbhashlen(sb.narena) + 8) != 0)
		return sbdiffer(ck, use);
	return 0;
}

/* The fields of the superblock in use (§4, §15.4, §20.2). */
static void
checksbfields(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	uint64_t a = ck->sbaddr[ck->fs->sbcopy];
	GefsXrec x0, x1;

	if (sb->blksz != GEFS_BLKSZ)
		note(ck, PR_SBBLKSZ, a, sb->blksz, 0, 0);
	if (sb->bufspc != GEFS_BUFSPC)
		note(ck, PR_SBBUFSPC, a, sb->bufspc, 0, 0);
	if (sb->flag != 0)
		note(ck, PR_SBFLAG, a, 0, sb->flag, 0);
	if (sb->dlhdaddr != GEFS_NONE || sb->dltladdr != GEFS_NONE)
		note(ck, PR_SBSNAPDL, a, 0, sb->dlhdaddr, sb->dltladdr);
	if (sb->snapht < 1 || sb->snapht > GEFS_MAXHT || sb->snapaddr == GEFS_NONE)
		note(ck, PR_SBSNAPHT, a, sb->snapht, sb->snapaddr, 0);
	if (gefs_unpacksbxrec(&x0, ck->sbblk[0], NULL) == 0
	&& gefs_unpacksbxrec(&x1, ck->sbblk[1], NULL) == 0
	&& !gefs_sbxrecsame(ck->sbblk[0], ck->sbblk[1]))
		note(ck, PR_SBXREC, 0, 0, 0, 0);
}

/* The arena table: ordered, aligned, inside the device (§4, §5.2). */
static int
checktable(Check *ck)
{
	GefsSb *sb = &ck->fs->sb;
	uint64_t prev = 0, a;
	uint32_t i;
	Pctx c;

	for (i = 0; i < sb->narena; i++) {
		a = sb->arenaaddr[i];
		if (arenaslot(a, prev, i == 0, ck->sbaddr[1]) == ARSLOT_ALIGN
		|| arenaslot(a, prev, i == 0, ck->sbaddr[1]) == ARSLOT_ORDER) {
			c = PCTX(a);
			c.n[0] = i;
			c.n[1] = i ? i - 1 : 0;
			cknote(ck, PR_SBORDER, &c);
			return -1;
		}
		if (arenaslot(a, prev, i == 0, ck->sbaddr[1]) == ARSLOT_PAST) {
			note(ck, PR_SBOUTSIDE, a, i, ck->sbaddr[1], 0);
			return -1;
		}
		prev = a;
	}
	return 0;
}

/* ---- pass 1: arena headers and footers (§5.1, §15.4) ---- */

typedef struct Copy {
	uint8_t		*blk;
	bool		dec;		/* type 5 and decodes */
	bool		hashok;
	GefsArenaHdr	h;
	char		why[600];
} Copy;

static void
readcopy(Check *ck, uint64_t addr, uint64_t want, Copy *c)
{
	GefsErr e;

	c->dec = c->hashok = false;
	c->why[0] = 0;
	e.code = 0;
	if (ckreadraw(ck, addr, c->blk) < 0) {
		snprintf(c->why, sizeof c->why, "%s", ck->fs->err.msg);
		return;
	}
	if (gefs_unpackarena(&c->h, c->blk, addr, &e) < 0) {
		snprintf(c->why, sizeof c->why, "%s", e.msg);
		return;
	}
	c->dec = true;
	c->hashok = want != GEFS_NONE && gefs_blkhash(c->blk) == want;
}

/* Does the log chain from head hold a barrier newer than the superblock's
 * qgen?  A commit writes its LogSync(Q) into every log before the arena
 * headers, so a header written by a commit the superblock does not yet
 * record points at one; a header of the committed state or older cannot
 * (the committed log ends at the superblock's barrier).  The chain walk
 * (arena.c) goes through every barrier (LWTHRU), past damage it can. */
static int
newersync(Gefs *fs, void *arg, const LogItem *li)
{
	(void)fs;
	return li->it.kind == GEFS_LOGAPPLIED && li->it.ent.op == GEFS_LOGSYNC && li->it.ent.qgen > *(uint64_t *)arg;
}

static bool
newerlog(Check *ck, uint32_t i, uint64_t head, uint64_t size)
{
	LogWalk w = {head, size, 0, LWTHRU | LWGOON, newersync, &ck->fs->sb.qgen};
	LogEnd end;
	int rc;

	rc = walklog(ck->fs, (int)i, &w, &end);
	memset(&ck->fs->err, 0, sizeof ck->fs->err);	/* out of memory: not newer */
	return rc == 1;
}

/* Is the copy of c not in use (it fails the table hash, c[use] matches)
 * what an interrupted commit leaves (§15.3)?  Both are well-formed
 * headers of this arena (size, used, log head inside it).  A header newer than the
 * table: it decodes, has the arena's size and points at a log with a
 * barrier newer than the superblock.  A footer older than the header: it
 * decodes, has the arena's size and no such barrier.  Anything else is
 * damage. */
static bool
remnant(Check *ck, uint32_t i, Copy c[2], int use)
{
	const Copy *o = &c[1 - use];
	uint64_t lo = ck->fs->sb.arenaaddr[i] + 2 * B;

	if (!o->dec || o->h.size != c[use].h.size || o->h.used % B != 0 || o->h.used > o->h.size
	|| o->h.loghdaddr % B != 0 || o->h.loghdaddr < lo || o->h.loghdaddr - lo >= o->h.size)
		return false;
	return newerlog(ck, i, o->h.loghdaddr, o->h.size) == (use == 1);
}

/* The finding about copy j (0 header, 1 footer) of arena i: why it does
 * not decode, and the copy it is restored from (from >= 0). */
static const Pctx *
copyctx(Pctx *c, Check *ck, uint32_t i, int j, const char *why, int from)
{
	static const char *cname[2] = {"header", "footer"};
	static const char *restore[2] = {" (restore from the header)", " (restore from the footer)"};

	*c = PCTX(ck->fs->sb.arenaaddr[i] + (uint64_t)j * B);
	c->n[0] = i;
	c->s[0] = cname[j];
	c->s[1] = from == 0 || from == 1 ? restore[from] : "";
	c->why = why;
	return c;
}

/* Choose the copy to use, report the other; -1 when none decodes. */
static int
pickcopy(Check *ck, uint32_t i, Copy c[2])
{
	uint64_t a = ck->fs->sb.arenaaddr[i], want = ck->fs->sb.arenahash[i];
	int use, j, pr;
	Pctx x;

	if (want == GEFS_NONE) {
		note(ck, PR_ARNONE, a, i, 0, 0);
		use = c[0].dec ? 0 : c[1].dec ? 1 : -1;
		if (c[0].dec && c[1].dec && memcmp(c[0].blk, c[1].blk, B) != 0)
			note(ck, PR_ARDIFFER, a, i, 0, 0);
	} else {
		use = c[0].hashok ? 0 : c[1].hashok ? 1 : -1;
		if (use < 0) {
			for (j = 0; j < 2; j++)
				cknote(ck, c[j].dec ? PR_ARHASH : PR_ARTYPE, copyctx(&x, ck, i, j, c[j].why, -1));
			use = c[0].dec ? 0 : c[1].dec ? 1 : -1;
		} else if (!c[1 - use].hashok) {
			j = 1 - use;
			pr = c[j].dec ? PR_ARHASH : PR_ARTYPE;
			if (remnant(ck, i, c, use))
				pr = use == 1 ? PR_CRHDR : PR_CRFTR;
			if (ckproblem(ck, pr, copyctx(&x, ck, i, j, c[j].why, use)) && ckplanfix(ck, pr, a + (uint64_t)j * B, c[use].blk) < 0)
				return -2;
			if (pr == PR_CRHDR)
				return use;	/* the footer is the state in use, not a fallback */
		}
	}
	if (use < 0)
		note(ck, PR_ARNOCOPY, a, i, 0, 0);
	else if (use == 1)
		note(ck, PR_ARFOOTER, a + B, i, a, 0);
	return use;
}

/* Mark the arena's blocks in the map: header, footer, data area (all
 * allocated: replay starts from "everything used", §6.4). */
static int
markarena(Check *ck, uint32_t i, const GefsArenaHdr *h)
{
	uint64_t a = ck->fs->sb.arenaaddr[i], end, lim;

	lim = i + 1 < ck->fs->sb.narena ? ck->fs->sb.arenaaddr[i + 1] : ck->sbaddr[1];
	if (!arenafits(a, h->size, lim)) {
		note(ck, PR_ARSIZE, a, i, h->size, lim);
		return -1;
	}
	end = a + 2 * B + h->size;
	ckmapupd(ck, a / B, a / B + 2, 0, KHDR | MALLOC);
	ckmapupd(ck, a / B + 2, end / B, 0, MAREA | MALLOC);
	/* the last two blocks of the data area are never freed (§5.3) */
	ckmapupd(ck, end / B - 2, end / B, 0xff, MTAIL);
	return 0;
}

static int
checkarenas(Check *ck)
{
	Gefs *fs = ck->fs;
	Copy c[2];
	uint32_t i;
	int use, rc = 0;

	ck->logbad = calloc(fs->sb.narena, 1);
	c[0].blk = malloc(B);
	c[1].blk = malloc(B);
	if (arenasnew(fs, fs->sb.narena) < 0 || ck->logbad == NULL || c[0].blk == NULL || c[1].blk == NULL) {
		rc = gefs_seterr(ck->e, ENOMEM, "check: out of memory");
		goto out;
	}
	/* every arena in place, sizes unknown until a copy is chosen: the
	 * walk that dates a header copy (newerlog) reads log blocks through
	 * the library, which finds an address's arena in this table */
	for (i = 0; i < fs->sb.narena; i++) {
		fs->arena[i].addr = fs->sb.arenaaddr[i];
		fs->arena[i].size = GEFS_NONE;
	}
	for (i = 0; i < fs->sb.narena && !ckcancelled(ck); i++) {
		ckprogress(ck, i, fs->sb.narena);
		readcopy(ck, fs->arena[i].addr, fs->sb.arenahash[i], &c[0]);
		readcopy(ck, fs->arena[i].addr + B, fs->sb.arenahash[i], &c[1]);
		use = pickcopy(ck, i, c);
		if (use == -2) {
			rc = -1;
			goto out;
		}
		if (use < 0) {
			ck->arbad = true;
			fs->arena[i].size = GEFS_NONE;
			continue;
		}
		fs->arena[i].hdr = c[use].h;
		fs->arena[i].hdrcopy = use;
		fs->arena[i].size = c[use].h.size;
		if (markarena(ck, i, &c[use].h) < 0) {
			ck->stop = true;
			ck->st->fatal = true;
			break;
		}
	}
out:
	free(c[0].blk);
	free(c[1].blk);
	return rc;
}

/* ---- pass 2: allocation logs (§6.4) ---- */

/* A run of adjacent entries of one kind, applied as one range: a log
 * that allocates block by block (most do) costs one map update per run,
 * not per block. */
typedef struct Pend {
	bool		on, alloc;
	uint64_t	addr, end;
	size_t		off;		/* body offset of its first entry */
	int		n;		/* entries */
} Pend;

/* The log pass over one arena: a consumer of the arena.c chain walk
 * (walklog, LWGOON), which reports each block, entry and damage as an
 * item; this turns them into map updates and findings. */
typedef struct Replay {
	Check		*ck;
	uint32_t	arena;
	uint64_t	lo, hi;		/* data area [lo, hi) */
	uint64_t	blk;		/* log block being replayed */
	uint64_t	*logs;		/* chain blocks walked */
	size_t		nlogs;
	bool		barrier;
	size_t		baroff;		/* body bytes up to and with the barrier */
	bool		newer;		/* ... a barrier newer than the superblock */
	bool		torn;		/* replay stopped at the tear of a torn tail */
	const uint8_t	*cur;		/* the block being replayed ... */
	uint16_t	logsz;		/* ... its body bytes */
	Pend		pd;		/* ... its pending run */
} Replay;

/* A finding about the log block r replays, at body offset off ({n1}). */
static Pctx
logctx(const Replay *r, size_t off)
{
	Pctx c = PCTX(r->blk);

	c.n[0] = r->arena;
	c.n[1] = (int64_t)off;
	return c;
}

/* Apply one entry to the map; reports once per entry. */
static void
applyent(Replay *r, const GefsLogEnt *le, size_t off)
{
	Check *ck = r->ck;
	uint64_t b, n, end = le->addr + le->len;
	bool alloc = le->op == GEFS_LOGALLOC1 || le->op == GEFS_LOGALLOC;
	bool bad = false;
	char rs[RANGESTRSZ];
	Pctx c = logctx(r, off);

	c.s[0] = rangestr(rs, le->addr, le->len);
	c.s[1] = alloc ? "alloc" : "free";
	if (end < le->addr || le->addr < r->lo || end > r->hi) {
		c.x[0] = r->lo;
		c.x[1] = r->hi;
		cknote(ck, (le->addr < r->lo && end > r->lo - 2 * B) ? PR_LGHDRFREE : PR_LGRANGE, &c);
		return;
	}
	for (b = le->addr / B; b < end / B && !bad; b += n)
		bad = alloc == ((ckmaprun(ck, b, end / B, &n) & MALLOC) != 0);
	ckmapupd(ck, le->addr / B, end / B, alloc ? 0xff : (uint8_t)~MALLOC, alloc ? MALLOC : 0);
	if (bad)
		cknote(ck, alloc ? PR_LGDALLOC : PR_LGDFREE, &c);
}

/* Apply the pending run.  A conflict (a double allocation or free) is
 * found again entry by entry, so that each bad entry is reported as
 * without the batching. */
static int
reapply(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Replay *r = arg;

	(void)w;
	applyent(r, le, off);
	return --r->pd.n == 0;
}

static void
flushpend(Replay *r)
{
	Check *ck = r->ck;
	Pend *pd = &r->pd;
	uint64_t b, n;
	bool bad = false;

	if (!pd->on)
		return;
	pd->on = false;
	for (b = pd->addr / B; b < pd->end / B && !bad; b += n)
		bad = pd->alloc == ((ckmaprun(ck, b, pd->end / B, &n) & MALLOC) != 0);
	if (!bad) {
		ckmapupd(ck, pd->addr / B, pd->end / B, pd->alloc ? 0xff : (uint8_t)~MALLOC, pd->alloc ? MALLOC : 0);
		return;
	}
	/* entry by entry: they decoded before, so the walk cannot fail */
	gefs_logbody(r->cur, r->logsz, pd->off, r->blk, reapply, r, NULL, NULL);
}

/* Queue entry le (at body offset off) into the pending run, or apply it. */
static void
pushent(Replay *r, const GefsLogEnt *le, size_t off)
{
	Pend *pd = &r->pd;
	uint64_t end = le->addr + le->len;
	bool alloc = le->op == GEFS_LOGALLOC1 || le->op == GEFS_LOGALLOC;

	if (pd->on && pd->alloc == alloc && pd->end == le->addr && end > le->addr && end <= r->hi) {
		pd->end = end;
		pd->n++;
		return;
	}
	flushpend(r);
	if (end < le->addr || le->addr < r->lo || end > r->hi) {
		applyent(r, le, off);	/* reported there */
		return;
	}
	*pd = (Pend){true, alloc, le->addr, end, off, 1};
}

/* The barrier ending replay; a newer one than the superblock's means
 * the entries before it belong to a commit that was cut short. */
static void
barrier(Replay *r, const GefsLogEnt *le, size_t after)
{
	Pctx c = logctx(r, 0);

	r->barrier = true;
	r->baroff = after;
	r->newer = le->qgen > r->ck->fs->sb.qgen;
	if (r->newer) {
		c.x[0] = le->qgen;
		c.x[1] = r->ck->fs->sb.qgen;
		cknote(r->ck, PR_CRLOGNEW, &c);
	}
}

/* The block where replay stopped fails its hash: a commit was cut while
 * rewriting the tail (§15.3 step 3) and the bytes up to the barrier are
 * the old ones.  Replay ignores the rest; the repair truncates the block
 * after the barrier, in place. */
static int
tailremnant(Replay *r, const uint8_t *blk, const GefsLogHdr *h)
{
	Check *ck = r->ck;
	GefsLogHdr nh = *h;
	int pr = PR_CRLOGTORN, rc;
	uint8_t *nb;
	Pctx c = logctx(r, r->baroff);

	if (!ckproblem(ck, pr, &c))
		return 0;
	if ((nb = malloc(B)) == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	memcpy(nb, blk, B);
	gefs_logclear(nb, (uint16_t)r->baroff);
	nh.logsz = (uint16_t)r->baroff;
	nh.chain = (GefsBptr){GEFS_NONE, GEFS_NONE, GEFS_NONE};
	gefs_packloghdr(nb, &nh);
	rc = ckplanfix(ck, pr, r->blk, nb);
	free(nb);
	return rc;
}

/* A block the walk follows a link to (whether or not it reads): a log
 * block in the map, counted.  1 stops the walk (cancelled). */
static int
logblock(Replay *r, const LogItem *li)
{
	Check *ck = r->ck;
	uint64_t *nl;

	if (ckcancelled(ck))
		return 1;
	ckmapor(ck, li->it.blk / B, KLOG);
	ck->st->nlog++;
	nl = realloc(r->logs, (r->nlogs + 1) * sizeof *nl);
	if (nl != NULL) {
		r->logs = nl;
		r->logs[r->nlogs++] = li->it.blk;
	}
	r->cur = li->buf;
	r->logsz = li->it.hdr.logsz;
	return 0;
}

/* The finding for a damage item of the walk. */
static void
logdamage(Replay *r, const LogItem *li)
{
	Pctx c = logctx(r, li->it.off);

	c.why = li->why;
	switch (li->it.kind) {
	case LOGDADDR:
		note(r->ck, PR_LGADDR, li->it.blk, r->arena, 0, 0);
		break;
	case LOGDCYCLE:
		note(r->ck, PR_LGCYCLE, li->it.blk, r->arena, 0, 0);
		break;
	case LOGDREAD:
		logblock(r, li);
		c = PCTX(li->it.blk);
		c.n[0] = r->arena;
		c.why = li->why;
		cknote(r->ck, PR_LGBLOCK, &c);
		break;
	case LOGDENTRY:
		cknote(r->ck, PR_LGENTRY, &c);
		break;
	case LOGDTORN:
		r->torn = true;
		cknote(r->ck, PR_CRLOGCUT, &c);
		break;
	case LOGDHASH:
		note(r->ck, PR_LGHASH, li->it.blk, r->arena, 0, 0);
		break;
	}
}

/* One item of the walk. */
static int
logitem(Gefs *fs, void *arg, const LogItem *li)
{
	Replay *r = arg;
	const GefsLogItem *it = &li->it;

	(void)fs;
	r->blk = it->blk;
	if (it->kind == GEFS_LOGAPPLIED) {
		if (it->ent.op != GEFS_LOGSYNC)
			pushent(r, &it->ent, it->off);
		return 0;
	}
	flushpend(r);
	if (it->kind == GEFS_LOGBLOCK)
		return logblock(r, li);
	if (it->kind == GEFS_LOGSTOP)
		barrier(r, &it->ent, it->off + (size_t)li->w);
	else if (it->kind == LOGDHASHSTOP)
		tailremnant(r, li->buf, &it->hdr);	/* out of memory: in ck->e */
	else if (it->kind >= LOGDADDR && it->kind < LOGBLKEND)
		logdamage(r, li);
	return 0;
}

/* Give the handle what the write layer reads of arena i (as the loader's
 * replay would): the free set the log leaves, used, the tail block and
 * where replay stopped in it.  A chain that broke before a barrier or
 * its end leaves no tail (logtail NONE): nothing may be appended to it,
 * the repair commit rebuilds such a log. */
static int
adoptarena(Check *ck, uint32_t i, const Replay *r, const LogEnd *end)
{
	Arena *a = &ck->fs->arena[i];
	bool ended = end->stopoff != GEFS_NONE || (end->chainend && end->tail != GEFS_NONE);
	uint64_t b, n;

	fsetfree(a->free);
	if ((a->free = fsetnew()) == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	for (b = r->lo / B; b < r->hi / B; b += n)
		if (!(ckmaprun(ck, b, r->hi / B, &n) & MALLOC) && fsetins(a->free, b * B, n * B) < 0)
			return gefs_seterr(ck->e, ENOMEM, "check: out of memory");
	a->used = a->size - fsetbytes(a->free);
	a->nlog = r->nlogs;
	a->logtail = ended ? end->tail : GEFS_NONE;
	a->tailsz = ended ? end->tailsz : 0;
	a->stopoff = r->barrier ? end->tailsz : GEFS_NONE;
	return 0;
}

/* What the loader made of arena i (setup loaded it, tolerant) against
 * what this pass found in a log it found no error in: the loader refusing
 * it, or replaying it to other free space or another tail, is AR0010. */
static void
cmploader(Check *ck, uint32_t i)
{
	Gefs *fs = ck->fs;
	Arena *a = &fs->arena[i], *l;
	char why[1000];	/* the message is at most 1024 bytes */
	Pctx c;

	if (fs->lib == NULL || i >= fs->nlib || ck->logbad[i])
		return;
	l = &fs->lib[i];
	if (l->addr != a->addr || l->size != a->size || l->hdr.loghdaddr != a->hdr.loghdaddr
	|| l->dmgkind == ARDMG_HDR || l->dmgkind == ARDMG_SIZE)
		return;		/* not the same arena or header: nothing to compare */
	if (l->damage != NULL)
		snprintf(why, sizeof why, "the loader refuses its log (%s), the checker finds no error in it", l->damage);
	else if (l->free == NULL || a->free == NULL || fsetbytes(l->free) != fsetbytes(a->free) || l->logtail != a->logtail)
		snprintf(why, sizeof why, "the loader's replay leaves 0x%llx bytes free and tail 0x%llx, the checker's 0x%llx and 0x%llx",
			(unsigned long long)(l->free ? fsetbytes(l->free) : 0), (unsigned long long)l->logtail,
			(unsigned long long)(a->free ? fsetbytes(a->free) : 0), (unsigned long long)a->logtail);
	else
		return;
	c = PCTX(a->addr);
	c.n[0] = i;
	c.why = why;
	cknote(ck, PR_ARLOADER, &c);
}

static void
replayarena(Check *ck, uint32_t i)
{
	Arena *ar = &ck->fs->arena[i];
	Replay r;
	LogWalk w = logwalkof(ck->fs, (int)i, LWGOON, logitem, &r);
	LogEnd end;
	size_t j;

	memset(&r, 0, sizeof r);
	r.ck = ck;
	r.arena = i;
	r.lo = ar->addr + 2 * B;
	r.hi = r.lo + ar->size;
	if (walklog(ck->fs, (int)i, &w, &end) < 0) {
		gefs_seterr(ck->e, ck->fs->err.code, "check: %s", ck->fs->err.msg);	/* out of memory */
		memset(&ck->fs->err, 0, sizeof ck->fs->err);
	}
	r.torn = end.torn;
	adoptarena(ck, i, &r, &end);
	if (end.chainend && ck->fs->sb.qgen > 0)
		note(ck, PR_LGNOBARRIER, ar->addr, i, ck->fs->sb.qgen, 0);
	for (j = 0; j < r.nlogs; j++)
		if (!(ckmap(ck, r.logs[j] / B) & MALLOC))
			note(ck, PR_LGFREED, r.logs[j], i, 0, 0);
	free(r.logs);
	/* entries of an interrupted commit replayed: the header is the
	 * committed state's, the difference their allocations */
	if (ar->used != ar->hdr.used && !r.newer && !r.torn)
		note(ck, PR_ARUSED, ar->addr, i, ar->hdr.used, ar->used);
	cmploader(ck, i);
}

static void
checklogs(Check *ck)
{
	uint32_t i;

	for (i = 0; i < ck->fs->sb.narena && !ckcancelled(ck); i++) {
		ckprogress(ck, i, ck->fs->sb.narena);
		if (ck->fs->arena[i].size != GEFS_NONE)
			replayarena(ck, i);
	}
	arenaslibfree(ck->fs);	/* compared: its free sets are not needed */
}

/* ---- pass 6: reachability ---- */

static void
leakrun(Check *ck, uint64_t first, uint64_t n)
{
	char rs[RANGESTRSZ];
	Pctx c = PCTX(first * B);

	c.s[0] = rangestr(rs, first * B, n * B);
	c.x[0] = n;
	c.s[1] = n == 1 ? "" : "s";
	cknote(ck, PR_RFLEAK, &c);
}

static void
checkreach(Check *ck)
{
	uint64_t b, n, k = 0, run = 0, first = 0;
	uint8_t m;

	/* run by run of blocks in the same state (bmap.c) */
	for (b = 0; b < ck->nblk; b += n) {
		if (k++ % 4096 == 0)
			ckprogress(ck, b, ck->nblk);
		m = ckmaprun(ck, b, ck->nblk, &n);
		if ((m & MALLOC) && (m & MAREA))
			ck->st->nalloc += n;
		if ((m & KMASK) != KNONE || (m & MDLIST))
			ck->st->nref += n;
		if ((m & MAREA) && (m & MALLOC) && (m & KMASK) == KNONE && !(m & MDLIST) && !(m & MTAIL)) {
			ck->st->nleak += n;
			if (run == 0)
				first = b;
			run += n;
			continue;
		}
		if (run > 0)
			leakrun(ck, first, run);
		run = 0;
	}
	if (run > 0)
		leakrun(ck, first, run);
	if (ck->anygen && ck->maxgen >= ck->fs->sb.nextgen)
		note(ck, PR_GNNEXTGEN, ck->sbaddr[ck->fs->sbcopy], 0, ck->fs->sb.nextgen, ck->maxgen);
}

/* ---- pass 7: repairs ---- */

/* A planned single-block repair whose target turned out to be something
 * else is not written: its finding counts as left, and RP0002 says why. */
static bool
unsafefix(Check *ck, const Fix *f)
{
	Pctx c = PCTX(f->dst);

	if (ckfixsafe(ck, f, &c.s[1]))
		return false;
	ck->st->nfixed--;
	if (problemof(f->pr)->sev == GEFS_SEVERR)
		ck->st->nerrleft++;
	c.s[0] = problemof(f->pr)->code;
	ckproblem(ck, PR_RPUNSAFE, &c);
	return true;
}

/* The write stage of a single-block repair: the commit protocol's order
 * (FORMAT.md §15.2) — log blocks, arena headers, superblock 0,
 * superblock 1, footers — so that a crash between stages leaves what a
 * crashed commit would. */
static int
fixstage(Check *ck, const Fix *f)
{
	int ai;

	switch (GEFS_PRREPAIR(problemof(f->pr)->flags)) {
	case GEFS_RKSB:
		return f->dst == ck->sbaddr[0] ? STAGE_SB0 : STAGE_SB1;
	case GEFS_RKLOGBLK:
		return STAGE_LOG;
	default:
		ai = arenaof(ck->fs, f->dst);
		return ai >= 0 && f->dst == ck->fs->arena[ai].addr ? STAGE_HDR : STAGE_FOOTER;
	}
}

/* Queue fix f in the cache, dirty in its stage. */
static int
queuefix(Check *ck, const Fix *f)
{
	Blk *b;

	b = cacheget(ck->fs->cache, f->dst, CACHE_NOREAD, ck->e);
	if (b == NULL)
		return gefs_wraperr(ck->e, "repair of block 0x%llx", (unsigned long long)f->dst);
	memcpy(b->buf, f->buf, B);
	b->flags = 0;		/* whatever was known of the old contents */
	cachedirty(ck->fs->cache, b, fixstage(ck, f));
	cacheput(ck->fs->cache, b);
	return 0;
}

/* A cancelled check writes nothing: the planned repairs become findings
 * left. */
static void
unplan(Check *ck)
{
	size_t i;

	for (i = 0; i < ck->nfix; i++) {
		ck->st->nfixed--;
		ck->st->nfixsev[problemof(ck->fix[i].pr)->sev]--;
		if (problemof(ck->fix[i].pr)->sev == GEFS_SEVERR)
			ck->st->nerrleft++;
	}
}

/* The single-block repairs go through the cache's write stages like
 * every other write, each stage synced before the next. */
static int
applyfixes(Check *ck)
{
	size_t i;

	if (ck->nfix == 0)
		return 0;
	if (ck->st->cancelled) {
		unplan(ck);
		return 0;
	}
	ckprogress(ck, 0, ck->nfix);
	if (devrdonly(ck->fs->dev))
		return gefs_seterr(ck->e, EROFS, "cannot write repairs: %s is open read-only", ck->path);
	for (i = 0; i < ck->nfix; i++)
		if (!unsafefix(ck, &ck->fix[i]) && queuefix(ck, &ck->fix[i]) < 0)
			return -1;
	if (cacheflush(ck->fs->cache, ck->e) < 0)
		return gefs_wraperr(ck->e, "writing repairs");
	ckprogress(ck, ck->nfix, ck->nfix);
	return 0;
}

/* Forget the single-block repairs (already counted as made). */
static void
dropfixes(Check *ck)
{
	size_t i;

	for (i = 0; i < ck->nfix; i++)
		free(ck->fix[i].buf);
	free(ck->fix);
	ck->fix = NULL;
	ck->nfix = 0;
}

/* ---- driver ---- */

void
gefs_defcheckopts(GefsCheckOpts *o)
{
	memset(o, 0, sizeof *o);
	o->mode = GEFS_CKNONE;
	o->sbcopy = -1;
}

int
gefs_checkstatus(const GefsCheckStats *st)
{
	int rc = 0;

	if (st->nfixed > 0)
		rc |= 1;
	if (st->nerrleft > 0)
		rc |= 4;
	if (st->cancelled)
		rc |= 32;
	return rc;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run pass p unless stopped; record its time and peak RSS. */
static void
runpass(Check *ck, int p, void (*fn)(Check *))
{
	struct rusage ru;
	double t0;

	if (ckcancelled(ck))
		return;
	ck->pass = p;
	t0 = now();
	ckprogress(ck, 0, 1);
	fn(ck);
	ckflushmore(ck);
	ckprogress(ck, 1, 1);
	ck->st->passtime[p] = now() - t0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ck->st->passrss[p] = ru.ru_maxrss;
}

static void
passsuper(Check *ck)
{
	int rc;

	if (ckshort(ck))
		return;
	rc = sbfind(ck);	/* both copies lost: rebuild one (sbfind.c) */
	if (rc == 0)
		rc = choosesb(ck);
	if (rc != 0) {
		ck->stop = true;
		if (rc < 0)
			ck->st->fatal = true;
		return;
	}
	checksbfields(ck);
	if (checktable(ck) < 0 || checkarenas(ck) < 0)
		ck->stop = true;
}

/* The cache of a check that writes nothing (-n), when the caller names
 * none: the walk reads each node once and the namespace scan soon after,
 * and an evicted node read again from the page cache costs less than
 * faulting in a 64 MiB budget (4 GiB in 16 Ki files: 7200 -> 3000 page
 * faults, 26 -> 9.5 MiB RSS, 5% more instructions).  A repair keeps the
 * default: its commit needs room for dirty blocks. */
enum { CKROCACHE = 4 << 20 };

static int
setup(Check *ck, const char *path)
{
	GefsOpts o;
	Gefs *fs;
	uint64_t size;

	gefs_defopts(&o);
	o.ignhash = true;	/* the checker reports hashes itself */
	o.tolerant = true;	/* the loader's view, compared in the log pass */
	o.sbcopy = ck->o.sbcopy;
	o.cachesz = ck->o.cachesz != 0 ? ck->o.cachesz : ck->o.mode == GEFS_CKNONE ? CKROCACHE : 0;
	/* repairs need the image open for writing from the start: the
	 * exclusive lock is then held across check and repair */
	fs = ck->fs = fsalloc(path, &o, ck->o.mode == GEFS_CKNONE ? DEV_RDONLY : 0, ck->e);
	if (fs == NULL)
		return -1;
	/* what the library loads (kept aside: the passes build their own) */
	if (loadfs(fs) < 0)
		memset(&fs->err, 0, sizeof fs->err);
	fs->lib = fs->arena;
	fs->nlib = fs->arena != NULL ? fs->sb.narena : 0;
	fs->arena = NULL;
	size = cksize(ck, devsize(fs->dev) - devsize(fs->dev) % B);
	if (size < 4 * B)
		return gefs_seterr(ck->e, EINVAL, "%s: %llu bytes is too small for a file system", path,
			(unsigned long long)devsize(fs->dev));
	ck->nblk = size / B;
	ck->st->nblocks = ck->nblk;
	ck->sbaddr[0] = 0;
	ck->sbaddr[1] = sb1of(size);
	ck->map = bmnew(ck->nblk);
	ck->cur = bmnew(ck->nblk);
	ck->sbblk[0] = malloc(B);
	ck->sbblk[1] = malloc(B);
	ck->buf = malloc(B);
	if (ck->map == NULL || ck->cur == NULL || ck->sbblk[0] == NULL || ck->sbblk[1] == NULL || ck->buf == NULL)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory for the block map of %llu blocks",
			(unsigned long long)ck->nblk);
	if (bmput(ck->map, 0, KSB) < 0 || bmput(ck->map, ck->nblk - 1, KSB) < 0)
		return gefs_seterr(ck->e, ENOMEM, "check: out of memory for the block map");
	return 0;
}

static void
teardown(Check *ck)
{
	size_t i;

	fsfree(ck->fs);
	for (i = 0; i < ck->nfix; i++)
		free(ck->fix[i].buf);
	free(ck->fix);
	for (i = 0; i < ck->nsnap; i++)
		free(ck->snap[i].name);
	free(ck->snap);
	for (i = 0; i < ck->nlabel; i++)
		free(ck->label[i].name);
	free(ck->label);
	free(ck->dl);
	free(ck->logbad);
	free(ck->ids);
	ckrelease(ck, false);
	ckconffree(ck);
	bmfree(ck->map);
	bmfree(ck->cur);
	free(ck->sbblk[0]);
	free(ck->sbblk[1]);
	free(ck->buf);
}

/* A checker over path: options, statistics, the handle (setup). */
static int
ckinit(Check *ck, const char *path, const GefsCheckOpts *o, GefsCheckStats *st, GefsErr *e)
{
	e->code = 0;
	memset(ck, 0, sizeof *ck);
	memset(st, 0, sizeof *st);
	ck->o = *o;
	ck->st = st;
	ck->e = e;
	ck->path = path;
	ck->maxshow = o->maxshow ? o->maxshow : GEFS_CKMAXSHOW;
	return setup(ck, path);
}

Gefs *
ckloadfs(const char *path, GefsErr *e)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	Check ck;
	Gefs *fs = NULL;

	gefs_defcheckopts(&o);
	if (ckinit(&ck, path, &o, &st, e) == 0) {
		runpass(&ck, GEFS_CKPSUPER, passsuper);
		runpass(&ck, GEFS_CKPLOG, checklogs);
		if (e->code == 0 && !st.fatal && !ck.stop && ck.fs->arena != NULL) {
			fs = ck.fs;
			ck.fs = NULL;
		} else if (e->code == 0)
			gefs_seterr(e, EBADMSG, "%s: the checker's superblock and log passes stopped", path);
	}
	teardown(&ck);
	return fs;
}

/* A metadata image of gefs-image (GEFS_XFMETA in the extension record
 * that readers take, §22.2 rule 2) holds no data blocks: checked as with
 * -E nodata.  After the superblock pass, before the trees are walked. */
static void
metaimage(Check *ck)
{
	GefsXrec x;
	int i;

	for (i = 0; i < 2 && !ck->st->fatal; i++) {
		if (gefs_unpacksbxrec(&x, ck->sbblk[i], NULL) < 0)
			continue;
		if (x.flags & GEFS_XFMETA)
			ck->o.nodata = ck->st->metaimage = true;
		return;
	}
}

int
gefs_check(const char *path, const GefsCheckOpts *o, GefsCheckStats *st, GefsErr *e)
{
	Check ck;
	GefsErr le;
	int rc = -1;

	if (e == NULL)
		e = &le;
	if (ckinit(&ck, path, o, st, e) < 0)
		goto out;
	runpass(&ck, GEFS_CKPSUPER, passsuper);
	metaimage(&ck);
	runpass(&ck, GEFS_CKPLOG, checklogs);
	runpass(&ck, GEFS_CKPSNAP, checksnaptree);
	runpass(&ck, GEFS_CKPTREE, checktrees);
	runpass(&ck, GEFS_CKPDLIST, checkfree);
	runpass(&ck, GEFS_CKPREACH, checkreach);
	if (e->code != 0)
		goto out;	/* out of memory while planning a repair */
	{
		struct rusage ru;
		double t0 = now();

		ck.pass = GEFS_CKPFIX;
		if (ckcommit(&ck) < 0)
			goto out;
		if (ck.committed)
			dropfixes(&ck);	/* the commit rewrote both copies of everything */
		if (applyfixes(&ck) < 0 || ckconffix(&ck) < 0)
			goto out;
		ckflushmore(&ck);
		st->passtime[GEFS_CKPFIX] = now() - t0;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			st->passrss[GEFS_CKPFIX] = ru.ru_maxrss;
	}
	rc = 0;
out:
	teardown(&ck);
	return rc;
}
