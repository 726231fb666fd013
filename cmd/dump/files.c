/* SPDX-License-Identifier: MIT */
/*
 * files — the file commands of gefs-dump: ls, cat and manifest, over a
 * label's tree (paths LABEL:/PATH).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "dump.h"

/* Plan 9 style mode string: d (dir), a (append), l (exclusive), t (tmp)
 * flags, then rwx triplets; unknown bits are shown as '?'. */
static const char *
fmtmode(char *buf, size_t n, uint32_t mode)
{
	char s[16];
	int i;

	s[0] = (mode & GEFS_DMDIR) ? 'd' : '-';
	s[1] = (mode & GEFS_DMAPPEND) ? 'a' : '-';
	s[2] = (mode & GEFS_DMEXCL) ? 'l' : '-';
	s[3] = (mode & GEFS_DMTMP) ? 't' : '-';
	for (i = 0; i < 9; i++)
		s[4 + i] = (mode & (0400u >> i)) ? "rwx"[i % 3] : '-';
	s[13] = (mode & ~GEFS_MODEBITS) ? '?' : 0;
	s[14] = 0;
	snprintf(buf, n, "%s", s);
	return buf;
}

void
setwhere(Dump *d, const char *label, const char *path)
{
	snprintf(d->where, sizeof d->where, "%s:%s", label, path);
}

static void
ondamage(void *arg, const GefsDamage *dm)
{
	Dump *d = arg;
	char line[sizeof d->r.err], where[sizeof d->where];

	d->ndamage++;
	if (dm->path != NULL) {
		snprintf(where, sizeof where, "%.*s:%.*s", (int)strcspn(d->where, ":"), d->where,
			(int)(dm->npath < 900 ? dm->npath : 900), dm->path);
		fail(d, "%s", fmtdamage(line, sizeof line, where, dm));
		return;
	}
	fail(d, "%s", fmtdamage(line, sizeof line, d->where, dm));
}

GefsTree *
opentree(Dump *d, const char *label)
{
	GefsTree *t;

	t = gefs_opentree(d->r.fs, label);
	if (t == NULL)
		fsfail(d, "label '%s'", label);
	else
		gefs_tolerate(t, ondamage, d);
	setwhere(d, label, "/");
	return t;
}

/* ------------------------------------------------------------------ */
/* ls                                                                 */
/* ------------------------------------------------------------------ */

typedef struct Ls {
	Dump		*d;
	GefsTree	*t;
	const char	*label;
	bool		longfmt, recurse;
	uint64_t	stack[256];	/* qids of the directories being listed */
	int		depth;
	int		ndirs;		/* directories listed (text headers) */
} Ls;

int
direntry(void *arg, const char *name, size_t nlen, const GefsXdir *x)
{
	Dir *dir;
	Ent *e;

	dir = arg;
	if (dir->n == dir->cap) {
		dir->cap = dir->cap ? 2 * dir->cap : 64;
		e = realloc(dir->e, dir->cap * sizeof *e);
		if (e == NULL)
			return -1;
		dir->e = e;
	}
	e = &dir->e[dir->n];
	e->name = malloc(nlen + 1);
	if (e->name == NULL)
		return -1;
	memcpy(e->name, name, nlen + 1);
	e->nlen = nlen;
	e->x = *x;
	dir->n++;
	return 0;
}

void
dirfree(Dir *dir)
{
	size_t i;

	for (i = 0; i < dir->n; i++)
		free(dir->e[i].name);
	free(dir->e);
}

/* The shown form of a path: each element through showname. */
static char *
showpath(Dump *d, const char *parent, const char *name, size_t nlen)
{
	char buf[4 * GEFS_NAMEMAX + 8], *s;

	showname(&d->r, buf, sizeof buf, (const uint8_t *)name, nlen, 'f');
	if (asprintf(&s, "%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", buf) < 0)
		return NULL;
	return s;
}

