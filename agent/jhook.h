/*
 * jhook.h - the agent's C API.
 *
 * Every function here is safe to call from gdb (`call jhook_check_leak(0)`)
 * or from the traced program itself.  The agent initialises itself when it
 * is loaded (LD_PRELOAD) or linked (libjhook-wrap.a); jhook_init() only
 * changes the tail guard size of blocks allocated from then on.
 */
#ifndef JHOOK_H
#define JHOOK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stack capture methods for jhook_set_method(); 0 and 1 keep their old meaning. */
#define JHOOK_METHOD_ADDR       0   /* caller's return address (one frame) */
#define JHOOK_METHOD_BACKTRACE  1   /* glibc backtrace() */
#define JHOOK_METHOD_FP         2   /* frame-pointer walk */
#define JHOOK_METHOD_UNWIND     3   /* libunwind (DWARF CFI) */

/* Sets the tail guard bytes (0..256) of blocks allocated from now on. */
int jhook_init(int tail_num);
/* Stops tracing, clears every count and stops the periodic checker. */
void jhook_uninit(void);
/* Starts tracing allocations. */
void jhook_start(void);
/* Stops tracing and clears all anchors, counts, total and peak. */
void jhook_stop(void);
/* Checks the tail guard of every live traced block now. */
void jhook_check_bound(void);
/*
 * Prints the anchor table: choice 0 unreleased and changed since the last
 * check, 1 changed, 2 unreleased, 3 all, >3 unreleased count >= choice,
 * <0 unreleased count >= -choice and changed.
 */
void jhook_check_leak(int choice);
/* dup: check each new block against the live table; bound: scan all guards on every allocation. */
void jhook_set_flag(int dup_flag, int bound_flag);
/* Periodic checker on/off and its period in units of 10 ms (0 keeps the period). */
void jhook_set_check(int check_flag, int check_count);
/* One of JHOOK_METHOD_*; starts new anchors, never changes existing counts. */
void jhook_set_method(int method);
/* Stack depth 1..64 for anchors created from now on. */
void jhook_set_depth(int depth);
/* Traces only blocks whose requested size is in [min_limit, max_limit]. */
void jhook_set_limit(size_t min_limit, size_t max_limit);

#ifdef __cplusplus
}
#endif

#endif /* JHOOK_H */
