/*
 * budget.c - the history's memory: what it holds, and trimming it to stay
 * within max-memory.
 *
 * Every allocation the history holds (process and anchor records, an
 * anchor's frames as JSON text, the rings of samples) is counted at its
 * malloc_usable_size() plus the allocator's header, in bgt.mem and in its
 * process's mem.  Over max-memory, history is dropped down to 7/8 of it
 * (hst_budget): first the samples of ended processes (the process that
 * ended first, the oldest half of its samples at a time, down to its last
 * sample); then the oldest samples of every live series, evenly, by lowering
 * the number of samples a series may hold (never below window + 2, which
 * trend.c needs: the window and the sample that just left it); then, in
 * HST_Maintain only, ended processes whole, the one that ended first first.
 * The cap is raised again once the history is under 3/4 of the budget.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <malloc.h>
#include <stdlib.h>

#include "jhookd.h"
#include "history-int.h"

static struct {
	int64_t		 mem;		/* bytes held, every process summed */
	uint32_t	 series_cap;	/* samples a live series may hold, under pressure */
	int		 trimming;	/* in a trimming episode (logged once) */
	int		 warned;	/* the budget cannot be met, said once */
	uint64_t	 trims;		/* trimming episodes */
	uint64_t	 mem_samples;	/* samples dropped for memory */
	uint64_t	 mem_procs;	/* ended processes dropped for memory */
} bgt = { .series_cap = UINT32_MAX };

/* ---------------------------------------------------------------- ledger */

/* What one allocation takes from the heap: its usable size and header. */
static int64_t
hst_sz(const void *ptr)
{
	return ptr != NULL ? (int64_t)(malloc_usable_size((void *)ptr) + sizeof(size_t)) : 0;
}

/* Counts (sign 1) or uncounts (sign -1) one allocation of process p. */
void
hst_note(struct hst_proc *p, const void *ptr, int sign)
{
	int64_t n = sign * hst_sz(ptr);

	bgt.mem += n;
	p->mem += n;
}

/* Uncounts a process as a whole, when it is freed. */
void
hst_forget(const struct hst_proc *p)
{
	bgt.mem -= p->mem;
}

int64_t
HST_Memory(void)
{
	return bgt.mem;
}

/* Samples a series may hold now: samples, or less under memory pressure. */
uint32_t
hst_want(void)
{
	uint32_t want = (uint32_t)CNF_Get()->samples;

	return bgt.series_cap < want ? bgt.series_cap : want;
}

/* -------------------------------------------------------------- trimming */

/* Samples a live series keeps whatever the pressure: the trend's window. */
static uint32_t
hst_floor(void)
{
	const struct cnf_values *c = CNF_Get();
	uint64_t f = (uint64_t)c->window + 2;

	return f < (uint64_t)c->samples ? (uint32_t)f : (uint32_t)c->samples;
}

/* The next ring of process p after r (NULL: the first), or NULL. */
static struct hst_ring *
hst_next_ring(struct hst_proc *p, struct hst_ring *r, struct hst_anchor_priv **it)
{
	if (r == NULL) {
		*it = hst_pp(p)->anchors;
		return &hst_pp(p)->ring;
	}
	if (*it == NULL)
		return NULL;
	r = &(*it)->ring;
	*it = (*it)->all;
	return r;
}

/*
 * The samples every live series may hold for the history to stay within
 * goal once they are all full (series still growing included): what is
 * left of goal after everything but the live rings, shared evenly.
 */
static uint32_t
hst_live_cap(int64_t goal)
{
	int64_t room = goal - bgt.mem, per = (int64_t)sizeof(struct ser_sample);
	struct hst_proc *p;
	struct hst_anchor_priv *it;
	struct hst_ring *r;
	int64_t ns = 0, l;

	for (p = HST_Processes(); p != NULL; p = p->next)
		if (p->state != HST_ENDED)
			for (r = hst_next_ring(p, NULL, &it); r != NULL; r = hst_next_ring(p, r, &it)) {
				room += hst_sz(r->s);
				room -= 2 * (int64_t)sizeof(size_t);	/* header and rounding */
				ns++;
			}
	if (ns == 0)
		return UINT32_MAX;
	if (room <= 0)
		return 0;
	l = room / (ns * per);
	return l >= UINT32_MAX ? UINT32_MAX : (uint32_t)l;
}

/* Ended processes, the first ended first: samples down to goal; dropped. */
static uint64_t
hst_trim_ended(int64_t goal)
{
	struct hst_proc *p, *oldest;
	struct hst_anchor_priv *it;
	struct hst_ring *r;
	uint64_t dropped = 0;
	int d, progress;

	/* Room a ring holds beyond its samples is freed first: no loss. */
	for (p = HST_Processes(); p != NULL && bgt.mem > goal; p = p->next)
		if (p->state == HST_ENDED)
			for (r = hst_next_ring(p, NULL, &it); r != NULL; r = hst_next_ring(p, r, &it))
				if (r->n > 0 && r->cap > r->n)
					hst_resize(p, r, r->n);
	while (bgt.mem > goal) {
		oldest = NULL;
		for (p = HST_Processes(); p != NULL; p = p->next)
			if (p->state == HST_ENDED && p->mem > 0 &&
			    (oldest == NULL || p->ended < oldest->ended)) {
				for (r = hst_next_ring(p, NULL, &it); r != NULL;
				    r = hst_next_ring(p, r, &it))
					if (r->n > 1)
						break;
				if (r != NULL)
					oldest = p;
			}
		if (oldest == NULL)
			break;
		/* Its older half goes, down to its last sample. */
		progress = 0;
		for (r = hst_next_ring(oldest, NULL, &it); r != NULL; r = hst_next_ring(oldest, r, &it))
			if (r->n > 1 && (d = hst_resize(oldest, r, r->n - r->n / 2)) > 0) {
				dropped += (uint64_t)d;
				progress = 1;
			}
		if (!progress)
			break;	/* out of memory to move the rings */
	}
	return dropped;
}

