/* SPDX-License-Identifier: MIT */
/*
 * bldcase.h — gefs-fsck corpus cases made by editing a finished builder
 * image in memory (tests/tools/gefs-mkcase.c lists and writes them with
 * its own cases).  Each starts from the corpus base image, the std image
 * with text file data, and changes a few bytes of one structure through
 * bldpoke, which carries the new hashes up to the superblock: the image
 * then holds one fault of its class (a node, message, key, value, record,
 * or deadlist field that is wrong but correctly hashed).
 */
#ifndef GEFS_BLDCASE_H
#define GEFS_BLDCASE_H

#include <stddef.h>
#include "gefs.h"

/* The name of case i, or NULL when i is past the last one. */
const char *bldcasename(size_t i);
/* Write the image of case name to out.  -1 with e set on failure; the
 * code is ENOENT when no case has that name. */
int bldcase(const char *name, const char *out, GefsErr *e);

#endif
