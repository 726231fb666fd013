/* SPDX-License-Identifier: MIT */
/*
 * cmdlang.h — the command language of gefs-shell and gefs-replay
 * (DESIGN.md "The command language"): one command per line, words split
 * like a POSIX shell, `#` comments, LABEL:PATH addressing, and one table
 * that both dispatches commands and generates their help, so the two
 * cannot drift.  Pure: no libfs calls, so it is unit-tested on its own.
 */
#ifndef GEFS_CMDLANG_H
#define GEFS_CMDLANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
	Maxwords	= 256,		/* words on one line */
	Maxline		= 64 * 1024,	/* bytes on one line */
	Maxlabel	= 255,		/* a label name (§9.5: one length byte) */
	Maxpath		= 4096,		/* a normalised path, bytes */
};

/* One split line: argv[argc] == NULL; the words live in one buffer. */
typedef struct Words {
	int	argc;
	char	*argv[Maxwords + 1];
	char	*buf;
} Words;

/* Split line into w (quotes '…' and "…", backslash, # comments).  0 on
 * success (argc may be 0 for a blank or comment line); -1 with a one-line
 * reason in err on an unterminated quote, a trailing backslash, too many
 * words or too long a line.  wordsfree releases w in every case. */
int splitwords(const char *line, Words *w, char *err, size_t nerr);
void wordsfree(Words *w);

/* Where a command runs: the current label and directory. */
typedef struct Place {
	char	label[Maxlabel + 1];
	char	cwd[Maxpath];		/* absolute, normalised */
} Place;

/* Resolve arg against p: "LABEL:/path" or "LABEL:" names a label (only
 * when the part before ':' has no '/' and the part after is empty or
 * starts with '/'), "/path" is absolute in the current label, anything
 * else is relative to cwd.  The result is normalised ("." and ".." and
 * repeated slashes removed; ".." at the root stays at the root).  -1 with
 * err on an empty label, a too-long label or path. */
int resolvepath(const Place *p, const char *arg, char *label, size_t nlabel,
	char *path, size_t npath, char *err, size_t nerr);

/* Command options (getopt-like, per command): spec is "lR" or "t:s:";
 * combined flags ("-lR"), "--" ends options, a lone "-" is an operand.
 * Long options follow a ';' as name=c pairs separated by ',' ("x;rehash=r"
 * accepts -x and --rehash, counted as 'r'); a long option takes an
 * argument (--name ARG or --name=ARG) when its letter does ("d:;depth=d").
 * On return *optind is the first operand; opt[c] counts flag c and
 * optarg[c] holds the argument of an option taking one.  -1 with err on
 * an unknown option or a missing argument. */
typedef struct Opts {
	int		count[128];
	const char	*arg[128];
	int		optind;
} Opts;
int parseopts(int argc, char **argv, const char *spec, Opts *o, char *err, size_t nerr);

/* The command table.  A table ends with a zero name. */
enum {
	CMD_WRITE	= 1 << 0,	/* changes the image: needs write mode */
	CMD_SHELL	= 1 << 1,	/* interactive shell only (not in replay) */
	CMD_RAW		= 1 << 2,	/* raw block poke: shell write mode only */
	CMD_NOAUTO	= 1 << 3,	/* a CMD_WRITE that is not followed by a commit */
};

typedef struct Cmd Cmd;
typedef int (*CmdFn)(void *ctx, int argc, char **argv);
struct Cmd {
	const char	*name;
	const char	*synopsis;	/* "[-l] [-R] [PATH...]" */
	const char	*summary;	/* one line */
	int		minargs;	/* operands, options excluded */
	int		maxargs;	/* -1: any */
	const char	*optspec;	/* parseopts spec, "" for none */
	unsigned	flags;
	CmdFn		fn;		/* argv[0] is the name; options unparsed */
};

const Cmd *findcmd(const Cmd *tab, const char *name);
/* Check the operand count of argv against c (options per c->optspec
 * skipped); -1 with "usage: NAME SYNOPSIS" in err. */
int checkargs(const Cmd *c, int argc, char **argv, char *err, size_t nerr);
/* "help" lists every command of tab allowed under mask (flags a command
 * must not have), one line each; "help NAME" prints its usage and
 * summary.  -1 with err for an unknown name. */
int printhelp(FILE *f, const Cmd *tab, unsigned notflags, const char *name, char *err, size_t nerr);

#endif
