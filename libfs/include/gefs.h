/* SPDX-License-Identifier: MIT */
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
#include <stdio.h>
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
/* Deadlist body entries (§7): entry i (body offset 8·i) of a Tdlist
 * block, a block address; i < 16348/8. */
enum { GEFS_DLENTSZ = 8, GEFS_DLMAX = GEFS_LOGSPC / 8 };
GEFS_API void gefs_packdlent(uint8_t *blk, int i, uint64_t addr);
GEFS_API uint64_t gefs_unpackdlent(const uint8_t *blk, int i);

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
/* The entries of the body of the Tlog block blk (at addr, for messages)
 * from body offset from up to logsz, in order: fn(arg, off, le, w) with
 * w the entry's width; a non-zero return of fn ends the walk and is
 * returned.  An entry that does not decode ends it too: -1, *bad (may be
 * NULL) its offset, *e (may be NULL) why.  0 when every entry decoded.
 * The one iteration over log bodies: tools and the library use it. */
typedef int (*GefsLogEntFn)(void *arg, size_t off, const GefsLogEnt *le, int w);
GEFS_API int gefs_logbody(const uint8_t *blk, uint16_t logsz, size_t from, uint64_t addr,
	GefsLogEntFn fn, void *arg, size_t *bad, GefsErr *e);
/* Append le to the body of blk whose body holds *logsz bytes (room is
 * the caller's to know: GEFS_LOGSPC); *logsz grows by the width, which is
 * returned. */
GEFS_API int gefs_logput(uint8_t *blk, uint16_t *logsz, const GefsLogEnt *le);
/* Zero the body of blk after its first logsz bytes. */
GEFS_API void gefs_logclear(uint8_t *blk, uint16_t logsz);

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
/* A printable rendering of key k ("Kent(0x3, \"x\")"), cut to fit buf
 * (96 bytes or more recommended); returns buf. */
GEFS_API const char *gefs_fmtkey(char *buf, size_t n, const uint8_t *k, size_t nk);

/* Key encoders; each returns the key length.  k must hold GEFS_KEYMAX. */
GEFS_API size_t gefs_packdatkey(uint8_t *k, uint64_t qid, uint64_t off);	/* 17 */
GEFS_API size_t gefs_packentkey(uint8_t *k, uint64_t pqid, const char *name, size_t nlen); /* 12+nlen; nlen <= 244 */
/* The prefix every Kent key of directory pqid starts with (scans of a
 * directory); returns its length, GEFS_ENTPFXSZ. */
enum { GEFS_ENTPFXSZ = 9 };
GEFS_API size_t gefs_packentpfx(uint8_t *k, uint64_t pqid);
/* The type word of a block (§3.1): its first two bytes. */
GEFS_API int gefs_blktype(const uint8_t *blk);
GEFS_API size_t gefs_packupkey(uint8_t *k, uint64_t qid);			/* 9 */
GEFS_API size_t gefs_packlabelkey(uint8_t *k, const char *name, size_t n);	/* 1+n, n <= 255 */
GEFS_API size_t gefs_packsnapkey(uint8_t *k, uint64_t gen);			/* 9 */
GEFS_API size_t gefs_packdlistkey(uint8_t *k, uint64_t gen, uint64_t bgen);	/* 17 */
GEFS_API size_t gefs_packconfkey(uint8_t *k, const char *name, size_t n);	/* 1+n */
/* A Kconf "retain" value (§17) against ^([0-9]*@[0-9]*[mhd][ \t]*)*$:
 * -1 when it matches, else the byte offset of the first bad item (the
 * reference aborts on some such values). */
GEFS_API long gefs_retaincheck(const uint8_t *v, size_t n);

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
/* Extension-record flags.  GEFS_XFMETA: a metadata image written by
 * gefs-image: data blocks are absent (holes), so gefs-fsck does not read
 * them and gefs-dump does not print file contents.  The reference, which
 * ignores the record, sees an ordinary image whose files read as zeros
 * and fail their hashes. */
enum { GEFS_XFMETA = 1u << 0 };
/* Write the 512-byte record (with xhash) at rec. */
GEFS_API void gefs_packxrec(uint8_t *rec, const GefsXrec *x);
/* Decode; fails (EBADMSG) unless magic, version, size and xhash are valid
 * and labellen <= 255. */
GEFS_API int gefs_unpackxrec(GefsXrec *x, const uint8_t *rec, GefsErr *e);
/* The extension record inside a superblock block (at GEFS_XRECOFF):
 * decode, encode, and whether two blocks hold the same record bytes. */
GEFS_API int gefs_unpacksbxrec(GefsXrec *x, const uint8_t *sbblk, GefsErr *e);
GEFS_API void gefs_packsbxrec(uint8_t *sbblk, const GefsXrec *x);
GEFS_API bool gefs_sbxrecsame(const uint8_t *sbblk0, const uint8_t *sbblk1);
/* A hash of a superblock block's tail: the bytes after its written
 * prefix (narena arenas) but the extension record; 0 when the prefix
 * reaches the record. */
GEFS_API uint64_t gefs_sbtailhash(const uint8_t *sbblk, uint32_t narena);

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
/* Node space an entry takes (§8.3): its offset-table slot plus the
 * entry (key and value lengths and bytes; a message also its op).  Node
 * builders and splitters use these, not their own formulas. */
GEFS_API size_t gefs_kvspace(size_t nk, size_t nv);
GEFS_API size_t gefs_msgspace(size_t nk, size_t nv);
GEFS_API int gefs_nodeadd(uint8_t *blk, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, GefsErr *e);
/* Add a message to a pivot's buffer; -1 (ENOSPC) if the buffer is full. */
GEFS_API int gefs_nodeaddmsg(uint8_t *blk, const GefsMsg *m, GefsErr *e);
/* Do the decoded pivot's messages tile the end of its message area (as
 * packed by every writer, §8.2), so that more can be packed below them? */
GEFS_API bool gefs_msgpacked(const GefsNode *n);
/* Pack message m below the others of the pivot in blk (a copy of a node
 * for which gefs_msgpacked holds) and insert its offset as message i
 * (0..nbuf): the fast path of §11.4 step 2.  -1 (ENOSPC, EINVAL). */
GEFS_API int gefs_nodeinsmsg(uint8_t *blk, int i, const GefsMsg *m, GefsErr *e);

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

/* ---- ream.c: the formatter (§18, §22) ---- */

/* Where the volume UUID of the extension record comes from. */
enum {
	GEFS_UUIDRANDOM	= 0,	/* version 4, random (the default) */
	GEFS_UUIDTIME	= 1,	/* version 1, time-based */
	GEFS_UUIDGIVEN	= 2,	/* GefsFormatOpts.uuid as given */
	GEFS_UUIDDERIVE	= 3,	/* version 5 (SHA-1, namespace GEFS_UUIDNS) of
				 * "ctime:size:user:label", ctime in ns: the same
				 * inputs give the same UUID (reproducible builds) */
};
/* The name space of GEFS_UUIDDERIVE UUIDs. */
#define GEFS_UUIDNS	"96cfe4fe-272a-4eb0-bca4-9643e6a0776c"
#define GEFS_DEFUSER	"glenda"

typedef struct GefsFormatOpts {
	const char	*user;		/* admin user (§16); NULL = GEFS_DEFUSER */
	const char	*label;		/* volume label (§22.2); NULL or "" = none */
	bool		noxrec;		/* write no extension record: the 2025-09
					 * reference's bytes exactly (§18.7) */
	int		uuidmode;	/* GEFS_UUID* */
	uint8_t		uuid[16];	/* for GEFS_UUIDGIVEN */
	bool		ctimeset;	/* use ctime, else the current time */
	int64_t		ctime;		/* ns since the epoch */
	bool		force;		/* format over a recognised file system */
} GefsFormatOpts;

/* What gefs_format did. */
typedef struct GefsFormatStats {
	GefsLayout	lay;
	bool		xrec;		/* an extension record was written */
	uint8_t		uuid[16];	/* its UUID and ctime */
	int64_t		ctime;
	uint64_t	nblocks;	/* 16 KiB blocks written */
	uint64_t	nwrite;		/* write calls */
	uint64_t	nsync;		/* syncs */
	uint64_t	byteswritten;
	uint64_t	nwiped;		/* other file systems' signatures, backup
					 * superblocks and headers erased */
} GefsFormatStats;

