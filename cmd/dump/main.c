/* SPDX-License-Identifier: MIT */
/*
 * gefs-dump — print the structures of a GEFS image: superblocks, arenas,
 * allocation logs, free space, snapshots, trees, blocks and files, as text
 * for people or JSON for programs.  Read-only; gzip images are accepted.
 *
 *	gefs-dump [OPTIONS] IMAGE COMMAND [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "dump.h"
#include "common.h"

const char *argv0 = "gefs-dump";

static const Dumpcmd cmds[] = {
	{ "super",	cmdsuper,	true,	"[-F|--force]",
	  "both superblocks, side by side, and what differs" },
	{ "arenas",	cmdarenas,	true,	"",
	  "arena headers: address, size, use, log head" },
	{ "log",	cmdlog,		true,	"[ARENA]",
	  "allocation log blocks, every entry decoded" },
	{ "free",	cmdfree,	true,	"[ARENA]",
	  "free ranges and totals, per arena" },
	{ "snaps",	cmdsnaps,	true,	"",
	  "labels, snapshot records and deadlists" },
	{ "tree",	cmdtree,	true,	"[--depth N] LABEL | -s SNAPID | -b ADDR | -S",
	  "tree nodes, keys, values and buffered messages" },
	{ "block",	cmdblock,	true,	"[-x] ADDR",
	  "one block, decoded by its type (-x: hex dump)" },
	{ "ls",		cmdls,		true,	"[-R] [-l] LABEL[:/PATH]",
	  "list a directory (or a file)" },
	{ "cat",	cmdcat,		false,	"LABEL:/PATH",
	  "write a file's contents to standard output" },
	{ "stats",	cmdstats,	true,	"",
	  "per tree: height, nodes, fill, messages; per arena: use" },
	{ "manifest",	cmdmanifest,	true,	"LABEL[:/PATH]",
	  "every entry below PATH, in the reference manifest format" },
	{ "restore",	cmdrestore,	false,	"[-o] [-v] [--dry-run] LABEL[:/PATH] HOSTDIR",
	  "restore the readable files into HOSTDIR; list what is skipped" },
};

static void
usage(FILE *f)
{
	size_t i;
	char syn[80];

	fprintf(f, "Usage: %s [OPTIONS] IMAGE COMMAND [ARGS]\n", argv0);
	fputs("Print the structures of a GEFS image (read-only; IMAGE may be a .img.gz).\n"
	      "Paths are written LABEL:/PATH; a bare LABEL means its root.\n\nCommands:\n", f);
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		snprintf(syn, sizeof syn, "%s %s", cmds[i].name, cmds[i].args);
		if (strlen(syn) > 26)
			fprintf(f, "  %s\n  %-26s %s\n", syn, "", cmds[i].help);
		else
			fprintf(f, "  %-26s %s\n", syn, cmds[i].help);
	}
	fputs("\nOptions (also accepted after COMMAND, except -b):\n"
	      "  --json             JSON output: one value with a versioned header (not for cat)\n"
	      "  --hide-names       show file and label names (but adm, main, empty) as\n"
	      "                     name-N / label-N, numbered in order of first appearance\n"
	      "  -b, --bytes        exact byte counts instead of KiB, MiB, ...\n"
	      "  --cache-size SIZE  block cache size, e.g. 256M (default 64M)\n"
	      "  --sb 0|1           use this superblock copy\n"
	      "  --ignore-hash      read on despite hash mismatches (warnings on stderr)\n"
	      "  --offset BYTES     the file system starts BYTES into IMAGE (K, M, G suffixes)\n"
	      "  --partition N      the file system is partition N of the GPT or MBR disk image IMAGE\n"
	      "  -V, --version      print the version and exit\n"
	      "  -h, --help         print this help and exit\n"
	      "\nExit status: 0 done; 1 damaged image, or no such label, path, block or\n"
	      "snapshot; 2 usage error.\n", f);
}

void
usagefail(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	exit(usageerr(argv0, EXIT_USAGE, "%s", msg));
}

/* Every failure the renderers report: one line on stderr, after what
 * was printed so far; the run's exit status becomes 1. */
static void
onerr(void *arg, const char *msg)
{
	Dump *d;

	d = arg;
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", argv0, msg);
	if (d->status < EXIT_DAMAGED)
		d->status = EXIT_DAMAGED;
}

void
fail(Dump *d, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof d->r.err];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rfail(&d->r, "%s", msg);
}

void
fsfail(Dump *d, const char *fmt, ...)
{
	va_list ap;
	char pre[256];

	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	rfsfail(&d->r, "%s", pre);
}

static void
warnfn(void *arg, const char *msg)
{
	Dump *d;

	d = arg;
	d->nwarn++;
	fflush(stdout);
	fprintf(stderr, "%s: warning: %s\n", argv0, msg);
}

void
dumpopen(Dump *d)
{
	GefsErr e;

	memset(&e, 0, sizeof e);
	d->opts.warn = warnfn;
	d->opts.warnarg = d;
	d->r.ignhash = d->opts.ignhash;
	d->r.fs = gefs_open(d->image, &d->opts, &e);
	if (d->r.fs == NULL && d->force && e.code != EINVAL && e.code != ENOENT) {
		fprintf(stderr, "%s: warning: %s; reading the image without a superblock\n", argv0, e.msg);
		d->nwarn++;
		memset(&e, 0, sizeof e);
		d->r.fs = gefs_openraw(d->image, &d->opts, &e);
	}
	if (d->r.fs == NULL) {
		rfail(&d->r, "%s", e.msg[0] ? e.msg : strerror(e.code));
		/* --json: still one value, saying what went wrong */
		dumpbegin(d);
		dumpend(d);
		exit(e.code == EINVAL ? EXIT_USAGE : EXIT_DAMAGED);
	}
}

