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
 * Memory: one entry per name (not per byte of data).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "populate.h"

/* Paths compared component by component ('/' sorts first). */
static int
pathcmp(const char *a, const char *b)
{
	unsigned char x, y;

	for (;; a++, b++) {
		x = *a == '/' ? 1 : (unsigned char)*a;
		y = *b == '/' ? 1 : (unsigned char)*b;
		if (x != y || x == 0)
			return x - y;
	}
}

static int
entcmp(const void *a, const void *b)
{
	const Ent *x = a, *y = b;
	int c = pathcmp(x->path, y->path);

	if (c != 0)
		return c;
	if (x->src != y->src)
		return x->src - y->src;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The image path of source path spath: the placement, then spath. */
static char *
imgpath(Pop *p, const char *spath)
{
	const char *pre = p->prefix ? p->prefix : "";
	char *s;

	if (asprintf(&s, "%s%s%s", pre, pre[0] && spath[0] ? "/" : "", spath) < 0)
		return NULL;
	return s;
}

int
ixadd(Pop *p, int kind, const char *spath, const GefsBulkAttr *a, uint64_t nb, uint64_t seq, const char *link)
{
	Index *ix = &p->ix;
	Ent *e;

	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 1024;
		if ((e = realloc(ix->e, ix->cap * sizeof *e)) == NULL)
			return perr(p, "out of memory");
		ix->e = e;
	}
	e = &ix->e[ix->n];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->src = p->cursrc;
	e->seq = seq;
	e->a = *a;
	e->nb = nb;
	e->huid = p->huid;
	e->hgid = p->hgid;
	e->path = imgpath(p, spath);
	e->spath = strdup(spath);
	e->link = link ? strdup(link) : NULL;
	if (e->path == NULL || e->spath == NULL || (link && e->link == NULL))
		return perr(p, "out of memory");
	ix->n++;
	return 0;
}

/* The live entry for path, or NULL. */
static Ent *
lookup(Index *ix, const char *path)
{
	size_t lo = 0, hi = ix->n, mid;
	int c;
	Ent *e = NULL;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = pathcmp(ix->e[mid].path, path);
		if (c < 0)
			lo = mid + 1;
		else {
			if (c == 0)
				e = &ix->e[mid];
			hi = mid;
		}
	}
	for (; e != NULL && e < ix->e + ix->n && strcmp(e->path, path) == 0; e++)
		if (!e->dead)
			return e;
	return NULL;
}

/* The parent path of path (a copy), "" for a top-level name. */
static char *
parentof(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? strndup(path, (size_t)(s - path)) : strdup("");
}

/* The last entry (of the latest source) for path, dead or not; NULL. */
static Ent *
lastof(Index *ix, const char *path, size_t n)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (pathcmp(ix->e[mid].path, path) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && strcmp(ix->e[lo - 1].path, path) == 0 ? &ix->e[lo - 1] : NULL;
}

/* Was a directory for par (of source src) added in this round? */
static bool
addedalready(Index *ix, size_t from, const char *par, int src)
{
	size_t j;

	for (j = from; j < ix->n; j++)
		if (ix->e[j].src == src && strcmp(ix->e[j].path, par) == 0)
			return true;
	return false;
}

/* A directory for every missing parent, and for a parent that an earlier
 * source has as a file (the later source's tree wins); 1 if any was
 * added.  Entries are sorted on entry. */
static int
addparents(Pop *p)
{
	size_t i, n = p->ix.n;
	GefsBulkAttr a = {0755, 0, 0, p->uid, p->gid, GEFS_NONE, false};
	const char *pre = p->prefix;
	int cur = p->cursrc, added = 0, src;
	char *par;
	Ent *l;

	p->prefix = "";
	for (i = 0; i < n && added >= 0; i++) {
		if (p->ix.e[i].path[0] == 0 || (par = parentof(p->ix.e[i].path)) == NULL)
			continue;
		src = p->ix.e[i].src;
		l = lastof(&p->ix, par, n);
		if ((l == NULL || (l->kind != EDIR && l->src < src)) && !addedalready(&p->ix, n, par, src)) {
			p->cursrc = src;
			p->huid = p->hgid = UINT64_MAX;
			added = ixadd(p, EDIR, par, &a, 0, 0, NULL) < 0 ? -1 : 1;
		}
		free(par);
	}
	p->prefix = pre;
	p->cursrc = cur;
	return added;
}

/* Later wins: of entries with one path only the last stays; then what
 * lies under a name that is not a directory goes. */
static void
override(Pop *p)
{
	Index *ix = &p->ix;
	size_t i;
	Ent *par;
	char *pp;

	for (i = 0; i + 1 < ix->n; i++)
		if (strcmp(ix->e[i].path, ix->e[i + 1].path) == 0)
			ix->e[i].dead = true;
	for (i = 0; i < ix->n; i++) {
		if (ix->e[i].dead || ix->e[i].path[0] == 0 || (pp = parentof(ix->e[i].path)) == NULL)
			continue;
		par = lookup(ix, pp);
		if (par == NULL || par->kind != EDIR)
			ix->e[i].dead = true;
		free(pp);
	}
}

