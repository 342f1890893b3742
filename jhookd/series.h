/*
 * series.h - a series of samples, and the read-only view through which
 * everything but history.c reads one.
 *
 * history.c keeps each series in a ring and hands out a struct ser_view
 * of it: trend.c evaluates one, report.c and http.c show them.  A view is
 * valid until the history next changes.
 */
#ifndef JHOOKD_SERIES_H
#define JHOOKD_SERIES_H

#include <stdint.h>

struct ser_sample {
	double		 t;
	uint64_t	 a;		/* alloc (anchor) or total bytes (process) */
	uint64_t	 b;		/* free (anchor) or peak bytes (process) */
};

/* n samples, oldest first: sample i is s[(first + i) % cap]. */
struct ser_view {
	const struct ser_sample	*s;
	uint32_t		 cap;
	uint32_t		 first;
	uint32_t		 n;
};

/* Sample i (0 = oldest) of a view. */
static inline const struct ser_sample *
ser_at(const struct ser_view *v, uint32_t i)
{
	return &v->s[(v->first + i) % v->cap];
}

/* The newest sample, or NULL. */
static inline const struct ser_sample *
ser_last(const struct ser_view *v)
{
	return v->n > 0 ? ser_at(v, v->n - 1) : NULL;
}

/* Blocks an anchor holds at a sample: alloc minus free. */
static inline int64_t
ser_diff(const struct ser_sample *s)
{
	return (int64_t)(s->a - s->b);
}

#endif /* JHOOKD_SERIES_H */
