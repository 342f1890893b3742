/*
 * jhook-demo.c - a small "service" with bugs whose answers are known, so the
 * exit report can be checked by eye:
 *
 *   leak_sessions  leaks DEMO_SESSIONS blocks of 24 bytes (malloc)
 *   cache_grow     leaks DEMO_CACHE blocks of 128 bytes (calloc)
 *   copy_name      writes one byte past a malloc'ed buffer, then frees it
 *
 * Everything else it allocates (the request churn) is freed again.
 *
 * Run it under the agent:
 *   LD_PRELOAD=.libs/libjhook.so demo/jhook-demo
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_SESSIONS	7
#define DEMO_CACHE	5
#define DEMO_REQUESTS	1000

/* 24 bytes on every ABI jhook runs on. */
struct session {
	int	 id;
	int	 flags;
	char	 user[16];
};

struct cache_entry {
	char	 key[64];
	char	 value[64];
};

/*
 * Each function keeps its own name and frame in the report whatever CFLAGS
 * say: GCC would otherwise clone them (leak_sessions.isra.0) at -O2.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define DEMO_FUNC	__attribute__((noipa))
#else
#define DEMO_FUNC	__attribute__((noinline))
#endif

/* Keeps the leaked blocks visible to the compiler, so none is optimised away. */
static void *volatile sink;

static DEMO_FUNC struct session *
leak_sessions(int id)
{
	struct session *s = malloc(sizeof *s);

	if (s == NULL)
		return NULL;
	s->id = id;
	s->flags = 0;
	snprintf(s->user, sizeof s->user, "user%d", id);
	sink = s;
	return s;		/* the caller forgets it: the leak */
}

static DEMO_FUNC void
accept_clients(int n)
{
	for (int i = 0; i < n; i++)
		leak_sessions(i);
}

static DEMO_FUNC void
cache_grow(int n)
{
	for (int i = 0; i < n; i++) {
		struct cache_entry *e = calloc(1, sizeof *e);

		if (e == NULL)
			return;
		snprintf(e->key, sizeof e->key, "key%d", i);
		sink = e;	/* never evicted: the second leak */
	}
}

/* Balanced work: every block is freed, so none of it is reported. */
static DEMO_FUNC void
handle_requests(int n)
{
	for (int i = 0; i < n; i++) {
		size_t len = 16 + (size_t)(i % 64) * 8;
		char *buf = malloc(len);
		char *copy, *grown;

		if (buf == NULL)
			continue;
		memset(buf, 'r', len - 1);
		buf[len - 1] = '\0';
		copy = strdup(buf);
		grown = realloc(buf, len * 2);
		if (grown != NULL)
			buf = grown;
		sink = copy;
		free(copy);
		free(buf);
	}
}

/* Copies n bytes one at a time, as a hand-written parser would. */
static DEMO_FUNC void
copy_bytes(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* The classic off-by-one: room for the characters but not for the NUL. */
static DEMO_FUNC void
copy_name(const char *name)
{
	size_t len = strlen(name);
	char *copy = malloc(len);

	if (copy == NULL)
		return;
	copy_bytes(copy, name, len + 1);	/* one byte too many */
	sink = copy;
	free(copy);		/* the agent checks the tail guard here */
}

int
main(void)
{
	char name[128];

	/* Unbuffered: stdio's own buffer would be one more (real) leak in the report. */
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("jhook-demo: leaking %d x %zu bytes in leak_sessions and "
	    "%d x %zu bytes in cache_grow;\n", DEMO_SESSIONS,
	    sizeof(struct session), DEMO_CACHE, sizeof(struct cache_entry));
	printf("jhook-demo: overflowing a 99-byte block by 1 byte in copy_name\n");

	accept_clients(DEMO_SESSIONS);
	cache_grow(DEMO_CACHE);
	handle_requests(DEMO_REQUESTS);

	/* Built at run time, so the compiler cannot see the overflow coming. */
	snprintf(name, sizeof name, "%.*s", 99,
	    "jhook-demo-session-name-jhook-demo-session-name-jhook-demo-"
	    "session-name-jhook-demo-session-name-jhook-demo-session-name");
	copy_name(name);
	return 0;
}
