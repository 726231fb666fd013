/* SPDX-License-Identifier: MIT */
/*
 * rdamage — the line that names what a read past damage skipped.
 */
#include <stdio.h>
#include <string.h>
#include "rdamage.h"

/* " (block 0x…)" when the block is known apart from the message. */
static void
fmtaddr(char *buf, size_t n, uint64_t addr)
{
	if (addr == GEFS_NONE)
		buf[0] = 0;
	else
		snprintf(buf, n, " (block 0x%llx)", (unsigned long long)addr);
}

char *
fmtdamage(char *buf, size_t n, const char *where, const GefsDamage *dm)
{
	char lo[160], hi[160], at[48];

	fmtaddr(at, sizeof at, dm->addr);
	switch (dm->kind) {
	case GEFS_DMDATA:
		snprintf(buf, n, "%s: bytes [%llu, %llu) unreadable, read as zeros%s: %s", where,
			(unsigned long long)dm->off, (unsigned long long)(dm->off + dm->len), at, dm->msg);
		break;
	case GEFS_DMKEY:
		gefs_fmtkey(lo, sizeof lo, dm->lo, dm->nlo);
		snprintf(buf, n, "%s: %s unreadable, skipped%s: %s", where, lo, at, dm->msg);
		break;
	default:
		gefs_fmtkey(lo, sizeof lo, dm->lo, dm->nlo);
		if (dm->hi != NULL)
			gefs_fmtkey(hi, sizeof hi, dm->hi, dm->nhi);
		else
			strcpy(hi, "end");
		snprintf(buf, n, "%s: keys [%s, %s) unreadable, skipped%s: %s", where, lo, hi, at, dm->msg);
		break;
	}
	return buf;
}
