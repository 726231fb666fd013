/* SPDX-License-Identifier: MIT */
/*
 * readall.h — run an image through every read path the tools use (load,
 * superblocks, arenas, logs, free space, snapshot tree, labels, records,
 * deadlists, every label's tree: node walk, stats, manifest with file
 * contents, directory listings) and, optionally, the checker.  For the
 * mutation sweep and the fuzzer: "may fail, may not crash".
 */
#ifndef GEFS_READALL_H
#define GEFS_READALL_H

#include <stdbool.h>

typedef struct ReadallStats {
	unsigned long	opened;		/* gefs_open succeeded */
	unsigned long	failed;		/* some path returned a clean error */
	unsigned long	checked;	/* gefs_check ran */
} ReadallStats;

/* Exercise path (ignhash: read on despite hash mismatches; check: also
 * run gefs_check read-only).  Errors are expected and counted, never
 * fatal; returns 0. */
int readall(const char *path, bool ignhash, bool check, ReadallStats *st);

#endif
