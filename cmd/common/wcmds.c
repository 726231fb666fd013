/* SPDX-License-Identifier: MIT */
/*
 * wcmds.c — session commands that change files: put, mkdir, rm, mv,
 * chmod, chown, touch, truncate, write, and the users file (useradd,
 * groupadd, usermod -G).  Each runs on the engine's writable trees; the
 * session commits (shell: per command or per begin…commit block; replay:
 * once at the end).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "hostq.h"
#include "sess.h"
#include "sesscmd.h"

enum { Iounit = 1 << 20 };	/* bytes per write call */

/* The tree and path an argument names. */
typedef struct Target {
	char		label[Maxlabel + 1];
	char		path[Maxpath];
	GefsTree	*t;
} Target;

static int
target(Sess *s, const char *arg, Target *x)
{
	if (sesspath(s, arg, x->label, x->path) < 0)
		return -1;
	x->t = sesstree(s, x->label);
	return x->t == NULL ? -1 : 0;
}

static int
tfail(Sess *s, const char *cmd, const Target *x)
{
	return sessfsfail(s, "%s %s:%s", cmd, x->label, x->path);
}

/* ---- put: host files into the image, streamed, holes kept ---- */

/* The engine side of a put: the items of the reader thread (hostq.h),
 * in order, become creates, writes and wstats of the image.  depth[i] is
 * the length of x.path before the i-th open directory or file was
 * appended to it. */
typedef struct Put {
	Sess		*s;
	bool		keep;		/* -p: mode and mtime from the host */
	Target		x;
	size_t		*depth;
	int		ndepth, cap;
	uint64_t	len;		/* of the open file so far */
} Put;

static int
putattrs(Put *p, const struct stat *st)
{
	GefsWstat w = {0};

	if (!p->keep)
		return 0;
	w.mask = GEFS_WSMODE | GEFS_WSMTIME;
	w.mode = st->st_mode & 0777;
	if (S_ISDIR(st->st_mode))
		w.mode |= GEFS_DMDIR;
	w.mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	if (gefs_wstat(p->x.t, p->x.path, &w) < 0)
		return tfail(p->s, "put", &p->x);
	return 0;
}

/* Descend into the entry of it: its image path becomes x.path. */
static int
putpush(Put *p, const Hqitem *it)
{
	size_t n = strlen(p->x.path);
	size_t *d;

	if (p->ndepth == p->cap) {
		if ((d = realloc(p->depth, (size_t)(p->cap = p->cap ? 2 * p->cap : 16) * sizeof *d)) == NULL)
			return sessfail(p->s, "out of memory");
		p->depth = d;
	}
	p->depth[p->ndepth++] = n;
	if (it->name == NULL)
		return 0;
	if (snprintf(p->x.path + n, sizeof p->x.path - n, "%s%s", strcmp(p->x.path, "/") ? "/" : "", it->name)
		>= (int)(sizeof p->x.path - n))
		return sessfail(p->s, "put: %s: path too long", it->host);
	return 0;
}

/* The end of the open directory or file: the length of a file whose
 * data ended before its end (a trailing hole), the attributes, and back
 * to the parent's path. */
static int
putend(Put *p, const Hqitem *it)
{
	if (S_ISREG(it->st.st_mode) && p->len != (uint64_t)it->st.st_size
	    && gefs_truncate(p->x.t, p->x.path, (uint64_t)it->st.st_size) < 0)
		return tfail(p->s, "put", &p->x);
	if (putattrs(p, &it->st) < 0)
		return -1;
	p->x.path[p->depth[--p->ndepth]] = '\0';
	return 0;
}

/* One item: 0, 1 at the end of the walk, -1 on error. */
static int
putitem(Put *p, const Hqitem *it)
{
	switch (it->kind) {
	case Hqdir:
		if (putpush(p, it) < 0)
			return -1;
		if (gefs_mkdir(p->x.t, p->x.path, it->st.st_mode & 0777, NULL) < 0 && gefs_errcode(p->s->fs) != EEXIST)
			return tfail(p->s, "put", &p->x);
		return 0;
	case Hqfile:
		p->len = 0;
		if (putpush(p, it) < 0)
			return -1;
		return gefs_create(p->x.t, p->x.path, it->st.st_mode & 0777, NULL) < 0 ? tfail(p->s, "put", &p->x) : 0;
	case Hqdata:
		if (gefs_pwrite(p->x.t, p->x.path, it->buf, it->n, it->off) != (int64_t)it->n)
			return tfail(p->s, "put", &p->x);
		p->len = it->off + it->n;
		return 0;
	case Hqend:
		return putend(p, it);
	case Hqerr:
		return sessfail(p->s, "%s", it->msg);
	default:
		return 1;
	}
}

