/*
 * hook.c - the allocator family, traced.
 *
 * A traced block of requested size n is allocated as n + tail bytes from
 * the real allocator, its tail filled with guard bytes, and entered in the
 * block table under the anchor of (n, call stack).  Everything else passes
 * straight through, so blocks the agent never traced are freed, resized
 * and measured exactly as the real allocator would.
 *
 * The fast paths are a load of the tracing flag and of a thread-local
 * guard; everything that captures stacks, takes locks or may allocate is
 * in noinline functions below them, run inside the guard so that any
 * allocation it causes (libunwind, dl_iterate_phdr) passes through untraced.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "anchor.h"
#include "block.h"
#include "bound.h"
#include "config.h"
#include "fmt.h"
#include "hook.h"
#include "stack.h"

#define HOOK_FREE_DEPTH	16	/* frames kept of the stack that freed an overflowed block */

__thread int guard_depth __attribute__((tls_model("initial-exec")));
__thread int guard_is_agent __attribute__((tls_model("initial-exec")));

/* The tail for a new block of size, or -1 when size + tail overflows. */
static inline int
hook_tail_for(size_t size)
{
	int	tail = CFG_GET(tail);

	return size > SIZE_MAX - (size_t)tail ? -1 : tail;
}

/* Enters a new block in the tables: stack, anchor, guard, count. */
static __attribute__((noinline)) void
hook_register(void *p, size_t size, unsigned tail, void *caller)
{
	unsigned		depth = (unsigned)CFG_GET(depth);
	uintptr_t		frames[depth];		/* sized to the depth: small stacks */
	struct blk_entry	old;
	int			method = CFG_GET(method);
	unsigned		n;
	uint32_t		id;

	n = stk_capture(method, depth, caller, frames);
	id = anc_find_or_create(size, frames, n, method);
	if (id == ANC_NONE)
		return;			/* out of agent memory: stays untraced */
	bnd_fill(p, size, tail);
	switch (blk_insert((uintptr_t)p, id, tail, &old)) {
	case -1:
		return;
	case 1:
		/* The allocator handed out a block we still held: it was freed behind our back. */
		anc_count_free(old.anchor);
		if (CFG_GET(dup_check))
			fmt_warn("block %p returned by the allocator while still "
			    "traced: it was freed without the agent seeing it", p);
		break;
	}
	anc_count_alloc(id);
	if (CFG_GET(bound_check))
		bnd_scan();
}

/* Registers a fresh block, keeping errno as the allocator left it. */
static void
hook_track(void *p, size_t size, unsigned tail, void *caller)
{
	int	saved = errno;
	int	g = guard_enter();

	hook_register(p, size, tail, caller);
	guard_leave(g);
	errno = saved;
}

/* Checks a leaving block's guard; records an overflow with the stack that let it go. */
static void
hook_check_guard(struct blk_entry *e, enum bnd_where where, void *caller)
{
	uintptr_t	frames[CFG_MAX_DEPTH];
	unsigned	tail = e->flags & BLK_TAIL_MASK, depth, n;

	if (tail == 0 || (e->flags & BLK_FLAG_REPORTED) ||
	    bnd_intact((void *)e->ptr, anc_size(e->anchor), tail))
		return;
	depth = (unsigned)CFG_GET(depth);
	if (depth < HOOK_FREE_DEPTH)
		depth = HOOK_FREE_DEPTH;
	n = stk_capture(CFG_GET(method), depth, caller, frames);
	bnd_record(e->ptr, e->anchor, where, frames, n);
	e->flags |= BLK_FLAG_REPORTED;
}

void
hook_free_traced(void *ptr, void *caller)
{
	struct blk_entry	e;
	int			saved = errno;
	int			g = guard_enter();

	if (blk_remove((uintptr_t)ptr, &e)) {
		hook_check_guard(&e, BND_AT_FREE, caller);
		anc_count_free(e.anchor);
	}
	guard_leave(g);
	errno = saved;
	hook_real.free(ptr);
}

void *
hook_malloc_traced(size_t size, void *caller)
{
	void	*p;
	int	 tail;

	if ((tail = hook_tail_for(size)) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = hook_real.malloc(size + (size_t)tail)) != NULL)
		hook_track(p, size, (unsigned)tail, caller);
	return p;
}

void *
hook_calloc_traced(size_t nmemb, size_t size, void *caller)
{
	size_t	 total;
	void	*p;
	int	 tail;

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!hook_traces(total))
		return hook_real.calloc(nmemb, size);
	if ((tail = hook_tail_for(total)) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = hook_real.calloc(1, total + (size_t)tail)) != NULL)
		hook_track(p, total, (unsigned)tail, caller);
	return p;
}