static void
lsrow(Ls *l, Table *tab, const char *shown, const GefsXdir *x)
{
	char m[16], u[GEFS_USERMAX + 1], g[GEFS_USERMAX + 1], mu[GEFS_USERMAX + 1], t[48], sz[32];
	int64_t sec;

	if (!l->longfmt) {
		tabcell(tab, "%s%s", shown, (x->mode & GEFS_DMDIR) ? "/" : "");
		return;
	}
	gefs_username(l->d->r.fs, x->uid, u, sizeof u);
	gefs_username(l->d->r.fs, x->gid, g, sizeof g);
	gefs_username(l->d->r.fs, x->muid, mu, sizeof mu);
	sec = x->mtime >= 0 ? (x->mtime + 500000000) / 1000000000 : x->mtime / 1000000000;
	tabcell(tab, "%s", fmtmode(m, sizeof m, x->mode));
	tabcell(tab, "0x%llx.%u", (unsigned long long)x->qpath, x->qvers);
	tabcell(tab, "%s", u);
	tabcell(tab, "%s", g);
	tabcell(tab, "%s", mu);
	tabcell(tab, "%s", fmtsize(sz, sizeof sz, x->length, l->d->r.raw));
	tabcell(tab, "%s", fmttime(t, sizeof t, sec * 1000000000));
	tabcell(tab, "%s%s", shown, (x->mode & GEFS_DMDIR) ? "/" : "");
}

static void
lsjson(Ls *l, const char *path, const char *name, size_t nlen, const GefsXdir *x)
{
	Dump *d;
	char u[GEFS_USERMAX + 1];

	d = l->d;
	jsonobj(&d->r.j, NULL);
	jsonstr(&d->r.j, "path", path);
	jsonname(&d->r, "name", (const uint8_t *)name, nlen, 'f');
	jsonstr(&d->r.j, "type", (x->mode & GEFS_DMDIR) ? "d" : "f");
	jsonu64(&d->r.j, "mode", x->mode);
	jsonu64(&d->r.j, "length", x->length);
	gefs_username(d->r.fs, x->uid, u, sizeof u);
	jsonstr(&d->r.j, "uid", u);
	gefs_username(d->r.fs, x->gid, u, sizeof u);
	jsonstr(&d->r.j, "gid", u);
	gefs_username(d->r.fs, x->muid, u, sizeof u);
	jsonstr(&d->r.j, "muid", u);
	jsoni64(&d->r.j, "mtime_ns", x->mtime);
	jsoni64(&d->r.j, "atime_ns", x->atime);
	jsonhex(&d->r.j, "qid_path", x->qpath);
	jsonu64(&d->r.j, "qid_vers", x->qvers);
	jsonend(&d->r.j);
}

/* List directory qid (shown as path); with -R, then its subdirectories. */
static int
lsdir(Ls *l, uint64_t qid, const char *path)
{
	Dump *d;
	Dir dir;
	Table *tab;
	size_t i;
	char *sub;
	int rc, k;

	d = l->d;
	for (k = 0; k < l->depth; k++)
		if (l->stack[k] == qid) {
			fail(d, "%s: directory loop (qid 0x%llx)", path, (unsigned long long)qid);
			return -1;
		}
	if (l->depth == (int)(sizeof l->stack / sizeof l->stack[0])) {
		fail(d, "%s: directories nested deeper than %d", path, l->depth);
		return -1;
	}
	memset(&dir, 0, sizeof dir);
	setwhere(d, l->label, path);
	rc = gefs_readdirqid(l->t, qid, true, direntry, &dir);
	if (rc != 0) {
		if (rc < 0)
			fsfail(d, "%s", path);
		else
			fail(d, "out of memory");
		dirfree(&dir);
		return -1;
	}
	tab = d->r.json ? NULL : tabnew(l->longfmt ? "llllrrll" : "l");
	if (!d->r.json && l->recurse)
		printf("%s%s:\n", l->ndirs++ ? "\n" : "", path);
	for (i = 0; i < dir.n; i++) {
		sub = showpath(d, path, dir.e[i].name, dir.e[i].nlen);
		if (sub == NULL)
			break;
		if (d->r.json)
			lsjson(l, sub, dir.e[i].name, dir.e[i].nlen, &dir.e[i].x);
		else
			lsrow(l, tab, strrchr(sub, '/') + 1, &dir.e[i].x);
		free(sub);
	}
	rtabprint(&d->r, tab, "");
	rc = 0;
	l->stack[l->depth++] = qid;
	for (i = 0; l->recurse && i < dir.n && !ferror(stdout); i++) {
		if (!(dir.e[i].x.mode & GEFS_DMDIR))
			continue;
		sub = showpath(d, path, dir.e[i].name, dir.e[i].nlen);
		if (sub == NULL || lsdir(l, dir.e[i].x.qpath, sub) < 0)
			rc = -1;
		free(sub);
	}
	l->depth--;
	dirfree(&dir);
	return rc;
}

