/* SPDX-License-Identifier: MIT */
/*
 * check.h — private to the checker (check.c, ck*.c, problem.c): the
 * problem numbers.  Each names one row of the problem table in problem.c,
 * whose code ("SB0001"), severity, flags and description are public
 * (gefs_problems).  Codes are stable: never renumber, only append.
 */
#ifndef GEFS_CHECK_H
#define GEFS_CHECK_H

enum {
	/* in code order, so that the table (problem.c) is: a new code goes
	 * where it sorts, never renumbering a code (numbers are private) */
	PR_ARTYPE, PR_ARHASH, PR_ARNONE, PR_ARDIFFER, PR_ARSIZE, PR_ARUSED,
	PR_ARNOCOPY, PR_ARFOOTER, PR_ARSBCOPY, PR_ARLOADER,
	PR_CFRETAIN, PR_CFUNKNOWN, PR_CFABORT, PR_CFABORTFS, PR_CFABORTSN,
	PR_CKSKIP,
	PR_CRSB, PR_CRHDR, PR_CRFTR, PR_CRLOGNEW, PR_CRLOGTORN, PR_CRLOGCUT,
	PR_DLBGEN, PR_DLNOSNAP, PR_DLBLOCK, PR_DLHASH, PR_DLCYCLE, PR_DLSHARED,
	PR_DLCROSS, PR_DLFREE, PR_DLTWICE, PR_DLTAIL, PR_DLKIND, PR_DLOUTSIDE,
	PR_FSNOROOT, PR_FSROOTTYPE, PR_FSNAME, PR_FSQTYPE, PR_FSMODE,
	PR_FSDIRLEN, PR_FSQIDDUP, PR_FSNOKUP, PR_FSKUP, PR_FSPARENT, PR_FSCYCLE,
	PR_FSDATALIGN, PR_FSDATAEOF, PR_FSDATAORPHAN, PR_FSQIDHI, PR_FSDATADIR,
	PR_GNBLOCK, PR_GNNEXTGEN, PR_GNNEXTQID,
	PR_KVKEY, PR_KVTYPE, PR_KVSIZE, PR_KVVALUE, PR_KVOP, PR_KVINCREF,
	PR_KVQPATH, PR_KVWSTAT, PR_KVRELINK, PR_KVSEQ,
	PR_LGBLOCK, PR_LGHASH, PR_LGHASHTAIL, PR_LGENTRY, PR_LGDALLOC,
	PR_LGDFREE, PR_LGRANGE, PR_LGCYCLE, PR_LGADDR, PR_LGFREED,
	PR_LGNOBARRIER, PR_LGHDRFREE,
	PR_NDREAD, PR_NDHASH, PR_NDDECODE, PR_NDLEVEL, PR_NDORDER, PR_NDLOW,
	PR_NDHIGH, PR_NDFILL, PR_NDONE, PR_NDEMPTY, PR_NDMSGORDER,
	PR_NDMSGRANGE, PR_NDHEIGHT, PR_NDSNAPGEN, PR_SHHASH, PR_SHFILL,
	PR_SHGEN,
	PR_RFFREE, PR_RFADDR, PR_RFTWICE, PR_RFKIND, PR_RFLEAK, PR_RFDATAHASH,
	PR_RFDATAREAD,
	PR_RPNOCOMMIT, PR_RPUNSAFE,
	PR_SBMAGIC, PR_SBHASH, PR_SBBLKSZ, PR_SBBUFSPC, PR_SBNARENA, PR_SBFLAG,
	PR_SBSNAPDL, PR_SBORDER, PR_SBOUTSIDE, PR_SBDIFFER, PR_SBNONE,
	PR_SBBACKUP, PR_SBSNAPHT, PR_SBXREC, PR_SBREAD, PR_SBDLCHAIN,
	PR_SBSHORT, PR_SBREBUILD, PR_SBNOARENA, PR_SBNOROOT, PR_SBXLOST,
	PR_SNLABEL, PR_SNNOSNAP, PR_SNFLAGS, PR_SNKEYGEN, PR_SNNLBLHI,
	PR_SNNLBLLO, PR_SNNEG, PR_SNNREF, PR_SNPRED, PR_SNSUCC, PR_SNORDER,
	PR_SNREQUIRED, PR_SNROOT, PR_SNTREE, PR_SNKEEP,
	PR_USMISSING, PR_USTYPE, PR_USPARSE, PR_USUNDEF,
	NPROBLEM
};

