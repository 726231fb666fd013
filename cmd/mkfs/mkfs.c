/* SPDX-License-Identifier: MIT */
/*
 * gefs-mkfs — format an image file or block device as GEFS.  Argument
 * parsing and output only; the formatter is gefs_format in libgefs.
 *
 * Exit status: 0 formatted (or, with -n, layout printed), 1 operational
 * error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>
#include "gefs.h"
#include "common.h"
#include "populate.h"

enum {
	EXIT_OK		= 0,
	EXIT_OPERR	= 1,
	EXIT_USAGE	= 2,
};

enum { OPT_NOXREC = 256 };	/* populate.h has the -d options' (from POPT_BASE) */
/* getopt's short options: the leading colon reports missing arguments apart */
#define MKFSOPTS	":u:L:U:bFnqvVhd:l:E:C:"

static const char *argv0 = "gefs-mkfs";

typedef struct Args {
	GefsFormatOpts	fo;
	const char	*image;
	uint64_t	size;		/* 0: not given */
	bool		havesize;
	bool		dryrun;
	bool		uuidopt;	/* -U given */
	bool		raw;		/* -b: sizes in exact bytes */
	int		verbose;	/* -1 quiet, 0 normal, 1 verbose */
	PopArgs		pop;		/* -d and its options (populate.c) */
} Args;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gefs-mkfs [-bFnqvV] [-u user] [-L label] [-U uuid] [--no-xrecord] image [size]\n"
		"       gefs-mkfs -d source [-l label] [--snap name] [--strict] [--shrink]\n"
		"                 [--owner-map file] [-E root_owner=user:group,root_perms=mode]\n"
		"                 [options] image [size]\n"
		"       gefs-mkfs [--offset BYTES | --partition N] [options] image [size]\n"
		"  -u, --user USER     admin user written into the users file (default glenda)\n"
		"  -L, --label LABEL   volume label: at most 255 bytes of UTF-8, no '/'\n"
		"  -U, --uuid UUID     volume UUID: a UUID, \"random\" or \"time\"\n"
		"      --no-xrecord    write no extension record (no UUID, label or time):\n"
		"                      the image is byte-identical to the reference's\n"
		"  -F, --force         format over an existing file system or partition table\n"
		"  -n, --dry-run       print the layout and write nothing\n"
		"  -b, --bytes         print sizes as exact byte counts, not KiB, MiB, ...\n"
		"  -q, --quiet         print only errors\n"
		"  -v, --verbose       also print the arena table and what was written\n"
		"  -V, --version       print the version\n"
		"  -h, --help          print this help\n"
		WINDOW_HELP
		"  -d, --root-dir SRC  fill the image from directory SRC (see gefs-mkfs(8))\n"
		"  -l, --fs-label NAME label to fill (default main; a new name forks empty)\n"
		"      --snap NAME     also an immutable snapshot label NAME of the result\n"
		"      --strict        any node GEFS cannot hold is an error, not a warning\n"
		"      --shrink        without size: the smallest image the source fits in\n"
		"      --owner-map FILE  host uids, gids or image paths to GEFS users\n"
		"  -E OPTS             root_owner=USER:GROUP, root_perms=MODE (octal)\n"
		"  -C FD               progress lines \"files total bytes total\" to FD\n"
		"size: bytes, or with a suffix K, M, G or T (powers of 1024); a regular\n"
		"file is created or resized to it, a block device is formatted whole.\n");
}

/* "PROG: msg" on stderr, returning status (cmd/common). */
#define fail(status, ...)	errline(argv0, status, __VA_ARGS__)

/* -U: a UUID, "random" or "time". */
static int
parseuuid(Args *a, const char *s)
{
	a->uuidopt = true;
	if (strcmp(s, "random") == 0)
		a->fo.uuidmode = GEFS_UUIDRANDOM;
	else if (strcmp(s, "time") == 0)
		a->fo.uuidmode = GEFS_UUIDTIME;
	else if (uuid_parse(s, a->fo.uuid) == 0)
		a->fo.uuidmode = GEFS_UUIDGIVEN;
	else
		return -1;
	return 0;
}

/* SOURCE_DATE_EPOCH (reproducible builds): the creation time, and unless
 * -U was given a UUID derived from the inputs.  -1 when malformed. */
static int
epochof(Args *a)
{
	int rc = sourcedate(&a->fo.ctime);

	if (rc <= 0)
		return rc;
	a->fo.ctimeset = true;
	if (!a->uuidopt)
		a->fo.uuidmode = GEFS_UUIDDERIVE;
	return 0;
}

/* -d and its options (populate.c); -1 after a message. */
static int
popopt(Args *a, int c, const char *arg)
{
	char why[256];

	if (popoption(&a->pop, c, arg, why, sizeof why) < 0)
		return fail(-1, "%s", why);
	return 0;
}

