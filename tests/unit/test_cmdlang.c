/* SPDX-License-Identifier: MIT */
/*
 * test_cmdlang.c — the command language of gefs-shell and gefs-replay
 * (cmd/common/cmdlang.c): word splitting, LABEL:PATH resolution, options,
 * the command table and its help.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "cmdlang.h"

static char err[256];

/* Split line and compare with the NULL-terminated list of words. */
static void
splitis(const char *line, ...)
{
	Words w;
	va_list ap;
	const char *s;
	int i;

	CU_ASSERT_EQUAL_FATAL(splitwords(line, &w, err, sizeof err), 0);
	va_start(ap, line);
	for (i = 0; (s = va_arg(ap, const char *)) != NULL; i++) {
		CU_ASSERT_FATAL(i < w.argc);
		CU_ASSERT_STRING_EQUAL(w.argv[i], s);
	}
	va_end(ap);
	CU_ASSERT_EQUAL(w.argc, i);
	CU_ASSERT_PTR_NULL(w.argv[w.argc]);
	wordsfree(&w);
}

static void
splitfails(const char *line, const char *why)
{
	Words w;

	CU_ASSERT_EQUAL(splitwords(line, &w, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
	wordsfree(&w);
}

static void
test_split(void)
{
	splitis("", NULL);
	splitis("   \t ", NULL);
	splitis("# a comment", NULL);
	splitis("ls -l /a\n", "ls", "-l", "/a", NULL);
	splitis("  put  a\tb  ", "put", "a", "b", NULL);
	splitis("echo a#b # tail", "echo", "a#b", NULL);
	splitis("mkdir 'a b' \"c d\"", "mkdir", "a b", "c d", NULL);
	splitis("x 'it''s' \"q\\\"x\" \"\\n\"", "x", "its", "q\"x", "\\n", NULL);
	splitis("x a\\ b \\# \\'", "x", "a b", "#", "'", NULL);
	splitis("x '' \"\"", "x", "", "", NULL);
	splitis("x $HOME *", "x", "$HOME", "*", NULL);
	splitis("x a'b'\"c\"d\r\n", "x", "abcd", NULL);
	splitfails("x 'abc", "single quote");
	splitfails("x \"abc", "double quote");
	splitfails("x abc\\", "backslash");
}

static void
test_splitlimits(void)
{
	char *line;
	Words w;
	int i;

	line = malloc(Maxwords * 2 + 8);
	CU_ASSERT_FATAL(line != NULL);
	for (i = 0; i < Maxwords; i++)
		memcpy(line + 2 * i, "a ", 2);
	line[2 * Maxwords] = '\0';
	CU_ASSERT_EQUAL(splitwords(line, &w, err, sizeof err), 0);
	CU_ASSERT_EQUAL(w.argc, Maxwords);
	wordsfree(&w);
	strcpy(line + 2 * Maxwords, "b");
	CU_ASSERT_EQUAL(splitwords(line, &w, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "words"));
	wordsfree(&w);
	free(line);
}

static void
resolves(const char *cwd, const char *arg, const char *wantlabel, const char *wantpath)
{
	Place p;
	char label[Maxlabel + 1], path[Maxpath];

	strcpy(p.label, "main");
	strcpy(p.cwd, cwd);
	CU_ASSERT_EQUAL_FATAL(resolvepath(&p, arg, label, sizeof label, path, sizeof path, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(label, wantlabel);
	CU_ASSERT_STRING_EQUAL(path, wantpath);
}

static void
test_resolve(void)
{
	Place p = {.label = "main", .cwd = "/"};
	char label[Maxlabel + 1], path[16];

	resolves("/", "/", "main", "/");
	resolves("/", "a", "main", "/a");
	resolves("/d/e", "f/g", "main", "/d/e/f/g");
	resolves("/d/e", "../x", "main", "/d/x");
	resolves("/d/e", "/x//y/./z/", "main", "/x/y/z");
	resolves("/", "../../..", "main", "/");
	resolves("/d", "adm:/users", "adm", "/users");
	resolves("/d", "adm:", "adm", "/");
	resolves("/d", "a:b", "main", "/d/a:b");		/* a file name, not a label */
	resolves("/d", "x/a:/b", "main", "/d/x/a:/b");
	resolves("/d", "./adm:/users", "main", "/d/adm:/users");
	CU_ASSERT_EQUAL(resolvepath(&p, ":/x", label, sizeof label, path, sizeof path, err, sizeof err), -1);
	CU_ASSERT_EQUAL(resolvepath(&p, "/0123456789abcdefgh", label, sizeof label, path, sizeof path, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer"));
}

static void
test_opts(void)
{
	char *v1[] = {"ls", "-lR", "a", "-x", NULL};
	char *v2[] = {"touch", "-t", "2026", "--", "-f", NULL};
	char *v3[] = {"truncate", "-s10", "f", NULL};
	char *v4[] = {"put", "-", NULL};
	char *v5[] = {"ls", "-q", NULL};
	char *v6[] = {"touch", "-t", NULL};
	Opts o;

	CU_ASSERT_EQUAL(parseopts(4, v1, "lR", &o, err, sizeof err), 0);
	CU_ASSERT_EQUAL(o.count['l'], 1);
	CU_ASSERT_EQUAL(o.count['R'], 1);
	CU_ASSERT_EQUAL(o.optind, 2);		/* options stop at the first operand */
	CU_ASSERT_EQUAL(parseopts(5, v2, "t:", &o, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(o.arg['t'], "2026");
	CU_ASSERT_EQUAL(o.optind, 4);
	CU_ASSERT_EQUAL(parseopts(3, v3, "s:", &o, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(o.arg['s'], "10");
	CU_ASSERT_EQUAL(parseopts(2, v4, "", &o, err, sizeof err), 0);
	CU_ASSERT_EQUAL(o.optind, 1);
	CU_ASSERT_EQUAL(parseopts(2, v5, "lR", &o, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option -q"));
	CU_ASSERT_EQUAL(parseopts(2, v6, "t:", &o, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs an argument"));
}

static void
test_longopts(void)
{
	char *v1[] = {"zap", "--rehash", "-x", "0x4000", NULL};
	char *v2[] = {"zap", "--bogus", NULL};
	char *v3[] = {"zap", "-e", NULL};	/* a letter of "rehash" is no short option */
	char *v4[] = {"zap", "--re", NULL};
	Opts o;

	CU_ASSERT_EQUAL(parseopts(4, v1, "x;rehash=r", &o, err, sizeof err), 0);
	CU_ASSERT_EQUAL(o.count['r'], 1);
	CU_ASSERT_EQUAL(o.count['x'], 1);
	CU_ASSERT_EQUAL(o.optind, 3);
	CU_ASSERT_EQUAL(parseopts(2, v2, "x;rehash=r", &o, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option --bogus"));
	CU_ASSERT_EQUAL(parseopts(2, v3, "x;rehash=r", &o, err, sizeof err), -1);
	CU_ASSERT_EQUAL(parseopts(2, v4, "x;rehash=r", &o, err, sizeof err), -1);
}

/* A long option whose letter takes an argument: --depth N, --depth=N. */
static void
test_longargs(void)
{
	char *v1[] = {"tree", "--depth", "2", "main", NULL};
	char *v2[] = {"tree", "--depth=3", "-S", NULL};
	char *v3[] = {"tree", "--depth", NULL};
	char *v4[] = {"tree", "--snaptree=1", NULL};
	char *v5[] = {"tree", "-d4", "--snaptree", NULL};
	const char *spec = "d:s:b:S;depth=d,snaptree=S";
	Opts o;

	CU_ASSERT_EQUAL(parseopts(4, v1, spec, &o, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(o.arg['d'], "2");
	CU_ASSERT_EQUAL(o.optind, 3);
	CU_ASSERT_EQUAL(parseopts(3, v2, spec, &o, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(o.arg['d'], "3");
	CU_ASSERT_EQUAL(o.count['S'], 1);
	CU_ASSERT_EQUAL(o.optind, 3);
	CU_ASSERT_EQUAL(parseopts(2, v3, spec, &o, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--depth needs an argument"));
	CU_ASSERT_EQUAL(parseopts(2, v4, spec, &o, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--snaptree takes no argument"));
	CU_ASSERT_EQUAL(parseopts(3, v5, spec, &o, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(o.arg['d'], "4");
	CU_ASSERT_EQUAL(o.count['S'], 1);
}

static int ran;

static int
runme(void *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc, (void)argv;
	ran++;
	return 0;
}

static const Cmd tab[] = {
	{"ls", "[-l] [PATH...]", "list a directory", 0, -1, "l", 0, runme},
	{"mv", "FROM TO", "rename", 2, 2, "", CMD_WRITE, runme},
	{"poke", "ADDR OFF HEX", "overwrite bytes", 3, 3, "", CMD_WRITE | CMD_RAW | CMD_SHELL, runme},
	{0},
};

static void
test_table(void)
{
	char *ok[] = {"ls", "-l", "a", "b", NULL};
	char *bad[] = {"mv", "a", NULL};
	char buf[1024];
	FILE *f;

	CU_ASSERT_PTR_EQUAL(findcmd(tab, "mv"), &tab[1]);
	CU_ASSERT_PTR_NULL(findcmd(tab, "m"));
	CU_ASSERT_EQUAL(checkargs(&tab[0], 4, ok, err, sizeof err), 0);
	CU_ASSERT_EQUAL(checkargs(&tab[1], 2, bad, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "usage: mv FROM TO");
	f = fmemopen(buf, sizeof buf, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(printhelp(f, tab, CMD_SHELL, NULL, err, sizeof err), 0);
	CU_ASSERT_EQUAL(printhelp(f, tab, 0, "poke", err, sizeof err), 0);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  ls         list a directory\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "  poke"));	/* hidden under CMD_SHELL */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "usage: poke ADDR OFF HEX\n  overwrite bytes\n"));
	CU_ASSERT_EQUAL(printhelp(stdout, tab, CMD_SHELL, "poke", err, sizeof err), -1);
	CU_ASSERT_EQUAL(tab[0].fn(NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(ran, 1);
}

int
suite_cmdlang(void)
{
	CU_pSuite s;

	s = CU_add_suite("cmdlang", NULL, NULL);
	if (s == NULL)
		return -1;
	CU_add_test(s, "split", test_split);
	CU_add_test(s, "split limits", test_splitlimits);
	CU_add_test(s, "resolve", test_resolve);
	CU_add_test(s, "options", test_opts);
	CU_add_test(s, "long options", test_longopts);
	CU_add_test(s, "long options with arguments", test_longargs);
	CU_add_test(s, "table and help", test_table);
	return 0;
}
