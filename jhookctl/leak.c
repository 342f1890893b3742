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

int
cmd_leak(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "choice", required_argument, NULL, 'c' },
		{ "min-diff", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 't' },
		{ "sort", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object(), *r;
	struct ctl_opts o;
	const char *sort = NULL;
	int ch, rc;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			json_object_object_add(f, "choice", json_object_new_int64(
			    ctl_number("leak", "--choice", optarg, INT32_MIN + 1, INT32_MAX)));
			break;
		case 'm':
			json_object_object_add(f, "min_diff", json_object_new_int64(
			    ctl_number("leak", "--min-diff", optarg, 0, INT64_MAX - 1)));
			break;
		case 't':
			json_object_object_add(f, "top", json_object_new_int64(
			    ctl_number("leak", "--top", optarg, 1, PROTO_MAX_TOP)));
			break;
		case 's':
			if (strcmp(optarg, "diff") != 0 && strcmp(optarg, "bytes") != 0 &&
			    strcmp(optarg, "size") != 0)
				ctl_usage_error("leak", "--sort is diff, bytes or size, "
				    "not '%s'", optarg);
			sort = optarg;
			break;
		default:
			ctl_common_opt("leak", ch, optarg, &o);
		}
	}
	ctl_need_target("leak", &o, argc, argv, optind);
	/* The agent sorts only to keep its top K; a full sort is done here. */
	if (sort != NULL && json_object_object_get_ex(f, "top", NULL))
		json_object_object_add(f, "sort", json_object_new_string(sort));
	rc = cl_call(&o, "leak", f, &r);
	json_object_put(f);
	if (rc != 0)
		return rc;
	render_sort(r, sort);
	print_document(&o, r, 0, 0);
	json_object_put(r);
	return 0;
}

int
cmd_bound(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_opts o;
	json_object *r;
	int ch, rc;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		ctl_common_opt("bound", ch, optarg, &o);
	ctl_need_target("bound", &o, argc, argv, optind);
	if ((rc = cl_call(&o, "bound", NULL, &r)) != 0)
		return rc;
	print_document(&o, r, 1, 0);
	json_object_put(r);
	return 0;
}

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

int
cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "sort", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_opts o;
	const char *sort = NULL;
	json_object *doc, *v;
	char *text;
	int ch;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 's')
			sort = optarg;
		else
			ctl_common_opt("report", ch, optarg, &o);
	}
	if (optind + 1 != argc)
		ctl_usage_error("report", "one FILE is required");
	if ((text = read_all(argv[optind])) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", ctl_progname, argv[optind], strerror(errno));
		return EXIT_TARGET;
	}
	doc = json_tokener_parse(text);
	free(text);
	if (doc == NULL || !json_object_object_get_ex(doc, "anchors", &v)) {
		fprintf(stderr, "%s: %s is not a JSON exit report or snapshot "
		    "(JHOOK_REPORT_FORMAT=json writes one)\n", ctl_progname, argv[optind]);
		json_object_put(doc);
		return EXIT_TARGET;
	}
	render_sort(doc, sort);
	print_document(&o, doc, 0, 1);
	json_object_put(doc);
	return 0;
}

/* ------------------------------------------------------------------ watch */

struct watch {
	json_object	*base;		/* id -> diff when watching started */
	json_object	*prev;		/* id -> diff at the last refresh */
	long long	 generation;
};

static long long
diff_in(json_object *map, const char *id, long long dflt)
{
	json_object *v;

	if (map != NULL && json_object_object_get_ex(map, id, &v))
		return json_object_get_int64(v);
	return dflt;
}

static long long
jnum2(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
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
	json_object_object_get_ex(doc, "anchors", &anchors);
	for (i = 0; anchors != NULL && i < json_object_array_length(anchors); i++) {
		a = json_object_array_get_idx(anchors, i);
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
	    ctl_reset(), json_object_get_string(json_object_object_get(doc, "exe")),
	    every, refresh);
	printf("total=%lld peak=%lld\n", jnum2(doc, "total_bytes"), jnum2(doc, "peak_bytes"));
	printf("%s%10s %10s %10s %10s %12s%s\n", ctl_bold(), "size", "diff", "grown",
	    "delta", "bytes", ctl_reset());
	json_object_object_get_ex(doc, "anchors", &anchors);
	for (i = 0; anchors != NULL && i < json_object_array_length(anchors); i++) {
		a = json_object_array_get_idx(anchors, i);
		printf("%10lld %10lld %10lld %10lld %12lld\n", jnum2(a, "size"),
		    jnum2(a, "diff"), jnum2(a, "grown"), jnum2(a, "delta"),
		    jnum2(a, "diff") * jnum2(a, "size"));
		render_frames_text(stdout, json_object_object_get(a, "frames"), "        ");
	}
	fflush(stdout);
}

int
cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "every", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f, *r;
	struct watch w = { NULL, NULL, -1 };
	struct ctl_opts o;
	struct timespec ts;
	double every = 2;
	long long count = -1;
	char consumer[64], *end;
	int ch, rc = 0, i;

	ctl_opts_init(&o);
	o.consumer = NULL;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'e') {
			every = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(every >= 0.05 && every <= 86400))
				ctl_usage_error("watch", "--every takes 0.05..86400 seconds");
		} else if (ch == 'n')
			count = ctl_number("watch", "--count", optarg, 1, INT32_MAX);
		else
			ctl_common_opt("watch", ch, optarg, &o);
	}
	ctl_need_target("watch", &o, argc, argv, optind);
	/* Its own consumer, so watching never hides changes from `leak`. */
	snprintf(consumer, sizeof consumer, "%.26s.watch", o.consumer ? o.consumer : "jhookctl");
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
