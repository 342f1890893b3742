/*
 * history.h - what jhookd remembers: processes, their anchors, and a ring
 * of samples for each, plus the trend verdict on every anchor (trend.c).
 *
 * A process is named by (pid, start time in clock ticks since boot, read
 * from /proc/PID/stat), so a recycled pid is a new process.  An anchor is
 * named by a stable id: a hash of its size and of every frame as (module
 * file name, offset in the module), which does not depend on where the
 * modules were loaded, so the same call site has the same id in the next
 * run of the program, and across restarts of jhookd.
 *
 * The rest of jhookd sees a process's record and an anchor's identity and
 * verdict; the rings, hash chains and lists behind them are the history's
 * own (history-int.h), read only through the functions below.
 */
#ifndef JHOOKD_HISTORY_H
#define JHOOKD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "series.h"
#include "trend.h"

#define HST_ID_LEN	16		/* hex digits of an anchor id */

enum hst_state { HST_LIVE, HST_UNREACHABLE, HST_ENDED };

/* A process; agents.c keeps its poll counters (errors, timeouts, latency). */
struct hst_proc {
	long			 pid;
	unsigned long long	 start;
	char			*exe;
	enum hst_state		 state;
	double			 first;		/* first seen */
	double			 last;		/* last good poll */
	double			 ended;
	char			 error[160];	/* why the last poll failed */
	uint64_t		 polls, errors, timeouts;
	double			 last_latency;	/* seconds of the last good poll */
	uint64_t		 answer_bytes;	/* of the last good poll */
	uint64_t		 anchors_seen;	/* in the agent's last answer */
	uint64_t		 dropped;	/* anchors over max-anchors */
	int64_t			 mem;		/* bytes of history it holds */
	unsigned		 nanchors;
	unsigned		 nsuspects;
	struct hst_proc		*next;
};

/* An anchor of a process, read only outside the history. */
struct hst_anchor {
	char			 id[HST_ID_LEN + 1];
	uint64_t		 size;
	char			*function;	/* first named frame, or NULL */
	struct trd_state	 trend;
};

int	 HST_Initialise(void);
void	 HST_Finalise(void);
/* Every process, newest first. */
struct hst_proc *HST_Processes(void);
struct hst_proc *HST_Find(long pid, unsigned long long start);
/* The newest process with that pid (live first). */
struct hst_proc *HST_FindPid(long pid);
/* A process's anchors, newest first: the first, then each one's next. */
const struct hst_anchor *HST_Anchors(const struct hst_proc *p);
const struct hst_anchor *HST_NextAnchor(const struct hst_anchor *a);
const struct hst_anchor *HST_FindAnchor(const struct hst_proc *p, const char *id);
/* A process's total and peak bytes, an anchor's alloc and free, as views. */
struct ser_view HST_Series(const struct hst_proc *p);
struct ser_view HST_AnchorSeries(const struct hst_anchor *a);
/* An anchor's frames, parsed (a new reference: put it), or NULL. */
json_object *HST_Frames(const struct hst_anchor *a);
/* A process seen now (created and recorded when new). */
struct hst_proc *HST_Seen(long pid, unsigned long long start, double now);
void	 HST_SetState(struct hst_proc *p, enum hst_state st, double now, const char *why);
/*
 * Records a leak answer (choice 3) taken at time t: 0; -1 with cause when
 * it is malformed; 1 with cause when it could not be used but is not wrong
 * (anchors named by id that this history does not know, after an exec or
 * a restart): the next poll asks for every frame again.
 */
int	 HST_Record(struct hst_proc *p, json_object *leak, double t, char *cause, size_t len);
/*
 * The frames_from of p's next poll: the agent may name its anchors below
 * it by id alone.  0 (every frame) for a process not seen yet.
 */
uint32_t HST_FramesFrom(const struct hst_proc *p);
/* The store's replay callback. */
int	 HST_Replay(json_object *rec);
/* Drops what is older than the retention; compacts the file when due. */
void	 HST_Maintain(double now);
/* Samples and sizes, for status. */
void	 HST_Stats(json_object *into);
/* Bytes the history holds in memory (samples, anchors, processes). */
int64_t	 HST_Memory(void);

#endif /* JHOOKD_HISTORY_H */
