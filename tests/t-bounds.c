/*
 * t-bounds.c - heap overflows past the requested size, and exact fits.
 *
 *   over1    1 byte past a 100-byte block, found when ovf_free frees it
 *   over8    8 bytes past a 64-byte block, found when ovf_free frees it
 *   exact    exactly n bytes written to blocks of many sizes: nothing found
 *   realloc  1 byte past a 48-byte block, found when ovf_realloc grows it
 *   check    1 byte past a 200-byte block that stays live, found by
 *            jhook_check_bound()
 *   leaked   1 byte past a 140-byte block that is never freed nor checked
 *   live READY STOP  1 byte past a live 120-byte block; writes "pid ptr" to
 *            READY and waits for STOP (for the periodic checker)
 */
#include "tprog.h"

NOINLINE static unsigned char *
ovf_alloc(size_t n)
{
	unsigned char *p = malloc(n);

	memset(p, 0x11, n);
	return p;
}

/* Writes `by` bytes past the end; volatile so the store is really made. */
NOINLINE static void
ovf_write(unsigned char *p, size_t n, size_t by)
{
	volatile unsigned char *v = p;
	size_t i;

	for (i = 0; i < by; i++)
		v[n + i] = (unsigned char)(0xa0 + i);
}

NOINLINE static void
ovf_free(unsigned char *p)
{
	tp_keep(0, NULL);
	free(p);
	tp_keep(1, NULL);
}

NOINLINE static unsigned char *
ovf_realloc(unsigned char *p)
{
	unsigned char *q = realloc(p, 4096);

	tp_keep(1, q);
	return q;
}

NOINLINE static unsigned char *
fit_alloc(size_t n)
{
	unsigned char *p = malloc(n);

	tp_keep(2, p);
	return p;
}

static void
run_over(size_t n, size_t by)
{
	unsigned char *p = ovf_alloc(n);

	ovf_write(p, n, by);
	ovf_free(p);
	printf("overflow size=%zu by=%zu\n", n, by);
}

static void
run_exact(void)
{
	unsigned char *p;
	size_t n;

	for (n = 1; n <= 300; n++) {
		p = fit_alloc(n);
		memset(p, 0xee, n);
		free(p);
		p = calloc(n, 1);
		memset(p, 0xee, n);
		p = realloc(p, n + 1);
		memset(p, 0xee, n + 1);
		free(p);
	}
	puts("exact ok");
}

static void
run_realloc(void)
{
	unsigned char *p = ovf_alloc(48);

	ovf_write(p, 48, 1);
	p = ovf_realloc(p);
	free(p);
	puts("realloc ok");
}

static void
run_check(void)
{
	unsigned char *p = ovf_alloc(200);

	ovf_write(p, 200, 1);
	TP_CALL(void (*)(void), jhook_check_bound);
	tp_keep(3, p);
	puts("check ok");
}

static void
run_leaked(void)
{
	unsigned char *p = ovf_alloc(140);

	ovf_write(p, 140, 1);
	tp_keep(5, p);
	puts("leaked ok");
}

static void
run_live(const char *ready, const char *stop)
{
	unsigned char *p = ovf_alloc(120);
	char text[64];

	ovf_write(p, 120, 1);
	snprintf(text, sizeof(text), "%d %p\n", (int)getpid(), (void *)p);
	tp_publish(ready, text);
	if (tp_wait_file(stop, 120) != 0)
		tp_die("nobody created %s", stop);
	tp_keep(4, p);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "over1";

	if (strcmp(mode, "over1") == 0)
		run_over(100, 1);
	else if (strcmp(mode, "over8") == 0)
		run_over(64, 8);
	else if (strcmp(mode, "exact") == 0)
		run_exact();
	else if (strcmp(mode, "realloc") == 0)
		run_realloc();
	else if (strcmp(mode, "check") == 0)
		run_check();
	else if (strcmp(mode, "leaked") == 0)
		run_leaked();
	else if (strcmp(mode, "live") == 0 && argc == 4)
		run_live(argv[2], argv[3]);
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
