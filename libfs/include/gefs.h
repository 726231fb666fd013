/*
 * gefs.h — the public interface of libgefs, the GEFS on-disk format and
 * engine library of gefs-progs.  The only libfs header the programs in cmd/
 * include.
 *
 * Format reference: FORMAT.md (shipped as gefs(5)); section numbers below
 * (§N) refer to it.
 *
 * ERRORS.  Every call that can fail returns 0 (or a valid pointer) on
 * success and -1 (or NULL) on failure, and leaves a message.  Calls made on
 * an open file system (a Gefs *) leave it in the handle: gefs_errmsg(fs),
 * gefs_errcode(fs).  Calls that have no handle (pack decoders, opening,
 * formatting) take a GefsErr * out-parameter, which may be NULL.  The code
 * is an errno value chosen by kind:
 *	EBADMSG	the image is damaged (corrupt structure, bad hash, bad log)
 *	ENOENT	a label, path, snapshot or block asked for does not exist
 *	EINVAL	a bad argument from the caller (user input)
 *	EIO	the device failed
 *	EWOULDBLOCK	another process holds the image (flock)
 *	ENOSPC, ENOMEM, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EROFS: as usual
 * Messages about image contents name the block address in hex as FORMAT.md
 * writes them, the structure and the field, e.g.
 *	"block 0x1ff0000 (leaf): entry 7: key length 300 > 256".
 */
#ifndef GEFS_H
#define GEFS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GEFS_API __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* Constants (§1, §3, §6, §8, §22, §23)                               */
/* ------------------------------------------------------------------ */

#define GEFS_NONE	UINT64_MAX	/* "no value" in 64-bit fields */
#define GEFS_MAGIC	"gefs9.00"
#define GEFS_SEED	0x6765		/* MetroHash64 seed (§1.4) */

enum {
	GEFS_BLKSZ	= 16384,
	GEFS_BLKSHIFT	= 14,
	GEFS_PTRSZ	= 24,		/* Bptr */
	GEFS_PIVHDSZ	= 10,
	GEFS_LEAFHDSZ	= 6,
	GEFS_BUFSPC	= 8187,		/* pivot message area */
	GEFS_PIVSPC	= 8187,		/* pivot entry area */
	GEFS_LEAFSPC	= 16378,	/* leaf entry area */
	GEFS_PIVVA	= 10,		/* pivot entry area base */
	GEFS_PIVMA	= 8197,		/* pivot message area base */
	GEFS_LEAFVA	= 6,
	GEFS_KEYMAX	= 256,
	GEFS_INLMAX	= 512,
	GEFS_KVMAX	= 768,
	GEFS_KPMAX	= 280,
	GEFS_MSGMAX	= 769,
	GEFS_PIVVALSZ	= 26,		/* pivot entry value: Bptr + fill */
	GEFS_LOGHDSZ	= 36,		/* Tlog / Tdlist header */
	GEFS_LOGSPC	= 16348,	/* Tlog / Tdlist body capacity */
	GEFS_LOGSLOP	= 40,		/* new log block when logsz >= LOGSPC - LOGSLOP */
	GEFS_SBHDSZ	= 104,		/* superblock fields before the arena table */
	GEFS_MAXARENA	= 255,		/* narena < 256 (§22.1) */
	GEFS_NAMEMAX	= 244,		/* file name bytes (§12.6) */
	GEFS_XDIRSZ	= 61,
	GEFS_LABELVALSZ	= 13,
	GEFS_SNAPVALSZ	= 72,
	GEFS_DLISTVALSZ	= 48,
	GEFS_RELINKSZ	= 10,
	GEFS_WSTATMAX	= 41,		/* largest Owstat operand without bit 0x80 */
	GEFS_XRECOFF	= 8192,		/* extension record offset in a superblock block */
	GEFS_XRECSZ	= 512,
	GEFS_LABELMAX	= 255,		/* extension-record label bytes */
	GEFS_MINSIZE	= 134234112,	/* 128 MiB + 16 KiB: smallest formattable device */
};

