/* SPDX-License-Identifier: MIT */
/*
 * ckconf.c — the Kconf entry `retain` (FORMAT.md §17, §24 #20): a list of
 * [count]@[interval](m|h|d) items separated by spaces or tabs.  The
 * reference logs "invalid time spec" for an item without '@' (a warning,
 * CF0001) but aborts when it mounts a label whose retain has an item
 * without its unit letter (an error).  In the snapshot tree that error is
 * repaired by the commit's new snapshot tree (CF0003: the bad items are
 * dropped, or the whole entry when none is left).  In the tree a mutable
 * label points at (CF0004) the same mending goes through the edit
 * session (gefs_setconf) and its own commit, made right after the repair
 * commit on the device the check holds locked: the session copies the
 * path to the entry and accounts the old nodes in deadlists as any edit
 * does.  A crash between the two commits leaves the repair commit made
 * and CF0004 for the next run.  The tree of a snapshot no mutable label
 * points at (CF0005) is immutable and left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

enum { RTOK, RTLOG, RTABORT };	/* an item's fate in the reference */

static bool
isdig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
issp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The item at p: RTOK with *len its length, else its fate, *len reaching
 * to the next space or tab. */
static int
item(const uint8_t *p, const uint8_t *end, size_t *len)
{
	const uint8_t *q = p;
	int fate = RTLOG;

	while (q < end && isdig(*q))
		q++;
	if (q < end && *q == '@') {
		fate = RTABORT;
		for (q++; q < end && isdig(*q); q++)
			;
		if (q < end && (*q == 'm' || *q == 'h' || *q == 'd')) {
			*len = (size_t)(q + 1 - p);
			return RTOK;
		}
	}
	while (q < end && !issp(*q))
		q++;
	*len = (size_t)(q - p);
	return fate;
}

/* Parse v[0,n): the worst fate of its items and the offset of the first
 * bad one; with out, the good items joined by spaces into out (no longer
 * than v) and their length in *nout. */
static int
parse(const uint8_t *v, size_t n, size_t *bad, uint8_t *out, size_t *nout)
{
	const uint8_t *p = v, *end = v + n;
	size_t len, o = 0;
	int f, worst = RTOK;

	while (p < end) {
		if ((f = item(p, end, &len)) == RTOK && out != NULL) {
			/* o <= p - v: in place, the output never overtakes the
			 * input (adjacent items, "5@m5@h", stay adjacent) */
			if (o > 0 && o < (size_t)(p - v))
				out[o++] = ' ';
			memmove(out + o, p, len);
			o += len;
		} else if (f != RTOK && worst == RTOK)
			*bad = (size_t)(p - v);
		if (f > worst)
			worst = f;
		for (p += len; p < end && issp(*p); p++)
			;
	}
	if (nout != NULL)
		*nout = o;
	return worst;
}

static bool
isretain(const GefsKv *kv)
{
	return kv->nk == 7 && kv->k[0] == GEFS_KCONF && memcmp(kv->k + 1, "retain", 6) == 0;
}

/* The mutable label pointing at snapshot gen, or NULL. */
static const char *
mutlabel(Check *ck, uint64_t gen)
{
	size_t i;

	for (i = 0; i < ck->nlabel; i++)
		if (ck->label[i].gen == gen && (ck->label[i].flags & GEFS_LMUT) && ck->label[i].name != NULL)
			return ck->label[i].name;
	return NULL;
}

/* Remember label for ckconffix (out of memory: the check stops). */
static void
wantfix(Check *ck, const char *label)
{
	char **n, *s;
	size_t i;

	for (i = 0; i < ck->ncflabel; i++)
		if (strcmp(ck->cflabel[i], label) == 0)
			return;
	n = realloc(ck->cflabel, (ck->ncflabel + 1) * sizeof *n);
	if (n != NULL)
		ck->cflabel = n;
	if (n == NULL || (s = strdup(label)) == NULL) {
		gefs_seterr(ck->e, ENOMEM, "check: out of memory");
		ck->stop = true;
		return;
	}
	ck->cflabel[ck->ncflabel++] = s;
}

/* An item the reference aborts on, in the tree of snapshot gen: mended
 * by ckconffix when a mutable label points at the snapshot. */
