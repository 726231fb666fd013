/* SPDX-License-Identifier: MIT */
/*
 * json.h — a small streaming JSON writer for the tools' --json output.
 * One JSON value per run; the writer tracks nesting so callers never emit
 * commas by hand.  Output is deterministic (no floats: fixed-point
 * decimals at most, keys in call order).
 */
#ifndef GEFS_CMD_JSON_H
#define GEFS_CMD_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

enum { JSON_MAXDEPTH = 64 };

typedef struct Json {
	FILE	*f;
	int	depth;
	int	first[JSON_MAXDEPTH];	/* no member written yet at this level */
	int	inobj[JSON_MAXDEPTH];	/* level is an object (keys expected) */
	int	pretty;
} Json;

void jsoninit(Json *j, FILE *f, int pretty);
/* Open the top-level object with the versioned header every tool writes:
 * {"format":"gefs-progs","version":V,"tool":TOOL,"command":CMD, ... */
void jsonheader(Json *j, const char *tool, const char *cmd);
void jsonobj(Json *j, const char *key);		/* key NULL inside arrays / at top */
void jsonarr(Json *j, const char *key);
void jsonend(Json *j);				/* close the innermost object/array */
/* Strings and byte strings: a byte that is not valid UTF-8 is written as
 * U+FFFD and the member is followed by KEY_hex holding the exact bytes
 * in hex (in objects; in arrays only the replacement is written). */
void jsonstr(Json *j, const char *key, const char *s);
void jsonmem(Json *j, const char *key, const void *s, size_t n);
void jsonu64(Json *j, const char *key, uint64_t v);
void jsoni64(Json *j, const char *key, int64_t v);
/* v tenths as a decimal number with one digit after the point ("12.3"):
 * a percentage without floating point, so the bytes are the same on
 * every host. */
void jsontenths(Json *j, const char *key, uint64_t v);
void jsonhex(Json *j, const char *key, uint64_t v);	/* "0x…" string */
void jsonhash(Json *j, const char *key, uint64_t v);	/* "0x" and 16 digits */
void jsonbool(Json *j, const char *key, int v);
void jsonnull(Json *j, const char *key);
/* Close the open levels down to depth (1: back in the top-level object,
 * e.g. to report an error there rather than inside an array). */
void jsonendto(Json *j, int depth);
/* Close every open level and end the line. */
void jsonfinish(Json *j);

/* Length of the valid UTF-8 sequence at s (n > 0): 1 for ASCII, 2..4,
 * or 0 when invalid.  Shared with the text output of the tools. */
size_t utf8len(const uint8_t *s, size_t n);

/* Version of the JSON output layout; bump on incompatible changes. */
#define GEFS_JSON_VERSION 3	/* 2: raw name bytes as U+FFFD + KEY_hex; "ok" last;
				 * 3: one row table per structure (new members,
				 * NONE for no address, null for absent rows) */

#endif
