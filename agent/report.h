/*
 * report.h - the leak table and the exit report, as text or JSON.
 */
#ifndef JHOOK_REPORT_H
#define JHOOK_REPORT_H

struct fmt_out;

/* The original's table (size alloc free diff addr ... total= peak=) for one choice. */
void	rep_leak_text(struct fmt_out *o, int choice, int consumer);
/* The JSON document of doc/report-format.md for one choice. */
void	rep_leak_json(struct fmt_out *o, int choice, int consumer);
/* The periodic checker's output: choice 0 to the log (JHOOK_LOG or stderr). */
void	rep_periodic(void);
/* The exit report (choice 2 and every overflow) to JHOOK_REPORT in JHOOK_REPORT_FORMAT. */
void	rep_exit(void);

#endif /* JHOOK_REPORT_H */
