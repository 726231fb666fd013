/* SPDX-License-Identifier: MIT */
/*
 * prompt.c — gefs-shell at a terminal: GNU readline for editing and
 * history, with completion of the command (first word) and of paths in
 * the image (later words).
 */
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "prompt.h"

static Sess *sess;		/* readline's callbacks take no argument */

/* Candidates for the word being completed, collected up front. */
typedef struct Cand {
	char	**v;
	size_t	n, cap, next;
} Cand;

static Cand cand;

static void
candclear(void)
{
	while (cand.next < cand.n)
		free(cand.v[cand.next++]);
	cand.n = cand.next = 0;
}

static void
candadd(const char *prefix, const char *name, const char *suffix)
{
	char **v;

	if (cand.n == cand.cap) {
		v = realloc(cand.v, (cand.cap * 2 + 16) * sizeof *v);
		if (v == NULL)
			return;
		cand.v = v;
		cand.cap = cand.cap * 2 + 16;
	}
	if (asprintf(&cand.v[cand.n], "%s%s%s", prefix, name, suffix) >= 0)
		cand.n++;
}

static void
cmdcands(const char *text)
{
	const Cmd *c;

	for (c = sess->tab; c->name != NULL; c++)
		if ((c->flags & sess->notflags) == 0 && strncmp(c->name, text, strlen(text)) == 0)
			candadd("", c->name, "");
}

/* The directory part of text ("a/b/c" -> "a/b/") and what follows. */
typedef struct Partial {
	char		dir[Maxpath];
	const char	*base;
} Partial;

static int
eachname(void *arg, const char *name, size_t nlen, const GefsXdir *d)
{
	Partial *p = arg;

	if (strncmp(name, p->base, strlen(p->base)) == 0 && nlen < Maxpath)
		candadd(p->dir, name, (d->mode & GEFS_DMDIR) ? "/" : "");
	return 0;
}

static void
pathcands(const char *text)
{
	char label[Maxlabel + 1], path[Maxpath];
	const char *slash;
	Partial p;
	GefsTree *t;

	slash = strrchr(text, '/');
	p.base = slash ? slash + 1 : text;
	snprintf(p.dir, sizeof p.dir, "%.*s", slash ? (int)(slash - text + 1) : 0, text);
	if (sesspath(sess, p.dir[0] ? p.dir : ".", label, path) < 0)
		return;
	t = sesstree(sess, label);
	if (t != NULL)
		gefs_readdir(t, path, eachname, &p);
}

static char *
nextcand(const char *text, int state)
{
	(void)text;
	(void)state;
	return cand.next < cand.n ? cand.v[cand.next++] : NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)end;
	candclear();
	if (start == 0)
		cmdcands(text);
	else
		pathcands(text);
	rl_attempted_completion_over = 1;
	rl_completion_append_character = cand.n == 1 && cand.v[0][strlen(cand.v[0]) - 1] == '/' ? '\0' : ' ';
	return rl_completion_matches(text, nextcand);
}

int
interact(Sess *s)
{
	char *line, prompt[Maxlabel + Maxpath + 16];
	int nfail;

	sess = s;
	rl_readline_name = "gefs-shell";
	rl_attempted_completion_function = complete;
	nfail = 0;
	for (;;) {
		snprintf(prompt, sizeof prompt, "%s:%s%s> ", s->place.label, s->place.cwd, s->write ? "" : " (ro)");
		line = readline(prompt);
		if (line == NULL)
			break;
		if (*line != '\0')
			add_history(line);
		if (strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0) {
			free(line);
			break;
		}
		if (runline(s, line) < 0) {
			fprintf(stderr, "%s\n", s->err);
			nfail++;
		}
		free(line);
	}
	candclear();
	free(cand.v);
	return nfail;
}
