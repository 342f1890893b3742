/*
 * report.c - the leak table and the exit report, as text or JSON.
 *
 * The text form keeps the original's columns and its closing "total= peak="
 * line, so scripts written for the original still work.  Rows are sorted
 * by bytes held (diff * size), largest first.  Nothing here takes a lock
 * while it resolves symbols or writes: anchors are read through anc_view's
 * copies and frames are immutable once their anchor exists.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "anchor.h"
#include "arena.h"
#include "bound.h"
#include "config.h"
#include "fmt.h"
#include "module.h"
#include "report.h"
#include "sort.h"
#include "symbol.h"
#include "view.h"

#define REP_RULE	"--------------------------------------------------------"
#define REP_NAME_MAX	512
#define REP_ADDR_COLUMN	36		/* where "addr" starts: four 9-wide columns */
#define REP_BOUND_COLUMN 16		/* where "  allocated at: " ends */

/* One selected anchor: the counts it was selected with, and its sort key. */
struct rep_item {
	uint32_t	id;
	uint64_t	alloc;
	uint64_t	free;
	uint64_t	bytes;		/* diff * size, saturated */
};

/* The selected anchors of one report, sorted. */
struct rep_list {
	struct rep_item	*items;
	size_t		 n;
	size_t		 len;		/* bytes of items, for arena_release */
};

/* Called for each selected anchor with its counts at selection time. */
typedef void (*rep_row_fn)(struct fmt_out *, const struct anc_view *, void *);

/* Bytes an anchor still holds, saturated rather than wrapped. */
static uint64_t
rep_bytes(const struct anc_view *a)
{
	uint64_t	diff = a->alloc > a->free ? a->alloc - a->free : 0;

	if (a->size != 0 && diff > UINT64_MAX / a->size)
		return (UINT64_MAX);
	return (diff * a->size);
}

/* 1 when item a is printed before item b. */
static int
rep_before(const void *va, const void *vb, void *ctx)
{
	const struct rep_item	*a = va, *b = vb;

	(void)ctx;
	if (a->bytes != b->bytes)
		return (a->bytes > b->bytes);
	return (a->id < b->id);
}

/*
 * Visits the anchors the choice selects for consumer, marking every anchor
 * looked at as seen.  Sorted when memory allows; otherwise rows come in id
 * order straight away.
 */
static void
rep_select(struct fmt_out *o, int choice, int consumer, rep_row_fn row, void *arg)
{
	struct rep_list	 l;
	struct anc_view	 a;
	uint32_t	 id, limit = anc_limit();
	size_t		 i;
	int		 changed;

	memset(&l, 0, sizeof l);
	l.len = (size_t)limit * sizeof *l.items;
	if (limit > 0)
		l.items = arena_pages(l.len);
	for (id = 0; id < limit; id++) {
		if (!anc_view(id, &a))
			continue;
		changed = view_changed(consumer, &a);
		view_mark_seen(consumer, &a);
		if (!view_selects(choice, changed, &a))
			continue;
		if (l.items == NULL) {
			row(o, &a, arg);
			continue;
		}
		l.items[l.n].id = id;
		l.items[l.n].alloc = a.alloc;
		l.items[l.n].free = a.free;
		l.items[l.n].bytes = rep_bytes(&a);
		l.n++;
	}
	if (l.items == NULL)
		return;
	sort_heap(l.items, l.n, sizeof l.items[0], rep_before, NULL);
	for (i = 0; i < l.n; i++) {
		if (!anc_view(l.items[i].id, &a))
			continue;
		/* Show the counts the choice was made on, not later ones. */
		a.alloc = l.items[i].alloc;
		a.free = l.items[i].free;
		row(o, &a, arg);
	}
	arena_release(l.items, l.len);
}

/* The last component of a path. */
static const char *
rep_basename(const char *path)
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
rep_symbol(const struct anc_frame *f, char *name, size_t len, uintptr_t *func_off)
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
rep_frame_text(struct fmt_out *o, const struct anc_frame *f)
{
	char		name[REP_NAME_MAX];
	uintptr_t	off;

	if (rep_symbol(f, name, sizeof name, &off))
		fmt_printf(o, "%p:(%s+0x%lx)", (void *)f->addr, name, (unsigned long)off);
	else
		fmt_printf(o, "%p:(?)", (void *)f->addr);
	if (f->module != MOD_UNKNOWN)
		fmt_printf(o, " %s+0x%lx", rep_basename(mod_path(f->module)),
		    (unsigned long)f->offset);
}

