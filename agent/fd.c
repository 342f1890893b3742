/*
 * fd.c - the agent's file descriptors, kept out of the host's way.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fd.h"

#define FD_FLOOR_MAX	1024	/* high enough for every shell and most daemons */
#define FD_FLOOR_MIN	10	/* below this there is no "out of the way" */

/* Half the descriptor limit, at most FD_FLOOR_MAX: the host keeps the lower half. */
static int
fd_floor(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return FD_FLOOR_MAX;
	return rl.rlim_cur / 2 < FD_FLOOR_MAX ? (int)(rl.rlim_cur / 2) : FD_FLOOR_MAX;
}

int
fd_move_high(int fd)
{
	int	floor = fd_floor(), flags, high;

	if (fd < 0 || fd >= floor || floor < FD_FLOOR_MIN)
		return fd;
	if ((flags = fcntl(fd, F_GETFD)) < 0)
		return fd;
	high = fcntl(fd, (flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, floor);
	if (high < 0)
		return fd;
	close(fd);
	return high;
}
