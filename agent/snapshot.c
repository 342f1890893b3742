/*
 * snapshot.c - the one producer of the agent's documents.
 *
 * Every look at the tables goes through here: the exit report, the
 * periodic checker, jhook_check_leak from gdb and the control socket's
 * leak and bound answers.  One selection picks the anchors (the choice,
 * the consumer's "changed since the last look", min_diff, sort and top)
 * and one set of writers prints them, as the original's text table or as
 * the JSON document of doc/report-format.md, so a live answer and the exit
 * report of the same process cannot disagree.
 *
 * Nothing here takes a table lock while it resolves symbols or writes:
 * anchors are read through anc_view's copies and frames are immutable once
 * their anchor exists.  Memory for sorting comes from arena pages, never
 * from the host's allocator.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "arena.h"
#include "bound.h"
#include "config.h"
#include "fmt.h"
#include "module.h"
#include "snapshot.h"
#include "sort.h"
#include "symbol.h"
#include "view.h"

#define SNAP_RULE	"--------------------------------------------------------"
#define SNAP_NAME_MAX	512
#define SNAP_ADDR_COLUMN 36		/* where "addr" starts: four 9-wide columns */
#define SNAP_BOUND_COLUMN 16		/* where "  allocated at: " ends */

const char *const snap_sort_names[] = { "id", "diff", "bytes", "size", NULL };

/* One selected anchor: the counts it was selected with. */
struct snap_item {
	uint32_t	id;
	uint32_t	changed;
	uint64_t	alloc;
	uint64_t	free;
	size_t		size;
};

/* Called for each selected anchor, in order, with its counts at selection. */
typedef void (*snap_row_fn)(struct fmt_out *, const struct anc_view *, int changed, void *);

/* ------------------------------------------------------------- selection */

static int64_t
snap_diff(uint64_t alloc, uint64_t free)
{
	return (int64_t)(alloc - free);
}

/* Bytes an anchor still holds, saturated rather than wrapped. */
static uint64_t
snap_bytes(uint64_t alloc, uint64_t free, size_t size)
{
	uint64_t	diff = alloc > free ? alloc - free : 0;

	if (size != 0 && diff > UINT64_MAX / size)
		return (UINT64_MAX);
	return (diff * size);
}

/* 1 when item a is shown before item b under the query's sort. */
static int
snap_before(const void *va, const void *vb, void *ctx)
{
	const struct snap_item	*a = va, *b = vb;
	const int		*sort = ctx;
	uint64_t		 ka = 0, kb = 0;
	int64_t			 da, db;

	switch (*sort) {
	case SNAP_SORT_DIFF:
		da = snap_diff(a->alloc, a->free);
		db = snap_diff(b->alloc, b->free);
		if (da != db)
			return (da > db);
		break;
	case SNAP_SORT_BYTES:
		ka = snap_bytes(a->alloc, a->free, a->size);
		kb = snap_bytes(b->alloc, b->free, b->size);
		break;
	case SNAP_SORT_SIZE:
		ka = a->size;
		kb = b->size;
		break;
	}
	if (ka != kb)
		return (ka > kb);
	return (a->id < b->id);
}

/* 1 when the query selects anchor a, whose change flag is changed. */
static int
snap_wanted(const struct snap_query *q, const struct anc_view *a, int changed)
{
	if (!view_selects(q->choice, changed, a))
		return (0);
	return (q->min_diff <= 0 || snap_diff(a->alloc, a->free) >= q->min_diff);
}

/* Shows one item: its anchor with the counts it was selected on. */
static void
snap_show(const struct snap_query *q, const struct snap_item *it,
    struct fmt_out *o, snap_row_fn row, void *arg, struct snap_counts *c)
{
	struct anc_view	a;

	if (!anc_view(it->id, &a))
		return;
	a.alloc = it->alloc;
	a.free = it->free;
	row(o, &a, (int)it->changed, arg);
	/* A look marks as seen exactly what it showed, at the counts shown. */
	if (!q->peek)
		view_mark_seen(q->consumer, &a);
	c->shown++;
}

/*
 * Visits the anchors the query selects, in its order.  top > 0 keeps only
 * the best top (their memory is bounded by PROTO_MAX_TOP); without top
 * every selected anchor is kept.  When memory is short, rows come in id
 * order straight away, unsorted but complete.
 */
