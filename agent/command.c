/*
 * command.c - the control socket's commands.
 *
 * Handlers are a table indexed by the protocol's command ids, so adding a
 * command to proto/proto.h without its handler fails to build.  Each reads
 * its request fields by their generated names (PROTO_F_<cmd>_<field>),
 * relies on proto/rules.c for the rules between them (a request that
 * reaches a handler keeps them), changes the agent only through
 * settings.h, and writes documents only through snapshot.h: a live answer
 * is the exit report's document.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <string.h>
#include <unistd.h>

#include "anchor.h"
#include "answer.h"
#include "arena.h"
#include "block.h"
#include "bound.h"
#include "command.h"
#include "config.h"
#include "fmt.h"
#include "module.h"
#include "settings.h"
#include "snapshot.h"
#include "view.h"

typedef enum proto_error (*cmd_handler)(struct cmd_req *);

/* The snapshot's order for each of the protocol's sort names. */
static const int cmd_sorts[] = {
	[PROTO_SORT_DIFF] = SNAP_SORT_DIFF,
	[PROTO_SORT_BYTES] = SNAP_SORT_BYTES,
	[PROTO_SORT_SIZE] = SNAP_SORT_SIZE,
};

static const char *
cmd_bool(int v)
{
	return (v ? "true" : "false");
}

/* Writes the success header once: the envelope is proto/answer.c's. */
static void
cmd_begin(struct cmd_req *q)
{
	char	head[128];

	if (proto_answer_head(head, sizeof head, &proto_agent,
	    proto_commands[q->r.cmd].name) > 0)
		fmt_puts(q->o, head);
	q->begun = 1;
}

void
cmd_end(struct cmd_req *q)
{
	fmt_puts(q->o, PROTO_ANSWER_TAIL);
}

void
cmd_error(struct fmt_out *o, enum proto_error e, const char *cause)
{
	char	line[PROTO_MAX_ERROR];

	if (proto_answer_error(line, sizeof line, &proto_agent, e, cause) > 0)
		fmt_puts(o, line);
}

/*
 * The view slot of a consumer name.  "legacy" is the C API's and the
 * periodic checker's own: a client may look through it (*peek) but never
 * mark what it saw, so it cannot hide a change from gdb or the checker.
 */
static int
cmd_consumer(const char *name, int *peek)
{
	*peek = strcmp(name, PROTO_LEGACY_CONSUMER) == 0;
	return (view_consumer(*peek ? "" : name));
}

static enum proto_error
cmd_leak(struct cmd_req *q)
{
	const struct proto_value	*v = q->r.v;
	struct snap_query		 s;

	memset(&s, 0, sizeof s);
	s.choice = v[PROTO_F_leak_choice].present ? (int)v[PROTO_F_leak_choice].i : 0;
	s.min_diff = v[PROTO_F_leak_min_diff].present ? v[PROTO_F_leak_min_diff].i : 0;
	s.top = v[PROTO_F_leak_top].present ? (unsigned)v[PROTO_F_leak_top].i : 0;
	s.frames_from = v[PROTO_F_leak_frames_from].present ?
	    (uint32_t)v[PROTO_F_leak_frames_from].i : 0;
	s.sort = v[PROTO_F_leak_sort].present ?
	    cmd_sorts[v[PROTO_F_leak_sort].i] : SNAP_SORT_ID;
	/* A top needs an order, and a sort needs a bound on what it keeps. */
	if (s.top > 0 && s.sort == SNAP_SORT_ID)
		s.sort = SNAP_SORT_DIFF;
	if (s.sort != SNAP_SORT_ID && s.top == 0)
		s.top = PROTO_MAX_TOP;
	if ((s.consumer = cmd_consumer(q->r.consumer, &s.peek)) < 0) {
		fmt_snprintf(q->cause, q->causelen, "all %d consumer slots belong to "
		    "consumers active in the last 10 minutes", VIEW_MAX - 1);
		return (PROTO_E_BUSY);
	}
	cmd_begin(q);
	snap_leak_json(q->o, &s, q->r.consumer, 0);
	return (PROTO_OK);
}

static enum proto_error
cmd_status(struct cmd_req *q)
{
	struct fmt_out	*o = q->o;
	const struct cmd_transport *t = q->t;

	cmd_begin(q);
	fmt_printf(o, "{\"pid\":%ld,\"exe\":", (long)getpid());
	fmt_json_string(o, cfg_exe());
	fmt_printf(o, ",\"proto\":%d,\"tracing\":%s", PROTO_VERSION,
	    cmd_bool(CFG_GET(tracing)));
	fmt_printf(o, ",\"method\":\"%s\",\"depth\":%d,\"tail\":%d",
	    cfg_method_name(CFG_GET(method)), CFG_GET(depth), CFG_GET(tail));
	fmt_printf(o, ",\"min_size\":%zu,\"max_size\":%zu", CFG_GET(min_size),
	    CFG_GET(max_size));
	fmt_printf(o, ",\"dup\":%s,\"bound\":%s,\"check\":%s",
	    cmd_bool(CFG_GET(dup_check)), cmd_bool(CFG_GET(bound_check)),
	    cmd_bool(CFG_GET(check_enabled)));
	fmt_printf(o, ",\"check_every_ms\":%u", CFG_GET(check_period_ms));
	fmt_printf(o, ",\"total_bytes\":%zu,\"peak_bytes\":%zu,\"anchors\":%u",
	    anc_total_bytes(), anc_peak_bytes(), anc_live_count());
	fmt_printf(o, ",\"blocks\":%zu,\"overflows\":%u,\"generation\":%u",
	    blk_live(), bnd_count(), anc_generation());
	fmt_printf(o, ",\"agent_bytes\":%zu,\"modules\":%u", arena_bytes(), mod_count());
	fmt_printf(o, ",\"control\":\"%s\",\"socket\":", t->read_only ? "ro" : "rw");
	fmt_json_string(o, t->socket);
	fmt_printf(o, ",\"connections\":%llu,\"requests\":%llu,\"errors\":%llu"
	    ",\"refused_peers\":%llu,\"busy\":%llu}",
	    (unsigned long long)t->connections, (unsigned long long)t->requests,
	    (unsigned long long)t->errors, (unsigned long long)t->refused,
	    (unsigned long long)t->busy);
	return (PROTO_OK);
}

