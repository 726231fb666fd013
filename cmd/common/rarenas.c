/* SPDX-License-Identifier: MIT */
/*
 * rarenas — arenas, logs and free space: arena headers (§5.1),
 * allocation logs decoded entry by entry (§6), and the free ranges that
 * replaying them gives (§6.4).
 */
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

/* One arena of the arenas command: a JSON object or a table row. */
static void
arenarow(Render *rd, Table *tab, int i, const GefsArenaInfo *ai)
{
	char s[3][32], a[2][24];

	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonu64(&rd->j, "index", (uint64_t)i);
		jsonhex(&rd->j, "addr", ai->addr);
		jsonu64(&rd->j, "size", ai->size);
		jsonu64(&rd->j, "used", ai->used);
		jsonu64(&rd->j, "free", ai->size - ai->used);
		jsonu64(&rd->j, "header_used", ai->hdr.used);
		jsonstr(&rd->j, "copy", ai->hdrcopy ? "footer" : "header");
		jsonhex(&rd->j, "end", ai->addr + 2 * GEFS_BLKSZ + ai->size);
		jsonhex(&rd->j, "log_head", ai->loghead);
		jsonhash(&rd->j, "log_head_hash", ai->hdr.loghdhash);
		jsonhex(&rd->j, "log_tail", ai->logtail);
		jsonu64(&rd->j, "log_tail_size", ai->tailsz);
		jsonu64(&rd->j, "log_blocks", ai->nlog);
		jsonend(&rd->j);
		return;
	}
	tabcell(tab, "%d", i);
	tabcell(tab, "0x%llx", (unsigned long long)ai->addr);
	tabcell(tab, "%s", fmtsize(s[0], sizeof s[0], ai->size, rd->raw));
	tabcell(tab, "%s", fmtsize(s[1], sizeof s[1], ai->used, rd->raw));
	tabcell(tab, "%s", fmtsize(s[2], sizeof s[2], ai->size - ai->used, rd->raw));
	tabcell(tab, "%.1f", ai->size ? 100.0 * (double)ai->used / (double)ai->size : 0.0);
	tabcell(tab, "%s", ai->hdrcopy ? "footer" : "header");
	tabcell(tab, "0x%llx", (unsigned long long)(ai->addr + 2 * GEFS_BLKSZ + ai->size));
	tabcell(tab, "%s", fmtnone(a[0], sizeof a[0], ai->loghead));
	tabcell(tab, "%s+%u", fmtnone(a[1], sizeof a[1], ai->logtail), ai->tailsz);
	tabcell(tab, "%llu", (unsigned long long)ai->nlog);
}

/* The totals of the arenas command, and the end of its output. */
static void
arenatotal(Render *rd, Table *tab, uint64_t tsize, uint64_t tused)
{
	char s[3][32];

	if (rd->json) {
		jsonend(&rd->j);
		jsonobj(&rd->j, "total");
		jsonu64(&rd->j, "size", tsize);
		jsonu64(&rd->j, "used", tused);
		jsonu64(&rd->j, "free", tsize - tused);
		jsonend(&rd->j);
		return;
	}
	tabcell(tab, "all");
	tabcell(tab, "%s", "");
	tabcell(tab, "%s", fmtsize(s[0], sizeof s[0], tsize, rd->raw));
	tabcell(tab, "%s", fmtsize(s[1], sizeof s[1], tused, rd->raw));
	tabcell(tab, "%s", fmtsize(s[2], sizeof s[2], tsize - tused, rd->raw));
	tabcell(tab, "%.1f", tsize ? 100.0 * (double)tused / (double)tsize : 0.0);
	tabendrow(tab);
	rtabprint(rd, tab, "");
}

int
rarenas(Render *rd)
{
	GefsArenaInfo ai;
	Table *tab;
	uint64_t tsize, tused;
	int i, n;
	unsigned nerr;

	nerr = rd->nerr;
	n = gefs_narena(rd->fs);
	tab = NULL;
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	else {
		tab = tabnew("rlrrrrllllr");
		tabcell(tab, "arena"); tabcell(tab, "addr"); tabcell(tab, "size");
		tabcell(tab, "used"); tabcell(tab, "free"); tabcell(tab, "used%%");
		tabcell(tab, "copy"); tabcell(tab, "end"); tabcell(tab, "log head");
		tabcell(tab, "log tail"); tabcell(tab, "log blocks");
	}
	tsize = tused = 0;
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
			rfsfail(rd, "arena %d", i);
			continue;
		}
		tsize += ai.size;
		tused += ai.used;
		arenarow(rd, tab, i, &ai);
	}
	arenatotal(rd, tab, tsize, tused);
	return rd->nerr == nerr ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* log                                                                */
/* ------------------------------------------------------------------ */

/* One showlog walk. */
typedef struct Show {
	Render		*rd;
	uint64_t	qgen;
	bool		*stop;
} Show;

