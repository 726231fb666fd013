/* SPDX-License-Identifier: MIT */
/*
 * session — the edit session of a handle opened rdwr: its state (the open
 * generation, the writable trees), gefs_commit (dirty trees become new
 * snapshot records, §13.4; the snapshot tree is updated copy-on-write and
 * the commit protocol of commit.c publishes it all, §15.2), the latch
 * after a failed commit, and gefs_abort.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int
editopen(Gefs *fs)
{
	Edit *ed;

	if ((ed = calloc(1, sizeof *ed)) == NULL)
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	if ((ed->fresh = fsetnew()) == NULL) {
		free(ed);
		return gefs_seterr(&fs->err, ENOMEM, "out of memory");
	}
	/* §15.5 step 2: the working generation; drawn (nextgen raised past
	 * it) only by a commit that uses it */
	ed->wgen = fs->sb.nextgen;
	ed->committed = fs->sb.nextqid;
	fs->ed = ed;
	return 0;
}

uint64_t
drawgen(Gefs *fs)
{
	Edit *ed = fs->ed;

	if (ed->wgenused)
		return ++ed->lastgen;
	ed->wgenused = true;
	ed->lastgen = ed->wgen;
	return ed->wgen;
}

void
editclose(Gefs *fs)
{
	Edit *ed = fs->ed;
	GefsTree *t, *nt;

	if (ed == NULL)
		return;
	for (t = ed->trees; t != NULL; t = nt) {
		nt = t->next;
		free(t);
	}
	fsetfree(ed->fresh);
	free(ed->pend);
	free(ed->dl);
	free(ed);
	fs->ed = NULL;
}

/* Apply the batch to the snapshot tree copy-on-write; its new root goes
 * to the superblock (fs->sb), its released blocks wait for the commit. */
int
batchapply(Gefs *fs, Batch *bt)
{
	GefsTree *st;
	GefsMsg *m;
	int n, rc;

	if ((n = batchmsgs(fs, bt, &m)) <= 0)
		return n;
	if ((st = gefs_snaptree(fs)) == NULL) {
		free(m);
		return -1;
	}
	st->writable = true;
	rc = treeupsert(st, m, n);
	if (rc == 0) {
		fs->sb.snapaddr = st->snap.root.addr;
		fs->sb.snaphash = st->snap.root.hash;
		fs->sb.snapht = (uint32_t)st->snap.ht;
	}
	free(st);
	free(m);
	return rc;
}

/* Does record gen exist?  1 yes, 0 no, -1 error. */
static int
hassnap(Gefs *fs, int64_t gen, GefsSnap *s)
{
	if (gen < 0)
		return 0;
	if (gefs_getsnap(fs, (uint64_t)gen, s) == 0)
		return 1;
	return fs->err.code == ENOENT ? 0 : -1;
}

/* §13.4 step 3: o's label leaves it; fold o away when nothing else
 * refers to it (its predecessor takes t as successor, its deadlists are
 * merged or freed, §14.4), else t follows it. */
static int
foldold(Gefs *fs, Batch *bt, GefsSnap *o, GefsSnap *t)
{
	uint8_t k[GEFS_KEYMAX];
	GefsSnap p;
	int rc;

	if (o->nlbl - 1 != 0 || o->nref + 1 != 1) {
		t->pred = o->gen;
		return batchrelink(fs, bt, GEFS_ORELINK, o->gen, t->gen, -1, +1);
	}
	t->pred = o->pred;
	if ((rc = hassnap(fs, o->pred, &p)) < 0)
		return -1;
	/* the predecessor's succ follows only its own line: o may be a fork
	 * (the 2025-09 reference would move p's succ to the fork's line) */
	if (rc == 1 && o->pred != o->gen && p.succ == o->gen
	&& batchrelink(fs, bt, GEFS_ORELINK, o->pred, t->gen, 0, 0) < 0)
		return -1;
	if (batchadd(fs, bt, GEFS_ODELETE, k, gefs_packsnapkey(k, (uint64_t)o->gen), NULL, 0) < 0)
		return -1;
	return reclaim(fs, o->gen, t->gen, o->pred);
}

