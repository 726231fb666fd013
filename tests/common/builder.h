/* SPDX-License-Identifier: MIT */
/*
 * builder.h — the test image builder (tests/common, library gefstest).
 *
 * Builds small, structurally rich gefs images in memory directly over the
 * pack API (gefs.h), laying every block out explicitly, so tests can make
 * any shape — including ones the engine never produces, and, after
 * bldfinish, corrupted ones (bldpoke/bldrehash).  Not the engine: no
 * flushing, no splitting policy, no commits.  Deterministic: the same calls
 * with the same options give the same bytes.
 *
 * Typical use:
 *	Bld *b = bldnew(NULL);			// 2 arenas of 64 blocks
 *	BldTree *t = bldtnew(6);		// working generation 6
 *	bldfs_root(b, t, 0);
 *	bldfs_file(b, t, 0, "a", 3, 0644, "hi", 2);
 *	bldtree(b, t, 2, 0);			// root + height in t->root, t->ht
 *	BldTree *s = bldtnew(0);		// the snapshot tree
 *	bldsnap_label(s, "main", 6, GEFS_LMUT);
 *	bldsnap_rec(s, 6, 0, 1, 0, 0, -1, 0, t);
 *	... adm, empty (or bldfs_adm / bldstd for the whole lot) ...
 *	bldsnaptree(b, s, 1, 0);
 *	bldfinish(b);				// logs, arena headers, superblocks
 *	bldwrite(b, "x.img");
 *	bldfree(b);
 *
 * ERRORS.  Calls return 0 / a pointer on success and -1 / NULL on failure
 * (out of arena space, a node that does not fit, bad arguments).  A Bld
 * error is sticky: once a call failed, later calls on that Bld fail too and
 * bldfinish returns -1; blderr(b) gives the first message.  Nothing aborts.
 *
 * Addresses are byte addresses as in FORMAT.md; every block this builder
 * writes is also recorded in a block map (kind, depth, generation) and its
 * references in a reference list (which block points at it, and where),
 * so bldrehash can carry a modified block's hash up to the superblock.
 */
#ifndef GEFS_BUILDER_H
#define GEFS_BUILDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "gefs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Bld Bld;
typedef struct BldTree BldTree;

/* ------------------------------------------------------------------ */
/* Image geometry and log options                                     */
/* ------------------------------------------------------------------ */

/* Allocation policies inside an arena. */
enum {
	BLD_ALLOCLOW	= 0,	/* lowest free block (default) */
	BLD_ALLOCHIGH	= 1,	/* highest free block (reference metadata style) */
	BLD_ALLOCSCATTER = 2,	/* a seeded pseudo-random free block: fragments */
};

/* Log styles. */
enum {
	BLD_LOGNORMAL	= 0,	/* LogFree(data area), LogAlloc(first log block), one
				 * LogAlloc1/LogFree1 per builder event, rollovers */
	BLD_LOGCOMPRESS	= 1,	/* a list of LogFree ranges (§6.5); log blocks unlogged */
};

typedef struct BldOpts {
	int		narena;		/* 1..255; 0 = 2 */
	uint64_t	arenablks;	/* arena size S in blocks (>= 8); 0 = 64 */
	int		alloc;		/* BLD_ALLOC* */
	uint64_t	seed;		/* for BLD_ALLOCSCATTER */
	int		logstyle;	/* BLD_LOG* */
	int		logbudget;	/* body bytes per log block (>= 40); 0 = 16348.
					 * A small budget makes multi-block chains. */
	uint64_t	qgen;		/* superblock qgen */
	bool		sync;		/* end every log with LogSync(qgen) */
	int		oldsync;	/* insert LogSync(qgen-1) every oldsync entries
					 * (needs qgen >= 1); 0 = none */
	int		garbage;	/* entries after the final barrier (needs sync):
					 * invalid if replayed, ignored on load */
	int		userarena;	/* >= 0: put every non-log block in this arena;
					 * -1 = round-robin over the arenas (bldinitopts
					 * sets -1; a zeroed BldOpts means arena 0) */
} BldOpts;

/* Defaults: 2 arenas of 64 blocks, low allocation, normal logs, no sync. */
void bldinitopts(BldOpts *o);

/* ------------------------------------------------------------------ */
/* The image                                                          */
/* ------------------------------------------------------------------ */

/* A new image: zeroed, superblock defaults (nextqid 3, nextgen 3, qgen
 * from opts), first log block of every arena reserved at H_i + 2B.
 * o may be NULL (defaults).  NULL only on a bad option or no memory. */
