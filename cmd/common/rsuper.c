/* SPDX-License-Identifier: MIT */
/*
 * rsuper — the superblocks: both superblock copies side by side (§4),
 * whether each verifies, which one is in use, the extension record
 * (§22.2), and the fields in which the copies differ.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

typedef struct Copy {
	uint64_t	addr;
	bool		read;		/* the block could be read */
	bool		decoded;	/* magic and narena acceptable */
	bool		hashok;
	bool		valid;		/* passes every check of loading */
	GefsSb		sb;
	char		err[512];
	bool		hasx;
	GefsXrec	x;
	uint8_t		*blk;
} Copy;

/* Field rows: name and the value in each copy, as text. */
typedef struct Row {
	char	name[24];
	char	v[2][80];
	bool	has[2];		/* the copy has the field (a value may be "") */
	bool	num;		/* a JSON number (else a string) */
} Row;

enum { MAXROWS = 32 + 2 * GEFS_MAXARENA };

/* Read copy i, judged as loading judges it (gefs_readsb), and its raw
 * block for the tail and the extension record. */
static void
readcopy(Render *rd, Copy *c, int i, uint64_t addr)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->addr = addr;
	c->blk = calloc(1, GEFS_BLKSZ);
	if (c->blk == NULL || gefs_readblk(rd->fs, addr, c->blk) < 0) {
		snprintf(c->err, sizeof c->err, "%s", c->blk ? gefs_errmsg(rd->fs) : "out of memory");
		return;
	}
	c->read = true;
	rc = gefs_readsb(rd->fs, i, &c->sb, &c->valid, c->err, sizeof c->err);
	if (rc < 0)
		snprintf(c->err, sizeof c->err, "%s", gefs_errmsg(rd->fs));
	c->decoded = rc == 0;
	if (c->decoded)
		c->hashok = gefs_sbhashok(c->blk, c->sb.narena);
	c->hasx = gefs_unpacksbxrec(&c->x, c->blk, NULL) == 0;
}

static Row *
row(Row *r, int *n, const char *name, bool num)
{
	Row *p;

	p = &r[(*n)++];
	snprintf(p->name, sizeof p->name, "%s", name);
	p->num = num;
	return p;
}

static void
set(Row *r, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
set(Row *r, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->v[col], sizeof r->v[col], fmt, ap);
	va_end(ap);
	r->has[col] = true;
}

static void
uuidstr(char *buf, size_t n, const uint8_t u[16])
{
	snprintf(buf, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		u[12], u[13], u[14], u[15]);
}

/* Fill the rows of the fields every superblock has, from the row table
 * (sbrows) that block's rendering of a superblock uses too; values only
 * for a copy that decoded. */
static int
fixedrows(Render *rd, Row *r, const Copy *c, int col)
{
	const Rowspec *rs;
	int k;

	for (rs = sbrows, k = 0; rs->name != NULL; rs++, k++) {
		snprintf(r[k].name, sizeof r[k].name, "%s", rs->name);
		r[k].num = rs->kind == Rnum;
		r[k].has[col] = c->decoded;
		if (c->decoded)
			rowtext(rd, rs, &c->sb, r[k].v[col], sizeof r[k].v[col]);
		else
			r[k].v[col][0] = 0;
	}
	return k;
}

/* Hash of the tail: everything after the written prefix but the record. */
static uint64_t
tailhash(const Copy *c)
{
	return gefs_sbtailhash(c->blk, c->sb.narena);
}

