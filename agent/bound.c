/*
 * bound.c - tail guards and the heap overflows found through them.
 *
 * Overflows are found in free() of any thread, so recording one takes no
 * lock: a slot is reserved with an atomic counter, filled, and published
 * by its ready flag.  Record chunks are mapped on first need and kept, so
 * a reader's free_frames pointer stays valid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <string.h>

#include "anchor.h"
#include "arena.h"
#include "block.h"
#include "bound.h"
#include "module.h"

#define BND_CHUNK	64
#define BND_CHUNKS	64		/* 4096 overflows kept */
#define BND_RECORDS	(BND_CHUNK * BND_CHUNKS)
#define BND_SCAN_BATCH	256		/* damaged blocks handled per pass */

struct bnd_rec {
	int			ready;		/* atomic: published */
	int			where;
	uintptr_t		ptr;
	size_t			size;
	uint32_t		anchor;
	unsigned		nfree;
	struct anc_frame	free_frames[BND_MAX_FRAMES];
};

/* A damaged block found by a scan, recorded once the shard is unlocked. */
struct bnd_hit {
	uintptr_t	ptr;
	uint32_t	anchor;
};

/* The state of one scan pass. */
struct bnd_pass {
	struct bnd_hit	hits[BND_SCAN_BATCH];
	unsigned	n;
	int		full;		/* some damaged blocks wait for the next pass */
};

static struct bnd_rec	*bnd_chunks[BND_CHUNKS];
static unsigned		 bnd_next;	/* slots reserved, may exceed BND_RECORDS */
static unsigned		 bnd_lost;	/* overflows not kept */

#define BND_WORD	0x5555555555555555ull

/* Writes the guard after a block of size bytes. */
void
bnd_fill(void *ptr, size_t size, unsigned tail)
{
	memset((char *)ptr + size, BND_BYTE, tail);
}

/* 1 when every guard byte still holds BND_BYTE; compared a word at a time. */
int
bnd_intact(const void *ptr, size_t size, unsigned tail)
{
	const unsigned char	*p = (const unsigned char *)ptr + size;
	uint64_t		 w;

	for (; tail >= sizeof w; tail -= sizeof w, p += sizeof w) {
		memcpy(&w, p, sizeof w);
		if (w != BND_WORD)
			return (0);
	}
	for (; tail > 0; tail--, p++)
		if (*p != BND_BYTE)
			return (0);
	return (1);
}

