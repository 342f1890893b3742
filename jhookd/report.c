/*
 * report.c - the JSON documents jhookd answers with: the same on its
 * control socket (jhookctl daemon ...) and under /api/ on HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookd.h"
#include "history.h"

static const char *const rpt_states[] = { "live", "unreachable", "ended" };

static void
rpt_add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *
rpt_i(int64_t v)
{
	return json_object_new_int64(v);
}

static json_object *
rpt_d(double v)
{
	return json_object_new_double(v);
}

static json_object *
rpt_s(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *
RPT_Status(void)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	const struct cnf_values *c = CNF_Get();
	unsigned counts[3] = { 0, 0, 0 }, suspects = 0;
	struct hst_proc *p;

	for (p = HST_Processes(); p != NULL; p = p->next) {
		counts[p->state]++;
		if (p->state != HST_ENDED)
			suspects += p->nsuspects;
	}
	rpt_add(o, "pid", rpt_i(getpid()));
	rpt_add(o, "proto", rpt_i(PROTO_JHOOKD_VERSION));
	rpt_add(o, "started", rpt_d(jd_started()));
	rpt_add(o, "uptime", rpt_d(jd_now() - jd_started()));
	rpt_add(o, "config", rpt_s(CNF_File()));
	rpt_add(o, "control", rpt_s(jd_counters.control));
	rpt_add(o, "listen", rpt_s(c->listen));
	rpt_add(o, "state_dir", rpt_s(c->state_dir));
	rpt_add(o, "interval", rpt_d(c->interval));
	rpt_add(o, "timeout", rpt_d(c->timeout));
	rpt_add(o, "consumer", rpt_s(c->consumer));
	rpt_add(o, "window", rpt_i(c->window));
	rpt_add(o, "rising", rpt_d(c->rising));
	rpt_add(o, "min_growth", rpt_i(c->min_growth));
	rpt_add(st, "live", rpt_i(counts[HST_LIVE]));
	rpt_add(st, "unreachable", rpt_i(counts[HST_UNREACHABLE]));
	rpt_add(st, "ended", rpt_i(counts[HST_ENDED]));
	rpt_add(o, "processes", st);
	rpt_add(o, "suspects", rpt_i(suspects));
	rpt_add(o, "polls", rpt_i((int64_t)jd_counters.polls));
	rpt_add(o, "poll_errors", rpt_i((int64_t)jd_counters.poll_errors));
	rpt_add(o, "poll_timeouts", rpt_i((int64_t)jd_counters.poll_timeouts));
	rpt_add(o, "scans", rpt_i((int64_t)jd_counters.scans));
	STO_Stats(o);
	HST_Stats(o);
	return o;
}

static json_object *
rpt_process(const struct hst_proc *p)
{
	json_object *o = json_object_new_object();
	struct ser_view v = HST_Series(p);
	const struct ser_sample *s = ser_last(&v);

	rpt_add(o, "pid", rpt_i(p->pid));
	rpt_add(o, "start", rpt_i((int64_t)p->start));
	rpt_add(o, "exe", rpt_s(p->exe ? p->exe : ""));
	rpt_add(o, "state", rpt_s(rpt_states[p->state]));
	rpt_add(o, "first_seen", rpt_d(p->first));
	rpt_add(o, "last_poll", rpt_d(p->last));
	if (p->state == HST_ENDED)
		rpt_add(o, "ended", rpt_d(p->ended));
	rpt_add(o, "polls", rpt_i((int64_t)p->polls));
	rpt_add(o, "errors", rpt_i((int64_t)p->errors));
	rpt_add(o, "timeouts", rpt_i((int64_t)p->timeouts));
	rpt_add(o, "latency", rpt_d(p->last_latency));
	rpt_add(o, "answer_bytes", rpt_i((int64_t)p->answer_bytes));
	if (p->error[0] != '\0' && p->state != HST_LIVE)
		rpt_add(o, "error", rpt_s(p->error));
	rpt_add(o, "total_bytes", rpt_i(s ? (int64_t)s->a : 0));
	rpt_add(o, "peak_bytes", rpt_i(s ? (int64_t)s->b : 0));
	rpt_add(o, "anchors", rpt_i(p->nanchors));
	rpt_add(o, "anchors_dropped", rpt_i((int64_t)p->dropped));
	rpt_add(o, "suspects", rpt_i(p->nsuspects));
	rpt_add(o, "samples", rpt_i(v.n));
	rpt_add(o, "memory_bytes", rpt_i(p->mem));
	return o;
}

json_object *
RPT_Processes(void)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct hst_proc *p;

	for (p = HST_Processes(); p != NULL; p = p->next)
		json_object_array_add(a, rpt_process(p));
	rpt_add(o, "processes", a);
	return o;
}

/* One anchor's identity, counts and trend (without its samples). */
static json_object *
rpt_anchor(const struct hst_proc *p, const struct hst_anchor *a, int frames)
{
	json_object *o = json_object_new_object();
	struct ser_view v = HST_AnchorSeries(a);
	const struct ser_sample *s = ser_last(&v);
	int64_t diff = s ? ser_diff(s) : 0;

	rpt_add(o, "pid", rpt_i(p->pid));
	rpt_add(o, "exe", rpt_s(p->exe ? p->exe : ""));
	rpt_add(o, "anchor", rpt_s(a->id));
	rpt_add(o, "size", rpt_i((int64_t)a->size));
	if (a->function != NULL)
		rpt_add(o, "function", rpt_s(a->function));
	rpt_add(o, "alloc", rpt_i(s ? (int64_t)s->a : 0));
	rpt_add(o, "free", rpt_i(s ? (int64_t)s->b : 0));
	rpt_add(o, "diff", rpt_i(diff));
	rpt_add(o, "bytes", rpt_i(diff * (int64_t)a->size));
	rpt_add(o, "suspect", json_object_new_boolean(a->trend.suspect));
	rpt_add(o, "growth_blocks_per_s", rpt_d(a->trend.rate));
	rpt_add(o, "growth_bytes_per_s", rpt_d(a->trend.rate * (double)a->size));
	rpt_add(o, "window_growth", rpt_i((int64_t)a->trend.growth));
	if (a->trend.suspect)
		rpt_add(o, "first_seen", rpt_d(a->trend.first_seen));
	if (frames)
		rpt_add(o, "frames", HST_Frames(a));
	return o;
}

