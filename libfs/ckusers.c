/* SPDX-License-Identifier: MIT */
/*
 * ckusers.c — the users file of adm (FORMAT.md §16): it exists, is a
 * regular file under 1 MiB without holes, and parses (users.c's
 * userscheck); the numeric ids it defines, for the owner checks of the
 * namespace pass (ckfiles.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { B = GEFS_BLKSZ };

void
checkusers(Check *ck, GefsTree *t)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	char *text = NULL, why[200];
	Pctx c = PCTX(GEFS_NONE);
	GefsXdir d;
	uint64_t off;
	size_t nv;
	int64_t r;

	c.tree = "adm";
	c.why = why;
	if (gefs_walk(t, "/users", &d) < 0) {
		if (gefs_errcode(ck->fs) == ENOENT) {
			c.why = "/users: missing";
			ckproblem(ck, PR_USMISSING, &c);
			return;
		}
		snprintf(why, sizeof why, ": %s", gefs_errmsg(ck->fs));
		ckproblem(ck, PR_USTYPE, &c);
		return;
	}
	if ((d.mode & GEFS_DMDIR) || d.length >= (1u << 20)) {
		snprintf(why, sizeof why, " is %s", (d.mode & GEFS_DMDIR) ? "a directory" : "1 MiB or longer");
		ckproblem(ck, PR_USTYPE, &c);
		return;
	}
	for (off = 0; off < d.length; off += B) {
		nv = sizeof v;
		if (gefs_lookup(t, k, gefs_packdatkey(k, d.qpath, off), v, &nv) != 0) {
			snprintf(why, sizeof why, " has a hole at offset %llu", (unsigned long long)off);
			ckproblem(ck, PR_USTYPE, &c);
			return;
		}
	}
	text = malloc(d.length + 1);
	if (text == NULL)
		return;
	r = gefs_read(t, &d, 0, text, d.length);
	if (r < 0) {
		snprintf(why, sizeof why, ": %s", gefs_errmsg(ck->fs));
		ckproblem(ck, PR_USTYPE, &c);
	} else if (userscheck(text, (size_t)r, why, sizeof why) != NULL)
		ckproblem(ck, PR_USPARSE, &c);
	free(text);
}

/* The numeric ids the users file of adm defines (§16), for the owner
 * checks of pass 4; none are kept when the file cannot be read or parsed
 * (reported by checkusers). */
void
loadids(Check *ck)
{
	GefsTree t;
	GefsXdir d;
	Snaprec *r = NULL;
	char *text = NULL, *p, *q, *end, why[200];
	int64_t r2, *v;
	size_t i;

	for (i = 0; i < ck->nsnap; i++)
		if (ck->snap[i].name != NULL && strcmp(ck->snap[i].name, "adm") == 0 && !ck->snap[i].bad)
			r = &ck->snap[i];
	if (r == NULL || treeinit(&t, ck->fs, &r->s.root, r->s.ht, "adm") < 0 || gefs_walk(&t, "/users", &d) < 0
	|| (d.mode & GEFS_DMDIR) || d.length >= (1u << 20) || (text = malloc(d.length + 1)) == NULL)
		goto out;
	r2 = gefs_read(&t, &d, 0, text, d.length);
	if (r2 < 0 || userscheck(text, (size_t)r2, why, sizeof why) != NULL)
		goto out;
	end = text + r2;
	for (p = text; p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL; p = q + 1) {
		if (p == q || *p == '#')
			continue;
		if ((v = realloc(ck->ids, (ck->nids + 1) * sizeof *v)) == NULL)
			goto out;
		ck->ids = v;
		ck->ids[ck->nids++] = strtoll(p, NULL, 10);
	}
	ck->haveids = true;
out:
	free(text);
}

bool
idknown(Check *ck, int64_t id)
{
	size_t i;

	for (i = 0; i < ck->nids; i++)
		if (ck->ids[i] == id)
			return true;
	return false;
}
