/* SPDX-License-Identifier: MIT */
/*
 * fs — files and directories of one snapshot's tree, read side (§12, §16):
 * walking paths, stat, directory listings, file data (holes as zeros), the
 * users file that maps numeric ids to names, and manifests in the format
 * of the reference images.  Everything goes through tree.c lookups and
 * scans, so buffered messages are always applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum {
	USERSMAX	= 1 << 20,	/* the reference refuses a larger users file */
	USERLINEMAX	= 8190,		/* longer lines are cut (§16) */
	MANIFESTDEPTH	= 1024,		/* deeper directory nesting fails as damage */
};

/* Look up the Xdir under Kent key k: 0, or -1 (ENOENT when absent). */
static int
getxdir(GefsTree *t, const uint8_t *k, size_t nk, GefsXdir *d)
{
	uint8_t v[GEFS_INLMAX];
	uint16_t nv;
	char ks[128];
	GefsErr e;
	int rc;

	rc = treeget(t, k, nk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return gefs_seterr(&t->fs->err, ENOENT, "%s: no such entry", fmtkey(ks, sizeof ks, k, nk));
	if (gefs_unpackxdir(d, v, nv, &e) < 0)
		return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: %s: %s",
			(long long)t->snap.gen, fmtkey(ks, sizeof ks, k, nk), e.msg);
	return 0;
}

/* The root directory (§12.1); its absence is damage. */
static int
getroot(GefsTree *t, uint8_t *k, size_t *nk, GefsXdir *d)
{
	*nk = gefs_packentkey(k, GEFS_NONE, "", 0);
	if (getxdir(t, k, *nk, d) == 0)
		return 0;
	if (t->fs->err.code == ENOENT)
		return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: no root directory entry",
			(long long)t->snap.gen);
	return -1;
}

/* Replace (k, d), an entry, by its parent's through Kup (§9.8). */
static int
walkup(GefsTree *t, uint8_t *k, size_t *nk, GefsXdir *d)
{
	uint8_t uk[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	size_t nuk;
	GefsKey key;
	GefsErr e;
	int rc;

	if (gefs_unpackkey(&key, k, *nk, &e) < 0 || key.qid == GEFS_NONE)
		return 0;	/* the root is its own parent */
	nuk = gefs_packupkey(uk, key.qid);
	rc = treeget(t, uk, nuk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1 || gefs_unpackkey(&key, v, nv, &e) < 0 || key.type != GEFS_KENT)
		return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: Kup(0x%llx): %s",
			(long long)t->snap.gen, (unsigned long long)key.qid,
			rc == 1 ? "missing" : "value is not a Kent key");
	memcpy(k, v, nv);
	*nk = nv;
	return getxdir(t, k, *nk, d);
}

/* Walk path from the root; k/nk receive the final entry's Kent key. */
int
walkent(GefsTree *t, const char *path, uint8_t *k, size_t *nk, GefsXdir *d)
{
	const char *p = path, *q;
	size_t n;

	if (getroot(t, k, nk, d) < 0)
		return -1;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == 0)
			return 0;
		q = p;
		while (*q != 0 && *q != '/')
			q++;
		n = (size_t)(q - p);
		if (n == 1 && p[0] == '.') {
			p = q;
			continue;
		}
		if (!(d->mode & GEFS_DMDIR))
			return gefs_seterr(&t->fs->err, ENOTDIR, "%s: not a directory in the path", path);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (walkup(t, k, nk, d) < 0)
				return -1;
			p = q;
			continue;
		}
		if (n > GEFS_NAMEMAX)
			return gefs_seterr(&t->fs->err, EINVAL, "%s: element longer than %d bytes", path, GEFS_NAMEMAX);
		*nk = gefs_packentkey(k, d->qpath, p, n);
		if (getxdir(t, k, *nk, d) < 0) {
			if (t->fs->err.code == ENOENT)
				gefs_seterr(&t->fs->err, ENOENT, "%s: '%.*s' not found", path, (int)n, p);
			return -1;
		}
		p = q;
	}
}

int
gefs_walk(GefsTree *t, const char *path, GefsXdir *d)
{
	uint8_t k[GEFS_KEYMAX];
	size_t nk;

	return walkent(t, path, k, &nk, d);
}