/* Defaults: user glenda, no label, an extension record with a random
 * UUID and the current time, no force. */
GEFS_API void gefs_defformatopts(GefsFormatOpts *o);
/* 0 if user is a valid admin user name for the users file (§16):
 * 1..127 bytes, no ':', ',', newline or other control character, not one
 * of the built-in names adm, none, nogroup; else -1 (EINVAL). */
GEFS_API int gefs_usercheck(const char *user, GefsErr *e);
/* 0 if label is a valid volume label (§22.2): at most 255 bytes of valid
 * UTF-8, no '/' and no control character (C0, DEL, C1); else -1 (EINVAL). */
GEFS_API int gefs_labelcheck(const char *label, GefsErr *e);
/* The GEFS_UUIDDERIVE UUID of these inputs (user NULL = glenda, label
 * NULL = ""). */
GEFS_API void gefs_deriveuuid(uint8_t uuid[16], int64_t ctime, uint64_t size, const char *user,
	const char *label);
/* The window (dev.c): every image opened after this call, by any entry
 * point (gefs_open, gefs_check, gefs_format, gefs_probe, ...), is the byte
 * range [off, off + len) of its file or device; len 0 = to its end (a new
 * file may then be created or grown past off).  Offsets in the file
 * system stay relative to the window.  Process-wide, like mke2fs's
 * -E offset=; (0, 0) restores whole files.  -1 (EINVAL) on overflow. */
GEFS_API int gefs_setwindow(uint64_t off, uint64_t len, GefsErr *e);
/* Partition n (1-based, as fdisk and blkid number them) of the GPT or MBR
 * disk image at path, found by libblkid's partition probing: its first
 * byte and length.  -1: EINVAL (no partition table, n out of range, a
 * partition past the end of the image), or the open's errors. */
GEFS_API int gefs_partwindow(const char *path, int n, uint64_t *off, uint64_t *len, GefsErr *e);

/* The size formatting path would use without a SIZE: a block device's
 * size or a regular file's length.  -1: ENOENT, EISDIR, EINVAL (neither a
 * regular file nor a block device), EIO. */
GEFS_API int gefs_imagesize(const char *path, uint64_t *size, bool *isblk, GefsErr *e);
/* Whether path holds data that formatting would destroy: 1, with a short
 * description in what ("a gefs file system", "an ext4 file system", "a
 * dos partition table"), when block 0 holds the gefs magic, the backup
 * superblock is valid, or libblkid recognises a file system, RAID member
 * or partition table; 0 when nothing is recognised (what = ""); -1 on
 * error (ENOENT, EIO, ...).  what may be NULL. */
GEFS_API int gefs_probe(const char *path, char *what, size_t n, GefsErr *e);
/* Whether formatting path at size bytes (0: its length) needs force: 1,
 * with what named in what, when gefs_probe recognises something, or when
 * path is a regular file holding data nothing recognises: its first or
 * last MiB, or when size is smaller the first MiB that size would cut off,
 * holds a non-zero byte (at most 3 MiB are read; a file of zeros or holes
 * is blank); 0 when formatting destroys nothing known; -1 on error. */
GEFS_API int gefs_fmtrefuse(const char *path, uint64_t size, char *what, size_t n, GefsErr *e);
/* Format path (§5.3, §18, §22): a regular file, created or resized to
 * exactly size bytes (sparse) when size is non-zero, else formatted at its
 * length; or a block device, formatted whole (a non-zero size must equal
 * its size).  First, on an existing image, every signature libblkid finds
 * is erased (blkid_do_wipe) and so are other file systems' backup
 * superblocks and headers (btrfs mirrors, ext2/3/4 backups, xfs secondary
 * superblocks, FAT32/exFAT backup boot sectors, a backup GPT header) that
 * lie inside it: only those ranges.  Then only the blocks §18.2 lists are
 * written: the arena blocks and logs, the tree blocks, sync, superblock 0,
 * sync, superblock 1, sync; both superblock blocks carry the extension
 * record at 8192 unless o->noxrec.  Takes the image's exclusive flock
 * (EWOULDBLOCK when another process holds it).  Refuses (EEXIST) what
 * gefs_fmtrefuse refuses unless o->force.  Errors: EINVAL (bad user or
 * label, size below GEFS_MINSIZE or not the device's size), ENOENT (no
 * file and no size), EISDIR, EEXIST, EWOULDBLOCK, EIO, ENOSPC.  On
 * failure a file created here is removed again, and an existing image is
 * put back as it was: its length, and the old bytes of every range
 * written (kept in memory before writing them).  o may be NULL
 * (defaults); st may be NULL. */
GEFS_API int gefs_format(const char *path, uint64_t size, const GefsFormatOpts *o,
	GefsFormatStats *st, GefsErr *e);

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
	bool		tolerant;	/* load what loads: an arena whose header copies,
					 * size or log are damaged is recorded
					 * (gefs_arenadamage) and left with no free
					 * space instead of failing the open (as
					 * e2fsprogs' ext2fs_open2 with ignore flags) */
	/* Non-fatal findings while loading/reading (may be NULL). */
	void		(*warn)(void *arg, const char *msg);
	void		*warnarg;
} GefsOpts;

/* Defaults: cachesz 64 MiB, sbcopy -1, read-only, hashes verified, no
 * warning callback. */
GEFS_API void gefs_defopts(GefsOpts *o);
/* The last error left in the handle ("" and 0 when none). */
GEFS_API const char *gefs_errmsg(Gefs *fs);
GEFS_API int gefs_errcode(Gefs *fs);

/* Open and load the file system in the image at path (§15.4): choose a
 * superblock, read every arena's header or footer, replay every
 * allocation log.  o may be NULL (defaults).  A gzip image (.img.gz) opens
 * read-only only.  opts.rdwr takes the image's exclusive lock.
 *
 * Superblock choice: copy 0 (block 0) if it is valid, else copy 1 (the
 * last whole block), else failure (EBADMSG) naming what is wrong with
 * each; opts.sbcopy 0 or 1 forces that copy (failing if it is invalid).
 * Valid means: magic, sbhash, blksz 16384, bufspc 8187, 1 <= narena < 256,
 * arena table block-aligned, ordered, headers and footers not overlapping
 * and inside the device before the backup superblock.  With
 * opts.ignhash a copy whose only fault is its sbhash is used (reported)
 * when no copy is fully valid.  Reported through opts.warn, not fatal: the
 * copy not used being invalid or its written prefix differing, non-zero
 * flag, an arena table hash of NONE (header unverified), a header that
 * fails its hash (the footer is used), header and footer differing, neither
 * verifying (the header is used if it decodes, else the footer), a header
 * `used` different from replay's, a tolerated logh mismatch (§6.4).
 * Fatal (EBADMSG): no valid superblock, an arena whose header and footer
 * both fail to decode, arena sizes that overlap the next arena or the
 * backup superblock, any replay error (log block and entry offset named).
 * Memory: the cache budget plus the free-range sets. */
GEFS_API Gefs *gefs_open(const char *path, const GefsOpts *o, GefsErr *e);
/* Release everything (no writes: nothing is committed).  NULL is a no-op. */
GEFS_API void gefs_close(Gefs *fs);
/* Open the device alone, for reading blocks by address when no
 * superblock can be used (gefs-dump block, super --force): no superblock
 * is chosen (gefs_super's *copy is -1, its fields zero), no arena is
 * loaded (gefs_narena 0), so trees cannot be opened; gefs_readblk and
 * gefs_readsb work.  Always read-only. */
GEFS_API Gefs *gefs_openraw(const char *path, const GefsOpts *o, GefsErr *e);

/* Inspection of what was loaded (for gefs-dump and tests). */

