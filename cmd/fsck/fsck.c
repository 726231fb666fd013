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
		"usage: gefs-fsck [-n | -p | -a | -y] [-fvtV] [-b 0|1] [-C fd] [-E reclaim|nodata] [-j threads] [--json] device\n"
		"       gefs-fsck --list-problems\n"
		"  -n        check only, change nothing (the default)\n"
		"  -p, -a    preen: repair what is safe without asking\n"
		"  -y        repair everything that can be repaired\n"
		"  -f        accepted (the check is always complete)\n"
		"  -r        accepted, same as -n (there is no interactive mode)\n"
		"  -v        also print notes\n"
		"  -t        print time and peak memory per pass\n"
		"  -b N      use superblock copy N (0 primary, 1 backup)\n"
		"  -C fd     progress lines \"pass cur max device\" on fd; 0: a bar\n"
		"  -E reclaim  with -p or -y, also free leaked blocks (allocated, unreferenced)\n"
		"  -E nodata   metadata only: check every node, log and deadlist block and all\n"
		"            structure, but do not read data blocks (their hashes go unchecked)\n"
		"  -j N      N threads (1-8): N-1 read and hash data blocks while one walks\n"
		"            the trees (default: one per CPU, at least 3)\n"
		"  --json    findings and summary as JSON on stdout\n"
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
	printf("\r%s: pass %d (%s): %3d%% [%-40.*s]", c->dev, pass, gefs_passname(pass), pct,
		pct * 40 / 100, "########################################");
	fflush(stdout);
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

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void
summary(Ctx *c, const GefsCheckStats *st, int status)
{
	int p;

	if (c->json) {
		jsonend(&c->j);	/* findings */
		jsonobj(&c->j, "summary");
		jsonu64(&c->j, "errors", st->nfound[GEFS_SEVERR]);
		jsonu64(&c->j, "warnings", st->nfound[GEFS_SEVWARN]);
		jsonu64(&c->j, "notes", st->nfound[GEFS_SEVNOTE]);
		jsonu64(&c->j, "fixed", st->nfixed);
		jsonu64(&c->j, "errors_left", st->nerrleft);
		jsonu64(&c->j, "blocks", st->nblocks);
		jsonu64(&c->j, "allocated", st->nalloc);
		jsonu64(&c->j, "referenced", st->nref);
		jsonu64(&c->j, "leaked", st->nleak);
		jsonu64(&c->j, "snapshots", st->nsnap);
		jsonu64(&c->j, "labels", st->nlabel);
		jsonu64(&c->j, "files", st->nfile);
		jsonu64(&c->j, "directories", st->ndir);
		jsonbool(&c->j, "cancelled", st->cancelled);
		jsonend(&c->j);
		jsonu64(&c->j, "status", (uint64_t)status);
		jsonfinish(&c->j);
		return;
	}
	if (c->progfd == 0 && c->lastpct >= 0)
		fputc('\n', stdout);
	if (c->timing)
		for (p = 1; p < GEFS_CKNPASS; p++)
			printf("Pass %d (%s): %.3f s, peak RSS %ld KiB\n", p, gefs_passname(p), st->passtime[p], st->passrss[p]);
	if (st->cancelled)
		printf("%s: check cancelled\n", c->dev);
	else if (st->nerrleft > 0)
		printf("%s: %llu error%s left%s\n", c->dev, (unsigned long long)st->nerrleft, st->nerrleft == 1 ? "" : "s",
			c->mode == GEFS_CKPREEN ? "; UNEXPECTED INCONSISTENCY; RUN gefs-fsck MANUALLY (without -p or -a)" : "");
	else
		printf("%s: %s, %llu files and %llu directories in %llu snapshots, %llu/%llu blocks in use\n", c->dev,
			st->nfixed ? "repaired" : "clean", (unsigned long long)st->nfile, (unsigned long long)st->ndir,
			(unsigned long long)st->nsnap, (unsigned long long)st->nalloc, (unsigned long long)st->nblocks);
	if (c->verbose || st->nfound[GEFS_SEVERR] || st->nfound[GEFS_SEVWARN])
		printf("%s: %llu error%s (%llu fixed), %llu warning%s, %llu note%s; %llu block%s leaked\n", c->dev,
			(unsigned long long)st->nfound[GEFS_SEVERR], plural(st->nfound[GEFS_SEVERR]),
			(unsigned long long)st->nfixed,
			(unsigned long long)st->nfound[GEFS_SEVWARN], plural(st->nfound[GEFS_SEVWARN]),
			(unsigned long long)st->nfound[GEFS_SEVNOTE], plural(st->nfound[GEFS_SEVNOTE]),
			(unsigned long long)st->nleak, plural(st->nleak));
}

static int
parseargs(Ctx *c, GefsCheckOpts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"list-problems", no_argument, NULL, OPT_LIST},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	long v;
	int ch, nmode = 0;

	while ((ch = getopt_long(argc, argv, "npayfrvtb:C:E:j:Vh", lo, NULL)) != -1) {
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
				fprintf(stderr, "gefs-fsck: -%c: bad value \"%s\"\n", ch, optarg);
				return -1;
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
				fprintf(stderr, "gefs-fsck: -E: unknown extended option \"%s\"\n", optarg);
				return -1;
			}
			o->reclaim = true;
			break;
		case OPT_JSON: c->json = true; break;
		case OPT_LIST: exit(listproblems());
		case 'V': printversion("gefs-fsck"); exit(EXIT_OK);
		case 'h': usage(stdout); exit(EXIT_OK);
		default: return -1;
		}
	}
	if (nmode > 1) {
		fprintf(stderr, "gefs-fsck: only one of -n, -p/-a, -y may be given\n");
		return -1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gefs-fsck: %s\n", optind >= argc ? "no device given" : "more than one device given");
		return -1;
	}
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
	if (parseargs(&c, &o, argc, argv) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
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
	if (gefs_check(c.dev, &o, &st, &e) < 0) {
		if (c.progfd == 0 && c.lastpct >= 0)
			fputc('\n', stdout);
		fprintf(stderr, "gefs-fsck: %s\n", e.msg);
		if (c.json) {
			jsonend(&c.j);
			jsonstr(&c.j, "error", e.msg);
			jsonu64(&c.j, "status", EXIT_OPERR);
			jsonfinish(&c.j);
		}
		return EXIT_OPERR;
	}
	status = gefs_checkstatus(&st);
	summary(&c, &st, status);
	return status;
}
