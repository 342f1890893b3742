/*
 * lock.h - the agent's spinlock.
 *
 * The hooks cannot use pthread mutexes safely (a mutex may be held across
 * fork in another thread, and its slow path is not ours to audit), so the
 * agent's tables use a test-and-test-and-set lock that yields when contended.
 */
#ifndef JHOOK_LOCK_H
#define JHOOK_LOCK_H

#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#define LOCK_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define LOCK_PAUSE() __asm__ __volatile__("yield")
#else
#define LOCK_PAUSE() ((void)0)
#endif

typedef struct {
	int	held;
} lock_t;

#define LOCK_INITIALISER { 0 }

static inline void
lock_acquire(lock_t *l)
{
	unsigned spins = 0;

	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED)) {
			if (++spins < 64)
				LOCK_PAUSE();
			else
				sched_yield();
		}
	}
}

static inline void
lock_release(lock_t *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* Used only in a forked child, which has one thread: the holder is gone. */
static inline void
lock_reset(lock_t *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
}

#endif /* JHOOK_LOCK_H */
