/*
 * anchors.c - a service-like process for measuring jhookd at scale: K
 * anchors (sizes 16 .. 16+K-1, reached through call paths of 1 to 8 extra
 * frames), each holding one block, and every second a few of them (LEAKS,
 * default 20) leak one more block, so each poll sees a little change.
 * Runs until it is killed.
 *
 * usage: jhook-bench-anchors K [LEAKS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;

/* depth extra frames, then one block of size: a stack of its own per depth. */
NOINLINE static void *
reach(unsigned depth, size_t size)
{
	void *p;

	if (depth == 0)
		return malloc(size);
	p = reach(depth - 1, size);
	sink += (unsigned long)(uintptr_t)p & 1;	/* not a tail call */
	return p;
}

int
main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 2000, leaks = argc > 2 ? atol(argv[2]) : 20;
	unsigned long tick;
	long i;

	if (k < 1)
		k = 1;
	for (i = 0; i < k; i++)
		if (reach((unsigned)(i % 8) + 1, 16 + (size_t)i) == NULL)
			return 1;
	printf("ready\n");
	fflush(stdout);
	for (tick = 0;; tick++) {
		sleep(1);
		for (i = 0; i < leaks; i++) {
			long a = (long)((tick * (unsigned long)leaks + (unsigned long)i) % (unsigned long)k);

			if (reach((unsigned)(a % 8) + 1, 16 + (size_t)a) == NULL)
				return 1;
		}
	}
}
