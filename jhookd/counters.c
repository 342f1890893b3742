/*
 * counters.c - what jhookd knows of itself: its clock, when it started, and
 * the counts its parts keep.  The collectors (agents.c, cmdmon.c) write
 * them; report.c reads them: a leaf, so no part calls back up into another
 * to say how it is doing.
 */
#include <time.h>

#include "jhookd.h"

struct jd_counters jd_counters;

double
jd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
jd_start(void)
{
	jd_counters.started = jd_now();
}

double
jd_started(void)
{
	return jd_counters.started;
}
