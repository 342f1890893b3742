/*
 * http.c - jhookd on HTTP (libevent's evhttp), off unless "listen" is set:
 *   /metrics          the Prometheus text exposition format
 *   /api/status, /api/processes, /api/suspects,
 *   /api/history?pid=N[&anchor=ID]   the control socket's documents
 *   /                 a page of processes and suspects, each suspect with
 *                     an SVG plot of its diff drawn here (no scripts, no
 *                     external resources)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "jhookd.h"
#include "history.h"

/* What one HTTP request may send: the request line and headers, and a body. */
#define WEB_MAX_HEADERS	(16 * 1024)
#define WEB_MAX_BODY	1024

static struct {
	struct event_base	*base;
	struct evhttp		*http;
	char			*listen;	/* what http is bound to */
	uint64_t		 requests;
} web;

/* ---------------------------------------------------------------- helpers */

/* Text escaped for a Prometheus label value. */
static void
web_label(struct evbuffer *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* Text escaped for HTML. */
static void
web_html(struct evbuffer *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		default: evbuffer_add(b, s, 1);
		}
	}
}

static void
web_send(struct evhttp_request *req, int code, const char *type, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 404 ? "Not Found" :
	    "Bad Request", b);
}

static void
web_json(struct evhttp_request *req, int code, json_object *doc)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "%s\n", json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	web_send(req, code, "application/json", b);
	evbuffer_free(b);
}

static void
web_error(struct evhttp_request *req, int code, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	web_json(req, code, o);
}

/* ---------------------------------------------------------------- /metrics */

