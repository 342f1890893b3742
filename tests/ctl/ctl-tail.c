/*
 * ctl-tail.c - a program whose allocating call is the last instruction of
 * its caller, for comparing a live snapshot with the exit report.
 *
 *   ctl-tail READY GO
 *
 * caller_ends_in_call() ends in a call to a noreturn function, so the
 * return address on the stack is the first byte of whatever follows it:
 * only a symbol lookup at return address - 1 names caller_ends_in_call.
 * die_after_alloc() keeps one block of 4011 bytes, creates READY, waits
 * until GO exists, and exits 0 with the block still live.  Only open(2),
 * access(2) and nanosleep(2): nothing else is allocated.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE	__attribute__((noipa))

void		*tail_kept;
static const char *tail_ready, *tail_go;

NOINLINE __attribute__((noreturn)) static void
die_after_alloc(void)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		fd;

	tail_kept = malloc(4011);	/* TAIL_ALLOC */
	if ((fd = open(tail_ready, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	while (access(tail_go, F_OK) != 0)
		nanosleep(&ts, NULL);
	exit(0);
}

NOINLINE void
caller_ends_in_call(void)
{
	die_after_alloc();
}

/* Follows caller_ends_in_call, so its first byte is the return address above. */
NOINLINE int
right_after(int x)
{
	return x * 3 + 1;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	tail_ready = argv[1];
	tail_go = argv[2];
	if (right_after(argc) == 0)
		return 1;
	caller_ends_in_call();
}
