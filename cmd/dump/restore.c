/* SPDX-License-Identifier: MIT */
/*
 * restore — copy files and directories out of a (possibly damaged) label
 * into a host directory, as btrfs restore does: every entry that can be
 * read is written with its permission bits and mtime (holes kept as
 * holes), what cannot be read is skipped and named, and the exit status
 * is 1 when anything was skipped or is incomplete.
 *
 * The image is untrusted, so is every name in it: a name that is empty,
 * "." or "..", or holds '/' or NUL is never used; every host file is
 * created relative to the directory descriptor of its parent (openat,
 * mkdirat) with O_NOFOLLOW, so neither a hostile name nor a symbolic
 * link already in HOSTDIR leads the copy out of HOSTDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dump.h"

enum {
	IOUNIT	= 1 << 20,	/* bytes read from the image at a time */
	MAXNEST	= 256,		/* directory nesting restored (one fd each) */
	LENMAXDEV = 16,		/* a file longer than 16 device sizes is damage */
};

typedef struct Rst {
	Dump		*d;
	GefsTree	*t;
	const char	*label;
	bool		overwrite, verbose, dryrun;
	uint64_t	nfiles, ndirs, nskip;
	uint64_t	anc[MAXNEST];	/* qids of the directories being restored */
	int		depth;
	uint8_t		*buf;
} Rst;

/* Report one skipped or incomplete entry; the exit status becomes 1. */
static void
skip(Rst *r, const char *path, const char *why)
{
	r->nskip++;
	fail(r->d, "%s:%s: %s", r->label, path, why);
}

/* A name that can be created in the host directory as itself. */
static bool
safename(const char *name, size_t nlen)
{
	if (nlen == 0 || memchr(name, '/', nlen) != NULL || memchr(name, 0, nlen) != NULL)
		return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Permission bits and mtime of the restored entry fd. */
static int
setattrs(int fd, const GefsXdir *x)
{
	struct timespec ts[2];

	ts[0].tv_sec = x->atime / 1000000000;
	ts[0].tv_nsec = x->atime % 1000000000;
	ts[1].tv_sec = x->mtime / 1000000000;
	ts[1].tv_nsec = x->mtime % 1000000000;
	if (ts[0].tv_nsec < 0)
		ts[0].tv_nsec = UTIME_OMIT;
	if (ts[1].tv_nsec < 0)
		ts[1].tv_nsec = UTIME_OMIT;
	if (fchmod(fd, x->mode & 0777) < 0)
		return -1;
	return futimens(fd, ts);
}

/* Write n bytes at off, leaving whole zero blocks as holes. */
static int
putsparse(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	static const uint8_t zero[GEFS_BLKSZ];
	size_t i, m;

	for (i = 0; i < n; i += m) {
		m = n - i < GEFS_BLKSZ ? n - i : GEFS_BLKSZ;
		if (memcmp(p + i, zero, m) != 0 && pwrite(fd, p + i, m, (off_t)(off + i)) != (ssize_t)m)
			return -1;
	}
	return 0;
}

/* Copy the bytes of file x to fd (fd < 0: read only, for --dry-run).
 * 0 done (damage, if any, reported and read as zeros), -1 failed. */
static int
copydata(Rst *r, const GefsXdir *x, int fd, const char *path)
{
	uint64_t off;
	int64_t n;
	char why[600];

	for (off = 0; off < x->length; off += (uint64_t)n) {
		n = gefs_read(r->t, x, off, r->buf, IOUNIT);
		if (n <= 0) {
			snprintf(why, sizeof why, "reading offset %llu: %s", (unsigned long long)off,
				n < 0 ? gefs_errmsg(r->d->r.fs) : "short file");
			skip(r, path, why);
			return -1;
		}
		if (fd >= 0 && putsparse(fd, r->buf, (size_t)n, off) < 0) {
			snprintf(why, sizeof why, "writing the host file: %s", strerror(errno));
			skip(r, path, why);
			return -1;
		}
	}
	if (fd >= 0 && ftruncate(fd, (off_t)x->length) < 0) {
		snprintf(why, sizeof why, "sizing the host file: %s", strerror(errno));
		skip(r, path, why);
		return -1;
	}
	return 0;
}

/* Create (or, with -o, truncate) regular file name in dfd; -1 skipped. */
static int
createfile(Rst *r, int dfd, const char *name, const char *path)
{
	struct stat st;
	char why[300];
	int fd;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && r->overwrite) {
		fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || ftruncate(fd, 0) < 0)) {
			close(fd);
			skip(r, path, "exists and is not a regular file: not overwritten");
			return -1;
		}
	}
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(why, sizeof why, "exists: not overwritten (use -o)");
		else
			snprintf(why, sizeof why, "creating the host file: %s", strerror(errno));
		skip(r, path, why);
	}
	return fd;
}

static int
restorefile(Rst *r, int dfd, const char *name, const GefsXdir *x, const char *path)
{
	uint64_t nd = r->d->ndamage;
	int fd = -1, rc;

	if (x->length / LENMAXDEV > gefs_devsize(r->d->r.fs)) {
		skip(r, path, "length is more than 16 times the image size: damaged, not restored");
		return -1;
	}
	if (!r->dryrun && (fd = createfile(r, dfd, name, path)) < 0)
		return -1;
	setwhere(r->d, r->label, path);
	rc = copydata(r, x, fd, path);
	if (rc == 0 && fd >= 0 && setattrs(fd, x) < 0) {
		skip(r, path, "setting mode and mtime failed");
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0 && r->d->ndamage != nd) {
		skip(r, path, "incomplete: unreadable bytes restored as zeros");
		rc = -1;
	}
	r->nfiles += rc == 0;
	return rc;
}

