/* SPDX-License-Identifier: MIT */
/*
 * fsckimg — test-only: write a builder image for the gefs-fsck CLI tests.
 *	fsckimg KIND PATH
 * KIND: good (a healthy std image), badsb (superblock copy 1 with a bad
 * magic: preen-repairable), badhdr (arena 1 footer with a stale hash:
 * preen-repairable), badnode (a leaf of main with a wrong hash: not
 * repairable), leak (an allocated block referenced by nothing: a note).
 */
#include <stdio.h>
#include <string.h>
#include "gefs.h"
#include "builder.h"

int
main(int argc, char **argv)
{
	BldStdOpts o;
	GefsErr e;
	Bld *b;
	uint8_t x[8] = "XXXXXXXX";
	uint64_t a;

	if (argc != 3) {
		fprintf(stderr, "usage: fsckimg good|badsb|badhdr|badnode|leak path\n");
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
	} else if (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "good") != 0) {
		fprintf(stderr, "fsckimg: unknown kind %s\n", argv[1]);
		return 2;
	}
	if (bldwrite(b, argv[2]) < 0) {
		fprintf(stderr, "fsckimg: %s\n", blderr(b));
		return 1;
	}
	bldfree(b);
	return 0;
}
