/* SPDX-License-Identifier: MIT */
/*
 * populate — gefs-mkfs -d SOURCE: a ready image from a directory tree.
 *
 * Two passes over the sources in the same order (depth first, each
 * directory's names in byte order, a directory before its contents):
 * the first walk only looks — it counts what the image needs, and finds
 * every name GEFS cannot hold, unreadable file or directory and skipped
 * node — so that nothing is written unless the whole load can succeed
 * and SIZE is known to suffice; the second formats the image and hands
 * every directory and file to the library's bulk loader (gefs_bulk*),
 * which assigns qids in call order: the same source gives the same image
 * bytes.  With one plain directory the second pass replays the first
 * walk's log (no directory read or stat twice); otherwise it goes through
 * the merged index (index.c).
 *
 * GEFS has no symlinks, device, fifo or socket nodes: they are skipped
 * with one warning each (--strict: an error).  Hard links become separate
 * files, one note per link set.  Everything belongs to the admin user;
 * with SOURCE_DATE_EPOCH set, later mtimes are clamped to it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "populate.h"

enum {
	B		= GEFS_BLKSZ,
	HEADROOM	= 25,		/* percent of free space a computed size leaves */
	ADMINID		= 1,		/* the formatter's admin user (§16: 1:U:U:) */
	ADMID		= -1,		/* adm */
	NONEID		= 0,		/* none */
	CACHESZ		= 4 << 20,	/* the loader writes past the cache */
	KEYMEM		= 2 << 20,	/* the loader's key sort: past it, sorted runs
					 * go to a temporary file (~15,000 names;
					 * with IXMEM and CACHESZ: RSS flat) */
};

static const char prog[] = "gefs-mkfs";

void
msg(const char *kind, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s", prog, kind);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An error about the current path (first walk only: the second repeats). */
int
perr(Pop *p, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (p->load)
		return -1;
	fprintf(stderr, "%s: %s: ", prog, p->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* ---- progress (-C FD, or a bar on a terminal) ---- */

static int64_t
nowms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After each file (a == NULL: none) at most every PROGMS, and at the end:
 * "files total-files bytes total-bytes" lines to -C's descriptor, or a
 * bar on a terminal's standard error. */
void
progress(Pop *p, const GefsBulkAttr *a, bool last)
{
	enum { PROGMS = 200 };
	uint64_t nf = p->need.nfile, pct;
	int64_t t;

	if (a != NULL)
		p->donefiles++, p->donebytes += a->length;
	if (p->a->progfd < 0 && (p->a->quiet || !isatty(2)))
		return;
	if (!last && (t = nowms()) - p->lastprog < PROGMS)
		return;
	p->lastprog = nowms();
	if (p->a->progfd >= 0) {
		dprintf(p->a->progfd, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			p->donefiles, nf, p->donebytes, p->totbytes);
		return;
	}
	pct = p->totbytes ? p->donebytes * 100 / p->totbytes : nf ? p->donefiles * 100 / nf : 100;
	fprintf(stderr, "\r%s: %" PRIu64 "/%" PRIu64 " files, %.1f/%.1f MiB %3" PRIu64 "%%%s", prog,
		p->donefiles, nf, (double)p->donebytes / 1048576, (double)p->totbytes / 1048576, pct,
		last ? "\n" : "");
}

/* ---- -E ---- */

static int
parsemode(const char *s, uint32_t *m)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s == 0 || *end != 0 || errno != 0 || v > 0777)
		return -1;
	*m = (uint32_t)v;
	return 0;
}

/* One -E option list ("root_owner=U:G,root_perms=755"). */
static int
popextended(PopArgs *p, const char *s, char *why, size_t nwhy)
{
	char buf[512], *opt, *save = NULL, *c;

	if (strlen(s) >= sizeof buf) {
		snprintf(why, nwhy, "-E: option list too long");
		return -1;
	}
	strcpy(buf, s);
	for (opt = strtok_r(buf, ",", &save); opt != NULL; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, "root_perms=", 11) == 0) {
			if (parsemode(opt + 11, &p->rootmode) < 0) {
				snprintf(why, nwhy, "-E root_perms: \"%s\" is not an octal mode up to 777", opt + 11);
				return -1;
			}
			p->rootperms = true;
		} else if (strncmp(opt, "root_owner=", 11) == 0) {
			if ((c = strchr(opt + 11, ':')) == NULL || c == opt + 11 || c[1] == 0) {
				snprintf(why, nwhy, "-E root_owner: give USER:GROUP");
				return -1;
			}
			*c = 0;
			if (strlen(opt + 11) >= sizeof p->rootuser || strlen(c + 1) >= sizeof p->rootgroup) {
				snprintf(why, nwhy, "-E root_owner: names hold at most %zu bytes", sizeof p->rootuser - 1);
				return -1;
			}
			strcpy(p->rootuser, opt + 11);
			strcpy(p->rootgroup, c + 1);
			p->rootowner = true;
		} else {
			snprintf(why, nwhy, "-E: unknown option \"%s\" (root_owner=USER:GROUP, root_perms=MODE)", opt);
			return -1;
		}
	}
	return 0;
}