/* The superblock in use; *copy (may be NULL) receives 0 or 1. */
GEFS_API const GefsSb *gefs_super(Gefs *fs, int *copy);
/* Device size in bytes, as opened (L; superblock 1 is at L' - 16384). */
GEFS_API uint64_t gefs_devsize(Gefs *fs);
/* Read superblock copy 0 or 1 afresh and judge it as loading does.
 * Returns 0 when its prefix decodes (*sb filled; *valid tells whether it
 * passes every check), 1 when it does not decode (bad magic, narena >=
 * 256: *sb zeroed, *valid false), -1 on error (EINVAL copy, EIO).  why
 * (nwhy bytes, may be NULL/0) receives the reason ("" when valid). */
GEFS_API int gefs_readsb(Gefs *fs, int copy, GefsSb *sb, bool *valid, char *why, size_t nwhy);
GEFS_API int gefs_narena(Gefs *fs);
/* Why arena i did not load under opts.tolerant (NULL: it loaded, or no
 * such arena). */
GEFS_API const char *gefs_arenadamage(Gefs *fs, int i);

/* What loading found for one arena. */
typedef struct GefsArenaInfo {
	uint64_t	addr;		/* header block H (footer at H + 16384) */
	uint64_t	size;		/* S: the arena spans [H, H + 32768 + S) */
	uint64_t	used;		/* recomputed by replay: size - freebytes */
	uint64_t	tblhash;	/* superblock arena-table hash; NONE: unverified */
	GefsArenaHdr	hdr;		/* as decoded from the copy used (hdr.used as stored) */
	int		hdrcopy;	/* copy used: 0 header, 1 footer */
	int		copyok[2];	/* header, footer: -1 does not decode, 0 hash
					 * differs from tblhash, 1 verifies (or decodes
					 * when tblhash is NONE) */
	bool		agree;		/* header and footer byte-identical */
	uint64_t	loghead;	/* first log block (hdr.loghdaddr) */
	uint64_t	logtail;	/* block where replay stopped (NONE: no log) */
	uint32_t	tailsz;		/* its logsz, truncated at the barrier */
	uint64_t	stopoff;	/* body offset of the barrier replay stopped at,
					 * NONE when the log was replayed to its end */
	uint64_t	nlog;		/* log blocks replayed */
	uint64_t	nent;		/* alloc/free entries replayed */
	uint64_t	nfree;		/* free ranges */
	uint64_t	freebytes;	/* total free bytes */
} GefsArenaInfo;
/* 0, or -1 (EINVAL) when i is not an arena index. */
GEFS_API int gefs_arenainfo(Gefs *fs, int i, GefsArenaInfo *ai);

/* One item of an allocation-log walk. */
enum {
	GEFS_LOGBLOCK,		/* a log block starts: blk, seq, hdr, hashok */
	GEFS_LOGAPPLIED,	/* an entry replay applied (or a barrier it skipped) */
	GEFS_LOGSTOP,		/* the barrier >= sb.qgen where replay stopped */
	GEFS_LOGIGNORED,	/* an entry after it, in the same block */
	GEFS_LOGBAD,		/* an undecodable entry after the stop; the walk ends */
};
typedef struct GefsLogItem {
	int		kind;		/* GEFS_LOG* above */
	uint64_t	blk;		/* log block address */
	uint64_t	seq;		/* its position in the chain, 0 = head */
	GefsLogHdr	hdr;		/* its header as stored */
	bool		hashok;		/* logh matches the body */
	size_t		off;		/* entry offset in the body (0 for GEFS_LOGBLOCK) */
	GefsLogEnt	ent;		/* the entry (zero for GEFS_LOGBLOCK, GEFS_LOGBAD) */
} GefsLogItem;
typedef int (*GefsLogFn)(void *arg, const GefsLogItem *it);
/* Walk arena i's log as replay does, from its head to the block where
 * replay stops (the stale chain pointer of that block is not followed),
 * listing the entries after the barrier as ignored.  A non-zero return of
 * fn stops the walk and is returned; 0 when done; -1 on error (EINVAL bad
 * index; EBADMSG, EIO as replay). */
GEFS_API int gefs_walklog(Gefs *fs, int i, GefsLogFn fn, void *arg);
/* Arena i's free ranges in address order: fn(arg, start, len) in bytes;
 * a non-zero return stops the walk and is returned; -1 (EINVAL). */
typedef int (*GefsFreeFn)(void *arg, uint64_t start, uint64_t len);
GEFS_API int gefs_walkfree(Gefs *fs, int i, GefsFreeFn fn, void *arg);
/* Copy the raw 16 KiB block at addr into buf, through the cache, without
 * any check but the address: -1 with EINVAL (unaligned) or ENOENT (outside
 * the device), EIO. */
GEFS_API int gefs_readblk(Gefs *fs, uint64_t addr, uint8_t *buf);
/* The extension record (§22.2): from superblock 0 if valid there, else
 * from superblock 1 (both valid and different: 0, reported); NULL when
 * neither holds a valid record (no error is set). */
GEFS_API const GefsXrec *gefs_xrec(Gefs *fs);
/* tune.c: make x the extension record of fs (opened rdwr) through a
 * commit (§15.2): packed into the superblock copy in use, which the commit
 * writes to both addresses, so that a copy that loads after a crash holds
 * the old record or x (with the old or the new state: the record is not
 * under sbhash, so a torn superblock write can pair the old record with
 * the new commit; the copies' records may then differ).  Adds a
 * record to an image that had none.  x->label must be labellen bytes that
 * gefs_labelcheck accepts, NUL-terminated.  -1: EROFS (read-only handle),
 * EINVAL (label), or the commit's errors; after a failed commit the handle
 * must not commit again. */
GEFS_API int gefs_setxrec(Gefs *fs, const GefsXrec *x);

/* image.c: the metadata of fs (gefs-image): both superblocks (marked
 * GEFS_XFMETA in their extension record, a new record where a copy has
 * none), arena headers and footers, every allocation-log and deadlist
 * block, every node of the snapshot tree and of the tree of every
 * snapshot record, the data of adm's users file (§16: the owners'
 * names, which a check needs), found by reading blocks raw (damage is exported as it
 * is; a block that does not decode is not followed).  fn gets each block
 * once, in address order; a non-zero return stops it (-1, EIO unless fn
 * set an error).  -1 on a read error or ENOMEM. */
typedef struct GefsImageStats {
	uint64_t	nblk;		/* blocks handed to fn */
	uint64_t	narena, nlog, ndlist, nnode;
	uint64_t	nusers;		/* data blocks of adm's /users */
	uint64_t	nbad;		/* blocks exported that did not decode */
	uint64_t	nnames, nkept;	/* gefs_scramble: names changed, left */
	uint64_t	nlabels, nlabelskept;	/* gefs_scramble: labels changed, left */
	uint64_t	nchanged;	/* gefs_scramble: nodes rewritten */
} GefsImageStats;
typedef int (*GefsImageFn)(void *arg, uint64_t addr, const uint8_t *blk);
GEFS_API int gefs_metaimage(Gefs *fs, GefsImageFn fn, void *arg, GefsImageStats *st);
/* scramble.c (gefs-image -s): in fs (opened read-write; meant for a
 * metadata image), replace every file and directory name outside the adm
 * label's tree by a random name of the same length that keeps its key's
 * place (order within each directory), in place, then gefs_rehash every
 * changed node up to both superblocks.  Node layout, fill, the other
 * keys and values are unchanged.  The same seed gives the same names.
 * st: nnames, nkept (a group too large for its length keeps its names),
 * nchanged.  -1 on errors (the image may then be half scrambled). */
GEFS_API int gefs_scramble(Gefs *fs, uint64_t seed, GefsImageStats *st);

