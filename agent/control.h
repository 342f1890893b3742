/*
 * control.h - the control socket: one Unix socket per traced process,
 * served by a thread of its own (protocol: proto/proto.h).
 *
 * The thread runs inside guard_enter() for its whole life, so nothing
 * it allocates is traced, and it only reads what the hooks publish: a hook
 * never waits on it.  JHOOK_CONTROL=rw (default), ro (read-only commands
 * only) or off (no socket).
 */
#ifndef JHOOK_CONTROL_H
#define JHOOK_CONTROL_H

/* Starts the control thread (also when dormant); it opens <dir>/<pid>.sock. */
void	ctl_initialise(void);
/* Removes this process's socket; the thread is left to die with the process. */
void	ctl_finalise(void);
/* In a forked child: drops the parent's socket and opens the child's own. */
void	ctl_fork_child(void);

#endif /* JHOOK_CONTROL_H */
