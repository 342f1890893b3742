/*
 * checker.c - the periodic checker thread (JHOOK_CHECK_CYCLE, jhook_set_check).
 *
 * One thread sleeps on a condition variable with a CLOCK_MONOTONIC
 * deadline, so a wall-clock jump neither stalls nor floods it and
 * chk_update can wake it at once after a period change.  A pthread mutex is
 * fine here: the hooks never take it, and a forked child re-creates it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "bound.h"
#include "checker.h"
#include "config.h"
#include "fmt.h"
#include "guard.h"
#include "report.h"

#define CHK_MIN_PERIOD_MS	10	/* jhook_set_check's unit */

static pthread_mutex_t	chk_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	chk_cond;
static pthread_once_t	chk_once = PTHREAD_ONCE_INIT;
static pthread_t	chk_thread;
static int		chk_running;	/* a thread exists (under chk_mutex) */
static int		chk_stop;	/* it must exit (under chk_mutex) */
static unsigned		chk_wakes;	/* bumped by chk_update (under chk_mutex) */

/* Sets up the condition variable on the monotonic clock. */
static void
chk_init_cond(void)
{
	pthread_condattr_t	attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&chk_cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* The monotonic time ms milliseconds from now. */
static struct timespec
chk_deadline(unsigned ms)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return (ts);
}

/*
 * Waits one period (chk_mutex held); 1 when it ran out and a report is
 * due, 0 when woken to stop or to pick up new settings.
 */
static int
chk_wait(void)
{
	struct timespec	until;
	unsigned	wakes = chk_wakes, ms;

	if (!CFG_GET(check_enabled)) {
		while (!chk_stop && wakes == chk_wakes)
			pthread_cond_wait(&chk_cond, &chk_mutex);
		return (0);
	}
	ms = CFG_GET(check_period_ms);
	until = chk_deadline(ms > CHK_MIN_PERIOD_MS ? ms : CHK_MIN_PERIOD_MS);
	while (!chk_stop && wakes == chk_wakes) {
		if (pthread_cond_timedwait(&chk_cond, &chk_mutex, &until) == ETIMEDOUT)
			return (!chk_stop && wakes == chk_wakes);
	}
	return (0);
}

/* The thread: one report per period until told to stop. */
static void *
chk_main(void *arg)
{
	/* Everything this thread allocates is the agent's, never the host's. */
	guard_agent_thread();
	pthread_mutex_lock(&chk_mutex);
	while (!chk_stop) {
		if (!chk_wait())
			continue;
		/* Reports are written without our mutex, so chk_update never waits on one. */
		pthread_mutex_unlock(&chk_mutex);
		if (CFG_GET(check_enabled)) {
			bnd_scan();	/* overflows in blocks nobody frees show up too */
			rep_news();
			rep_periodic();
		}
		pthread_mutex_lock(&chk_mutex);
	}
	pthread_mutex_unlock(&chk_mutex);
	return (NULL);
}

/* Starts the thread if enabled and not running (chk_mutex held). */
static void
chk_start(void)
{
	sigset_t	all, old;
	int		guard, error;

	if (chk_running || !CFG_GET(check_enabled))
		return;
	chk_stop = 0;
	/* The host's signals belong to its own threads, not to ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* pthread_create allocates the thread's stack and TLS: untraced. */
	guard = guard_enter();
	error = pthread_create(&chk_thread, NULL, chk_main, NULL);
	guard_leave(guard);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0)
		fmt_warn("cannot start the periodic checker: %s", strerrordesc_np(error));
	else
		chk_running = 1;
}

/* Starts the thread if the checker is enabled and it is not running. */
void
chk_initialise(void)
{
	pthread_once(&chk_once, chk_init_cond);
	pthread_mutex_lock(&chk_mutex);
	chk_start();
	pthread_mutex_unlock(&chk_mutex);
}

/* Wakes the thread after a period change, starting it if needed. */
void
chk_update(void)
{
	pthread_once(&chk_once, chk_init_cond);
	pthread_mutex_lock(&chk_mutex);
	chk_wakes++;
	pthread_cond_signal(&chk_cond);
	chk_start();
	pthread_mutex_unlock(&chk_mutex);
}

/* Stops and joins the thread. */
void
chk_finalise(void)
{
	pthread_t	t;
	int		running, guard;

	pthread_once(&chk_once, chk_init_cond);
	pthread_mutex_lock(&chk_mutex);
	running = chk_running;
	t = chk_thread;
	chk_stop = 1;
	chk_running = 0;
	pthread_cond_signal(&chk_cond);
	pthread_mutex_unlock(&chk_mutex);
	/* The checker itself cannot join itself (jhook_uninit from a report). */
	if (!running || pthread_equal(t, pthread_self()))
		return;
	/* Joining frees the thread's TLS through the hooks: keep it untraced. */
	guard = guard_enter();
	pthread_join(t, NULL);
	guard_leave(guard);
}

/* In a forked child: the thread is gone; start a new one if enabled. */
void
chk_fork_child(void)
{
	/* The parent's checker may have held the mutex at fork: start afresh. */
	pthread_mutex_init(&chk_mutex, NULL);
	chk_init_cond();
	chk_running = 0;
	chk_stop = 0;
	pthread_mutex_lock(&chk_mutex);
	chk_start();
	pthread_mutex_unlock(&chk_mutex);
}
