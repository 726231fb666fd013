/* SPDX-License-Identifier: MIT */
/*
 * load — opening a file system (§15.4): superblock choice, arena headers
 * and footers, allocation-log replay, the extension record (§22.2); and
 * the calls that let gefs-dump look at what was loaded.
 *
 * Unlike the reference, this loader verifies the arena headers against the
 * superblock's table and falls back to the footer (§27.4), validates the
 * superblock fields it never reads (§24 #15), and does not refuse to load
 * when the last block is garbage but superblock 0 is valid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { B = GEFS_BLKSZ };

const char *
gefs_errmsg(Gefs *fs)
{
	return fs != NULL ? fs->err.msg : "";
}

int
gefs_errcode(Gefs *fs)
{
	return fs != NULL ? fs->err.code : 0;
}

/* L' - 16384: where superblock 1 lives (0 when the device has < 2 blocks). */
uint64_t
sb1addr(Gefs *fs)
{
	return sb1of(devsize(fs->dev));
}

/* ------------------------------------------------------------------ */
/* Superblocks                                                        */
/* ------------------------------------------------------------------ */

/* The arena table of sb: aligned, after block 0, strictly increasing with
 * room for each header and footer, all before the backup superblock. */
static int
checktable(const GefsSb *sb, uint64_t sb1, char *why, size_t n)
{
	uint64_t a, prev;
	uint32_t i;

	prev = 0;
	for (i = 0; i < sb->narena; i++) {
		a = sb->arenaaddr[i];
		switch (arenaslot(a, prev, i == 0, sb1)) {
		case ARSLOT_ALIGN:
			snprintf(why, n, "arena %u at 0x%llx: %s", i, (unsigned long long)a,
				a % B ? "not block-aligned" : "in block 0");
			return -1;
		case ARSLOT_ORDER:
			snprintf(why, n, "arena %u at 0x%llx: not after arena %u's header and footer at 0x%llx",
				i, (unsigned long long)a, i - 1, (unsigned long long)prev);
			return -1;
		case ARSLOT_PAST:
			snprintf(why, n, "arena %u at 0x%llx: header and footer do not fit before the backup superblock at 0x%llx",
				i, (unsigned long long)a, (unsigned long long)sb1);
			return -1;
		}
		prev = a;
	}
	return 0;
}

/* Judge one superblock copy (the only verdict: the loader and the checker
 * both ask here).  j->verdict: -1 if its prefix does not decode, 0 if it
 * is valid, 1 if not; j->first the first fault in the order of §15.4
 * (magic, decoding, narena, sbhash, then the fields a loader SHOULD
 * check); j->why says what.  Fields are judged even under a bad hash, so
 * that ignhash can tell a hash-only fault. */
int
sbjudge(const uint8_t *blk, uint64_t addr, uint64_t sb1, GefsSb *sb, SbJudge *j)
{
	char fault[300];
	GefsErr e;

	memset(j, 0, sizeof *j);
	fault[0] = 0;
	memset(&e, 0, sizeof e);
	if (gefs_unpacksb(sb, blk, addr, &e) < 0) {
		memset(sb, 0, sizeof *sb);
		snprintf(j->why, sizeof j->why, "%s", e.msg);
		j->first = memcmp(blk, GEFS_MAGIC, 8) != 0 ? SBF_MAGIC : SBF_DECODE;
		j->otherbad = true;
		return j->verdict = -1;
	}
	if (sb->narena == 0)
		snprintf(fault, sizeof fault, "narena is 0");
	else if (sb->blksz != B)
		snprintf(fault, sizeof fault, "blksz %u != 16384", sb->blksz);
	else if (sb->bufspc != GEFS_BUFSPC)
		snprintf(fault, sizeof fault, "bufspc %u != 8187", sb->bufspc);
	else
		checktable(sb, sb1, fault, sizeof fault);
	j->otherbad = fault[0] != 0;
	j->hashbad = sb->narena != 0 && !gefs_sbhashok(blk, sb->narena);
	j->first = sb->narena == 0 ? SBF_DECODE : j->hashbad ? SBF_HASH : j->otherbad ? SBF_FIELD : SBF_NONE;
	if (j->hashbad)
		snprintf(j->why, sizeof j->why, "sbhash 0x%016llx does not match the hashed region (0x%016llx)%s%s",
			(unsigned long long)sb->sbhash,
			(unsigned long long)gefs_bufhash(blk, gefs_sbhashlen(sb->narena)),
			fault[0] ? "; " : "", fault);
	else
		snprintf(j->why, sizeof j->why, "%s", fault);
	return j->verdict = j->hashbad || j->otherbad ? 1 : 0;
}

