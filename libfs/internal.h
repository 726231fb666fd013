/* SPDX-License-Identifier: MIT */
/*
 * internal.h — libfs-internal interfaces: the device, the block cache and
 * the layers above them.  Not installed; cmd/ never includes it (unit tests
 * and fuzzers do, through the static library).
 *
 * Layers, bottom up (docs/ARCHITECTURE.md has the table of files and what
 * each may call): hash/pack/layout, dev, cache, handle, blk, arena/logw,
 * load, tree, snap, fs, the write engine (upsert, session, commit), and on
 * top ream, check, repair, tune, resize.  Each file uses only the layers
 * below it; on-disk offsets live in pack.c and layout.c only.
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

/* A block write torn by a power cut leaves its first half new (the crash
 * states of §15.3): a log entry cut by the tear starts at most one
 * 16-byte entry before the middle.  Loader and checker end the replay of
 * a torn log tail there; an entry failing earlier is damage. */
enum { LOGTORNAT = GEFS_BLKSZ / 2 - 16, LOGTORNBODY = LOGTORNAT - GEFS_LOGHDSZ };

/* Called after every successful write (or write part) with its data. */
typedef void (*DevObserver)(void *arg, uint64_t off, const void *buf, size_t n);
/* Called after every successful devsync (a flush boundary: the writes
 * observed before it are durable), with the observer's arg. */
typedef void (*DevFlushObserver)(void *arg);

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
HIDDEN int devfd(Dev *d);			/* the open descriptor (tests) */
/* The window's first byte in the file (add it to offsets used with devfd)
 * and whether the size is fixed (a block device or a window with a length:
 * a partition). */
HIDDEN uint64_t devbase(Dev *d);
HIDDEN bool devfixed(Dev *d);
/* Apply the window of gefs_setwindow to a file or device of *size bytes
 * opened without devopen: *base and *size become the window's. */
HIDDEN int devclip(const char *path, bool isblk, bool create, uint64_t *size, uint64_t *base, GefsErr *e);
/* Tell the kernel [off, off+n) will be read soon (a hint: no error). */
HIDDEN void devwillneed(Dev *d, uint64_t off, uint64_t n);
/* Full-length reads/writes at off (EINTR and short I/O looped); a read past
 * the end of the device or a failing call fails naming the offset in hex. */
HIDDEN int devread(Dev *d, void *buf, size_t n, uint64_t off, GefsErr *e);
HIDDEN int devwrite(Dev *d, const void *buf, size_t n, uint64_t off, GefsErr *e);
HIDDEN int devwritev(Dev *d, const struct iovec *iov, int niov, uint64_t off, GefsErr *e);
HIDDEN int devdirect(Dev *d);		/* an O_DIRECT descriptor, or -1 */
HIDDEN int devwritedirect(Dev *d, int fd, const void *buf, size_t n, uint64_t off, GefsErr *e);
HIDDEN int devwritevdirect(Dev *d, int fd, const struct iovec *iov, int niov, uint64_t off, GefsErr *e);
/* devwritevdirect in three parts for a writer thread: the window check,
 * the write alone (an errno; touches no Dev state), the accounting. */
HIDDEN int devdirectok(Dev *d, uint64_t off, size_t n, GefsErr *e);
HIDDEN int devdirectio(Dev *d, int fd, const struct iovec *iov, int niov, uint64_t off);
HIDDEN void devdirectdone(Dev *d, uint64_t off, size_t n);
HIDDEN int devsync(Dev *d, GefsErr *e);		/* fsync / device cache flush */
/* Resize a regular file to size bytes (sparse).  Fails on block devices. */
HIDDEN int devtruncate(Dev *d, uint64_t size, GefsErr *e);
HIDDEN void devobserve(Dev *d, DevObserver fn, void *arg);
HIDDEN void devobserveflush(Dev *d, DevFlushObserver fn);
/* Observe every device opened for writing from now on (crash tests record
 * the writes of a whole gefs_check this way); fn NULL stops.  Not
 * thread-safe: tests only. */
HIDDEN void devobserveall(DevObserver fn, DevFlushObserver flush, void *arg);
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
	uint64_t	vhash;		/* blk.c: blkhash of buf, valid while BLK_VERIFIED */
	uint64_t	nodeh;		/* blk.c: vhash when BLK_NODEOK was set */
	/* cache-private below */
	int		ref;
	int		dirty;
	int		stage;
	uint64_t	used[2];	/* last and second-to-last use ticks */
	int		heapidx;
	Blk		*hnext;		/* hash chain */
};

