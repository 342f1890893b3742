/*
 * t-family.c - every allocator call the agent interposes, host behaviour kept.
 *
 *   family   each allocator call from its own function, known counts (TRUTH)
 *   aligned  every aligned allocator honours its alignment; blocks writable
 *   realloc  realloc chains: NULL -> grow -> shrink, realloc(p, 0), contents kept
 *   enomem   overflowing and huge sizes fail with NULL + ENOMEM, old block kept
 *   malloc0  malloc(0) is a unique, freeable pointer; a kept one is counted
 *   usable   malloc_usable_size(p) >= n and every usable byte is writable
 *   errno    a successful malloc/free/... leaves errno alone
 */
#include "tprog.h"

#include <malloc.h>

/* Sizes the compiler cannot see through, so huge requests draw no warnings. */
static volatile size_t huge = SIZE_MAX;
static volatile size_t half = SIZE_MAX / 2 + 2;

/* ---- family ---- */

NOINLINE static void *
f_malloc(void)
{
	void *p = malloc(11);

	tp_keep(0, p);
	return p;
}

NOINLINE static void *
f_calloc(void)
{
	unsigned char *p = calloc(3, 7);
	unsigned i;

	for (i = 0; i < 21; i++)
		if (p[i] != 0)
			tp_die("calloc block not zeroed at %u", i);
	return p;
}

NOINLINE static void *
f_realloc_null(void)
{
	void *p = realloc(NULL, 33);

	tp_keep(1, p);
	return p;
}

NOINLINE static void *
f_reallocarray(void)
{
	void *p = reallocarray(NULL, 5, 9);

	tp_keep(2, p);
	return p;
}

NOINLINE static void *
f_posix_memalign(void)
{
	void *p = NULL;
	int rc = posix_memalign(&p, 64, 100);

	if (rc != 0)
		tp_die("posix_memalign: %d", rc);
	return p;
}

NOINLINE static void *
f_aligned_alloc(void)
{
	void *p = aligned_alloc(128, 256);

	tp_keep(3, p);
	return p;
}

NOINLINE static void *
f_memalign(void)
{
	void *p = memalign(32, 50);

	tp_keep(4, p);
	return p;
}

NOINLINE static void *
f_valloc(void)
{
	void *p = valloc(70);

	tp_keep(5, p);
	return p;
}

NOINLINE static void *
f_pvalloc(void)
{
	void *p = pvalloc(90);

	tp_keep(6, p);
	return p;
}

NOINLINE static void *
f_strdup(void)
{
	char *p = strdup("hello");

	if (p == NULL || strcmp(p, "hello") != 0)
		tp_die("strdup");
	return p;
}

NOINLINE static void *
f_strndup(void)
{
	char *p = strndup("hello world", 4);

	if (p == NULL || strcmp(p, "hell") != 0)
		tp_die("strndup");
	return p;
}

NOINLINE static void *
f_malloc0(void)
{
	void *p = malloc(0);

	if (p == NULL)
		tp_die("malloc(0) returned NULL");
	return p;
}

/* Calls fn n times, frees the first nfree blocks, checks usable sizes. */
static void
family_site(const char *name, void *(*fn)(void), long size, int n, int nfree,
    size_t want)
{
	void *p[8];
	int i;

	for (i = 0; i < n; i++) {
		p[i] = fn();
		if (p[i] == NULL)
			tp_die("%s returned NULL", name);
		if (malloc_usable_size(p[i]) < want)
			tp_die("%s: malloc_usable_size %zu < %zu", name,
			    malloc_usable_size(p[i]), want);
		tp_keep(10 + i, p[i]);
	}
	for (i = 0; i < nfree; i++)
		free(p[i]);
	tp_truth(name, size, n, nfree);
}

static void
run_family(void)
{
	family_site("f_malloc", f_malloc, 11, 3, 1, 11);
	family_site("f_calloc", f_calloc, 21, 4, 2, 21);
	family_site("f_realloc_null", f_realloc_null, 33, 2, 0, 33);
	family_site("f_reallocarray", f_reallocarray, 45, 3, 1, 45);
	family_site("f_posix_memalign", f_posix_memalign, 100, 2, 1, 100);
	family_site("f_aligned_alloc", f_aligned_alloc, 256, 3, 0, 256);
	family_site("f_memalign", f_memalign, 50, 4, 3, 50);
	family_site("f_valloc", f_valloc, 70, 2, 1, 70);
	/* pvalloc rounds to a page: the size the agent keys on may be either. */
	family_site("f_pvalloc", f_pvalloc, -1, 2, 0, 90);
	family_site("f_strdup", f_strdup, 6, 5, 2, 6);
	family_site("f_strndup", f_strndup, 5, 3, 1, 5);
	family_site("f_malloc0", f_malloc0, 0, 2, 1, 0);
}

/* ---- aligned ---- */

