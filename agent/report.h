/*
 * report.h - the leak table and the exit report, as text or JSON.
 */
#ifndef JHOOK_REPORT_H
#define JHOOK_REPORT_H

struct bnd_view;
struct fmt_out;

/* The original's table (size alloc free diff addr ... total= peak=) for one choice. */
void	rep_leak_text(struct fmt_out *o, int choice, int consumer);
/* The JSON document of doc/report-format.md for one choice. */
void	rep_leak_json(struct fmt_out *o, int choice, int consumer);
/* The periodic checker's output: choice 0 to the log (JHOOK_LOG or stderr). */
void	rep_periodic(void);
/* The exit report (choice 2 and every overflow) to JHOOK_REPORT in JHOOK_REPORT_FORMAT. */
void	rep_exit(void);
/* One overflow with its allocating and freeing stacks, as text (bound.c prints it at once). */
void	rep_bound_text(struct fmt_out *o, const struct bnd_view *b);
/* Where the checker and overflow messages go: JHOOK_LOG appended, else stderr (fd 2). */
int	rep_log_open(void);
void	rep_log_close(int fd);

#endif /* JHOOK_REPORT_H */
