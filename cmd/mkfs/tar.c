/* SPDX-License-Identifier: MIT */
/*
 * tar — archives as gefs-mkfs -d sources (libarchive: plain, gzip, xz,
 * zstd, bzip2 tar; "-" is a stream on stdin, first copied to an unlinked
 * temporary file so that it can be read more than once).
 *
 * The first read indexes the members (index.c) and refuses what could
 * escape the tree: absolute names, ".." components, hard links to names
 * outside it.  The second read streams each surviving file's data blocks
 * (sparse members keep their holes: libarchive hands over data blocks with
 * their offsets) to the bulk loader under the qid the index gave it.  A
 * hard link becomes a separate file: its target's data is read again.
 *
 * Built without libarchive, an archive source is refused naming the
 * library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "populate.h"

#ifndef GEFS_HAVE_LIBARCHIVE

bool
tarsupported(void)
{
	return false;
}

int
tarindex(Pop *p, int src, const char *path)
{
	(void)src;
	snprintf(p->path, sizeof p->path, "%s", path);
	return perr(p, "not a directory, and reading tar archives needs libarchive, which this "
		"gefs-mkfs was built without (Debian package libarchive-dev)");
}

TarRd *
tarrdopen(Pop *p, int src)
{
	(void)p, (void)src;
	return NULL;
}

int
tarrdfile(Pop *p, TarRd *t, const Load *l)
{
	(void)p, (void)t, (void)l;
	return -1;
}

int
tarrdclose(Pop *p, TarRd *t)
{
	(void)p, (void)t;
	return -1;
}

int
tarlink(Pop *p, const Load *l)
{
	(void)p, (void)l;
	return -1;
}

#else

#include <archive.h>
#include <archive_entry.h>

enum { B = GEFS_BLKSZ, RDBLK = 1 << 16 };

bool
tarsupported(void)
{
	return true;
}

/* stdin to an unlinked-on-exit temporary file. */
static int
spool(Pop *p)
{
	const char *d = getenv("TMPDIR");
	char buf[1 << 16];
	ssize_t n;
	int fd;

	if (p->spool != NULL)
		return 0;
	if (asprintf(&p->spool, "%s/gefs-mkfs-stdin.XXXXXX", d ? d : "/tmp") < 0)
		return perr(p, "out of memory");
	if ((fd = mkstemp(p->spool)) < 0) {
		free(p->spool);
		p->spool = NULL;
		return perr(p, "cannot create a temporary file: %s", strerror(errno));
	}
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			close(fd);
			return perr(p, "copying standard input: %s", strerror(errno ? errno : ENOSPC));
		}
	close(fd);
	if (n < 0)
		return perr(p, "reading standard input: %s", strerror(errno));
	return 0;
}

