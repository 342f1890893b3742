/*
 * settings.c - the agent's settings changed while it runs.
 *
 * The C API and the control socket used to reach the same fields through
 * each other, converting seconds to 10 ms ticks and back; here each setting
 * has one setter in its own unit, and both callers convert only their own
 * input.
 */
#include "anchor.h"
#include "block.h"
#include "bound.h"
#include "checker.h"
#include "config.h"
#include "settings.h"
#include "view.h"

static int	stg_may_trace;	/* the agent has started and not finished */

int
stg_limit(size_t min_size, size_t max_size)
{
	if (min_size > max_size)
		return (-1);
	CFG_SET(min_size, min_size);
	CFG_SET(max_size, max_size);
	return (0);
}

void
stg_flags(int dup, int bound)
{
	CFG_SET(dup_check, dup != 0);
	CFG_SET(bound_check, bound != 0);
}

void
stg_check(int enabled, unsigned period_ms)
{
	if (period_ms > 0)
		CFG_SET(check_period_ms, period_ms);
	CFG_SET(check_enabled, enabled != 0);
	chk_update();
}

int
stg_method(int method)
{
	if (method < CFG_METHOD_ADDR || method > CFG_METHOD_UNWIND)
		return (-1);
	CFG_SET(method, method);
	return (0);
}

int
stg_depth(int depth)
{
	if (depth < 1 || depth > CFG_MAX_DEPTH)
		return (-1);
	CFG_SET(depth, depth);
	return (0);
}

void
stg_tail(int bytes)
{
	if (bytes < 0)
		bytes = 0;
	if (bytes > CFG_MAX_TAIL)
		bytes = CFG_MAX_TAIL;
	CFG_SET(tail, bytes);
}

void
stg_start(void)
{
	if (__atomic_load_n(&stg_may_trace, __ATOMIC_ACQUIRE))
		CFG_SET(tracing, 1);
}

void
stg_stop(void)
{
	CFG_SET(tracing, 0);
	blk_clear();
	anc_reset();
	bnd_reset();
	view_reset();
}

void
stg_running(int running)
{
	__atomic_store_n(&stg_may_trace, running != 0, __ATOMIC_RELEASE);
}
