/* SPDX-License-Identifier: MIT */
/*
 * problem.c — the checker's problem table, in the style of e2fsck's: every
 * finding gefs_check can report has one row here, with a stable code, a
 * severity, flags and a one-line description.  man/gefs-fsck.8 lists every
 * row (tests/cli/fsck_man.sh compares it with gefs-fsck --list-problems).
 *
 * Severities: an error is corruption (exit status 4 unless repaired); a
 * warning is something the reference can leave behind in a healthy image
 * but a careful writer would not (FORMAT.md §24); a note is normal state
 * worth knowing (leaks of §14.6, later-revision encodings).
 */
#include "internal.h"
#include "check.h"
#include <stdio.h>
#include <string.h>

#define E	GEFS_SEVERR
#define W	GEFS_SEVWARN
#define N	GEFS_SEVNOTE
#define PREEN	GEFS_PRPREEN
#define FATAL	GEFS_PRFATAL
#define NOFIX	GEFS_PRNOFIX
#define COMMIT	GEFS_PRCOMMIT
#define BLOCK	GEFS_PRBLOCK
#define STRUCT	GEFS_PRSTRUCT
#define RKSB	GEFS_PRKIND(GEFS_RKSB)
#define RKHDR	GEFS_PRKIND(GEFS_RKHDR)
#define RKLOGBLK	GEFS_PRKIND(GEFS_RKLOGBLK)
#define RKLOG	GEFS_PRKIND(GEFS_RKLOG)
#define RKLOGBAD	GEFS_PRKIND(GEFS_RKLOGBAD)
#define RKSNAP	GEFS_PRKIND(GEFS_RKSNAP)
#define RKMETA	GEFS_PRKIND(GEFS_RKMETA)
#define RKRECLAIM	GEFS_PRKIND(GEFS_RKRECLAIM)
#define RKFSTREE	GEFS_PRKIND(GEFS_RKFSTREE)

