/* SPDX-License-Identifier: MIT */
/*
 * gefs-replay — apply scripts of file and snapshot commands to an image
 * as ONE atomic commit, for CI: either every line took effect or none did.
 *
 *	gefs-replay [-n] [-v] IMAGE SCRIPT...
 *
 * The command language is gefs-shell's (cmd/common), without the
 * shell-only commands (begin/commit/abort and raw pokes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "sess.h"
#include "sesscmd.h"

static const char *argv0 = "gefs-replay";

static void
usage(FILE *f)
{
	fprintf(f, "Usage: %s [-n] [-v] IMAGE SCRIPT...\n", argv0);
	fputs("Apply the commands of every SCRIPT ('-': standard input) to IMAGE as one\n"
	      "atomic commit: the first failing command stops the run and nothing is kept.\n\n"
	      "  -n           dry run: check every command against the image, change nothing\n"
	      "  -v           print each command as it runs, and a summary\n"
	      "  --cache-size SIZE  block cache (default 64M); larger edits stream through it\n"
	      WINDOW_HELP
	      "  -V, --version  print the version and exit\n"
	      "  -h, --help   print this help and exit\n"
	      "\nThe commands are those of gefs-shell (see gefs-replay(8)).\n"
	      "Exit status: 0 committed (or, with -n, would commit); 1 a command or the commit\n"
	      "failed, the image is unchanged; 2 usage error.\n", f);
}

typedef struct Args {
	bool		dry, verbose;
	uint64_t	cachesz;
	const char	*image;
	char		**scripts;
	int		nscript;
} Args;

static int
usagefail(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s (see %s --help)\n", argv0, msg, arg ? arg : "", argv0);
	return 2;
}

static int
parseargs(int argc, char **argv, Args *a)
{
	static const struct option lo[] = {
		{"cache-size", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		WINDOW_OPTIONS,
		{0},
	};
	char msg[128];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+nvhV", lo, NULL)) != -1) {
		switch (c) {
		case 'n': a->dry = true; break;
		case 'v': a->verbose = true; break;
		case 'C':
			if (parsebytes(optarg, &a->cachesz) < 0 || a->cachesz < (1 << 20))
				return usagefail("--cache-size wants a size of 1M or more: ", optarg);
			break;
		case 'h': usage(stdout); return -1;
		case 'V': printversion(argv0); return -1;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, 2, c, optarg) < 0)
				return 2;
			break;
		default:
			return usagefail(optfailmsg(msg, sizeof msg, "+nvhV", lo, optopt, argv[optind - 1]), NULL);
		}
	}
	if (argc - optind < 2)
		return usagefail(argc == optind ? "no IMAGE given" : "no SCRIPT given", NULL);
	a->image = argv[optind];
	a->scripts = argv + optind + 1;
	a->nscript = argc - optind - 1;
	return 0;
}

/* Run every script; 0 when every line succeeded. */
static int
runall(Sess *s, const Args *a)
{
	FILE *f;
	int i, nfail;

	for (i = 0; i < a->nscript; i++) {
		f = strcmp(a->scripts[i], "-") == 0 ? stdin : fopen(a->scripts[i], "r");
		if (f == NULL) {
			fprintf(stderr, "%s: %s: %s\n", argv0, a->scripts[i], strerror(errno));
			return -1;
		}
		nfail = runscript(s, f, strcmp(a->scripts[i], "-") == 0 ? "stdin" : a->scripts[i], false);
		if (f != stdin)
			fclose(f);
		if (nfail > 0)
			return -1;
	}
	return 0;
}

static int
finish(Sess *s, const Args *a, int rc, int nline)
{
	if (rc < 0 || a->dry) {
		if (gefs_abort(s->fs) < 0)
			fprintf(stderr, "%s: dropping the changes: %s\n", argv0, gefs_errmsg(s->fs));
		if (rc == 0 && a->verbose)
			fprintf(stderr, "%s: dry run: %d commands would commit\n", argv0, nline);
		return rc < 0;
	}
	if (gefs_commit(s->fs) < 0) {
		fprintf(stderr, "%s: commit: %s\n", argv0, gefs_errmsg(s->fs));
		return 1;
	}
	if (a->verbose)
		fprintf(stderr, "%s: %d commands committed\n", argv0, nline);
	return 0;
}

int
main(int argc, char **argv)
{
	Args a = {0};
	Sess s;
	int rc, nline;

	rc = parseargs(argc, argv, &a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (winapply(argv0, a.image) < 0)
		return 1;
	if (sessopen(&s, argv0, a.image, true, a.cachesz) < 0)
		return 1;
	s.replay = true;
	s.trace = a.verbose;
	s.notflags = CMD_SHELL | CMD_RAW;
	nline = 0;
	rc = runall(&s, &a);
	nline = s.nran;
	rc = finish(&s, &a, rc, nline);
	sessclose(&s);
	if (fclose(stdout) != 0) {
		fprintf(stderr, "%s: writing output: %s\n", argv0, strerror(errno));
		return 1;
	}
	return rc;
}
