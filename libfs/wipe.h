/* SPDX-License-Identifier: MIT */
/*
 * wipe.h — what the formatter must not leave behind, and must be able to
 * take back (ream.c's helpers, libfs-internal).
 *
 * undo.c keeps the old bytes of every range a format overwrites, so a
 * failed format puts an existing image back as it was; wipe.c erases
 * other file systems' signatures and backup superblocks, and tells
 * whether a regular file holds data nothing recognises.
 */
#ifndef GEFS_WIPE_H
#define GEFS_WIPE_H

#include "internal.h"

/* ---- undo.c ---- */

typedef struct Undo Undo;

/* An undo log for d, whose length before the format was oldsize. */
HIDDEN Undo *undonew(Dev *d, uint64_t oldsize, GefsErr *e);
HIDDEN void undofree(Undo *u);
/* Keep the bytes [off, off+n) hold now (the part below oldsize). */
HIDDEN int undosave(Undo *u, uint64_t off, size_t n, GefsErr *e);
/* undosave, then devwrite. */
HIDDEN int undowrite(Undo *u, const void *buf, size_t n, uint64_t off, GefsErr *e);
/* Put every saved range back, newest first (all-zero ranges of a file as
 * holes, which needs no space), then the old length. */
HIDDEN int undoroll(Undo *u, GefsErr *e);

/* ---- wipe.c ---- */

/* Erase, through u, what other file systems and partition tables would
 * still be found by on d's first lim bytes: every signature libblkid
 * finds (blkid_do_wipe), and the backup superblocks and headers libblkid
 * does not look for.  *n counts the ranges erased. */
HIDDEN int wipeold(Dev *d, Undo *u, uint64_t lim, int *n, GefsErr *e);
/* Whether the regular file open as fd, len bytes long from base, looks blank to a
 * format at size bytes: its first and last MiB, and when size cuts it the
 * first MiB cut off, read as zeros (holes do).  1 blank, 0 data, -1 error.
 * Reads at most 3 MiB, whatever the length. */
HIDDEN int blankfile(int fd, uint64_t base, uint64_t len, uint64_t size, GefsErr *e);

/* ---- ream.c (tests) ---- */

/* Make the nth write call of the next gefs_format fail as kind
 * (DEVFAULT_*), as devfault does; 0 / DEVFAULT_NONE: no fault. */
HIDDEN void reamfault(int nth, int kind);

#endif
