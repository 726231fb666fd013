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
	fs->ed = ed;
	return 0;
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

int
gefs_commit(Gefs *fs)
{
	return gefs_seterr(&fs->err, ENOSYS, "commit: not yet");
}

int
gefs_abort(Gefs *fs)
{
	return gefs_seterr(&fs->err, ENOSYS, "abort: not yet");
}