/* ---- the checker's state, shared by check.c and the pass files ---- */

/* bmap.c: a byte per block, memory only where neighbours differ (see
 * there).  Block numbers, not addresses.  Updates fail only for want of
 * memory. */
typedef struct Bmap Bmap;
HIDDEN Bmap *bmnew(uint64_t n);
HIDDEN void bmfree(Bmap *m);
HIDDEN void bmclear(Bmap *m);
HIDDEN uint64_t bmbytes(const Bmap *m);
HIDDEN uint8_t bmget(const Bmap *m, uint64_t b);
/* Every byte v of [lo, hi) becomes (v & and) | or. */
HIDDEN int bmupdate(Bmap *m, uint64_t lo, uint64_t hi, uint8_t and, uint8_t or);
HIDDEN int bmput(Bmap *m, uint64_t b, uint8_t v);
HIDDEN int bmor(Bmap *m, uint64_t b, uint8_t v);	/* byte |= v */
/* The byte of block b; *n (at least 1) blocks from b on, below hi, have it. */
HIDDEN uint8_t bmrun(const Bmap *m, uint64_t b, uint64_t hi, uint64_t *n);

/* Per-block map: one byte per device block. */
enum {
	KNONE	= 0,	/* nothing seen */
	KSB	= 1,	/* superblock */
	KHDR	= 2,	/* arena header or footer */
	KLOG	= 3,	/* allocation-log block */
	KDCHAIN	= 4,	/* deadlist chain block */
	KSNODE	= 5,	/* snapshot-tree node */
	KFNODE	= 6,	/* file-system tree node */
	KDATA	= 7,	/* file data block */
	KMASK	= 7,
	MALLOC	= 1 << 3,	/* allocated according to the logs */
	MDLIST	= 1 << 4,	/* listed in a deadlist */
	MAREA	= 1 << 5,	/* inside an arena's data area */
	MTAIL	= 1 << 6,	/* one of an arena's two never-freed last blocks */
};

typedef struct Snaprec {
	GefsSnap	s;
	uint32_t	nlabel;		/* labels pointing here */
	char		*name;		/* first such label, or NULL */
	bool		bad;		/* record unusable: tree not walked */
	bool		treebad;	/* raw walk found structural errors */
} Snaprec;

typedef struct Labelrec {
	char		*name;
	uint64_t	gen;
	uint32_t	flags;
	bool		moved;		/* cklabel.c: to be re-pointed ... */
	uint64_t	newgen;		/* ... at this snapshot */
} Labelrec;

typedef struct Dlrec {
	uint64_t	gen, bgen;
	GefsDlist	d;
} Dlrec;

typedef struct Fix {
	uint64_t	dst;		/* block to overwrite */
	int		pr;		/* the problem it repairs */
	uint8_t		*buf;		/* its new contents (16 KiB, owned) */
} Fix;

typedef struct Held {
	int		pr;
	uint64_t	addr;
	int		pass;
	char		*msg;
} Held;

