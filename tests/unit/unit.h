/*
 * unit.h - what the unit tests share: the check macros and the stand-ins.
 *
 * A unit test #includes the module's .c file so it can reach its static
 * functions and state, links the modules it really uses, and defines here
 * the few symbols the module calls but the test does not exercise.  Each
 * failed check prints one line naming what was expected and what was seen;
 * the program exits 1 when any check failed (automake runs it directly).
 */
#ifndef JHOOK_UNIT_H
#define JHOOK_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define UNIT_SHOWN	40	/* failures printed before going quiet */

static unsigned long	 unit_checks, unit_failed;
static const char	*unit_test = "main";	/* the test running */

/* Prints one failure (the first UNIT_SHOWN of them), naming the test and the function. */
static void
unit_fail(const char *file, int line, const char *func, const char *what)
{
	if (++unit_failed > UNIT_SHOWN)
		return;
	if (strcmp(func, unit_test) == 0)
		fprintf(stderr, "%s:%d: %s: %s\n", file, line, unit_test, what);
	else
		fprintf(stderr, "%s:%d: %s (in %s): %s\n", file, line,
		    unit_test, func, what);
}

/* Runs one test function; when any of its checks failed, says how many. */
#define TEST_RUN(fn) do {						\
	unsigned long unit_before_ = unit_failed;			\
									\
	unit_test = #fn;						\
	fn();								\
	if (unit_failed != unit_before_)				\
		fprintf(stderr, "%s: %lu checks failed\n", #fn,	\
		    unit_failed - unit_before_);			\
} while (0)

/* Passes when cond holds; a failure names the condition. */
#define TEST_CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond))							\
		unit_fail(__FILE__, __LINE__, __func__,			\
		    "expected " #cond);					\
} while (0)

/* Passes when seen == expected (integers); a failure shows both values. */
#define TEST_EQ(seen, expected) do {					\
	unsigned long long unit_s_ = (unsigned long long)(seen);	\
	unsigned long long unit_e_ = (unsigned long long)(expected);	\
	char unit_m_[256];						\
									\
	unit_checks++;							\
	if (unit_s_ != unit_e_) {					\
		snprintf(unit_m_, sizeof unit_m_,			\
		    "expected %s == %llu (%s), saw %llu",		\
		    #seen, unit_e_, #expected, unit_s_);		\
		unit_fail(__FILE__, __LINE__, __func__, unit_m_);	\
	}								\
} while (0)

/* The exit status: 0 when every check passed. */
static int
unit_finish(const char *name)
{
	if (unit_failed > UNIT_SHOWN)
		fprintf(stderr, "(%lu more failures not shown)\n",
		    unit_failed - UNIT_SHOWN);
	printf("%s: %lu checks, %lu failed\n", name, unit_checks, unit_failed);
	return unit_failed != 0;
}

/* A deterministic generator (xorshift64*), so a failure can be replayed. */
static uint64_t
unit_random(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#ifdef UNIT_STANDIN_MOD_RESOLVE
#include "agent/anchor.h"
#include "agent/module.h"

/*
 * Stand-in for agent/module.c, whose module list needs the loader: every
 * address lies in no known module, exactly what mod_resolve reports for an
 * address outside every loaded object (the tests' frames are made up).
 */
void
mod_resolve(const uintptr_t *addrs, unsigned n, struct anc_frame *out)
{
	unsigned	i;

	for (i = 0; i < n; i++) {
		out[i].addr = addrs[i];
		out[i].offset = addrs[i];
		out[i].module = MOD_UNKNOWN;
		out[i].unused = 0;
	}
}
#endif

#endif /* JHOOK_UNIT_H */
