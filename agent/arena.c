/*
 * arena.c - the agent's own memory, straight from mmap.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "lock.h"

#define ARENA_CHUNK	(1024 * 1024)	/* bump chunk for small records */
#define ARENA_BIG	(64 * 1024)	/* larger requests get their own pages */

static size_t	 arena_held;		/* bytes mapped, for status */
static lock_t	 arena_lock = LOCK_INITIALISER;
static char	*arena_next;		/* free space in the current chunk */
static size_t	 arena_left;

static size_t
arena_round_pages(size_t len)
{
	static size_t page;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return (len + page - 1) & ~(page - 1);
}

void *
arena_pages(size_t len)
{
	void	*p;

	len = arena_round_pages(len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	__atomic_add_fetch(&arena_held, len, __ATOMIC_RELAXED);
	return p;
}

void
arena_release(void *p, size_t len)
{
	if (p == NULL)
		return;
	len = arena_round_pages(len);
	munmap(p, len);
	__atomic_sub_fetch(&arena_held, len, __ATOMIC_RELAXED);
}

void *
arena_alloc(size_t len)
{
	void	*p;

	len = (len + 15) & ~(size_t)15;
	if (len >= ARENA_BIG)
		return arena_pages(len);

	lock_acquire(&arena_lock);
	if (arena_left < len) {
		char *chunk = arena_pages(ARENA_CHUNK);

		if (chunk == NULL) {
			lock_release(&arena_lock);
			return NULL;
		}
		arena_next = chunk;
		arena_left = ARENA_CHUNK;
	}
	p = arena_next;
	arena_next += len;
	arena_left -= len;
	lock_release(&arena_lock);
	return p;
}

size_t
arena_bytes(void)
{
	return __atomic_load_n(&arena_held, __ATOMIC_RELAXED);
}

void
arena_fork_prepare(void)
{
	lock_acquire(&arena_lock);
}

void
arena_fork_parent(void)
{
	lock_release(&arena_lock);
}

void
arena_fork_child(void)
{
	lock_reset(&arena_lock);
}
