/* SPDX-License-Identifier: MIT */
/*
 * rdamage.h — one line naming what a read past damage (gefs_tolerate)
 * could not read: the key range or the file bytes, and the block.
 * Shared by gefs-dump (ls, cat, manifest, restore) and gefs-shell.
 */
#ifndef GEFS_RDAMAGE_H
#define GEFS_RDAMAGE_H

#include <stddef.h>
#include "gefs.h"

/* "WHERE: keys [lo, hi) unreadable (block 0x…): why", or for file data
 * "WHERE: bytes [off, end) unreadable, read as zeros (block 0x…): why". */
char	*fmtdamage(char *buf, size_t n, const char *where, const GefsDamage *dm);

#endif
