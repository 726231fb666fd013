/* SPDX-License-Identifier: MIT */
/*
 * gefs-image — write the metadata of a GEFS image (e2image -Q,
 * btrfs-image, xfs_metadump) into a sparse file of the same size, or a
 * gzip stream with -z, for bug reports: no file data, only what
 * gefs_metaimage hands out.  gefs-fsck and gefs-dump open the result
 * directly and know from its extension record that the data is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "gefs.h"
#include "common.h"

enum {
	EXIT_OK		= 0,
	EXIT_OPERR	= 1,
	EXIT_USAGE	= 2,
	ZCHUNK		= 1 << 20,	/* zeros written per gzwrite over a gap */
};

static const char *argv0 = "gefs-image";

typedef struct Args {
	const char	*image;
	const char	*out;
	bool		gz;
	bool		scramble;	/* -s */
	bool		quiet;
	bool		raw;		/* -b: exact byte counts */
} Args;

/* Where the blocks go: a sparse file (fd) or a gzip stream (gz). */
typedef struct Out {
	int		fd;
	gzFile		gz;
	uint64_t	at;		/* gz: bytes written so far */
	uint8_t		*zero;		/* gz: ZCHUNK zero bytes */
	int		err;		/* errno of the first failure */
} Out;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gefs-image [-bqszV] [--offset BYTES | --partition N] image output\n"
		"Write the metadata of a GEFS image (superblocks, arena headers, logs,\n"
		"deadlists, the nodes of every tree) without file data, for bug reports.\n"
		"  -s, --scramble      replace file, directory and label names by random ones\n"
		"                      of the same length, in the same order (see gefs-image(8))\n"
		"  -z, --gzip          write a gzip stream (output '-': standard output)\n"
		"                      instead of a sparse file of the image's size\n"
		"  -b, --bytes         print sizes as exact byte counts\n"
		"  -q, --quiet         print only errors\n"
		"  -V, --version       print the version\n"
		"  -h, --help          print this help\n"
		WINDOW_HELP
		"gefs-fsck and gefs-dump open the output directly (also gzip'd); they\n"
		"know from its extension record that the data blocks are absent.\n");
}

#define fail(status, ...)	errline(argv0, status, __VA_ARGS__)

/* Parse the command line into a; an exit status, or -1 to go on. */
static int
parseargs(Args *a, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"gzip", no_argument, NULL, 'z'},
		{"scramble", no_argument, NULL, 's'},
		{"bytes", no_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		WINDOW_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	char msg[128];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bqszVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'z':	a->gz = true; break;
		case 's':	a->scramble = true; break;
		case 'b':	a->raw = true; break;
		case 'q':	a->quiet = true; break;
		case 'V':	printversion(argv0); return EXIT_OK;
		case 'h':	usage(stdout); return EXIT_OK;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, EXIT_USAGE, c, optarg) < 0)
				return EXIT_USAGE;
			break;
		default:	/* '?' or ':' */
			return usageerr(argv0, EXIT_USAGE, "%s", optfailmsg(msg, sizeof msg, ":bqszVh", lopts,
				optopt, argv[optind - 1]));
		}
	}
	if (argc - optind != 2)
		return usageerr(argv0, EXIT_USAGE, "%s", argc - optind < 1 ? "no image given"
			: argc - optind < 2 ? "no output given" : "too many operands");
	a->image = argv[optind];
	a->out = argv[optind + 1];
	if (strcmp(a->out, "-") == 0 && !a->gz)
		return usageerr(argv0, EXIT_USAGE, "a sparse image must be a file (-z writes to standard output)");
	return -1;
}

/* One block at addr: a pwrite into the sparse file, or zeros up to addr
 * then the block into the gzip stream. */
