/* SPDX-License-Identifier: MIT */
/*
 * write — benchmark of the write engine through the public API (not a
 * ctest test; run by tests/bench/write.sh).
 *
 *   write gen SRCDIR [NFILES NDIRS NBIG BIGMIB]
 *	generate the data set on the host: NFILES files of 0–64 KiB spread
 *	over NDIRS directories d000/…, NBIG files big00… of BIGMIB MiB, and
 *	SRCDIR/list (one "path size" line each, in creation order)
 *   write run IMG SRCDIR
 *	format IMG (size from the data set), copy every file of SRCDIR/list
 *	in, one commit: files up to 1 MiB through a GefsBatch (read whole,
 *	gefs_batchput), bigger ones with gefs_create/gefs_pwrite in 1 MiB
 *	steps (WRITE_NOBATCH=1 in the environment: every file so, to
 *	compare); then remove every other
 *	file, one commit.  Prints wall time, files/s, MiB/s (small files,
 *	big files, and the whole phase with its commit), bytes written to
 *	the image per byte of data (from /proc/self/io), commits, max RSS.
 */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "gefs.h"

enum { CHUNK = 1 << 20 };

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* write_bytes-family counter of this process: wchar of /proc/self/io. */
static unsigned long long
wchar(void)
{
	FILE *fp = fopen("/proc/self/io", "r");
	unsigned long long v = 0;
	char line[128];

	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	if (fp != NULL)
		fclose(fp);
	return v;
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "write: %s: %s\n", what, msg);
	exit(1);
}

/* Deterministic contents: a xorshift stream seeded by the file number. */
static void
fill(unsigned char *p, size_t n, uint64_t *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		p[i] = (unsigned char)*s;
	}
}

static int
gen(const char *dir, long nfiles, long ndirs, long nbig, long bigmib)
{
	static unsigned char buf[CHUNK];
	char path[4096], full[8192];
	uint64_t s = 88172645463325252ULL;
	long i, j, sz;
	FILE *list, *fp;

	snprintf(path, sizeof path, "%s/list", dir);
	if ((list = fopen(path, "w")) == NULL)
		die(path, strerror(errno));
	for (i = 0; i < ndirs; i++) {
		snprintf(path, sizeof path, "%s/d%03ld", dir, i);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die(path, strerror(errno));
	}
	for (i = 0; i < nfiles + nbig; i++) {
		sz = i < nfiles ? (long)(s % (64 * 1024 + 1)) : bigmib << 20;
		if (i < nfiles)
			snprintf(path, sizeof path, "d%03ld/f%05ld", i % ndirs, i);
		else
			snprintf(path, sizeof path, "big%02ld", i - nfiles);
		fprintf(list, "%s %ld\n", path, sz);
		snprintf(full, sizeof full, "%s/%s", dir, path);
		if ((fp = fopen(full, "w")) == NULL)
			die(full, strerror(errno));
		for (j = 0; j < sz; j += CHUNK) {
			fill(buf, (size_t)(sz - j < CHUNK ? sz - j : CHUNK), &s);
			fwrite(buf, 1, (size_t)(sz - j < CHUNK ? sz - j : CHUNK), fp);
		}
		if (fclose(fp) != 0)
			die(full, strerror(errno));
		s += (uint64_t)i * 2654435761u + 1;
	}
	return fclose(list) == 0 ? 0 : 1;
}

/* Copy host file src (sz bytes) to path in t. */
static void
copyin(GefsTree *t, Gefs *fs, const char *src, const char *path, long sz, unsigned char *buf)
{
	long off;
	ssize_t r;
	int fd;

	if (gefs_create(t, path, 0664, NULL) < 0)
		die(path, gefs_errmsg(fs));
	if ((fd = open(src, O_RDONLY)) < 0)
		die(src, strerror(errno));
	for (off = 0; off < sz; off += r) {
		if ((r = read(fd, buf, CHUNK)) <= 0)
			die(src, "short read");
		if (gefs_pwrite(t, path, buf, (size_t)r, (uint64_t)off) != r)
			die(path, gefs_errmsg(fs));
	}
	close(fd);
}

/* Copy host file src (sz bytes, at most CHUNK) to path through bt. */
static void
batchin(GefsBatch *bt, Gefs *fs, const char *src, const char *path, long sz, unsigned char *buf)
{
	ssize_t r = 0;
	long off;
	int fd;

	if ((fd = open(src, O_RDONLY)) < 0)
		die(src, strerror(errno));
	for (off = 0; off < sz; off += r)
		if ((r = read(fd, buf + off, (size_t)(sz - off))) <= 0)
			die(src, "short read");
	close(fd);
	if (gefs_batchput(bt, path, 0664, NULL, buf, (size_t)sz) < 0)
		die(path, gefs_errmsg(fs));
}

/* First time directory path is seen? (the data set's directory names
 * are few: remembered in a hash table, never freed) */