Bld *bldnew(const BldOpts *o);
void bldfree(Bld *b);
/* First error message, "" when none. */
const char *blderr(Bld *b);

/* Geometry. */
uint64_t bldsize(Bld *b);			/* image bytes */
int bldnarena(Bld *b);
uint64_t bldarenaaddr(Bld *b, int i);		/* header address H_i */
uint64_t bldarenasz(Bld *b);			/* S, bytes */
/* The superblock fields bldfinish packs; tests may change any of them
 * (nextqid, nextgen, qgen, flag, blksz, ...) before bldfinish. */
GefsSb *bldsb(Bld *b);

/* Allocate one block (the arena by opts.userarena / round-robin, the block
 * by opts.alloc) and record kind and generation; GEFS_NONE on failure.
 * arena < 0 = by policy. */
uint64_t bldalloc(Bld *b, int kind, int arena, uint64_t gen);
/* Free a block the builder allocated (normal logs get a LogFree1). */
int bldrelease(Bld *b, uint64_t addr);
/* Pointer to the block's 16 KiB in the image, NULL if out of range. */
uint8_t *bldblkp(Bld *b, uint64_t addr);
/* Write a raw data block (16 KiB, or n < 16 KiB zero-padded) into a new
 * block of generation gen; *bp gets (addr, blkhash, gen). */
int blddata(Bld *b, const void *p, size_t n, uint64_t gen, GefsBptr *bp);

/* Write the logs, arena headers and footers and both superblocks.  After
 * this the image is complete and valid (unless the test built something
 * invalid on purpose); only bldpoke/bldrehash/bldwrite remain. */
int bldfinish(Bld *b);
/* Write the image to path (created/truncated). */
int bldwrite(Bld *b, const char *path);
/* The image bytes (bldsize long). */
uint8_t *bldimg(Bld *b);

/* ------------------------------------------------------------------ */
/* Block map and references                                           */
/* ------------------------------------------------------------------ */

enum {
	BLD_BFREE	= 0,	/* never written or released */
	BLD_BSUPER,		/* superblock copy */
	BLD_BARENA,		/* arena header */
	BLD_BFOOTER,		/* arena footer */
	BLD_BLOG,		/* Tlog */
	BLD_BDLIST,		/* Tdlist */
	BLD_BPIVOT,
	BLD_BLEAF,
	BLD_BDATA,
	BLD_BRESV,		/* the two never-freed blocks at the end of an arena */
	BLD_BUSER,		/* allocated with no structure (tests' own use) */
	BLD_NKIND
};
const char *bldkindname(int kind);

typedef struct BldInfo {
	int		kind;		/* BLD_B* */
	int		depth;		/* tree nodes: depth (root 0); else -1 */
	int		tree;		/* tree nodes: id of the BldTree build, else -1 */
	uint64_t	gen;
} BldInfo;
/* Map entry of the block at addr (kind BLD_BFREE when unknown). */
BldInfo bldinfo(Bld *b, uint64_t addr);

/* Reference kinds: where the pointer to a block lives. */
enum {
	BLD_RPIVOT,	/* child Bptr in a pivot entry: hash valid */
	BLD_RKDAT,	/* Kdat value Bptr in a leaf entry: hash valid */
	BLD_RMSG,	/* Bptr in a buffered message value (Kdat Oinsert, or the
			 * root in a Ksnap Oinsert): hash valid */
	BLD_RSNAP,	/* root Bptr of a Ksnap record in a leaf entry: hash valid */
	BLD_RSBSNAP,	/* superblock snapshot-tree root (both copies) */
	BLD_RSBARENA,	/* superblock arena table (both copies) */
	BLD_RCHAIN,	/* log/deadlist chain pointer: no hash */
	BLD_RDLIST,	/* Kdlist hd/tl: no hash */
	BLD_RLOGHD,	/* arena header loghd: no hash */
};

typedef struct BldRef {
	uint64_t	child;
	uint64_t	parent;		/* block holding the pointer (0 for RSB*) */
	int		kind;		/* BLD_R* */
	int		slot;		/* entry / message index, or arena index */
	uint32_t	off;		/* byte offset of the Bptr (its addr field) in parent */
} BldRef;
/* Up to max references to child into out; returns the total count. */
size_t bldrefs(Bld *b, uint64_t child, BldRef *out, size_t max);

/* ------------------------------------------------------------------ */
/* Mutation after bldfinish (corruption tests, sweeps, fuzz seeds)   */
/* ------------------------------------------------------------------ */

