/* SPDX-License-Identifier: MIT */
/*
 * fswrite — files and directories of one snapshot's tree, write side
 * (§12.5–§12.7, §16): create, mkdir, write, truncate, remove, rename and
 * move, wstat, and the users file of adm.  Each operation builds the
 * message batch the reference's file server upserts (§12.5) and hands it
 * to the engine's treeupsert; reads go through tree.c, so they see every
 * message upserted before.  Only messages every reference revision
 * accepts are written (§24 #26, §27.1): Oclearb and Oclobber only for keys
 * a lookup or scan has just found, Odelete with an empty operand, Owstat
 * without bit 0x80.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

enum {
	B		= GEFS_BLKSZ,
	BATCHMAX	= 256,		/* messages per upsert call */
	MSGROOM		= GEFS_KEYMAX + GEFS_KEYMAX,	/* key + largest value we write (a Kup value is a key) */
	WSTEP		= 64,		/* data blocks per write step: 1 MiB, one Owstat each */
	USERSMAX	= 1 << 20,	/* the reference refuses a users file this long (§16) */
	UPMAX		= 1 << 20,	/* Kup steps before a parent chain counts as a loop */
};

/* One upsert batch of a file operation: messages with their bytes
 * (cap of each, BATCHMAX but for a GefsBatch). */
typedef struct Mb {
	GefsTree	*t;
	int		n, cap;
	GefsMsg		*m;
	uint8_t		(*room)[MSGROOM];
} Mb;

/* An entry and its parent, found from a path. */
typedef struct Ent {
	uint8_t		k[GEFS_KEYMAX];		/* Kent(P, name) */
	size_t		nk;
	GefsXdir	d;
	uint8_t		pk[GEFS_KEYMAX];	/* the parent's own Kent key */
	size_t		npk;
	GefsXdir	pd;
	const char	*name;			/* last element, inside the path */
	size_t		nlen;
} Ent;

/* ---- who, when, and whether we may write ---- */

void
gefs_setclock(Gefs *fs, int64_t ns)
{
	fs->wclock = ns;
	fs->wclockset = true;
}

int
gefs_setuser(Gefs *fs, const char *name)
{
	int32_t id;

	if (userid(fs, name, &id) < 0)
		return -1;
	fs->wuid = id;
	fs->wuidset = true;
	return 0;
}

/* SOURCE_DATE_EPOCH in ns when it is a valid number of seconds. */
static bool
epochenv(int64_t *ns)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != 0 || v > INT64_MAX / 1000000000)
		return false;
	*ns = (int64_t)v * 1000000000;
	return true;
}

static int64_t
now(Gefs *fs)
{
	struct timespec ts;
	int64_t ns;

	if (fs->wclockset)
		return fs->wclock;
	if (epochenv(&ns))
		return ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The acting user: set, else adm's id from the users file, else −1 (the
 * formatter's adm, §16). */
static int32_t
actor(Gefs *fs)
{
	GefsErr saved = fs->err;
	int32_t id;

	if (fs->wuidset)
		return fs->wuid;
	if (userid(fs, "adm", &id) < 0) {
		fs->err = saved;
		id = -1;
	}
	return id;
}

static int
writable(GefsTree *t, const char *path)
{
	if (!t->fs->opts.rdwr)
		return gefs_seterr(&t->fs->err, EROFS, "%s: the image is open read-only", path);
	if (t->snaptree)
		return gefs_seterr(&t->fs->err, EROFS, "%s: the snapshot tree holds no files", path);
	if (!t->writable)
		return gefs_seterr(&t->fs->err, EROFS, "%s: the tree was not opened through a mutable label", path);
	return 0;
}

/* ---- batches ---- */

/* A batch of cap messages, one allocation (free()d as one). */
static Mb *
mbnewn(GefsTree *t, int cap)
{
	Mb *b = malloc(sizeof *b + (size_t)cap * (sizeof *b->m + MSGROOM));

	if (b == NULL) {
		gefs_seterr(&t->fs->err, ENOMEM, "out of memory");
		return NULL;
	}
	b->t = t;
	b->n = 0;
	b->cap = cap;
	b->m = (GefsMsg *)(b + 1);
	b->room = (uint8_t (*)[MSGROOM])(b->m + cap);
	return b;
}

static Mb *
mbnew(GefsTree *t)
{
	return mbnewn(t, BATCHMAX);
}

/* Stable insertion sort by key: the reference sorts every batch so, and
 * messages for one key keep their order (§10.2). */
static void
mbsort(Mb *b)
{
	GefsMsg x;
	int i, j;

	for (i = 1; i < b->n; i++) {
		x = b->m[i];
		for (j = i; j > 0 && gefs_keycmp(b->m[j - 1].k, b->m[j - 1].nk, x.k, x.nk) > 0; j--)
			b->m[j] = b->m[j - 1];
		b->m[j] = x;
	}
}

static int
mbflush(Mb *b)
{
	int rc;

	if (b->n == 0)
		return 0;
	mbsort(b);
	rc = treeupsert(b->t, b->m, b->n);
	b->n = 0;
	return rc;
}

/* Queue one message; the batch is flushed first when full. */
static int
mbadd(Mb *b, int op, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	uint8_t *r;

	if (b->n == b->cap && mbflush(b) < 0)
		return -1;
	r = b->room[b->n];
	memcpy(r, k, nk);
	if (nv > 0)
		memcpy(r + nk, v, nv);
	b->m[b->n] = (GefsMsg){(uint8_t)op, r, (uint16_t)nk, r + nk, (uint16_t)nv};
	b->n++;
	return 0;
}

/* Owstat of flags with fields from d on Kent key k. */
static int
addwstat(Mb *b, const uint8_t *k, size_t nk, uint8_t flags, const GefsXdir *d)
{
	uint8_t v[GEFS_WSTATMAX];

	return mbadd(b, GEFS_OWSTAT, k, nk, v, gefs_packwstat(v, flags, d));
}

/* The "touch" of a directory whose entries changed: qid.vers += 1. */
static int
touch(Mb *b, const uint8_t *k, size_t nk)
{
	GefsXdir none;

	memset(&none, 0, sizeof none);
	return addwstat(b, k, nk, 0, &none);
}

/* ---- finding entries ---- */

/* Look up the Xdir under Kent key k: 0 found, 1 absent, -1 error. */
static int
entget(GefsTree *t, const uint8_t *k, size_t nk, GefsXdir *d)
{
	uint8_t v[GEFS_INLMAX];
	uint16_t nv;
	int rc;

	rc = treeget(t, k, nk, v, &nv);
	if (rc != 0)
		return rc;
	if (gefs_unpackxdir(d, v, nv, &t->fs->err) < 0)
		return gefs_wraperr(&t->fs->err, "tree of snapshot %lld", (long long)t->snap.gen);
	return 0;
}

/* Split path into its parent (walked, must be a directory) and a valid
 * last element; the entry itself is looked up: 0 present, 1 absent. */
static int
entfind(GefsTree *t, const char *path, Ent *e)
{
	size_t n = strlen(path), i;
	char *dir;
	int rc;

	while (n > 0 && path[n - 1] == '/')
		n--;
	for (i = n; i > 0 && path[i - 1] != '/'; i--)
		;
	e->name = path + i;
	e->nlen = n - i;
	if (e->nlen == 0)
		return gefs_seterr(&t->fs->err, EINVAL, "%s: names the root directory", path);
	if (gefs_namecheck((const uint8_t *)e->name, e->nlen, &t->fs->err) < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	if ((dir = strndup(path, i)) == NULL)
		return gefs_seterr(&t->fs->err, ENOMEM, "out of memory");
	rc = walkent(t, dir, e->pk, &e->npk, &e->pd);
	free(dir);
	if (rc < 0)
		return -1;
	if (!(e->pd.mode & GEFS_DMDIR))
		return gefs_seterr(&t->fs->err, ENOTDIR, "%s: parent is not a directory", path);
	e->nk = gefs_packentkey(e->k, e->pd.qpath, e->name, e->nlen);
	return entget(t, e->k, e->nk, &e->d);
}

/* entfind, failing with ENOENT when the entry is absent. */
static int
entmust(GefsTree *t, const char *path, Ent *e)
{
	int rc = entfind(t, path, e);

	if (rc == 1)
		return gefs_seterr(&t->fs->err, ENOENT, "%s: no such file or directory", path);
	return rc;
}

/* Is e the users file of adm (§16): "users" in the root of the tree
 * opened through the label adm? */
static bool
isusers(GefsTree *t, const Ent *e)
{
	return e->nlen == 5 && memcmp(e->name, "users", 5) == 0 && e->npk == 12
	    && gefs_get64(e->pk + 1) == GEFS_NONE && strcmp(t->label, "adm") == 0;
}

/* ---- data blocks ---- */

/* The Kdat pointer of block bo of qid: 1 with *bp, 0 absent, -1 error. */
static int
datget(GefsTree *t, uint64_t qid, uint64_t bo, GefsBptr *bp)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	int rc;

	rc = treeget(t, k, gefs_packdatkey(k, qid, bo), v, &nv);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (nv != GEFS_PTRSZ)
		return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: Kdat(0x%llx, 0x%llx): value is %u bytes, not 24",
			(long long)t->snap.gen, (unsigned long long)qid, (unsigned long long)bo, nv);
	gefs_unpackbptr(bp, v);
	return 1;
}