static enum proto_error
cmd_modules(struct cmd_req *q)
{
	cmd_begin(q);
	snap_modules(q->o);
	return (PROTO_OK);
}

static enum proto_error
cmd_bound(struct cmd_req *q)
{
	const struct proto_value	*v = &q->r.v[PROTO_F_bound_scan];
	int				 scan = v->present ? (int)v->i : 1;
	unsigned			 found = scan ? bnd_scan() : 0;

	cmd_begin(q);
	snap_bound_json(q->o, scan, found);
	return (PROTO_OK);
}

static enum proto_error
cmd_start(struct cmd_req *q)
{
	stg_start();
	cmd_begin(q);
	fmt_printf(q->o, "{\"tracing\":%s}", cmd_bool(CFG_GET(tracing)));
	return (PROTO_OK);
}

static enum proto_error
cmd_stop(struct cmd_req *q)
{
	stg_stop();
	cmd_begin(q);
	fmt_printf(q->o, "{\"tracing\":%s,\"generation\":%u}",
	    cmd_bool(CFG_GET(tracing)), anc_generation());
	return (PROTO_OK);
}

static enum proto_error
cmd_set_limit(struct cmd_req *q)
{
	int64_t	min = q->r.v[PROTO_F_set_limit_min].i;
	int64_t	max = q->r.v[PROTO_F_set_limit_max].i;

	/* proto/rules.c has checked min <= max: a refusal is the agent's fault. */
	if (stg_limit((size_t)min, (size_t)max) != 0) {
		fmt_snprintf(q->cause, q->causelen, "the agent refused the limits");
		return (PROTO_E_INTERNAL);
	}
	cmd_begin(q);
	fmt_printf(q->o, "{\"min_size\":%zu,\"max_size\":%zu}", CFG_GET(min_size),
	    CFG_GET(max_size));
	return (PROTO_OK);
}

static enum proto_error
cmd_set_flag(struct cmd_req *q)
{
	const struct proto_value	*dup = &q->r.v[PROTO_F_set_flag_dup];
	const struct proto_value	*bound = &q->r.v[PROTO_F_set_flag_bound];

	stg_flags(dup->present ? (int)dup->i : CFG_GET(dup_check),
	    bound->present ? (int)bound->i : CFG_GET(bound_check));
	cmd_begin(q);
	fmt_printf(q->o, "{\"dup\":%s,\"bound\":%s}", cmd_bool(CFG_GET(dup_check)),
	    cmd_bool(CFG_GET(bound_check)));
	return (PROTO_OK);
}

static enum proto_error
cmd_set_check(struct cmd_req *q)
{
	const struct proto_value	*every = &q->r.v[PROTO_F_set_check_every];
	const struct proto_value	*off = &q->r.v[PROTO_F_set_check_off];

	/* proto/rules.c: at least one of the two, and "every" only without "off". */
	if (off->present && off->i)
		stg_check(0, 0);
	else
		stg_check(1, every->present ? (unsigned)every->i * 1000u : 0);
	cmd_begin(q);
	fmt_printf(q->o, "{\"check\":%s,\"check_every_ms\":%u}",
	    cmd_bool(CFG_GET(check_enabled)), CFG_GET(check_period_ms));
	return (PROTO_OK);
}

static enum proto_error
cmd_set_method(struct cmd_req *q)
{
	const char			*name;
	const struct proto_value	*depth = &q->r.v[PROTO_F_set_method_depth];
	int				 method;

	name = proto_method_names[q->r.v[PROTO_F_set_method_method].i];
	if ((method = cfg_method_parse(name)) < 0) {
		fmt_snprintf(q->cause, q->causelen, "this agent has no method \"%s\"",
		    name);
		return (PROTO_E_OUT_OF_RANGE);
	}
	/* The field's range is the agent's: stg_depth cannot refuse it. */
	if (depth->present)
		stg_depth((int)depth->i);
	stg_method(method);
	cmd_begin(q);
	fmt_printf(q->o, "{\"method\":\"%s\",\"depth\":%d}",
	    cfg_method_name(CFG_GET(method)), CFG_GET(depth));
	return (PROTO_OK);
}

static enum proto_error
cmd_set_tail(struct cmd_req *q)
{
	stg_tail((int)q->r.v[PROTO_F_set_tail_bytes].i);
	cmd_begin(q);
	fmt_printf(q->o, "{\"tail\":%d}", CFG_GET(tail));
	return (PROTO_OK);
}

static const cmd_handler cmd_handlers[PROTO_CMD_COUNT] = {
#define PROTO_X(id, name, access, fields) [PROTO_CMD_##id] = cmd_##id,
	PROTO_COMMANDS(PROTO_X)
#undef PROTO_X
};

enum proto_error
cmd_run(struct cmd_req *q)
{
	return (cmd_handlers[q->r.cmd](q));
}
