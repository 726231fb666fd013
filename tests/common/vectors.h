/* SPDX-License-Identifier: MIT */
/*
 * vectors.h — byte vectors from FORMAT.md shared by several test suites.
 */
#ifndef GEFS_VECTORS_H
#define GEFS_VECTORS_H

#include <stdint.h>

/* §18.6: superblock bytes 0..239 of the 256 MiB example (hashed region
 * 0..231, sbhash 73eedf60fdbefc49 at 232..239). */
extern const uint8_t vec186sb[240];

#endif