/* The bytes of block bo of file f that lie inside its length (the rest
 * zero: a truncate may have left old bytes there, §12.4); 1 when the
 * block exists, 0 for a hole. */
static int
datload(GefsTree *t, const GefsXdir *f, uint64_t bo, uint8_t *buf)
{
	GefsBptr bp;
	Blk *bk;
	size_t keep;
	int rc;

	memset(buf, 0, B);
	if (bo >= f->length)
		return 0;	/* a Kdat key past the length holds nothing (§12.4) */
	if ((rc = datget(t, f->qpath, bo, &bp)) <= 0)
		return rc;
	if ((bk = getblk(t->fs, &bp, GEFS_TDAT)) == NULL)
		return gefs_wraperr(&t->fs->err, "Kdat(0x%llx, 0x%llx)", (unsigned long long)f->qpath,
			(unsigned long long)bo);
	keep = f->length - bo < B ? (size_t)(f->length - bo) : B;
	memcpy(buf, bk->buf, keep);
	putblk(t->fs, bk);
	return 1;
}

/* Write the n bytes of buf (zeros after them) as block bo of qid: a new
 * data block (placed as §5.5 says: full when the write reaches the
 * block's end), and Oinsert Kdat.  The
 * block it replaces is released by the engine when the message reaches
 * the leaf holding the old pointer (§10.5). */
static int
datputn(Mb *b, uint64_t qid, uint64_t bo, const uint8_t *buf, size_t n, bool full)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	GefsBptr bp;

	if (datawriteq(b->t->fs, qid, full, buf, n, &bp) < 0)
		return -1;
	gefs_packbptr(v, &bp);
	return mbadd(b, GEFS_OINSERT, k, gefs_packdatkey(k, qid, bo), v, sizeof v);
}

/* datputn of a whole block image. */
static int
datput(Mb *b, uint64_t qid, uint64_t bo, const uint8_t *buf, bool full)
{
	return datputn(b, qid, bo, buf, B, full);
}

/* Oclearb for every Kdat key of qid at offsets [lo, hi) that exists,
 * BATCHMAX at a time: the scan is closed before each upsert. */