static const GefsProblem tab[NPROBLEM] = {
	[PR_ARTYPE]	= {"AR0001", E, PREEN | RKHDR, "arena header or footer does not decode",
		"arena {n0} {s0} at {addr}: {why}{s1}"},
	[PR_ARHASH]	= {"AR0002", E, PREEN | RKHDR, "arena header or footer does not match the superblock hash",
		"arena {n0} {s0} at {addr}: hash differs from the superblock's arena table{s1}"},
	[PR_ARNONE]	= {"AR0003", N, NOFIX, "arena table hash is NONE (after a grow): header unverified",
		"arena {n0} at {addr}: table hash is NONE; header not verified"},
	[PR_ARDIFFER]	= {"AR0004", E, PREEN | COMMIT | RKMETA, "arena header and footer differ",
		"arena {n0} at {addr}: header and footer differ"},
	[PR_ARSIZE]	= {"AR0005", E, NOFIX | FATAL | BLOCK, "arena size invalid or overlapping the next arena",
		"arena {n0} at {addr}: size {x0} is not a whole number of blocks or reaches past {x1}"},
	[PR_ARUSED]	= {"AR0006", W, PREEN | COMMIT | RKMETA, "arena used differs from the replayed allocation log",
		"arena {n0} at {addr}: header says {x0} bytes used, the log {x1}"},
	[PR_ARNOCOPY]	= {"AR0007", E, NOFIX | BLOCK, "neither arena header nor footer is usable",
		"arena {n0} at {addr}: neither header nor footer is usable"},
	[PR_ARFOOTER]	= {"AR0008", W, NOFIX, "arena header unusable, using the footer",
		"arena {n0} at {x0}: using the footer"},
	[PR_ARSBCOPY]	= {"AR0009", E, PREEN | RKSB, "superblock copy not in use fails the loader's checks (arena table, blksz, bufspc)",
		"superblock copy {n0} at {addr}: {why}{s0}"},
	[PR_ARLOADER]	= {"AR0010", E, NOFIX | BLOCK, "the loader's replay of an arena log disagrees with the checker's",
		"arena {n0} at {addr}: {why}"},
	[PR_CFRETAIN]	= {"CF0001", W, NOFIX, "configuration entry retain does not parse",
		"{tree}: retain \"{s0}\": bad item at byte {n0} (want [count]@[interval]m|h|d); the reference ignores it"},
	[PR_CFUNKNOWN]	= {"CF0002", N, NOFIX, "unknown configuration entry",
		"{tree}: configuration entry \"{s0}\" is not used by the reference"},
	[PR_CFABORT]	= {"CF0003", E, COMMIT | RKSNAP, "retain value the reference aborts on (item without unit letter), snapshot tree",
		"{tree}: retain \"{s0}\": item at byte {n0} has no unit letter m, h or d: the reference aborts mounting a label that uses it (drop the bad items)"},
	[PR_CFABORTFS]	= {"CF0004", E, COMMIT | RKFSTREE, "retain value the reference aborts on (item without unit letter), tree of a mutable label",
		"{tree}: retain \"{s0}\": item at byte {n0} has no unit letter m, h or d: the reference aborts mounting label \"{s1}\" (drop the bad items)"},
	[PR_CFABORTSN]	= {"CF0005", E, NOFIX, "retain value the reference aborts on (item without unit letter), tree of a snapshot no mutable label points at",
		"{tree}: retain \"{s0}\": item at byte {n0} has no unit letter m, h or d: the reference aborts mounting a label that uses it; no mutable label points at the snapshot: its tree is not rewritten"},
	[PR_CKSKIP]	= {"CK0001", N, NOFIX, "checks skipped after earlier errors",
		"{tree}{s0} not checked{why}"},
	/* Crash remnants: not corruption — the image loads as the old or the
	 * new state — but preen tidies them so that the next crash finds
	 * both copies of everything whole. */
	[PR_CRSB]	= {"CR0001", W, PREEN | RKSB, "superblock copy 0 one commit newer than copy 1 (commit cut between them)",
		"superblock copies 0 and 1 differ: copy 0 is newer, a commit was cut between them (copy {n0} at {addr} rewritten from copy {n1})"},
	[PR_CRHDR]	= {"CR0002", W, PREEN | RKHDR, "arena header newer than the superblock's table (commit cut before the superblock)",
		"arena {n0} {s0} at {addr}: newer than the superblock's arena table, a commit was cut before the superblock{s1}"},
	[PR_CRFTR]	= {"CR0003", W, PREEN | RKHDR, "arena footer older than its header (commit cut before the footers)",
		"arena {n0} {s0} at {addr}: older than the header, a commit was cut before the footers{s1}"},
	[PR_CRLOGNEW]	= {"CR0004", W, PREEN | COMMIT | RKLOG, "allocation-log entries after the superblock's barrier replayed (commit cut before the superblock)",
		"arena {n0} log block {addr}: replay stopped at barrier {u0}, newer than the superblock's qgen {u1}: entries of an interrupted commit replayed (logs rebuilt)"},
	[PR_CRLOGTORN]	= {"CR0005", W, PREEN | RKLOGBLK, "allocation-log tail torn past the superblock's barrier (commit cut while writing it)",
		"arena {n0}: log block {addr}: body hash mismatch after the barrier at body offset {n1} (truncated there)"},
	[PR_CRLOGCUT]	= {"CR0006", W, PREEN | COMMIT | RKLOG, "allocation-log tail torn before any barrier, replayed up to the tear (commit cut while writing it)",
		"arena {n0} log block {addr}: torn at body offset {n1}, no barrier before it: entries of an interrupted commit replayed up to the tear (logs rebuilt)"},
	[PR_DLBGEN]	= {"DL0001", E, NOFIX, "deadlist bgen not below its gen",
		"{tree}: bgen not below gen"},
	[PR_DLNOSNAP]	= {"DL0002", W, NOFIX, "deadlist names a missing snapshot record",
		"{tree}: no snapshot record {n0}"},
	[PR_DLBLOCK]	= {"DL0003", E, NOFIX | BLOCK, "deadlist block unreadable, not a deadlist block or outside every arena",
		"{tree}: {why}"},
	[PR_DLHASH]	= {"DL0004", E, NOFIX | BLOCK, "deadlist block fails its body hash",
		"{tree}: block {addr}: body hash mismatch"},
	[PR_DLCYCLE]	= {"DL0005", E, NOFIX | BLOCK, "deadlist chain loops",
		"{tree}: chain loops at {addr}"},
	[PR_DLSHARED]	= {"DL0006", W, NOFIX, "two deadlists share a chain suffix (crash during a merge, §14.4)",
		"deadlists {s0} and {s1} share the chain from {addr}"},
	[PR_DLCROSS]	= {"DL0007", E, NOFIX | BLOCK, "deadlists of different bgen share chain blocks",
		"deadlists {s0} and {s1} share chain block {addr}"},
	[PR_DLFREE]	= {"DL0008", E, PREEN | COMMIT | RKLOG, "deadlist entry or chain block is free according to the log",
		"{tree}: {s0} {x0} is free according to the log"},
	[PR_DLTWICE]	= {"DL0009", E, NOFIX | BLOCK, "block listed twice in deadlists",
		"{tree}: {s0} {x0} already listed"},
	[PR_DLTAIL]	= {"DL0010", N, NOFIX, "deadlist tl is not the last block of its chain (§24 #3)",
		"{tree}: tl {x0}, but the chain ends at {addr}"},
	[PR_DLKIND]	= {"DL0011", E, NOFIX | BLOCK, "deadlist entry names a log, header, superblock or deadlist block",
		"{tree}: {s0} {x0} is a {s1}"},
	[PR_DLOUTSIDE]	= {"DL0012", E, NOFIX | BLOCK, "deadlist entry outside every arena's data area",
		"{tree}: {s0} {x0} outside every arena's data area"},
	[PR_FSNOROOT]	= {"FS0001", E, NOFIX, "root directory entry missing",
		"{tree}: no root directory entry Kent(NONE, \"\")"},
	[PR_FSROOTTYPE]	= {"FS0002", E, NOFIX, "root entry is not a directory or has no Kup",
		"{tree}: root entry (qid {x0}) is {s0}"},
	[PR_FSNAME]	= {"FS0003", E, NOFIX, "directory entry name invalid",
		"{tree}: {key}: {why}"},
	[PR_FSQTYPE]	= {"FS0004", W, NOFIX, "qid.type differs from mode >> 24",
		"{tree}: {key}: qid.type {x0}, mode {o1}"},
	[PR_FSMODE]	= {"FS0005", W, NOFIX, "mode has bits outside 0777|DMDIR|DMAPPEND|DMEXCL|DMTMP",
		"{tree}: {key}: mode {o1}"},
	[PR_FSDIRLEN]	= {"FS0006", E, NOFIX, "directory length is not 0",
		"{tree}: {key}: directory of length {n0}"},
	[PR_FSQIDDUP]	= {"FS0007", E, NOFIX, "qid path used by two entries of one tree",
		"{tree}: {key}: qid path {x0} already used by another entry"},
	[PR_FSNOKUP]	= {"FS0008", E, NOFIX, "directory has no Kup",
		"{tree}: directory qid {x0} has no Kup"},
	[PR_FSKUP]	= {"FS0009", E, NOFIX, "Kup does not name the directory's own entry",
		"{tree}: Kup({x0}): {why}"},
	[PR_FSPARENT]	= {"FS0010", E, NOFIX, "entry's parent is missing or not a directory",
		"{tree}: qid {x0}: parent {x1} {s0}"},
	[PR_FSCYCLE]	= {"FS0011", E, NOFIX, "directory not connected to the root (cycle)",
		"{tree}: directory qid {x0} is its own ancestor (cycle)"},
	[PR_FSDATALIGN]	= {"FS0012", E, NOFIX, "Kdat offset not a multiple of 16384",
		"{tree}: Kdat({x0}, {x1}): offset not a multiple of 16384"},
	[PR_FSDATAEOF]	= {"FS0013", W, NOFIX, "Kdat at or beyond the file length (§24 #5)",
		"{tree}: Kdat({x0}, {x1}): data at or beyond the file length {n0}"},
	[PR_FSDATAORPHAN] = {"FS0014", W, NOFIX, "Kdat of a qid with no entry (uncommitted clearing, §12.5)",
		"{tree}: Kdat({x0}, …): {n0} data keys of a qid with no entry"},
	[PR_FSQIDHI]	= {"FS0015", E, NOFIX, "reserved qid path (bit 63) stored",
		"{tree}: entry Kent({x1}, …) has reserved qid path {x0}"},
	[PR_FSDATADIR]	= {"FS0016", E, NOFIX, "Kdat belongs to a directory",
		"{tree}: Kdat({x0}, {x1}): data keys of a directory"},
	[PR_GNBLOCK]	= {"GN0001", E, NOFIX, "block pointer born after the snapshot that holds it",
		"{tree}: {why} gen {n0} after the snapshot's gen {n1}"},
	[PR_GNNEXTGEN]	= {"GN0002", E, PREEN | COMMIT | RKMETA, "generation in use not below nextgen",
		"superblock: nextgen {u0}, but generation {u1} is in use"},
	[PR_GNNEXTQID]	= {"GN0003", E, PREEN | COMMIT | RKMETA, "qid path in use not below nextqid",
		"{tree}: {key}: qid path {x0} not below nextqid {x1}"},
	[PR_KVKEY]	= {"KV0001", E, NOFIX | BLOCK | STRUCT, "key does not decode",
		"{tree}: block {addr}: {key}: {why}"},
	[PR_KVTYPE]	= {"KV0002", E, NOFIX | BLOCK | STRUCT, "key type not allowed in this tree",
		"{tree}: block {addr}: {key}: key type {n0} not allowed in this tree"},
	[PR_KVSIZE]	= {"KV0003", E, NOFIX | BLOCK | STRUCT, "value size wrong for its key type",
		"{tree}: block {addr}: {key}: {why}"},
	[PR_KVVALUE]	= {"KV0004", E, NOFIX | BLOCK | STRUCT, "value does not decode",
		"{tree}: {at}{key}: {why}"},
	[PR_KVOP]	= {"KV0005", E, NOFIX | BLOCK | STRUCT, "message opcode not valid for its key type",
		"{tree}: block {addr}: message op {n0} on {key}"},
	[PR_KVINCREF]	= {"KV0006", N, NOFIX, "Oincref message (written by later reference revisions)",
		"{tree}: block {addr}: Oincref on {key}"},
	[PR_KVQPATH]	= {"KV0007", W, NOFIX, "Owstat message with flag bit 0x80",
		"{tree}: block {addr}: Owstat on {key} has flag bit 0x80 ({s0} qid.path field)"},
	[PR_KVWSTAT]	= {"KV0008", E, NOFIX | BLOCK | STRUCT, "Owstat operand malformed",
		"{tree}: block {addr}: Owstat on {key}: {why}"},
	[PR_KVRELINK]	= {"KV0009", E, NOFIX | BLOCK | STRUCT, "Orelink/Oreprev/Oincref operand malformed",
		"{tree}: block {addr}: message op {n0} on {key}: {why}"},
	[PR_KVSEQ]	= {"KV0010", E, NOFIX | BLOCK | STRUCT, "invalid message sequence for a key",
		"{tree}: {why}"},
	[PR_LGBLOCK]	= {"LG0001", E, PREEN | COMMIT | RKLOGBAD, "allocation-log block unreadable or not a log block",
		"arena {n0}: log block {addr}: {why}"},
	[PR_LGHASH]	= {"LG0002", E, PREEN | COMMIT | RKLOGBAD, "allocation-log block fails its body hash",
		"arena {n0}: log block {addr}: body hash mismatch"},
	[PR_LGHASHTAIL]	= {"LG0003", W, NOFIX, "retired: a log tail torn past the last barrier is CR0005", NULL},
	[PR_LGENTRY]	= {"LG0004", E, PREEN | COMMIT | RKLOGBAD, "allocation-log entry malformed",
		"arena {n0}: {why}"},
	[PR_LGDALLOC]	= {"LG0005", E, PREEN | COMMIT | RKLOGBAD, "allocation log allocates a block that is not free",
		"arena {n0} log block {addr} offset {n1}: alloc of {s0} covers blocks that are not free"},
	[PR_LGDFREE]	= {"LG0006", E, PREEN | COMMIT | RKLOGBAD, "allocation log frees a block that is already free",
		"arena {n0} log block {addr} offset {n1}: free of {s0} covers blocks already free"},
	[PR_LGRANGE]	= {"LG0007", E, PREEN | COMMIT | RKLOGBAD, "allocation-log entry outside its arena's data area",
		"arena {n0} log block {addr} offset {n1}: {s1} of {s0} outside the data area [{x0}, {x1})"},
	[PR_LGCYCLE]	= {"LG0008", E, PREEN | COMMIT | RKLOGBAD, "allocation-log chain loops or shares a block",
		"arena {n0}: log block {addr} reached twice (chain loops or is shared)"},
	[PR_LGADDR]	= {"LG0009", E, PREEN | COMMIT | RKLOGBAD, "allocation-log chain points outside its arena",
		"arena {n0}: log chain points to {addr}, outside the arena's data area"},
	[PR_LGFREED]	= {"LG0010", E, PREEN | COMMIT | RKLOGBAD, "allocation-log block is free according to the log",
		"arena {n0}: log block {addr} is free according to the log"},
	[PR_LGNOBARRIER] = {"LG0011", W, COMMIT | RKLOG, "allocation log has no barrier for the superblock's qgen",
		"arena {n0}: allocation log has no barrier at or after qgen {u0}; replayed to its end"},
	[PR_LGHDRFREE]	= {"LG0012", E, PREEN | COMMIT | RKLOGBAD, "allocation log frees an arena header, footer or a block outside the arena",
		"arena {n0} log block {addr} offset {n1}: {s1} of {s0} outside the data area [{x0}, {x1})"},
	[PR_NDREAD]	= {"ND0001", E, NOFIX | BLOCK | STRUCT, "tree node cannot be read",
		"{tree}: block {addr}: {why}"},
	[PR_NDHASH]	= {"ND0002", E, NOFIX | BLOCK | STRUCT, "tree node does not match its pointer's hash",
		"{tree}: block {addr}: hash {h0}, {s0} says {h1}"},
	[PR_NDDECODE]	= {"ND0003", E, NOFIX | BLOCK | STRUCT, "tree node does not decode",
		"{tree}: {why}"},
	[PR_NDLEVEL]	= {"ND0004", E, NOFIX | BLOCK | STRUCT, "leaf not at the bottom, or pivot at the bottom",
		"{tree}: block {addr}: a {s0} at depth {n0} of a tree of height {n1}"},
	[PR_NDORDER]	= {"ND0005", E, NOFIX | STRUCT, "node keys not strictly increasing",
		"{tree}: block {addr}: entry {n0} {key} not after entry {n1}"},
	[PR_NDLOW]	= {"ND0006", E, NOFIX | STRUCT, "node key below its range",
		"{tree}: block {addr}: {key} below the node's range"},
	[PR_NDHIGH]	= {"ND0007", E, NOFIX | STRUCT, "node key at or above its range",
		"{tree}: block {addr}: {key} at or above the node's range"},
	[PR_NDFILL]	= {"ND0008", E, NOFIX | STRUCT, "fill recorded in the parent differs from the child's",
		"{tree}: block {addr}: fill {n0}, parent {blk} records {n1}"},
	[PR_NDONE]	= {"ND0009", N, NOFIX, "pivot with a single entry",
		"{tree}: block {addr}: pivot with one entry"},
	[PR_NDEMPTY]	= {"ND0010", E, NOFIX | STRUCT, "non-root leaf is empty",
		"{tree}: block {addr}: empty leaf below the root"},
	[PR_NDMSGORDER]	= {"ND0011", E, NOFIX | STRUCT, "buffered messages not in key order",
		"{tree}: block {addr}: message {n0} {key} before message {n1}'s key"},
	[PR_NDMSGRANGE]	= {"ND0012", E, NOFIX | STRUCT, "buffered message key outside the node's range",
		"{tree}: block {addr}: {key} {s0} the node's range"},
	[PR_NDHEIGHT]	= {"ND0013", E, NOFIX | BLOCK | STRUCT, "tree height out of range",
		"{tree}: height {n0} out of range 1..{n1}"},
	[PR_NDSNAPGEN]	= {"ND0014", W, NOFIX, "snapshot-tree child pointer generation is not 0",
		"{tree}: block {addr}: entry {n0}: child {x0} has gen {n1}, not 0"},
	[PR_SHHASH]	= {"ND0015", E, NOFIX | BLOCK, "pointer to a shared node carries a hash that is not the node's",
		"{tree}: shared node {addr}: {s0} says hash {h0}, the node hashes to {h1}"},
	[PR_SHFILL]	= {"ND0016", E, NOFIX | BLOCK, "pointer to a shared node records a fill that is not the node's",
		"{tree}: shared node {addr}: {s0} records fill {n0}, the node's is {n1}"},
	[PR_SHGEN]	= {"ND0017", E, NOFIX | BLOCK, "pointers to a shared node disagree on its generation",
		"{tree}: shared node {addr}: {s0} says gen {n0}, an earlier pointer {n1}"},
	[PR_RFFREE]	= {"RF0001", E, PREEN | COMMIT | RKLOG, "referenced block is free according to the allocation log",
		"{tree}: {s0} {addr} (pointed to by {s1}) is free according to the allocation log"},
	[PR_RFADDR]	= {"RF0002", E, NOFIX | BLOCK, "block pointer outside every arena's data area",
		"{tree}: block {addr}: pointer to {s0} {x0} outside every arena's data area"},
	[PR_RFTWICE]	= {"RF0003", E, NOFIX | BLOCK, "block referenced twice within one tree",
		"{tree}: block {blk}: {s0} {addr} reached twice in this tree"},
	[PR_RFKIND]	= {"RF0004", E, NOFIX | BLOCK, "block used as two kinds of block",
		"{tree}: {s0} {addr} (pointed to by {s1}) is also used as a {s2}"},
	[PR_RFLEAK]	= {"RF0005", N, COMMIT | RKRECLAIM, "allocated blocks referenced by nothing (leak)",
		"{s0}: {u0} block{s1} allocated but referenced by nothing"},
	[PR_RFDATAHASH]	= {"RF0006", E, NOFIX, "data block does not match its pointer's hash",
		"{tree}: {key}: data block {addr}: hash {h0}, pointer says {h1}"},
	[PR_RFDATAREAD]	= {"RF0007", E, NOFIX, "data block cannot be read",
		"{tree}: {key}: data block {addr}: {why}"},
	[PR_RPNOCOMMIT]	= {"RP0001", W, NOFIX, "repairs that need a commit were not made (reason given)",
		"{n0} repairs that need a commit not made: {why}"},
	[PR_RPUNSAFE]	= {"RP0002", E, NOFIX | BLOCK, "repair not written: its target block is in use",
		"repair of block {addr} ({s0}) not written: the block is in use ({s1})"},
	[PR_SBMAGIC]	= {"SB0001", E, PREEN | RKSB, "superblock copy has a bad magic",
		"superblock copy {n0} at {addr}: {why}{s0}"},
	[PR_SBHASH]	= {"SB0002", E, PREEN | RKSB, "superblock copy fails its sbhash",
		"superblock copy {n0} at {addr}: {why}{s0}"},
	[PR_SBBLKSZ]	= {"SB0003", E, NOFIX | BLOCK, "superblock blksz is not 16384",
		"superblock: blksz {n0}, not 16384"},
	[PR_SBBUFSPC]	= {"SB0004", E, NOFIX | BLOCK, "superblock bufspc is not 8187",
		"superblock: bufspc {n0}, not 8187"},
	[PR_SBNARENA]	= {"SB0005", E, NOFIX | FATAL | BLOCK, "superblock narena is 0 or 256 or more",
		"superblock copy {n0} at {addr}: {why}{s0}"},
	[PR_SBFLAG]	= {"SB0006", W, NOFIX, "superblock flag is not zero",
		"superblock: flag {x0}, not 0"},
	[PR_SBSNAPDL]	= {"SB0007", W, NOFIX, "superblock snapshot-tree deadlist is not NONE",
		"superblock: snapshot-tree deadlist head {x0} tail {x1}, not NONE (checked with the deadlists)"},
	[PR_SBORDER]	= {"SB0008", E, NOFIX | FATAL | BLOCK, "arena table not ordered, unaligned or overlapping",
		"superblock: arena {n0} at {addr}: unaligned, in block 0 or not after arena {n1}"},
	[PR_SBOUTSIDE]	= {"SB0009", E, NOFIX | FATAL | BLOCK, "arena lies outside the device",
		"superblock: arena {n0} at {addr} lies beyond the backup superblock at {x0}"},
	[PR_SBDIFFER]	= {"SB0010", W, PREEN | RKSB, "the two valid superblock copies differ in a way no crash explains",
		"superblock copies 0 and 1 differ (copy {n0} at {addr} rewritten from copy {n1})"},
	[PR_SBNONE]	= {"SB0011", E, NOFIX | FATAL | BLOCK, "no valid superblock copy",
		"no usable superblock (copy {n0}{s0})"},
	[PR_SBBACKUP]	= {"SB0012", N, NOFIX, "using superblock copy 1 (the backup)",
		"using superblock copy 1 at {addr}"},
	[PR_SBSNAPHT]	= {"SB0013", E, NOFIX | FATAL | BLOCK, "snapshot tree height or root out of range",
		"superblock: snapshot tree height {n0}, root {x0}"},
	[PR_SBXREC]	= {"SB0014", W, NOFIX, "extension records of the two copies differ",
		"superblock: extension records of copies 0 and 1 differ"},
	[PR_SBREAD]	= {"SB0015", E, NOFIX, "superblock block cannot be read",
		"superblock copy {n0} at {addr}: {why}"},
	[PR_SBDLCHAIN]	= {"SB0016", E, NOFIX | BLOCK, "snapshot-tree deadlist chain broken",
		"{tree}: {why}"},
	[PR_SBSHORT]	= {"SB0017", E, NOFIX | BLOCK, "device smaller than the file system (truncated image)",
		"the file system size is at least {n0} blocks (its backup superblock belongs at or after {addr}), the device is {n1} blocks: {why}"},
	/* both superblock copies lost (sbfind.c): rebuilt only with -y */
	[PR_SBREBUILD]	= {"SB0018", E, RKSB, "both superblock copies lost: a superblock rebuilt from the arenas, logs and snapshot tree",
		"both superblock copies lost: rebuilt from {n0} arenas (snapshot tree {blk} height {n1}, qgen {u0}, nextgen {u1}, nextqid {x2})"},
	[PR_SBNOARENA]	= {"SB0019", E, NOFIX | FATAL | BLOCK, "both superblock copies lost and the arenas cannot all be found",
		"both superblock copies lost; cannot rebuild one: {why}"},
	[PR_SBNOROOT]	= {"SB0020", E, NOFIX | FATAL | BLOCK, "both superblock copies lost and no single snapshot-tree root can be derived",
		"both superblock copies lost; cannot rebuild one: {why}"},
	[PR_SBXLOST]	= {"SB0021", W, NOFIX, "rebuilt superblock has no extension record (volume label and UUID lost)",
		"rebuilt superblock: no extension record survives (volume label and UUID lost)"},
	[PR_SNLABEL]	= {"SN0001", E, NOFIX | BLOCK, "label value malformed",
		"{tree}: {key}: value of {n0} bytes is not a label{s0}{why}"},
	[PR_SNNOSNAP]	= {"SN0002", E, COMMIT | RKSNAP, "label points to a missing snapshot record",
		"label \"{s0}\": snapshot {n0} has no record{why}"},
	[PR_SNFLAGS]	= {"SN0003", W, NOFIX, "label flags have unknown bits",
		"{tree}: {key}: flags {x0}"},
	[PR_SNKEYGEN]	= {"SN0004", E, NOFIX | BLOCK, "snapshot record gen differs from its key",
		"{tree}: Ksnap({n0}) holds a record of gen {n1}"},
	[PR_SNNLBLHI]	= {"SN0005", W, NOFIX, "snapshot nlbl above its label count (label deleted, gefs(5) §24 #16)",
		"snapshot {n0}: nlbl {n1}, but {n2} labels point to it"},
	[PR_SNNLBLLO]	= {"SN0006", E, COMMIT | RKSNAP, "snapshot nlbl below its label count",
		"snapshot {n0}: nlbl {n1}, but {n2} labels point to it"},
	[PR_SNNEG]	= {"SN0007", E, NOFIX, "snapshot nlbl or nref negative",
		"snapshot {n0}: nlbl {n1}, nref {n2}"},
	[PR_SNNREF]	= {"SN0008", W, NOFIX, "snapshot nref differs from the records linked to it",
		"snapshot {n0}: nref {n1}, {s0} {n2} {s1}"},
	[PR_SNPRED]	= {"SN0009", W, NOFIX, "snapshot pred names no record",
		"snapshot {n0}: pred {n1} has no record"},
	[PR_SNSUCC]	= {"SN0010", W, NOFIX, "snapshot succ names no record",
		"snapshot {n0}: succ {n1} has no record"},
	[PR_SNORDER]	= {"SN0011", E, NOFIX, "snapshot base or pred after its own generation",
		"snapshot {n0}: base {n1}, pred {n2}"},
	[PR_SNREQUIRED]	= {"SN0012", E, NOFIX | BLOCK, "required label adm or empty missing",
		"label \"{s0}\" missing"},
	[PR_SNROOT]	= {"SN0013", E, NOFIX | BLOCK, "snapshot record height or root invalid",
		"snapshot {n0}: height {n1}, root {x0}"},
	[PR_SNTREE]	= {"SN0014", E, NOFIX | BLOCK, "snapshot tree contents cannot be read",
		"{tree}: {why}"},
	[PR_SNKEEP]	= {"SN0030", E, NOFIX, "label adm, empty or main names a missing snapshot and no snapshot fits it: kept",
		"label \"{s0}\": snapshot {n0} has no record, and {n1} unlabelled snapshots fit it: the label is kept"},
	[PR_USMISSING]	= {"US0001", E, NOFIX, "users file missing from adm",
		"{tree}: {why}"},
	[PR_USTYPE]	= {"US0002", E, NOFIX, "users file unreadable, not a regular file, 1 MiB or longer, or with holes",
		"{tree}: /users{why}"},
	[PR_USPARSE]	= {"US0003", E, NOFIX, "users file does not parse",
		"{tree}: /users: {why}"},
	[PR_USUNDEF]	= {"US0004", W, NOFIX, "file owner, group or last modifier not defined in the users file",
		"{tree}: {key}: {s0} id {n0} is not defined in the users file (further uses in this tree not reported)"},
};

