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

#define E	GEFS_SEVERR
#define W	GEFS_SEVWARN
#define N	GEFS_SEVNOTE
#define PREEN	GEFS_PRPREEN
#define FATAL	GEFS_PRFATAL
#define NOFIX	GEFS_PRNOFIX
#define COMMIT	GEFS_PRCOMMIT

static const GefsProblem tab[NPROBLEM] = {
	[PR_SBMAGIC]	= {"SB0001", E, PREEN, "superblock copy has a bad magic"},
	[PR_SBHASH]	= {"SB0002", E, PREEN, "superblock copy fails its sbhash"},
	[PR_SBBLKSZ]	= {"SB0003", E, NOFIX, "superblock blksz is not 16384"},
	[PR_SBBUFSPC]	= {"SB0004", E, NOFIX, "superblock bufspc is not 8187"},
	[PR_SBNARENA]	= {"SB0005", E, NOFIX | FATAL, "superblock narena is 0 or 256 or more"},
	[PR_SBFLAG]	= {"SB0006", W, NOFIX, "superblock flag is not zero"},
	[PR_SBSNAPDL]	= {"SB0007", W, NOFIX, "superblock snapshot-tree deadlist is not NONE"},
	[PR_SBORDER]	= {"SB0008", E, NOFIX | FATAL, "arena table not ordered, unaligned or overlapping"},
	[PR_SBOUTSIDE]	= {"SB0009", E, NOFIX | FATAL, "arena lies outside the device"},
	[PR_SBDIFFER]	= {"SB0010", W, PREEN, "the two valid superblock copies differ in a way no crash explains"},
	[PR_SBNONE]	= {"SB0011", E, NOFIX | FATAL, "no valid superblock copy"},
	[PR_SBBACKUP]	= {"SB0012", N, NOFIX, "using superblock copy 1 (the backup)"},
	[PR_SBSNAPHT]	= {"SB0013", E, NOFIX | FATAL, "snapshot tree height or root out of range"},
	[PR_SBXREC]	= {"SB0014", W, NOFIX, "extension records of the two copies differ"},
	[PR_SBREAD]	= {"SB0015", E, NOFIX, "superblock block cannot be read"},

	[PR_ARTYPE]	= {"AR0001", E, PREEN, "arena header or footer does not decode"},
	[PR_ARHASH]	= {"AR0002", E, PREEN, "arena header or footer does not match the superblock hash"},
	[PR_ARNONE]	= {"AR0003", N, NOFIX, "arena table hash is NONE (after a grow): header unverified"},
	[PR_ARDIFFER]	= {"AR0004", E, PREEN | COMMIT, "arena header and footer differ"},
	[PR_ARSIZE]	= {"AR0005", E, NOFIX | FATAL, "arena size invalid or overlapping the next arena"},
	[PR_ARUSED]	= {"AR0006", W, PREEN | COMMIT, "arena used differs from the replayed allocation log"},
	[PR_ARNOCOPY]	= {"AR0007", E, NOFIX, "neither arena header nor footer is usable"},
	[PR_ARFOOTER]	= {"AR0008", W, NOFIX, "arena header unusable, using the footer"},
	[PR_ARSBCOPY]	= {"AR0009", E, PREEN, "superblock copy not in use fails the loader's checks (arena table, blksz, bufspc)"},
	[PR_ARLOADER]	= {"AR0010", E, NOFIX, "the loader's replay of an arena log disagrees with the checker's"},

	[PR_LGBLOCK]	= {"LG0001", E, PREEN | COMMIT, "allocation-log block unreadable or not a log block"},
	[PR_LGHASH]	= {"LG0002", E, PREEN | COMMIT, "allocation-log block fails its body hash"},
	[PR_LGHASHTAIL]	= {"LG0003", W, NOFIX, "retired: a log tail torn past the last barrier is CR0005"},
	[PR_LGENTRY]	= {"LG0004", E, PREEN | COMMIT, "allocation-log entry malformed"},
	[PR_LGDALLOC]	= {"LG0005", E, PREEN | COMMIT, "allocation log allocates a block that is not free"},
	[PR_LGDFREE]	= {"LG0006", E, PREEN | COMMIT, "allocation log frees a block that is already free"},
	[PR_LGRANGE]	= {"LG0007", E, PREEN | COMMIT, "allocation-log entry outside its arena's data area"},
	[PR_LGCYCLE]	= {"LG0008", E, PREEN | COMMIT, "allocation-log chain loops or shares a block"},
	[PR_LGADDR]	= {"LG0009", E, PREEN | COMMIT, "allocation-log chain points outside its arena"},
	[PR_LGFREED]	= {"LG0010", E, PREEN | COMMIT, "allocation-log block is free according to the log"},
	[PR_LGNOBARRIER] = {"LG0011", W, COMMIT, "allocation log has no barrier for the superblock's qgen"},
	[PR_LGHDRFREE]	= {"LG0012", E, PREEN | COMMIT, "allocation log frees an arena header, footer or a block outside the arena"},

	[PR_NDREAD]	= {"ND0001", E, NOFIX, "tree node cannot be read"},
	[PR_NDHASH]	= {"ND0002", E, NOFIX, "tree node does not match its pointer's hash"},
	[PR_NDDECODE]	= {"ND0003", E, NOFIX, "tree node does not decode"},
	[PR_NDLEVEL]	= {"ND0004", E, NOFIX, "leaf not at the bottom, or pivot at the bottom"},
	[PR_NDORDER]	= {"ND0005", E, NOFIX, "node keys not strictly increasing"},
	[PR_NDLOW]	= {"ND0006", E, NOFIX, "node key below its range"},
	[PR_NDHIGH]	= {"ND0007", E, NOFIX, "node key at or above its range"},
	[PR_NDFILL]	= {"ND0008", E, NOFIX, "fill recorded in the parent differs from the child's"},
	[PR_NDONE]	= {"ND0009", N, NOFIX, "pivot with a single entry"},
	[PR_NDEMPTY]	= {"ND0010", E, NOFIX, "non-root leaf is empty"},
	[PR_NDMSGORDER]	= {"ND0011", E, NOFIX, "buffered messages not in key order"},
	[PR_NDMSGRANGE]	= {"ND0012", E, NOFIX, "buffered message key outside the node's range"},
	[PR_NDHEIGHT]	= {"ND0013", E, NOFIX, "tree height out of range"},
	[PR_NDSNAPGEN]	= {"ND0014", W, NOFIX, "snapshot-tree child pointer generation is not 0"},

	[PR_KVKEY]	= {"KV0001", E, NOFIX, "key does not decode"},
	[PR_KVTYPE]	= {"KV0002", E, NOFIX, "key type not allowed in this tree"},
	[PR_KVSIZE]	= {"KV0003", E, NOFIX, "value size wrong for its key type"},
	[PR_KVVALUE]	= {"KV0004", E, NOFIX, "value does not decode"},
	[PR_KVOP]	= {"KV0005", E, NOFIX, "message opcode not valid for its key type"},
	[PR_KVINCREF]	= {"KV0006", N, NOFIX, "Oincref message (written by later reference revisions)"},
	[PR_KVQPATH]	= {"KV0007", W, NOFIX, "Owstat message with flag bit 0x80"},
	[PR_KVWSTAT]	= {"KV0008", E, NOFIX, "Owstat operand malformed"},
	[PR_KVRELINK]	= {"KV0009", E, NOFIX, "Orelink/Oreprev/Oincref operand malformed"},
	[PR_KVSEQ]	= {"KV0010", E, NOFIX, "invalid message sequence for a key"},

	[PR_RFFREE]	= {"RF0001", E, PREEN | COMMIT, "referenced block is free according to the allocation log"},
	[PR_RFADDR]	= {"RF0002", E, NOFIX, "block pointer outside every arena's data area"},
	[PR_RFTWICE]	= {"RF0003", E, NOFIX, "block referenced twice within one tree"},
	[PR_RFKIND]	= {"RF0004", E, NOFIX, "block used as two kinds of block"},
	[PR_RFLEAK]	= {"RF0005", N, COMMIT, "allocated blocks referenced by nothing (leak)"},
	[PR_RFDATAHASH]	= {"RF0006", E, NOFIX, "data block does not match its pointer's hash"},
	[PR_RFDATAREAD]	= {"RF0007", E, NOFIX, "data block cannot be read"},

	[PR_GNBLOCK]	= {"GN0001", E, NOFIX, "block pointer born after the snapshot that holds it"},
	[PR_GNNEXTGEN]	= {"GN0002", E, PREEN | COMMIT, "generation in use not below nextgen"},
	[PR_GNNEXTQID]	= {"GN0003", E, PREEN | COMMIT, "qid path in use not below nextqid"},

	[PR_SNLABEL]	= {"SN0001", E, NOFIX, "label value malformed"},
	[PR_SNNOSNAP]	= {"SN0002", E, COMMIT, "label points to a missing snapshot record"},
	[PR_SNFLAGS]	= {"SN0003", W, NOFIX, "label flags have unknown bits"},
	[PR_SNKEYGEN]	= {"SN0004", E, NOFIX, "snapshot record gen differs from its key"},
	[PR_SNNLBLHI]	= {"SN0005", W, NOFIX, "snapshot nlbl above its label count (label deleted, gefs(5) §24 #16)"},
	[PR_SNNLBLLO]	= {"SN0006", E, COMMIT, "snapshot nlbl below its label count"},
	[PR_SNNEG]	= {"SN0007", E, NOFIX, "snapshot nlbl or nref negative"},
	[PR_SNNREF]	= {"SN0008", W, NOFIX, "snapshot nref differs from the records linked to it"},
	[PR_SNPRED]	= {"SN0009", W, NOFIX, "snapshot pred names no record"},
	[PR_SNSUCC]	= {"SN0010", W, NOFIX, "snapshot succ names no record"},
	[PR_SNORDER]	= {"SN0011", E, NOFIX, "snapshot base or pred after its own generation"},
	[PR_SNREQUIRED]	= {"SN0012", E, NOFIX, "required label adm or empty missing"},
	[PR_SNROOT]	= {"SN0013", E, NOFIX, "snapshot record height or root invalid"},
	[PR_SNTREE]	= {"SN0014", E, NOFIX, "snapshot tree contents cannot be read"},

	[PR_DLBGEN]	= {"DL0001", E, NOFIX, "deadlist bgen not below its gen"},
	[PR_DLNOSNAP]	= {"DL0002", W, NOFIX, "deadlist names a missing snapshot record"},
	[PR_DLBLOCK]	= {"DL0003", E, NOFIX, "deadlist block unreadable, not a deadlist block or outside every arena"},
	[PR_DLHASH]	= {"DL0004", E, NOFIX, "deadlist block fails its body hash"},
	[PR_DLCYCLE]	= {"DL0005", E, NOFIX, "deadlist chain loops"},
	[PR_DLSHARED]	= {"DL0006", W, NOFIX, "two deadlists share a chain suffix (crash during a merge, §14.4)"},
	[PR_DLCROSS]	= {"DL0007", E, NOFIX, "deadlists of different bgen share chain blocks"},
	[PR_DLFREE]	= {"DL0008", E, PREEN | COMMIT, "deadlist entry or chain block is free according to the log"},
	[PR_DLTWICE]	= {"DL0009", E, NOFIX, "block listed twice in deadlists"},
	[PR_DLTAIL]	= {"DL0010", N, NOFIX, "deadlist tl is not the last block of its chain (§24 #3)"},
	[PR_DLKIND]	= {"DL0011", E, NOFIX, "deadlist entry names a log, header, superblock or deadlist block"},

	[PR_FSNOROOT]	= {"FS0001", E, NOFIX, "root directory entry missing"},
	[PR_FSROOTTYPE]	= {"FS0002", E, NOFIX, "root entry is not a directory or has no Kup"},
	[PR_FSNAME]	= {"FS0003", E, NOFIX, "directory entry name invalid"},
	[PR_FSQTYPE]	= {"FS0004", W, NOFIX, "qid.type differs from mode >> 24"},
	[PR_FSMODE]	= {"FS0005", W, NOFIX, "mode has bits outside 0777|DMDIR|DMAPPEND|DMEXCL|DMTMP"},
	[PR_FSDIRLEN]	= {"FS0006", E, NOFIX, "directory length is not 0"},
	[PR_FSQIDDUP]	= {"FS0007", E, NOFIX, "qid path used by two entries of one tree"},
	[PR_FSNOKUP]	= {"FS0008", E, NOFIX, "directory has no Kup"},
	[PR_FSKUP]	= {"FS0009", E, NOFIX, "Kup does not name the directory's own entry"},
	[PR_FSPARENT]	= {"FS0010", E, NOFIX, "entry's parent is missing or not a directory"},
	[PR_FSCYCLE]	= {"FS0011", E, NOFIX, "directory not connected to the root (cycle)"},
	[PR_FSDATALIGN]	= {"FS0012", E, NOFIX, "Kdat offset not a multiple of 16384"},
	[PR_FSDATAEOF]	= {"FS0013", W, NOFIX, "Kdat at or beyond the file length (§24 #5)"},
	[PR_FSDATAORPHAN] = {"FS0014", W, NOFIX, "Kdat of a qid with no entry (uncommitted clearing, §12.5)"},
	[PR_FSQIDHI]	= {"FS0015", E, NOFIX, "reserved qid path (bit 63) stored"},
	[PR_FSDATADIR]	= {"FS0016", E, NOFIX, "Kdat belongs to a directory"},

	[PR_USMISSING]	= {"US0001", E, NOFIX, "users file missing from adm"},
	[PR_USTYPE]	= {"US0002", E, NOFIX, "users file unreadable, not a regular file, 1 MiB or longer, or with holes"},
	[PR_USPARSE]	= {"US0003", E, NOFIX, "users file does not parse"},

	[PR_CKSKIP]	= {"CK0001", N, NOFIX, "checks skipped after earlier errors"},

	[PR_RPNOCOMMIT]	= {"RP0001", W, NOFIX, "repairs that need a commit were not made (reason given)"},
	[PR_DLOUTSIDE]	= {"DL0012", E, NOFIX, "deadlist entry outside every arena's data area"},

	[PR_SHHASH]	= {"ND0015", E, NOFIX, "pointer to a shared node carries a hash that is not the node's"},
	[PR_SHFILL]	= {"ND0016", E, NOFIX, "pointer to a shared node records a fill that is not the node's"},
	[PR_SHGEN]	= {"ND0017", E, NOFIX, "pointers to a shared node disagree on its generation"},
	[PR_SBDLCHAIN]	= {"SB0016", E, NOFIX, "snapshot-tree deadlist chain broken"},
	[PR_USUNDEF]	= {"US0004", W, NOFIX, "file owner, group or last modifier not defined in the users file"},
	[PR_CFRETAIN]	= {"CF0001", W, NOFIX, "configuration entry retain does not parse"},
	[PR_CFUNKNOWN]	= {"CF0002", N, NOFIX, "unknown configuration entry"},
	[PR_SBSHORT]	= {"SB0017", E, NOFIX, "device smaller than the file system (truncated image)"},
	[PR_RPUNSAFE]	= {"RP0002", E, NOFIX, "repair not written: its target block is in use"},
	[PR_CFABORT]	= {"CF0003", E, COMMIT, "retain value the reference aborts on (item without unit letter), snapshot tree"},
	[PR_CFABORTFS]	= {"CF0004", E, COMMIT, "retain value the reference aborts on (item without unit letter), tree of a mutable label"},
	[PR_CFABORTSN]	= {"CF0005", E, NOFIX, "retain value the reference aborts on (item without unit letter), tree of a snapshot no mutable label points at"},
	[PR_SNKEEP]	= {"SN0030", E, NOFIX, "label adm, empty or main names a missing snapshot and no snapshot fits it: kept"},

	/* Crash remnants: not corruption — the image loads as the old or the
	 * new state — but preen tidies them so that the next crash finds
	 * both copies of everything whole. */
	/* both superblock copies lost (sbfind.c): rebuilt only with -y */
	[PR_SBREBUILD]	= {"SB0018", E, 0, "both superblock copies lost: a superblock rebuilt from the arenas, logs and snapshot tree"},
	[PR_SBNOARENA]	= {"SB0019", E, NOFIX | FATAL, "both superblock copies lost and the arenas cannot all be found"},
	[PR_SBNOROOT]	= {"SB0020", E, NOFIX | FATAL, "both superblock copies lost and no single snapshot-tree root can be derived"},
	[PR_SBXLOST]	= {"SB0021", W, NOFIX, "rebuilt superblock has no extension record (volume label and UUID lost)"},

	[PR_CRSB]	= {"CR0001", W, PREEN, "superblock copy 0 one commit newer than copy 1 (commit cut between them)"},
	[PR_CRHDR]	= {"CR0002", W, PREEN, "arena header newer than the superblock's table (commit cut before the superblock)"},
	[PR_CRFTR]	= {"CR0003", W, PREEN, "arena footer older than its header (commit cut before the footers)"},
	[PR_CRLOGNEW]	= {"CR0004", W, PREEN | COMMIT, "allocation-log entries after the superblock's barrier replayed (commit cut before the superblock)"},
	[PR_CRLOGTORN]	= {"CR0005", W, PREEN, "allocation-log tail torn past the superblock's barrier (commit cut while writing it)"},
	[PR_CRLOGCUT]	= {"CR0006", W, PREEN | COMMIT, "allocation-log tail torn before any barrier, replayed up to the tear (commit cut while writing it)"},
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
