/* SPDX-License-Identifier: MIT */
/*
 * render.h — the structures of an image as text or JSON: superblocks,
 * arenas, allocation logs, free ranges, snapshots, trees, blocks and
 * statistics.  gefs-dump and the inspection commands of gefs-shell print
 * through these, so the two show the same thing the same way.
 *
 * Nothing here exits or keeps process-global state: the output, the JSON
 * writer, the options and the name table of --hide-names live in a
 * Render.  A failure is reported through rfail: the first message is
 * kept in r->err, every one is passed to r->onerr when set (gefs-dump
 * prints each on stderr), and the renderer goes on where it can; each
 * r* function returns -1 when anything failed, else 0.
 */
#ifndef GEFS_RENDER_H
#define GEFS_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "gefs.h"
#include "json.h"
#include "common.h"

typedef struct Hidetab Hidetab;

typedef struct Render {
	Gefs		*fs;
	FILE		*f;		/* text output; JSON goes through j */
	bool		json;		/* --json */
	bool		hide;		/* --hide-names */
	bool		raw;		/* -b / --bytes: exact byte counts */
	bool		ignhash;	/* --ignore-hash: walk on past a bad hash */
	bool		marks;		/* GEFS_TEXT_FIELDS set: each text table is
					 * preceded by "#fields NAME..." (tests) */
	Json		j;
	Hidetab		*ht;		/* --hide-names placeholders, made on use */
	void		(*onerr)(void *arg, const char *msg);
	void		*errarg;
	unsigned	nerr;		/* failures so far */
	char		err[512];	/* the first one */
} Render;

/* Record a failure (see above); returns -1. */
int	rfail(Render *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, followed by the library's message unless that already
 * starts with what was being done. */
int	rfsfail(Render *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start the JSON document every tool writes for one command (a no-op in
 * text mode): the versioned header, "image", then the command's members. */
void	rbegin(Render *r, const char *tool, const char *cmd, const char *image);
/* Close it: what an error left open, "error" (the first failure), "ok". */
void	rend(Render *r);
/* Release what the Render holds (the name table). */
void	rfree(Render *r);

/* Which tree rtree prints. */
typedef struct Rtree {
	int		sel;		/* 'l' label, 's' snapshot, 'b' raw subtree, 'S' snapshot tree */
	const char	*label;
	uint64_t	gen;		/* 's' */
	uint64_t	addr;		/* 'b' */
	int		maxdepth;	/* -1: all */
} Rtree;

/* The structures.  arena is an index or -1 for all. */
int	rsuper(Render *r);
int	rarenas(Render *r);
int	rlog(Render *r, int arena);
int	rfreeranges(Render *r, int arena);
int	rsnaps(Render *r);
int	rtree(Render *r, const Rtree *sel);
int	rblock(Render *r, uint64_t addr, bool hex);
int	rstats(Render *r);
/* What points to the block at addr (gefs_findrefs): tree, node, kind of
 * pointer, index and key, one row each. */
int	rowner(Render *r, uint64_t addr);
/* One key and its value as found in tree t (lookup): text "KEY  VALUE"
 * or the JSON members "key" and "value". */
void	rkv(Render *r, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv);

/* Pieces the file commands of gefs-dump share. */
const char	*fmtnone(char *buf, size_t n, uint64_t v);	/* "0x…" or "NONE" */
const char	*fmthashn(char *buf, size_t n, uint64_t h);	/* fmthash or "NONE" */
void		hexdump(FILE *f, const uint8_t *p, size_t n, uint64_t base);
/* A name as shown: the bytes escaped for text (\xNN for bytes outside
 * printable ASCII unless they form UTF-8), or a placeholder with
 * --hide-names.  kind is 'f' for file names, 'l' for labels, 'c' for
 * configuration text (never hidden). */
const char	*showname(Render *r, char *buf, size_t n, const uint8_t *s, size_t ns, int kind);
/* A name as a JSON member, honouring --hide-names. */
void		jsonname(Render *r, const char *key, const uint8_t *s, size_t ns, int kind);

/* Aligned text tables: add cells row by row, then print.  align is one
 * character per column: 'l' or 'r'.  Out of memory marks the table
 * broken: rtabprint then fails. */
typedef struct Table Table;
Table	*tabnew(const char *align);
void	tabcell(Table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	tabendrow(Table *t);
/* The first row is a header: a table with no other row prints "(none)". */
void	tabheader(Table *t);
/* Where the table's field names are, for GEFS_TEXT_FIELDS: 'h' the
 * first row (a heading per column), 'k' the first column (a name per
 * row), 'K' the first column below a heading row.  A table without
 * names holds no fields (a layout of other text). */
void	tabnames(Table *t, int how);
/* Print t on r->f, indented, and free it; -1 (reported) if it broke. */
int	rtabprint(Render *r, Table *t, const char *indent);

/* A key typed as gefs-dump prints it — Kdat(0x1e, 0x0), Kent(0x3,
 * "name"), Kup(0x3), Klabel("main"), Ksnap(2), Kdlist(2, 1),
 * Kconf("name") — or as hex bytes, encoded into k (GEFS_KEYMAX bytes).
 * Returns its length, or -1 with a reason in err. */
int	parsekey(const char *s, uint8_t *k, char *err, size_t nerr);

#endif
