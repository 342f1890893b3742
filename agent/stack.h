/*
 * stack.h - call stack capture, method chosen at run time.
 */
#ifndef JHOOK_STACK_H
#define JHOOK_STACK_H

#include <stdint.h>

/* Warms up the unwinders (so their first use does not happen in a hook) and records the agent's own text range. */
void	 stk_initialise(void);
/*
 * Fills out[0..depth) with return addresses, innermost first, starting at
 * the caller of the hooked function; `caller` is that function's own
 * __builtin_return_address(0).  Returns the number of frames (>= 1).
 */
unsigned stk_capture(int method, unsigned depth, void *caller, uintptr_t *out);
/*
 * libunwind and libgcc's unwinder hold locks of their own while they walk a
 * stack; a fork in the middle would leave them held in the child forever.
 * A fork waits until no thread is inside one of them.
 */
void	 stk_fork_prepare(void);
void	 stk_fork_parent(void);
void	 stk_fork_child(void);
/* 1 while the calling thread is inside libunwind or backtrace() for the agent. */
int	 stk_in_unwinder(void);
/* 1 when addr lies in the agent's own code. */
int	 stk_is_agent(uintptr_t addr);

#endif /* JHOOK_STACK_H */