/* resize.c: what gefs_grow did (or would do). */
typedef struct GefsGrow {
	uint64_t	oldsize, newsize;	/* device bytes before and after */
	uint32_t	oldnarena, newnarena;
	uint64_t	oldend;			/* end of the last old arena */
	uint64_t	arenasz;		/* S' of each new arena */
	uint64_t	arenaaddr[4];		/* the new arenas' headers */
	uint64_t	sb1;			/* the new backup superblock */
} GefsGrow;
/* Grow fs (opened rdwr, superblock copy 0 in use) to size bytes as the
 * reference's grow does (§19): a regular file is extended (a block device
 * must already have that size); four arenas of equal size are added after
 * the last one; the backup superblock moves to the new last block.  The
 * superblock in use is first copied to the new last block, then the new
 * arenas and superblocks are published by a commit (§15.2) with real table
 * hashes for every arena, so that every crash point loads.  -1: EROFS;
 * EINVAL when size is below the device size (no shrinking), adds less
 * than 64 MiB after the last arena, or would give 256 arenas or more;
 * EBADMSG when copy 0 is not the one in use; the commit's errors (after a
 * failure the handle must not be used to commit, and a regular file may
 * stay extended).  g is filled from the validation on. */
GEFS_API int gefs_grow(Gefs *fs, uint64_t size, GefsGrow *g);

/* ==== Later sections (open/load, trees, files, snapshots, check) are  ====
 * ==== added below by their layers; each keeps to the error contract. ==== */

/* ------------------------------------------------------------------ */
/* Trees, snapshots and files: reading (tree.c, snap.c, fs.c)         */
/*                                                                    */
/* A GefsTree is one opened tree: a snapshot's file-system tree, or   */
/* the snapshot tree itself.  Lookups and scans apply the messages    */
/* buffered in pivots (§10, §11), so they see the logical contents.   */
/* Every node and data block is verified against its pointer's hash   */
/* when read (fs->opts.ignhash reads on with a warning).  Errors go   */
/* to the Gefs handle; damaged trees fail with EBADMSG naming the     */
/* block, the key and the field.  Trees stay valid until closed; a    */
/* tree must be closed before its Gefs.                               */
/* ------------------------------------------------------------------ */

#define GEFS_MAXHT	32	/* tallest tree read; taller fails as damaged */
#define GEFS_USERMAX	127	/* user name bytes kept (reference limit) */

typedef struct GefsTree GefsTree;
typedef struct GefsScan GefsScan;

/* The snapshot tree: root and height from the superblock.  Its record
 * (gefs_treesnap) has gen, pred, succ, base -1 and root.gen NONE. */
GEFS_API GefsTree *gefs_snaptree(Gefs *fs);
/* The file-system tree of snapshot gen (its Ksnap record); ENOENT when
 * there is no such record. */
GEFS_API GefsTree *gefs_opensnap(Gefs *fs, uint64_t gen);
/* The file-system tree of the snapshot label names; ENOENT if absent. */
GEFS_API GefsTree *gefs_opentree(Gefs *fs, const char *label);
GEFS_API void gefs_closetree(GefsTree *t);
/* The tree's record: root pointer, height, generation, links. */
GEFS_API const GefsSnap *gefs_treesnap(const GefsTree *t);

/* Point lookup of key k (§11.2).  *nv is the size of v on entry (values
 * are at most GEFS_INLMAX bytes) and the value's length on return.
 * Returns 0 when found, 1 when absent (code ENOENT left in the handle),
 * -1 on error (EINVAL also when the value does not fit in v). */
GEFS_API int gefs_lookup(GefsTree *t, const uint8_t *k, size_t nk, uint8_t *v, size_t *nv);

/* Range scan over [lo, hi) in key order (§11.3); lo NULL (or nlo 0)
 * starts at the first key, hi NULL means no upper bound.  Memory is
 * O(tree height): one node per level is held.  NULL on error. */
GEFS_API GefsScan *gefs_scan(GefsTree *t, const uint8_t *lo, size_t nlo, const uint8_t *hi, size_t nhi);
/* Every key that starts with the nk bytes of prefix. */
GEFS_API GefsScan *gefs_scanprefix(GefsTree *t, const uint8_t *prefix, size_t nk);
/* Next logical pair: 1 with *kv filled (pointing into the scan, valid
 * until the next call), 0 at the end, -1 on error (then always -1). */
GEFS_API int gefs_scannext(GefsScan *s, GefsKv *kv);
GEFS_API void gefs_scanfree(GefsScan *s);

/* Reading past damage (gefs-dump ls, cat, manifest, restore).  Once a
 * tree has a damage callback, its reads skip what cannot be read instead
 * of failing, and say what they skipped:
 *   GEFS_DMRANGE  a subtree (block addr) could not be read: the keys in
 *                 [lo, hi) are missing, hi NULL meaning no upper bound;
 *                 the messages buffered above it for those keys are
 *                 dropped with it (scans, and so directory listings);
 *   GEFS_DMKEY    the value of key lo cannot be used (a directory entry
 *                 that does not decode, a message that does not apply);
 *   GEFS_DMDATA   file bytes [off, off + len) of qid could not be read
 *                 (the Kdat lookup or the data block addr) and read as
 *                 zeros (gefs_read);
 * gefs_manifest then prints "?" as the SHA-256 of a file some of whose
 * bytes could not be read.  addr is GEFS_NONE when only msg (the error,
 * which names the block) knows it.  fn NULL restores the strict mode.
 * A tree whose root cannot be read still fails. */
enum { GEFS_DMRANGE = 1, GEFS_DMKEY, GEFS_DMDATA };
typedef struct GefsDamage {
	int		kind;
	uint64_t	addr;
	const uint8_t	*lo, *hi;	/* keys (GEFS_DMRANGE, GEFS_DMKEY) */
	size_t		nlo, nhi;
	uint64_t	qid, off, len;	/* GEFS_DMDATA */
	const char	*msg;
	const char	*path;		/* being read, when the library knows it
					 * (gefs_manifest); else NULL */
	size_t		npath;
} GefsDamage;
typedef void (*GefsDamageFn)(void *arg, const GefsDamage *dm);
GEFS_API void gefs_tolerate(GefsTree *t, GefsDamageFn fn, void *arg);

/* Raw node walk, pre-order, children in key order, down to maxdepth
 * (0 = the root only; negative = every level).  fn gets the depth (root
 * 0), the decoded node (valid during the call) and the pointer it was
 * reached by; a non-zero return stops the walk and is returned.
 * 0 when done, -1 on error. */
typedef int (*GefsNodeFn)(void *arg, int depth, const GefsNode *n, const GefsBptr *bp);
GEFS_API int gefs_walktree(GefsTree *t, int maxdepth, GefsNodeFn fn, void *arg);

/* Shape of a tree, from a full node walk. */
typedef struct GefsTreeStats {
	int		ht;
	uint64_t	nodes[GEFS_MAXHT];	/* nodes per depth */
	uint64_t	npivot, nleaf;
	uint64_t	nval;			/* leaf entries */
	uint64_t	nptr;			/* pivot entries (child pointers) */
	uint64_t	nmsg;			/* buffered messages */
	uint64_t	msgbytes;		/* 2·nbuf + bufsz, summed */
	uint64_t	fill;			/* §8.4 fill, summed over all nodes */
	uint64_t	bytes;			/* 16384 · nodes */
} GefsTreeStats;
GEFS_API int gefs_treestats(GefsTree *t, GefsTreeStats *st);

/* Snapshot tree contents (snap.c).  Each walk scans one key type in key
 * order; a non-zero return of fn stops it and is returned; 0 when done,
 * -1 on error (a value that does not decode fails with EBADMSG). */
typedef int (*GefsLabelFn)(void *arg, const char *name, size_t nlen, const GefsLabel *l);
typedef int (*GefsSnapFn)(void *arg, const GefsSnap *s);
typedef int (*GefsDlistFn)(void *arg, uint64_t gen, uint64_t bgen, const GefsDlist *d);
GEFS_API int gefs_walklabels(Gefs *fs, GefsLabelFn fn, void *arg);	/* name NUL-terminated */
GEFS_API int gefs_walksnaps(Gefs *fs, GefsSnapFn fn, void *arg);
GEFS_API int gefs_walkdlists(Gefs *fs, GefsDlistFn fn, void *arg);
/* One label or record: 0, or -1 (ENOENT when absent). */
GEFS_API int gefs_getlabel(Gefs *fs, const char *name, GefsLabel *l);
GEFS_API int gefs_getsnap(Gefs *fs, uint64_t gen, GefsSnap *s);