/* Block types (§3.1). */
enum {
	GEFS_TDAT	= 0,
	GEFS_TPIVOT	= 1,
	GEFS_TLEAF	= 2,
	GEFS_TLOG	= 3,
	GEFS_TDLIST	= 4,
	GEFS_TARENA	= 5,
	GEFS_TSUPER	= 0x6765,
};

/* Key types: the first byte of every key (§9.1). */
enum {
	GEFS_KDAT	= 0,
	GEFS_KENT	= 1,
	GEFS_KUP	= 2,
	GEFS_KLABEL	= 3,
	GEFS_KSNAP	= 4,
	GEFS_KDLIST	= 5,
	GEFS_KCONF	= 6,
};

/* Message opcodes (§10.1, §27.1). */
enum {
	GEFS_ONOP	= 0,
	GEFS_OINSERT	= 1,
	GEFS_ODELETE	= 2,
	GEFS_OCLEARB	= 3,
	GEFS_OCLOBBER	= 4,
	GEFS_OWSTAT	= 5,
	GEFS_ORELINK	= 6,
	GEFS_OREPREV	= 7,
	GEFS_OINCREF	= 8,	/* later revisions only; never written */
};

/* Owstat flag bits (§10.3). */
enum {
	GEFS_OWSIZE	= 0x01,
	GEFS_OWMODE	= 0x02,
	GEFS_OWMTIME	= 0x04,
	GEFS_OWATIME	= 0x08,
	GEFS_OWUID	= 0x10,
	GEFS_OWGID	= 0x20,
	GEFS_OWMUID	= 0x40,
	GEFS_OWQPATH	= 0x80,	/* never written; see §10.3 */
};

/* Allocation-log opcodes (§6.2). */
enum {
	GEFS_LOGNOP	= 0,
	GEFS_LOGALLOC1	= 1,
	GEFS_LOGFREE1	= 2,
	GEFS_LOGSYNC	= 3,
	GEFS_LOGALLOC	= 4,
	GEFS_LOGFREE	= 5,
};

/* Plan 9 mode and qid type bits (§9.4). */
#define GEFS_DMDIR	0x80000000u
#define GEFS_DMAPPEND	0x40000000u
#define GEFS_DMEXCL	0x20000000u
#define GEFS_DMTMP	0x04000000u
#define GEFS_MODEBITS	(0777u | GEFS_DMDIR | GEFS_DMAPPEND | GEFS_DMEXCL | GEFS_DMTMP)
enum {
	GEFS_QTDIR	= 0x80,
	GEFS_QTAPPEND	= 0x40,
	GEFS_QTEXCL	= 0x20,
	GEFS_QTTMP	= 0x04,
	GEFS_QTFILE	= 0x00,
};

/* Label flags (§9.5). */
enum { GEFS_LMUT = 0x1 };

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

typedef struct GefsErr {
	int	code;		/* errno value, see the top of this file; 0 = none */
	char	msg[512];
} GefsErr;

