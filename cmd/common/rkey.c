/* SPDX-License-Identifier: MIT */
/*
 * rkey — keys typed back as gefs-dump prints them (the shell's lookup):
 * Kdat(0x1e, 0x0), Kent(0x3, "name"), Kup(0x3), Klabel("main"),
 * Ksnap(2), Kdlist(2, 1), Kconf("name"), or the raw bytes in hex
 * ("0100…" or "key[N]:0100…" as a key that does not decode is shown).
 * Names are read back as showname writes them: UTF-8 as is, \xNN for
 * any other byte.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rint.h"

typedef struct Kp {
	const char	*p;
	char		*err;
	size_t		nerr;
} Kp;

static int
kfail(Kp *kp, const char *what)
{
	snprintf(kp->err, kp->nerr, "%s at '%.20s'", what, kp->p);
	return -1;
}

static void
skipsp(Kp *kp)
{
	while (*kp->p == ' ' || *kp->p == '\t')
		kp->p++;
}

/* Expect the character c (spaces around it allowed). */
static int
expect(Kp *kp, char c)
{
	skipsp(kp);
	if (*kp->p != c) {
		char what[24];

		snprintf(what, sizeof what, "expected '%c'", c);
		return kfail(kp, what);
	}
	kp->p++;
	skipsp(kp);
	return 0;
}

/* A number: 0x… hex, decimal (a leading '-' for generations), or NONE. */
static int
knum(Kp *kp, uint64_t *v)
{
	char *end;
	bool neg;

	if (strncmp(kp->p, "NONE", 4) == 0) {
		kp->p += 4;
		*v = GEFS_NONE;
		return 0;
	}
	neg = *kp->p == '-';
	if (!isdigit((unsigned char)kp->p[neg]))
		return kfail(kp, "expected a number");
	errno = 0;
	*v = strtoull(kp->p + neg, &end, 0);
	if (errno != 0)
		return kfail(kp, "number out of range");
	if (neg)
		*v = (uint64_t)-(int64_t)*v;
	kp->p = end;
	return 0;
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* A name into buf (at most max bytes); *n its length.  Quoted as
 * gefs-dump prints it (to the last '"': a name may hold quotes), or bare
 * up to the last ')' (the shell's word splitting often takes the quotes
 * away). */
static int
kname(Kp *kp, char *buf, size_t max, size_t *n)
{
	const char *p, *end;

	if (*kp->p == '"') {
		end = strrchr(kp->p, '"');
		if (end == kp->p)
			return kfail(kp, "unterminated name");
		p = kp->p + 1;
	} else {
		end = strrchr(kp->p, ')');
		if (end == NULL)
			return kfail(kp, "expected a name");
		p = kp->p;
	}
	for (*n = 0; p < end; (*n)++) {
		if (*n == max)
			return kfail(kp, "name too long");
		if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2])
		&& isxdigit((unsigned char)p[3])) {
			buf[*n] = (char)(hexval((unsigned char)p[2]) * 16 + hexval((unsigned char)p[3]));
			p += 4;
		} else
			buf[*n] = *p++;
	}
	kp->p = *end == '"' ? end + 1 : end;
	return 0;
}

/* Raw bytes in hex, the whole string. */
static int
khex(Kp *kp, uint8_t *k)
{
	const char *p;
	size_t n;

	p = kp->p;
	if (strncmp(p, "key[", 4) == 0 && (p = strstr(p, "]:")) != NULL)
		p += 2;
	else
		p = kp->p;
	for (n = 0; isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]); p += 2) {
		if (n == GEFS_KEYMAX)
			return kfail(kp, "key longer than GEFS_KEYMAX bytes");
		k[n++] = (uint8_t)(hexval((unsigned char)p[0]) * 16 + hexval((unsigned char)p[1]));
	}
	if (*p != '\0' || n == 0) {
		kp->p = p;
		return kfail(kp, "expected a key type (Kdat, Kent, ...) or hex bytes");
	}
	return (int)n;
}

static const char *ktypes[] = { "Kdat", "Kent", "Kup", "Klabel", "Ksnap", "Kdlist", "Kconf" };

/* The operands of a key of type t, encoded into k. */
static int
kargs(Kp *kp, int t, uint8_t *k)
{
	char name[GEFS_KEYMAX];
	uint64_t a, b;
	size_t n;

	switch (t) {
	case GEFS_KDAT:
	case GEFS_KDLIST:
		if (knum(kp, &a) < 0 || expect(kp, ',') < 0 || knum(kp, &b) < 0)
			return -1;
		return (int)(t == GEFS_KDAT ? gefs_packdatkey(k, a, b) : gefs_packdlistkey(k, a, b));
	case GEFS_KENT:
		if (knum(kp, &a) < 0 || expect(kp, ',') < 0 || kname(kp, name, GEFS_KEYMAX - 12, &n) < 0)
			return -1;
		return (int)gefs_packentkey(k, a, name, n);
	case GEFS_KUP:
	case GEFS_KSNAP:
		if (knum(kp, &a) < 0)
			return -1;
		return (int)(t == GEFS_KUP ? gefs_packupkey(k, a) : gefs_packsnapkey(k, a));
	default:
		if (kname(kp, name, t == GEFS_KLABEL ? GEFS_LABELMAX : GEFS_KEYMAX - 1, &n) < 0)
			return -1;
		return (int)(t == GEFS_KLABEL ? gefs_packlabelkey(k, name, n) : gefs_packconfkey(k, name, n));
	}
}

int
parsekey(const char *s, uint8_t *k, char *err, size_t nerr)
{
	Kp kp = { s, err, nerr };
	size_t n;
	int t, len;

	skipsp(&kp);
	for (t = 0; t < 7; t++) {
		n = strlen(ktypes[t]);
		if (strncmp(kp.p, ktypes[t], n) == 0 && (kp.p[n] == '(' || kp.p[n] == ' '))
			break;
	}
	if (t == 7)
		return khex(&kp, k);
	kp.p += n;
	if (expect(&kp, '(') < 0 || (len = kargs(&kp, t, k)) < 0 || expect(&kp, ')') < 0)
		return -1;
	if (*kp.p != '\0')
		return kfail(&kp, "trailing characters");
	return len;
}

void
rkv(Render *rd, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv)
{
	if (rd->json) {
		jsonkey(rd, "key", k, nk);
		jsonval(rd, "value", k, nk, v, nv, false);
		return;
	}
	fmtkv(rd, rd->f, k, nk, v, nv, false);
	fputc('\n', rd->f);
}