typedef struct SbCopy {
	Blk		*b;
	uint64_t	addr;
	GefsSb		sb;
	int		verdict;	/* sbjudge; -2: unreadable */
	bool		hashbad;
	bool		otherbad;
	char		why[600];
} SbCopy;

/* Whether a judged copy is usable: valid, or (ignhash) wrong only in its
 * sbhash. */
static bool
usable(const SbCopy *c, bool ignhash)
{
	return c->verdict == 0 || (c->verdict == 1 && ignhash && c->hashbad && !c->otherbad);
}

static void
readcopy(Gefs *fs, SbCopy *c, uint64_t addr)
{
	SbJudge j;

	c->addr = addr;
	c->b = cacheget(fs->cache, addr, CACHE_READ, &fs->err);
	if (c->b == NULL) {
		c->verdict = -2;
		c->hashbad = c->otherbad = false;
		memset(&c->sb, 0, sizeof c->sb);
		snprintf(c->why, sizeof c->why, "cannot be read: %.380s", fs->err.msg);
		return;
	}
	c->verdict = sbjudge(c->b->buf, addr, sb1addr(fs), &c->sb, &j);
	c->hashbad = j.hashbad;
	c->otherbad = j.otherbad;
	snprintf(c->why, sizeof c->why, "%s", j.why);
}

/* Pick the copy to use (§15.4), or fail naming what is wrong with each. */
static int
pickcopy(Gefs *fs, SbCopy *c)
{
	int f, use, pass;

	f = fs->opts.sbcopy;
	if (f == 0 || f == 1) {
		if (!usable(&c[f], fs->opts.ignhash))
			return gefs_seterr(&fs->err, EBADMSG, "superblock %d (block 0x%llx), forced: %s",
				f, (unsigned long long)c[f].addr, c[f].why);
		return f;
	}
	for (pass = 0; pass < 2; pass++)
		for (use = 0; use < 2; use++)
			if (usable(&c[use], pass == 1 && fs->opts.ignhash))
				return use;
	return gefs_seterr(&fs->err, EBADMSG,
		"no valid superblock: copy 0 (block 0x0): %s; copy 1 (block 0x%llx): %s",
		c[0].why, (unsigned long long)c[1].addr, c[1].why);
}

/* Report what is odd about the copies once one is chosen. */
static void
reportsb(Gefs *fs, SbCopy *c, int use)
{
	SbCopy *u, *o;
	size_t n;

	u = &c[use];
	o = &c[!use];
	if (u->verdict != 0)
		fswarn(fs, "superblock %d (block 0x%llx): %s; used anyway (hashes ignored)",
			use, (unsigned long long)u->addr, u->why);
	if (o->verdict != 0)
		fswarn(fs, "superblock %d (block 0x%llx): %s; using superblock %d",
			!use, (unsigned long long)o->addr, o->why, use);
	else {
		n = gefs_sbhashlen(u->sb.narena) + 8;
		if (memcmp(u->b->buf, o->b->buf, n) != 0)
			fswarn(fs, "superblocks 0 and 1 (block 0x%llx) differ in their written prefix; using superblock %d",
				(unsigned long long)c[1].addr, use);
	}
	if (u->sb.flag != 0)
		fswarn(fs, "superblock %d: flag 0x%llx: no flag bits are defined",
			use, (unsigned long long)u->sb.flag);
	if (u->sb.dlhdaddr != GEFS_NONE)
		fswarn(fs, "superblock %d: snapshot-tree deadlist head 0x%llx is not NONE",
			use, (unsigned long long)u->sb.dlhdaddr);
}

