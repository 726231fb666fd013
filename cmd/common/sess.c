/* SPDX-License-Identifier: MIT */
/*
 * sess.c — running command-language lines against one open image.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"
#include "sess.h"
#include "rdamage.h"

static void
warnfn(void *arg, const char *msg)
{
	Sess *s = arg;

	fprintf(stderr, "%s: warning: %s\n", s->prog, msg);
}

int
sessopen(Sess *s, const char *prog, const char *image, bool write, size_t cachesz)
{
	GefsOpts o;
	GefsErr e;

	memset(s, 0, sizeof *s);
	s->prog = prog;
	s->image = image;
	s->write = write;
	s->out = stdout;
	s->tab = sesscmds;
	strcpy(s->place.label, "main");
	strcpy(s->place.cwd, "/");
	gefs_defopts(&o);
	o.rdwr = write;
	o.warn = warnfn;
	o.warnarg = s;
	if (cachesz != 0)
		o.cachesz = cachesz;
	s->fs = gefs_open(image, &o, &e);
	if (s->fs == NULL) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		return -1;
	}
	return 0;
}

void
sessdrop(Sess *s)
{
	int i;

	for (i = 0; i < Maxtrees; i++) {
		if (s->trees[i].t != NULL)
			gefs_closetree(s->trees[i].t);
		s->trees[i].t = NULL;
	}
}

void
sessclose(Sess *s)
{
	sessdrop(s);
	if (s->fs != NULL)
		gefs_close(s->fs);
	s->fs = NULL;
}

static int
vfail(Sess *s, const char *lib, const char *fmt, va_list ap)
{
	int n;

	n = vsnprintf(s->err, sizeof s->err, fmt, ap);
	if (lib != NULL && n >= 0 && (size_t)n < sizeof s->err)
		snprintf(s->err + n, sizeof s->err - n, ": %s", lib);
	return -1;
}

int
sessfail(Sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(s, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
sessfsfail(Sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(s, gefs_errmsg(s->fs), fmt, ap);
	va_end(ap);
	return -1;
}

/* A part of a tree a read-only command could not read: named now, and
 * the command fails when it is done (runline). */
static void
sessdamage(void *arg, const GefsDamage *dm)
{
	Sesstree *st = arg;
	char line[2048], where[Maxlabel + 1024];

	st->s->ndamage++;
	snprintf(where, sizeof where, "%s%s%.*s", st->label, dm->path ? ":" : "",
		dm->path ? (int)(dm->npath < 1000 ? dm->npath : 1000) : 0, dm->path ? dm->path : "");
	fflush(st->s->out);
	fprintf(stderr, "%s: %s\n", st->s->prog, fmtdamage(line, sizeof line, where, dm));
}

GefsTree *
sesstree(Sess *s, const char *label)
{
	Sesstree *free;
	int i;

	free = NULL;
	for (i = 0; i < Maxtrees; i++) {
		if (s->trees[i].t != NULL && strcmp(s->trees[i].label, label) == 0)
			return s->trees[i].t;
		if (s->trees[i].t == NULL && free == NULL)
			free = &s->trees[i];
	}
	if (free == NULL) {
		sessfail(s, "%s: more than %d labels open at once", label, Maxtrees);
		return NULL;
	}
	free->t = gefs_opentree(s->fs, label);
	if (free->t == NULL) {
		sessfsfail(s, "label %s", label);
		return NULL;
	}
	strcpy(free->label, label);
	free->s = s;
	if (!s->write)
		gefs_tolerate(free->t, sessdamage, free);
	return free->t;
}

int
sesspath(Sess *s, const char *arg, char *label, char *path)
{
	return resolvepath(&s->place, arg, label, Maxlabel + 1, path, Maxpath, s->err, sizeof s->err);
}

/* Is c allowed in this session?  -1 with s->err when not. */
static int
allowed(Sess *s, const Cmd *c)
{
	if (c->flags & s->notflags)
		return sessfail(s, "%s: not available in %s", c->name, s->prog);
	if ((c->flags & (CMD_WRITE | CMD_RAW)) && !s->write)
		return sessfail(s, "%s: the image is open read-only (use -w)", c->name);
	return 0;
}

/* After a command that changes the image: in the shell, outside a
 * begin ... commit block, commit it, or drop what it did if it failed. */
static int
settle(Sess *s, const Cmd *c, int rc)
{
	char msg[sizeof s->err];

	if (!(c->flags & CMD_WRITE) || (c->flags & CMD_NOAUTO) || s->replay || s->batch)
		return rc;
	if (rc == 0)
		return gefs_commit(s->fs) < 0 ? sessfsfail(s, "%s: commit", c->name) : 0;
	memcpy(msg, s->err, sizeof msg);
	if (gefs_abort(s->fs) < 0)
		sessfsfail(s, "%s; dropping its changes failed too", msg);
	return -1;
}

int
runline(Sess *s, const char *line)
{
	Words w;
	const Cmd *c;
	uint64_t nd;
	int rc;

	if (splitwords(line, &w, s->err, sizeof s->err) < 0) {
		wordsfree(&w);
		return -1;
	}
	rc = 0;
	if (w.argc == 0)
		goto out;
	if (s->trace)
		fprintf(stderr, "+ %.*s\n", (int)strcspn(line, "\r\n"), line);
	c = findcmd(s->tab, w.argv[0]);
	if (c == NULL)
		rc = sessfail(s, "%s: unknown command (try help)", w.argv[0]);
	else if (allowed(s, c) < 0 || checkargs(c, w.argc, w.argv, s->err, sizeof s->err) < 0)
		rc = -1;
	else {
		nd = s->ndamage;
		rc = settle(s, c, c->fn(s, w.argc, w.argv));
		if (rc == 0 && s->ndamage != nd)
			rc = sessfail(s, "%s: %llu unreadable parts skipped (named above)", w.argv[0],
				(unsigned long long)(s->ndamage - nd));
	}
	if (rc == 0)
		s->nran++;
	if (fflush(s->out) != 0 && rc == 0)
		rc = sessfail(s, "writing output: %s", strerror(errno));
out:
	wordsfree(&w);
	return rc;
}

int
runscript(Sess *s, FILE *f, const char *name, bool keepgoing)
{
	char *line;
	size_t cap;
	ssize_t n;
	int lineno, nfail;

	line = NULL;
	cap = 0;
	nfail = 0;
	for (lineno = 1; (n = getline(&line, &cap, f)) >= 0; lineno++) {
		if (memchr(line, '\0', (size_t)n) != NULL) {
			sessfail(s, "NUL byte in the line");
		} else if (runline(s, line) == 0)
			continue;
		fprintf(stderr, "%s:%d: %s\n", name, lineno, s->err);
		nfail++;
		if (!keepgoing)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: reading %s: %s\n", s->prog, name, strerror(errno));
		nfail++;
	}
	free(line);
	return nfail;
}

int64_t
sessnow(Sess *s)
{
	struct timespec ts;
	int64_t ns;

	(void)s;
	if (sourcedate(&ns) > 0)
		return ns;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