typedef struct Check {
	Gefs		*fs;
	const char	*path;
	GefsCheckOpts	o;
	GefsCheckStats	*st;
	GefsErr		*e;
	int		pass;
	uint64_t	nblk;		/* device blocks */
	uint64_t	sbaddr[2];
	Bmap		*map;		/* nblk bytes, K* | M* */
	Bmap		*cur;		/* 1: reached in the current tree */
	uint8_t		*sbblk[2];	/* raw superblock blocks */
	bool		arbad;		/* an arena could not be replayed */
	bool		stop;		/* fatal problem or cancelled */
	Fix		*fix;
	size_t		nfix;
	Snaprec		*snap;		/* by gen */
	size_t		nsnap;
	Labelrec	*label;
	size_t		nlabel;
	Dlrec		*dl;
	size_t		ndl;
	uint64_t	maxgen;		/* largest generation in use (or 0) */
	bool		anygen;
	uint8_t		*buf;		/* scratch block */
	/* --- reporting (check.c) --- */
	uint64_t	npr[NPROBLEM];	/* findings per problem */
	uint64_t	nmore[NPROBLEM];	/* not shown, not yet summed up */
	uint64_t	nheldmore[NPROBLEM];	/* not shown, held for the commit */
	unsigned	maxshow;	/* findings shown per problem */
	/* --- repairs through a commit (repair.c) --- */
	uint64_t	ncommit;	/* findings the commit is to repair ... */
	struct Held	*held;		/* ... held back until it is made */
	size_t		nheld;
	bool		snapfix;	/* the snapshot tree is to be rewritten */
	bool		committed;	/* the repair commit was made */
	char		**cflabel;	/* ckconf.c: mutable labels whose retain to mend */
	size_t		ncflabel;
	uint8_t		*logbad;	/* per arena: its log had errors */
	uint64_t	maxqid;		/* largest qid path in use (anyqid) */
	bool		anyqid;
	struct Amap	*nodegen;	/* cktrees.c, pass 4: node -> gen */
	struct Ftab	*ftab;		/* ckfiles.c, pass 4: file table, reused */
	int64_t		*ids;		/* ids the users file defines (haveids) */
	size_t		nids;
	bool		haveids;
	struct Vq	*vq;		/* data verification queue, or NULL: serial */
	/* --- guards (ckguard.c) --- */
	uint64_t	devblk;		/* whole blocks on the device */
	uint64_t	fsblk;		/* blocks the file system spans, 0 unknown */
} Check;

/* What a finding is about (e2fsck's struct problem_context): the values
 * its problem's message template names, {name} for field name (problem.c
 * renders them).  Start from PCTX(addr): unset fields are zero. */
typedef struct Pctx {
	uint64_t	addr;		/* {addr}: the block concerned, or GEFS_NONE */
	uint64_t	blk;		/* {blk}: a second block (a pointer's holder) */
	const char	*tree;		/* {tree}: the tree or structure it is in */
	const char	*key;		/* {key}: a key rendered by fmtkey, or NULL: ... */
	const uint8_t	*k;		/* ... k[0, nk) rendered by gefs_fmtkey */
	size_t		nk;
	int64_t		n[3];		/* {n0} {n1} {n2}: counts, generations (decimal) */
	uint64_t	x[3];		/* {x0} {x1} {x2}: 0x…; {o0}…: octal 0…;
					 * {u0}…: unsigned decimal (image counters);
					 * {h0} {h1}: hashes, 0x and 16 digits */
	const char	*s[3];		/* {s0} {s1} {s2}: names (label, kind of block) */
	const char	*why;		/* {why}: free text (a decoder's error message) */
} Pctx;
#define PCTX(a)	((Pctx){.addr = (a)})

/* problem.c */
HIDDEN const GefsProblem *problemof(int pr);
/* Problem pr's message for c into buf[n] (always terminated). */
HIDDEN void ckrender(char *buf, size_t n, int pr, const Pctx *c);

/* check.c */
/* Report problem pr found as c says (e2fsck's fix_problem): counted,
 * worded by the table, shown (the first maxshow of each problem) or
 * summed up, and decided: true when the mode says to repair it.  A
 * repair through the commit is then planned already (the finding is
 * held until it is made); a single-block repair the caller plans with
 * ckplanfix. */
HIDDEN bool ckproblem(Check *ck, int pr, const Pctx *c);
/* The same for a problem the caller never repairs itself (a commit
 * repair is still decided and planned). */
HIDDEN void cknote(Check *ck, int pr, const Pctx *c);
/* Deliver the summaries of the findings not shown one by one. */
HIDDEN void ckflushmore(Check *ck);
HIDDEN int ckplanfix(Check *ck, int pr, uint64_t dst, const uint8_t *src);
HIDDEN bool ckcancelled(Check *ck);
HIDDEN void ckprogress(Check *ck, uint64_t cur, uint64_t max);
/* Is addr a block-aligned address inside an arena's data area? */
HIDDEN bool ckinarea(Check *ck, uint64_t addr);
/* The block map, by block number; an update that runs out of memory
 * stops the check with an operational error. */