/* Seconds as the reference's stat reports them (§12.7), without
 * overflowing near INT64_MAX. */
static int64_t
nstosec(int64_t ns)
{
	if (ns > INT64_MAX - 500000000)
		return ns / 1000000000 + (ns % 1000000000 + 500000000) / 1000000000;
	return (ns + 500000000) / 1000000000;
}

int
gefs_stat(GefsTree *t, const char *path, GefsStat *st)
{
	uint8_t k[GEFS_KEYMAX];
	size_t nk;
	GefsKey key;

	memset(st, 0, sizeof *st);
	if (walkent(t, path, k, &nk, &st->d) < 0)
		return -1;
	if (gefs_unpackkey(&key, k, nk, NULL) == 0 && key.nlen > 0) {
		memcpy(st->name, key.name, key.nlen < GEFS_NAMEMAX ? key.nlen : GEFS_NAMEMAX);
	} else
		strcpy(st->name, "/");
	gefs_username(t->fs, st->d.uid, st->uid, sizeof st->uid);
	gefs_username(t->fs, st->d.gid, st->gid, sizeof st->gid);
	gefs_username(t->fs, st->d.muid, st->muid, sizeof st->muid);
	st->mtime = nstosec(st->d.mtime);
	st->atime = nstosec(st->d.atime);
	return 0;
}

/* ---- directories ---- */

typedef struct Dent {
	char		*name;
	size_t		nlen;
	GefsXdir	d;
} Dent;

typedef struct Dlist {
	Dent		*e;
	size_t		n, cap;
} Dlist;

/* Decode one Kent pair of directory qid. */
static int
decodeent(GefsTree *t, const GefsKv *kv, GefsKey *key, GefsXdir *d)
{
	char ks[128];
	GefsErr e;

	if (gefs_unpackkey(key, kv->k, kv->nk, &e) < 0 || gefs_namecheck(key->name, key->nlen, &e) < 0
	    || gefs_unpackxdir(d, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: %s: %s",
			(long long)t->snap.gen, fmtkey(ks, sizeof ks, kv->k, kv->nk), e.msg);
	return 0;
}

static int
dlistadd(Gefs *fs, Dlist *l, const GefsKey *key, const GefsXdir *d)
{
	Dent *ne;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		ne = realloc(l->e, l->cap * sizeof *ne);
		if (ne == NULL)
			return gefs_seterr(&fs->err, ENOMEM, "readdir: out of memory");
		l->e = ne;
	}
	l->e[l->n].name = malloc(key->nlen + 1);
	if (l->e[l->n].name == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "readdir: out of memory");
	memcpy(l->e[l->n].name, key->name, key->nlen);
	l->e[l->n].name[key->nlen] = 0;
	l->e[l->n].nlen = key->nlen;
	l->e[l->n].d = *d;
	l->n++;
	return 0;
}

static void
dlistfree(Dlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
}

/* strcmp order; names hold no NUL, so byte order then length. */
static int
dentcmp(const void *a, const void *b)
{
	const Dent *x = a, *y = b;

	return gefs_keycmp((const uint8_t *)x->name, x->nlen, (const uint8_t *)y->name, y->nlen);
}

/* An entry that does not decode, read past: report it as damage. */
static void
entdamage(GefsTree *t, const GefsKv *kv)
{
	GefsDamage dm;

	memset(&dm, 0, sizeof dm);
	dm.kind = GEFS_DMKEY;
	dm.addr = GEFS_NONE;
	dm.lo = kv->k;
	dm.nlo = kv->nk;
	treedamage(t, &dm);
}

/* Stream the children of qid in key order: to fn, or into l if l. */
static int
scandir(GefsTree *t, uint64_t qid, GefsDirFn fn, void *arg, Dlist *l)
{
	uint8_t pfx[GEFS_KEYMAX];
	char name[GEFS_KEYMAX];
	GefsScan *s;
	GefsKv kv;
	GefsKey key;
	GefsXdir d;
	int rc;

	s = gefs_scanprefix(t, pfx, gefs_packentpfx(pfx, qid));
	if (s == NULL)
		return -1;
	while ((rc = gefs_scannext(s, &kv)) == 1) {
		if ((rc = decodeent(t, &kv, &key, &d)) < 0 && t->dmfn != NULL) {
			entdamage(t, &kv);
			continue;
		}
		if (rc < 0)
			break;
		if (l != NULL) {
			if ((rc = dlistadd(t->fs, l, &key, &d)) < 0)
				break;
			continue;
		}
		memcpy(name, key.name, key.nlen);
		name[key.nlen] = 0;
		if ((rc = fn(arg, name, key.nlen, &d)) != 0)
			break;
	}
	gefs_scanfree(s);
	return rc;
}

