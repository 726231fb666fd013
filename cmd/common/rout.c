/* SPDX-License-Identifier: MIT */
/*
 * rout — the output helpers of the renderers: NONE and hash fields, hex
 * dumps, names (escaped, or hidden by --hide-names), aligned tables, the
 * failure record and the JSON document around one command.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rint.h"
#include "json.h"

/* A 64-bit field that may hold NONE. */
const char *
fmtnone(char *buf, size_t n, uint64_t v)
{
	if (v == GEFS_NONE)
		snprintf(buf, n, "NONE");
	else
		snprintf(buf, n, "0x%llx", (unsigned long long)v);
	return buf;
}

/* A hash field: fmthash, or NONE for the sentinel of an unset pointer. */
const char *
fmthashn(char *buf, size_t n, uint64_t h)
{
	if (h == GEFS_NONE)
		snprintf(buf, n, "NONE");
	else
		fmthash(buf, n, h);
	return buf;
}

/* One hex dump line: offset, 16 bytes, ASCII. */
static void
hexline(FILE *f, const uint8_t *p, size_t n, uint64_t off)
{
	size_t i;

	fprintf(f, "%08llx ", (unsigned long long)off);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			fputc(' ', f);
		if (i < n)
			fprintf(f, " %02x", p[i]);
		else
			fputs("   ", f);
	}
	fputs("  |", f);
	for (i = 0; i < n; i++)
		fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
	fputs("|\n", f);
}

/* hexdump -C style; runs of identical lines collapse into "*". */
void
hexdump(FILE *f, const uint8_t *p, size_t n, uint64_t base)
{
	size_t i, l;
	bool star;

	star = false;
	for (i = 0; i < n; i += 16) {
		l = n - i < 16 ? n - i : 16;
		if (i > 0 && l == 16 && memcmp(p + i, p + i - 16, 16) == 0 && i + 16 < n) {
			if (!star)
				fputs("*\n", f);
			star = true;
			continue;
		}
		star = false;
		hexline(f, p + i, l, base + i);
	}
	fprintf(f, "%08llx\n", (unsigned long long)(base + n));
}

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

/* --hide-names: every distinct (kind, name) gets the next number of its
 * kind, in order of first appearance in this Render's output. */
typedef struct Hidden {
	uint8_t		*s;
	size_t		n;
	int		kind;
	char		ph[24];
} Hidden;

struct Hidetab {
	Hidden		*tab;
	size_t		cap, len;
	unsigned	nfile, nlabel;
};

static uint64_t
hkey(const uint8_t *s, size_t n, int kind)
{
	return gefs_metrohash64(s, n, (uint64_t)kind);
}

/* Double the table (made on first use); -1 out of memory. */
static int
hgrow(Hidetab *h)
{
	Hidden *old, *nt;
	size_t ocap, ncap, i, j;

	old = h->tab;
	ocap = h->cap;
	ncap = ocap ? 2 * ocap : 256;
	nt = calloc(ncap, sizeof *nt);
	if (nt == NULL)
		return -1;
	for (i = 0; i < ocap; i++) {
		if (old[i].s == NULL)
			continue;
		j = hkey(old[i].s, old[i].n, old[i].kind) & (ncap - 1);
		while (nt[j].s != NULL)
			j = (j + 1) & (ncap - 1);
		nt[j] = old[i];
	}
	free(old);
	h->tab = nt;
	h->cap = ncap;
	return 0;
}

/* The slot of (kind, s), or a free one; NULL when out of memory. */
static Hidden *
hslot(Render *rd, const uint8_t *s, size_t ns, int kind)
{
	Hidetab *h;
	Hidden *e;
	size_t j;

	if (rd->ht == NULL && (rd->ht = calloc(1, sizeof *rd->ht)) == NULL)
		return NULL;
	h = rd->ht;
	if (2 * (h->len + 1) > h->cap && hgrow(h) < 0)
		return NULL;
	j = hkey(s, ns, kind) & (h->cap - 1);
	for (; h->tab[j].s != NULL; j = (j + 1) & (h->cap - 1)) {
		e = &h->tab[j];
		if (e->kind == kind && e->n == ns && memcmp(e->s, s, ns) == 0)
			return e;
	}
	return &h->tab[j];
}

/* Placeholder of a name (numbered by first appearance), or NULL when
 * names are shown as they are (no --hide-names, or a reserved label).
 * Out of memory gives a placeholder without a number: never the name. */
