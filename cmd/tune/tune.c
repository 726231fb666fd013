/* SPDX-License-Identifier: MIT */
/*
 * gefs-tune — show or change the volume label and UUID of a GEFS image
 * (the extension record, gefs(5) §22), like tune2fs -L/-U.  Changes go
 * through gefs_setxrec, a normal libgefs commit.
 *
 * Exit status: 0 done, 1 operational error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>
#include "gefs.h"
#include "common.h"

enum {
	EXIT_OK		= 0,
	EXIT_OPERR	= 1,
	EXIT_USAGE	= 2,
};

/* How -U picks the new UUID. */
enum { UKEEP, URANDOM, UTIME, UCLEAR, UGIVEN };

/* 100-ns intervals between the Gregorian reform (1582-10-15), where
 * version-1 UUID time starts, and the Unix epoch (RFC 4122 §4.1.4). */
#define GREGOFF		0x01B21DD213814000ULL

static const char *argv0 = "gefs-tune";

typedef struct Args {
	const char	*image;
	const char	*label;		/* -L, NULL: keep */
	int		umode;		/* U* */
	uint8_t		uuid[16];	/* UGIVEN */
	bool		quiet;
	bool		epochset;	/* SOURCE_DATE_EPOCH */
	int64_t		epoch;		/* ns */
} Args;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gefs-tune [-qV] [-L label] [-U uuid|random|time|clear]\n"
		"                 [--offset BYTES | --partition N] image\n"
		"Show the volume label and UUID of a GEFS image, or change them.\n"
		"  -L, --label LABEL   new volume label: at most 255 bytes of UTF-8, no '/'\n"
		"                      or control character; \"\" removes the label\n"
		"  -U, --uuid UUID     new volume UUID: a UUID, \"random\" (version 4),\n"
		"                      \"time\" (version 1) or \"clear\" (the nil UUID)\n"
		"  -q, --quiet         print only errors\n"
		"  -V, --version       print the version\n"
		"  -h, --help          print this help\n"
		WINDOW_HELP
		"An image without an extension record gets one.  SOURCE_DATE_EPOCH\n"
		"sets the time of \"time\" UUIDs and of a new record.\n");
}

/* "PROG: msg" on stderr, returning status (cmd/common). */
#define fail(status, ...)	errline(argv0, status, __VA_ARGS__)

/* -U: a UUID, "random", "time" or "clear". */
static int
parseuuid(Args *a, const char *s)
{
	if (strcmp(s, "random") == 0)
		a->umode = URANDOM;
	else if (strcmp(s, "time") == 0)
		a->umode = UTIME;
	else if (strcmp(s, "clear") == 0)
		a->umode = UCLEAR;
	else if (uuid_parse(s, a->uuid) == 0)
		a->umode = UGIVEN;
	else
		return -1;
	return 0;
}

/* SOURCE_DATE_EPOCH (reproducible builds): -1 when malformed. */
static int
epochof(Args *a)
{
	int rc = sourcedate(&a->epoch);

	a->epochset = rc > 0;
	return rc;
}

/* Parse the command line into a; an exit status, or -1 to go on. */
static int
parseargs(Args *a, int argc, char **argv)
{
	static const struct option lopts[] = {
		{"label", required_argument, NULL, 'L'},
		{"uuid", required_argument, NULL, 'U'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		WINDOW_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	GefsErr e;
	char msg[128];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":L:U:qVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'L':	a->label = optarg; break;
		case 'U':
			if (parseuuid(a, optarg) < 0)
				return fail(EXIT_USAGE, "-U: \"%s\" is not a UUID, \"random\", \"time\" or \"clear\"", optarg);
			break;
		case 'q':	a->quiet = true; break;
		case 'V':	printversion("gefs-tune"); return EXIT_OK;
		case 'h':	usage(stdout); return EXIT_OK;
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt(argv0, EXIT_USAGE, c, optarg) < 0)
				return EXIT_USAGE;
			break;
		default:	/* '?' or ':' */
			return usageerr("gefs-tune", EXIT_USAGE, "%s", optfailmsg(msg, sizeof msg, ":L:U:qVh", lopts,
				optopt, argv[optind - 1]));
		}
	}
	if (argc - optind < 1)
		return fail(EXIT_USAGE, "no image given (see gefs-tune --help)");
	if (argc - optind > 1)
		return fail(EXIT_USAGE, "too many operands (see gefs-tune --help)");
	a->image = argv[optind];
	if (a->label != NULL && gefs_labelcheck(a->label, &e) < 0)
		return fail(EXIT_USAGE, "%s", e.msg);
	if (epochof(a) < 0)
		return fail(EXIT_USAGE, "SOURCE_DATE_EPOCH is not a number of seconds");
	return -1;
}

