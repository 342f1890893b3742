/*
 * t-api.c - the agent's C API called by the traced program itself.
 *
 *   dormant        (JHOOK_START=0) before_start 4 x 150, jhook_start(),
 *                  after_start 2 x 160, 3 before_start blocks freed, the
 *                  4th grown by dormant_realloc to 500
 *   never          (JHOOK_START=0) never_started 3 x 170, never started
 *   limits         limit_leak 2 x each of 99, 100, 1000, 1001 bytes; the
 *                  truth follows JHOOK_MIN / JHOOK_MAX from the environment
 *   setlimit       jhook_set_limit(500, 600), then 499, 500, 600, 601 bytes
 *   setmethod      m_leak 2 x 180, jhook_set_method(ADDR), m_leak 3 x 180,
 *                  one block of the first batch freed
 *   restart        stop_before 3 x 190, jhook_stop(), those blocks freed
 *                  (untraced now), jhook_start(), stop_after 2 x 200
 *   choices        jhook_check_leak with every kind of choice; each call is
 *                  preceded by a line "=== <label>" (stderr joins stdout)
 *   wait READY STOP  wait_leak 5 x 333, writes its pid to READY, waits
 *                  for STOP to exist
 */
#include "tprog.h"

#include <malloc.h>

#include "jhook.h"

typedef void (*void_fn)(void);
typedef void (*int_fn)(int);

NOINLINE static void *
before_start(void)
{
	void *p = malloc(150);

	tp_keep(0, p);
	return p;
}

static void *after_start_block;

NOINLINE static void
after_start(unsigned i)
{
	void *p = malloc(160);

	tp_keep(10 + i, p);
	after_start_block = p;
}

NOINLINE static void
never_started(unsigned i)
{
	void *p = malloc(170);

	tp_keep(20 + i, p);
}

/* Grows a block allocated before tracing started: a new, traced block. */
NOINLINE static void *
dormant_realloc(void *p)
{
	void *q = realloc(p, 500);

	tp_keep(15, q);
	return q;
}

static void
run_dormant(void)
{
	void *early[4];
	unsigned i;

	for (i = 0; i < 4; i++)
		early[i] = before_start();
	TP_CALL(void_fn, jhook_start);
	for (i = 0; i < 2; i++)
		after_start(i);
	for (i = 0; i < 3; i++)
		free(early[i]);
	if (malloc_usable_size(early[3]) < 150)
		tp_die("malloc_usable_size of an untraced block < 150");
	if (malloc_usable_size(after_start_block) < 160)
		tp_die("malloc_usable_size of a traced block < 160");
	dormant_realloc(early[3]);
	tp_truth("before_start", 150, 0, 0);
	tp_truth("after_start", 160, 2, 0);
	tp_truth("dormant_realloc", 500, 1, 0);
}

static void
run_never(void)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		never_started(i);
	tp_truth("never_started", 170, 0, 0);
}

NOINLINE static void
limit_leak(size_t n, unsigned i)
{
	void *p = malloc(n);

	tp_keep(30 + i, p);
}

static size_t
env_size(const char *name, size_t dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? (size_t)strtoull(v, NULL, 10) : dflt;
}

static void
leak_sizes(const size_t *sizes, unsigned n, size_t min, size_t max)
{
	unsigned i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 2; k++)
			limit_leak(sizes[i], i * 2 + k);
	for (i = 0; i < n; i++) {
		int in = sizes[i] >= min && sizes[i] <= max;

		tp_truth("limit_leak", (long)sizes[i], in ? 2 : 0, 0);
	}
}

static void
run_limits(void)
{
	static const size_t sizes[] = { 99, 100, 1000, 1001 };

	leak_sizes(sizes, 4, env_size("JHOOK_MIN", 0),
	    env_size("JHOOK_MAX", SIZE_MAX));
}

static void
run_setlimit(void)
{
	static const size_t sizes[] = { 499, 500, 600, 601 };

	TP_CALL(void (*)(size_t, size_t), jhook_set_limit, 500, 600);
	leak_sizes(sizes, 4, 500, 600);
}

NOINLINE static void *
m_leak(void)
{
	void *p = malloc(180);

	tp_keep(40, p);
	return p;
}

