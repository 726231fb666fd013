/* SPDX-License-Identifier: MIT */
/*
 * ckconf.c — the Kconf entry `retain` (FORMAT.md §17, §24 #20): a list of
 * [count]@[interval](m|h|d) items separated by spaces or tabs.  The
 * reference logs "invalid time spec" for an item without '@' (a warning,
 * CF0001) but aborts when it mounts a label whose retain has an item
 * without its unit letter (an error).  In the snapshot tree that error is
 * repaired by the commit's new snapshot tree (CF0003: the bad items are
 * dropped, or the whole entry when none is left); in a file-system tree
 * it is not (CF0004): the repair commit writes no file-system tree (the
 * nodes are shared with other snapshots and their deaths would have to
 * be accounted in deadlists).
 */
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

void
ckretain(Check *ck, const char *where, const GefsKv *kv, bool snaptree)
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
	else
		ckproblem(ck, snaptree ? PR_CFABORT : PR_CFABORTFS, &c);
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

/* A Kconf entry (§17): retain must match ^([0-9]*@[0-9]*[mhd][ \t]*)*$
 * (the reference aborts on some malformed values); other names are
 * ignored by the reference. */
void
ckconfkv(Check *ck, const char *where, const GefsKv *kv, bool snaptree)
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
	ckretain(ck, where, kv, snaptree);
}
