/*
 * render.c - reports and snapshots as text, or folded stacks for
 * flamegraph.pl, from their (symbolized) JSON documents.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jhookctl.h"

/* A string member, NULL when missing, null or not a string. */
static const char *
jstr(json_object *o, const char *key)
{
	return pj_str_or(o, key, NULL);
}

/* For printing: never NULL. */
static const char *
js(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s != NULL ? s : "?";
}

/* An integer member, 0 when missing or not an integer. */
static long long
jnum(json_object *o, const char *key)
{
	int64_t v;

	return pj_int(o, key, &v) == 0 ? (long long)v : 0;
}

/* diff x size, as a leak is weighed. */
long long
render_bytes(json_object *a)
{
	long long b;

	/* The agent's numbers are not trusted to fit: the product saturates. */
	if (__builtin_mul_overflow(jnum(a, "diff"), jnum(a, "size"), &b))
		b = (jnum(a, "diff") < 0) != (jnum(a, "size") < 0) ? LLONG_MIN : LLONG_MAX;
	return b;
}

static json_object *
jarr(json_object *o, const char *key)
{
	json_object *v;

	return pj_arr(o, key, &v) == 0 ? v : NULL;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* "function+off" or "module+offset". */
static void
frame_name(json_object *fr, char *buf, size_t len)
{
	const char *fn = jstr(fr, "function"), *off = jstr(fr, "function_offset");
	const char *mod = jstr(fr, "module");

	if (fn != NULL)
		snprintf(buf, len, "%s+%s", fn, off ? off : "?");
	else
		snprintf(buf, len, "%s+%s", mod && *mod ? base_name(mod) : "??",
		    jstr(fr, "offset") ? jstr(fr, "offset") : "?");
}

void
render_frames_text(FILE *f, json_object *frames, const char *indent)
{
	json_object *fr, *inl, *e;
	char name[1024];
	const char *note;
	size_t i, k;

	if (frames == NULL || !json_object_is_type(frames, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(frames); i++) {
		fr = json_object_array_get_idx(frames, i);
		fprintf(f, "%s#%-2zu %s%-18s%s ", indent, i, ctl_dim(),
		    jstr(fr, "addr") ? jstr(fr, "addr") : "?", ctl_reset());
		if ((inl = jarr(fr, "inlined")) != NULL) {
			for (k = 0; k < json_object_array_length(inl); k++) {
				e = json_object_array_get_idx(inl, k);
				fprintf(f, "%s (inlined) at %s:%lld\n%s    %18s ",
				    js(e, "function"), js(e, "file"), jnum(e, "line"),
				    indent, "");
			}
		}
		frame_name(fr, name, sizeof name);
		fprintf(f, "%s", name);
		if (jstr(fr, "file") != NULL)
			fprintf(f, " at %s:%lld", js(fr, "file"), jnum(fr, "line"));
		else if ((note = jstr(fr, "note")) != NULL)
			fprintf(f, " in %s (%s)", jstr(fr, "module") && *jstr(fr, "module") ?
			    jstr(fr, "module") : "??", note);
		fputc('\n', f);
	}
}

/* One overflow: where it was found, then both stacks. */
static void
render_bound(FILE *f, json_object *b)
{
	fprintf(f, "%soverflow%s of block %s (size %lld), detected at %s\n", ctl_red(),
	    ctl_reset(), js(b, "ptr"), jnum(b, "size"), js(b, "detected"));
	fprintf(f, "    allocated at:\n");
	render_frames_text(f, jarr(b, "frames"), "        ");
	if (jarr(b, "free_frames") != NULL) {
		fprintf(f, "    freed at:\n");
		render_frames_text(f, jarr(b, "free_frames"), "        ");
	}
}

void
render_bounds_text(FILE *f, json_object *doc)
{
	json_object *bounds = jarr(doc, "bounds");
	size_t i, n = bounds ? json_object_array_length(bounds) : 0;

	if (json_object_object_get_ex(doc, "new", NULL))
		fprintf(f, "%lld new overflow(s) found by this scan; %zu recorded\n",
		    jnum(doc, "new"), n);
	for (i = 0; i < n; i++)
		render_bound(f, json_object_array_get_idx(bounds, i));
}

void
render_leak_text(FILE *f, json_object *doc, int is_report)
{
	json_object *anchors = jarr(doc, "anchors"), *a, *bounds = jarr(doc, "bounds");
	size_t i, n = anchors ? json_object_array_length(anchors) : 0;

	fprintf(f, "%spid %lld%s  %s\n", ctl_bold(), jnum(doc, "pid"), ctl_reset(),
	    jstr(doc, "exe") ? jstr(doc, "exe") : "");
	if (!is_report)
		fprintf(f, "choice %lld, consumer %s: %zu anchor(s) shown, %lld omitted\n",
		    jnum(doc, "choice"), jstr(doc, "consumer") ? jstr(doc, "consumer") : "?",
		    n, jnum(doc, "omitted"));
	fprintf(f, "%s%10s %10s %10s %10s %12s%s\n", ctl_bold(), "size", "alloc", "free",
	    "diff", "bytes", ctl_reset());
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(anchors, i);
		fprintf(f, "%10lld %10lld %10lld %10lld %12lld\n", jnum(a, "size"),
		    jnum(a, "alloc"), jnum(a, "free"), jnum(a, "diff"),
		    render_bytes(a));
		render_frames_text(f, jarr(a, "frames"), "        ");
	}
	fprintf(f, "total=%lld peak=%lld\n", jnum(doc, "total_bytes"), jnum(doc, "peak_bytes"));
	for (i = 0; bounds != NULL && i < json_object_array_length(bounds); i++)
		render_bound(f, json_object_array_get_idx(bounds, i));
}

/* One folded frame name: no ';' (the separator) and no newline. */
static void
folded_put(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' || *s == '\n' ? ':' : *s, f);
}

/* The stack outermost first, inlined functions after their caller. */
static void
folded_stack(FILE *f, json_object *frames)
{
	json_object *fr, *inl;
	char name[1024];
	size_t i, k, n = frames ? json_object_array_length(frames) : 0;
	int first = 1;

	for (i = n; i-- > 0;) {
		fr = json_object_array_get_idx(frames, i);
		if (jstr(fr, "function") != NULL)
			snprintf(name, sizeof name, "%s", jstr(fr, "function"));
		else
			frame_name(fr, name, sizeof name);
		fputs(first ? "" : ";", f);
		folded_put(f, name);
		first = 0;
		if ((inl = jarr(fr, "inlined")) == NULL)
			continue;
		for (k = json_object_array_length(inl); k-- > 0;) {
			fputc(';', f);
			folded_put(f, js(json_object_array_get_idx(inl, k), "function"));
		}
	}
}

/* flamegraph.pl input: leak anchors weighted by unreleased bytes, or overflows by 1. */
void
render_folded(FILE *f, json_object *doc, int bounds)
{
	json_object *list = jarr(doc, bounds ? "bounds" : "anchors"), *a;
	size_t i, n = list ? json_object_array_length(list) : 0;
	long long w;

	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(list, i);
		w = bounds ? 1 : render_bytes(a);
		if (w <= 0)
			continue;
		folded_stack(f, jarr(a, "frames"));
		fprintf(f, " %lld\n", w);
	}
}

static const char *render_key;

static long long
sort_key(json_object *a)
{
	if (strcmp(render_key, "bytes") == 0)
		return render_bytes(a);
	if (strcmp(render_key, "size") == 0)
		return jnum(a, "size");
	return jnum(a, "diff");
}

static int
sort_cmp(const void *x, const void *y)
{
	json_object *a = *(json_object *const *)x, *b = *(json_object *const *)y;
	long long ka = sort_key(a), kb = sort_key(b);

	if (ka != kb)
		return ka > kb ? -1 : 1;
	return jnum(a, "id") < jnum(b, "id") ? -1 : jnum(a, "id") > jnum(b, "id");
}

/* Sorts the anchors largest first (a saved report, or a snapshot in id order). */
void
render_sort(json_object *doc, const char *sort)
{
	json_object *anchors = jarr(doc, "anchors");

	if (anchors == NULL || sort == NULL)
		return;
	render_key = sort;
	json_object_array_sort(anchors, sort_cmp);
}
