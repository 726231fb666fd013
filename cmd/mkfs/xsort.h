/* SPDX-License-Identifier: MIT */
/*
 * xsort.h — external sort of byte records (xsort.c): [u16 key length,
 * little-endian][key][payload], ordered by key bytes; memory bounded by a
 * budget, runs past it spilled to an unlinked file in $TMPDIR (or /tmp).
 * Errors are reported once (one line naming the temporary file's
 * directory); every later call then fails quietly.
 */
#ifndef GEFS_MKFS_XSORT_H
#define GEFS_MKFS_XSORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { XSRECMAX = 60 << 10 };	/* a record fits a merge read buffer */

typedef struct Xsort Xsort;

Xsort *xsopen(size_t budget);
int xsadd(Xsort *x, const void *rec, size_t n);	/* copied */
/* No more records: start reading them in key order. */
int xsread(Xsort *x);
/* The next record (valid until the next call): 1, 0 at the end, -1. */
int xsnext(Xsort *x, const uint8_t **rec, size_t *n);
/* Read them all again from the first. */
int xsrewind(Xsort *x);
void xsclose(Xsort *x);

void msg(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
