/*
 * history-int.h - the history's insides, shared by its files only:
 *   history.c  the model: processes, anchors, rings of samples; retention
 *   budget.c   the memory the history holds, trimmed within max-memory
 *   journal.c  its records in the history file: writer, compaction, replay
 * Nothing outside them includes this header.
 */
#ifndef JHOOKD_HISTORY_INT_H
#define JHOOKD_HISTORY_INT_H

#include "history.h"

/* A ring of samples, oldest first when read with hst_at(). */
struct hst_ring {
	struct ser_sample	*s;
	uint32_t		 cap;
	uint32_t		 head;	/* next slot to write */
	uint32_t		 n;
};

struct hst_anchor_priv {
	struct hst_anchor	 pub;		/* first: what history.h shows */
	char			*frames;	/* as the agent sent them, JSON text */
	struct hst_ring		 ring;
	uint64_t		 new_a, new_b;	/* summed while reading one answer */
	struct hst_anchor_priv	*next;		/* in the process's hash chain */
	struct hst_anchor_priv	*all;		/* in the process's list */
};

#define HST_BUCKETS	256

/* An agent's anchor id and the anchor it counts into (NULL: over max-anchors). */
struct hst_link {
	uint32_t		 key;		/* the agent's id + 1; 0 = empty */
	struct hst_anchor_priv	*a;
};

struct hst_proc_priv {
	struct hst_proc		 pub;		/* first: what history.h shows */
	struct hst_ring		 ring;		/* total and peak bytes */
	struct hst_anchor_priv	*buckets[HST_BUCKETS];
	struct hst_anchor_priv	*anchors;	/* every anchor, newest first */
	/*
	 * Incremental polls: the anchors this agent image has sent frames for,
	 * by its ids (open addressing), so a poll names them by id alone.
	 */
	struct hst_link		*links;
	uint32_t		 nlinks, linkcap;
	uint32_t		 frames_from;	/* asked for with the next poll */
	char			 instance[24];	/* the image they belong to */
};

/* The whole of a process or an anchor from what history.h shows. */
static inline struct hst_proc_priv *
hst_pp(const struct hst_proc *p)
{
	return (struct hst_proc_priv *)p;
}

static inline struct hst_anchor_priv *
hst_ap(const struct hst_anchor *a)
{
	return (struct hst_anchor_priv *)a;
}

/* Sample i (0 = oldest) of a ring. */
static inline const struct ser_sample *
hst_at(const struct hst_ring *r, uint32_t i)
{
	return &r->s[(r->head + r->cap - r->n + i) % r->cap];
}

/* The last sample's values, or zeros. */
static inline void
hst_last(const struct hst_ring *r, uint64_t *a, uint64_t *b)
{
	const struct ser_sample *s = r->n > 0 ? hst_at(r, r->n - 1) : NULL;

	*a = s ? s->a : 0;
	*b = s ? s->b : 0;
}

/* ------------------------------------------------------------ history.c */
struct ser_view hst_view(const struct hst_ring *r);
/* Adds a sample to a ring of process p, growing it up to hst_want(). */
void	 hst_push(struct hst_proc *p, struct hst_ring *r, double t, uint64_t a, uint64_t b);
/*
 * Moves a ring of process p to ncap slots (oldest first), keeping its
 * newest samples; the samples dropped, or -1 when out of memory.
 */
int	 hst_resize(struct hst_proc *p, struct hst_ring *r, uint32_t ncap);
/* Halves every series, for a history file that is still too large. */
void	 hst_halve(void);
/* A new process, first seen at t; NULL when out of memory. */
struct hst_proc *hst_new_proc(long pid, unsigned long long start, double t);
/* Forgets a process: unlinks and frees it (never while a caller holds it). */
void	 hst_remove(struct hst_proc *p);
void	 hst_set_exe(struct hst_proc *p, const char *exe);
/* After the anchors' samples of a poll at t: the process's, and the verdicts. */
void	 hst_polled(struct hst_proc *p, double t, uint64_t total, uint64_t peak, uint64_t n);
struct hst_anchor_priv *hst_find_anchor(const struct hst_proc *p, const char *id);
/* A new anchor of p; NULL over max-anchors or out of memory. */
struct hst_anchor_priv *hst_new_anchor(struct hst_proc *p, const char *id, uint64_t size,
	    json_object *frames);
/* The trend of an anchor after a new sample. */
void	 hst_evaluate(struct hst_anchor_priv *a);
/* A string, or an integer (int or double), of object o; NULL or -1 if not. */
const char *hst_str(json_object *o, const char *key);
int	 hst_int(json_object *o, const char *key, int64_t *out);

/* ------------------------------------------------------------- budget.c */
/* Counts (sign 1) or uncounts (sign -1) one allocation of process p. */
void	 hst_note(struct hst_proc *p, const void *ptr, int sign);
/* Uncounts a process as a whole, when it is freed. */
void	 hst_forget(const struct hst_proc *p);
/* Samples a series may hold now: samples, or less under memory pressure. */
uint32_t hst_want(void);
/*
 * Keeps the history within max-memory.  Ended processes are freed only
 * when whole is set: from HST_Maintain, never while a caller may hold one.
 */
void	 hst_budget(int whole);
/* The budget's part of status. */
void	 hst_budget_stats(json_object *into);

/* ------------------------------------------------------------ journal.c */
/* The records history.c writes as it learns; STO_Commit ends a batch. */
void	 hst_write_proc(const struct hst_proc *p, double t, const char *exe);
void	 hst_write_end(const struct hst_proc *p);
void	 hst_write_anchor(const struct hst_proc *p, const struct hst_anchor_priv *a);
/* Adds a to a poll's changes if it changed; before its new sample is pushed. */
void	 hst_poll_change(json_object *changes, const struct hst_anchor_priv *a);
/* The poll record, with its changes (it takes them). */
void	 hst_write_poll(const struct hst_proc *p, double t, int64_t total, int64_t peak,
	    uint64_t n, json_object *changes);
/* Rewrites the file when over max-disk, or when retention dropped samples. */
void	 hst_compact(double now, unsigned dropped);

#endif /* JHOOKD_HISTORY_INT_H */
