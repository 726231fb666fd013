/* SPDX-License-Identifier: MIT */
/*
 * rrows — row tables (btrfs-progs' rowspec idea): one array per
 * structure of {name, kind, where}, from which both the text and the JSON
 * rendering are driven: as name/value rows (rrows) or as a table with
 * one column per field and one row per record (rtabnew, rrec).  The
 * name is the text label and the JSON key, so a field cannot exist in
 * one form and not the other.  Every structure the inspection commands
 * print has one (here, or in the r*.c file that prints it).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

/* A cell: names escaped as showname does, four bytes per byte at most. */
enum { RCELLMAX = 4 * 1024 + 64 };

#define F32(t, f)	offsetof(t, f), 4
#define F64(t, f)	offsetof(t, f), 8

/* The fields every superblock has (§4), in on-disk order; the arena
 * table and the hash check are added by the callers. */
const Rowspec sbrows[] = {
	{ "blksz",		Rnum,	F32(GefsSb, blksz), 0 },
	{ "bufspc",		Rnum,	F32(GefsSb, bufspc), 0 },
	{ "narena",		Rnum,	F32(GefsSb, narena), 0 },
	{ "snap.ht",		Rnum,	F32(GefsSb, snapht), 0 },
	{ "snap.addr",		Raddr,	F64(GefsSb, snapaddr), 0 },
	{ "snap.hash",		Rhashn,	F64(GefsSb, snaphash), 0 },
	{ "snapdl.hd.addr",	Raddr,	F64(GefsSb, dlhdaddr), 0 },
	{ "snapdl.hd.hash",	Rhashn,	F64(GefsSb, dlhdhash), 0 },
	{ "snapdl.tl.addr",	Raddr,	F64(GefsSb, dltladdr), 0 },
	{ "snapdl.tl.hash",	Rhashn,	F64(GefsSb, dltlhash), 0 },
	{ "flag",		Rhex,	F64(GefsSb, flag), 0 },
	{ "nextqid",		Rhex,	F64(GefsSb, nextqid), 0 },
	{ "nextgen",		Rnum,	F64(GefsSb, nextgen), 0 },
	{ "qgen",		Rnum,	F64(GefsSb, qgen), 0 },
	{ "sbhash",		Rhash,	F64(GefsSb, sbhash), 0 },
	{ NULL, 0, 0, 0, 0 },
};

/* The arena header (§5.1). */
const Rowspec arenarows[] = {
	{ "loghd.addr",		Raddr,	F64(GefsArenaHdr, loghdaddr), 0 },
	{ "loghd.hash",		Rhashn,	F64(GefsArenaHdr, loghdhash), 0 },
	{ "size",		Rsize,	F64(GefsArenaHdr, size), 0 },
	{ "used",		Rsize,	F64(GefsArenaHdr, used), 0 },
	{ NULL, 0, 0, 0, 0 },
};