/* The record in slot i, mapping its chunk on first use; NULL when out of memory. */
static struct bnd_rec *
bnd_slot(unsigned i)
{
	struct bnd_rec	**c = &bnd_chunks[i / BND_CHUNK], *p, *expected = NULL;
	size_t		  len = BND_CHUNK * sizeof **c;

	if ((p = __atomic_load_n(c, __ATOMIC_ACQUIRE)) == NULL) {
		if ((p = arena_pages(len)) == NULL)
			return (NULL);
		/* Another thread may have mapped it first: keep theirs. */
		if (!__atomic_compare_exchange_n(c, &expected, p, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			arena_release(p, len);
			p = expected;
		}
	}
	return (&p[i % BND_CHUNK]);
}

/* The published record i, or NULL. */
static const struct bnd_rec *
bnd_at(unsigned i)
{
	struct bnd_rec	*c;

	if (i >= BND_RECORDS ||
	    (c = __atomic_load_n(&bnd_chunks[i / BND_CHUNK], __ATOMIC_ACQUIRE)) == NULL ||
	    !__atomic_load_n(&c[i % BND_CHUNK].ready, __ATOMIC_ACQUIRE))
		return (NULL);
	return (&c[i % BND_CHUNK]);
}

/* Keeps v in the table; 0 when the table is full. */
static int
bnd_keep(const struct bnd_view *v)
{
	unsigned	i = __atomic_fetch_add(&bnd_next, 1, __ATOMIC_RELAXED);
	struct bnd_rec	*r;

	if (i >= BND_RECORDS || (r = bnd_slot(i)) == NULL)
		return (0);
	r->ptr = v->ptr;
	r->size = v->size;
	r->anchor = v->anchor;
	r->where = v->where;
	r->nfree = v->nfree;
	memcpy(r->free_frames, v->free_frames, v->nfree * sizeof *r->free_frames);
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
	return (1);
}

/* Records an overflow; see bound.h.  Printing waits for a reporter (rep_news). */
void
bnd_record(uintptr_t ptr, uint32_t anchor, enum bnd_where where, const uintptr_t *free_addrs, unsigned n)
{
	struct anc_frame	frames[BND_MAX_FRAMES];
	struct bnd_view		v;
	int			saved = errno;

	if (n > BND_MAX_FRAMES)
		n = BND_MAX_FRAMES;
	if (n > 0)
		mod_resolve(free_addrs, n, frames);
	v.ptr = ptr;
	v.size = anc_size(anchor);
	v.anchor = anchor;
	v.where = where;
	v.nfree = n;
	v.free_frames = frames;
	if (!bnd_keep(&v))
		__atomic_add_fetch(&bnd_lost, 1, __ATOMIC_RELAXED);
	errno = saved;
}

/* blk_foreach visitor: notes blocks whose guard is damaged (shard locked). */
static void
bnd_visit(struct blk_entry *e, void *arg)
{
	struct bnd_pass	*p = arg;
	unsigned	 tail = e->flags & BLK_TAIL_MASK;

	if (tail == 0 || (e->flags & BLK_FLAG_REPORTED) ||
	    bnd_intact((const void *)e->ptr, anc_size(e->anchor), tail))
		return;
	/* Left unflagged when the batch is full, so the next pass takes it. */
	if (p->n == BND_SCAN_BATCH) {
		p->full = 1;
		return;
	}
	e->flags |= BLK_FLAG_REPORTED;
	p->hits[p->n].ptr = e->ptr;
	p->hits[p->n].anchor = e->anchor;
	p->n++;
}

/* Scans every live traced block now; returns the number of new overflows. */
unsigned
bnd_scan(void)
{
	struct bnd_pass	p;
	unsigned	i, found = 0;

	do {
		p.n = 0;
		p.full = 0;
		blk_foreach(bnd_visit, &p);
		/* Frames are resolved with no shard locked. */
		for (i = 0; i < p.n; i++)
			bnd_record(p.hits[i].ptr, p.hits[i].anchor, BND_AT_CHECK, NULL, 0);
		found += p.n;
	} while (p.full);
	return (found);
}

/* Overflows kept in the table. */
unsigned
bnd_count(void)
{
	unsigned	n = __atomic_load_n(&bnd_next, __ATOMIC_ACQUIRE);

	return (n < BND_RECORDS ? n : BND_RECORDS);
}

/* Overflows found after the table filled up. */
unsigned
bnd_dropped(void)
{
	return (__atomic_load_n(&bnd_lost, __ATOMIC_RELAXED));
}

/* A copy of overflow i; 0 when it is not (yet) recorded. */
int
bnd_get(unsigned i, struct bnd_view *out)
{
	const struct bnd_rec	*r = bnd_at(i);

	if (r == NULL)
		return (0);
	out->ptr = r->ptr;
	out->size = r->size;
	out->anchor = r->anchor;
	out->where = r->where;
	out->nfree = r->nfree;
	out->free_frames = r->free_frames;
	return (1);
}

/* Forgets every recorded overflow (jhook_stop); the chunks stay for reuse. */
void
bnd_reset(void)
{
	struct bnd_rec	*c;
	unsigned	 i;

	for (i = 0; i < BND_RECORDS; i++)
		if ((c = __atomic_load_n(&bnd_chunks[i / BND_CHUNK], __ATOMIC_ACQUIRE)) != NULL)
			__atomic_store_n(&c[i % BND_CHUNK].ready, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&bnd_lost, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bnd_next, 0, __ATOMIC_RELEASE);
}
