/* SPDX-License-Identifier: MIT */
/*
 * cklabel.c — labels the file system needs (FORMAT.md §13.3, §13.7):
 * `adm` (the users file, without which the reference will not mount),
 * `empty` and `main`.  A repair never drops one.  When such a label names
 * a snapshot that has no record, the snapshot that evidently lost it is
 * one that no label names although its record counts one (nlbl >= 1) and
 * whose tree holds what the label needs (for adm a regular /users, else a
 * root directory): if exactly one fits, the repair commit re-points the
 * label there; otherwise the label is left as it is and reported (SN0030).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

static const char *const required[] = {"adm", "empty", "main"};

bool
ckrequired(const char *name, size_t n)
{
	size_t i;

	for (i = 0; name != NULL && i < nelem(required); i++)
		if (strlen(required[i]) == n && memcmp(required[i], name, n) == 0)
			return true;
	return false;
}

/* Could snapshot r be the one label name lost? */
static bool
fits(Check *ck, const Snaprec *r, const char *name)
{
	GefsTree t;
	GefsXdir d;
	GefsErr saved = ck->fs->err;
	bool ok;

	if (r->bad || r->nlabel != 0 || r->s.nlbl < 1)
		return false;
	memset(&t, 0, sizeof t);
	t.fs = ck->fs;
	t.snap = r->s;
	if (strcmp(name, "adm") == 0)
		ok = gefs_walk(&t, "/users", &d) == 0 && !(d.mode & GEFS_DMDIR);
	else
		ok = gefs_walk(&t, "/", &d) == 0 && (d.mode & GEFS_DMDIR);
	ck->fs->err = saved;	/* a failed walk is no finding */
	return ok;
}

void
ckrepoint(Check *ck, Labelrec *l)
{
	Snaprec *hit = NULL;
	Pctx c = PCTX(GEFS_NONE);
	char why[160];
	size_t i, n = 0;

	for (i = 0; i < ck->nsnap; i++)
		if (fits(ck, &ck->snap[i], l->name)) {
			hit = &ck->snap[i];
			n++;
		}
	c.s[0] = l->name;
	c.n[0] = (int64_t)l->gen;
	c.n[1] = (int64_t)n;
	if (n != 1) {
		ckproblem(ck, PR_SNKEEP, &c);
		return;
	}
	l->moved = true;
	l->newgen = (uint64_t)hit->s.gen;
	hit->nlabel++;
	if (hit->name == NULL)
		hit->name = strdup(l->name);
	snprintf(why, sizeof why, "; snapshot %lld (unlabelled, nlbl %d, %s) evidently lost it: re-point the label there",
		(long long)hit->s.gen, hit->s.nlbl, strcmp(l->name, "adm") == 0 ? "holds /users" : "has a root directory");
	c.why = why;
	ckproblem(ck, PR_SNNOSNAP, &c);
}

bool
cklabelfix(Check *ck, GefsKv *kv, GefsLabel *l, uint8_t *v)
{
	const char *name = (const char *)kv->k + 1;
	size_t n = kv->nk - 1u, i;

	for (i = 0; i < ck->nlabel; i++) {
		if (!ck->label[i].moved || strlen(ck->label[i].name) != n || memcmp(ck->label[i].name, name, n) != 0)
			continue;
		l->gen = ck->label[i].newgen;
		gefs_packlabel(v, l);
		kv->v = v;
		kv->nv = GEFS_LABELVALSZ;
		return true;
	}
	return ckrequired(name, n);
}
