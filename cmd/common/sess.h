/* SPDX-License-Identifier: MIT */
/*
 * sess.h — a command-language session over one open image: what
 * gefs-shell and gefs-replay share.  The session holds the image, the
 * current label and directory, the open trees and the command table; it
 * runs lines and scripts and reports failures as "FILE:LINE: message".
 */
#ifndef GEFS_SESS_H
#define GEFS_SESS_H

#include <stdbool.h>
#include <stdio.h>
#include "gefs.h"
#include "json.h"
#include "cmdlang.h"

enum { Maxtrees = 16 };		/* labels a session keeps open at once */

typedef struct Sess Sess;

typedef struct Sesstree {
	char		label[Maxlabel + 1];
	GefsTree	*t;
	Sess		*s;		/* for the damage reports */
} Sesstree;

struct Sess {
	const char	*prog;		/* "gefs-shell" */
	const char	*image;		/* as given (the JSON "image") */
	Gefs		*fs;
	bool		write;		/* opened read-write */
	bool		json;		/* --json for inspection commands */
	bool		replay;		/* one commit for the whole script */
	bool		batch;		/* inside begin ... commit (shell) */
	bool		trace;		/* -x: echo each command on stderr */
	Place		place;
	Sesstree	trees[Maxtrees];
	const Cmd	*tab;
	unsigned	notflags;	/* commands with these flags are refused */
	FILE		*out;
	int		nran;		/* commands run successfully */
	char		err[1024];
	/* read-only sessions read past damage (gefs_tolerate): each part
	 * skipped is named on stderr and fails the command */
	uint64_t	ndamage;
};

/* Open image for s (read-write when write); one line on stderr and -1 on
 * failure. */
int sessopen(Sess *s, const char *prog, const char *image, bool write, size_t cachesz);
void sessclose(Sess *s);
/* Leave a message in s->err; return -1. */
int sessfail(Sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, followed by ": " and the library's message. */
int sessfsfail(Sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The tree of label, opened on first use and kept until sessclose
 * (or sessdrop after a commit or an abort).  NULL with s->err set. */
GefsTree *sesstree(Sess *s, const char *label);
void sessdrop(Sess *s);
/* Resolve a LABEL:PATH argument (cmdlang's resolvepath) against the
 * current place; -1 with s->err. */
int sesspath(Sess *s, const char *arg, char *label, char *path);
/* A block ADDR argument: a number (0x hex, 0 octal or decimal) or a
 * block name, sb(C), hdr(I), ftr(I), log(I[,K]), root(LABEL) or
 * data(PATH[,OFF]), resolved against the image as it is (baddr.c); -1
 * with s->err. */
int sessblock(Sess *s, const char *w, uint64_t *addr);
/* Run one line: split, look up, check arguments and mode, run.  0 on
 * success or a blank line, -1 with s->err set. */
int runline(Sess *s, const char *line);
/* Run every line of f; a failure prints "NAME:LINE: message" on stderr
 * and stops the script unless keepgoing.  Returns the number of failed
 * lines (0: all ran). */
int runscript(Sess *s, FILE *f, const char *name, bool keepgoing);

/* Now, in nanoseconds: SOURCE_DATE_EPOCH when set (reproducible
 * images), else the clock. */
int64_t sessnow(Sess *s);

/* The commands every session has (cmds.c). */
extern const Cmd sesscmds[];

#endif
