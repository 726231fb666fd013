/*
 * internal.h — libfs-internal interfaces: the device, the block cache and
 * the layers above them.  Not installed; cmd/ never includes it (unit tests
 * and fuzzers do, through the static library).
 *
 * Layers, bottom up (docs/ARCHITECTURE.md): hash, pack, dev, cache, blk,
 * arena/log, tree, snap, fs, commit, ream/check/walk.  Each file uses only
 * the layers below it.
 */
#ifndef GEFS_INTERNAL_H
#define GEFS_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "gefs.h"

#define nelem(a)	(sizeof(a) / sizeof((a)[0]))
#define HIDDEN		__attribute__((visibility("hidden")))

/* ------------------------------------------------------------------ */
/* dev — the image: regular file, block device or gzip image          */
/* ------------------------------------------------------------------ */

typedef struct Dev Dev;

enum {
	DEV_RDONLY	= 1 << 0,	/* open read-only, shared flock */
	DEV_CREATE	= 1 << 1,	/* create a regular file if missing (writers) */
	DEV_NOLOCK	= 1 << 2,	/* take no flock (tests only) */
};

/* Fault kinds for devfault(). */
enum {
	DEVFAULT_NONE	= 0,
	DEVFAULT_EIO,			/* the write fails with EIO */
	DEVFAULT_ENOSPC,		/* the write fails with ENOSPC */
	DEVFAULT_SHORT,			/* the write stops half way, then fails with EIO */
};

/* Called after every successful write (or write part) with its data. */
typedef void (*DevObserver)(void *arg, uint64_t off, const void *buf, size_t n);

/* Open path.  A regular file or block device; a gzip file (magic 1f 8b)
 * only with DEV_RDONLY, inflated into a sparse temporary file under $TMPDIR
 * (unlinked at once).  Writers take an exclusive non-blocking flock,
 * readers a shared one; a conflict fails with EWOULDBLOCK naming the image. */
HIDDEN Dev *devopen(const char *path, int flags, GefsErr *e);
HIDDEN void devclose(Dev *d);
HIDDEN uint64_t devsize(Dev *d);		/* bytes */
HIDDEN const char *devpath(Dev *d);
HIDDEN bool devisblk(Dev *d);			/* a block device */
HIDDEN bool devrdonly(Dev *d);
HIDDEN bool devgzip(Dev *d);
/* Full-length reads/writes at off (EINTR and short I/O looped); a read past
 * the end of the device or a failing call fails naming the offset in hex. */
HIDDEN int devread(Dev *d, void *buf, size_t n, uint64_t off, GefsErr *e);
HIDDEN int devwrite(Dev *d, const void *buf, size_t n, uint64_t off, GefsErr *e);
HIDDEN int devwritev(Dev *d, const struct iovec *iov, int niov, uint64_t off, GefsErr *e);
HIDDEN int devsync(Dev *d, GefsErr *e);		/* fsync / device cache flush */
/* Resize a regular file to size bytes (sparse).  Fails on block devices. */
HIDDEN int devtruncate(Dev *d, uint64_t size, GefsErr *e);
HIDDEN void devobserve(Dev *d, DevObserver fn, void *arg);
/* Make the nth write call from now (1 = the next) fail as kind. */
HIDDEN void devfault(Dev *d, int nth, int kind);
/* I/O counters. */
typedef struct DevStats {
	uint64_t	nread, nwrite, nsync;
	uint64_t	bytesread, byteswritten;
} DevStats;
HIDDEN void devstats(Dev *d, DevStats *st);

/* ------------------------------------------------------------------ */
/* cache — fixed-budget block cache (venti-style, LRU-2 victims)      */
/* ------------------------------------------------------------------ */

typedef struct Cache Cache;
typedef struct Blk Blk;

/* Write stages, flushed in this order with a sync between stages
 * (FORMAT.md §15.2).  Stage 0 is "data": tree nodes and data blocks. */
enum {
	STAGE_DATA	= 0,	/* tree, data, deadlist blocks */
	STAGE_LOG	= 1,	/* log blocks written by the commit (tails) */
	STAGE_HDR	= 2,	/* arena headers */
	STAGE_SB0	= 3,
	STAGE_SB1	= 4,
	STAGE_FOOTER	= 5,
	NSTAGE
};

struct Blk {
	uint64_t	addr;
	uint8_t		*buf;		/* GEFS_BLKSZ bytes, owned by the cache */
	uint32_t	flags;		/* for layers above: BLK_VERIFIED, ... */
	/* cache-private below */
	int		ref;
	int		dirty;
	int		stage;
	uint64_t	used[2];	/* last and second-to-last use ticks */
	int		heapidx;
	Blk		*hnext;		/* hash chain */
};

enum {
	BLK_VERIFIED	= 1 << 0,	/* hash checked against the pointer used */
	BLK_BADHASH	= 1 << 1,	/* hash known not to match */
};

