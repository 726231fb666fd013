/* SPDX-License-Identifier: MIT */
/*
 * hostq.c — put's reader thread (see hostq.h).  The walk goes by
 * directory descriptor: each entry is opened and stat'ed relative to its
 * directory (one path element to resolve), a FIFO or device is stat'ed,
 * never opened.  Data goes in items of at most Qchunk bytes from the
 * start of each data extent (SEEK_DATA/SEEK_HOLE), so holes stay holes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmdlang.h"
#include "hostq.h"

enum {
	Qslots	= 256,		/* items in flight */
	Qbudget	= 16 << 20,	/* data bytes in flight: how far the reader may run ahead */
	Qchunk	= 1 << 20,	/* bytes per data item: the engine's 1 MiB write step */
	Qpool	= Qbudget / Qchunk + 1,	/* Qchunk buffers kept for reuse */
};

struct Hostq {
	pthread_t	th;
	pthread_mutex_t	mu;
	pthread_cond_t	cv;		/* every put, get and stop */
	Hqitem		ring[Qslots];
	unsigned	head, count;
	size_t		bytes;		/* data bytes in the ring */
	bool		stop;
	/* Qchunk buffers of items already consumed: a big file reuses
	 * them (a fresh 1 MiB allocation is mapped and faulted in anew) */
	uint8_t		*pool[Qpool];
	int		npool;
	/* the reader's own */
	bool		recurse;
	char		host[Maxpath];	/* the entry being read, for items and messages */
	const char	*top;
};

void
hqfree(Hostq *q, Hqitem *it)
{
	free(it->host);
	free(it->msg);
	if (it->buf != NULL && it->n == Qchunk) {
		pthread_mutex_lock(&q->mu);
		if (q->npool < Qpool) {
			q->pool[q->npool++] = it->buf;
			it->buf = NULL;
		}
		pthread_mutex_unlock(&q->mu);
	}
	free(it->buf);
	memset(it, 0, sizeof *it);
}

/* A buffer for n data bytes: a pooled one for a whole chunk. */
static uint8_t *
qbuf(Hostq *q, size_t n)
{
	uint8_t *b = NULL;

	if (n == Qchunk) {
		pthread_mutex_lock(&q->mu);
		if (q->npool > 0)
			b = q->pool[--q->npool];
		pthread_mutex_unlock(&q->mu);
	}
	return b != NULL ? b : malloc(n);
}

/* Queue it (its buffers pass to the queue): 0, or -1 when stopped.  An
 * item always fits an empty ring, so a big chunk cannot wait forever. */
static int
qput(Hostq *q, Hqitem *it)
{
	pthread_mutex_lock(&q->mu);
	while (!q->stop && (q->count == Qslots || (q->count > 0 && q->bytes + it->n > Qbudget)))
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		hqfree(q, it);
		return -1;
	}
	q->ring[(q->head + q->count) % Qslots] = *it;
	q->count++;
	q->bytes += it->n;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void
hqnext(Hostq *q, Hqitem *it)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == 0)
		pthread_cond_wait(&q->cv, &q->mu);
	*it = q->ring[q->head];
	q->head = (q->head + 1) % Qslots;
	q->count--;
	q->bytes -= it->n;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Queue the error "put: FMT..." as the walk's last item: -1. */
static int __attribute__((format(printf, 2, 3)))
qerr(Hostq *q, const char *fmt, ...)
{
	Hqitem it = {.kind = Hqerr};
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (m != NULL && asprintf(&it.msg, "put: %s", m) < 0)
		it.msg = NULL;
	free(m);
	if (it.msg == NULL)
		it.msg = strdup("put: out of memory");
	qput(q, &it);
	return -1;
}

/* Queue an item of kind for the entry q->host (Hqdir, Hqfile, Hqend). */
static int
qent(Hostq *q, int kind, const struct stat *st)
{
	Hqitem it = {.kind = kind, .st = *st};

	if (kind != Hqend) {
		if ((it.host = strdup(q->host)) == NULL)
			return qerr(q, "%s: out of memory", q->host);
		it.name = strlen(q->host) == strlen(q->top) ? NULL : strrchr(it.host, '/') + 1;
	}
	return qput(q, &it);
}

/* Queue the bytes [off, end) of fd in items of Qchunk. */
static int
qrun(Hostq *q, int fd, off_t off, off_t end)
{
	Hqitem it;
	ssize_t n;

	for (; off < end; off += n) {
		it = (Hqitem){.kind = Hqdata, .off = (uint64_t)off};
		it.n = (size_t)(end - off < Qchunk ? end - off : Qchunk);
		if ((it.buf = qbuf(q, it.n)) == NULL)
			return qerr(q, "%s: out of memory", q->host);
		n = pread(fd, it.buf, it.n, off);
		if (n <= 0) {
			free(it.buf);
			return qerr(q, "%s: reading: %s", q->host, n < 0 ? strerror(errno) : "short file");
		}
		it.n = (size_t)n;
		if (qput(q, &it) < 0)
			return -1;
	}
	return 0;
}