static uint64_t
rowget(const Rowspec *rs, const void *base)
{
	const uint8_t *p;
	uint32_t v32;
	uint64_t v64;
	bool b;

	p = (const uint8_t *)base + rs->off;
	if (rs->width == 0)		/* Rstr, Rname: not a number */
		return 0;
	if (rs->width == 1) {
		memcpy(&b, p, sizeof b);
		return b;
	}
	if (rs->width == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

static const char *
rowstr(const Rowspec *rs, const void *base)
{
	const char *s;

	memcpy(&s, (const uint8_t *)base + rs->off, sizeof s);
	return s != NULL ? s : "";
}

/* Whether the record at base has this row (Rowspec.bit). */
static bool
rowhas(const Rowspec *rs, const void *base)
{
	uint32_t have;

	if (rs->bit == 0)
		return true;
	memcpy(&have, base, sizeof have);
	return (have & rs->bit) != 0;
}

static void
rownm(Render *rd, const Rowspec *rs, const void *base, char *buf, size_t n)
{
	Rnm nm;

	memcpy(&nm, (const uint8_t *)base + rs->off, sizeof nm);
	showname(rd, buf, n, nm.p, nm.n, nm.kind);
}

static void
rownums(const Rowspec *rs, const void *base, char *buf, size_t n)
{
	Rnv nv;
	size_t i, o;

	memcpy(&nv, (const uint8_t *)base + rs->off, sizeof nv);
	buf[0] = 0;
	for (i = 0, o = 0; i < nv.n && o + 1 < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%llu", i ? "/" : "",
			(unsigned long long)nv.v[i]);
}

const char *
rowtext(Render *rd, const Rowspec *rs, const void *base, char *buf, size_t n)
{
	char s[32];
	uint64_t v;

	if (!rowhas(rs, base)) {
		snprintf(buf, n, "-");
		return buf;
	}
	v = rowget(rs, base);
	switch (rs->kind) {
	case Rnum:	snprintf(buf, n, "%llu", (unsigned long long)v); break;
	case Rint:	snprintf(buf, n, "%lld", (long long)(int64_t)v); break;
	case Rhex:	snprintf(buf, n, "0x%llx", (unsigned long long)v); break;
	case Raddr:	fmtnone(buf, n, v); break;
	case Rhashn:	fmthashn(buf, n, v); break;
	case Rhash:	fmthash(buf, n, v); break;
	case Rsize:
		snprintf(buf, n, "0x%llx (%s)", (unsigned long long)v, fmtsize(s, sizeof s, v, rd->raw));
		break;
	case Rbytes:	fmtsize(buf, n, v, rd->raw); break;
	case Rtenths:
		snprintf(buf, n, "%llu.%llu", (unsigned long long)(v / 10), (unsigned long long)(v % 10));
		break;
	case Rstr:	/* "" is "-" in text, as an absent row */
		snprintf(buf, n, "%s", rowstr(rs, base)[0] ? rowstr(rs, base) : "-");
		break;
	case Rbool:	snprintf(buf, n, "%s", v ? "true" : "false"); break;
	case Rname:	rownm(rd, rs, base, buf, n); break;
	case Rnums:	rownums(rs, base, buf, n); break;
	}
	return buf;
}

/* One row as a JSON member: numbers, sizes and truth values as such,
 * the rest as the text rendering (addresses and hashes are strings in
 * every gefs-progs JSON document). */
static void
rowjson(Render *rd, const Rowspec *rs, const void *base)
{
	char buf[64];
	uint64_t v;
	Rnm nm;
	Rnv nv;
	size_t i;

	if (!rowhas(rs, base)) {
		jsonnull(&rd->j, rs->name);
		return;
	}
	if (rs->kind == Rname) {
		memcpy(&nm, (const uint8_t *)base + rs->off, sizeof nm);
		jsonname(rd, rs->name, nm.p, nm.n, nm.kind);
		return;
	}
	if (rs->kind == Rnums) {
		memcpy(&nv, (const uint8_t *)base + rs->off, sizeof nv);
		jsonarr(&rd->j, rs->name);
		for (i = 0; i < nv.n; i++)
			jsonu64(&rd->j, NULL, nv.v[i]);
		jsonend(&rd->j);
		return;
	}
	v = rowget(rs, base);
	switch (rs->kind) {
	case Rnum: case Rsize: case Rbytes:
		jsonu64(&rd->j, rs->name, v);
		break;
	case Rint:	jsoni64(&rd->j, rs->name, (int64_t)v); break;
	case Rtenths:	jsontenths(&rd->j, rs->name, v); break;
	case Rbool:	jsonbool(&rd->j, rs->name, v != 0); break;
	case Rstr:	jsonstr(&rd->j, rs->name, rowstr(rs, base)); break;
	default:
		jsonstr(&rd->j, rs->name, rowtext(rd, rs, base, buf, sizeof buf));
	}
}

void
rrows(Render *rd, Table *tab, const Rowspec *rs, const void *base)
{
	char buf[RCELLMAX];

	tabnames(tab, 'k');
	for (; rs->name != NULL; rs++) {
		if (rd->json) {
			rowjson(rd, rs, base);
			continue;
		}
		tabcell(tab, "%s", rs->name);
		tabcell(tab, "%s", rowtext(rd, rs, base, buf, sizeof buf));
	}
}

/* Numbers right-aligned, the rest left. */
static int
rowalign(const Rowspec *rs)
{
	switch (rs->kind) {
	case Rnum: case Rint: case Rbytes: case Rtenths:
		return 'r';
	default:
		return 'l';
	}
}

Table *
rtabnew(Render *rd, const Rowspec *rs)
{
	char align[32];
	const Rowspec *p;
	Table *tab;
	size_t n;

	if (rd->json)
		return NULL;
	for (p = rs, n = 0; p->name != NULL && n + 1 < sizeof align; p++)
		align[n++] = (char)rowalign(p);
	align[n] = 0;
	tab = tabnew(align);
	tabnames(tab, 'h');
	for (p = rs; p->name != NULL; p++)
		tabcell(tab, "%s", p->name);
	return tab;
}

void
rrec(Render *rd, Table *tab, const Rowspec *rs, const void *base)
{
	char buf[RCELLMAX];

	for (; rs->name != NULL; rs++)
		if (rd->json)
			rowjson(rd, rs, base);
		else
			tabcell(tab, "%s", rowtext(rd, rs, base, buf, sizeof buf));
}

void
rrecobj(Render *rd, Table *tab, const char *key, const Rowspec *rs, const void *base)
{
	if (rd->json)
		jsonobj(&rd->j, key);
	rrec(rd, tab, rs, base);
	if (rd->json)
		jsonend(&rd->j);
}
