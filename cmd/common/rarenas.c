/* SPDX-License-Identifier: MIT */
/*
 * rarenas — arenas, logs and free space: arena headers (§5.1),
 * allocation logs decoded entry by entry (§6), and the free ranges that
 * replaying them gives (§6.4).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

static const char *logops[] = {
	"LogNop", "LogAlloc1", "LogFree1", "LogSync", "LogAlloc", "LogFree",
};

/* Check the arena index against the image. */
static bool
arenaok(Render *rd, int a)
{
	if (a >= gefs_narena(rd->fs)) {
		rfail(rd, "no arena %d (the image has %u)", a, gefs_narena(rd->fs));
		return false;
	}
	return true;
}

/* One arena of the arenas command (and the totals: size, used, free,
 * used_pct only). */
typedef struct Arec {
	uint64_t	index, addr, size, used, free, usedpct, end, hdrused;
	uint64_t	loghead, loghash, logtail, tailsz, nlog;
	const char	*copy;
} Arec;

#define A(f)	offsetof(Arec, f), 8
static const Rowspec arecrows[] = {
	{ "index",		Rnum,	A(index), 0 },
	{ "addr",		Rhex,	A(addr), 0 },
	{ "size",		Rbytes,	A(size), 0 },
	{ "used",		Rbytes,	A(used), 0 },
	{ "free",		Rbytes,	A(free), 0 },
	{ "used_pct",		Rtenths, A(usedpct), 0 },
	{ "copy",		Rstr,	offsetof(Arec, copy), 0, 0 },	/* header or footer */
	{ "end",		Rhex,	A(end), 0 },
	{ "header_used",	Rbytes,	A(hdrused), 0 },	/* as stored; used is replayed */
	{ "log_head",		Raddr,	A(loghead), 0 },
	{ "log_head_hash",	Rhashn,	A(loghash), 0 },
	{ "log_tail",		Raddr,	A(logtail), 0 },	/* where replay stopped */
	{ "log_tail_size",	Rnum,	A(tailsz), 0 },
	{ "log_blocks",		Rnum,	A(nlog), 0 },
	{ NULL, 0, 0, 0, 0 },
};
/* The totals over all arenas. */
static const Rowspec atotrows[] = {
	{ "size",		Rbytes,	A(size), 0 },
	{ "used",		Rbytes,	A(used), 0 },
	{ "free",		Rbytes,	A(free), 0 },
	{ "used_pct",		Rtenths, A(usedpct), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef A

uint64_t
pcttenths(uint64_t part, uint64_t whole)
{
	return whole ? (uint64_t)(1000.0 * (double)part / (double)whole + 0.5) : 0;
}

static void
arecof(Arec *r, int i, const GefsArenaInfo *ai)
{
	memset(r, 0, sizeof *r);
	r->index = (uint64_t)i;
	r->addr = ai->addr;
	r->size = ai->size;
	r->used = ai->used;
	r->free = ai->size - ai->used;
	r->usedpct = pcttenths(ai->used, ai->size);
	r->copy = ai->hdrcopy ? "footer" : "header";
	r->end = ai->addr + 2 * GEFS_BLKSZ + ai->size;
	r->hdrused = ai->hdr.used;
	r->loghead = ai->loghead;
	r->loghash = ai->hdr.loghdhash;
	r->logtail = ai->logtail;
	r->tailsz = ai->tailsz;
	r->nlog = ai->nlog;
}

/* The totals: "total" in JSON, a name/value table in text. */
static void
arenatotal(Render *rd, uint64_t tsize, uint64_t tused)
{
	Arec t;
	Table *tab;

	memset(&t, 0, sizeof t);
	t.size = tsize;
	t.used = tused;
	t.free = tsize - tused;
	t.usedpct = pcttenths(tused, tsize);
	if (rd->json) {
		rrecobj(rd, NULL, "total", atotrows, &t);
		return;
	}
	fprintf(rd->f, "\ntotal:\n");
	tab = tabnew("lr");
	rrows(rd, tab, atotrows, &t);
	rtabprint(rd, tab, "  ");
}

int
rarenas(Render *rd)
{
	GefsArenaInfo ai;
	Arec r;
	Table *tab;
	uint64_t tsize, tused;
	int i, n;
	unsigned nerr;

	nerr = rd->nerr;
	n = gefs_narena(rd->fs);
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	tab = rtabnew(rd, arecrows);
	tsize = tused = 0;
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
			rfsfail(rd, "arena %d", i);
			continue;
		}
		tsize += ai.size;
		tused += ai.used;
		arecof(&r, i, &ai);
		rrecobj(rd, tab, NULL, arecrows, &r);
	}
	if (rd->json)
		jsonend(&rd->j);
	rtabprint(rd, tab, "");
	arenatotal(rd, tsize, tused);
	return rd->nerr == nerr ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* log                                                                */
/* ------------------------------------------------------------------ */

/* One log entry (§6.2): addr and len for the extents, qgen for
 * LogSync; barrier marks the one replay stops at (§6.4), ignored the
 * entries after it. */
typedef struct Lrec {
	uint32_t	have;		/* Lext, Lsync */
	uint64_t	off, addr, len, qgen;
	const char	*op;
	bool		barrier, ignored;
} Lrec;
enum { Lext = 1, Lsync = 2 };

#define L(f)	offsetof(Lrec, f)
static const Rowspec lrecrows[] = {
	{ "off",	Rnum,	L(off), 8, 0 },
	{ "op",		Rstr,	L(op), 0, 0 },
	{ "addr",	Rhex,	L(addr), 8, Lext },
	{ "len",	Rbytes,	L(len), 8, Lext },
	{ "qgen",	Rnum,	L(qgen), 8, Lsync },
	{ "barrier",	Rbool,	L(barrier), 1, 0 },
	{ "ignored",	Rbool,	L(ignored), 1, 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef L

#define B(f)	offsetof(Lblk, f)
static const Rowspec lblkrows[] = {
	{ "addr",	Rhex,	B(addr), 8, 0 },
	{ "seq",	Rnum,	B(seq), 8, 0 },
	{ "logsz",	Rnum,	B(logsz), 8, 0 },
	{ "logh",	Rhash,	B(logh), 8, 0 },
	{ "logh_ok",	Rbool,	B(ok), 1, 0 },
	{ "chain",	Raddr,	B(chain), 8, 0 },
	{ NULL, 0, 0, 0, 0 },
};
const Rowspec loghdrrows[] = {
	{ "logsz",	Rnum,	B(logsz), 8, 0 },
	{ "logh",	Rhash,	B(logh), 8, 0 },
	{ "logh_ok",	Rbool,	B(ok), 1, 0 },
	{ "chain",	Raddr,	B(chain), 8, 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef B

/* One arena of the log command. */
typedef struct Larena {
	uint64_t	index, addr, loghead, nlog, qgen;
} Larena;

#define G(f)	offsetof(Larena, f), 8
static const Rowspec larenarows[] = {
	{ "index",	Rnum,	G(index), 0 },
	{ "addr",	Rhex,	G(addr), 0 },
	{ "log_head",	Raddr,	G(loghead), 0 },
	{ "log_blocks",	Rnum,	G(nlog), 0 },
	{ "replay_qgen", Rnum,	G(qgen), 0 },	/* replay stops at a LogSync >= this */
	{ NULL, 0, 0, 0, 0 },
};
#undef G

static void
lrecof(Lrec *r, size_t off, const GefsLogEnt *le)
{
	memset(r, 0, sizeof *r);
	r->off = off;
	r->op = logops[le->op % 6];
	if (le->op == GEFS_LOGSYNC) {
		r->have = Lsync;
		r->qgen = le->qgen;
	} else {
		r->have = Lext;
		r->addr = le->addr;
		r->len = le->len;
	}
}

void
loghdrof(Lblk *b, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h)
{
	memset(b, 0, sizeof *b);
	b->addr = addr;
	b->logsz = h->logsz;
	b->logh = h->logh;
	b->ok = gefs_loghash(blk, h->logsz) == h->logh;
	b->chain = h->chain.addr;
}

/* One showlog walk. */
typedef struct Show {
	Render		*rd;
	Table		*tab;
	uint64_t	qgen;
	bool		*stop;
} Show;

static int
showent(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Show *s = arg;
	Lrec r;

	(void)w;
	lrecof(&r, off, le);
	r.ignored = *s->stop;
	r.barrier = !*s->stop && le->op == GEFS_LOGSYNC && le->qgen >= s->qgen;
	rrecobj(s->rd, s->tab, NULL, lrecrows, &r);
	if (le->op == GEFS_LOGSYNC && le->qgen >= s->qgen)
		*s->stop = true;
	return 0;
}

/* Print the entries of one log block.  *stop is set when a barrier with
 * generation >= qgen ends replay in this block (§6.4); entries after it
 * are marked ignored.  -1 on an undecodable entry (reported). */
int
showlog(Render *rd, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h, uint64_t qgen, bool *stop)
{
	Show s = {rd, NULL, qgen, stop};
	GefsErr e;
	int rc;

	if (rd->json)
		jsonarr(&rd->j, "entries");
	s.tab = rtabnew(rd, lrecrows);
	memset(&e, 0, sizeof e);
	rc = gefs_logbody(blk, h->logsz, 0, addr, showent, &s, NULL, &e);
	if (rc < 0)
		rfail(rd, "%s", e.msg);
	if (rd->json)
		jsonend(&rd->j);
	rtabprint(rd, s.tab, "    ");
	return rc < 0 ? -1 : 0;
}

/* State of a log walk: which JSON levels are open, the entries of the
 * current block (text). */
typedef struct Logw {
	Render	*rd;
	bool	inblock;
	Table	*ents;
} Logw;

static void
logentry(Logw *w, const GefsLogItem *it)
{
	Lrec r;

	if (it->kind == GEFS_LOGBAD) {
		memset(&r, 0, sizeof r);
		r.off = it->off;
		r.op = "undecodable";
	} else
		lrecof(&r, it->off, &it->ent);
	r.barrier = it->kind == GEFS_LOGSTOP;
	r.ignored = it->kind == GEFS_LOGIGNORED || it->kind == GEFS_LOGBAD;
	rrecobj(w->rd, w->ents, NULL, lrecrows, &r);
}

/* Close the block in progress: its JSON levels, or print its entries. */
static void
endblock(Logw *w)
{
	if (!w->inblock)
		return;
	w->inblock = false;
	if (w->rd->json) {
		jsonend(&w->rd->j);
		jsonend(&w->rd->j);
	} else
		rtabprint(w->rd, w->ents, "    ");
	w->ents = NULL;
}

static int
logitem(void *arg, const GefsLogItem *it)
{
	Logw *w;
	Render *rd;
	Lblk b;
	Table *tab;

	w = arg;
	rd = w->rd;
	if (it->kind != GEFS_LOGBLOCK) {
		logentry(w, it);
		return 0;
	}
	if (!it->hashok)
		rfail(rd, "log block 0x%llx: body hash does not match logh 0x%016llx",
			(unsigned long long)it->blk, (unsigned long long)it->hdr.logh);
	endblock(w);
	w->inblock = true;
	memset(&b, 0, sizeof b);
	b.addr = it->blk;
	b.seq = it->seq;
	b.logsz = it->hdr.logsz;
	b.logh = it->hdr.logh;
	b.ok = it->hashok;
	b.chain = it->hdr.chain.addr;
	if (rd->json) {		/* the object stays open for "entries" */
		jsonobj(&rd->j, NULL);
		rrec(rd, NULL, lblkrows, &b);
		jsonarr(&rd->j, "entries");
	} else {
		tab = rtabnew(rd, lblkrows);
		rrec(rd, tab, lblkrows, &b);
		rtabprint(rd, tab, "  ");
	}
	w->ents = rtabnew(rd, lrecrows);
	return 0;
}

/* The log chain of one arena, as replay walks it (gefs_walklog). */
static void
arenalog(Render *rd, int i)
{
	GefsArenaInfo ai;
	Larena la;
	Logw w;
	Table *tab;

	if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
		rfsfail(rd, "arena %d", i);
		return;
	}
	la.index = (uint64_t)i;
	la.addr = ai.addr;
	la.loghead = ai.loghead;
	la.nlog = ai.nlog;
	la.qgen = gefs_super(rd->fs, NULL)->qgen;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		rrec(rd, NULL, larenarows, &la);
		jsonarr(&rd->j, "blocks");
	} else {
		fprintf(rd->f, "%s", i ? "\n" : "");
		tab = rtabnew(rd, larenarows);
		rrec(rd, tab, larenarows, &la);
		rtabprint(rd, tab, "");
	}
	memset(&w, 0, sizeof w);
	w.rd = rd;
	if (gefs_walklog(rd->fs, i, logitem, &w) != 0)
		rfsfail(rd, "arena %d: log", i);
	endblock(&w);
	if (rd->json) {
		jsonend(&rd->j);
		jsonend(&rd->j);
	}
}

int
rlog(Render *rd, int a)
{
	unsigned nerr;
	int i;

	nerr = rd->nerr;
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	if (a >= 0 && arenaok(rd, a))
		arenalog(rd, a);
	else
		for (i = 0; a < 0 && i < gefs_narena(rd->fs); i++)
			arenalog(rd, i);
	if (rd->json)
		jsonend(&rd->j);
	return rd->nerr == nerr ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* free                                                               */
/* ------------------------------------------------------------------ */

/* One free range, and one arena of the free command: its size and the
 * count and bytes of its free ranges (as replay found them). */
typedef struct Frange {
	uint64_t	addr, end, len;
} Frange;
typedef struct Farena {
	uint64_t	index, addr, size, nranges, free;
} Farena;

#define R(f)	offsetof(Frange, f), 8
static const Rowspec frangerows[] = {
	{ "addr",	Rhex,	R(addr), 0 },
	{ "end",	Rhex,	R(end), 0 },
	{ "len",	Rbytes,	R(len), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef R
#define F(f)	offsetof(Farena, f), 8
static const Rowspec farenarows[] = {
	{ "index",	Rnum,	F(index), 0 },
	{ "addr",	Rhex,	F(addr), 0 },
	{ "size",	Rbytes,	F(size), 0 },
	{ "nranges",	Rnum,	F(nranges), 0 },
	{ "free",	Rbytes,	F(free), 0 },
	{ NULL, 0, 0, 0, 0 },
};
static const Rowspec ftotrows[] = {
	{ "nranges",	Rnum,	F(nranges), 0 },
	{ "free",	Rbytes,	F(free), 0 },
	{ NULL, 0, 0, 0, 0 },
};
#undef F

typedef struct Free {
	Render		*rd;
	Table		*tab;
	uint64_t	n, bytes;	/* what the walk listed */
} Free;

static int
eachrange(void *arg, uint64_t addr, uint64_t len)
{
	Free *f;
	Frange r;

	f = arg;
	f->n++;
	f->bytes += len;
	r.addr = addr;
	r.end = addr + len;
	r.len = len;
	rrecobj(f->rd, f->tab, NULL, frangerows, &r);
	return 0;
}

static void
arenafree(Render *rd, int i, Farena *tot)
{
	GefsArenaInfo ai;
	Farena fa;
	Free f;
	Table *tab;

	if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
		rfsfail(rd, "arena %d", i);
		return;
	}
	fa.index = (uint64_t)i;
	fa.addr = ai.addr;
	fa.size = ai.size;
	fa.nranges = ai.nfree;
	fa.free = ai.freebytes;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		rrec(rd, NULL, farenarows, &fa);
		jsonarr(&rd->j, "ranges");
	} else {
		fprintf(rd->f, "%s", tot->index++ ? "\n" : "");
		tab = rtabnew(rd, farenarows);
		rrec(rd, tab, farenarows, &fa);
		rtabprint(rd, tab, "");
	}
	memset(&f, 0, sizeof f);
	f.rd = rd;
	f.tab = rtabnew(rd, frangerows);
	if (gefs_walkfree(rd->fs, i, eachrange, &f) != 0)
		rfsfail(rd, "arena %d: free ranges", i);
	else if (f.n != fa.nranges || f.bytes != fa.free)	/* the record above would lie */
		rfail(rd, "arena %d: %llu free ranges of %llu bytes listed, replay counted %llu of %llu",
			i, (unsigned long long)f.n, (unsigned long long)f.bytes,
			(unsigned long long)fa.nranges, (unsigned long long)fa.free);
	rtabprint(rd, f.tab, "  ");
	if (rd->json) {
		jsonend(&rd->j);
		jsonend(&rd->j);
	}
	tot->nranges += fa.nranges;
	tot->free += fa.free;
}

int
rfreeranges(Render *rd, int a)
{
	Farena tot;
	Table *tab;
	unsigned nerr;
	int i;

	nerr = rd->nerr;
	memset(&tot, 0, sizeof tot);	/* tot.index: arenas shown */
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	if (a >= 0 && arenaok(rd, a))
		arenafree(rd, a, &tot);
	else
		for (i = 0; a < 0 && i < gefs_narena(rd->fs); i++)
			arenafree(rd, i, &tot);
	if (rd->json) {
		jsonend(&rd->j);
		rrecobj(rd, NULL, "total", ftotrows, &tot);
	} else if (a < 0) {
		fprintf(rd->f, "\ntotal:\n");
		tab = tabnew("lr");
		rrows(rd, tab, ftotrows, &tot);
		rtabprint(rd, tab, "  ");
	}
	return rd->nerr == nerr ? 0 : -1;
}
