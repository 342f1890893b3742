/*
 * report.h - where the agent's documents go: the exit report, the periodic
 * checker's table and the overflows found since the last look.
 */
#ifndef JHOOK_REPORT_H
#define JHOOK_REPORT_H

/* The periodic checker's table (choice 0) to JHOOK_LOG, else stderr. */
void	rep_periodic(void);
/*
 * Prints the overflows recorded since the last call, each with both stacks
 * symbolized, to JHOOK_LOG (else stderr).  Called by reporters (the control
 * thread, the checker, jhook_check_bound, the exit), never from a hook.
 */
void	rep_news(void);
/* The exit report (choice 2 and every overflow) to JHOOK_REPORT in JHOOK_REPORT_FORMAT. */
void	rep_exit(void);
/* In a forked child: a reporter of the parent may have held the lock. */
void	rep_fork_child(void);

#endif /* JHOOK_REPORT_H */
