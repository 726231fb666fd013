/* SPDX-License-Identifier: MIT */
/*
 * wcmds.c — session commands that change files: put, mkdir, rm, mv,
 * chmod, chown, touch, truncate, write, and the users file (useradd,
 * groupadd, usermod -G).  Each runs on the engine's writable trees; the
 * session commits (shell: per command or per begin…commit block; replay:
 * once at the end).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
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

/* A put walks the host tree by directory descriptor: each entry is
 * opened and stat'ed relative to its directory (one path element to
 * resolve, not the whole path), in byte order of names (so the same tree
 * gives the same image).  host holds the path of the current entry for
 * messages only. */
typedef struct Put {
	Sess		*s;
	bool		keep;		/* -p: mode and mtime from the host */
	bool		recurse;	/* -r */
	uint8_t		*buf;
	char		host[Maxpath];
} Put;

static int putat(Put *p, int dfd, const char *name, unsigned char type, Target *x);

/* Copy the bytes [off, end) of fd into the file x, Iounit at a time. */
static int
putrun(Put *p, int fd, off_t off, off_t end, Target *x)
{
	ssize_t n;

	for (; off < end; off += n) {
		n = pread(fd, p->buf, (size_t)(end - off < Iounit ? end - off : Iounit), off);
		if (n <= 0)
			return sessfail(p->s, "put: %s: reading: %s", p->host, n < 0 ? strerror(errno) : "short file");
		if (gefs_pwrite(x->t, x->path, p->buf, (size_t)n, (uint64_t)off) != n)
			return tfail(p->s, "put", x);
	}
	return 0;
}

/* Copy the data extents of fd into the file x (SEEK_DATA/SEEK_HOLE), then
 * set its length: a trailing hole stays a hole.  One SEEK_HOLE from 0
 * that lands on the end proves the file has no hole: then it is read
 * straight through (most files; one lseek instead of two per extent).
 * The new file starts empty, so the length needs setting only when the
 * data did not end at the host file's end. */
static int
putdata(Put *p, int fd, const struct stat *st, Target *x)
{
	off_t off, end, len = 0;

	if (st->st_size == 0)
		return 0;
	end = lseek(fd, 0, SEEK_HOLE);
	if (end < 0 || end >= st->st_size)
		return putrun(p, fd, 0, st->st_size, x);
	for (off = 0; off < st->st_size; off = end) {
		off = lseek(fd, off, SEEK_DATA);
		if (off < 0)
			break;				/* ENXIO: only a hole is left */
		end = lseek(fd, off, SEEK_HOLE);
		if (end < 0 || end > st->st_size)
			end = st->st_size;
		if (putrun(p, fd, off, end, x) < 0)
			return -1;
		len = end;
	}
	if (len != st->st_size && gefs_truncate(x->t, x->path, (uint64_t)st->st_size) < 0)
		return tfail(p->s, "put", x);
	return 0;
}

static int
putattrs(Put *p, const struct stat *st, Target *x)
{
	GefsWstat w = {0};

	if (!p->keep)
		return 0;
	w.mask = GEFS_WSMODE | GEFS_WSMTIME;
	w.mode = st->st_mode & 0777;
	if (S_ISDIR(st->st_mode))
		w.mode |= GEFS_DMDIR;
	w.mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	if (gefs_wstat(x->t, x->path, &w) < 0)
		return tfail(p->s, "put", x);
	return 0;
}

static int
putfile(Put *p, int fd, const struct stat *st, Target *x)
{
	if (gefs_create(x->t, x->path, st->st_mode & 0777, NULL) < 0)
		return tfail(p->s, "put", x);
	return putdata(p, fd, st, x);
}

/* A directory entry's name and type (DT_*, DT_UNKNOWN when the host
 * file system does not say). */
typedef struct Dent {
	unsigned char	type;
	char		name[];
} Dent;

static int
bydent(const void *a, const void *b)
{
	return strcmp((*(Dent *const *)a)->name, (*(Dent *const *)b)->name);
}

static void
freeents(Dent **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* The entries of d but . and .. in byte order of names: their count, or
 * -1 with errno. */
static int
readents(DIR *d, Dent ***ents)
{
	struct dirent *de;
	Dent **v = NULL, **nv, *e;
	size_t n = 0, cap = 0, len;

	while (errno = 0, (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		len = strlen(de->d_name);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL)
				break;
			v = nv;
		}
		if ((e = malloc(sizeof *e + len + 1)) == NULL)
			break;
		e->type = de->d_type;
		memcpy(e->name, de->d_name, len + 1);
		v[n++] = e;
	}
	if (errno != 0) {
		freeents(v, n);
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, bydent);
	*ents = v;
	return (int)n;
}