enum {
	BLD_HASHFIX	= 0,	/* bldpoke re-hashes up the chain (default) */
	BLD_HASHSKIP	= 1,	/* bldpoke leaves every hash as built */
};
void bldhashmode(Bld *b, int mode);

/* Overwrite n bytes at offset off of block addr; then, in BLD_HASHFIX
 * mode, bldrehash(b, addr). */
int bldpoke(Bld *b, uint64_t addr, size_t off, const void *p, size_t n);

/* Make a modified block's hashes right again all the way up: a log or
 * deadlist block gets its logh (over its stored logsz, clamped); a
 * superblock copy its sbhash (stored narena, clamped); an arena header its
 * superblock table hash (then both superblocks); a tree node or data block
 * its hash in every pointer to it (pivot entry, Kdat value, message, Ksnap
 * record, superblock), then each parent in turn.  Uses the recorded
 * reference offsets, not the (possibly corrupt) parent contents. */
int bldrehash(Bld *b, uint64_t addr);

/* ------------------------------------------------------------------ */
/* Trees                                                              */
/* ------------------------------------------------------------------ */

/*
 * A tree spec: key/values and buffered messages, then bldtree lays out a
 * tree of the requested height.  Leaves are packed in key order up to the
 * fill target; pivots above with K_i = min(child's first entry key,
 * child's first message key) (§8.5); each message for key k at depth d
 * goes into the depth-d pivot on k's path (keys below every leaf go to the
 * leftmost path).  Results are left in the public fields.
 */
enum { BLD_MAXHT = 16 };

struct BldTree {
	/* settings (bldtnew sets defaults; change before adding) */
	uint64_t	gen;		/* node generation (working generation) */
	int		msgdepth;	/* bldfs_*: -1 = emit entries (default);
					 * >= 0 = emit Oinsert messages at this depth */
	int32_t		uid, gid, muid;	/* bldfs_* Xdir ids; default -1, -1, 0 */
	int64_t		mtime;		/* bldfs_* atime/mtime (ns); default 0 */
	int		pivfanout;	/* max children per pivot; 0 = from height */
	/* results of bldtree */
	GefsBptr	root;		/* addr NONE before bldtree */
	int		ht;
	uint16_t	rootfill;
	int		id;		/* tree id in the block map */
	size_t		nnode[BLD_MAXHT];	/* nodes per depth */
	uint64_t	*node[BLD_MAXHT];	/* their addresses, key order */
	/* private */
	struct BldKv	*kv;
	size_t		nkv, kvcap;
	struct BldMsg	*msg;
	size_t		nmsg, msgcap;
	int		failed;
};

BldTree *bldtnew(uint64_t gen);
void bldtfree(BldTree *t);
/* Add a leaf key/value (any order; bldtree sorts; a duplicate key fails
 * bldtree).  nk <= 256, nv <= 512 is NOT enforced here, so invalid shapes
 * can be built: oversize pairs fail only if they do not fit a node. */
int bldkv(BldTree *t, const void *k, size_t nk, const void *v, size_t nv);
/* Add a message for the depth-`depth` pivot (0 = root).  Messages keep
 * their order of addition among equal keys. */
int bldmsg(BldTree *t, int depth, int op, const void *k, size_t nk, const void *v, size_t nv);
/* Lay the tree out: height >= 1, leaffill = target leaf fill in bytes
 * (2·nval + valsz; 0 = as full as fits).  Fails when the entries need
 * more than one root at that height, a message depth is >= height-1, or a
 * node overflows.  Sets t->root, t->ht, t->rootfill and the node lists. */
int bldtree(Bld *b, BldTree *t, int height, int leaffill);

/* ------------------------------------------------------------------ */
/* File-system trees (§12)                                            */
/* ------------------------------------------------------------------ */

/* Root directory entry Kent(NONE, "") (qid, DMDIR|0775) + Kup(qid). */
int bldfs_root(Bld *b, BldTree *t, uint64_t qid);
/* Directory name in pqid: Kent + Kup.  mode gets DMDIR added. */
int bldfs_mkdir(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode);
/* Regular file: Kent with length len, and a data block of generation
 * t->gen for every 16 KiB block of data (data NULL = all holes). */
int bldfs_file(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode,
	const void *data, uint64_t len);
/* Same, with flags: BLD_FHOLES skips all-zero blocks (holes);
 * BLD_FNOKENT writes only the Kdat entries (orphan data). */
