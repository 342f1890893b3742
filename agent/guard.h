/*
 * guard.h - the thread-local re-entry guard, the agent's lowest layer.
 *
 * While a thread is inside the guard its allocations pass through
 * untraced.  Every agent path that may allocate (unwinders,
 * dl_iterate_phdr, json-c, thread creation) runs inside it, and the agent's
 * own threads (checker, control) live inside it for good.  Nothing here
 * calls into any other module, so every module may include it.
 */
#ifndef JHOOK_GUARD_H
#define JHOOK_GUARD_H

/* Depth of agent code on this thread's stack; non-zero = pass through untraced. */
extern __thread int guard_depth __attribute__((tls_model("initial-exec")));
/* Set on the agent's own threads. */
extern __thread int guard_is_agent __attribute__((tls_model("initial-exec")));

/* Enters the guard; returns what guard_leave() restores. */
static inline int
guard_enter(void)
{
	int	previous = guard_depth;

	guard_depth = previous + 1;
	return previous;
}

static inline void
guard_leave(int previous)
{
	guard_depth = previous;
}

/* Marks the calling thread as the agent's own for its whole life. */
static inline void
guard_agent_thread(void)
{
	guard_is_agent = 1;
	guard_depth++;
}

/*
 * 1 when the calling thread is a host thread stopped inside a hook, as when
 * gdb attaches mid-allocation and `call`s the API on it: that thread may
 * hold a table lock, so the API must not take one there.
 */
static inline int
guard_interrupted(void)
{
	return guard_depth != 0 && !guard_is_agent;
}

#endif /* JHOOK_GUARD_H */
