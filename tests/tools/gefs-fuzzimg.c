/* SPDX-License-Identifier: MIT */
/*
 * gefs-fuzzimg — test-only: materialise fuzz_image corpus entries (patch
 * records on a builder base image, tests/common/fuzzimg.h) as image
 * files, so that other programs can be run on what the fuzzer found.
 *	gefs-fuzzimg DIR ENTRY...
 * writes DIR/NAME.img for each ENTRY (NAME: its file name), the image the
 * harness reads for it.  An entry shorter than 2 bytes names no image:
 * it is skipped, with a line on stderr.  Exit 0, or 1 when an entry could
 * not be read or an image not written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzimg.h"

enum { MAXENTRY = 1 << 20 };	/* libFuzzer's -max_len is far below this */

/* Read all of path into buf (MAXENTRY bytes); -1 on error or too long. */
static long
slurp(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, MAXENTRY, f);
	if (ferror(f) || (n == MAXENTRY && fgetc(f) != EOF)) {
		fclose(f);
		errno = EFBIG;
		return -1;
	}
	fclose(f);
	return (long)n;
}

/* Materialise one entry into dir; 0, or 1 on failure (reported). */
static int
one(Fuzzimg *fz, const char *dir, const char *entry, uint8_t *buf)
{
	const char *name = strrchr(entry, '/') ? strrchr(entry, '/') + 1 : entry;
	char out[4096];
	GefsErr e = {0};
	long n;
	Bld *b;

	if ((n = slurp(entry, buf)) < 0) {
		fprintf(stderr, "gefs-fuzzimg: %s: %s\n", entry, strerror(errno));
		return 1;
	}
	if ((b = fuzzimgapply(fz, buf, (size_t)n, &e)) == NULL) {
		if (n >= FUZZ_MINLEN) {
			fprintf(stderr, "gefs-fuzzimg: %s: %s\n", entry, e.msg);
			return 1;
		}
		fprintf(stderr, "gefs-fuzzimg: %s: shorter than %d bytes, no image\n", entry, FUZZ_MINLEN);
		return 0;
	}
	if ((size_t)snprintf(out, sizeof out, "%s/%s.img", dir, name) >= sizeof out || bldwrite(b, out) < 0) {
		fprintf(stderr, "gefs-fuzzimg: %s: cannot write %s: %s\n", entry, out, blderr(b));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	Fuzzimg *fz;
	GefsErr e;
	uint8_t *buf;
	int i, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: gefs-fuzzimg DIR ENTRY...\n");
		return 2;
	}
	buf = malloc(MAXENTRY);
	if (buf == NULL || (fz = fuzzimgnew(false, &e)) == NULL) {
		fprintf(stderr, "gefs-fuzzimg: %s\n", buf == NULL ? "out of memory" : e.msg);
		free(buf);
		return 1;
	}
	for (i = 2; i < argc; i++)
		rc |= one(fz, argv[1], argv[i], buf);
	fuzzimgfree(fz);
	free(buf);
	return rc;
}