enum {
	BLK_VERIFIED	= 1 << 0,	/* vhash holds blkhash(buf), computed once when
					 * read; getblk compares it with each pointer's
					 * hash (whoever changes buf clears the flag) */
	BLK_BADHASH	= 1 << 1,	/* hash known not to match */
	BLK_NODEOK	= 1 << 2,	/* buf passed gefs_unpacknode while its blkhash
					 * was nodeh: getnode skips the checks while
					 * BLK_VERIFIED and vhash == nodeh */
};

enum {
	CACHE_READ	= 0,		/* read the block from the device on a miss */
	CACHE_NOREAD	= 1 << 0,	/* new block: zero-filled, not read */
	CACHE_FILL	= 1 << 1,	/* new block the caller fills whole: not read, not zeroed */
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
/* The open file system.  Made and freed by handle.c (fsalloc, fsfree); */
/* load.c fills superblock and arenas; each layer keeps its part.      */
/* ------------------------------------------------------------------ */

typedef struct Range Range;
typedef struct FreeSet FreeSet;	/* arena.c: free ranges of one arena */
typedef struct Edit Edit;	/* session.c: the write state of a handle */

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
	/* --- load.c / arena.c additions --- */
	uint64_t	tblhash;	/* the superblock's arena-table hash (NONE: unverified) */
	int8_t		copyok[2];	/* header, footer: -1 does not decode, 0 decodes but
					 * its blkhash differs from tblhash, 1 verifies
					 * (or decodes, when tblhash is NONE) */
	bool		agree;		/* header and footer byte-identical */
	uint64_t	stopoff;	/* offset of the barrier replay stopped at in
					 * logtail; GEFS_NONE: replayed to the end */
	uint64_t	nent;		/* alloc/free entries replayed */
	char		*damage;	/* opts.tolerant: why it did not load (NULL: it did) */
	int		dmgkind;	/* ... ARDMG_*: which step refused it */
	/* --- logw.c: the writer's open log tail --- */
	Blk		*tailblk;	/* referenced while open, dirty in STAGE_LOG */
	GefsLogHdr	tailh;		/* its header; logh packed when sealed */
} Arena;

struct Gefs {
	GefsErr		err;
	GefsOpts	opts;
	Dev		*dev;
	bool		devborrowed;	/* fsborrow: the device belongs to another handle */
	Cache		*cache;
	GefsSb		sb;		/* the superblock in use */
	int		sbcopy;		/* 0 or 1 */
	Arena		*arena;		/* sb.narena entries */
	GefsXrec	xrec;
	bool		hasxrec;
	uint64_t	nwarn;		/* warnings reported through opts.warn */
	/* --- tree / snap / fs state below --- */
	struct Users	*users;		/* parsed /users of adm (fs.c) */
	/* --- fswrite.c: who and when, for the entries it writes --- */
	int64_t		wclock;		/* ns, when wclockset (gefs_setclock) */
	bool		wclockset;
	int32_t		wuid;		/* acting user, when wuidset (gefs_setuser) */
	bool		wuidset;
	struct GefsBatch *batches;	/* open batches: gefs_commit flushes them,
					 * gefs_abort empties them */
	/* --- check.c: the loader's arenas, kept to compare with its own --- */
	Arena		*lib;
	uint32_t	nlib;
	/* --- the edit session (arena.c, snap.c, upsert.c, session.c) --- */
	Edit		*ed;		/* NULL on a read-only handle */
};

/* Messages follow the tools' output rules (cmd/common/common.h): hashes
 * as 0x%016llx, address ranges half-open as rangestr renders them,
 * "[0x4000, 0x8000)" (err.c). */
enum { RANGESTRSZ = 64 };
HIDDEN const char *rangestr(char buf[RANGESTRSZ], uint64_t addr, uint64_t len);

/* handle.c: the one constructor and destructor of a handle.  fsalloc
 * opens the device (devflags DEV_*) and an empty cache, nothing loaded;
 * fsfree tears every layer down (users, edit, arenas, cache, device). */
HIDDEN Gefs *fsalloc(const char *path, const GefsOpts *o, int devflags, GefsErr *e);
HIDDEN Gefs *fsborrow(Dev *dev, const GefsOpts *o, GefsErr *e);
HIDDEN void fsfree(Gefs *fs);
/* Drop the cache (dirty blocks included) for an empty one. */
HIDDEN int fsnewcache(Gefs *fs);
/* arena.c: the arena layer's part: n zeroed arenas / close the log tails
 * and free the free sets and the arenas.  fs->sb.narena must count the
 * arenas when arenasfree runs. */
