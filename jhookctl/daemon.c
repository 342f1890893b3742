/*
 * daemon.c - `jhookctl daemon status|processes|suspects|history`: asks
 * jhookd(8) on its control socket (PROTO_JHOOKD_SOCKET in the socket
 * directory, or --socket), in jhookd's protocol (proto_jhookd).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jhookctl.h"
#include "proto.h"


static const char *
dmn_str(json_object *o, const char *k)
{
	return pj_str_or(o, k, "");
}

static long long
dmn_int(json_object *o, const char *k)
{
	int64_t v;

	return pj_int(o, k, &v) == 0 ? (long long)v : 0;
}

/* An array member, NULL when missing or not an array. */
static json_object *
dmn_arr(json_object *o, const char *k)
{
	json_object *v;

	return pj_arr(o, k, &v) == 0 ? v : NULL;
}

static double
dmn_num(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static const char *
dmn_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "never";
	localtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static void
dmn_status(json_object *r)
{
	json_object *p = NULL;

	pj_obj(r, "processes", &p);
	printf("jhookd pid %lld, up %.0f s, polling every %g s (timeout %g s) as \"%s\"\n",
	    dmn_int(r, "pid"), dmn_num(r, "uptime"), dmn_num(r, "interval"),
	    dmn_num(r, "timeout"), dmn_str(r, "consumer"));
	printf("processes: %lld live, %lld unreachable, %lld ended; %s%lld suspects%s\n",
	    dmn_int(p, "live"), dmn_int(p, "unreachable"), dmn_int(p, "ended"),
	    dmn_int(r, "suspects") ? ctl_red() : "", dmn_int(r, "suspects"), ctl_reset());
	printf("polls: %lld answered, %lld failed (%lld timeouts)\n", dmn_int(r, "polls"),
	    dmn_int(r, "poll_errors"), dmn_int(r, "poll_timeouts"));
	printf("history: %s, %lld bytes\n", dmn_str(r, "history_file"),
	    dmn_int(r, "history_bytes"));
	printf("history in memory: %lld bytes of max-memory %lld, %lld samples a series; "
	    "%lld samples, %lld processes dropped for memory\n",
	    dmn_int(r, "history_memory_bytes"), dmn_int(r, "max_memory"),
	    dmn_int(r, "samples_per_series"), dmn_int(r, "samples_dropped_for_memory"),
	    dmn_int(r, "processes_dropped_for_memory"));
	printf("control: %s; http: %s\n", dmn_str(r, "control"),
	    *dmn_str(r, "listen") ? dmn_str(r, "listen") : "off");
}

static void
dmn_processes(json_object *r)
{
	json_object *arr = dmn_arr(r, "processes"), *p;
	size_t i, n = arr ? json_object_array_length(arr) : 0;

	printf("%s%7s  %-11s %6s %12s %12s %7s %8s  %s%s\n", ctl_bold(), "PID", "STATE",
	    "POLLS", "TOTAL", "PEAK", "ANCHORS", "SUSPECTS", "EXE", ctl_reset());
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(arr, i);
		printf("%7lld  %-11s %6lld %12lld %12lld %7lld %s%8lld%s  %s\n",
		    dmn_int(p, "pid"), dmn_str(p, "state"), dmn_int(p, "polls"),
		    dmn_int(p, "total_bytes"), dmn_int(p, "peak_bytes"), dmn_int(p, "anchors"),
		    dmn_int(p, "suspects") ? ctl_red() : "", dmn_int(p, "suspects"),
		    ctl_reset(), dmn_str(p, "exe"));
		if (*dmn_str(p, "error") != '\0')
			printf("%9s%s%s%s\n", "", ctl_dim(), dmn_str(p, "error"), ctl_reset());
	}
}

static void
dmn_anchor(json_object *s)
{
	char when[64];

	printf("%spid %lld%s %s: anchor %s, size %lld: diff %lld blocks (%lld bytes), "
	    "growing %.2f blocks/s (%.0f bytes/s)", ctl_bold(), dmn_int(s, "pid"),
	    ctl_reset(), dmn_str(s, "exe"), dmn_str(s, "anchor"), dmn_int(s, "size"),
	    dmn_int(s, "diff"), dmn_int(s, "bytes"), dmn_num(s, "growth_blocks_per_s"),
	    dmn_num(s, "growth_bytes_per_s"));
	if (json_object_object_get(s, "first_seen") != NULL)
		printf(", suspect since %s", dmn_time(dmn_num(s, "first_seen"), when, sizeof when));
	printf("\n");
	render_frames_text(stdout, json_object_object_get(s, "frames"), "    ");
}

static void
dmn_suspects(json_object *r)
{
	json_object *arr = dmn_arr(r, "suspects");
	size_t i, n = arr ? json_object_array_length(arr) : 0;

	if (n == 0)
		printf("no suspects: no anchor keeps growing\n");
	for (i = 0; i < n; i++)
		dmn_anchor(json_object_array_get_idx(arr, i));
}