static void
check_aligned(const char *what, void *p, size_t align, size_t size)
{
	if (p == NULL)
		tp_die("%s(%zu, %zu) returned NULL", what, align, size);
	if ((uintptr_t)p % align != 0)
		tp_die("%s(%zu, %zu) = %p is not aligned", what, align, size, p);
	if (malloc_usable_size(p) < size)
		tp_die("%s(%zu, %zu): usable %zu", what, align, size,
		    malloc_usable_size(p));
	memset(p, 0xa5, size);
}

static void
run_aligned(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t sizes[] = { 1, 7, 64, 100, 4095, 10000 };
	size_t align, s;
	void *p;

	for (align = sizeof(void *); align <= 65536; align *= 2) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			if (posix_memalign(&p, align, sizes[s]) != 0)
				tp_die("posix_memalign(%zu, %zu) failed", align, sizes[s]);
			check_aligned("posix_memalign", p, align, sizes[s]);
			free(p);
			p = memalign(align, sizes[s]);
			check_aligned("memalign", p, align, sizes[s]);
			free(p);
			/* C11 wants size to be a multiple of align. */
			p = aligned_alloc(align, align * (s + 1));
			check_aligned("aligned_alloc", p, align, align * (s + 1));
			free(p);
		}
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		p = valloc(sizes[s]);
		check_aligned("valloc", p, (size_t)page, sizes[s]);
		free(p);
		p = pvalloc(sizes[s]);
		check_aligned("pvalloc", p, (size_t)page, sizes[s]);
		/* pvalloc rounds the size up to a page: all of it is the caller's. */
		check_aligned("pvalloc(rounded)", p, (size_t)page,
		    (sizes[s] + page - 1) / page * page);
		free(p);
	}
	if (posix_memalign(&p, 3, 16) != EINVAL)
		tp_die("posix_memalign with alignment 3 did not fail with EINVAL");
	if (posix_memalign(&p, 64, huge - 64) != ENOMEM)
		tp_die("posix_memalign of a huge size did not fail with ENOMEM");
	puts("aligned ok");
}

/* ---- realloc ---- */

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static void
expect_fill(const unsigned char *p, size_t n, unsigned seed, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			tp_die("%s: byte %zu lost", what, i);
}

NOINLINE static unsigned char *
r_start(void)
{
	unsigned char *p = realloc(NULL, 16);

	fill(p, 16, 3);
	return p;
}

NOINLINE static unsigned char *
r_grow(unsigned char *p)
{
	unsigned char *q = realloc(p, 4000);

	if (q == NULL)
		tp_die("realloc grow");
	expect_fill(q, 16, 3, "realloc grow");
	fill(q, 4000, 5);
	return q;
}

NOINLINE static unsigned char *
r_shrink(unsigned char *p)
{
	unsigned char *q = realloc(p, 8);

	if (q == NULL)
		tp_die("realloc shrink");
	expect_fill(q, 8, 5, "realloc shrink");
	return q;
}

NOINLINE static void *
r_zero_src(void)
{
	void *p = malloc(40);

	memset(p, 2, 40);
	return p;
}

NOINLINE static void
r_to_zero(void *p)
{
	void *q = realloc(p, 0);

	/* glibc frees and returns NULL; another allocator may return a block. */
	free(q);
}

NOINLINE static unsigned char *
r_same_src(void)
{
	unsigned char *p = malloc(300);

	fill(p, 300, 9);
	return p;
}

NOINLINE static void *
r_same(void)
{
	unsigned char *p = r_same_src();
	unsigned char *q;

	q = realloc(p, 300);
	expect_fill(q, 300, 9, "realloc same size");
	return q;
}

static void
run_realloc(void)
{
	unsigned char *p;
	unsigned i;

	for (i = 0; i < 3; i++) {
		p = r_start();
		p = r_grow(p);
		p = r_shrink(p);
		tp_keep(20 + i, p);
	}
	for (i = 0; i < 2; i++)
		r_to_zero(r_zero_src());
	p = r_same();
	tp_keep(30, p);
	tp_truth("r_start", 16, 3, 3);
	tp_truth("r_grow", 4000, 3, 3);
	tp_truth("r_shrink", 8, 3, 0);
	tp_truth("r_zero_src", 40, 2, 2);
	/* A same-size realloc is a new request too: r_same's anchor holds it. */
	tp_truth("r_same_src", 300, 1, 1);
	tp_truth("r_same", 300, 1, 0);
}

/* ---- enomem ---- */

static void
expect_enomem(const char *what, void *p)
{
	if (p != NULL)
		tp_die("%s returned %p, not NULL", what, p);
	if (errno != ENOMEM)
		tp_die("%s: errno %d (%s), not ENOMEM", what, errno, strerror(errno));
	errno = 0;
}

NOINLINE static void *
e_keep(void)
{
	unsigned char *p = malloc(64);

	fill(p, 64, 11);
	return p;
}

