/*
 * block.h - the table of live traced blocks: pointer -> (anchor, tail).
 *
 * A side table, not a header in front of the block: blocks the agent did
 * not trace (allocated before it loaded, while dormant, or before the last
 * jhook_stop) are simply absent and pass through untouched, alignment is
 * whatever the real allocator gives, and every live block can be visited
 * for guard scans.  Sharded by pointer hash, one spinlock per shard.
 */
#ifndef JHOOK_BLOCK_H
#define JHOOK_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Per-block flag bits kept beside the anchor id. */
#define BLK_TAIL_MASK		0x1ffu		/* tail guard bytes, 0..256 */
#define BLK_FLAG_REPORTED	0x200u		/* overflow already reported */

struct blk_entry {
	uintptr_t	ptr;
	uint32_t	anchor;
	uint32_t	flags;
};

/* Adds a block; if ptr was already present (freed behind our back) the old entry is returned in *old and 1 is returned. */
int	blk_insert(uintptr_t ptr, uint32_t anchor, uint32_t flags, struct blk_entry *old);
/* Removes ptr; 1 and its entry when it was traced, 0 otherwise. */
int	blk_remove(uintptr_t ptr, struct blk_entry *out);
/* 1 and a copy of the entry when ptr is traced. */
int	blk_lookup(uintptr_t ptr, struct blk_entry *out);
/* Visits every live block, one shard locked at a time; the visitor may set flags and must not call the hooks' allocation paths. */
typedef void (*blk_visit_fn)(struct blk_entry *e, void *arg);
void	blk_foreach(blk_visit_fn visit, void *arg);
/* Forgets every block (jhook_stop): they will be freed untraced. */
void	blk_clear(void);
size_t	blk_live(void);
/* Set when a block is traced, cleared by blk_clear (read through blk_maybe_traced). */
extern int	blk_nonempty;

/* 0 only when no block has been traced since the last clear: free() can skip the lookup. */
static inline int
blk_maybe_traced(void)
{
	return __atomic_load_n(&blk_nonempty, __ATOMIC_RELAXED);
}
/* Holds every shard across fork so the child never inherits a held lock. */
void	blk_fork_prepare(void);
void	blk_fork_parent(void);
void	blk_fork_child(void);

#endif /* JHOOK_BLOCK_H */
