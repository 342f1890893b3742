/*
 * leak.c - leak, bound, watch and report: the commands that print anchors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

/* Prints a symbolized document as --json, --format folded or text. */
static void
print_document(const struct ctl_opts *o, json_object *doc, int bounds, int is_report)
{
	symz_document(doc);
	if (o->json)
		cl_print_json(doc);
	else if (o->folded)
		render_folded(stdout, doc, bounds);
	else if (bounds)
		render_bounds_text(stdout, doc);
	else
		render_leak_text(stdout, doc, is_report);
}

static int
cmd_leak(struct ctl_args *a)
{
	struct proto_value *sort = &a->req.v[PROTO_F_leak_sort];
	const char *order = sort->present ? proto_sort_names[sort->i] : NULL;
	json_object *f, *r;
	int rc;

	/* The agent sorts only to keep its top K; a full sort is done here. */
	if (!a->req.v[PROTO_F_leak_top].present)
		sort->present = 0;
	f = args_fields(a);
	rc = cl_call(&a->o, "leak", f, &r);
	json_object_put(f);
	if (rc != 0)
		return rc;
	render_sort(r, order);
	print_document(&a->o, r, 0, 0);
	json_object_put(r);
	return 0;
}

static const struct ctl_option leak_options[] = {
	CTL_FIELD("choice", "C", leak, choice, "which anchors, see above"),
	CTL_FIELD("min-diff", "K", leak, min_diff,
	    "only anchors with at least K unreleased blocks"),
	CTL_FIELD("top", "K", leak, top,
	    "only the K first in --sort order (default diff)"),
	CTL_FIELD("sort", NULL, leak, sort,
	    "diff, bytes (diff x size) or size, largest first"),
	CTL_FORMAT,
	CTL_END
};
const struct ctl_entry ctl_entry_leak = {
	"leak", PROTO_CMD_leak, CTL_F_AGENT | CTL_F_TARGET, leak_options, NULL, 0, 0,
	"The anchor table, symbolized.  --choice: 0 unreleased and changed since\n"
	"this consumer's last look (default); 1 changed; 2 unreleased; 3 all;\n"
	">3 unreleased count >= C; <0 unreleased count >= -C and changed.\n",
	cmd_leak
};

static int
cmd_bound(struct ctl_args *a)
{
	json_object *r;
	int rc;

	if ((rc = cl_call(&a->o, "bound", NULL, &r)) != 0)
		return rc;
	print_document(&a->o, r, 1, 0);
	json_object_put(r);
	return 0;
}

static const struct ctl_option bound_options[] = { CTL_FORMAT, CTL_END };
const struct ctl_entry ctl_entry_bound = {
	"bound", PROTO_CMD_bound, CTL_F_AGENT | CTL_F_TARGET, bound_options, NULL,
	0, 0,
	"Scan every live block's tail guard now and list every overflow found\n"
	"so far, with the allocating (and freeing) stacks.\n", cmd_bound
};

