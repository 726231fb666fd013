/* SPDX-License-Identifier: MIT */
/*
 * ream — the formatter (FORMAT.md §5.3, §18, §22).
 *
 * Writes what the 2025-09 reference formatter writes, byte for byte: per
 * arena a header, a footer and one log block; the main and adm root
 * leaves, the users data block and the snapshot-tree leaf; both
 * superblocks.  Nothing else is written (a fresh file stays a hole).  The
 * reference writes the logs and headers twice (once before, once after
 * allocating the tree blocks); only the final bytes matter, so we compute
 * them directly: the stale loghd.hash of the first version and the dropped
 * LogSync(0) word are reproduced from that first version.
 *
 * Unless asked not to, both superblock blocks also carry the extension
 * record (§22.2) at byte 8192: the only difference from the reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <blkid/blkid.h>
#include <uuid/uuid.h>
#include "internal.h"
#include "wipe.h"

enum { B = GEFS_BLKSZ };

/* The blocks of one format, built in memory before anything is written. */
typedef struct Ream {
	GefsLayout	lay;
	const char	*user;
	uint64_t	mbaddr, abaddr, ubaddr, tbaddr;
	uint8_t		*mb, *ab, *ub, *tb;	/* the four tree/data blocks */
	uint8_t		*sb;			/* superblock block (both copies) */
	uint8_t		*arena;			/* header, footer, log of one arena */
	uint64_t	hdrhash[GEFS_MAXARENA];
	Undo		*u;			/* every write goes through it */
} Ream;

/* ------------------------------------------------------------------ */
/* Options and names                                                  */
/* ------------------------------------------------------------------ */

/* Fill *o with the defaults gefs.h documents. */
void
gefs_defformatopts(GefsFormatOpts *o)
{
	memset(o, 0, sizeof *o);
	o->user = GEFS_DEFUSER;
	o->uuidmode = GEFS_UUIDRANDOM;
}

/* Reject user names the users file cannot hold or would misread (§16). */
int
gefs_usercheck(const char *user, GefsErr *e)
{
	static const char *builtin[] = {"adm", "none", "nogroup"};
	size_t i, n;

	if (user == NULL || (n = strlen(user)) == 0)
		return gefs_seterr(e, EINVAL, "user name is empty");
	if (n > GEFS_USERMAX)
		return gefs_seterr(e, EINVAL, "user name is %zu bytes long, more than %d", n, GEFS_USERMAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)user[i];
		if (c == ':' || c == ',')
			return gefs_seterr(e, EINVAL, "user name \"%s\" contains '%c'", user, c);
		if (c < 0x20 || c == 0x7f)
			return gefs_seterr(e, EINVAL, "user name contains control character 0x%02x", c);
	}
	for (i = 0; i < nelem(builtin); i++)
		if (strcmp(user, builtin[i]) == 0)
			return gefs_seterr(e, EINVAL, "user name \"%s\" is a built-in user", user);
	return 0;
}

/* Decode one UTF-8 sequence at p (n bytes left) into *cp; its length, or
 * 0 when it is malformed, overlong, a surrogate or beyond U+10FFFF. */
static size_t
utf8dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, c = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Labels are shown by tools and used in paths: UTF-8, no '/', no controls. */
int
gefs_labelcheck(const char *label, GefsErr *e)
{
	const unsigned char *p = (const unsigned char *)label;
	size_t n, i, k;
	uint32_t c;

	if (label == NULL)
		return 0;
	n = strlen(label);
	if (n > GEFS_LABELMAX)
		return gefs_seterr(e, EINVAL, "label is %zu bytes long, more than %d", n, GEFS_LABELMAX);
	for (i = 0; i < n; i += k) {
		if ((k = utf8dec(p + i, n - i, &c)) == 0)
			return gefs_seterr(e, EINVAL, "label is not valid UTF-8 (byte %zu)", i);
		if (c == '/')
			return gefs_seterr(e, EINVAL, "label contains '/'");
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return gefs_seterr(e, EINVAL, "label contains control character U+%04X", (unsigned)c);
	}
	return 0;
}

/* Version-5 UUID of "ctime:size:user:label": user has no ':' and the
 * label comes last, so distinct inputs give distinct names. */
