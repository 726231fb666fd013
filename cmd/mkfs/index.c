/* SPDX-License-Identifier: MIT */
/*
 * index — layering for gefs-mkfs -d: when there is more than one source,
 * an archive, or a placement (SRC:/PATH), every name of every source is
 * collected first into one index (path, source, attributes), sorted in
 * the namespace order the directory walk uses (depth first, names in byte
 * order: a path compared with '/' below every other byte).  Later sources
 * override earlier ones name by name; a file over a directory hides what
 * was under it; missing parents are made.  Qids are then given in index
 * order, so the image does not depend on the order of an archive's
 * members, only on the namespace; the data is read in each source's own
 * order (an archive is read front to back).
 *
 * Memory: the index is an external sort (xsort.c) with a fixed budget, so
 * it does not grow with the number of names.  Three sorted streams:
 *  - ent: one record per name as the sources give it, and one request
 *    per hard link, filed under its target's path;
 *  - add: what the first pass over ent finds: the parents to make and the
 *    hard links' targets;
 *  - load: the second pass over ent and add merged (the namespace as it
 *    will be) gives each live name its qid and files one load step, keyed
 *    by when the load does it: directories in namespace order, then each
 *    source's files in that source's order, then the hard links.
 * Both passes keep only a stack of the ancestors of the current name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "populate.h"

enum {
	IXMEM	= 2 << 20,	/* budget of each sort: about 15,000 names at
				 * ~130 bytes a record, so small trees stay
				 * in memory */
	IXMIN	= 1 << 10,	/* smallest budget $GEFS_MKFS_IXMEM may set */
	ELREQ	= 8,		/* ent: a hard link's request, at its target */
	ELRES	= 9,		/* add: the target found, at the link */
	SEPB	= 1,		/* '/' in a key: below every name byte (§12.6
				 * names hold no byte below 0x20) */
	ATTRSZ	= sizeof(GefsBulkAttr),
};

/* A name record decoded. */
typedef struct Rec {
	int		kind, src, rank;
	uint64_t	seq, tseq, nb, huid, hgid;
	GefsBulkAttr	a;
	size_t		plen;
	char		path[PATHMAX];	/* in the image */
	char		aux[PATHMAX];	/* ELINK: target (source path);
					 * ELREQ: the link's image path */
} Rec;

/* ---- records ----
 * A name: key = path ('/' as SEPB), 0, src, seq (big-endian), rank (a
 * link's resolution before the link, its request after); payload = kind,
 * attributes, nb, huid, hgid, tseq, aux length and bytes. */

static size_t
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	return 8;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
recput(Pop *p, Xsort *x, const Rec *r)
{
	uint8_t b[XSRECMAX], *o = b + 2;
	size_t i, na = strlen(r->aux), nk;

	if (r->plen + na + 64 + ATTRSZ > sizeof b)
		return perr(p, "path too long");
	for (i = 0; i < r->plen; i++)
		*o++ = r->path[i] == '/' ? SEPB : (uint8_t)r->path[i];
	*o++ = 0;
	*o++ = (uint8_t)r->src;
	o += put64(o, r->seq);
	*o++ = (uint8_t)r->rank;
	nk = (size_t)(o - b - 2);
	b[0] = (uint8_t)nk, b[1] = (uint8_t)(nk >> 8);
	*o++ = (uint8_t)r->kind;
	memcpy(o, &r->a, ATTRSZ), o += ATTRSZ;
	o += put64(o, r->nb), o += put64(o, r->huid), o += put64(o, r->hgid), o += put64(o, r->tseq);
	*o++ = (uint8_t)na, *o++ = (uint8_t)(na >> 8);
	memcpy(o, r->aux, na), o += na;
	if (xsadd(x, b, (size_t)(o - b)) < 0) {
		if (!p->fatal)
			p->nerr++;
		p->fatal = true;
		return -1;
	}
	return 0;
}

/* Decode a record that recput wrote (the temporary file is ours, but
 * still checked: a short one is an I/O error, not a crash). */
