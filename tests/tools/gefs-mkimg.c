/* SPDX-License-Identifier: MIT */
/*
 * gefs-mkimg — a test-only program: build one of the builder's named
 * images (tests/common/builder.h) into a file, for CLI tests.
 *
 *	gefs-mkimg [--seed N] [--files N] [--height H] [--arenas N]
 *		[--arena-blocks N] KIND OUT.img
 *	gefs-mkimg [--seed N] [--files N] [--per-dir N] [--size-mib N]
 *		--data-mib N big OUT.img
 *
 * KIND: std, empty, deep, snaps, logchain; big: a formatted image with
 * N MiB of file data written through libfs (tests/common/bigimg.h), for
 * benchmarks.  Prints a one-line summary.
 * Exit status 0 on success, 1 on a build or write failure, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "builder.h"
#include "bigimg.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gefs-mkimg [--seed N] [--files N] [--height H] [--arenas N] "
		"[--arena-blocks N] KIND OUT.img\n"
		"       gefs-mkimg [--seed N] [--files N] [--per-dir N] [--size-mib N] --data-mib N big OUT.img\n"
		"KIND: std, empty, deep, snaps, logchain, big\n");
	exit(2);
}

/* The numeric argument of option argv[*i]; exits on a bad number. */
static unsigned long long
num(int argc, char **argv, int *i)
{
	char *end;
	unsigned long long v;

	if (*i + 1 >= argc)
		usage();
	v = strtoull(argv[++*i], &end, 0);
	if (*argv[*i] == 0 || *end != 0 || argv[*i][0] == '-') {
		fprintf(stderr, "gefs-mkimg: %s: bad number '%s'\n", argv[*i - 1], argv[*i]);
		exit(2);
	}
	return v;
}

/* The big kind: bigimg with o's files and seed. */
static int
big(const BldStdOpts *o, BigOpts *bo, const char *out)
{
	BigStats st;
	GefsErr e;

	memset(&e, 0, sizeof e);
	bo->nfiles = o->nfiles > 0 ? o->nfiles : 1000;
	bo->seed = o->seed;
	if (bo->data == 0) {
		fprintf(stderr, "gefs-mkimg: big needs --data-mib\n");
		return 2;
	}
	if (bigimg(out, bo, &st, &e) < 0) {
		fprintf(stderr, "gefs-mkimg: %s\n", e.msg);
		return 1;
	}
	printf("%s: big: %ld files in %ld directories, %llu MiB of data, %d arenas, main tree height %d\n",
		out, st.nfiles, st.ndirs, (unsigned long long)(st.ndata * GEFS_BLKSZ >> 20), st.narena,
		st.height);
	return 0;
}

int
main(int argc, char **argv)
{
	BigOpts bo = {0};
	BldStdOpts o;
	GefsErr e;
	char sum[512];
	Bld *b;
	int i;

	bldinitstd(&o);
	o.height = 0;
	o.nfiles = 0;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--seed") == 0)
			o.seed = num(argc, argv, &i);
		else if (strcmp(argv[i], "--files") == 0)
			o.nfiles = (int)num(argc, argv, &i);
		else if (strcmp(argv[i], "--height") == 0)
			o.height = (int)num(argc, argv, &i);
		else if (strcmp(argv[i], "--arenas") == 0)
			o.img.narena = (int)num(argc, argv, &i);
		else if (strcmp(argv[i], "--arena-blocks") == 0)
			o.img.arenablks = num(argc, argv, &i);
		else if (strcmp(argv[i], "--data-mib") == 0)
			bo.data = num(argc, argv, &i) << 20;
		else if (strcmp(argv[i], "--size-mib") == 0)
			bo.size = num(argc, argv, &i) << 20;
		else if (strcmp(argv[i], "--per-dir") == 0)
			bo.perdir = (long)num(argc, argv, &i);
		else
			usage();
	}
	if (argc - i != 2)
		usage();
	if (strcmp(argv[i], "big") == 0)
		return big(&o, &bo, argv[i + 1]);
	if (o.nfiles < 0 || o.nfiles > 100000 || o.height < 0 || o.height > 16 ||
	    o.img.narena < 0 || o.img.narena > 255) {
		fprintf(stderr, "gefs-mkimg: option out of range\n");
		return 2;
	}
	memset(&e, 0, sizeof e);
	if ((b = bldnamed(argv[i], &o, &e)) == NULL) {
		fprintf(stderr, "gefs-mkimg: %s\n", e.msg[0] ? e.msg : "cannot build");
		return 1;
	}
	if (bldwrite(b, argv[i + 1]) != 0) {
		fprintf(stderr, "gefs-mkimg: %s\n", blderr(b));
		bldfree(b);
		return 1;
	}
	bldsummary(b, sum, sizeof sum);
	printf("%s: %s: %s\n", argv[i + 1], argv[i], sum);
	bldfree(b);
	return 0;
}