/* The shown form of a user path: its elements hidden one by one. */
static char *
showuserpath(Dump *d, const char *path)
{
	char *s, *cur, *next, *p;
	const char *e;

	cur = strdup("/");
	for (p = (char *)path; cur != NULL && *p; ) {
		while (*p == '/')
			p++;
		if (*p == 0)
			break;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		next = showpath(d, cur, p, (size_t)(e - p));
		free(cur);
		cur = next;
		p = (char *)e;
	}
	s = cur;
	return s;
}

int
cmdls(Dump *d, int argc, char **argv)
{
	Ls l;
	GefsXdir x;
	Table *tab;
	char *label, *shown;
	const char *path, *base;
	int c;

	memset(&l, 0, sizeof l);
	l.d = d;
	while ((c = getopt(argc, argv, "+Rl")) != -1) {
		switch (c) {
		case 'R': l.recurse = true; break;
		case 'l': l.longfmt = true; break;
		default: usagefail("ls: unknown option '-%c'", optopt);
		}
	}
	if (argc - optind != 1)
		usagefail("ls: expected one LABEL[:/PATH]");
	parsepath(argv[optind], &label, &path);
	l.label = label;
	dumpopen(d);
	dumpbegin(d);
	if (d->r.json) {
		jsonname(&d->r, "label", (const uint8_t *)label, strlen(label), 'l');
		jsonarr(&d->r.j, "entries");
	}
	l.t = opentree(d, label);
	if (l.t != NULL && gefs_walk(l.t, path, &x) < 0)
		fsfail(d, "%s:%s", label, path);
	else if (l.t != NULL) {
		shown = showuserpath(d, path);
		if (shown == NULL)
			fail(d, "out of memory");
		else if (x.mode & GEFS_DMDIR)
			lsdir(&l, x.qpath, shown);
		else if (d->r.json) {
			base = strrchr(path, '/');
			base = base ? base + 1 : path;
			lsjson(&l, shown, base, strlen(base), &x);
		}
		else {
			tab = tabnew(l.longfmt ? "llllrrll" : "l");
			base = strrchr(shown, '/') + 1;
			lsrow(&l, tab, base, &x);
			rtabprint(&d->r, tab, "");
		}
		free(shown);
	}
	if (l.t != NULL)
		gefs_closetree(l.t);
	free(label);
	return dumpend(d);
}

/* ------------------------------------------------------------------ */
/* cat                                                                */
/* ------------------------------------------------------------------ */

int
cmdcat(Dump *d, int argc, char **argv)
{
	GefsTree *t;
	GefsXdir x;
	uint8_t *buf;
	uint64_t off;
	int64_t n;
	char *label;
	const char *path;

	if (argc != 2)
		usagefail("cat: expected one LABEL:/PATH");
	parsepath(argv[1], &label, &path);
	dumpopen(d);
	buf = malloc(1 << 20);
	t = opentree(d, label);
	setwhere(d, label, path);
	if (buf == NULL)
		fail(d, "out of memory");
	else if (t != NULL && gefs_walk(t, path, &x) < 0)
		fsfail(d, "%s:%s", label, path);
	else if (t != NULL && (x.mode & GEFS_DMDIR))
		fail(d, "%s:%s: is a directory", label, path);
	else if (t != NULL) {
		for (off = 0; off < x.length; off += (uint64_t)n) {
			n = gefs_read(t, &x, off, buf, 1 << 20);
			if (n < 0) {
				fsfail(d, "%s:%s: offset %llu", label, path, (unsigned long long)off);
				break;
			}
			if (n == 0)
				break;
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				break;
		}
	}
	if (t != NULL)
		gefs_closetree(t);
	free(buf);
	free(label);
	return dumpend(d);
}

