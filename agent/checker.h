/*
 * checker.h - the periodic checker thread (JHOOK_CHECK_CYCLE, jhook_set_check).
 */
#ifndef JHOOK_CHECKER_H
#define JHOOK_CHECKER_H

/* Starts the thread if the checker is enabled and it is not running. */
void	chk_initialise(void);
/* Wakes the thread after a period change, starting it if needed. */
void	chk_update(void);
/* Stops and joins the thread. */
void	chk_finalise(void);
/* In a forked child: the thread is gone; start a new one if enabled. */
void	chk_fork_child(void);

#endif /* JHOOK_CHECKER_H */
