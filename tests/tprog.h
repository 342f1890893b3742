/*
 * tprog.h - shared by the test programs that run under the agent.
 *
 * Every allocating function in a test program is a named, non-inlined
 * function that does some work after its allocator call (never a tail
 * call), so the agent's innermost frame is exactly that function whatever
 * CFLAGS the user passed.  Programs print their own ground truth as
 *     TRUTH <function> <size|-> <alloc> <free> <diff>
 * lines, which tests/lib.sh compares with the exit report.
 */
#ifndef JHOOK_TPROG_H
#define JHOOK_TPROG_H

#if defined(__GNUC__) && !defined(__clang__)
/* User CFLAGS (-O2) come after ours; keep the call sites the sources show. */
#pragma GCC optimize ("O0")
#endif

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE	__attribute__((noinline, noclone, used))

/* Keeps pointers reachable so the compiler can drop nothing. */
static void *volatile tp_sink[4096];

static inline void
tp_keep(unsigned i, void *p)
{
	tp_sink[i % 4096] = p;
}

/* Fails the program with one line on stderr. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
tp_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* One ground-truth line; size < 0 means "do not check the size". */
static inline void
tp_truth(const char *func, long size, long alloc, long nfree)
{
	if (size < 0)
		printf("TRUTH %s - %ld %ld %ld\n", func, alloc, nfree, alloc - nfree);
	else
		printf("TRUTH %s %ld %ld %ld %ld\n", func, size, alloc, nfree,
		    alloc - nfree);
	fflush(stdout);
}

/* The agent's C API, found at run time so the program links without it. */
static inline void *
tp_api(const char *name)
{
	void *f = dlsym(RTLD_DEFAULT, name);

	if (f == NULL)
		tp_die("%s not found: is the agent loaded?", name);
	return f;
}

#define TP_CALL(type, name, ...)	((type)tp_api(#name))(__VA_ARGS__)

/* Waits (polling, with a deadline) until path exists; 0 when it did. */
static inline int
tp_wait_file(const char *path, int seconds)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long i;

	for (i = 0; i < seconds * 100L; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Writes text to path atomically (aside, then renamed) for a test to read. */
static inline void
tp_publish(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		tp_die("cannot create %s: %s", tmp, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		tp_die("cannot write %s: %s", path, strerror(errno));
}

#endif /* JHOOK_TPROG_H */