HIDDEN int arenasnew(Gefs *fs, uint32_t n);
HIDDEN void arenasfree(Gefs *fs);
/* Drop fs->lib (the loader's arenas the checker compares with its own). */
HIDDEN void arenaslibfree(Gefs *fs);

/* load.c: the one superblock verdict (loader and checker).  verdict -1:
 * the prefix does not decode, 0 valid, 1 not; first: the first fault
 * (SBF_*) in the order of §15.4; why: what is wrong. */
enum { SBF_NONE, SBF_MAGIC, SBF_DECODE, SBF_HASH, SBF_FIELD };
/* Which load step refused an arena (Arena.dmgkind). */
enum { ARDMG_NONE, ARDMG_HDR, ARDMG_SIZE, ARDMG_LOG };
/* load.c: superblock and arenas into fs (the loader of gefs_open). */
HIDDEN int loadfs(Gefs *fs);
typedef struct SbJudge {
	int	verdict;
	int	first;
	bool	hashbad;	/* the sbhash does not match */
	bool	otherbad;	/* something else is wrong */
	char	why[600];
} SbJudge;
HIDDEN int sbjudge(const uint8_t *blk, uint64_t addr, uint64_t sb1, GefsSb *sb, SbJudge *j);

/* check.c: the checker's handle after its superblock and log passes
 * (read-only, nothing reported), detached: every arena carries the free
 * set and log tail its log gives, as gefs_open's do, so that the write
 * layer works on it.  NULL with *e when those passes stopped. */
HIDDEN Gefs *ckloadfs(const char *path, GefsErr *e);

/* Where superblock copy 1 lives: the last whole block of the device
 * (0 when the device has fewer than two blocks): sb1of(devsize). */
HIDDEN uint64_t sb1addr(Gefs *fs);
/* layout.c: the format's placement rules, the only copy.  sb1of: copy 1's
 * address on a device of devbytes bytes.  arenaslot: judge arena table
 * entry a after prev (first: none) given copy 1 at sb1 (ARSLOT_*).
 * arenafits: an arena at a of s bytes fits before lim (§5.1, §5.2; a
 * one-block arena is valid). */
enum { ARSLOT_OK, ARSLOT_ALIGN, ARSLOT_ORDER, ARSLOT_PAST };
HIDDEN uint64_t sb1of(uint64_t devbytes);
HIDDEN int arenaslot(uint64_t a, uint64_t prev, bool first, uint64_t sb1);
HIDDEN bool arenafits(uint64_t a, uint64_t s, uint64_t lim);

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
 * until putblk.  A block already validated with the same contents (same
 * blkhash) is not validated again. */
HIDDEN Blk *getnode(Gefs *fs, const GefsBptr *bp, GefsNode *out);
/* pack.c: fill n from the header of a node gefs_unpacknode accepted
 * before (no checks). */
HIDDEN void nodeview(GefsNode *n, const uint8_t *blk, uint64_t addr);
/* pack.c: zero the unused space of the node n decoded from blk (between
 * each area's offset table and its lowest item), which holds stale bytes
 * of earlier contents in nodes the reference wrote (gefs-image -s). */
HIDDEN void nodeclear(uint8_t *blk, const GefsNode *n);
/* Mark b's buffer hashed (vhash) if it is not yet; clears BLK_NODEOK. */
HIDDEN void blkhashonce(Blk *b);
HIDDEN void putblk(Gefs *fs, Blk *b);
/* Which arena holds addr; -1 if none. */
HIDDEN int arenaof(Gefs *fs, uint64_t addr);

/* ---- blk / arena / load additions (load's layer) ---- */

/* Read a Tlog or Tdlist block at addr and decode its header (type must be
 * want) without judging logh: *hashok tells whether logh matches the body.
 * getlogblk is this plus the verdict.  NULL with fs->err on a bad address,
 * an I/O error or a header that does not decode. */
HIDDEN Blk *readlogblk(Gefs *fs, uint64_t addr, int want, GefsLogHdr *hdr, bool *hashok);
/* 0 if [addr, addr+16K) is a block-aligned block inside arena ai's data
 * area [H+32K, H+32K+S); else -1. */
HIDDEN int indata(Gefs *fs, int ai, uint64_t addr);