static int
rpt_by_rate(const void *x, const void *y)
{
	double a = json_object_get_double(json_object_object_get(*(json_object *const *)x,
	    "growth_bytes_per_s"));
	double b = json_object_get_double(json_object_object_get(*(json_object *const *)y,
	    "growth_bytes_per_s"));

	return a < b ? 1 : a > b ? -1 : 0;
}

json_object *
RPT_Suspects(void)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct hst_proc *p;
	const struct hst_anchor *a;

	for (p = HST_Processes(); p != NULL; p = p->next) {
		if (p->state == HST_ENDED)
			continue;
		for (a = HST_Anchors(p); a != NULL; a = HST_NextAnchor(a))
			if (a->trend.suspect)
				json_object_array_add(arr, rpt_anchor(p, a, 1));
	}
	json_object_array_sort(arr, rpt_by_rate);
	rpt_add(o, "suspects", arr);
	return o;
}

static json_object *
rpt_samples(struct ser_view v, int anchor)
{
	json_object *arr = json_object_new_array(), *o;
	const struct ser_sample *s;
	uint32_t i;

	for (i = 0; i < v.n; i++) {
		s = ser_at(&v, i);
		o = json_object_new_object();
		rpt_add(o, "t", rpt_d(s->t));
		rpt_add(o, anchor ? "alloc" : "total_bytes", rpt_i((int64_t)s->a));
		rpt_add(o, anchor ? "free" : "peak_bytes", rpt_i((int64_t)s->b));
		if (anchor)
			rpt_add(o, "diff", rpt_i(ser_diff(s)));
		json_object_array_add(arr, o);
	}
	return arr;
}

json_object *
RPT_History(long pid, const char *anchor, char *cause, size_t len)
{
	struct hst_proc *p = HST_FindPid(pid);
	const struct hst_anchor *a;
	json_object *o, *arr;

	if (p == NULL) {
		snprintf(cause, len, "jhookd has no history of pid %ld", pid);
		return NULL;
	}
	if (anchor != NULL) {
		if ((a = HST_FindAnchor(p, anchor)) == NULL) {
			snprintf(cause, len, "pid %ld has no anchor %s", pid, anchor);
			return NULL;
		}
		o = rpt_anchor(p, a, 1);
		rpt_add(o, "samples", rpt_samples(HST_AnchorSeries(a), 1));
		return o;
	}
	o = rpt_process(p);
	rpt_add(o, "history", rpt_samples(HST_Series(p), 0));
	arr = json_object_new_array();
	for (a = HST_Anchors(p); a != NULL; a = HST_NextAnchor(a))
		json_object_array_add(arr, rpt_anchor(p, a, 0));
	rpt_add(o, "anchor_list", arr);
	return o;
}
