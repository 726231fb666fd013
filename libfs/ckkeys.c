/* SPDX-License-Identifier: MIT */
/*
 * ckkeys.c — the rules of keys, values and messages in one node, for
 * the raw walk (ckwalk.c): keys decode, belong to the tree (FORMAT.md §9:
 * Klabel, Ksnap, Kdlist, Kconf in the snapshot tree; Kdat, Kent, Kup,
 * Kconf in file-system trees), are strictly increasing and inside the
 * node's range (§8.2); values have their type's size and decode (§9); a
 * pivot's buffered messages are in key order, inside its range, with an
 * opcode and operand valid for their key (§10, gefs(5)).
 */
#include <errno.h>
#include <string.h>
#include "internal.h"
#include "check.h"

static bool
typeok(Walk *w, int t)
{
	if (w->snaptree)
		return t == GEFS_KLABEL || t == GEFS_KSNAP || t == GEFS_KDLIST || t == GEFS_KCONF;
	return t == GEFS_KDAT || t == GEFS_KENT || t == GEFS_KUP || t == GEFS_KCONF;
}

/* A value for key type t (leaf entry or Oinsert operand), §9, under
 * key k[0, nk) (formatted only when a finding names it). */
static void
checkval(Walk *w, uint64_t addr, int t, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	static const int size[] = {GEFS_PTRSZ, GEFS_XDIRSZ, -1, GEFS_LABELVALSZ, GEFS_SNAPVALSZ, GEFS_DLISTVALSZ, -1};
	GefsErr e;
	GefsXdir d;
	GefsKey key;
	GefsLabel l;
	GefsSnap s;
	GefsDlist dl;
	GefsBptr bp;
	Pctx c = PCTX(addr);
	char why[64];
	int rc = 0;

	if (t < 0 || t > GEFS_KCONF)
		return;
	c.k = k;
	c.nk = nk;
	if ((size[t] >= 0 && nv != (size_t)size[t]) || (t == GEFS_KUP && (nv < 12 || nv > GEFS_KEYMAX))) {
		snprintf(why, sizeof why, "value of %zu bytes", nv);
		c.why = why;
		wprob(w, PR_KVSIZE, &c);
		return;
	}
	e.code = 0;
	switch (t) {
	case GEFS_KDAT:
		gefs_unpackbptr(&bp, v);
		if (!w->snaptree)
			refdata(w, &bp, addr, k, nk);
		return;
	case GEFS_KENT:	rc = gefs_unpackxdir(&d, v, nv, &e); break;
	case GEFS_KUP:
		rc = gefs_unpackkey(&key, v, nv, &e);
		if (rc == 0 && key.type != GEFS_KENT)
			rc = gefs_seterr(&e, EBADMSG, "not a Kent key");
		break;
	case GEFS_KLABEL:	rc = gefs_unpacklabel(&l, v, nv, &e); break;
	case GEFS_KSNAP:	rc = gefs_unpacksnap(&s, v, nv, &e); break;
	case GEFS_KDLIST:	rc = gefs_unpackdlist(&dl, v, nv, &e); break;
	}
	if (rc < 0) {
		c.why = e.msg;
		wprob(w, PR_KVVALUE, &c);
	}
}

/* Key k: decodes, allowed here, inside [lo, hi).  Returns its type or -1. */
static int
checkkey(Walk *w, uint64_t addr, const uint8_t *k, size_t nk, const Bound *lo, const Bound *hi, int prlo, int prhi)
{
	Pctx c = PCTX(addr);
	GefsErr e;
	GefsKey key;

	e.code = 0;
	c.k = k;
	c.nk = nk;
	if (gefs_unpackkey(&key, k, nk, &e) < 0) {
		c.why = e.msg;
		wprob(w, PR_KVKEY, &c);
		return -1;
	}
	c.n[0] = key.type;
	if (!typeok(w, key.type))
		wprob(w, PR_KVTYPE, &c);
	c.s[0] = "below";
	if (lo->k != NULL && gefs_keycmp(k, nk, lo->k, lo->n) < 0)
		wprob(w, prlo, &c);
	c.s[0] = "at or above";
	if (hi->k != NULL && gefs_keycmp(k, nk, hi->k, hi->n) >= 0)
		wprob(w, prhi, &c);
	return key.type;
}