/* A stack, one frame per line; lines after the first are indented. */
static void
rep_stack_text(struct fmt_out *o, const struct anc_frame *f, unsigned n, int indent)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fmt_printf(o, "%*s", indent, "");
		rep_frame_text(o, &f[i]);
		fmt_puts(o, "\n");
	}
	if (n == 0)
		fmt_puts(o, "(unknown)\n");
}

/* One row of the original's table, its frames aligned under "addr". */
static void
rep_row_text(struct fmt_out *o, const struct anc_view *a, void *arg)
{
	fmt_printf(o, "%-8zu %-8llu %-8llu %-8lld ", a->size,
	    (unsigned long long)a->alloc, (unsigned long long)a->free,
	    (long long)(a->alloc - a->free));
	rep_stack_text(o, a->frames, a->depth, REP_ADDR_COLUMN);
}

/* The table's rule and column names. */
static void
rep_table_text(struct fmt_out *o, int choice, int consumer)
{
	fmt_puts(o, REP_RULE "\n");
	fmt_printf(o, "%-8s %-8s %-8s %-8s %s\n", "size", "alloc", "free", "diff", "addr");
	rep_select(o, choice, consumer, rep_row_text, NULL);
}

/* The closing line the original's users grep for. */
static void
rep_totals_text(struct fmt_out *o)
{
	fmt_printf(o, "----------- total=%-10zu peak=%-10zu -----------\n",
	    anc_total_bytes(), anc_peak_bytes());
}

/* The original's table (size alloc free diff addr ... total= peak=). */
void
rep_leak_text(struct fmt_out *o, int choice, int consumer)
{
	rep_table_text(o, choice, consumer);
	rep_totals_text(o);
}

/* How an overflow was found, as reports spell it. */
static const char *
rep_where(int where)
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
rep_bound_text(struct fmt_out *o, const struct bnd_view *b)
{
	struct anc_view	a;

	fmt_printf(o, "jhook: heap overflow: block %p size %zu (found at %s)\n",
	    (void *)b->ptr, b->size, rep_where(b->where));
	fmt_printf(o, "%-*s", REP_BOUND_COLUMN, "  allocated at:");
	if (anc_view(b->anchor, &a))
		rep_stack_text(o, a.frames, a.depth, REP_BOUND_COLUMN);
	else
		rep_stack_text(o, NULL, 0, REP_BOUND_COLUMN);
	if (b->nfree > 0) {
		fmt_printf(o, "%-*s", REP_BOUND_COLUMN, "  freed at:");
		rep_stack_text(o, b->free_frames, b->nfree, REP_BOUND_COLUMN);
	}
}

/* A hex string member such as "addr":"0x1234". */
static void
rep_json_hex(struct fmt_out *o, const char *key, uintptr_t v)
{
	fmt_printf(o, "\"%s\":\"0x%lx\"", key, (unsigned long)v);
}

/* One frame object of the JSON report. */
static void
rep_frame_json(struct fmt_out *o, const struct anc_frame *f)
{
	char		name[REP_NAME_MAX];
	uintptr_t	off;

	fmt_puts(o, "{");
	rep_json_hex(o, "addr", f->addr);
	fmt_puts(o, ",\"module\":");
	fmt_json_string(o, f->module != MOD_UNKNOWN ? mod_path(f->module) : "");
	fmt_puts(o, ",");
	rep_json_hex(o, "offset", f->offset);
	if (rep_symbol(f, name, sizeof name, &off)) {
		fmt_puts(o, ",\"function\":");
		fmt_json_string(o, name);
		fmt_puts(o, ",");
		rep_json_hex(o, "function_offset", off);
	}
	fmt_puts(o, "}");
}

/* A JSON array of frames. */
static void
rep_stack_json(struct fmt_out *o, const struct anc_frame *f, unsigned n)
{
	unsigned	i;

	fmt_puts(o, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			fmt_puts(o, ",");
		rep_frame_json(o, &f[i]);
	}
	fmt_puts(o, "]");
}

/* One anchor object; arg counts the rows so commas fall in place. */
static void
rep_row_json(struct fmt_out *o, const struct anc_view *a, void *arg)
{
	size_t	*rows = arg;

	fmt_printf(o, "%s\n  {\"size\":%zu,\"alloc\":%llu,\"free\":%llu,\"diff\":%lld,\"frames\":",
	    (*rows)++ > 0 ? "," : "", a->size, (unsigned long long)a->alloc,
	    (unsigned long long)a->free, (long long)(a->alloc - a->free));
	rep_stack_json(o, a->frames, a->depth);
	fmt_puts(o, "}");
}

