/*
 * view.c - "changed since the last look", kept per consumer.
 *
 * Each slot holds, per anchor id, the alloc and free counts its consumer
 * last saw, in pages that are replaced by a larger copy as ids grow.  Only
 * reporters come here (the control thread, the checker, gdb), never the
 * hooks, so a lock per slot costs nothing that matters.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <string.h>
#include <time.h>

#include "anchor.h"
#include "arena.h"
#include "lock.h"
#include "view.h"

#define VIEW_NAME_MAX	64
#define VIEW_MIN_CAP	1024		/* anchors per first allocation */
/* A slot is given to a new name only after its consumer was idle this long. */
#define VIEW_IDLE_NS	(600ull * 1000000000u)

/* The counts a consumer last saw of one anchor; zero = never seen. */
struct view_seen {
	uint64_t	alloc;
	uint64_t	free;
};

struct view_slot {
	lock_t			 lock;
	int			 used;
	char			 name[VIEW_NAME_MAX + 1];
	uint64_t		 last_use;	/* monotonic ns, for recycling */
	uint32_t		 generation;	/* anchors' generation of seen[] */
	struct view_seen	*seen;
	size_t			 cap;		/* entries in seen[] */
};

static struct view_slot	view_slots[VIEW_MAX];
static lock_t		view_names = LOCK_INITIALISER;	/* slot assignment */

/* Monotonic time in nanoseconds. */
static uint64_t
view_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

/* Forgets everything a slot has seen (slot locked). */
static void
view_drop(struct view_slot *s)
{
	arena_release(s->seen, s->cap * sizeof *s->seen);
	s->seen = NULL;
	s->cap = 0;
}

/* Drops a slot's state when jhook_stop started new anchors (slot locked). */
static void
view_sync(struct view_slot *s)
{
	uint32_t	g = anc_generation();

	if (s->generation != g) {
		view_drop(s);
		s->generation = g;
	}
}

/* Makes room for id in a slot's array; 0 when memory is short (slot locked). */
static int
view_grow(struct view_slot *s, uint32_t id)
{
	struct view_seen	*p;
	size_t			 cap = s->cap > 0 ? s->cap : VIEW_MIN_CAP;

	if (id < s->cap)
		return (1);
	while (cap <= id)
		cap *= 2;
	if ((p = arena_pages(cap * sizeof *p)) == NULL)
		return (0);
	if (s->seen != NULL)
		memcpy(p, s->seen, s->cap * sizeof *p);
	view_drop(s);
	s->seen = p;
	s->cap = cap;
	return (1);
}

/*
 * The slot named name, a free one, or the least recently used when its
 * consumer has been idle for VIEW_IDLE_NS; -1 when every slot belongs to a
 * consumer active since then (names locked).  So no client, however many
 * names it makes up, can take the view of a consumer that is still looking.
 */
static int
view_pick(const char *name)
{
	struct view_slot	*s;
	int			 i, free_slot = -1, lru = -1;
	uint64_t		 now = view_now();

	for (i = VIEW_LEGACY + 1; i < VIEW_MAX; i++) {
		s = &view_slots[i];
		if (s->used && strcmp(s->name, name) == 0)
			return (i);
		if (!s->used && free_slot == -1)
			free_slot = i;
		if (s->used && (lru == -1 || s->last_use < view_slots[lru].last_use))
			lru = i;
	}
	if (free_slot != -1)
		return (free_slot);
	if (lru != -1 && now - view_slots[lru].last_use >= VIEW_IDLE_NS)
		return (lru);
	return (-1);
}

/* The consumer slot for a name; see view.h. */
int
view_consumer(const char *name)
{
	struct view_slot	*s;
	size_t			 len;
	int			 i;

	if (name == NULL || name[0] == '\0')
		i = VIEW_LEGACY;
	else {
		/* Truncating would let two consumers share counts unawares. */
		if ((len = strlen(name)) > VIEW_NAME_MAX)
			return (-1);
		lock_acquire(&view_names);
		if ((i = view_pick(name)) == -1) {
			lock_release(&view_names);
			return (-1);
		}
		s = &view_slots[i];
		lock_acquire(&s->lock);
		if (!s->used || strcmp(s->name, name) != 0) {
			view_drop(s);
			memcpy(s->name, name, len + 1);
			s->used = 1;
		}
		lock_release(&s->lock);
		lock_release(&view_names);
	}
	__atomic_store_n(&view_slots[i].last_use, view_now(), __ATOMIC_RELAXED);
	return (i);
}

/* 1 when the anchor's counts differ from what consumer last saw. */
int
view_changed(int consumer, const struct anc_view *a)
{
	struct view_slot	*s;
	int			 changed;

	if (consumer < 0 || consumer >= VIEW_MAX)
		return (1);
	s = &view_slots[consumer];
	lock_acquire(&s->lock);
	view_sync(s);
	if (a->id < s->cap)
		changed = s->seen[a->id].alloc != a->alloc || s->seen[a->id].free != a->free;
	else
		changed = a->alloc != 0 || a->free != 0;
	lock_release(&s->lock);
	return (changed);
}

/* Records that consumer has now seen the anchor's counts. */
void
view_mark_seen(int consumer, const struct anc_view *a)
{
	struct view_slot	*s;

	if (consumer < 0 || consumer >= VIEW_MAX)
		return;
	s = &view_slots[consumer];
	lock_acquire(&s->lock);
	view_sync(s);
	if (view_grow(s, a->id)) {
		s->seen[a->id].alloc = a->alloc;
		s->seen[a->id].free = a->free;
	}
	lock_release(&s->lock);
}

/* jhook_check_leak's choice, exactly as the original documented it. */
int
view_selects(int choice, int changed, const struct anc_view *a)
{
	int64_t	diff = (int64_t)(a->alloc - a->free);

	switch (choice) {
	case 0:
		return (diff != 0 && changed);
	case 1:
		return (changed);
	case 2:
		return (diff != 0);
	case 3:
		return (1);
	}
	if (choice > 3)
		return (diff >= choice);
	return (changed && diff >= -(int64_t)choice);
}

/* Drops every consumer's seen counts; names stay. */
void
view_reset(void)
{
	struct view_slot	*s;
	int			 i;

	for (i = 0; i < VIEW_MAX; i++) {
		s = &view_slots[i];
		lock_acquire(&s->lock);
		view_drop(s);
		lock_release(&s->lock);
	}
}

/* In a forked child: a reporter thread of the parent may have held a lock. */
void
view_fork_child(void)
{
	int	i;

	lock_reset(&view_names);
	for (i = 0; i < VIEW_MAX; i++)
		lock_reset(&view_slots[i].lock);
}