static void
dmn_history(json_object *r)
{
	json_object *arr = dmn_arr(r, "samples"), *s;
	/* A process's history has a sample count, an anchor's the samples. */
	int anchor = json_object_is_type(arr, json_type_array);
	size_t i, n;
	char when[64];

	if (anchor) {
		dmn_anchor(r);
		printf("%s%-19s %10s %10s %10s%s\n", ctl_bold(), "TIME", "ALLOC", "FREE",
		    "DIFF", ctl_reset());
	} else {
		arr = dmn_arr(r, "history");
		printf("pid %lld %s (%s): %lld anchors, %lld suspects\n", dmn_int(r, "pid"),
		    dmn_str(r, "exe"), dmn_str(r, "state"), dmn_int(r, "anchors"),
		    dmn_int(r, "suspects"));
		printf("%s%-19s %12s %12s%s\n", ctl_bold(), "TIME", "TOTAL", "PEAK", ctl_reset());
	}
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(arr, i);
		dmn_time(dmn_num(s, "t"), when, sizeof when);
		if (anchor)
			printf("%-19s %10lld %10lld %10lld\n", when, dmn_int(s, "alloc"),
			    dmn_int(s, "free"), dmn_int(s, "diff"));
		else
			printf("%-19s %12lld %12lld\n", when, dmn_int(s, "total_bytes"),
			    dmn_int(s, "peak_bytes"));
	}
}

static const struct {
	const char	*name;
	void		(*render)(json_object *);
} dmn_subs[] = {
	{ "status", dmn_status },
	{ "processes", dmn_processes },
	{ "suspects", dmn_suspects },
	{ "history", dmn_history },
};

/* Adds file:line (libdw) to the frames of suspects or of one anchor. */
static void
dmn_symbolize(json_object *result)
{
	json_object *doc = json_object_new_object(), *list, *one;

	if (pj_arr(result, "suspects", &list) == 0) {
		json_object_object_add(doc, "anchors", json_object_get(list));
	} else if (pj_arr(result, "frames", &one) == 0) {
		list = json_object_new_array();
		json_object_array_add(list, json_object_get(result));
		json_object_object_add(doc, "anchors", list);
	}
	symz_document(doc);
	json_object_put(doc);
	symz_finalise();
}

/* jhookd's socket: --socket, else PROTO_JHOOKD_SOCKET in the socket directory. */
static int
dmn_path(const struct ctl_opts *o, char *path, size_t len)
{
	char dir[256], cause[256];

	if (o->socket != NULL) {
		snprintf(path, len, "%s", o->socket);
		return 0;
	}
	if (proto_socket_dir(dir, sizeof dir, cause, sizeof cause) != 0) {
		fprintf(stderr, "%s daemon: %s\n", ctl_progname, cause);
		return EXIT_CONNECT;
	}
	if (proto_socket_file(dir, PROTO_JHOOKD_SOCKET, path, len) != 0) {
		fprintf(stderr, "%s daemon: the socket directory %s is too long\n",
		    ctl_progname, dir);
		return EXIT_CONNECT;
	}
	return 0;
}

static int
cmd_daemon(struct ctl_args *a)
{
	json_object *fields = NULL, *result = NULL, *error = NULL;
	const char *anchor = args_get(a, "anchor"), *sub = a->argv[0];
	char path[256], cause[512];
	struct ctl_opts o = a->o;
	size_t i;
	int rc;

	/* jhookd is no agent: no "changed" state to keep. */
	o.consumer = args_get(a, "consumer");
	for (i = 0; i < sizeof dmn_subs / sizeof dmn_subs[0]; i++)
		if (strcmp(dmn_subs[i].name, sub) == 0)
			break;
	if (i == sizeof dmn_subs / sizeof dmn_subs[0])
		ctl_usage_error("daemon", "no subcommand '%s'", sub);
	if (strcmp(sub, "history") == 0) {
		if (o.pid < 0)
			ctl_usage_error("daemon", "history needs --pid N");
		fields = json_object_new_object();
		json_object_object_add(fields, "pid", json_object_new_int64(o.pid));
		if (anchor != NULL)
			json_object_object_add(fields, "anchor", json_object_new_string(anchor));
	} else if (o.pid >= 0 || anchor != NULL) {
		ctl_usage_error("daemon", "--pid and --anchor go with history");
	}
	if ((rc = dmn_path(&o, path, sizeof path)) != 0)
		return rc;
	rc = cl_call_table(&proto_jhookd, path, &o, sub, fields, &result, &error,
	    cause, sizeof cause);
	json_object_put(fields);
	if (rc == EXIT_CONNECT) {
		fprintf(stderr, "%s daemon: cannot reach jhookd at %s: %s (is jhookd "
		    "running, with the same JHOOK_SOCKET_DIR?)\n", ctl_progname, path, cause);
	} else if (rc != 0) {
		fprintf(stderr, "%s daemon: jhookd answered %s: %s\n", ctl_progname,
		    pj_str_or(error, "code", "an error"), pj_str_or(error, "message", cause));
		if (o.json && error != NULL) {
			json_object *wrap = json_object_new_object();

			json_object_object_add(wrap, "error", json_object_get(error));
			cl_print_json(wrap);
			json_object_put(wrap);
		}
	} else if (o.json) {
		dmn_symbolize(result);
		cl_print_json(result);
	} else {
		dmn_symbolize(result);
		dmn_subs[i].render(result);
	}
	json_object_put(result);
	json_object_put(error);
	return rc;
}

static const struct ctl_option dmn_options[] = {
	CTL_LOCAL("anchor", 0, "ID", CTL_T_STRING, 0, 0, NULL,
	    "with history: one anchor, by the stable id jhookd shows"),
	CTL_END
};
const struct ctl_entry ctl_entry_daemon = {
	"daemon", -1, CTL_F_AGENT, dmn_options, "status|processes|suspects|history",
	1, 1,
	"Ask jhookd(8), the collector, on its control socket (jhookd.sock in the\n"
	"socket directory, or --socket PATH): its status, the processes it polls,\n"
	"the suspects (anchors whose diff keeps growing, with growth rates and\n"
	"stacks), or the history of a process (--pid) or of one anchor (--anchor).\n"
	"With --json, the document jhookd's /api/ serves.\n", cmd_daemon
};
