/* SPDX-License-Identifier: MIT */
/*
 * rcmds.c — raw block commands: owner (who points to a block, rendered
 * by rowner), and, in
 * the shell's write mode, set (a named field), poke, flip and zap, each
 * with --rehash to make the damage "valid" (every hash above it
 * recomputed up to the superblocks) or without, to leave it broken.  This is how damaged test
 * images are built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sess.h"
#include "sesscmd.h"
#include "render.h"

/* A number: decimal, 0x hex or 0 octal; -1 with s->err otherwise. */
static int
parsenum(Sess *s, const char *what, const char *arg, uint64_t *v)
{
	char *e;

	errno = 0;
	*v = strtoull(arg, &e, 0);
	if (errno != 0 || e == arg || *e != '\0' || arg[0] == '-')
		return sessfail(s, "%s: not a number: %s", what, arg);
	return 0;
}

static int
parsehex(Sess *s, const char *cmd, const char *arg, uint8_t *out, size_t max, size_t *n)
{
	size_t i, len;
	char byte[3] = {0};
	char *e;

	if (strncmp(arg, "0x", 2) == 0)
		arg += 2;
	len = strlen(arg);
	if (len == 0 || len % 2 != 0 || len / 2 > max)
		return sessfail(s, "%s: %s must be 1 to %zu bytes as pairs of hex digits", cmd,
			strcmp(cmd, "poke") == 0 ? "HEXBYTES" : "VALUE", max);
	for (i = 0; i < len / 2; i++) {
		memcpy(byte, arg + 2 * i, 2);
		out[i] = (uint8_t)strtoul(byte, &e, 16);
		if (*e != '\0')
			return sessfail(s, "%s: not hex: %s", cmd, arg);
	}
	*n = len / 2;
	return 0;
}

/* Write buf back to addr, then rehash if asked; trees are reopened. */
static int
putback(Sess *s, uint64_t addr, const uint8_t *buf, bool rehash)
{
	int nfix;

	sessdrop(s);
	if (!rehash) {
		if (gefs_writeblk(s->fs, addr, buf) < 0)
			return sessfsfail(s, "block 0x%llx", (unsigned long long)addr);
		return 0;
	}
	if (gefs_writerehash(s->fs, addr, buf, &nfix) < 0)
		return sessfsfail(s, "rehash 0x%llx", (unsigned long long)addr);
	fprintf(s->out, "rehashed 0x%llx: %d block%s rewritten\n", (unsigned long long)addr, nfix,
		nfix == 1 ? "" : "s");
	return 0;
}

/* Read block arg into buf: -1 with s->err on a bad address. */
static int
getraw(Sess *s, const char *arg, uint64_t *addr, uint8_t *buf)
{
	if (sessblock(s, arg, addr) < 0)
		return -1;
	if (gefs_readblk(s->fs, *addr, buf) < 0)
		return sessfsfail(s, "block %s", arg);
	return 0;
}

int
cmdpoke(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint8_t buf[GEFS_BLKSZ], bytes[GEFS_BLKSZ];
	uint64_t addr, off;
	size_t n = 0;
	Opts o;

	parseopts(argc, argv, RAWOPTS, &o, s->err, sizeof s->err);
	argv += o.optind;
	if (getraw(s, argv[0], &addr, buf) < 0 || parsenum(s, "offset", argv[1], &off) < 0
	|| parsehex(s, "poke", argv[2], bytes, sizeof bytes, &n) < 0)
		return -1;
	if (off >= GEFS_BLKSZ || n > GEFS_BLKSZ - off)
		return sessfail(s, "poke: %zu bytes at offset %llu reach past the block", n, (unsigned long long)off);
	memcpy(buf + off, bytes, n);
	return putback(s, addr, buf, o.count['r'] > 0);
}