int
gefs_readdirqid(GefsTree *t, uint64_t qid, bool sorted, GefsDirFn fn, void *arg)
{
	Dlist l = { NULL, 0, 0 };
	size_t i;
	int rc;

	if (!sorted)
		return scandir(t, qid, fn, arg, NULL);
	rc = scandir(t, qid, fn, arg, &l);
	if (rc == 0 && l.n > 1)
		qsort(l.e, l.n, sizeof l.e[0], dentcmp);
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = fn(arg, l.e[i].name, l.e[i].nlen, &l.e[i].d);
	dlistfree(&l);
	return rc;
}

int
gefs_readdir(GefsTree *t, const char *path, GefsDirFn fn, void *arg)
{
	GefsXdir d;

	if (gefs_walk(t, path, &d) < 0)
		return -1;
	if (!(d.mode & GEFS_DMDIR))
		return gefs_seterr(&t->fs->err, ENOTDIR, "%s: not a directory", path);
	return gefs_readdirqid(t, d.qpath, true, fn, arg);
}

/* ---- file data ---- */

/* File block bo of f cannot be read (the error is in the handle):
 * strict, -1; past damage, its n bytes in buf read as zeros. */
static int
datdamage(GefsTree *t, const GefsXdir *f, uint64_t bo, uint64_t addr, uint8_t *buf, size_t n)
{
	GefsDamage dm;

	if (t->dmfn == NULL)
		return -1;
	memset(buf, 0, n);
	memset(&dm, 0, sizeof dm);
	dm.kind = GEFS_DMDATA;
	dm.addr = addr;
	dm.qid = f->qpath;
	dm.off = bo;
	dm.len = f->length - bo < GEFS_BLKSZ ? f->length - bo : GEFS_BLKSZ;
	treedamage(t, &dm);
	return 0;
}

/* Copy bytes [o, o+n) of the block at file offset bo into buf. */
static int
readblk(GefsTree *t, const GefsXdir *f, uint64_t bo, size_t o, size_t n, uint8_t *buf)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	GefsBptr bp;
	Blk *b;
	int rc;

	rc = treeget(t, k, gefs_packdatkey(k, f->qpath, bo), v, &nv);
	if (rc < 0)
		return datdamage(t, f, bo, GEFS_NONE, buf, n);
	if (rc == 1) {
		memset(buf, 0, n);	/* a hole (§12.4) */
		return 0;
	}
	if (nv != GEFS_PTRSZ) {
		gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: Kdat(0x%llx, 0x%llx): value is %u bytes, not 24",
			(long long)t->snap.gen, (unsigned long long)f->qpath, (unsigned long long)bo, nv);
		return datdamage(t, f, bo, GEFS_NONE, buf, n);
	}
	gefs_unpackbptr(&bp, v);
	b = getblk(t->fs, &bp, GEFS_TDAT);
	if (b == NULL && t->fs->hasxrec && (t->fs->xrec.flags & GEFS_XFMETA))
		return gefs_seterr(&t->fs->err, ENODATA, "Kdat(0x%llx, 0x%llx): data not present in a metadata image",
			(unsigned long long)f->qpath, (unsigned long long)bo);	/* gefs-image wrote a hole */
	if (b == NULL) {
		gefs_wraperr(&t->fs->err, "Kdat(0x%llx, 0x%llx)", (unsigned long long)f->qpath,
			(unsigned long long)bo);
		return datdamage(t, f, bo, bp.addr, buf, n);
	}
	memcpy(buf, b->buf + o, n);
	putblk(t->fs, b);
	return 0;
}

