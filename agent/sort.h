/*
 * sort.h - sorting without malloc.
 *
 * glibc's qsort may allocate a buffer as large as the array, which the
 * agent cannot do from where it sorts; a heapsort needs none.
 */
#ifndef JHOOK_SORT_H
#define JHOOK_SORT_H

#include <stddef.h>

/* 1 when a goes before b; ctx is the caller's. */
typedef int (*sort_before_fn)(const void *a, const void *b, void *ctx);

/* Sorts n elements of size bytes at base so that no element goes before an earlier one. */
void	sort_heap(void *base, size_t n, size_t size, sort_before_fn before, void *ctx);

/*
 * Keeps the cap elements that go first among those offered, in a heap at
 * base holding *n of them (its root the one that goes last).  Returns 1
 * when elem was kept.  sort_heap puts the kept ones in order afterwards.
 */
int	sort_keep(void *base, size_t *n, size_t cap, size_t size, const void *elem,
	    sort_before_fn before, void *ctx);

#endif /* JHOOK_SORT_H */