static int
put(void *arg, uint64_t addr, const uint8_t *blk)
{
	Out *o = arg;
	uint64_t gap;
	size_t n;

	if (o->gz == NULL) {
		if (pwrite(o->fd, blk, GEFS_BLKSZ, (off_t)addr) != GEFS_BLKSZ)
			return o->err = errno ? errno : EIO, -1;
		return 0;
	}
	for (gap = addr - o->at; gap > 0; gap -= n) {
		n = gap < ZCHUNK ? (size_t)gap : ZCHUNK;
		if (gzwrite(o->gz, o->zero, (unsigned)n) != (int)n)
			return o->err = EIO, -1;
	}
	if (gzwrite(o->gz, blk, GEFS_BLKSZ) != GEFS_BLKSZ)
		return o->err = EIO, -1;
	o->at = addr + GEFS_BLKSZ;
	return 0;
}

/* Refuse to write over the image itself. */
static int
sameimage(const Args *a)
{
	struct stat si, so;

	return stat(a->image, &si) == 0 && stat(a->out, &so) == 0
		&& si.st_dev == so.st_dev && si.st_ino == so.st_ino;
}

/* Open the output: O_TRUNC, so that old data cannot stay in the holes. */
static int
openout(const Args *a, Out *o)
{
	memset(o, 0, sizeof *o);
	o->fd = strcmp(a->out, "-") == 0 ? dup(STDOUT_FILENO)
		: open(a->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd < 0)
		return fail(-1, "%s: %s", a->out, strerror(errno));
	if (!a->gz)
		return 0;
	if ((o->zero = calloc(1, ZCHUNK)) == NULL || (o->gz = gzdopen(o->fd, "wb")) == NULL) {
		close(o->fd);
		free(o->zero);
		return fail(-1, "%s: cannot start the gzip stream", a->out);
	}
	return 0;
}

/* Finish the output at size bytes: the trailing hole, the gzip end. */
static int
closeout(const Args *a, Out *o, uint64_t size, bool ok)
{
	int rc = 0;

	if (o->gz != NULL) {
		if (ok && o->at < size && put(o, size - GEFS_BLKSZ, o->zero) < 0)
			rc = -1;	/* size is whole blocks: see main */
		if (gzclose(o->gz) != Z_OK)
			rc = -1;
		free(o->zero);
	} else {
		if (ok && ftruncate(o->fd, (off_t)size) < 0)
			o->err = errno, rc = -1;
		if (close(o->fd) < 0)
			o->err = errno, rc = -1;
	}
	if (rc < 0 && ok)
		fail(-1, "%s: %s", a->out, strerror(o->err ? o->err : EIO));
	return rc;
}

static void
report(const Args *a, Gefs *fs, const GefsImageStats *st)
{
	char s1[32], s2[32];

	if (a->quiet)
		return;
	fprintf(a->gz && strcmp(a->out, "-") == 0 ? stderr : stdout,
		"%s: %" PRIu64 " metadata blocks (%s) of %s (%s): 2 superblocks, %" PRIu64
		" arenas, %" PRIu64 " log blocks, %" PRIu64 " deadlist blocks, %" PRIu64 " nodes, %" PRIu64
		" users-file blocks%s\n", a->out, st->nblk, fmtsize(s1, sizeof s1, st->nblk * GEFS_BLKSZ, a->raw),
		a->image, fmtsize(s2, sizeof s2, gefs_devsize(fs), a->raw), st->narena, st->nlog, st->ndlist,
		st->nnode, st->nusers, st->nbad ? " (some blocks do not decode: exported as they are)" : "");
	if (a->scramble)
		fprintf(a->gz && strcmp(a->out, "-") == 0 ? stderr : stdout,
			"%s: %" PRIu64 " names scrambled, %" PRIu64 " left unchanged; %" PRIu64
			" labels scrambled, %" PRIu64 " left unchanged; %" PRIu64 " nodes rewritten\n", a->out,
			st->nnames, st->nkept, st->nlabels, st->nlabelskept, st->nchanged);
}

/* Export the metadata of fs to a->out (sparse, or gzip with a->gz). */
static int
export(const Args *a, Gefs *fs, GefsImageStats *st)
{
	Out o;
	int rc;

	if (openout(a, &o) < 0)
		return -1;
	/* the output keeps the whole blocks of the image (§2: L') */
	rc = gefs_metaimage(fs, put, &o, st);
	if (rc < 0)
		fail(0, "%s", o.err ? strerror(o.err) : gefs_errmsg(fs));
	if (closeout(a, &o, gefs_devsize(fs) / GEFS_BLKSZ * GEFS_BLKSZ, rc == 0) < 0)
		rc = -1;
	return rc;
}