/* Files (fs.c, §12).  Paths are absolute or relative to the tree's root
 * ("/a/b", "a/b"); empty elements and "." are skipped, ".." goes to the
 * parent through Kup (§9.8).  Errors: ENOENT, ENOTDIR, EINVAL (an element
 * longer than 244 bytes), EBADMSG. */
GEFS_API int gefs_walk(GefsTree *t, const char *path, GefsXdir *d);

/* What stat reports (as the reference's 9P stat does). */
typedef struct GefsStat {
	GefsXdir	d;
	char		name[GEFS_NAMEMAX + 1];	/* last element; "/" for the root */
	char		uid[GEFS_USERMAX + 1];	/* names, see gefs_username */
	char		gid[GEFS_USERMAX + 1];
	char		muid[GEFS_USERMAX + 1];
	int64_t		mtime;			/* seconds: (ns + 500000000) / 1000000000 */
	int64_t		atime;
} GefsStat;
GEFS_API int gefs_stat(GefsTree *t, const char *path, GefsStat *st);

/* Directory listing: fn(arg, name, nlen, xdir) for every child; name is
 * NUL-terminated.  gefs_readdir lists in byte-wise (strcmp) order of
 * names, holding one directory's names in memory to sort them;
 * gefs_readdirqid with sorted false streams the on-disk order (name
 * length first, §9.1) in O(tree height) memory.  A non-zero return of
 * fn stops the listing and is returned; 0 when done, -1 on error. */
typedef int (*GefsDirFn)(void *arg, const char *name, size_t nlen, const GefsXdir *d);
GEFS_API int gefs_readdir(GefsTree *t, const char *path, GefsDirFn fn, void *arg);
GEFS_API int gefs_readdirqid(GefsTree *t, uint64_t qid, bool sorted, GefsDirFn fn, void *arg);

/* Read up to n bytes of file f from off: holes read as zeros, nothing
 * past f->length (Kdat keys beyond it are ignored, §12.4).  Returns the
 * byte count (0 at or past the end), -1 on error (EISDIR for a
 * directory). */
GEFS_API int64_t gefs_read(GefsTree *t, const GefsXdir *f, uint64_t off, void *buf, size_t n);

/* The name of user id from /users in the adm label (§16), parsed on
 * first use.  When the users file has no name for id, or cannot be read
 * (reported once through opts.warn), the decimal id is written instead.
 * Always NUL-terminates buf (n >= 1; names are cut to fit).  Returns 0
 * for a name, 1 for the numeric form. */
GEFS_API int gefs_username(Gefs *fs, int32_t id, char *buf, size_t n);

/* Print the manifest of path and everything below it, in the format of
 * the reference images' manifests: one line per entry, TAB-separated
 *	path type mode length uid gid muid mtime qid.path qid.vers sha256
 * depth first, each directory before its children, children in strcmp
 * order; mode in octal, qid.path in lower-case hex, sha256 of the
 * contents in lower-case hex ("-" for directories).  Paths are absolute
 * from the tree's root.  Hashing reads every byte of every file, holes
 * included; a file longer than 16 times the device size (almost all hole,
 * or a damaged length) fails with EFBIG instead of hashing for hours.
 * 0, or -1 (EIO when writing out fails; EBADMSG, EFBIG). */
GEFS_API int gefs_manifest(GefsTree *t, const char *path, FILE *out);

/* ------------------------------------------------------------------ */
/* Raw blocks (poke.c), for debugging tools and damaged test images.  */
/* These change blocks in place, outside copy-on-write, the logs and   */
/* the commit: the image may be left damaged on purpose.  Trees opened */
/* before a raw write may hold stale roots: reopen them.               */
/* ------------------------------------------------------------------ */

/* Write the 16 KiB buf to block addr as it is and flush the device (a
 * handle opened read-write; EROFS otherwise, EINVAL for a bad address). */
GEFS_API int gefs_writeblk(Gefs *fs, uint64_t addr, const uint8_t *buf);

/* A pointer to a block, as gefs_findrefs reports it. */
enum {
	GEFS_REFSB	= 0,	/* the superblock's snapshot-tree root */
	GEFS_REFPIVOT	= 1,	/* child pointer: entry idx of pivot node */
	GEFS_REFVAL	= 2,	/* leaf value idx: Kdat (data) or Ksnap (tree root) */
	GEFS_REFMSG	= 3,	/* buffered Oinsert idx of pivot node carrying a Kdat or Ksnap */
};
typedef struct GefsRef {
	int64_t		tree;	/* snapshot gen whose tree holds the pointer; -1 the snapshot tree */
	uint64_t	node;	/* the node holding it (GEFS_NONE for GEFS_REFSB) */
	int		kind;	/* GEFS_REF* */
	int		idx;
	const uint8_t	*k;	/* the entry's key (valid during the callback) */
	size_t		nk;
} GefsRef;
typedef int (*GefsRefFn)(void *arg, const GefsRef *r);
/* Every pointer to addr in the snapshot tree and in every snapshot's tree
 * (shared nodes are reported once per tree that reaches them), with hash
 * checks off.  A non-zero return of fn stops the search and is returned;
 * 0 when done; -1 on error. */
GEFS_API int gefs_findrefs(Gefs *fs, uint64_t addr, GefsRefFn fn, void *arg);
/* Make the (changed) block at addr valid again: a superblock copy gets
 * its sbhash, an arena header or footer its hash in the superblocks'
 * arena table, a log or deadlist block its logh, and a tree node or data
 * block the hash in every pointer to it (pivots, Kdat values, snapshot
 * records, buffered messages, the superblock's snapshot-tree root), each
 * changed block in turn rehashed up to both superblocks.  *nfix counts
 * the blocks rewritten.  ENOENT when nothing points to a tree or data
 * block. */
GEFS_API int gefs_rehash(Gefs *fs, uint64_t addr, int *nfix);
/* Write buf to addr and rehash as gefs_rehash does, the pointers to addr
 * found before the write: new contents that no longer decode (a node
 * made inconsistent on purpose) still get valid hashes above them. */
GEFS_API int gefs_writerehash(Gefs *fs, uint64_t addr, const uint8_t *buf, int *nfix);

/* Named fields of a block (gefs-shell's set; pack.c holds the offsets).
 * The names are the ones gefs-dump prints; "[]" stands for an index:
 * "arena[1].hash" of a superblock, "entry[3].op" of a log block,
 * "entry[0].key" or "entry[2].gen" of a node, "msg[0].value". */
enum { GEFS_FNUM, GEFS_FBYTES };
typedef struct GefsField {
	const char	*name;
	int		kind;		/* GEFS_FNUM: a number; GEFS_FBYTES: a key or value */
	int		width;		/* bytes of a number (1, 2, 4, 8) */
	const char	*what;		/* one line for help */
} GefsField;
/* The fields of blocks of type (GEFS_TSUPER, GEFS_TARENA, GEFS_TLOG,
 * GEFS_TDLIST, GEFS_TPIVOT, GEFS_TLEAF), ending at a NULL name; NULL for
 * any other type. */
GEFS_API const GefsField *gefs_fields(int type);
/* The field name names in a block of type; *idx receives its index (-1
 * when it has none).  NULL with EINVAL for an unknown name. */
GEFS_API const GefsField *gefs_field(int type, const char *name, int *idx, GefsErr *e);
/* Set field name of the block in blk (its type from its first two bytes)
 * to num (a number field) or to the n bytes at b (a key or value; the
 * node's area is repacked).  No hash is recomputed: see gefs_rehash.
 * EINVAL for an unknown field, a value that does not fit or an index
 * past the end; EBADMSG when the items of the block do not decode. */
GEFS_API int gefs_setfield(uint8_t *blk, uint64_t addr, const char *name, uint64_t num,
	const uint8_t *b, size_t n, GefsErr *e);
