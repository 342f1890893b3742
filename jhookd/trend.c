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
#include "trend.h"

/* Folds the sample that just left the window into the old maximum. */
static void
trd_age(struct trd_state *st, const struct ser_view *v, uint32_t w)
{
	int64_t d;

	if (v->n < w + 2)
		return;
	d = ser_diff(ser_at(v, v->n - w - 2));
	if (!st->has_old || d > st->old_max)
		st->old_max = d;
	st->has_old = 1;
}

/* Least-squares slope of diff over time for the last w + 1 samples. */
static double
trd_slope(const struct ser_view *v, uint32_t w)
{
	double st = 0, sd = 0, stt = 0, std = 0, t0, t, d, k = w + 1, den;
	uint32_t i, first = v->n - w - 1;

	t0 = ser_at(v, first)->t;
	for (i = first; i < v->n; i++) {
		t = ser_at(v, i)->t - t0;
		d = (double)ser_diff(ser_at(v, i));
		st += t;
		sd += d;
		stt += t * t;
		std += t * d;
	}
	den = k * stt - st * st;
	return den > 0 ? (k * std - st * sd) / den : 0;
}

void
TRD_Evaluate(struct trd_state *st, const struct ser_view *v)
{
	const struct cnf_values *c = CNF_Get();
	uint32_t w = (uint32_t)c->window, i, first, rises = 0;
	int64_t d, prev, top, drawdown = 0, growth;
	int suspect;

	trd_age(st, v, w);
	if (v->n < w + 1) {
		st->suspect = 0;
		return;
	}
	first = v->n - w - 1;
	prev = top = ser_diff(ser_at(v, first));
	for (i = first + 1; i < v->n; i++) {
		d = ser_diff(ser_at(v, i));
		rises += d > prev;
		if (d > top)
			top = d;
		if (top - d > drawdown)
			drawdown = top - d;
		prev = d;
	}
	growth = prev - ser_diff(ser_at(v, first));
	suspect = rises >= c->rising * w && growth >= c->min_growth &&
	    2 * drawdown <= growth && (!st->has_old || prev > st->old_max);
	st->growth = (double)growth;
	st->rate = trd_slope(v, w);
	if (suspect && !st->suspect)
		st->first_seen = ser_at(v, v->n - 1)->t;
	if (!suspect)
		st->first_seen = 0;
	st->suspect = suspect;
}
