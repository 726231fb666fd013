/* SPDX-License-Identifier: MIT */
/*
 * fcmds.c — session commands that read files: ls, stat, cat, get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "sess.h"
#include "sesscmd.h"

enum { Iounit = 1 << 20 };	/* bytes copied per read */

const char *
fmtmode(char *buf, uint32_t mode)
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	buf[0] = (mode & GEFS_DMDIR) ? 'd' : (mode & GEFS_DMAPPEND) ? 'a' : (mode & GEFS_DMEXCL) ? 'l' : '-';
	buf[1] = (mode & GEFS_DMTMP) ? 't' : '-';
	for (i = 0; i < 9; i++)
		buf[2 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	buf[11] = '\0';
	return buf;
}

/* ISO 8601 in UTC, to the second. */
static const char *
fmttime(char *buf, size_t n, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)sec);
	return buf;
}

/* A listing in progress. */
typedef struct Ls {
	Sess		*s;
	GefsTree	*t;
	bool		longfmt, recurse;
	const char	*dir;		/* path of the directory listed */
} Ls;

static void
lsline(Ls *l, const char *name, const GefsXdir *d)
{
	Sess *s = l->s;
	char mode[12], uid[GEFS_USERMAX + 1], gid[GEFS_USERMAX + 1], tm[32];

	if (!l->longfmt) {
		fprintf(s->out, "%s%s\n", name, (d->mode & GEFS_DMDIR) ? "/" : "");
		return;
	}
	gefs_username(s->fs, d->uid, uid, sizeof uid);
	gefs_username(s->fs, d->gid, gid, sizeof gid);
	fprintf(s->out, "%s %-8s %-8s %12llu %s %s%s\n", fmtmode(mode, d->mode), uid, gid,
		(unsigned long long)d->length, fmttime(tm, sizeof tm, d->mtime / 1000000000),
		name, (d->mode & GEFS_DMDIR) ? "/" : "");
}

static int lsdir(Ls *l, const char *path);

static int
eachent(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Ls *l = arg;

	(void)nlen;
	lsline(l, name, d);
	return 0;
}

/* Recurse: list each subdirectory after the directory itself. */
static int
eachsub(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Ls *l = arg;
	char *sub;
	int rc;

	(void)nlen;
	if (!(d->mode & GEFS_DMDIR))
		return 0;
	if (asprintf(&sub, "%s%s%s", l->dir, strcmp(l->dir, "/") ? "/" : "", name) < 0)
		return sessfail(l->s, "out of memory");
	rc = lsdir(l, sub);
	free(sub);
	return rc;
}

static int
lsdir(Ls *l, const char *path)
{
	const char *up;

	if (l->recurse)
		fprintf(l->s->out, "%s:\n", path);
	if (gefs_readdir(l->t, path, eachent, l) < 0)
		return l->s->err[0] ? -1 : sessfsfail(l->s, "ls %s", path);
	if (!l->recurse)
		return 0;
	up = l->dir;
	l->dir = path;
	if (gefs_readdir(l->t, path, eachsub, l) < 0)
		return l->s->err[0] ? -1 : sessfsfail(l->s, "ls %s", path);
	l->dir = up;
	return 0;
}

static int
ls1(Ls *l, const char *arg)
{
	char label[Maxlabel + 1], path[Maxpath];
	GefsXdir d;

	if (sesspath(l->s, arg, label, path) < 0)
		return -1;
	l->t = sesstree(l->s, label);
	if (l->t == NULL)
		return -1;
	if (gefs_walk(l->t, path, &d) < 0)
		return sessfsfail(l->s, "%s:%s", label, path);
	if (!(d.mode & GEFS_DMDIR)) {
		lsline(l, path, &d);
		return 0;
	}
	l->dir = path;
	return lsdir(l, path);
}