static int
showent(void *arg, size_t off, const GefsLogEnt *le, int w)
{
	Show *s = arg;
	Render *rd = s->rd;
	char sz[32], rg[72];

	(void)w;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonu64(&rd->j, "off", off);
		jsonstr(&rd->j, "op", logops[le->op]);
		if (le->op == GEFS_LOGSYNC)
			jsonu64(&rd->j, "qgen", le->qgen);
		else {
			jsonhex(&rd->j, "addr", le->addr);
			jsonu64(&rd->j, "len", le->len);
		}
		jsonbool(&rd->j, "ignored", *s->stop);
		jsonend(&rd->j);
	} else if (le->op == GEFS_LOGSYNC)
		fprintf(rd->f, "    %5zu  %-9s  qgen %llu%s%s\n", off, logops[le->op],
			(unsigned long long)le->qgen,
			!*s->stop && le->qgen >= s->qgen ? "  (barrier: replay stops here)" : "",
			*s->stop ? "  ignored" : "");
	else
		fprintf(rd->f, "    %5zu  %-9s  %s  %s%s\n", off, logops[le->op],
			fmtextent(rg, sizeof rg, le->addr, le->len),
			fmtsize(sz, sizeof sz, le->len, rd->raw), *s->stop ? "  ignored" : "");
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
	Show s = {rd, qgen, stop};
	GefsErr e;
	int rc;

	if (rd->json)
		jsonarr(&rd->j, "entries");
	memset(&e, 0, sizeof e);
	rc = gefs_logbody(blk, h->logsz, 0, addr, showent, &s, NULL, &e);
	if (rc < 0)
		rfail(rd, "%s", e.msg);
	if (rd->json)
		jsonend(&rd->j);
	return rc < 0 ? -1 : 0;
}

/* State of a log walk: which JSON levels are open. */
typedef struct Logw {
	Render	*rd;
	bool	inblock;
} Logw;

static void
logentry(Render *rd, const GefsLogItem *it)
{
	char sz[32], rg[72];
	const char *note;

	note = it->kind == GEFS_LOGSTOP ? "barrier: replay stops here"
		: it->kind == GEFS_LOGIGNORED ? "ignored" : NULL;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonu64(&rd->j, "off", it->off);
		if (it->kind == GEFS_LOGBAD) {
			jsonstr(&rd->j, "op", "undecodable");
			jsonbool(&rd->j, "ignored", 1);
			jsonend(&rd->j);
			return;
		}
		jsonstr(&rd->j, "op", logops[it->ent.op % 6]);
		if (it->ent.op == GEFS_LOGSYNC)
			jsonu64(&rd->j, "qgen", it->ent.qgen);
		else {
			jsonhex(&rd->j, "addr", it->ent.addr);
			jsonu64(&rd->j, "len", it->ent.len);
		}
		jsonbool(&rd->j, "barrier", it->kind == GEFS_LOGSTOP);
		jsonbool(&rd->j, "ignored", it->kind == GEFS_LOGIGNORED);
		jsonend(&rd->j);
		return;
	}
	if (it->kind == GEFS_LOGBAD)
		fprintf(rd->f, "    %5zu  undecodable entry (after the barrier: ignored)\n", it->off);
	else if (it->ent.op == GEFS_LOGSYNC)
		fprintf(rd->f, "    %5zu  %-9s  qgen %llu%s%s\n", it->off, logops[it->ent.op],
			(unsigned long long)it->ent.qgen, note ? "  " : "", note ? note : "");
	else if (it->ent.op == GEFS_LOGALLOC1 || it->ent.op == GEFS_LOGFREE1)
		fprintf(rd->f, "    %5zu  %-9s  0x%llx%s%s\n", it->off, logops[it->ent.op],
			(unsigned long long)it->ent.addr, note ? "  " : "", note ? note : "");
	else
		fprintf(rd->f, "    %5zu  %-9s  %s  %s%s%s\n", it->off,
			logops[it->ent.op % 6], fmtextent(rg, sizeof rg, it->ent.addr, it->ent.len),
			fmtsize(sz, sizeof sz, it->ent.len, rd->raw),
			note ? "  " : "", note ? note : "");
}

static int
logitem(void *arg, const GefsLogItem *it)
{
	Logw *w;
	Render *rd;
	char c[24];

	w = arg;
	rd = w->rd;
	if (it->kind != GEFS_LOGBLOCK) {
		logentry(rd, it);
		return 0;
	}
	if (!it->hashok)
		rfail(rd, "log block 0x%llx: body hash does not match logh 0x%016llx",
			(unsigned long long)it->blk, (unsigned long long)it->hdr.logh);
	if (rd->json) {
		if (w->inblock) {
			jsonend(&rd->j);
			jsonend(&rd->j);
		}
		w->inblock = true;
		jsonobj(&rd->j, NULL);
		jsonhex(&rd->j, "addr", it->blk);
		jsonu64(&rd->j, "seq", it->seq);
		jsonu64(&rd->j, "logsz", it->hdr.logsz);
		jsonhash(&rd->j, "logh", it->hdr.logh);
		jsonbool(&rd->j, "logh_ok", it->hashok);
		jsonhex(&rd->j, "chain", it->hdr.chain.addr);
		jsonarr(&rd->j, "entries");
		return 0;
	}
	fprintf(rd->f, "  block 0x%llx  #%llu  logsz %u  logh 0x%016llx %s  chain %s\n",
		(unsigned long long)it->blk, (unsigned long long)it->seq, it->hdr.logsz,
		(unsigned long long)it->hdr.logh, it->hashok ? "ok" : "BAD",
		fmtnone(c, sizeof c, it->hdr.chain.addr));
	return 0;
}