/* Free-range sets (arena.c): disjoint, coalesced ranges [start, start+len)
 * in an AVL tree keyed by start; memory grows with the number of ranges
 * only.  Lengths are bytes; nothing here requires block alignment.
 * Errors return -1 with errno: EINVAL (empty or wrapping range), EEXIST
 * (insert overlapping free space), ENOENT (remove of a range not entirely
 * free), ENOMEM; the set is unchanged on error. */
typedef int (*FsetFn)(void *arg, uint64_t start, uint64_t len);
HIDDEN FreeSet *fsetnew(void);				/* NULL: out of memory */
HIDDEN void fsetfree(FreeSet *s);
/* Add a free range: must not overlap; merged with touching neighbours. */
HIDDEN int fsetins(FreeSet *s, uint64_t start, uint64_t len);
/* Take a range out: must lie entirely inside free space; may split one. */
HIDDEN int fsetrm(FreeSet *s, uint64_t start, uint64_t len);
HIDDEN bool fsetisfree(const FreeSet *s, uint64_t addr);
/* The range holding addr, else the first one after it: 0, or -1 if none. */
HIDDEN int fsetfind(const FreeSet *s, uint64_t addr, uint64_t *start, uint64_t *len);
/* The highest range: 0, or -1 when the set is empty. */
HIDDEN int fsetlast(const FreeSet *s, uint64_t *start, uint64_t *len);
HIDDEN int fsetfirst(const FreeSet *s, uint64_t *start, uint64_t *len);
/* In address order; a non-zero return of fn stops the walk and is returned. */
HIDDEN int fsetwalk(const FreeSet *s, FsetFn fn, void *arg);
HIDDEN uint64_t fsetcount(const FreeSet *s);		/* ranges */
HIDDEN uint64_t fsetbytes(const FreeSet *s);		/* total free bytes */

/* Rebuild arena ai's free set, used, logtail, tailsz, stopoff, nlog and
 * nent from its log (§6.4), given addr, size and hdr.  Fails (EBADMSG)
 * naming the log block and entry offset on: a block that is not Tlog, a
 * bad entry, an alloc of space not entirely free, a free overlapping free
 * space or outside the data area, a chain leaving the arena's data area
 * or a cycle; a logh mismatch unless the
 * barrier that ends replay lies in that block (then reported) or
 * opts.ignhash.  Warns when the header's used differs from the result. */
HIDDEN int replay(Gefs *fs, int ai);

/* The allocation-log chain walk (arena.c): the one walker the loader
 * (replay), the checker and gefs-dump (gefs_walklog) consume.  It checks
 * every link (aligned, in the arena's data area, not seen before), reads
 * and decodes each block, finds the barrier that ends replay (§6.4) and a
 * tail torn by an interrupted commit, and reports each block and entry as
 * an item. */
enum {
	LWALL	= 1 << 0,	/* report the rest of the stop block, as ignored */
	LWGOON	= 1 << 1,	/* report damage as items (LOGD*) and go on
				 * where the format allows, instead of failing */
	LWTHRU	= 1 << 2,	/* no barrier stops the walk (qgen ignored) */
};
/* Items of an LWGOON walk after the public GEFS_LOG* kinds.  A chain
 * item ends the walk; the block items come after the block's entries. */
enum {
	LOGDADDR = 100,	/* link blk outside the data area (from: who names it, NONE: the header) */
	LOGDCYCLE,	/* link blk reached twice */
	LOGDREAD,	/* blk cannot be read or is not a log block (why) */
	LOGDENTRY,	/* entry at off does not decode (why); the walk ends with this block */
	LOGDTORN,	/* the tail is torn at off (why): replay ends there, as at a barrier */
	LOGDHASH,	/* logh mismatch no barrier or tear explains: the walk goes on */
	LOGDHASHSTOP,	/* logh mismatch in the block of the stop barrier: tolerated (§6.4) */
	LOGBLKEND,	/* the last item of a block whose header decoded */
};
typedef struct LogItem {
	GefsLogItem	it;		/* blk, seq, hdr, hashok, off, ent, kind */
	uint64_t	from;		/* LOGDADDR, LOGDCYCLE: the block naming blk */
	const char	*why;		/* LOGDREAD, LOGDENTRY, LOGDTORN */
	int		w;		/* the entry's width (entry items) */
	const uint8_t	*buf;		/* the block, from GEFS_LOGBLOCK to LOGBLKEND */
} LogItem;
typedef int (*ItemFn)(Gefs *fs, void *arg, const LogItem *it);
/* Where a walk ended. */
typedef struct LogEnd {
	uint64_t	tail;		/* last block walked whole (NONE: none) */
	uint16_t	tailsz;		/* its logsz, truncated at the stop */
	uint64_t	stopoff;	/* the stop (barrier or tear) offset, NONE: none */
	uint64_t	nlog;		/* blocks walked whole */
	bool		torn;		/* the stop is the tear of a torn tail */
	bool		chainend;	/* the chain's NONE was reached (no stop, no damage) */
} LogEnd;
/* What to walk: the chain from head in an arena of size bytes, stopping
 * at the first LogSync >= qgen. */
