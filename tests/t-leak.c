/*
 * t-leak.c - leaks at known sites, and a known call chain for stack tests.
 *
 *   t-leak basic   leak_a: 7 x 24 bytes kept; leak_b: 5 x 100, 2 freed;
 *                  no_leak: 10 x 64 allocated and freed
 *   t-leak deep    main -> level3 -> level2 -> level1 -> deep_leak: 3 x 40
 */
#include "tprog.h"

static void *blocks_b[5];

NOINLINE static void
leak_a(unsigned i)
{
	void *p = malloc(24);

	tp_keep(i, p);
}

NOINLINE static void
leak_b(unsigned i)
{
	blocks_b[i] = malloc(100);
	tp_keep(100 + i, blocks_b[i]);
}

NOINLINE static void
no_leak(void)
{
	void *p = malloc(64);

	memset(p, 1, 64);
	free(p);
}

NOINLINE static void
run_basic(void)
{
	unsigned i;

	for (i = 0; i < 7; i++)
		leak_a(i);
	for (i = 0; i < 5; i++)
		leak_b(i);
	for (i = 0; i < 2; i++)
		free(blocks_b[i]);
	for (i = 0; i < 10; i++)
		no_leak();
	tp_truth("leak_a", 24, 7, 0);
	tp_truth("leak_b", 100, 5, 2);
	tp_truth("no_leak", 64, 10, 10);
}

NOINLINE static void
deep_leak(unsigned i)
{
	void *p = malloc(40);

	tp_keep(200 + i, p);
}

NOINLINE static void
level1(unsigned i)
{
	deep_leak(i);
	tp_keep(300, NULL);
}

NOINLINE static void
level2(unsigned i)
{
	level1(i);
	tp_keep(301, NULL);
}

NOINLINE static void
level3(unsigned i)
{
	level2(i);
	tp_keep(302, NULL);
}

NOINLINE static void
run_deep(void)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		level3(i);
	tp_truth("deep_leak", 40, 3, 0);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";

	if (strcmp(mode, "basic") == 0)
		run_basic();
	else if (strcmp(mode, "deep") == 0)
		run_deep();
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