/* ------------------------------------------------------------------ */
/* manifest                                                           */
/* ------------------------------------------------------------------ */

/* gefs_manifest writes lines "path\ttype\tmode\t...\tsha256\n"; with
 * --hide-names or --json a cookie stream rewrites them line by line. */
typedef struct Mfout {
	Dump	*d;
	char	line[8192];
	size_t	n;
	bool	overflow;
} Mfout;

static const char *mffields[] = {
	"path", "type", "mode", "length", "uid", "gid", "muid", "mtime",
	"qid_path", "qid_vers", "sha256",
};

/* The path column with each element through hidename. */
static void
mfpath(Dump *d, FILE *f, const char *p)
{
	char buf[4 * GEFS_NAMEMAX + 8];
	const char *e;

	if (strcmp(p, "/") == 0) {
		fputc('/', f);
		return;
	}
	while (*p == '/') {
		p++;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		fputc('/', f);
		fputs(showname(&d->r, buf, sizeof buf, (const uint8_t *)p, (size_t)(e - p), 'f'), f);
		p = e;
	}
}

static void
mfjson(Dump *d, char **col, int ncol)
{
	char *path;
	size_t n;
	FILE *f;
	int i;

	jsonobj(&d->r.j, NULL);
	for (i = 0; i < ncol && i < 11; i++) {
		if (i == 0 && d->r.hide) {
			f = open_memstream(&path, &n);
			if (f == NULL)
				continue;
			mfpath(d, f, col[0]);
			fclose(f);
			jsonstr(&d->r.j, "path", path);
			free(path);
		} else if (i == 3 || i == 7 || i == 9)
			jsonu64(&d->r.j, mffields[i], strtoull(col[i], NULL, 10));
		else
			jsonstr(&d->r.j, mffields[i], col[i]);
	}
	jsonend(&d->r.j);
}

static void
mfline(Mfout *m)
{
	char *col[12], *p;
	int n;

	m->line[m->n] = 0;
	for (n = 0, p = m->line; n < 12 && p != NULL; n++) {
		col[n] = p;
		p = strchr(p, '\t');
		if (p != NULL)
			*p++ = 0;
	}
	if (m->d->r.json) {
		mfjson(m->d, col, n);
		return;
	}
	mfpath(m->d, stdout, col[0]);
	for (int i = 1; i < n; i++)
		printf("\t%s", col[i]);
	putchar('\n');
}

static ssize_t
mfwrite(void *cookie, const char *buf, size_t size)
{
	Mfout *m;
	size_t i;

	m = cookie;
	for (i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			mfline(m);
			m->n = 0;
		} else if (m->n + 1 < sizeof m->line)
			m->line[m->n++] = buf[i];
		else
			m->overflow = true;
	}
	return (ssize_t)size;
}

int
cmdmanifest(Dump *d, int argc, char **argv)
{
	cookie_io_functions_t io = { .write = mfwrite };
	GefsTree *t;
	Mfout m;
	FILE *out;
	char *label;
	const char *path;

	if (argc != 2)
		usagefail("manifest: expected one LABEL[:/PATH]");
	parsepath(argv[1], &label, &path);
	dumpopen(d);
	dumpbegin(d);
	memset(&m, 0, sizeof m);
	m.d = d;
	out = stdout;
	if (d->r.json || d->r.hide)
		out = fopencookie(&m, "w", io);
	if (d->r.json) {
		jsonname(&d->r, "label", (const uint8_t *)label, strlen(label), 'l');
		jsonarr(&d->r.j, "entries");
	}
	t = opentree(d, label);
	setwhere(d, label, path);
	if (out == NULL)
		fail(d, "out of memory");
	else if (t != NULL && gefs_manifest(t, path, out) < 0)
		fsfail(d, "%s:%s", label, path);
	if (out != NULL && out != stdout)
		fclose(out);
	if (m.overflow)
		fail(d, "manifest line longer than %zu bytes", sizeof m.line);
	if (t != NULL)
		gefs_closetree(t);
	free(label);
	return dumpend(d);
}