static int
recget(Pop *p, const uint8_t *b, size_t n, Rec *r)
{
	size_t nk = (size_t)(b[0] | b[1] << 8), i, na;
	const uint8_t *o;

	if (nk < 11 || n < 2 + nk + 1 + ATTRSZ + 34)
		goto bad;
	r->plen = nk - 11;
	for (i = 0; i < r->plen; i++)
		r->path[i] = b[2 + i] == SEPB ? '/' : (char)b[2 + i];
	r->path[r->plen] = 0;
	o = b + 2 + r->plen + 1;
	r->src = *o++;
	r->seq = get64(o), o += 8;
	r->rank = *o++;
	r->kind = *o++;
	memcpy(&r->a, o, ATTRSZ), o += ATTRSZ;
	r->nb = get64(o), r->huid = get64(o + 8), r->hgid = get64(o + 16), r->tseq = get64(o + 24);
	o += 32;
	na = (size_t)(o[0] | o[1] << 8);
	o += 2;
	if (na >= PATHMAX || (size_t)(o - b) + na != n || r->src >= POPMAXSRC)
		goto bad;
	memcpy(r->aux, o, na);
	r->aux[na] = 0;
	return 0;
bad:
	if (!p->fatal)
		msg("", "the index's temporary file holds a malformed record");
	p->fatal = true;
	return -1;
}

/* The image path of source path spath: the placement, then spath. */
static int
imgpath(Pop *p, const char *spath, char *out)
{
	const char *pre = p->prefix ? p->prefix : "";
	int n = snprintf(out, PATHMAX, "%s%s%s", pre, pre[0] && spath[0] ? "/" : "", spath);

	return n < 0 || n >= PATHMAX ? perr(p, "path too long") : 0;
}

/* Path in source src of image path (a placement's prefix taken off). */
const char *
ixspath(Pop *p, int src, const char *path)
{
	size_t n = strlen(p->srcpre[src]);

	if (n == 0 || strncmp(path, p->srcpre[src], n) != 0 || (path[n] != '/' && path[n] != 0))
		return path;	/* not under the placement: a parent made */
	return path[n] == '/' ? path + n + 1 : path + n;
}

static int
ixopen(Pop *p)
{
	Index *ix = &p->ix;
	const char *s = getenv("GEFS_MKFS_IXMEM");	/* tests: force spills */

	if (ix->ent != NULL)
		return 0;
	ix->budget = s ? (size_t)strtoull(s, NULL, 10) : IXMEM;
	if (ix->budget < IXMIN)
		ix->budget = IXMIN;
	if ((ix->r[0] = malloc(sizeof(Rec))) == NULL || (ix->r[1] = malloc(sizeof(Rec))) == NULL
	|| (ix->ent = xsopen(ix->budget)) == NULL) {
		p->fatal = true;
		return perr(p, "out of memory");
	}
	return 0;
}

int
ixadd(Pop *p, int kind, const char *spath, const GefsBulkAttr *a, uint64_t nb, uint64_t seq, const char *link)
{
	Rec *r;
	char tgt[PATHMAX];

	if (p->fatal || ixopen(p) < 0)
		return -1;
	r = p->ix.r[0];
	memset(r, 0, offsetof(Rec, path));
	r->kind = kind, r->src = p->cursrc, r->seq = seq, r->rank = 1;
	r->a = *a, r->nb = nb, r->huid = p->huid, r->hgid = p->hgid;
	if (imgpath(p, spath, r->path) < 0 || (link && imgpath(p, link, tgt) < 0))
		return -1;
	r->plen = strlen(r->path);
	snprintf(r->aux, sizeof r->aux, "%s", link ? link : "");
	if (recput(p, p->ix.ent, r) < 0 || link == NULL)
		return link == NULL ? 0 : -1;
	/* the request: at the target's path, naming the link */
	snprintf(r->aux, sizeof r->aux, "%s", r->path);
	snprintf(r->path, sizeof r->path, "%s", tgt);
	r->plen = strlen(r->path);
	r->kind = ELREQ, r->rank = 2;
	return recput(p, p->ix.ent, r);
}

