/*
 * churn.c - a malloc-heavy loop for measuring the agent's overhead.
 *
 * Each thread keeps a ring of live blocks and replaces one per iteration:
 * a free and a malloc of a pseudo-random size, from a handful of call
 * sites, so the agent sees realistic anchor reuse.
 *
 * usage: jhook-bench-churn [THREADS [ITERATIONS [RING]]]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct churn_arg {
	unsigned long	iterations;
	unsigned	ring;
	unsigned	seed;
	uint64_t	checksum;
};

static __attribute__((noinline)) void *
site_small(size_t n)
{
	return malloc(n);
}

static __attribute__((noinline)) void *
site_medium(size_t n)
{
	return malloc(n + 64);
}

static __attribute__((noinline)) void *
site_zeroed(size_t n)
{
	return calloc(1, n);
}

/* xorshift: cheap, and the same sequence every run. */
static unsigned
churn_next(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *
churn_thread(void *p)
{
	struct churn_arg	 *a = p;
	void			**slots = calloc(a->ring, sizeof *slots);
	unsigned long		  i;

	for (i = 0; i < a->iterations; i++) {
		unsigned	r = churn_next(&a->seed);
		unsigned	k = r % a->ring;
		size_t		n = 16 + (r >> 8) % 240;

		free(slots[k]);
		switch ((r >> 16) % 3) {
		case 0: slots[k] = site_small(n); break;
		case 1: slots[k] = site_medium(n); break;
		default: slots[k] = site_zeroed(n); break;
		}
		((unsigned char *)slots[k])[0] = (unsigned char)r;
		a->checksum += ((unsigned char *)slots[k])[0];
	}
	for (i = 0; i < a->ring; i++)
		free(slots[i]);
	free(slots);
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned		 threads = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	unsigned long		 iterations = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	unsigned		 ring = argc > 3 ? (unsigned)atoi(argv[3]) : 256;
	pthread_t		*tids;
	struct churn_arg	*args;
	uint64_t		 sum = 0;
	unsigned		 t;

	if (threads == 0 || ring == 0) {
		fprintf(stderr, "usage: %s [THREADS [ITERATIONS [RING]]]\n", argv[0]);
		return 2;
	}
	tids = calloc(threads, sizeof *tids);
	args = calloc(threads, sizeof *args);
	for (t = 0; t < threads; t++) {
		args[t] = (struct churn_arg){ iterations, ring, 2463534242u + t, 0 };
		pthread_create(&tids[t], NULL, churn_thread, &args[t]);
	}
	for (t = 0; t < threads; t++) {
		pthread_join(tids[t], NULL);
		sum += args[t].checksum;
	}
	printf("%u threads x %lu iterations: checksum %llu\n", threads,
	    iterations, (unsigned long long)sum);
	free(tids);
	free(args);
	return 0;
}
