/*
 * stack.c - call stack capture: return address, frame pointers, libunwind
 * or glibc backtrace(), chosen at run time.
 *
 * Every method captures a few frames more than asked and then starts the
 * stack at the hooked function's own return address, so the agent's frames
 * never appear and never count against the depth.
 */
#define UNW_LOCAL_ONLY
#include <execinfo.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "guard.h"
#include "stack.h"

#define STK_SLACK	12		/* agent and unwinder frames above the caller */

static uintptr_t	stk_agent_lo, stk_agent_hi;	/* our own text, preload only */

/* The unwinder gate: a fork waits while stk_unwinding threads are inside one. */
static int		stk_forking;
static unsigned		stk_unwinding;
static __thread int	stk_inside __attribute__((tls_model("initial-exec")));

/* The thread's stack, for a frame-pointer walk that never leaves it. */
static __thread uintptr_t stk_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stk_hi __attribute__((tls_model("initial-exec")));

int
stk_in_unwinder(void)
{
	return stk_inside;
}

int
stk_is_agent(uintptr_t addr)
{
	return addr >= stk_agent_lo && addr < stk_agent_hi;
}

#ifndef JHOOK_WRAP
/* dl_iterate_phdr visitor: records the executable segment holding stk_capture. */
static int
stk_find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t	self = (uintptr_t)arg, lo, hi;
	int		i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		lo = info->dlpi_addr + ph->p_vaddr;
		hi = lo + ph->p_memsz;
		if (self >= lo && self < hi) {
			stk_agent_lo = lo;
			stk_agent_hi = hi;
			return 1;
		}
	}
	return 0;
}
#endif

void
stk_initialise(void)
{
	uintptr_t	warm[4];
	int		g = guard_enter();

#ifndef JHOOK_WRAP
	/* In a static binary the agent is part of the executable: no range. */
	dl_iterate_phdr(stk_find_self, (void *)(uintptr_t)stk_capture);
#endif
	/* First use loads libgcc_s and fills caches: do it here, not in a hook. */
	stk_inside = 1;		/* libunwind opens its pipe now: see preload.c's pipe2 */
	backtrace((void **)warm, 4);
	unw_backtrace((void **)warm, 4);
	stk_inside = 0;
	guard_leave(g);
}

/* Learns this thread's stack bounds once; 0 when they cannot be known. */
static int
stk_bounds(void)
{
	pthread_attr_t	 attr;
	void		*addr;
	size_t		 size;
	int		 g;

	if (stk_hi != 0)
		return 1;
	g = guard_enter();		/* pthread_getattr_np may allocate */
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			stk_lo = (uintptr_t)addr;
			stk_hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
	guard_leave(g);
	return stk_hi != 0;
}

/* Follows saved frame pointers, reading only inside this thread's stack. */
static __attribute__((noinline)) unsigned
stk_walk_fp(uintptr_t *out, unsigned max)
{
	uintptr_t	*fp = __builtin_frame_address(0);
	unsigned	 n = 0;

	if (!stk_bounds())
		return 0;
	while (n < max) {
		uintptr_t a = (uintptr_t)fp;

		/* Written so that a garbage frame pointer near 2^64 cannot wrap past the check. */
		if (a < stk_lo || a > stk_hi - 2 * sizeof(uintptr_t) || (a & 7))
			break;
		if (fp[1] == 0)
			break;
		out[n++] = fp[1];
		if ((uintptr_t *)fp[0] <= fp)
			break;
		fp = (uintptr_t *)fp[0];
	}
	return n;
}

/* Enters the unwinders, unless a fork is waiting for them to be idle (Dekker-style). */
static void
stk_gate_enter(void)
{
	for (;;) {
		while (__atomic_load_n(&stk_forking, __ATOMIC_SEQ_CST))
			sched_yield();
		__atomic_add_fetch(&stk_unwinding, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&stk_forking, __ATOMIC_SEQ_CST))
			break;
		__atomic_sub_fetch(&stk_unwinding, 1, __ATOMIC_SEQ_CST);
	}
	stk_inside = 1;
}

static void
stk_gate_leave(void)
{
	stk_inside = 0;
	__atomic_sub_fetch(&stk_unwinding, 1, __ATOMIC_SEQ_CST);
}

void
stk_fork_prepare(void)
{
	/* A signal handler that forks on a thread inside an unwinder waits for the others only. */
	unsigned	self = stk_inside ? 1 : 0;

	__atomic_store_n(&stk_forking, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&stk_unwinding, __ATOMIC_SEQ_CST) > self)
		sched_yield();
}

void
stk_fork_parent(void)
{
	__atomic_store_n(&stk_forking, 0, __ATOMIC_SEQ_CST);
}

void
stk_fork_child(void)
{
	__atomic_store_n(&stk_unwinding, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&stk_forking, 0, __ATOMIC_SEQ_CST);
}

/* Walks the stack with libunwind or glibc's backtrace(), inside the gate. */
static unsigned
stk_walk_unwinder(int method, uintptr_t *out, unsigned max)
{
	int	n;

	stk_gate_enter();
	if (method == CFG_METHOD_UNWIND)
		n = unw_backtrace((void **)out, (int)max);
	else
		n = backtrace((void **)out, (int)max);
	stk_gate_leave();
	return n > 0 ? (unsigned)n : 0;
}

static unsigned
stk_walk(int method, uintptr_t *out, unsigned max)
{
	switch (method) {
	case CFG_METHOD_FP:
		return stk_walk_fp(out, max);
	case CFG_METHOD_UNWIND:
	case CFG_METHOD_BACKTRACE:
		return stk_walk_unwinder(method, out, max);
	default:
		return 0;
	}
}

/* Index of the first frame that belongs to the traced program. */
static unsigned
stk_first_frame(const uintptr_t *raw, unsigned n, uintptr_t caller)
{
	unsigned	i;

	for (i = 0; i < n && i < STK_SLACK; i++) {
		if (raw[i] == caller)
			return i;
	}
	/* The caller was not seen (inlined or tail-called): skip our own code. */
	for (i = 0; i < n && stk_is_agent(raw[i]); i++)
		;
	return i;
}

/* Walks depth + STK_SLACK frames into a buffer sized to them (small stacks matter: see anchor.c). */
static unsigned
stk_capture_deep(int method, unsigned depth, void *caller, uintptr_t *out)
{
	uintptr_t	raw[depth + STK_SLACK];
	unsigned	n, first, k;

	n = stk_walk(method, raw, depth + STK_SLACK);
	first = stk_first_frame(raw, n, (uintptr_t)caller);
	k = n - first < depth ? n - first : depth;
	if (k == 0) {
		out[0] = (uintptr_t)caller;
		return 1;
	}
	memcpy(out, raw + first, k * sizeof *out);
	return k;
}

unsigned
stk_capture(int method, unsigned depth, void *caller, uintptr_t *out)
{
	if (depth <= 1 || method == CFG_METHOD_ADDR) {
		out[0] = (uintptr_t)caller;
		return 1;
	}
	if (depth > CFG_MAX_DEPTH)
		depth = CFG_MAX_DEPTH;
	return stk_capture_deep(method, depth, caller, out);
}