enum {
	CACHE_READ	= 0,		/* read the block from the device on a miss */
	CACHE_NOREAD	= 1 << 0,	/* new block: zero-filled, not read */
};

typedef struct CacheStats {
	uint64_t	hits, misses, evictions;
	uint64_t	byteswritten, flushes;
	uint64_t	nblk, ndirty;
} CacheStats;

/* A cache of budget bytes (rounded down to whole blocks, at least 16
 * blocks), all memory allocated now.  Errors go to *e. */
HIDDEN Cache *cachenew(Dev *d, size_t budget, GefsErr *e);
HIDDEN void cachefree(Cache *c);		/* dirty blocks are dropped */
/* Get block addr (address must be block-aligned and inside the device),
 * referenced.  NULL on I/O error or when every block is referenced. */
HIDDEN Blk *cacheget(Cache *c, uint64_t addr, int flags, GefsErr *e);
HIDDEN void cacheput(Cache *c, Blk *b);		/* drop a reference */
/* Mark dirty, to be written in stage s. */
HIDDEN void cachedirty(Cache *c, Blk *b, int s);
/* Write every dirty block of stage s, sorted by address, adjacent blocks
 * coalesced into one vectored write; then devsync. */
HIDDEN int cacheflushstage(Cache *c, int s, GefsErr *e);
/* Write all stages in order, syncing after each non-empty stage. */
HIDDEN int cacheflush(Cache *c, GefsErr *e);
/* Forget a block (e.g. after a failed write, or to drop a bad copy). */
HIDDEN void cacheinval(Cache *c, uint64_t addr);
HIDDEN void cachestats(Cache *c, CacheStats *st);
HIDDEN Dev *cachedev(Cache *c);

/* ------------------------------------------------------------------ */
/* The open file system.  Owned by load.c (open/close, superblock,    */
/* arenas); tree/snap/fs add their state in the marked section.       */
/* ------------------------------------------------------------------ */

typedef struct Range Range;
typedef struct FreeSet FreeSet;	/* arena.c: free ranges of one arena */

typedef struct Arena {
	uint64_t	addr;		/* header block address (H) */
	uint64_t	size;		/* S, from the header used */
	uint64_t	used;		/* recomputed by replay */
	GefsArenaHdr	hdr;		/* as decoded from the copy used */
	int		hdrcopy;	/* 0 header, 1 footer */
	FreeSet		*free;
	uint64_t	logtail;	/* address of the tail log block */
	uint16_t	tailsz;		/* its logsz, truncated at the barrier */
	uint64_t	nlog;		/* log blocks replayed */
} Arena;

struct Gefs {
	GefsErr		err;
	GefsOpts	opts;
	Dev		*dev;
	Cache		*cache;
	GefsSb		sb;		/* the superblock in use */
	int		sbcopy;		/* 0 or 1 */
	Arena		*arena;		/* sb.narena entries */
	GefsXrec	xrec;
	bool		hasxrec;
	uint64_t	nwarn;		/* warnings reported through opts.warn */
	/* --- tree / snap / fs state below --- */
	struct Users	*users;		/* parsed /users of adm (fs.c) */
};

/* Report a non-fatal finding (e.g. "arena 3: header hash mismatch, using
 * footer") through opts.warn; counts it. */
HIDDEN void fswarn(Gefs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* blk — typed block reads with verification (blk.c)                  */
/* ------------------------------------------------------------------ */

/* Read the block bp points to through the cache and check it: the type
 * (want = GEFS_TPIVOT, GEFS_TLEAF, GEFS_TARENA, or -1 for "pivot or leaf",
 * GEFS_TDAT for raw data: no type check) and blkhash == bp.hash (unless
 * fs->opts.ignhash, in which case a mismatch is reported with fswarn and
 * the block returned).  The address must be block-aligned and inside an
 * arena's data area or be a superblock/arena block as appropriate.  A
 * verified block is marked BLK_VERIFIED and not hashed again.  Errors name
 * the address, the expected type and the field. */
HIDDEN Blk *getblk(Gefs *fs, const GefsBptr *bp, int want);
/* Read a Tlog or Tdlist block at addr (no pointer hash: §1.3) and check its
 * type and logh; hdr receives the decoded header. */
HIDDEN Blk *getlogblk(Gefs *fs, uint64_t addr, int want, GefsLogHdr *hdr);
/* Read and decode a tree node; *out is filled, the Blk stays referenced
 * until putblk. */
HIDDEN Blk *getnode(Gefs *fs, const GefsBptr *bp, GefsNode *out);
HIDDEN void putblk(Gefs *fs, Blk *b);
/* Which arena holds addr; -1 if none. */
HIDDEN int arenaof(Gefs *fs, uint64_t addr);

#endif
