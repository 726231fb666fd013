/*
 * populate.h — gefs-mkfs -d: filling the new image from directories (and
 * tar archives).  The walk and the checks live in populate.c; mkfs.c only
 * parses the options into a PopArgs and calls populate().
 */
#ifndef GEFS_MKFS_POPULATE_H
#define GEFS_MKFS_POPULATE_H

#include <stdbool.h>
#include <stdint.h>
#include "gefs.h"

enum { POPMAXSRC = 64 };

typedef struct PopArgs {
	const char	*src[POPMAXSRC];	/* -d SOURCE, in order */
	int		nsrc;
	const char	*label;			/* -l */
	const char	*snap;			/* --snap */
	bool		strict;			/* --strict */
	bool		shrink;			/* --shrink */
	bool		rootowner;		/* -E root_owner=... given */
	const char	*rootuser, *rootgroup;
	bool		rootperms;		/* -E root_perms=MODE given */
	uint32_t	rootmode;
} PopArgs;

/* Parse one -E option list ("root_owner=U:G,root_perms=755"): 0, or -1
 * with a message in why. */
int popextended(PopArgs *p, const char *s, char *why, size_t nwhy);

/* Format image (size bytes, 0: computed from the sources when the file is
 * new) with fo and fill it from p; prints as gefs-mkfs does.  Returns the
 * exit status (0, 1, 2). */
int populate(const PopArgs *p, const char *image, bool havesize, uint64_t size,
	const GefsFormatOpts *fo, int verbose);

#endif