int
cmdls(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Opts o;
	Ls l;
	int i, rc;

	parseopts(argc, argv, "lR", &o, s->err, sizeof s->err);
	l = (Ls){.s = s, .longfmt = o.count['l'] > 0, .recurse = o.count['R'] > 0};
	s->err[0] = '\0';
	if (o.optind == argc)
		return ls1(&l, ".");
	rc = 0;
	for (i = o.optind; i < argc && rc == 0; i++)
		rc = ls1(&l, argv[i]);
	return rc;
}

static void
statprint(Sess *s, const char *label, const GefsStat *st, const char *path)
{
	char mode[12], mt[32], at[32];

	fprintf(s->out, "%s:%s\n  name %s\n  qid 0x%016llx vers %u type 0x%02x\n"
		"  mode %s (0%o)\n  length %llu\n  uid %s gid %s muid %s\n  mtime %s\n  atime %s\n",
		label, path, st->name, (unsigned long long)st->d.qpath, st->d.qvers, st->d.qtype,
		fmtmode(mode, st->d.mode), st->d.mode & 0777, (unsigned long long)st->d.length,
		st->uid, st->gid, st->muid, fmttime(mt, sizeof mt, st->mtime), fmttime(at, sizeof at, st->atime));
}

int
cmdstat(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	char label[Maxlabel + 1], path[Maxpath];
	GefsTree *t;
	GefsStat st;
	int i;

	for (i = 1; i < argc; i++) {
		if (sesspath(s, argv[i], label, path) < 0)
			return -1;
		t = sesstree(s, label);
		if (t == NULL)
			return -1;
		if (gefs_stat(t, path, &st) < 0)
			return sessfsfail(s, "%s:%s", label, path);
		statprint(s, label, &st, path);
	}
	return 0;
}

/* Copy file d of t to the descriptor fd (or s->out when fd < 0); holes
 * in the image stay holes in a regular host file. */
static int
putsparse(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	static const uint8_t zero[GEFS_BLKSZ];
	size_t i, m;

	for (i = 0; i < n; i += m) {
		m = n - i < GEFS_BLKSZ ? n - i : GEFS_BLKSZ;
		if (memcmp(buf + i, zero, m) != 0 && pwrite(fd, buf + i, m, (off_t)(off + i)) != (ssize_t)m)
			return -1;
	}
	return 0;
}

static int
copyout(Sess *s, GefsTree *t, const GefsXdir *d, const char *what, int fd)
{
	uint8_t *buf;
	uint64_t off;
	int64_t n;
	int rc;

	buf = malloc(Iounit);
	if (buf == NULL)
		return sessfail(s, "out of memory");
	rc = 0;
	for (off = 0; off < d->length && rc == 0; off += (uint64_t)n) {
		n = gefs_read(t, d, off, buf, Iounit);
		if (n <= 0)
			rc = n < 0 ? sessfsfail(s, "%s: offset %llu", what, (unsigned long long)off)
				: sessfail(s, "%s: short file", what);
		else if (fd < 0 && fwrite(buf, 1, (size_t)n, s->out) != (size_t)n)
			rc = sessfail(s, "writing output: %s", strerror(errno));
		else if (fd >= 0 && putsparse(fd, buf, (size_t)n, off) < 0)
			rc = sessfail(s, "%s: writing the host file: %s", what, strerror(errno));
	}
	if (rc == 0 && fd >= 0 && ftruncate(fd, (off_t)d->length) < 0)
		rc = sessfail(s, "%s: sizing the host file: %s", what, strerror(errno));
	free(buf);
	return rc;
}

int
cmdcat(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	char label[Maxlabel + 1], path[Maxpath];
	GefsTree *t;
	GefsXdir d;
	int i;

	for (i = 1; i < argc; i++) {
		if (sesspath(s, argv[i], label, path) < 0)
			return -1;
		t = sesstree(s, label);
		if (t == NULL)
			return -1;
		if (gefs_walk(t, path, &d) < 0)
			return sessfsfail(s, "%s:%s", label, path);
		if (d.mode & GEFS_DMDIR)
			return sessfail(s, "%s:%s: is a directory", label, path);
		if (copyout(s, t, &d, path, -1) < 0)
			return -1;
	}
	return 0;
}

