/* SPDX-License-Identifier: MIT */
/*
 * snap — the snapshot tree (§9.5–§9.7, §13): opening it, resolving labels
 * and snapshot records to file-system trees, and listing labels, records
 * and deadlists.  Reading only; every value is decoded by pack before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static GefsTree *
newtree(Gefs *fs)
{
	GefsTree *t;

	t = calloc(1, sizeof *t);
	if (t == NULL)
		gefs_seterr(&fs->err, ENOMEM, "tree: out of memory");
	return t;
}

GefsTree *
gefs_snaptree(Gefs *fs)
{
	GefsBptr root;
	GefsTree *t;

	t = newtree(fs);
	if (t == NULL)
		return NULL;
	root.addr = fs->sb.snapaddr;
	root.hash = fs->sb.snaphash;
	root.gen = GEFS_NONE;	/* not stored (§4) */
	if (treeinit(t, fs, &root, (int)fs->sb.snapht, "superblock: snapshot tree") < 0) {
		free(t);
		return NULL;
	}
	t->snaptree = true;
	t->snap.gen = -1;
	t->snap.pred = -1;
	t->snap.succ = -1;
	t->snap.base = -1;
	return t;
}

/* Look key k up in the snapshot tree: 0 found, 1 absent, -1 error. */
static int
snapget(Gefs *fs, const uint8_t *k, size_t nk, uint8_t *v, uint16_t *nv)
{
	GefsTree *st;
	int rc;

	st = gefs_snaptree(fs);
	if (st == NULL)
		return -1;
	rc = treeget(st, k, nk, v, nv);
	gefs_closetree(st);
	return rc;
}

int
gefs_getsnap(Gefs *fs, uint64_t gen, GefsSnap *s)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	uint16_t nv;
	size_t nk;
	GefsErr e;
	int rc;

	nk = gefs_packsnapkey(k, gen);
	rc = snapget(fs, k, nk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return gefs_seterr(&fs->err, ENOENT, "snapshot %lld: no such record", (long long)gen);
	if (gefs_unpacksnap(s, v, nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Ksnap(%lld): %s", (long long)gen, e.msg);
	if ((uint64_t)s->gen != gen)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Ksnap(%lld): record gen %lld differs",
			(long long)gen, (long long)s->gen);
	return 0;
}

int
gefs_getlabel(Gefs *fs, const char *name, GefsLabel *l)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	size_t n = strlen(name), nk;
	uint16_t nv;
	GefsErr e;
	int rc;

	if (n == 0 || n > GEFS_LABELMAX)
		return gefs_seterr(&fs->err, ENOENT, "label \"%.64s\": no such label", name);
	nk = gefs_packlabelkey(k, name, n);
	rc = snapget(fs, k, nk, v, &nv);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return gefs_seterr(&fs->err, ENOENT, "label \"%.255s\": no such label", name);
	if (gefs_unpacklabel(l, v, nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel(\"%.255s\"): %s", name, e.msg);
	return 0;
}

GefsTree *
gefs_opensnap(Gefs *fs, uint64_t gen)
{
	GefsSnap s;
	GefsTree *t;
	char what[64];

	if (gefs_getsnap(fs, gen, &s) < 0)
		return NULL;
	t = newtree(fs);
	if (t == NULL)
		return NULL;
	snprintf(what, sizeof what, "snapshot %lld", (long long)gen);
	if (treeinit(t, fs, &s.root, s.ht, what) < 0) {
		free(t);
		return NULL;
	}
	t->snap = s;
	return t;
}

GefsTree *
gefs_opentree(Gefs *fs, const char *label)
{
	GefsLabel l;
	GefsTree *t;

	if (gefs_getlabel(fs, label, &l) < 0)
		return NULL;
	t = gefs_opensnap(fs, l.gen);
	if (t == NULL && fs->err.code == ENOENT)
		fs->err.code = EBADMSG;	/* a label without its record is damage */
	if (t == NULL)
		gefs_wraperr(&fs->err, "label \"%.200s\"", label);
	return t;
}

/* Scan every snapshot-tree key of type ktype, calling each(arg, kv);
 * stops on a non-zero return, which is passed back. */
static int
walktype(Gefs *fs, uint8_t ktype, int (*each)(Gefs *, const GefsKv *, void *), void *arg)
{
	GefsTree *st;
	GefsScan *sc;
	GefsKv kv;
	int rc;

	st = gefs_snaptree(fs);
	if (st == NULL)
		return -1;
	sc = gefs_scanprefix(st, &ktype, 1);
	if (sc == NULL) {
		gefs_closetree(st);
		return -1;
	}
	while ((rc = gefs_scannext(sc, &kv)) == 1)
		if ((rc = each(fs, &kv, arg)) != 0)
			break;
	gefs_scanfree(sc);
	gefs_closetree(st);
	return rc;
}

typedef struct Walkarg {
	GefsLabelFn	lfn;
	GefsSnapFn	sfn;
	GefsDlistFn	dfn;
	void		*arg;
} Walkarg;

static int
eachlabel(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char name[GEFS_KEYMAX];
	GefsLabel l;
	GefsErr e;

	if (kv->nk < 2)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel with an empty name");
	memcpy(name, kv->k + 1, kv->nk - 1u);
	name[kv->nk - 1] = 0;
	if (gefs_unpacklabel(&l, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: Klabel(\"%.200s\"): %s", name, e.msg);
	return w->lfn(w->arg, name, kv->nk - 1u, &l);
}

int
gefs_walklabels(Gefs *fs, GefsLabelFn fn, void *arg)
{
	Walkarg w = { .lfn = fn, .arg = arg };

	return walktype(fs, GEFS_KLABEL, eachlabel, &w);
}

static int
eachsnap(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char ks[128];
	GefsKey key;
	GefsSnap s;
	GefsErr e;

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	if (gefs_unpackkey(&key, kv->k, kv->nk, &e) < 0 || gefs_unpacksnap(&s, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: %s", ks, e.msg);
	if ((uint64_t)s.gen != key.gen)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: record gen %lld differs",
			ks, (long long)s.gen);
	return w->sfn(w->arg, &s);
}

int
gefs_walksnaps(Gefs *fs, GefsSnapFn fn, void *arg)
{
	Walkarg w = { .sfn = fn, .arg = arg };

	return walktype(fs, GEFS_KSNAP, eachsnap, &w);
}

static int
eachdlist(Gefs *fs, const GefsKv *kv, void *arg)
{
	Walkarg *w = arg;
	char ks[128];
	GefsKey key;
	GefsDlist d;
	GefsErr e;

	fmtkey(ks, sizeof ks, kv->k, kv->nk);
	if (gefs_unpackkey(&key, kv->k, kv->nk, &e) < 0 || gefs_unpackdlist(&d, kv->v, kv->nv, &e) < 0)
		return gefs_seterr(&fs->err, EBADMSG, "snapshot tree: %s: %s", ks, e.msg);
	return w->dfn(w->arg, key.gen, key.bgen, &d);
}

int
gefs_walkdlists(Gefs *fs, GefsDlistFn fn, void *arg)
{
	Walkarg w = { .dfn = fn, .arg = arg };

	return walktype(fs, GEFS_KDLIST, eachdlist, &w);
}