static void
web_help(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {pid="..",exe=".."} */
static void
web_proc_labels(struct evbuffer *b, const struct hst_proc *p)
{
	evbuffer_add_printf(b, "{pid=\"%ld\",exe=\"", p->pid);
	web_label(b, p->exe);
	evbuffer_add(b, "\"", 1);
}

static void
web_anchor_labels(struct evbuffer *b, const struct hst_proc *p, const struct hst_anchor *a)
{
	web_proc_labels(b, p);
	evbuffer_add_printf(b, ",anchor=\"%s\",size=\"%llu\",function=\"", a->id,
	    (unsigned long long)a->size);
	web_label(b, a->function ? a->function : "");
	evbuffer_add(b, "\"}", 2);
}

/* One per-process gauge for every process not ended. */
static void
web_proc_metric(struct evbuffer *b, const char *name, const char *help, int which)
{
	const struct ser_sample *s;
	struct ser_view series;
	struct hst_proc *p;
	double v;

	web_help(b, name, "gauge", help);
	for (p = HST_Processes(); p != NULL; p = p->next) {
		if (p->state == HST_ENDED)
			continue;
		series = HST_Series(p);
		s = ser_last(&series);
		switch (which) {
		case 0: v = s ? (double)s->a : 0; break;
		case 1: v = s ? (double)s->b : 0; break;
		case 2: v = p->nanchors; break;
		case 3: v = p->nsuspects; break;
		case 4: v = p->state == HST_LIVE; break;
		default: v = p->last_latency; break;
		}
		evbuffer_add_printf(b, "%s", name);
		web_proc_labels(b, p);
		evbuffer_add_printf(b, "} %.17g\n", v);
	}
}

static void
web_suspect_metric(struct evbuffer *b, const char *name, const char *help, int which)
{
	struct hst_proc *p;
	const struct hst_anchor *a;
	const struct ser_sample *s;
	struct ser_view series;
	double v;

	web_help(b, name, "gauge", help);
	for (p = HST_Processes(); p != NULL; p = p->next) {
		if (p->state == HST_ENDED)
			continue;
		for (a = HST_Anchors(p); a != NULL; a = HST_NextAnchor(a)) {
			series = HST_AnchorSeries(a);
			if (!a->trend.suspect || (s = ser_last(&series)) == NULL)
				continue;
			v = which == 0 ? (double)ser_diff(s) : which == 1 ? a->trend.rate :
			    which == 2 ? a->trend.rate * (double)a->size :
			    (double)ser_diff(s) * (double)a->size;
			evbuffer_add_printf(b, "%s", name);
			web_anchor_labels(b, p, a);
			evbuffer_add_printf(b, " %.17g\n", v);
		}
	}
}

static void
web_metrics(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	json_object *st = RPT_Status(), *v, *procs;

	web_help(b, "jhookd_polls_total", "counter", "Polls of agents answered.");
	json_object_object_get_ex(st, "polls", &v);
	evbuffer_add_printf(b, "jhookd_polls_total %lld\n", (long long)json_object_get_int64(v));
	web_help(b, "jhookd_poll_errors_total", "counter", "Polls that failed, timeouts included.");
	json_object_object_get_ex(st, "poll_errors", &v);
	evbuffer_add_printf(b, "jhookd_poll_errors_total %lld\n", (long long)json_object_get_int64(v));
	web_help(b, "jhookd_poll_timeouts_total", "counter", "Polls an agent did not answer in time.");
	json_object_object_get_ex(st, "poll_timeouts", &v);
	evbuffer_add_printf(b, "jhookd_poll_timeouts_total %lld\n", (long long)json_object_get_int64(v));
	web_help(b, "jhookd_history_bytes", "gauge", "Size of the history file.");
	evbuffer_add_printf(b, "jhookd_history_bytes %lld\n", (long long)STO_Size());
	web_help(b, "jhookd_history_memory_bytes", "gauge",
	    "Bytes of history held in memory (samples, anchors, processes).");
	evbuffer_add_printf(b, "jhookd_history_memory_bytes %lld\n", (long long)HST_Memory());
	web_help(b, "jhookd_history_memory_budget_bytes", "gauge", "The max-memory option.");
	evbuffer_add_printf(b, "jhookd_history_memory_budget_bytes %lld\n",
	    (long long)CNF_Get()->max_memory);
	web_help(b, "jhookd_history_memory_dropped_samples_total", "counter",
	    "Samples dropped to keep the history within max-memory.");
	json_object_object_get_ex(st, "samples_dropped_for_memory", &v);
	evbuffer_add_printf(b, "jhookd_history_memory_dropped_samples_total %lld\n",
	    (long long)json_object_get_int64(v));
	web_help(b, "jhookd_processes", "gauge", "Processes known, by state.");
	json_object_object_get_ex(st, "processes", &procs);
	json_object_object_foreach(procs, k, n)
		evbuffer_add_printf(b, "jhookd_processes{state=\"%s\"} %lld\n", k,
		    (long long)json_object_get_int64(n));
	json_object_put(st);
	web_proc_metric(b, "jhook_process_total_bytes", "Bytes the process holds in traced blocks.", 0);
	web_proc_metric(b, "jhook_process_peak_bytes", "Peak of total_bytes.", 1);
	web_proc_metric(b, "jhook_process_anchors", "Anchors jhookd tracks in the process.", 2);
	web_proc_metric(b, "jhook_process_suspects", "Anchors whose diff keeps growing.", 3);
	web_proc_metric(b, "jhook_process_up", "1 when the last poll was answered.", 4);
	web_proc_metric(b, "jhook_process_poll_seconds", "How long the last poll took.", 5);
	web_suspect_metric(b, "jhook_suspect_diff_blocks", "Blocks a suspect anchor holds.", 0);
	web_suspect_metric(b, "jhook_suspect_bytes", "Bytes a suspect anchor holds.", 3);
	web_suspect_metric(b, "jhook_suspect_growth_blocks_per_second",
	    "Growth of a suspect's diff over the trend window.", 1);
	web_suspect_metric(b, "jhook_suspect_growth_bytes_per_second",
	    "Growth of a suspect's bytes over the trend window.", 2);
	web_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

/* -------------------------------------------------------------------- page */

#define PLOT_W	640
#define PLOT_H	180
#define PLOT_L	60	/* room for the y labels */
#define PLOT_B	24	/* room for the x labels */

/* An SVG line chart of an anchor's diff over its retained samples. */
static void
web_plot(struct evbuffer *b, const struct hst_anchor *a)
{
	struct ser_view v = HST_AnchorSeries(a);
	double t0, t1, lo = 0, hi = 1, x, y, d;
	uint32_t i, step = v.n > 600 ? v.n / 600 : 1;

	if (v.n == 0)
		return;
	t0 = ser_at(&v, 0)->t;
	t1 = ser_at(&v, v.n - 1)->t;
	if (t1 <= t0)
		t1 = t0 + 1;
	for (i = 0; i < v.n; i++) {
		d = (double)ser_diff(ser_at(&v, i));
		if (d > hi)
			hi = d;
		if (d < lo)
			lo = d;
	}
	evbuffer_add_printf(b, "<svg class=\"plot\" id=\"plot-%s\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n"
	    "<title>diff of anchor %s over %.0f s</title>\n"
	    "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n",
	    a->id, PLOT_W, PLOT_H, PLOT_W, PLOT_H, a->id, t1 - t0, PLOT_L,
	    PLOT_W - PLOT_L, PLOT_H - PLOT_B);
	evbuffer_add_printf(b, "<text x=\"%d\" y=\"12\" font-size=\"11\" text-anchor=\"end\">%.0f</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.0f</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\">-%.0f s</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">now</text>\n",
	    PLOT_L - 4, hi, PLOT_L - 4, PLOT_H - PLOT_B, lo, PLOT_L, PLOT_H - 6,
	    t1 - t0, PLOT_W, PLOT_H - 6);
	evbuffer_add(b, "<polyline class=\"diff\" fill=\"none\" stroke=\"#c0392b\" "
	    "stroke-width=\"1.5\" points=\"", strlen("<polyline class=\"diff\" fill=\"none\" "
	    "stroke=\"#c0392b\" stroke-width=\"1.5\" points=\""));
	for (i = 0; i < v.n; i += step) {
		const struct ser_sample *s = ser_at(&v, i);

		x = PLOT_L + (s->t - t0) / (t1 - t0) * (PLOT_W - PLOT_L);
		y = (PLOT_H - PLOT_B) - ((double)ser_diff(s) - lo) / (hi - lo) * (PLOT_H - PLOT_B - 2);
		evbuffer_add_printf(b, "%.1f,%.1f ", x, y);
	}
	evbuffer_add_printf(b, "\"/>\n</svg>\n");
}

static void
web_time(char *buf, size_t len, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	localtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
web_frames(struct evbuffer *b, json_object *frames)
{
	size_t i, n = frames ? json_object_array_length(frames) : 0;
	json_object *f, *v;

	evbuffer_add_printf(b, "<pre class=\"stack\">");
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(frames, i);
		evbuffer_add_printf(b, "#%zu ", i);
		if (json_object_object_get_ex(f, "function", &v)) {
			web_html(b, json_object_get_string(v));
			if (json_object_object_get_ex(f, "function_offset", &v))
				evbuffer_add_printf(b, "+%s", json_object_get_string(v));
			evbuffer_add(b, " ", 1);
		}
		evbuffer_add(b, "(", 1);
		if (json_object_object_get_ex(f, "module", &v))
			web_html(b, json_object_get_string(v));
		if (json_object_object_get_ex(f, "offset", &v))
			evbuffer_add_printf(b, "+%s", json_object_get_string(v));
		evbuffer_add(b, ")\n", 2);
	}
	evbuffer_add_printf(b, "</pre>\n");
}

static const char *const web_states[] = { "live", "unreachable", "ended" };

static void
web_page(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	const struct ser_sample *s;
	struct ser_view series;
	struct hst_proc *p;
	const struct hst_anchor *a;
	json_object *frames;
	char when[64];
	unsigned nsusp = 0;

	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"refresh\" content=\"%d\">"
	    "<title>jhookd</title><style>body{font-family:sans-serif;margin:1em 2em}"
	    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
	    "text-align:right}td.l,th.l{text-align:left}.ended{color:#888}"
	    ".unreachable{color:#b35900}pre{background:#f4f4f4;padding:4px}"
	    "</style></head><body>\n<h1>jhookd</h1>\n<h2>Processes</h2>\n<table id=\"processes\">"
	    "<tr><th>pid</th><th class=\"l\">exe</th><th>state</th><th>total bytes</th>"
	    "<th>peak bytes</th><th>anchors</th><th>suspects</th><th class=\"l\">last poll</th></tr>\n",
	    CNF_Get()->interval < 5 ? 5 : (int)CNF_Get()->interval);
	for (p = HST_Processes(); p != NULL; p = p->next) {
		series = HST_Series(p);
		s = ser_last(&series);
		web_time(when, sizeof when, p->last);
		evbuffer_add_printf(b, "<tr class=\"%s\"><td>%ld</td><td class=\"l\">",
		    web_states[p->state], p->pid);
		web_html(b, p->exe);
		evbuffer_add_printf(b, "</td><td>%s</td><td>%llu</td><td>%llu</td><td>%u</td>"
		    "<td>%u</td><td class=\"l\">%s</td></tr>\n", web_states[p->state],
		    s ? (unsigned long long)s->a : 0ULL, s ? (unsigned long long)s->b : 0ULL,
		    p->nanchors, p->nsuspects, p->last > 0 ? when : "never");
		if (p->state != HST_ENDED)
			nsusp += p->nsuspects;
	}
	evbuffer_add_printf(b, "</table>\n<h2>Suspects (%u)</h2>\n", nsusp);
	if (nsusp == 0)
		evbuffer_add_printf(b, "<p>No anchor keeps growing.</p>\n");
	for (p = HST_Processes(); p != NULL; p = p->next) {
		if (p->state == HST_ENDED)
			continue;
		for (a = HST_Anchors(p); a != NULL; a = HST_NextAnchor(a)) {
			if (!a->trend.suspect)
				continue;
			series = HST_AnchorSeries(a);
			s = ser_last(&series);
			web_time(when, sizeof when, a->trend.first_seen);
			evbuffer_add_printf(b, "<section class=\"suspect\" id=\"suspect-%s\">\n"
			    "<h3><span class=\"function\">", a->id);
			web_html(b, a->function ? a->function : "(unnamed)");
			evbuffer_add_printf(b, "</span> in pid %ld (", p->pid);
			web_html(b, p->exe);
			evbuffer_add_printf(b, ")</h3>\n<p>anchor <code>%s</code>, size %llu: "
			    "diff <b>%lld</b> blocks, growing <b class=\"rate\">%.2f blocks/s</b> "
			    "(%.0f bytes/s), suspect since %s</p>\n", a->id,
			    (unsigned long long)a->size, (long long)ser_diff(s), a->trend.rate,
			    a->trend.rate * (double)a->size, when);
			web_plot(b, a);
			frames = HST_Frames(a);
			web_frames(b, frames);
			json_object_put(frames);
			evbuffer_add_printf(b, "</section>\n");
		}
	}
	evbuffer_add_printf(b, "<p><a href=\"/metrics\">/metrics</a> · "
	    "<a href=\"/api/suspects\">/api/suspects</a> · "
	    "<a href=\"/api/processes\">/api/processes</a> · "
	    "<a href=\"/api/status\">/api/status</a></p>\n</body></html>\n");
	web_send(req, 200, "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

/* ------------------------------------------------------------------ routes */

static void
web_history(struct evhttp_request *req, const char *query)
{
	struct evkeyvalq q = { 0 };
	const char *pid, *anchor;
	json_object *doc;
	char cause[256], *end;
	long n;

	if (query == NULL || evhttp_parse_query_str(query, &q) != 0 ||
	    (pid = evhttp_find_header(&q, "pid")) == NULL) {
		evhttp_clear_headers(&q);
		web_error(req, 400, "history needs ?pid=N[&anchor=ID]");
		return;
	}
	n = strtol(pid, &end, 10);
	anchor = evhttp_find_header(&q, "anchor");
	if (*end != '\0' || n <= 0)
		web_error(req, 400, "pid is not a number");
	else if ((doc = RPT_History(n, anchor, cause, sizeof cause)) == NULL)
		web_error(req, 404, cause);
	else
		web_json(req, 200, doc);
	evhttp_clear_headers(&q);
}

static void
web_route(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);

	web.requests++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	if (path == NULL || strcmp(path, "/") == 0)
		web_page(req);
	else if (strcmp(path, "/metrics") == 0)
		web_metrics(req);
	else if (strcmp(path, "/api/status") == 0)
		web_json(req, 200, RPT_Status());
	else if (strcmp(path, "/api/processes") == 0)
		web_json(req, 200, RPT_Processes());
	else if (strcmp(path, "/api/suspects") == 0)
		web_json(req, 200, RPT_Suspects());
	else if (strcmp(path, "/api/history") == 0)
		web_history(req, evhttp_uri_get_query(uri));
	else
		web_error(req, 404, "no such page: /, /metrics, /api/status, "
		    "/api/processes, /api/suspects, /api/history?pid=N");
}

/* Binds "ADDR:PORT" (or "[ADDR6]:PORT"); 0 or -1. */
static int
web_bind(const char *listen)
{
	char host[256], *colon;
	long port;

	snprintf(host, sizeof host, "%s", listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		LOG_Error("listen \"%s\": expected ADDR:PORT", listen);
		return -1;
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if ((web.http = evhttp_new(web.base)) == NULL)
		return -1;
	evhttp_set_gencb(web.http, web_route, NULL);
	evhttp_set_allowed_methods(web.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(web.http, 10);
	/* A client sends a GET line and a few headers: anything more is cut off. */
	evhttp_set_max_headers_size(web.http, WEB_MAX_HEADERS);
	evhttp_set_max_body_size(web.http, WEB_MAX_BODY);
	if (port <= 0 || port > 65535 || evhttp_bind_socket(web.http, host, (ev_uint16_t)port) != 0) {
		LOG_Error("listen \"%s\": cannot bind", listen);
		evhttp_free(web.http);
		web.http = NULL;
		return -1;
	}
	LOG_Info("HTTP on %s", listen);
	return 0;
}

int
WEB_Reconfigure(void)
{
	const char *listen = CNF_Get()->listen;

	if (web.listen != NULL && strcmp(web.listen, listen) == 0)
		return 0;
	if (web.http != NULL)
		evhttp_free(web.http);
	web.http = NULL;
	free(web.listen);
	web.listen = strdup(listen);
	if (*listen == '\0')
		return 0;
	return web_bind(listen);
}

int
WEB_Initialise(struct event_base *base)
{
	web.base = base;
	return WEB_Reconfigure();
}

void
WEB_Finalise(void)
{
	if (web.http != NULL)
		evhttp_free(web.http);
	web.http = NULL;
	free(web.listen);
	web.listen = NULL;
}
