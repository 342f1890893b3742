/*
 * tdl.c - a library the dlopen test loads, leaks from and unloads.
 */
#include "tprog.h"

void tdl_leak(unsigned n);

NOINLINE static void
tdl_leak_site(unsigned i)
{
	void *p = malloc(72);

	tp_keep(i, p);
}

/* Leaks n blocks of 72 bytes from tdl_leak_site. */
void
tdl_leak(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		tdl_leak_site(i);
}