typedef struct LogWalk {
	uint64_t	head, size, qgen;
	int		mode;		/* LW* */
	ItemFn		fn;
	void		*arg;
} LogWalk;
/* A walk of arena ai's log as loaded (its header's head, size, sb.qgen). */
HIDDEN LogWalk logwalkof(Gefs *fs, int ai, int mode, ItemFn fn, void *arg);
/* Walk; a non-zero return of fn ends the walk and is returned.  -1 with
 * fs->err on damage (without LWGOON) or out of memory. */
HIDDEN int walklog(Gefs *fs, int ai, const LogWalk *w, LogEnd *end);

/* ------------------------------------------------------------------ */
/* logw / commit / treebuild — the write side (logw.c, commit.c,      */
/* treebuild.c)                                                       */
/* ------------------------------------------------------------------ */

/* Open arena ai's log tail for appending: the block where replay stopped,
 * truncated at the barrier (tailsz) with its chain reset to NONE (§6.4).
 * Needs a replayed arena (free set, logtail, tailsz). */
HIDDEN int logopen(Gefs *fs, int ai);
/* Append one entry to arena ai's log, rolling over to a new block taken
 * from the top of the arena when the tail is full (§6.3). */
HIDDEN int logappend(Gefs *fs, int ai, const GefsLogEnt *le);
/* Recompute the open tail's logh (before it is written). */
HIDDEN int logseal(Gefs *fs, int ai);
/* Drop the references to open tails (their dirty contents stay cached). */
HIDDEN void logclose(Gefs *fs);
HIDDEN void logclose1(Gefs *fs, int ai);
/* Allocate the highest free block of arena ai, logging LogAlloc1. */
HIDDEN int blkalloc(Gefs *fs, int ai, uint64_t *addr);
/* Free one data-area block, logging LogFree1; EBADMSG if already free. */
HIDDEN int blkfree(Gefs *fs, uint64_t addr);
/* May block addr hold a new log block?  (It must not be referenced by the
 * committed state: the old state stays loadable until the commit.) */
typedef bool (*LogUsable)(void *arg, uint64_t addr);
/* Replace arena ai's log by a compressed one listing exactly the free
 * ranges of nf (§6.5): the lowest usable blocks of nf are taken, unlogged,
 * for the new chain; the ones not needed are freed again.  The arena's
 * free set becomes nf, used and loghd follow, the last new block is the
 * open tail.  nf is consumed (adopted or freed) in every case; after an
 * error the arena must not be committed.  The old chain is not freed. */
HIDDEN int logrebuild(Gefs *fs, int ai, FreeSet *nf, LogUsable ok, void *arg);

/* commit.c: publish the state in fs atomically (§15.2, §15.5): LogSync(Q)
 * with Q = qgen + 1 appended to every arena's log (tails opened as
 * needed), tails and queued blocks written, then headers, superblock 0,
 * superblock 1 and footers, each stage followed by a flush.  The
 * superblock is packed from fs->sb (qgen and arena hashes filled in) on
 * top of the copy in use, and written identically to both addresses.
 * On success fs->sb.qgen is Q.  After a failure the image holds the old
 * or the new state; the handle must not commit again. */
HIDDEN int commit(Gefs *fs);

/* treebuild.c: write a new tree holding the n pairs kv (strictly
 * increasing keys), every node from alloc, pointers stamped with gen;
 * nodes are queued dirty in STAGE_DATA.  Sets the root pointer (with its
 * hash) and the height. */
typedef int (*TreeAlloc)(void *arg, uint64_t *addr);
HIDDEN int treebuild(Gefs *fs, const GefsKv *kv, size_t n, uint64_t gen, TreeAlloc alloc, void *arg,
	GefsBptr *root, int *ht);

/* ------------------------------------------------------------------ */
/* tree / snap / fs — reading trees and files (tree.c, snap.c, fs.c,  */
/* sha256.c)                                                          */
/* ------------------------------------------------------------------ */

