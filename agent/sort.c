/*
 * sort.c - a heapsort that never allocates.
 */
#include <stdint.h>
#include <string.h>

#include "sort.h"

/* Swaps two elements byte by byte: sizes are small and arbitrary. */
static void
sort_swap(unsigned char *a, unsigned char *b, size_t size)
{
	unsigned char	t;

	while (size-- > 0) {
		t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/* Restores the heap property below i: a max-heap under before(), its root sorted last. */
static void
sort_sift(unsigned char *v, size_t i, size_t n, size_t size,
    sort_before_fn before, void *ctx)
{
	size_t	c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && before(v + c * size, v + (c + 1) * size, ctx))
			c++;
		if (!before(v + i * size, v + c * size, ctx))
			return;
		sort_swap(v + i * size, v + c * size, size);
		i = c;
	}
}

void
sort_heap(void *base, size_t n, size_t size, sort_before_fn before, void *ctx)
{
	unsigned char	*v = base;
	size_t		 i;

	for (i = n / 2; i-- > 0;)
		sort_sift(v, i, n, size, before, ctx);
	for (i = n; i-- > 1;) {
		sort_swap(v, v + i * size, size);
		sort_sift(v, 0, i, size, before, ctx);
	}
}

/* Moves element i up while it goes after its parent (the heap of sort_sift). */
static void
sort_rise(unsigned char *v, size_t i, size_t size, sort_before_fn before, void *ctx)
{
	size_t	p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!before(v + p * size, v + i * size, ctx))
			return;
		sort_swap(v + p * size, v + i * size, size);
		i = p;
	}
}

int
sort_keep(void *base, size_t *n, size_t cap, size_t size, const void *elem,
    sort_before_fn before, void *ctx)
{
	unsigned char	*v = base;

	if (cap == 0)
		return (0);
	if (*n < cap) {
		memcpy(v + *n * size, elem, size);
		sort_rise(v, (*n)++, size, before, ctx);
		return (1);
	}
	/* Full: the root is the one that goes last; elem replaces it if better. */
	if (!before(elem, v, ctx))
		return (0);
	memcpy(v, elem, size);
	sort_sift(v, 0, *n, size, before, ctx);
	return (1);
}