/* The member a hard link names: the last file of that name before it. */
static int
resolve(Pop *p, Ent *l)
{
	Index *ix = &p->ix;
	const Ent *best = NULL;
	size_t i;

	for (i = 0; i < ix->n; i++) {
		const Ent *e = &ix->e[i];
		if (e->src == l->src && e->kind == EFILE && e->seq < l->seq && strcmp(e->spath, l->link) == 0)
			best = e;
	}
	if (best == NULL) {
		snprintf(p->path, sizeof p->path, "%s", l->spath);
		return perr(p, "hard link to %s, which is not a file before it in the archive", l->link);
	}
	l->tseq = best->seq;
	l->a.length = best->a.length;
	l->nb = best->nb;
	return 0;
}

int
ixfinish(Pop *p)
{
	Index *ix = &p->ix;
	size_t i;
	int rc;

	do {
		qsort(ix->e, ix->n, sizeof *ix->e, entcmp);
	} while ((rc = addparents(p)) > 0);
	if (rc < 0)
		return -1;
	override(p);
	if (p->a->ownermap != NULL)
		for (i = 0; i < ix->n; i++)
			ownerof(&p->own, ix->e[i].path, ix->e[i].huid, ix->e[i].hgid, &ix->e[i].a.uid, &ix->e[i].a.gid);
	memset(&p->need, 0, sizeof p->need);
	p->totbytes = 0;
	for (i = 0; i < ix->n; i++) {
		Ent *e = &ix->e[i];
		if (e->dead || e->path[0] == 0)
			continue;
		if (e->kind == ELINK && resolve(p, e) < 0)
			continue;
		const char *nm = strrchr(e->path, '/');
		size_t nl = strlen(nm ? nm + 1 : e->path);
		p->need.namebytes += nl;
		if (e->kind == EDIR) {
			p->need.ndir++;
			p->need.dirnamebytes += nl;
		} else {
			p->need.nfile++;
			p->need.datablocks += e->nb;
			p->totbytes += e->a.length;
		}
	}
	return p->nerr ? -1 : 0;
}

/* ---- loading ---- */

static const char *
baseof(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int
loaderr(Pop *p, const Ent *e)
{
	p->nerr++;
	msg("", "%s: %s", e->path[0] ? e->path : "/", gefs_errmsg(p->fs));
	return -1;
}

/* Qids in index order; the directories. */
static int
loaddirs(Pop *p)
{
	Index *ix = &p->ix;
	uint64_t q, n = 0, pq;
	size_t i;
	Ent *par;
	char *pp;

	for (i = 0; i < ix->n; i++)
		if (!ix->e[i].dead && ix->e[i].path[0] != 0)
			n++;
	q = gefs_bulkreserve(p->bulk, n);
	for (i = 0; i < ix->n; i++) {
		Ent *e = &ix->e[i];
		if (e->dead)
			continue;
		if (e->path[0] == 0) {
			rootattr(p, &e->a);
			e->qid = gefs_bulkroot(p->bulk, &e->a);
			continue;
		}
		e->qid = e->a.qid = q++;
		if (e->kind != EDIR)
			continue;
		if ((pp = parentof(e->path)) == NULL || (par = lookup(ix, pp)) == NULL) {
			free(pp);
			return loaderr(p, e);
		}
		free(pp);
		pq = par->qid;
		if (gefs_bulkdir(p->bulk, pq, baseof(e->path), strlen(baseof(e->path)), &e->a, &e->qid) < 0)
			return loaderr(p, e);
	}
	return 0;
}

/* The parent directory's qid of e. */
uint64_t
ixparent(Pop *p, const Ent *e)
{
	char *pp = parentof(e->path);
	Ent *par = pp ? lookup(&p->ix, pp) : NULL;

	free(pp);
	return par ? par->qid : GEFS_NONE;
}

/* Files of directory source src, in index order. */
static int
loadfiles(Pop *p, int src)
{
	Index *ix = &p->ix;
	int dfd, fd, rc = 0;
	size_t i;

	if ((dfd = open(p->srcpath[src], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		msg("", "%s: %s", p->srcpath[src], strerror(errno));
		return -1;
	}
	for (i = 0; i < ix->n && rc == 0; i++) {
		Ent *e = &ix->e[i];
		if (e->dead || e->src != src || e->kind != EFILE)
			continue;
		if ((fd = openat(dfd, e->spath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			msg("", "%s/%s: %s", p->srcpath[src], e->spath, strerror(errno));
			rc = -1;
			break;
		}
		if (gefs_bulkfile(p->bulk, ixparent(p, e), baseof(e->path), strlen(baseof(e->path)), &e->a, fd, NULL) < 0)
			rc = loaderr(p, e);
		else
			progress(p, &e->a, false);
		close(fd);
	}
	close(dfd);
	return rc;
}

int
ixload(Pop *p)
{
	size_t i;
	int s;

	if (loaddirs(p) < 0)
		return -1;
	for (s = 0; s < p->a->nsrc; s++)
		if ((p->srctar[s] ? tarload(p, s, p->srcpath[s]) : loadfiles(p, s)) < 0)
			return -1;
	for (i = 0; i < p->ix.n; i++)
		if (!p->ix.e[i].dead && p->ix.e[i].kind == ELINK && tarlink(p, &p->ix.e[i]) < 0)
			return -1;
	return 0;
}

void
ixfree(Index *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++) {
		free(ix->e[i].path);
		free(ix->e[i].spath);
		free(ix->e[i].link);
	}
	free(ix->e);
	ix->e = NULL;
	ix->n = ix->cap = 0;
}
