/*
 * wrap.c - the entry points of libjhook-wrap.a for static executables,
 * linked with -Wl,--wrap=malloc,--wrap=free,... (see jhook-wrap.pc):
 * every call to malloc in the program lands in __wrap_malloc, and the real
 * one is __real_malloc.
 */
#include <stddef.h>

#include "agent.h"
#include "hook.h"

void	*__real_malloc(size_t);
void	 __real_free(void *);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
int	 __real_posix_memalign(void **, size_t, size_t);
void	*__real_aligned_alloc(size_t, size_t);
void	*__real_memalign(size_t, size_t);
size_t	 __real_malloc_usable_size(void *);

struct hook_real hook_real = {
	.malloc = __real_malloc,
	.free = __real_free,
	.calloc = __real_calloc,
	.realloc = __real_realloc,
	.posix_memalign = __real_posix_memalign,
	.aligned_alloc = __real_aligned_alloc,
	.memalign = __real_memalign,
	.usable_size = __real_malloc_usable_size,
};

#define WRAP_CALLER	__builtin_return_address(0)

JHOOK_EXPORT void *__wrap_malloc(size_t size);
JHOOK_EXPORT void __wrap_free(void *ptr);
JHOOK_EXPORT void *__wrap_calloc(size_t nmemb, size_t size);
JHOOK_EXPORT void *__wrap_realloc(void *ptr, size_t size);
JHOOK_EXPORT void *__wrap_reallocarray(void *ptr, size_t nmemb, size_t size);
JHOOK_EXPORT int __wrap_posix_memalign(void **out, size_t align, size_t size);
JHOOK_EXPORT void *__wrap_aligned_alloc(size_t align, size_t size);
JHOOK_EXPORT void *__wrap_memalign(size_t align, size_t size);
JHOOK_EXPORT void *__wrap_valloc(size_t size);
JHOOK_EXPORT void *__wrap_pvalloc(size_t size);
JHOOK_EXPORT char *__wrap_strdup(const char *s);
JHOOK_EXPORT char *__wrap_strndup(const char *s, size_t n);
JHOOK_EXPORT size_t __wrap_malloc_usable_size(void *ptr);

void *__wrap_malloc(size_t size) { return hook_malloc(size, WRAP_CALLER); }
void __wrap_free(void *ptr) { hook_free(ptr, WRAP_CALLER); }
void *__wrap_calloc(size_t nmemb, size_t size) { return hook_calloc(nmemb, size, WRAP_CALLER); }
void *__wrap_realloc(void *ptr, size_t size) { return hook_realloc(ptr, size, WRAP_CALLER); }
void *__wrap_reallocarray(void *ptr, size_t nmemb, size_t size) { return hook_reallocarray(ptr, nmemb, size, WRAP_CALLER); }
int __wrap_posix_memalign(void **out, size_t align, size_t size) { return hook_posix_memalign(out, align, size, WRAP_CALLER); }
void *__wrap_aligned_alloc(size_t align, size_t size) { return hook_aligned_alloc(align, size, WRAP_CALLER); }
void *__wrap_memalign(size_t align, size_t size) { return hook_memalign(align, size, WRAP_CALLER); }
void *__wrap_valloc(size_t size) { return hook_valloc(size, WRAP_CALLER); }
void *__wrap_pvalloc(size_t size) { return hook_pvalloc(size, WRAP_CALLER); }
char *__wrap_strdup(const char *s) { return hook_strdup(s, WRAP_CALLER); }
char *__wrap_strndup(const char *s, size_t n) { return hook_strndup(s, n, WRAP_CALLER); }
size_t __wrap_malloc_usable_size(void *ptr) { return hook_usable_size(ptr); }

static __attribute__((constructor)) void
wrap_load(void)
{
	agent_initialise();
}

/* Lowest priority: after the program's own destructors. */
static __attribute__((destructor(101))) void
wrap_unload(void)
{
	agent_finalise();
}