static const char *
hidename(Render *rd, const uint8_t *s, size_t ns, int kind)
{
	static const char *keep[] = { "adm", "main", "empty" };
	Hidden *e;
	size_t i;

	if (!rd->hide || kind == 'c')
		return NULL;
	if (kind == 'l')
		for (i = 0; i < 3; i++)
			if (ns == strlen(keep[i]) && memcmp(s, keep[i], ns) == 0)
				return NULL;
	e = hslot(rd, s, ns, kind);
	if (e == NULL)
		return kind == 'l' ? "label-?" : "name-?";
	if (e->s != NULL)
		return e->ph;
	e->s = malloc(ns ? ns : 1);
	if (e->s == NULL)
		return kind == 'l' ? "label-?" : "name-?";
	memcpy(e->s, s, ns);
	e->n = ns;
	e->kind = kind;
	if (kind == 'l')
		snprintf(e->ph, sizeof e->ph, "label-%u", ++rd->ht->nlabel);
	else
		snprintf(e->ph, sizeof e->ph, "name-%u", ++rd->ht->nfile);
	rd->ht->len++;
	return e->ph;
}

void
rfree(Render *rd)
{
	size_t i;

	if (rd->ht == NULL)
		return;
	for (i = 0; i < rd->ht->cap; i++)
		free(rd->ht->tab[i].s);
	free(rd->ht->tab);
	free(rd->ht);
	rd->ht = NULL;
}

const char *
showname(Render *rd, char *buf, size_t n, const uint8_t *s, size_t ns, int kind)
{
	const char *ph;
	size_t i, o, l;

	if ((ph = hidename(rd, s, ns, kind)) != NULL) {
		snprintf(buf, n, "%s", ph);
		return buf;
	}
	for (i = 0, o = 0; i < ns && o + 5 < n; i += l) {
		l = utf8len(s + i, ns - i);
		if (l > 1 && o + l < n) {
			memcpy(buf + o, s + i, l);
			o += l;
		} else if (l > 1) {
			break;
		} else if (s[i] < 0x20 || s[i] == 0x7f || s[i] >= 0x80 || s[i] == '\\') {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", s[i]);
			l = 1;
		} else
			buf[o++] = (char)s[i];
	}
	buf[o] = 0;
	return buf;
}

void
jsonname(Render *rd, const char *key, const uint8_t *s, size_t ns, int kind)
{
	const char *ph;

	if ((ph = hidename(rd, s, ns, kind)) != NULL)
		jsonstr(&rd->j, key, ph);
	else
		jsonmem(&rd->j, key, s, ns);
}

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

struct Table {
	bool	header;		/* the first row is a header */
	int	names;		/* tabnames: 'h', 'k', 'K' or 0 */
	char	align[32];
	int	ncol;
	char	**cell;		/* row-major, ncol per row */
	size_t	ncell, cap;
	bool	broken;		/* a cell was lost: out of memory */
	int	col;		/* next column of the current row */
};

Table *
tabnew(const char *align)
{
	Table *t;

	t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	snprintf(t->align, sizeof t->align, "%s", align);
	t->ncol = (int)strlen(t->align);
	return t;
}

void
tabcell(Table *t, const char *fmt, ...)
{
	va_list ap;
	char *s, **nc;

	if (t == NULL)
		return;
	if (t->ncell == t->cap) {
		nc = realloc(t->cell, (t->cap ? 2 * t->cap : 64) * sizeof *t->cell);
		if (nc == NULL) {
			t->broken = true;
			return;
		}
		t->cell = nc;
		t->cap = t->cap ? 2 * t->cap : 64;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		t->broken = true;
	}
	va_end(ap);
	t->cell[t->ncell++] = s;
	if (++t->col == t->ncol)
		t->col = 0;
}

/* Pad the current row with empty cells. */
void
tabheader(Table *t)
{
	if (t != NULL)
		t->header = true;
}

void
tabnames(Table *t, int how)
{
	if (t != NULL)
		t->names = how;
}

void
tabendrow(Table *t)
{
	while (t != NULL && !t->broken && t->col != 0)
		tabcell(t, "%s", "");
}