int64_t
gefs_read(GefsTree *t, const GefsXdir *f, uint64_t off, void *buf, size_t n)
{
	uint8_t *p = buf;
	uint64_t bo;
	size_t o, m, done = 0;

	if (f->mode & GEFS_DMDIR)
		return gefs_seterr(&t->fs->err, EISDIR, "read: qid 0x%llx is a directory",
			(unsigned long long)f->qpath);
	if (off >= f->length)
		return 0;
	if (n > f->length - off)
		n = (size_t)(f->length - off);
	if (n > INT64_MAX)
		n = INT64_MAX;
	while (done < n) {
		bo = (off + done) & ~(uint64_t)(GEFS_BLKSZ - 1);
		o = (size_t)(off + done - bo);
		m = GEFS_BLKSZ - o;
		if (m > n - done)
			m = n - done;
		if (readblk(t, f, bo, o, m, p + done) < 0)
			return -1;
		done += m;
	}
	return (int64_t)done;
}

/* ---- the users file (§16) ---- */

typedef struct User {
	int32_t		id;
	char		*name;
} User;

struct Users {
	User		*u;
	size_t		n, cap;
};

static void
usfree(struct Users *us)
{
	size_t i;

	if (us == NULL)
		return;
	for (i = 0; i < us->n; i++)
		free(us->u[i].name);
	free(us->u);
	free(us);
}

void
usersfree(Gefs *fs)
{
	usfree(fs->users);
	fs->users = NULL;
}

