/*
 * jd-prog - a long-running program for the jhookd tests, one allocation
 * pattern per mode, on an absolute-time tick so its rates are exact:
 *   steady   K blocks of SIZE leak every tick, from steady_leak()
 *   sawtooth K blocks every tick from sawtooth_grow(), all freed every
 *            PERIOD ticks (back to its base)
 *   plateau  K blocks every tick from cache_fill() until CAP, then nothing
 *   clean    K blocks allocated and freed every tick, from clean_work()
 *   spread   one block of each size SIZE .. SIZE+K-1 leaks every tick from
 *            spread_leak(): K anchors; after EXTRA ticks (0: never) the
 *            program execs itself as "steady 50 1 SIZE" (same pid)
 * Usage: jd-prog MODE [TICK_MS [K [SIZE [PERIOD_OR_CAP]]]]
 * Prints one line of ground truth: {"mode":..,"rate":blocks/s,"size":..}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void **kept;
static size_t nkept, capkept;

static void
keep(void *p)
{
	if (nkept == capkept) {
		capkept = capkept ? capkept * 2 : 1024;
		kept = realloc(kept, capkept * sizeof *kept);
		if (kept == NULL)
			exit(1);
	}
	kept[nkept++] = p;
}

/*
 * Each leaking function marks its block with its own byte: functions of
 * the same code would be folded into one by -O2 (and named after any).
 */
static inline void
leak_marked(size_t size, unsigned char mark)
{
	unsigned char *p = malloc(size);

	if (p != NULL)
		p[0] = mark;
	keep(p);
}

NOINLINE static void
steady_leak(size_t size)
{
	leak_marked(size, 0x11);
}

NOINLINE static void
sawtooth_grow(size_t size)
{
	leak_marked(size, 0x22);
}

NOINLINE static void
cache_fill(size_t size)
{
	leak_marked(size, 0x33);
}

NOINLINE static void
spread_leak(size_t size)
{
	leak_marked(size, 0x44);
}

NOINLINE static void
clean_work(size_t size)
{
	void *p = malloc(size);

	memset(p, 1, size);
	free(p);
}

static void
release_all(void)
{
	while (nkept > 0)
		free(kept[--nkept]);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "steady";
	long tick_ms = argc > 2 ? atol(argv[2]) : 50;
	long k = argc > 3 ? atol(argv[3]) : 5;
	size_t size = argc > 4 ? (size_t)atol(argv[4]) : 48;
	long extra = argc > 5 ? atol(argv[5]) : strcmp(mode, "spread") == 0 ? 0 : 40;
	struct timespec next;
	unsigned long tick;
	long i;

	printf("{\"mode\":\"%s\",\"rate\":%.6f,\"size\":%zu}\n", mode,
	    strcmp(mode, "steady") == 0 ? k * 1000.0 / tick_ms : 0.0, size);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (tick = 1;; tick++) {
		next.tv_nsec += tick_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		if (strcmp(mode, "spread") == 0) {
			for (i = 0; i < k; i++)
				spread_leak(size + (size_t)i);
			if (extra > 0 && tick == (unsigned long)extra) {
				char sz[32];

				snprintf(sz, sizeof sz, "%zu", size);
				execl("/proc/self/exe", argv[0], "steady", "50", "1", sz,
				    (char *)NULL);
				exit(1);
			}
			continue;
		}
		for (i = 0; i < k; i++) {
			if (strcmp(mode, "steady") == 0)
				steady_leak(size);
			else if (strcmp(mode, "sawtooth") == 0)
				sawtooth_grow(size);
			else if (strcmp(mode, "plateau") == 0) {
				if ((long)nkept < extra)
					cache_fill(size);
			} else
				clean_work(size);
		}
		if (strcmp(mode, "sawtooth") == 0 && tick % (unsigned long)extra == 0)
			release_all();
	}
}
