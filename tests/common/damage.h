/* SPDX-License-Identifier: MIT */
/*
 * damage.h — damaging images with libfs's own write side, for the repair
 * tests and the fsck case corpus (tests/tools/gefs-mkcase.c).  The image
 * is changed through real commits, so it is well formed except for the
 * one thing damaged.  All calls return -1 with fs->err set on failure.
 */
#ifndef GEFS_DAMAGE_H
#define GEFS_DAMAGE_H

#include "internal.h"

/* Open path for writing (the Gefs handle of internal.h). */
Gefs *dmopen(const char *path, GefsErr *e);
/* The root node address of label's tree, or GEFS_NONE. */
uint64_t dmroot(Gefs *fs, const char *label);
/* The address of the first data block (Kdat) of label's tree. */
uint64_t dmdata(Gefs *fs, const char *label);
/* The head chain block of the first deadlist, or GEFS_NONE. */
uint64_t dmdlist(Gefs *fs);
/* A TreeAlloc: the highest free block of the first arena with one,
 * logged. */
int dmalloc(void *fs, uint64_t *addr);
/* Rewrite the snapshot tree (the old nodes leak): add a label name ->
 * gen (name NULL: none), and set nlbl to 0 in the record of label lowlbl
 * (NULL: none). */
int dmsnaps(Gefs *fs, const char *name, uint64_t gen, const char *lowlbl);
/* Point the record of label at the root of other's tree, with pointer
 * generation gen (the old tree leaks). */
int dmsnaproot(Gefs *fs, const char *label, const char *other, uint64_t gen);
/* Point the record of label at root/ht (the old tree leaks). */
int dmsetroot(Gefs *fs, const char *label, const GefsBptr *root, int ht);
/* Rewrite label's tree (nodes stamped with its gen) with every pair passed
 * through fn (may change the value in place in v, GEFS_INLMAX bytes, or
 * return false to drop the pair; NULL keeps all) and extra added (may be
 * NULL); the record's root follows. */
int dmtree(Gefs *fs, const char *label, bool (*fn)(GefsKv *kv, uint8_t *v, void *arg), void *arg,
	const GefsKv *extra);
/* Read-modify-write superblock copy i of the image file at path through
 * fn; the hash is recomputed unless keephash. */
int dmsb(const char *path, int i, void (*fn)(GefsSb *sb, void *arg), void *arg, bool keephash);
/* Overwrite n bytes at byte offset off of the image file. */
int dmpoke(const char *path, uint64_t off, const void *p, size_t n);

#endif
