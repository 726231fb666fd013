/*
 * gefs-mkimg — a test-only program: build one of the builder's named
 * images (tests/common/builder.h) into a file, for CLI tests.
 *
 *	gefs-mkimg [--seed N] [--files N] [--height H] [--arenas N]
 *		[--arena-blocks N] KIND OUT.img
 *
 * KIND: std, empty, deep, snaps, logchain.  Prints a one-line summary.
 * Exit status 0 on success, 1 on a build or write failure, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "builder.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gefs-mkimg [--seed N] [--files N] [--height H] [--arenas N] "
		"[--arena-blocks N] KIND OUT.img\n"
		"KIND: std, empty, deep, snaps, logchain\n");
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

int
main(int argc, char **argv)
{
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
		else
			usage();
	}
	if (argc - i != 2)
		usage();
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
