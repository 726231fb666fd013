/* SPDX-License-Identifier: MIT */
/*
 * baddr.c — block names of the command language: wherever a command takes
 * a block ADDR (block, tree -b, owner, set, poke, flip, zap, and set's
 * VALUE), a name may stand for the block the allocator put there, so that
 * a script that damages an image on purpose need not hard-code addresses
 * (a name that fits none of these is refused with the reason):
 *	sb(C)		superblock copy C (0: block 0, 1: the last block)
 *	hdr(I) ftr(I)	arena I's header, its footer
 *	log(I[,K])	block K (0: the head) of arena I's log, as replay
 *			walks it
 *	root(LABEL)	the root node of LABEL's tree
 *	data(PATH[,OFF]) the data block holding byte OFF of file PATH
 *	dlist(GEN,BGEN[,K]) block K (0: the head) of deadlist Kdlist(GEN, BGEN)
 * Every name is resolved against the image as it is now, through gefs.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sess.h"

enum {
	Maxlogwalk	= 1 << 20,	/* dlist(G,B,K): K bound, far above any real chain */
	Maxargs		= 3,		/* operands of a block name */
};

/* A block name split: fn "(" a[0] ["," a[1]] ")"; the words point into buf. */
typedef struct Bname {
	char	buf[Maxpath + 64];
	char	*fn;
	char	*a[Maxargs];
	int	na;
} Bname;

static char *
trim(char *p)
{
	char *e;

	while (*p == ' ' || *p == '\t')
		p++;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	return p;
}

/* Split w; false when it is not NAME(...).  Operands are split at
 * commas, except for data(PATH,OFF), whose OFF starts after the last
 * comma, so that a path may hold commas when OFF is given. */
static bool
splitname(const char *w, Bname *b)
{
	char *open, *close, *comma, *p;

	if (strlen(w) >= sizeof b->buf)
		return false;
	strcpy(b->buf, w);
	open = strchr(b->buf, '(');
	close = strrchr(b->buf, ')');
	if (open == NULL || close == NULL || close < open || close[1] != '\0' || open == b->buf)
		return false;
	*open = *close = '\0';
	b->fn = b->buf;
	b->na = 0;
	if (strcmp(b->fn, "data") == 0) {
		comma = strrchr(open + 1, ',');
		if (comma != NULL)
			*comma = '\0';
		b->a[b->na++] = trim(open + 1);
		if (comma != NULL)
			b->a[b->na++] = trim(comma + 1);
		return true;
	}
	for (p = open + 1;; p = comma + 1) {
		if (b->na == Maxargs)
			return false;
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		b->a[b->na++] = trim(p);
		if (comma == NULL)
			return true;
	}
}

static int
num(Sess *s, const char *w, const char *arg, uint64_t *v)
{
	char *e;

	errno = 0;
	*v = strtoull(arg, &e, 0);
	if (errno != 0 || e == arg || *e != '\0' || arg[0] == '-')
		return sessfail(s, "%s: not a number: '%s'", w, arg);
	return 0;
}

static int
arena(Sess *s, const char *w, const char *arg, GefsArenaInfo *ai)
{
	uint64_t i;

	if (num(s, w, arg, &i) < 0)
		return -1;
	if (i > INT32_MAX || gefs_arenainfo(s->fs, (int)i, ai) < 0)
		return sessfail(s, "%s: no arena %s (the image has %d)", w, arg, gefs_narena(s->fs));
	return 0;
}

/* Block k of the deadlist chain that starts at a: each block's chain
 * pointer as stored.  (Log chains go through libfs's one walker: logblk.) */
static int
chainblk(Sess *s, const char *w, uint64_t a, uint64_t k, uint64_t *addr)
{
	uint8_t buf[GEFS_BLKSZ];
	GefsLogHdr h;
	GefsErr e;
	uint64_t i;

	if (k > Maxlogwalk)
		return sessfail(s, "%s: block %llu is past any chain", w, (unsigned long long)k);
	for (i = 0; i < k && a != GEFS_NONE; i++) {
		if (gefs_readblk(s->fs, a, buf) < 0)
			return sessfsfail(s, "%s: chain block 0x%llx", w, (unsigned long long)a);
		if (gefs_unpackloghdr(&h, buf, GEFS_TDLIST, a, &e) < 0)
			return sessfail(s, "%s: %s", w, e.msg);
		a = h.chain.addr;
	}
	if (a == GEFS_NONE)
		return sessfail(s, "%s: the chain has only %llu block%s", w, (unsigned long long)i,
			i == 1 ? "" : "s");
	*addr = a;
	return 0;
}

