/* SPDX-License-Identifier: MIT */
/*
 * fuzz_image — libFuzzer harness over load + full walk + check.
 *
 * An input is a base image and patch records (tests/common/fuzzimg.h: the
 * one decoder, shared with tests/tools/gefs-fuzzimg, which materialises
 * corpus entries as image files for tests/cli/shell_robust.sh).  The
 * patched image lives in a memfd, opened by path /proc/self/fd/N; flag
 * bits of the entry choose reading with ignhash and running the checker.
 * Seeds: tests/fuzz/corpus (read-only; new entries go to the build's
 * corpus directory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "gefs.h"
#include "fuzzimg.h"
#include "readall.h"

static Fuzzimg *fz;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GefsErr e;
	int fd;

	(void)argc; (void)argv;
	if ((fz = fuzzimgnew(true, &e)) == NULL) {
		fprintf(stderr, "fuzz_image: %s\n", e.msg);
		abort();	/* the harness itself is broken: a programmer error */
	}
	if ((fd = memfd_create("gefs-fuzz", 0)) < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ReadallStats st;
	GefsErr e;
	Bld *b;

	if ((b = fuzzimgapply(fz, data, size, &e)) == NULL || bldwrite(b, path) < 0)
		return 0;
	memset(&st, 0, sizeof st);
	readall(path, data[1] & FUZZ_IGNHASH, (data[1] & FUZZ_CHECK) != 0, &st);
	return 0;
}