int
cmdflip(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint8_t buf[GEFS_BLKSZ];
	uint64_t addr, bit;
	Opts o;

	parseopts(argc, argv, RAWOPTS, &o, s->err, sizeof s->err);
	argv += o.optind;
	if (getraw(s, argv[0], &addr, buf) < 0 || parsenum(s, "bit", argv[1], &bit) < 0)
		return -1;
	if (bit >= 8 * GEFS_BLKSZ)
		return sessfail(s, "flip: bit %llu is past the block (%d bits)", (unsigned long long)bit, 8 * GEFS_BLKSZ);
	buf[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));	/* bit 0: the high bit of byte 0 */
	return putback(s, addr, buf, o.count['r'] > 0);
}

int
cmdzap(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint8_t buf[GEFS_BLKSZ];
	uint64_t addr;
	Opts o;

	parseopts(argc, argv, RAWOPTS, &o, s->err, sizeof s->err);
	argv += o.optind;
	if (getraw(s, argv[0], &addr, buf) < 0)
		return -1;
	memset(buf, 0, sizeof buf);
	return putback(s, addr, buf, o.count['r'] > 0);
}

/* set ADDR FIELD VALUE: the field named as gefs-dump prints it, found
 * by the block's type; a key or value is given as hex ("-" for empty),
 * anything else as a number.  The offsets are libfs's (gefs_setfield). */
int
cmdset(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint8_t buf[GEFS_BLKSZ], bytes[GEFS_INLMAX];
	const GefsField *f;
	uint64_t addr, num = 0;
	size_t n = 0;
	GefsErr e = {0};
	Opts o;
	int idx, rc;

	parseopts(argc, argv, RAWOPTS, &o, s->err, sizeof s->err);
	argv += o.optind;
	if (getraw(s, argv[0], &addr, buf) < 0)
		return -1;
	f = gefs_field(gefs_get16(buf), argv[1], &idx, &e);
	if (f == NULL)
		return sessfail(s, "set: block 0x%llx: %s", (unsigned long long)addr, e.msg);
	if (f->kind == GEFS_FBYTES)
		rc = strcmp(argv[2], "-") == 0 ? 0 : parsehex(s, "set", argv[2], bytes, sizeof bytes, &n);
	else if (strchr(argv[2], '(') != NULL)
		rc = sessblock(s, argv[2], &num);	/* a block name: its address */
	else
		rc = parsenum(s, argv[1], argv[2], &num);
	if (rc < 0)
		return -1;
	if (gefs_setfield(buf, addr, argv[1], num, bytes, n, &e) < 0)
		return sessfail(s, "set: block 0x%llx: %s", (unsigned long long)addr, e.msg);
	return putback(s, addr, buf, o.count['r'] > 0);
}

/* help set: the fields of every block type, from libfs's tables. */
void
sethelp(FILE *f)
{
	static const int types[] = { GEFS_TSUPER, GEFS_TARENA, GEFS_TLOG, GEFS_TDLIST, GEFS_TPIVOT, GEFS_TLEAF };
	const GefsField *fl;
	size_t i;

	fprintf(f, "  FIELD is one of these, by the type of block ADDR ([I]: an index from 0);\n"
		"  VALUE is a number, or for a key or value hex bytes (- for none):\n");
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		fprintf(f, "  %s:\n", gefs_typename(types[i]));
		for (fl = gefs_fields(types[i]); fl->name != NULL; fl++)
			fprintf(f, "    %-16s %s\n", fl->name, fl->what);
	}
}

int
cmdowner(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	uint64_t addr;
	Render r;
	int rc;

	(void)argc;
	if (sessblock(s, argv[1], &addr) < 0)
		return -1;
	/* rendered as the inspection commands are: text or --json */
	memset(&r, 0, sizeof r);
	r.fs = s->fs;
	r.f = s->out;
	r.json = s->json;
	rbegin(&r, s->prog, "owner", s->image);
	rc = rowner(&r, addr);
	rend(&r);
	if (rc < 0 || r.nerr > 0)
		rc = sessfail(s, "%s", r.err[0] ? r.err : "owner: failed");
	rfree(&r);
	return rc;
}
