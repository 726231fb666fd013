/* SPDX-License-Identifier: MIT */
/*
 * hostq.h — the host side of put: a reader thread walks a host file or
 * tree in put order (entries of each directory in byte order of names,
 * a directory's entries right after it) and reads the files, handing the
 * session thread items through a bounded queue.  The session thread does
 * only the engine side, so reading the host overlaps writing the image,
 * and the engine sees exactly the calls of a sequential walk (the same
 * image bytes).
 */
#ifndef GEFS_HOSTQ_H
#define GEFS_HOSTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum {
	Hqdir,		/* a directory: its entries follow, then Hqend */
	Hqfile,		/* a regular file: its data items follow, then Hqend */
	Hqdata,		/* n bytes at off of the current file */
	Hqend,		/* the end of the current directory or file (st) */
	Hqerr,		/* the walk failed here: msg; nothing follows */
	Hqdone,		/* the walk is over */
};

typedef struct Hqitem {
	int		kind;
	struct stat	st;		/* Hqdir, Hqfile, Hqend */
	char		*host;		/* Hqdir, Hqfile: the host path */
	const char	*name;		/* its last element; NULL for the top */
	uint64_t	off;		/* Hqdata */
	size_t		n;
	uint8_t		*buf;
	char		*msg;		/* Hqerr: "put: HOST: why" */
} Hqitem;

typedef struct Hostq Hostq;

/* Start walking host (a file, or with recurse a tree): the queue, or
 * NULL with errno. */
Hostq *hqstart(const char *host, bool recurse);
/* The next item (waits for it); release it with hqfree. */
void hqnext(Hostq *q, Hqitem *it);
void hqfree(Hostq *q, Hqitem *it);
/* Stop the walk wherever it is, wait for the thread, free q. */
void hqstop(Hostq *q);

#endif