void
gefs_deriveuuid(uint8_t uuid[16], int64_t ctime, uint64_t size, const char *user, const char *label)
{
	uuid_t ns;
	char *name;
	int n;

	if (user == NULL)
		user = GEFS_DEFUSER;
	if (label == NULL)
		label = "";
	uuid_parse(GEFS_UUIDNS, ns);
	n = asprintf(&name, "%lld:%llu:%s:%s", (long long)ctime, (unsigned long long)size, user, label);
	if (n < 0) {
		/* out of memory: still deterministic, from the numbers alone */
		char buf[64];
		n = snprintf(buf, sizeof buf, "%lld:%llu", (long long)ctime, (unsigned long long)size);
		uuid_generate_sha1(uuid, ns, buf, (size_t)n);
		return;
	}
	uuid_generate_sha1(uuid, ns, name, (size_t)n);
	free(name);
}

/* ------------------------------------------------------------------ */
/* Looking at what is there                                           */
/* ------------------------------------------------------------------ */

/* What path is, by name: -1 unless a regular file or block device (a
 * FIFO, socket or character device is never opened: that could block or
 * act on the device). */
static int
imgkind(const char *path, GefsErr *e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return gefs_seterr(e, EISDIR, "%s: is a directory", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return gefs_seterr(e, EINVAL, "%s: not a regular file or block device", path);
	return 0;
}

/* Open path read-only and find the window's (gefs_setwindow) first byte
 * and size.  fd is -1 on error. */
static int
imgopen(const char *path, int *fd, uint64_t *base, uint64_t *size, bool *isblk, GefsErr *e)
{
	struct stat st;

	*fd = -1;
	if (imgkind(path, e) < 0)
		return -1;
	/* O_NONBLOCK: should path have become a FIFO since, do not wait */
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
	if (fstat(*fd, &st) < 0) {
		gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
		goto bad;
	}
	*isblk = S_ISBLK(st.st_mode);
	if (S_ISREG(st.st_mode))
		*size = (uint64_t)st.st_size;
	else if (!*isblk || ioctl(*fd, BLKGETSIZE64, size) < 0) {
		gefs_seterr(e, EINVAL, "%s: not a regular file or block device", path);
		goto bad;
	}
	if (devclip(path, *isblk, false, size, base, e) < 0)
		goto bad;
	return 0;
bad:
	close(*fd);
	*fd = -1;
	return -1;
}

int
gefs_imagesize(const char *path, uint64_t *size, bool *isblk, GefsErr *e)
{
	uint64_t base;
	int fd;

	if (imgopen(path, &fd, &base, size, isblk, e) < 0)
		return -1;
	close(fd);
	return 0;
}

/* Read the 16 KiB block at off: 1 read, 0 short (the file ends), -1 error. */
static int
rdblk(int fd, uint8_t *buf, uint64_t off, const char *path, GefsErr *e)
{
	size_t got = 0;
	ssize_t n;

	while (got < B) {
		n = pread(fd, buf + got, B - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gefs_seterr(e, EIO, "%s: read at 0x%llx: %s", path,
				(unsigned long long)off, strerror(errno));
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* gefs itself: the magic in block 0, or a valid backup superblock. */
static int
probegefs(int fd, uint64_t base, uint64_t size, const char *path, char *what, size_t n, GefsErr *e)
{
	uint8_t *buf;
	GefsSb sb;
	int r, found = 0;

	if ((buf = malloc(B)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	if ((r = rdblk(fd, buf, base, path, e)) < 0)
		goto out;
	if (r == 1 && memcmp(buf, GEFS_MAGIC, 8) == 0) {
		snprintf(what, n, "a gefs file system");
		found = 1;
	} else if (size >= 2 * B) {
		r = rdblk(fd, buf, base + sb1of(size), path, e);
		if (r == 1 && gefs_unpacksb(&sb, buf, GEFS_NONE, NULL) == 0 && gefs_sbhashok(buf, sb.narena)) {
			snprintf(what, n, "a gefs file system (backup superblock)");
			found = 1;
		}
	}
out:
	free(buf);
	return r < 0 ? -1 : found;
}

/* Whatever libblkid recognises: file systems, RAID members, partition
 * tables; ambivalent results count as found. */
static int
probeblkid(int fd, uint64_t base, uint64_t size, const char *path, char *what, size_t n, GefsErr *e)
{
	blkid_probe pr;
	const char *v;
	int r, found = 0;

	if ((pr = blkid_new_probe()) == NULL
	|| blkid_probe_set_device(pr, fd, (blkid_loff_t)base, base != 0 ? (blkid_loff_t)size : 0) < 0) {
		if (pr)
			blkid_free_probe(pr);
		return gefs_seterr(e, EIO, "%s: cannot probe with libblkid", path);
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	r = blkid_do_safeprobe(pr);
	if (r == -2) {
		snprintf(what, n, "several file system or partition table signatures");
		found = 1;
	} else if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0) {
		snprintf(what, n, "a%s %s signature", strchr("aeiou", v[0]) && v[0] ? "n" : "", v);
		found = 1;
	} else if (r == 0 && blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0) {
		snprintf(what, n, "a %s partition table", v);
		found = 1;
	}
	blkid_free_probe(pr);
	return found;
}

int
gefs_probe(const char *path, char *what, size_t n, GefsErr *e)
{
	char dummy[8];
	uint64_t base, size;
	bool isblk;
	int fd, r;

	if (what == NULL || n == 0)
		what = dummy, n = sizeof dummy;
	what[0] = 0;
	if (imgopen(path, &fd, &base, &size, &isblk, e) < 0)
		return -1;
	r = 0;
	if (size > 0) {
		r = probegefs(fd, base, size, path, what, n, e);
		if (r == 0)
			r = probeblkid(fd, base, size, path, what, n, e);
	}
	close(fd);
	return r;
}

/* How a file of unrecognised data is named in messages. */
static void
datawhat(char *what, size_t n, uint64_t len, uint64_t size)
{
	if (size != 0 && size < len)
		snprintf(what, n, "%llu bytes of data no file system claims, which formatting "
			"at %llu bytes would overwrite and cut", (unsigned long long)len,
			(unsigned long long)size);
	else
		snprintf(what, n, "%llu bytes of data no file system claims", (unsigned long long)len);
}

int
gefs_fmtrefuse(const char *path, uint64_t size, char *what, size_t n, GefsErr *e)
{
	char dummy[8];
	uint64_t base, len;
	bool isblk;
	int fd, r;

	if (what == NULL || n == 0)
		what = dummy, n = sizeof dummy;
	if ((r = gefs_probe(path, what, n, e)) != 0)
		return r;
	if (imgopen(path, &fd, &base, &len, &isblk, e) < 0)
		return -1;
	r = isblk ? 1 : blankfile(fd, base, len, size != 0 ? size : len, e);
	close(fd);
	if (r < 0)
		return gefs_wraperr(e, "%s", path);
	if (r == 1)
		return 0;	/* a block device, or a file that looks blank */
	datawhat(what, n, len, size);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Building the blocks (§18.3, §18.4, §18.5)                          */
/* ------------------------------------------------------------------ */

/* The users file (§16) for admin user u; its length. */
static size_t
userstext(uint8_t *buf, size_t n, const char *u)
{
	int len;

	len = snprintf((char *)buf, n, "-1:adm::%s\n0:none::\n1:%s:%s:\n", u, u, u);
	return len < 0 ? 0 : (size_t)len;
}

/* A directory's or file's Xdir as the formatter writes it: times 0, owner
 * and group adm (-1), modifier none (0). */
static void
xdirof(GefsXdir *d, uint64_t qid, uint32_t mode, uint64_t length)
{
	memset(d, 0, sizeof *d);
	d->qpath = qid;
	d->qtype = (uint8_t)(mode >> 24);
	d->mode = mode;
	d->length = length;
	d->uid = -1;
	d->gid = -1;
	d->muid = 0;
}

/* Add one Kent(pqid, name) → Xdir entry to leaf blk. */
static int
addent(uint8_t *blk, uint64_t pqid, const char *name, const GefsXdir *d, GefsErr *e)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_XDIRSZ];
	size_t nk;

	nk = gefs_packentkey(k, pqid, name, strlen(name));
	gefs_packxdir(v, d);
	return gefs_nodeadd(blk, k, nk, v, sizeof v, e);
}

/* Add Kup(qid) → the root's Kent key (both formatter trees have only
 * the root directory). */
static int
addup(uint8_t *blk, uint64_t qid, GefsErr *e)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_KEYMAX];
	size_t nk, nv;

	nk = gefs_packupkey(k, qid);
	nv = gefs_packentkey(v, GEFS_NONE, "", 0);
	return gefs_nodeadd(blk, k, nk, v, nv, e);
}

/* main (and empty) root leaf: the root directory, qid 0. */
static int
mkmain(Ream *r, GefsErr *e)
{
	GefsXdir d;

	gefs_nodeinit(r->mb, GEFS_TLEAF);
	xdirof(&d, 0, GEFS_DMDIR | 0775, 0);
	if (addent(r->mb, GEFS_NONE, "", &d, e) < 0 || addup(r->mb, 0, e) < 0)
		return gefs_wraperr(e, "main root leaf");
	return 0;
}

/* adm root leaf: /users (qid 2) under the root (qid 1); ub must be final. */
static int
mkadm(Ream *r, size_t ulen, GefsErr *e)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_PTRSZ];
	GefsBptr bp = {r->ubaddr, gefs_blkhash(r->ub), 0};
	GefsXdir d;
	size_t nk;

	gefs_nodeinit(r->ab, GEFS_TLEAF);
	nk = gefs_packdatkey(k, 2, 0);
	gefs_packbptr(v, &bp);
	if (gefs_nodeadd(r->ab, k, nk, v, sizeof v, e) < 0)
		goto bad;
	xdirof(&d, 2, 0664, ulen);
	if (addent(r->ab, 1, "users", &d, e) < 0)
		goto bad;
	xdirof(&d, 1, GEFS_DMDIR | 0775, 0);
	if (addent(r->ab, GEFS_NONE, "", &d, e) < 0 || addup(r->ab, 1, e) < 0)
		goto bad;
	return 0;
bad:
	return gefs_wraperr(e, "adm root leaf");
}

/* Add Klabel name → (gen, flags). */
static int
addlabel(uint8_t *blk, const char *name, uint64_t gen, uint32_t flags, GefsErr *e)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_LABELVALSZ];
	GefsLabel l = {gen, flags};
	size_t nk;

	nk = gefs_packlabelkey(k, name, strlen(name));
	gefs_packlabel(v, &l);
	return gefs_nodeadd(blk, k, nk, v, sizeof v, e);
}