/* Block k of arena i's log, as replay walks it (gefs_walklog). */
typedef struct Logseek {
	uint64_t	k, addr, n;
} Logseek;

static int
logseek(void *arg, const GefsLogItem *it)
{
	Logseek *l = arg;

	if (it->kind != GEFS_LOGBLOCK)
		return 0;
	l->n = it->seq + 1;
	if (it->seq != l->k)
		return 0;
	l->addr = it->blk;
	return 1;
}

static int
logblk(Sess *s, const char *w, int i, uint64_t k, uint64_t *addr)
{
	Logseek l = {k, GEFS_NONE, 0};
	int rc;

	if ((rc = gefs_walklog(s->fs, i, logseek, &l)) < 0)
		return sessfsfail(s, "%s: arena %d's log", w, i);
	if (rc == 0)
		return sessfail(s, "%s: the log has only %llu block%s", w, (unsigned long long)l.n,
			l.n == 1 ? "" : "s");
	*addr = l.addr;
	return 0;
}

/* Block k of deadlist Kdlist(gen, bgen), from its value's head. */
static int
dlist(Sess *s, const char *w, Bname *b, uint64_t *addr)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	size_t nv = sizeof v;
	uint64_t gen, bgen, n = 0;
	GefsTree *t;
	GefsDlist d;
	GefsErr e;
	int rc;

	if (b->na < 2 || num(s, w, b->a[0], &gen) < 0 || num(s, w, b->a[1], &bgen) < 0
	|| (b->na == 3 && num(s, w, b->a[2], &n) < 0))
		return b->na < 2 ? sessfail(s, "%s: dlist takes GEN,BGEN[,K]", w) : -1;
	if ((t = gefs_snaptree(s->fs)) == NULL)
		return sessfsfail(s, "%s: the snapshot tree", w);
	rc = gefs_lookup(t, k, gefs_packdlistkey(k, gen, bgen), v, &nv);
	gefs_closetree(t);
	if (rc != 0)
		return rc < 0 ? sessfsfail(s, "%s", w) : sessfail(s, "%s: no deadlist Kdlist(%llu, %llu)", w,
			(unsigned long long)gen, (unsigned long long)bgen);
	if (gefs_unpackdlist(&d, v, nv, &e) < 0)
		return sessfail(s, "%s: %s", w, e.msg);
	return chainblk(s, w, d.hd.addr, n, addr);
}

static int
root(Sess *s, const char *w, const char *label, uint64_t *addr)
{
	GefsTree *t;

	if (label[0] == '\0')
		return sessfail(s, "%s: no label given", w);
	if ((t = sesstree(s, label)) == NULL)
		return -1;
	*addr = gefs_treesnap(t)->root.addr;
	return 0;
}

/* The Kdat pointer of the block holding byte off of file arg. */
static int
data(Sess *s, const char *w, const char *arg, uint64_t off, uint64_t *addr)
{
	char label[Maxlabel + 1], path[Maxpath];
	uint8_t k[GEFS_KEYMAX], v[GEFS_INLMAX];
	size_t nv = sizeof v;
	GefsBptr bp;
	GefsTree *t;
	GefsXdir d;
	int rc;

	if (sesspath(s, arg, label, path) < 0 || (t = sesstree(s, label)) == NULL)
		return -1;
	if (gefs_walk(t, path, &d) < 0)
		return sessfsfail(s, "%s: %s:%s", w, label, path);
	if (d.mode & GEFS_DMDIR)
		return sessfail(s, "%s: %s:%s is a directory", w, label, path);
	rc = gefs_lookup(t, k, gefs_packdatkey(k, d.qpath, off / GEFS_BLKSZ * GEFS_BLKSZ), v, &nv);
	if (rc < 0)
		return sessfsfail(s, "%s", w);
	if (rc > 0 || nv < GEFS_PTRSZ)
		return sessfail(s, "%s: %s:%s has no data block at offset %llu (a hole or past the end)", w,
			label, path, (unsigned long long)off);
	gefs_unpackbptr(&bp, v);
	*addr = bp.addr;
	return 0;
}