/* All rows of both copies; returns the count. */
static int
allrows(Render *rd, Row *r, const Copy *c)
{
	char name[24], t[48];
	uint32_t na;
	int n, i, col;

	memset(r, 0, MAXROWS * sizeof *r);
	n = fixedrows(rd, r, &c[0], 0);
	fixedrows(rd, r, &c[1], 1);
	na = 0;
	for (col = 0; col < 2; col++)
		if (c[col].decoded && c[col].sb.narena > na)
			na = c[col].sb.narena;
	for (i = 0; i < (int)na && i < GEFS_MAXARENA; i++) {
		snprintf(name, sizeof name, "arena[%d].addr", i);
		row(r, &n, name, false);
		snprintf(name, sizeof name, "arena[%d].hash", i);
		row(r, &n, name, false);
		for (col = 0; col < 2; col++) {
			if (!c[col].decoded || (uint32_t)i >= c[col].sb.narena)
				continue;
			set(&r[n - 2], col, "0x%llx", (unsigned long long)c[col].sb.arenaaddr[i]);
			set(&r[n - 1], col, "%s", fmthashn(t, sizeof t, c[col].sb.arenahash[i]));
		}
	}
	if (c[0].hasx || c[1].hasx) {
		row(r, &n, "xrec.uuid", false);
		row(r, &n, "xrec.label", false);
		row(r, &n, "xrec.flags", false);
		row(r, &n, "xrec.ctime", false);
		for (col = 0; col < 2; col++) {
			if (!c[col].hasx)
				continue;
			uuidstr(r[n - 4].v[col], sizeof r[n - 4].v[col], c[col].x.uuid);
			r[n - 4].has[col] = true;
			showname(rd, r[n - 3].v[col], sizeof r[n - 3].v[col], c[col].x.label,
				c[col].x.labellen, 'c');
			r[n - 3].has[col] = true;
			set(&r[n - 2], col, "0x%x", c[col].x.flags);
			set(&r[n - 1], col, "%s", fmttime(t, sizeof t, c[col].x.ctime));
		}
	}
	row(r, &n, "tail.hash", false);
	for (col = 0; col < 2; col++)
		if (c[col].decoded)
			set(&r[n - 1], col, "0x%016llx", (unsigned long long)tailhash(&c[col]));
	return n;
}

/* What a copy is, before its fields: the same names in text (a row
 * each) and JSON (members of the copy's object); "-" / null when it does
 * not apply (sbhash_ok and valid of a copy that did not decode, error of
 * a valid one). */
static const char *copyrows[] = { "copy", "addr", "usable", "sbhash_ok", "valid", "error", "magic" };
enum { NCOPYROWS = sizeof copyrows / sizeof copyrows[0] };

/* Row k of copyrows for copy c, as text; NULL when it does not apply. */
static const char *
copyval(const Copy *c, int col, int k, char *buf, size_t n)
{
	switch (k) {
	case 0:	snprintf(buf, n, "%d", col); return buf;
	case 1:	snprintf(buf, n, "0x%llx", (unsigned long long)c->addr); return buf;
	case 2:	return c->decoded ? "true" : "false";
	case 3:	return !c->decoded ? NULL : c->hashok ? "true" : "false";
	case 4:	return !c->decoded ? NULL : c->valid ? "true" : "false";
	case 5:	return c->decoded && c->valid ? NULL : c->err;
	default: return c->decoded ? GEFS_MAGIC : NULL;
	}
}

