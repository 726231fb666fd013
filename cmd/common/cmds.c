/* SPDX-License-Identifier: MIT */
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

	if (printhelp(s->out, s->tab, s->notflags, argc > 1 ? argv[1] : NULL, s->err, sizeof s->err) < 0)
		return -1;
	if (argc > 1 && strcmp(argv[1], "set") == 0)
		sethelp(s->out);	/* the field list is libfs's table, not a copy */
	if (argc > 1 && strcmp(argv[1], "addr") == 0)
		addrhelp(s->out);
	return 0;
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

static int
cmdbegin(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	(void)argc, (void)argv;
	if (s->batch)
		return sessfail(s, "begin: already inside begin ... commit");
	s->batch = true;
	return 0;
}

static int
cmdcommit(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	(void)argc, (void)argv;
	s->batch = false;
	if (gefs_commit(s->fs) < 0)
		return sessfsfail(s, "commit");
	return 0;
}

static int
cmdabort(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;

	(void)argc, (void)argv;
	s->batch = false;
	if (gefs_abort(s->fs) < 0)
		return sessfsfail(s, "abort");
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
	{"snaps", "", "labels, snapshot records, deadlists and configuration", 0, 0, "", 0, cmdsnaps},
	{"super", "", "both superblocks, side by side, and what differs", 0, 0, "", 0, cmdsuper},
	{"arenas", "", "arena headers: address, size, use, log head", 0, 0, "", 0, cmdarenas},
	{"log", "[ARENA]", "allocation log blocks, every entry decoded", 0, 1, "", 0, cmdlog},
	{"free", "[ARENA]", "free ranges and totals, per arena", 0, 1, "", 0, cmdfree},
	{"tree", "[--depth N] [LABEL | -s SNAPID | -b ADDR | -S]",
		"tree nodes, keys, values and messages (default: the current label)", 0, 1, TREEOPTS, 0, cmdtree},
	{"block", "[-x] ADDR", "one block, decoded by its type (-x: hex dump)", 1, 1, "x", 0, cmdblock},
	{"lookup", "KEY", "one key and its value, e.g. 'Kent(0x3, \"name\")', 'Kdat(0x1e, 0x0)' or hex",
		1, 1, "", 0, cmdlookup},
	{"put", "[-r] [-p] HOSTSRC DST", "copy a host file (-r: a tree) in, holes kept (-p: keep mode, mtime)",
		2, 2, "rp", CMD_WRITE, cmdput},
	{"mkdir", "[-p] PATH...", "make directories (-p: with missing parents, no error if present)", 1, -1, "p",
		CMD_WRITE, cmdmkdir},
	{"rm", "[-r] PATH...", "remove files and empty directories (-r: whole trees)", 1, -1, "r", CMD_WRITE, cmdrm},
	{"mv", "FROM TO", "rename or move within one label", 2, 2, "", CMD_WRITE, cmdmv},
	{"chmod", "MODE PATH...", "set permissions: octal, or [ugoa][+-=][rwxalt] (a append, l exclusive, t tmp)",
		2, -1, "", CMD_WRITE, cmdchmod},
	{"chown", "USER[:GROUP] PATH...", "set owner and group (names from adm's users file)", 2, -1, "",
		CMD_WRITE, cmdchown},
	{"touch", "[-t TIME] PATH...", "set times (TIME: @SECONDS or YYYY-MM-DDTHH:MM:SSZ), creating files",
		1, -1, "t:", CMD_WRITE, cmdtouch},
	{"truncate", "-s SIZE PATH...", "set the length (SIZE: bytes or with K, M, G, T)", 1, -1, "s:",
		CMD_WRITE, cmdtruncate},
	{"write", "PATH OFFSET DATA|@HOSTFILE", "write bytes into a file at OFFSET", 3, 3, "", CMD_WRITE, cmdwrite},
	{"useradd", "[-u ID] NAME [LEADER]", "add a user to adm's users file (ID: the lowest free)", 1, 2, "u:",
		CMD_WRITE, cmduseradd},
	{"groupadd", "[-u ID] NAME [LEADER]", "add a group (in Plan 9, a group is a user)", 1, 2, "u:",
		CMD_WRITE, cmduseradd},
	{"usermod", "-G GROUP USER", "add USER to the members of GROUP", 1, 1, "G:", CMD_WRITE, cmdusermod},
	{"snap", "SRC NEWLABEL", "label the current state of label SRC, immutable", 2, 2, "", CMD_WRITE, cmdsnap},
	{"fork", "SRC NEWLABEL", "a mutable label starting from SRC: a new line of history", 2, 2, "", CMD_WRITE,
		cmdfork},
	{"rmsnap", "LABEL...", "delete labels (and their snapshots when nothing else holds them)", 1, -1, "",
		CMD_WRITE, cmdrmsnap},
	{"retain", "[-d] LABEL|- [SPEC...]", "set (or -d delete) the retain policy of a label, - the global one",
		1, -1, "d", CMD_WRITE, cmdretain},
	{"begin", "", "start a block of changes committed together", 0, 0, "", CMD_WRITE | CMD_SHELL, cmdbegin},
	{"commit", "", "commit the changes since begin", 0, 0, "", CMD_WRITE | CMD_SHELL | CMD_NOAUTO, cmdcommit},
	{"abort", "", "drop the changes since begin", 0, 0, "", CMD_WRITE | CMD_SHELL | CMD_NOAUTO, cmdabort},
	{"addr", "NAME...", "the address a block name stands for (help addr lists the names)", 1, -1, "", 0,
		cmdaddr},
	{"owner", "ADDR", "what points to block ADDR: tree, node, entry and key", 1, 1, "", 0, cmdowner},
	{"set", "[--rehash] ADDR FIELD VALUE", "set a named field of a block (help set lists them)",
		3, 3, RAWOPTS, CMD_RAW | CMD_SHELL, cmdset},
	{"poke", "[--rehash] ADDR OFFSET HEXBYTES", "overwrite bytes of a block (--rehash: fix every hash above it)",
		3, 3, RAWOPTS, CMD_RAW | CMD_SHELL, cmdpoke},
	{"flip", "[--rehash] ADDR BIT", "invert one bit of a block (bit 0: the high bit of byte 0)",
		2, 2, RAWOPTS, CMD_RAW | CMD_SHELL, cmdflip},
	{"zap", "[--rehash] ADDR", "zero a whole block", 1, 1, RAWOPTS, CMD_RAW | CMD_SHELL, cmdzap},
	{0},
};
