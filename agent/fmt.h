/*
 * fmt.h - formatted output with no malloc and no stdio.
 *
 * The agent writes reports from inside other people's programs, possibly
 * while their stdio locks are held, so it formats into a fixed buffer on the
 * caller's stack and writes it with write(2).
 */
#ifndef JHOOK_FMT_H
#define JHOOK_FMT_H

#include <stdarg.h>
#include <stddef.h>

#define FMT_BUFSZ	4096

struct fmt_out {
	int	fd;
	size_t	len;
	int	error;			/* a write failed: later output is dropped */
	char	buf[FMT_BUFSZ];
};

void	fmt_open(struct fmt_out *o, int fd);
/* printf subset: %s %c %d %i %u %x %p %% with l/ll/z, width, '-' and '0'. */
void	fmt_printf(struct fmt_out *o, const char *f, ...) __attribute__((format(printf, 2, 3)));
void	fmt_vprintf(struct fmt_out *o, const char *f, va_list ap);
void	fmt_puts(struct fmt_out *o, const char *s);
/* s as a JSON string literal, quotes included. */
void	fmt_json_string(struct fmt_out *o, const char *s);
/* Writes what is buffered; returns -1 if any write failed. */
int	fmt_flush(struct fmt_out *o);
/* snprintf into a caller buffer with the same subset; returns the length it wanted. */
size_t	fmt_snprintf(char *dst, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* One line on stderr prefixed "jhook[pid]: ". */
void	fmt_warn(const char *f, ...) __attribute__((format(printf, 1, 2)));

#endif /* JHOOK_FMT_H */