static void
snap_select(const struct snap_query *q, struct fmt_out *o, snap_row_fn row,
    void *arg, struct snap_counts *c)
{
	struct snap_item	*items = NULL, it;
	struct anc_view		 a;
	uint32_t		 id, limit = anc_limit();
	size_t			 n = 0, selected = 0, cap, len, i;
	int			 changed, sort = q->sort;

	cap = q->top > 0 && q->top < limit ? q->top : limit;
	len = cap * sizeof *items;
	if (cap > 0)
		items = arena_pages(len);
	for (id = 0; id < limit; id++) {
		if (!anc_view(id, &a))
			continue;
		changed = view_changed(q->consumer, &a);
		if (!snap_wanted(q, &a, changed))
			continue;
		it.id = id;
		it.changed = (uint32_t)changed;
		it.alloc = a.alloc;
		it.free = a.free;
		it.size = a.size;
		if (items == NULL) {
			snap_show(q, &it, o, row, arg, c);
			continue;
		}
		sort_keep(items, &n, cap, sizeof it, &it, snap_before, &sort);
		selected++;
	}
	if (items == NULL)
		return;
	c->omitted += selected - n;
	sort_heap(items, n, sizeof *items, snap_before, &sort);
	for (i = 0; i < n; i++)
		snap_show(q, &items[i], o, row, arg, c);
	arena_release(items, len);
}

/* ----------------------------------------------------------------- frames */

/* The last component of a path. */
static const char *
snap_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return (slash != NULL ? slash + 1 : path);
}

/*
 * Names the function of a frame.  Frames are return addresses, so the
 * call is at offset-1: looking that up keeps a call that ends a function
 * (to abort, say) from being blamed on the next function.
 */
static int
snap_symbol(const struct anc_frame *f, char *name, size_t len, uintptr_t *func_off)
{
	if (f->module == MOD_UNKNOWN || f->offset == 0 ||
	    !sym_lookup(f->module, f->offset - 1, name, len, func_off))
		return (0);
	(*func_off)++;
	return (1);
}

/*
 * One frame as addr:(function+0xoff) followed by module+0xoffset, which
 * addr2line takes; addr:(?) when no symbol names it.
 */
static void
snap_frame_text(struct fmt_out *o, const struct anc_frame *f)
{
	char		name[SNAP_NAME_MAX];
	uintptr_t	off;

	if (snap_symbol(f, name, sizeof name, &off))
		fmt_printf(o, "%p:(%s+0x%lx)", (void *)f->addr, name, (unsigned long)off);
	else
		fmt_printf(o, "%p:(?)", (void *)f->addr);
	if (f->module != MOD_UNKNOWN)
		fmt_printf(o, " %s+0x%lx", snap_basename(mod_path(f->module)),
		    (unsigned long)f->offset);
}

/* A stack, one frame per line; lines after the first are indented. */
static void
snap_stack_text(struct fmt_out *o, const struct anc_frame *f, unsigned n, int indent)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fmt_printf(o, "%*s", indent, "");
		snap_frame_text(o, &f[i]);
		fmt_puts(o, "\n");
	}
	if (n == 0)
		fmt_puts(o, "(unknown)\n");
}

/* A hex string member such as "addr":"0x1234". */
static void
snap_json_hex(struct fmt_out *o, const char *key, uintptr_t v)
{
	fmt_printf(o, "\"%s\":\"0x%lx\"", key, (unsigned long)v);
}

static void
snap_json_bool(struct fmt_out *o, const char *key, int v)
{
	fmt_printf(o, ",\"%s\":%s", key, v ? "true" : "false");
}

/* One frame object: addr, module, offset, and function when a symbol names it. */
static void
snap_frame_json(struct fmt_out *o, const struct anc_frame *f)
{
	char		name[SNAP_NAME_MAX];
	uintptr_t	off;

	fmt_puts(o, "{");
	snap_json_hex(o, "addr", f->addr);
	fmt_puts(o, ",\"module\":");
	fmt_json_string(o, f->module != MOD_UNKNOWN ? mod_path(f->module) : "");
	fmt_puts(o, ",");
	snap_json_hex(o, "offset", f->offset);
	if (snap_symbol(f, name, sizeof name, &off)) {
		fmt_puts(o, ",\"function\":");
		fmt_json_string(o, name);
		fmt_puts(o, ",");
		snap_json_hex(o, "function_offset", off);
	}
	fmt_puts(o, "}");
}

/* ,"key":[frame,...] */
static void
snap_stack_json(struct fmt_out *o, const char *key, const struct anc_frame *f,
    unsigned n)
{
	unsigned	i;

	fmt_printf(o, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fmt_puts(o, ",");
		snap_frame_json(o, &f[i]);
	}
	fmt_puts(o, "]");
}

/* -------------------------------------------------------------- overflows */

/* How an overflow was found, as reports spell it. */
static const char *
snap_where(int where)
{
	switch (where) {
	case BND_AT_FREE:
		return ("free");
	case BND_AT_REALLOC:
		return ("realloc");
	}
	return ("check");
}

