/* SPDX-License-Identifier: MIT */
/*
 * usage — the one usage-error convention of every program: one line on
 * standard error naming the program (never its path) and where help is,
 * "gefs-fsck: unknown option -Q (see gefs-fsck --help)"; the caller exits
 * with its usage code (2, or 16 for fsck as fsck(8) wants).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

int
usageerr(const char *prog, int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	return code;
}

int
errline(const char *prog, int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Does the long option spelled in word (--name or --name=...) exist? */
static const struct option *
findlong(const struct option *lo, const char *word)
{
	size_t n;

	if (lo == NULL || strncmp(word, "--", 2) != 0)
		return NULL;
	word += 2;
	n = strcspn(word, "=");
	for (; lo->name != NULL; lo++)
		if (strlen(lo->name) == n && strncmp(lo->name, word, n) == 0)
			return lo;
	return NULL;
}

const char *
optfailmsg(char *buf, size_t n, const char *optstring, const struct option *lo, int opt,
	const char *word)
{
	const struct option *o;
	const char *p;

	o = findlong(lo, word);
	if (o != NULL && o->has_arg == no_argument && strchr(word, '='))
		snprintf(buf, n, "option --%s takes no argument", o->name);
	else if (o != NULL)
		snprintf(buf, n, "option --%s needs an argument", o->name);
	else if (strncmp(word, "--", 2) == 0 || opt <= 0 || opt > 127)
		snprintf(buf, n, "unknown option %.*s", (int)strcspn(word, "="), word);
	else if ((p = strchr(optstring, opt)) != NULL && opt != ':' && p[1] == ':')
		snprintf(buf, n, "option -%c needs an argument", opt);
	else
		snprintf(buf, n, "unknown option -%c", opt);
	return buf;
}