const GefsProblem *
gefs_problems(size_t *n)
{
	if (n != NULL)
		*n = NPROBLEM;
	return tab;
}

const char *
gefs_sevname(int sev)
{
	switch (sev) {
	case GEFS_SEVNOTE:	return "note";
	case GEFS_SEVWARN:	return "warning";
	case GEFS_SEVERR:	return "error";
	}
	return "?";
}

const char *
gefs_passname(int pass)
{
	static const char *name[GEFS_CKNPASS] = {
		[GEFS_CKPSUPER]	= "superblocks and arenas",
		[GEFS_CKPLOG]	= "allocation logs",
		[GEFS_CKPSNAP]	= "snapshot tree",
		[GEFS_CKPTREE]	= "file-system trees",
		[GEFS_CKPDLIST]	= "deadlists",
		[GEFS_CKPREACH]	= "reachability",
		[GEFS_CKPFIX]	= "repairs",
	};

	if (pass <= 0 || pass >= GEFS_CKNPASS)
		return "?";
	return name[pass];
}

/* A problem by number; used by check.c. */
HIDDEN const GefsProblem *problemof(int pr);
const GefsProblem *
problemof(int pr)
{
	return &tab[pr];
}

/* ---- message templates ---- */

/* Append the value of placeholder name[0, nn) of c. */
static void
putfield(char *buf, size_t n, size_t *o, const char *name, size_t nn, const Pctx *c)
{
	char kb[160];
	const char *v = NULL;
	int i = nn == 2 && name[1] >= '0' && name[1] <= '2' ? name[1] - '0' : -1;

	if (nn == 2 && memcmp(name, "at", 2) == 0) {
		/* "block 0x…: " when the finding has a block, else nothing */
		kb[0] = '\0';
		if (c->addr != GEFS_NONE)
			snprintf(kb, sizeof kb, "block 0x%llx: ", (unsigned long long)c->addr);
		v = kb;
	} else if (nn == 4 && memcmp(name, "addr", 4) == 0)
		snprintf(kb, sizeof kb, "0x%llx", (unsigned long long)c->addr), v = kb;
	else if (nn == 3 && memcmp(name, "blk", 3) == 0)
		snprintf(kb, sizeof kb, "0x%llx", (unsigned long long)c->blk), v = kb;
	else if (nn == 4 && memcmp(name, "tree", 4) == 0)
		v = c->tree;
	else if (nn == 3 && memcmp(name, "key", 3) == 0)
		v = c->key != NULL ? c->key : gefs_fmtkey(kb, sizeof kb, c->k, c->nk);
	else if (nn == 3 && memcmp(name, "why", 3) == 0)
		v = c->why;
	else if (i >= 0 && name[0] == 'n')
		snprintf(kb, sizeof kb, "%lld", (long long)c->n[i]), v = kb;
	else if (i >= 0 && name[0] == 'u')
		snprintf(kb, sizeof kb, "%llu", (unsigned long long)c->x[i]), v = kb;
	else if (i >= 0 && name[0] == 'x')
		snprintf(kb, sizeof kb, "0x%llx", (unsigned long long)c->x[i]), v = kb;
	else if (i >= 0 && name[0] == 'o')
		snprintf(kb, sizeof kb, "0%llo", (unsigned long long)c->x[i]), v = kb;
	else if (i >= 0 && i < 2 && name[0] == 'h')
		snprintf(kb, sizeof kb, "0x%016llx", (unsigned long long)c->x[i]), v = kb;
	else if (i >= 0 && name[0] == 's')
		v = c->s[i];
	if (v == NULL)
		v = "?";	/* a template naming a field its caller left unset */
	while (*v != '\0' && *o + 1 < n)
		buf[(*o)++] = *v++;
}

void
ckrender(char *buf, size_t n, int pr, const Pctx *c)
{
	const char *t = tab[pr].msg != NULL ? tab[pr].msg : "{why}";
	const char *e;
	size_t o = 0;

	for (; *t != '\0' && o + 1 < n; t++) {
		if (*t == '{' && (e = strchr(t, '}')) != NULL) {
			putfield(buf, n, &o, t + 1, (size_t)(e - t - 1), c);
			t = e;
		} else
			buf[o++] = *t;
	}
	buf[o] = '\0';
}
