/*
 * t-fdsteal - puts its own files on descriptors 3..31 by number, as a shell
 * does with "exec 3<in", then allocates: nothing the agent or its unwinder
 * does may read, write or close any of them.
 *
 * usage: t-fdsteal FILE    (FILE holds at least 16 bytes)
 */
#include <fcntl.h>

#include "tprog.h"

#define FIRST	3
#define LAST	31

NOINLINE static void *
steal_alloc(size_t n)
{
	void *p = malloc(n);

	tp_keep((unsigned)n, p);
	return p;
}

int
main(int argc, char **argv)
{
	char want[17], got[17];
	int fd, tmp, i;

	if (argc != 2)
		return 2;
	if ((fd = open(argv[1], O_RDONLY)) < 0 || read(fd, want, 16) != 16)
		tp_die("cannot read %s", argv[1]);
	want[16] = '\0';
	close(fd);
	for (fd = FIRST; fd <= LAST; fd++) {
		if ((tmp = open(argv[1], O_RDONLY)) < 0)
			tp_die("open %s: %s", argv[1], strerror(errno));
		if (tmp != fd && (dup2(tmp, fd) < 0 || close(tmp) < 0))
			tp_die("dup2 to %d: %s", fd, strerror(errno));
	}
	for (i = 0; i < 200; i++)
		free(steal_alloc(16 + (size_t)i));
	for (fd = FIRST; fd <= LAST; fd++) {
		memset(got, 0, sizeof got);
		if (read(fd, got, 16) != 16)
			tp_die("fd %d: %s", fd, errno ? strerror(errno) : "short read");
		if (strcmp(got, want) != 0)
			tp_die("fd %d read '%s', not '%s': someone read from it", fd, got, want);
	}
	printf("all %d descriptors intact\n", LAST - FIRST + 1);
	return 0;
}