/* Whether a hard link to tgt (in the source being read) was met before:
 * one note per link set.  A set of 64-bit hashes: 8 bytes a link set. */
bool
ixlinkseen(Pop *p, const char *tgt)
{
	Index *ix = &p->ix;
	uint64_t h = 14695981039346656037ull, *v;
	size_t i, c;
	const char *s;

	for (h ^= (uint64_t)p->cursrc, s = tgt; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	h |= 1;	/* 0 marks a free slot */
	if (2 * (ix->nlseen + 1) > ix->caplseen) {
		c = ix->caplseen ? 2 * ix->caplseen : 64;
		if ((v = calloc(c, sizeof *v)) == NULL)
			return false;	/* only a note more */
		for (i = 0; i < ix->caplseen; i++)
			if (ix->lseen[i] != 0) {
				size_t j = ix->lseen[i] & (c - 1);
				while (v[j] != 0)
					j = (j + 1) & (c - 1);
				v[j] = ix->lseen[i];
			}
		free(ix->lseen);
		ix->lseen = v, ix->caplseen = c;
	}
	for (i = h & (ix->caplseen - 1); ix->lseen[i] != 0; i = (i + 1) & (ix->caplseen - 1))
		if (ix->lseen[i] == h)
			return true;
	ix->lseen[i] = h;
	ix->nlseen++;
	return false;
}

/* ---- the ancestors' stack (both passes) ---- */

/* One path of the stack; all are prefixes of the top one's path. */
typedef struct Frame {
	size_t		plen;
	/* first pass */
	bool		orig;		/* a name of a source is here */
	int		lkind, lsrc;	/* the last of them */
	uint64_t	srcs;		/* the sources of those names */
	uint32_t	minround[POPMAXSRC];	/* children: see close1 */
	bool		hasfile;	/* the group's last file so far */
	int		fsrc;
	uint64_t	fseq, flen, fnb;
	/* second pass */
	uint64_t	ref;
} Frame;

typedef struct Stack {
	Frame		*v;
	size_t		n, cap;
	char		path[PATHMAX];	/* the top frame's */
} Stack;

static int
push(Pop *p, Stack *st, const char *path, size_t plen)
{
	Frame *v;

	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		if ((v = realloc(st->v, st->cap * sizeof *v)) == NULL) {
			p->fatal = true;
			msg("", "out of memory");
			return -1;
		}
		st->v = v;
	}
	memset(&st->v[st->n], 0, sizeof *st->v);
	st->v[st->n++].plen = plen;
	memcpy(st->path, path, plen);
	st->path[plen] = 0;
	return 0;
}

static void
pop(Stack *st)
{
	st->n--;
	st->path[st->n > 0 ? st->v[st->n - 1].plen : 0] = 0;
}

/* Is the top frame path itself or one of its ancestors? */
static bool
topunder(const Stack *st, const char *path, size_t plen)
{
	size_t f = st->v[st->n - 1].plen;

	return f == 0 || (plen >= f && memcmp(st->path, path, f) == 0 && (plen == f || path[f] == '/'));
}

/* ---- first pass: parents to make, hard links' targets ----
 * Today's rules, in rounds until none adds anything: every name whose
 * parent has no entry, or only a non-directory from an earlier source
 * than the name's, makes a directory there for its source (one per
 * source and round); the names made count in the next round.  A path's
 * names are therefore made in the first round r in which a child of a
 * qualifying source is present (originals in round 1, a name made in
 * round r in round r + 1): minround[s] is the first round a child of
 * source s is there. */

static int
made(Pop *p, const Stack *st, int src)
{
	Rec *r = p->ix.r[1];

	memset(r, 0, offsetof(Rec, path));
	r->kind = EDIR, r->src = src, r->rank = 1;
	r->a = (GefsBulkAttr){0755, 0, 0, p->uid, p->gid, GEFS_NONE, false};
	r->huid = r->hgid = UINT64_MAX;
	r->plen = st->v[st->n - 1].plen;
	memcpy(r->path, st->path, r->plen);
	r->path[r->plen] = 0;
	r->aux[0] = 0;
	return recput(p, p->ix.add, r);
}