/* -C FD: a descriptor number that is open. */
static int
parsefd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || errno != 0 || v < 0 || v > INT_MAX || fcntl((int)v, F_GETFD) < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

int
popoption(PopArgs *p, int c, const char *arg, char *why, size_t nwhy)
{
	switch (c) {
	case 'd':
		if (p->nsrc == POPMAXSRC) {
			snprintf(why, nwhy, "-d: at most %d sources", POPMAXSRC);
			return -1;
		}
		p->src[p->nsrc++] = arg;
		return 0;
	case 'l':		p->label = arg; return 0;
	case POPT_SNAP:		p->snap = arg; return 0;
	case POPT_STRICT:	p->strict = true; return 0;
	case POPT_SHRINK:	p->shrink = true; return 0;
	case POPT_OWNERMAP:	p->ownermap = arg; return 0;
	case 'C':
		if (parsefd(arg, &p->progfd) == 0)
			return 0;
		snprintf(why, nwhy, "-C: \"%s\" is not an open file descriptor", arg);
		return -1;
	}
	return popextended(p, arg, why, nwhy);
}

/* ---- attributes ---- */

/* -E root_perms, root_owner on the root's attributes. */
void
rootattr(Pop *p, GefsBulkAttr *a)
{
	if (p->a->rootperms)
		a->mode = p->a->rootmode;
	if (p->a->rootowner) {
		ownerid(&p->own, p->a->rootuser, &a->uid);
		ownerid(&p->own, p->a->rootgroup, &a->gid);
	}
}

static int64_t
mtimeof(Pop *p, const struct stat *st)
{
	int64_t t = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;

	return p->clamp && t > p->epoch ? p->epoch : t;
}

GefsBulkAttr
attrof(Pop *p, const struct stat *st)
{
	GefsBulkAttr a;

	a.mode = st->st_mode & 0777;
	a.mtime = mtimeof(p, st);
	a.length = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	a.uid = p->uid;
	a.gid = p->gid;
	a.qid = GEFS_NONE;
	/* every byte allocated: the loader need not look for holes */
	a.dense = S_ISREG(st->st_mode) && (uint64_t)st->st_blocks * 512 >= (uint64_t)st->st_size;
	p->huid = st->st_uid;
	p->hgid = st->st_gid;
	/* the streaming walk knows the image path now; the index later */
	if (!p->indexing && p->a->ownermap != NULL)
		ownerof(&p->own, strlen(p->path) >= p->rootlen ? p->path + p->rootlen : "", st->st_uid,
			st->st_gid, &a.uid, &a.gid);
	return a;
}

/* ---- the walk log ----
 * One plain directory source is walked twice; the first walk logs what
 * it found (names in walk order with their attributes, a mark where a
 * directory ends) to an unlinked temporary file, so that the second
 * reads no directory and stats nothing again: per file it only opens,
 * reads and closes.  The log is read back sequentially: memory stays
 * independent of the number of names. */

enum { RROOT = 'r', RDIR = 'd', RFILE = 'f', RUP = 'u' };

static int
recopen(Pop *p)
{
	const char *d = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/gefs-mkfs-walk.XXXXXX", d ? d : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (p->rec = fdopen(fd, "w+")) == NULL) {
		if (fd >= 0)
			close(fd), unlink(path);
		msg("", "cannot create a temporary file in %s: %s", d ? d : "/tmp", strerror(errno));
		return -1;
	}
	unlink(path);
	return 0;
}

