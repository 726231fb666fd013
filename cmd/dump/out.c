/* SPDX-License-Identifier: MIT */
/*
 * out — output helpers of gefs-dump: humanised units, times, modes, hex
 * dumps, aligned tables, and the name hiding of --hide-names.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dump.h"
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

/* Plan 9 style mode string: d (dir), a (append), l (exclusive), t (tmp)
 * flags, then rwx triplets; unknown bits are shown as '?'. */
const char *
fmtmode(char *buf, size_t n, uint32_t mode)
{
	char s[16];
	int i;

	s[0] = (mode & GEFS_DMDIR) ? 'd' : '-';
	s[1] = (mode & GEFS_DMAPPEND) ? 'a' : '-';
	s[2] = (mode & GEFS_DMEXCL) ? 'l' : '-';
	s[3] = (mode & GEFS_DMTMP) ? 't' : '-';
	for (i = 0; i < 9; i++)
		s[4 + i] = (mode & (0400u >> i)) ? "rwx"[i % 3] : '-';
	s[13] = (mode & ~GEFS_MODEBITS) ? '?' : 0;
	s[14] = 0;
	snprintf(buf, n, "%s", s);
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
 * kind, in order of first appearance in this run's output. */
typedef struct Hidden {
	uint8_t		*s;
	size_t		n;
	int		kind;
	char		ph[24];
} Hidden;

static Hidden *htab;
static size_t hcap, hlen;
static unsigned nfile, nlabel;

static uint64_t
hkey(const uint8_t *s, size_t n, int kind)
{
	return gefs_metrohash64(s, n, (uint64_t)kind);
}

static void
hgrow(void)
{
	Hidden *old;
	size_t ocap, i, j;

	old = htab;
	ocap = hcap;
	hcap = hcap ? 2 * hcap : 256;
	htab = calloc(hcap, sizeof *htab);
	if (htab == NULL) {
		fprintf(stderr, "%s: out of memory\n", argv0);
		exit(EXIT_DAMAGED);
	}
	for (i = 0; i < ocap; i++) {
		if (old[i].s == NULL)
			continue;
		j = hkey(old[i].s, old[i].n, old[i].kind) & (hcap - 1);
		while (htab[j].s != NULL)
			j = (j + 1) & (hcap - 1);
		htab[j] = old[i];
	}
	free(old);
}

const char *
hidename(Dump *d, const uint8_t *s, size_t ns, int kind)
{
	static const char *keep[] = { "adm", "main", "empty" };
	Hidden *h;
	size_t i, j;

	if (!d->hide || kind == 'c')
		return NULL;
	if (kind == 'l')
		for (i = 0; i < 3; i++)
			if (ns == strlen(keep[i]) && memcmp(s, keep[i], ns) == 0)
				return NULL;
	if (2 * (hlen + 1) > hcap)
		hgrow();
	j = hkey(s, ns, kind) & (hcap - 1);
	for (; htab[j].s != NULL; j = (j + 1) & (hcap - 1)) {
		h = &htab[j];
		if (h->kind == kind && h->n == ns && memcmp(h->s, s, ns) == 0)
			return h->ph;
	}
	h = &htab[j];
	h->s = malloc(ns ? ns : 1);
	if (h->s == NULL) {
		fprintf(stderr, "%s: out of memory\n", argv0);
		exit(EXIT_DAMAGED);
	}
	memcpy(h->s, s, ns);
	h->n = ns;
	h->kind = kind;
	if (kind == 'l')
		snprintf(h->ph, sizeof h->ph, "label-%u", ++nlabel);
	else
		snprintf(h->ph, sizeof h->ph, "name-%u", ++nfile);
	hlen++;
	return h->ph;
}

void
hidefree(void)
{
	size_t i;

	for (i = 0; i < hcap; i++)
		free(htab[i].s);
	free(htab);
	htab = NULL;
	hcap = hlen = 0;
}

const char *
showname(Dump *d, char *buf, size_t n, const uint8_t *s, size_t ns, int kind)
{
	const char *ph;
	size_t i, o, l;

	if ((ph = hidename(d, s, ns, kind)) != NULL) {
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
jsonname(Dump *d, const char *key, const uint8_t *s, size_t ns, int kind)
{
	const char *ph;

	if ((ph = hidename(d, s, ns, kind)) != NULL)
		jsonstr(&d->j, key, ph);
	else
		jsonmem(&d->j, key, s, ns);
}

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

struct Table {
	bool	header;		/* the first row is a header */
	char	align[32];
	int	ncol;
	char	**cell;		/* row-major, ncol per row */
	size_t	ncell, cap;
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
	char *s;

	if (t == NULL)
		return;
	if (t->ncell == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cell = realloc(t->cell, t->cap * sizeof *t->cell);
		if (t->cell == NULL) {
			fprintf(stderr, "%s: out of memory\n", argv0);
			exit(EXIT_DAMAGED);
		}
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
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
tabendrow(Table *t)
{
	while (t != NULL && t->col != 0)
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

void
tabprint(Table *t, FILE *f, const char *indent)
{
	size_t w[32], i, r, nrow, cw, len;
	const char *s;
	char *line;
	FILE *m;
	int c;

	if (t == NULL)
		return;
	tabendrow(t);
	nrow = t->ncell / (size_t)t->ncol;
	if (t->header && nrow == 1) {
		fprintf(f, "%s(none)\n", indent);
		return;
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
			return;
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
}

void
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
