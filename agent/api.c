/*
 * api.c - the original C API, for the program itself and for gdb's `call`.
 */
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "agent.h"
#include "bound.h"
#include "checker.h"
#include "config.h"
#include "fmt.h"
#include "hook.h"
#include "jhook.h"
#include "report.h"
#include "view.h"

#define API_TICK_MS	10	/* jhook_set_check counts in 10 ms ticks */

/* 0 when the calling thread may take the agent's locks; else says why not. */
static int
api_refused(const char *what)
{
	if (!hook_interrupted())
		return 0;
	fmt_warn("%s refused: this thread was stopped inside the agent "
	    "(mid-allocation); let it run a moment and call again", what);
	return 1;
}

JHOOK_EXPORT int
jhook_init(int tail_num)
{
	if (tail_num < 0)
		tail_num = 0;
	if (tail_num > CFG_MAX_TAIL)
		tail_num = CFG_MAX_TAIL;
	CFG_SET(tail, tail_num);
	agent_initialise();
	return 0;
}

JHOOK_EXPORT void
jhook_uninit(void)
{
	int	g;

	if (api_refused("jhook_uninit"))
		return;
	g = hook_guard_enter();

	CFG_SET(check_enabled, 0);
	chk_finalise();
	agent_stop();
	hook_guard_leave(g);
}

JHOOK_EXPORT void
jhook_start(void)
{
	agent_start();
}

JHOOK_EXPORT void
jhook_stop(void)
{
	int	g;

	if (api_refused("jhook_stop"))
		return;
	g = hook_guard_enter();

	agent_stop();
	hook_guard_leave(g);
}

JHOOK_EXPORT void
jhook_check_bound(void)
{
	int	g;

	if (api_refused("jhook_check_bound"))
		return;
	g = hook_guard_enter();

	bnd_scan();
	hook_guard_leave(g);
}

/* Like the original, the table goes to stdout (or to JHOOK_LOG when set). */
JHOOK_EXPORT void
jhook_check_leak(int choice)
{
	struct fmt_out	o;
	int		g, fd = 1;

	if (api_refused("jhook_check_leak"))
		return;
	g = hook_guard_enter();

	if (cfg.log_path[0] != '\0')
		fd = open(cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		fmt_open(&o, fd);
		rep_leak_text(&o, choice, VIEW_LEGACY);
		fmt_flush(&o);
		if (fd != 1)
			close(fd);
	}
	hook_guard_leave(g);
}

JHOOK_EXPORT void
jhook_set_flag(int dup_flag, int bound_flag)
{
	CFG_SET(dup_check, dup_flag != 0);
	CFG_SET(bound_check, bound_flag != 0);
}

JHOOK_EXPORT void
jhook_set_check(int check_flag, int check_count)
{
	int	g = hook_guard_enter();

	if (check_count > 0)
		CFG_SET(check_period_ms, (unsigned)check_count * API_TICK_MS);
	CFG_SET(check_enabled, check_flag != 0);
	chk_update();
	hook_guard_leave(g);
}

JHOOK_EXPORT void
jhook_set_method(int method)
{
	if (method < CFG_METHOD_ADDR || method > CFG_METHOD_UNWIND) {
		fmt_warn("jhook_set_method(%d) refused: expected 0..3", method);
		return;
	}
	CFG_SET(method, method);
}

JHOOK_EXPORT void
jhook_set_depth(int depth)
{
	if (depth < 1 || depth > CFG_MAX_DEPTH) {
		fmt_warn("jhook_set_depth(%d) refused: expected 1..%d", depth, CFG_MAX_DEPTH);
		return;
	}
	CFG_SET(depth, depth);
}

JHOOK_EXPORT void
jhook_set_limit(size_t min_limit, size_t max_limit)
{
	if (min_limit > max_limit) {
		fmt_warn("jhook_set_limit(%zu, %zu) refused: min above max", min_limit, max_limit);
		return;
	}
	CFG_SET(min_size, min_limit);
	CFG_SET(max_size, max_limit);
}
