/*
 * agent.h - the agent's life cycle, shared by both entry modes.
 *
 * The agent's modules form layers; each includes only headers of the layers
 * below it, so data flows one way: hooks -> tables -> snapshot -> transport.
 *
 *   entry points    preload.c (LD_PRELOAD), wrap.c (--wrap), api.c (jhook_*)
 *   life cycle      agent.c: brings the modules up and down, fork, exit
 *   transport       control.c (the socket), command.c (its commands)
 *   destinations    report.c (exit report, log), checker.c (periodic thread)
 *   settings        settings.c: run-time changes in their own units
 *   documents       snapshot.c: the one selection and writer of reports
 *   hooks           hook.c: the allocator policy; stack.c: call stacks
 *   tables          block.c, anchor.c, bound.c, view.c, module.c, symbol.c
 *   leaves          config.c, guard.h, lock.h, arena.c, fmt.c, sort.c, fd.c
 *
 * Nothing below the transport calls up into it; the hooks never wait on a
 * reporter, and nothing inside a hook symbolizes or writes a file.
 */
#ifndef JHOOK_AGENT_H
#define JHOOK_AGENT_H

/* Only the hooked allocator symbols and the jhook_* API leave the library. */
#define JHOOK_EXPORT	__attribute__((visibility("default")))

/* Brings every module up in order; idempotent; called from the constructor. */
void	agent_initialise(void);
/* Writes the exit report and turns tracing off for good; called last at exit. */
void	agent_finalise(void);

#endif /* JHOOK_AGENT_H */
