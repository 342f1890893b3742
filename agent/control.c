/*
 * control.c - the control socket of a traced process.
 *
 * One thread, started when the agent loads (also when dormant), owns a Unix
 * socket <dir>/<pid>.sock and serves the protocol of proto/proto.h.  It
 * polls up to CTL_MAX_CONN connections at once, reading each request into a
 * fixed buffer so an oversized frame is refused before it is parsed, and
 * streams every answer through a fmt_out (a fixed buffer on the stack), so
 * its memory stays bounded whatever the number of anchors.
 *
 * The thread enters hook_guard_enter() for good as it starts: json-c's
 * allocations and everything else it does pass through the hooks untraced.
 * It only reads the tables the hooks publish, so a hook never waits on it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "anchor.h"
#include "arena.h"
#include "block.h"
#include "bound.h"
#include "config.h"
#include "control.h"
#include "fd.h"
#include "fmt.h"
#include "hook.h"
#include "jhook.h"
#include "module.h"
#include "symbol.h"
#include "view.h"
#include "proto.h"

#define CTL_MAX_CONN	64		/* connections served at once */
#define CTL_IDLE_MS	30000		/* a silent connection is closed */
#define CTL_SEND_MS	5000		/* a client that stops reading is dropped */
#define CTL_BACKOFF_MS	100		/* accept() out of descriptors */
#define CTL_STACK	(512 * 1024)

enum ctl_mode {
	CTL_OFF = 0,
	CTL_RO = 1,
	CTL_RW = 2,
};

struct ctl_conn {
	int	 fd;			/* -1 when the slot is free */
	ino_t	 sock_ino;		/* proves fd is still ours before closing it */
	uid_t	 uid;
	size_t	 len;
	int64_t	 last_ms;
	char	 buf[PROTO_MAX_REQUEST];
};

/* The request being served: what a handler needs. */
struct ctl_req {
	struct proto_request	 r;
	struct fmt_out		*o;
	int			 begun;	/* the "ok" header is written */
	char			*cause;
	size_t			 causelen;
};

typedef enum proto_error (*ctl_handler)(struct ctl_req *);

static struct {
	int		 mode;
	int		 started;
	int		 closing;
	pid_t		 pid;		/* the process that bound path */
	int		 listen_fd;
	dev_t		 dev;
	ino_t		 ino;
	ino_t		 listen_ino;	/* the listening socket's own inode (sockfs) */
	int		 quiet;		/* a forked child: its socket failing is not the host's news */
	char		 path[sizeof ((struct sockaddr_un *)0)->sun_path];
	/* The directory, resolved once in the constructor: getenv on this thread could race the host's setenv. */
	char		 dir[sizeof ((struct sockaddr_un *)0)->sun_path];
	char		 dir_cause[256];	/* why there is none, when dir is "" */
	struct ctl_conn	*conns;
	int64_t		 backoff_until;
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 errors;
	uint64_t	 refused;
	uint64_t	 busy;
} ctl = { .listen_fd = -1 };

/* Monotonic milliseconds. */
static int64_t
ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- output */

static void
ctl_bool(struct fmt_out *o, const char *key, int v)
{
	fmt_printf(o, ",\"%s\":%s", key, v ? "true" : "false");
}

/* Writes the success header once: {"proto":1,"ok":true,"cmd":..,"result": */
static void
ctl_begin(struct ctl_req *q)
{
	fmt_printf(q->o, "{\"proto\":%d,\"ok\":true,\"cmd\":\"%s\",\"result\":",
	    PROTO_VERSION, proto_commands[q->r.cmd].name);
	q->begun = 1;
}

/* One error answer, on one line. */
static void
ctl_error(struct fmt_out *o, enum proto_error e, const char *cause)
{
	fmt_printf(o, "{\"proto\":%d,\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":",
	    PROTO_VERSION, proto_error_name(e));
	fmt_json_string(o, cause);
	if (e == PROTO_E_VERSION_MISMATCH)
		fmt_printf(o, ",\"agent_proto\":%d", PROTO_VERSION);
	fmt_puts(o, "}}\n");
}

/* A frame as the exit report writes it, plus function when the symtab names it. */
static void
ctl_frame(struct fmt_out *o, const struct anc_frame *f)
{
	char name[256];
	uintptr_t foff;

	fmt_printf(o, "{\"addr\":\"0x%lx\",\"module\":", (unsigned long)f->addr);
	fmt_json_string(o, f->module == MOD_UNKNOWN ? "" : mod_path(f->module));
	fmt_printf(o, ",\"offset\":\"0x%lx\"", (unsigned long)f->offset);
	if (f->module != MOD_UNKNOWN &&
	    sym_lookup(f->module, f->offset, name, sizeof name, &foff)) {
		fmt_puts(o, ",\"function\":");
		fmt_json_string(o, name);
		fmt_printf(o, ",\"function_offset\":\"0x%lx\"", (unsigned long)foff);
	}
	fmt_puts(o, "}");
}

