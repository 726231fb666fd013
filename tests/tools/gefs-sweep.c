/* SPDX-License-Identifier: MIT */
/*
 * gefs-sweep — the mutation sweep: seeded corruptions of every metadata
 * block of small builder images (bit flips, zeroed ranges, random bytes,
 * huge lengths, wrong types, swapped pointers), mostly re-hashed up the
 * pointer chain so they reach the decoders behind the hash checks, each
 * run through every read path of the tools (tests/common/readall.c) and
 * the checker.  Pass = no signal, no sanitizer report, no hang (a case
 * that runs longer than --timeout seconds is a failure).
 *
 *	gefs-sweep [--seconds N] [--cases N] [--seed N] [--case I]
 *		[--timeout N] [--no-check] [--kinds k1,k2,...] [--write DIR] [-v]
 *
 * --write DIR saves the image of each case as DIR/I.img instead of
 * reading it (the shell's robustness test runs its commands on them).
 *
 * Case i of a run is determined by (seed, i) alone, so "--case I" replays
 * one case; the image of a failing case is kept in $TMPDIR.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gefs.h"
#include "builder.h"
#include "readall.h"

enum { MFLIP, MZERO, MRAND, MHUGE, MTYPE, MPTR, NMUT };
static const char *mutname[NMUT] = { "flip", "zero", "random", "huge", "type", "pointer" };

typedef struct Base {
	const char	*kind;
	Bld		*b;
	uint8_t		*save;
	uint64_t	*blk;		/* metadata blocks */
	size_t		nblk;
} Base;

static char imgpath[4096];
static volatile const char *curcase = "";

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
onalarm(int sig)
{
	char msg[512];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof msg, "gefs-sweep: HANG in case %s; image kept at %s\n",
		(const char *)curcase, imgpath);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(3);
	_exit(3);
}

static int
ismeta(int kind)
{
	switch (kind) {
	case BLD_BSUPER: case BLD_BARENA: case BLD_BFOOTER: case BLD_BLOG:
	case BLD_BDLIST: case BLD_BPIVOT: case BLD_BLEAF:
		return 1;
	}
	return 0;
}

/* Build a base image of kind and list its metadata blocks. */
static int
mkbase(Base *bs, const char *kind)
{
	BldStdOpts o;
	GefsErr e;
	uint64_t a, size;

	bldinitstd(&o);
	memset(bs, 0, sizeof *bs);
	bs->kind = kind;
	if ((bs->b = bldnamed(kind, &o, &e)) == NULL) {
		fprintf(stderr, "gefs-sweep: %s: %s\n", kind, e.msg);
		return -1;
	}
	size = bldsize(bs->b);
	bs->save = malloc(size);
	bs->blk = malloc(sizeof(uint64_t) * (size / GEFS_BLKSZ));
	if (bs->save == NULL || bs->blk == NULL)
		return -1;
	memcpy(bs->save, bldimg(bs->b), size);
	for (a = 0; a < size; a += GEFS_BLKSZ)
		if (ismeta(bldinfo(bs->b, a).kind))
			bs->blk[bs->nblk++] = a;
	return 0;
}

/* Point one pointer held in block a at another metadata block (or at a
 * itself: a cycle).  Falls back to a flip when a holds no pointer. */
static int
mutptr(Base *bs, uint64_t a, uint64_t r)
{
	BldRef refs[64];
	size_t i, n, m;
	uint8_t v[8];
	uint64_t target;

	for (i = 0; i < bs->nblk; i++) {
		n = bldrefs(bs->b, bs->blk[(i + r) % bs->nblk], refs, 64);
		for (m = 0; m < n && m < 64; m++) {
			if (refs[m].parent != a || refs[m].parent == 0)
				continue;
			target = (r >> 8) % 3 == 0 ? a : bs->blk[(r >> 16) % bs->nblk];
			gefs_put64(v, target);
			return bldpoke(bs->b, a, refs[m].off, v, 8);
		}
	}
	v[0] = (uint8_t)(1u << (r & 7));
	v[0] ^= bldblkp(bs->b, a)[(r >> 3) % GEFS_BLKSZ];
	return bldpoke(bs->b, a, (r >> 3) % GEFS_BLKSZ, v, 1);
}

