/*
 * trend.h - the leak-trend verdict on one anchor's series (trend.c).
 *
 * history.c keeps a struct trd_state with every anchor and calls
 * TRD_Evaluate after each new sample; trend.c reads the series only
 * through its view and writes only the state it is given.
 */
#ifndef JHOOKD_TREND_H
#define JHOOKD_TREND_H

#include <stdint.h>

#include "series.h"

struct trd_state {
	int		 suspect;
	double		 first_seen;	/* when it became a suspect, 0 if never */
	double		 rate;		/* blocks per second over the window */
	double		 growth;	/* blocks gained over the window */
	int64_t		 old_max;	/* highest diff before the window */
	int		 has_old;
};

/* The verdict on a series after its newest sample. */
void	 TRD_Evaluate(struct trd_state *st, const struct ser_view *v);

#endif /* JHOOKD_TREND_H */