/* The log chain of one arena, as replay walks it (gefs_walklog). */
static void
arenalog(Render *rd, int i)
{
	GefsArenaInfo ai;
	Logw w;

	if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
		rfsfail(rd, "arena %d", i);
		return;
	}
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonu64(&rd->j, "index", (uint64_t)i);
		jsonhex(&rd->j, "addr", ai.addr);
		jsonhex(&rd->j, "log_head", ai.loghead);
		jsonarr(&rd->j, "blocks");
	} else
		fprintf(rd->f, "%sarena %d (0x%llx): log head 0x%llx, %llu block%s, replay up to qgen %llu\n",
			i ? "\n" : "", i, (unsigned long long)ai.addr,
			(unsigned long long)ai.loghead, (unsigned long long)ai.nlog,
			ai.nlog == 1 ? "" : "s",
			(unsigned long long)gefs_super(rd->fs, NULL)->qgen);
	memset(&w, 0, sizeof w);
	w.rd = rd;
	if (gefs_walklog(rd->fs, i, logitem, &w) != 0)
		rfsfail(rd, "arena %d: log", i);
	if (rd->json) {
		if (w.inblock) {
			jsonend(&rd->j);
			jsonend(&rd->j);
		}
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

typedef struct Free {
	Render		*rd;
	uint64_t	n, bytes;
} Free;

static int
eachrange(void *arg, uint64_t addr, uint64_t len)
{
	Free *f;
	char s[32], rg[48];

	f = arg;
	f->n++;
	f->bytes += len;
	if (f->rd->json) {
		jsonobj(&f->rd->j, NULL);
		jsonhex(&f->rd->j, "addr", addr);
		jsonhex(&f->rd->j, "end", addr + len);
		jsonu64(&f->rd->j, "len", len);
		jsonend(&f->rd->j);
	} else
		fprintf(f->rd->f, "  %s  %s\n", fmtrange(rg, sizeof rg, addr, addr + len),
			fmtsize(s, sizeof s, len, f->rd->raw));
	return 0;
}

static void
arenafree(Render *rd, int i, Free *tot)
{
	GefsArenaInfo ai;
	Free f;
	char s[2][32];

	if (gefs_arenainfo(rd->fs, i, &ai) < 0) {
		rfsfail(rd, "arena %d", i);
		return;
	}
	memset(&f, 0, sizeof f);
	f.rd = rd;
	if (rd->json) {
		jsonobj(&rd->j, NULL);
		jsonu64(&rd->j, "index", (uint64_t)i);
		jsonhex(&rd->j, "addr", ai.addr);
		jsonarr(&rd->j, "ranges");
	} else
		fprintf(rd->f, "%sarena %d (0x%llx):\n", i && tot->n + tot->bytes ? "\n" : "", i,
			(unsigned long long)ai.addr);
	if (gefs_walkfree(rd->fs, i, eachrange, &f) != 0)
		rfsfail(rd, "arena %d: free ranges", i);
	if (rd->json) {
		jsonend(&rd->j);
		jsonu64(&rd->j, "nranges", f.n);
		jsonu64(&rd->j, "free", f.bytes);
		jsonu64(&rd->j, "size", ai.size);
		jsonend(&rd->j);
	} else
		fprintf(rd->f, "  %llu range%s, %s free of %s\n", (unsigned long long)f.n,
			f.n == 1 ? "" : "s", fmtsize(s[0], sizeof s[0], f.bytes, rd->raw),
			fmtsize(s[1], sizeof s[1], ai.size, rd->raw));
	tot->n += f.n;
	tot->bytes += f.bytes;
}

int
rfreeranges(Render *rd, int a)
{
	Free tot;
	char s[32];
	unsigned nerr;
	int i;

	nerr = rd->nerr;
	memset(&tot, 0, sizeof tot);
	if (rd->json)
		jsonarr(&rd->j, "arenas");
	if (a >= 0 && arenaok(rd, a))
		arenafree(rd, a, &tot);
	else
		for (i = 0; a < 0 && i < gefs_narena(rd->fs); i++)
			arenafree(rd, i, &tot);
	if (rd->json) {
		jsonend(&rd->j);
		jsonobj(&rd->j, "total");
		jsonu64(&rd->j, "nranges", tot.n);
		jsonu64(&rd->j, "free", tot.bytes);
		jsonend(&rd->j);
	} else if (a < 0)
		fprintf(rd->f, "\ntotal: %llu range%s, %s free\n", (unsigned long long)tot.n,
			tot.n == 1 ? "" : "s", fmtsize(s, sizeof s, tot.bytes, rd->raw));
	return rd->nerr == nerr ? 0 : -1;
}
