/* SPDX-License-Identifier: MIT */
/*
 * nodes — the tree command: every node of a tree in pre-order, keys and
 * values decoded, buffered messages shown; and the node printer the block
 * command shares.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "dump.h"

/* Print one decoded node (text or JSON), indented by depth. */
void
shownode(Dump *d, int depth, const GefsNode *n, const GefsBptr *bp)
{
	GefsKv kv;
	GefsMsg m;
	char ind[72], a[24];
	int i, fill;
	bool piv;

	piv = n->type == GEFS_TPIVOT;
	fill = gefs_nodefill(n);
	if (d->json) {
		jsonobj(&d->j, NULL);
		jsonhex(&d->j, "addr", n->addr);
		jsonstr(&d->j, "type", piv ? "pivot" : "leaf");
		jsoni64(&d->j, "depth", depth);
		if (bp != NULL) {
			jsonhash(&d->j, "hash", bp->hash);
			if (bp->gen == GEFS_NONE)
				jsonnull(&d->j, "gen");
			else
				jsonu64(&d->j, "gen", bp->gen);
		}
		jsonu64(&d->j, "nval", n->nval);
		jsonu64(&d->j, "valsz", n->valsz);
		if (piv) {
			jsonu64(&d->j, "nbuf", n->nbuf);
			jsonu64(&d->j, "bufsz", n->bufsz);
		}
		jsonu64(&d->j, "fill", (uint64_t)fill);
		jsonarr(&d->j, "entries");
		for (i = 0; i < n->nval; i++) {
			gefs_nodekv(n, i, &kv);
			jsonobj(&d->j, NULL);
			jsonkey(d, "key", kv.k, kv.nk);
			jsonval(d, "value", kv.k, kv.nk, kv.v, kv.nv, piv);
			jsonend(&d->j);
		}
		jsonend(&d->j);
		if (piv) {
			jsonarr(&d->j, "messages");
			for (i = 0; i < n->nbuf; i++) {
				gefs_nodemsg(n, i, &m);
				jsonmsg(d, &m);
			}
			jsonend(&d->j);
		}
		jsonend(&d->j);
		return;
	}
	depth = depth < 32 ? depth : 32;
	memset(ind, ' ', (size_t)(2 * depth));
	ind[2 * depth] = 0;
	printf("%s%s 0x%llx  depth %d  nval %u  valsz %u", ind, piv ? "pivot" : "leaf",
		(unsigned long long)n->addr, depth, n->nval, n->valsz);
	if (piv)
		printf("  nbuf %u  bufsz %u", n->nbuf, n->bufsz);
	printf("  fill %d/%d", fill, piv ? GEFS_PIVSPC + GEFS_BUFSPC : GEFS_LEAFSPC);
	if (bp != NULL && bp->gen == GEFS_NONE)
		printf("  hash %s  gen NONE", fmthashn(a, sizeof a, bp->hash));
	else if (bp != NULL)
		printf("  hash %s  gen %llu", fmthashn(a, sizeof a, bp->hash),
			(unsigned long long)bp->gen);
	putchar('\n');
	for (i = 0; i < n->nval; i++) {
		gefs_nodekv(n, i, &kv);
		printf("%s  %4d  ", ind, i);
		fmtkv(d, stdout, kv.k, kv.nk, kv.v, kv.nv, piv);
		putchar('\n');
	}
	for (i = 0; piv && i < n->nbuf; i++) {
		gefs_nodemsg(n, i, &m);
		printf("%s  m%-3d  ", ind, i);
		fmtmsg(d, stdout, &m);
		putchar('\n');
	}
}

static int
treenode(void *arg, int depth, const GefsNode *n, const GefsBptr *bp)
{
	shownode(arg, depth, n, bp);
	return ferror(stdout) != 0;	/* output lost: stop, dumpend says so */
}

/* Walk the subtree at addr read raw (no pointer hash for the root;
 * children are verified against their pointers), down to maxdepth. */
