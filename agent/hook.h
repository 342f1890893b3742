/*
 * hook.h - the allocator family, traced.
 *
 * The entry points (preload.c for LD_PRELOAD, wrap.c for -Wl,--wrap) only
 * pass the real allocator and their caller's return address to these; all
 * policy lives here, once.
 */
#ifndef JHOOK_HOOK_H
#define JHOOK_HOOK_H

#include <stddef.h>

#include "block.h"
#include "config.h"
#include "guard.h"

/* The allocator underneath: glibc, jemalloc, tcmalloc, or __real_* when wrapped. */
struct hook_real {
	void	*(*malloc)(size_t);
	void	 (*free)(void *);
	void	*(*calloc)(size_t, size_t);
	void	*(*realloc)(void *, size_t);
	int	 (*posix_memalign)(void **, size_t, size_t);
	void	*(*aligned_alloc)(size_t, size_t);
	void	*(*memalign)(size_t, size_t);
	size_t	 (*usable_size)(void *);
};

extern struct hook_real hook_real;

/* The slow paths of hook_malloc and hook_free: a traced allocation, a free that may be one. */
void	*hook_malloc_traced(size_t size, void *caller) __attribute__((noinline));
void	 hook_free_traced(void *ptr, void *caller) __attribute__((noinline));
void	*hook_calloc_traced(size_t nmemb, size_t size, void *caller) __attribute__((noinline));

/* 1 when an allocation of size made now is to be traced. */
static inline int
hook_traces(size_t size)
{
	return CFG_GET(tracing) && guard_depth == 0 &&
	    size >= CFG_GET(min_size) && size <= CFG_GET(max_size);
}

/* The two hottest entries, inline in the entry points: a few loads when nothing is traced. */
static inline void *
hook_malloc(size_t size, void *caller)
{
	if (!hook_traces(size))
		return hook_real.malloc(size);
	return hook_malloc_traced(size, caller);
}

/* Untraced, the real calloc checks nmemb * size itself. */
static inline void *
hook_calloc(size_t nmemb, size_t size, void *caller)
{
	if (!CFG_GET(tracing) || guard_depth != 0)
		return hook_real.calloc(nmemb, size);
	return hook_calloc_traced(nmemb, size, caller);
}

static inline void
hook_free(void *ptr, void *caller)
{
	if (ptr == NULL)
		return;
	if (guard_depth != 0 || !blk_maybe_traced()) {
		hook_real.free(ptr);
		return;
	}
	hook_free_traced(ptr, caller);
}

void	*hook_realloc(void *ptr, size_t size, void *caller);
void	*hook_reallocarray(void *ptr, size_t nmemb, size_t size, void *caller);
int	 hook_posix_memalign(void **out, size_t align, size_t size, void *caller);
void	*hook_aligned_alloc(size_t align, size_t size, void *caller);
void	*hook_memalign(size_t align, size_t size, void *caller);
void	*hook_valloc(size_t size, void *caller);
void	*hook_pvalloc(size_t size, void *caller);
char	*hook_strdup(const char *s, void *caller);
char	*hook_strndup(const char *s, size_t n, void *caller);
size_t	 hook_usable_size(void *ptr);

#endif /* JHOOK_HOOK_H */