/* Apply mutation m with random stream r to block a. */
static int
mutate(Base *bs, uint64_t a, int m, uint64_t r)
{
	uint8_t buf[64];
	size_t off, n, i;
	uint8_t *p = bldblkp(bs->b, a);

	off = (r & 1) ? (r >> 1) % 128 : (r >> 1) % GEFS_BLKSZ;
	n = 1 + (r >> 20) % 48;
	if (off + n > GEFS_BLKSZ)
		n = GEFS_BLKSZ - off;
	switch (m) {
	case MFLIP:
		buf[0] = p[off] ^ (uint8_t)(1u << ((r >> 40) & 7));
		return bldpoke(bs->b, a, off, buf, 1);
	case MZERO:
		memset(buf, 0, n);
		return bldpoke(bs->b, a, off, buf, n);
	case MRAND:
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)mix(r + i);
		return bldpoke(bs->b, a, off, buf, n);
	case MHUGE:
		off &= ~(size_t)1;
		if (off + 8 > GEFS_BLKSZ)
			off = 0;
		gefs_put16(buf, (r >> 30) & 1 ? 0xffff : 0x8000 + (uint16_t)(r >> 32) % 0x7fff);
		gefs_put64(buf + 2, (r >> 33) & 1 ? GEFS_NONE : ((uint64_t)1 << 62) + (r & 0xffff));
		return bldpoke(bs->b, a, off, buf, (r >> 35) & 1 ? 2 : 8);
	case MTYPE:
		gefs_put16(buf, (uint16_t)((r >> 24) % 9));
		return bldpoke(bs->b, a, 0, buf, 2);
	default:
		return mutptr(bs, a, r);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: gefs-sweep [--seconds N] [--cases N] [--seed N] [--case I] "
		"[--timeout N] [--no-check] [--kinds k1,k2] [--write DIR] [-v]\n");
	exit(2);
}

typedef struct Args {
	const char	*kinds;
	const char	*wdir;		/* --write: keep the images, read none */
	double		secs;
	unsigned long	maxcase, one;	/* one: a single case, or ULONG_MAX */
	uint64_t	seed;
	int		check, verbose, timeout;
} Args;

static void
parseargs(Args *a, int argc, char **argv)
{
	int j;

	a->kinds = "std,deep,snaps,logchain,empty";
	a->wdir = NULL;
	a->secs = 60;
	a->maxcase = a->one = (unsigned long)-1;
	a->seed = 1;
	a->check = 1;
	a->verbose = 0;
	a->timeout = 60;
	for (j = 1; j < argc; j++) {
		if (strcmp(argv[j], "--seconds") == 0 && j + 1 < argc) a->secs = atof(argv[++j]);
		else if (strcmp(argv[j], "--cases") == 0 && j + 1 < argc) a->maxcase = strtoul(argv[++j], 0, 0);
		else if (strcmp(argv[j], "--seed") == 0 && j + 1 < argc) a->seed = strtoull(argv[++j], 0, 0);
		else if (strcmp(argv[j], "--case") == 0 && j + 1 < argc) a->one = strtoul(argv[++j], 0, 0);
		else if (strcmp(argv[j], "--timeout") == 0 && j + 1 < argc) a->timeout = atoi(argv[++j]);
		else if (strcmp(argv[j], "--kinds") == 0 && j + 1 < argc) a->kinds = argv[++j];
		else if (strcmp(argv[j], "--write") == 0 && j + 1 < argc) a->wdir = argv[++j];
		else if (strcmp(argv[j], "--no-check") == 0) a->check = 0;
		else if (strcmp(argv[j], "-v") == 0) a->verbose = 1;
		else usage();
	}
}