/* Add Ksnap gen: the 2025-09 initial graph (§13.7); root at addr/blk. */
static int
addsnap(uint8_t *blk, int64_t gen, int32_t nref, int64_t succ, uint64_t addr, const uint8_t *root,
	GefsErr *e)
{
	uint8_t k[GEFS_KEYMAX], v[GEFS_SNAPVALSZ];
	GefsSnap s;
	size_t nk;

	memset(&s, 0, sizeof s);
	s.nref = nref;
	s.nlbl = 1;
	s.ht = 1;
	s.gen = gen;
	s.pred = 0;
	s.succ = succ;
	s.base = 0;
	s.root = (GefsBptr){addr, gefs_blkhash(root), 0};
	nk = gefs_packsnapkey(k, (uint64_t)gen);
	gefs_packsnap(v, &s);
	return gefs_nodeadd(blk, k, nk, v, sizeof v, e);
}

/* Snapshot-tree leaf: labels adm, empty, main and snapshots 0..2. */
static int
mksnap(Ream *r, GefsErr *e)
{
	gefs_nodeinit(r->tb, GEFS_TLEAF);
	if (addlabel(r->tb, "adm", 1, GEFS_LMUT, e) < 0
	|| addlabel(r->tb, "empty", 0, 0, e) < 0
	|| addlabel(r->tb, "main", 2, GEFS_LMUT, e) < 0
	|| addsnap(r->tb, 0, 2, 2, r->mbaddr, r->mb, e) < 0
	|| addsnap(r->tb, 1, 0, -1, r->abaddr, r->ab, e) < 0
	|| addsnap(r->tb, 2, 0, -1, r->mbaddr, r->mb, e) < 0)
		return gefs_wraperr(e, "snapshot-tree leaf");
	return 0;
}

