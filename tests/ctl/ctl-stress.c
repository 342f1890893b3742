/*
 * ctl-stress.c - threads churning malloc/free while a test toggles the
 * agent (stop/start, set-method, set-tail) through its socket.
 *
 *   ctl-stress THREADS STOP DONE GO
 *
 * Each thread allocates blocks of 1..600 bytes, writes every byte it asked
 * for and none past it, and frees them in a shuffled order, until the file
 * STOP exists.  Then main() keeps 100 blocks of 4099 bytes from
 * after_stress(), creates DONE, waits for GO and exits 0: a test knows
 * exactly what must be counted after the toggling, and that no block was
 * ever overflowed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE	__attribute__((noipa))
#define RING		256
#define KEEP		100

static const char	*stop_path;
void			*stress_kept[KEEP];

static int
exists(const char *path)
{
	return (access(path, F_OK) == 0);
}

static void *
churn(void *arg)
{
	void		*ring[RING] = { NULL };
	unsigned	 seed = (unsigned)(uintptr_t)arg * 2654435761u + 1, i = 0, k;
	size_t		 n;

	while ((i++ & 1023) != 0 || !exists(stop_path)) {
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % RING;
		free(ring[k]);
		n = 1 + (seed >> 16) % 600;
		switch (seed % 4) {
		case 0:
			ring[k] = calloc(1, n);
			break;
		case 1:
			ring[k] = realloc(malloc(n / 2 + 1), n);
			break;
		default:
			ring[k] = malloc(n);
			break;
		}
		if (ring[k] == NULL)
			_exit(3);
		memset(ring[k], 0xa5, n);
	}
	for (k = 0; k < RING; k++)
		free(ring[k]);
	return (NULL);
}

NOINLINE static void
after_stress(int i)
{
	stress_kept[i] = malloc(4099);
	memset(stress_kept[i], 1, 4099);
}

int
main(int argc, char **argv)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pthread_t	*th;
	long		 n, t;
	int		 fd, i;

	if (argc != 5 || (n = atol(argv[1])) < 1 || n > 64)
		return (2);
	stop_path = argv[2];
	if ((th = calloc((size_t)n, sizeof *th)) == NULL)
		return (3);
	for (t = 0; t < n; t++)
		if (pthread_create(&th[t], NULL, churn, (void *)t) != 0)
			return (3);
	for (t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	free(th);
	for (i = 0; i < KEEP; i++)
		after_stress(i);
	if ((fd = open(argv[3], O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	while (!exists(argv[4]))
		nanosleep(&ts, NULL);
	return (0);
}