/* One overflow with the stack that allocated the block and the one that freed it. */
void
snap_bound_text(struct fmt_out *o, const struct bnd_view *b)
{
	struct anc_view	a;

	fmt_printf(o, "jhook: heap overflow: block %p size %zu (found at %s)\n",
	    (void *)b->ptr, b->size, snap_where(b->where));
	fmt_printf(o, "%-*s", SNAP_BOUND_COLUMN, "  allocated at:");
	if (anc_view(b->anchor, &a))
		snap_stack_text(o, a.frames, a.depth, SNAP_BOUND_COLUMN);
	else
		snap_stack_text(o, NULL, 0, SNAP_BOUND_COLUMN);
	if (b->nfree > 0) {
		fmt_printf(o, "%-*s", SNAP_BOUND_COLUMN, "  freed at:");
		snap_stack_text(o, b->free_frames, b->nfree, SNAP_BOUND_COLUMN);
	}
}

/* Every recorded overflow with both stacks, as the exit report lists them. */
static void
snap_bounds_text(struct fmt_out *o)
{
	struct bnd_view	b;
	unsigned	i, n = bnd_count();

	if (n == 0 && bnd_dropped() == 0)
		return;
	fmt_printf(o, "jhook: %u heap overflow(s) found\n", n + bnd_dropped());
	for (i = 0; i < n; i++)
		if (bnd_get(i, &b))
			snap_bound_text(o, &b);
	if (bnd_dropped() > 0)
		fmt_printf(o, "jhook: %u more heap overflow(s) not recorded\n", bnd_dropped());
}

/* ,"bounds":[...]: every recorded overflow. */
static void
snap_bounds_json(struct fmt_out *o, const char *sep)
{
	struct bnd_view	b;
	struct anc_view	a;
	unsigned	i, n = bnd_count(), rows = 0;

	fmt_puts(o, ",\"bounds\":[");
	for (i = 0; i < n; i++) {
		if (!bnd_get(i, &b))
			continue;
		fmt_printf(o, "%s%s{", rows++ > 0 ? "," : "", sep);
		snap_json_hex(o, "ptr", b.ptr);
		fmt_printf(o, ",\"size\":%zu,\"detected\":\"%s\"", b.size,
		    snap_where(b.where));
		if (anc_view(b.anchor, &a))
			snap_stack_json(o, "frames", a.frames, a.depth);
		else
			fmt_puts(o, ",\"frames\":[]");
		if (b.nfree > 0)
			snap_stack_json(o, "free_frames", b.free_frames, b.nfree);
		fmt_puts(o, "}");
	}
	fmt_printf(o, "],\"bounds_dropped\":%u", bnd_dropped());
}

/* --------------------------------------------------------------- the table */

/* One row of the original's table, its frames aligned under "addr". */
static void
snap_row_text(struct fmt_out *o, const struct anc_view *a, int changed, void *arg)
{
	(void)changed;
	(void)arg;
	fmt_printf(o, "%-8zu %-8llu %-8llu %-8lld ", a->size,
	    (unsigned long long)a->alloc, (unsigned long long)a->free,
	    (long long)snap_diff(a->alloc, a->free));
	snap_stack_text(o, a->frames, a->depth, SNAP_ADDR_COLUMN);
}

/* The closing line the original's users grep for. */
static void
snap_totals_text(struct fmt_out *o)
{
	fmt_printf(o, "----------- total=%-10zu peak=%-10zu -----------\n",
	    anc_total_bytes(), anc_peak_bytes());
}

/* The original's table (size alloc free diff addr ... total= peak=). */
void
snap_text(struct fmt_out *o, const struct snap_query *q, int exit_report)
{
	struct snap_counts	c = { 0, 0 };

	if (exit_report)
		fmt_printf(o, "jhook: exit report for pid %d (%s)\n", (int)getpid(),
		    cfg_exe());
	fmt_puts(o, SNAP_RULE "\n");
	fmt_printf(o, "%-8s %-8s %-8s %-8s %s\n", "size", "alloc", "free", "diff", "addr");
	snap_select(q, o, snap_row_text, NULL, &c);
	if (exit_report)
		snap_bounds_text(o);
	snap_totals_text(o);
}

/* ------------------------------------------------------------ the document */

struct snap_rows {
	const char	*sep;
	uint64_t	 n;
	uint32_t	 frames_from;
};

/*
 * This image of the process, unlike its pid, changes at exec: a reader
 * that knows anchors by id (frames_from) starts over when it changes.
 */
static uint64_t
snap_instance(void)
{
	static uint64_t	instance;
	struct timespec	ts;
	uint64_t	v = __atomic_load_n(&instance, __ATOMIC_RELAXED), expect = 0;

	if (v != 0)
		return (v);
	clock_gettime(CLOCK_REALTIME, &ts);
	v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&ts;
	v |= 1;
	if (!__atomic_compare_exchange_n(&instance, &expect, v, 0, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED))
		v = expect;
	return (v);
}

