/* SPDX-License-Identifier: MIT */
/*
 * cmdlang.c — word splitting, LABEL:PATH resolution, per-command options
 * and the command table for gefs-shell and gefs-replay.
 *
 * Splitting follows POSIX sh closely enough that a script reads the same
 * to a person who knows the shell: '…' is literal, "…" keeps everything
 * but \" \\ \$ \` (which lose the backslash), an unquoted backslash quotes
 * the next byte, and # starts a comment only at the start of a word.  No
 * expansion of any kind happens: $ and * are ordinary bytes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cmdlang.h"

static int
fail(char *err, size_t nerr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, nerr, fmt, ap);
	va_end(ap);
	return -1;
}

/* The splitter's state: input position, output position, words so far. */
typedef struct Split {
	const char	*s;
	char		*o;
	Words		*w;
} Split;

/* Copy a '…' run (s at the opening quote); -1 when unterminated. */
static int
squote(Split *sp)
{
	const char *e;

	e = strchr(sp->s + 1, '\'');
	if (e == NULL)
		return -1;
	memmove(sp->o, sp->s + 1, e - sp->s - 1);
	sp->o += e - sp->s - 1;
	sp->s = e + 1;
	return 0;
}

/* Copy a "…" run (s at the opening quote); -1 when unterminated. */
static int
dquote(Split *sp)
{
	const char *s;

	for (s = sp->s + 1; *s != '"'; s++) {
		if (*s == '\0')
			return -1;
		if (*s == '\\' && s[1] != '\0' && strchr("\"\\$`", s[1]))
			s++;
		*sp->o++ = *s;
	}
	sp->s = s + 1;
	return 0;
}

/* Copy one word starting at sp->s (not blank); -1 with err on damage. */
static int
word(Split *sp, char *err, size_t nerr)
{
	if (sp->w->argc == Maxwords)
		return fail(err, nerr, "more than %d words on one line", Maxwords);
	sp->w->argv[sp->w->argc++] = sp->o;
	while (*sp->s != '\0' && *sp->s != ' ' && *sp->s != '\t') {
		if (*sp->s == '\'') {
			if (squote(sp) < 0)
				return fail(err, nerr, "unterminated single quote");
		} else if (*sp->s == '"') {
			if (dquote(sp) < 0)
				return fail(err, nerr, "unterminated double quote");
		} else if (*sp->s == '\\') {
			if (sp->s[1] == '\0')
				return fail(err, nerr, "backslash at the end of the line");
			*sp->o++ = sp->s[1];
			sp->s += 2;
		} else
			*sp->o++ = *sp->s++;
	}
	/* Step over the blank before ending the word in place: o may equal s. */
	if (*sp->s != '\0')
		sp->s++;
	*sp->o++ = '\0';
	return 0;
}

int
splitwords(const char *line, Words *w, char *err, size_t nerr)
{
	Split sp;
	size_t n;

	memset(w, 0, sizeof *w);
	n = strlen(line);
	while (n > 0 && (line[n-1] == '\n' || line[n-1] == '\r'))
		n--;
	if (n > Maxline)
		return fail(err, nerr, "line longer than %d bytes", Maxline);
	w->buf = malloc(n + 1);
	if (w->buf == NULL)
		return fail(err, nerr, "out of memory");
	/* Split in place: quotes and backslashes only shrink a word, so the
	 * output never overtakes the input. */
	memcpy(w->buf, line, n);
	w->buf[n] = '\0';
	sp = (Split){.s = w->buf, .o = w->buf, .w = w};
	for (;;) {
		while (*sp.s == ' ' || *sp.s == '\t')
			sp.s++;
		if (*sp.s == '\0' || *sp.s == '#')
			break;
		if (word(&sp, err, nerr) < 0)
			return -1;
	}
	w->argv[w->argc] = NULL;
	return 0;
}

void
wordsfree(Words *w)
{
	free(w->buf);
	w->buf = NULL;
	w->argc = 0;
}

/* Append component c (length n) to the normalised absolute path p. */
static int
pushcomp(char *p, size_t np, const char *c, size_t n)
{
	size_t len;
	char *slash;

	if (n == 0 || (n == 1 && c[0] == '.'))
		return 0;
	len = strlen(p);
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		slash = strrchr(p, '/');
		slash[slash == p] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
		return 0;
	}
	if (len + (len > 1) + n + 1 > np)
		return -1;
	if (len > 1)
		p[len++] = '/';
	memcpy(p + len, c, n);
	p[len + n] = '\0';
	return 0;
}

/* Append every component of rel to the absolute path p. */
static int
pushpath(char *p, size_t np, const char *rel)
{
	const char *e;

	while (*rel != '\0') {
		e = strchr(rel, '/');
		if (e == NULL)
			e = rel + strlen(rel);
		if (pushcomp(p, np, rel, e - rel) < 0)
			return -1;
		rel = *e == '/' ? e + 1 : e;
	}
	return 0;
}

/* The length of a LABEL: prefix of arg, or 0 when arg has none. */
static size_t
labelprefix(const char *arg)
{
	const char *colon, *slash;

	colon = strchr(arg, ':');
	if (colon == NULL)
		return 0;
	slash = strchr(arg, '/');
	if (slash != NULL && slash < colon)
		return 0;
	if (colon[1] != '\0' && colon[1] != '/')
		return 0;
	return colon - arg;
}

