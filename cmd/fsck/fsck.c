/* SPDX-License-Identifier: MIT */
/*
 * gefs-fsck — check (and repair what can be repaired of) a GEFS image.
 * Argument parsing and output only; the checker is gefs_check in libgefs.
 *
 * Exit status as fsck(8): 0 clean, 1 corrected, 4 errors left, 8
 * operational error, 16 usage, 32 cancelled; combined by OR.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gefs.h"
#include "common.h"
#include "json.h"

enum {
	EXIT_OK		= 0,
	EXIT_FIXED	= 1,
	EXIT_UNCORRECTED = 4,
	EXIT_OPERR	= 8,
	EXIT_USAGE	= 16,
	EXIT_CANCEL	= 32,
};

enum { OPT_JSON = 256, OPT_LIST };

typedef struct Ctx {
	const char	*dev;
	int		mode;
	int		verbose;
	bool		timing;
	bool		json;
	int		progfd;		/* -1 none, 0 bar on stdout, else fd */
	int		lastpct;
	int		lastpass;
	Json		j;
} Ctx;

static volatile int stopflag;

static void
onsig(int sig)
{
	(void)sig;
	stopflag = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: gefs-fsck [-n | -p | -a | -y] [-fvtV] [-b 0|1] [-C fd] [-E reclaim|nodata] [-j threads] [--json]\n"
		"                 [--offset BYTES | --partition N] device\n"
		"       gefs-fsck --list-problems\n"
		"  -n        check only, change nothing (the default)\n"
		"  -p, -a    preen: repair what is safe without asking\n"
		"  -y        repair everything that can be repaired\n"
		"  -f        accepted (the check is always complete)\n"
		"  -r        accepted, same as -n (there is no interactive mode)\n"
		"  -v        also print notes\n"
		"  -t        print time and peak memory per pass\n"
		"  -b N      use superblock copy N (0 primary, 1 backup)\n"
		"  -C fd     progress lines \"pass cur max device\" on fd; 0: a bar (stderr with --json)\n"
		"  -E reclaim  with -p or -y, also free leaked blocks (allocated, unreferenced)\n"
		"  -E nodata   metadata only: check every node, log and deadlist block and all\n"
		"            structure, but do not read data blocks (their hashes go unchecked)\n"
		"  -j N      N threads (1-8): N-1 read and hash data blocks while one walks\n"
		"            the trees (default: one per CPU, at least 3)\n"
		"  --json    findings and summary as JSON on stdout\n"
		WINDOW_HELP
		"  -V        print the version\n");
}

static void
report(void *arg, const GefsFinding *f)
{
	Ctx *c = arg;

	if (c->json) {
		jsonobj(&c->j, NULL);
		jsonstr(&c->j, "code", f->p->code);
		jsonstr(&c->j, "severity", gefs_sevname(f->p->sev));
		jsonu64(&c->j, "pass", (uint64_t)f->pass);
		if (f->addr != GEFS_NONE)
			jsonhex(&c->j, "block", f->addr);
		else
			jsonnull(&c->j, "block");
		jsonstr(&c->j, "message", f->msg);
		jsonbool(&c->j, "fixed", f->fixed);
		if (f->more > 0)
			jsonu64(&c->j, "more", f->more);
		jsonend(&c->j);
		return;
	}
	if (f->p->sev == GEFS_SEVNOTE && !c->verbose && !f->fixed)
		return;
	if (c->progfd == 0 && c->lastpct >= 0) {
		fputc('\n', stdout);
		c->lastpct = -1;
	}
	if (c->mode == GEFS_CKPREEN)
		printf("%s: ", c->dev);
	printf("%s %s: %s%s\n", f->p->code, gefs_sevname(f->p->sev), f->msg, f->fixed ? " (FIXED)" : "");
}

/* Where the -C 0 bar goes: the terminal's stdout, or stderr under --json. */
static FILE *
barfile(const Ctx *c)
{
	return c->json ? stderr : stdout;
}