static void
abortfs(Check *ck, Pctx *c, uint64_t gen)
{
	const char *l = mutlabel(ck, gen);

	if (l == NULL) {
		ckproblem(ck, PR_CFABORTSN, c);
		return;
	}
	c->s[1] = l;
	if (ckproblem(ck, PR_CFABORTFS, c))
		wantfix(ck, l);
}

void
ckretain(Check *ck, const char *where, const GefsKv *kv, bool snaptree, uint64_t gen)
{
	Pctx c = PCTX(GEFS_NONE);
	char val[GEFS_INLMAX + 1];
	size_t bad = 0;
	int f;

	if (!isretain(kv) || (f = parse(kv->v, kv->nv, &bad, NULL, NULL)) == RTOK)
		return;
	snprintf(val, sizeof val, "%.*s", (int)kv->nv, (const char *)kv->v);
	c.tree = where;
	c.s[0] = val;
	c.n[0] = (int64_t)bad;
	if (f == RTLOG)
		ckproblem(ck, PR_CFRETAIN, &c);
	else if (snaptree)
		ckproblem(ck, PR_CFABORT, &c);
	else
		abortfs(ck, &c, gen);
}

bool
ckretainfix(GefsKv *kv)
{
	uint8_t *v = (uint8_t *)kv->v;	/* the caller's own copy */
	size_t bad, n;

	if (!isretain(kv) || parse(kv->v, kv->nv, &bad, NULL, NULL) != RTABORT)
		return true;
	parse(v, kv->nv, &bad, v, &n);
	kv->nv = (uint16_t)n;
	return n > 0;
}

enum { CONFVALMAX = 127 };	/* the longest value gefs_setconf writes (§9.9) */

/* Mend label's retain in the session of fs: its good items, or no entry. */
static int
mendlabel(Gefs *fs, const char *label)
{
	char v[GEFS_INLMAX + 1];
	size_t bad, n;

	if (gefs_getconf(fs, label, "retain", v, sizeof v) < 0)
		return -1;
	if (parse((const uint8_t *)v, strlen(v), &bad, NULL, NULL) != RTABORT)
		return 0;	/* already mended (labels sharing a tree) */
	parse((const uint8_t *)v, strlen(v), &bad, (uint8_t *)v, &n);
	v[n] = 0;
	return gefs_setconf(fs, label, "retain", n > 0 && n <= CONFVALMAX ? v : NULL);
}

int
ckconffix(Check *ck)
{
	Gefs *fs;
	GefsOpts o;
	size_t i;
	int rc = -1;

	if (ck->ncflabel == 0 || !ck->committed)
		return 0;
	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = ck->fs->opts.cachesz;
	if ((fs = fsborrow(ck->fs->dev, &o, ck->e)) == NULL)
		return -1;
	if (loadfs(fs) == 0 && editopen(fs) == 0) {
		for (i = 0; i < ck->ncflabel && (rc = mendlabel(fs, ck->cflabel[i])) == 0; i++)
			;
		if (rc == 0)
			rc = gefs_commit(fs);
	}
	if (rc < 0)
		gefs_seterr(ck->e, fs->err.code ? fs->err.code : EIO, "retain repair (CF0004): %s", fs->err.msg);
	fsfree(fs);
	return rc;
}

void
ckconffree(Check *ck)
{
	size_t i;

	for (i = 0; i < ck->ncflabel; i++)
		free(ck->cflabel[i]);
	free(ck->cflabel);
}

/* A Kconf entry (§17): retain must match ^([0-9]*@[0-9]*[mhd][ \t]*)*$
 * (the reference aborts on some malformed values); other names are
 * ignored by the reference. */
void
ckconfkv(Check *ck, const char *where, const GefsKv *kv, bool snaptree, uint64_t gen)
{
	Pctx c = PCTX(GEFS_NONE);
	char name[GEFS_KEYMAX + 1];

	if (kv->nk != 7 || memcmp(kv->k + 1, "retain", 6) != 0) {
		snprintf(name, sizeof name, "%.*s", (int)(kv->nk - 1), (const char *)kv->k + 1);
		c.tree = where;
		c.s[0] = name;
		ckproblem(ck, PR_CFUNKNOWN, &c);
		return;
	}
	ckretain(ck, where, kv, snaptree, gen);
}
