/* SPDX-License-Identifier: MIT */
/*
 * window.c — --offset BYTES and --partition N, parsed the same way by
 * every program and handed to libgefs's device window (gefs_setwindow),
 * so that the file system may start inside a larger file or be one
 * partition of a GPT or MBR disk image.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <gefs.h>
#include "common.h"

static struct {
	bool		hasoff;
	uint64_t	off;
	int		part;		/* 0: none */
} w;

/* N of --partition: 1..INT_MAX, decimal. */
static int
partno(const char *s, int *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != 0 || v < 1 || v > INT_MAX)
		return -1;
	*n = (int)v;
	return 0;
}

int
winopt(const char *prog, int code, int c, const char *arg)
{
	switch (c) {
	case WOPT_OFFSET:
		if (parsebytes(arg, &w.off) < 0) {
			usageerr(prog, code, "bad offset '%s'", arg);
			return -1;
		}
		w.hasoff = true;
		break;
	case WOPT_PARTITION:
		if (partno(arg, &w.part) < 0) {
			usageerr(prog, code, "bad partition number '%s' (1, 2, ...)", arg);
			return -1;
		}
		break;
	default:
		return 0;
	}
	if (w.hasoff && w.part != 0) {
		usageerr(prog, code, "--offset and --partition cannot be combined");
		return -1;
	}
	return 1;
}

int
winapply(const char *prog, const char *path)
{
	uint64_t off = w.off, len = 0;
	GefsErr e;

	if (w.part != 0 && gefs_partwindow(path, w.part, &off, &len, &e) < 0)
		return errline(prog, -1, "%s", e.msg);
	if ((w.part != 0 || w.hasoff) && gefs_setwindow(off, len, &e) < 0)
		return errline(prog, -1, "%s", e.msg);
	return 0;
}
