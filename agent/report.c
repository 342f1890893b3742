/*
 * report.c - where the agent's documents go: the exit report to
 * JHOOK_REPORT, the periodic checker's table and new overflows to JHOOK_LOG
 * (stderr when unset).  What is written is snapshot.c's; this file only
 * opens, writes and closes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bound.h"
#include "config.h"
#include "fmt.h"
#include "lock.h"
#include "report.h"
#include "snapshot.h"
#include "view.h"

/* Overflows already printed to the log, and the drops already told of. */
static struct {
	lock_t		lock;
	unsigned	printed;
	unsigned	dropped;
} rep_seen = { LOCK_INITIALISER, 0, 0 };

/* Opens path for writing with flags, or says why not and gives stderr. */
static int
rep_open(const char *path, int flags)
{
	int	fd;

	if (path[0] == '\0')
		return (STDERR_FILENO);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644)) == -1) {
		fmt_warn("cannot open %s: %s; writing to stderr", path, strerrordesc_np(errno));
		return (STDERR_FILENO);
	}
	return (fd);
}

/* Closes what rep_open gave, leaving stderr open. */
static void
rep_close(int fd)
{
	if (fd != STDERR_FILENO)
		close(fd);
}

/* The exit report's query: every anchor still holding blocks, most bytes first. */
static const struct snap_query rep_exit_query = {
	.choice = 2,
	.consumer = VIEW_LEGACY,
	.sort = SNAP_SORT_BYTES,
};

/* The periodic checker's query: changed anchors holding blocks, as the original. */
static const struct snap_query rep_periodic_query = {
	.choice = 0,
	.consumer = VIEW_LEGACY,
	.sort = SNAP_SORT_BYTES,
};

void
rep_periodic(void)
{
	struct fmt_out	o;
	int		saved = errno, fd = rep_open(cfg.log_path, O_APPEND);

	fmt_open(&o, fd);
	snap_text(&o, &rep_periodic_query, 0);
	fmt_flush(&o);
	rep_close(fd);
	errno = saved;
}

void
rep_news(void)
{
	struct fmt_out	o;
	struct bnd_view	b;
	unsigned	n, lost, i;
	int		saved = errno, fd = -1;

	lock_acquire(&rep_seen.lock);
	n = bnd_count();
	lost = bnd_dropped();
	/* jhook_stop forgot the records: start over with the new ones. */
	if (n < rep_seen.printed || lost < rep_seen.dropped)
		rep_seen.printed = rep_seen.dropped = 0;
	for (i = rep_seen.printed; i < n; i++) {
		if (!bnd_get(i, &b))
			break;		/* reserved, not yet published: next time */
		if (fd == -1) {
			fd = rep_open(cfg.log_path, O_APPEND);
			fmt_open(&o, fd);
		}
		snap_bound_text(&o, &b);
	}
	rep_seen.printed = i;
	if (lost > rep_seen.dropped) {
		if (fd == -1) {
			fd = rep_open(cfg.log_path, O_APPEND);
			fmt_open(&o, fd);
		}
		fmt_printf(&o, "jhook: %u more heap overflow(s) not recorded\n",
		    lost - rep_seen.dropped);
		rep_seen.dropped = lost;
	}
	if (fd != -1) {
		fmt_flush(&o);
		rep_close(fd);
	}
	lock_release(&rep_seen.lock);
	errno = saved;
}

void
rep_exit(void)
{
	struct fmt_out	o;
	int		saved = errno, fd;

	if (cfg.report_none)
		return;
	fd = rep_open(cfg.report_path, O_TRUNC);
	fmt_open(&o, fd);
	if (cfg.report_format == CFG_FORMAT_JSON)
		snap_leak_json(&o, &rep_exit_query, "", 1);
	else
		snap_text(&o, &rep_exit_query, 1);
	if (fmt_flush(&o) != 0)
		fmt_warn("the exit report could not be written completely");
	rep_close(fd);
	errno = saved;
}

void
rep_fork_child(void)
{
	lock_reset(&rep_seen.lock);
}
