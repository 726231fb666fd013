/* SPDX-License-Identifier: MIT */
/*
 * wipe — what a format must not leave behind of the file system it
 * replaces, and whether a file holds data nothing recognises.
 *
 * GEFS writes few blocks (ream.c), so another file system's copies
 * survive a format: btrfs's superblock at 64 KiB and its mirrors, ext2/3/4
 * backup superblocks, xfs secondary superblocks, a FAT32 or exFAT backup
 * boot sector, a backup GPT header.  blkid or e2fsck would still find
 * them.  wipeold erases every signature libblkid finds, as wipefs -a and
 * mkfs.ext4 do (blkid_do_wipe in a probe loop), and first zeroes those
 * backup ranges, recognised by their magic where the primary structure
 * (or the tools' default layouts) put them: a few KiB, never the device.
 *
 * The offsets below are the other file systems' on-disk formats, not
 * GEFS's; every value read is checked before it places a range, and a
 * range is used only when it lies inside the device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <blkid/blkid.h>
#include "wipe.h"

enum {
	KiB		= 1 << 10,
	MiB		= 1 << 20,
	SAMPLE		= MiB,		/* blankfile reads this much per place */
	MAXSIG		= 64,		/* bound on the libblkid loop (a signature
					 * that survives its wipe must not loop) */
	SECT		= 512,
	ZAPMAX		= 64 * KiB,	/* largest range zapped: a sector or sb */
};

/* One wipe: the device, its undo log, the bytes that count. */
typedef struct Wipe {
	Dev		*d;
	Undo		*u;
	uint64_t	lim;
	uint8_t		*buf;		/* ZAPMAX bytes */
	int		n;		/* ranges erased */
} Wipe;

static uint16_t lget16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t lget32(const uint8_t *p) { return (uint32_t)lget16(p) | (uint32_t)lget16(p + 2) << 16; }
static bool pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/* Read n bytes at off into w->buf: 1 done, 0 beyond the device. */
static int
peek(Wipe *w, uint64_t off, size_t n, GefsErr *e)
{
	if (n > ZAPMAX || off > w->lim || n > w->lim - off)
		return 0;
	return devread(w->d, w->buf, n, off, e) < 0 ? -1 : 1;
}

