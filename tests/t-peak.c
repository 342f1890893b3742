/*
 * t-peak.c - programs whose high-water mark is known, for the exact peak.
 *
 *   t-peak small    keeps 10 bytes, then 10 x 1000 allocated and all freed:
 *                   total 10, peak 10010
 *   t-peak big      keeps 10 bytes and a base of 1000 x 4000 bytes, then 50
 *                   rounds of k x 1000 bytes (k from 1 to 13, each round
 *                   below a thread's batch) allocated and freed, then the
 *                   base freed
 *   t-peak threads  4 threads each hold 1000 x 1000 bytes at once (they
 *                   wait for each other before freeing any)
 *
 * Prints "EXPECT <total> <peak>" for what the program itself allocated.
 * Only write(2) is used for output: no stdio buffer is allocated, so with
 * one thread the program allocates nothing it does not count.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE	__attribute__((noinline, noclone))
#define THREADS		4
#define PER_THREAD	1000
#define BASE_BLOCKS	1000

static size_t			held, high;
static void			*volatile sink;
static pthread_barrier_t	barrier;

static void *
take(size_t n)
{
	void	*p = malloc(n);

	if (p == NULL)
		_exit(1);
	memset(p, 1, n);
	held += n;
	if (held > high)
		high = held;
	return (p);
}

static void
give(void *p, size_t n)
{
	free(p);
	held -= n;
}

static void
say(size_t total, size_t peak)
{
	char	buf[64], *e = buf + sizeof buf, *s = e;
	size_t	v[2] = { peak, total };
	int	i;

	*--s = '\n';
	for (i = 0; i < 2; i++) {
		do
			*--s = (char)('0' + v[i] % 10);
		while ((v[i] /= 10) != 0);
		*--s = ' ';
	}
	memcpy(s - 6, "EXPECT", 6);
	s -= 6;
	if (write(1, s, (size_t)(e - s)) < 0)
		_exit(1);
}

NOINLINE static void
small(void)
{
	void	*p[10];
	int	 i;

	sink = take(10);
	for (i = 0; i < 10; i++)
		p[i] = take(1000);
	for (i = 0; i < 10; i++)
		give(p[i], 1000);
}

NOINLINE static void
big(void)
{
	static void	*base[BASE_BLOCKS];
	void		*p[13];
	int		 i, r, k;

	sink = take(10);
	for (i = 0; i < BASE_BLOCKS; i++)
		base[i] = take(4000);
	for (r = 1; r <= 50; r++) {
		k = r * 7 % 13 + 1;
		for (i = 0; i < k; i++)
			p[i] = take(1000);
		for (i = 0; i < k; i++)
			give(p[i], 1000);
	}
	for (i = 0; i < BASE_BLOCKS; i++)
		give(base[i], 4000);
}

NOINLINE static void *
holder(void *arg)
{
	static void	*blocks[THREADS][PER_THREAD];
	long		 t = (long)arg;
	int		 i;

	for (i = 0; i < PER_THREAD; i++) {
		blocks[t][i] = malloc(1000);
		if (blocks[t][i] == NULL)
			_exit(1);
		memset(blocks[t][i], 1, 1000);
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < PER_THREAD; i++)
		free(blocks[t][i]);
	return (NULL);
}

NOINLINE static void
threads(void)
{
	pthread_t	th[THREADS];
	long		t;

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], NULL, holder, (void *)t) != 0)
			_exit(1);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	held = 0;
	high = (size_t)THREADS * PER_THREAD * 1000;
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		return (2);
	if (strcmp(argv[1], "small") == 0)
		small();
	else if (strcmp(argv[1], "big") == 0)
		big();
	else if (strcmp(argv[1], "threads") == 0)
		threads();
	else
		return (2);
	say(held, high);
	return (0);
}