/* One record: kind, name length and name, attributes (not for RUP). */
static int
recput(Pop *p, int kind, const char *name, const GefsBulkAttr *a)
{
	uint16_t n = name ? (uint16_t)strlen(name) : 0;	/* checked: <= GEFS_NAMEMAX */

	if (p->rec == NULL || p->nerr > 0)
		return 0;
	if (putc(kind, p->rec) == EOF || fwrite(&n, sizeof n, 1, p->rec) != 1
	|| (n > 0 && fwrite(name, n, 1, p->rec) != 1) || (a != NULL && fwrite(a, sizeof *a, 1, p->rec) != 1))
		return perr(p, "writing the walk log: %s", strerror(errno ? errno : ENOSPC));
	return 0;
}

/* The next record into kind, name (NUL-terminated), a: 1, 0 at the end. */
static int
recget(Pop *p, int *kind, char *name, GefsBulkAttr *a)
{
	uint16_t n;

	if ((*kind = getc(p->rec)) == EOF)
		return 0;
	if (fread(&n, sizeof n, 1, p->rec) != 1 || n > GEFS_NAMEMAX || (n > 0 && fread(name, n, 1, p->rec) != 1)
	|| (*kind != RUP && fread(a, sizeof *a, 1, p->rec) != 1)) {
		msg("", "reading the walk log: %s", ferror(p->rec) ? strerror(errno) : "truncated");
		return -1;
	}
	name[n] = 0;
	return 1;
}

/* ---- counting (first walk) ---- */

/* Data blocks of fd as the loader will write them (SEEK_DATA extents). */
static int
countdata(Pop *p, int fd, uint64_t len, uint64_t *nb)
{
	uint64_t pos = 0, first, end;
	off_t s, e;

	*nb = 0;
	while (pos < len) {
		if ((s = lseek(fd, (off_t)pos, SEEK_DATA)) < 0) {
			if (errno == ENXIO)
				break;
			if (errno != EINVAL && errno != EOPNOTSUPP)
				return perr(p, "cannot seek: %s", strerror(errno));
			s = (off_t)pos, e = (off_t)len;
		} else if ((e = lseek(fd, s, SEEK_HOLE)) < 0)
			e = (off_t)len;
		if ((uint64_t)s >= len)
			break;
		if ((uint64_t)e > len)
			e = (off_t)len;
		first = (uint64_t)s / B;
		if (first < pos / B)
			first = pos / B;
		end = ((uint64_t)e + B - 1) / B;
		if (end > first)
			*nb += end - first;
		pos = end * B;
	}
	return 0;
}

/* Hard links: one note per link set, when its second name is met. */
static int
linknote(Pop *p, const struct stat *st)
{
	Link *l;
	size_t i;

	if (p->load || st->st_nlink < 2)
		return 0;
	for (i = 0; i < p->nlink; i++)
		if (p->link[i].dev == st->st_dev && p->link[i].ino == st->st_ino) {
			if (!p->link[i].noted)
				msg("note: ", "%s: hard link of a file met before; stored as a separate file", p->path);
			p->link[i].noted = true;
			return 0;
		}
	if (p->nlink == p->caplink) {
		p->caplink = p->caplink ? 2 * p->caplink : 64;
		if ((l = realloc(p->link, p->caplink * sizeof *l)) == NULL)
			return perr(p, "out of memory");
		p->link = l;
	}
	p->link[p->nlink++] = (Link){st->st_dev, st->st_ino, false};
	return 0;
}

/* A name GEFS can hold (§12.6): 1..244 bytes, no control bytes. */
int
namecheck(Pop *p, const char *name)
{
	size_t n = strlen(name), i;

	if (n > GEFS_NAMEMAX)
		return perr(p, "name of %zu bytes: GEFS names hold at most %d", n, GEFS_NAMEMAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20)
			return perr(p, "name contains the control byte 0x%02x, which GEFS names cannot hold",
				(unsigned char)name[i]);
	return 0;
}

/* ---- the walk ---- */

static int walkdir(Pop *p, int dfd);

static int
cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of directory d (without . and ..), sorted bytewise. */
static char **
listdir(Pop *p, DIR *d, size_t *n)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cap = 0;

	*n = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			break;
		(*n)++;
		errno = 0;
	}
	if (errno != 0)
		perr(p, "cannot read the directory: %s", strerror(errno));
	if (v != NULL)
		qsort(v, *n, sizeof *v, cmpname);
	return v != NULL ? v : calloc(1, sizeof *v);
}

static int
loaderr(Pop *p)
{
	p->nerr++;
	msg("", "%s: %s", p->path, gefs_errmsg(p->fs));
	return -1;
}

