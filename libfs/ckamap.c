/* SPDX-License-Identifier: MIT */
/*
 * ckamap.c — the checker's map from block address to a value, open
 * addressing: the generation of every file-tree node's first pointer
 * (pass 4, for the shared-node rule of FORMAT.md §20.2) and the owner of
 * every deadlist chain block (pass 5, §14).  Memory grows with the
 * entries put, by doubling.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "check.h"

/* An open-addressing map from block address to a value (deadlist
 * owners; generations of tree nodes). */
struct Amap {
	uint64_t	*k;
	uint64_t	*v;
	size_t		n, cap;
};

static size_t
aslot(const Amap *m, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (m->cap - 1);

	while (m->k[i] != GEFS_NONE && m->k[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

int
amput(Amap *m, uint64_t k, uint64_t v)
{
	uint64_t *ok = m->k;
	uint64_t *ov = m->v;
	size_t i, ocap = m->cap;

	if (2 * (m->n + 1) > m->cap) {
		m->cap = ocap ? 2 * ocap : 256;
		m->k = malloc(m->cap * sizeof *m->k);
		m->v = malloc(m->cap * sizeof *m->v);
		if (m->k == NULL || m->v == NULL) {
			free(m->k);
			free(m->v);
			m->k = ok;
			m->v = ov;
			m->cap = ocap;
			return -1;
		}
		memset(m->k, 0xff, m->cap * sizeof *m->k);
		for (i = 0; i < ocap; i++)
			if (ok[i] != GEFS_NONE) {
				size_t j = aslot(m, ok[i]);

				m->k[j] = ok[i];
				m->v[j] = ov[i];
			}
		free(ok);
		free(ov);
	}
	i = aslot(m, k);
	if (m->k[i] == GEFS_NONE)
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return 0;
}

int64_t
amget(const Amap *m, uint64_t k)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	i = aslot(m, k);
	return m->k[i] == GEFS_NONE ? -1 : (int64_t)m->v[i];
}

Amap *
amnew(void)
{
	return calloc(1, sizeof(Amap));
}

void
amfree(Amap *m)
{
	if (m == NULL)
		return;
	free(m->k);
	free(m->v);
	free(m);
}
