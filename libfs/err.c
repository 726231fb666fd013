/* SPDX-License-Identifier: MIT */
/*
 * err — the error contract of libgefs (see gefs.h): calls return 0/-1 or a
 * pointer/NULL and leave a code and a message in a GefsErr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gefs.h"
#include "gefs_version.h"
#include "internal.h"

int
gefs_seterr(GefsErr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
gefs_wraperr(GefsErr *e, const char *fmt, ...)
{
	char ctx[sizeof e->msg], old[sizeof e->msg];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* truncation is fine: the message is advisory text */
	if (snprintf(e->msg, sizeof e->msg, "%.200s: %.300s", ctx, old) < 0)
		e->msg[0] = 0;
	return -1;
}

/* [addr, addr+len) of untrusted values: an end past 2^64 is named as
 * such rather than shown wrapped. */
const char *
rangestr(char buf[RANGESTRSZ], uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		snprintf(buf, RANGESTRSZ, "[0x%llx, 0x%llx + 0x%llx)", (unsigned long long)addr,
			(unsigned long long)addr, (unsigned long long)len);
	else
		snprintf(buf, RANGESTRSZ, "[0x%llx, 0x%llx)", (unsigned long long)addr,
			(unsigned long long)(addr + len));
	return buf;
}

const char *
gefs_typename(int type)
{
	switch (type) {
	case GEFS_TDAT:		return "data";
	case GEFS_TPIVOT:	return "pivot";
	case GEFS_TLEAF:	return "leaf";
	case GEFS_TLOG:		return "log";
	case GEFS_TDLIST:	return "deadlist";
	case GEFS_TARENA:	return "arena";
	case GEFS_TSUPER:	return "superblock";
	}
	return "unknown";
}

const char *
gefs_version(void)
{
	return GEFS_VERSION;
}