static void
progress(void *arg, int pass, uint64_t cur, uint64_t max)
{
	Ctx *c = arg;
	int pct = max ? (int)(cur * 100 / max) : 100;
	char line[256];
	int n;

	if (c->progfd < 0 || (pass == c->lastpass && pct == c->lastpct))
		return;
	c->lastpass = pass;
	c->lastpct = pct;
	if (c->progfd > 0) {
		n = snprintf(line, sizeof line, "%d %llu %llu %s\n", pass, (unsigned long long)cur,
			(unsigned long long)max, c->dev);
		if (write(c->progfd, line, (size_t)n) < 0)
			c->progfd = -1;
		return;
	}
	/* with --json, stdout holds only the JSON document */
	fprintf(barfile(c), "\r%s: pass %d (%s): %3d%% [%-40.*s]", c->dev, pass, gefs_passname(pass), pct,
		pct * 40 / 100, "########################################");
	fflush(barfile(c));
}

static int
listproblems(void)
{
	const GefsProblem *p;
	size_t n, i;

	p = gefs_problems(&n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s%s%s\t%s\n", p[i].code, gefs_sevname(p[i].sev),
			(p[i].flags & GEFS_PRPREEN) ? "preen" : (p[i].flags & GEFS_PRNOFIX) ? "nofix" : "fix",
			(p[i].flags & GEFS_PRFATAL) ? ",fatal" : "",
			(p[i].flags & GEFS_PRCOMMIT) ? ",commit" : "", p[i].desc);
	return EXIT_OK;
}

/* The JSON summary: the same numbers as the text, each named by what it
 * counts (findings, blocks, or entries summed over the snapshots). */
static void
jsonsummary(Ctx *c, const GefsCheckStats *st, int status)
{
	jsonend(&c->j);	/* findings */
	jsonobj(&c->j, "summary");
	jsonu64(&c->j, "errors", st->nfound[GEFS_SEVERR]);
	jsonu64(&c->j, "errors_fixed", st->nfixsev[GEFS_SEVERR]);
	jsonu64(&c->j, "warnings", st->nfound[GEFS_SEVWARN]);
	jsonu64(&c->j, "warnings_fixed", st->nfixsev[GEFS_SEVWARN]);
	jsonu64(&c->j, "notes", st->nfound[GEFS_SEVNOTE]);
	jsonu64(&c->j, "notes_fixed", st->nfixsev[GEFS_SEVNOTE]);
	jsonu64(&c->j, "fixed", st->nfixed);
	jsonu64(&c->j, "errors_left", st->nerrleft);
	if (st->metaimage)
		jsonbool(&c->j, "metadata_image", true);
	jsonu64(&c->j, "blocks", st->nblocks);
	jsonu64(&c->j, "allocated", st->nalloc);
	jsonu64(&c->j, "referenced", st->nref);
	jsonu64(&c->j, "leaked", st->nleak);
	jsonu64(&c->j, "reclaimed", st->nreclaim);
	jsonu64(&c->j, "snapshots", st->nsnap);
	jsonu64(&c->j, "labels", st->nlabel);
	jsonu64(&c->j, "files", st->nfile);
	jsonu64(&c->j, "directories", st->ndir);
	jsonbool(&c->j, "cancelled", st->cancelled);
	jsonend(&c->j);
	jsonu64(&c->j, "status", (uint64_t)status);
	jsonbool(&c->j, "ok", (status & ~EXIT_FIXED) == 0);
	jsonfinish(&c->j);
}

/* "2 errors (2 fixed)": findings of one severity, the repaired ones
 * named only when there are some. */
static const char *
fmtfound(char *buf, size_t n, const GefsCheckStats *st, int sev, const char *one, const char *many)
{
	char cnt[40];

	fmtcount(cnt, sizeof cnt, st->nfound[sev], one, many);
	if (st->nfixsev[sev] > 0)
		snprintf(buf, n, "%s (%llu fixed)", cnt, (unsigned long long)st->nfixsev[sev]);
	else
		snprintf(buf, n, "%s", cnt);
	return buf;
}

