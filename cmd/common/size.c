/* SPDX-License-Identifier: MIT */
/*
 * size.c — what users give the tools: size operands (decimal bytes with
 * an optional 1024-based suffix, as gefs-mkfs reads them), and
 * SOURCE_DATE_EPOCH for reproducible output.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

int
parsebytes(const char *s, uint64_t *size)
{
	static const char units[] = "KMGT";
	const char *p, *u;
	uint64_t v = 0, d;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*p != 0) {
		if ((u = strchr(units, *p & ~0x20)) == NULL)
			return -1;
		shift = 10 * (int)(u - units + 1);
		p++;
		if (strcmp(p, "") != 0 && strcmp(p, "iB") != 0 && strcmp(p, "B") != 0)
			return -1;
	}
	if (shift > 0 && v > UINT64_MAX >> shift)
		return -1;
	*size = v << shift;
	return 0;
}

int
sourcedate(int64_t *ns)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == 0 || *end != 0 || errno != 0 || v < 0 || v > INT64_MAX / 1000000000)
		return -1;
	*ns = (int64_t)v * 1000000000;
	return 1;
}