/* Set *e (if not NULL) to code and a printf-formatted message; returns -1. */
GEFS_API int gefs_seterr(GefsErr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message already in *e with context ("ctx: old message"); -1. */
GEFS_API int gefs_wraperr(GefsErr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A short name for a block type ("leaf", "pivot", "log", ...). */
GEFS_API const char *gefs_typename(int type);

/* ------------------------------------------------------------------ */
/* hash (§21)                                                         */
/* ------------------------------------------------------------------ */

GEFS_API uint64_t gefs_metrohash64(const void *p, size_t n, uint64_t seed);
GEFS_API uint64_t gefs_bufhash(const void *p, size_t n);	/* seed 0x6765 */
GEFS_API uint64_t gefs_blkhash(const void *blk);		/* 16384 bytes */

/* ------------------------------------------------------------------ */
/* pack: big-endian encode/decode of every on-disk structure          */
/*                                                                    */
/* Encoders write into a caller buffer large enough for the structure */
/* (sizes above).  Decoders take (buffer, end) or (buffer, length),   */
/* the address of the block they came from (for messages; GEFS_NONE   */
/* when unknown) and a GefsErr; they never read past the buffer and   */
/* fail with EBADMSG naming the structure and field on any            */
/* out-of-range length, count, offset or type.                        */
/* ------------------------------------------------------------------ */

static inline uint16_t gefs_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t gefs_get32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint64_t gefs_get64(const uint8_t *p)
{ return (uint64_t)gefs_get32(p) << 32 | gefs_get32(p + 4); }
static inline void gefs_put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void gefs_put32(uint8_t *p, uint32_t v)
{ p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static inline void gefs_put64(uint8_t *p, uint64_t v)
{ gefs_put32(p, (uint32_t)(v >> 32)); gefs_put32(p + 4, (uint32_t)v); }

/* Block pointer (§1.3). */
typedef struct GefsBptr {
	uint64_t	addr;
	uint64_t	hash;
	uint64_t	gen;
} GefsBptr;
GEFS_API void gefs_packbptr(uint8_t *p, const GefsBptr *bp);
GEFS_API void gefs_unpackbptr(GefsBptr *bp, const uint8_t *p);

/* Superblock (§4).  Arena table entries beyond narena are zero. */
typedef struct GefsSb {
	uint32_t	blksz;
	uint32_t	bufspc;
	uint32_t	narena;
	uint32_t	snapht;
	uint64_t	snapaddr;
	uint64_t	snaphash;
	uint64_t	dlhdaddr, dlhdhash, dltladdr, dltlhash;	/* snapdl */
	uint64_t	flag;
	uint64_t	nextqid;
	uint64_t	nextgen;
	uint64_t	qgen;
	uint64_t	arenaaddr[GEFS_MAXARENA];
	uint64_t	arenahash[GEFS_MAXARENA];
	uint64_t	sbhash;		/* as stored (unpack) or computed (pack) */
} GefsSb;
/* Hashed region length 104 + 16·narena; written prefix adds 8. */
GEFS_API size_t gefs_sbhashlen(uint32_t narena);
/* Write the prefix into blk (16384 bytes, tail untouched), computing and
 * storing sbhash into both blk and sb.  -1 if narena is 0 or > 255. */
GEFS_API int gefs_packsb(uint8_t *blk, GefsSb *sb, GefsErr *e);
/* Decode the prefix.  Fails on bad magic or narena >= 256 (the table would
 * not be decodable).  Does not check sbhash: see gefs_sbhashok. */
GEFS_API int gefs_unpacksb(GefsSb *sb, const uint8_t *blk, uint64_t addr, GefsErr *e);
/* True when the stored sbhash equals bufhash of the hashed region. */
GEFS_API bool gefs_sbhashok(const uint8_t *blk, uint32_t narena);

/* Arena header / footer (§5.1). */
typedef struct GefsArenaHdr {
	uint64_t	loghdaddr;
	uint64_t	loghdhash;	/* informational, never verified */
	uint64_t	size;
	uint64_t	used;
} GefsArenaHdr;
/* Writes bytes [0,34) of blk; the rest is untouched (read-modify-write). */
GEFS_API void gefs_packarena(uint8_t *blk, const GefsArenaHdr *a);
GEFS_API int gefs_unpackarena(GefsArenaHdr *a, const uint8_t *blk, uint64_t addr, GefsErr *e);

/* Log and deadlist block header (§6.1, §7). */
typedef struct GefsLogHdr {
	uint16_t	type;		/* GEFS_TLOG or GEFS_TDLIST */
	uint16_t	logsz;
	uint64_t	logh;		/* as stored */
	GefsBptr	chain;		/* only addr is meaningful */
} GefsLogHdr;
/* Write type, logsz, chain and logh = bufhash(body[0,logsz)) into blk. */
GEFS_API void gefs_packloghdr(uint8_t *blk, GefsLogHdr *h);
/* Decode; type must equal want (GEFS_TLOG or GEFS_TDLIST), logsz <= 16348,
 * and for a deadlist a multiple of 8.  Does not verify logh. */
GEFS_API int gefs_unpackloghdr(GefsLogHdr *h, const uint8_t *blk, int want, uint64_t addr, GefsErr *e);
/* bufhash of the used body. */
GEFS_API uint64_t gefs_loghash(const uint8_t *blk, uint16_t logsz);

/* Allocation-log entry (§6.2). */
typedef struct GefsLogEnt {
	int		op;	/* GEFS_LOGALLOC1 .. GEFS_LOGFREE */
	uint64_t	addr;	/* ops 1,2,4,5 */
	uint64_t	len;	/* bytes: 16384 for ops 1,2 */
	uint64_t	qgen;	/* op 3 */
} GefsLogEnt;
/* Encode; returns the width written (8 or 16). */
GEFS_API size_t gefs_packlogent(uint8_t *p, const GefsLogEnt *le);
/* Decode the entry at p; returns its width (8 or 16) or -1 (bad op,
 * truncated 2-wide entry, len not a non-zero multiple of 16384, unaligned
 * address).  off is the entry's body offset, for the message. */
GEFS_API int gefs_unpacklogent(GefsLogEnt *le, const uint8_t *p, const uint8_t *end,
	uint64_t addr, size_t off, GefsErr *e);

/* Keys and values (§9).  A key or value is a byte string. */
typedef struct GefsKv {
	const uint8_t	*k;
	uint16_t	nk;
	const uint8_t	*v;
	uint16_t	nv;
} GefsKv;

typedef struct GefsMsg {
	uint8_t		op;
	const uint8_t	*k;
	uint16_t	nk;
	const uint8_t	*v;
	uint16_t	nv;
} GefsMsg;

/* memcmp over the shorter length, then shorter first (§9.1). */
GEFS_API int gefs_keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);

/* Key encoders; each returns the key length.  k must hold GEFS_KEYMAX. */
GEFS_API size_t gefs_packdatkey(uint8_t *k, uint64_t qid, uint64_t off);	/* 17 */
GEFS_API size_t gefs_packentkey(uint8_t *k, uint64_t pqid, const char *name, size_t nlen); /* 12+nlen; nlen <= 244 */
GEFS_API size_t gefs_packupkey(uint8_t *k, uint64_t qid);			/* 9 */
GEFS_API size_t gefs_packlabelkey(uint8_t *k, const char *name, size_t n);	/* 1+n, n <= 255 */
GEFS_API size_t gefs_packsnapkey(uint8_t *k, uint64_t gen);			/* 9 */
GEFS_API size_t gefs_packdlistkey(uint8_t *k, uint64_t gen, uint64_t bgen);	/* 17 */
GEFS_API size_t gefs_packconfkey(uint8_t *k, const char *name, size_t n);	/* 1+n */

/* A decoded key.  Fields used depend on type. */
typedef struct GefsKey {
	int		type;		/* GEFS_K* */
	uint64_t	qid;		/* Kdat, Kup: qid; Kent: parent qid */
	uint64_t	off;		/* Kdat: offset */
	uint64_t	gen;		/* Ksnap, Kdlist: gen */
	uint64_t	bgen;		/* Kdlist */
	const uint8_t	*name;		/* Kent: name (nlen bytes); Klabel, Kconf: name */
	size_t		nlen;
} GefsKey;
/* Decode and validate a key: length per type, Kent length field and
 * trailing NUL, type byte < 7.  Name contents are not judged here (see
 * gefs_namecheck). */
GEFS_API int gefs_unpackkey(GefsKey *key, const uint8_t *k, size_t nk, GefsErr *e);
/* 0 if name is a valid file name (§12.6), else -1 with the reason. */
GEFS_API int gefs_namecheck(const uint8_t *name, size_t n, GefsErr *e);

/* Xdir: directory-entry value (§9.4). */
typedef struct GefsXdir {
	uint64_t	flag;
	uint64_t	qpath;
	uint32_t	qvers;
	uint8_t		qtype;
	uint32_t	mode;
	int64_t		atime;	/* ns */
	int64_t		mtime;	/* ns */
	uint64_t	length;
	int32_t		uid;
	int32_t		gid;
	int32_t		muid;
} GefsXdir;
GEFS_API void gefs_packxdir(uint8_t *v, const GefsXdir *d);		/* 61 bytes */
GEFS_API int gefs_unpackxdir(GefsXdir *d, const uint8_t *v, size_t nv, GefsErr *e);

/* Klabel value (§9.5). */
typedef struct GefsLabel {
	uint64_t	gen;
	uint32_t	flags;
} GefsLabel;
GEFS_API void gefs_packlabel(uint8_t *v, const GefsLabel *l);		/* 13 bytes */
GEFS_API int gefs_unpacklabel(GefsLabel *l, const uint8_t *v, size_t nv, GefsErr *e);

/* Ksnap value: the tree record (§9.6). */
typedef struct GefsSnap {
	int32_t		nref;
	int32_t		nlbl;
	int32_t		ht;
	uint32_t	flag;
	int64_t		gen;
	int64_t		pred;
	int64_t		succ;
	int64_t		base;
	GefsBptr	root;
} GefsSnap;
GEFS_API void gefs_packsnap(uint8_t *v, const GefsSnap *s);		/* 72 bytes */
GEFS_API int gefs_unpacksnap(GefsSnap *s, const uint8_t *v, size_t nv, GefsErr *e);

/* Kdlist value (§9.7). */
typedef struct GefsDlist {
	GefsBptr	hd;
	GefsBptr	tl;
} GefsDlist;
GEFS_API void gefs_packdlist(uint8_t *v, const GefsDlist *d);		/* 48 bytes */
GEFS_API int gefs_unpackdlist(GefsDlist *d, const uint8_t *v, size_t nv, GefsErr *e);

/* Pivot entry value: child pointer + fill (§8.2). */
GEFS_API void gefs_packpivval(uint8_t *v, const GefsBptr *bp, uint16_t fill); /* 26 bytes */
GEFS_API int gefs_unpackpivval(GefsBptr *bp, uint16_t *fill, const uint8_t *v, size_t nv, GefsErr *e);

/* Orelink / Oreprev / Oincref operand (§10.4). */
typedef struct GefsRelink {
	int64_t		link;
	int8_t		dlbl;
	int8_t		dref;
} GefsRelink;
GEFS_API void gefs_packrelink(uint8_t *v, const GefsRelink *r);		/* 10 bytes */
GEFS_API int gefs_unpackrelink(GefsRelink *r, const uint8_t *v, size_t nv, GefsErr *e);

/* Owstat (§10.3).  Encode an operand setting the fields named by flags
 * (bits 0x01..0x40) from d; returns its length. */
GEFS_API size_t gefs_packwstat(uint8_t *v, uint8_t flags, const GefsXdir *d);
/* Apply an Owstat operand to d: qvers += 1, then the fields.  Bit 0x80 is
 * accepted with an 8-byte qid.path field or none (§10.3); *qpathbit (may be
 * NULL) is set to 1 when it was present.  -1 on a malformed operand. */
GEFS_API int gefs_applywstat(GefsXdir *d, const uint8_t *v, size_t nv, int *qpathbit, GefsErr *e);

/* Extension record (§22.2). */
typedef struct GefsXrec {
	uint32_t	flags;
	uint8_t		uuid[16];
	uint16_t	labellen;
	uint8_t		label[GEFS_LABELMAX + 1];	/* NUL-terminated copy */
	int64_t		ctime;				/* ns */
} GefsXrec;
/* Write the 512-byte record (with xhash) at rec. */
GEFS_API void gefs_packxrec(uint8_t *rec, const GefsXrec *x);
/* Decode; fails (EBADMSG) unless magic, version, size and xhash are valid
 * and labellen <= 255. */
GEFS_API int gefs_unpackxrec(GefsXrec *x, const uint8_t *rec, GefsErr *e);

/* Tree nodes (§8).  A decoded node points into its 16 KiB block. */
typedef struct GefsNode {
	uint64_t	addr;
	int		type;		/* GEFS_TPIVOT or GEFS_TLEAF */
	uint16_t	nval;
	uint16_t	valsz;
	uint16_t	nbuf;		/* pivots */
	uint16_t	bufsz;		/* pivots */
	const uint8_t	*b;		/* the block */
} GefsNode;
/* Decode and validate a node: type, counts, the offset tables, every entry
 * and message inside its area (key <= 256, value <= 512 bytes, pivot values
 * exactly 26 bytes, message ops 1..8), valsz/bufsz equal to the sums of the
 * entries.  Key order is NOT checked here (the checker reports it).  After
 * success, gefs_nodekv and gefs_nodemsg are safe for every index. */
GEFS_API int gefs_unpacknode(GefsNode *n, const uint8_t *blk, uint64_t addr, GefsErr *e);
GEFS_API void gefs_nodekv(const GefsNode *n, int i, GefsKv *kv);
GEFS_API void gefs_nodemsg(const GefsNode *n, int i, GefsMsg *m);
/* fill (§8.4) */
GEFS_API int gefs_nodefill(const GefsNode *n);

/* Node building, packed like the reference (§8.2): entries placed from the
 * end of their area downwards in the order added, offsets appended to the
 * table.  Callers add in key order.  blk is 16 KiB; nodeinit zeroes it. */
GEFS_API void gefs_nodeinit(uint8_t *blk, int type);
/* Add a leaf key/value (leaf) or a key + 26-byte pointer value (pivot);
 * -1 (ENOSPC) if the entry area is full. */
GEFS_API int gefs_nodeadd(uint8_t *blk, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, GefsErr *e);
/* Add a message to a pivot's buffer; -1 (ENOSPC) if the buffer is full. */
GEFS_API int gefs_nodeaddmsg(uint8_t *blk, const GefsMsg *m, GefsErr *e);

/* ------------------------------------------------------------------ */
/* Formatting (§5.3, §18, §22)                                        */
/* ------------------------------------------------------------------ */

/* The arena layout the reference's formatter computes for a device of
 * `size` bytes (§5.3). */
typedef struct GefsLayout {
	uint64_t	devsize;	/* L */
	uint64_t	narena;		/* N */
	uint64_t	arenasz;	/* S (data area, bytes) */
	uint64_t	arenastart[32];	/* H_i */
	uint64_t	sb0, sb1;	/* superblock addresses */
	uint64_t	tail;		/* unused bytes between the last arena and sb1 */
} GefsLayout;
/* -1 (EINVAL) when size < GEFS_MINSIZE. */
GEFS_API int gefs_layout(GefsLayout *lay, uint64_t size, GefsErr *e);

/* ------------------------------------------------------------------ */
/* Version                                                            */
/* ------------------------------------------------------------------ */

GEFS_API const char *gefs_version(void);

/* ------------------------------------------------------------------ */
/* Opening a file system (load.c, §15.4)                              */
/* ------------------------------------------------------------------ */

typedef struct Gefs Gefs;

typedef struct GefsOpts {
	size_t		cachesz;	/* bytes; 0 = 64 MiB */
	int		sbcopy;		/* -1: choose (copy 0, else 1); 0 or 1: force */
	bool		rdwr;		/* open for writing (exclusive lock) */
	bool		ignhash;	/* read on despite hash mismatches (recovery) */
	/* Non-fatal findings while loading/reading (may be NULL). */
	void		(*warn)(void *arg, const char *msg);
	void		*warnarg;
} GefsOpts;

GEFS_API void gefs_defopts(GefsOpts *o);
GEFS_API const char *gefs_errmsg(Gefs *fs);
GEFS_API int gefs_errcode(Gefs *fs);

/* ==== Later sections (open/load, trees, files, snapshots, check) are  ====
 * ==== added below by their layers; each keeps to the error contract. ==== */

#ifdef __cplusplus
}
#endif
#endif /* GEFS_H */