/* The state line: what was checked, counted in named units; files and
 * directories are entries of every snapshot's tree, summed. */
static void
stateline(Ctx *c, const GefsCheckStats *st)
{
	char sn[48], lb[48], fi[48], di[48], bl[48];

	printf("%s: %s: %s (%s), %s and %s summed over the snapshots, %llu of %s allocated\n", c->dev,
		st->nfixed ? "repaired" : "clean", fmtcount(sn, sizeof sn, st->nsnap, "snapshot", "snapshots"),
		fmtcount(lb, sizeof lb, st->nlabel, "label", "labels"),
		fmtcount(fi, sizeof fi, st->nfile, "file", "files"),
		fmtcount(di, sizeof di, st->ndir, "directory", "directories"),
		(unsigned long long)st->nalloc, fmtcount(bl, sizeof bl, st->nblocks, "block", "blocks"));
}

/* The findings line: findings by severity; leaked blocks (and how many
 * the repair freed). */
static void
findingsline(Ctx *c, const GefsCheckStats *st)
{
	char e[80], w[80], n[80], l[48];

	printf("%s: findings: %s, %s, %s; %s leaked", c->dev,
		fmtfound(e, sizeof e, st, GEFS_SEVERR, "error", "errors"),
		fmtfound(w, sizeof w, st, GEFS_SEVWARN, "warning", "warnings"),
		fmtfound(n, sizeof n, st, GEFS_SEVNOTE, "note", "notes"),
		fmtcount(l, sizeof l, st->nleak, "block", "blocks"));
	if (st->nreclaim > 0)
		printf(" (%llu reclaimed)", (unsigned long long)st->nreclaim);
	putchar('\n');
}

static void
summary(Ctx *c, const GefsCheckStats *st, int status)
{
	char el[48], rss[32];
	int p;

	if (c->progfd == 0 && c->lastpct >= 0)
		fputc('\n', barfile(c));	/* end the bar's line */
	if (c->json) {
		jsonsummary(c, st, status);
		return;
	}
	if (c->timing)
		for (p = 1; p < GEFS_CKNPASS; p++)
			printf("Pass %d (%s): %.3f s, peak RSS %s\n", p, gefs_passname(p), st->passtime[p],
				fmtsize(rss, sizeof rss, (uint64_t)(st->passrss[p] > 0 ? st->passrss[p] : 0) * 1024, false));
	if (st->metaimage)
		printf("%s: a metadata image (gefs-image): data blocks are absent, not read\n", c->dev);
	if (st->cancelled)
		printf("%s: check cancelled\n", c->dev);
	else if (st->nerrleft > 0)
		printf("%s: %s left%s\n", c->dev, fmtcount(el, sizeof el, st->nerrleft, "error", "errors"),
			c->mode == GEFS_CKPREEN ? "; UNEXPECTED INCONSISTENCY; RUN gefs-fsck MANUALLY (without -p or -a)" : "");
	else
		stateline(c, st);
	if (c->verbose || st->nfound[GEFS_SEVERR] || st->nfound[GEFS_SEVWARN] || st->nfixed)
		findingsline(c, st);
}

