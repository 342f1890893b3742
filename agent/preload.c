/*
 * preload.c - the LD_PRELOAD entry points: the allocator family itself.
 *
 * Each function hands the real allocator's work and its caller's return
 * address to hook.c.  The real functions are found with dlsym(RTLD_NEXT)
 * on first use; dlsym itself may allocate, so while it runs requests are
 * served from a small static arena whose blocks are never given back.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "fd.h"
#include "hook.h"
#include "stack.h"

#define BOOT_SIZE	(64 * 1024)
#define BOOT_HEADER	16		/* each bootstrap block keeps its size in front */

struct hook_real hook_real;

static char	boot_arena[BOOT_SIZE] __attribute__((aligned(16)));
static int	(*preload_real_pipe2)(int *, int);
static size_t	boot_used;
static int	boot_resolving;

/* A zeroed block from the bootstrap arena; NULL when it is exhausted. */
static void *
boot_alloc(size_t size)
{
	size_t	need = BOOT_HEADER + ((size + 15) & ~(size_t)15);
	char	*p;

	if (size > BOOT_SIZE || need > BOOT_SIZE - boot_used)
		return NULL;
	p = boot_arena + boot_used;
	boot_used += need;
	*(size_t *)p = size;
	return p + BOOT_HEADER;
}

static int
boot_owns(const void *p)
{
	return (const char *)p >= boot_arena && (const char *)p < boot_arena + BOOT_SIZE;
}

static size_t
boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - BOOT_HEADER);
}

/* memalign stands in for an allocator that has no aligned_alloc. */
static void *
preload_aligned_fallback(size_t align, size_t size)
{
	return hook_real.memalign(align, size);
}

/* Finds the next definition of each allocator function, once. */
static void
preload_resolve(void)
{
	struct hook_real r;

	boot_resolving = 1;
	r.malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	r.free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	r.calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	r.realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	r.posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	r.aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	r.memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
	r.usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	if (r.aligned_alloc == NULL)
		r.aligned_alloc = preload_aligned_fallback;
	preload_real_pipe2 = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
	hook_real = r;
	boot_resolving = 0;
}

/* 0 when the real allocator is known; -1 while dlsym is still finding it. */
static inline int
preload_ready(void)
{
	if (__builtin_expect(hook_real.malloc != NULL, 1))
		return 0;
	if (boot_resolving)
		return -1;
	preload_resolve();
	return 0;
}

JHOOK_EXPORT void *
malloc(size_t size)
{
	if (preload_ready() < 0)
		return boot_alloc(size);
	return hook_malloc(size, __builtin_return_address(0));
}

JHOOK_EXPORT void
free(void *ptr)
{
	if (boot_owns(ptr) || preload_ready() < 0)
		return;
	hook_free(ptr, __builtin_return_address(0));
}

JHOOK_EXPORT void *
calloc(size_t nmemb, size_t size)
{
	size_t	total;

	if (preload_ready() < 0) {
		if (__builtin_mul_overflow(nmemb, size, &total))
			return NULL;
		return boot_alloc(total);
	}
	return hook_calloc(nmemb, size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
realloc(void *ptr, size_t size)
{
	void	*q;

	if (preload_ready() < 0)
		return NULL;
	if (boot_owns(ptr)) {
		/* Leave the bootstrap arena for a real block. */
		q = hook_malloc(size, __builtin_return_address(0));
		if (q != NULL)
			memcpy(q, ptr, boot_size(ptr) < size ? boot_size(ptr) : size);
		return q;
	}
	return hook_realloc(ptr, size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t	total;

	if (boot_owns(ptr)) {
		if (__builtin_mul_overflow(nmemb, size, &total)) {
			errno = ENOMEM;
			return NULL;
		}
		return realloc(ptr, total);
	}
	preload_ready();
	return hook_reallocarray(ptr, nmemb, size, __builtin_return_address(0));
}

JHOOK_EXPORT int
posix_memalign(void **out, size_t align, size_t size)
{
	if (preload_ready() < 0)
		return ENOMEM;
	return hook_posix_memalign(out, align, size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
aligned_alloc(size_t align, size_t size)
{
	if (preload_ready() < 0)
		return NULL;
	return hook_aligned_alloc(align, size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
memalign(size_t align, size_t size)
{
	if (preload_ready() < 0)
		return NULL;
	return hook_memalign(align, size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
valloc(size_t size)
{
	if (preload_ready() < 0)
		return NULL;
	return hook_valloc(size, __builtin_return_address(0));
}

JHOOK_EXPORT void *
pvalloc(size_t size)
{
	if (preload_ready() < 0)
		return NULL;
	return hook_pvalloc(size, __builtin_return_address(0));
}

JHOOK_EXPORT char *
strdup(const char *s)
{
	preload_ready();
	return hook_strdup(s, __builtin_return_address(0));
}

JHOOK_EXPORT char *
strndup(const char *s, size_t n)
{
	preload_ready();
	return hook_strndup(s, n, __builtin_return_address(0));
}

JHOOK_EXPORT size_t
malloc_usable_size(void *ptr)
{
	if (boot_owns(ptr))
		return boot_size(ptr);
	if (preload_ready() < 0)
		return 0;
	return hook_usable_size(ptr);
}

/*
 * libunwind keeps a pipe to probe memory, opened at the lowest free
 * numbers (3 and 4, where the host's own files go next), which it reads,
 * writes and, when a read fails, closes.  A pipe made while the agent is
 * inside an unwinder is moved far up, out of the host's way; every other
 * caller gets pipe2 exactly as it is.
 */
JHOOK_EXPORT int
pipe2(int fds[2], int flags)
{
	int	rc;

	if (preload_real_pipe2 == NULL)
		preload_real_pipe2 = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
	rc = preload_real_pipe2(fds, flags);
	if (rc == 0 && stk_in_unwinder()) {
		fds[0] = fd_move_high(fds[0]);
		fds[1] = fd_move_high(fds[1]);
	}
	return rc;
}

static __attribute__((constructor)) void
preload_load(void)
{
	preload_ready();
	agent_initialise();
}

/* Lowest priority: after the program's own destructors in this object. */
static __attribute__((destructor(101))) void
preload_unload(void)
{
	agent_finalise();
}
