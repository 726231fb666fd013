/* SPDX-License-Identifier: MIT */
/*
 * common.h — what the gefs-progs tools share (cmd/common).
 *
 * Output rules, the same in every program (and in the messages libgefs
 * builds for them):
 *  - sizes: binary units with one decimal, dropped when zero ("512 B",
 *    "16 KiB", "1.5 GiB"); with -b / --bytes the exact number of bytes;
 *  - times: ISO 8601 in the local time of TZ with its offset, "Z" when
 *    the offset is zero ("2026-12-03T13:11:15Z", "...T14:11:15+01:00"),
 *    a fraction of a second only when there is one;
 *  - hashes: 0x and 16 hex digits ("0x00c0ffee00c0ffee");
 *  - ranges of addresses: half-open, "[0x4000, 0x8000)";
 *  - counts: the number and its unit, singular only for 1 ("1 file").
 */
#ifndef GEFS_CMD_COMMON_H
#define GEFS_CMD_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>

/* Print "PROG (gefs-progs) VERSION" on stdout. */
void printversion(const char *prog);
/* A size operand: decimal bytes, optionally followed by K, M, G or T
 * (powers of 1024, either case, optionally with "iB" or "B").  -1 when
 * malformed or too large. */
int parsebytes(const char *s, uint64_t *size);
/* SOURCE_DATE_EPOCH (reproducible builds) in ns: 1 when set, 0 when not,
 * -1 when malformed. */
int sourcedate(int64_t *ns);

/* A usage error, the convention of every program: one line on stderr,
 * "PROG: MESSAGE (see PROG --help)"; returns code (the exit status:
 * 2, or 16 for gefs-fsck). */
int usageerr(const char *prog, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Any other failure: "PROG: MESSAGE" on stderr; returns code. */
int errline(const char *prog, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* What getopt_long refused (called with opterr = 0, when it returned
 * '?' or ':'): "unknown option -Q", "option -b needs an argument",
 * "unknown option --bogus", ...  opt is optopt, word argv[optind - 1]. */
const char *optfailmsg(char *buf, size_t n, const char *optstring, const struct option *lo,
	int opt, const char *word);

/* The formatters write into buf (n bytes) and return it. */
const char	*fmtsize(char *buf, size_t n, uint64_t bytes, bool raw);
const char	*fmttime(char *buf, size_t n, int64_t ns);
const char	*fmthash(char *buf, size_t n, uint64_t h);
const char	*fmtrange(char *buf, size_t n, uint64_t start, uint64_t end);
const char	*fmtextent(char *buf, size_t n, uint64_t addr, uint64_t len);	/* [addr, addr+len) */
const char	*fmtcount(char *buf, size_t n, uint64_t v, const char *one, const char *many);

/* Flush stdout; if any output was lost (a full disk, a closed pipe)
 * say so in one line on stderr and return -1. */
int	checkstdout(const char *prog);
/* The same check at exit, for the ways out that skip it (--help,
 * --version): then the exit status becomes code. */
void	checkstdoutatexit(const char *prog, int code);

/* --offset BYTES and --partition N, the same in every program (window.c):
 * append WINDOW_OPTIONS to the long options, pass every option to winopt
 * and the image to winapply before it is opened. */
enum { WOPT_OFFSET = 0x700, WOPT_PARTITION };
#define WINDOW_OPTIONS \
	{"offset", required_argument, NULL, WOPT_OFFSET}, \
	{"partition", required_argument, NULL, WOPT_PARTITION}
#define WINDOW_HELP \
	"  --offset BYTES     the file system starts BYTES into IMAGE (K, M, G suffixes)\n" \
	"  --partition N      the file system is partition N of the GPT or MBR disk image IMAGE\n"
/* 1: c was --offset or --partition (taken); 0: another option; -1: a
 * malformed value or both given (usage error printed, exit status code). */
int winopt(const char *prog, int code, int c, const char *arg);
/* Make the window of the options the one every image is opened with
 * (a partition is looked up in path): 0, or -1 after an error line. */
int winapply(const char *prog, const char *path);

#endif
