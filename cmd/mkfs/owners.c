/* SPDX-License-Identifier: MIT */
/*
 * owners — gefs-mkfs --owner-map FILE: host owners to GEFS users.
 *
 * GEFS stores its own user ids (the users file of adm, FORMAT.md §16),
 * not host uids.  By default everything belongs to the admin user (-u).
 * The map file has one rule a line ('#' starts a comment):
 *
 *	uid HOSTUID USER	files of host user HOSTUID belong to USER
 *	gid HOSTGID GROUP	files of host group HOSTGID get group GROUP
 *	path PATH USER:GROUP	everything at or below PATH in the image
 *				(the longest matching PATH wins over uid/gid)
 *
 * Names other than adm, none and the admin user are added to the users
 * file as "ID:NAME:NAME:" with ids 2, 3, ... in order of first
 * appearance in the map, so the same map gives the same image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "populate.h"

enum { FIRSTID = 2 };			/* after the formatter's 1:admin */

/* The id of name, adding it when add; -1 if unknown. */
static int
nameid(Owners *o, const char *name, bool add, int32_t *id)
{
	size_t i;
	char **v;

	if (strcmp(name, "adm") == 0)
		return *id = -1, 0;
	if (strcmp(name, "none") == 0)
		return *id = 0, 0;
	if (strcmp(name, o->admin) == 0)
		return *id = 1, 0;
	for (i = 0; i < o->nname; i++)
		if (strcmp(o->name[i], name) == 0)
			return *id = FIRSTID + (int32_t)i, 0;
	if (!add)
		return -1;
	if ((v = realloc(o->name, (o->nname + 1) * sizeof *v)) == NULL || (v[o->nname] = strdup(name)) == NULL)
		return -1;
	o->name = v;
	*id = FIRSTID + (int32_t)o->nname++;
	return 0;
}

int
ownerid(Owners *o, const char *name, int32_t *id)
{
	return nameid(o, name, false, id);
}

/* A user or group name the users file can hold (§16). */
static bool
okname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 127)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == ':' || *s == ',' || *s == 0x7f)
			return false;
	return true;
}

static int
addrule(Owners *o, int kind, const char *key, const char *user, const char *group)
{
	OwnRule *r;
	char *end;

	if ((r = realloc(o->rule, (o->nrule + 1) * sizeof *r)) == NULL)
		return -1;
	o->rule = r;
	r = &o->rule[o->nrule];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->uid = r->gid = 1;
	if (kind == 'p') {
		while (*key == '/')
			key++;
		if ((r->path = strdup(key)) == NULL)
			return -1;
		for (size_t n = strlen(r->path); n > 0 && r->path[n - 1] == '/'; n--)
			r->path[n - 1] = 0;
	} else {
		errno = 0;
		r->host = strtoull(key, &end, 10);
		if (*key == 0 || *end != 0 || errno != 0)
			return -2;
	}
	if ((user && (!okname(user) || nameid(o, user, true, &r->uid) < 0))
	|| (group && (!okname(group) || nameid(o, group, true, &r->gid) < 0)))
		return -2;
	o->nrule++;
	return 0;
}

/* One line of the map; -2 when malformed. */
static int
parseline(Owners *o, char *line)
{
	char *w[4], *save = NULL, *c;
	int n = 0;

	if ((c = strchr(line, '#')) != NULL)
		*c = 0;
	for (c = strtok_r(line, " \t\r\n", &save); c != NULL && n < 4; c = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = c;
	if (n == 0)
		return 0;
	if (n != 3)
		return -2;
	if (strcmp(w[0], "uid") == 0)
		return addrule(o, 'u', w[1], w[2], NULL);
	if (strcmp(w[0], "gid") == 0)
		return addrule(o, 'g', w[1], NULL, w[2]);
	if (strcmp(w[0], "path") == 0 && (c = strchr(w[2], ':')) != NULL) {
		*c = 0;
		return addrule(o, 'p', w[1], w[2], c + 1);
	}
	return -2;
}

int
ownersload(Owners *o, const char *file, char *why, size_t nwhy)
{
	char line[1024];
	FILE *f;
	int ln = 0, rc = 0;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(why, nwhy, "--owner-map %s: %s", file, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		ln++;
		if ((rc = parseline(o, line)) == -2)
			snprintf(why, nwhy, "--owner-map %s:%d: not \"uid N USER\", \"gid N GROUP\" or "
				"\"path PATH USER:GROUP\" with valid names", file, ln);
		else if (rc < 0)
			snprintf(why, nwhy, "--owner-map: out of memory");
	}
	fclose(f);
	return rc < 0 ? -1 : 0;
}

/* The owner of a name at image path (relative) with host ids. */
void
ownerof(const Owners *o, const char *path, uint64_t hostuid, uint64_t hostgid, int32_t *uid, int32_t *gid)
{
	size_t i, best = 0, n;
	bool found = false;

	*uid = *gid = 1;
	for (i = 0; i < o->nrule; i++) {
		const OwnRule *r = &o->rule[i];
		if (r->kind == 'u' && r->host == hostuid)
			*uid = r->uid;
		else if (r->kind == 'g' && r->host == hostgid)
			*gid = r->gid;
	}
	for (i = 0; i < o->nrule; i++) {
		const OwnRule *r = &o->rule[i];
		if (r->kind != 'p')
			continue;
		n = strlen(r->path);
		if ((n == 0 || (strncmp(path, r->path, n) == 0 && (path[n] == 0 || path[n] == '/')))
		&& (!found || n >= best)) {
			*uid = r->uid, *gid = r->gid;
			best = n, found = true;
		}
	}
}

/* The users file: the formatter's three lines, then the added names. */
char *
ownersfile(const Owners *o, size_t *n)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "-1:adm::%s\n0:none::\n1:%s:%s:\n", o->admin, o->admin, o->admin);
	for (i = 0; i < o->nname; i++)
		fprintf(f, "%d:%s:%s:\n", FIRSTID + (int)i, o->name[i], o->name[i]);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	*n = len;
	return s;
}

void
ownersfree(Owners *o)
{
	size_t i;

	for (i = 0; i < o->nname; i++)
		free(o->name[i]);
	for (i = 0; i < o->nrule; i++)
		free(o->rule[i].path);
	free(o->name);
	free(o->rule);
}
