/* SPDX-License-Identifier: MIT */
/*
 * sesscmd.h — the command functions of a session, one file per group:
 * fcmds.c (reading files), wcmds.c (changing files and snapshots),
 * rcmds.c (raw block pokes), icmds.c (inspection).  Each is a CmdFn: ctx is the Sess.
 */
#ifndef GEFS_SESSCMD_H
#define GEFS_SESSCMD_H

#include <stdint.h>
#include <stdio.h>

int cmdls(void *ctx, int argc, char **argv);
int cmdstat(void *ctx, int argc, char **argv);
int cmdcat(void *ctx, int argc, char **argv);
int cmdget(void *ctx, int argc, char **argv);
int cmdpoke(void *ctx, int argc, char **argv);
int cmdflip(void *ctx, int argc, char **argv);
int cmdzap(void *ctx, int argc, char **argv);
int cmdowner(void *ctx, int argc, char **argv);
int cmdset(void *ctx, int argc, char **argv);
void sethelp(FILE *f);		/* help set: the fields per block type */
int cmdaddr(void *ctx, int argc, char **argv);	/* baddr.c */
void addrhelp(FILE *f);		/* help addr: the block names */

/* icmds.c: inspection, through the renderers gefs-dump uses */
int cmdsuper(void *ctx, int argc, char **argv);
int cmdarenas(void *ctx, int argc, char **argv);
int cmdsnaps(void *ctx, int argc, char **argv);
int cmdlog(void *ctx, int argc, char **argv);
int cmdfree(void *ctx, int argc, char **argv);
int cmdtree(void *ctx, int argc, char **argv);
int cmdblock(void *ctx, int argc, char **argv);
int cmdlookup(void *ctx, int argc, char **argv);

int cmdput(void *ctx, int argc, char **argv);
int cmdmkdir(void *ctx, int argc, char **argv);
int cmdrm(void *ctx, int argc, char **argv);
int cmdmv(void *ctx, int argc, char **argv);
int cmdchmod(void *ctx, int argc, char **argv);
int cmdchown(void *ctx, int argc, char **argv);
int cmdtouch(void *ctx, int argc, char **argv);
int cmdtruncate(void *ctx, int argc, char **argv);
int cmdwrite(void *ctx, int argc, char **argv);
int cmduseradd(void *ctx, int argc, char **argv);
int cmdusermod(void *ctx, int argc, char **argv);
int cmdsnap(void *ctx, int argc, char **argv);
int cmdfork(void *ctx, int argc, char **argv);
int cmdrmsnap(void *ctx, int argc, char **argv);
int cmdretain(void *ctx, int argc, char **argv);

#define TREEOPTS "d:s:b:S;depth=d,snaptree=S"	/* tree */
#define RAWOPTS	";rehash=r"	/* set, poke, flip, zap: --rehash */

/* "d-rwxr-xr-x" as 9front's ls prints it (a: append, l: exclusive,
 * t: temporary); buf holds 12 bytes. */
const char *fmtmode(char *buf, uint32_t mode);

#endif