/* An opened tree: a file-system tree (its snapshot record) or the
 * snapshot tree (a record synthesized from the superblock, gen -1). */
struct GefsTree {
	Gefs		*fs;
	GefsSnap	snap;		/* root, ht, gen, ... (the current root while
					 * an edit is open) */
	bool		snaptree;
	/* --- write state (session.c, upsert.c) --- */
	bool		dirty;		/* root changed since commit */
	bool		writable;	/* opened through a mutable label, rdwr */
	int		ref;		/* handles sharing this tree (gefs_opentree) */
	GefsSnap	orig;		/* the record as committed (o of §13.4) */
	uint64_t	wgen;		/* record gen the next commit gives it
					 * (GEFS_NONE until it becomes dirty) */
	char		label[GEFS_LABELMAX + 1];
	uint32_t	lflags;		/* the label's flags */
	GefsTree	*next;		/* the handle's list of writable trees */
	/* --- reading past damage (gefs_tolerate) --- */
	GefsDamageFn	dmfn;
	void		*dmarg;
	uint64_t	ndamage;	/* reports so far */
	const char	*dmpath;	/* the path being read (gefs_manifest) */
	size_t		ndmpath;
};

/* Make t a tree over root/ht; checks 1 <= ht <= GEFS_MAXHT and that
 * root.addr is not NONE (EBADMSG naming what). */
HIDDEN int treeinit(GefsTree *t, Gefs *fs, const GefsBptr *root, int ht, const char *what);
/* Read the node bp points to at depth d of t and check that its type
 * fits the level (§8.5 rule 1); referenced until putblk. */
HIDDEN Blk *loadnode(GefsTree *t, const GefsBptr *bp, int d, GefsNode *n);
/* Point lookup (§11.2) into v (GEFS_INLMAX bytes): 0 found, 1 absent
 * (no error set), -1 error in fs->err. */
HIDDEN int treeget(GefsTree *t, const uint8_t *k, size_t nk, uint8_t *v, uint16_t *nv);
/* Report damage dm (kind, addr, keys or data filled) to t's damage
 * callback with the handle's error as the reason; counts it. */
HIDDEN void treedamage(GefsTree *t, GefsDamage *dm);
/* Apply message m, buffered in node addr, to the value (*found, v, *nv),
 * §10.1–§10.3; v holds GEFS_INLMAX bytes.  -1 (EBADMSG) on an invalid
 * sequence or operand, naming the key and the node. */
HIDDEN int applymsg(Gefs *fs, const GefsMsg *m, uint64_t addr, bool *found, uint8_t *v, uint16_t *nv);
/* A printable rendering of key k for messages ("Kent(0x3, \"x\")"); buf
 * should hold 96 bytes or more (longer names are cut). */
HIDDEN const char *fmtkey(char *buf, size_t n, const uint8_t *k, size_t nk);

/* ------------------------------------------------------------------ */
/* The write engine: allocation (arena.c), release and deadlists      */
/* (snap.c), copy-on-write upsert (upsert.c), the edit session and    */
/* commit of dirty trees (session.c).  docs/ENGINE-NOTES.md.          */
/* ------------------------------------------------------------------ */

/* The allocation hook (like ext2fs_set_alloc_block_callback): when set,
 * blknew asks it for every new block instead of choosing one itself; it
 * must return a block the committed state does not use, already removed
 * from whatever free map it keeps (the caller logs nothing for it). */
typedef int (*AllocHook)(void *arg, uint64_t *addr);
HIDDEN void setallochook(Gefs *fs, AllocHook fn, void *arg);

/* A deadlist being appended to in this edit (snap.c): Kdlist(gen, bgen)
 * as committed (ohd/otl, NONE when absent) and its new blocks, prepended
 * (§7): hd the block being filled (cursz body bytes), tl the oldest. */
typedef struct Dl {
	uint64_t	gen, bgen;
	uint64_t	hd, tl;		/* the list as it will be committed */
	uint16_t	cursz;		/* body bytes of hd when it is new */
	bool		hdnew;		/* hd is a block of this edit */
	bool		existed;	/* the committed state has this Kdlist */
	bool		changed;	/* needs its Kdlist rewritten */
	bool		gone;		/* deleted (merged or freed) */
} Dl;

/* The write state of a handle opened rdwr (session.c owns it; arena.c,
 * snap.c and upsert.c keep their parts here). */
