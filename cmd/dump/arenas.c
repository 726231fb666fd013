/* SPDX-License-Identifier: MIT */
/*
 * arenas — the arenas, log and free commands: arena headers (§5.1),
 * allocation logs decoded entry by entry (§6), and the free ranges that
 * replaying them gives (§6.4).
 */
#include <stdlib.h>
#include <string.h>
#include "dump.h"

static const char *logops[] = {
	"LogNop", "LogAlloc1", "LogFree1", "LogSync", "LogAlloc", "LogFree",
};

/* The arena argument of log and free: all (-1) or one index. */
static int
arenaarg(int argc, char **argv, const char *cmd)
{
	if (argc > 2)
		usagefail("%s: expected at most one ARENA", cmd);
	if (argc == 2)
		return (int)(parseuint(argv[1], "arena number") > 100000 ? 100000
			: parseuint(argv[1], "arena number"));
	return -1;
}

/* Check the arena index against the image: 1 when it does not exist. */
static bool
arenaok(Dump *d, int a)
{
	if (a >= gefs_narena(d->fs)) {
		fail(d, "no arena %d (the image has %u)", a, gefs_narena(d->fs));
		return false;
	}
	return true;
}

int
cmdarenas(Dump *d, int argc, char **argv)
{
	GefsArenaInfo ai;
	Table *tab;
	char s[4][32], a[3][24];
	uint64_t tsize, tused;
	int i, n;

	(void)argv;
	if (argc != 1)
		usagefail("arenas: no arguments expected");
	dumpopen(d);
	dumpbegin(d);
	n = gefs_narena(d->fs);
	tab = NULL;
	if (d->json)
		jsonarr(&d->j, "arenas");
	else {
		tab = tabnew("rlrrrrllllr");
		tabcell(tab, "arena"); tabcell(tab, "addr"); tabcell(tab, "size");
		tabcell(tab, "used"); tabcell(tab, "free"); tabcell(tab, "used%%");
		tabcell(tab, "copy"); tabcell(tab, "end"); tabcell(tab, "log head");
		tabcell(tab, "log tail"); tabcell(tab, "log blocks");
	}
	tsize = tused = 0;
	for (i = 0; i < n; i++) {
		if (gefs_arenainfo(d->fs, i, &ai) < 0) {
			fsfail(d, "arena %d", i);
			continue;
		}
		tsize += ai.size;
		tused += ai.used;
		if (d->json) {
			jsonobj(&d->j, NULL);
			jsonu64(&d->j, "index", (uint64_t)i);
			jsonhex(&d->j, "addr", ai.addr);
			jsonu64(&d->j, "size", ai.size);
			jsonu64(&d->j, "used", ai.used);
			jsonu64(&d->j, "free", ai.size - ai.used);
			jsonu64(&d->j, "header_used", ai.hdr.used);
			jsonstr(&d->j, "copy", ai.hdrcopy ? "footer" : "header");
			jsonhex(&d->j, "end", ai.addr + 2 * GEFS_BLKSZ + ai.size);
			jsonhex(&d->j, "log_head", ai.loghead);
			jsonhash(&d->j, "log_head_hash", ai.hdr.loghdhash);
			jsonhex(&d->j, "log_tail", ai.logtail);
			jsonu64(&d->j, "log_tail_size", ai.tailsz);
			jsonu64(&d->j, "log_blocks", ai.nlog);
			jsonend(&d->j);
			continue;
		}
		tabcell(tab, "%d", i);
		tabcell(tab, "0x%llx", (unsigned long long)ai.addr);
		tabcell(tab, "%s", fmtsize(s[0], sizeof s[0], ai.size, d->raw));
		tabcell(tab, "%s", fmtsize(s[1], sizeof s[1], ai.used, d->raw));
		tabcell(tab, "%s", fmtsize(s[2], sizeof s[2], ai.size - ai.used, d->raw));
		tabcell(tab, "%.1f", ai.size ? 100.0 * (double)ai.used / (double)ai.size : 0.0);
		tabcell(tab, "%s", ai.hdrcopy ? "footer" : "header");
		tabcell(tab, "0x%llx", (unsigned long long)(ai.addr + 2 * GEFS_BLKSZ + ai.size));
		tabcell(tab, "%s", fmtnone(a[0], sizeof a[0], ai.loghead));
		tabcell(tab, "%s+%u", fmtnone(a[1], sizeof a[1], ai.logtail), ai.tailsz);
		tabcell(tab, "%llu", (unsigned long long)ai.nlog);
	}
	if (d->json) {
		jsonend(&d->j);
		jsonobj(&d->j, "total");
		jsonu64(&d->j, "size", tsize);
		jsonu64(&d->j, "used", tused);
		jsonu64(&d->j, "free", tsize - tused);
		jsonend(&d->j);
	} else {
		tabcell(tab, "all");
		tabcell(tab, "%s", "");
		tabcell(tab, "%s", fmtsize(s[0], sizeof s[0], tsize, d->raw));
		tabcell(tab, "%s", fmtsize(s[1], sizeof s[1], tused, d->raw));
		tabcell(tab, "%s", fmtsize(s[2], sizeof s[2], tsize - tused, d->raw));
		tabcell(tab, "%.1f", tsize ? 100.0 * (double)tused / (double)tsize : 0.0);
		tabendrow(tab);
		tabprint(tab, stdout, "");
		tabfree(tab);
	}
	return dumpend(d);
}

