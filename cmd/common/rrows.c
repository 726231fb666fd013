/* SPDX-License-Identifier: MIT */
/*
 * rrows — row tables (btrfs-progs' rowspec idea): one array per
 * structure of {name, kind, where}, from which both the text and the JSON
 * rendering are driven.  The name is the text label and the JSON key, so
 * a field cannot exist in one form and not the other.  Used for the
 * superblock (super, block) and the arena header (block).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

#define F32(t, f)	offsetof(t, f), 4
#define F64(t, f)	offsetof(t, f), 8

/* The fields every superblock has (§4), in on-disk order; the arena
 * table and the hash check are added by the callers. */
const Rowspec sbrows[] = {
	{ "blksz",		Rnum,	F32(GefsSb, blksz) },
	{ "bufspc",		Rnum,	F32(GefsSb, bufspc) },
	{ "narena",		Rnum,	F32(GefsSb, narena) },
	{ "snap.ht",		Rnum,	F32(GefsSb, snapht) },
	{ "snap.addr",		Raddr,	F64(GefsSb, snapaddr) },
	{ "snap.hash",		Rhashn,	F64(GefsSb, snaphash) },
	{ "snapdl.hd.addr",	Raddr,	F64(GefsSb, dlhdaddr) },
	{ "snapdl.hd.hash",	Rhashn,	F64(GefsSb, dlhdhash) },
	{ "snapdl.tl.addr",	Raddr,	F64(GefsSb, dltladdr) },
	{ "snapdl.tl.hash",	Rhashn,	F64(GefsSb, dltlhash) },
	{ "flag",		Rhex,	F64(GefsSb, flag) },
	{ "nextqid",		Rhex,	F64(GefsSb, nextqid) },
	{ "nextgen",		Rnum,	F64(GefsSb, nextgen) },
	{ "qgen",		Rnum,	F64(GefsSb, qgen) },
	{ "sbhash",		Rhash,	F64(GefsSb, sbhash) },
	{ NULL, 0, 0, 0 },
};

/* The arena header (§5.1). */
const Rowspec arenarows[] = {
	{ "loghd.addr",		Raddr,	F64(GefsArenaHdr, loghdaddr) },
	{ "loghd.hash",		Rhashn,	F64(GefsArenaHdr, loghdhash) },
	{ "size",		Rsize,	F64(GefsArenaHdr, size) },
	{ "used",		Rsize,	F64(GefsArenaHdr, used) },
	{ NULL, 0, 0, 0 },
};

static uint64_t
rowget(const Rowspec *rs, const void *base)
{
	const uint8_t *p;
	uint32_t v32;
	uint64_t v64;

	p = (const uint8_t *)base + rs->off;
	if (rs->width == 4) {
		memcpy(&v32, p, 4);
		return v32;
	}
	memcpy(&v64, p, 8);
	return v64;
}

const char *
rowtext(Render *rd, const Rowspec *rs, const void *base, char *buf, size_t n)
{
	char s[32];
	uint64_t v;

	v = rowget(rs, base);
	switch (rs->kind) {
	case Rnum:	snprintf(buf, n, "%llu", (unsigned long long)v); break;
	case Rhex:	snprintf(buf, n, "0x%llx", (unsigned long long)v); break;
	case Raddr:	fmtnone(buf, n, v); break;
	case Rhashn:	fmthashn(buf, n, v); break;
	case Rhash:	fmthash(buf, n, v); break;
	case Rsize:
		snprintf(buf, n, "0x%llx (%s)", (unsigned long long)v, fmtsize(s, sizeof s, v, rd->raw));
		break;
	}
	return buf;
}

/* One row as a JSON member: numbers and sizes as numbers, the rest as
 * the text rendering (addresses and hashes are strings in every
 * gefs-progs JSON document). */
static void
rowjson(Render *rd, const Rowspec *rs, const void *base)
{
	char buf[64];

	if (rs->kind == Rnum || rs->kind == Rsize)
		jsonu64(&rd->j, rs->name, rowget(rs, base));
	else
		jsonstr(&rd->j, rs->name, rowtext(rd, rs, base, buf, sizeof buf));
}

void
rrows(Render *rd, Table *tab, const Rowspec *rs, const void *base)
{
	char buf[64];

	for (; rs->name != NULL; rs++) {
		if (rd->json) {
			rowjson(rd, rs, base);
			continue;
		}
		tabcell(tab, "%s", rs->name);
		tabcell(tab, "%s", rowtext(rd, rs, base, buf, sizeof buf));
	}
}