/* Every module ever seen, so frames can be symbolized elsewhere by build-id. */
static void
rep_modules_json(struct fmt_out *o)
{
	uint32_t	i, n = mod_count();

	fmt_puts(o, "\"modules\":[");
	for (i = 0; i < n; i++) {
		fmt_printf(o, "%s\n  {\"path\":", i > 0 ? "," : "");
		fmt_json_string(o, mod_path(i));
		fmt_puts(o, ",\"build_id\":");
		fmt_json_string(o, mod_build_id(i));
		fmt_puts(o, ",");
		rep_json_hex(o, "base", mod_base(i));
		fmt_printf(o, ",\"loaded\":%s}", mod_loaded(i) ? "true" : "false");
	}
	fmt_puts(o, "]");
}

/* Every recorded overflow as JSON. */
static void
rep_bounds_json(struct fmt_out *o)
{
	struct bnd_view	b;
	struct anc_view	a;
	unsigned	i, n = bnd_count(), rows = 0;

	fmt_puts(o, "\"bounds\":[");
	for (i = 0; i < n; i++) {
		if (!bnd_get(i, &b))
			continue;
		fmt_printf(o, "%s\n  {", rows++ > 0 ? "," : "");
		rep_json_hex(o, "ptr", b.ptr);
		fmt_printf(o, ",\"size\":%zu,\"detected\":\"%s\",\"frames\":", b.size, rep_where(b.where));
		if (anc_view(b.anchor, &a))
			rep_stack_json(o, a.frames, a.depth);
		else
			fmt_puts(o, "[]");
		if (b.nfree > 0) {
			fmt_puts(o, ",\"free_frames\":");
			rep_stack_json(o, b.free_frames, b.nfree);
		}
		fmt_puts(o, "}");
	}
	fmt_puts(o, "]");
}

/* The JSON document of doc/report-format.md for one choice. */
void
rep_leak_json(struct fmt_out *o, int choice, int consumer)
{
	size_t	rows = 0;

	fmt_printf(o, "{\"version\":1,\"pid\":%d,\"exe\":", (int)getpid());
	fmt_json_string(o, agent_exe());
	fmt_printf(o, ",\"total_bytes\":%zu,\"peak_bytes\":%zu,\n",
	    anc_total_bytes(), anc_peak_bytes());
	rep_modules_json(o);
	fmt_puts(o, ",\n\"anchors\":[");
	rep_select(o, choice, consumer, rep_row_json, &rows);
	fmt_puts(o, "],\n");
	rep_bounds_json(o);
	fmt_puts(o, "}\n");
}

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

/* Closes what rep_open or rep_log_open gave, leaving stderr open. */
void
rep_log_close(int fd)
{
	if (fd != STDERR_FILENO)
		close(fd);
}

/* Where the checker and overflow messages go: JHOOK_LOG appended, else stderr. */
int
rep_log_open(void)
{
	return (rep_open(cfg.log_path, O_APPEND));
}

/* The periodic checker's table: choice 0 for the legacy consumer. */
void
rep_periodic(void)
{
	struct fmt_out	o;
	int		saved = errno, fd = rep_log_open();

	fmt_open(&o, fd);
	rep_leak_text(&o, 0, VIEW_LEGACY);
	fmt_flush(&o);
	rep_log_close(fd);
	errno = saved;
}

/* Every recorded overflow with both stacks, as the exit report lists them. */
static void
rep_bounds_text(struct fmt_out *o)
{
	struct bnd_view	b;
	unsigned	i, n = bnd_count();

	if (n == 0 && bnd_dropped() == 0)
		return;
	fmt_printf(o, "jhook: %u heap overflow(s) found\n", n + bnd_dropped());
	for (i = 0; i < n; i++)
		if (bnd_get(i, &b))
			rep_bound_text(o, &b);
	if (bnd_dropped() > 0)
		fmt_printf(o, "jhook: %u more heap overflow(s) not recorded\n", bnd_dropped());
}

/* The exit report in text: header, unreleased anchors, overflows, totals. */
static void
rep_exit_text(struct fmt_out *o)
{
	fmt_printf(o, "jhook: exit report for pid %d (%s)\n", (int)getpid(), agent_exe());
	rep_table_text(o, 2, VIEW_LEGACY);
	rep_bounds_text(o);
	rep_totals_text(o);
}

/* The exit report (choice 2 and every overflow) to JHOOK_REPORT. */
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
		rep_leak_json(&o, 2, VIEW_LEGACY);
	else
		rep_exit_text(&o);
	if (fmt_flush(&o) != 0)
		fmt_warn("the exit report could not be written completely");
	rep_log_close(fd);
	errno = saved;
}
