/*
 * sesscmd.h — the command functions of a session, one file per group:
 * fcmds.c (reading files), wcmds.c (changing files and snapshots),
 * rcmds.c (raw block pokes).  Each is a CmdFn: ctx is the Sess.
 */
#ifndef GEFS_SESSCMD_H
#define GEFS_SESSCMD_H

int cmdls(void *ctx, int argc, char **argv);
int cmdstat(void *ctx, int argc, char **argv);
int cmdcat(void *ctx, int argc, char **argv);
int cmdget(void *ctx, int argc, char **argv);

/* "d-rwxr-xr-x" as 9front's ls prints it (a: append, l: exclusive,
 * t: temporary); buf holds 12 bytes. */
const char *fmtmode(char *buf, uint32_t mode);

#endif
