/*
 * arena.h - the agent's own memory.
 *
 * Everything the agent keeps comes from mmap, never from malloc, so its
 * bookkeeping is never counted and can never recurse into the hooks.
 */
#ifndef JHOOK_ARENA_H
#define JHOOK_ARENA_H

#include <stddef.h>

/* Zeroed pages, rounded up to the page size; NULL when the kernel refuses. */
void	*arena_pages(size_t len);
/* Returns pages obtained from arena_pages() with the same length. */
void	 arena_release(void *p, size_t len);
/* Long-lived records (never freed), 16-byte aligned, zeroed; thread safe. */
void	*arena_alloc(size_t len);
/* Bytes the agent holds from the kernel, for status and benchmarks. */
size_t	 arena_bytes(void);
/* Holds the record lock across fork so the child never inherits it held. */
void	 arena_fork_prepare(void);
void	 arena_fork_parent(void);
void	 arena_fork_child(void);

#endif /* JHOOK_ARENA_H */
