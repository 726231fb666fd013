/* SPDX-License-Identifier: MIT */
/*
 * dev — the image: a regular file, a block device, or a gzip-compressed
 * image inflated read-only into a sparse temporary file.  Full-length
 * pread/pwrite loops (EINTR and short transfers), fsync, flock (writers
 * exclusive, readers shared, both non-blocking), a write observer and a
 * fault-injection hook for crash and fault tests.
 *
 * The window: every device opened after gefs_setwindow is the byte range
 * [base, base + length) of its file (a partition of a disk image, or
 * mke2fs's -E offset=).  Offsets everywhere above this layer are relative
 * to the window; devread, writeall, shortwrite, devwillneed, devtruncate
 * and devbase (for the few callers that use the descriptor directly) add
 * the base, and a window with a length bounds writes like a block device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <blkid.h>
#include <zlib.h>
#include "internal.h"

struct Dev {
	int		fd;
	char		*path;
	uint64_t	size;
	int		flags;
	bool		blk;
	bool		gz;
	DevObserver	obs;
	DevFlushObserver flushobs;
	void		*obsarg;
	int		faultn;		/* write calls until the fault; 0 = none */
	int		faultkind;
	DevStats	st;
	uint64_t	base;		/* the window's first byte in the file */
	bool		fixed;		/* the window has a length: no growing */
};

enum { GZCHUNK = 1 << 20 };

/* The window every devopen applies (gefs_setwindow); len 0 = to the end. */
static struct {
	uint64_t	off;
	uint64_t	len;
} win;

/* The observer given to every device opened for writing (devobserveall). */
static struct {
	DevObserver	fn;
	DevFlushObserver flush;
	void		*arg;
} allobs;

/* True when the 16 KiB-aligned piece p[0,n) is all zero. */
static bool
iszero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Why the stream that gzread ended with n is damaged, or NULL: a read
 * error, a stream cut short (zlib reports Z_BUF_ERROR at a premature end
 * of input, where gzeof alone would say the stream is done) or junk. */
static const char *
gzbad(gzFile gz, int n)
{
	const char *m;
	int err = Z_OK;

	m = gzerror(gz, &err);
	if (err == Z_BUF_ERROR)
		return "the stream ends early";
	if (n < 0 || err != Z_OK) {
		if (m != NULL && strncmp(m, "<fd:", 4) == 0 && strstr(m, ": ") != NULL)
			m = strstr(m, ": ") + 2;	/* zlib names the descriptor */
		return m != NULL && *m ? m : "bad data";
	}
	if (!gzeof(gz))
		return "the stream ends early";
	return NULL;
}

/* Inflate the gzip stream in fd into a new unlinked temporary file,
 * seeking over all-zero blocks so the copy is sparse.  Returns its fd. */
