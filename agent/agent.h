/*
 * agent.h - the agent's life cycle, shared by both entry modes.
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