int
cmdput(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Hqitem it;
	Hostq *q;
	Opts o;
	Put p = {0};
	int rc;

	parseopts(argc, argv, "rp", &o, s->err, sizeof s->err);
	if (target(s, argv[o.optind + 1], &p.x) < 0)
		return -1;
	p.s = s;
	p.keep = o.count['p'] > 0;
	if ((q = hqstart(argv[o.optind], o.count['r'] > 0)) == NULL)
		return sessfail(s, "put: starting the reader thread: %s", strerror(errno));
	do {
		hqnext(q, &it);
		rc = putitem(&p, &it);
		hqfree(q, &it);
	} while (rc == 0);
	hqstop(q);
	free(p.depth);
	return rc < 0 ? -1 : 0;
}

/* ---- mkdir, rm, mv ---- */

/* mkdir -p: every missing element of x->path, in order. */
static int
mkdirp(Sess *s, Target *x)
{
	GefsXdir d;
	char *slash;

	for (slash = x->path + 1;; slash++) {
		slash = strchr(slash, '/');
		if (slash != NULL)
			*slash = '\0';
		if (gefs_walk(x->t, x->path, &d) < 0 && gefs_mkdir(x->t, x->path, 0775, NULL) < 0)
			return tfail(s, "mkdir", x);
		if (slash == NULL)
			return 0;
		*slash = '/';
	}
}

int
cmdmkdir(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Target x;
	Opts o;
	int i;

	parseopts(argc, argv, "p", &o, s->err, sizeof s->err);
	for (i = o.optind; i < argc; i++) {
		if (target(s, argv[i], &x) < 0)
			return -1;
		if (o.count['p'] ? mkdirp(s, &x) < 0 : gefs_mkdir(x.t, x.path, 0775, NULL) < 0)
			return s->err[0] ? -1 : tfail(s, "mkdir", &x);
	}
	return 0;
}

int
cmdrm(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Target x;
	Opts o;
	int i, rc;

	parseopts(argc, argv, "r", &o, s->err, sizeof s->err);
	for (i = o.optind; i < argc; i++) {
		if (target(s, argv[i], &x) < 0)
			return -1;
		rc = o.count['r'] ? gefs_removeall(x.t, x.path) : gefs_remove(x.t, x.path);
		if (rc < 0)
			return tfail(s, "rm", &x);
	}
	return 0;
}

int
cmdmv(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Target from, to;

	(void)argc;
	if (target(s, argv[1], &from) < 0 || target(s, argv[2], &to) < 0)
		return -1;
	if (strcmp(from.label, to.label) != 0)
		return sessfail(s, "mv: %s and %s are in different labels (copy with get and put)", argv[1], argv[2]);
	if (gefs_rename(from.t, from.path, to.path) < 0)
		return sessfsfail(s, "mv %s:%s %s", from.label, from.path, to.path);
	return 0;
}

/* ---- attributes: chmod, chown, touch, truncate ---- */

/* Apply w to every path operand argv[first..argc). */
static int
wstatall(Sess *s, const char *cmd, int first, int argc, char **argv, const GefsWstat *w)
{
	Target x;
	int i;

	for (i = first; i < argc; i++) {
		if (target(s, argv[i], &x) < 0)
			return -1;
		if (gefs_wstat(x.t, x.path, w) < 0)
			return tfail(s, cmd, &x);
	}
	return 0;
}