/* Resolve a parsed name; -1 with s->err. */
static int
resolve(Sess *s, const char *w, Bname *b, uint64_t *addr)
{
	GefsArenaInfo ai;
	uint64_t n = 0;
	bool one = b->na == 1, two = b->na == 2;

	if (strcmp(b->fn, "sb") == 0 && one) {
		if (num(s, w, b->a[0], &n) < 0 || n > 1)
			return n > 1 ? sessfail(s, "%s: superblock copy is 0 or 1", w) : -1;
		*addr = n == 0 ? 0 : (gefs_devsize(s->fs) / GEFS_BLKSZ - 1) * GEFS_BLKSZ;
		return 0;
	}
	if ((strcmp(b->fn, "hdr") == 0 || strcmp(b->fn, "ftr") == 0) && one) {
		if (arena(s, w, b->a[0], &ai) < 0)
			return -1;
		*addr = ai.addr + (b->fn[0] == 'f' ? GEFS_BLKSZ : 0);	/* footer: header + 1 block (§5) */
		return 0;
	}
	if (strcmp(b->fn, "log") == 0 && b->na <= 2) {
		uint64_t ix;

		if (arena(s, w, b->a[0], &ai) < 0 || num(s, w, b->a[0], &ix) < 0
		|| (two && num(s, w, b->a[1], &n) < 0))
			return -1;
		return logblk(s, w, (int)ix, n, addr);
	}
	if (strcmp(b->fn, "dlist") == 0)
		return dlist(s, w, b, addr);
	if (strcmp(b->fn, "root") == 0 && one)
		return root(s, w, b->a[0], addr);
	if (strcmp(b->fn, "data") == 0) {
		if (two && num(s, w, b->a[1], &n) < 0)
			return -1;
		return data(s, w, b->a[0], n, addr);
	}
	if (strcmp(b->fn, "sb") == 0 || strcmp(b->fn, "hdr") == 0 || strcmp(b->fn, "ftr") == 0
	|| strcmp(b->fn, "log") == 0 || strcmp(b->fn, "root") == 0)
		return sessfail(s, "%s: wrong number of operands (help addr)", w);
	return sessfail(s, "%s: unknown block name (help addr lists them)", w);
}

int
sessblock(Sess *s, const char *w, uint64_t *addr)
{
	Bname b;
	char *e;

	if (w[0] >= '0' && w[0] <= '9') {
		errno = 0;
		*addr = strtoull(w, &e, 0);
		if (errno != 0 || *e != '\0')
			return sessfail(s, "address: not a number: %s", w);
		return 0;
	}
	if (!splitname(w, &b))
		return sessfail(s, "address: not a number or a block name: %s (help addr lists the names)", w);
	return resolve(s, w, &b, addr);
}

/* addr NAME...: the address each name stands for. */
int
cmdaddr(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint64_t a;
	int i;

	for (i = 1; i < argc; i++) {
		if (sessblock(s, argv[i], &a) < 0)
			return -1;
		fprintf(s->out, "%s\t0x%llx\n", argv[i], (unsigned long long)a);
	}
	return 0;
}

/* help addr: the block names (the text of the man page's BLOCK NAMES). */
void
addrhelp(FILE *f)
{
	fprintf(f, "  ADDR, wherever a command takes one, is a number or one of these names:\n"
		"    sb(C)             superblock copy C (0: block 0, 1: the last block)\n"
		"    hdr(I), ftr(I)    arena I's header, its footer\n"
		"    log(I[,K])        block K (0: the head) of arena I's log, as replay walks it\n"
		"    root(LABEL)       the root node of LABEL's tree\n"
		"    data(PATH[,OFF])  the data block holding byte OFF (0) of file PATH\n"
		"    dlist(GEN,BGEN[,K]) block K (0: the head) of deadlist Kdlist(GEN, BGEN)\n");
}