void
checkents(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi)
{
	GefsKv kv, pk = {0};
	Pctx c = PCTX(n->addr);
	int i, t;

	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		t = checkkey(w, n->addr, kv.k, kv.nk, lo, hi, PR_NDLOW, PR_NDHIGH);
		if (i > 0 && gefs_keycmp(pk.k, pk.nk, kv.k, kv.nk) >= 0) {
			c.k = kv.k;
			c.nk = kv.nk;
			c.n[0] = i;
			c.n[1] = i - 1;
			wprob(w, PR_NDORDER, &c);
		}
		pk = kv;
		if (n->type == GEFS_TLEAF && t >= 0)
			checkval(w, n->addr, t, kv.k, kv.nk, kv.v, kv.nv);
	}
}

/* One buffered message's opcode and operand (§10). */
static void
checkop(Walk *w, const GefsNode *n, int t, const GefsMsg *m)
{
	GefsErr e;
	GefsXdir d;
	GefsRelink r;
	Pctx c = PCTX(n->addr);
	char why[80];
	int qbit = 0;
	bool ok;

	switch (m->op) {
	case GEFS_OINSERT:	ok = true; break;
	case GEFS_ODELETE:	ok = true; break;
	case GEFS_OCLEARB:	ok = t == GEFS_KDAT; break;
	case GEFS_OCLOBBER:	ok = t == GEFS_KENT || t == GEFS_KUP; break;
	case GEFS_OWSTAT:	ok = t == GEFS_KENT; break;
	default:		ok = t == GEFS_KSNAP; break;	/* 6, 7, 8 */
	}
	c.k = m->k;
	c.nk = m->nk;
	c.n[0] = m->op;
	if (!ok) {
		wprob(w, PR_KVOP, &c);
		return;
	}
	e.code = 0;
	c.why = e.msg;
	if (m->op == GEFS_OINSERT)
		checkval(w, n->addr, t, m->k, m->nk, m->v, m->nv);
	else if (m->op == GEFS_OWSTAT) {
		memset(&d, 0, sizeof d);
		if (gefs_applywstat(&d, m->v, m->nv, &qbit, &e) < 0)
			wprob(w, PR_KVWSTAT, &c);
		else if (qbit || (m->nv > 0 && (m->v[0] & GEFS_OWQPATH))) {
			c.s[0] = qbit ? "with a" : "without a";
			wprob(w, PR_KVQPATH, &c);
		}
	} else if (m->op >= GEFS_ORELINK) {
		if (gefs_unpackrelink(&r, m->v, m->nv, &e) < 0)
			wprob(w, PR_KVRELINK, &c);
		if (m->op == GEFS_OINCREF)
			wprob(w, PR_KVINCREF, &c);
	} else if (m->nv != 0 && m->op != GEFS_ODELETE) {
		/* the reference writes the deleted value as Odelete's operand
		 * (FORMAT.md §10.1): any operand is accepted and ignored */
		snprintf(why, sizeof why, "message op %d has a %u-byte operand, not none", m->op, m->nv);
		c.why = why;
		wprob(w, PR_KVSIZE, &c);
	}
}

void
checkmsgs(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi)
{
	GefsMsg m, pm = {0};
	Pctx c = PCTX(n->addr);
	int j, t;

	for (j = 0; j < n->nbuf; j++) {
		gefs_nodemsg(n, j, &m);
		t = checkkey(w, n->addr, m.k, m.nk, lo, hi, PR_NDMSGRANGE, PR_NDMSGRANGE);
		if (j > 0 && gefs_keycmp(pm.k, pm.nk, m.k, m.nk) > 0) {
			c.k = m.k;
			c.nk = m.nk;
			c.n[0] = j;
			c.n[1] = j - 1;
			wprob(w, PR_NDMSGORDER, &c);
		}
		pm = m;
		if (t >= 0)
			checkop(w, n, t, &m);
	}
}
