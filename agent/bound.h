/*
 * bound.h - tail guards and the heap overflows found through them.
 *
 * A traced block of requested size n is followed by `tail` bytes of
 * BND_BYTE.  A changed guard byte is an overflow; it is recorded once per
 * block, here, with no symbol lookup and no file I/O (it is found inside
 * the host's free()); the reporters print it later (rep_news) and the
 * exit report lists it again.
 */
#ifndef JHOOK_BOUND_H
#define JHOOK_BOUND_H

#include <stddef.h>
#include <stdint.h>

#define BND_BYTE	0x55
#define BND_MAX_FRAMES	64

enum bnd_where {
	BND_AT_FREE = 0,
	BND_AT_REALLOC = 1,
	BND_AT_CHECK = 2,
};

struct anc_frame;

/* A recorded overflow. */
struct bnd_view {
	uintptr_t		 ptr;
	size_t			 size;
	uint32_t		 anchor;	/* allocating stack: that anchor's frames */
	int			 where;		/* enum bnd_where */
	unsigned		 nfree;		/* frames of the freeing stack (free/realloc) */
	const struct anc_frame	*free_frames;
};

void	bnd_fill(void *ptr, size_t size, unsigned tail);
/* 1 when all tail bytes after ptr+size still hold BND_BYTE. */
int	bnd_intact(const void *ptr, size_t size, unsigned tail);
/*
 * Records an overflow of the block ptr (allocated at anchor).  free_addrs is the stack that freed it (n may be 0).
 * Called with no agent lock held.
 */
void	bnd_record(uintptr_t ptr, uint32_t anchor, enum bnd_where where, const uintptr_t *free_addrs, unsigned n);
/* Scans every live traced block now (jhook_check_bound); returns the number of new overflows. */
unsigned bnd_scan(void);
unsigned bnd_count(void);
/* Overflows found after the record table filled up (counted, not kept). */
unsigned bnd_dropped(void);
int	bnd_get(unsigned i, struct bnd_view *out);
/* Forgets recorded overflows (jhook_stop). */
void	bnd_reset(void);

#endif /* JHOOK_BOUND_H */
