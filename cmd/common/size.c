/*
 * size.c — the one size parser of the tools: "512", "64K", "1.5G" is not
 * accepted (sizes are whole numbers of binary units).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sesscmd.h"

int
parsesize(const char *s, uint64_t *v)
{
	static const char units[] = "KMGTPE";
	const char *u;
	unsigned long long n;
	char *e;
	int shift;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	shift = 0;
	if (*e != '\0') {
		u = strchr(units, *e == 'k' ? 'K' : *e);
		if (u == NULL || *u == '\0' || (e[1] != '\0' && strcmp(e + 1, "iB") != 0 && strcmp(e + 1, "B") != 0))
			return -1;
		shift = 10 * (int)(u - units + 1);
	}
	if (shift > 0 && n > (UINT64_MAX >> shift))
		return -1;
	*v = (uint64_t)n << shift;
	return 0;
}