struct Edit {
	uint64_t	wgen;		/* the open generation */
	bool		wgenused;	/* a dirty tree took wgen as its record gen */
	uint64_t	lastgen;	/* the highest generation drawn (if wgenused) */
	uint64_t	committed;	/* nextqid as committed */
	bool		snapdirty;	/* labels changed the snapshot tree */
	uint64_t	nappend;	/* log entries appended (logw.c) */
	uint64_t	mark;		/* nappend right after the last commit */
	bool		broken;		/* a commit failed: the latch */
	/* arena.c */
	uint32_t	rr;		/* §5.5 arena choice counter */
	bool		reserve;	/* allocations may dip into the §5.4 reserve */
	AllocHook	hook;
	void		*hookarg;
	FreeSet		*fresh;		/* blocks allocated since the last commit */
	uint64_t	*pend;		/* committed blocks to free after the commit */
	size_t		npend, cappend;
	/* snap.c */
	Dl		*dl;		/* sorted by (gen, bgen) */
	size_t		ndl, capdl;
	/* session.c */
	GefsTree	*trees;		/* writable trees (shared, refcounted) */
};

/* session.c: set up / tear down the edit state of a rdwr handle (called
 * by gefs_open and gefs_close). */
HIDDEN int editopen(Gefs *fs);
/* A generation for a new snapshot record: the open generation first,
 * then fresh ones (sb.nextgen is raised past them by the commit). */
HIDDEN uint64_t drawgen(Gefs *fs);
/* An in-memory commit before a snapshot of a dirty tree: every dirty
 * tree becomes its record now, and blocks born so far stop being freeable
 * at once; a newer open generation is drawn (session.c). */
HIDDEN int editfold(Gefs *fs);
/* load.c: drop the loaded state (and every cached block, dirty ones
 * included) and load the committed state again. */
HIDDEN int reload(Gefs *fs);
HIDDEN void editclose(Gefs *fs);
/* arena.c: apply the pending frees once a commit is durable; forget the
 * blocks born in the edit. */
HIDDEN int allocdone(Gefs *fs);

/* The open generation (sb.nextgen at open, the gen every new block of a
 * file-system tree carries; a new one is drawn after each commit). */
HIDDEN uint64_t opengen(Gefs *fs);
/* Allocate one block for new contents (arena choice §5.5, reserve §5.4:
 * only releases may dip into the reserve, see setreserve), logged in the
 * arena log, remembered as born in this edit (freed at once if released
 * before the commit).  ENOSPC naming the arenas tried. */
HIDDEN int blknew(Gefs *fs, uint64_t *addr);
/* blknew for a data block of file qid (§5.5: the arena follows the
 * qid; a write that reaches the block's end takes the lowest free block,
 * so a file written in order lies in ascending runs). */
HIDDEN int blknewdat(Gefs *fs, uint64_t qid, bool full, uint64_t *addr);
/* Allow (on) or forbid allocations from the §5.4 reserve: set around
 * deletes so that a full image can still be cleaned up. */
HIDDEN void setreserve(Gefs *fs, bool on);
/* Was addr allocated by blknew since the last commit? */
HIDDEN bool blkfresh(Gefs *fs, uint64_t addr);
/* Free a block blknew gave out in this edit (nothing committed can see
 * it): logged, reusable at once, its cached copy dropped. */
HIDDEN int freefresh(Gefs *fs, uint64_t addr);
/* snap.c: release a block reachable from tree t (or the snapshot tree
 * when t is NULL or t->snaptree), §14.1: born in this edit -> freed now (reusable,
 * its cached copy dropped); a snapshot-tree or deadlist block of the
 * committed state -> pending, freed once the commit that drops it is
 * durable; an older block of a file-system tree -> killed into the
 * deadlist Kdlist(t->wgen, bp->gen) when bp->gen > base (§14.2), else
 * nothing. */
HIDDEN int blkrelease(Gefs *fs, GefsTree *t, const GefsBptr *bp);
/* Free a block of the committed state after the commit that drops it is
 * durable (the pending-free list). */
HIDDEN int blkdefer(Gefs *fs, uint64_t addr);
/* Write one data block (GEFS_BLKSZ bytes) to a new block: *bp gets addr,
 * hash and gen (opengen); queued dirty in STAGE_DATA (the cache writes it
 * out early in the data stage when full; memory never grows with the
 * edit). */
HIDDEN int datawrite(Gefs *fs, const uint8_t *buf, GefsBptr *bp);
/* fswrite.c: put the files queued in fs's open batches into their trees
 * (gefs_commit, first), or drop them (gefs_abort: their blocks go). */