/* §13.4 updatesnap for the dirty tree tr: a new record t, the label
 * moved to it; *out gets t. */
static int
updatesnap(Gefs *fs, Batch *bt, GefsTree *tr, GefsSnap *out)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];
	GefsLabel l;
	GefsSnap o, t;
	size_t n;

	if (gefs_getsnap(fs, (uint64_t)tr->orig.gen, &o) < 0)
		return gefs_wraperr(&fs->err, "commit: label \"%.64s\"", tr->label);
	t = (GefsSnap){.nref = 0, .nlbl = 1, .ht = tr->snap.ht, .flag = 0, .gen = (int64_t)tr->wgen,
		.succ = -1, .base = o.base, .root = tr->snap.root};
	if (foldold(fs, bt, &o, &t) < 0)
		return -1;
	gefs_packsnap(v, &t);
	if (batchadd(fs, bt, GEFS_OINSERT, k, gefs_packsnapkey(k, tr->wgen), v, GEFS_SNAPVALSZ) < 0)
		return -1;
	l = (GefsLabel){.gen = tr->wgen, .flags = tr->lflags};
	gefs_packlabel(v, &l);
	n = gefs_packlabelkey(k, tr->label, strlen(tr->label));
	if (batchadd(fs, bt, GEFS_OINSERT, k, n, v, GEFS_LABELVALSZ) < 0)
		return -1;
	*out = t;
	return 0;
}

/* Anything to write?  Dirty trees, deadlists, or log entries appended
 * since the last commit (frees left by it, allocations). */
static bool
changed(Gefs *fs, uint64_t nextqid)
{
	GefsTree *t;

	for (t = fs->ed->trees; t != NULL; t = t->next)
		if (t->dirty)
			return true;
	return fs->ed->ndl > 0 || fs->ed->snapdirty || fs->ed->nappend != fs->ed->mark
		|| nextqid != fs->sb.nextqid;
}

/* The snapshot-tree batch of a commit: every dirty tree's record and
 * label, then the deadlists. */
static int
buildbatch(Gefs *fs, Batch *bt)
{
	GefsTree *t;

	for (t = fs->ed->trees; t != NULL; t = t->next)
		if (t->dirty && updatesnap(fs, bt, t, &t->orig) < 0)
			return -1;
	return dlflush(fs, bt);
}

/* Every writable tree back to its record (the new one after a commit),
 * clean; those no handle holds any more are freed. */
static void
resettrees(Edit *ed)
{
	GefsTree *t, **p;

	for (p = &ed->trees; (t = *p) != NULL;) {
		t->snap = t->orig;
		t->dirty = false;
		t->wgen = GEFS_NONE;
		if (t->ref == 0) {
			*p = t->next;
			free(t);
		} else
			p = &t->next;
	}
}

/* The edit state after the last commit (or a reload): nothing pending
 * but the deferred frees, a new working generation. */
static void
restart(Gefs *fs)
{
	Edit *ed = fs->ed;

	resettrees(ed);
	ed->ndl = 0;
	ed->snapdirty = false;
	ed->wgen = fs->sb.nextgen;
	ed->wgenused = false;
	ed->committed = fs->sb.nextqid;
	ed->mark = ed->nappend;
}

/* After a durable commit: the deferred frees are applied, and made
 * durable by a second commit that writes only log entries, so that a
 * session that ends now leaks nothing (§15.5 step 7). */
static int
settle(Gefs *fs)
{
	Edit *ed = fs->ed;

	restart(fs);
	if (allocdone(fs) < 0)
		return -1;
	if (ed->nappend == ed->mark)
		return 0;
	if (commit(fs) < 0) {
		ed->broken = true;
		return gefs_wraperr(&fs->err, "commit of the frees after commit %llu", (unsigned long long)fs->sb.qgen);
	}
	ed->mark = ed->nappend;
	return 0;
}