/* The top frame is complete (all its descendants seen): make its
 * directories, tell its parent which sources are there from which round. */
static int
close1(Pop *p, Stack *st)
{
	Frame *f = &st->v[st->n - 1], *par = st->n > 1 ? f - 1 : NULL;
	uint32_t rmin = 0;
	uint64_t add = 0;
	int s;

	for (s = 0; s < POPMAXSRC; s++)
		if (f->minround[s] && (!f->orig || (f->lkind != EDIR && f->lsrc < s)) && (!rmin || f->minround[s] < rmin))
			rmin = f->minround[s];
	for (s = 0; rmin && s < POPMAXSRC; s++)
		if (f->minround[s] == rmin && (!f->orig || (f->lkind != EDIR && f->lsrc < s))) {
			add |= 1ull << s;
			if (made(p, st, s) < 0)
				return -1;
		}
	for (s = 0; par && s < POPMAXSRC; s++) {
		uint32_t r = f->srcs >> s & 1 ? 1 : add >> s & 1 ? rmin + 1 : 0;
		if (r && (!par->minround[s] || r < par->minround[s]))
			par->minround[s] = r;
	}
	pop(st);
	return 0;
}

/* Bring the stack to path: close what is not its ancestor, open frames
 * for every component down to it. */
static int
seek1(Pop *p, Stack *st, const char *path, size_t plen)
{
	size_t f;
	const char *s;

	while (!topunder(st, path, plen))
		if (close1(p, st) < 0)
			return -1;
	while ((f = st->v[st->n - 1].plen) < plen) {
		s = memchr(path + f + (f > 0), '/', plen - f - (f > 0));
		if (push(p, st, path, s ? (size_t)(s - path) : plen) < 0)
			return -1;
	}
	return 0;
}

/* A hard link's request at the top frame: the last file of the link's
 * source there before it (records of a path come by source, then
 * member number). */
static int
request(Pop *p, const Frame *f, const Rec *q)
{
	Rec *r = p->ix.r[1];

	if (!f->hasfile || f->fsrc != q->src)
		return 0;	/* unresolved: the second pass says so if it lives */
	memset(r, 0, offsetof(Rec, path));
	r->kind = ELRES, r->src = q->src, r->seq = q->seq, r->rank = 0;
	r->tseq = f->fseq, r->a.length = f->flen, r->nb = f->fnb;
	snprintf(r->path, sizeof r->path, "%s", q->aux);
	r->plen = strlen(r->path);
	r->aux[0] = 0;
	return recput(p, p->ix.add, r);
}

static int
one1(Pop *p, Stack *st, const Rec *r)
{
	Frame *f;

	if (seek1(p, st, r->path, r->plen) < 0)
		return -1;
	f = &st->v[st->n - 1];
	if (r->kind == ELREQ)
		return request(p, f, r);
	if (r->kind == EFILE) {
		f->hasfile = true;
		f->fsrc = r->src, f->fseq = r->seq, f->flen = r->a.length, f->fnb = r->nb;
	}
	f->orig = true;
	f->lkind = r->kind, f->lsrc = r->src;
	f->srcs |= 1ull << r->src;
	return 0;
}

static int
pass1(Pop *p, Stack *st)
{
	const uint8_t *b;
	size_t n;
	int rc;

	if ((p->ix.add = xsopen(p->ix.budget)) == NULL || push(p, st, "", 0) < 0)
		return -1;
	while ((rc = xsnext(p->ix.ent, &b, &n)) > 0)
		if (recget(p, b, n, p->ix.r[0]) < 0 || one1(p, st, p->ix.r[0]) < 0)
			return -1;
	while (rc == 0 && st->n > 0)
		if (close1(p, st) < 0)
			return -1;
	return rc;
}

/* ---- second pass: the namespace as it will be ---- */

/* A load step: key = phase (0 directories, 1 + source: its files,
 * 1 + POPMAXSRC: hard links), ordinal (big-endian); payload = kind, src,
 * seq, tseq, ref, pref, attributes, path length and bytes. */
