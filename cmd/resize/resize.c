/* SPDX-License-Identifier: MIT */
/*
 * gefs-resize — grow a GEFS file system into a larger image or device,
 * like resize2fs: four arenas are added as 9front's own grow adds them
 * (gefs(5) §19).  The work is gefs_grow in libgefs; this is the command
 * line.
 *
 * Exit status: 0 grown, 1 operational error (including a size that
 * would shrink or grow by too little), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gefs.h"
#include "common.h"

enum {
	EXIT_OK		= 0,
	EXIT_OPERR	= 1,
	EXIT_USAGE	= 2,
};

static const char *argv0 = "gefs-resize";

typedef struct Args {
	const char	*image;
	uint64_t	size;		/* 0: the image's own size */
	bool		quiet;
} Args;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gefs-resize [-qV] [--offset BYTES | --partition N] image [size]\n"
		"Grow the GEFS file system in image to size bytes (default: the size of\n"
		"the file or device), adding four arenas as 9front's gefs does.\n"
		"  -q, --quiet         print only errors\n"
		"  -V, --version       print the version\n"
		"  -h, --help          print this help\n"
		WINDOW_HELP
		"size: bytes, or with a suffix K, M, G or T (powers of 1024); a regular\n"
		"file is extended to it.  Shrinking is not supported.\n");
}

/* "PROG: msg" on stderr, returning status (cmd/common). */
#define fail(status, ...)	errline(argv0, status, __VA_ARGS__)

/* Parse the command line into a; an exit status, or -1 to go on. */
static int
parseargs(Args *a, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		WINDOW_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	char msg[128];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':	a->quiet = true; break;
		case 'V':	printversion("gefs-resize"); return EXIT_OK;
		case 'h':	usage(stdout); return EXIT_OK;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, EXIT_USAGE, c, optarg) < 0)
				return EXIT_USAGE;
			break;
		default:	/* '?' or ':' */
			return usageerr("gefs-resize", EXIT_USAGE, "%s", optfailmsg(msg, sizeof msg, ":qVh", lopts,
				optopt, argv[optind - 1]));
		}
	}
	if (argc - optind < 1)
		return fail(EXIT_USAGE, "no image given (see gefs-resize --help)");
	if (argc - optind > 2)
		return fail(EXIT_USAGE, "too many operands (see gefs-resize --help)");
	a->image = argv[optind];
	if (argc - optind == 2 && (parsebytes(argv[optind + 1], &a->size) < 0 || a->size == 0))
		return fail(EXIT_USAGE, "cannot parse size \"%s\"", argv[optind + 1]);
	return -1;
}

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: warning: %s\n", argv0, msg);
}

static void
report(const Args *a, const GefsGrow *g)
{
	int i;

	if (a->quiet)
		return;
	printf("%s: grown from %" PRIu64 " to %" PRIu64 " bytes, %" PRIu32 " to %" PRIu32 " arenas\n",
		a->image, g->oldsize, g->newsize, g->oldnarena, g->newnarena);
	printf("new arenas of %" PRIu64 " bytes at", g->arenasz);
	for (i = 0; i < 4; i++)
		printf(" %#" PRIx64, g->arenaaddr[i]);
	printf("\nbackup superblock at %#" PRIx64 "\n", g->sb1);
}

int
main(int argc, char **argv)
{
	GefsOpts o;
	GefsGrow g;
	GefsErr e;
	Args a;
	Gefs *fs;
	int rc;

	memset(&a, 0, sizeof a);
	if ((rc = parseargs(&a, argc, argv)) >= 0)
		return rc;
	if (winapply(argv0, a.image) < 0)
		return EXIT_OPERR;
	gefs_defopts(&o);
	o.rdwr = true;
	o.warn = warn;
	if ((fs = gefs_open(a.image, &o, &e)) == NULL)
		return fail(EXIT_OPERR, "%s%s", e.msg,
			e.code == EWOULDBLOCK ? " (is another program using it?)" : "");
	if (a.size == 0)
		a.size = gefs_devsize(fs);
	rc = EXIT_OK;
	if (gefs_grow(fs, a.size, &g) < 0)
		rc = fail(EXIT_OPERR, "%s: %s", a.image, gefs_errmsg(fs));
	else
		report(&a, &g);
	gefs_close(fs);
	return rc;
}