/* Symbolic mode: [ugoa]*[+-=][rwxalt]*, applied to old. */
static int
symmode(const char *m, uint32_t old, uint32_t *mode)
{
	uint32_t who, bits, perm;
	char op;

	for (who = 0; *m && strchr("ugoa", *m); m++)
		who |= *m == 'u' ? 0700 : *m == 'g' ? 0070 : *m == 'o' ? 0007 : 0777;
	if (who == 0)
		who = 0777;
	op = *m++;
	if (op != '+' && op != '-' && op != '=')
		return -1;
	for (bits = perm = 0; *m; m++) {
		switch (*m) {
		case 'r': perm |= 0444; break;
		case 'w': perm |= 0222; break;
		case 'x': perm |= 0111; break;
		case 'a': bits |= GEFS_DMAPPEND; break;
		case 'l': bits |= GEFS_DMEXCL; break;
		case 't': bits |= GEFS_DMTMP; break;
		default: return -1;
		}
	}
	bits |= perm & who;
	if (op == '=')
		old &= ~(who | GEFS_DMAPPEND | GEFS_DMEXCL | GEFS_DMTMP);
	*mode = op == '-' ? old & ~bits : old | bits;
	return 0;
}

int
cmdchmod(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsWstat w = {.mask = GEFS_WSMODE};
	Target x;
	GefsXdir d;
	char *e;
	int i;

	w.mode = (uint32_t)strtoul(argv[1], &e, 8);
	if (*e == '\0' && e != argv[1])
		return w.mode > 0777 ? sessfail(s, "chmod: %s: octal modes go up to 777", argv[1])
			: wstatall(s, "chmod", 2, argc, argv, &w);
	for (i = 2; i < argc; i++) {		/* symbolic: relative to each file's mode */
		if (target(s, argv[i], &x) < 0)
			return -1;
		if (gefs_walk(x.t, x.path, &d) < 0)
			return tfail(s, "chmod", &x);
		if (symmode(argv[1], d.mode, &w.mode) < 0)
			return sessfail(s, "chmod: bad mode %s (octal, or [ugoa][+-=][rwxalt])", argv[1]);
		if (gefs_wstat(x.t, x.path, &w) < 0)
			return tfail(s, "chmod", &x);
	}
	return 0;
}

int
cmdchown(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsWstat w = {0};
	char *colon;
	int rc;

	colon = strchr(argv[1], ':');
	if (colon != NULL)
		*colon = '\0';
	if (argv[1][0] != '\0') {
		w.mask |= GEFS_WSUID;
		w.uid = argv[1];
	}
	if (colon != NULL && colon[1] != '\0') {
		w.mask |= GEFS_WSGID;
		w.gid = colon + 1;
	}
	if (w.mask == 0)
		return sessfail(s, "chown: no user or group in %s", argv[1]);
	rc = wstatall(s, "chown", 2, argc, argv, &w);
	if (colon != NULL)
		*colon = ':';
	return rc;
}

/* TIME: @SECONDS, or YYYY-MM-DDTHH:MM:SS[Z] (UTC). */
static int
parsetime(Sess *s, const char *arg, int64_t *ns)
{
	struct tm tm = {0};
	const char *e;
	char *end;
	long long sec;

	if (arg[0] == '@') {
		errno = 0;
		sec = strtoll(arg + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg + 1)
			return sessfail(s, "touch: bad time %s", arg);
	} else {
		e = strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm);
		if (e == NULL || (*e != '\0' && strcmp(e, "Z") != 0))
			return sessfail(s, "touch: bad time %s (@SECONDS or YYYY-MM-DDTHH:MM:SSZ)", arg);
		sec = (long long)timegm(&tm);
	}
	*ns = (int64_t)sec * 1000000000;
	return 0;
}

int
cmdtouch(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsWstat w = {.mask = GEFS_WSMTIME | GEFS_WSATIME};
	Target x;
	GefsXdir d;
	Opts o;
	int i;

	parseopts(argc, argv, "t:", &o, s->err, sizeof s->err);
	if (o.arg['t'] != NULL && parsetime(s, o.arg['t'], &w.mtime) < 0)
		return -1;
	if (o.arg['t'] == NULL)
		w.mtime = sessnow(s);
	w.atime = w.mtime;
	for (i = o.optind; i < argc; i++) {
		if (target(s, argv[i], &x) < 0)
			return -1;
		if (gefs_walk(x.t, x.path, &d) < 0 && gefs_create(x.t, x.path, 0664, NULL) < 0)
			return tfail(s, "touch", &x);
		if (gefs_wstat(x.t, x.path, &w) < 0)
			return tfail(s, "touch", &x);
	}
	return 0;
}

