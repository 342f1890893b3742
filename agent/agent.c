/*
 * agent.c - the agent's life cycle: modules brought up in order when the
 * agent loads, fork handled, the exit report written last.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "anchor.h"
#include "arena.h"
#include "block.h"
#include "bound.h"
#include "checker.h"
#include "config.h"
#include "control.h"
#include "guard.h"
#include "module.h"
#include "report.h"
#include "settings.h"
#include "stack.h"
#include "view.h"

enum agent_state {
	AGENT_NONE,
	AGENT_STARTING,
	AGENT_RUNNING,
	AGENT_FINISHED,
};

static int	agent_state_now = AGENT_NONE;

/* Unwinders idle first, then locks in their run-time order: anchors, blocks, the record arena. */
static void
agent_fork_prepare(void)
{
	stk_fork_prepare();
	anc_fork_prepare();
	blk_fork_prepare();
	arena_fork_prepare();
}

static void
agent_fork_parent(void)
{
	arena_fork_parent();
	blk_fork_parent();
	anc_fork_parent();
	stk_fork_parent();
}

/* The child keeps counting its own blocks, under its own pid. */
static void
agent_fork_child(void)
{
	arena_fork_child();
	blk_fork_child();
	anc_fork_child();
	stk_fork_child();
	mod_fork_child();
	view_fork_child();
	rep_fork_child();
	cfg_expand_paths();
	chk_fork_child();
	ctl_fork_child();
}

void
agent_initialise(void)
{
	int	g;

	if (agent_state_now != AGENT_NONE)
		return;
	agent_state_now = AGENT_STARTING;
	g = guard_enter();
	cfg_initialise();
	anc_initialise();
	mod_initialise();
	stk_initialise();
	pthread_atfork(agent_fork_prepare, agent_fork_parent, agent_fork_child);
	chk_initialise();
	agent_state_now = AGENT_RUNNING;
	stg_running(1);
	if (cfg.start_on_load)
		CFG_SET(tracing, 1);
	ctl_initialise();
	guard_leave(g);
}

void
agent_finalise(void)
{
	int	g;

	if (agent_state_now != AGENT_RUNNING)
		return;
	agent_state_now = AGENT_FINISHED;
	g = guard_enter();
	stg_running(0);
	CFG_SET(tracing, 0);
	chk_finalise();
	ctl_finalise();
	bnd_scan();	/* a block still live at exit may have overflowed too */
	rep_news();
	rep_exit();
	guard_leave(g);
}
