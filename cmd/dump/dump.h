/* SPDX-License-Identifier: MIT */
/*
 * dump.h — what the parts of gefs-dump share: the run state, the command
 * table, output helpers (tables, units, hex dumps, hidden names) and the
 * error conventions.
 *
 * Exit status: 0 printed what was asked; 1 the image is damaged where it
 * had to be read, or the label, path, block or snapshot asked for does not
 * exist; 2 usage error.  Messages are one line on stderr, "gefs-dump: …".
 */
#ifndef GEFS_DUMP_H
#define GEFS_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "gefs.h"
#include "json.h"
#include "common.h"

enum { EXIT_DAMAGED = 1, EXIT_USAGE = 2 };

typedef struct Dump Dump;
typedef int (*Cmdfn)(Dump *d, int argc, char **argv);

typedef struct Cmd {
	const char	*name;
	Cmdfn		fn;
	bool		json;		/* accepts --json */
	const char	*args;		/* synopsis of the arguments */
	const char	*help;		/* one line */
} Cmd;

struct Dump {
	const char	*image;
	const Cmd	*cmd;
	Gefs		*fs;
	GefsOpts	opts;
	bool		json;		/* --json */
	bool		hide;		/* --hide-names */
	bool		raw;		/* -b / --bytes: exact byte counts */
	Json		j;
	int		status;		/* worst exit status so far */
	char		err[512];	/* the first error reported (JSON "error") */
	uint64_t	nwarn;
};

extern const char *argv0;

/* Report (stderr, one line) and remember exit status 1. */
void	fail(Dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report the error left in the handle, prefixed by what was being done. */
void	fsfail(Dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: message, hint, exit 2.  Never returns. */
void	usagefail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Open the image with the global options; exits 1 when it cannot. */
void	dumpopen(Dump *d);
/* Start the JSON value (header) or nothing in text mode. */
void	dumpbegin(Dump *d);
/* Finish output; returns the exit status. */
int	dumpend(Dump *d);

/* Argument parsing (usage errors exit 2). */
uint64_t	parseaddr(const char *s);		/* hex 0x… or decimal, block-aligned */
uint64_t	parseuint(const char *s, const char *what);
uint64_t	parsesize(const char *s);		/* N[KMGT] (binary units) */
/* Split LABEL:/PATH at the first ":/"; a bare LABEL means its root.
 * label is a malloc'ed copy; path points into s (or is "/"). */
void	parsepath(const char *s, char **label, const char **path);

/* Output helpers. */
const char	*fmtnone(char *buf, size_t n, uint64_t v);	/* "0x…" or "NONE" */
const char	*fmthashn(char *buf, size_t n, uint64_t h);	/* "0x%016x" or "NONE" */
const char	*fmtmode(char *buf, size_t n, uint32_t mode);	/* "d-rwxrwxr-x" */
void		hexdump(FILE *f, const uint8_t *p, size_t n, uint64_t base);

/* A name as shown: the bytes escaped for text (\xNN for bytes outside
 * printable ASCII unless they form UTF-8), or a placeholder with
 * --hide-names.  kind is 'f' for file names, 'l' for labels. */
const char	*showname(Dump *d, char *buf, size_t n, const uint8_t *s, size_t ns, int kind);
/* Write a name as a JSON member, honouring --hide-names. */
void		jsonname(Dump *d, const char *key, const uint8_t *s, size_t ns, int kind);
/* Placeholder of a name (numbered by first appearance), or NULL when
 * names are shown as they are (no --hide-names, or a reserved label). */
const char	*hidename(Dump *d, const uint8_t *s, size_t ns, int kind);
void		hidefree(void);

/* Aligned text tables: add cells row by row, then print.  align is one
 * character per column: 'l' or 'r'. */
typedef struct Table Table;
Table	*tabnew(const char *align);
void	tabcell(Table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	tabendrow(Table *t);
/* The first row is a header: a table with no other row prints "(none)". */
void	tabheader(Table *t);
void	tabprint(Table *t, FILE *f, const char *indent);
void	tabfree(Table *t);

/* Key and value rendering shared by tree, block, snaps. */
void	fmtkv(Dump *d, FILE *f, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	fmtmsg(Dump *d, FILE *f, const GefsMsg *m);
void	jsonmsg(Dump *d, const GefsMsg *m);		/* an object in an array */
/* One decoded node, text or JSON (an object in an array); bp is the
 * pointer it was reached by, or NULL. */
void	shownode(Dump *d, int depth, const GefsNode *n, const GefsBptr *bp);
void	jsonkey(Dump *d, const char *key, const uint8_t *k, size_t nk);
void	jsonval(Dump *d, const char *key, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv, bool pivot);
void	jsonbptr(Dump *d, const char *key, const GefsBptr *bp);
void	jsonxdir(Dump *d, const char *key, const GefsXdir *x);
void	jsonsnap(Dump *d, const char *key, const GefsSnap *s);

/* Print the entries of a log block (arenas.c); *stop is set at the
 * barrier that ends replay (generation >= qgen), later entries are
 * marked ignored. */
int	showlog(Dump *d, uint64_t addr, const uint8_t *blk, const GefsLogHdr *h, uint64_t qgen, bool *stop);

/* Commands. */
int	cmdsuper(Dump *d, int argc, char **argv);
int	cmdarenas(Dump *d, int argc, char **argv);
int	cmdlog(Dump *d, int argc, char **argv);
int	cmdfree(Dump *d, int argc, char **argv);
int	cmdsnaps(Dump *d, int argc, char **argv);
int	cmdtree(Dump *d, int argc, char **argv);
int	cmdblock(Dump *d, int argc, char **argv);
int	cmdls(Dump *d, int argc, char **argv);
int	cmdcat(Dump *d, int argc, char **argv);
int	cmdstats(Dump *d, int argc, char **argv);
int	cmdmanifest(Dump *d, int argc, char **argv);

#endif
