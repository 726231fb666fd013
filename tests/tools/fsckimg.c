/* SPDX-License-Identifier: MIT */
/*
 * fsckimg — test-only: write a builder image for the gefs-fsck CLI tests.
 *	fsckimg KIND PATH
 * KIND: good (a healthy std image), badsb (superblock copy 1 with a bad
 * magic: preen-repairable), badhdr (arena 1 footer with a stale hash:
 * preen-repairable), badnode (a leaf of main with a wrong hash: not
 * repairable), leak (an allocated block referenced by nothing: a note),
 * crash (two commits made, then superblock copy 1 and the footers put
 * back as the first left them: a commit cut between the two superblock
 * writes, crash remnants).
 */
#include <stdio.h>
#include <string.h>
#include "gefs.h"
#include <stdlib.h>
#include "builder.h"
#include "internal.h"
#include "damage.h"

enum { B = GEFS_BLKSZ, MAXAR = 256 };

/* Commit path once more; with save, keep superblock copy 1 and the
 * footers as they were before that commit in save (MAXAR + 1 blocks). */
static int
recommit(const char *path, uint8_t *save, uint64_t *at, int *nat)
{
	GefsErr e;
	Gefs *fs;
	int i, n = 0, rc = 0;

	if ((fs = dmopen(path, &e)) == NULL)
		return -1;
	if (save != NULL) {
		at[n++] = devsize(fs->dev) / B * B - B;
		for (i = 0; i < (int)fs->sb.narena && i < MAXAR; i++)
			at[n++] = fs->sb.arenaaddr[i] + B;
		for (i = 0; i < n && rc == 0; i++)
			rc = devread(fs->dev, save + (size_t)i * B, B, at[i], &e);
		*nat = n;
	}
	if (rc == 0)
		rc = commit(fs);
	gefs_close(fs);
	return rc;
}

/* The state a commit cut after superblock 0 leaves (FORMAT.md §15.3). */
static int
crash(const char *path)
{
	uint8_t *save = malloc((size_t)(MAXAR + 1) * B);
	uint64_t at[MAXAR + 1];
	int i, n = 0, rc = -1;

	if (save != NULL && recommit(path, NULL, NULL, NULL) == 0 && recommit(path, save, at, &n) == 0)
		for (rc = 0, i = 0; i < n && rc == 0; i++)
			rc = dmpoke(path, at[i], save + (size_t)i * B, B);
	free(save);
	return rc;
}

int
main(int argc, char **argv)
{
	BldStdOpts o;
	GefsErr e;
	Bld *b;
	uint8_t x[8] = "XXXXXXXX";
	uint64_t a;

	if (argc != 3) {
		fprintf(stderr, "usage: fsckimg good|badsb|badhdr|badnode|leak|crash path\n");
		return 2;
	}
	bldinitstd(&o);
	b = bldstdimg(&o, &e);
	if (b == NULL) {
		fprintf(stderr, "fsckimg: %s\n", e.msg);
		return 1;
	}
	bldhashmode(b, BLD_HASHSKIP);
	if (strcmp(argv[1], "badsb") == 0)
		bldpoke(b, bldsize(b) - GEFS_BLKSZ, 0, x, 8);
	else if (strcmp(argv[1], "badhdr") == 0)
		bldpoke(b, bldarenaaddr(b, 1) + GEFS_BLKSZ, 26, x, 8);
	else if (strcmp(argv[1], "badnode") == 0) {
		for (a = 0; a < bldsize(b); a += GEFS_BLKSZ)
			if (bldinfo(b, a).kind == BLD_BLEAF && bldinfo(b, a).depth > 0)
				break;
		if (a >= bldsize(b)) {
			fprintf(stderr, "fsckimg: no leaf below a root\n");
			return 1;
		}
		bldpoke(b, a, 200, x, 1);
	} else if (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "good") != 0 && strcmp(argv[1], "crash") != 0) {
		fprintf(stderr, "fsckimg: unknown kind %s\n", argv[1]);
		return 2;
	}
	if (bldwrite(b, argv[2]) < 0) {
		fprintf(stderr, "fsckimg: %s\n", blderr(b));
		return 1;
	}
	bldfree(b);
	if (strcmp(argv[1], "crash") == 0 && crash(argv[2]) < 0) {
		fprintf(stderr, "fsckimg: cannot make the crash state\n");
		return 1;
	}
	return 0;
}