static void
run_setmethod(void)
{
	void *first[2];
	unsigned i;

	for (i = 0; i < 2; i++)
		first[i] = m_leak();
	TP_CALL(int_fn, jhook_set_method, JHOOK_METHOD_ADDR);
	for (i = 0; i < 3; i++)
		m_leak();
	free(first[0]);
	tp_truth("m_leak", 180, 5, 1);
}

NOINLINE static void *
stop_before(void)
{
	void *p = malloc(190);

	tp_keep(60, p);
	return p;
}

NOINLINE static void
stop_after(unsigned i)
{
	void *p = malloc(200);

	tp_keep(61 + i, p);
}

static void
run_restart(void)
{
	void *early[3];
	unsigned i;

	for (i = 0; i < 3; i++)
		early[i] = stop_before();
	TP_CALL(void_fn, jhook_stop);
	for (i = 0; i < 3; i++)
		free(early[i]);
	TP_CALL(void_fn, jhook_start);
	for (i = 0; i < 2; i++)
		stop_after(i);
	tp_truth("stop_before", 190, 0, 0);
	tp_truth("stop_after", 200, 2, 0);
}

/* ---- choices ---- */

static void *site_blocks[3][16];
static unsigned site_n[3];

NOINLINE static void
site_a(void)
{
	site_blocks[0][site_n[0]++] = malloc(1001);
}

NOINLINE static void
site_b(void)
{
	site_blocks[1][site_n[1]++] = malloc(2002);
}

NOINLINE static void
site_c(void)
{
	site_blocks[2][site_n[2]++] = malloc(3003);
}

static void (*const sites[3])(void) = { site_a, site_b, site_c };
static unsigned site_freed[3];

static void
grow(unsigned s, unsigned n)
{
	while (n-- > 0)
		sites[s]();
}

static void
shrink(unsigned s, unsigned n)
{
	while (n-- > 0)
		free(site_blocks[s][site_freed[s]++]);
}

/* Prints the label with write(2), so it is ordered with the agent's output. */
static void
check(const char *label, int choice)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "=== %s\n", label);

	if (write(1, line, (size_t)n) != n)
		tp_die("write");
	TP_CALL(int_fn, jhook_check_leak, choice);
}

static void
run_choices(void)
{
	/* The agent may print to stdout or stderr: one stream keeps the order. */
	if (dup2(1, 2) < 0)
		tp_die("dup2");
	grow(0, 5);			/* a 5/0 */
	grow(1, 3), shrink(1, 3);	/* b 3/3 */
	grow(2, 2);			/* c 2/0 */
	check("first-changed", 1);	/* a b c: never seen before */
	check("nothing-changed", 0);	/* - */
	shrink(0, 1);			/* a 5/1 */
	grow(1, 1);			/* b 4/3 */
	check("unreleased-changed", 0);	/* a b */
	shrink(1, 1);			/* b 4/4 */
	grow(2, 1);			/* c 3/0 */
	check("changed", 1);		/* b c */
	check("unreleased", 2);		/* a c */
	check("all", 3);		/* a b c */
	check("at-least-4", 4);		/* a (4) */
	grow(2, 2);			/* c 5/0 */
	shrink(0, 1);			/* a 5/2 */
	check("at-least-4-changed", -4);	/* c (5); a has 3 */
	check("end", 2);		/* a c */
}

/* ---- wait ---- */

NOINLINE static void
wait_leak(unsigned i)
{
	void *p = malloc(333);

	tp_keep(50 + i, p);
}

static void
run_wait(const char *ready, const char *stop)
{
	char pid[32];
	unsigned i;

	for (i = 0; i < 5; i++)
		wait_leak(i);
	tp_truth("wait_leak", 333, 5, 0);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	tp_publish(ready, pid);
	if (tp_wait_file(stop, 120) != 0)
		tp_die("nobody created %s", stop);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "dormant") == 0)
		run_dormant();
	else if (strcmp(mode, "never") == 0)
		run_never();
	else if (strcmp(mode, "limits") == 0)
		run_limits();
	else if (strcmp(mode, "setlimit") == 0)
		run_setlimit();
	else if (strcmp(mode, "setmethod") == 0)
		run_setmethod();
	else if (strcmp(mode, "restart") == 0)
		run_restart();
	else if (strcmp(mode, "choices") == 0)
		run_choices();
	else if (strcmp(mode, "wait") == 0 && argc == 4)
		run_wait(argv[2], argv[3]);
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