HIDDEN uint8_t ckmap(Check *ck, uint64_t b);
HIDDEN uint8_t ckmaprun(Check *ck, uint64_t b, uint64_t hi, uint64_t *n);
HIDDEN void ckmapupd(Check *ck, uint64_t lo, uint64_t hi, uint8_t and, uint8_t or);
HIDDEN void ckmapor(Check *ck, uint64_t b, uint8_t v);
HIDDEN void cksetcur(Check *ck, uint64_t addr);
HIDDEN bool ckgetcur(Check *ck, uint64_t addr);
HIDDEN void ckclearcur(Check *ck);
HIDDEN const char *ckkindname(int k);
/* Read block addr into buf straight from the device; -1 and PR_* reported
 * by the caller on failure (message in ck->fs->err). */
HIDDEN int ckreadraw(Check *ck, uint64_t addr, uint8_t *buf);

/* repair.c: make the repairs planned for a commit (rebuilt logs,
 * counters, snapshot tree), or report why they cannot be made and count
 * their findings as left.  -1 only on an operational error (in ck->e). */
HIDDEN int ckcommit(Check *ck);
/* check.c: deliver the held findings, as fixed or not. */
HIDDEN void ckrelease(Check *ck, bool fixed);

/* verify.c: data blocks verified on worker threads (see there).  The
 * walker queues (address, hash wanted, key string); findings come back
 * through fn(arg, addr, hash read, hash wanted, err, key) on the walking
 * thread, at a later vqpush or at vqdrain, in queueing order and at
 * points that do not depend on the thread count.  err: 0 (hash
 * mismatch), an errno, or -1 (end of file).  nthr 0: no worker threads. */
enum { VQCTX = 128 };		/* bytes of key string kept per block */
typedef struct Vq Vq;
typedef void (*VqBad)(void *arg, uint64_t addr, uint64_t got, uint64_t want, int err, const char *ctx);
HIDDEN Vq *vqnew(Dev *d, int nthr);
HIDDEN int vqpush(Vq *q, uint64_t addr, uint64_t hash, const char *ctx, VqBad fn, void *arg);
HIDDEN void vqdrain(Vq *q, bool cancel);
HIDDEN void vqfree(Vq *q);

/* ckguard.c */
/* Note the device's and the file system's sizes; the byte size the
 * checker is to cover (the file system's, under -n, when it is larger). */
HIDDEN uint64_t cksize(Check *ck, uint64_t devbytes);
/* Report a device shorter than its file system; true when the check is
 * to stop there (a repair mode: nothing may be written). */
HIDDEN bool ckshort(Check *ck);
/* Neither superblock copy has the magic: set ck->e and stop. */
HIDDEN bool cknotgefs(Check *ck);
/* May f be written?  *why names what the block is when not. */
HIDDEN bool ckfixsafe(Check *ck, const Fix *f, const char **why);

/* sbfind.c: when neither superblock copy has a valid magic and hash,
 * derive one from the arenas, their logs and the snapshot tree, report
 * it (SB0018, or SB0019/SB0020 when it cannot be) and write both copies
 * when the mode allows; 0 nothing to do or rebuilt (checking goes on),
 * 1 not rebuilt (the check stops), -1 operational error in ck->e. */
HIDDEN int sbfind(Check *ck);

/* cklabel.c */
/* Is name[0,n) a label the file system needs (adm, empty, main)? */
HIDDEN bool ckrequired(const char *name, size_t n);
/* A required label l names a missing snapshot: plan re-pointing it at the
 * snapshot that lost it (SN0002), or report that none fits (SN0030). */
HIDDEN void ckrepoint(Check *ck, Labelrec *l);
/* The repair commit's rewrite of a label l (pair kv) whose snapshot is
 * missing: re-pointed (value packed into v), kept, or false: dropped. */
HIDDEN bool cklabelfix(Check *ck, GefsKv *kv, GefsLabel *l, uint8_t *v);

/* ckconf.c */
/* Check a Kconf pair of the snapshot tree or of the tree of snapshot gen:
 * a retain value the reference cannot parse is reported (CF0001 ignored
 * by it, CF0003/CF0004/CF0005 it aborts); CF0004 (a mutable label's
 * tree) is repaired after the repair commit by ckconffix. */
