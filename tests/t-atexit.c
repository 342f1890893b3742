/*
 * t-atexit.c - blocks freed by atexit handlers are not leaks at exit.
 *
 * held_by_atexit keeps 4 x 120 bytes that an atexit handler frees;
 * real_leak keeps 1 x 130 that nobody frees.  With "nofree" the handler
 * frees nothing, so the test can see the anchor it expects to vanish.
 */
#include "tprog.h"

static void *held[4];
static int free_at_exit = 1;

NOINLINE static void
held_by_atexit(unsigned i)
{
	held[i] = malloc(120);
	memset(held[i], 4, 120);
}

NOINLINE static void
real_leak(void)
{
	void *p = malloc(130);

	tp_keep(0, p);
}

static void
release_held(void)
{
	unsigned i;

	if (!free_at_exit)
		return;
	for (i = 0; i < 4; i++)
		free(held[i]);
}

int
main(int argc, char **argv)
{
	unsigned i;

	free_at_exit = !(argc > 1 && strcmp(argv[1], "nofree") == 0);
	for (i = 0; i < 4; i++)
		held_by_atexit(i);
	real_leak();
	if (atexit(release_held) != 0)
		tp_die("atexit");
	tp_truth("held_by_atexit", 120, 4, free_at_exit ? 4 : 0);
	tp_truth("real_leak", 130, 1, 0);
	return 0;
}
