/* SPDX-License-Identifier: MIT */
/*
 * version — the line every tool prints for -V.
 */
#include <stdio.h>
#include "gefs.h"
#include "common.h"

void
printversion(const char *prog)
{
	printf("%s (gefs-progs) %s\n", prog, gefs_version());
}