/* ------------------------------------------------------------------ */
/* log                                                                */
/* ------------------------------------------------------------------ */

/* Print the entries of one log block.  *stop is set when a barrier with
 * generation >= qgen ends replay in this block (§6.4); entries after it
 * are marked ignored.  -1 on an undecodable entry (reported). */
int
showlog(Dump *d, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h, uint64_t qgen, bool *stop)
{
	GefsLogEnt le;
	GefsErr e;
	const uint8_t *body, *end;
	char sz[32], rg[72];
	size_t off;
	int w;

	body = blk + GEFS_LOGHDSZ;
	end = body + h->logsz;
	if (d->json)
		jsonarr(&d->j, "entries");
	for (off = 0; body + off < end; off += (size_t)w) {
		memset(&e, 0, sizeof e);
		w = gefs_unpacklogent(&le, body + off, end, addr, off, &e);
		if (w < 0) {
			fail(d, "%s", e.msg);
			if (d->json)
				jsonend(&d->j);
			return -1;
		}
		if (d->json) {
			jsonobj(&d->j, NULL);
			jsonu64(&d->j, "off", off);
			jsonstr(&d->j, "op", logops[le.op]);
			if (le.op == GEFS_LOGSYNC)
				jsonu64(&d->j, "qgen", le.qgen);
			else {
				jsonhex(&d->j, "addr", le.addr);
				jsonu64(&d->j, "len", le.len);
			}
			jsonbool(&d->j, "ignored", *stop);
			jsonend(&d->j);
		} else if (le.op == GEFS_LOGSYNC)
			printf("    %5zu  %-9s  qgen %llu%s%s\n", off, logops[le.op],
				(unsigned long long)le.qgen,
				!*stop && le.qgen >= qgen ? "  (barrier: replay stops here)" : "",
				*stop ? "  ignored" : "");
		else
			printf("    %5zu  %-9s  %s  %s%s\n", off, logops[le.op],
				fmtextent(rg, sizeof rg, le.addr, le.len),
				fmtsize(sz, sizeof sz, le.len, d->raw), *stop ? "  ignored" : "");
		if (le.op == GEFS_LOGSYNC && le.qgen >= qgen)
			*stop = true;
	}
	if (d->json)
		jsonend(&d->j);
	return 0;
}

/* State of a log walk: which JSON levels are open. */
typedef struct Logw {
	Dump	*d;
	bool	inblock;
} Logw;

