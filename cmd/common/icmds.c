/* SPDX-License-Identifier: MIT */
/*
 * icmds.c — the inspection commands of a session: super, arenas, log,
 * free, snaps, tree, block and lookup.  They print through the renderers
 * gefs-dump uses (render.h), so each shows what `gefs-dump IMAGE CMD`
 * shows, as text or, with --json, as the same JSON document (its "tool"
 * is the session's program).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "render.h"
#include "sess.h"
#include "sesscmd.h"

/* What a command renders, with its operands. */
typedef struct Insp {
	const char	*cmd;
	int		arena;
	Rtree		tree;
	uint64_t	addr;
	bool		hex;
	const uint8_t	*k, *v;
	size_t		nk, nv;
} Insp;

typedef int (*Rfn)(Render *r, const Insp *in);

/* Render one structure on s->out; the first failure becomes s->err. */
static int
inspect(Sess *s, const Insp *in, Rfn fn)
{
	Render r;
	int rc;

	memset(&r, 0, sizeof r);
	r.fs = s->fs;
	r.f = s->out;
	r.json = s->json;
	rbegin(&r, s->prog, in->cmd, s->image);
	rc = fn(&r, in);
	rend(&r);
	if (rc < 0 || r.nerr > 0) {
		sessfail(s, "%s: %s", in->cmd, r.err[0] ? r.err : "failed");
		rc = -1;
	}
	rfree(&r);
	return rc;
}

static int fsuper(Render *r, const Insp *in) { (void)in; return rsuper(r); }
static int farenas(Render *r, const Insp *in) { (void)in; return rarenas(r); }
static int fsnaps(Render *r, const Insp *in) { (void)in; return rsnaps(r); }
static int flog(Render *r, const Insp *in) { return rlog(r, in->arena); }
static int ffree(Render *r, const Insp *in) { return rfreeranges(r, in->arena); }
static int ftree(Render *r, const Insp *in) { return rtree(r, &in->tree); }
static int fblock(Render *r, const Insp *in) { return rblock(r, in->addr, in->hex); }

static int
fkv(Render *r, const Insp *in)
{
	rkv(r, in->k, in->nk, in->v, in->nv);
	return 0;
}

/* An unsigned number, 0x… hex or decimal, the whole word. */
static int
number(Sess *s, const char *cmd, const char *what, const char *w, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(w, &end, 0);
	if (w[0] == '-' || w[0] == '\0' || *end != '\0' || errno != 0)
		return sessfail(s, "%s: bad %s '%s' (expected 0x… hex or decimal)", cmd, what, w);
	return 0;
}

/* A block address: a number or a block name, block-aligned. */
static int
blkaddr(Sess *s, const char *cmd, const char *w, uint64_t *v)
{
	if (strchr(w, '(') != NULL ? sessblock(s, w, v) < 0 : number(s, cmd, "address", w, v) < 0)
		return -1;
	if (*v % GEFS_BLKSZ != 0)
		return sessfail(s, "%s: address %s is not a multiple of %d", cmd, w, GEFS_BLKSZ);
	return 0;
}

/* The commands without operands. */
int
cmdsuper(void *ctx, int argc, char **argv)
{
	Insp in = { .cmd = "super" };

	(void)argc, (void)argv;
	return inspect(ctx, &in, fsuper);
}

int
cmdarenas(void *ctx, int argc, char **argv)
{
	Insp in = { .cmd = "arenas" };

	(void)argc, (void)argv;
	return inspect(ctx, &in, farenas);
}

int
cmdsnaps(void *ctx, int argc, char **argv)
{
	Insp in = { .cmd = "snaps" };

	(void)argc, (void)argv;
	return inspect(ctx, &in, fsnaps);
}