HIDDEN void ckretain(Check *ck, const char *where, const GefsKv *kv, bool snaptree, uint64_t gen);
/* After the repair commit (ck->committed): mend the retain values of the
 * labels CF0004 was repaired in, through the edit session and its own
 * commit, on the device the check holds locked.  0, or -1 with ck->e. */
HIDDEN int ckconffix(Check *ck);
HIDDEN void ckconffree(Check *ck);
/* The repair commit's rewrite of a snapshot-tree pair kv (its value in
 * storage the caller owns): a retain value the reference aborts on loses
 * its bad items, in place; false: nothing valid is left, drop the pair. */
HIDDEN bool ckretainfix(GefsKv *kv);

/* ckconf.c: a Kconf pair of the tree where (snaptree: the snapshot tree). */
HIDDEN void ckconfkv(Check *ck, const char *where, const GefsKv *kv, bool snaptree, uint64_t gen);

/* ---- the tree passes (ck*.c, formerly checktree.c) ---- */

/* ckamap.c: block address -> value; amget -1 when absent, amput -1 out
 * of memory. */
typedef struct Amap Amap;
HIDDEN Amap *amnew(void);
HIDDEN void amfree(Amap *m);
HIDDEN int amput(Amap *m, uint64_t k, uint64_t v);
HIDDEN int64_t amget(const Amap *m, uint64_t k);

/* A key range [lo, hi) of a node. */
typedef struct Bound {
	const uint8_t	*k;		/* NULL: unbounded */
	size_t		n;
} Bound;

/* One tree being walked. */
typedef struct Walk {
	Check		*ck;
	bool		snaptree;
	uint64_t	gen;		/* owning record's generation */
	char		name[300];	/* for messages */
	int		ht;
	int		nerr;		/* structural errors: namespace checks skipped */
	Amap		*nodes;		/* file-tree node -> gen of its first pointer */
	/* ckwalk.c, -E nodata: data pointers of one holder to adjacent
	 * blocks not yet accounted for: runn blocks from runfirst on, up
	 * (rundown false) or down (allocators hand out blocks downwards) */
	uint64_t	runfrom, runfirst, runn;
	bool		rundown;
} Walk;

/* ckwalk.c */
/* Report pr found in the tree w walks (c->tree set to its name);
 * structural errors counted. */
HIDDEN void wprob(Walk *w, int pr, Pctx *c);
/* GN0001: the pointer at block addr, described by what, born in gen,
 * after w's snapshot. */
HIDDEN void wgen(Walk *w, uint64_t addr, uint64_t gen, const char *what);
HIDDEN void walktree(Walk *w, const GefsBptr *root, uint64_t from);
/* A data block pointer bp held by block from, under key k[0, nk). */
HIDDEN void refdata(Walk *w, const GefsBptr *bp, uint64_t from, const uint8_t *k, size_t nk);
/* ckkeys.c: the entries and the buffered messages of node n. */
HIDDEN void checkents(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi);
HIDDEN void checkmsgs(Walk *w, const GefsNode *n, const Bound *lo, const Bound *hi);
/* cksnaps.c: pass 3; the record of gen, or NULL. */
HIDDEN void checksnaptree(Check *ck);
HIDDEN Snaprec *findsnap(Check *ck, int64_t gen);
/* Note generation g as in use (nextgen must exceed it, §13.1). */
HIDDEN void usegen(Check *ck, uint64_t g);
/* ckfiles.c: the namespace of tree t (walked by w). */
HIDDEN void cknamespace(Check *ck, Walk *w, GefsTree *t);
/* ckfiles.c: free the file table cknamespace keeps between trees. */
HIDDEN void nsfree(Check *ck);
/* ckusers.c: the users file of adm's tree t; the ids it defines. */
HIDDEN void checkusers(Check *ck, GefsTree *t);
HIDDEN void loadids(Check *ck);
HIDDEN bool idknown(Check *ck, int64_t id);
/* cktrees.c: pass 4 */
HIDDEN void checktrees(Check *ck);
/* ckdlist.c: pass 5 */
HIDDEN void checkfree(Check *ck);

#endif