static void
logentry(Dump *d, const GefsLogItem *it)
{
	char sz[32], rg[72];
	const char *note;

	note = it->kind == GEFS_LOGSTOP ? "barrier: replay stops here"
		: it->kind == GEFS_LOGIGNORED ? "ignored" : NULL;
	if (d->json) {
		jsonobj(&d->j, NULL);
		jsonu64(&d->j, "off", it->off);
		if (it->kind == GEFS_LOGBAD) {
			jsonstr(&d->j, "op", "undecodable");
			jsonbool(&d->j, "ignored", 1);
			jsonend(&d->j);
			return;
		}
		jsonstr(&d->j, "op", logops[it->ent.op % 6]);
		if (it->ent.op == GEFS_LOGSYNC)
			jsonu64(&d->j, "qgen", it->ent.qgen);
		else {
			jsonhex(&d->j, "addr", it->ent.addr);
			jsonu64(&d->j, "len", it->ent.len);
		}
		jsonbool(&d->j, "barrier", it->kind == GEFS_LOGSTOP);
		jsonbool(&d->j, "ignored", it->kind == GEFS_LOGIGNORED);
		jsonend(&d->j);
		return;
	}
	if (it->kind == GEFS_LOGBAD)
		printf("    %5zu  undecodable entry (after the barrier: ignored)\n", it->off);
	else if (it->ent.op == GEFS_LOGSYNC)
		printf("    %5zu  %-9s  qgen %llu%s%s\n", it->off, logops[it->ent.op],
			(unsigned long long)it->ent.qgen, note ? "  " : "", note ? note : "");
	else if (it->ent.op == GEFS_LOGALLOC1 || it->ent.op == GEFS_LOGFREE1)
		printf("    %5zu  %-9s  0x%llx%s%s\n", it->off, logops[it->ent.op],
			(unsigned long long)it->ent.addr, note ? "  " : "", note ? note : "");
	else
		printf("    %5zu  %-9s  %s  %s%s%s\n", it->off,
			logops[it->ent.op % 6], fmtextent(rg, sizeof rg, it->ent.addr, it->ent.len),
			fmtsize(sz, sizeof sz, it->ent.len, d->raw),
			note ? "  " : "", note ? note : "");
}

static int
logitem(void *arg, const GefsLogItem *it)
{
	Logw *w;
	Dump *d;
	char c[24];

	w = arg;
	d = w->d;
	if (it->kind != GEFS_LOGBLOCK) {
		logentry(d, it);
		return 0;
	}
	if (!it->hashok)
		fail(d, "log block 0x%llx: body hash does not match logh 0x%016llx",
			(unsigned long long)it->blk, (unsigned long long)it->hdr.logh);
	if (d->json) {
		if (w->inblock) {
			jsonend(&d->j);
			jsonend(&d->j);
		}
		w->inblock = true;
		jsonobj(&d->j, NULL);
		jsonhex(&d->j, "addr", it->blk);
		jsonu64(&d->j, "seq", it->seq);
		jsonu64(&d->j, "logsz", it->hdr.logsz);
		jsonhash(&d->j, "logh", it->hdr.logh);
		jsonbool(&d->j, "logh_ok", it->hashok);
		jsonhex(&d->j, "chain", it->hdr.chain.addr);
		jsonarr(&d->j, "entries");
		return 0;
	}
	printf("  block 0x%llx  #%llu  logsz %u  logh 0x%016llx %s  chain %s\n",
		(unsigned long long)it->blk, (unsigned long long)it->seq, it->hdr.logsz,
		(unsigned long long)it->hdr.logh, it->hashok ? "ok" : "BAD",
		fmtnone(c, sizeof c, it->hdr.chain.addr));
	return 0;
}

/* The log chain of one arena, as replay walks it (gefs_walklog). */
static void
arenalog(Dump *d, int i)
{
	GefsArenaInfo ai;
	Logw w;

	if (gefs_arenainfo(d->fs, i, &ai) < 0) {
		fsfail(d, "arena %d", i);
		return;
	}
	if (d->json) {
		jsonobj(&d->j, NULL);
		jsonu64(&d->j, "index", (uint64_t)i);
		jsonhex(&d->j, "addr", ai.addr);
		jsonhex(&d->j, "log_head", ai.loghead);
		jsonarr(&d->j, "blocks");
	} else
		printf("%sarena %d (0x%llx): log head 0x%llx, %llu block%s, replay up to qgen %llu\n",
			i ? "\n" : "", i, (unsigned long long)ai.addr,
			(unsigned long long)ai.loghead, (unsigned long long)ai.nlog,
			ai.nlog == 1 ? "" : "s",
			(unsigned long long)gefs_super(d->fs, NULL)->qgen);
	memset(&w, 0, sizeof w);
	w.d = d;
	if (gefs_walklog(d->fs, i, logitem, &w) != 0)
		fsfail(d, "arena %d: log", i);
	if (d->json) {
		if (w.inblock) {
			jsonend(&d->j);
			jsonend(&d->j);
		}
		jsonend(&d->j);
		jsonend(&d->j);
	}
}