/* Append entry (op, addr, len) to the log block holding *logsz bytes. */
static void
logput(uint8_t *log, uint16_t *logsz, int op, uint64_t addr, uint64_t len)
{
	GefsLogEnt le = {op, addr, len, 0};

	gefs_logput(log, logsz, &le);
}

/* Arena i's header, footer and log block, contiguous in r->arena as on
 * disk (§18.4); r->hdrhash[i] receives the header's hash. */
static void
mkarena(Ream *r, int i)
{
	uint8_t *hdr = r->arena, *log = r->arena + 2 * B;
	uint64_t h = r->lay.arenastart[i], s = r->lay.arenasz, used;
	GefsLogHdr lh = {GEFS_TLOG, 0, 0, {GEFS_NONE, GEFS_NONE, GEFS_NONE}};
	GefsArenaHdr ah;
	GefsLogEnt sync = {GEFS_LOGSYNC, 0, 0, 0};
	uint16_t off, base;

	/* the log as first written: free the data area, take its first
	 * block for the log, barrier 0 */
	memset(r->arena, 0, 3 * B);
	logput(log, &lh.logsz, GEFS_LOGFREE, h + 2 * B, s - 2 * B);
	logput(log, &lh.logsz, GEFS_LOGALLOC, h + 2 * B, B);
	base = off = lh.logsz;	/* where the barrier goes */
	gefs_logput(log, &lh.logsz, &sync);
	gefs_packloghdr(log, &lh);
	ah = (GefsArenaHdr){h + 2 * B, gefs_blkhash(log), s, 3 * B};
	/* replay dropped the barrier (its bytes stay); then the allocations */
	if (i == 0) {
		logput(log, &off, GEFS_LOGALLOC1, r->mbaddr, B);
		logput(log, &off, GEFS_LOGALLOC1, r->abaddr, B);
		logput(log, &off, GEFS_LOGALLOC1, r->tbaddr, B);
	} else if (i == 1)
		logput(log, &off, GEFS_LOGALLOC1, r->ubaddr, B);
	used = 3 * B + (uint64_t)(off - base) / 8 * B;	/* LogAlloc1 entries are 8 bytes */
	lh.logsz = off;
	gefs_packloghdr(log, &lh);
	ah.used = used;
	gefs_packarena(hdr, &ah);
	memcpy(hdr + B, hdr, B);
	r->hdrhash[i] = gefs_blkhash(hdr);
}