/* A version-1 UUID for time ns (RFC 4122 §4.2) whose clock sequence and
 * node come from seed, with the multicast bit set as for a node that is no
 * network address (§4.5): the same inputs give the same UUID. */
static void
timeuuid(uint8_t u[16], int64_t ns, const uint8_t seed[16])
{
	uint64_t t = (uint64_t)(ns / 100) + GREGOFF;
	int i;

	for (i = 0; i < 4; i++)
		u[i] = (uint8_t)(t >> (24 - 8 * i));
	u[4] = (uint8_t)(t >> 40);
	u[5] = (uint8_t)(t >> 32);
	u[6] = (uint8_t)(0x10 | ((t >> 56) & 0x0f));
	u[7] = (uint8_t)(t >> 48);
	memcpy(u + 8, seed + 8, 8);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	u[10] |= 0x01;
}

/* The current time, or SOURCE_DATE_EPOCH's, in ns. */
static int64_t
now(const Args *a)
{
	struct timespec ts;

	if (a->epochset)
		return a->epoch;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The new UUID of x (whose label is already set), on an image of size
 * bytes.  A record made from nothing without -U gets what gefs-mkfs would
 * give it: random, or derived from the inputs under SOURCE_DATE_EPOCH. */
static void
newuuid(const Args *a, GefsXrec *x, bool fresh, uint64_t size)
{
	uint8_t seed[16];

	switch (a->umode) {
	case UGIVEN:	memcpy(x->uuid, a->uuid, 16); break;
	case UCLEAR:	memset(x->uuid, 0, 16); break;
	case URANDOM:	uuid_generate_random(x->uuid); break;
	case UTIME:
		if (!a->epochset) {
			uuid_generate_time(x->uuid);
			break;
		}
		gefs_deriveuuid(seed, a->epoch, size, NULL, (const char *)x->label);
		timeuuid(x->uuid, a->epoch, seed);
		break;
	default:
		if (!fresh)
			break;
		if (a->epochset)
			gefs_deriveuuid(x->uuid, x->ctime, size, NULL, (const char *)x->label);
		else
			uuid_generate_random(x->uuid);
	}
}

/* The label, UUID and creation time of x. */
static void
show(const GefsXrec *x)
{
	char u[37], when[64];

	uuid_unparse_lower(x->uuid, u);
	if (x->labellen > 0)
		printf("label    %s\n", (const char *)x->label);
	else
		printf("label    (none)\n");
	printf("uuid     %s\n", u);
	if (x->ctime <= 0)
		printf("created  (unknown)\n");
	else
		printf("created  %s\n", fmttime(when, sizeof when, x->ctime));
}

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: warning: %s\n", argv0, msg);
}

/* Open the image (for writing when anything changes). */
static Gefs *
openimg(const Args *a, bool rdwr)
{
	GefsOpts o;
	GefsErr e;
	Gefs *fs;

	gefs_defopts(&o);
	o.rdwr = rdwr;
	o.warn = warn;
	if ((fs = gefs_open(a->image, &o, &e)) == NULL)
		fail(EXIT_OPERR, "%s%s", e.msg,
			e.code == EWOULDBLOCK ? " (is another program using it?)" : "");
	return fs;
}

/* Build the new record from the old one (or from nothing) and commit it. */
static int
change(const Args *a, Gefs *fs)
{
	const GefsXrec *old = gefs_xrec(fs);
	GefsXrec x;

	memset(&x, 0, sizeof x);
	if (old != NULL)
		x = *old;
	else
		x.ctime = now(a);
	if (a->label != NULL) {
		memset(x.label, 0, sizeof x.label);
		x.labellen = (uint16_t)strlen(a->label);
		memcpy(x.label, a->label, x.labellen);
	}
	newuuid(a, &x, old == NULL, gefs_devsize(fs));
	if (gefs_setxrec(fs, &x) < 0)
		return fail(EXIT_OPERR, "%s: %s", a->image, gefs_errmsg(fs));
	if (!a->quiet)
		show(&x);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	const GefsXrec *x;
	Args a;
	Gefs *fs;
	bool edit;
	int rc;

	memset(&a, 0, sizeof a);
	if ((rc = parseargs(&a, argc, argv)) >= 0)
		return rc;
	if (winapply(argv0, a.image) < 0)
		return EXIT_OPERR;
	edit = a.label != NULL || a.umode != UKEEP;
	if ((fs = openimg(&a, edit)) == NULL)
		return EXIT_OPERR;
	if (edit)
		rc = change(&a, fs);
	else if ((x = gefs_xrec(fs)) != NULL) {
		show(x);
		rc = EXIT_OK;
	} else {
		printf("%s: no extension record: no label or UUID (gefs-tune -L or -U adds one)\n", a.image);
		rc = EXIT_OK;
	}
	gefs_close(fs);
	return rc;
}
