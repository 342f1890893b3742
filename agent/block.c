/*
 * block.c - the live block table.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), one table per shard, shards chosen by pointer hash.  A slot
 * is a pointer plus 32 bits: the anchor id (22 bits) and the block's flags
 * (10 bits), kept in two arrays so a slot costs 12 bytes.  Tables come
 * from mmap and grow by half when 4/5 full, so a live block costs 15 to
 * 23 bytes of agent memory: the 24-byte budget holds at every size.
 */
#include <stdint.h>
#include <string.h>

#include "anchor.h"
#include "arena.h"
#include "block.h"
#include "lock.h"

#define BLK_SHARD_BITS	6
#define BLK_SHARDS	(1u << BLK_SHARD_BITS)
#define BLK_MIN_CAP	512
#define BLK_LOAD_NUM	4		/* grow past 4/5 full ... */
#define BLK_LOAD_DEN	5
#define BLK_GROWTH(c)	((c) + (c) / 2)	/* ... by half */
#define BLK_ANCHOR_BITS	22
#define BLK_ANCHOR_MASK	((1u << BLK_ANCHOR_BITS) - 1)

struct blk_shard {
	lock_t		 lock;
	size_t		 cap;		/* slots */
	size_t		 used;
	uintptr_t	*keys;		/* 0 = empty */
	uint32_t	*vals;		/* anchor | flags << BLK_ANCHOR_BITS */
} __attribute__((aligned(64)));

static struct blk_shard	blk_shards[BLK_SHARDS];
int			blk_nonempty;	/* any block traced since the last clear */

static inline uint64_t
blk_hash(uintptr_t ptr)
{
	return (uint64_t)(ptr >> 4) * 0x9e3779b97f4a7c15ull;
}

static inline struct blk_shard *
blk_shard_of(uint64_t h)
{
	return &blk_shards[h >> (64 - BLK_SHARD_BITS)];
}

/* The slot a hash starts probing at: the bits below the shard's, scaled to cap. */
static inline size_t
blk_home(const struct blk_shard *s, uint64_t h)
{
	return (size_t)(((unsigned __int128)(h << BLK_SHARD_BITS) * s->cap) >> 64);
}

static inline size_t
blk_next(const struct blk_shard *s, size_t i)
{
	return ++i == s->cap ? 0 : i;
}

static inline uint32_t
blk_pack(uint32_t anchor, uint32_t flags)
{
	return (anchor & BLK_ANCHOR_MASK) | (flags << BLK_ANCHOR_BITS);
}

static inline void
blk_unpack(uintptr_t ptr, uint32_t v, struct blk_entry *out)
{
	out->ptr = ptr;
	out->anchor = v & BLK_ANCHOR_MASK;
	out->flags = v >> BLK_ANCHOR_BITS;
}

/* Slot of ptr in s, or the empty slot where it would go. */
static size_t
blk_find(const struct blk_shard *s, uintptr_t ptr, uint64_t h)
{
	size_t	i = blk_home(s, h);

	while (s->keys[i] != 0 && s->keys[i] != ptr)
		i = blk_next(s, i);
	return i;
}

/* Moves s to a table of cap slots; -1 when no memory (s unchanged). */
static int
blk_resize(struct blk_shard *s, size_t cap)
{
	struct blk_shard	 n = { .cap = cap, .used = s->used };
	size_t			 i, j;
	void			*mem;

	mem = arena_pages(cap * (sizeof(uintptr_t) + sizeof(uint32_t)));
	if (mem == NULL)
		return -1;
	n.keys = mem;
	n.vals = (uint32_t *)(n.keys + cap);
	for (i = 0; i < s->cap; i++) {
		if (s->keys[i] == 0)
			continue;
		j = blk_find(&n, s->keys[i], blk_hash(s->keys[i]));
		n.keys[j] = s->keys[i];
		n.vals[j] = s->vals[i];
	}
	if (s->keys != NULL)
		arena_release(s->keys,
		    s->cap * (sizeof(uintptr_t) + sizeof(uint32_t)));
	s->keys = n.keys;
	s->vals = n.vals;
	s->cap = cap;
	return 0;
}

