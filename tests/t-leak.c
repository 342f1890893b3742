/*
 * t-leak.c - leaks at known sites, and a known call chain for stack tests.
 *
 *   t-leak basic   leak_a: 7 x 24 bytes kept; leak_b: 5 x 100, 2 freed;
 *                  no_leak: 10 x 64 allocated and freed
 *   t-leak deep    main -> level3 -> level2 -> level1 -> deep_leak: 3 x 40
 *   t-leak many    many_sizes: one block of each size 1..3000 (3000 anchors);
 *                  many_blocks: 200000 x 16 bytes, every other one freed
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

NOINLINE static void *
many_sizes(size_t n)
{
	void *p = malloc(n);

	tp_keep(400, p);
	return p;
}

NOINLINE static void *
many_blocks(void)
{
	void *p = malloc(16);

	tp_keep(401, p);
	return p;
}

NOINLINE static void
run_many(void)
{
	enum { NBLOCKS = 200000 };
	void **live = calloc(NBLOCKS, sizeof(*live));
	size_t n;

	for (n = 1; n <= 3000; n++)
		many_sizes(n);
	for (n = 0; n < NBLOCKS; n++)
		live[n] = many_blocks();
	for (n = 0; n < NBLOCKS; n += 2)
		free(live[n]);
	tp_keep(402, live);
	tp_truth("many_sizes", -1, 3000, 0);
	tp_truth("many_blocks", 16, NBLOCKS, NBLOCKS / 2);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";

	if (strcmp(mode, "basic") == 0)
		run_basic();
	else if (strcmp(mode, "deep") == 0)
		run_deep();
	else if (strcmp(mode, "many") == 0)
		run_many();
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