int
main(int argc, char **argv)
{
	Base bs[8];
	ReadallStats st;
	Args ar;
	char kbuf[256], *k, *save, desc[256], out[4096];
	double t0;
	unsigned long ncase = 0, i, nmut[NMUT];
	uint64_t r, a;
	int nb = 0, m, fd, j;
	struct timespec ts;

	parseargs(&ar, argc, argv);
	snprintf(kbuf, sizeof kbuf, "%s", ar.kinds);
	for (k = strtok_r(kbuf, ",", &save); k && nb < 8; k = strtok_r(NULL, ",", &save))
		if (mkbase(&bs[nb], k) == 0)
			nb++;
		else
			return 1;
	if (nb == 0)
		usage();
	snprintf(imgpath, sizeof imgpath, "%s/gefs-sweep-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(imgpath)) < 0) {
		perror("gefs-sweep: mkstemp");
		return 1;
	}
	close(fd);
	signal(SIGALRM, onalarm);
	/* The sweep means something only if the unmutated images read cleanly. */
	for (j = 0; j < nb; j++) {
		memset(&st, 0, sizeof st);
		if (bldwrite(bs[j].b, imgpath) < 0 || readall(imgpath, false, false, &st) < 0
		|| st.opened != 1 || st.failed != 0) {
			fprintf(stderr, "gefs-sweep: base image %s does not read cleanly\n", bs[j].kind);
			return 1;
		}
	}
	memset(&st, 0, sizeof st);
	memset(nmut, 0, sizeof nmut);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	for (i = (ar.one != (unsigned long)-1 ? ar.one : 0); i < ar.maxcase; i++) {
		Base *b;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ar.one == (unsigned long)-1 && ts.tv_sec + ts.tv_nsec / 1e9 - t0 > ar.secs)
			break;
		r = mix(ar.seed * 0x100000001b3ULL + i);
		b = &bs[i % nb];
		a = b->blk[(i / nb) % b->nblk];
		m = (int)((r >> 56) % NMUT);
		memcpy(bldimg(b->b), b->save, bldsize(b->b));
		bldhashmode(b->b, (r >> 48) % 8 == 0 ? BLD_HASHSKIP : BLD_HASHFIX);
		snprintf(desc, sizeof desc, "%lu (%s, block 0x%llx %s, %s)", i, b->kind,
			(unsigned long long)a, bldkindname(bldinfo(b->b, a).kind), mutname[m]);
		curcase = desc;
		if (ar.verbose)
			fprintf(stderr, "case %s\n", desc);
		(void)mutate(b, a, m, mix(r));
		if (ar.wdir != NULL)
			snprintf(out, sizeof out, "%s/%lu.img", ar.wdir, i);
		if (bldwrite(b->b, ar.wdir != NULL ? out : imgpath) < 0) {
			fprintf(stderr, "gefs-sweep: cannot write %s\n", ar.wdir != NULL ? out : imgpath);
			return 1;
		}
		nmut[m]++;
		ncase++;
		if (ar.wdir == NULL) {
			alarm((unsigned)ar.timeout);
			readall(imgpath, (r >> 44) % 5 == 0, ar.check && (r >> 40) % 2 == 0, &st);
			alarm(0);
		}
		if (ar.one != (unsigned long)-1)
			break;
	}
	unlink(imgpath);
	printf("gefs-sweep: %lu cases over %d base images (%lu opened, %lu with clean errors, %lu checked)\n",
		ncase, nb, st.opened, st.failed, st.checked);
	for (m = 0; m < NMUT; m++)
		printf("  %-8s %lu\n", mutname[m], nmut[m]);
	for (j = 0; j < nb; j++) {
		printf("  base %-9s %zu metadata blocks\n", bs[j].kind, bs[j].nblk);
		free(bs[j].save);
		free(bs[j].blk);
		bldfree(bs[j].b);
	}
	return ncase > 0 ? 0 : 1;
}