static void
ctl_frames(struct fmt_out *o, const char *key, const struct anc_frame *f, unsigned n)
{
	unsigned i;

	fmt_printf(o, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fmt_puts(o, ",");
		ctl_frame(o, &f[i]);
	}
	fmt_puts(o, "]");
}

/* The module table, so frames can be symbolized later, elsewhere. */
static void
ctl_modules(struct fmt_out *o)
{
	uint32_t i, n = mod_count();

	fmt_puts(o, ",\"modules\":[");
	for (i = 0; i < n; i++) {
		fmt_printf(o, "%s{\"id\":%u,\"path\":", i > 0 ? "," : "", i);
		fmt_json_string(o, mod_path(i));
		fmt_printf(o, ",\"base\":\"0x%lx\",\"build_id\":", (unsigned long)mod_base(i));
		fmt_json_string(o, mod_build_id(i));
		ctl_bool(o, "loaded", mod_loaded(i));
		fmt_puts(o, "}");
	}
	fmt_puts(o, "]");
}

/* The fields every snapshot starts with (the exit report's header). */
static void
ctl_snapshot_header(struct fmt_out *o)
{
	fmt_printf(o, "{\"version\":1,\"pid\":%ld,\"exe\":", (long)getpid());
	fmt_json_string(o, agent_exe());
	fmt_printf(o, ",\"total_bytes\":%zu,\"peak_bytes\":%zu", anc_total_bytes(),
	    anc_peak_bytes());
	ctl_bool(o, "tracing", CFG_GET(tracing));
	fmt_printf(o, ",\"generation\":%u", anc_generation());
}

static const char *const ctl_where_names[] = { "free", "realloc", "check" };

/* Every recorded overflow, with the allocating and freeing stacks. */
static void
ctl_bounds(struct fmt_out *o)
{
	struct bnd_view b;
	struct anc_view a;
	unsigned i, n = bnd_count(), shown = 0;

	fmt_puts(o, ",\"bounds\":[");
	for (i = 0; i < n; i++) {
		if (!bnd_get(i, &b))
			continue;
		fmt_printf(o, "%s{\"ptr\":\"0x%lx\",\"size\":%zu,\"detected\":\"%s\"",
		    shown++ > 0 ? "," : "", (unsigned long)b.ptr, b.size,
		    (unsigned)b.where < 3 ? ctl_where_names[b.where] : "check");
		if (anc_view(b.anchor, &a))
			ctl_frames(o, "frames", a.frames, a.depth);
		else
			fmt_puts(o, ",\"frames\":[]");
		if (b.nfree > 0)
			ctl_frames(o, "free_frames", b.free_frames, b.nfree);
		fmt_puts(o, "}");
	}
	fmt_puts(o, "]");
}

/* ------------------------------------------------------------- leak table */

struct ctl_leak {
	int		 consumer;
	int		 choice;
	int64_t		 min_diff;
	int		 sort;		/* enum proto_sort */
	unsigned	 top;
	struct anc_view	*heap;		/* top anchors so far, worst at [0] */
	unsigned	 nheap;
	uint64_t	 shown;
	uint64_t	 omitted;
};

static int64_t
ctl_diff(const struct anc_view *a)
{
	return (int64_t)(a->alloc - a->free);
}

/* The sort key: larger comes first. */
static int64_t
ctl_key(int sort, const struct anc_view *a)
{
	switch (sort) {
	case PROTO_SORT_BYTES:
		return ctl_diff(a) * (int64_t)a->size;
	case PROTO_SORT_SIZE:
		return (int64_t)a->size;
	default:
		return ctl_diff(a);
	}
}

/* 1 when a ranks before b (bigger key, then lower id). */
static int
ctl_before(int sort, const struct anc_view *a, const struct anc_view *b)
{
	int64_t ka = ctl_key(sort, a), kb = ctl_key(sort, b);

	return ka != kb ? ka > kb : a->id < b->id;
}

