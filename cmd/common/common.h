/* SPDX-License-Identifier: MIT */
/*
 * common.h — what the gefs-progs tools share (cmd/common).
 */
#ifndef GEFS_CMD_COMMON_H
#define GEFS_CMD_COMMON_H

#include <stdint.h>

/* Print "PROG (gefs-progs) VERSION" on stdout. */
void printversion(const char *prog);

#endif