enum { BLD_FHOLES = 1, BLD_FNOKENT = 2 };
int bldfs_filex(Bld *b, BldTree *t, uint64_t pqid, const char *name, uint64_t qid, uint32_t mode,
	const void *data, uint64_t len, int flags);
/* One Kdat(qid, off) -> existing data block bp (for sharing blocks
 * between trees). */
int bldfs_dat(BldTree *t, uint64_t qid, uint64_t off, const GefsBptr *bp);
/* The formatter's users text for user "glenda" (41 bytes). */
extern const char bldusers[];
/* The adm tree: root qid 1, /users qid 2 with text (NULL = bldusers),
 * gen 0, height 1.  t must be fresh; built (bldtree) on return. */
int bldfs_adm(Bld *b, BldTree *t, const char *text);

/* ------------------------------------------------------------------ */
/* Snapshot tree (§9.5–§9.7, §13)                                     */
/* ------------------------------------------------------------------ */

int bldsnap_label(BldTree *st, const char *name, uint64_t gen, uint32_t flags);
/* Ksnap(gen) for the built tree ft (its root, ht). */
int bldsnap_rec(BldTree *st, uint64_t gen, int32_t nref, int32_t nlbl, int64_t pred, int64_t succ,
	int64_t base, const BldTree *ft);
/* Same from raw fields (any root/ht). */
int bldsnap_raw(BldTree *st, const GefsSnap *s);
/* Kdlist(gen, bgen) with a chain of Tdlist blocks listing the n addrs,
 * at most perblk per block (0 = as many as fit): first addresses in the
 * oldest (tail) block, hd = newest block (§7).  n = 0 gives hd = tl = NONE.
 * *hd (may be NULL) gets the head address. */
int bldsnap_dlist(Bld *b, BldTree *st, uint64_t gen, uint64_t bgen, const uint64_t *addrs, size_t n,
	int perblk, uint64_t *hd);
/* Build st (generation 0) and make it the superblock's snapshot tree. */
int bldsnaptree(Bld *b, BldTree *st, int height, int leaffill);

/* Every block reachable from a built tree's nodes (nodes, and the data
 * blocks of Kdat values and messages), appended to *v (realloc'd). */
int bldtreeblocks(Bld *b, const BldTree *t, uint64_t **v, size_t *n);

/* ------------------------------------------------------------------ */
/* Ready-made images                                                  */
/* ------------------------------------------------------------------ */

typedef struct BldStdOpts {
	BldOpts		img;		/* geometry/log options; arenablks 0 = grow
					 * until everything fits */
	uint64_t	seed;		/* file sizes, names, contents */
	int		nfiles;		/* 0 = 24 */
	int		height;		/* main tree height, 0 = 3 */
	bool		textdata;	/* file data as text lines (small when
					 * compressed) instead of random bytes */
} BldStdOpts;
void bldinitstd(BldStdOpts *o);	/* 4 arenas, seed 1, 24 files, height 3 */

/*
 * Standard image, a miniature of the reference images (gens: empty 0,
 * adm 1, snap1 4, main 6; nextgen 8):
 *	empty	immutable, its own root leaf (qid 0 root)
 *	adm	mutable, /users (qid 1 root, 2 users)
 *	snap1	immutable, an older main (height 2) sharing data blocks
 *	main	mutable, height opts.height: dirs, files with holes and
 *		multi-block data, messages buffered at every pivot level
 *		(Owstat touches, a file created by Oinsert Kent + Kdat)
 *	Kdlist(6, 4): snap1's tree nodes and overwritten data, 2-block chain
 * Finished (bldfinish done).  NULL with *e set on failure.
 */
Bld *bldstdimg(const BldStdOpts *o, GefsErr *e);
/* Same, written to path. */
int bldstd(const char *path, const BldStdOpts *o, GefsErr *e);
/*
 * Named kinds (what gefs-mkimg builds), all finished:
 *	std	bldstdimg
 *	empty	what a formatter writes: empty/adm/main, height-1 trees
 *	deep	main of height opts.height (0 = 4) with many small entries
 *		and messages at every pivot level
 *	snaps	a history of 4 snapshots sharing data blocks, deadlists per
 *		birth generation, snapshot tree of height 2
 *	logchain std with logbudget 96, old barriers, a final barrier and
 *		garbage after it, scattered allocation
 */
Bld *bldnamed(const char *kind, const BldStdOpts *o, GefsErr *e);
/* A one-line description of b ("4 arenas x 64 blocks, 123 used, ..."). */
void bldsummary(Bld *b, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* GEFS_BUILDER_H */