/* A file without holes (every byte allocated): all of it is data, so
 * there is nothing to ask SEEK_DATA (the loader judges it the same way). */
static bool
dense(const struct stat *st)
{
	return (uint64_t)st->st_blocks * 512 >= (uint64_t)st->st_size;
}

/* First walk: count a file; only a sparse one is opened. */
static int
countfile(Pop *p, int dfd, const char *name, const struct stat *st, const GefsBulkAttr *a)
{
	uint64_t nb = (a->length + B - 1) / B;
	int fd, rc = 0;

	if (dense(st)) {
		if (faccessat(dfd, name, R_OK, AT_EACCESS) < 0)
			return perr(p, "cannot read the file: %s", strerror(errno));
	} else {
		if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return perr(p, "cannot read the file: %s", strerror(errno));
		rc = countdata(p, fd, a->length, &nb);
		close(fd);
		if (rc < 0)
			return -1;
	}
	p->need.nfile++;
	p->need.namebytes += strlen(name);
	p->need.datablocks += nb;
	p->totbytes += a->length;
	if (linknote(p, st) < 0)
		return -1;
	return p->indexing ? ixadd(p, EFILE, p->path + p->rootlen, a, nb, 0, NULL) : recput(p, RFILE, name, a);
}

/* A file (first walk: counted, checked, logged or indexed). */
static int
addfile(Pop *p, int dfd, const char *name, const struct stat *st)
{
	GefsBulkAttr a = attrof(p, st);

	return countfile(p, dfd, name, st, &a);
}

static int
adddir(Pop *p, int dfd, const char *name, const struct stat *st)
{
	GefsBulkAttr a = attrof(p, st);
	int fd, rc;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return perr(p, "cannot read the directory: %s", strerror(errno));
	p->need.ndir++;
	p->need.namebytes += strlen(name);
	p->need.dirnamebytes += strlen(name);
	if (p->indexing ? ixadd(p, EDIR, p->path + p->rootlen, &a, 0, 0, NULL) < 0 : recput(p, RDIR, name, &a) < 0) {
		close(fd);
		return -1;
	}
	rc = walkdir(p, fd);
	if (!p->indexing && recput(p, RUP, NULL, NULL) < 0)
		return -1;
	return rc;
}

static const char *
kindof(mode_t m)
{
	return S_ISLNK(m) ? "symbolic link" : S_ISCHR(m) ? "character device" : S_ISBLK(m) ? "block device"
		: S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket" : "special file";
}

