/*
 * hold.c - allocates N blocks of 32 bytes from one site, keeps them live and
 * waits for stdin to close: a fixed live set for measuring the agent's
 * memory per traced block (bench/memory).
 *
 * usage: jhook-bench-hold N
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long	  n = argc > 1 ? atol(argv[1]) : 1000000, i;
	void	**blocks = malloc((size_t)n * sizeof *blocks);
	char	  c;

	for (i = 0; i < n; i++)
		blocks[i] = malloc(32);
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	for (i = 0; i < n; i++)
		free(blocks[i]);
	free(blocks);
	return 0;
}
