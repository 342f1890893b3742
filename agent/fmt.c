/*
 * fmt.c - formatted output with no malloc and no stdio.
 *
 * One formatter feeds two sinks: a struct fmt_out that is written to its
 * descriptor whenever the buffer fills, and a caller's string buffer
 * (fmt_snprintf).  errno is preserved across every call, because reports
 * are written from inside the traced program's allocator calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"

/* Where formatted bytes go: a fmt_out, or a bounded string. */
struct fmt_sink {
	struct fmt_out	*out;
	char		*dst;
	size_t		 cap;
	size_t		 len;		/* bytes produced, even past cap */
};

/* Writes all of buf to fd, retrying on EINTR and short writes. */
static int
fmt_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Hands the buffer to the kernel; after one failure output is dropped. */
static void
fmt_drain(struct fmt_out *o)
{
	if (o->len > 0 && !o->error && fmt_write_all(o->fd, o->buf, o->len) != 0)
		o->error = 1;
	o->len = 0;
}

/* Appends raw bytes to a sink. */
static void
fmt_put(struct fmt_sink *s, const char *p, size_t n)
{
	struct fmt_out	*o = s->out;
	size_t		 room;

	s->len += n;
	if (o == NULL) {
		if (s->len - n < s->cap) {
			room = s->cap - (s->len - n);
			memcpy(s->dst + (s->len - n), p, n < room ? n : room);
		}
		return;
	}
	while (n > 0) {
		if (o->len == sizeof o->buf)
			fmt_drain(o);
		room = sizeof o->buf - o->len;
		if (room > n)
			room = n;
		memcpy(o->buf + o->len, p, room);
		o->len += room;
		p += room;
		n -= room;
	}
}

/* Appends c n times (padding). */
static void
fmt_pad(struct fmt_sink *s, char c, size_t n)
{
	char	pad[32];

	memset(pad, c, sizeof pad);
	while (n > 0) {
		size_t k = n < sizeof pad ? n : sizeof pad;

		fmt_put(s, pad, k);
		n -= k;
	}
}

/* Appends p padded to width, on the left unless left-justified. */
static void
fmt_field(struct fmt_sink *s, const char *p, size_t n, size_t width, int left, char padc)
{
	size_t	pad = width > n ? width - n : 0;

	/* A zero-padded negative number keeps its sign in front of the zeros. */
	if (!left && padc == '0' && n > 0 && p[0] == '-') {
		fmt_put(s, p, 1);
		p++;
		n--;
	}
	if (!left)
		fmt_pad(s, padc, pad);
	fmt_put(s, p, n);
	if (left)
		fmt_pad(s, ' ', pad);
}

/* Renders v in base 10 or 16 into the end of buf; returns the first digit. */
static char *
fmt_digits(char *end, unsigned long long v, unsigned base, int upper)
{
	const char	*d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char		*p = end;

	do {
		*--p = d[v % base];
		v /= base;
	} while (v != 0);
	return (p);
}

/* The conversion state of one % directive. */
struct fmt_spec {
	int	left;
	char	padc;
	size_t	width;
	int	precision;		/* -1 when absent */
	int	size;			/* 0 int, 1 long, 2 long long, 3 size_t */
};

/* Reads a signed argument of the directive's size. */
static long long
fmt_arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 1:
		return (va_arg(*ap, long));
	case 2:
		return (va_arg(*ap, long long));
	case 3:
		return (va_arg(*ap, ssize_t));
	}
	return (va_arg(*ap, int));
}

/* Reads an unsigned argument of the directive's size. */
static unsigned long long
fmt_arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 1:
		return (va_arg(*ap, unsigned long));
	case 2:
		return (va_arg(*ap, unsigned long long));
	case 3:
		return (va_arg(*ap, size_t));
	}
	return (va_arg(*ap, unsigned int));
}

/* Emits one conversion character's worth of output. */
static void
fmt_convert(struct fmt_sink *s, char c, const struct fmt_spec *sp, va_list *ap)
{
	char			 num[32], *end = num + sizeof num, *p;
	const char		*str;
	long long		 sv;
	unsigned long long	 uv;
	size_t			 n;

	switch (c) {
	case 's':
		str = va_arg(*ap, const char *);
		if (str == NULL)
			str = "(null)";
		n = sp->precision >= 0 ? strnlen(str, (size_t)sp->precision) : strlen(str);
		fmt_field(s, str, n, sp->width, sp->left, ' ');
		break;
	case 'c':
		num[0] = (char)va_arg(*ap, int);
		fmt_field(s, num, 1, sp->width, sp->left, ' ');
		break;
	case 'd':
	case 'i':
		sv = fmt_arg_signed(sp, ap);
		/* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
		uv = sv < 0 ? -(unsigned long long)sv : (unsigned long long)sv;
		p = fmt_digits(end, uv, 10, 0);
		if (sv < 0)
			*--p = '-';
		fmt_field(s, p, (size_t)(end - p), sp->width, sp->left, sp->padc);
		break;
	case 'u':
	case 'x':
	case 'X':
		uv = fmt_arg_unsigned(sp, ap);
		p = fmt_digits(end, uv, c == 'u' ? 10 : 16, c == 'X');
		fmt_field(s, p, (size_t)(end - p), sp->width, sp->left, sp->padc);
		break;
	case 'p':
		uv = (uintptr_t)va_arg(*ap, void *);
		p = fmt_digits(end, uv, 16, 0);
		*--p = 'x';
		*--p = '0';
		fmt_field(s, p, (size_t)(end - p), sp->width, sp->left, ' ');
		break;
	case '%':
		fmt_put(s, "%", 1);
		break;
	default:
		/* Unknown directives are shown, not guessed at. */
		fmt_put(s, "%", 1);
		fmt_put(s, &c, 1);
		break;
	}
}

