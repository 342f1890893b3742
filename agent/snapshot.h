/*
 * snapshot.h - the one producer of the agent's documents: the selection of
 * anchors and the writers of the text table and of the JSON document, used
 * by the exit report, the periodic checker, jhook_check_leak and the
 * control socket alike.
 */
#ifndef JHOOK_SNAPSHOT_H
#define JHOOK_SNAPSHOT_H

#include <stdint.h>

/* The "version" of the JSON document (doc/report-format.md). */
#define SNAP_VERSION	1

struct bnd_view;
struct fmt_out;

/* The order anchors are shown in; SNAP_SORT_ID is the table's own. */
enum snap_sort {
	SNAP_SORT_ID = 0,
	SNAP_SORT_DIFF = 1,
	SNAP_SORT_BYTES = 2,
	SNAP_SORT_SIZE = 3,
};
/* As the document spells them, indexed by enum snap_sort. */
extern const char *const snap_sort_names[];

/* Which anchors a look shows, and in what order. */
struct snap_query {
	int		 choice;	/* jhook_check_leak's meaning (view_selects) */
	int		 consumer;	/* view slot; its "changed" is what it last saw */
	int		 peek;		/* look without marking anything seen */
	int64_t		 min_diff;	/* only anchors holding at least this many blocks */
	int		 sort;		/* enum snap_sort */
	unsigned	 top;		/* 0 = every selected anchor */
	uint32_t	 frames_from;	/* anchors below this id: no method, no frames */
};

struct snap_counts {
	uint64_t	shown;
	uint64_t	omitted;	/* selected, but past top */
};

/*
 * The original's table (rule, columns, rows, total= peak=); the exit report
 * adds its header line and the overflows.  A look marks every anchor it
 * shows as seen by q->consumer.
 */
void	snap_text(struct fmt_out *o, const struct snap_query *q, int exit_report);
/* The JSON leak document; pretty breaks lines between entries (files). */
void	snap_leak_json(struct fmt_out *o, const struct snap_query *q,
	    const char *consumer, int pretty);
/* The JSON bound document: every recorded overflow. */
void	snap_bound_json(struct fmt_out *o, int scanned, unsigned found);
/* The JSON modules document. */
void	snap_modules(struct fmt_out *o);
/* One overflow as text, with both stacks symbolized. */
void	snap_bound_text(struct fmt_out *o, const struct bnd_view *b);

#endif /* JHOOK_SNAPSHOT_H */
