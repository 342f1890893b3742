/*
 * t-signal.c - signal handlers that allocate and free.
 *
 * SIGUSR1's handler leaks one block from on_usr1_alloc; SIGUSR2's frees one
 * of them.  Each signal is raised while blocked and delivered inside
 * sigsuspend(), so no allocator call is ever interrupted and the counts are
 * exact: 6 allocated, 2 freed.
 */
#include "tprog.h"

#include <signal.h>

#define NALLOC	6
#define NFREE	2

static void *volatile held[NALLOC];
static volatile sig_atomic_t nheld, nfreed, delivered;

NOINLINE static void
on_usr1_alloc(void)
{
	void *p = malloc(56);

	memset(p, 3, 56);
	held[nheld++] = p;
}

static void
handler(int sig)
{
	if (sig == SIGUSR1)
		on_usr1_alloc();
	else
		free(held[nfreed++]);
	delivered++;
}

/* Raises sig while it is blocked and lets sigsuspend() deliver it. */
static void
deliver(int sig)
{
	sigset_t waitmask;
	sig_atomic_t before = delivered;

	if (raise(sig) != 0)
		tp_die("raise: %s", strerror(errno));
	sigemptyset(&waitmask);
	while (delivered == before)
		sigsuspend(&waitmask);
}

int
main(void)
{
	struct sigaction sa;
	sigset_t block;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGUSR2, &sa, NULL) != 0)
		tp_die("sigaction: %s", strerror(errno));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	for (i = 0; i < NALLOC; i++)
		deliver(SIGUSR1);
	for (i = 0; i < NFREE; i++)
		deliver(SIGUSR2);
	if (nheld != NALLOC || nfreed != NFREE)
		tp_die("handlers ran %d/%d times", (int)nheld, (int)nfreed);
	tp_truth("on_usr1_alloc", 56, NALLOC, NFREE);
	return 0;
}