/* An in-memory commit, for a snapshot of a dirty tree inside one commit
 * (label.c): every dirty tree becomes its record in the snapshot tree
 * now, and a generation boundary is drawn.  Blocks born before it are no
 * longer this edit's to free at once (a record, and the snapshot about
 * to be taken of it, may share them): released later, they are killed
 * into deadlists like committed blocks, so changes to either tree copy
 * them instead.  Blocks born after it carry a newer generation than
 * every record so far.  Nothing is written; gefs_commit publishes it. */
int
editfold(Gefs *fs)
{
	Edit *ed = fs->ed;
	Batch *bt;
	bool res;
	int rc;

	if ((bt = batchnew(fs)) == NULL)
		return -1;
	res = ed->reserve;
	ed->reserve = true;	/* as the commit's own metadata (§5.4) */
	rc = buildbatch(fs, bt) == 0 && batchapply(fs, bt) == 0 ? 0 : -1;
	ed->reserve = res;
	batchfree(bt);
	fsetfree(ed->fresh);
	if (rc == 0 && (ed->fresh = fsetnew()) == NULL)
		rc = gefs_seterr(&fs->err, ENOMEM, "out of memory");
	if (rc < 0) {
		ed->broken = true;	/* half a fold matches no state */
		return gefs_wraperr(&fs->err, "fold before a snapshot");
	}
	resettrees(ed);
	ed->snapdirty = true;
	if (drawgen(fs) == ed->wgen)
		drawgen(fs);	/* wgen itself was unused: draw past it */
	ed->wgen = ed->lastgen;
	return 0;
}

int
gefs_commit(Gefs *fs)
{
	Edit *ed = fs->ed;
	Batch *bt;
	bool res;
	int rc = -1;

	if (ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "commit: %s is open read-only", devpath(fs->dev));
	if (ed->broken)
		return gefs_seterr(&fs->err, EIO, "commit: refused after a failed commit; reopen the image");
	if (batchesflush(fs) < 0)
		return gefs_wraperr(&fs->err, "commit");
	if (!changed(fs, ed->committed))
		return 0;
	if ((bt = batchnew(fs)) == NULL)
		return -1;
	res = ed->reserve;
	ed->reserve = true;	/* the commit's own metadata may use the reserve (§5.4) */
	if (buildbatch(fs, bt) == 0 && batchapply(fs, bt) == 0) {
		if (ed->wgenused && fs->sb.nextgen <= ed->lastgen)
			fs->sb.nextgen = ed->lastgen + 1;
		rc = commit(fs);
	}
	ed->reserve = res;
	batchfree(bt);
	if (rc < 0) {
		ed->broken = true;	/* the in-memory state no longer matches any image */
		return gefs_wraperr(&fs->err, "commit");
	}
	return settle(fs);
}

/* After a reload: each writable tree from its label's record as
 * committed. */
static int
reresolve(Gefs *fs)
{
	GefsLabel l;
	GefsTree *t;

	for (t = fs->ed->trees; t != NULL; t = t->next)
		if (gefs_getlabel(fs, t->label, &l) < 0 || gefs_getsnap(fs, l.gen, &t->orig) < 0)
			return gefs_wraperr(&fs->err, "abort: label \"%.64s\"", t->label);
	return 0;
}

int
gefs_abort(Gefs *fs)
{
	Edit *ed = fs->ed;

	if (ed == NULL)
		return gefs_seterr(&fs->err, EROFS, "abort: %s is open read-only", devpath(fs->dev));
	batchesdrop(fs);
	ed->npend = 0;
	fsetfree(ed->fresh);
	if ((ed->fresh = fsetnew()) == NULL || reload(fs) < 0 || reresolve(fs) < 0) {
		ed->broken = true;
		return gefs_wraperr(&fs->err, "abort");
	}
	restart(fs);
	return 0;
}