/* The host directory open on fd (consumed): the image directory x, then
 * every entry below it. */
static int
putdir(Put *p, int fd, const struct stat *st, Target *x)
{
	Dent **ent = NULL;
	Target c;
	DIR *d;
	int i, n = 0, rc;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return sessfail(p->s, "put: %s: %s", p->host, strerror(errno));
	}
	rc = 0;
	if (gefs_mkdir(x->t, x->path, st->st_mode & 0777, NULL) < 0 && gefs_errcode(p->s->fs) != EEXIST)
		rc = tfail(p->s, "put", x);
	else if ((n = readents(d, &ent)) < 0)
		rc = sessfail(p->s, "put: %s: %s", p->host, strerror(errno));
	for (i = 0; rc == 0 && i < n; i++) {
		c = *x;
		if (snprintf(c.path, sizeof c.path, "%s/%s", strcmp(x->path, "/") ? x->path : "", ent[i]->name)
			>= (int)sizeof c.path)
			rc = sessfail(p->s, "put: %s/%s: path too long", p->host, ent[i]->name);
		else
			rc = putat(p, dirfd(d), ent[i]->name, ent[i]->type, &c);
	}
	if (ent != NULL)
		freeents(ent, (size_t)n);
	closedir(d);
	return rc;
}

/* Open the entry name of directory dfd (DT_* type, or DT_UNKNOWN) and
 * stat it: the descriptor, -2 for an entry that is neither a regular
 * file nor a directory (st set, nothing opened: a FIFO or device is
 * never opened), -1 on error. */
static int
putopen(Put *p, int dfd, const char *name, unsigned char type, struct stat *st)
{
	int fd;

	if (type != DT_REG && type != DT_DIR) {
		if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
			return sessfail(p->s, "put: %s: %s", p->host, strerror(errno));
		if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
			return -2;
		type = S_ISDIR(st->st_mode) ? DT_DIR : DT_REG;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (type == DT_DIR ? O_DIRECTORY : 0));
	if (fd < 0)
		return sessfail(p->s, "put: %s: %s", p->host, strerror(errno));
	if (fstat(fd, st) < 0) {
		close(fd);
		return sessfail(p->s, "put: %s: %s", p->host, strerror(errno));
	}
	return fd;
}

/* The entry name of host directory dfd (AT_FDCWD and the argument at the
 * top) into x; p->host names it while it is put. */
static int
putat(Put *p, int dfd, const char *name, unsigned char type, Target *x)
{
	size_t top = strlen(p->host);
	struct stat st;
	int fd, rc;

	if (top + 1 + strlen(name) >= sizeof p->host)
		return sessfail(p->s, "put: %s/%s: path too long", p->host, name);
	snprintf(p->host + top, sizeof p->host - top, "%s%s", dfd == AT_FDCWD ? "" : "/", name);
	fd = putopen(p, dfd, name, type, &st);
	if (fd == -2)
		rc = sessfail(p->s, "put: %s: not a regular file or directory (gefs has no links or devices)", p->host);
	else if (fd < 0)
		rc = -1;
	else if (S_ISDIR(st.st_mode) && p->recurse)
		rc = putdir(p, fd, &st, x);	/* closes fd */
	else {
		if (S_ISDIR(st.st_mode))
			rc = sessfail(p->s, "put: %s is a directory (use -r)", p->host);
		else if (S_ISREG(st.st_mode))
			rc = putfile(p, fd, &st, x);
		else
			rc = sessfail(p->s, "put: %s: not a regular file or directory (gefs has no links or devices)", p->host);
		close(fd);
	}
	p->host[top] = '\0';
	return rc < 0 ? -1 : putattrs(p, &st, x);
}

int
cmdput(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	Target x;
	Opts o;
	Put *p;
	int rc;

	parseopts(argc, argv, "rp", &o, s->err, sizeof s->err);
	if (target(s, argv[o.optind + 1], &x) < 0)
		return -1;
	p = calloc(1, sizeof *p);
	if (p == NULL || (p->buf = malloc(Iounit)) == NULL) {
		free(p);
		return sessfail(s, "out of memory");
	}
	*p = (Put){.s = s, .keep = o.count['p'] > 0, .recurse = o.count['r'] > 0, .buf = p->buf};
	rc = putat(p, AT_FDCWD, argv[o.optind], DT_UNKNOWN, &x);
	free(p->buf);
	free(p);
	return rc;
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