static void
run_enomem(void)
{
	unsigned char *p = e_keep();
	unsigned char *volatile old;
	size_t big = huge;

	errno = 0;
	expect_enomem("calloc(SIZE_MAX/2+2, 2)", calloc(half, 2));
	expect_enomem("calloc(2, SIZE_MAX/2+2)", calloc(2, half));
	expect_enomem("calloc(SIZE_MAX, SIZE_MAX)", calloc(big, big));
	expect_enomem("calloc(1, SIZE_MAX)", calloc(1, big));
	expect_enomem("malloc(SIZE_MAX)", malloc(big));
	/* A size whose guard bytes would overflow size_t. */
	expect_enomem("malloc(SIZE_MAX-4)", malloc(big - 4));
	expect_enomem("malloc(SIZE_MAX/2+2)", malloc(half));
	expect_enomem("reallocarray(NULL, SIZE_MAX/2+2, 2)",
	    reallocarray(NULL, half, 2));
	/* Through a volatile copy: the compiler cannot know realloc fails. */
	old = p;
	expect_enomem("realloc(p, SIZE_MAX-2)", realloc(old, big - 2));
	expect_fill(p, 64, 11, "failed realloc kept the old block");
	expect_enomem("reallocarray(p, 2, SIZE_MAX/2+2)", reallocarray(old, 2, half));
	expect_fill(p, 64, 11, "failed reallocarray kept the old block");
	expect_enomem("memalign(64, huge)", memalign(64, big - 64));
	expect_enomem("aligned_alloc(64, huge)", aligned_alloc(64, big - 63));
	expect_enomem("valloc(huge)", valloc(big - 8));
	free(p);
	tp_truth("e_keep", 64, 1, 1);
	puts("enomem ok");
}

/* ---- malloc0 ---- */

static void
run_malloc0(void)
{
	void *a = malloc(0), *b = malloc(0), *c;

	if (a == NULL || b == NULL)
		tp_die("malloc(0) returned NULL");
	if (a == b)
		tp_die("two live malloc(0) blocks share %p", a);
	free(a);
	free(b);
	c = calloc(0, 0);
	if (c == NULL)
		tp_die("calloc(0, 0) returned NULL");
	free(c);
	c = f_malloc0();
	tp_keep(40, c);
	tp_truth("f_malloc0", 0, 1, 0);
	puts("malloc0 ok");
}

/* ---- usable ---- */

static void
run_usable(void)
{
	size_t n, u;
	unsigned char *p;

	for (n = 0; n <= 520; n++) {
		p = malloc(n);
		u = malloc_usable_size(p);
		if (u < n)
			tp_die("malloc_usable_size(malloc(%zu)) = %zu", n, u);
		memset(p, 0x5a, u);
		p = realloc(p, n + 3);
		u = malloc_usable_size(p);
		if (u < n + 3)
			tp_die("malloc_usable_size(realloc(p, %zu)) = %zu", n + 3, u);
		memset(p, 0x5a, u);
		free(p);
		p = calloc(1, n);
		memset(p, 0x5a, malloc_usable_size(p));
		free(p);
		p = memalign(64, n);
		memset(p, 0x5a, malloc_usable_size(p));
		free(p);
	}
	if (malloc_usable_size(NULL) != 0)
		tp_die("malloc_usable_size(NULL) != 0");
	puts("usable ok");
}

/* ---- errno ---- */

static void
expect_errno(const char *what, int want)
{
	if (errno != want)
		tp_die("%s changed errno from %d to %d", what, want, errno);
}

static void
run_errno(void)
{
	void *p, *q;
	int rc;

	errno = EDOM;
	p = malloc(32);
	expect_errno("malloc", EDOM);
	free(p);
	expect_errno("free", EDOM);
	free(NULL);
	expect_errno("free(NULL)", EDOM);
	errno = ERANGE;
	p = calloc(4, 8);
	expect_errno("calloc", ERANGE);
	q = realloc(p, 4096);
	expect_errno("realloc", ERANGE);
	p = strdup("errno");
	expect_errno("strdup", ERANGE);
	free(p);
	free(q);
	expect_errno("free", ERANGE);
	errno = EILSEQ;
	rc = posix_memalign(&p, 256, 1000);
	if (rc != 0)
		tp_die("posix_memalign: %d", rc);
	expect_errno("posix_memalign", EILSEQ);
	(void)malloc_usable_size(p);
	expect_errno("malloc_usable_size", EILSEQ);
	free(p);
	expect_errno("free of an aligned block", EILSEQ);
	puts("errno ok");
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "family";

	if (strcmp(mode, "family") == 0)
		run_family();
	else if (strcmp(mode, "aligned") == 0)
		run_aligned();
	else if (strcmp(mode, "realloc") == 0)
		run_realloc();
	else if (strcmp(mode, "enomem") == 0)
		run_enomem();
	else if (strcmp(mode, "malloc0") == 0)
		run_malloc0();
	else if (strcmp(mode, "usable") == 0)
		run_usable();
	else if (strcmp(mode, "errno") == 0)
		run_errno();
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
