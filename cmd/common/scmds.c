/* SPDX-License-Identifier: MIT */
/*
 * scmds.c — snapshot commands: snap (an immutable label), fork (a
 * mutable one), rmsnap (delete a label, its snapshot with it when nothing
 * else holds it).
 */
#include <string.h>
#include "sess.h"
#include "sesscmd.h"

/* Close the session's tree of label: the engine refuses to delete a
 * label whose tree is open. */
static void
closelabel(Sess *s, const char *label)
{
	int i;

	for (i = 0; i < Maxtrees; i++)
		if (s->trees[i].t != NULL && strcmp(s->trees[i].label, label) == 0) {
			gefs_closetree(s->trees[i].t);
			s->trees[i].t = NULL;
		}
}

static int
snapshot(Sess *s, const char *src, const char *dst, bool mut)
{
	/* A changed source is folded into its record in memory by the
	 * library, so this stays inside the one commit of replay or
	 * begin ... commit. */
	if (gefs_snapshot(s->fs, src, dst, mut) < 0)
		return sessfsfail(s, "%s %s %s", mut ? "fork" : "snap", src, dst);
	return 0;
}

int
cmdsnap(void *ctx, int argc, char **argv)
{
	(void)argc;
	return snapshot(ctx, argv[1], argv[2], false);
}

int
cmdfork(void *ctx, int argc, char **argv)
{
	(void)argc;
	return snapshot(ctx, argv[1], argv[2], true);
}

int
cmdrmsnap(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], s->place.label) == 0)
			return sessfail(s, "rmsnap %s: it is the current label (label or cd elsewhere first)", argv[i]);
		closelabel(s, argv[i]);
		if (gefs_dellabel(s->fs, argv[i]) < 0)
			return sessfsfail(s, "rmsnap %s", argv[i]);
	}
	return 0;
}

/* The words argv[i..argc) joined by single blanks into buf; -1 if too long. */
static int
joinwords(char *buf, size_t n, int i, int argc, char **argv)
{
	size_t len = 0, w;

	buf[0] = '\0';
	for (; i < argc; i++) {
		w = strlen(argv[i]);
		if (len + (len > 0) + w + 1 > n)
			return -1;
		if (len > 0)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], w + 1);
		len += w;
	}
	return 0;
}

/* retain [-d] LABEL|- SPEC...: the label's (or, with -, the global) retain
 * policy, a Kconf entry (-d deletes it); the words of SPEC are joined. */
int
cmdretain(void *ctx, int argc, char **argv)
{
	Sess *s = ctx;
	const char *label;
	char spec[GEFS_INLMAX];
	Opts o;

	parseopts(argc, argv, "d", &o, s->err, sizeof s->err);
	label = strcmp(argv[o.optind], "-") == 0 ? NULL : argv[o.optind];
	if ((o.optind + 1 < argc) == (o.count['d'] > 0))
		return sessfail(s, "usage: retain [-d] LABEL|- [SPEC...] (a SPEC, or -d to delete)");
	if (joinwords(spec, sizeof spec, o.optind + 1, argc, argv) < 0)
		return sessfail(s, "retain: SPEC longer than %zu bytes", sizeof spec - 1);
	if (label != NULL)
		closelabel(s, label);
	if (gefs_setconf(s->fs, label, "retain", o.count['d'] ? NULL : spec) < 0)
		return sessfsfail(s, "retain %s", argv[o.optind]);
	return 0;
}
