/*
 * ctl-run-c.c - jhookctl run's C program: leaks from known lines, one of
 * them through an inlined function, and exits with status 7.
 */
#include <stdlib.h>

/* Global, so the compiler cannot drop the blocks it keeps. */
void *ctl_kept[8];

static inline __attribute__((always_inline)) void *
grab(size_t n)
{
	return malloc(n);	/* RUN_C_INLINE */
}

__attribute__((noipa)) static void
leak_here(int i)
{
	ctl_kept[i] = malloc(5001);	/* RUN_C_LEAK */
}

__attribute__((noipa)) static void
leak_inlined(int i)
{
	ctl_kept[4 + i] = grab(5003);
}

int
main(void)
{
	/* volatile: one call site per loop, never unrolled, whatever -O. */
	volatile int three = 3, two = 2;
	int i;

	for (i = 0; i < three; i++)
		leak_here(i);
	for (i = 0; i < two; i++)
		leak_inlined(i);
	return 7;
}
