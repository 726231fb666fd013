/* SPDX-License-Identifier: MIT */
/*
 * populate.h — gefs-mkfs -d: filling the new image from directories (and
 * tar archives).  The walk and the checks live in populate.c; mkfs.c only
 * parses the options into a PopArgs and calls populate().
 */
#ifndef GEFS_MKFS_POPULATE_H
#define GEFS_MKFS_POPULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include "gefs.h"

enum { POPMAXSRC = 64 };

/* getopt values of the long -d options without a letter. */
enum { POPT_BASE = 512, POPT_SNAP = POPT_BASE, POPT_STRICT, POPT_SHRINK, POPT_OWNERMAP };

typedef struct PopArgs {
	const char	*src[POPMAXSRC];	/* -d SOURCE, in order */
	int		nsrc;
	const char	*label;			/* -l */
	const char	*snap;			/* --snap */
	bool		strict;			/* --strict */
	bool		shrink;			/* --shrink */
	bool		rootowner;		/* -E root_owner=... given */
	char		rootuser[128], rootgroup[128];	/* names: at most 127 bytes (§16) */
	bool		rootperms;		/* -E root_perms=MODE given */
	uint32_t	rootmode;
	const char	*ownermap;		/* --owner-map FILE */
	int		progfd;			/* -C FD, or -1 */
	bool		quiet;			/* -q: no progress bar either */
} PopArgs;

/* One -d option (getopt value c: 'd', 'l', 'E', 'C' or a POPT_*) into
 * p: 0, or -1 with a message in why. */
int popoption(PopArgs *p, int c, const char *arg, char *why, size_t nwhy);

/* Format image (size bytes, 0: computed from the sources when the file is
 * new) with fo and fill it from p; prints as gefs-mkfs does.  Returns the
 * exit status (0, 1, 2). */
int populate(const PopArgs *p, const char *image, bool havesize, uint64_t size,
	const GefsFormatOpts *fo, int verbose);

/* ---- shared by populate.c (walks, the run), index.c (layering) and
 * tar.c (archives) ---- */

#include <sys/types.h>

enum {
	EDIR = 1, EFILE, ELINK,			/* index entry kinds */
};

/* --owner-map (owners.c). */
typedef struct OwnRule {
	int		kind;		/* 'u' uid, 'g' gid, 'p' path */
	uint64_t	host;		/* host uid or gid */
	char		*path;		/* image path, relative */
	int32_t		uid, gid;
} OwnRule;

typedef struct Owners {
	const char	*admin;		/* -u */
	char		**name;		/* names added, ids 2, 3, ... */
	size_t		nname;
	OwnRule		*rule;
	size_t		nrule;
} Owners;

int ownersload(Owners *o, const char *file, char *why, size_t nwhy);
int ownerid(Owners *o, const char *name, int32_t *id);	/* -1: unknown name */
void ownerof(const Owners *o, const char *path, uint64_t hostuid, uint64_t hostgid, int32_t *uid, int32_t *gid);
char *ownersfile(const Owners *o, size_t *n);
void ownersfree(Owners *o);

#include "xsort.h"

enum { PATHMAX = 16384 };	/* an image path: a placement and an archive name */

/* The merged index (index.c): every name of every source, sorted
 * externally (xsort.c), so that memory does not grow with the names. */
typedef struct Index {
	size_t		budget;		/* per sort: IXMEM, or $GEFS_MKFS_IXMEM */
	Xsort		*ent;		/* names as the sources gave them */
	Xsort		*add;		/* parents made, hard links resolved */
	Xsort		*load;		/* what the load does, in its order */
	struct Rec	*r[2];		/* decoding room */
	uint64_t	nlive;		/* names in the image but the root */
	uint64_t	q0, rootq;	/* the first reserved qid; the root's */
	uint64_t	*lseen;		/* hard-link targets met (hashes) */
	size_t		nlseen, caplseen;
} Index;

/* One step of the load: a directory or file with its image qid. */
typedef struct Load {
	int		kind;		/* EDIR, EFILE, ELINK, or 0: the root */
	int		src;
	uint64_t	seq, tseq;	/* archive member; a hard link's target */
	uint64_t	ref, pref;	/* its qid and its parent's: 1 + the
					 * reserved ordinal, 0 the root */
	GefsBulkAttr	a;
	char		path[PATHMAX];	/* in the image */
} Load;

/* One hard-linked inode seen. */
typedef struct Link {
	dev_t		dev;
	ino_t		ino;
	bool		noted;
} Link;

typedef struct Pop {
	Owners		own;		/* --owner-map, and the names -E may use */
	Index		ix;		/* layering: every name of every source */
	bool		fatal;		/* the index failed: stop walking */
	bool		indexing;	/* the first walk fills ix */
	int		cursrc;		/* source being walked */
	const char	*prefix;	/* where it goes in the image ("" = root) */
	size_t		rootlen;	/* length of its path in path[] */
	const char	*srcpath[POPMAXSRC];	/* sources without their placement */
	const char	*srcpre[POPMAXSRC];	/* placements, "" or "a/b" */
	char		srcbuf[POPMAXSRC][4096];
	bool		srctar[POPMAXSRC];	/* an archive (or "-", spooled) */
	char		*spool;			/* the temporary copy of stdin */
	const PopArgs	*a;
	const GefsFormatOpts *fo;
	bool		load;		/* second walk: hand everything to bulk */
	GefsBulk	*bulk;
	Gefs		*fs;
	GefsBulkNeed	need;
	uint64_t	nerr, nskip;
	Link		*link;
	size_t		nlink, caplink;
	bool		clamp;		/* SOURCE_DATE_EPOCH */
	int64_t		epoch;		/* ns */
	int32_t		uid, gid;	/* owner of everything but the root */
	uint64_t	huid, hgid;	/* host owner of the name being indexed */
	uint64_t	totbytes;	/* file lengths of the sources, summed */
	uint64_t	donefiles, donebytes;	/* loaded so far (progress) */
	int64_t		lastprog;	/* ms of the last progress report */
	dev_t		imgdev;		/* the image itself, never copied into */
	ino_t		imgino;		/* itself (0: not known yet) */
	FILE		*rec;		/* one plain directory: the first walk's log */
	char		path[8192];	/* source path being walked, for messages */
} Pop;


int perr(Pop *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
GefsBulkAttr attrof(Pop *p, const struct stat *st);
void rootattr(Pop *p, GefsBulkAttr *a);
void progress(Pop *p, const GefsBulkAttr *a, bool last);	/* one file loaded */
int namecheck(Pop *p, const char *name);
/* index.c */
int ixadd(Pop *p, int kind, const char *spath, const GefsBulkAttr *a, uint64_t nb, uint64_t seq,
	const char *link);
int ixfinish(Pop *p);
int ixload(Pop *p);
uint64_t ixqid(Pop *p, uint64_t ref);		/* a Load's ref as a qid */
bool ixlinkseen(Pop *p, const char *tgt);	/* first time: false */
const char *ixspath(Pop *p, int src, const char *path);	/* in its source */
void ixfree(Index *ix);
/* tar.c: index an archive (first walk), load its members (second). */
typedef struct TarRd TarRd;
int tarindex(Pop *p, int src, const char *path);
TarRd *tarrdopen(Pop *p, int src);
int tarrdfile(Pop *p, TarRd *t, const Load *l);	/* members in seq order */
int tarrdclose(Pop *p, TarRd *t);		/* 0, or -1 if it failed */
int tarlink(Pop *p, const Load *l);
bool tarsupported(void);

#endif