/* Like C atol (and the reference): blanks, sign, digits; wraps to 32 bits. */
static int32_t
parseid(const char *s, const char *e)
{
	uint32_t v = 0;
	bool neg = false;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s < e && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	while (s < e && *s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return (int32_t)(neg ? 0u - v : v);
}

static int
useradd(struct Users *us, int32_t id, const char *name, size_t n)
{
	User *nu;

	if (us->n == us->cap) {
		nu = realloc(us->u, (us->cap ? 2 * us->cap : 8) * sizeof *nu);
		if (nu == NULL)
			return -1;
		us->u = nu;
		us->cap = us->cap ? 2 * us->cap : 8;
	}
	us->u[us->n].name = strndup(name, n);
	if (us->u[us->n].name == NULL)
		return -1;
	us->u[us->n++].id = id;
	return 0;
}

/* Parse one line (without its newline): "id:name:leader:members". */
static int
parseline(Gefs *fs, struct Users *us, const char *s, size_t n, int lineno)
{
	const char *c[3], *e = s + n;
	int i;

	if (n > USERLINEMAX)
		e = s + USERLINEMAX;
	if (s == e || *s == '#')
		return 0;
	c[0] = memchr(s, ':', (size_t)(e - s));
	c[1] = c[0] ? memchr(c[0] + 1, ':', (size_t)(e - c[0] - 1)) : NULL;
	c[2] = c[1] ? memchr(c[1] + 1, ':', (size_t)(e - c[1] - 1)) : NULL;
	for (i = 0; i < 3; i++)
		if (c[i] == NULL) {
			fswarn(fs, "users file: line %d: fewer than four fields, ignored", lineno);
			return 0;
		}
	if (c[1] == c[0] + 1)
		return 0;	/* no name to show */
	return useradd(us, parseid(s, c[0]), c[0] + 1, (size_t)(c[1] - c[0] - 1));
}

static int
parseusers(Gefs *fs, struct Users *us, const char *text, size_t n)
{
	const char *p = text, *nl;
	int lineno = 1;

	/* a last line without a newline is ignored, as by the reference */
	while ((nl = memchr(p, '\n', n - (size_t)(p - text))) != NULL) {
		if (parseline(fs, us, p, (size_t)(nl - p), lineno++) < 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* Read /users of adm into a malloc'd buffer. */
static char *
readusers(Gefs *fs, size_t *n)
{
	GefsTree *t;
	GefsXdir d;
	char *text = NULL;
	int64_t r;

	t = gefs_opentree(fs, "adm");
	if (t == NULL)
		return NULL;
	if (gefs_walk(t, "/users", &d) < 0)
		goto out;
	if ((d.mode & GEFS_DMDIR) || d.length >= USERSMAX) {
		gefs_seterr(&fs->err, EBADMSG, "adm: /users is %s", (d.mode & GEFS_DMDIR) ? "a directory" : "1 MiB or longer");
		goto out;
	}
	text = malloc(d.length + 1);
	if (text == NULL) {
		gefs_seterr(&fs->err, ENOMEM, "users file: out of memory");
		goto out;
	}
	r = gefs_read(t, &d, 0, text, d.length);
	if (r < 0) {
		free(text);
		text = NULL;
		goto out;
	}
	*n = (size_t)r;
out:
	gefs_closetree(t);
	return text;
}

/* The reference's built-in table, used when /users cannot be read. */
static int
fallbackusers(struct Users *us)
{
	return useradd(us, -1, "adm", 3) < 0 || useradd(us, 0, "none", 4) < 0 ? -1 : 0;
}

/* Parse /users once; failures become a warning and the fallback table.
 * The handle's error is left as it was. */
static void
loadusers(Gefs *fs)
{
	GefsErr saved = fs->err;
	struct Users *us;
	char *text;
	size_t n = 0;

	us = calloc(1, sizeof *us);
	if (us == NULL)
		return;
	text = readusers(fs, &n);
	if (text == NULL) {
		fswarn(fs, "users file: %s; using the built-in table", fs->err.msg);
		if (fallbackusers(us) < 0)
			us->n = 0;
	} else if (parseusers(fs, us, text, n) < 0)
		fswarn(fs, "users file: out of memory while parsing");
	free(text);
	fs->users = us;
	fs->err = saved;
}

int
gefs_username(Gefs *fs, int32_t id, char *buf, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (fs->users == NULL)
		loadusers(fs);
	for (i = 0; fs->users != NULL && i < fs->users->n; i++)
		if (fs->users->u[i].id == id) {
			snprintf(buf, n, "%s", fs->users->u[i].name);
			return 0;
		}
	snprintf(buf, n, "%d", (int)id);
	return 1;
}

int
userid(Gefs *fs, const char *name, int32_t *id)
{
	size_t i;

	if (fs->users == NULL)
		loadusers(fs);
	for (i = 0; fs->users != NULL && i < fs->users->n; i++)
		if (strcmp(fs->users->u[i].name, name) == 0) {
			*id = fs->users->u[i].id;
			return 0;
		}
	return gefs_seterr(&fs->err, ENOENT, "user \"%.*s\" is not in the users file", GEFS_USERMAX, name);
}

int
usersset(Gefs *fs, const char *text, size_t n)
{
	struct Users *us;

	us = calloc(1, sizeof *us);
	if (us == NULL || parseusers(fs, us, text, n) < 0) {
		usfree(us);
		return gefs_seterr(&fs->err, ENOMEM, "users file: out of memory");
	}
	usersfree(fs);
	fs->users = us;
	return 0;
}

/* ---- the users file, strictly (§16): what the reference's loader refuses ---- */

typedef struct Names {
	char		**v;
	size_t		n, cap;
} Names;

static int
nameadd(Names *l, const char *s, size_t n)
{
	char **nv;

	if (l->n == l->cap) {
		nv = realloc(l->v, (l->cap ? 2 * l->cap : 16) * sizeof *nv);
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = l->cap ? 2 * l->cap : 16;
	}
	if ((l->v[l->n] = strndup(s, n)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static bool
namein(const Names *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void
namesfree(Names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The names of one line (without its newline, cut to USERLINEMAX) into
 * def (the user) and ref (its leader and members); "" or the problem. */
static int
checkline(const char *p, const char *e, int line, Names *def, Names *ref, char *why, size_t nwhy)
{
	const char *c1, *c2, *c3, *q, *r, *end;

	c1 = memchr(p, ':', (size_t)(e - p));
	c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;
	c3 = c2 ? memchr(c2 + 1, ':', (size_t)(e - c2 - 1)) : NULL;
	if (c3 == NULL)
		return snprintf(why, nwhy, "line %d: fewer than four fields", line), -1;
	if (c3 - c2 - 1 == 4 && memcmp(c2 + 1, "none", 4) == 0)
		return snprintf(why, nwhy, "line %d: the leader is none", line), -1;
	if (nameadd(def, c1 + 1, (size_t)(c2 - c1 - 1)) < 0
	    || (c3 > c2 + 1 && nameadd(ref, c2 + 1, (size_t)(c3 - c2 - 1)) < 0))
		return snprintf(why, nwhy, "out of memory"), -1;
	r = memchr(c3 + 1, ':', (size_t)(e - c3 - 1));
	for (q = c3 + 1, r = r ? r : e; q < r; q = end + 1) {
		end = memchr(q, ',', (size_t)(r - q));
		end = end ? end : r;
		if (end > q && nameadd(ref, q, (size_t)(end - q)) < 0)
			return snprintf(why, nwhy, "out of memory"), -1;
	}
	return 0;
}

const char *
userscheck(const char *text, size_t n, char *why, size_t nwhy)
{
	Names def = {NULL, 0, 0}, ref = {NULL, 0, 0};
	const char *p = text, *nl, *e;
	int line = 0;
	size_t i;

	why[0] = 0;
	while ((nl = memchr(p, '\n', n - (size_t)(p - text))) != NULL) {
		line++;
		e = nl - p > USERLINEMAX ? p + USERLINEMAX : nl;
		if (p != e && *p != '#' && checkline(p, e, line, &def, &ref, why, nwhy) < 0)
			break;
		p = nl + 1;
	}
	for (i = 0; why[0] == 0 && i < ref.n; i++)
		if (!namein(&def, ref.v[i]))
			snprintf(why, nwhy, "user \"%.64s\" is named as a leader or member but not defined", ref.v[i]);
	namesfree(&def);
	namesfree(&ref);
	return why[0] ? why : NULL;
}

/* ---- manifests ---- */

typedef struct Mf {
	GefsTree	*t;
	FILE		*out;
	char		*path;
	size_t		npath, cap;
	uint64_t	anc[MANIFESTDEPTH];	/* qids of the directories above */
	int		depth;
	int		werr;			/* a write to out failed */
} Mf;

/* SHA-256 of the whole file, in hex.  Holes hash like data, so the work
 * is the file's length, not its allocated blocks: a length beyond
 * HASHMAXDEV times the device size (almost all hole, or a damaged length
 * field) is refused with EFBIG rather than hashed for hours. */
enum { HASHMAXDEV = 16 };

static int
filesum(GefsTree *t, const GefsXdir *d, char hex[65])
{
	uint8_t buf[GEFS_BLKSZ], dg[32];
	uint64_t off = 0, max = gefs_devsize(t->fs);
	int64_t r;
	Sha256 s;

	max = max > UINT64_MAX / HASHMAXDEV ? UINT64_MAX : max * HASHMAXDEV;
	if (d->length > max)
		return gefs_seterr(&t->fs->err, EFBIG, "qid 0x%llx: length %llu is more than %d times "
			"the device size; not hashing it", (unsigned long long)d->qpath,
			(unsigned long long)d->length, HASHMAXDEV);
	sha256init(&s);
	while (off < d->length) {
		r = gefs_read(t, d, off, buf, sizeof buf);
		if (r <= 0)
			return r < 0 ? -1 : gefs_seterr(&t->fs->err, EIO, "read: short file");
		sha256update(&s, buf, (size_t)r);
		off += (uint64_t)r;
	}
	sha256final(&s, dg);
	sha256hex(dg, hex);
	return 0;
}

/* Damage found from here on is under m's current path (the path
 * buffer moves as it grows, so it is set again before each read). */
static void
mfwhere(Mf *m)
{
	m->t->dmpath = m->path;
	m->t->ndmpath = m->npath;
}

static int
mfline(Mf *m, const GefsXdir *d)
{
	char uid[GEFS_USERMAX + 1], gid[GEFS_USERMAX + 1], muid[GEFS_USERMAX + 1], sum[65];
	bool dir = (d->mode & GEFS_DMDIR) != 0;

	uint64_t nd = m->t->ndamage;

	mfwhere(m);
	if (dir || (m->t->fs->hasxrec && (m->t->fs->xrec.flags & GEFS_XFMETA)))
		strcpy(sum, "-");	/* a directory, or a metadata image: no data to hash */
	else if (filesum(m->t, d, sum) < 0)
		return gefs_wraperr(&m->t->fs->err, "%.*s", (int)m->npath, m->path);
	if (m->t->ndamage != nd)
		strcpy(sum, "?");	/* some bytes read as zeros past damage */
	gefs_username(m->t->fs, d->uid, uid, sizeof uid);
	gefs_username(m->t->fs, d->gid, gid, sizeof gid);
	gefs_username(m->t->fs, d->muid, muid, sizeof muid);
	if (fwrite(m->path, 1, m->npath, m->out) != m->npath
	    || fprintf(m->out, "\t%c\t%o\t%llu\t%s\t%s\t%s\t%lld\t%llx\t%u\t%s\n",
			dir ? 'd' : 'f', (unsigned)d->mode, (unsigned long long)d->length,
			uid, gid, muid, (long long)nstosec(d->mtime),
			(unsigned long long)d->qpath, (unsigned)d->qvers, sum) < 0) {
		m->werr = 1;
		return gefs_seterr(&m->t->fs->err, EIO, "manifest: write failed");
	}
	return 0;
}

static int mfdir(Mf *m, const GefsXdir *d);

/* One child: print it, descend into directories. */
static int
mfchild(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Mf *m = arg;
	size_t old = m->npath, need = old + 1 + nlen + 1;
	char *np;
	int rc;

	if (need > m->cap) {
		np = realloc(m->path, need * 2);
		if (np == NULL)
			return gefs_seterr(&m->t->fs->err, ENOMEM, "manifest: out of memory");
		m->path = np;
		m->cap = need * 2;
	}
	if (!(old == 1 && m->path[0] == '/'))
		m->path[m->npath++] = '/';
	memcpy(m->path + m->npath, name, nlen);
	m->npath += nlen;
	rc = mfline(m, d);
	if (rc == 0 && (d->mode & GEFS_DMDIR))
		rc = mfdir(m, d);
	m->npath = old;
	return rc;
}

/* The children of directory d, refusing loops and absurd depth. */
static int
mfdir(Mf *m, const GefsXdir *d)
{
	int i, rc;

	for (i = 0; i < m->depth; i++)
		if (m->anc[i] == d->qpath)
			return gefs_seterr(&m->t->fs->err, EBADMSG, "%.*s: directory qid 0x%llx contains itself",
				(int)m->npath, m->path, (unsigned long long)d->qpath);
	if (m->depth == MANIFESTDEPTH)
		return gefs_seterr(&m->t->fs->err, EBADMSG, "%.*s: directories nested deeper than %d",
			(int)m->npath, m->path, MANIFESTDEPTH);
	m->anc[m->depth++] = d->qpath;
	mfwhere(m);
	rc = gefs_readdirqid(m->t, d->qpath, true, mfchild, m);
	m->depth--;
	return rc;
}

/* Canonical form of path into m->path: "/" or "/a/b"; ".." is lexical. */
static int
mfpath(Mf *m, const char *path)
{
	const char *p = path, *q;
	size_t n;

	m->cap = strlen(path) + 2;
	m->path = malloc(m->cap);
	if (m->path == NULL)
		return gefs_seterr(&m->t->fs->err, ENOMEM, "manifest: out of memory");
	m->npath = 0;
	for (; *p != 0; p = q) {
		while (*p == '/')
			p++;
		for (q = p; *q != 0 && *q != '/'; q++)
			;
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (m->npath > 0 && m->path[--m->npath] != '/')
				;
			continue;
		}
		m->path[m->npath++] = '/';
		memcpy(m->path + m->npath, p, n);
		m->npath += n;
	}
	if (m->npath == 0)
		m->path[m->npath++] = '/';
	m->path[m->npath] = 0;
	return 0;
}

int
gefs_manifest(GefsTree *t, const char *path, FILE *out)
{
	Mf *m;
	GefsXdir d;
	int rc = -1;

	m = calloc(1, sizeof *m);
	if (m == NULL)
		return gefs_seterr(&t->fs->err, ENOMEM, "manifest: out of memory");
	m->t = t;
	m->out = out;
	if (mfpath(m, path) < 0 || gefs_walk(t, m->path, &d) < 0)
		goto out;
	rc = mfline(m, &d);
	if (rc == 0 && (d.mode & GEFS_DMDIR))
		rc = mfdir(m, &d);
	if (rc == 0 && fflush(out) != 0)
		rc = gefs_seterr(&t->fs->err, EIO, "manifest: write failed");
out:
	t->dmpath = NULL;
	t->ndmpath = 0;
	free(m->path);
	free(m);
	return rc == 0 ? 0 : -1;
}