static int restoredir(Rst *r, int dfd, const GefsXdir *x, const char *path);

/* Make (or reuse) subdirectory name of dfd and restore x into it. */
static int
restoresub(Rst *r, int dfd, const char *name, const GefsXdir *x, const char *path)
{
	struct stat st;
	int fd = -1, rc;

	if (!r->dryrun) {
		if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST) {
			skip(r, path, strerror(errno));
			return -1;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			skip(r, path, "exists and is not a directory");
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	rc = restoredir(r, fd, x, path);
	/* mode and mtime last: writing the children changes the mtime */
	if (fd >= 0 && setattrs(fd, x) < 0)
		skip(r, path, "setting mode and mtime failed");
	if (fd >= 0)
		close(fd);
	return rc;
}

/* One entry of a directory being restored. */
static void
restoreent(Rst *r, int dfd, const Ent *e, const char *dir)
{
	char *path;

	if (asprintf(&path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", e->name) < 0) {
		skip(r, dir, "out of memory");
		return;
	}
	if (!safename(e->name, e->nlen)) {
		skip(r, path, "name cannot be used on the host ('.', '..', '/' or NUL): not restored");
		free(path);
		return;
	}
	if (r->verbose)
		printf("%s%s:%s%s\n", r->dryrun ? "would restore " : "", r->label, path,
			(e->x.mode & GEFS_DMDIR) ? "/" : "");
	if (e->x.mode & GEFS_DMDIR)
		restoresub(r, dfd, e->name, &e->x, path);
	else
		restorefile(r, dfd, e->name, &e->x, path);
	free(path);
}

/* Restore the children of directory x (at path) into dfd. */
static int
restoredir(Rst *r, int dfd, const GefsXdir *x, const char *path)
{
	Dir dir;
	size_t i;
	uint64_t nd;
	int k;

	for (k = 0; k < r->depth; k++)
		if (r->anc[k] == x->qpath) {
			skip(r, path, "directory contains itself: not descended");
			return -1;
		}
	if (r->depth == MAXNEST) {
		skip(r, path, "directories nested too deep: not descended");
		return -1;
	}
	memset(&dir, 0, sizeof dir);
	setwhere(r->d, r->label, path);
	nd = r->d->ndamage;
	if ((k = gefs_readdirqid(r->t, x->qpath, true, direntry, &dir)) != 0) {
		skip(r, path, k > 0 ? "out of memory" : gefs_errmsg(r->d->r.fs));
		dirfree(&dir);
		return -1;
	}
	r->nskip += r->d->ndamage - nd;	/* entries lost, named by the damage lines */
	r->ndirs++;
	r->anc[r->depth++] = x->qpath;
	for (i = 0; i < dir.n; i++)
		restoreent(r, dfd, &dir.e[i], path);
	r->depth--;
	dirfree(&dir);
	return 0;
}

/* Parse the options of restore; returns the index of LABEL[:/PATH]. */
static int
restoreopts(Rst *r, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "overwrite", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+ov", lo, NULL)) != -1) {
		switch (c) {
		case 'o': r->overwrite = true; break;
		case 'v': r->verbose = true; break;
		case 'D': r->dryrun = true; break;
		default: usagefail("restore: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		usagefail("restore: expected LABEL[:/PATH] HOSTDIR");
	return optind;
}

/* Restore x (path in the label) into the host directory hfd. */
static void
restoretop(Rst *r, int hfd, const GefsXdir *x, const char *path)
{
	const char *base;

	if (x->mode & GEFS_DMDIR) {
		restoredir(r, hfd, x, path);
		return;
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (!safename(base, strlen(base)))
		skip(r, path, "name cannot be used on the host: not restored");
	else
		restorefile(r, hfd, base, x, path);
}

int
cmdrestore(Dump *d, int argc, char **argv)
{
	Rst r;
	GefsXdir x;
	char *label;
	const char *path;
	int i, hfd;

	memset(&r, 0, sizeof r);
	r.d = d;
	i = restoreopts(&r, argc, argv);
	parsepath(argv[i], &label, &path);
	r.label = label;
	hfd = open(argv[i + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0)
		usagefail("restore: %s: %s (HOSTDIR must be an existing directory)", argv[i + 1], strerror(errno));
	dumpopen(d);
	r.buf = malloc(IOUNIT);
	r.t = opentree(d, label);
	if (r.buf == NULL)
		fail(d, "out of memory");
	else if (r.t != NULL && gefs_walk(r.t, path, &x) < 0)
		fsfail(d, "%s:%s", label, path);
	else if (r.t != NULL)
		restoretop(&r, hfd, &x, path);
	if (r.t != NULL && (r.verbose || r.nskip > 0))
		fprintf(r.nskip ? stderr : stdout, "%s: restore: %llu files and %llu directories %s; %llu entries or key ranges skipped or incomplete\n",
			argv0, (unsigned long long)r.nfiles, (unsigned long long)r.ndirs,
			r.dryrun ? "would be restored" : "restored", (unsigned long long)r.nskip);
	close(hfd);
	gefs_closetree(r.t);
	free(r.buf);
	free(label);
	return dumpend(d);
}