/* Parses flags, width, precision and size of one directive; returns past them. */
static const char *
fmt_parse_spec(const char *f, struct fmt_spec *sp, va_list *ap)
{
	int	w;

	memset(sp, 0, sizeof *sp);
	sp->padc = ' ';
	sp->precision = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->padc = '0';
		else
			break;
	}
	if (*f == '*') {
		w = va_arg(*ap, int);
		if (w < 0) {
			sp->left = 1;
			w = -w;
		}
		sp->width = (size_t)w;
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (size_t)(*f - '0');
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->precision = sp->precision * 10 + (*f - '0');
	}
	if (*f == 'z') {
		sp->size = 3;
		f++;
	} else if (*f == 'l') {
		sp->size = 1;
		if (*++f == 'l') {
			sp->size = 2;
			f++;
		}
	} else {
		while (*f == 'h')
			f++;
	}
	return (f);
}

/* The formatter shared by every entry point. */
static void
fmt_format(struct fmt_sink *s, const char *f, va_list ap)
{
	struct fmt_spec	 sp;
	const char	*lit;
	va_list		 aq;

	/* A copy lets helpers take &aq portably, whatever va_list is. */
	va_copy(aq, ap);
	while (*f != '\0') {
		lit = f;
		while (*f != '\0' && *f != '%')
			f++;
		if (f > lit)
			fmt_put(s, lit, (size_t)(f - lit));
		if (*f == '\0')
			break;
		f = fmt_parse_spec(f + 1, &sp, &aq);
		if (*f == '\0')
			break;
		fmt_convert(s, *f++, &sp, &aq);
	}
	va_end(aq);
}

/* Starts an empty buffer writing to fd. */
void
fmt_open(struct fmt_out *o, int fd)
{
	o->fd = fd;
	o->len = 0;
	o->error = 0;
}

/* Formats into o's buffer. */
void
fmt_vprintf(struct fmt_out *o, const char *f, va_list ap)
{
	struct fmt_sink	s = { o, NULL, 0, 0 };
	int		saved = errno;

	fmt_format(&s, f, ap);
	errno = saved;
}

/* Formats into o's buffer. */
void
fmt_printf(struct fmt_out *o, const char *f, ...)
{
	va_list	ap;

	va_start(ap, f);
	fmt_vprintf(o, f, ap);
	va_end(ap);
}

/* Appends a plain string. */
void
fmt_puts(struct fmt_out *o, const char *s)
{
	struct fmt_sink	sink = { o, NULL, 0, 0 };
	int		saved = errno;

	fmt_put(&sink, s, strlen(s));
	errno = saved;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
fmt_utf8_len(const unsigned char *p, size_t n)
{
	size_t		len, i;
	uint32_t	cp;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return (0);
	if (len > n)
		return (0);
	cp = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not text. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (len);
}

/*
 * Writes s as a JSON string.  Paths and symbol names are bytes, not text:
 * a byte that is not part of valid UTF-8 is written as \u00XX so the
 * document always parses.
 */
void
fmt_json_string(struct fmt_out *o, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	struct fmt_sink		 sink = { o, NULL, 0, 0 };
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 left = strlen(s), n;
	char			 esc[6];
	int			 saved = errno;

	fmt_put(&sink, "\"", 1);
	while (left > 0) {
		n = fmt_utf8_len(p, left);
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			fmt_put(&sink, esc, 2);
		} else if (*p == '\n')
			fmt_put(&sink, "\\n", 2);
		else if (*p == '\t')
			fmt_put(&sink, "\\t", 2);
		else if (*p == '\r')
			fmt_put(&sink, "\\r", 2);
		else if (*p < 0x20 || n == 0) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			fmt_put(&sink, esc, 6);
		} else {
			fmt_put(&sink, (const char *)p, n);
			p += n;
			left -= n;
			continue;
		}
		p++;
		left--;
	}
	fmt_put(&sink, "\"", 1);
	errno = saved;
}

/* Writes what is buffered; -1 if this or any earlier write failed. */
int
fmt_flush(struct fmt_out *o)
{
	int	saved = errno;

	fmt_drain(o);
	errno = saved;
	return (o->error ? -1 : 0);
}

/* snprintf with the agent's subset; always NUL-terminates when len > 0. */
size_t
fmt_snprintf(char *dst, size_t len, const char *f, ...)
{
	struct fmt_sink	s = { NULL, dst, len > 0 ? len - 1 : 0, 0 };
	va_list		ap;
	int		saved = errno;

	va_start(ap, f);
	fmt_format(&s, f, ap);
	va_end(ap);
	if (len > 0)
		dst[s.len < s.cap ? s.len : s.cap] = '\0';
	errno = saved;
	return (s.len);
}

/* One line on stderr, "jhook[pid]: ...", written in a single write(2). */
void
fmt_warn(const char *f, ...)
{
	struct fmt_out	o;
	va_list		ap;
	int		saved = errno;

	fmt_open(&o, STDERR_FILENO);
	fmt_printf(&o, "jhook[%d]: ", (int)getpid());
	va_start(ap, f);
	fmt_vprintf(&o, f, ap);
	va_end(ap);
	fmt_puts(&o, "\n");
	fmt_flush(&o);
	errno = saved;
}