static int
rawwalk(Dump *d, const GefsBptr *bp, int depth, int maxdepth, bool root)
{
	GefsNode n;
	GefsKv kv;
	GefsBptr cp;
	GefsErr e;
	uint8_t *blk;
	uint16_t fill;
	int i, rc;

	if (depth >= GEFS_MAXHT) {
		fail(d, "block 0x%llx: tree deeper than %d levels", (unsigned long long)bp->addr,
			GEFS_MAXHT);
		return -1;
	}
	blk = malloc(GEFS_BLKSZ);
	if (blk == NULL) {
		fail(d, "out of memory");
		return -1;
	}
	rc = -1;
	memset(&e, 0, sizeof e);
	if (gefs_readblk(d->fs, bp->addr, blk) < 0)
		fsfail(d, "block 0x%llx", (unsigned long long)bp->addr);
	else if (!root && gefs_blkhash(blk) != bp->hash && !d->opts.ignhash)
		fail(d, "block 0x%llx: hash 0x%016llx does not match the pointer's 0x%016llx",
			(unsigned long long)bp->addr, (unsigned long long)gefs_blkhash(blk),
			(unsigned long long)bp->hash);
	else if (gefs_unpacknode(&n, blk, bp->addr, &e) < 0)
		fail(d, "%s", e.msg);
	else {
		shownode(d, depth, &n, root ? NULL : bp);
		rc = 0;
		for (i = 0; n.type == GEFS_TPIVOT && i < n.nval; i++) {
			if ((maxdepth >= 0 && depth >= maxdepth) || ferror(stdout))
				break;
			gefs_nodekv(&n, i, &kv);
			if (gefs_unpackpivval(&cp, &fill, kv.v, kv.nv, &e) < 0) {
				fail(d, "%s", e.msg);
				rc = -1;
				break;
			}
			if (rawwalk(d, &cp, depth + 1, maxdepth, false) < 0)
				rc = -1;
		}
	}
	free(blk);
	return rc;
}

static void
treehead(Dump *d, const char *what, const GefsSnap *s)
{
	char a[24];

	if (d->json) {
		jsonobj(&d->j, "tree");
		jsonstr(&d->j, "what", what);
		if (s != NULL) {
			jsoni64(&d->j, "gen", s->gen);
			jsoni64(&d->j, "ht", s->ht);
			jsonbptr(d, "root", &s->root);
		}
		jsonend(&d->j);
		return;
	}
	if (s != NULL && s->gen < 0)
		printf("%s: height %d  root %s\n", what, s->ht, fmtnone(a, sizeof a, s->root.addr));
	else if (s != NULL)
		printf("%s: gen %lld  height %d  root %s\n", what, (long long)s->gen, s->ht,
			fmtnone(a, sizeof a, s->root.addr));
	else
		printf("%s\n", what);
}

int
cmdtree(Dump *d, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "snaptree", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	GefsTree *t;
	GefsBptr bp;
	char what[GEFS_LABELMAX * 4 + 64], nm[GEFS_LABELMAX * 4 + 8];
	const char *label;
	uint64_t gen, addr;
	int c, maxdepth, nsel, sel;

	maxdepth = -1;
	nsel = 0;
	sel = 0;
	gen = addr = 0;
	label = NULL;
	while ((c = getopt_long(argc, argv, "+d:s:b:S", lo, NULL)) != -1) {
		switch (c) {
		case 'd': maxdepth = (int)(parseuint(optarg, "depth") > 64 ? 64 : parseuint(optarg, "depth")); break;
		case 's': gen = parseuint(optarg, "snapshot id"); sel = 's'; nsel++; break;
		case 'b': addr = parseaddr(optarg); sel = 'b'; nsel++; break;
		case 'S': sel = 'S'; nsel++; break;
		default: usagefail("tree: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		label = argv[optind++];
		sel = 'l';
		nsel++;
	}
	if (nsel != 1 || optind != argc)
		usagefail("tree: expected exactly one of LABEL, -s SNAPID, -b ADDR, -S");
	dumpopen(d);
	dumpbegin(d);
	t = NULL;
	switch (sel) {
	case 'l':
		t = gefs_opentree(d->fs, label);
		snprintf(what, sizeof what, "label %s",
			showname(d, nm, sizeof nm, (const uint8_t *)label, strlen(label), 'l'));
		break;
	case 's':
		t = gefs_opensnap(d->fs, gen);
		snprintf(what, sizeof what, "snapshot %llu", (unsigned long long)gen);
		break;
	case 'S':
		t = gefs_snaptree(d->fs);
		snprintf(what, sizeof what, "snapshot tree");
		break;
	case 'b':
		snprintf(what, sizeof what, "subtree at 0x%llx", (unsigned long long)addr);
		break;
	}
	if (sel != 'b' && t == NULL)
		fsfail(d, "%s", what);
	else {
		treehead(d, what, t ? gefs_treesnap(t) : NULL);
		if (d->json)
			jsonarr(&d->j, "nodes");
		if (t != NULL && gefs_walktree(t, maxdepth, treenode, d) < 0)
			fsfail(d, "%s", what);
		if (t == NULL) {
			memset(&bp, 0xff, sizeof bp);
			bp.addr = addr;
			rawwalk(d, &bp, 0, maxdepth, true);
		}
	}
	if (t != NULL)
		gefs_closetree(t);
	return dumpend(d);
}