/* The superblock block: fields (§18.5), then the extension record. */
static int
mksb(Ream *r, const GefsXrec *x, GefsErr *e)
{
	GefsSb sb;
	uint64_t i;

	memset(&sb, 0, sizeof sb);
	sb.blksz = GEFS_BLKSZ;
	sb.bufspc = GEFS_BUFSPC;
	sb.narena = (uint32_t)r->lay.narena;
	sb.snapht = 1;
	sb.snapaddr = r->tbaddr;
	sb.snaphash = gefs_blkhash(r->tb);
	sb.dlhdaddr = sb.dlhdhash = sb.dltladdr = sb.dltlhash = GEFS_NONE;
	sb.nextqid = 3;
	sb.nextgen = 3;
	sb.qgen = 0;
	for (i = 0; i < r->lay.narena; i++) {
		sb.arenaaddr[i] = r->lay.arenastart[i];
		sb.arenahash[i] = r->hdrhash[i];
	}
	memset(r->sb, 0, B);
	if (gefs_packsb(r->sb, &sb, e) < 0)
		return -1;
	if (x != NULL)
		gefs_packsbxrec(r->sb, x);
	return 0;
}

/* Lay out and build the tree and data blocks (the arenas' are built one
 * at a time while writing, the superblock after them).  Allocation (§18.2): mb, ab, tb the highest free blocks of
 * arena 0; ub the lowest free block of arena 1. */