/* Parse the command line into a; an exit status, or -1 to go on. */
static int
parseargs(Args *a, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"user", required_argument, NULL, 'u'},
		{"label", required_argument, NULL, 'L'},
		{"uuid", required_argument, NULL, 'U'},
		{"no-xrecord", no_argument, NULL, OPT_NOXREC},
		{"force", no_argument, NULL, 'F'},
		{"dry-run", no_argument, NULL, 'n'},
		{"bytes", no_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		/* -d and its options (populate.c) */
		{"root-dir", required_argument, NULL, 'd'},
		{"fs-label", required_argument, NULL, 'l'},
		{"snap", required_argument, NULL, POPT_SNAP},
		{"strict", no_argument, NULL, POPT_STRICT},
		{"shrink", no_argument, NULL, POPT_SHRINK},
		{"owner-map", required_argument, NULL, POPT_OWNERMAP},
		WINDOW_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	GefsErr e;
	char msg[128];
	int c;

	gefs_defformatopts(&a->fo);
	opterr = 0;
	while ((c = getopt_long(argc, argv, MKFSOPTS, lopts, NULL)) != -1) {
		switch (c) {
		case 'u':	a->fo.user = optarg; break;
		case 'L':	a->fo.label = optarg; break;
		case 'U':
			if (parseuuid(a, optarg) < 0)
				return fail(EXIT_USAGE, "-U: \"%s\" is not a UUID, \"random\" or \"time\"", optarg);
			break;
		case OPT_NOXREC: a->fo.noxrec = true; break;
		case 'F':	a->fo.force = true; break;
		case 'n':	a->dryrun = true; break;
		case 'b':	a->raw = true; break;
		case 'q':	a->verbose = -1; break;
		case 'v':	a->verbose = 1; break;
		case 'V':	printversion("gefs-mkfs"); return EXIT_OK;
		case 'h':	usage(stdout); return EXIT_OK;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, EXIT_USAGE, c, optarg) < 0)
				return EXIT_USAGE;
			break;
		case 'd': case 'l': case 'E': case 'C':
		case POPT_SNAP: case POPT_STRICT: case POPT_SHRINK: case POPT_OWNERMAP:
			if (popopt(a, c, optarg) < 0)
				return EXIT_USAGE;
			break;
		default:	/* '?' or ':' */
			return usageerr("gefs-mkfs", EXIT_USAGE, "%s", optfailmsg(msg, sizeof msg, MKFSOPTS, lopts,
				optopt, argv[optind - 1]));
		}
	}
	if (argc - optind < 1)
		return fail(EXIT_USAGE, "no image given (see gefs-mkfs --help)");
	if (argc - optind > 2)
		return fail(EXIT_USAGE, "too many operands (see gefs-mkfs --help)");
	a->image = argv[optind];
	if (argc - optind == 2) {
		if (parsebytes(argv[optind + 1], &a->size) < 0)
			return fail(EXIT_USAGE, "cannot parse size \"%s\"", argv[optind + 1]);
		a->havesize = true;
	}
	if (gefs_usercheck(a->fo.user, &e) < 0 || gefs_labelcheck(a->fo.label, &e) < 0)
		return fail(EXIT_USAGE, "%s", e.msg);
	if (a->fo.noxrec && (a->uuidopt || (a->fo.label && a->fo.label[0])))
		return fail(EXIT_USAGE, "-U and -L need the extension record (not --no-xrecord)");
	if (epochof(a) < 0)
		return fail(EXIT_USAGE, "SOURCE_DATE_EPOCH is not a number of seconds");
	return -1;
}

static double
mib(uint64_t n)
{
	return (double)n / 1048576.0;
}

/* The arena table and superblock locations of lay. */
static void
printlayout(const GefsLayout *lay, bool raw)
{
	char s[32];
	uint64_t i;

	printf("size        %s\n", fmtsize(s, sizeof s, lay->devsize, raw));
	printf("minimum     %s\n", fmtsize(s, sizeof s, GEFS_MINSIZE, raw));
	printf("superblocks 0x%" PRIx64 " 0x%" PRIx64 "\n", lay->sb0, lay->sb1);
	printf("arenas      %" PRIu64 " of %s (%" PRIu64 " blocks) + 2 blocks header and footer\n",
		lay->narena, fmtsize(s, sizeof s, lay->arenasz, raw), lay->arenasz / GEFS_BLKSZ);
	printf("unused tail %s\n", fmtsize(s, sizeof s, lay->tail, raw));
	printf("arena  %18s  %18s\n", "start", "size");
	for (i = 0; i < lay->narena; i++)
		printf("%5" PRIu64 "  %#18" PRIx64 "  %18s\n", i, lay->arenastart[i],
			fmtsize(s, sizeof s, lay->arenasz, raw));
}

/* The size a run would format: SIZE, else the image's own; an existing
 * image must be a regular file or block device (of that size). */
