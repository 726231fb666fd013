/* SPDX-License-Identifier: MIT */
/*
 * common.h — what the gefs-progs tools share (cmd/common).
 */
#ifndef GEFS_CMD_COMMON_H
#define GEFS_CMD_COMMON_H

#include <stdint.h>

/* Print "PROG (gefs-progs) VERSION" on stdout. */
void printversion(const char *prog);
/* A size operand: decimal bytes, optionally followed by K, M, G or T
 * (powers of 1024, either case, optionally with "iB" or "B").  -1 when
 * malformed or too large. */
int parsebytes(const char *s, uint64_t *size);

#endif