/* -s: scramble the sparse export at path, seeded from the image (its
 * superblock hash), outside the input's window. */
static int
scramble(const char *path, uint64_t seed, GefsImageStats *st)
{
	GefsOpts opts;
	GefsErr e;
	Gefs *fs;
	int rc;

	if (gefs_setwindow(0, 0, &e) < 0)
		return fail(-1, "%s", e.msg);
	gefs_defopts(&opts);
	opts.rdwr = true;
	if ((fs = gefs_open(path, &opts, &e)) == NULL)
		return fail(-1, "scrambling %s: %s", path, e.msg);
	if ((rc = gefs_scramble(fs, seed, st)) < 0)
		fail(0, "scrambling %s: %s", path, gefs_errmsg(fs));
	gefs_close(fs);
	return rc;
}

/* -s -z: the scrambled sparse file tmp, gzip'd into a->out. */
static int
gzipto(const Args *a, const char *tmp)
{
	Out o;
	uint8_t *buf = malloc(ZCHUNK);
	ssize_t n;
	int fd, rc = 0;

	if (buf == NULL || (fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return fail(-1, "%s: %s", tmp, strerror(errno));
	}
	if (openout(a, &o) < 0)
		rc = -1;
	while (rc == 0 && (n = read(fd, buf, ZCHUNK)) > 0)
		if (gzwrite(o.gz, buf, (unsigned)n) != (int)n)
			rc = fail(-1, "%s: write failed", a->out);
	if (o.gz != NULL && gzclose(o.gz) != Z_OK && rc == 0)
		rc = fail(-1, "%s: write failed", a->out);
	if (o.gz != NULL)
		free(o.zero);
	close(fd);
	free(buf);
	return rc;
}

/* A temporary sparse file for -s -z. */
static char *
tmpimage(void)
{
	const char *dir = getenv("TMPDIR");
	char *p;
	int fd;

	if (asprintf(&p, "%s/gefs-image-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return NULL;
	if ((fd = mkstemp(p)) < 0) {
		fail(0, "%s: %s", p, strerror(errno));
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

/* Export, and with -s scramble (through a temporary file with -z). */
static int
run(const Args *a, Gefs *fs, GefsImageStats *st)
{
	Args sa = *a;
	char *tmp = NULL;
	int rc;

	if (!a->scramble)
		return export(a, fs, st);
	if (a->gz && (tmp = tmpimage()) == NULL)
		return -1;
	if (tmp != NULL) {
		sa.out = tmp;
		sa.gz = false;
	}
	rc = export(&sa, fs, st);
	if (rc == 0)
		rc = scramble(sa.out, gefs_super(fs, NULL)->sbhash, st);
	if (rc == 0 && tmp != NULL)
		rc = gzipto(a, tmp);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	GefsImageStats st;
	GefsOpts opts;
	GefsErr e;
	Args a;
	Gefs *fs;
	int rc;

	memset(&a, 0, sizeof a);
	checkstdoutatexit(argv0, EXIT_OPERR);
	if ((rc = parseargs(&a, argc, argv)) >= 0)
		return rc;
	if (winapply(argv0, a.image) < 0)
		return EXIT_OPERR;
	if (sameimage(&a))
		return fail(EXIT_OPERR, "%s: the output is the image itself", a.out);
	gefs_defopts(&opts);
	if ((fs = gefs_open(a.image, &opts, &e)) == NULL)
		return fail(EXIT_OPERR, "%s", e.msg);
	rc = run(&a, fs, &st);
	if (rc == 0)
		report(&a, fs, &st);
	gefs_close(fs);
	if (rc < 0 && strcmp(a.out, "-") != 0)
		unlink(a.out);
	return rc < 0 || checkstdout(argv0) < 0 ? EXIT_OPERR : EXIT_OK;
}
