/* SPDX-License-Identifier: MIT */
/*
 * rfmt — rendering keys, values and messages (§9, §10) as text and JSON,
 * shared by the tree, block and snaps commands.  Everything is decoded
 * through the pack API; what does not decode is shown as hex, never
 * trusted.
 */
#include <string.h>
#include "rint.h"

static const char *opnames[] = {
	"Onop", "Oinsert", "Odelete", "Oclearb", "Oclobber",
	"Owstat", "Orelink", "Oreprev", "Oincref",
};

static const char *keynames[] = {
	"Kdat", "Kent", "Kup", "Klabel", "Ksnap", "Kdlist", "Kconf",
};

static void
hexbytes(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void
jsonhexbytes(Render *rd, const char *key, const uint8_t *p, size_t n)
{
	char buf[2 * (GEFS_INLMAX + GEFS_KEYMAX) + 1];
	size_t i;

	if (n > GEFS_INLMAX + GEFS_KEYMAX)
		n = GEFS_INLMAX + GEFS_KEYMAX;
	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = 0;
	jsonstr(&rd->j, key, buf);
}

static void
fmtkey(Render *rd, FILE *f, const uint8_t *k, size_t nk)
{
	char name[4 * GEFS_KEYMAX + 8], q[24];
	GefsKey key;

	if (gefs_unpackkey(&key, k, nk, NULL) < 0) {
		fprintf(f, "key[%zu]:", nk);
		hexbytes(f, k, nk);
		return;
	}
	switch (key.type) {
	case GEFS_KDAT:
		fprintf(f, "Kdat(0x%llx, 0x%llx)", (unsigned long long)key.qid,
			(unsigned long long)key.off);
		break;
	case GEFS_KENT:
		fprintf(f, "Kent(%s, \"%s\")", fmtnone(q, sizeof q, key.qid),
			showname(rd, name, sizeof name, key.name, key.nlen, 'f'));
		break;
	case GEFS_KUP:
		fprintf(f, "Kup(%s)", fmtnone(q, sizeof q, key.qid));
		break;
	case GEFS_KLABEL:
		fprintf(f, "Klabel(\"%s\")", showname(rd, name, sizeof name, key.name, key.nlen, 'l'));
		break;
	case GEFS_KSNAP:
		fprintf(f, "Ksnap(%lld)", (long long)key.gen);
		break;
	case GEFS_KDLIST:
		fprintf(f, "Kdlist(%lld, %lld)", (long long)key.gen, (long long)key.bgen);
		break;
	case GEFS_KCONF:
		fprintf(f, "Kconf(\"%s\")", showname(rd, name, sizeof name, key.name, key.nlen, 'c'));
		break;
	}
}

static void
fmtbptr(FILE *f, const GefsBptr *bp)
{
	char a[24], h[24], g[24];

	fprintf(f, "addr=%s hash=%s gen=%s", fmtnone(a, sizeof a, bp->addr),
		fmthashn(h, sizeof h, bp->hash),
		bp->gen == GEFS_NONE ? "NONE" : (snprintf(g, sizeof g, "%llu",
			(unsigned long long)bp->gen), g));
}

static void
fmtxdir(FILE *f, const GefsXdir *x)
{
	char at[48], mt[48];

	fprintf(f, "qid=0x%llx.%u type=0x%02x mode=%o length=%llu uid=%d gid=%d muid=%d"
		" mtime=%s atime=%s", (unsigned long long)x->qpath, x->qvers, x->qtype,
		x->mode, (unsigned long long)x->length, x->uid, x->gid, x->muid,
		fmttime(mt, sizeof mt, x->mtime), fmttime(at, sizeof at, x->atime));
	if (x->flag != 0)
		fprintf(f, " flag=0x%llx", (unsigned long long)x->flag);
}

static void
fmtsnap(FILE *f, const GefsSnap *s)
{
	fprintf(f, "gen=%lld nref=%d nlbl=%d ht=%d flag=0x%x pred=%lld succ=%lld base=%lld root=[",
		(long long)s->gen, s->nref, s->nlbl, s->ht, s->flag, (long long)s->pred,
		(long long)s->succ, (long long)s->base);
	fmtbptr(f, &s->root);
	fputc(']', f);
}

/* A value whose key type is known to decode; -1 if the value does not. */
static int
fmtval1(Render *rd, FILE *f, int ktype, const uint8_t *v, size_t nv)
{
	GefsBptr bp;
	GefsXdir x;
	GefsLabel l;
	GefsSnap s;
	GefsDlist dl;
	char a[24], b[24], name[4 * GEFS_INLMAX + 8];

	switch (ktype) {
	case GEFS_KDAT:
		if (nv != GEFS_PTRSZ)
			return -1;
		gefs_unpackbptr(&bp, v);
		fmtbptr(f, &bp);
		return 0;
	case GEFS_KENT:
		if (gefs_unpackxdir(&x, v, nv, NULL) < 0)
			return -1;
		fmtxdir(f, &x);
		return 0;
	case GEFS_KUP:
		fputs("-> ", f);
		fmtkey(rd, f, v, nv);
		return 0;
	case GEFS_KLABEL:
		if (gefs_unpacklabel(&l, v, nv, NULL) < 0)
			return -1;
		fprintf(f, "gen=%lld flags=0x%x%s", (long long)l.gen, l.flags,
			(l.flags & GEFS_LMUT) ? " (mutable)" : "");
		return 0;
	case GEFS_KSNAP:
		if (gefs_unpacksnap(&s, v, nv, NULL) < 0)
			return -1;
		fmtsnap(f, &s);
		return 0;
	case GEFS_KDLIST:
		if (gefs_unpackdlist(&dl, v, nv, NULL) < 0)
			return -1;
		fprintf(f, "hd=%s tl=%s", fmtnone(a, sizeof a, dl.hd.addr),
			fmtnone(b, sizeof b, dl.tl.addr));
		return 0;
	case GEFS_KCONF:
		fprintf(f, "\"%s\"", showname(rd, name, sizeof name, v, nv, 'c'));
		return 0;
	}
	return -1;
}

void
fmtkv(Render *rd, FILE *f, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot)
{
	GefsBptr bp;
	uint16_t fill;

	fmtkey(rd, f, k, nk);
	fputs("  ", f);
	if (pivot) {
		if (gefs_unpackpivval(&bp, &fill, v, nv, NULL) == 0) {
			fputs("-> ", f);
			fmtbptr(f, &bp);
			fprintf(f, " fill=%u", fill);
		} else {
			fprintf(f, "value[%zu]:", nv);
			hexbytes(f, v, nv);
		}
		return;
	}
	if (nk == 0 || fmtval1(rd, f, k[0], v, nv) < 0) {
		fprintf(f, "value[%zu]:", nv);
		hexbytes(f, v, nv);
	}
}

/* An Owstat operand: the flags and the fields they set. */
static void
fmtwstat(FILE *f, const uint8_t *v, size_t nv)
{
	GefsXdir x;
	char t[48];
	int qp;
	uint8_t fl;

	memset(&x, 0, sizeof x);
	if (nv < 1 || gefs_applywstat(&x, v, nv, &qp, NULL) < 0) {
		fprintf(f, "malformed[%zu]:", nv);
		hexbytes(f, v, nv);
		return;
	}
	fl = v[0];
	fprintf(f, "flags=0x%02x", fl);
	if (fl & GEFS_OWSIZE)	fprintf(f, " size=%llu", (unsigned long long)x.length);
	if (fl & GEFS_OWMODE)	fprintf(f, " mode=%o", x.mode);
	if (fl & GEFS_OWMTIME)	fprintf(f, " mtime=%s", fmttime(t, sizeof t, x.mtime));
	if (fl & GEFS_OWATIME)	fprintf(f, " atime=%s", fmttime(t, sizeof t, x.atime));
	if (fl & GEFS_OWUID)	fprintf(f, " uid=%d", x.uid);
	if (fl & GEFS_OWGID)	fprintf(f, " gid=%d", x.gid);
	if (fl & GEFS_OWMUID)	fprintf(f, " muid=%d", x.muid);
	if (fl & GEFS_OWQPATH)
		fprintf(f, qp ? " qpath=0x%llx" : " qpath(no field)", (unsigned long long)x.qpath);
	if (fl == 0)
		fputs(" (touch)", f);
}

void
fmtmsg(Render *rd, FILE *f, const GefsMsg *m)
{
	GefsRelink r;

	fprintf(f, "%s ", m->op < 9 ? opnames[m->op] : "O?");
	fmtkey(rd, f, m->k, m->nk);
	switch (m->op) {
	case GEFS_OINSERT:
		fputs("  ", f);
		if (m->nk == 0 || fmtval1(rd, f, m->k[0], m->v, m->nv) < 0) {
			fprintf(f, "value[%u]:", m->nv);
			hexbytes(f, m->v, m->nv);
		}
		break;
	case GEFS_OWSTAT:
		fputs("  ", f);
		fmtwstat(f, m->v, m->nv);
		break;
	case GEFS_ORELINK:
	case GEFS_OREPREV:
	case GEFS_OINCREF:
		if (gefs_unpackrelink(&r, m->v, m->nv, NULL) == 0)
			fprintf(f, "  link=%lld dlbl=%+d dref=%+d", (long long)r.link, r.dlbl, r.dref);
		else {
			fprintf(f, "  malformed[%u]:", m->nv);
			hexbytes(f, m->v, m->nv);
		}
		break;
	default:
		if (m->nv > 0) {
			fprintf(f, "  operand[%u]:", m->nv);
			hexbytes(f, m->v, m->nv);
		}
	}
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

void
jsonkey(Render *rd, const char *name, const uint8_t *k, size_t nk)
{
	GefsKey key;

	jsonobj(&rd->j, name);
	if (gefs_unpackkey(&key, k, nk, NULL) < 0) {
		jsonstr(&rd->j, "type", "invalid");
		jsonhexbytes(rd, "hex", k, nk);
		jsonend(&rd->j);
		return;
	}
	jsonstr(&rd->j, "type", keynames[key.type]);
	switch (key.type) {
	case GEFS_KDAT:
		jsonhex(&rd->j, "qid", key.qid);
		jsonhex(&rd->j, "off", key.off);
		break;
	case GEFS_KENT:
		jsonhex(&rd->j, "pqid", key.qid);
		jsonname(rd, "name", key.name, key.nlen, 'f');
		break;
	case GEFS_KUP:
		jsonhex(&rd->j, "qid", key.qid);
		break;
	case GEFS_KLABEL:
		jsonname(rd, "name", key.name, key.nlen, 'l');
		break;
	case GEFS_KCONF:
		jsonmem(&rd->j, "name", key.name, key.nlen);
		break;
	case GEFS_KSNAP:
		jsoni64(&rd->j, "gen", (int64_t)key.gen);
		break;
	case GEFS_KDLIST:
		jsoni64(&rd->j, "gen", (int64_t)key.gen);
		jsoni64(&rd->j, "bgen", (int64_t)key.bgen);
		break;
	}
	jsonend(&rd->j);
}

void
jsonbptr(Render *rd, const char *key, const GefsBptr *bp)
{
	jsonobj(&rd->j, key);
	jsonhex(&rd->j, "addr", bp->addr);
	jsonhash(&rd->j, "hash", bp->hash);
	if (bp->gen == GEFS_NONE)
		jsonnull(&rd->j, "gen");
	else
		jsonu64(&rd->j, "gen", bp->gen);
	jsonend(&rd->j);
}

void
jsonxdir(Render *rd, const char *key, const GefsXdir *x)
{
	jsonobj(&rd->j, key);
	jsonhex(&rd->j, "qid_path", x->qpath);
	jsonu64(&rd->j, "qid_vers", x->qvers);
	jsonu64(&rd->j, "qid_type", x->qtype);
	jsonu64(&rd->j, "mode", x->mode);
	jsoni64(&rd->j, "atime_ns", x->atime);
	jsoni64(&rd->j, "mtime_ns", x->mtime);
	jsonu64(&rd->j, "length", x->length);
	jsoni64(&rd->j, "uid", x->uid);
	jsoni64(&rd->j, "gid", x->gid);
	jsoni64(&rd->j, "muid", x->muid);
	jsonhex(&rd->j, "flag", x->flag);
	jsonend(&rd->j);
}

void
jsonsnap(Render *rd, const char *key, const GefsSnap *s)
{
	jsonobj(&rd->j, key);
	jsoni64(&rd->j, "gen", s->gen);
	jsoni64(&rd->j, "nref", s->nref);
	jsoni64(&rd->j, "nlbl", s->nlbl);
	jsoni64(&rd->j, "ht", s->ht);
	jsonu64(&rd->j, "flag", s->flag);
	jsoni64(&rd->j, "pred", s->pred);
	jsoni64(&rd->j, "succ", s->succ);
	jsoni64(&rd->j, "base", s->base);
	jsonbptr(rd, "root", &s->root);
	jsonend(&rd->j);
}

/* The value decoded by key type into members of the current object;
 * -1 when it does not decode. */
static int
jsonval1(Render *rd, int ktype, const uint8_t *v, size_t nv)
{
	GefsBptr bp;
	GefsXdir x;
	GefsLabel l;
	GefsSnap s;
	GefsDlist dl;

	switch (ktype) {
	case GEFS_KDAT:
		if (nv != GEFS_PTRSZ)
			return -1;
		gefs_unpackbptr(&bp, v);
		jsonbptr(rd, "bptr", &bp);
		return 0;
	case GEFS_KENT:
		if (gefs_unpackxdir(&x, v, nv, NULL) < 0)
			return -1;
		jsonxdir(rd, "xdir", &x);
		return 0;
	case GEFS_KUP:
		jsonkey(rd, "parent", v, nv);
		return 0;
	case GEFS_KLABEL:
		if (gefs_unpacklabel(&l, v, nv, NULL) < 0)
			return -1;
		jsoni64(&rd->j, "gen", (int64_t)l.gen);
		jsonu64(&rd->j, "flags", l.flags);
		return 0;
	case GEFS_KSNAP:
		if (gefs_unpacksnap(&s, v, nv, NULL) < 0)
			return -1;
		jsonsnap(rd, "snap", &s);
		return 0;
	case GEFS_KDLIST:
		if (gefs_unpackdlist(&dl, v, nv, NULL) < 0)
			return -1;
		jsonhex(&rd->j, "hd", dl.hd.addr);
		jsonhex(&rd->j, "tl", dl.tl.addr);
		return 0;
	case GEFS_KCONF:
		jsonmem(&rd->j, "text", v, nv);
		return 0;
	}
	return -1;
}

void
jsonval(Render *rd, const char *key, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot)
{
	GefsBptr bp;
	uint16_t fill;

	jsonobj(&rd->j, key);
	jsonu64(&rd->j, "len", nv);
	if (pivot) {
		if (gefs_unpackpivval(&bp, &fill, v, nv, NULL) == 0) {
			jsonbptr(rd, "child", &bp);
			jsonu64(&rd->j, "fill", fill);
		} else
			jsonhexbytes(rd, "hex", v, nv);
	} else if (nk == 0 || jsonval1(rd, k[0], v, nv) < 0)
		jsonhexbytes(rd, "hex", v, nv);
	jsonend(&rd->j);
}

static void
jsonwstat(Render *rd, const uint8_t *v, size_t nv)
{
	GefsXdir x;
	int qp;
	uint8_t fl;

	memset(&x, 0, sizeof x);
	if (nv < 1 || gefs_applywstat(&x, v, nv, &qp, NULL) < 0) {
		jsonbool(&rd->j, "malformed", 1);
		jsonhexbytes(rd, "hex", v, nv);
		return;
	}
	fl = v[0];
	jsonu64(&rd->j, "flags", fl);
	if (fl & GEFS_OWSIZE)	jsonu64(&rd->j, "size", x.length);
	if (fl & GEFS_OWMODE)	jsonu64(&rd->j, "mode", x.mode);
	if (fl & GEFS_OWMTIME)	jsoni64(&rd->j, "mtime_ns", x.mtime);
	if (fl & GEFS_OWATIME)	jsoni64(&rd->j, "atime_ns", x.atime);
	if (fl & GEFS_OWUID)	jsoni64(&rd->j, "uid", x.uid);
	if (fl & GEFS_OWGID)	jsoni64(&rd->j, "gid", x.gid);
	if (fl & GEFS_OWMUID)	jsoni64(&rd->j, "muid", x.muid);
	if ((fl & GEFS_OWQPATH) && qp)
		jsonhex(&rd->j, "qpath", x.qpath);
}

/* One message as a JSON object (inside an array). */
void
jsonmsg(Render *rd, const GefsMsg *m)
{
	GefsRelink r;

	jsonobj(&rd->j, NULL);
	jsonstr(&rd->j, "op", m->op < 9 ? opnames[m->op] : "invalid");
	jsonu64(&rd->j, "opcode", m->op);
	jsonkey(rd, "key", m->k, m->nk);
	switch (m->op) {
	case GEFS_OINSERT:
		jsonval(rd, "value", m->k, m->nk, m->v, m->nv, false);
		break;
	case GEFS_OWSTAT:
		jsonobj(&rd->j, "wstat");
		jsonwstat(rd, m->v, m->nv);
		jsonend(&rd->j);
		break;
	case GEFS_ORELINK:
	case GEFS_OREPREV:
	case GEFS_OINCREF:
		if (gefs_unpackrelink(&r, m->v, m->nv, NULL) == 0) {
			jsoni64(&rd->j, "link", r.link);
			jsoni64(&rd->j, "dlbl", r.dlbl);
			jsoni64(&rd->j, "dref", r.dref);
		} else
			jsonhexbytes(rd, "hex", m->v, m->nv);
		break;
	default:
		if (m->nv > 0)
			jsonhexbytes(rd, "hex", m->v, m->nv);
	}
	jsonend(&rd->j);
}
