/* SPDX-License-Identifier: MIT */
/*
 * rnodes — trees: every node of a tree in pre-order, keys and
 * values decoded, buffered messages shown; and the node printer the block
 * command shares.
 */
#include <stdlib.h>
#include <string.h>
#include "rint.h"

/* One decoded node as a JSON object. */
static void
nodejson(Render *rd, int depth, const GefsNode *n, const GefsBptr *bp, bool piv, int fill)
{
	GefsKv kv;
	GefsMsg m;
	int i;

	jsonobj(&rd->j, NULL);
	jsonhex(&rd->j, "addr", n->addr);
	jsonstr(&rd->j, "type", piv ? "pivot" : "leaf");
	jsoni64(&rd->j, "depth", depth);
	if (bp != NULL) {
		jsonhash(&rd->j, "hash", bp->hash);
		if (bp->gen == GEFS_NONE)
			jsonnull(&rd->j, "gen");
		else
			jsonu64(&rd->j, "gen", bp->gen);
	}
	jsonu64(&rd->j, "nval", n->nval);
	jsonu64(&rd->j, "valsz", n->valsz);
	if (piv) {
		jsonu64(&rd->j, "nbuf", n->nbuf);
		jsonu64(&rd->j, "bufsz", n->bufsz);
	}
	jsonu64(&rd->j, "fill", (uint64_t)fill);
	jsonarr(&rd->j, "entries");
	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		jsonobj(&rd->j, NULL);
		jsonkey(rd, "key", kv.k, kv.nk);
		jsonval(rd, "value", kv.k, kv.nk, kv.v, kv.nv, piv);
		jsonend(&rd->j);
	}
	jsonend(&rd->j);
	if (piv) {
		jsonarr(&rd->j, "messages");
		for (i = 0; i < n->nbuf; i++) {
			gefs_nodemsg(n, i, &m);
			jsonmsg(rd, &m);
		}
		jsonend(&rd->j);
	}
	jsonend(&rd->j);
}

/* One decoded node as text, indented by depth. */
static void
nodetext(Render *rd, int depth, const GefsNode *n, const GefsBptr *bp, bool piv, int fill)
{
	GefsKv kv;
	GefsMsg m;
	char ind[72], a[24];
	int i;

	depth = depth < 32 ? depth : 32;
	memset(ind, ' ', (size_t)(2 * depth));
	ind[2 * depth] = 0;
	fprintf(rd->f, "%s%s 0x%llx  depth %d  nval %u  valsz %u", ind, piv ? "pivot" : "leaf",
		(unsigned long long)n->addr, depth, n->nval, n->valsz);
	if (piv)
		fprintf(rd->f, "  nbuf %u  bufsz %u", n->nbuf, n->bufsz);
	fprintf(rd->f, "  fill %d/%d", fill, piv ? GEFS_PIVSPC + GEFS_BUFSPC : GEFS_LEAFSPC);
	if (bp != NULL && bp->gen == GEFS_NONE)
		fprintf(rd->f, "  hash %s  gen NONE", fmthashn(a, sizeof a, bp->hash));
	else if (bp != NULL)
		fprintf(rd->f, "  hash %s  gen %llu", fmthashn(a, sizeof a, bp->hash),
			(unsigned long long)bp->gen);
	fputc('\n', rd->f);
	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		fprintf(rd->f, "%s  %4d  ", ind, i);
		fmtkv(rd, rd->f, kv.k, kv.nk, kv.v, kv.nv, piv);
		fputc('\n', rd->f);
	}
	for (i = 0; piv && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		fprintf(rd->f, "%s  m%-3d  ", ind, i);
		fmtmsg(rd, rd->f, &m);
		fputc('\n', rd->f);
	}
}

/* Print one decoded node (text or JSON), indented by depth. */
void
shownode(Render *rd, int depth, const GefsNode *n, const GefsBptr *bp)
{
	bool piv = n->type == GEFS_TPIVOT;

	if (rd->json)
		nodejson(rd, depth, n, bp, piv, gefs_nodefill(n));
	else
		nodetext(rd, depth, n, bp, piv, gefs_nodefill(n));
}

static int
treenode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	Render *rd = arg;

	shownode(rd, depth, n, bp);
	return ferror(rd->f) != 0;	/* output lost: stop, the caller says so */
}

/* Walk the subtree at addr read raw (no pointer hash for the root;
 * children are verified against their pointers), down to maxdepth. */