/* A copy to the host in progress. */
typedef struct Get {
	Sess		*s;
	GefsTree	*t;
	bool		keep;		/* -p */
	const char	*curs, *curd;	/* the directory being copied, image and host */
	int		rc;
} Get;

static int getone(Get *g, const char *src, const GefsXdir *d, const char *dst);

/* Set mode bits and times of the host file dst as d has them. */
static int
keepattrs(Get *g, const GefsXdir *d, const char *dst)
{
	struct timespec ts[2];

	ts[0].tv_sec = d->atime / 1000000000;
	ts[0].tv_nsec = d->atime % 1000000000;
	ts[1].tv_sec = d->mtime / 1000000000;
	ts[1].tv_nsec = d->mtime % 1000000000;
	if (chmod(dst, d->mode & 0777) < 0 || utimensat(AT_FDCWD, dst, ts, 0) < 0)
		return sessfail(g->s, "%s: setting mode and times: %s", dst, strerror(errno));
	return 0;
}

static int
getfile(Get *g, const char *src, const GefsXdir *d, const char *dst)
{
	int fd, rc;

	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return sessfail(g->s, "%s: %s", dst, strerror(errno));
	rc = copyout(g->s, g->t, d, src, fd);
	if (close(fd) < 0 && rc == 0)
		rc = sessfail(g->s, "%s: %s", dst, strerror(errno));
	return rc;
}

/* One child of a directory being copied: names come from the image, so
 * "." and ".." (which §12.6 forbids anyway) are refused, never followed. */
static int
getchild(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Get *g = arg;
	char *src, *dst;
	(void)nlen;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/') != NULL)
		return sessfail(g->s, "refusing the name \"%s\" from the image", name);
	src = dst = NULL;
	if (asprintf(&src, "%s/%s", g->curs, name) < 0 || asprintf(&dst, "%s/%s", g->curd, name) < 0)
		g->rc = sessfail(g->s, "out of memory");
	else
		g->rc = getone(g, src, d, dst);
	free(src);
	free(dst);
	return g->rc;
}

static int
getone(Get *g, const char *src, const GefsXdir *d, const char *dst)
{
	const char *os, *od;
	int rc;

	if (!(d->mode & GEFS_DMDIR))
		rc = getfile(g, src, d, dst);
	else if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		rc = sessfail(g->s, "%s: %s", dst, strerror(errno));
	else {
		os = g->curs, od = g->curd;
		g->curs = src, g->curd = dst;
		rc = gefs_readdir(g->t, src, getchild, g);
		g->curs = os, g->curd = od;
		if (rc < 0 && g->rc == 0)
			rc = sessfsfail(g->s, "%s", src);
	}
	if (rc == 0 && g->keep)
		rc = keepattrs(g, d, dst);
	return rc;
}

int
cmdget(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	char label[Maxlabel + 1], path[Maxpath];
	Opts o;
	Get g;
	GefsXdir d;

	parseopts(argc, argv, "rp", &o, s->err, sizeof s->err);
	if (sesspath(s, argv[o.optind], label, path) < 0)
		return -1;
	g = (Get){.s = s, .keep = o.count['p'] > 0, .t = sesstree(s, label)};
	if (g.t == NULL)
		return -1;
	if (gefs_walk(g.t, path, &d) < 0)
		return sessfsfail(s, "%s:%s", label, path);
	if ((d.mode & GEFS_DMDIR) && o.count['r'] == 0)
		return sessfail(s, "get: %s:%s is a directory (use -r)", label, path);
	return getone(&g, path, &d, argv[o.optind + 1]);
}
