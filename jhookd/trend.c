/*
 * trend.c - leak-trend detection: the original's manual method ("does diff
 * keep growing from one log to the next?") made automatic.
 *
 * Over the last `window` polls (window + 1 samples) an anchor is a suspect
 * when all of these hold:
 *   - diff rose (strictly) in at least `rising` of the window's steps;
 *   - diff gained at least `min-growth` blocks over the window;
 *   - no fall inside the window gave back more than half of that gain
 *     (a sawtooth that returns to its base inside the window is not a leak);
 *   - diff is at a new high: above every diff seen before the window (a
 *     sawtooth slower than the window climbs, but only to its old peaks);
 * and a cache that fills and then plateaus stops rising, so it stops being a
 * suspect one window after it is full.  The growth rate is the least-squares
 * slope of diff over the window's timestamps.
 */
#include <stdint.h>

#include "jhookd.h"
#include "history.h"

/* Folds the sample that just left the window into the old maximum. */
static void
trd_age(struct hst_anchor *a, uint32_t w)
{
	const struct hst_ring *r = &a->ring;
	int64_t d;

	if (r->n < w + 2)
		return;
	d = hst_diff(hst_at(r, r->n - w - 2));
	if (!a->trend.has_old || d > a->trend.old_max)
		a->trend.old_max = d;
	a->trend.has_old = 1;
}

/* Least-squares slope of diff over time for the last w + 1 samples. */
static double
trd_slope(const struct hst_ring *r, uint32_t w)
{
	double st = 0, sd = 0, stt = 0, std = 0, t0, t, d, k = w + 1, den;
	uint32_t i, first = r->n - w - 1;

	t0 = hst_at(r, first)->t;
	for (i = first; i < r->n; i++) {
		t = hst_at(r, i)->t - t0;
		d = (double)hst_diff(hst_at(r, i));
		st += t;
		sd += d;
		stt += t * t;
		std += t * d;
	}
	den = k * stt - st * st;
	return den > 0 ? (k * std - st * sd) / den : 0;
}

void
TRD_Evaluate(struct hst_anchor *a)
{
	const struct cnf_values *c = CNF_Get();
	const struct hst_ring *r = &a->ring;
	uint32_t w = (uint32_t)c->window, i, first, rises = 0;
	int64_t d, prev, top, drawdown = 0, growth;
	int suspect;

	trd_age(a, w);
	if (r->n < w + 1) {
		a->trend.suspect = 0;
		return;
	}
	first = r->n - w - 1;
	prev = top = hst_diff(hst_at(r, first));
	for (i = first + 1; i < r->n; i++) {
		d = hst_diff(hst_at(r, i));
		rises += d > prev;
		if (d > top)
			top = d;
		if (top - d > drawdown)
			drawdown = top - d;
		prev = d;
	}
	growth = prev - hst_diff(hst_at(r, first));
	suspect = rises >= c->rising * w && growth >= c->min_growth &&
	    2 * drawdown <= growth && (!a->trend.has_old || prev > a->trend.old_max);
	a->trend.growth = (double)growth;
	a->trend.rate = trd_slope(r, w);
	if (suspect && !a->trend.suspect)
		a->trend.first_seen = hst_at(r, r->n - 1)->t;
	if (!suspect)
		a->trend.first_seen = 0;
	a->trend.suspect = suspect;
}