/* One anchor object; without method and frames below r->frames_from. */
static void
snap_row_json(struct fmt_out *o, const struct anc_view *a, int changed, void *arg)
{
	struct snap_rows	*r = arg;
	int64_t			 diff = snap_diff(a->alloc, a->free);

	fmt_printf(o, "%s%s{\"id\":%u,\"size\":%zu,\"alloc\":%llu,\"free\":%llu,"
	    "\"diff\":%lld,\"bytes\":%llu", r->n++ > 0 ? "," : "", r->sep, a->id,
	    a->size, (unsigned long long)a->alloc, (unsigned long long)a->free,
	    (long long)diff, (unsigned long long)snap_bytes(a->alloc, a->free, a->size));
	snap_json_bool(o, "changed", changed);
	if (a->id >= r->frames_from) {
		fmt_puts(o, ",\"method\":");
		fmt_json_string(o, cfg_method_name(a->method));
		snap_stack_json(o, "frames", a->frames, a->depth);
	}
	fmt_puts(o, "}");
}

/* ,"modules":[...]: every module ever seen, so frames can be symbolized elsewhere. */
static void
snap_modules_json(struct fmt_out *o, const char *sep)
{
	uint32_t	i, n = mod_count();

	fmt_puts(o, ",\"modules\":[");
	for (i = 0; i < n; i++) {
		fmt_printf(o, "%s%s{\"id\":%u,\"path\":", i > 0 ? "," : "", sep, i);
		fmt_json_string(o, mod_path(i));
		fmt_puts(o, ",\"build_id\":");
		fmt_json_string(o, mod_build_id(i));
		fmt_puts(o, ",");
		snap_json_hex(o, "base", mod_base(i));
		snap_json_bool(o, "loaded", mod_loaded(i));
		fmt_puts(o, "}");
	}
	fmt_puts(o, "]");
}

/* The fields every document starts with. */
static void
snap_header_json(struct fmt_out *o)
{
	fmt_printf(o, "{\"version\":%d,\"pid\":%ld,\"exe\":", SNAP_VERSION,
	    (long)getpid());
	fmt_json_string(o, cfg_exe());
	fmt_printf(o, ",\"total_bytes\":%zu,\"peak_bytes\":%zu", anc_total_bytes(),
	    anc_peak_bytes());
	snap_json_bool(o, "tracing", CFG_GET(tracing));
	fmt_printf(o, ",\"generation\":%u,\"instance\":\"%016llx\"", anc_generation(),
	    (unsigned long long)snap_instance());
}

/* The leak document of doc/report-format.md; see snapshot.h. */
void
snap_leak_json(struct fmt_out *o, const struct snap_query *q, const char *consumer,
    int pretty)
{
	struct snap_rows	r = { pretty ? "\n  " : "", 0, q->frames_from };
	struct snap_counts	c = { 0, 0 };
	/* Before the rows: every anchor below it is complete in them. */
	uint32_t		next = anc_complete_below();

	snap_header_json(o);
	fmt_printf(o, ",\"choice\":%d,\"consumer\":", q->choice);
	fmt_json_string(o, consumer);
	fmt_printf(o, ",\"sort\":\"%s\",\"min_diff\":%lld,\"top\":%u",
	    snap_sort_names[q->sort], (long long)q->min_diff, q->top);
	fmt_printf(o, ",\"frames_from\":%u,\"next_frames_from\":%u", q->frames_from,
	    next);
	snap_modules_json(o, r.sep);
	fmt_puts(o, ",\"anchors\":[");
	snap_select(q, o, snap_row_json, &r, &c);
	fmt_printf(o, "],\"shown\":%llu,\"omitted\":%llu",
	    (unsigned long long)c.shown, (unsigned long long)c.omitted);
	snap_bounds_json(o, r.sep);
	fmt_puts(o, pretty ? "}\n" : "}");
}

/* The bound document: the overflows, with the modules their frames are in. */
void
snap_bound_json(struct fmt_out *o, int scanned, unsigned found)
{
	snap_header_json(o);
	snap_json_bool(o, "scanned", scanned);
	fmt_printf(o, ",\"new\":%u", found);
	snap_modules_json(o, "");
	snap_bounds_json(o, "");
	fmt_puts(o, "}");
}

/* The modules document. */
void
snap_modules(struct fmt_out *o)
{
	fmt_printf(o, "{\"pid\":%ld", (long)getpid());
	snap_modules_json(o, "");
	fmt_puts(o, "}");
}