static int
inflatetmp(Dev *d, int fd, GefsErr *e)
{
	char tmpl[PATH_MAX];
	const char *dir = getenv("TMPDIR");
	uint8_t *buf = NULL;
	uint64_t off = 0;
	gzFile gz = NULL;
	int n, t, gfd;
	size_t i, m;

	snprintf(tmpl, sizeof tmpl, "%s/gefs-gz-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((t = mkstemp(tmpl)) < 0)
		return gefs_seterr(e, errno, "%s: cannot create temporary file in %s: %s",
			d->path, dir && *dir ? dir : "/tmp", strerror(errno));
	unlink(tmpl);
	if ((gfd = dup(fd)) < 0 || (gz = gzdopen(gfd, "rb")) == NULL
	|| (buf = malloc(GZCHUNK)) == NULL) {
		gefs_seterr(e, ENOMEM, "%s: cannot start inflating", d->path);
		goto fail;
	}
	gzbuffer(gz, 1 << 17);
	while ((n = gzread(gz, buf, GZCHUNK)) > 0) {
		for (i = 0; i < (size_t)n; i += m) {
			m = (size_t)n - i < GEFS_BLKSZ ? (size_t)n - i : GEFS_BLKSZ;
			if (!iszero(buf + i, m) && pwrite(t, buf + i, m, (off_t)(off + i)) != (ssize_t)m) {
				gefs_seterr(e, EIO, "%s: writing inflated copy: %s", d->path, strerror(errno));
				goto fail;
			}
		}
		off += (uint64_t)n;
	}
	if (gzbad(gz, n)) {
		gefs_seterr(e, EBADMSG, "%s: corrupt gzip input (%s after %llu bytes inflated)", d->path,
			gzbad(gz, n), (unsigned long long)off);
		goto fail;
	}
	if (ftruncate(t, (off_t)off) < 0) {
		gefs_seterr(e, errno, "%s: sizing inflated copy: %s", d->path, strerror(errno));
		goto fail;
	}
	gzclose(gz);
	free(buf);
	return t;
fail:
	if (gz != NULL)
		gzclose(gz);
	else if (gfd >= 0)
		close(gfd);
	free(buf);
	close(t);
	return -1;
}

/* Take the flock the open mode asks for. */
static int
lockdev(Dev *d, GefsErr *e)
{
	int op = (d->flags & DEV_RDONLY) ? LOCK_SH : LOCK_EX;

	if (d->flags & DEV_NOLOCK)
		return 0;
	if (flock(d->fd, op | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return gefs_seterr(e, EWOULDBLOCK, "%s: in use by another process", d->path);
	return gefs_seterr(e, errno, "%s: cannot lock: %s", d->path, strerror(errno));
}

/* Size and kind of the open file; inflate a gzip image. */
static int
probe(Dev *d, GefsErr *e)
{
	struct stat st;
	uint8_t mag[2];
	uint64_t sz;
	int t;

	if (fstat(d->fd, &st) < 0)
		return gefs_seterr(e, errno, "%s: %s", d->path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return gefs_seterr(e, EISDIR, "%s: is a directory", d->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &sz) < 0)
			return gefs_seterr(e, errno, "%s: cannot get device size: %s", d->path, strerror(errno));
		d->blk = true;
		d->size = sz;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return gefs_seterr(e, EINVAL, "%s: not a regular file or block device", d->path);
	d->size = (uint64_t)st.st_size;
	if (d->size < 2 || pread(d->fd, mag, 2, 0) != 2 || mag[0] != 0x1f || mag[1] != 0x8b)
		return 0;
	if (!(d->flags & DEV_RDONLY))
		return gefs_seterr(e, EROFS, "%s: a gzip image can only be opened read-only", d->path);
	if ((t = inflatetmp(d, d->fd, e)) < 0)
		return -1;
	if (fstat(t, &st) < 0) {
		close(t);
		return gefs_seterr(e, errno, "%s: %s", d->path, strerror(errno));
	}
	close(d->fd);
	d->fd = t;
	d->gz = true;
	d->size = (uint64_t)st.st_size;
	return 0;
}

/* Refuse what is neither a regular file nor a block device before
 * opening it: open() of a FIFO blocks until a writer comes, and a tape
 * or terminal is no image.  Directories get their own message. */
static int
special(const char *path, GefsErr *e)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;	/* a missing path: open says why */
	if (S_ISDIR(st.st_mode))
		return gefs_seterr(e, EISDIR, "%s: is a directory", path);
	return gefs_seterr(e, EINVAL, "%s: not a regular file or block device", path);
}

/* Clear O_NONBLOCK, set only so that open() itself cannot block. */
static int
blocking(Dev *d, GefsErr *e)
{
	int fl = fcntl(d->fd, F_GETFL);

	if (fl < 0 || fcntl(d->fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return gefs_seterr(e, errno, "%s: %s", d->path, strerror(errno));
	return 0;
}

int
gefs_setwindow(uint64_t off, uint64_t len, GefsErr *e)
{
	if (len != 0 && off > UINT64_MAX - len)
		return gefs_seterr(e, EINVAL, "window [%llu, +%llu) overflows", (unsigned long long)off,
			(unsigned long long)len);
	win.off = off;
	win.len = len;
	return 0;
}

/* Partition n of the table blkid found in pr: its window in bytes. */
static int
partof(blkid_probe pr, const char *path, int n, uint64_t *off, uint64_t *len, GefsErr *e)
{
	blkid_partlist pl;
	blkid_partition p;
	blkid_loff_t sz = blkid_probe_get_size(pr);
	const char *type;
	int np;

	if ((pl = blkid_probe_get_partitions(pr)) == NULL || blkid_partlist_get_table(pl) == NULL)
		return gefs_seterr(e, EINVAL, "%s: no partition table", path);
	type = blkid_parttable_get_type(blkid_partlist_get_table(pl));
	np = blkid_partlist_numof_partitions(pl);
	if ((p = blkid_partlist_get_partition_by_partno(pl, n)) == NULL)
		return gefs_seterr(e, EINVAL, "%s: no partition %d in its %s partition table (%d partition%s)",
			path, n, type ? type : "", np, np == 1 ? "" : "s");
	/* blkid counts 512-byte sectors, whatever the logical sector size */
	*off = (uint64_t)blkid_partition_get_start(p) * 512;
	*len = (uint64_t)blkid_partition_get_size(p) * 512;
	if (blkid_partition_get_start(p) < 0 || blkid_partition_get_size(p) <= 0
	|| *off + *len > (uint64_t)sz)
		return gefs_seterr(e, EINVAL, "%s: partition %d [0x%llx, 0x%llx) ends past the end of the image (%lld bytes)",
			path, n, (unsigned long long)*off, (unsigned long long)(*off + *len), (long long)sz);
	return 0;
}

int
gefs_partwindow(const char *path, int n, uint64_t *off, uint64_t *len, GefsErr *e)
{
	blkid_probe pr;
	int fd, rc;

	if (n < 1)
		return gefs_seterr(e, EINVAL, "%s: partition %d: partitions are numbered from 1", path, n);
	if (special(path, e) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
	if ((pr = blkid_new_probe()) == NULL || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		if (pr != NULL)
			blkid_free_probe(pr);
		close(fd);
		return gefs_seterr(e, EIO, "%s: cannot probe with libblkid", path);
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	rc = partof(pr, path, n, off, len, e);
	blkid_free_probe(pr);
	close(fd);
	return rc;
}

/* Narrow a file or device of *size bytes to the window: *base is its
 * first byte, *size its length (or what is left of a file after the
 * offset, which writes may grow); a window past the end is refused,
 * unless the file is being created (create). */
int
devclip(const char *path, bool isblk, bool create, uint64_t *size, uint64_t *base, GefsErr *e)
{
	uint64_t end = win.off + win.len;
	const char *what = isblk ? "device" : "file";

	*base = 0;
	if (win.off == 0 && win.len == 0)
		return 0;
	if (win.len != 0 && end > *size)
		return gefs_seterr(e, EINVAL, "%s: window [0x%llx, 0x%llx) ends past the end of the %s (%llu bytes)",
			path, (unsigned long long)win.off, (unsigned long long)end, what,
			(unsigned long long)*size);
	if (win.off > *size && (isblk || !create))
		return gefs_seterr(e, EINVAL, "%s: offset %llu is past the end of the %s (%llu bytes)",
			path, (unsigned long long)win.off, what, (unsigned long long)*size);
	*base = win.off;
	*size = win.len != 0 ? win.len : *size > win.off ? *size - win.off : 0;
	return 0;
}

/* Apply the window to the open device (a gzip image has none). */
static int
applywin(Dev *d, GefsErr *e)
{
	if (d->gz && (win.off != 0 || win.len != 0))
		return gefs_seterr(e, EINVAL, "%s: an offset or partition cannot be used with a gzip image",
			d->path);
	d->fixed = win.len != 0;
	return devclip(d->path, d->blk, d->flags & DEV_CREATE, &d->size, &d->base, e);
}

Dev *
devopen(const char *path, int flags, GefsErr *e)
{
	Dev *d;
	int oflags;

	if ((d = calloc(1, sizeof *d)) == NULL || (d->path = strdup(path)) == NULL) {
		free(d);
		gefs_seterr(e, ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	d->flags = flags;
	d->fd = -1;
	if (special(path, e) < 0)
		goto fail;
	/* O_NONBLOCK: a FIFO put in place after the stat cannot hang us;
	 * probe's fstat refuses it */
	oflags = ((flags & DEV_RDONLY) ? O_RDONLY : O_RDWR) | O_NONBLOCK;
	if (flags & DEV_CREATE)
		oflags |= O_CREAT;
	if ((d->fd = open(path, oflags | O_CLOEXEC, 0666)) < 0) {
		if (errno == EISDIR)
			gefs_seterr(e, EISDIR, "%s: is a directory", path);
		else
			gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (blocking(d, e) < 0 || lockdev(d, e) < 0 || probe(d, e) < 0 || applywin(d, e) < 0)
		goto fail;
	if (!devrdonly(d) && allobs.fn != NULL) {
		devobserve(d, allobs.fn, allobs.arg);
		devobserveflush(d, allobs.flush);
	}
	return d;
fail:
	devclose(d);
	return NULL;
}

void
devclose(Dev *d)
{
	if (d == NULL)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
}

uint64_t devsize(Dev *d) { return d->size; }
const char *devpath(Dev *d) { return d->path; }
bool devisblk(Dev *d) { return d->blk; }
bool devrdonly(Dev *d) { return (d->flags & DEV_RDONLY) || d->gz; }
bool devgzip(Dev *d) { return d->gz; }
int devfd(Dev *d) { return d->fd; }
uint64_t devbase(Dev *d) { return d->base; }
bool devfixed(Dev *d) { return d->blk || d->fixed; }

void
devwillneed(Dev *d, uint64_t off, uint64_t n)
{
	(void)posix_fadvise(d->fd, (off_t)(d->base + off), (off_t)n, POSIX_FADV_WILLNEED);
}

int
devread(Dev *d, void *buf, size_t n, uint64_t off, GefsErr *e)
{
	uint8_t *p = buf;
	ssize_t r;
	size_t done = 0;

	if (off > d->size || n > d->size - off)
		return gefs_seterr(e, EIO, "%s: read past end of device at 0x%llx", d->path,
			(unsigned long long)off);
	while (done < n) {
		r = pread(d->fd, p + done, n - done, (off_t)(d->base + off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return gefs_seterr(e, EIO, "%s: read at 0x%llx: %s", d->path,
				(unsigned long long)(off + done), r < 0 ? strerror(errno) : "unexpected end of file");
		done += (size_t)r;
	}
	d->st.nread++;
	d->st.bytesread += n;
	return 0;
}

/* Check the fault hook before a write call: 0 = go on, else the fault. */
static int
fault(Dev *d)
{
	if (d->faultn == 0 || --d->faultn > 0)
		return DEVFAULT_NONE;
	return d->faultkind;
}

static int
wrerr(Dev *d, uint64_t off, int code, GefsErr *e)
{
	return gefs_seterr(e, code, "%s: write at 0x%llx: %s", d->path, (unsigned long long)off,
		strerror(code));
}

/* Write iov fully at off, looping on short writes and EINTR. */
static int
writeall(Dev *d, struct iovec *iov, int niov, uint64_t off, GefsErr *e)
{
	ssize_t r;
	size_t left;

	while (niov > 0) {
		r = pwritev(d->fd, iov, niov > IOV_MAX ? IOV_MAX : niov, (off_t)(d->base + off));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return wrerr(d, off, r < 0 ? errno : EIO, e);
		off += (uint64_t)r;
		left = (size_t)r;
		while (niov > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

/* Total length of an iovec array. */
static size_t
iovlen(const struct iovec *iov, int niov)
{
	size_t n = 0;
	int i;

	for (i = 0; i < niov; i++)
		n += iov[i].iov_len;
	return n;
}

/* Tell the observer about iov written at off. */
static void
observe(Dev *d, const struct iovec *iov, int niov, uint64_t off)
{
	int i;

	if (d->obs == NULL)
		return;
	for (i = 0; i < niov; i++) {
		d->obs(d->obsarg, off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
}

/* A short-write fault: write the first half of iov, then fail. */
static int
shortwrite(Dev *d, const struct iovec *iov, int niov, uint64_t off, GefsErr *e)
{
	const uint8_t *p;
	size_t half = iovlen(iov, niov) / 2, m;
	uint64_t o = off;
	int i;

	for (i = 0; i < niov && half > 0; i++) {
		m = iov[i].iov_len < half ? iov[i].iov_len : half;
		p = iov[i].iov_base;
		if (pwrite(d->fd, p, m, (off_t)(d->base + o)) == (ssize_t)m && d->obs != NULL)
			d->obs(d->obsarg, o, p, m);
		o += m;
		half -= m;
	}
	return wrerr(d, off, EIO, e);
}

int
devwritev(Dev *d, const struct iovec *iov, int niov, uint64_t off, GefsErr *e)
{
	struct iovec local[64], *v = local;
	size_t n = iovlen(iov, niov);
	int rc;

	if (devrdonly(d))
		return gefs_seterr(e, EROFS, "%s: opened read-only", d->path);
	if ((d->blk || d->fixed) && (off > d->size || n > d->size - off))
		return wrerr(d, off, ENOSPC, e);
	switch (fault(d)) {
	case DEVFAULT_EIO:	return wrerr(d, off, EIO, e);
	case DEVFAULT_ENOSPC:	return wrerr(d, off, ENOSPC, e);
	case DEVFAULT_SHORT:	return shortwrite(d, iov, niov, off, e);
	}
	if (niov > (int)nelem(local) && (v = malloc(sizeof *v * (size_t)niov)) == NULL)
		return gefs_seterr(e, ENOMEM, "%s: out of memory", d->path);
	memcpy(v, iov, sizeof *v * (size_t)niov);
	rc = writeall(d, v, niov, off, e);
	if (v != local)
		free(v);
	if (rc < 0)
		return -1;
	observe(d, iov, niov, off);
	if (!d->blk && !d->fixed && off + n > d->size)
		d->size = off + n;
	d->st.nwrite++;
	d->st.byteswritten += n;
	return 0;
}

int
devwrite(Dev *d, const void *buf, size_t n, uint64_t off, GefsErr *e)
{
	struct iovec iov = { (void *)buf, n };

	return devwritev(d, &iov, 1, off, e);
}

/* A second descriptor on d's file for O_DIRECT writes (a bulk load's
 * data: whole aligned blocks that need no page-cache copy), or -1 when
 * every write must go through devwritev (observers, fault injection,
 * read-only, compressed) or the file system refuses O_DIRECT. */
int
devdirect(Dev *d)
{
	if (d->obs != NULL || d->faultn != 0 || devrdonly(d))
		return -1;
	return open(d->path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/* Write n bytes of buf at off through fd from devdirect; EINVAL (the
 * file system wants another alignment) is returned as it is so that the
 * caller can go back to devwrite. */
int
devwritedirect(Dev *d, int fd, const void *buf, size_t n, uint64_t off, GefsErr *e)
{
	struct iovec v = { (void *)buf, n };

	return devwritevdirect(d, fd, &v, 1, off, e);
}

/* Is [off, off+n) a window devwritevdirect may write: 0, or ENOSPC
 * naming the offset. */
int
devdirectok(Dev *d, uint64_t off, size_t n, GefsErr *e)
{
	if ((d->blk || d->fixed) && (off > d->size || n > d->size - off))
		return wrerr(d, off, ENOSPC, e);
	return 0;
}

/* The pwritev of devwritevdirect alone: 0 or an errno.  It reads only
 * what does not change while the device is open (its base), so that the
 * cache's writer thread may call it; the caller checked the window with
 * devdirectok and accounts the write with devdirectdone afterwards. */
int
devdirectio(Dev *d, int fd, const struct iovec *iov, int niov, uint64_t off)
{
	size_t n = iovlen(iov, niov);
	ssize_t r;

	do
		r = pwritev(fd, iov, niov, (off_t)(d->base + off));
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n)
		return r < 0 ? errno : EIO;
	return 0;
}

/* Account n bytes written at off by devdirectio: the size of a growing
 * image file and the statistics. */
void
devdirectdone(Dev *d, uint64_t off, size_t n)
{
	if (!d->blk && !d->fixed && off + n > d->size)
		d->size = off + n;
	d->st.nwrite++;
	d->st.byteswritten += n;
}

/* devwritedirect for a vector (the cache's data-stage runs): all or an
 * error; EINVAL (an alignment the file system refuses, or a window that
 * is not aligned) comes back as it is so that the caller can fall back
 * to devwritev. */
int
devwritevdirect(Dev *d, int fd, const struct iovec *iov, int niov, uint64_t off, GefsErr *e)
{
	size_t n = iovlen(iov, niov);
	int err;

	if (devdirectok(d, off, n, e) < 0)
		return -1;
	if ((err = devdirectio(d, fd, iov, niov, off)) != 0)
		return wrerr(d, off, err, e);
	devdirectdone(d, off, n);
	return 0;
}

int
devsync(Dev *d, GefsErr *e)
{
	if (devrdonly(d))
		return 0;
	while (fsync(d->fd) < 0) {
		if (errno != EINTR)
			return gefs_seterr(e, EIO, "%s: fsync: %s", d->path, strerror(errno));
	}
	d->st.nsync++;
	if (d->flushobs != NULL)
		d->flushobs(d->obsarg);
	return 0;
}

int
devtruncate(Dev *d, uint64_t size, GefsErr *e)
{
	if (d->blk)
		return gefs_seterr(e, EINVAL, "%s: cannot resize a block device", d->path);
	if (d->fixed)
		return gefs_seterr(e, EINVAL, "%s: cannot resize a partition", d->path);
	if (devrdonly(d))
		return gefs_seterr(e, EROFS, "%s: opened read-only", d->path);
	if (ftruncate(d->fd, (off_t)(d->base + size)) < 0)
		return gefs_seterr(e, errno, "%s: cannot resize to %llu bytes: %s", d->path,
			(unsigned long long)size, strerror(errno));
	d->size = size;
	return 0;
}

void
devobserve(Dev *d, DevObserver fn, void *arg)
{
	d->obs = fn;
	d->obsarg = arg;
}

void
devobserveflush(Dev *d, DevFlushObserver fn)
{
	d->flushobs = fn;
}

void
devobserveall(DevObserver fn, DevFlushObserver flush, void *arg)
{
	allobs.fn = fn;
	allobs.flush = flush;
	allobs.arg = arg;
}

void
devfault(Dev *d, int nth, int kind)
{
	d->faultn = kind == DEVFAULT_NONE ? 0 : nth;
	d->faultkind = kind;
}

void
devstats(Dev *d, DevStats *st)
{
	*st = d->st;
}