/* Display width of a UTF-8 string: code points, not bytes. */
static size_t
width(const char *s)
{
	size_t w;

	for (w = 0; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int
tabprint(Table *t, FILE *f, const char *indent)
{
	size_t w[32], i, r, nrow, cw, len;
	const char *s;
	char *line;
	FILE *m;
	int c;

	tabendrow(t);
	if (t->broken)
		return -1;
	nrow = t->ncell / (size_t)t->ncol;
	if (t->header && nrow == 1) {
		fprintf(f, "%s(none)\n", indent);
		return 0;
	}
	memset(w, 0, sizeof w);
	for (i = 0; i < t->ncell; i++) {
		cw = width(t->cell[i] ? t->cell[i] : "");
		if (cw > w[i % (size_t)t->ncol])
			w[i % (size_t)t->ncol] = cw;
	}
	for (r = 0; r < nrow; r++) {
		/* build the line, then drop the padding at its end */
		m = open_memstream(&line, &len);
		if (m == NULL)
			return -1;
		fputs(indent, m);
		for (c = 0; c < t->ncol; c++) {
			s = t->cell[r * (size_t)t->ncol + (size_t)c];
			s = s ? s : "";
			cw = width(s);
			if (t->align[c] == 'r')
				fprintf(m, "%*s%s", (int)(w[c] - cw), "", s);
			else
				fprintf(m, "%s%*s", s, (int)(w[c] - cw), "");
			if (c < t->ncol - 1)
				fputs("  ", m);
		}
		fclose(m);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = 0;
		fprintf(f, "%s\n", line);
		free(line);
	}
	return 0;
}

static void
tabfree(Table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncell; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t);
}

/* The "#fields" line of GEFS_TEXT_FIELDS: the names as the table holds
 * them, read back from its cells (not from a row table), so that a
 * column added by hand is seen as well. */
static void
tabmarks(Table *t, FILE *f)
{
	size_t i, nrow;
	const char *s;

	if (t->names == 0 || t->broken)
		return;
	nrow = t->ncell / (size_t)t->ncol;
	/* no record, no field: as in JSON, where an empty array shows none */
	if (nrow <= (size_t)(t->names != 'k'))
		return;
	fputs("#fields", f);
	if (t->names == 'h')
		for (i = 0; i < (size_t)t->ncol && i < t->ncell; i++) {
			s = t->cell[i];
			if (s != NULL && s[0] != 0)
				fprintf(f, " %s", s);
		}
	else
		for (i = t->names == 'K'; i < nrow; i++) {
			s = t->cell[i * (size_t)t->ncol];
			if (s != NULL && s[0] != 0)
				fprintf(f, " %s", s);
		}
	fputc('\n', f);
}

int
rtabprint(Render *rd, Table *t, const char *indent)
{
	int rc;

	if (t == NULL)		/* JSON mode: no table */
		return 0;
	tabendrow(t);
	if (rd->marks)
		tabmarks(t, rd->f);
	rc = tabprint(t, rd->f, indent);
	tabfree(t);
	if (rc < 0)
		return rfail(rd, "out of memory printing a table");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Failures and the JSON document                                     */
/* ------------------------------------------------------------------ */

static int
failmsg(Render *rd, const char *msg)
{
	if (rd->err[0] == 0)
		snprintf(rd->err, sizeof rd->err, "%s", msg);
	rd->nerr++;
	if (rd->onerr != NULL)
		rd->onerr(rd->errarg, msg);
	return -1;
}

int
rfail(Render *rd, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof rd->err];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return failmsg(rd, msg);
}

int
rfsfail(Render *rd, const char *fmt, ...)
{
	va_list ap;
	char pre[256], all[sizeof rd->err];
	const char *msg;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	msg = rd->fs ? gefs_errmsg(rd->fs) : "no file system";
	/* the library's message often names the thing already */
	if (strncmp(msg, pre, strlen(pre)) == 0)
		snprintf(all, sizeof all, "%s", msg);
	else
		snprintf(all, sizeof all, "%.200s: %.300s", pre, msg);
	return failmsg(rd, all);
}

void
rbegin(Render *rd, const char *tool, const char *cmd, const char *image)
{
	/* a test hook: tests/cli/fields.sh compares these names with the
	 * JSON members of the same command */
	rd->marks = !rd->json && getenv("GEFS_TEXT_FIELDS") != NULL;
	if (!rd->json)
		return;
	jsoninit(&rd->j, rd->f, 1);
	jsonheader(&rd->j, tool, cmd);
	jsonstr(&rd->j, "image", image);
}

void
rend(Render *rd)
{
	if (!rd->json || rd->j.f == NULL)
		return;
	/* an error stops output anywhere: close what it left open, so
	 * that it is reported at the top, never inside an array */
	jsonendto(&rd->j, 1);
	if (rd->err[0] != 0)
		jsonstr(&rd->j, "error", rd->err);
	jsonbool(&rd->j, "ok", rd->nerr == 0);
	jsonfinish(&rd->j);
}
