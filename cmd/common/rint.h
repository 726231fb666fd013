/* SPDX-License-Identifier: MIT */
/*
 * rint.h — what the renderer files (cmd/common/r*.c) share among
 * themselves: keys, values, messages and nodes, text and JSON.
 */
#ifndef GEFS_RINT_H
#define GEFS_RINT_H

#include "render.h"

void	fmtkv(Render *r, FILE *f, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	fmtmsg(Render *r, FILE *f, const GefsMsg *m);
void	jsonmsg(Render *r, const GefsMsg *m);		/* an object in an array */
/* One decoded node, text or JSON (an object in an array); bp is the
 * pointer it was reached by, or NULL. */
void	shownode(Render *r, int depth, const GefsNode *n, const GefsBptr *bp);
void	jsonkey(Render *r, const char *key, const uint8_t *k, size_t nk);
void	jsonval(Render *r, const char *key, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	jsonbptr(Render *r, const char *key, const GefsBptr *bp);
void	jsonsnap(Render *r, const char *key, const GefsSnap *s);
/* The entries of a log block; *stop is set at the barrier that ends
 * replay (generation >= qgen), later entries are marked ignored. */
int	showlog(Render *r, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h, uint64_t qgen, bool *stop);

/* Row tables (rrows.c): one array per structure drives text and JSON.
 * A row's name is its text label (or column heading) and its JSON key,
 * so a field cannot exist in one form and not the other. */
typedef enum {
	Rnum,		/* unsigned decimal; JSON number */
	Rint,		/* signed decimal (8 bytes); JSON number */
	Rhex,		/* 0x…; JSON string */
	Raddr,		/* 0x… or NONE; JSON string */
	Rhashn,		/* hash or NONE; JSON string */
	Rhash,		/* 0x and 16 digits; JSON string */
	Rsize,		/* 0x… (human size); JSON number */
	Rbytes,		/* human size, exact with -b; JSON number */
	Rtenths,	/* tenths as "12.3" (a percentage); JSON number 12.3 */
	Rstr,		/* a const char * member; JSON string */
	Rbool,		/* a bool member: true or false; JSON true/false */
	Rname,		/* an Rnm member: showname, jsonname (lossless) */
	Rnums,		/* an Rnv member: "1/3/20"; JSON array of numbers */
} Rkind;
/* Numbers for Rnums. */
typedef struct Rnv {
	const uint64_t	*v;
	size_t		n;
} Rnv;
/* A name for Rname: bytes, length and showname's kind ('f', 'l', 'c'). */
typedef struct Rnm {
	const uint8_t	*p;
	size_t		n;
	int		kind;
} Rnm;
typedef struct Rowspec {
	const char	*name;		/* text label and JSON key */
	Rkind		kind;
	size_t		off;		/* of the field in its struct */
	int		width;		/* 1 (bool), 4 or 8 bytes */
	uint32_t	bit;		/* not 0: the row is there only when the
					 * record's first member, a uint32_t mask
					 * of present rows, has this bit; else
					 * it is null in JSON, "-" in text */
} Rowspec;
extern const Rowspec sbrows[];		/* GefsSb */
extern const Rowspec arenarows[];	/* GefsArenaHdr */
/* A log block's header (§6.1); addr and seq only in a log walk. */
typedef struct Lblk {
	uint64_t	addr, seq, logsz, logh, chain;
	bool		ok;		/* logh matches the body */
} Lblk;
extern const Rowspec loghdrrows[];	/* Lblk: logsz, logh, logh_ok, chain */
void	loghdrof(Lblk *b, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h);
/* part/whole in tenths of a percent, rounded (Rtenths). */
uint64_t pcttenths(uint64_t part, uint64_t whole);
/* A row's value as text, into buf. */
const char *rowtext(Render *r, const Rowspec *rs, const void *base, char *buf, size_t n);
/* Every row of rs for the struct at base: JSON members of the open
 * object, or two cells (name, value) per row of tab (a table whose
 * first column names the fields). */
void rrows(Render *r, Table *tab, const Rowspec *rs, const void *base);
/* A table with one column per row of rs, headed by the names (NULL in
 * JSON mode); rrec then adds one record: a row of cells, or the JSON
 * members of the open object. */
Table *rtabnew(Render *r, const Rowspec *rs);
void rrec(Render *r, Table *tab, const Rowspec *rs, const void *base);
/* The same record as a JSON object (key NULL inside arrays) or a row. */
void rrecobj(Render *r, Table *tab, const char *key, const Rowspec *rs, const void *base);

#endif