void
dumpbegin(Dump *d)
{
	rbegin(&d->r, argv0, d->cmd->name, d->image);
}

int
dumpend(Dump *d)
{
	rend(&d->r);
	if (checkstdout(argv0) < 0 && d->status < EXIT_DAMAGED)
		d->status = EXIT_DAMAGED;
	return d->status;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

enum { OJSON = 256, OHIDE, OCACHE, OSB, OIGNHASH, OBYTES };

static const struct option gopts[] = {
	{ "json",	no_argument,		NULL, OJSON },
	{ "hide-names",	no_argument,		NULL, OHIDE },
	{ "bytes",	no_argument,		NULL, OBYTES },
	{ "cache-size",	required_argument,	NULL, OCACHE },
	{ "sb",		required_argument,	NULL, OSB },
	{ "ignore-hash", no_argument,		NULL, OIGNHASH },
	WINDOW_OPTIONS,
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Apply one global option. */
static void
setopt1(Dump *d, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OJSON:	d->r.json = true; break;
	case OHIDE:	d->r.hide = true; break;
	case 'b':
	case OBYTES:	d->r.raw = true; break;
	case OIGNHASH:	d->opts.ignhash = true; break;
	case OCACHE:
		v = parsesize(arg);
		if (v < 16 * GEFS_BLKSZ)
			usagefail("--cache-size %s: at least 256K", arg);
		d->opts.cachesz = (size_t)v;
		break;
	case OSB:
		if (strcmp(arg, "0") != 0 && strcmp(arg, "1") != 0)
			usagefail("--sb %s: expected 0 or 1", arg);
		d->opts.sbcopy = arg[0] - '0';
		break;
	case 'V':
		printversion(argv0);
		exit(0);
	case 'h':
		usage(stdout);
		exit(0);
	case WOPT_OFFSET:
	case WOPT_PARTITION:
		if (winopt(argv0, EXIT_USAGE, c, arg) < 0)
			exit(EXIT_USAGE);
		break;
	default:
		usagefail("unknown option");
	}
}

/* Match a long global option in a command's arguments ("--sb=1" or
 * "--sb 1"); returns how many words it used, 0 if it is not one. */
static int
globalarg(Dump *d, char **argv, int i, int argc)
{
	const struct option *o;
	const char *a, *val;
	size_t n;

	a = argv[i];
	if (strncmp(a, "--", 2) != 0)
		return 0;
	for (o = gopts; o->name != NULL; o++) {
		n = strlen(o->name);
		if (strncmp(a + 2, o->name, n) != 0 || (a[2 + n] != 0 && a[2 + n] != '='))
			continue;
		if (o->has_arg == no_argument) {
			if (a[2 + n] == '=')
				usagefail("option '--%s' takes no argument", o->name);
			setopt1(d, o->val, NULL);
			return 1;
		}
		if (a[2 + n] == '=') {
			setopt1(d, o->val, a + 3 + n);
			return 1;
		}
		if (i + 1 >= argc)
			usagefail("option '--%s' needs an argument", o->name);
		val = argv[i + 1];
		setopt1(d, o->val, val);
		return 2;
	}
	return 0;
}

/* Take global long options out of a command's arguments (up to "--"). */
static int
pullglobals(Dump *d, int argc, char **argv)
{
	int i, o, n;

	for (i = 1, o = 1; i < argc; ) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[o++] = argv[i++];
			break;
		}
		n = globalarg(d, argv, i, argc);
		if (n > 0) {
			i += n;
			continue;
		}
		argv[o++] = argv[i++];
	}
	argv[o] = NULL;
	return o;
}

int
main(int argc, char **argv)
{
	Dump d;
	const Dumpcmd *cmd;
	char msg[128];
	size_t i;
	int c, rc;

	memset(&d, 0, sizeof d);
	gefs_defopts(&d.opts);
	d.r.f = stdout;
	d.r.onerr = onerr;
	d.r.errarg = &d;
	checkstdoutatexit(argv0, EXIT_DAMAGED);
	opterr = 0;	/* one line of our own, not getopt's */
	while ((c = getopt_long(argc, argv, "+bVh", gopts, NULL)) != -1) {
		if (c == '?')
			usagefail("%s", optfailmsg(msg, sizeof msg, "+bVh", gopts, optopt, argv[optind - 1]));
		setopt1(&d, c, optarg);
	}
	if (argc - optind < 2)
		usagefail(argc - optind < 1 ? "missing IMAGE and COMMAND" : "missing COMMAND");
	d.image = argv[optind++];
	cmd = NULL;
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, argv[optind]) == 0)
			cmd = &cmds[i];
	if (cmd == NULL)
		usagefail("unknown command '%s'", argv[optind]);
	d.cmd = cmd;
	argc -= optind;
	argv += optind;
	argc = pullglobals(&d, argc, argv);
	if (d.r.json && !cmd->json)
		usagefail("%s: --json does not apply (it writes %s)", cmd->name,
			strcmp(cmd->name, "cat") == 0 ? "raw bytes" : "host files");
	if (winapply(argv0, d.image) < 0)
		return EXIT_DAMAGED;
	optind = 0;	/* glibc: reinitialise getopt for the command */
	opterr = 0;
	rc = cmd->fn(&d, argc, argv);
	if (d.r.fs != NULL)
		gefs_close(d.r.fs);
	rfree(&d.r);
	return rc;
}