static int
newdir(const char *path)
{
	static int made;
	ENTRY it = {(char *)path, NULL};

	if (!made && hcreate(1 << 16) == 0)
		die("hcreate", strerror(errno));
	made = 1;
	if (hsearch(it, FIND) != NULL)
		return 0;
	if ((it.key = strdup(path)) == NULL || hsearch(it, ENTER) == NULL)
		die(path, "out of memory");
	return 1;
}

static void
report(const char *phase, double t, long nfiles, double bytes, unsigned long long written)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%-8s %9.2f s %10.0f files/s %9.1f MiB/s", phase, t, nfiles / t, bytes / 1048576.0 / t);
	if (written > 0)
		printf("  amplification %.3f  max RSS %ld MiB", bytes > 0 ? (double)written / bytes : 0.0,
			ru.ru_maxrss / 1024);
	printf("\n");
}

static int
run(const char *img, const char *dir)
{
	static unsigned char buf[CHUNK];
	char line[4096], path[4096], src[8192], mk[4096];
	long sz, n = 0, ndel = 0, nsmall = 0;
	double total = 0, t0, delbytes = 0, tsmall = 0, tbig, bsmall = 0, done = 0;
	unsigned long long w0;
	GefsOpts o;
	GefsErr e;
	GefsBatch *bt = NULL;
	GefsTree *t;
	Gefs *fs;
	FILE *list;
	const char *nb = getenv("WRITE_NOBATCH");

	snprintf(src, sizeof src, "%s/list", dir);
	if ((list = fopen(src, "r")) == NULL)
		die(src, strerror(errno));
	while (fgets(line, sizeof line, list) != NULL && sscanf(line, "%4000s %ld", path, &sz) == 2)
		total += (double)sz;
	if (gefs_format(img, ((uint64_t)(total * 1.3) + (1ULL << 30)) & ~(uint64_t)16383, NULL, NULL, &e) < 0)
		die(img, e.msg);
	gefs_defopts(&o);
	o.rdwr = true;
	if ((fs = gefs_open(img, &o, &e)) == NULL || (t = gefs_opentree(fs, "main")) == NULL)
		die(img, fs ? gefs_errmsg(fs) : e.msg);
	if ((nb == NULL || strcmp(nb, "1") != 0) && (bt = gefs_batchopen(t)) == NULL)
		die(img, gefs_errmsg(fs));
	w0 = wchar();
	t0 = secs();
	rewind(list);
	while (fgets(line, sizeof line, list) != NULL && sscanf(line, "%4000s %ld", path, &sz) == 2) {
		if (strchr(path, '/') != NULL) {
			snprintf(mk, sizeof mk, "/%.*s", (int)(strchr(path, '/') - path), path);
			if (newdir(mk) && gefs_mkdir(t, mk, 0775, NULL) < 0)
				die(mk, gefs_errmsg(fs));
		} else if (tsmall == 0) {
			if (bt != NULL && gefs_batchflush(bt) < 0)
				die("batch", gefs_errmsg(fs));
			tsmall = secs() - t0;	/* the small files come first */
			nsmall = n;
			bsmall = done;
		}
		snprintf(src, sizeof src, "%s/%s", dir, path);
		snprintf(mk, sizeof mk, "/%s", path);
		if (bt != NULL && sz <= CHUNK)
			batchin(bt, fs, src, mk, sz, buf);
		else
			copyin(t, fs, src, mk, sz, buf);
		done += (double)sz;
		n++;
	}
	if (gefs_batchclose(bt) < 0)
		die("batch", gefs_errmsg(fs));
	if (nsmall == 0 && tsmall == 0) {	/* no big files */
		tsmall = secs() - t0;
		nsmall = n;
		bsmall = done;
	}
	tbig = secs() - t0 - tsmall;
	if (gefs_commit(fs) < 0)
		die("commit", gefs_errmsg(fs));
	report("small", tsmall, nsmall, bsmall, 0);
	if (n > nsmall)
		report("big", tbig, n - nsmall, done - bsmall, 0);
	report("write", secs() - t0, n, total, wchar() - w0);
	w0 = wchar();
	t0 = secs();
	rewind(list);
	while (fgets(line, sizeof line, list) != NULL && sscanf(line, "%4000s %ld", path, &sz) == 2) {
		if (ndel++ % 2)
			continue;
		snprintf(mk, sizeof mk, "/%s", path);
		if (gefs_remove(t, mk) < 0)
			die(mk, gefs_errmsg(fs));
		delbytes += (double)sz;
	}
	if (gefs_commit(fs) < 0)
		die("commit", gefs_errmsg(fs));
	report("delete", secs() - t0, (ndel + 1) / 2, delbytes, wchar() - w0);
	printf("commits  2\n");
	gefs_closetree(t);
	gefs_close(fs);
	fclose(list);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], argc > 3 ? atol(argv[3]) : 10000, argc > 4 ? atol(argv[4]) : 500,
			argc > 5 ? atol(argv[5]) : 10, argc > 6 ? atol(argv[6]) : 256);
	if (argc == 4 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3]);
	fprintf(stderr, "usage: write gen SRCDIR [NFILES NDIRS NBIG BIGMIB]\n       write run IMG SRCDIR\n");
	return 2;
}