/* The extension record: copy 0 if valid, else copy 1 (§22.2 rule 2). */
static void
loadxrec(Gefs *fs, SbCopy *c)
{
	GefsXrec x[2];
	bool ok[2];
	int i;

	for (i = 0; i < 2; i++)
		ok[i] = c[i].b != NULL && gefs_unpacksbxrec(&x[i], c[i].b->buf, NULL) == 0;
	fs->hasxrec = ok[0] || ok[1];
	if (!fs->hasxrec)
		return;
	fs->xrec = ok[0] ? x[0] : x[1];
	if (ok[0] && ok[1]
	&& !gefs_sbxrecsame(c[0].b->buf, c[1].b->buf))
		fswarn(fs, "extension records of superblocks 0 and 1 differ; using superblock 0's");
}

static int
loadsb(Gefs *fs)
{
	SbCopy c[2];
	int use, rc;

	if (sb1addr(fs) == 0)
		return gefs_seterr(&fs->err, EBADMSG, "%s: %llu bytes: too small to hold two superblocks",
			devpath(fs->dev), (unsigned long long)devsize(fs->dev));
	readcopy(fs, &c[0], 0);
	readcopy(fs, &c[1], sb1addr(fs));
	rc = -1;
	use = pickcopy(fs, c);
	if (use >= 0) {
		fs->sb = c[use].sb;
		fs->sbcopy = use;
		reportsb(fs, c, use);
		loadxrec(fs, c);
		rc = 0;
	}
	putblk(fs, c[0].b);
	putblk(fs, c[1].b);
	return rc;
}

const GefsSb *
gefs_super(Gefs *fs, int *copy)
{
	if (copy != NULL)
		*copy = fs->sbcopy;
	return &fs->sb;
}

uint64_t
gefs_devsize(Gefs *fs)
{
	return devsize(fs->dev);
}

int
gefs_readsb(Gefs *fs, int copy, GefsSb *sb, bool *valid, char *why, size_t nwhy)
{
	SbCopy c;

	if (copy != 0 && copy != 1)
		return gefs_seterr(&fs->err, EINVAL, "no superblock copy %d (0 or 1)", copy);
	readcopy(fs, &c, copy == 0 ? 0 : sb1addr(fs));
	putblk(fs, c.b);
	if (c.verdict == -2)
		return -1;
	*sb = c.sb;
	*valid = c.verdict == 0;
	if (why != NULL && nwhy > 0)
		snprintf(why, nwhy, "%s", c.why);
	return c.verdict < 0 ? 1 : 0;
}

const GefsXrec *
gefs_xrec(Gefs *fs)
{
	return fs->hasxrec ? &fs->xrec : NULL;
}

/* ------------------------------------------------------------------ */
/* Arena headers                                                      */
/* ------------------------------------------------------------------ */

static const char *copyname[] = { "header", "footer" };

/* Decide between header (0) and footer (1) given whether each decodes
 * and verifies (§15.4); warns as the choice requires.  -1 if neither
 * decodes. */