enum { PHDIR = 0, PHLINK = 1 + POPMAXSRC, LKEY = 9 };

static int
loadput(Pop *p, int phase, uint64_t ord, const Rec *w, uint64_t ref, uint64_t pref)
{
	uint8_t b[XSRECMAX], *o = b;

	*o++ = LKEY, *o++ = 0;
	*o++ = (uint8_t)phase;
	o += put64(o, ord);
	*o++ = (uint8_t)(w->plen == 0 ? 0 : w->kind);
	*o++ = (uint8_t)w->src;
	o += put64(o, w->seq), o += put64(o, w->tseq), o += put64(o, ref), o += put64(o, pref);
	memcpy(o, &w->a, ATTRSZ), o += ATTRSZ;
	*o++ = (uint8_t)w->plen, *o++ = (uint8_t)(w->plen >> 8);
	memcpy(o, w->path, w->plen), o += w->plen;
	if (xsadd(p->ix.load, b, (size_t)(o - b)) < 0) {
		p->fatal = true;
		return -1;
	}
	return 0;
}

static int
loadget(Pop *p, const uint8_t *b, size_t n, Load *l, int *phase)
{
	const uint8_t *o = b + 2 + LKEY;
	size_t np;

	if (n < 2 + LKEY + 2 + 32 + ATTRSZ + 2 || b[0] != LKEY || b[1] != 0)
		goto bad;
	*phase = b[2];
	l->kind = *o++;
	l->src = *o++;
	l->seq = get64(o), l->tseq = get64(o + 8), l->ref = get64(o + 16), l->pref = get64(o + 24);
	o += 32;
	memcpy(&l->a, o, ATTRSZ), o += ATTRSZ;
	np = (size_t)(o[0] | o[1] << 8);
	o += 2;
	if (np >= PATHMAX || (size_t)(o - b) + np != n || l->src >= POPMAXSRC || *phase > PHLINK)
		goto bad;
	memcpy(l->path, o, np);
	l->path[np] = 0;
	return 0;
bad:
	msg("", "the index's temporary file holds a malformed record");
	p->fatal = true;
	return -1;
}

/* A hard link's target as the first pass found it. */
typedef struct Res {
	bool		ok;
	int		src;
	uint64_t	seq, tseq, len, nb;
} Res;

/* The hard link w lives: its target's length and blocks, or an error. */
static int
linkto(Pop *p, Rec *w, const Res *res)
{
	if (!res->ok || res->src != w->src || res->seq != w->seq) {
		snprintf(p->path, sizeof p->path, "%s", ixspath(p, w->src, w->path));
		return perr(p, "hard link to %s, which is not a file before it in the archive", w->aux);
	}
	w->tseq = res->tseq, w->a.length = res->len, w->nb = res->nb;
	return 0;
}

/* What the image needs for live name w (not the root). */
static void
count(Pop *p, const Rec *w, size_t nl)
{
	p->need.namebytes += nl;
	if (w->kind == EDIR) {
		p->need.ndir++;
		p->need.dirnamebytes += nl;
	} else {
		p->need.nfile++;
		p->need.datablocks += w->nb;
		p->totbytes += w->a.length;
	}
}

/* The last name of a path (later sources and members win): live if its
 * parent is a live directory; then counted and given its load step. */