int
resolvepath(const Place *p, const char *arg, char *label, size_t nlabel,
	char *path, size_t npath, char *err, size_t nerr)
{
	size_t nl;
	const char *rest;

	nl = labelprefix(arg);
	if (nl == 0 && arg[0] == ':')
		return fail(err, nerr, "%s: empty label name", arg);
	if (nl > 0) {
		if (nl > Maxlabel || nl + 1 > nlabel)
			return fail(err, nerr, "%.40s…: label name too long", arg);
		memcpy(label, arg, nl);
		label[nl] = '\0';
		rest = arg + nl + 1;
	} else {
		if (strlen(p->label) + 1 > nlabel)
			return fail(err, nerr, "label name too long");
		strcpy(label, p->label);
		rest = arg;
	}
	if (npath < 2)
		return fail(err, nerr, "path buffer too small");
	strcpy(path, "/");
	if (nl == 0 && rest[0] != '/' && pushpath(path, npath, p->cwd) < 0)
		return fail(err, nerr, "current directory too long");
	if (pushpath(path, npath, rest) < 0)
		return fail(err, nerr, "%.40s…: path longer than %zu bytes", arg, npath - 1);
	return 0;
}

/* Parse one "-xyz" cluster at argv[*i]; advances *i past any argument. */
static int
optcluster(int argc, char **argv, int *i, const char *spec, Opts *o, char *err, size_t nerr)
{
	const char *s, *f;
	unsigned char c;

	for (s = argv[*i] + 1; *s != '\0'; s++) {
		c = (unsigned char)*s;
		f = c < 128 && c != ':' && c != ';' ? strchr(spec, c) : NULL;
		if (f != NULL && strchr(spec, ';') != NULL && f > strchr(spec, ';'))
			f = NULL;	/* a letter of a long name */
		if (f == NULL)
			return fail(err, nerr, "%s: unknown option -%c", argv[0], c);
		o->count[c]++;
		if (f[1] != ':')
			continue;
		if (s[1] != '\0')
			o->arg[c] = s + 1;
		else if (*i + 1 < argc)
			o->arg[c] = argv[++*i];
		else
			return fail(err, nerr, "%s: option -%c needs an argument", argv[0], c);
		break;
	}
	return 0;
}

/* "--name" or "--name=ARG": an option spelled long, listed after ';' in
 * spec as "name=c"; it takes an argument when c does ("c:" before ';'),
 * from after '=' or the next word. */
static int
longopt(int argc, char **argv, int *i, const char *spec, Opts *o, char *err, size_t nerr)
{
	const char *p, *name, *eq, *sc;
	unsigned char c;
	size_t n;

	name = argv[*i] + 2;
	eq = strchr(name, '=');
	n = eq ? (size_t)(eq - name) : strlen(name);
	sc = strchr(spec, ';');
	for (p = sc; p != NULL; p = strchr(p, ',')) {
		p++;
		if (strncmp(p, name, n) != 0 || p[n] != '=' || p[n+1] == '\0' || (unsigned char)p[n+1] >= 128)
			continue;
		c = (unsigned char)p[n+1];
		o->count[c]++;
		p = memchr(spec, c, (size_t)(sc - spec));
		if (p == NULL || p[1] != ':') {
			if (eq != NULL)
				return fail(err, nerr, "%s: option --%.*s takes no argument", argv[0], (int)n, name);
			return 0;
		}
		if (eq != NULL)
			o->arg[c] = eq + 1;
		else if (*i + 1 < argc)
			o->arg[c] = argv[++*i];
		else
			return fail(err, nerr, "%s: option --%s needs an argument", argv[0], name);
		return 0;
	}
	return fail(err, nerr, "%s: unknown option --%.*s", argv[0], (int)n, name);
}

int
parseopts(int argc, char **argv, const char *spec, Opts *o, char *err, size_t nerr)
{
	int i;

	memset(o, 0, sizeof *o);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (argv[i][1] == '-') {
			if (longopt(argc, argv, &i, spec, o, err, nerr) < 0)
				return -1;
			continue;
		}
		if (optcluster(argc, argv, &i, spec, o, err, nerr) < 0)
			return -1;
	}
	o->optind = i;
	return 0;
}

const Cmd *
findcmd(const Cmd *tab, const char *name)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	return NULL;
}

int
checkargs(const Cmd *c, int argc, char **argv, char *err, size_t nerr)
{
	Opts o;
	int n;

	if (parseopts(argc, argv, c->optspec, &o, err, nerr) < 0)
		return -1;
	n = argc - o.optind;
	if (n < c->minargs || (c->maxargs >= 0 && n > c->maxargs))
		return fail(err, nerr, "usage: %s%s%s", c->name, *c->synopsis ? " " : "", c->synopsis);
	return 0;
}

int
printhelp(FILE *f, const Cmd *tab, unsigned notflags, const char *name, char *err, size_t nerr)
{
	const Cmd *c;

	if (name != NULL) {
		c = findcmd(tab, name);
		if (c == NULL || (c->flags & notflags))
			return fail(err, nerr, "help: no command %s", name);
		fprintf(f, "usage: %s%s%s\n  %s\n", c->name, *c->synopsis ? " " : "", c->synopsis, c->summary);
		return 0;
	}
	for (c = tab; c->name != NULL; c++)
		if ((c->flags & notflags) == 0)
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	return 0;
}