static struct archive *
taropen(Pop *p, const char *path)
{
	struct archive *a;

	if (strcmp(path, "-") == 0) {
		if (spool(p) < 0)
			return NULL;
		path = p->spool;
	}
	if ((a = archive_read_new()) == NULL) {
		perr(p, "out of memory");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, path, RDBLK) != ARCHIVE_OK) {
		perr(p, "%s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* A member name as a path under the root: no absolute names, no "..";
 * "." and empty components dropped. */
static int
tarname(Pop *p, const char *in, char *out, size_t n, const char *what)
{
	char comp[GEFS_NAMEMAX + 2];
	const char *s = in, *e;
	size_t o = 0, l;

	if (in[0] == '/')
		return perr(p, "%sabsolute name: refused (it would escape the tree)", what);
	for (; *s; s = *e ? e + 1 : e) {
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		l = (size_t)(e - s);
		if (l == 0 || (l == 1 && s[0] == '.'))
			continue;
		if (l == 2 && s[0] == '.' && s[1] == '.')
			return perr(p, "%s\"..\" in the name: refused (path traversal)", what);
		if (l > GEFS_NAMEMAX)
			return perr(p, "%sname of %zu bytes: GEFS names hold at most %d", what, l, GEFS_NAMEMAX);
		memcpy(comp, s, l);
		comp[l] = 0;
		if (namecheck(p, comp) < 0)
			return -1;
		if (o + l + 2 > n)
			return perr(p, "%spath too long", what);
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, comp, l);
		o += l;
	}
	out[o] = 0;
	return 0;
}

static GefsBulkAttr
tarattr(Pop *p, struct archive_entry *e)
{
	GefsBulkAttr a;
	int64_t t = (int64_t)archive_entry_mtime(e) * 1000000000 + archive_entry_mtime_nsec(e);

	a.mode = archive_entry_perm(e) & 0777;
	a.mtime = p->clamp && t > p->epoch ? p->epoch : t;
	a.length = archive_entry_size_is_set(e) && archive_entry_filetype(e) == AE_IFREG
		? (uint64_t)archive_entry_size(e) : 0;
	a.uid = p->uid;
	a.gid = p->gid;
	a.qid = GEFS_NONE;
	p->huid = (uint64_t)archive_entry_uid(e);
	p->hgid = (uint64_t)archive_entry_gid(e);
	return a;
}

/* Data blocks of a member: its sparse map, else all of it. */
static uint64_t
tarblocks(struct archive_entry *e, uint64_t len)
{
	la_int64_t off, l;
	uint64_t nb = 0, last = 0, first, end;

	if (archive_entry_sparse_reset(e) == 0)
		return (len + B - 1) / B;
	while (archive_entry_sparse_next(e, &off, &l) == ARCHIVE_OK) {
		if (l <= 0)
			continue;
		first = (uint64_t)off / B;
		end = ((uint64_t)off + (uint64_t)l + B - 1) / B;
		if (first < last)
			first = last;
		if (end > first)
			nb += end - first;
		last = end > last ? end : last;
	}
	return nb;
}

static const char *
kind(unsigned t)
{
	return t == AE_IFLNK ? "symbolic link" : t == AE_IFCHR ? "character device" : t == AE_IFBLK
		? "block device" : t == AE_IFIFO ? "fifo" : t == AE_IFSOCK ? "socket" : "special file";
}

/* Index one member (number seq). */
static int
tarmember(Pop *p, struct archive_entry *e, uint64_t seq)
{
	char name[8192], tgt[8192];
	const char *hl = archive_entry_hardlink(e);
	unsigned t = archive_entry_filetype(e);
	GefsBulkAttr a = tarattr(p, e);

	snprintf(p->path, sizeof p->path, "%s", archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	if (tarname(p, p->path, name, sizeof name, "") < 0)
		return -1;
	if (hl != NULL) {
		if (tarname(p, hl, tgt, sizeof tgt, "hard link target: ") < 0)
			return -1;
		if (!ixlinkseen(p, tgt))
			msg("note: ", "%s: hard link to %s; stored as a separate file", p->path, hl);
		return ixadd(p, ELINK, name, &a, 0, seq, tgt);
	}
	if (t == AE_IFDIR)
		return ixadd(p, EDIR, name, &a, 0, seq, NULL);
	if (t == AE_IFREG) {
		if (name[0] == 0)
			return perr(p, "a file cannot be the root");
		return ixadd(p, EFILE, name, &a, tarblocks(e, a.length), seq, NULL);
	}
	if (p->a->strict)
		return perr(p, "%s: GEFS cannot hold it (--strict)", kind(t));
	p->nskip++;
	msg("warning: ", "%s: %s skipped: GEFS has none", p->path, kind(t));
	return 0;
}

int
tarindex(Pop *p, int src, const char *path)
{
	struct archive_entry *e;
	struct archive *a;
	uint64_t seq = 0;
	int r = ARCHIVE_OK, rc = 0;

	(void)src;
	snprintf(p->path, sizeof p->path, "%s", path);
	if ((a = taropen(p, path)) == NULL)
		return -1;
	while (!p->fatal && ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN))
		if (tarmember(p, e, ++seq) < 0)
			rc = -1;
	if (p->fatal) {
		archive_read_free(a);
		return -1;
	}
	if (r != ARCHIVE_EOF) {
		snprintf(p->path, sizeof p->path, "%s", path);
		rc = perr(p, "%s", archive_error_string(a));
	}
	archive_read_free(a);
	return rc;
}

/* ---- loading ---- */

typedef struct Rd {
	struct archive	*a;
	const char	*err;
} Rd;

static int
readblk(void *arg, const void **buf, size_t *n, uint64_t *off)
{
	Rd *r = arg;
	la_int64_t o;
	int rc;

	rc = archive_read_data_block(r->a, buf, n, &o);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
		r->err = archive_error_string(r->a);
		return -1;
	}
	*off = (uint64_t)o;
	return 1;
}

/* Stream the member at the archive's position into file l. */
static int
streamto(Pop *p, struct archive *a, const Load *l)
{
	Rd r = {a, NULL};
	const char *b = strrchr(l->path, '/');

	b = b ? b + 1 : l->path;
	if (gefs_bulkstream(p->bulk, ixqid(p, l->pref), b, strlen(b), &l->a, readblk, &r, NULL) < 0) {
		p->nerr++;
		msg("", "%s: %s%s%s", l->path, gefs_errmsg(p->fs), r.err ? ": " : "", r.err ? r.err : "");
		return -1;
	}
	progress(p, &l->a, false);
	return 0;
}

/* An archive read front to back, its members streamed in seq order. */
struct TarRd {
	struct archive	*a;
	const char	*path;
	uint64_t	seq;		/* members read so far */
};

TarRd *
tarrdopen(Pop *p, int src)
{
	TarRd *t = calloc(1, sizeof *t);

	if (t == NULL) {
		perr(p, "out of memory");
		return NULL;
	}
	t->path = p->srcpath[src];
	if ((t->a = taropen(p, t->path)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

int
tarrdfile(Pop *p, TarRd *t, const Load *l)
{
	struct archive_entry *ae;

	while (t->seq < l->seq && archive_read_next_header(t->a, &ae) >= ARCHIVE_WARN)
		t->seq++;
	if (t->seq != l->seq) {
		msg("", "%s: the archive changed while being read", t->path);
		return -1;
	}
	return streamto(p, t->a, l);
}

int
tarrdclose(Pop *p, TarRd *t)
{
	(void)p;
	archive_read_free(t->a);
	free(t);
	return 0;
}

int
tarlink(Pop *p, const Load *l)
{
	struct archive_entry *ae;
	struct archive *a;
	uint64_t seq = 0;
	int rc = -1;

	if ((a = taropen(p, p->srcpath[l->src])) == NULL)
		return -1;
	while (archive_read_next_header(a, &ae) >= ARCHIVE_WARN)
		if (++seq == l->tseq) {
			rc = streamto(p, a, l);
			break;
		}
	archive_read_free(a);
	return rc;
}

#endif