static int
pickhdr(Gefs *fs, int i, Arena *a, const bool *dec)
{
	int use;

	if (!dec[0] && !dec[1])
		return -1;
	use = dec[0] ? 0 : 1;
	if (a->tblhash == GEFS_NONE)
		fswarn(fs, "arena %d at 0x%llx: table hash is NONE (as after a grow): %s not verified",
			i, (unsigned long long)a->addr, copyname[use]);
	else if (a->copyok[0] == 1)
		use = 0;
	else if (a->copyok[1] == 1) {
		use = 1;
		fswarn(fs, "arena %d: header 0x%llx %s; using the footer 0x%llx",
			i, (unsigned long long)a->addr,
			dec[0] ? "does not match the superblock's arena hash" : "does not decode",
			(unsigned long long)(a->addr + B));
	} else
		fswarn(fs, "arena %d at 0x%llx: neither header nor footer matches the superblock's arena hash 0x%016llx; using the %s",
			i, (unsigned long long)a->addr, (unsigned long long)a->tblhash, copyname[use]);
	if (!a->agree && use == 0)
		fswarn(fs, "arena %d: footer 0x%llx differs from the header",
			i, (unsigned long long)(a->addr + B));
	return use;
}

/* Read arena i's header and footer, choose one and take its fields. */
static int
loadhdr(Gefs *fs, int i)
{
	GefsArenaHdr h[2];
	GefsErr e[2];
	Arena *a;
	Blk *b[2];
	bool dec[2];
	int c, use;

	a = &fs->arena[i];
	a->addr = fs->sb.arenaaddr[i];
	a->tblhash = fs->sb.arenahash[i];
	for (c = 0; c < 2; c++) {
		memset(&e[c], 0, sizeof e[c]);
		b[c] = cacheget(fs->cache, a->addr + (uint64_t)c * B, CACHE_READ, &e[c]);
		dec[c] = b[c] != NULL && gefs_unpackarena(&h[c], b[c]->buf, a->addr + (uint64_t)c * B, &e[c]) == 0;
		a->copyok[c] = !dec[c] ? -1 : a->tblhash == GEFS_NONE || gefs_blkhash(b[c]->buf) == a->tblhash;
	}
	a->agree = b[0] != NULL && b[1] != NULL && memcmp(b[0]->buf, b[1]->buf, B) == 0;
	putblk(fs, b[0]);
	putblk(fs, b[1]);
	use = pickhdr(fs, i, a, dec);
	if (use < 0)
		return gefs_seterr(&fs->err, EBADMSG, "arena %d: header 0x%llx: %s; footer 0x%llx: %s",
			i, (unsigned long long)a->addr, e[0].msg, (unsigned long long)(a->addr + B), e[1].msg);
	a->hdr = h[use];
	a->hdrcopy = use;
	a->size = h[use].size;
	return 0;
}

/* Arena i's size: whole blocks, ending before the next arena (or the
 * backup superblock). */
static int
checksize(Gefs *fs, int i)
{
	uint64_t lim, a, s;

	a = fs->arena[i].addr;
	s = fs->arena[i].size;
	lim = (uint32_t)i + 1 < fs->sb.narena ? fs->arena[i + 1].addr : sb1addr(fs);
	if (!arenafits(a, s, lim))
		return gefs_seterr(&fs->err, EBADMSG,
			"arena %d: %s 0x%llx: size 0x%llx: %s 0x%llx",
			i, copyname[fs->arena[i].hdrcopy], (unsigned long long)(a + (uint64_t)fs->arena[i].hdrcopy * B),
			(unsigned long long)s, s == 0 || s % B ? "not a positive multiple of 16384; limit" : "the arena would reach past",
			(unsigned long long)lim);
	return 0;
}

/* Step kind of arena i failed (error in fs->err): fatal, unless the
 * handle is tolerant: then the damage is recorded, reported, and the
 * arena left with no free space and no log tail (nothing is allocated
 * from it, nothing appended). */