/* One name of directory dfd; the path buffer holds its source path. */
static int
walkone(Pop *p, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return perr(p, "cannot stat: %s", strerror(errno));
	if (p->imgino != 0 && st.st_dev == p->imgdev && st.st_ino == p->imgino) {
		msg("warning: ", "%s: the image itself, skipped", p->path);
		return 0;
	}
	if (namecheck(p, name) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return adddir(p, dfd, name, &st);
	if (S_ISREG(st.st_mode))
		return addfile(p, dfd, name, &st);
	if (p->a->strict)
		return perr(p, "%s: GEFS cannot hold it (--strict)", kindof(st.st_mode));
	p->nskip++;
	msg("warning: ", "%s: %s skipped: GEFS has none", p->path, kindof(st.st_mode));
	return 0;
}

/* Every name of directory fd (closed here: the directory stream reads
 * through it, no duplicate needed), in byte order; errors are counted
 * and the walk goes on, so that one run reports them all. */
static int
walkdir(Pop *p, int fd)
{
	size_t n, i, len = strlen(p->path);
	char **v;
	int rc = 0, dfd;
	DIR *d;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return perr(p, "cannot read the directory: %s", strerror(errno));
	}
	dfd = dirfd(d);
	if ((v = listdir(p, d, &n)) == NULL) {
		closedir(d);
		return -1;
	}
	for (i = 0; i < n && !p->fatal; i++) {
		snprintf(p->path + len, sizeof p->path - len, "%s%s", len && p->path[len - 1] == '/' ? "" : "/", v[i]);
		if (walkone(p, dfd, v[i]) < 0)
			rc = -1;
		p->path[len] = 0;
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	closedir(d);
	return rc;
}

/* Walk directory source src (first walk): its root's attributes. */
static int
walksrc(Pop *p, const char *src)
{
	GefsBulkAttr ra;
	struct stat st;
	int fd, rc;

	snprintf(p->path, sizeof p->path, "%s", src);
	p->rootlen = strlen(p->path) + 1;
	if ((fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = perr(p, "cannot read the directory: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	ra = attrof(p, &st);
	if (p->indexing ? ixadd(p, EDIR, "", &ra, 0, 0, NULL) < 0 : recput(p, RROOT, NULL, &ra) < 0) {
		close(fd);
		return -1;
	}
	return walkdir(p, fd);
}

/* The first walk over every source; with layering, each fills the index. */
static int
walkall(Pop *p)
{
	int i, rc = 0;

	for (i = 0; i < p->a->nsrc && !p->fatal; i++) {
		p->cursrc = i;
		p->prefix = p->srcpre[i];
		if ((p->srctar[i] ? tarindex(p, i, p->srcpath[i]) : walksrc(p, p->srcpath[i])) < 0)
			rc = -1;
	}
	return rc;
}

/* ---- the second walk of one plain directory: the log replayed ---- */

typedef struct Level {
	int		fd;
	uint64_t	qid;
	size_t		plen;		/* its path's length in p->path */
} Level;

typedef struct Replay {
	Level		*v;
	size_t		n, cap;
} Replay;

/* Enter directory name (below the top one; the source itself when the
 * stack is empty), qid q. */
static int
enter(Pop *p, Replay *r, const char *name, uint64_t q)
{
	size_t len = strlen(p->path);
	Level *nv;
	int fd;

	if (r->n > 0)
		snprintf(p->path + len, sizeof p->path - len, "/%s", name);
	fd = r->n > 0 ? openat(r->v[r->n - 1].fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		: open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		msg("", "%s: cannot read the directory: %s", p->path, strerror(errno));
		return -1;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		if ((nv = realloc(r->v, r->cap * sizeof *nv)) == NULL) {
			close(fd);
			msg("", "out of memory");
			return -1;
		}
		r->v = nv;
	}
	r->v[r->n++] = (Level){fd, q, len};
	return 0;
}

static void
leave(Pop *p, Replay *r)
{
	Level *l = &r->v[--r->n];

	close(l->fd);
	p->path[l->plen] = 0;
}

/* One file of the top directory. */
static int
refile(Pop *p, Replay *r, const char *name, const GefsBulkAttr *a)
{
	Level *l = &r->v[r->n - 1];
	size_t len = strlen(p->path);
	int fd, rc = 0;

	snprintf(p->path + len, sizeof p->path - len, "/%s", name);
	if ((fd = openat(l->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		msg("", "%s: cannot read the file: %s", p->path, strerror(errno));
		rc = -1;
	} else if (gefs_bulkfile(p->bulk, l->qid, name, strlen(name), a, fd, NULL) < 0)
		rc = loaderr(p);
	else
		progress(p, a, false);
	if (fd >= 0)
		close(fd);
	p->path[len] = 0;
	return rc;
}

/* One record of the log. */
static int
reone(Pop *p, Replay *r, int kind, const char *name, GefsBulkAttr *a)
{
	uint64_t q;

	if ((kind != RROOT) == (r->n == 0))
		return msg("", "the walk log is out of step"), -1;
	switch (kind) {
	case RROOT:
		rootattr(p, a);
		snprintf(p->path, sizeof p->path, "%s", p->srcpath[0]);
		return enter(p, r, p->srcpath[0], gefs_bulkroot(p->bulk, a));
	case RDIR:
		if (gefs_bulkdir(p->bulk, r->v[r->n - 1].qid, name, strlen(name), a, &q) < 0) {
			snprintf(p->path + strlen(p->path), sizeof p->path - strlen(p->path), "/%s", name);
			return loaderr(p);
		}
		return enter(p, r, name, q);
	case RFILE:
		return refile(p, r, name, a);
	case RUP:
		leave(p, r);
		return 0;
	}
	return msg("", "the walk log holds a record of kind %d", kind), -1;
}

/* The second walk of the one plain directory source. */
static int
replay(Pop *p)
{
	Replay r = {NULL, 0, 0};
	char name[GEFS_NAMEMAX + 1];
	GefsBulkAttr a;
	int kind, rc;

	if (fflush(p->rec) != 0 || fseek(p->rec, 0, SEEK_SET) != 0) {
		msg("", "the walk log: %s", strerror(errno));
		return -1;
	}
	while ((rc = recget(p, &kind, name, &a)) > 0)
		if (reone(p, &r, kind, name, &a) < 0) {
			rc = -1;
			break;
		}
	while (r.n > 0)
		leave(p, &r);
	free(r.v);
	return rc;
}

/* "SRC:/PATH" places SRC under PATH, unless SRC:/PATH names a source as a
 * whole; "-" is a tar stream on stdin. */
static int
splitsrc(Pop *p, int i)
{
	const char *arg = p->a->src[i], *c = strstr(arg, ":/");
	struct stat st;
	char *s = p->srcbuf[i];
	size_t n;

	p->srcpath[i] = arg;
	p->srcpre[i] = "";
	if (c != NULL && stat(arg, &st) < 0) {
		n = (size_t)(c - arg);
		if (n >= sizeof p->srcbuf[i] / 2 || strlen(c + 1) >= sizeof p->srcbuf[i] / 2)
			return perr(p, "-d %s: too long", arg), -1;
		memcpy(s, arg, n);
		s[n] = 0;
		p->srcpath[i] = s;
		s += n + 1;
		for (c += 1; *c == '/'; c++)
			;
		strcpy(s, c);
		for (n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
			s[n - 1] = 0;
		p->srcpre[i] = s;
	}
	if (strcmp(p->srcpath[i], "-") == 0)
		p->srctar[i] = true;
	else if (stat(p->srcpath[i], &st) < 0) {
		snprintf(p->path, sizeof p->path, "%s", p->srcpath[i]);
		return perr(p, "%s", strerror(errno));
	} else
		p->srctar[i] = !S_ISDIR(st.st_mode);
	return 0;
}

/* ---- the run ---- */

static double
mib(uint64_t n)
{
	return (double)n / 1048576.0;
}

/* Check the options that name users; then the first walk. */
static int
scan(Pop *p)
{
	int32_t id;
	int i;

	char why[512];

	if (p->a->ownermap != NULL && ownersload(&p->own, p->a->ownermap, why, sizeof why) < 0) {
		msg("", "%s", why);
		return 1;
	}
	if (p->a->rootowner && (ownerid(&p->own, p->a->rootuser, &id) < 0 || ownerid(&p->own, p->a->rootgroup, &id) < 0)) {
		msg("", "-E root_owner=%s:%s: not adm, none, %s or a name of the owner map",
			p->a->rootuser, p->a->rootgroup, p->own.admin);
		return 2;
	}
	for (i = 0; i < p->a->nsrc; i++)
		if (splitsrc(p, i) < 0)
			return 1;
	/* one plain directory streams; anything else is merged in an index */
	p->indexing = p->a->nsrc > 1 || p->srctar[0] || p->srcpre[0][0] != 0;
	if (!p->indexing && recopen(p) < 0)
		return 1;
	walkall(p);
	if (p->indexing && p->nerr == 0)
		ixfinish(p);
	if (p->fatal)	/* the index's temporary file failed: said once */
		return 1;
	if (p->nerr > 0) {
		msg("", "%" PRIu64 " error%s in the source; nothing written", p->nerr, p->nerr == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

/* The image size: SIZE, the existing file's, or computed. */
static int
sizeit(Pop *p, const char *image, bool havesize, uint64_t *size)
{
	uint64_t need = gefs_bulkblocks(&p->need), min;
	GefsErr e;
	bool isblk;

	if (!havesize && gefs_imagesize(image, size, &isblk, &e) < 0) {
		if (e.code != ENOENT) {
			msg("", "%s", e.msg);
			return -1;
		}
		if (gefs_bulksize(&p->need, p->a->shrink ? 0 : HEADROOM, size) < 0) {
			msg("", "%s: the source is too large for any image", image);
			return -1;
		}
		return 0;
	}
	if (*size >= GEFS_MINSIZE && gefs_bulkcap(*size) >= need)
		return 0;
	if (gefs_bulksize(&p->need, 0, &min) < 0)
		min = 0;
	msg("", "%s: %" PRIu64 " bytes (%.2f MiB) cannot hold the source: it needs at least %" PRIu64
		" bytes (%.2f MiB); nothing written", image, *size, mib(*size), min, mib(min));
	return -1;
}

/* The users file with the owner map's names (§16). */
static int
newusers(Pop *p)
{
	size_t n;
	char *u = ownersfile(&p->own, &n);
	int rc;

	if (u == NULL) {
		msg("", "out of memory");
		return -1;
	}
	rc = gefs_bulkusers(p->bulk, u, n);
	free(u);
	if (rc < 0)
		msg("", "users file: %s", gefs_errmsg(p->fs));
	return rc;
}

static int
load(Pop *p, const char *image)
{
	GefsBulkOpts bo;
	GefsBulkStats bs;
	GefsOpts o;
	GefsErr e;

	gefs_defopts(&o);
	o.rdwr = true;
	o.cachesz = CACHESZ;
	if ((p->fs = gefs_open(image, &o, &e)) == NULL) {
		msg("", "%s", e.msg);
		return -1;
	}
	gefs_defbulkopts(&bo);
	if (p->a->label != NULL)
		bo.label = p->a->label;
	bo.snap = p->a->snap;
	bo.anyorder = true;	/* data pointers sorted: the same tree from a tar */
	bo.sortmem = KEYMEM;
	if (getenv("GEFS_MKFS_SORTMEM") != NULL)
		bo.sortmem = (size_t)strtoull(getenv("GEFS_MKFS_SORTMEM"), NULL, 10);
	if (getenv("GEFS_MKFS_THREADS") != NULL)	/* unset or 0: automatic */
		bo.threads = atoi(getenv("GEFS_MKFS_THREADS"));
	p->load = true;
	p->nerr = 0;
	if ((p->bulk = gefs_bulkbegin(p->fs, &bo)) == NULL) {
		msg("", "%s: %s", image, gefs_errmsg(p->fs));
		return -1;
	}
	if (p->own.nname > 0 && newusers(p) < 0)
		return -1;
	if ((p->indexing ? ixload(p) : replay(p)) < 0)
		return -1;
	progress(p, NULL, true);
	if (gefs_bulkend(p->bulk, &bs) < 0) {
		msg("", "%s: %s", image, gefs_errmsg(p->fs));
		return -1;
	}
	return 0;
}

static void
popfree(Pop *p)
{
	gefs_bulkfree(p->bulk);
	gefs_close(p->fs);
	free(p->link);
	ixfree(&p->ix);
	ownersfree(&p->own);
	if (p->rec != NULL)
		fclose(p->rec);
	if (p->spool != NULL) {
		unlink(p->spool);
		free(p->spool);
	}
}

int
populate(const PopArgs *a, const char *image, bool havesize, uint64_t size, const GefsFormatOpts *fo,
	int verbose)
{
	GefsFormatStats st;
	GefsFormatOpts f = *fo;
	struct stat ist;
	GefsErr e;
	Pop p;
	bool existed;
	int rc;

	memset(&p, 0, sizeof p);
	p.a = a;
	p.fo = fo;
	p.uid = p.gid = ADMINID;
	p.own.admin = fo->user ? fo->user : GEFS_DEFUSER;
	p.clamp = fo->ctimeset;
	p.epoch = fo->ctime;
	if (stat(image, &ist) == 0 && S_ISREG(ist.st_mode))
		p.imgdev = ist.st_dev, p.imgino = ist.st_ino;
	if ((rc = scan(&p)) != 0 || sizeit(&p, image, havesize, &size) < 0) {
		popfree(&p);
		return rc ? rc : 1;
	}
	existed = stat(image, &ist) == 0;
	if (gefs_format(image, size, &f, &st, &e) < 0) {
		popfree(&p);
		msg("", "%s%s", e.msg, e.code == EEXIST ? " (use -F to format anyway)" : "");
		return 1;
	}
	if (stat(image, &ist) == 0)	/* a source holding the image skips it */
		p.imgdev = ist.st_dev, p.imgino = ist.st_ino;
	rc = load(&p, image);
	popfree(&p);
	if (rc < 0) {
		if (!existed && unlink(image) == 0)
			msg("", "%s: removed (it was created by this run)", image);
		return 1;
	}
	if (verbose >= 0) {
		printf("%s: %" PRIu64 " bytes (%.2f MiB), %" PRIu64 " arenas of %" PRIu64 " bytes, admin user %s\n",
			image, st.lay.devsize, mib(st.lay.devsize), st.lay.narena, st.lay.arenasz,
			fo->user ? fo->user : GEFS_DEFUSER);
		printf("label %s: %" PRIu64 " files, %" PRIu64 " directories, %" PRIu64 " data blocks",
			a->label ? a->label : "main", p.need.nfile, p.need.ndir, p.need.datablocks);
		if (p.nskip > 0)
			printf(", %" PRIu64 " skipped", p.nskip);
		printf("\n");
	}
	return 0;
}