/* Puts back a block whose realloc failed: it is still the caller's. */
static void
hook_restore(const struct blk_entry *e)
{
	struct blk_entry	unused;
	int			saved = errno;
	int			g = guard_enter();	/* a signal must not re-enter the shard lock */

	blk_insert(e->ptr, e->anchor, e->flags, &unused);
	guard_leave(g);
	errno = saved;
}

static __attribute__((noinline)) void *
hook_realloc_traced(void *ptr, size_t size, void *caller)
{
	struct blk_entry	 e;
	int			 saved = errno, g, was_traced, tail = 0;
	int			 traces = hook_traces(size) && size != 0;
	void			*q;

	g = guard_enter();
	was_traced = blk_remove((uintptr_t)ptr, &e);
	if (was_traced)
		hook_check_guard(&e, BND_AT_REALLOC, caller);
	guard_leave(g);
	errno = saved;
	if (traces && (tail = hook_tail_for(size)) < 0) {
		if (was_traced)
			hook_restore(&e);
		errno = ENOMEM;
		return NULL;
	}
	/* realloc(p, 0) stays the allocator's decision (glibc frees p). */
	q = hook_real.realloc(ptr, size + (size_t)tail);
	if (q == NULL && size != 0) {
		if (was_traced)
			hook_restore(&e);
		return NULL;
	}
	if (was_traced)
		anc_count_free(e.anchor);
	if (q != NULL && traces)
		hook_track(q, size, (unsigned)tail, caller);
	return q;
}

void *
hook_realloc(void *ptr, size_t size, void *caller)
{
	if (ptr == NULL)
		return hook_malloc(size, caller);
	if (guard_depth != 0 || (!blk_maybe_traced() && !hook_traces(size)))
		return hook_real.realloc(ptr, size);
	return hook_realloc_traced(ptr, size, caller);
}

void *
hook_reallocarray(void *ptr, size_t nmemb, size_t size, void *caller)
{
	size_t	total;

	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return hook_realloc(ptr, total, caller);
}

/* The aligned family: the real function with the tail added to the size. */
static void *
hook_aligned(void *(*real)(size_t, size_t), size_t align, size_t size, void *caller)
{
	void	*p;
	int	 tail;

	if (!hook_traces(size))
		return real(align, size);
	if ((tail = hook_tail_for(size)) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = real(align, size + (size_t)tail)) != NULL)
		hook_track(p, size, (unsigned)tail, caller);
	return p;
}

int
hook_posix_memalign(void **out, size_t align, size_t size, void *caller)
{
	void	*p;
	int	 tail, rc;

	if (!hook_traces(size))
		return hook_real.posix_memalign(out, align, size);
	if ((tail = hook_tail_for(size)) < 0)
		return ENOMEM;
	rc = hook_real.posix_memalign(&p, align, size + (size_t)tail);
	if (rc != 0)
		return rc;
	hook_track(p, size, (unsigned)tail, caller);
	*out = p;
	return 0;
}

void *
hook_aligned_alloc(size_t align, size_t size, void *caller)
{
	return hook_aligned(hook_real.aligned_alloc, align, size, caller);
}

void *
hook_memalign(size_t align, size_t size, void *caller)
{
	return hook_aligned(hook_real.memalign, align, size, caller);
}

void *
hook_valloc(size_t size, void *caller)
{
	return hook_aligned(hook_real.memalign, (size_t)getpagesize(), size, caller);
}

/* pvalloc rounds the size up to whole pages; the guard sits after the rounded size. */
void *
hook_pvalloc(size_t size, void *caller)
{
	size_t	page = (size_t)getpagesize();

	if (size > SIZE_MAX - 2 * page) {
		errno = ENOMEM;
		return NULL;
	}
	return hook_aligned(hook_real.memalign, page,
	    (size + page - 1) & ~(page - 1), caller);
}

/* strdup and strndup allocate through hook_malloc so they count once, at their caller. */
char *
hook_strdup(const char *s, void *caller)
{
	size_t	 n = strlen(s) + 1;
	char	*d = hook_malloc(n, caller);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

char *
hook_strndup(const char *s, size_t max, void *caller)
{
	size_t	 n = strnlen(s, max);
	char	*d = hook_malloc(n + 1, caller);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* A traced block reports its requested size: writing more would touch its guard. */
size_t
hook_usable_size(void *ptr)
{
	struct blk_entry	e;
	int			g, found;

	if (ptr == NULL)
		return 0;
	if (guard_depth == 0 && blk_maybe_traced()) {
		g = guard_enter();
		found = blk_lookup((uintptr_t)ptr, &e);
		guard_leave(g);
		if (found)
			return anc_size(e.anchor);
	}
	return hook_real.usable_size(ptr);
}
