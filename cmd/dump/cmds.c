/* SPDX-License-Identifier: MIT */
/*
 * cmds — the structure commands of gefs-dump: parse the arguments (a
 * malformed one is a usage error, exit 2), open the image, and print
 * through the renderers of cmd/common (render.h) that gefs-shell shares.
 */
#include <getopt.h>
#include <string.h>
#include "dump.h"

/* Commands without arguments: open, render, finish. */
static int
noargs(Dump *d, int argc, int (*fn)(Render *))
{
	if (argc != 1)
		usagefail("%s: no arguments expected", d->cmd->name);
	dumpopen(d);
	dumpbegin(d);
	fn(&d->r);
	return dumpend(d);
}

/* super [-F|--force]: with --force, both copies are shown even when
 * neither can be used to open the file system (btrfs inspect-internal
 * dump-super -F). */
int
cmdsuper(Dump *d, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+F", lo, NULL)) != -1) {
		if (c != 'F')
			usagefail("super: unknown option '%s'", argv[optind - 1]);
		d->force = true;
	}
	return noargs(d, argc - optind + 1, rsuper);
}

int
cmdarenas(Dump *d, int argc, char **argv)
{
	(void)argv;
	return noargs(d, argc, rarenas);
}

int
cmdsnaps(Dump *d, int argc, char **argv)
{
	(void)argv;
	return noargs(d, argc, rsnaps);
}

int
cmdstats(Dump *d, int argc, char **argv)
{
	(void)argv;
	return noargs(d, argc, rstats);
}

/* The arena argument of log and free: all (-1) or one index (capped:
 * the renderer says the arena does not exist). */
static int
arenaarg(Dump *d, int argc, char **argv)
{
	uint64_t a;

	if (argc > 2)
		usagefail("%s: expected at most one ARENA", d->cmd->name);
	if (argc < 2)
		return -1;
	a = parseuint(argv[1], "arena number");
	return a > 100000 ? 100000 : (int)a;
}

int
cmdlog(Dump *d, int argc, char **argv)
{
	int a;

	a = arenaarg(d, argc, argv);
	dumpopen(d);
	dumpbegin(d);
	rlog(&d->r, a);
	return dumpend(d);
}

int
cmdfree(Dump *d, int argc, char **argv)
{
	int a;

	a = arenaarg(d, argc, argv);
	dumpopen(d);
	dumpbegin(d);
	rfreeranges(&d->r, a);
	return dumpend(d);
}

int
cmdtree(Dump *d, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "snaptree", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	Rtree sel;
	uint64_t v;
	int c, nsel;

	memset(&sel, 0, sizeof sel);
	sel.maxdepth = -1;
	nsel = 0;
	while ((c = getopt_long(argc, argv, "+d:s:b:S", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			v = parseuint(optarg, "depth");
			sel.maxdepth = v > 64 ? 64 : (int)v;
			break;
		case 's': sel.gen = parseuint(optarg, "snapshot id"); sel.sel = 's'; nsel++; break;
		case 'b': sel.addr = parseaddr(optarg); sel.sel = 'b'; nsel++; break;
		case 'S': sel.sel = 'S'; nsel++; break;
		default: usagefail("tree: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		sel.label = argv[optind++];
		sel.sel = 'l';
		nsel++;
	}
	if (nsel != 1 || optind != argc)
		usagefail("tree: expected exactly one of LABEL, -s SNAPID, -b ADDR, -S");
	dumpopen(d);
	dumpbegin(d);
	rtree(&d->r, &sel);
	return dumpend(d);
}

int
cmdblock(Dump *d, int argc, char **argv)
{
	uint64_t addr;
	bool hex;
	int c;

	hex = false;
	while ((c = getopt(argc, argv, "+x")) != -1) {
		if (c != 'x')
			usagefail("block: unknown option '-%c'", optopt);
		hex = true;
	}
	if (argc - optind != 1)
		usagefail("block: expected one ADDR");
	addr = parseaddr(argv[optind]);
	if (hex && d->r.json)
		usagefail("block: -x writes a hex dump: --json does not apply");
	d->force = true;	/* a block is read by address: no superblock needed */
	dumpopen(d);
	dumpbegin(d);
	rblock(&d->r, addr, hex);
	return dumpend(d);
}