/* The data extents of fd.  One SEEK_HOLE from 0 that lands on the end
 * proves the file has no hole: then it is read straight through (most
 * files: one lseek, not two per extent). */
static int
qdata(Hostq *q, int fd, const struct stat *st)
{
	off_t off, end;

	if (st->st_size == 0)
		return 0;
	end = lseek(fd, 0, SEEK_HOLE);
	if (end < 0 || end >= st->st_size)
		return qrun(q, fd, 0, st->st_size);
	for (off = 0; off < st->st_size; off = end) {
		off = lseek(fd, off, SEEK_DATA);
		if (off < 0)
			return 0;			/* ENXIO: only a hole is left */
		end = lseek(fd, off, SEEK_HOLE);
		if (end < 0 || end > st->st_size)
			end = st->st_size;
		if (qrun(q, fd, off, end) < 0)
			return -1;
	}
	return 0;
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

static int qentry(Hostq *q, int dfd, const char *name, unsigned char type);

/* The entries of the directory open on fd (consumed). */
static int
qdir(Hostq *q, int fd)
{
	Dent **ent = NULL;
	int i, n, rc = 0;
	DIR *d;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return qerr(q, "%s: %s", q->host, strerror(errno));
	}
	if ((n = readents(d, &ent)) < 0)
		rc = qerr(q, "%s: %s", q->host, strerror(errno));
	for (i = 0; rc == 0 && i < n; i++)
		rc = qentry(q, dirfd(d), ent[i]->name, ent[i]->type);
	if (ent != NULL)
		freeents(ent, (size_t)n);
	closedir(d);
	return rc;
}

/* Open the entry name of directory dfd and stat it: the descriptor, -2
 * for an entry that is neither a regular file nor a directory (st set,
 * nothing opened), -1 on error (queued). */
static int
qopen(Hostq *q, int dfd, const char *name, unsigned char type, struct stat *st)
{
	int fd;

	if (type != DT_REG && type != DT_DIR) {
		if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
			return qerr(q, "%s: %s", q->host, strerror(errno));
		if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
			return -2;
		type = S_ISDIR(st->st_mode) ? DT_DIR : DT_REG;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (type == DT_DIR ? O_DIRECTORY : 0));
	if (fd < 0)
		return qerr(q, "%s: %s", q->host, strerror(errno));
	if (fstat(fd, st) < 0) {
		close(fd);
		return qerr(q, "%s: %s", q->host, strerror(errno));
	}
	return fd;
}

/* The item of a stat'ed entry open on fd (consumed), its contents, its
 * end. */
static int
qopened(Hostq *q, int fd, const struct stat *st)
{
	int rc;

	if (S_ISDIR(st->st_mode) && q->recurse) {
		if (qent(q, Hqdir, st) < 0) {
			close(fd);
			return -1;
		}
		rc = qdir(q, fd);
	} else {
		if (S_ISDIR(st->st_mode))
			rc = qerr(q, "%s is a directory (use -r)", q->host);
		else if (!S_ISREG(st->st_mode))
			rc = qerr(q, "%s: not a regular file or directory (gefs has no links or devices)", q->host);
		else if ((rc = qent(q, Hqfile, st)) == 0)
			rc = qdata(q, fd, st);
		close(fd);
	}
	return rc < 0 ? -1 : qent(q, Hqend, st);
}

/* The entry name of host directory dfd (AT_FDCWD and the argument at the
 * top); q->host names it meanwhile. */
static int
qentry(Hostq *q, int dfd, const char *name, unsigned char type)
{
	size_t top = strlen(q->host);
	struct stat st;
	int fd, rc;

	if (top + 1 + strlen(name) >= sizeof q->host)
		return qerr(q, "%s/%s: path too long", q->host, name);
	snprintf(q->host + top, sizeof q->host - top, "%s%s", dfd == AT_FDCWD ? "" : "/", name);
	fd = qopen(q, dfd, name, type, &st);
	if (fd == -2)
		rc = qerr(q, "%s: not a regular file or directory (gefs has no links or devices)", q->host);
	else
		rc = fd < 0 ? -1 : qopened(q, fd, &st);
	q->host[top] = '\0';
	return rc;
}

static void *
reader(void *arg)
{
	Hostq *q = arg;
	Hqitem done = {.kind = Hqdone};

	if (qentry(q, AT_FDCWD, q->top, DT_UNKNOWN) == 0)
		qput(q, &done);
	return NULL;
}

Hostq *
hqstart(const char *host, bool recurse)
{
	Hostq *q;
	int rc;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	q->recurse = recurse;
	q->top = host;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if ((rc = pthread_create(&q->th, NULL, reader, q)) != 0) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		free(q);
		errno = rc;
		return NULL;
	}
	return q;
}

void
hqstop(Hostq *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	while (q->count > 0) {
		hqfree(q, &q->ring[q->head]);
		q->head = (q->head + 1) % Qslots;
		q->count--;
	}
	while (q->npool > 0)
		free(q->pool[--q->npool]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}