static int
final2(Pop *p, Stack *st, Rec *w, const Res *res)
{
	const char *s = memrchr(w->path, '/', w->plen);
	size_t par = s ? (size_t)(s - w->path) : 0;
	uint64_t ref, pref;
	int ph;

	while (st->n > 0 && !topunder(st, w->path, w->plen))
		pop(st);
	if (p->a->ownermap != NULL)
		ownerof(&p->own, w->path, w->huid, w->hgid, &w->a.uid, &w->a.gid);
	if (w->plen == 0) {	/* the root: a parent only if a directory */
		if (loadput(p, PHDIR, 0, w, 0, 0) < 0)
			return -1;
		return w->kind == EDIR ? push(p, st, "", 0) : 0;
	}
	if (st->n == 0 || st->v[st->n - 1].plen != par)
		return 0;	/* under a name that is not a live directory */
	pref = st->v[st->n - 1].ref;
	ref = ++p->ix.nlive;
	if (w->kind == ELINK && linkto(p, w, res) < 0)
		return 0;	/* counted; the walk goes on to report all */
	count(p, w, w->plen - (s ? par + 1 : 0));
	ph = w->kind == EDIR ? PHDIR : w->kind == ELINK ? PHLINK : 1 + w->src;
	if (loadput(p, ph, ph == 1 + w->src && p->srctar[w->src] ? w->seq : ref, w, ref, pref) < 0)
		return -1;
	if (w->kind != EDIR)
		return 0;
	if (push(p, st, w->path, w->plen) < 0)
		return -1;
	st->v[st->n - 1].ref = ref;
	return 0;
}

/* ent (without the requests) and add merged, in key order. */
typedef struct Two {
	const uint8_t	*b[2];
	size_t		n[2];
	int		st[2];		/* xsnext's, or NEED */
} Two;

enum { NEED = 2 };

static int
keycmp(const uint8_t *a, const uint8_t *b)
{
	size_t na = (size_t)(a[0] | a[1] << 8), nb = (size_t)(b[0] | b[1] << 8);
	int c = memcmp(a + 2, b + 2, na < nb ? na : nb);

	return c != 0 ? c : (na > nb) - (na < nb);
}

static int
next2(Pop *p, Two *t, Rec *r)
{
	Xsort *x[2] = {p->ix.ent, p->ix.add};
	int i, k;

	for (;;) {
		for (i = 0; i < 2; i++)
			if (t->st[i] == NEED && (t->st[i] = xsnext(x[i], &t->b[i], &t->n[i])) < 0)
				return -1;
		if (t->st[0] == 0 && t->st[1] == 0)
			return 0;
		k = t->st[0] == 0 ? 1 : t->st[1] == 0 ? 0 : keycmp(t->b[0], t->b[1]) <= 0 ? 0 : 1;
		t->st[k] = NEED;
		if (recget(p, t->b[k], t->n[k], r) < 0)
			return -1;
		if (r->kind != ELREQ)
			return 1;
	}
}

static int
pass2(Pop *p, Stack *st)
{
	Two t = {{NULL, NULL}, {0, 0}, {NEED, NEED}};
	Res res = {0}, wres = {0};
	Rec *w = NULL, *r;
	int rc, k = 0;

	st->n = 0;
	while ((rc = next2(p, &t, r = p->ix.r[k])) > 0) {
		if (r->kind == ELRES) {
			res = (Res){true, r->src, r->seq, r->tseq, r->a.length, r->nb};
			continue;
		}
		if (w != NULL && (w->plen != r->plen || memcmp(w->path, r->path, r->plen) != 0)
		&& final2(p, st, w, &wres) < 0)
			return -1;
		w = r, wres = res, res.ok = false;
		k ^= 1;
	}
	if (rc == 0 && w != NULL && final2(p, st, w, &wres) < 0)
		return -1;
	return rc;
}

/* Sort the names, make the missing parents, override, resolve hard
 * links, count what the image needs and file the load steps. */
int
ixfinish(Pop *p)
{
	Index *ix = &p->ix;
	Stack st = {NULL, 0, 0, {0}};
	int rc;

	memset(&p->need, 0, sizeof p->need);
	p->totbytes = 0;
	if (ixopen(p) < 0)
		return -1;
	rc = xsread(ix->ent) < 0 || pass1(p, &st) < 0 || xsread(ix->add) < 0 || xsrewind(ix->ent) < 0
		|| (ix->load = xsopen(ix->budget)) == NULL || pass2(p, &st) < 0 || xsread(ix->load) < 0 ? -1 : 0;
	free(st.v);
	xsclose(ix->ent), xsclose(ix->add);
	ix->ent = ix->add = NULL;
	if (rc < 0 && !p->fatal)
		p->nerr++, p->fatal = true;
	return rc < 0 || p->nerr ? -1 : 0;
}