HIDDEN int batchesflush(Gefs *fs);
HIDDEN void batchesdrop(Gefs *fs);
/* datawrite of a block of file qid placed by blknewdat (full: the write
 * reaches the block's end): the n bytes of buf (n <= GEFS_BLKSZ), zeros
 * after them. */
HIDDEN int datawriteq(Gefs *fs, uint64_t qid, bool full, const uint8_t *buf, size_t n, GefsBptr *bp);

/* Apply n messages (any order; sorted stably by key here) to t
 * copy-on-write (§11.4): batched into the root's buffer, flushed to the
 * child receiving the most bytes, applied at leaves, splits, new root;
 * every touched node rewritten to a new block born in fs's open
 * generation (gen 0 in the snapshot tree), hashes/fills/gen set in the
 * parent pointers; the old node released (blkrelease).  Marks t dirty.
 * -1 with fs->err on error (EROFS for a tree not open for writing,
 * ENOSPC, EBADMSG naming block and field). */
HIDDEN int treeupsert(GefsTree *t, const GefsMsg *m, int n);

/* snap.c: deadlists being appended to in this edit; written by the
 * commit (dlflush) as Tdlist blocks and Kdlist messages. */
HIDDEN int dlkill(Gefs *fs, uint64_t gen, uint64_t bgen, uint64_t addr);
/* The edit's entry for Kdlist(gen, bgen), loaded from the committed
 * snapshot tree (or empty) on first use; NULL with fs->err. */
HIDDEN Dl *dlget(Gefs *fs, uint64_t gen, uint64_t bgen);
/* Merge Kdlist(gen, bgen) into Kdlist(dgen, bgen) (§14.4), never
 * rewriting a committed block. */
HIDDEN int dlmerge(Gefs *fs, uint64_t gen, uint64_t dgen, uint64_t bgen);
/* §14.4 reclaimblocks(g, s, p) (s -1: no successor); frees deferred to
 * after the commit. */
HIDDEN int reclaim(Gefs *fs, int64_t g, int64_t s, int64_t p);
/* A batch of snapshot-tree messages (keys and values copied in). */
typedef struct Batch Batch;
HIDDEN Batch *batchnew(Gefs *fs);
HIDDEN void batchfree(Batch *b);
HIDDEN int batchadd(Gefs *fs, Batch *b, int op, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv);
/* Queue Orelink/Oreprev(gen; link, dlbl, dref) (§10.4). */
HIDDEN int batchrelink(Gefs *fs, Batch *b, int op, int64_t gen, int64_t link, int dlbl, int dref);
/* The batch as messages (*m malloc'd, pointing into b): the count, 0 for
 * none, -1 on error. */
HIDDEN int batchmsgs(Gefs *fs, Batch *b, GefsMsg **m);
/* Seal the edit's deadlist blocks and add their Kdlist changes to b. */
HIDDEN int dlflush(Gefs *fs, Batch *b);
/* session.c: upsert b into the snapshot tree; the new root goes to
 * fs->sb. */
HIDDEN int batchapply(Gefs *fs, Batch *b);

/* fs.c: free the parsed users table (gefs_close calls it). */
HIDDEN void usersfree(Gefs *fs);
/* Walk path from the root as gefs_walk does; k/nk (GEFS_KEYMAX bytes)
 * receive the entry's Kent key. */
HIDDEN int walkent(GefsTree *t, const char *path, uint8_t *k, size_t *nk, GefsXdir *d);
/* The id of user name in the users table (parsed on first use): 0, or -1
 * (ENOENT naming the user). */
HIDDEN int userid(Gefs *fs, const char *name, int32_t *id);
/* Replace the users table by the one parsed from text (0, or -1 ENOMEM). */
HIDDEN int usersset(Gefs *fs, const char *text, size_t n);
/* Judge users-file text as the reference's loader does (§16): at least
 * four fields per line, every leader and member defined, no leader none.
 * NULL when it parses, else why (nwhy bytes) holding the first problem. */
HIDDEN const char *userscheck(const char *text, size_t n, char *why, size_t nwhy);

/* sha256.c: FIPS 180-4 SHA-256. */
typedef struct Sha256 {
	uint32_t	h[8];
	uint64_t	len;
	uint8_t		buf[64];
	size_t		nbuf;
} Sha256;
HIDDEN void sha256init(Sha256 *s);
HIDDEN void sha256update(Sha256 *s, const void *p, size_t n);
HIDDEN void sha256final(Sha256 *s, uint8_t out[32]);
HIDDEN void sha256hex(const uint8_t d[32], char hex[65]);

#endif
