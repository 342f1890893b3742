/*
 * t-dl.c - a leak made inside a dlopen()ed library that is then dlclose()d.
 *
 *   t-dl LIBPATH   tdl_leak(6) from the library, dlclose, check it is gone
 */
#include "tprog.h"

int
main(int argc, char **argv)
{
	void (*leak)(unsigned);
	void *h;

	if (argc != 2)
		tp_die("usage: t-dl LIBPATH");
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		tp_die("dlopen: %s", dlerror());
	leak = (void (*)(unsigned))dlsym(h, "tdl_leak");
	if (leak == NULL)
		tp_die("dlsym: %s", dlerror());
	leak(6);
	if (dlclose(h) != 0)
		tp_die("dlclose: %s", dlerror());
	/* The leak must be named although the library is no longer mapped. */
	if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != NULL)
		tp_die("%s is still loaded after dlclose", argv[1]);
	puts("unloaded");
	tp_truth("tdl_leak_site", 72, 6, 0);
	return 0;
}