/* Files: writing (fswrite.c, §12.5–§12.7, §16)                       */
/*                                                                    */
/* On a tree opened from a read-write handle (opts.rdwr).  Each call  */
/* upserts the messages the reference's file server would (§12.5),    */
/* only in forms every reference revision accepts (§24, §27): no op 8, */
/* no Owstat bit 0x80, empty Odelete operands, Oclearb/Oclobber only  */
/* for keys present.  Nothing reaches the image before gefs_commit;   */
/* gefs_abort drops it.  Paths as gefs_walk; the last element must be */
/* a valid name (§12.6, EINVAL otherwise).  Errors: ENOENT (naming    */
/* the path), EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENOSPC,     */
/* EROFS (a read-only handle or the snapshot tree), EBADMSG.  After a */
/* failure the tree may hold part of the call's changes (every step   */
/* consistent); abort to drop them.                                   */
/*                                                                    */
/* Entries get the acting user (gefs_setuser; default adm) as muid,   */
/* and uid on create; gid is the parent's.  Times are the clock set   */
/* by gefs_setclock, else SOURCE_DATE_EPOCH when set, else the        */
/* system clock.  qid paths come from the superblock's nextqid.       */
/* ------------------------------------------------------------------ */

/* The acting user by name (in the users file, §16): 0, or -1 (ENOENT). */
GEFS_API int gefs_setuser(Gefs *fs, const char *name);
/* Use ns (nanoseconds since the epoch) as the time of every change. */
GEFS_API void gefs_setclock(Gefs *fs, int64_t ns);

/* Create an empty file (mode without GEFS_DMDIR) or a directory (with
 * it).  mode holds permission bits 0777 and DMAPPEND/DMEXCL/DMTMP; the
 * permissions are masked by the parent's as Plan 9 does (files:
 * mode & (~0666 | parent & 0666), directories: ~0777).  uid NULL: the
 * acting user.  Bumps the parent's qid.vers.  EEXIST, EINVAL (mode bits
 * outside GEFS_MODEBITS, a bad name or user). */
GEFS_API int gefs_create(GefsTree *t, const char *path, uint32_t mode, const char *uid);
/* gefs_create(t, path, GEFS_DMDIR | perm, uid). */
GEFS_API int gefs_mkdir(GefsTree *t, const char *path, uint32_t perm, const char *uid);
/* Write n bytes at off (at the end when the file has DMAPPEND), growing
 * the file past its end; untouched blocks stay holes, partial blocks are
 * read, modified and written anew.  One Owstat (mtime, muid, and size
 * when it grows) per 1 MiB step.  Returns n, or -1 (EISDIR, ENOSPC). */
GEFS_API int64_t gefs_pwrite(GefsTree *t, const char *path, const void *buf, size_t n, uint64_t off);
/* Batches of new files: many files created with their contents in one
 * tree update (one upsert per few hundred small files instead of two per
 * file), for bulk loading.  gefs_batchput creates the file path (mode and
 * uid as gefs_create) holding the n bytes of buf, as gefs_create then one
 * gefs_pwrite of buf would leave it (qid.vers 1 when n > 0, the parent's
 * qid.vers bumped); EEXIST when path exists or is queued.  Its data
 * blocks are written at once, its entry is queued: lookups and reads see
 * queued files only after gefs_batchflush, gefs_batchclose or
 * gefs_commit (which flushes every open batch; gefs_abort drops what is
 * queued).  Meanwhile other calls may change the tree, except that a
 * queued file's parent must stay and its path must not be created by
 * them.  A batch flushes by itself when full.  Directories (mode with
 * GEFS_DMDIR), files in the tree of adm and files of 32 MiB or more are
 * created at once.  The parent must exist (not queued).  Close a batch
 * before its tree and handle.  gefs_batchclose flushes and frees (NULL:
 * no-op); all return 0, or -1 (gefs_errmsg). */
typedef struct GefsBatch GefsBatch;
GEFS_API GefsBatch *gefs_batchopen(GefsTree *t);
GEFS_API int gefs_batchput(GefsBatch *bt, const char *path, uint32_t mode, const char *uid, const void *buf, size_t n);
GEFS_API int gefs_batchflush(GefsBatch *bt);
GEFS_API int gefs_batchclose(GefsBatch *bt);
/* Set the length: shrinking clears every data block past it and zeroes
 * the rest of the last block; growing leaves a hole.  EISDIR. */
GEFS_API int gefs_truncate(GefsTree *t, const char *path, uint64_t len);
/* Remove a file (and release its data) or an empty directory (ENOTEMPTY
 * otherwise).  The root cannot be removed (EINVAL). */
GEFS_API int gefs_remove(GefsTree *t, const char *path);
/* Remove path and everything below it, children first. */
GEFS_API int gefs_removeall(GefsTree *t, const char *path);
/* Rename or move an entry within the tree: to names the new path, whose
 * parent must exist and which must not (EEXIST).  A directory cannot move
 * below itself (EINVAL).  Bumps the entry's and both parents' qid.vers. */
GEFS_API int gefs_rename(GefsTree *t, const char *from, const char *to);

/* Fields of gefs_wstat, selected by mask. */
enum {
	GEFS_WSMODE	= 1 << 0,	/* mode: 0777|DMAPPEND|DMEXCL|DMTMP, DMDIR unchanged */
	GEFS_WSMTIME	= 1 << 1,
	GEFS_WSATIME	= 1 << 2,
	GEFS_WSUID	= 1 << 3,	/* owner, by user name */
	GEFS_WSGID	= 1 << 4,	/* group, by user name */
	GEFS_WSLENGTH	= 1 << 5,	/* as gefs_truncate */
};
typedef struct GefsWstat {
	unsigned	mask;		/* GEFS_WS* */
	uint32_t	mode;
	int64_t		mtime;		/* ns */
	int64_t		atime;		/* ns */
	const char	*uid;
	const char	*gid;
	uint64_t	length;
} GefsWstat;
/* Change the selected fields in one Owstat (muid := the acting user);
 * an empty mask changes nothing.  EINVAL (mode bits, DMDIR changed,
 * unknown user), EISDIR (a directory's length). */
GEFS_API int gefs_wstat(GefsTree *t, const char *path, const GefsWstat *w);

/* The users file of adm (§16), edited through its tree: each call
 * rewrites /users and re-reads it, refusing (EINVAL) a result the
 * reference could not parse.  Direct writes and truncates of adm's
 * /users are judged the same way before they are made, and it cannot
 * be removed or renamed.  A group is a user (Plan 9).
 * gefs_useradd adds "id:name:leader:" (leader NULL or "": none); EEXIST
 * when the name or id is taken.  gefs_groupmember adds user to group's
 * members (EEXIST when already one). */
GEFS_API int gefs_useradd(GefsTree *adm, int32_t id, const char *name, const char *leader);
GEFS_API int gefs_groupmember(GefsTree *adm, const char *group, const char *user);
/* Editing (session.c).  On a handle opened with opts.rdwr, trees     */
/* opened with gefs_opentree through a mutable label are writable     */
/* (one shared tree per label: opening it twice returns the same     */
/* state).  Changes stay in memory and in blocks the committed state  */
/* considers free until gefs_commit; nothing uncommitted is ever      */
/* reachable from a superblock on disk.                               */
/* ------------------------------------------------------------------ */

/* Write every dirty tree into a new snapshot record, moving its label
 * (§13.4 updatesnap), the snapshot tree and the superblock, atomically
 * (§15.2).  0 on success (also when nothing changed: then nothing is
 * written).  After a failed commit the image holds the old state (or, if
 * the failure came after the commit point, the new one) and the handle
 * refuses further commits and edits (EIO) until reopened. */
GEFS_API int gefs_commit(Gefs *fs);
/* Drop every uncommitted change and reload the committed state; open
 * trees return to their committed roots.  Nothing is written: the image
 * is byte-identical to before, except that an edit larger than the cache
 * may have written data blocks early into free space. */
GEFS_API int gefs_abort(Gefs *fs);
/* Labels (§13.5, §13.6), applied to the snapshot tree at once and made
 * durable by the next gefs_commit.  gefs_snapshot: label dst for the
 * snapshot label src points to: immutable, or (mut) a mutable fork whose
 * changes form a new line of history.  A src with uncommitted changes is
 * not committed: every changed tree is folded into its record in memory
 * and a generation boundary drawn (blocks born before it are shared from
 * then on, copied by later changes, never freed at once), so the label
 * joins the one commit still to come.  gefs_dellabel: delete a label; its snapshot goes too
 * when nothing else refers to it (deadlists merged or freed, a deleted
 * tip's own blocks freed; every free waits for the commit).  Errors:
 * EEXIST, ENOENT, EINVAL (a name of 0 or more than 127 bytes), EPERM
 * (dump, empty, adm), EBUSY (a label whose tree is open for writing, or
 * the last label of a snapshot that has a fork). */