static void
ctl_anchor(struct ctl_leak *l, struct fmt_out *o, const struct anc_view *a, int changed)
{
	fmt_printf(o, "%s{\"id\":%u,\"size\":%zu,\"alloc\":%llu,\"free\":%llu,"
	    "\"diff\":%lld,\"bytes\":%lld", l->shown > 0 ? "," : "", a->id, a->size,
	    (unsigned long long)a->alloc, (unsigned long long)a->free,
	    (long long)ctl_diff(a), (long long)(ctl_diff(a) * (int64_t)a->size));
	ctl_bool(o, "changed", changed);
	fmt_puts(o, ",\"method\":");
	fmt_json_string(o, cfg_method_name(a->method));
	ctl_frames(o, "frames", a->frames, a->depth);
	fmt_puts(o, "}");
	view_mark_seen(l->consumer, a);
	l->shown++;
}

/* Sift the worst of the kept anchors to the root (a min-heap on rank). */
static void
ctl_heap_down(struct ctl_leak *l, unsigned i)
{
	struct anc_view t;
	unsigned c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			return;
		if (c + 1 < l->nheap && ctl_before(l->sort, &l->heap[c], &l->heap[c + 1]))
			c++;
		if (!ctl_before(l->sort, &l->heap[i], &l->heap[c]))
			return;
		t = l->heap[i];
		l->heap[i] = l->heap[c];
		l->heap[c] = t;
		i = c;
	}
}

