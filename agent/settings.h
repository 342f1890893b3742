/*
 * settings.h - the agent's settings changed while it runs, in their own
 * units, checked once here for the C API (api.c) and the control socket's
 * commands (command.c) alike.
 */
#ifndef JHOOK_SETTINGS_H
#define JHOOK_SETTINGS_H

#include <stddef.h>

/* Each returns 0, or -1 when the value is refused and nothing changed. */
int	stg_limit(size_t min_size, size_t max_size);	/* min above max: refused */
void	stg_flags(int dup, int bound);
/* The periodic checker on or off; period_ms 0 keeps the period. */
void	stg_check(int enabled, unsigned period_ms);
int	stg_method(int method);				/* enum cfg_method */
int	stg_depth(int depth);				/* 1..CFG_MAX_DEPTH */
/* Guard bytes for blocks allocated from now on, clamped to 0..CFG_MAX_TAIL. */
void	stg_tail(int bytes);

/* Tracing on, once the agent runs (stg_running). */
void	stg_start(void);
/* Tracing off; every anchor, block, overflow, total and view is forgotten. */
void	stg_stop(void);
/* Whether the agent's life cycle allows tracing (agent.c says so). */
void	stg_running(int running);

#endif /* JHOOK_SETTINGS_H */
