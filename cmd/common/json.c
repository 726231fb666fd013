/* SPDX-License-Identifier: MIT */
/*
 * json — streaming JSON writer (see json.h).  Strings are escaped per
 * RFC 8259.  A byte that is not part of valid UTF-8 is written as U+FFFD
 * (the replacement character), so the document stays valid UTF-8; the
 * member is then followed by KEY_hex, the exact bytes in hex, so that no
 * on-disk name is lost or confused with a valid one (see jsonraw).
 */
#include <string.h>
#include "gefs.h"
#include "json.h"

void
jsoninit(Json *j, FILE *f, int pretty)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->pretty = pretty;
	j->first[0] = 1;
}

static void
indent(Json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left): 1 for
 * ASCII, 2..4, or 0 when the bytes there are not valid UTF-8. */
size_t
utf8len(const uint8_t *s, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { len = 2; c = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { len = 3; c = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { len = 4; c = s[0] & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000)
	|| c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	return len;
}

/* Write s as a JSON string; 1 if it held bytes that are not UTF-8. */
static int
putstr(Json *j, const uint8_t *s, size_t n)
{
	size_t i, l;
	int raw = 0;

	fputc('"', j->f);
	for (i = 0; i < n; i += l) {
		l = utf8len(s + i, n - i);
		if (l == 0) {
			fputs("\\ufffd", j->f);
			raw = 1;
			l = 1;
		} else if (l > 1)
			fwrite(s + i, 1, l, j->f);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(j->f, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", j->f);
		else if (s[i] == '\t')
			fputs("\\t", j->f);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			fprintf(j->f, "\\u%04x", s[i]);
		else
			fputc(s[i], j->f);
	}
	fputc('"', j->f);
	return raw;
}

static void member(Json *j, const char *key);

/* After a string member that held raw bytes: KEY_hex, the bytes in hex. */
static void
jsonraw(Json *j, const char *key, const uint8_t *s, size_t n)
{
	char hk[64];
	size_t i;

	if (key == NULL || !j->inobj[j->depth])
		return;
	snprintf(hk, sizeof hk, "%.59s_hex", key);
	member(j, hk);
	fputc('"', j->f);
	for (i = 0; i < n; i++)
		fprintf(j->f, "%02x", s[i]);
	fputc('"', j->f);
}

/* Comma, indentation and "key": before a value. */
static void
member(Json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (j->depth > 0)
		indent(j);
	if (key != NULL && j->inobj[j->depth]) {
		putstr(j, (const uint8_t *)key, strlen(key));
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void
open1(Json *j, const char *key, int obj)
{
	member(j, key);
	fputc(obj ? '{' : '[', j->f);
	if (j->depth + 1 < JSON_MAXDEPTH) {
		j->depth++;
		j->first[j->depth] = 1;
		j->inobj[j->depth] = obj;
	}
}

void jsonobj(Json *j, const char *key) { open1(j, key, 1); }
void jsonarr(Json *j, const char *key) { open1(j, key, 0); }

void
jsonend(Json *j)
{
	int obj;

	if (j->depth == 0)
		return;
	obj = j->inobj[j->depth];
	j->depth--;
	if (!j->first[j->depth + 1])
		indent(j);
	fputc(obj ? '}' : ']', j->f);
}

void
jsonheader(Json *j, const char *tool, const char *cmd)
{
	jsonobj(j, NULL);
	jsonstr(j, "format", "gefs-progs");
	jsonu64(j, "version", GEFS_JSON_VERSION);
	jsonstr(j, "tool", tool);
	jsonstr(j, "tool_version", gefs_version());
	if (cmd != NULL)
		jsonstr(j, "command", cmd);
}

void
jsonstr(Json *j, const char *key, const char *s)
{
	member(j, key);
	if (putstr(j, (const uint8_t *)s, strlen(s)))
		jsonraw(j, key, (const uint8_t *)s, strlen(s));
}

void
jsonmem(Json *j, const char *key, const void *s, size_t n)
{
	member(j, key);
	if (putstr(j, s, n))
		jsonraw(j, key, s, n);
}

void
jsonu64(Json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void
jsontenths(Json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%llu.%llu", (unsigned long long)(v / 10), (unsigned long long)(v % 10));
}

void
jsoni64(Json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void
jsonhex(Json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void
jsonhash(Json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "\"0x%016llx\"", (unsigned long long)v);
}

void
jsonbool(Json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
jsonnull(Json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void
jsonendto(Json *j, int depth)
{
	while (j->depth > depth)
		jsonend(j);
}

void
jsonfinish(Json *j)
{
	while (j->depth > 0)
		jsonend(j);
	fputc('\n', j->f);
}