static void
supertext(Render *rd, const Copy *c, Row *r, int n, int inuse)
{
	Table *tab;
	char b[2][600], dif[1024];
	const char *v;
	int i, k, col;
	size_t o;

	tab = tabnew("llll");
	tabnames(tab, 'K');
	tabcell(tab, "field");
	tabcell(tab, "copy 0 (0x%llx)", (unsigned long long)c[0].addr);
	tabcell(tab, "copy 1 (0x%llx)", (unsigned long long)c[1].addr);
	tabcell(tab, "%s", "");
	for (k = 0; k < NCOPYROWS; k++) {
		tabcell(tab, "%s", copyrows[k]);
		for (col = 0; col < 2; col++) {
			v = copyval(&c[col], col, k, b[col], sizeof b[col]);
			tabcell(tab, "%s", v ? v : "-");
		}
		tabcell(tab, "%s", "");
	}
	dif[0] = 0;
	for (i = 0, o = 0; i < n; i++) {
		tabcell(tab, "%s", r[i].name);
		tabcell(tab, "%s", r[i].has[0] ? r[i].v[0] : "-");
		tabcell(tab, "%s", r[i].has[1] ? r[i].v[1] : "-");
		tabcell(tab, "%s", strcmp(r[i].v[0], r[i].v[1]) != 0 ? "*" : "");
		if (strcmp(r[i].v[0], r[i].v[1]) != 0 && o + 1 < sizeof dif)
			o += (size_t)snprintf(dif + o, sizeof dif - o, "%s%s", o ? " " : "", r[i].name);
	}
	rtabprint(rd, tab, "");
	/* what is not a copy's: the one loading uses, the fields marked * */
	fputc('\n', rd->f);
	tab = tabnew("ll");
	tabnames(tab, 'k');
	tabcell(tab, "in_use");
	tabcell(tab, "%d", inuse);
	tabcell(tab, "differences");
	tabcell(tab, "%s", dif[0] ? dif : "-");
	rtabprint(rd, tab, "");
}

static void
superjson(Render *rd, const Copy *c, Row *r, int n, int inuse)
{
	char b[600];
	const char *v;
	int i, k, col;

	jsonu64(&rd->j, "in_use", (uint64_t)inuse);
	jsonarr(&rd->j, "superblocks");
	for (col = 0; col < 2; col++) {
		jsonobj(&rd->j, NULL);
		for (k = 0; k < NCOPYROWS; k++) {
			v = copyval(&c[col], col, k, b, sizeof b);
			if (v == NULL)
				jsonnull(&rd->j, copyrows[k]);
			else if (k == 0)
				jsonu64(&rd->j, copyrows[k], (uint64_t)col);
			else if (k >= 2 && k <= 4)
				jsonbool(&rd->j, copyrows[k], strcmp(v, "true") == 0);
			else
				jsonstr(&rd->j, copyrows[k], v);
		}
		if (c[col].decoded) {
			jsonobj(&rd->j, "fields");
			for (i = 0; i < n; i++) {
				if (!r[i].has[col])
					continue;
				if (r[i].num)
					jsonu64(&rd->j, r[i].name, strtoull(r[i].v[col], NULL, 10));
				else
					jsonstr(&rd->j, r[i].name, r[i].v[col]);
			}
			jsonend(&rd->j);
		}
		jsonend(&rd->j);
	}
	jsonend(&rd->j);
	jsonarr(&rd->j, "differences");
	for (i = 0; i < n; i++)
		if (strcmp(r[i].v[0], r[i].v[1]) != 0)
			jsonstr(&rd->j, NULL, r[i].name);
	jsonend(&rd->j);
}

int
rsuper(Render *rd)
{
	Copy c[2];
	Row *r;
	uint64_t last;
	int n, inuse;
	unsigned nerr;

	nerr = rd->nerr;
	last = (gefs_devsize(rd->fs) / GEFS_BLKSZ - 1) * GEFS_BLKSZ;
	readcopy(rd, &c[0], 0, 0);
	readcopy(rd, &c[1], 1, last);
	gefs_super(rd->fs, &inuse);
	r = calloc(MAXROWS, sizeof *r);
	if (r == NULL)
		rfail(rd, "out of memory");
	else {
		n = allrows(rd, r, c);
		if (rd->json)
			superjson(rd, c, r, n, inuse);
		else
			supertext(rd, c, r, n, inuse);
	}
	for (n = 0; n < 2; n++)
		if (!c[n].valid)
			rfail(rd, "superblock %d at 0x%llx: %s", n, (unsigned long long)c[n].addr,
				c[n].err[0] ? c[n].err : "invalid");
	free(r);
	free(c[0].blk);
	free(c[1].blk);
	return rd->nerr == nerr ? 0 : -1;
}