int
cmdlog(Dump *d, int argc, char **argv)
{
	int a, i;

	a = arenaarg(argc, argv, "log");
	dumpopen(d);
	dumpbegin(d);
	if (d->json)
		jsonarr(&d->j, "arenas");
	if (a >= 0 && arenaok(d, a))
		arenalog(d, a);
	else
		for (i = 0; a < 0 && i < gefs_narena(d->fs); i++)
			arenalog(d, i);
	if (d->json)
		jsonend(&d->j);
	return dumpend(d);
}

/* ------------------------------------------------------------------ */
/* free                                                               */
/* ------------------------------------------------------------------ */

typedef struct Free {
	Dump		*d;
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
	if (f->d->json) {
		jsonobj(&f->d->j, NULL);
		jsonhex(&f->d->j, "addr", addr);
		jsonhex(&f->d->j, "end", addr + len);
		jsonu64(&f->d->j, "len", len);
		jsonend(&f->d->j);
	} else
		printf("  %s  %s\n", fmtrange(rg, sizeof rg, addr, addr + len),
			fmtsize(s, sizeof s, len, f->d->raw));
	return 0;
}

static void
arenafree(Dump *d, int i, Free *tot)
{
	GefsArenaInfo ai;
	Free f;
	char s[2][32];

	if (gefs_arenainfo(d->fs, i, &ai) < 0) {
		fsfail(d, "arena %d", i);
		return;
	}
	memset(&f, 0, sizeof f);
	f.d = d;
	if (d->json) {
		jsonobj(&d->j, NULL);
		jsonu64(&d->j, "index", (uint64_t)i);
		jsonhex(&d->j, "addr", ai.addr);
		jsonarr(&d->j, "ranges");
	} else
		printf("%sarena %d (0x%llx):\n", i && tot->n + tot->bytes ? "\n" : "", i,
			(unsigned long long)ai.addr);
	if (gefs_walkfree(d->fs, i, eachrange, &f) != 0)
		fsfail(d, "arena %d: free ranges", i);
	if (d->json) {
		jsonend(&d->j);
		jsonu64(&d->j, "nranges", f.n);
		jsonu64(&d->j, "free", f.bytes);
		jsonu64(&d->j, "size", ai.size);
		jsonend(&d->j);
	} else
		printf("  %llu range%s, %s free of %s\n", (unsigned long long)f.n,
			f.n == 1 ? "" : "s", fmtsize(s[0], sizeof s[0], f.bytes, d->raw),
			fmtsize(s[1], sizeof s[1], ai.size, d->raw));
	tot->n += f.n;
	tot->bytes += f.bytes;
}

int
cmdfree(Dump *d, int argc, char **argv)
{
	Free tot;
	char s[32];
	int a, i;

	a = arenaarg(argc, argv, "free");
	dumpopen(d);
	dumpbegin(d);
	memset(&tot, 0, sizeof tot);
	if (d->json)
		jsonarr(&d->j, "arenas");
	if (a >= 0 && arenaok(d, a))
		arenafree(d, a, &tot);
	else
		for (i = 0; a < 0 && i < gefs_narena(d->fs); i++)
			arenafree(d, i, &tot);
	if (d->json) {
		jsonend(&d->j);
		jsonobj(&d->j, "total");
		jsonu64(&d->j, "nranges", tot.n);
		jsonu64(&d->j, "free", tot.bytes);
		jsonend(&d->j);
	} else if (a < 0)
		printf("\ntotal: %llu range%s, %s free\n", (unsigned long long)tot.n,
			tot.n == 1 ? "" : "s", fmtsize(s, sizeof s, tot.bytes, d->raw));
	return dumpend(d);
}
