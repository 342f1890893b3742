/*
 * ctl-run-c.c - jhookctl run's C program: leaks from known lines, one of
 * them through an inlined function, and exits with status 7.
 */
#include <stdlib.h>

static void *kept[8];

static inline __attribute__((always_inline)) void *
grab(size_t n)
{
	return malloc(n);	/* RUN_C_INLINE */
}

__attribute__((noinline)) static void
leak_here(int i)
{
	kept[i] = malloc(5001);	/* RUN_C_LEAK */
}

__attribute__((noinline)) static void
leak_inlined(int i)
{
	kept[4 + i] = grab(5003);
}

int
main(void)
{
	int i;

	for (i = 0; i < 3; i++)
		leak_here(i);
	for (i = 0; i < 2; i++)
		leak_inlined(i);
	return 7;
}