/* Live series, evenly: the cap that keeps the history within goal. */
static uint64_t
hst_trim_live(int64_t goal)
{
	uint32_t l = hst_live_cap(goal), lo = hst_floor();
	struct hst_proc *p;
	struct hst_anchor_priv *it;
	struct hst_ring *r;
	uint64_t dropped = 0;
	int d;

	if (l < lo)
		l = lo;
	if (l >= hst_want())
		return 0;
	bgt.series_cap = l;
	for (p = HST_Processes(); p != NULL; p = p->next)
		if (p->state != HST_ENDED)
			for (r = hst_next_ring(p, NULL, &it); r != NULL; r = hst_next_ring(p, r, &it))
				if (r->cap > l && (d = hst_resize(p, r, l)) > 0)
					dropped += (uint64_t)d;
	return dropped;
}

/* Ended processes whole, the first ended first, down to goal; dropped. */
static unsigned
hst_drop_ended(int64_t goal)
{
	struct hst_proc *p, *oldest;
	unsigned dropped = 0;

	while (bgt.mem > goal) {
		oldest = NULL;
		for (p = HST_Processes(); p != NULL; p = p->next)
			if (p->state == HST_ENDED && (oldest == NULL || p->ended < oldest->ended))
				oldest = p;
		if (oldest == NULL)
			break;
		hst_remove(oldest);
		dropped++;
	}
	return dropped;
}

/* Lets series grow again when the history is well under its budget. */
static void
hst_relax(int64_t budget)
{
	uint32_t l;

	if (bgt.series_cap == UINT32_MAX || (l = hst_live_cap(budget - budget / 8)) <= bgt.series_cap)
		return;
	bgt.series_cap = l >= (uint64_t)CNF_Get()->samples ? UINT32_MAX : l;
	LOG_Debug("history memory %lld bytes: a series may hold %u samples again",
	    (long long)bgt.mem, hst_want());
}

/*
 * Keeps the history within max-memory (see the top of the file).  Ended
 * processes are freed only when whole is set: from HST_Maintain, never
 * while a caller may hold one.
 */
void
hst_budget(int whole)
{
	int64_t budget = CNF_Get()->max_memory, goal = budget - budget / 8, before = bgt.mem;
	uint64_t ended = 0, live = 0;
	unsigned procs = 0;

	if (bgt.mem <= budget) {
		if (whole && bgt.mem <= budget - budget / 4) {
			hst_relax(budget);
			if (bgt.trimming)
				LOG_Debug("history memory %lld bytes, under 3/4 of max-memory "
				    "again", (long long)bgt.mem);
			bgt.trimming = bgt.warned = 0;
		}
		return;
	}
	ended = hst_trim_ended(goal);
	if (bgt.mem > goal)
		live = hst_trim_live(goal);
	if (bgt.mem > goal && whole)
		procs = hst_drop_ended(goal);
	bgt.mem_samples += ended + live;
	bgt.mem_procs += procs;
	if (!bgt.trimming) {
		bgt.trimming = 1;
		bgt.trims++;
		LOG_Info("history memory %lld bytes is over max-memory %lld: dropped %llu "
		    "samples of ended processes, %llu of live series (%u samples a series "
		    "now), %u ended processes; %lld bytes now", (long long)before,
		    (long long)budget, (unsigned long long)ended, (unsigned long long)live,
		    hst_want(), procs, (long long)bgt.mem);
	} else {
		LOG_Debug("history memory %lld bytes: dropped %llu + %llu samples, %u "
		    "processes; %lld bytes now", (long long)before, (unsigned long long)ended,
		    (unsigned long long)live, procs, (long long)bgt.mem);
	}
	if (bgt.mem > budget && !bgt.warned && (whole || bgt.series_cap <= hst_floor())) {
		bgt.warned = 1;
		LOG_Warn("history memory %lld bytes stays over max-memory %lld: the live "
		    "processes' anchors and their last %u samples take that much; raise "
		    "max-memory or lower max-anchors or window", (long long)bgt.mem,
		    (long long)budget, hst_floor());
	}
}

/* The budget's part of status. */
void
hst_budget_stats(json_object *into)
{
	json_object_object_add(into, "history_memory_bytes", json_object_new_int64(bgt.mem));
	json_object_object_add(into, "max_memory", json_object_new_int64(CNF_Get()->max_memory));
	json_object_object_add(into, "samples_per_series", json_object_new_int64(hst_want()));
	json_object_object_add(into, "samples_dropped_for_memory",
	    json_object_new_int64((int64_t)bgt.mem_samples));
	json_object_object_add(into, "processes_dropped_for_memory",
	    json_object_new_int64((int64_t)bgt.mem_procs));
	json_object_object_add(into, "memory_trims", json_object_new_int64((int64_t)bgt.trims));
}
