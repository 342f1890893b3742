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
#include "guard.h"
#include "jhook.h"
#include "report.h"
#include "settings.h"
#include "snapshot.h"
#include "view.h"

#define API_TICK_MS	10	/* jhook_set_check counts in 10 ms ticks */

/* 0 when the calling thread may take the agent's locks; else says why not. */
static int
api_refused(const char *what)
{
	if (!guard_interrupted())
		return 0;
	fmt_warn("%s refused: this thread was stopped inside the agent "
	    "(mid-allocation); let it run a moment and call again", what);
	return 1;
}

JHOOK_EXPORT int
jhook_init(int tail_num)
{
	stg_tail(tail_num);
	agent_initialise();
	return 0;
}

JHOOK_EXPORT void
jhook_uninit(void)
{
	int	g;

	if (api_refused("jhook_uninit"))
		return;
	g = guard_enter();

	stg_check(0, 0);
	chk_finalise();
	stg_stop();
	guard_leave(g);
}

JHOOK_EXPORT void
jhook_start(void)
{
	stg_start();
}

JHOOK_EXPORT void
jhook_stop(void)
{
	int	g;

	if (api_refused("jhook_stop"))
		return;
	g = guard_enter();

	stg_stop();
	guard_leave(g);
}

JHOOK_EXPORT void
jhook_check_bound(void)
{
	int	g;

	if (api_refused("jhook_check_bound"))
		return;
	g = guard_enter();

	bnd_scan();
	rep_news();
	guard_leave(g);
}

/* Like the original, the table goes to stdout (or to JHOOK_LOG when set). */
JHOOK_EXPORT void
jhook_check_leak(int choice)
{
	struct snap_query	q = { .choice = choice, .consumer = VIEW_LEGACY,
				      .sort = SNAP_SORT_BYTES };
	struct fmt_out		o;
	int			g, fd = 1;

	if (api_refused("jhook_check_leak"))
		return;
	g = guard_enter();

	if (cfg.log_path[0] != '\0')
		fd = open(cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		fmt_open(&o, fd);
		snap_text(&o, &q, 0);
		fmt_flush(&o);
		if (fd != 1)
			close(fd);
	}
	guard_leave(g);
}

JHOOK_EXPORT void
jhook_set_flag(int dup_flag, int bound_flag)
{
	stg_flags(dup_flag, bound_flag);
}

JHOOK_EXPORT void
jhook_set_check(int check_flag, int check_count)
{
	int	g = guard_enter();

	stg_check(check_flag, check_count > 0 ? (unsigned)check_count * API_TICK_MS : 0);
	guard_leave(g);
}

JHOOK_EXPORT void
jhook_set_method(int method)
{
	if (stg_method(method) != 0)
		fmt_warn("jhook_set_method(%d) refused: expected 0..3", method);
}

JHOOK_EXPORT void
jhook_set_depth(int depth)
{
	if (stg_depth(depth) != 0)
		fmt_warn("jhook_set_depth(%d) refused: expected 1..%d", depth, CFG_MAX_DEPTH);
}

JHOOK_EXPORT void
jhook_set_limit(size_t min_limit, size_t max_limit)
{
	if (stg_limit(min_limit, max_limit) != 0)
		fmt_warn("jhook_set_limit(%zu, %zu) refused: min above max", min_limit, max_limit);
}