/* -1 after a usage error (one line, usageerr): main exits EXIT_USAGE. */
static int
parseargs(Ctx *c, GefsCheckOpts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"list-problems", no_argument, NULL, OPT_LIST},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		WINDOW_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	static const char optstring[] = "npayfrvtb:C:E:j:Vh";
	char *end, msg[128];
	long v;
	int ch, nmode = 0;

	opterr = 0;	/* one line of our own, not getopt's */
	while ((ch = getopt_long(argc, argv, optstring, lo, NULL)) != -1) {
		switch (ch) {
		case 'n': case 'r': o->mode = GEFS_CKNONE; nmode++; break;
		case 'p': case 'a': o->mode = GEFS_CKPREEN; nmode++; break;
		case 'y': o->mode = GEFS_CKYES; nmode++; break;
		case 'f': break;
		case 'v': c->verbose++; break;
		case 't': c->timing = true; break;
		case 'b': case 'C': case 'j':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || (ch == 'b' && v > 1) || (ch == 'j' && (v < 1 || v > 8))
			|| v > 65535) {
				return usageerr("gefs-fsck", -1, "-%c: bad value \"%s\"", ch, optarg);
			}
			if (ch == 'b')
				o->sbcopy = (int)v;
			else if (ch == 'j')
				o->nthreads = (int)v;
			else
				c->progfd = (int)v;
			break;
		case 'E':
			if (strcmp(optarg, "nodata") == 0) {
				o->nodata = true;
				break;
			}
			if (strcmp(optarg, "reclaim") != 0) {
				return usageerr("gefs-fsck", -1, "-E: unknown extended option \"%s\"", optarg);
			}
			o->reclaim = true;
			break;
		case OPT_JSON: c->json = true; break;
		case OPT_LIST: exit(listproblems());
		case WOPT_OFFSET: case WOPT_PARTITION:
			if (winopt("gefs-fsck", -1, ch, optarg) < 0)
				return -1;
			break;
		case 'V': printversion("gefs-fsck"); exit(EXIT_OK);
		case 'h': usage(stdout); exit(EXIT_OK);
		default:
			return usageerr("gefs-fsck", -1, "%s", optfailmsg(msg, sizeof msg, optstring, lo, optopt, argv[optind - 1]));
		}
	}
	if (nmode > 1)
		return usageerr("gefs-fsck", -1, "only one of -n, -p/-a, -y may be given");
	if (c->json && c->progfd == STDOUT_FILENO)
		return usageerr("gefs-fsck", -1, "-C 1 would write progress into the JSON on standard output (use -C 0 or -C 2)");
	if (o->reclaim && o->mode == GEFS_CKNONE)
		return usageerr("gefs-fsck", -1, "-E reclaim frees blocks: give -p or -y with it (-n changes nothing)");
	if (optind != argc - 1)
		return usageerr("gefs-fsck", -1, "%s", optind >= argc ? "no device given" : "more than one device given");
	c->dev = argv[optind];
	c->mode = o->mode;
	return 0;
}

int
main(int argc, char **argv)
{
	GefsCheckOpts o;
	GefsCheckStats st;
	GefsErr e;
	Ctx c;
	int status;

	memset(&c, 0, sizeof c);
	c.progfd = -1;
	c.lastpct = -1;
	gefs_defcheckopts(&o);
	checkstdoutatexit("gefs-fsck", EXIT_OPERR);
	if (parseargs(&c, &o, argc, argv) < 0)
		return EXIT_USAGE;
	signal(SIGINT, onsig);
	signal(SIGTERM, onsig);
	o.report = report;
	o.progress = progress;
	o.cancel = &stopflag;
	o.arg = &c;
	if (c.json) {
		jsoninit(&c.j, stdout, 0);
		jsonheader(&c.j, "gefs-fsck", "check");
		jsonstr(&c.j, "device", c.dev);
		jsonstr(&c.j, "mode", o.mode == GEFS_CKYES ? "yes" : o.mode == GEFS_CKPREEN ? "preen" : "no");
		jsonarr(&c.j, "findings");
	}
	e.code = 0;
	if (winapply("gefs-fsck", c.dev) < 0)
		return EXIT_OPERR;
	if (gefs_check(c.dev, &o, &st, &e) < 0) {
		if (c.progfd == 0 && c.lastpct >= 0)
			fputc('\n', barfile(&c));
		fprintf(stderr, "gefs-fsck: %s\n", e.msg);
		if (c.json) {
			jsonendto(&c.j, 1);
			jsonstr(&c.j, "error", e.msg);
			jsonu64(&c.j, "status", EXIT_OPERR);
			jsonbool(&c.j, "ok", false);
			jsonfinish(&c.j);
		}
		checkstdout("gefs-fsck");
		return EXIT_OPERR;
	}
	status = gefs_checkstatus(&st);
	summary(&c, &st, status);
	if (checkstdout("gefs-fsck") < 0)
		status |= EXIT_OPERR;
	return status;
}