/* Reads a whole file ("-" = stdin); malloc'd text or NULL with errno. */
static char *
read_all(const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 65536, n;
	char *buf, *nb;

	if (fp == NULL || (buf = malloc(cap)) == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (len + 1 == cap) {
			if ((nb = realloc(buf, cap *= 2)) == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
	}
	if (buf != NULL)
		buf[len] = '\0';
	if (fp != stdin)
		fclose(fp);
	return buf;
}

static int
cmd_report(struct ctl_args *a)
{
	const char *file = a->argv[0];
	json_object *doc, *v;
	char *text;

	if ((text = read_all(file)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", ctl_progname, file, strerror(errno));
		return EXIT_TARGET;
	}
	doc = json_tokener_parse(text);
	free(text);
	if (doc == NULL || pj_arr(doc, "anchors", &v) != 0) {
		fprintf(stderr, "%s: %s is not a JSON exit report or snapshot "
		    "(JHOOK_REPORT_FORMAT=json writes one)\n", ctl_progname, file);
		json_object_put(doc);
		return EXIT_TARGET;
	}
	render_sort(doc, args_get(a, "sort"));
	print_document(&a->o, doc, 0, 1);
	json_object_put(doc);
	return 0;
}

/* --sort is checked as leak's, and sorted here: a report is no request. */
static const struct ctl_option report_options[] = {
	CTL_FORMAT,
	CTL_FIELD("sort", NULL, leak, sort,
	    "diff, bytes (diff x size) or size, largest first"),
	CTL_END
};
const struct ctl_entry ctl_entry_report = {
	"report", -1, CTL_F_JSON, report_options, "FILE", 1, 1,
	"Symbolize and print a saved exit report or snapshot (JSON).\n", cmd_report
};

/* ------------------------------------------------------------------ watch */

struct watch {
	json_object	*base;		/* id -> diff when watching started */
	json_object	*prev;		/* id -> diff at the last refresh */
	long long	 generation;
};

static long long
diff_in(json_object *map, const char *id, long long dflt)
{
	int64_t v;

	return pj_int(map, id, &v) == 0 ? (long long)v : dflt;
}

static long long
jnum2(json_object *o, const char *key)
{
	int64_t v;

	return pj_int(o, key, &v) == 0 ? (long long)v : 0;
}

static int
by_grown(const void *x, const void *y)
{
	json_object *a = *(json_object *const *)x, *b = *(json_object *const *)y;
	long long ga = jnum2(a, "grown"), gb = jnum2(b, "grown");

	if (ga != gb)
		return ga > gb ? -1 : 1;
	return jnum2(a, "id") < jnum2(b, "id") ? -1 : 1;
}

/*
 * Keeps the anchors whose unreleased count grew since watching started,
 * each with "grown" (since the start) and "delta" (since the last refresh).
 */
static void
watch_filter(struct watch *w, json_object *doc, int first)
{
	json_object *anchors, *keep = json_object_new_array(), *a, *now;
	char id[32];
	long long diff, g;
	size_t i;

	now = json_object_new_object();
	if (jnum2(doc, "generation") != w->generation) {
		json_object_put(w->base);
		w->base = NULL;
		w->generation = jnum2(doc, "generation");
	}
	if (pj_arr(doc, "anchors", &anchors) != 0)
		anchors = NULL;
	for (i = 0; anchors != NULL && i < json_object_array_length(anchors); i++) {
		if ((a = pj_obj_at(anchors, i)) == NULL)
			continue;
		snprintf(id, sizeof id, "%lld", jnum2(a, "id"));
		diff = jnum2(a, "diff");
		json_object_object_add(now, id, json_object_new_int64(diff));
		g = diff - diff_in(w->base, id, first || w->base == NULL ? diff : 0);
		if (g <= 0)
			continue;
		json_object_object_add(a, "grown", json_object_new_int64(g));
		json_object_object_add(a, "delta", json_object_new_int64(
		    diff - diff_in(w->prev, id, 0)));
		json_object_array_add(keep, json_object_get(a));
	}
	json_object_array_sort(keep, by_grown);
	json_object_object_add(doc, "anchors", keep);
	if (w->base == NULL)
		w->base = json_object_get(now);
	json_object_put(w->prev);
	w->prev = now;
}

static void
watch_text(json_object *doc, int refresh, double every)
{
	json_object *anchors, *a;
	size_t i;

	if (ctl_colour)
		fputs("\033[H\033[2J", stdout);
	else if (refresh > 0)
		fputs("\n", stdout);
	printf("%spid %lld%s  %s  every %gs, refresh %d\n", ctl_bold(), jnum2(doc, "pid"),
	    ctl_reset(), pj_str_or(doc, "exe", "?"),
	    every, refresh);
	printf("total=%lld peak=%lld\n", jnum2(doc, "total_bytes"), jnum2(doc, "peak_bytes"));
	printf("%s%10s %10s %10s %10s %12s%s\n", ctl_bold(), "size", "diff", "grown",
	    "delta", "bytes", ctl_reset());
	if (pj_arr(doc, "anchors", &anchors) != 0)
		anchors = NULL;
	for (i = 0; anchors != NULL && i < json_object_array_length(anchors); i++) {
		if ((a = pj_obj_at(anchors, i)) == NULL)
			continue;
		printf("%10lld %10lld %10lld %10lld %12lld\n", jnum2(a, "size"),
		    jnum2(a, "diff"), jnum2(a, "grown"), jnum2(a, "delta"),
		    render_bytes(a));
		render_frames_text(stdout, json_object_object_get(a, "frames"), "        ");
	}
	fflush(stdout);
}

static int
cmd_watch(struct ctl_args *a)
{
	json_object *f, *r;
	struct watch w = { NULL, NULL, -1 };
	struct ctl_opts o = a->o;
	struct timespec ts;
	double every = args_seconds(a, "every", 2);
	long long count = args_number(a, "count", -1);
	char consumer[64];
	int rc = 0, i;

	/* Its own consumer, so watching never hides changes from `leak`. */
	snprintf(consumer, sizeof consumer, "%.26s.watch", o.consumer);
	o.consumer = consumer;
	for (i = 0; count < 0 || i < count; i++) {
		if (i > 0) {
			ts.tv_sec = (time_t)every;
			ts.tv_nsec = (long)((every - floor(every)) * 1e9);
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
		f = json_object_new_object();
		json_object_object_add(f, "choice", json_object_new_int(2));
		rc = cl_call(&o, "leak", f, &r);
		json_object_put(f);
		if (rc != 0)
			break;
		watch_filter(&w, r, i == 0);
		symz_document(r);
		json_object_object_add(r, "refresh", json_object_new_int(i));
		if (o.json)
			cl_print_json(r);
		else
			watch_text(r, i, every);
		fflush(stdout);
		json_object_put(r);
	}
	json_object_put(w.base);
	json_object_put(w.prev);
	return rc;
}

static const struct ctl_option watch_options[] = {
	CTL_LOCAL("every", 0, "S", CTL_T_SECONDS, 50, 86400000, NULL,
	    "refresh every S seconds (default 2)"),
	CTL_LOCAL("count", 0, "N", CTL_T_INT, 1, INT32_MAX, NULL,
	    "stop after N refreshes"),
	CTL_END
};
const struct ctl_entry ctl_entry_watch = {
	"watch", -1, CTL_F_AGENT | CTL_F_TARGET, watch_options, NULL,
	0, 0,
	"A live view of the anchors whose unreleased count grows, refreshed in\n"
	"place every S seconds (default 2); --count stops after N refreshes.\n"
	"With --json, one JSON document per refresh, one per line.\n", cmd_watch
};
