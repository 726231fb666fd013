/* SPDX-License-Identifier: MIT */
/*
 * gefs-shell — a debug shell for GEFS images (debugfs, xfs_db): move
 * around labels and directories, read and change files and snapshots,
 * inspect and poke blocks.
 *
 *	gefs-shell [-w] [-k] [-x] [--json] [-c CMD]... [-f FILE] IMAGE
 *
 * With -c or -f the commands run as a script; otherwise standard input
 * is read, with line editing when it is a terminal.  Read-only unless -w.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "sess.h"
#include "prompt.h"

static const char *argv0 = "gefs-shell";

enum { Maxc = 256 };		/* -c commands */

typedef struct Args {
	bool		write, keep, trace, json;
	const char	*cmds[Maxc];
	int		ncmd;
	const char	*file;
	const char	*image;
} Args;

static void
usage(FILE *f)
{
	fprintf(f, "Usage: %s [-w] [-k] [-x] [--json] [-c CMD]... [-f FILE]\n"
		"       [--offset BYTES | --partition N] IMAGE\n", argv0);
	fputs("A debug shell for GEFS images: files, snapshots and raw blocks.\n\n"
	      "  -w           open the image for writing (each changing command is a commit)\n"
	      "  -c CMD       run CMD (may be given more than once), then exit\n"
	      "  -f FILE      run the commands in FILE ('-': standard input), then exit\n"
	      "  -k           keep going after a failing command (exit 1 at the end)\n"
	      "  -x           print each command on standard error before running it\n"
	      "  --json       JSON output from inspection commands\n"
	      WINDOW_HELP
	      "  -V, --version  print the version and exit\n"
	      "  -h, --help   print this help and exit\n"
	      "\nType help in the shell for its commands.\n"
	      "Exit status: 0 every command succeeded; 1 a command failed; 2 usage error.\n", f);
}

static int
usagefail(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s (see %s --help)\n", argv0, msg, arg ? arg : "", argv0);
	return 2;
}

/* 0 on success, 2 on a usage error, -1 after --help or --version. */
static int
parseargs(int argc, char **argv, Args *a)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		WINDOW_OPTIONS,
		{0},
	};
	char msg[128];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+wkxc:f:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'w': a->write = true; break;
		case 'k': a->keep = true; break;
		case 'x': a->trace = true; break;
		case 'J': a->json = true; break;
		case 'f': a->file = optarg; break;
		case 'c':
			if (a->ncmd == Maxc)
				return usagefail("too many -c commands", NULL);
			a->cmds[a->ncmd++] = optarg;
			break;
		case 'h': usage(stdout); return -1;
		case 'V': printversion(argv0); return -1;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, 2, c, optarg) < 0)
				return 2;
			break;
		default:
			return usagefail(optfailmsg(msg, sizeof msg, "+wkxc:f:hV", lo, optopt, argv[optind - 1]), NULL);
		}
	}
	if (argc - optind != 1)
		return usagefail(argc > optind ? "one IMAGE expected, got more: " : "no IMAGE given",
			argc > optind ? argv[optind + 1] : NULL);
	a->image = argv[optind];
	return 0;
}

/* Run the -c commands, then -f; the number of failed commands. */
static int
runbatch(Sess *s, const Args *a)
{
	FILE *f;
	int i, nfail;

	nfail = 0;
	for (i = 0; i < a->ncmd && (nfail == 0 || a->keep); i++) {
		if (runline(s, a->cmds[i]) < 0) {
			fprintf(stderr, "-c %d: %s\n", i + 1, s->err);
			nfail++;
		}
	}
	if (a->file == NULL || (nfail > 0 && !a->keep))
		return nfail;
	f = strcmp(a->file, "-") == 0 ? stdin : fopen(a->file, "r");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", argv0, a->file, strerror(errno));
		return nfail + 1;
	}
	nfail += runscript(s, f, a->file, a->keep);
	if (f != stdin)
		fclose(f);
	return nfail;
}

int
main(int argc, char **argv)
{
	Args a = {0};
	Sess s;
	int rc, nfail;

	rc = parseargs(argc, argv, &a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (winapply(argv0, a.image) < 0)
		return 1;
	if (sessopen(&s, argv0, a.image, a.write, 0) < 0)
		return 1;
	s.json = a.json;
	s.trace = a.trace;
	if (a.ncmd > 0 || a.file != NULL)
		nfail = runbatch(&s, &a);
	else if (isatty(0))
		nfail = interact(&s);
	else
		nfail = runscript(&s, stdin, "stdin", a.keep);
	sessclose(&s);
	if (fclose(stdout) != 0) {
		fprintf(stderr, "%s: writing output: %s\n", argv0, strerror(errno));
		return 1;
	}
	return nfail > 0;
}
