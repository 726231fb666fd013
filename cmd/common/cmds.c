/*
 * cmds.c — the command table of gefs-shell and gefs-replay, and the
 * commands that move around and read files.  help is generated from the
 * same table that dispatches, so the two cannot drift.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sess.h"
#include "sesscmd.h"

static int
cmdhelp(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	return printhelp(s->out, s->tab, s->notflags, argc > 1 ? argv[1] : NULL, s->err, sizeof s->err);
}

static int
cmdpwd(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	(void)argc, (void)argv;
	fprintf(s->out, "%s:%s\n", s->place.label, s->place.cwd);
	return 0;
}

/* Is label:path a directory?  -1 with s->err when not, or missing. */
static int
isdir(Sess *s, const char *label, const char *path)
{
	GefsTree *t;
	GefsXdir x;

	t = sesstree(s, label);
	if (t == NULL)
		return -1;
	if (gefs_walk(t, path, &x) < 0)
		return sessfsfail(s, "%s:%s", label, path);
	if (!(x.mode & GEFS_DMDIR))
		return sessfail(s, "%s:%s: not a directory", label, path);
	return 0;
}

static int
cmdcd(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	char label[Maxlabel + 1], path[Maxpath];

	if (sesspath(s, argc > 1 ? argv[1] : "/", label, path) < 0 || isdir(s, label, path) < 0)
		return -1;
	strcpy(s->place.label, label);
	strcpy(s->place.cwd, path);
	return 0;
}

static int
cmdlabel(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	if (argc < 2) {
		fprintf(s->out, "%s\n", s->place.label);
		return 0;
	}
	if (strlen(argv[1]) > Maxlabel)
		return sessfail(s, "label: name longer than %d bytes", Maxlabel);
	if (sesstree(s, argv[1]) == NULL)
		return -1;
	strcpy(s->place.label, argv[1]);
	strcpy(s->place.cwd, "/");
	return 0;
}

static int
eachlabel(void *arg, const char *name, size_t nlen, const GefsLabel *l)
{
	Sess *s = arg;
	GefsSnap sn;
	Json j;
	bool mut;

	mut = (l->flags & GEFS_LMUT) != 0;
	if (gefs_getsnap(s->fs, l->gen, &sn) < 0)
		return sessfsfail(s, "label %s: snapshot %llu", name, (unsigned long long)l->gen);
	if (!s->json) {
		fprintf(s->out, "%-16s gen %-8llu nlbl %-3d %s\n", name, (unsigned long long)l->gen,
			sn.nlbl, mut ? "mutable" : "immutable");
		return 0;
	}
	jsoninit(&j, s->out, 0);
	jsonobj(&j, NULL);
	jsonmem(&j, "label", name, nlen);
	jsonu64(&j, "gen", l->gen);
	jsonbool(&j, "mutable", mut);
	jsoni64(&j, "nlbl", sn.nlbl);
	jsoni64(&j, "nref", sn.nref);
	jsonfinish(&j);
	return 0;
}

static int
cmdsnaps(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	(void)argc, (void)argv;
	if (gefs_walklabels(s->fs, eachlabel, s) < 0)
		return s->err[0] ? -1 : sessfsfail(s, "snapshot tree");
	return 0;
}

static int
cmdmanifest(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	char label[Maxlabel + 1], path[Maxpath];
	GefsTree *t;

	if (sesspath(s, argc > 1 ? argv[1] : ".", label, path) < 0)
		return -1;
	t = sesstree(s, label);
	if (t == NULL)
		return -1;
	if (gefs_manifest(t, path, s->out) < 0)
		return sessfsfail(s, "manifest %s:%s", label, path);
	return 0;
}

/* The table: read commands, then (in write mode) the ones that change
 * the image.  Order is the order of `help`. */
const Cmd sesscmds[] = {
	{"help", "[COMMAND]", "list the commands, or show how to use one", 0, 1, "", 0, cmdhelp},
	{"pwd", "", "print the current label and directory", 0, 0, "", 0, cmdpwd},
	{"cd", "[[LABEL:]PATH]", "change the current directory (and label)", 0, 1, "", 0, cmdcd},
	{"label", "[LABEL]", "print or change the current label", 0, 1, "", 0, cmdlabel},
	{"ls", "[-l] [-R] [PATH...]", "list directories (-l: long, -R: recursive)", 0, -1, "lR", 0, cmdls},
	{"stat", "PATH...", "print every attribute of a file", 1, -1, "", 0, cmdstat},
	{"cat", "PATH...", "write files to standard output", 1, -1, "", 0, cmdcat},
	{"get", "[-r] [-p] SRC HOSTDST", "copy a file (-r: a tree) to the host (-p: keep mode, mtime)",
		2, 2, "rp", 0, cmdget},
	{"manifest", "[PATH]", "one line per file below PATH (reference manifest format)", 0, 1, "", 0,
		cmdmanifest},
	{"snaps", "", "list the labels and their snapshots", 0, 0, "", 0, cmdsnaps},
	{"owner", "ADDR", "what points to block ADDR: tree, node, entry and key", 1, 1, "", 0, cmdowner},
	{"poke", "[--rehash] ADDR OFFSET HEXBYTES", "overwrite bytes of a block (--rehash: fix every hash above it)",
		3, 3, RAWOPTS, CMD_RAW | CMD_SHELL, cmdpoke},
	{"flip", "[--rehash] ADDR BIT", "invert one bit of a block (bit 0: the high bit of byte 0)",
		2, 2, RAWOPTS, CMD_RAW | CMD_SHELL, cmdflip},
	{"zap", "[--rehash] ADDR", "zero a whole block", 1, 1, RAWOPTS, CMD_RAW | CMD_SHELL, cmdzap},
	{0},
};