static int
imagesize(Args *a, uint64_t *size)
{
	GefsErr e;
	uint64_t own;
	bool isblk;

	*size = a->size;
	if (gefs_imagesize(a->image, &own, &isblk, &e) < 0) {
		if (e.code == ENOENT && a->havesize)
			return 0;
		if (e.code == ENOENT)
			fail(EXIT_OPERR, "%s: no such file (give a size to create it)", a->image);
		else
			fail(EXIT_OPERR, "%s", e.msg);
		return -1;
	}
	if (isblk && a->havesize && a->size != own) {
		fail(EXIT_OPERR, "%s: size %" PRIu64 " differs from the device's size %" PRIu64, a->image,
			a->size, own);
		return -1;
	}
	if (!a->havesize)
		*size = own;
	return 0;
}

/* -n: print what a run would write, write nothing. */
static int
dryrun(Args *a)
{
	GefsLayout lay;
	GefsErr e;
	uint64_t size;
	char what[192];

	if (imagesize(a, &size) < 0)
		return EXIT_OPERR;
	if (size < GEFS_MINSIZE)
		return fail(EXIT_OPERR, "%s: size %" PRIu64 " bytes is below the minimum of %d bytes (%.2f MiB)",
			a->image, size, GEFS_MINSIZE, mib(GEFS_MINSIZE));
	if (gefs_layout(&lay, size, &e) < 0)
		return fail(EXIT_OPERR, "%s", e.msg);
	printf("image       %s\n", a->image);
	if (gefs_fmtrefuse(a->image, a->havesize ? size : 0, what, sizeof what, NULL) > 0)
		printf("contains    %s%s\n", what, a->fo.force ? "" : " (needs -F)");
	printlayout(&lay, a->raw);
	printf("nothing written (-n)\n");
	return EXIT_OK;
}

/* What a successful run reports. */
static void
report(Args *a, const GefsFormatStats *st)
{
	char u[37], s[2][32], t[64];

	if (a->verbose < 0)
		return;
	printf("%s: %s, %" PRIu64 " arenas of %s, admin user %s\n", a->image,
		fmtsize(s[0], sizeof s[0], st->lay.devsize, a->raw), st->lay.narena,
		fmtsize(s[1], sizeof s[1], st->lay.arenasz, a->raw), a->fo.user);
	if (st->xrec) {
		uuid_unparse_lower(st->uuid, u);
		printf("uuid %s, label \"%s\", created %s\n", u,
			a->fo.label ? a->fo.label : "", fmttime(t, sizeof t, st->ctime));
	} else
		printf("no extension record: no uuid, label or creation time\n");
	if (a->verbose > 0) {
		printlayout(&st->lay, a->raw);
		printf("wrote %" PRIu64 " blocks, %s in %" PRIu64 " writes, %" PRIu64 " syncs\n",
			st->nblocks, fmtsize(s[0], sizeof s[0], st->byteswritten, a->raw), st->nwrite, st->nsync);
		if (st->nwiped > 0)
			printf("old signatures and backup superblocks erased: %" PRIu64 "\n", st->nwiped);
	}
}

int
main(int argc, char **argv)
{
	GefsFormatStats st;
	GefsErr e;
	Args a;
	int rc;

	memset(&a, 0, sizeof a);
	checkstdoutatexit(argv0, EXIT_OPERR);
	a.pop.progfd = -1;
	if ((rc = parseargs(&a, argc, argv)) >= 0)
		return rc;
	if (winapply(argv0, a.image) < 0)
		return EXIT_OPERR;
	if (a.dryrun)
		return dryrun(&a);
	if (a.pop.nsrc == 0 && (a.pop.label || a.pop.snap || a.pop.strict || a.pop.shrink
	|| a.pop.rootowner || a.pop.rootperms || a.pop.ownermap || a.pop.progfd >= 0))
		return fail(EXIT_USAGE, "-l, --snap, --strict, --shrink, --owner-map, -E and -C need -d");
	a.pop.quiet = a.verbose < 0;
	if (a.pop.nsrc > 0)	/* -d: format and fill (populate.c) */
		return populate(&a.pop, a.image, a.havesize, a.size, &a.fo, a.verbose);
	if (a.havesize && a.size < GEFS_MINSIZE)
		return fail(EXIT_OPERR, "%s: size %" PRIu64 " bytes is below the minimum of %d bytes (%.2f MiB)",
			a.image, a.size, GEFS_MINSIZE, mib(GEFS_MINSIZE));
	if (gefs_format(a.image, a.size, &a.fo, &st, &e) < 0) {
		if (e.code == EEXIST)
			return fail(EXIT_OPERR, "%s (use -F to format anyway)", e.msg);
		if (e.code == EWOULDBLOCK)
			return fail(EXIT_OPERR, "%s (is another program using it?)", e.msg);
		return fail(EXIT_OPERR, "%s", e.msg);
	}
	report(&a, &st);
	return EXIT_OK;
}