static void
ctl_heap_up(struct ctl_leak *l, unsigned i)
{
	struct anc_view t;

	while (i > 0 && ctl_before(l->sort, &l->heap[(i - 1) / 2], &l->heap[i])) {
		t = l->heap[i];
		l->heap[i] = l->heap[(i - 1) / 2];
		l->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Keeps a among the top anchors; counts what falls out. */
static void
ctl_heap_offer(struct ctl_leak *l, const struct anc_view *a)
{
	if (l->nheap < l->top) {
		l->heap[l->nheap++] = *a;
		ctl_heap_up(l, l->nheap - 1);
		return;
	}
	l->omitted++;
	if (ctl_before(l->sort, a, &l->heap[0])) {
		l->heap[0] = *a;
		ctl_heap_down(l, 0);
	}
}

/* Emits the kept anchors best first, emptying the heap. */
static void
ctl_heap_drain(struct ctl_leak *l, struct fmt_out *o)
{
	unsigned n = l->nheap, i;
	struct anc_view t;

	/* Heap sort in place: the worst goes last, so the array ends best first. */
	while (l->nheap > 1) {
		t = l->heap[0];
		l->heap[0] = l->heap[l->nheap - 1];
		l->heap[l->nheap - 1] = t;
		l->nheap--;
		ctl_heap_down(l, 0);
	}
	for (i = 0; i < n; i++)
		ctl_anchor(l, o, &l->heap[i], view_changed(l->consumer, &l->heap[i]));
	l->nheap = 0;
}

/* Walks every anchor of the current generation once. */
static void
ctl_leak_walk(struct ctl_leak *l, struct fmt_out *o)
{
	struct anc_view a;
	uint32_t id, n = anc_limit();
	int changed;

	for (id = 0; id < n; id++) {
		if (!anc_view(id, &a))
			continue;
		changed = view_changed(l->consumer, &a);
		if (!view_selects(l->choice, changed, &a))
			continue;
		if (l->min_diff > 0 && ctl_diff(&a) < l->min_diff)
			continue;
		if (l->heap != NULL)
			ctl_heap_offer(l, &a);
		else
			ctl_anchor(l, o, &a, changed);
	}
}

static int
ctl_consumer(const char *name)
{
	if (strcmp(name, PROTO_LEGACY_CONSUMER) == 0)
		return view_consumer("");
	return view_consumer(name);
}

static enum proto_error
ctl_cmd_leak(struct ctl_req *q)
{
	const struct proto_value *v = q->r.v;
	struct ctl_leak l = { .sort = PROTO_SORT_NONE };
	size_t heaplen = 0;

	l.choice = v[PROTO_F_leak_choice].present ? (int)v[PROTO_F_leak_choice].i : 0;
	l.min_diff = v[PROTO_F_leak_min_diff].present ? v[PROTO_F_leak_min_diff].i : 0;
	l.top = v[PROTO_F_leak_top].present ? (unsigned)v[PROTO_F_leak_top].i : 0;
	l.sort = v[PROTO_F_leak_sort].present ? (int)v[PROTO_F_leak_sort].i :
	    PROTO_SORT_NONE;
	if (l.top > 0 && l.sort == PROTO_SORT_NONE)
		l.sort = PROTO_SORT_DIFF;
	if (l.sort != PROTO_SORT_NONE && l.top == 0)
		l.top = PROTO_MAX_TOP;
	l.consumer = ctl_consumer(q->r.consumer);
	if (l.consumer < 0) {
		fmt_snprintf(q->cause, q->causelen, "no consumer slot is free");
		return PROTO_E_BUSY;
	}
	if (l.top > 0) {
		heaplen = (size_t)l.top * sizeof *l.heap;
		if ((l.heap = arena_pages(heaplen)) == NULL) {
			fmt_snprintf(q->cause, q->causelen, "no memory to sort");
			return PROTO_E_INTERNAL;
		}
	}
	ctl_begin(q);
	ctl_snapshot_header(q->o);
	fmt_printf(q->o, ",\"choice\":%d,\"consumer\":", l.choice);
	fmt_json_string(q->o, q->r.consumer);
	fmt_printf(q->o, ",\"sort\":\"%s\",\"min_diff\":%lld",
	    l.sort == PROTO_SORT_NONE ? "id" : proto_sort_names[l.sort],
	    (long long)l.min_diff);
	ctl_modules(q->o);
	fmt_puts(q->o, ",\"anchors\":[");
	ctl_leak_walk(&l, q->o);
	if (l.heap != NULL) {
		ctl_heap_drain(&l, q->o);
		arena_release(l.heap, heaplen);
	}
	fmt_printf(q->o, "],\"shown\":%llu,\"omitted\":%llu",
	    (unsigned long long)l.shown, (unsigned long long)l.omitted);
	ctl_bounds(q->o);
	fmt_puts(q->o, "}");
	return PROTO_OK;
}

/* --------------------------------------------------------------- commands */

static enum proto_error
ctl_cmd_status(struct ctl_req *q)
{
	struct fmt_out *o = q->o;
	int method = CFG_GET(method);

	ctl_begin(q);
	fmt_printf(o, "{\"pid\":%ld,\"exe\":", (long)getpid());
	fmt_json_string(o, agent_exe());
	fmt_printf(o, ",\"proto\":%d", PROTO_VERSION);
	ctl_bool(o, "tracing", CFG_GET(tracing));
	fmt_printf(o, ",\"method\":\"%s\",\"depth\":%d,\"tail\":%d",
	    cfg_method_name(method), CFG_GET(depth), CFG_GET(tail));
	fmt_printf(o, ",\"min_size\":%zu,\"max_size\":%zu", CFG_GET(min_size),
	    CFG_GET(max_size));
	ctl_bool(o, "dup", CFG_GET(dup_check));
	ctl_bool(o, "bound", CFG_GET(bound_check));
	ctl_bool(o, "check", CFG_GET(check_enabled));
	fmt_printf(o, ",\"check_every_ms\":%u", CFG_GET(check_period_ms));
	fmt_printf(o, ",\"total_bytes\":%zu,\"peak_bytes\":%zu,\"anchors\":%u",
	    anc_total_bytes(), anc_peak_bytes(), anc_live_count());
	fmt_printf(o, ",\"blocks\":%zu,\"overflows\":%u,\"generation\":%u",
	    blk_live(), bnd_count(), anc_generation());
	fmt_printf(o, ",\"agent_bytes\":%zu,\"modules\":%u", arena_bytes(), mod_count());
	fmt_printf(o, ",\"control\":\"%s\",\"socket\":", ctl.mode == CTL_RO ? "ro" : "rw");
	fmt_json_string(o, ctl.path);
	fmt_printf(o, ",\"connections\":%llu,\"requests\":%llu,\"errors\":%llu"
	    ",\"refused_peers\":%llu,\"busy\":%llu}",
	    (unsigned long long)ctl.connections, (unsigned long long)ctl.requests,
	    (unsigned long long)ctl.errors, (unsigned long long)ctl.refused,
	    (unsigned long long)ctl.busy);
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_modules(struct ctl_req *q)
{
	ctl_begin(q);
	fmt_printf(q->o, "{\"pid\":%ld", (long)getpid());
	ctl_modules(q->o);
	fmt_puts(q->o, "}");
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_bound(struct ctl_req *q)
{
	const struct proto_value *v = &q->r.v[PROTO_F_bound_scan];
	int scan = v->present ? (int)v->i : 1;
	unsigned found = scan ? bnd_scan() : 0;

	ctl_begin(q);
	ctl_snapshot_header(q->o);
	ctl_bool(q->o, "scanned", scan);
	fmt_printf(q->o, ",\"new\":%u", found);
	ctl_modules(q->o);
	ctl_bounds(q->o);
	fmt_puts(q->o, "}");
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_start(struct ctl_req *q)
{
	jhook_start();
	ctl_begin(q);
	fmt_printf(q->o, "{\"tracing\":%s}", CFG_GET(tracing) ? "true" : "false");
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_stop(struct ctl_req *q)
{
	jhook_stop();
	ctl_begin(q);
	fmt_printf(q->o, "{\"tracing\":%s,\"generation\":%u}",
	    CFG_GET(tracing) ? "true" : "false", anc_generation());
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_set_limit(struct ctl_req *q)
{
	int64_t min = q->r.v[PROTO_F_set_limit_min].i;
	int64_t max = q->r.v[PROTO_F_set_limit_max].i;

	if (min > max) {
		fmt_snprintf(q->cause, q->causelen, "\"min\" (%lld) is above \"max\" (%lld)",
		    (long long)min, (long long)max);
		return PROTO_E_OUT_OF_RANGE;
	}
	jhook_set_limit((size_t)min, (size_t)max);
	ctl_begin(q);
	fmt_printf(q->o, "{\"min_size\":%zu,\"max_size\":%zu}", CFG_GET(min_size),
	    CFG_GET(max_size));
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_set_flag(struct ctl_req *q)
{
	const struct proto_value *dup = &q->r.v[PROTO_F_set_flag_dup];
	const struct proto_value *bound = &q->r.v[PROTO_F_set_flag_bound];

	if (!dup->present && !bound->present) {
		fmt_snprintf(q->cause, q->causelen, "give \"dup\", \"bound\" or both");
		return PROTO_E_MISSING_FIELD;
	}
	jhook_set_flag(dup->present ? (int)dup->i : CFG_GET(dup_check),
	    bound->present ? (int)bound->i : CFG_GET(bound_check));
	ctl_begin(q);
	fmt_printf(q->o, "{\"dup\":%s,\"bound\":%s}",
	    CFG_GET(dup_check) ? "true" : "false",
	    CFG_GET(bound_check) ? "true" : "false");
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_set_check(struct ctl_req *q)
{
	const struct proto_value *every = &q->r.v[PROTO_F_set_check_every];
	const struct proto_value *off = &q->r.v[PROTO_F_set_check_off];

	if (!every->present && !off->present) {
		fmt_snprintf(q->cause, q->causelen, "give \"every\" (seconds) or \"off\"");
		return PROTO_E_MISSING_FIELD;
	}
	if (every->present && off->present && off->i) {
		fmt_snprintf(q->cause, q->causelen, "\"every\" and \"off\" exclude each other");
		return PROTO_E_OUT_OF_RANGE;
	}
	if (off->present && off->i)
		jhook_set_check(0, 0);
	else
		jhook_set_check(1, every->present ? (int)every->i * 100 : 0);
	ctl_begin(q);
	fmt_printf(q->o, "{\"check\":%s,\"check_every_ms\":%u}",
	    CFG_GET(check_enabled) ? "true" : "false", CFG_GET(check_period_ms));
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_set_method(struct ctl_req *q)
{
	const char *name = proto_method_names[q->r.v[PROTO_F_set_method_method].i];
	const struct proto_value *depth = &q->r.v[PROTO_F_set_method_depth];
	int method = cfg_method_parse(name);

	if (method < 0) {
		fmt_snprintf(q->cause, q->causelen, "this agent has no method \"%s\"",
		    name);
		return PROTO_E_OUT_OF_RANGE;
	}
	if (depth->present)
		jhook_set_depth((int)depth->i);
	jhook_set_method(method);
	ctl_begin(q);
	fmt_printf(q->o, "{\"method\":\"%s\",\"depth\":%d}",
	    cfg_method_name(CFG_GET(method)), CFG_GET(depth));
	return PROTO_OK;
}

static enum proto_error
ctl_cmd_set_tail(struct ctl_req *q)
{
	jhook_init((int)q->r.v[PROTO_F_set_tail_bytes].i);
	ctl_begin(q);
	fmt_printf(q->o, "{\"tail\":%d}", CFG_GET(tail));
	return PROTO_OK;
}

static const ctl_handler ctl_handlers[PROTO_CMD_COUNT] = {
#define PROTO_X(id, name, access, fields) [PROTO_CMD_##id] = ctl_cmd_##id,
	PROTO_COMMANDS(PROTO_X)
#undef PROTO_X
};

/* ------------------------------------------------------------ connections */

/* Parses and answers one frame; -1 when the connection must be closed. */
static int
ctl_serve(struct ctl_conn *c, const char *frame, size_t len)
{
	struct fmt_out o;
	struct ctl_req q;
	char cause[256];
	enum proto_error e;
	sigset_t pipe;
	struct timespec zero = { 0, 0 };

	memset(&q, 0, sizeof q);
	q.o = &o;
	q.cause = cause;
	q.causelen = sizeof cause;
	cause[0] = '\0';
	fmt_open(&o, c->fd);
	ctl.requests++;
	e = proto_parse_request(frame, len, &q.r, cause, sizeof cause);
	if (e == PROTO_OK && ctl.mode == CTL_RO &&
	    proto_commands[q.r.cmd].access == PROTO_RW) {
		fmt_snprintf(cause, sizeof cause, "\"%s\" changes the process and "
		    "JHOOK_CONTROL=ro", proto_commands[q.r.cmd].name);
		e = PROTO_E_NOT_PERMITTED;
	}
	if (e == PROTO_OK)
		e = ctl_handlers[q.r.cmd](&q);
	if (q.begun)
		fmt_puts(&o, "}\n");
	else
		ctl_error(&o, e, cause);
	if (e != PROTO_OK)
		ctl.errors++;
	fmt_flush(&o);
	/* A peer that hung up raised SIGPIPE on this thread, where it is blocked. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	while (sigtimedwait(&pipe, NULL, &zero) > 0)
		;
	return o.error ? -1 : 0;
}

static void
ctl_close(struct ctl_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Answers an error on a connection that is then closed. */
static void
ctl_refuse(int fd, enum proto_error e, const char *cause)
{
	struct fmt_out o;

	fmt_open(&o, fd);
	ctl_error(&o, e, cause);
	fmt_flush(&o);
	close(fd);
}

/* Answers each complete line in the buffer; -1 to close. */
static int
ctl_frames_in(struct ctl_conn *c)
{
	char *nl;
	size_t used;
	int flags = fcntl(c->fd, F_GETFL);
	int rc = 0;

	/* Answers are written blocking, bounded by SO_SNDTIMEO. */
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	while (rc == 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		used = (size_t)(nl - c->buf) + 1;
		rc = ctl_serve(c, c->buf, used - 1);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
	return rc;
}

/* Reads what the peer sent and serves it. */
static void
ctl_readable(struct ctl_conn *c)
{
	ssize_t n;
	char cause[96];

	n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0 && (errno == EBADF || errno == ENOTSOCK)) {
		c->fd = -1;		/* the host closed it: the number is not ours to close */
		c->len = 0;
		return;
	}
	if (n <= 0) {
		if (n == 0 && c->len > 0) {
			fmt_snprintf(cause, sizeof cause, "request truncated: "
			    "%zu bytes and no newline before the end of the stream", c->len);
			ctl.requests++;
			ctl.errors++;
			ctl_refuse(c->fd, PROTO_E_BAD_FRAME, cause);
			c->fd = -1;
			c->len = 0;
			return;
		}
		ctl_close(c);
		return;
	}
	c->len += (size_t)n;
	c->last_ms = ctl_now();
	if (ctl_frames_in(c) != 0) {
		ctl_close(c);
		return;
	}
	if (c->len == sizeof c->buf) {
		fmt_snprintf(cause, sizeof cause, "a request is at most %d bytes "
		    "with its newline", PROTO_MAX_REQUEST);
		ctl.requests++;
		ctl.errors++;
		ctl_refuse(c->fd, PROTO_E_TOO_LARGE, cause);
		c->fd = -1;
		c->len = 0;
	}
}

/* Same uid or root, checked with SO_PEERCRED. */
static int
ctl_peer_ok(int fd, uid_t *uid, char *cause, size_t causelen)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		fmt_snprintf(cause, causelen, "cannot read the peer's credentials");
		return 0;
	}
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	fmt_snprintf(cause, causelen, "uid %u may not control this process "
	    "(it runs as uid %u)", (unsigned)cred.uid, (unsigned)geteuid());
	return 0;
}

/* The inode of a socket descriptor, 0 when it is no socket. */
static ino_t
ctl_sock_ino(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

/* Closes fd only if it is still the socket we opened (its number may be the host's now). */
static void
ctl_close_if_ours(int fd, ino_t ino)
{
	if (fd >= 0 && ino != 0 && ctl_sock_ino(fd) == ino)
		close(fd);
}

/* A warning about the socket, on the host's stderr only in the process that loaded the agent. */
#define ctl_warn(...)	do { if (!ctl.quiet) fmt_warn(__VA_ARGS__); } while (0)

static int	ctl_open_socket(void);

/*
 * The host closed our listening socket (a daemon closing every descriptor
 * at start is common) and may already reuse its number: forget it without
 * closing it, and bind a new one, at most once per backoff period.
 */
static void
ctl_lost_listener(void)
{
	ctl.listen_fd = -1;
	ctl.backoff_until = ctl_now() + CTL_BACKOFF_MS;
	if (ctl_open_socket() == 0)
		ctl.backoff_until = 0;
}

static struct ctl_conn *
ctl_free_slot(void)
{
	int i;

	for (i = 0; i < CTL_MAX_CONN; i++) {
		if (ctl.conns[i].fd < 0)
			return &ctl.conns[i];
	}
	return NULL;
}

/* Accepts every pending connection. */
static void
ctl_accept(void)
{
	struct timeval tv = { CTL_SEND_MS / 1000, 0 };
	struct ctl_conn *c;
	char cause[128];
	uid_t uid = 0;
	int fd;

	for (;;) {
		fd = accept4(ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				ctl.backoff_until = ctl_now() + CTL_BACKOFF_MS;
			else if (errno == EBADF || errno == ENOTSOCK || errno == EINVAL)
				ctl_lost_listener();
			return;
		}
		ctl.connections++;
		fd = fd_move_high(fd);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (!ctl_peer_ok(fd, &uid, cause, sizeof cause)) {
			ctl.refused++;
			ctl_refuse(fd, PROTO_E_NOT_PERMITTED, cause);
			continue;
		}
		if ((c = ctl_free_slot()) == NULL) {
			ctl.busy++;
			ctl_refuse(fd, PROTO_E_BUSY, "too many connections; try again");
			continue;
		}
		c->fd = fd;
		c->sock_ino = ctl_sock_ino(fd);
		c->uid = uid;
		c->len = 0;
		c->last_ms = ctl_now();
	}
}

/* ----------------------------------------------------------------- socket */

/* Binds <dir>/<pid>.sock, mode 0600; -1 with a warning. */
static int
ctl_open_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cause[256];
	struct stat st;
	int fd, rc;

	cause[0] = '\0';
	if (ctl.dir[0] == '\0')
		fmt_snprintf(cause, sizeof cause, "%s", ctl.dir_cause);
	if (ctl.dir[0] == '\0' ||
	    proto_check_dir(ctl.dir, geteuid(), 1, cause, sizeof cause) != 0 ||
	    proto_socket_path(ctl.dir, (long)getpid(), ctl.path, sizeof ctl.path) != 0) {
		if (cause[0] == '\0')
			fmt_snprintf(cause, sizeof cause, "%s: path too long", ctl.dir);
		ctl_warn("control socket disabled: %s", cause);
		ctl.path[0] = '\0';
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ctl_warn("control socket disabled: socket: %s", strerror(errno));
		return -1;
	}
	fd = fd_move_high(fd);
	memcpy(sun.sun_path, ctl.path, strlen(ctl.path) + 1);
	/* Ours by name: a leftover of this pid (an exec'd image) is stale. */
	unlink(ctl.path);
	/*
	 * Not umask(): it is the whole process's, and the host's threads create
	 * files meanwhile.  Linux gives the new node the socket's own mode (as
	 * masked by the umask), so set that first; chmod after, for certain.
	 */
	fchmod(fd, 0600);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	if (rc == 0)
		rc = chmod(ctl.path, 0600);
	if (rc != 0 || listen(fd, SOMAXCONN) != 0 || stat(ctl.path, &st) != 0) {
		ctl_warn("control socket disabled: %s: %s", ctl.path, strerror(errno));
		close(fd);
		ctl.path[0] = '\0';
		return -1;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ctl.listen_ino = ctl_sock_ino(fd);
	ctl.pid = getpid();
	ctl.listen_fd = fd;
	/* A short-lived process may have finished while this thread started. */
	if (__atomic_load_n(&ctl.closing, __ATOMIC_ACQUIRE))
		unlink(ctl.path);
	return 0;
}

/* Closes connections silent for too long. */
static void
ctl_expire(int64_t now)
{
	int i;

	for (i = 0; i < CTL_MAX_CONN; i++) {
		if (ctl.conns[i].fd >= 0 && now - ctl.conns[i].last_ms > CTL_IDLE_MS)
			ctl_close(&ctl.conns[i]);
	}
}

/* One round of poll over the listening socket and the connections. */
static void
ctl_poll_once(void)
{
	struct pollfd pfd[CTL_MAX_CONN + 1];
	struct ctl_conn *slot[CTL_MAX_CONN + 1];
	int n = 0, i, listening;
	int64_t now = ctl_now();

	if (ctl.listen_fd < 0 && now >= ctl.backoff_until)
		ctl_lost_listener();
	listening = ctl.listen_fd >= 0 && now >= ctl.backoff_until;
	if (listening) {
		pfd[n].fd = ctl.listen_fd;
		pfd[n].events = POLLIN;
		slot[n++] = NULL;
	}
	for (i = 0; i < CTL_MAX_CONN; i++) {
		if (ctl.conns[i].fd < 0)
			continue;
		pfd[n].fd = ctl.conns[i].fd;
		pfd[n].events = POLLIN;
		slot[n++] = &ctl.conns[i];
	}
	if (poll(pfd, (nfds_t)n, listening ? 1000 : CTL_BACKOFF_MS) <= 0) {
		ctl_expire(ctl_now());
		return;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].revents & POLLNVAL) {
			/* Closed behind our back: forget it, never close it. */
			if (slot[i] == NULL)
				ctl.listen_fd = -1;
			else
				slot[i]->fd = -1;
			continue;
		}
		if (slot[i] == NULL)
			ctl_accept();
		else if (slot[i]->fd >= 0)
			ctl_readable(slot[i]);
	}
	ctl_expire(ctl_now());
}

static void *
ctl_main(void *arg)
{
	int i;

	hook_agent_thread();	/* inside the guard for the whole life of the thread */
	if (ctl.conns == NULL)
		ctl.conns = arena_pages(CTL_MAX_CONN * sizeof *ctl.conns);
	if (ctl.conns == NULL) {
		ctl_warn("control socket disabled: no memory");
		return NULL;
	}
	for (i = 0; i < CTL_MAX_CONN; i++)
		ctl.conns[i].fd = -1;
	if (ctl_open_socket() != 0)
		return NULL;
	while (!__atomic_load_n(&ctl.closing, __ATOMIC_RELAXED))
		ctl_poll_once();
	return NULL;
}

/* Starts the thread with every signal blocked: the host's handlers never run on it. */
static void
ctl_spawn(void)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int guard;

	guard = hook_guard_enter();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CTL_STACK);
	if (pthread_create(&thread, &attr, ctl_main, NULL) != 0)
		ctl_warn("control socket disabled: cannot start its thread");
	else
		ctl.started = 1;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	hook_guard_leave(guard);
}

/* JHOOK_CONTROL=rw|ro|off; a bad value is refused and rw is used. */
static int
ctl_read_mode(void)
{
	const char *v = getenv("JHOOK_CONTROL");

	if (v == NULL || *v == '\0' || strcmp(v, "rw") == 0)
		return CTL_RW;
	if (strcmp(v, "ro") == 0)
		return CTL_RO;
	if (strcmp(v, "off") == 0)
		return CTL_OFF;
	fmt_warn("JHOOK_CONTROL=%s refused: expected rw, ro or off; using rw", v);
	return CTL_RW;
}

void
ctl_initialise(void)
{
	if (ctl.started)
		return;
	ctl.mode = ctl_read_mode();
	if (ctl.mode == CTL_OFF)
		return;
	/* Here, before main(), the environment is still the host's untouched one. */
	ctl.dir_cause[0] = '\0';
	if (proto_socket_dir(ctl.dir, sizeof ctl.dir, ctl.dir_cause,
	    sizeof ctl.dir_cause) != 0)
		ctl.dir[0] = '\0';
	ctl_spawn();
}

void
ctl_finalise(void)
{
	struct stat st;

	__atomic_store_n(&ctl.closing, 1, __ATOMIC_SEQ_CST);
	if (ctl.path[0] == '\0' || ctl.pid != getpid())
		return;
	/* Only the socket this process bound, never a successor's. */
	if (stat(ctl.path, &st) == 0 && st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
	ctl.path[0] = '\0';
}

void
ctl_fork_child(void)
{
	int i;

	if (!ctl.started)
		return;
	/* The parent's thread is gone; its descriptors are the parent's business. */
	ctl_close_if_ours(ctl.listen_fd, ctl.listen_ino);
	ctl.listen_fd = -1;
	if (ctl.conns != NULL) {
		for (i = 0; i < CTL_MAX_CONN; i++) {
			ctl_close_if_ours(ctl.conns[i].fd, ctl.conns[i].sock_ino);
			ctl.conns[i].fd = -1;
		}
	}
	ctl.path[0] = '\0';
	ctl.connections = ctl.requests = ctl.errors = ctl.refused = ctl.busy = 0;
	ctl.started = 0;
	ctl.closing = 0;
	ctl.quiet = 1;
	ctl.backoff_until = 0;
	ctl_spawn();
}