GEFS_API int gefs_snapshot(Gefs *fs, const char *src, const char *dst, bool mut);
/* Has label's writable tree uncommitted changes? */
GEFS_API bool gefs_labeldirty(Gefs *fs, const char *label);
GEFS_API int gefs_dellabel(Gefs *fs, const char *label);
/* Configuration entries (§17): in the snapshot tree (label NULL: global)
 * or in the tree of a label (mutable for setconf; opened and changed like
 * any edit).  Names of 1 to 31 bytes, values of at most 127 bytes; a
 * "retain" value must pass gefs_retaincheck (EINVAL otherwise).
 * gefs_setconf with val NULL deletes the entry (ENOENT if absent).
 * gefs_getconf copies the value NUL-terminated into val (n bytes; EINVAL
 * if it does not fit): 0, or -1 (ENOENT when absent). */
GEFS_API int gefs_setconf(Gefs *fs, const char *label, const char *name, const char *val);
GEFS_API int gefs_getconf(Gefs *fs, const char *label, const char *name, char *val, size_t n);

/* ------------------------------------------------------------------ */
/* Checking (check.c, ck*.c, problem.c)                               */
/*                                                                    */
/* gefs_check verifies everything FORMAT.md §20 lists: superblocks,   */
/* arenas, allocation logs, every block hash, every tree, messages,   */
/* reachability of every block, snapshots, labels, deadlists, the     */
/* namespace of every tree and the users file.  Every finding is one  */
/* row of the problem table (gefs_problems): a stable code such as    */
/* "SB0001", a severity and flags.  Only errors make an image unclean; */
/* notes and warnings describe what the reference routinely leaves.   */
/* ------------------------------------------------------------------ */

enum {
	GEFS_SEVNOTE	= 0,
	GEFS_SEVWARN	= 1,
	GEFS_SEVERR	= 2,
};

/* Problem flags. */
enum {
	GEFS_PRPREEN	= 1 << 0,	/* -p may repair it without asking */
	GEFS_PRFATAL	= 1 << 1,	/* the check cannot go on past it */
	GEFS_PRNOFIX	= 1 << 2,	/* no repair exists */
	GEFS_PRCOMMIT	= 1 << 3,	/* repaired through a commit (rebuilt allocation
					 * logs, counters, snapshot tree), made only when
					 * the block map is complete; leaks (RF0005)
					 * only with GefsCheckOpts.reclaim */
	GEFS_PRBLOCK	= 1 << 4,	/* an error that may hide block references:
					 * while one is found no repair commit is made */
	GEFS_PRSTRUCT	= 1 << 5,	/* a structural error of a tree: its namespace
					 * is not checked */
	/* bits 8-11: how the repair is made (GEFS_PRREPAIR) */
};
#define GEFS_PRREPAIR(flags)	(((flags) >> 8) & 0xf)
#define GEFS_PRKIND(rk)		((unsigned)(rk) << 8)
/* Kinds of repair. */
enum {
	GEFS_RKNONE	= 0,	/* none (GEFS_PRNOFIX) */
	GEFS_RKSB	= 1,	/* the superblock copy is rewritten */
	GEFS_RKHDR	= 2,	/* the arena header or footer is rewritten */
	GEFS_RKLOGBLK	= 3,	/* the log block is cut at its barrier, in place */
	GEFS_RKLOG	= 4,	/* commit: the allocation logs are rebuilt */
	GEFS_RKLOGBAD	= 5,	/* commit: the arena's log, untrusted, is rebuilt
				 * from what is referenced alone */
	GEFS_RKSNAP	= 6,	/* commit: the snapshot tree is rewritten */
	GEFS_RKMETA	= 7,	/* commit: superblock counters, arena headers */
	GEFS_RKRECLAIM	= 8,	/* commit: leaks freed, only when reclaiming
				 * (GefsCheckOpts.reclaim), in -p as in -y */
	GEFS_RKFSTREE	= 9,	/* commit: a mutable label's file-system tree is
				 * rewritten through the write engine, in a commit
				 * after the repair commit */
};

typedef struct GefsProblem {
	const char	*code;		/* "SB0001": two letters of area, 4 digits */
	int		sev;		/* GEFS_SEV* */
	unsigned	flags;		/* GEFS_PR* */
	const char	*desc;		/* one line: what was found */
	/* The finding's message: a template whose {name} placeholders the
	 * checker fills from what it found (problem.c lists the names);
	 * NULL only for a retired row, never reported. */
	const char	*msg;
} GefsProblem;

/* The whole table, in code order; *n receives its length. */
GEFS_API const GefsProblem *gefs_problems(size_t *n);
GEFS_API const char *gefs_sevname(int sev);	/* "note", "warning", "error" */

/* Modes (fsck -n, -p, -y). */
enum {
	GEFS_CKNONE	= 0,	/* change nothing (the default) */
	GEFS_CKPREEN	= 1,	/* repair what is flagged GEFS_PRPREEN */
	GEFS_CKYES	= 2,	/* repair everything that has a repair */
};

/* Passes, numbered from 1 for progress lines. */
enum {
	GEFS_CKPSUPER	= 1,	/* superblocks and arena headers */
	GEFS_CKPLOG	= 2,	/* allocation logs */
	GEFS_CKPSNAP	= 3,	/* the snapshot tree, labels, records */
	GEFS_CKPTREE	= 4,	/* file-system trees and data blocks */
	GEFS_CKPDLIST	= 5,	/* deadlists */
	GEFS_CKPREACH	= 6,	/* reachability, leaks, counters */
	GEFS_CKPFIX	= 7,	/* repairs */
	GEFS_CKNPASS	= 8	/* array bound (index 0 unused) */
};
GEFS_API const char *gefs_passname(int pass);

typedef struct GefsFinding {
	const GefsProblem *p;
	const char	*msg;		/* complete message, naming block, tree, key or path */
	uint64_t	addr;		/* the block concerned, or GEFS_NONE */
	int		pass;
	bool		fixed;		/* the repair was (or will be, at the end) made */
	/* 0, or this finding is a summary standing for more findings of
	 * problem p, not shown one by one (GefsCheckOpts.maxshow) */
	uint64_t	more;
} GefsFinding;

typedef struct GefsCheckOpts {
	int		mode;		/* GEFS_CK* */
	int		sbcopy;		/* -1 choose, 0 or 1 force that superblock copy */
	size_t		cachesz;	/* bytes; 0 = 64 MiB */
	/* Every finding, in the order found (may be NULL). */
	void		(*report)(void *arg, const GefsFinding *f);
	/* Progress: cur of max units of pass done (may be NULL). */
	void		(*progress)(void *arg, int pass, uint64_t cur, uint64_t max);
	/* When *cancel becomes non-zero the check stops at the next safe
	 * point (before any repair is written). */
	volatile int	*cancel;
	void		*arg;
	/* Repairs may also free leaked blocks (RF0005, FORMAT.md §14.6),
	 * which are otherwise left allocated (fsck -E reclaim). */
	bool		reclaim;
	/* Threads for the tree pass, the caller's included: data blocks are
	 * read and hashed by nthreads - 1 workers while the caller walks
	 * (1: the caller does everything).  0 = auto: one worker per online
	 * CPU beyond the first, at least 2 (their reads overlap), at most 8.
	 * Findings and their order do not depend on it. */
	int		nthreads;
	/* Metadata only (fsck -E nodata): every tree node, log and deadlist
	 * block is read and verified, data blocks are accounted for but not
	 * read, so their hashes are not checked (RF0006, RF0007 cannot be
	 * found). */
	bool		nodata;
	/* Findings reported one by one per problem (0 = GEFS_CKMAXSHOW); the
	 * rest of each are counted and reported as one summary finding
	 * (GefsFinding.more) per pass, so memory does not grow with them. */
	unsigned	maxshow;
} GefsCheckOpts;
enum { GEFS_CKMAXSHOW = 100 };