static int
datclear(Mb *b, uint64_t qid, uint64_t lo, uint64_t hi)
{
	uint8_t klo[GEFS_KEYMAX], khi[GEFS_KEYMAX], k[GEFS_KEYMAX];
	uint64_t offs[BATCHMAX];
	GefsScan *s;
	GefsKv kv;
	int i, n, rc;

	do {
		if ((s = gefs_scan(b->t, klo, gefs_packdatkey(klo, qid, lo), khi, gefs_packdatkey(khi, qid, hi))) == NULL)
			return -1;
		for (n = 0; n < BATCHMAX && (rc = gefs_scannext(s, &kv)) == 1 && kv.nk == 17; n++)
			offs[n] = gefs_get64(kv.k + 9);
		gefs_scanfree(s);
		if (n < BATCHMAX && rc == 1)
			return gefs_seterr(&b->t->fs->err, EBADMSG, "tree of snapshot %lld: Kdat key of %u bytes, not 17",
				(long long)b->t->snap.gen, kv.nk);
		if (n < BATCHMAX && rc < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (mbadd(b, GEFS_OCLEARB, k, gefs_packdatkey(k, qid, offs[i]), NULL, 0) < 0)
				return -1;
		if (mbflush(b) < 0)
			return -1;
		if (n > 0)
			lo = offs[n - 1] + B;
	} while (n == BATCHMAX && lo < hi && lo != 0);
	return 0;
}

static uint64_t
roundup(uint64_t x)
{
	return x > UINT64_MAX - (B - 1) ? UINT64_MAX & ~(uint64_t)(B - 1) : (x + B - 1) & ~(uint64_t)(B - 1);
}

/* Zero the bytes of the last block of f past its length when some are
 * not zero (a reference truncate leaves them, §24 #5), before the file
 * grows over them. */
static int
zerotail(Mb *b, const GefsXdir *f)
{
	uint8_t *buf;
	uint64_t bo = f->length & ~(uint64_t)(B - 1);
	size_t o = (size_t)(f->length - bo), i;
	GefsBptr bp;
	Blk *bk;
	int rc;

	if (o == 0 || (rc = datget(b->t, f->qpath, bo, &bp)) == 0)
		return 0;
	if (rc < 0 || (bk = getblk(b->t->fs, &bp, GEFS_TDAT)) == NULL)
		return -1;
	for (i = o; i < B && bk->buf[i] == 0; i++)
		;
	if (i == B) {
		putblk(b->t->fs, bk);
		return 0;
	}
	if ((buf = malloc(B)) == NULL) {
		putblk(b->t->fs, bk);
		return gefs_seterr(&b->t->fs->err, ENOMEM, "out of memory");
	}
	memcpy(buf, bk->buf, o);
	memset(buf + o, 0, B - o);
	putblk(b->t->fs, bk);
	rc = datput(b, f->qpath, bo, buf, false);
	free(buf);
	return rc;
}

/* Before f grows to cover [f->length, to): old bytes past the length in
 * its last block are zeroed and Kdat keys past the length in the blocks
 * [roundup(length), to) that will be holes are cleared, so nothing a
 * reference truncate left behind reappears (§12.4, §24 #5). */
static int
growclear(Mb *b, const GefsXdir *f, uint64_t to)
{
	uint64_t lo = roundup(f->length);

	if (zerotail(b, f) < 0)
		return -1;
	if (lo < to)
		return datclear(b, f->qpath, lo, to);
	return 0;
}

/* ---- the users file of adm (§16) ---- */

/* The text /users of adm would hold after writing n bytes of p at off and
 * setting the length to len: malloc'd, NUL-terminated, judged as the
 * reference's loader would judge it.  NULL (EINVAL naming the problem)
 * for a text it would refuse, a hole, or 1 MiB or more. */
static char *
usersjudge(GefsTree *t, const GefsXdir *d, uint64_t off, const void *p, size_t n, uint64_t len)
{
	char *text, why[200];
	uint64_t old = d->length < len ? d->length : len;

	if (len >= USERSMAX) {
		gefs_seterr(&t->fs->err, EINVAL, "adm: /users: refused: %llu bytes, the reference reads less than 1 MiB",
			(unsigned long long)len);
		return NULL;
	}
	if (off > d->length || (len > d->length && len > off + n)) {
		gefs_seterr(&t->fs->err, EINVAL, "adm: /users: refused: the reference reads no file with holes");
		return NULL;
	}
	if ((text = malloc((size_t)len + 1)) == NULL) {
		gefs_seterr(&t->fs->err, ENOMEM, "out of memory");
		return NULL;
	}
	if (gefs_read(t, d, 0, text, (size_t)old) != (int64_t)old) {
		free(text);
		return NULL;
	}
	if (n > 0)
		memcpy(text + off, p, n);
	text[len] = 0;
	if (userscheck(text, (size_t)len, why, sizeof why) != NULL) {
		gefs_seterr(&t->fs->err, EINVAL, "adm: /users: refused, the reference could not parse it: %s", why);
		free(text);
		return NULL;
	}
	return text;
}

/* ---- writing ---- */

/* One step of a write to the file f under key k: the blocks of
 * [off, off+n) (at most WSTEP), then one Owstat; f follows. */
static int
wstep(Mb *b, const uint8_t *k, size_t nk, GefsXdir *f, const uint8_t *p, size_t n, uint64_t off, uint8_t *buf)
{
	uint8_t flags = GEFS_OWMTIME | GEFS_OWMUID;
	uint64_t bo;
	size_t o, m, done;

	for (done = 0; done < n; done += m) {
		bo = (off + done) & ~(uint64_t)(B - 1);
		o = (size_t)(off + done - bo);
		m = B - o < n - done ? B - o : n - done;
		if (m == B) {
			if (datput(b, f->qpath, bo, p + done, true) < 0)
				return -1;
			continue;
		}
		if (datload(b->t, f, bo, buf) < 0)
			return -1;
		memcpy(buf + o, p + done, m);
		if (datput(b, f->qpath, bo, buf, o + m == B) < 0)
			return -1;
	}
	if (off + n > f->length) {
		flags |= GEFS_OWSIZE;
		f->length = off + n;
	}
	f->mtime = now(b->t->fs);
	f->muid = actor(b->t->fs);
	if (addwstat(b, k, nk, flags, f) < 0 || mbflush(b) < 0)
		return -1;
	f->qvers++;
	return 0;
}

/* Write into the file of entry e, in steps of WSTEP blocks. */
static int
fwrite1(Mb *b, Ent *e, const uint8_t *p, size_t n, uint64_t off)
{
	uint8_t *buf;
	uint64_t next;
	size_t m, done;
	int rc = 0;

	/* a write starting in the last block zeroes its tail itself (datload) */
	if ((off & ~(uint64_t)(B - 1)) > (e->d.length & ~(uint64_t)(B - 1))
	    && growclear(b, &e->d, off & ~(uint64_t)(B - 1)) < 0)
		return -1;
	if ((buf = malloc(B)) == NULL)
		return gefs_seterr(&b->t->fs->err, ENOMEM, "out of memory");
	for (done = 0; rc == 0 && done < n; done += m) {
		next = ((off + done) / B + WSTEP) * B;
		m = next - (off + done) < n - done ? (size_t)(next - (off + done)) : n - done;
		rc = wstep(b, e->k, e->nk, &e->d, p + done, m, off + done, buf);
	}
	free(buf);
	return rc;
}

int64_t
gefs_pwrite(GefsTree *t, const char *path, const void *buf, size_t n, uint64_t off)
{
	char *users = NULL;
	Mb *b;
	Ent e;
	int rc;

	memset(&e, 0, sizeof e);
	if (writable(t, path) < 0 || walkent(t, path, e.k, &e.nk, &e.d) < 0)
		return -1;
	if (e.d.mode & GEFS_DMDIR)
		return gefs_seterr(&t->fs->err, EISDIR, "%s: is a directory", path);
	if (strcmp(t->label, "adm") == 0 && entmust(t, path, &e) < 0)
		return -1;	/* the parent too: is it the users file? */
	if (e.d.mode & GEFS_DMAPPEND)
		off = e.d.length;	/* append-only: every write lands at the end (§9.4) */
	if (off > INT64_MAX || n > (uint64_t)INT64_MAX - off)
		return gefs_seterr(&t->fs->err, EFBIG, "%s: write past the largest file size (2^63 - 1 bytes)", path);
	if (n == 0)
		return 0;
	if (isusers(t, &e) && (users = usersjudge(t, &e.d, off, buf, n, off + n > e.d.length ? off + n : e.d.length)) == NULL)
		return -1;
	if ((b = mbnew(t)) == NULL) {
		free(users);
		return -1;
	}
	rc = fwrite1(b, &e, buf, n, off);
	free(b);
	if (rc == 0 && users != NULL)
		rc = usersset(t->fs, users, strlen(users));
	free(users);
	if (rc < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	return (int64_t)n;
}

/* ---- wstat and truncate ---- */

/* The id of user name for field what, EINVAL when unknown. */
static int
wsid(GefsTree *t, const char *name, const char *what, int32_t *id)
{
	if (name == NULL)
		return gefs_seterr(&t->fs->err, EINVAL, "%s: no user name", what);
	if (userid(t->fs, name, id) < 0)
		return gefs_seterr(&t->fs->err, EINVAL, "%s: user \"%.*s\" is not in the users file", what,
			GEFS_USERMAX, name);
	return 0;
}

/* The new Xdir nd and Owstat flags of wstat w on entry d. */
static int
wsfields(GefsTree *t, const GefsXdir *d, const GefsWstat *w, GefsXdir *nd, uint8_t *flags)
{
	*nd = *d;
	*flags = GEFS_OWMUID;
	if (w->mask & GEFS_WSMODE) {
		if (w->mode & ~GEFS_MODEBITS)
			return gefs_seterr(&t->fs->err, EINVAL, "mode %#o: bits outside %#o", w->mode, GEFS_MODEBITS);
		if ((w->mode ^ d->mode) & GEFS_DMDIR)
			return gefs_seterr(&t->fs->err, EINVAL, "mode %#o: DMDIR cannot change", w->mode);
		nd->mode = w->mode;
		*flags |= GEFS_OWMODE;
	}
	if (w->mask & GEFS_WSMTIME)
		nd->mtime = w->mtime, *flags |= GEFS_OWMTIME;
	if (w->mask & GEFS_WSATIME)
		nd->atime = w->atime, *flags |= GEFS_OWATIME;
	if ((w->mask & GEFS_WSUID) && wsid(t, w->uid, "owner", &nd->uid) < 0)
		return -1;
	if ((w->mask & GEFS_WSGID) && wsid(t, w->gid, "group", &nd->gid) < 0)
		return -1;
	*flags |= (w->mask & GEFS_WSUID ? GEFS_OWUID : 0) | (w->mask & GEFS_WSGID ? GEFS_OWGID : 0);
	if (w->mask & GEFS_WSLENGTH) {
		if ((d->mode & GEFS_DMDIR) && w->length != 0)
			return gefs_seterr(&t->fs->err, EISDIR, "a directory has no length");
		if (w->length > INT64_MAX)
			return gefs_seterr(&t->fs->err, EFBIG, "length %llu: more than 2^63 - 1",
				(unsigned long long)w->length);
		nd->length = w->length;
		*flags |= (d->mode & GEFS_DMDIR) ? 0 : GEFS_OWSIZE;
	}
	nd->muid = actor(t->fs);
	return 0;
}

/* One Owstat to the entry e making it nd; a shrink first zeroes the tail
 * of the new last block and afterwards clears every block past it (all
 * of them, not the reference's unaligned offsets, §24 #5). */
static int
setstat(Mb *b, Ent *e, const GefsXdir *nd, uint8_t flags)
{
	GefsXdir cut = e->d;
	bool shrink = (flags & GEFS_OWSIZE) && nd->length < e->d.length;

	cut.length = nd->length;
	if (shrink && zerotail(b, &cut) < 0)
		return -1;
	if ((flags & GEFS_OWSIZE) && nd->length > e->d.length && growclear(b, &e->d, nd->length) < 0)
		return -1;
	if (addwstat(b, e->k, e->nk, flags, nd) < 0 || mbflush(b) < 0)
		return -1;
	if (shrink && datclear(b, e->d.qpath, roundup(nd->length), UINT64_MAX) < 0)
		return -1;
	e->d = *nd;
	e->d.qvers++;
	return 0;
}

/* wstat of the entry at path; root included (it has no parent to find). */
static int
wstatpath(GefsTree *t, const char *path, const GefsWstat *w)
{
	char *users = NULL;
	uint8_t flags;
	GefsXdir nd;
	bool shrink;
	Mb *b;
	Ent e;
	int rc;

	if (writable(t, path) < 0)
		return -1;
	memset(&e, 0, sizeof e);
	if (walkent(t, path, e.k, &e.nk, &e.d) < 0)
		return -1;
	if (w->mask == 0)
		return 0;	/* the reference emits nothing (§12.5) */
	if (wsfields(t, &e.d, w, &nd, &flags) < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	if ((flags & GEFS_OWSIZE) && nd.length != e.d.length && entmust(t, path, &e) == 0 && isusers(t, &e)
	    && (users = usersjudge(t, &e.d, 0, NULL, 0, nd.length)) == NULL)
		return -1;
	if ((b = mbnew(t)) == NULL) {
		free(users);
		return -1;
	}
	shrink = (flags & GEFS_OWSIZE) && nd.length < e.d.length;
	setreserve(t->fs, shrink);	/* a truncate frees space: it must fit on a full image */
	rc = setstat(b, &e, &nd, flags);
	setreserve(t->fs, false);
	free(b);
	if (rc == 0 && users != NULL)
		rc = usersset(t->fs, users, strlen(users));
	free(users);
	return rc < 0 ? gefs_wraperr(&t->fs->err, "%s", path) : 0;
}

int
gefs_wstat(GefsTree *t, const char *path, const GefsWstat *w)
{
	return wstatpath(t, path, w);
}

int
gefs_truncate(GefsTree *t, const char *path, uint64_t len)
{
	GefsWstat w;
	GefsXdir d;

	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSLENGTH;
	w.length = len;
	if (writable(t, path) < 0 || gefs_walk(t, path, &d) < 0)
		return -1;
	if (d.mode & GEFS_DMDIR)
		return gefs_seterr(&t->fs->err, EISDIR, "%s: is a directory", path);
	return wstatpath(t, path, &w);
}

/* ---- create ---- */

/* The Xdir of a new entry in directory pd (§12.5). */
static int
newxdir(GefsTree *t, const GefsXdir *pd, uint32_t mode, const char *uid, GefsXdir *d)
{
	Gefs *fs = t->fs;
	uint32_t keep = (mode & GEFS_DMDIR) ? 0777 : 0666;

	memset(d, 0, sizeof *d);
	if (mode & ~GEFS_MODEBITS)
		return gefs_seterr(&fs->err, EINVAL, "mode %#o: bits outside %#o", mode, GEFS_MODEBITS);
	if (uid != NULL && wsid(t, uid, "owner", &d->uid) < 0)
		return -1;
	if (uid == NULL)
		d->uid = actor(fs);
	if (fs->sb.nextqid >= (uint64_t)1 << 63)
		return gefs_seterr(&fs->err, ENOSPC, "qid paths exhausted (nextqid 0x%llx)",
			(unsigned long long)fs->sb.nextqid);
	d->qpath = fs->sb.nextqid++;	/* never reused, even if the upsert fails */
	d->mode = mode & (~keep | (pd->mode & keep));
	d->qtype = (uint8_t)(d->mode >> 24);
	d->atime = d->mtime = now(fs);
	d->gid = pd->gid;
	d->muid = actor(fs);
	return 0;
}

int
gefs_create(GefsTree *t, const char *path, uint32_t mode, const char *uid)
{
	uint8_t v[GEFS_XDIRSZ], uk[GEFS_KEYMAX];
	GefsXdir d;
	Mb *b;
	Ent e;
	int rc;

	if (writable(t, path) < 0 || (rc = entfind(t, path, &e)) < 0)
		return -1;
	if (rc == 0)
		return gefs_seterr(&t->fs->err, EEXIST, "%s: already exists", path);
	if (newxdir(t, &e.pd, mode, uid, &d) < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	if ((b = mbnew(t)) == NULL)
		return -1;
	gefs_packxdir(v, &d);
	rc = mbadd(b, GEFS_OINSERT, e.k, e.nk, v, sizeof v);
	if (rc == 0 && (mode & GEFS_DMDIR))
		rc = mbadd(b, GEFS_OINSERT, uk, gefs_packupkey(uk, d.qpath), e.k, e.nk);
	if (rc == 0)
		rc = touch(b, e.pk, e.npk);
	if (rc == 0)
		rc = mbflush(b);
	free(b);
	return rc < 0 ? gefs_wraperr(&t->fs->err, "%s", path) : 0;
}

int
gefs_mkdir(GefsTree *t, const char *path, uint32_t perm, const char *uid)
{
	return gefs_create(t, path, GEFS_DMDIR | perm, uid);
}

/* ---- batches of new files ---- */

enum {
	BATCHBIG	= 2048,		/* messages of a GefsBatch: ~300 small files an upsert */
};

struct GefsBatch {
	GefsTree	*t;
	GefsBatch	*next;		/* fs->batches */
	Mb		*b;
	int		ents[BATCHBIG];	/* indices of the queued Kent inserts */
	uint64_t	enth[BATCHBIG];	/* and the hashes of their keys */
	int		nents;
};

GefsBatch *
gefs_batchopen(GefsTree *t)
{
	GefsBatch *bt;

	if (writable(t, "batch") < 0)
		return NULL;
	if ((bt = malloc(sizeof *bt)) == NULL || (bt->b = mbnewn(t, BATCHBIG)) == NULL) {
		free(bt);
		gefs_seterr(&t->fs->err, ENOMEM, "out of memory");
		return NULL;
	}
	bt->t = t;
	bt->nents = 0;
	bt->next = t->fs->batches;
	t->fs->batches = bt;
	return bt;
}

/* One upsert of everything queued; treeupsert sorts stably by key. */
int
gefs_batchflush(GefsBatch *bt)
{
	int rc;

	if (bt->b->n == 0)
		return 0;
	rc = treeupsert(bt->t, bt->b->m, bt->b->n);
	bt->b->n = bt->nents = 0;
	return rc;
}

int
gefs_batchclose(GefsBatch *bt)
{
	GefsBatch **pp;
	int rc;

	if (bt == NULL)
		return 0;
	rc = gefs_batchflush(bt);
	for (pp = &bt->t->fs->batches; *pp != NULL; pp = &(*pp)->next)
		if (*pp == bt) {
			*pp = bt->next;
			break;
		}
	free(bt->b);
	free(bt);
	return rc;
}

int
batchesflush(Gefs *fs)
{
	GefsBatch *bt;

	for (bt = fs->batches; bt != NULL; bt = bt->next)
		if (gefs_batchflush(bt) < 0)
			return -1;
	return 0;
}

void
batchesdrop(Gefs *fs)
{
	GefsBatch *bt;

	for (bt = fs->batches; bt != NULL; bt = bt->next)
		bt->b->n = bt->nents = 0;
}

/* Is Kent key k (hash h) queued in bt?  Hashes first: a batch holds a
 * few hundred keys, mostly of one length and parent. */
static bool
batchhas(const GefsBatch *bt, const uint8_t *k, size_t nk, uint64_t h)
{
	const GefsMsg *m;
	int i;

	for (i = 0; i < bt->nents; i++) {
		if (bt->enth[i] != h)
			continue;
		m = &bt->b->m[bt->ents[i]];
		if (m->nk == nk && memcmp(m->k, k, nk) == 0)
			return true;
	}
	return false;
}

/* Queue the messages of a new file d of n bytes under e: its Kdat
 * pointers, its Kent with the final length, the parent's touch. */
static int
fbatchmsgs(GefsBatch *bt, const Ent *e, uint64_t h, const GefsXdir *d, const uint8_t *p, size_t n)
{
	uint8_t v[GEFS_XDIRSZ];
	size_t off, m;

	for (off = 0; off < n; off += m) {
		m = n - off < B ? n - off : B;	/* a last block's tail is zero */
		if (datputn(bt->b, d->qpath, off, p + off, m, m == B) < 0)
			return -1;
	}
	gefs_packxdir(v, d);
	bt->enth[bt->nents] = h;
	bt->ents[bt->nents++] = bt->b->n;
	if (mbadd(bt->b, GEFS_OINSERT, e->k, e->nk, v, sizeof v) < 0)
		return -1;
	return touch(bt->b, e->pk, e->npk);
}

/* What gefs_create and gefs_pwrite do, at once (nothing queued depends
 * on it): directories, the tree of adm (its users file) and files too
 * big for one batch. */
static int
batchplain(GefsBatch *bt, const char *path, uint32_t mode, const char *uid, const void *buf, size_t n)
{
	if (gefs_create(bt->t, path, mode, uid) < 0)
		return -1;
	return n == 0 || gefs_pwrite(bt->t, path, buf, n, 0) == (int64_t)n ? 0 : -1;
}

int
gefs_batchput(GefsBatch *bt, const char *path, uint32_t mode, const char *uid, const void *buf, size_t n)
{
	GefsTree *t = bt->t;
	size_t nblk = n / B + (n % B != 0);
	GefsXdir d;
	uint64_t h;
	Ent e;
	int rc;

	if (bt->b->n + (int)nblk + 2 > bt->b->cap && gefs_batchflush(bt) < 0)
		return -1;
	if ((rc = entfind(t, path, &e)) < 0)
		return -1;
	h = gefs_metrohash64(e.k, e.nk, 0);
	if (rc == 0 || batchhas(bt, e.k, e.nk, h))
		return gefs_seterr(&t->fs->err, EEXIST, "%s: already exists", path);
	if ((mode & GEFS_DMDIR) || strcmp(t->label, "adm") == 0 || nblk + 2 > BATCHBIG)
		return batchplain(bt, path, mode, uid, buf, n);
	if (newxdir(t, &e.pd, mode, uid, &d) < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	d.length = n;
	d.qvers = n > 0;	/* as gefs_create and one gefs_pwrite leave it */
	if (fbatchmsgs(bt, &e, h, &d, buf, n) < 0)
		return gefs_wraperr(&t->fs->err, "%s", path);
	return 0;
}

/* ---- remove ---- */

/* The first child of directory qid in key order into c (its parent
 * fields from dir): 1, 0 when there is none, -1. */
static int
firstchild(GefsTree *t, const Ent *dir, Ent *c)
{
	uint8_t pfx[GEFS_ENTPFXSZ];
	GefsScan *s;
	GefsKv kv;
	int rc;

	if ((s = gefs_scanprefix(t, pfx, gefs_packentpfx(pfx, dir->d.qpath))) == NULL)
		return -1;
	rc = gefs_scannext(s, &kv);
	if (rc == 1) {
		if (kv.nk < 12 || gefs_unpackxdir(&c->d, kv.v, kv.nv, &t->fs->err) < 0)
			rc = gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: a bad entry in directory 0x%llx",
				(long long)t->snap.gen, (unsigned long long)dir->d.qpath);
		else {
			memcpy(c->k, kv.k, kv.nk);
			c->nk = kv.nk;
			c->name = (const char *)c->k + 11;
			c->nlen = kv.nk - 12;
			memcpy(c->pk, dir->k, dir->nk);
			c->npk = dir->nk;
			c->pd = dir->d;
		}
	}
	gefs_scanfree(s);
	return rc;
}

/* Remove entry e: Odelete Kent, for a directory (which must be empty)
 * Oclobber Kup, the parent's touch; then a file's data, every Kdat key
 * of its qid (§12.5: the reference does this later, in batches). */
static int
rment(Mb *b, const Ent *e)
{
	uint8_t uk[GEFS_KEYMAX], v[GEFS_INLMAX];
	bool dir = (e->d.mode & GEFS_DMDIR) != 0;
	size_t nuk = gefs_packupkey(uk, e->d.qpath);
	uint16_t nv;
	Ent c;
	int rc, up = 0;

	if (dir && (rc = firstchild(b->t, e, &c)) != 0)
		return rc < 0 ? -1 : gefs_seterr(&b->t->fs->err, ENOTEMPTY, "directory not empty");
	/* Oclobber only a Kup that is there (§24 #26) */
	if (dir && (up = treeget(b->t, uk, nuk, v, &nv)) < 0)
		return -1;
	if (mbadd(b, GEFS_ODELETE, e->k, e->nk, NULL, 0) < 0)
		return -1;
	if (dir && up == 0 && mbadd(b, GEFS_OCLOBBER, uk, nuk, NULL, 0) < 0)
		return -1;
	if (touch(b, e->pk, e->npk) < 0 || mbflush(b) < 0)
		return -1;
	return dir ? 0 : datclear(b, e->d.qpath, 0, UINT64_MAX);
}

static int
refuseusers(GefsTree *t, const Ent *e, const char *path, const char *what)
{
	if (isusers(t, e))
		return gefs_seterr(&t->fs->err, EINVAL, "%s: the users file of adm cannot be %s: the reference needs it to start",
			path, what);
	return 0;
}

int
gefs_remove(GefsTree *t, const char *path)
{
	Mb *b;
	Ent e;
	int rc;

	if (writable(t, path) < 0 || entmust(t, path, &e) < 0 || refuseusers(t, &e, path, "removed") < 0)
		return -1;
	if ((b = mbnew(t)) == NULL)
		return -1;
	setreserve(t->fs, true);	/* a delete must fit on a full image */
	rc = rment(b, &e);
	setreserve(t->fs, false);
	free(b);
	return rc < 0 ? gefs_wraperr(&t->fs->err, "%s", path) : 0;
}

/* Make e its parent's entry: the key and Xdir of e->pk, whose own parent
 * comes from Kup (§9.8). */
static int
entup(GefsTree *t, Ent *e)
{
	uint8_t uk[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	int rc;

	memcpy(e->k, e->pk, e->npk);
	e->nk = e->npk;
	if (entget(t, e->k, e->nk, &e->d) != 0)
		return -1;
	rc = treeget(t, uk, gefs_packupkey(uk, gefs_get64(e->k + 1)), v, &nv);
	if (rc != 0 || nv < 12 || v[0] != GEFS_KENT)
		return rc < 0 ? -1 : gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: Kup(0x%llx): missing or not a Kent key",
			(long long)t->snap.gen, (unsigned long long)gefs_get64(e->k + 1));
	memcpy(e->pk, v, nv);
	e->npk = nv;
	if (entget(t, e->pk, e->npk, &e->pd) != 0)
		return -1;
	e->name = (const char *)e->k + 11;
	e->nlen = e->nk - 12;
	return 0;
}

/* Remove the tree under directory top, depth first without recursion:
 * descend to a directory without subdirectories left, empty it, remove
 * it, climb back through Kup.  Memory is O(1) in depth and width. */
static int
rmtree(Mb *b, const Ent *top)
{
	Ent cur = *top, c;
	uint64_t depth = 0;
	int rc;

	for (;;) {
		if ((rc = firstchild(b->t, &cur, &c)) < 0)
			return -1;
		if (rc == 1 && (c.d.mode & GEFS_DMDIR)) {
			cur = c;
			if (++depth > UPMAX)
				return gefs_seterr(&b->t->fs->err, EBADMSG, "directories nested deeper than %d", UPMAX);
			continue;
		}
		if (rc == 1) {
			if (rment(b, &c) < 0)
				return -1;
			continue;
		}
		if (rment(b, &cur) < 0)
			return -1;
		if (depth-- == 0)
			return 0;
		if (entup(b->t, &cur) < 0)
			return -1;
	}
}

int
gefs_removeall(GefsTree *t, const char *path)
{
	Mb *b;
	Ent e;
	int rc;

	if (writable(t, path) < 0 || entmust(t, path, &e) < 0 || refuseusers(t, &e, path, "removed") < 0)
		return -1;
	if ((b = mbnew(t)) == NULL)
		return -1;
	setreserve(t->fs, true);
	rc = (e.d.mode & GEFS_DMDIR) ? rmtree(b, &e) : rment(b, &e);
	setreserve(t->fs, false);
	free(b);
	return rc < 0 ? gefs_wraperr(&t->fs->err, "%s", path) : 0;
}

/* ---- rename and move ---- */

/* Fail (EINVAL) when directory qid dir is q or one of q's ancestors. */
static int
notbelow(GefsTree *t, uint64_t dir, uint64_t q)
{
	uint8_t uk[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	int i, rc;

	for (i = 0; i < UPMAX; i++) {
		if (q == dir)
			return gefs_seterr(&t->fs->err, EINVAL, "a directory cannot move below itself");
		rc = treeget(t, uk, gefs_packupkey(uk, q), v, &nv);
		if (rc != 0 || nv < 12 || v[0] != GEFS_KENT)
			return rc < 0 ? -1 : gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: Kup(0x%llx): missing or not a Kent key",
				(long long)t->snap.gen, (unsigned long long)q);
		if (gefs_get64(v + 1) == GEFS_NONE)
			return 0;	/* reached the root */
		q = gefs_get64(v + 1);
	}
	return gefs_seterr(&t->fs->err, EBADMSG, "tree of snapshot %lld: parent links loop", (long long)t->snap.gen);
}

/* Messages of a rename of a to z (§12.5): the old key clobbered, the
 * entry inserted under the new one with qid.vers + 1, a directory's Kup
 * repointed, both parents touched. */
static int
mvent(Mb *b, const Ent *a, const Ent *z)
{
	uint8_t v[GEFS_XDIRSZ], uk[GEFS_KEYMAX];
	GefsXdir nd = a->d;

	nd.qvers++;
	nd.muid = actor(b->t->fs);
	gefs_packxdir(v, &nd);
	if (mbadd(b, GEFS_OCLOBBER, a->k, a->nk, NULL, 0) < 0 || mbadd(b, GEFS_OINSERT, z->k, z->nk, v, sizeof v) < 0)
		return -1;
	if ((a->d.mode & GEFS_DMDIR) && mbadd(b, GEFS_OINSERT, uk, gefs_packupkey(uk, a->d.qpath), z->k, z->nk) < 0)
		return -1;
	if (touch(b, a->pk, a->npk) < 0)
		return -1;
	if (z->pd.qpath != a->pd.qpath && touch(b, z->pk, z->npk) < 0)
		return -1;
	return mbflush(b);
}

int
gefs_rename(GefsTree *t, const char *from, const char *to)
{
	Mb *b;
	Ent a, z;
	int rc;

	if (writable(t, from) < 0 || entmust(t, from, &a) < 0 || refuseusers(t, &a, from, "renamed") < 0)
		return -1;
	if ((rc = entfind(t, to, &z)) < 0)
		return -1;
	if (rc == 0 && z.nk == a.nk && memcmp(z.k, a.k, a.nk) == 0)
		return 0;	/* the same entry */
	if (rc == 0)
		return gefs_seterr(&t->fs->err, EEXIST, "%s: already exists", to);
	if ((a.d.mode & GEFS_DMDIR) && notbelow(t, a.d.qpath, z.pd.qpath) < 0)
		return gefs_wraperr(&t->fs->err, "%s -> %s", from, to);
	if ((b = mbnew(t)) == NULL)
		return -1;
	rc = mvent(b, &a, &z);
	free(b);
	return rc < 0 ? gefs_wraperr(&t->fs->err, "%s -> %s", from, to) : 0;
}

/* ---- editing the users file ---- */

/* Open adm's /users for editing: e, and its text (malloc'd, NUL-
 * terminated, ending in a newline unless empty). */
static char *
usersget(GefsTree *t, Ent *e)
{
	char *text;

	if (writable(t, "/users") < 0 || entmust(t, "/users", e) < 0)
		return NULL;
	if (!isusers(t, e) || (e->d.mode & GEFS_DMDIR) || e->d.length >= USERSMAX) {
		gefs_seterr(&t->fs->err, EINVAL, "/users: not the users file of the tree labelled adm");
		return NULL;
	}
	if ((text = malloc((size_t)e->d.length + 1)) == NULL) {
		gefs_seterr(&t->fs->err, ENOMEM, "out of memory");
		return NULL;
	}
	if (gefs_read(t, &e->d, 0, text, (size_t)e->d.length) != (int64_t)e->d.length) {
		free(text);
		return NULL;
	}
	text[e->d.length] = 0;
	if (e->d.length > 0 && text[e->d.length - 1] != '\n') {
		gefs_seterr(&t->fs->err, EINVAL, "adm: /users: the last line has no newline (the reference ignores it); fix it first");
		free(text);
		return NULL;
	}
	return text;
}

/* Replace the users file's text by text (judged first), in place. */
static int
usersput(GefsTree *t, Ent *e, const char *text, size_t n)
{
	GefsWstat w;
	char *ok;
	Mb *b;
	int rc;

	if ((ok = usersjudge(t, &e->d, 0, text, n, n)) == NULL)
		return -1;
	free(ok);
	if ((b = mbnew(t)) == NULL)
		return -1;
	rc = fwrite1(b, e, (const uint8_t *)text, n, 0);
	free(b);
	memset(&w, 0, sizeof w);
	w.mask = GEFS_WSLENGTH;
	w.length = n;
	if (rc == 0 && e->d.length > n)
		rc = wstatpath(t, "/users", &w);
	if (rc == 0)
		rc = usersset(t->fs, text, n);
	return rc;
}

/* A user name the users file can hold (§16): 1..127 bytes, no ':', ',',
 * or control characters. */
static int
unamecheck(Gefs *fs, const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > GEFS_USERMAX)
		return gefs_seterr(&fs->err, EINVAL, "user name: %zu bytes, not 1..%d", n, GEFS_USERMAX);
	for (i = 0; i < n; i++)
		if (name[i] == ':' || name[i] == ',' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return gefs_seterr(&fs->err, EINVAL, "user name \"%s\": byte 0x%02x not allowed", name,
				(unsigned char)name[i]);
	return 0;
}

/* The line of text defining name (its start and the end before its
 * newline), or NULL; *idtaken set when some line has id. */
static const char *
userline(const char *text, const char *name, int32_t id, bool *idtaken, const char **end)
{
	const char *p, *nl, *c1, *c2, *found = NULL;
	size_t n = strlen(name);

	*idtaken = false;
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (p == nl || *p == '#')
			continue;
		c1 = memchr(p, ':', (size_t)(nl - p));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) : NULL;
		if (c2 == NULL)
			continue;
		if (strtol(p, NULL, 10) == id)
			*idtaken = true;
		if (found == NULL && (size_t)(c2 - c1 - 1) == n && memcmp(c1 + 1, name, n) == 0) {
			found = p;
			*end = nl;
		}
	}
	return found;
}

int
gefs_useradd(GefsTree *adm, int32_t id, const char *name, const char *leader)
{
	char *text, *nt;
	const char *end;
	bool idtaken;
	size_t n;
	Ent e;
	int rc;

	if (unamecheck(adm->fs, name) < 0 || (leader && *leader && unamecheck(adm->fs, leader) < 0))
		return -1;
	if ((text = usersget(adm, &e)) == NULL)
		return -1;
	if (userline(text, name, id, &idtaken, &end) != NULL || idtaken) {
		free(text);
		return gefs_seterr(&adm->fs->err, EEXIST, "adm: /users: %s %s is taken", idtaken ? "id" : "name",
			idtaken ? "" : name);
	}
	n = strlen(text);
	if ((nt = malloc(n + 32 + 2 * GEFS_USERMAX)) == NULL) {
		free(text);
		return gefs_seterr(&adm->fs->err, ENOMEM, "out of memory");
	}
	n = (size_t)sprintf(nt, "%s%d:%s:%s:\n", text, (int)id, name, leader ? leader : "");
	rc = usersput(adm, &e, nt, n);
	free(nt);
	free(text);
	return rc;
}

/* The i-th colon (from 1) of [p, e), or NULL. */
static const char *
colon(const char *p, const char *e, int i)
{
	const char *c;

	for (;;) {
		if ((c = memchr(p, ':', (size_t)(e - p))) == NULL || --i == 0)
			return c;
		p = c + 1;
	}
}

/* Does the comma-separated list [p, e) hold user? */
static bool
inlist(const char *p, const char *e, const char *user)
{
	size_t n = strlen(user);
	const char *c;

	for (; p < e; p = c + 1) {
		c = memchr(p, ',', (size_t)(e - p));
		c = c ? c : e;
		if ((size_t)(c - p) == n && memcmp(p, user, n) == 0)
			return true;
	}
	return false;
}

int
gefs_groupmember(GefsTree *adm, const char *group, const char *user)
{
	const char *line, *end, *c3, *m;
	char *text, *nt;
	bool idtaken;
	size_t n, at;
	Ent e;
	int rc;

	if (unamecheck(adm->fs, user) < 0 || (text = usersget(adm, &e)) == NULL)
		return -1;
	if ((line = userline(text, group, INT32_MIN, &idtaken, &end)) == NULL) {
		free(text);
		return gefs_seterr(&adm->fs->err, ENOENT, "adm: /users: no group \"%.*s\"", GEFS_USERMAX, group);
	}
	c3 = colon(line, end, 3);
	m = c3 ? memchr(c3 + 1, ':', (size_t)(end - c3 - 1)) : NULL;
	m = m ? m : end;	/* the members end at a fifth field or the newline */
	if (c3 == NULL || inlist(c3 + 1, m, user)) {
		free(text);
		return gefs_seterr(&adm->fs->err, c3 ? EEXIST : EINVAL, "adm: /users: group \"%s\": %s", group,
			c3 ? "already has that member" : "a line of fewer than four fields");
	}
	n = strlen(text);
	at = (size_t)(m - text);
	if ((nt = malloc(n + strlen(user) + 2)) == NULL) {
		free(text);
		return gefs_seterr(&adm->fs->err, ENOMEM, "out of memory");
	}
	n = (size_t)sprintf(nt, "%.*s%s%s%s", (int)at, text, m > c3 + 1 ? "," : "", user, text + at);
	rc = usersput(adm, &e, nt, n);
	free(nt);
	free(text);
	return rc;
}
