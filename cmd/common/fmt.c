/* SPDX-License-Identifier: MIT */
/*
 * fmt — the one rendering of each kind of value the tools print (see
 * common.h for the rules).  Every program formats sizes, times, hashes,
 * ranges and counts through these, so the same value reads the same in
 * gefs-mkfs, gefs-fsck and gefs-dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gefs.h"
#include "common.h"

enum {
	NSPERSEC	= 1000000000,
	SECPERMIN	= 60,
	MINPERHOUR	= 60,
	NUNIT		= 7,	/* B, KiB, ... EiB: 2^60 is the last below 2^64 */
};

/* Bytes as an exact count (raw) or in binary units with one decimal,
 * the decimal dropped when it is zero: "512 B", "16 KiB", "31.9 MiB". */
const char *
fmtsize(char *buf, size_t n, uint64_t bytes, bool raw)
{
	static const char *unit[NUNIT] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t whole, tenths;
	int u;

	if (raw || bytes < 1024) {
		snprintf(buf, n, raw ? "%llu" : "%llu B", (unsigned long long)bytes);
		return buf;
	}
	for (u = 0; u < NUNIT - 2 && bytes >> (10 * (u + 1)) >= 1024; u++)
		;
	u++;
	whole = bytes >> (10 * u);
	/* tenths, rounded half up, from the remainder */
	tenths = ((bytes & ((1ull << (10 * u)) - 1)) * 10 + (1ull << (10 * u - 1))) >> (10 * u);
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (tenths == 0)
		snprintf(buf, n, "%llu %s", (unsigned long long)whole, unit[u]);
	else
		snprintf(buf, n, "%llu.%llu %s", (unsigned long long)whole,
			(unsigned long long)tenths, unit[u]);
	return buf;
}

/* The zone suffix of ISO 8601: "Z" at offset zero, else "+hh:mm". */
static void
fmtzone(char *buf, size_t n, long gmtoff)
{
	long m;

	if (gmtoff == 0) {
		snprintf(buf, n, "Z");
		return;
	}
	m = (gmtoff < 0 ? -gmtoff : gmtoff) / SECPERMIN;
	snprintf(buf, n, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+', m / MINPERHOUR, m % MINPERHOUR);
}

/* Nanoseconds since the epoch in the local time of TZ, ISO 8601 with
 * its zone: "2026-12-03T13:11:15Z", "2026-12-03T14:11:15.5+01:00"; the
 * fraction (up to 9 digits, trailing zeros dropped) only when not zero. */
const char *
fmttime(char *buf, size_t n, int64_t ns)
{
	struct tm tm;
	time_t s;
	int64_t frac;
	char fs[16], zs[40];
	int i;

	s = (time_t)(ns / NSPERSEC);
	frac = ns % NSPERSEC;
	if (frac < 0) {
		frac += NSPERSEC;
		s--;
	}
	tzset();
	if (localtime_r(&s, &tm) == NULL) {
		snprintf(buf, n, "%lldns", (long long)ns);
		return buf;
	}
	fs[0] = 0;
	if (frac != 0) {
		snprintf(fs, sizeof fs, ".%09lld", (long long)frac);
		for (i = 9; fs[i] == '0'; i--)
			fs[i] = 0;
	}
	fmtzone(zs, sizeof zs, tm.tm_gmtoff);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fs, zs);
	return buf;
}

/* A 64-bit hash: 0x and 16 hex digits. */
const char *
fmthash(char *buf, size_t n, uint64_t h)
{
	snprintf(buf, n, "0x%016llx", (unsigned long long)h);
	return buf;
}

/* A range of byte addresses, half-open: "[0x4000, 0x8000)". */
const char *
fmtrange(char *buf, size_t n, uint64_t start, uint64_t end)
{
	snprintf(buf, n, "[0x%llx, 0x%llx)", (unsigned long long)start, (unsigned long long)end);
	return buf;
}

/* The range of len bytes at addr, from untrusted values: an end past
 * 2^64 is written as the sum rather than wrapped. */
const char *
fmtextent(char *buf, size_t n, uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		snprintf(buf, n, "[0x%llx, 0x%llx + 0x%llx)", (unsigned long long)addr,
			(unsigned long long)addr, (unsigned long long)len);
	else
		fmtrange(buf, n, addr, addr + len);
	return buf;
}

/* A count with its unit, singular for exactly one: "1 file", "2 files". */
const char *
fmtcount(char *buf, size_t n, uint64_t v, const char *one, const char *many)
{
	snprintf(buf, n, "%llu %s", (unsigned long long)v, v == 1 ? one : many);
	return buf;
}

/* Flush stdout and report (one line on stderr) if anything written to
 * it was lost, e.g. to a full disk: -1 then, else 0. */
int
checkstdout(const char *prog)
{
	int err;

	errno = 0;
	err = fflush(stdout) != 0 ? errno : 0;
	if (err == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "%s: error writing standard output: %s\n", prog,
		err != 0 ? strerror(err) : "write error");
	clearerr(stdout);
	return -1;
}

static const char	*exitprog;
static int		exitcode;

static void
atexitcheck(void)
{
	if (checkstdout(exitprog) < 0)
		_exit(exitcode);
}

/* For the ways out that do not check stdout themselves (--help,
 * --version, usage errors): at exit, lost output is reported and the
 * status becomes code. */
void
checkstdoutatexit(const char *prog, int code)
{
	exitprog = prog;
	exitcode = code;
	atexit(atexitcheck);
}