/* ---- loading ---- */

uint64_t
ixqid(Pop *p, uint64_t ref)
{
	return ref == 0 ? p->ix.rootq : p->ix.q0 + ref - 1;
}

static const char *
baseof(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int
loaderr(Pop *p, const Load *l)
{
	p->nerr++;
	msg("", "%s: %s", l->path[0] ? l->path : "/", gefs_errmsg(p->fs));
	return -1;
}

/* A file of directory source l->src (open as dfd). */
static int
dirfile(Pop *p, int dfd, Load *l)
{
	const char *sp = ixspath(p, l->src, l->path);
	int fd, rc = 0;

	if ((fd = openat(dfd, sp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		msg("", "%s/%s: %s", p->srcpath[l->src], sp, strerror(errno));
		return -1;
	}
	if (gefs_bulkfile(p->bulk, ixqid(p, l->pref), baseof(l->path), strlen(baseof(l->path)), &l->a, fd, NULL) < 0)
		rc = loaderr(p, l);
	else
		progress(p, &l->a, false);
	close(fd);
	return rc;
}

/* One step; dfd or t: the source of a file step, open. */
static int
step(Pop *p, Load *l, int dfd, TarRd *t)
{
	const char *b = baseof(l->path);
	uint64_t q;

	if (l->kind == 0) {
		rootattr(p, &l->a);
		p->ix.rootq = gefs_bulkroot(p->bulk, &l->a);
		return 0;
	}
	l->a.qid = ixqid(p, l->ref);
	if (l->kind == EDIR)
		return gefs_bulkdir(p->bulk, ixqid(p, l->pref), b, strlen(b), &l->a, &q) < 0 ? loaderr(p, l) : 0;
	if (l->kind == ELINK)
		return tarlink(p, l);
	return t != NULL ? tarrdfile(p, t, l) : dirfile(p, dfd, l);
}

/* Open the source of phase ph (files of source ph - 1). */
static int
srcbegin(Pop *p, int ph, int *dfd, TarRd **t)
{
	int src = ph - 1;

	if (ph == PHDIR || ph == PHLINK)
		return 0;
	if (p->srctar[src])
		return (*t = tarrdopen(p, src)) != NULL ? 0 : -1;
	if ((*dfd = open(p->srcpath[src], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		msg("", "%s: %s", p->srcpath[src], strerror(errno));
		return -1;
	}
	return 0;
}

static int
srcend(Pop *p, int *dfd, TarRd **t)
{
	int rc = 0;

	if (*dfd >= 0)
		close(*dfd);
	if (*t != NULL)
		rc = tarrdclose(p, *t);
	*dfd = -1, *t = NULL;
	return rc;
}

/* The load steps in their order: qids reserved for every live name, the
 * root and directories, each source's files, the hard links. */
int
ixload(Pop *p)
{
	Load *l = malloc(sizeof *l);
	TarRd *t = NULL;
	const uint8_t *b;
	size_t n;
	int rc, ph, cur = -1, dfd = -1;

	if (l == NULL) {
		msg("", "out of memory");
		return -1;
	}
	p->ix.q0 = gefs_bulkreserve(p->bulk, p->ix.nlive);
	while ((rc = xsnext(p->ix.load, &b, &n)) > 0) {
		if (loadget(p, b, n, l, &ph) < 0
		|| (ph != cur && (srcend(p, &dfd, &t) < 0 || srcbegin(p, cur = ph, &dfd, &t) < 0))
		|| step(p, l, dfd, t) < 0) {
			rc = -1;
			break;
		}
	}
	if (srcend(p, &dfd, &t) < 0)
		rc = -1;
	free(l);
	return rc < 0 ? -1 : 0;
}

void
ixfree(Index *ix)
{
	xsclose(ix->ent), xsclose(ix->add), xsclose(ix->load);
	free(ix->r[0]), free(ix->r[1]);
	free(ix->lseen);
	memset(ix, 0, sizeof *ix);
}
