/* SPDX-License-Identifier: MIT */
/*
 * cktrees.c — pass 4, every snapshot's tree (FORMAT.md §12, §20): for each
 * record in generation order, the raw walk (ckwalk.c) and, when it found
 * no structural error, the namespace (ckfiles.c) and for adm the users
 * file (ckusers.c); data blocks are verified on worker threads
 * (verify.c) while the walk goes on.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "check.h"

static void
checkone(Check *ck, Snaprec *r)
{
	Pctx c = PCTX(GEFS_NONE);
	char why[64];
	GefsTree t;
	Walk w;

	memset(&w, 0, sizeof w);
	w.ck = ck;
	w.nodes = ck->nodegen;
	w.gen = (uint64_t)r->s.gen;
	w.ht = r->s.ht;
	if (r->name != NULL)
		snprintf(w.name, sizeof w.name, "tree \"%.200s\" (gen %lld)", r->name, (long long)r->s.gen);
	else
		snprintf(w.name, sizeof w.name, "tree of snapshot %lld", (long long)r->s.gen);
	if (r->s.root.gen != GEFS_NONE && r->s.root.gen > w.gen) {
		snprintf(why, sizeof why, "root 0x%llx", (unsigned long long)r->s.root.addr);
		wgen(&w, GEFS_NONE, r->s.root.gen, why);
	}
	walktree(&w, &r->s.root, GEFS_NONE);
	if (ck->vq != NULL)
		vqdrain(ck->vq, ckcancelled(ck));	/* w's findings, before w goes */
	if (ckcancelled(ck))
		return;
	if (w.nerr > 0) {
		r->treebad = true;
		snprintf(why, sizeof why, " after %d structural errors", w.nerr);
		c.s[0] = ": namespace";
		c.why = why;
		wprob(&w, PR_CKSKIP, &c);
		return;
	}
	if (treeinit(&t, ck->fs, &r->s.root, r->s.ht, w.name) < 0)
		return;
	cknamespace(ck, &w, &t);
	if (r->name != NULL && strcmp(r->name, "adm") == 0)
		checkusers(ck, &t);
}

/* Worker threads for data verification: nthreads counts the walking
 * thread too (1: no workers).  Auto (0): one per online CPU beyond the
 * first, but at least 2 (reads overlap: 1 GiB cold in 2.0 s with two,
 * 2.7 s with one, on 2 CPUs), at most 8. */
static int
nworkers(Check *ck)
{
	long n = ck->o.nthreads;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 3)
		n = 3;
	return n <= 1 ? 0 : n > 9 ? 8 : (int)n - 1;
}

void
checktrees(Check *ck)
{
	size_t i;
	bool adm = false;

	ck->nodegen = amnew();	/* NULL: gens not compared */
	/* NULL: verified serially; nothing to verify with nodata */
	ck->vq = ck->o.nodata ? NULL : vqnew(ck->fs->dev, nworkers(ck));
	loadids(ck);
	for (i = 0; i < ck->nsnap && !ckcancelled(ck); i++) {
		ckprogress(ck, i, ck->nsnap);
		if (ck->snap[i].name != NULL && strcmp(ck->snap[i].name, "adm") == 0)
			adm = true;
		if (!ck->snap[i].bad)
			checkone(ck, &ck->snap[i]);
	}
	if (!adm && ck->nsnap > 0) {
		Pctx c = PCTX(GEFS_NONE);

		c.tree = "no adm tree";
		c.why = "the users file cannot be checked";
		ckproblem(ck, PR_USMISSING, &c);
	}
	vqfree(ck->vq);
	ck->vq = NULL;
	amfree(ck->nodegen);
	ck->nodegen = NULL;
	nsfree(ck);
}