typedef struct GefsCheckStats {
	uint64_t	nfound[3];	/* findings by severity */
	uint64_t	nfixed;		/* findings repaired */
	uint64_t	nerrleft;	/* errors not repaired */
	uint64_t	nblocks;	/* device blocks */
	uint64_t	nalloc;		/* allocated per the logs */
	uint64_t	nref;		/* referenced by anything */
	uint64_t	nleak;		/* allocated, unreferenced */
	uint64_t	nnode, ndata, nlog, ndlist;	/* distinct blocks seen */
	uint64_t	nsnap, nlabel, nfile, ndir;
	double		passtime[GEFS_CKNPASS];	/* seconds */
	long		passrss[GEFS_CKNPASS];	/* peak RSS (KiB) after the pass */
	bool		cancelled;
	bool		fatal;		/* stopped early on a GEFS_PRFATAL problem */
	uint64_t	nfixsev[3];	/* findings repaired, by severity (sum: nfixed) */
	uint64_t	nreclaim;	/* leaked blocks freed by the repair (reclaim) */
	bool		metaimage;	/* a metadata image (GEFS_XFMETA): checked as nodata */
} GefsCheckStats;

GEFS_API void gefs_defcheckopts(GefsCheckOpts *o);
/* Check the image at path.  Returns 0 when the check ran (whatever it
 * found: see st), -1 on an operational failure (cannot open or read the
 * image, out of memory; EWOULDBLOCK when another process holds it). */
GEFS_API int gefs_check(const char *path, const GefsCheckOpts *o, GefsCheckStats *st, GefsErr *e);
/* The fsck(8) exit status for a finished check: 0 clean, 1 corrected,
 * 4 errors left, 32 cancelled (bits combined). */
GEFS_API int gefs_checkstatus(const GefsCheckStats *st);

/* ------------------------------------------------------------------ */
/* Bulk loading a fresh image (populate.c; gefs-mkfs -d)              */
/*                                                                    */
/* Open a freshly formatted image read-write, gefs_bulkbegin, add the */
/* directories and files (each directory before its contents; qids   */
/* are assigned in the order of the calls, so the same calls give the */
/* same image bytes), gefs_bulkend: the tree is built bottom-up from  */
/* the sorted keys, the label gets a new snapshot record and         */
/* everything is published in one commit.  Until then nothing the    */
/* committed image uses is overwritten.  Errors go to the handle      */
/* (gefs_errmsg); after one, only gefs_bulkfree is useful.            */
/* Memory: a 1 MiB data run, one node per tree level and the sort     */
/* budget, whatever the size of the source.                           */
/* ------------------------------------------------------------------ */

typedef struct GefsBulk GefsBulk;

typedef struct GefsBulkOpts {
	const char	*label;		/* mutable label to fill (default "main"); a
					 * new name forks empty (§13.5) */
	const char	*snap;		/* also an immutable label of the result, or NULL */
	size_t		sortmem;	/* sort buffer bytes (0: 32 MiB); past it sorted
					 * runs spill to a temporary file */
	const char	*tmpdir;	/* NULL: $TMPDIR, else /tmp */
	bool		anyorder;	/* files may come in any qid order: their data
					 * pointers are sorted too (else each file's qid
					 * must exceed the previous file's) */
	int		threads;	/* 1: load in the caller's thread only; 2 or
					 * more: hash and write data in a second one
					 * while the caller reads on; 0: 2 when more
					 * than one CPU is online.  The image is the
					 * same either way. */
} GefsBulkOpts;

/* A new file's or directory's attributes. */
typedef struct GefsBulkAttr {
	uint32_t	mode;		/* permission bits (0777 kept) */
	int64_t		mtime;		/* ns; atime is set to it too */
	uint64_t	length;		/* files */
	int32_t		uid, gid;	/* user ids of the users file (§16) */
	uint64_t	qid;		/* GEFS_NONE: the next one; else one from
					 * gefs_bulkreserve */
	bool		dense;		/* gefs_bulkfile: the caller knows every byte
					 * of fd is allocated (no holes to look for);
					 * false: the loader finds out */
} GefsBulkAttr;

typedef struct GefsBulkStats {
	uint64_t	nfile, ndir;
	uint64_t	bytes;		/* file lengths, summed */
	uint64_t	datablocks;	/* data blocks written (holes take none) */
	uint64_t	nodes;		/* tree nodes written */
	int		height;
	uint64_t	blocks;		/* all blocks allocated */
	uint64_t	gen;		/* the new snapshot's generation */
	uint64_t	spilled;	/* bytes of sorted runs spilled */
	uint64_t	nrun;		/* runs spilled */
} GefsBulkStats;

/* What a source holds, for sizing. */
typedef struct GefsBulkNeed {
	uint64_t	nfile, ndir;
	uint64_t	namebytes;	/* name bytes of all files and directories */
	uint64_t	dirnamebytes;	/* name bytes of the directories */
	uint64_t	datablocks;	/* 16 KiB blocks holding data (not holes) */
} GefsBulkNeed;

/* Defaults: label main, no snapshot, 32 MiB sort budget. */
GEFS_API void gefs_defbulkopts(GefsBulkOpts *o);
GEFS_API GefsBulk *gefs_bulkbegin(Gefs *fs, const GefsBulkOpts *o);
/* The root directory's attributes (default 0775, time 0, adm); returns
 * its qid, the parent of the top-level entries. */
GEFS_API uint64_t gefs_bulkroot(GefsBulk *b, const GefsBulkAttr *a);
/* A directory named name (nlen bytes, §12.6) in directory pqid; *qid
 * receives its qid. */
GEFS_API int gefs_bulkdir(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen,
	const GefsBulkAttr *a, uint64_t *qid);
/* A file whose a->length bytes are read from fd with pread; only the data
 * extents SEEK_DATA/SEEK_HOLE report are written (holes stay holes). */
GEFS_API int gefs_bulkfile(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen,
	const GefsBulkAttr *a, int fd, uint64_t *qid);
/* A file whose data comes from rd: each call gives one chunk (*buf, *n
 * bytes at file offset *off, offsets increasing, nothing at or past
 * a->length) and returns 1, or 0 at the end, or -1 on error; gaps are
 * holes.  qid may be NULL. */
typedef int (*GefsBulkRead)(void *arg, const void **buf, size_t *n, uint64_t *off);
GEFS_API int gefs_bulkstream(GefsBulk *b, uint64_t pqid, const char *name, size_t nlen,
	const GefsBulkAttr *a, GefsBulkRead rd, void *arg, uint64_t *qid);
/* Replace the users file of label adm (§16) by text (n bytes, below
 * 1 MiB); adm gets a new snapshot record too. */
GEFS_API int gefs_bulkusers(GefsBulk *b, const char *text, size_t n);
/* Reserve n consecutive qids for attributes that name their own (so that
 * qids follow a namespace order while data comes in another); returns
 * the first. */
GEFS_API uint64_t gefs_bulkreserve(GefsBulk *b, uint64_t n);
/* Build the tree, the label's record and commit.  st may be NULL. */
GEFS_API int gefs_bulkend(GefsBulk *b, GefsBulkStats *st);
GEFS_API void gefs_bulkfree(GefsBulk *b);
/* Blocks a bulk load of n takes (an upper bound). */
GEFS_API uint64_t gefs_bulkblocks(const GefsBulkNeed *n);
/* Blocks a bulk load may take from a fresh image of size bytes (each
 * arena's reserve, §5.4, is left free). */
GEFS_API uint64_t gefs_bulkcap(uint64_t size);
/* The smallest image size (whole MiB, at least GEFS_MINSIZE) whose
 * capacity holds n plus headroom percent.  -1 if none. */
GEFS_API int gefs_bulksize(const GefsBulkNeed *n, unsigned headroom, uint64_t *size);


#ifdef __cplusplus
}
#endif

#endif /* GEFS_H */
