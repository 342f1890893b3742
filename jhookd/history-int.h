/*
 * history-int.h - the history's insides, shared by its files only:
 *   history.c  the model: processes, anchors, rings of samples; retention
 *   budget.c   the memory the history holds, trimmed within max-memory
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

struct hst_proc_priv {
	struct hst_proc		 pub;		/* first: what history.h shows */
	struct hst_ring		 ring;		/* total and peak bytes */
	struct hst_anchor_priv	*buckets[HST_BUCKETS];
	struct hst_anchor_priv	*anchors;	/* every anchor, newest first */
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

/* ------------------------------------------------------------ history.c */
struct ser_view hst_view(const struct hst_ring *r);
/*
 * Moves a ring of process p to ncap slots (oldest first), keeping its
 * newest samples; the samples dropped, or -1 when out of memory.
 */
int	 hst_resize(struct hst_proc *p, struct hst_ring *r, uint32_t ncap);
/* Forgets a process: unlinks and frees it (never while a caller holds it). */
void	 hst_remove(struct hst_proc *p);

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

#endif /* JHOOKD_HISTORY_INT_H */