/* log [ARENA] and free [ARENA]: one arena or all. */
static int
perarena(Sess *s, int argc, char **argv, Rfn fn)
{
	Insp in = { .cmd = argv[0], .arena = -1 };
	uint64_t a;

	if (argc > 1) {
		if (number(s, argv[0], "arena number", argv[1], &a) < 0)
			return -1;
		in.arena = a > 100000 ? 100000 : (int)a;	/* the renderer: no such arena */
	}
	return inspect(s, &in, fn);
}

int
cmdlog(void *ctx, int argc, char **argv)
{
	return perarena(ctx, argc, argv, flog);
}

int
cmdfree(void *ctx, int argc, char **argv)
{
	return perarena(ctx, argc, argv, ffree);
}

/* tree [--depth N] [LABEL | -s SNAPID | -b ADDR | -S]: the current label
 * when nothing is named. */
int
cmdtree(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Insp in = { .cmd = "tree" };
	Opts o;
	uint64_t v;

	if (parseopts(argc, argv, TREEOPTS, &o, s->err, sizeof s->err) < 0)
		return -1;
	in.tree.maxdepth = -1;
	if (o.arg['d'] != NULL) {
		if (number(s, "tree", "depth", o.arg['d'], &v) < 0)
			return -1;
		in.tree.maxdepth = v > 64 ? 64 : (int)v;
	}
	if ((o.optind < argc) + (o.arg['s'] != NULL) + (o.arg['b'] != NULL) + (o.count['S'] > 0) > 1)
		return sessfail(s, "tree: at most one of LABEL, -s SNAPID, -b ADDR, -S");
	in.tree.sel = 'l';
	in.tree.label = o.optind < argc ? argv[o.optind] : s->place.label;
	if (o.arg['s'] != NULL) {
		in.tree.sel = 's';
		if (number(s, "tree", "snapshot id", o.arg['s'], &in.tree.gen) < 0)
			return -1;
	}
	if (o.arg['b'] != NULL) {
		in.tree.sel = 'b';
		if (blkaddr(s, "tree", o.arg['b'], &in.tree.addr) < 0)
			return -1;
	}
	if (o.count['S'] > 0)
		in.tree.sel = 'S';
	return inspect(s, &in, ftree);
}

int
cmdblock(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Insp in = { .cmd = "block" };
	Opts o;

	if (parseopts(argc, argv, "x", &o, s->err, sizeof s->err) < 0)
		return -1;
	in.hex = o.count['x'] > 0;
	if (in.hex && s->json)
		return sessfail(s, "block: -x writes a hex dump: --json does not apply");
	if (blkaddr(s, "block", argv[o.optind], &in.addr) < 0)
		return -1;
	return inspect(s, &in, fblock);
}

/* lookup KEY: file keys (Kdat, Kent, Kup) in the current label's tree,
 * the others in the snapshot tree where they live (§9.5-§9.9). */
int
cmdlookup(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Insp in = { .cmd = "lookup" };
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	char err[200];
	GefsTree *t, *snap;
	size_t nv;
	int nk, rc;

	(void)argc;
	nk = parsekey(argv[1], k, err, sizeof err);
	if (nk < 0)
		return sessfail(s, "lookup: %s", err);
	snap = NULL;
	if (k[0] > GEFS_KUP) {
		t = snap = gefs_snaptree(s->fs);
		if (t == NULL)
			return sessfsfail(s, "lookup: snapshot tree");
	} else if ((t = sesstree(s, s->place.label)) == NULL)
		return -1;
	nv = sizeof v;
	rc = gefs_lookup(t, k, (size_t)nk, v, &nv);
	if (rc == 0) {
		in.k = k, in.nk = (size_t)nk, in.v = v, in.nv = nv;
		rc = inspect(s, &in, fkv);
	} else if (rc == 1)
		rc = sessfail(s, "lookup %s: no such key in %s", argv[1],
			snap ? "the snapshot tree" : s->place.label);
	else
		rc = sessfsfail(s, "lookup %s", argv[1]);
	if (snap != NULL)
		gefs_closetree(snap);
	return rc;
}