static int
rawwalk(Render *rd, const GefsBptr *bp, int depth, int maxdepth, bool root)
{
	GefsNode n;
	GefsKv kv;
	GefsBptr cp;
	GefsErr e;
	uint8_t *blk;
	uint16_t fill;
	int i, rc;

	if (depth >= GEFS_MAXHT) {
		rfail(rd, "block 0x%llx: tree deeper than %d levels", (unsigned long long)bp->addr,
			GEFS_MAXHT);
		return -1;
	}
	blk = malloc(GEFS_BLKSZ);
	if (blk == NULL) {
		rfail(rd, "out of memory");
		return -1;
	}
	rc = -1;
	memset(&e, 0, sizeof e);
	if (gefs_readblk(rd->fs, bp->addr, blk) < 0)
		rfsfail(rd, "block 0x%llx", (unsigned long long)bp->addr);
	else if (!root && gefs_blkhash(blk) != bp->hash && !rd->ignhash)
		rfail(rd, "block 0x%llx: hash 0x%016llx does not match the pointer's 0x%016llx",
			(unsigned long long)bp->addr, (unsigned long long)gefs_blkhash(blk),
			(unsigned long long)bp->hash);
	else if (gefs_unpacknode(&n, blk, bp->addr, &e) < 0)
		rfail(rd, "%s", e.msg);
	else {
		shownode(rd, depth, &n, root ? NULL : bp);
		rc = 0;
		for (i = 0; n.type == GEFS_TPIVOT && i < n.nval; i++) {
			if ((maxdepth >= 0 && depth >= maxdepth) || ferror(rd->f))
				break;
			gefs_nodekv(&n, i, &kv);
			if (gefs_unpackpivval(&cp, &fill, kv.v, kv.nv, &e) < 0) {
				rfail(rd, "%s", e.msg);
				rc = -1;
				break;
			}
			if (rawwalk(rd, &cp, depth + 1, maxdepth, false) < 0)
				rc = -1;
		}
	}
	free(blk);
	return rc;
}

static void
treehead(Render *rd, const char *what, const GefsSnap *s)
{
	char a[24];

	if (rd->json) {
		jsonobj(&rd->j, "tree");
		jsonstr(&rd->j, "what", what);
		if (s != NULL) {
			jsoni64(&rd->j, "gen", s->gen);
			jsoni64(&rd->j, "ht", s->ht);
			jsonbptr(rd, "root", &s->root);
		}
		jsonend(&rd->j);
		return;
	}
	if (s != NULL && s->gen < 0)
		fprintf(rd->f, "%s: height %d  root %s\n", what, s->ht, fmtnone(a, sizeof a, s->root.addr));
	else if (s != NULL)
		fprintf(rd->f, "%s: gen %lld  height %d  root %s\n", what, (long long)s->gen, s->ht,
			fmtnone(a, sizeof a, s->root.addr));
	else
		fprintf(rd->f, "%s\n", what);
}

/* Name what sel selects and open its tree (NULL for a raw subtree or
 * on failure, reported). */
static GefsTree *
treeopen(Render *rd, const Rtree *sel, char *what, size_t nwhat)
{
	char nm[GEFS_LABELMAX * 4 + 8];
	GefsTree *t;

	t = NULL;
	switch (sel->sel) {
	case 'l':
		t = gefs_opentree(rd->fs, sel->label);
		snprintf(what, nwhat, "label %s", showname(rd, nm, sizeof nm,
			(const uint8_t *)sel->label, strlen(sel->label), 'l'));
		break;
	case 's':
		t = gefs_opensnap(rd->fs, sel->gen);
		snprintf(what, nwhat, "snapshot %llu", (unsigned long long)sel->gen);
		break;
	case 'S':
		t = gefs_snaptree(rd->fs);
		snprintf(what, nwhat, "snapshot tree");
		break;
	default:
		snprintf(what, nwhat, "subtree at 0x%llx", (unsigned long long)sel->addr);
		return NULL;
	}
	if (t == NULL)
		rfsfail(rd, "%s", what);
	return t;
}

int
rtree(Render *rd, const Rtree *sel)
{
	GefsTree *t;
	GefsBptr bp;
	char what[GEFS_LABELMAX * 4 + 64];
	unsigned nerr;

	nerr = rd->nerr;
	t = treeopen(rd, sel, what, sizeof what);
	if (sel->sel != 'b' && t == NULL)
		return -1;
	treehead(rd, what, t ? gefs_treesnap(t) : NULL);
	if (rd->json)
		jsonarr(&rd->j, "nodes");
	if (t != NULL && gefs_walktree(t, sel->maxdepth, treenode, rd) < 0)
		rfsfail(rd, "%s", what);
	if (t == NULL) {
		memset(&bp, 0xff, sizeof bp);
		bp.addr = sel->addr;
		rawwalk(rd, &bp, 0, sel->maxdepth, true);
	}
	if (t != NULL)
		gefs_closetree(t);
	return rd->nerr == nerr ? 0 : -1;
}
