/* SPDX-License-Identifier: MIT */
/*
 * args — parsing command arguments: addresses, numbers, sizes, and paths
 * of the form LABEL:/PATH.  Malformed arguments are usage errors (exit 2).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dump.h"

/* Unsigned number: 0x… hex or plain decimal, the whole string. */
static int
number(const char *s, uint64_t *v)
{
	char *end;
	int base;

	base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno != 0 || *end != 0)
		return -1;
	return 0;
}

uint64_t
parseaddr(const char *s)
{
	uint64_t v;

	if (number(s, &v) < 0)
		usagefail("bad address '%s' (expected 0x… hex or decimal)", s);
	if (v % GEFS_BLKSZ != 0)
		usagefail("address %s is not a multiple of %d", s, GEFS_BLKSZ);
	return v;
}

uint64_t
parseuint(const char *s, const char *what)
{
	uint64_t v;

	if (number(s, &v) < 0)
		usagefail("bad %s '%s'", what, s);
	return v;
}

/* N with an optional binary-unit suffix: the size parser every tool
 * shares (parsebytes, cmd/common). */
uint64_t
parsesize(const char *s)
{
	uint64_t v;

	if (parsebytes(s, &v) < 0)
		usagefail("bad size '%s' (expected bytes, optionally with K, M, G or T)", s);
	return v;
}

void
parsepath(const char *s, char **label, const char **path)
{
	const char *p;
	size_t n;

	p = strstr(s, ":/");
	n = p ? (size_t)(p - s) : strlen(s);
	if (n == 0)
		usagefail("'%s': missing LABEL (expected LABEL:/PATH)", s);
	if (n > GEFS_LABELMAX)
		usagefail("'%.20s…': label longer than %d bytes", s, GEFS_LABELMAX);
	*label = strndup(s, n);
	if (*label == NULL)
		usagefail("out of memory");
	*path = p ? p + 1 : "/";
}
