/*
 * t-threads.c - threads leaking, churning and freeing each other's blocks.
 *
 * NTHREADS workers each leak (thread_leak), churn (thread_churn: allocate
 * and free at once) and produce blocks (xthread_alloc) into a shared queue;
 * the same workers consume and free blocks produced by the others, leaving
 * XLEFT of them live at the end.  The totals are printed as TRUTH lines.
 */
#include "tprog.h"

#include <pthread.h>

#define NTHREADS	6
#define CHURN		20000
#define PRODUCE		3000
#define QCAP		(NTHREADS * PRODUCE)
#define XLEFT		123

struct queue {
	pthread_mutex_t	 lock;
	void		*item[QCAP];
	unsigned	 head, tail;
};

static struct queue q = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0 };
static pthread_barrier_t start_line;
static unsigned consumed[NTHREADS];

NOINLINE static void *
thread_leak(unsigned t, unsigned i)
{
	void *p = malloc(64);

	tp_keep(t * 512 + i, p);
	return p;
}

NOINLINE static void
thread_churn(unsigned t)
{
	void *p = malloc(200);

	memset(p, (int)t, 200);
	free(p);
}

NOINLINE static void *
xthread_alloc(unsigned t)
{
	unsigned char *p = malloc(96);

	p[0] = (unsigned char)t;
	return p;
}

static void
push(void *p)
{
	pthread_mutex_lock(&q.lock);
	q.item[q.tail++] = p;
	pthread_mutex_unlock(&q.lock);
}

/* Takes one block not produced by thread t; NULL when none is available. */
static void *
pop_other(unsigned t)
{
	void *p = NULL;

	pthread_mutex_lock(&q.lock);
	if (q.head < q.tail && q.head < QCAP - XLEFT &&
	    *(unsigned char *)q.item[q.head] != t)
		p = q.item[q.head++];
	pthread_mutex_unlock(&q.lock);
	return p;
}

static unsigned
leak_count(unsigned t)
{
	return 10 + t * 7;
}

static void *
worker(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	unsigned i;
	void *p;

	pthread_barrier_wait(&start_line);
	for (i = 0; i < leak_count(t); i++)
		thread_leak(t, i);
	for (i = 0; i < CHURN; i++) {
		thread_churn(t);
		if (i % (CHURN / PRODUCE) == 0 && i / (CHURN / PRODUCE) < PRODUCE)
			push(xthread_alloc(t));
		if ((p = pop_other(t)) != NULL) {
			free(p);
			consumed[t]++;
		}
	}
	return NULL;
}

int
main(void)
{
	pthread_t th[NTHREADS];
	unsigned t, leaks = 0, freed = 0;
	void *p;

	pthread_barrier_init(&start_line, NULL, NTHREADS);
	for (t = 0; t < NTHREADS; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t) != 0)
			tp_die("pthread_create");
	for (t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	/* Drain what the workers left, in the main thread, down to XLEFT. */
	while (q.head < QCAP - XLEFT) {
		p = q.item[q.head++];
		free(p);
		freed++;
	}
	if (q.tail != QCAP)
		tp_die("produced %u blocks, expected %u", q.tail, QCAP);
	for (t = 0; t < NTHREADS; t++) {
		leaks += leak_count(t);
		freed += consumed[t];
	}
	printf("cross-thread frees: %u\n", freed);
	tp_truth("thread_leak", 64, leaks, 0);
	tp_truth("thread_churn", 200, (long)NTHREADS * CHURN, (long)NTHREADS * CHURN);
	tp_truth("xthread_alloc", 96, QCAP, QCAP - XLEFT);
	return 0;
}
