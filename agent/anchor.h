/*
 * anchor.h - anchors: (requested size, call stack) with alloc and free counts.
 *
 * Anchors live in an append-only array of records and are found through a
 * sharded hash.  An id stays valid for the life of the process, so a block
 * holds only its 32-bit anchor id.  jhook_stop starts a new generation: the
 * old anchors stay in memory (blocks may still point at them) but are no
 * longer found or reported.
 */
#ifndef JHOOK_ANCHOR_H
#define JHOOK_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#define ANC_NONE	UINT32_MAX
#define ANC_MAX		(1u << 22)	/* ids fit in 22 bits beside a block's flags */

/* One frame, resolved when its anchor is created (module ids from module.h). */
struct anc_frame {
	uintptr_t	addr;		/* return address as captured */
	uintptr_t	offset;		/* addr - module load address */
	uint32_t	module;		/* MOD_UNKNOWN when no module covers addr */
	uint32_t	unused;
};

/* A consistent copy of one anchor for readers (reports, control socket). */
struct anc_view {
	uint32_t		 id;
	uint32_t		 depth;
	size_t			 size;
	uint64_t		 alloc;
	uint64_t		 free;
	int			 method;
	const struct anc_frame	*frames;	/* depth entries, immutable */
};

void	 anc_initialise(void);
/* Finds or creates the anchor for (size, frames); ANC_NONE when out of memory. */
uint32_t anc_find_or_create(size_t size, const uintptr_t *frames, unsigned depth, int method);
/* Counts one allocation / free on an anchor and moves the process totals. */
void	 anc_count_alloc(uint32_t id);
void	 anc_count_free(uint32_t id);
/* The requested size of the anchor's blocks. */
size_t	 anc_size(uint32_t id);
/* Ids are 0 .. anc_limit()-1; some may belong to an old generation. */
uint32_t anc_limit(void);
/*
 * The lowest id whose anchor is not complete yet (being created, or lost
 * to a failed allocation), else anc_limit(): every anchor below it is
 * complete, so one that a scan started after this call does not show is of
 * an older generation and never shows again.
 */
uint32_t anc_complete_below(void);
/* 1 when id is an anchor of the current generation, filling *out. */
int	 anc_view(uint32_t id, struct anc_view *out);
/* Process bytes requested and not freed, and its high-water mark. */
size_t	 anc_total_bytes(void);
size_t	 anc_peak_bytes(void);
/* Anchors of the current generation. */
uint32_t anc_live_count(void);
/* Starts a new generation: no anchor is found or reported, totals are zero. */
void	 anc_reset(void);
/* Generation counter, bumped by anc_reset (consumers use it to drop state). */
uint32_t anc_generation(void);
void	 anc_fork_prepare(void);
void	 anc_fork_parent(void);
void	 anc_fork_child(void);

#endif /* JHOOK_ANCHOR_H */
