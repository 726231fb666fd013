/* SPDX-License-Identifier: MIT */
/*
 * dump.h — what the parts of gefs-dump share: the run state, the command
 * table and the error conventions.  The rendering of structures is in
 * cmd/common (render.h), shared with gefs-shell.
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
#include "render.h"
#include "rdamage.h"

enum { EXIT_DAMAGED = 1, EXIT_USAGE = 2 };

typedef struct Dump Dump;
typedef int (*Dumpfn)(Dump *d, int argc, char **argv);

/* A command of gefs-dump (not the session's Cmd of cmdlang.h). */
typedef struct Dumpcmd {
	const char	*name;
	Dumpfn		fn;
	bool		json;		/* accepts --json */
	const char	*args;		/* synopsis of the arguments */
	const char	*help;		/* one line */
} Dumpcmd;

/* The run: the renderer (cmd/common/render.h) holds the image, the
 * output options, the JSON writer and the first error. */
struct Dump {
	const char	*image;
	const Dumpcmd	*cmd;
	GefsOpts	opts;
	Render		r;
	int		status;		/* worst exit status so far */
	uint64_t	nwarn;
	/* reading past damage (ls, cat, manifest, restore) */
	char		where[1024];	/* LABEL:PATH being read, names the damage */
	uint64_t	ndamage;	/* damage reports so far */
	bool		force;		/* block, super --force: without a usable
					 * superblock, open the device alone */
};

extern const char *argv0;

/* Report (stderr, one line) and remember exit status 1. */
void	fail(Dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report the error left in the handle, prefixed by what was being done. */
void	fsfail(Dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: one line, exit 2.  Never returns. */
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

/* Commands: the structure ones (cmds.c) parse their arguments and call
 * the renderers; the file ones are in files.c. */
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
int	cmdrestore(Dump *d, int argc, char **argv);

/* Open the tree of a label to be read past damage: every damage is
 * reported (one line naming d->where) and makes the exit status 1.
 * Reports and returns NULL when the label cannot be opened. */
GefsTree	*opentree(Dump *d, const char *label);
void	setwhere(Dump *d, const char *label, const char *path);

/* A directory's entries, collected by direntry (a GefsDirFn). */
typedef struct Ent {
	char		*name;
	size_t		nlen;
	GefsXdir	x;
} Ent;

typedef struct Dir {
	Ent	*e;
	size_t	n, cap;
} Dir;

int	direntry(void *arg, const char *name, size_t nlen, const GefsXdir *x);
void	dirfree(Dir *dir);

#endif