static int
build(Ream *r, GefsErr *e)
{
	uint64_t e0 = r->lay.arenastart[0] + r->lay.arenasz;
	size_t ulen;

	r->mbaddr = e0 - B;
	r->abaddr = e0 - 2 * B;
	r->tbaddr = e0 - 3 * B;
	r->ubaddr = r->lay.arenastart[1] + 3 * B;
	memset(r->ub, 0, B);
	ulen = userstext(r->ub, B, r->user);
	if (mkmain(r, e) < 0 || mkadm(r, ulen, e) < 0 || mksnap(r, e) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* Arena blocks and logs, the tree blocks, then the superblocks, with a
 * sync between the stages so that a crash leaves either no superblock
 * or a complete file system behind one. */
static int
writeall(Ream *r, Dev *d, const GefsXrec *x, GefsErr *e)
{
	uint64_t i;

	for (i = 0; i < r->lay.narena; i++) {
		mkarena(r, (int)i);
		if (undowrite(r->u, r->arena, 3 * B, r->lay.arenastart[i], e) < 0)
			return -1;
	}
	if (undowrite(r->u, r->mb, B, r->mbaddr, e) < 0
	|| undowrite(r->u, r->ub, B, r->ubaddr, e) < 0
	|| undowrite(r->u, r->ab, B, r->abaddr, e) < 0
	|| undowrite(r->u, r->tb, B, r->tbaddr, e) < 0
	|| devsync(d, e) < 0)
		return -1;
	if (mksb(r, x, e) < 0)
		return -1;
	if (undowrite(r->u, r->sb, B, r->lay.sb0, e) < 0 || devsync(d, e) < 0)
		return -1;
	if (undowrite(r->u, r->sb, B, r->lay.sb1, e) < 0 || devsync(d, e) < 0)
		return -1;
	return 0;
}

/* The extension record o asks for (§22.2). */
static void
mkxrec(GefsXrec *x, const GefsFormatOpts *o, uint64_t size, const char *user)
{
	struct timespec ts;
	const char *label = o->label ? o->label : "";

	memset(x, 0, sizeof *x);
	if (o->ctimeset)
		x->ctime = o->ctime;
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		x->ctime = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	switch (o->uuidmode) {
	case GEFS_UUIDGIVEN:	memcpy(x->uuid, o->uuid, 16); break;
	case GEFS_UUIDTIME:	uuid_generate_time(x->uuid); break;
	case GEFS_UUIDDERIVE:	gefs_deriveuuid(x->uuid, x->ctime, size, user, label); break;
	default:		uuid_generate_random(x->uuid); break;
	}
	x->labellen = (uint16_t)strlen(label);
	memcpy(x->label, label, x->labellen);
}

/* Build and write everything for device d of size bytes, saving what
 * it overwrites in u. */
static int
ream(Dev *d, Undo *u, uint64_t size, const GefsFormatOpts *o, GefsFormatStats *st, GefsErr *e)
{
	Ream r;
	GefsXrec x;
	uint8_t *mem;
	int rc = -1;

	memset(&r, 0, sizeof r);
	r.u = u;
	r.user = o->user ? o->user : GEFS_DEFUSER;
	if (gefs_layout(&r.lay, size, e) < 0)
		return -1;
	if ((mem = calloc(8, B)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	r.mb = mem, r.ab = mem + B, r.ub = mem + 2 * B, r.tb = mem + 3 * B;
	r.sb = mem + 4 * B, r.arena = mem + 5 * B;
	if (!o->noxrec)
		mkxrec(&x, o, size, r.user);
	if (build(&r, e) < 0 || writeall(&r, d, o->noxrec ? NULL : &x, e) < 0)
		goto out;
	st->lay = r.lay;
	st->xrec = !o->noxrec;
	if (st->xrec) {
		memcpy(st->uuid, x.uuid, 16);
		st->ctime = x.ctime;
	}
	rc = 0;
out:
	free(mem);
	return rc;
}

/* The "too small" error, naming the minimum in bytes and MiB. */
static int
toosmall(const char *path, uint64_t size, GefsErr *e)
{
	return gefs_seterr(e, EINVAL, "%s: size %llu bytes is below the minimum of %d bytes (%.2f MiB)",
		path, (unsigned long long)size, GEFS_MINSIZE, GEFS_MINSIZE / 1048576.0);
}

/* What path is before opening it: 0 (*exists tells whether it does), or
 * -1 for a directory, something that is neither a file nor a block
 * device, a missing file with no size, a size below the minimum. */
static int
fmtstat(const char *path, uint64_t size, bool *exists, GefsErr *e)
{
	struct stat st;

	*exists = stat(path, &st) == 0;
	if (!*exists && errno != ENOENT)
		return gefs_seterr(e, errno, "%s: %s", path, strerror(errno));
	if (!*exists && size == 0)
		return gefs_seterr(e, ENOENT, "%s: no such file (give a size to create it)", path);
	if (*exists && imgkind(path, e) < 0)
		return -1;
	if (size != 0 && size < GEFS_MINSIZE)
		return toosmall(path, size, e);
	return 0;
}

/* Open path for formatting, exclusively, and settle its size: a block
 * device's own (size must be 0 or equal), a file's length when size is
 * 0.  Refuses, unless force, what gefs_fmtrefuse refuses. */
static Dev *
fmtopen(const char *path, uint64_t *size, bool exists, bool force, GefsErr *e)
{
	char what[192];
	Dev *d;
	int r;

	if ((d = devopen(path, exists ? 0 : DEV_CREATE, e)) == NULL)
		return NULL;
	if (devfixed(d) && *size != 0 && *size != devsize(d)) {
		gefs_seterr(e, EINVAL, "%s: size %llu differs from the device's size %llu", path,
			(unsigned long long)*size, (unsigned long long)devsize(d));
		goto bad;
	}
	if (devfixed(d) || *size == 0)
		*size = devsize(d);
	if (*size < GEFS_MINSIZE) {
		toosmall(path, *size, e);
		goto bad;
	}
	if (exists && !force && (r = gefs_fmtrefuse(path, *size, what, sizeof what, e)) != 0) {
		if (r > 0)
			gefs_seterr(e, EEXIST, "%s contains %s", path, what);
		goto bad;
	}
	return d;
bad:
	devclose(d);
	return NULL;
}

/* The test hook's fault for the next format (reamfault). */
static struct {
	int	nth, kind;
} nextfault;

void
reamfault(int nth, int kind)
{
	nextfault.nth = nth;
	nextfault.kind = kind;
}

/* Wipe what was there, size the file, write the file system; the
 * statistics count the format's own writes. */
static int
fmtwrite(Dev *d, Undo *u, uint64_t oldsize, uint64_t size, const GefsFormatOpts *o,
	GefsFormatStats *st, GefsErr *e)
{
	DevStats s0, s1;
	int nw;

	if (wipeold(d, u, oldsize, &nw, e) < 0)
		return -1;
	st->nwiped = (uint64_t)nw;
	/* grow first (the backup superblock goes at the end); shrink last,
	 * when nothing can fail any more, since what it cuts is not saved */
	if (!devfixed(d) && size > oldsize && devtruncate(d, size, e) < 0)
		return -1;
	devstats(d, &s0);
	if (ream(d, u, size, o, st, e) < 0)
		return -1;
	if (!devfixed(d) && size < oldsize && devtruncate(d, size, e) < 0)
		return -1;
	devstats(d, &s1);
	st->nwrite = s1.nwrite - s0.nwrite;
	st->nsync = s1.nsync - s0.nsync;
	st->byteswritten = s1.byteswritten - s0.byteswritten;
	st->nblocks = st->byteswritten / B;
	return 0;
}

/* After a failure: put an existing image back as it was; a failure to
 * do so is added to the message. */
static void
fmtundo(Undo *u, GefsErr *e)
{
	GefsErr e2;
	char msg[sizeof e->msg];

	if (undoroll(u, &e2) == 0 || e == NULL)
		return;
	snprintf(msg, sizeof msg, "%.250s; restoring the old contents failed too: %.200s", e->msg, e2.msg);
	memcpy(e->msg, msg, sizeof msg);
}

/* Options, stats and names settled before anything is opened. */
static int
fmtargs(const GefsFormatOpts *o, GefsErr *e)
{
	if (gefs_usercheck(o->user ? o->user : GEFS_DEFUSER, e) < 0 || gefs_labelcheck(o->label, e) < 0)
		return -1;
	if (o->noxrec && o->label != NULL && o->label[0] != 0)
		return gefs_seterr(e, EINVAL, "a label needs the extension record");
	return 0;
}

int
gefs_format(const char *path, uint64_t size, const GefsFormatOpts *o, GefsFormatStats *st, GefsErr *e)
{
	GefsFormatOpts def;
	GefsFormatStats dummy;
	uint64_t oldsize;
	bool exists;
	Undo *u = NULL;
	Dev *d;

	if (o == NULL) {
		gefs_defformatopts(&def);
		o = &def;
	}
	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof *st);
	if (fmtargs(o, e) < 0 || fmtstat(path, size, &exists, e) < 0)
		return -1;
	if ((d = fmtopen(path, &size, exists, o->force, e)) == NULL)
		goto bad;
	oldsize = exists ? devsize(d) : 0;
	if ((u = undonew(d, oldsize, e)) == NULL)
		goto bad;
	devfault(d, nextfault.nth, nextfault.kind);
	nextfault.nth = 0;
	if (fmtwrite(d, u, oldsize, size, o, st, e) < 0) {
		if (exists)
			fmtundo(u, e);
		goto bad;
	}
	undofree(u);
	devclose(d);
	return 0;
bad:
	undofree(u);
	if (d != NULL)
		devclose(d);
	if (!exists)
		unlink(path);
	return -1;
}