int
cmdtruncate(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsWstat w = {.mask = GEFS_WSLENGTH};
	Opts o;

	parseopts(argc, argv, "s:", &o, s->err, sizeof s->err);
	if (o.arg['s'] == NULL)
		return sessfail(s, "usage: truncate -s SIZE PATH...");
	if (parsebytes(o.arg['s'], &w.length) < 0)
		return sessfail(s, "truncate: bad size %s (bytes, or with K, M, G, T)", o.arg['s']);
	return wstatall(s, "truncate", o.optind, argc, argv, &w);
}

/* Stream the host file into x from off. */
static int
writehost(Sess *s, Target *x, const char *host, uint64_t off)
{
	uint8_t *buf;
	ssize_t n;
	int fd, rc;

	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sessfail(s, "write: %s: %s", host, strerror(errno));
	buf = malloc(Iounit);
	rc = buf == NULL ? sessfail(s, "out of memory") : 0;
	while (rc == 0 && (n = read(fd, buf, Iounit)) != 0) {
		if (n < 0)
			rc = sessfail(s, "write: %s: %s", host, strerror(errno));
		else if (gefs_pwrite(x->t, x->path, buf, (size_t)n, off) != n)
			rc = tfail(s, "write", x);
		off += (uint64_t)(n > 0 ? n : 0);
	}
	free(buf);
	close(fd);
	return rc;
}

/* write PATH OFFSET DATA|@HOSTFILE: bytes into an existing file. */
int
cmdwrite(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Target x;
	GefsXdir d;
	uint64_t off;
	size_t n;
	char *e;

	(void)argc;
	errno = 0;
	off = strtoull(argv[2], &e, 0);
	if (errno != 0 || *e != '\0' || e == argv[2] || argv[2][0] == '-')
		return sessfail(s, "write: bad offset %s", argv[2]);
	if (target(s, argv[1], &x) < 0)
		return -1;
	if (gefs_walk(x.t, x.path, &d) < 0)
		return tfail(s, "write", &x);
	if (argv[3][0] == '@')
		return writehost(s, &x, argv[3] + 1, off);
	n = strlen(argv[3]);
	return gefs_pwrite(x.t, x.path, argv[3], n, off) == (int64_t)n ? 0 : tfail(s, "write", &x);
}

/* ---- the users file of adm ---- */

/* The lowest user id the users file does not name (ids are dense in
 * practice: Plan 9's are assigned in order). */
static long
nextuid(Sess *s)
{
	char name[GEFS_USERMAX + 1];
	long id;

	for (id = 1; id < (1L << 20); id++)
		if (gefs_username(s->fs, (int32_t)id, name, sizeof name) != 0)
			return id;
	return -1;
}

int
cmduseradd(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsTree *adm;
	Opts o;
	long id;
	char *e;

	parseopts(argc, argv, "u:", &o, s->err, sizeof s->err);
	adm = sesstree(s, "adm");
	if (adm == NULL)
		return -1;
	id = o.arg['u'] ? strtol(o.arg['u'], &e, 10) : nextuid(s);
	if (id < 0 || (o.arg['u'] && *e != '\0') || id > INT32_MAX)
		return sessfail(s, "%s: bad user id %s", argv[0], o.arg['u'] ? o.arg['u'] : "");
	if (gefs_useradd(adm, (int32_t)id, argv[o.optind], o.optind + 1 < argc ? argv[o.optind + 1] : NULL) < 0)
		return sessfsfail(s, "%s %s", argv[0], argv[o.optind]);
	return 0;
}

int
cmdusermod(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	GefsTree *adm;
	Opts o;

	parseopts(argc, argv, "G:", &o, s->err, sizeof s->err);
	if (o.arg['G'] == NULL)
		return sessfail(s, "usage: usermod -G GROUP USER");
	adm = sesstree(s, "adm");
	if (adm == NULL)
		return -1;
	if (gefs_groupmember(adm, o.arg['G'], argv[o.optind]) < 0)
		return sessfsfail(s, "usermod -G %s %s", o.arg['G'], argv[o.optind]);
	return 0;
}