int
blk_insert(uintptr_t ptr, uint32_t anchor, uint32_t flags, struct blk_entry *old)
{
	uint64_t		 h = blk_hash(ptr);
	struct blk_shard	*s = blk_shard_of(h);
	size_t			 i;
	int			 dup = 0;

	lock_acquire(&s->lock);
	if ((s->used + 1) * BLK_LOAD_DEN > s->cap * BLK_LOAD_NUM &&
	    blk_resize(s, s->cap ? BLK_GROWTH(s->cap) : BLK_MIN_CAP) != 0) {
		lock_release(&s->lock);
		return -1;
	}
	i = blk_find(s, ptr, h);
	if (s->keys[i] == ptr) {
		blk_unpack(ptr, s->vals[i], old);
		dup = 1;
	} else {
		s->keys[i] = ptr;
		s->used++;
	}
	s->vals[i] = blk_pack(anchor, flags);
	/*
	 * Set after the entry, under the shard's lock: blk_clear drops the flag
	 * before it empties the shards, so an entry that survives a clear it
	 * raced with always has the flag set, and its free is never taken for
	 * an untraced one (which left a stale entry for a reused address).
	 */
	if (!__atomic_load_n(&blk_nonempty, __ATOMIC_RELAXED))
		__atomic_store_n(&blk_nonempty, 1, __ATOMIC_RELEASE);
	lock_release(&s->lock);
	return dup;
}

/* Empties slot i, shifting later members of its cluster back (no tombstones). */
static void
blk_delete_slot(struct blk_shard *s, size_t i)
{
	size_t	j = i, home;

	for (;;) {
		j = blk_next(s, j);
		if (s->keys[j] == 0)
			break;
		home = blk_home(s, blk_hash(s->keys[j]));
		/* Move j back into the hole unless its home lies in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		s->keys[i] = s->keys[j];
		s->vals[i] = s->vals[j];
		i = j;
	}
	s->keys[i] = 0;
	s->used--;
}

int
blk_remove(uintptr_t ptr, struct blk_entry *out)
{
	uint64_t		 h = blk_hash(ptr);
	struct blk_shard	*s = blk_shard_of(h);
	size_t			 i;

	lock_acquire(&s->lock);
	if (s->cap == 0) {
		lock_release(&s->lock);
		return 0;
	}
	i = blk_find(s, ptr, h);
	if (s->keys[i] != ptr) {
		lock_release(&s->lock);
		return 0;
	}
	blk_unpack(ptr, s->vals[i], out);
	blk_delete_slot(s, i);
	lock_release(&s->lock);
	return 1;
}

int
blk_lookup(uintptr_t ptr, struct blk_entry *out)
{
	uint64_t		 h = blk_hash(ptr);
	struct blk_shard	*s = blk_shard_of(h);
	size_t			 i;
	int			 found = 0;

	lock_acquire(&s->lock);
	if (s->cap != 0) {
		i = blk_find(s, ptr, h);
		if (s->keys[i] == ptr) {
			blk_unpack(ptr, s->vals[i], out);
			found = 1;
		}
	}
	lock_release(&s->lock);
	return found;
}

void
blk_foreach(blk_visit_fn visit, void *arg)
{
	struct blk_shard	*s;
	struct blk_entry	 e;
	unsigned		 k;
	size_t			 i;

	for (k = 0; k < BLK_SHARDS; k++) {
		s = &blk_shards[k];
		lock_acquire(&s->lock);
		for (i = 0; i < s->cap; i++) {
			if (s->keys[i] == 0)
				continue;
			blk_unpack(s->keys[i], s->vals[i], &e);
			visit(&e, arg);
			s->vals[i] = blk_pack(e.anchor, e.flags);
		}
		lock_release(&s->lock);
	}
}

void
blk_clear(void)
{
	struct blk_shard	*s;
	unsigned		 k;

	/* First: an insert racing with this clear sets it again (blk_insert). */
	__atomic_store_n(&blk_nonempty, 0, __ATOMIC_SEQ_CST);
	for (k = 0; k < BLK_SHARDS; k++) {
		s = &blk_shards[k];
		lock_acquire(&s->lock);
		if (s->keys != NULL)
			arena_release(s->keys,
			    s->cap * (sizeof(uintptr_t) + sizeof(uint32_t)));
		s->keys = NULL;
		s->vals = NULL;
		s->cap = 0;
		s->used = 0;
		lock_release(&s->lock);
	}
}

size_t
blk_live(void)
{
	size_t		n = 0;
	unsigned	k;

	for (k = 0; k < BLK_SHARDS; k++)
		n += __atomic_load_n(&blk_shards[k].used, __ATOMIC_RELAXED);
	return n;
}

void
blk_fork_prepare(void)
{
	unsigned	k;

	for (k = 0; k < BLK_SHARDS; k++)
		lock_acquire(&blk_shards[k].lock);
}

void
blk_fork_parent(void)
{
	unsigned	k;

	for (k = 0; k < BLK_SHARDS; k++)
		lock_release(&blk_shards[k].lock);
}

void
blk_fork_child(void)
{
	unsigned	k;

	for (k = 0; k < BLK_SHARDS; k++)
		lock_reset(&blk_shards[k].lock);
}