/* Zero the n bytes at off when magic m (ml bytes) is at off+moff. */
static int
zapif(Wipe *w, uint64_t off, size_t n, size_t moff, const void *m, size_t ml, GefsErr *e)
{
	int r;

	if ((r = peek(w, off, n, e)) <= 0)
		return r;
	if (moff + ml > n || memcmp(w->buf + moff, m, ml) != 0)
		return 0;
	memset(w->buf, 0, n);
	if (undowrite(w->u, w->buf, n, off, e) < 0)
		return gefs_wraperr(e, "erasing an old signature at 0x%llx", (unsigned long long)off);
	w->n++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* btrfs: the superblock at 64 KiB and its mirrors at 16 KiB << 12k     */
/* ------------------------------------------------------------------ */

enum { BTRFSSBSZ = 4 * KiB, BTRFSMAGOFF = 0x40 };

static int
zapbtrfs(Wipe *w, GefsErr *e)
{
	/* 64 KiB, then mirrors 1..3: 64 MiB, 256 GiB, 1 PiB */
	static const uint64_t at[] = {64 * KiB, 16 * KiB << 12, 16ULL * KiB << 24, 16ULL * KiB << 36};
	size_t i;

	for (i = 0; i < nelem(at); i++)
		if (zapif(w, at[i], BTRFSSBSZ, BTRFSMAGOFF, "_BHRfS_M", 8, e) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ext2/3/4: backup superblocks in groups 1, 3^k, 5^k, 7^k              */
/* ------------------------------------------------------------------ */

enum {
	EXTSBOFF	= 1024,		/* the primary's byte offset */
	EXTSBSZ		= 1024,
	EXTFIRST	= 20,		/* s_first_data_block */
	EXTLOGBS	= 24,		/* s_log_block_size: 1024 << it */
	EXTBPG		= 32,		/* s_blocks_per_group */
	EXTMAGOFF	= 56,		/* s_magic, 0xef53 little-endian */
	EXTCOMPAT	= 92,		/* s_feature_compat */
	EXTSPARSE2	= 0x200,	/* COMPAT_SPARSE_SUPER2: backups only in */
	EXTBACKUPBGS	= 0x24c,	/* s_backup_bgs[2] */
};

/* An ext layout: block size, blocks per group, first data block. */
typedef struct Ext {
	uint64_t	bs, bpg, first;
} Ext;

/* Group g's backup superblock, at the start of the group's first block. */
static int
zapextgroup(Wipe *w, const Ext *x, uint64_t g, GefsErr *e)
{
	if (g == 0 || g > w->lim / x->bs / x->bpg)
		return 0;
	return zapif(w, (x->first + g * x->bpg) * x->bs, EXTSBSZ, EXTMAGOFF, "\x53\xef", 2, e);
}

/* Every sparse_super backup of layout x: groups 1 and powers of 3, 5, 7. */
static int
zapextgroups(Wipe *w, const Ext *x, GefsErr *e)
{
	static const uint64_t base[] = {3, 5, 7};
	uint64_t ng = w->lim / x->bs / x->bpg, g;
	size_t i;

	if (zapextgroup(w, x, 1, e) < 0)
		return -1;
	for (i = 0; i < nelem(base); i++)
		for (g = base[i]; g <= ng; g *= base[i])
			if (zapextgroup(w, x, g, e) < 0)
				return -1;
	return 0;
}

/* The primary's layout into *x, and its sparse_super2 backup groups;
 * 0 when there is no valid primary. */
static int
extprimary(Wipe *w, Ext *x, uint64_t bgs[2], GefsErr *e)
{
	const uint8_t *p = w->buf;
	uint32_t lg;
	int r;

	if ((r = peek(w, EXTSBOFF, EXTSBSZ, e)) <= 0 || lget16(p + EXTMAGOFF) != 0xef53)
		return r < 0 ? -1 : 0;
	lg = lget32(p + EXTLOGBS);
	if (lg > 6)		/* 1 KiB << 6: 64 KiB, the largest block */
		return 0;
	x->bs = 1024ULL << lg;
	x->bpg = lget32(p + EXTBPG);
	x->first = lget32(p + EXTFIRST);
	if (x->bpg < 8 || x->bpg > 8 * x->bs || x->first > 1)
		return 0;
	bgs[0] = bgs[1] = 0;
	if (lget32(p + EXTCOMPAT) & EXTSPARSE2) {
		bgs[0] = lget32(p + EXTBACKUPBGS);
		bgs[1] = lget32(p + EXTBACKUPBGS + 4);
	}
	return 1;
}

/* The primary's own backups, then those of the layouts e2fsck guesses
 * when the primary is gone (every block size, 8 × block size blocks per
 * group): the magic check makes the guesses cost only reads. */
static int
zapext(Wipe *w, GefsErr *e)
{
	uint64_t bgs[2];
	Ext x;
	int r, lg;

	if ((r = extprimary(w, &x, bgs, e)) < 0)
		return -1;
	if (r > 0 && (zapextgroups(w, &x, e) < 0 || zapextgroup(w, &x, bgs[0], e) < 0
	|| zapextgroup(w, &x, bgs[1], e) < 0))
		return -1;
	for (lg = 0; lg <= 6; lg++) {
		x.bs = 1024ULL << lg;
		x.bpg = 8 * x.bs;
		x.first = lg == 0;
		if (zapextgroups(w, &x, e) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* xfs: a secondary superblock at the start of every allocation group   */
/* ------------------------------------------------------------------ */

enum {
	XFSBLKSZ	= 4,		/* sb_blocksize, big-endian */
	XFSDBLOCKS	= 8,		/* sb_dblocks */
	XFSAGBLKS	= 84,		/* sb_agblocks */
	XFSAGCOUNT	= 88,		/* sb_agcount */
	XFSSECTSZ	= 102,		/* sb_sectsize */
	XFSMINAG	= 16 * MiB,	/* XFS_MIN_AG_BYTES */
	XFSMAXAG	= 65536,	/* more is not a real xfs: bounds the reads */
};

static int
zapxfs(Wipe *w, GefsErr *e)
{
	const uint8_t *p = w->buf;
	uint64_t bs, agb, agsz, agc, a, ss;
	int r;

	if ((r = peek(w, 0, SECT, e)) <= 0 || memcmp(p, "XFSB", 4) != 0)
		return r < 0 ? -1 : 0;
	bs = gefs_get32(p + XFSBLKSZ);
	ss = gefs_get16(p + XFSSECTSZ);
	agc = gefs_get32(p + XFSAGCOUNT);
	if (!pow2(bs) || bs < SECT || bs > ZAPMAX || !pow2(ss) || ss < SECT || ss > ZAPMAX)
		return 0;
	agb = gefs_get32(p + XFSAGBLKS);
	agsz = agb * bs;
	/* the AGs must tile the file system: sb_agcount = ceil(dblocks / agblocks) */
	if (agsz < XFSMINAG || agc > XFSMAXAG || agc != (gefs_get64(p + XFSDBLOCKS) + agb - 1) / agb)
		return 0;
	for (a = 1; a < agc && a <= w->lim / agsz; a++)
		if (zapif(w, a * agsz, (size_t)ss, 0, "XFSB", 4, e) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* FAT32 and exFAT: the backup boot sector                             */
/* ------------------------------------------------------------------ */

enum {
	FATBPS		= 11,		/* BPB_BytsPerSec */
	FATRSVD		= 14,		/* BPB_RsvdSecCnt */
	FATSZ16		= 22,		/* BPB_FATSz16: 0 on FAT32 */
	FATBKBOOT	= 50,		/* BPB_BkBootSec (FAT32) */
	BOOTSIG		= 510,		/* 0x55 0xaa */
	EXFATNAME	= 3,		/* "EXFAT   " */
	EXFATSHIFT	= 108,		/* BytesPerSectorShift */
	EXFATBACKUP	= 12,		/* the backup boot region's first sector */
};

static int
zapfat(Wipe *w, GefsErr *e)
{
	const uint8_t *p = w->buf;
	uint64_t bps, bk, sh;
	int r;

	if ((r = peek(w, 0, SECT, e)) <= 0 || p[BOOTSIG] != 0x55 || p[BOOTSIG + 1] != 0xaa)
		return r < 0 ? -1 : 0;
	if (memcmp(p + EXFATNAME, "EXFAT   ", 8) == 0) {
		sh = p[EXFATSHIFT];
		if (sh < 9 || sh > 12)
			return 0;
		return zapif(w, EXFATBACKUP << sh, (size_t)1 << sh, EXFATNAME, "EXFAT   ", 8, e);
	}
	bps = lget16(p + FATBPS);
	bk = lget16(p + FATBKBOOT);
	if (!pow2(bps) || bps < SECT || bps > 4096 || lget16(p + FATSZ16) != 0
	|| bk == 0 || bk >= lget16(p + FATRSVD))
		return 0;
	return zapif(w, bk * bps, (size_t)bps, BOOTSIG, "\x55\xaa", 2, e);
}

/* An older GEFS's backup superblock, in the last whole block: stale in
 * the middle of a grown file (a later format writes its own). */
static int
zapgefs(Wipe *w, GefsErr *e)
{
	uint64_t b = GEFS_BLKSZ;

	if (w->lim < 2 * b)
		return 0;
	return zapif(w, w->lim - w->lim % b - b, SECT, 0, GEFS_MAGIC, 8, e);
}

/* GPT: the backup header in the last sector, 512-byte or 4 KiB. */
static int
zapgpt(Wipe *w, GefsErr *e)
{
	static const uint64_t ss[] = {SECT, 4 * KiB};
	size_t i;

	for (i = 0; i < nelem(ss); i++)
		if (w->lim >= ss[i] && zapif(w, w->lim - ss[i], SECT, 0, "EFI PART", 8, e) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* libblkid                                                            */
/* ------------------------------------------------------------------ */

/* Save the magic named offname/magname the probe found, which
 * blkid_do_wipe is about to zero: 1 saved, 0 none, -1 error. */
static int
savemagic(Wipe *w, blkid_probe pr, const char *offname, const char *magname, GefsErr *e)
{
	const char *s;
	char *end;
	size_t n;
	unsigned long long off;

	if (blkid_probe_lookup_value(pr, offname, &s, NULL) != 0
	|| blkid_probe_lookup_value(pr, magname, NULL, &n) != 0)
		return 0;
	errno = 0;
	off = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	return undosave(w->u, off, n, e) < 0 ? -1 : 1;
}

/* Probe, save, wipe, probe again: what wipefs -a does. */
static int
wipeloop(Wipe *w, blkid_probe pr, GefsErr *e)
{
	int i, r = 0, sb, pt;

	for (i = 0; i < MAXSIG && (r = blkid_do_probe(pr)) == 0; i++) {
		if ((sb = savemagic(w, pr, "SBMAGIC_OFFSET", "SBMAGIC", e)) < 0
		|| (pt = savemagic(w, pr, "PTMAGIC_OFFSET", "PTMAGIC", e)) < 0)
			return -1;
		/* a match without a magic (blkid_do_wipe skips it) erases nothing */
		if (blkid_do_wipe(pr, 0) != 0)
			return gefs_seterr(e, EIO, "%s: libblkid could not erase an old signature: %s",
				devpath(w->d), strerror(errno ? errno : EIO));
		w->n += sb + pt > 0;
	}
	if (r < 0)
		return gefs_seterr(e, EIO, "%s: libblkid cannot probe it", devpath(w->d));
	if (i == MAXSIG)
		return gefs_seterr(e, EIO, "%s: libblkid still finds signatures after erasing %d",
			devpath(w->d), MAXSIG);
	return 0;
}

static int
wipeblkid(Wipe *w, GefsErr *e)
{
	blkid_probe pr;
	int rc;

	if ((pr = blkid_new_probe()) == NULL || blkid_probe_set_device(pr, devfd(w->d), (blkid_loff_t)devbase(w->d),
		(blkid_loff_t)w->lim) < 0) {
		if (pr != NULL)
			blkid_free_probe(pr);
		return gefs_seterr(e, EIO, "%s: cannot probe with libblkid", devpath(w->d));
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	rc = wipeloop(w, pr, e);
	blkid_free_probe(pr);
	return rc;
}

int
wipeold(Dev *d, Undo *u, uint64_t lim, int *n, GefsErr *e)
{
	Wipe w = {d, u, lim, NULL, 0};
	int rc = -1;

	*n = 0;
	if (lim == 0)
		return 0;
	if ((w.buf = malloc(ZAPMAX)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	/* backups first: they are found through the primaries libblkid wipes */
	if (zapbtrfs(&w, e) < 0 || zapext(&w, e) < 0 || zapxfs(&w, e) < 0 || zapfat(&w, e) < 0
	|| zapgpt(&w, e) < 0 || zapgefs(&w, e) < 0 || wipeblkid(&w, e) < 0)
		goto out;
	rc = 0;
out:
	*n = w.n;
	free(w.buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Unknown data                                                        */
/* ------------------------------------------------------------------ */

/* 1 when the up to SAMPLE bytes at off (below len) read as zeros. */
static int
zeroat(int fd, uint64_t base, uint8_t *buf, uint64_t off, uint64_t len, GefsErr *e)
{
	size_t n = len - off < SAMPLE ? (size_t)(len - off) : SAMPLE, got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, buf + got, n - got, (off_t)(base + off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gefs_seterr(e, EIO, "read at 0x%llx: %s", (unsigned long long)(off + got),
				strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, got - 1) == 0);
}

int
blankfile(int fd, uint64_t base, uint64_t len, uint64_t size, GefsErr *e)
{
	uint64_t at[3];
	uint8_t *buf;
	int i, n = 0, r = 1;

	if (len == 0)
		return 1;
	at[n++] = 0;
	at[n++] = len > SAMPLE ? len - SAMPLE : 0;
	if (size < len)
		at[n++] = size;
	if ((buf = malloc(SAMPLE)) == NULL)
		return gefs_seterr(e, ENOMEM, "out of memory");
	for (i = 0; i < n && r == 1; i++)
		r = zeroat(fd, base, buf, at[i], len, e);
	free(buf);
	return r;
}