static int
damaged(Gefs *fs, int i, int kind)
{
	Arena *a = &fs->arena[i];

	if (!fs->opts.tolerant || fs->err.code == ENOMEM || fs->err.code == EIO)
		return -1;
	free(a->damage);
	a->damage = strdup(fs->err.msg);
	a->dmgkind = kind;
	fsetfree(a->free);
	a->free = fsetnew();
	if (a->damage == NULL || a->free == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	a->used = a->size;
	a->logtail = GEFS_NONE;
	a->stopoff = GEFS_NONE;
	fswarn(fs, "%s; arena %d not loaded", a->damage, i);
	memset(&fs->err, 0, sizeof fs->err);
	return 0;
}

static int
loadarenas(Gefs *fs)
{
	int i, n;

	n = (int)fs->sb.narena;
	if (arenasnew(fs, fs->sb.narena) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (loadhdr(fs, i) < 0 && damaged(fs, i, ARDMG_HDR) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (fs->arena[i].damage == NULL && checksize(fs, i) < 0 && damaged(fs, i, ARDMG_SIZE) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (fs->arena[i].damage == NULL && replay(fs, i) < 0 && damaged(fs, i, ARDMG_LOG) < 0)
			return -1;
	return 0;
}

/* The loader: superblock, then arenas. */
int
loadfs(Gefs *fs)
{
	fs->hasxrec = false;
	return loadsb(fs) < 0 || loadarenas(fs) < 0 ? -1 : 0;
}

const char *
gefs_arenadamage(Gefs *fs, int i)
{
	if (i < 0 || fs->arena == NULL || (uint32_t)i >= fs->sb.narena)
		return NULL;
	return fs->arena[i].damage;
}

/* Forget the loaded state and load the committed one again (gefs_abort):
 * superblock choice, arenas, replay.  Nothing is written. */
int
reload(Gefs *fs)
{
	usersfree(fs);
	arenasfree(fs);
	if (fsnewcache(fs) < 0)
		return -1;
	if (loadfs(fs) < 0)
		return gefs_wraperr(&fs->err, "reloading %s", devpath(fs->dev));
	return 0;
}

int
gefs_narena(Gefs *fs)
{
	return (int)fs->sb.narena;
}

int
gefs_arenainfo(Gefs *fs, int i, GefsArenaInfo *ai)
{
	const Arena *a;

	if (i < 0 || fs->arena == NULL || (uint32_t)i >= fs->sb.narena)
		return gefs_seterr(&fs->err, EINVAL, "no arena %d (the file system has %u)", i, fs->sb.narena);
	a = &fs->arena[i];
	memset(ai, 0, sizeof *ai);
	ai->addr = a->addr;
	ai->size = a->size;
	ai->used = a->used;
	ai->tblhash = a->tblhash;
	ai->hdr = a->hdr;
	ai->hdrcopy = a->hdrcopy;
	ai->copyok[0] = a->copyok[0];
	ai->copyok[1] = a->copyok[1];
	ai->agree = a->agree;
	ai->loghead = a->hdr.loghdaddr;
	ai->logtail = a->logtail;
	ai->tailsz = a->tailsz;
	ai->stopoff = a->stopoff;
	ai->nlog = a->nlog;
	ai->nent = a->nent;
	ai->nfree = a->free != NULL ? fsetcount(a->free) : 0;
	ai->freebytes = a->free != NULL ? fsetbytes(a->free) : 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                     */
/* ------------------------------------------------------------------ */

Gefs *
gefs_open(const char *path, const GefsOpts *o, GefsErr *e)
{
	Gefs *fs;

	fs = fsalloc(path, o, o != NULL && o->rdwr ? 0 : DEV_RDONLY, e);
	if (fs == NULL)
		return NULL;
	if (loadfs(fs) < 0) {
		gefs_wraperr(&fs->err, "%s", path);
		goto fail;
	}
	if (fs->opts.rdwr && editopen(fs) < 0)
		goto fail;
	return fs;
fail:
	if (e != NULL)
		*e = fs->err;
	fsfree(fs);
	return NULL;
}

void
gefs_close(Gefs *fs)
{
	fsfree(fs);
}
