/*
 * t-static.c - a static executable linked with libjhook-wrap.a.
 *
 * static_leak leaks 4 x 56 bytes and frees 1; static_dup strdup()s 2
 * strings; nothing is preloaded: the agent is linked in.
 */
#include "tprog.h"

NOINLINE static void *
static_leak(void)
{
	void *p = malloc(56);

	memset(p, 9, 56);
	return p;
}

NOINLINE static char *
static_dup(void)
{
	char *s = strdup("static!");

	tp_keep(9, s);
	return s;
}

int
main(void)
{
	void *p[4];
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = static_leak();
	free(p[0]);
	for (i = 0; i < 2; i++)
		tp_keep(i, static_dup());
	tp_keep(5, p[1]);
	tp_truth("static_leak", 56, 4, 1);
	tp_truth("static_dup", 8, 2, 0);
	return 0;
}
