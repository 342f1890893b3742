/*
 * view.h - "changed since the last look", kept per consumer.
 *
 * The original kept one `changed` bit per anchor, so any reader hid changes
 * from every other.  Here each consumer (the C API and periodic checker are
 * consumer 0; control-socket clients name their own) remembers the alloc
 * and free counts it last saw of each anchor.
 */
#ifndef JHOOK_VIEW_H
#define JHOOK_VIEW_H

#include <stdint.h>

#define VIEW_LEGACY	0	/* jhook_check_leak and the periodic checker */
#define VIEW_MAX	32	/* consumers at once, the legacy one included */

struct anc_view;

/*
 * The consumer slot for a name ("" or NULL = legacy); -1 when none can be
 * had: every other slot belongs to a consumer seen in the last 10 minutes
 * (an idle one's slot is given to a new name, whose look then sees
 * everything as changed).
 */
int	view_consumer(const char *name);
/* 1 when the anchor's counts differ from what consumer last saw (or it never saw it). */
int	view_changed(int consumer, const struct anc_view *a);
/* Records that consumer has now seen the anchor's counts. */
void	view_mark_seen(int consumer, const struct anc_view *a);
/* 1 when the choice (jhook_check_leak's meaning) selects the anchor. */
int	view_selects(int choice, int changed, const struct anc_view *a);
/* Drops every consumer's state (jhook_stop). */
void	view_reset(void);
/* In a forked child: a lock may have been held by a thread that is gone. */
void	view_fork_child(void);

#endif /* JHOOK_VIEW_H */
