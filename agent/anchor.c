/*
 * anchor.c - the anchor table.
 *
 * Lookups are lock-free: bucket heads and chain links are published with
 * release stores and anchors are never freed, so a reader only ever sees
 * complete records.  Creation takes a lock striped by bucket.  Call stacks
 * are interned apart from anchors, so the many sizes allocated from one
 * site share one copy of its frames.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "anchor.h"
#include "arena.h"
#include "lock.h"
#include "module.h"

#define ANC_CHUNK_BITS	12
#define ANC_CHUNK	(1u << ANC_CHUNK_BITS)
#define ANC_CHUNKS	(ANC_MAX / ANC_CHUNK)
#define ANC_BUCKETS	(1u << 18)
#define ANC_STRIPES	64
#define STK_BUCKETS	(1u << 16)
#define ANC_MAX_DEPTH	64

/* An interned call stack. */
struct anc_stack {
	uint64_t		 hash;
	struct anc_stack	*next;
	uint32_t		 depth;
	uint32_t		 unused;
	struct anc_frame	 frames[];
};

/*
 * The key, read by every lookup, and the counters, written by every call,
 * sit on cache lines of their own: otherwise each count made by one thread
 * evicts the key from the caches of the others looking the anchor up.
 */
struct anchor {
	size_t			 size;
	uint64_t		 hash;
	const struct anc_stack	*stack;
	uint32_t		 next;		/* chain: id + 1, 0 ends */
	uint32_t		 generation;
	int			 method;
	uint64_t		 alloc __attribute__((aligned(64)));	/* atomic */
	uint64_t		 free;		/* atomic */
} __attribute__((aligned(64)));

static struct anchor	*anc_chunks[ANC_CHUNKS];
static uint32_t		*anc_buckets;		/* id + 1 of the chain head */
static struct anc_stack	**anc_stacks;		/* interned stacks by hash */
static lock_t		 anc_stripes[ANC_STRIPES];
static lock_t		 anc_stack_lock = LOCK_INITIALISER;
static lock_t		 anc_chunk_lock = LOCK_INITIALISER;
static uint32_t		 anc_next_id;
static uint32_t		 anc_gen;
static uint32_t		 anc_live;		/* anchors of this generation */
static size_t		 anc_total;
static size_t		 anc_peak;

static void	anc_thread_exit(void *);
static pthread_key_t	anc_exit_key;
static int		anc_exit_ready;

void
anc_initialise(void)
{
	if (!anc_exit_ready && pthread_key_create(&anc_exit_key, anc_thread_exit) == 0)
		__atomic_store_n(&anc_exit_ready, 1, __ATOMIC_RELEASE);
	if (anc_buckets == NULL)
		anc_buckets = arena_pages(ANC_BUCKETS * sizeof *anc_buckets);
	if (anc_stacks == NULL)
		anc_stacks = arena_pages(STK_BUCKETS * sizeof *anc_stacks);
}

static inline struct anchor *
anc_at(uint32_t id)
{
	struct anchor	*chunk;

	if (id >= ANC_MAX)
		return NULL;
	chunk = __atomic_load_n(&anc_chunks[id >> ANC_CHUNK_BITS], __ATOMIC_ACQUIRE);
	return chunk ? &chunk[id & (ANC_CHUNK - 1)] : NULL;
}

static inline uint64_t
anc_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t
anc_hash_frames(const uintptr_t *frames, unsigned depth)
{
	uint64_t	h = depth;
	unsigned	i;

	for (i = 0; i < depth; i++)
		h = anc_mix(h, frames[i]);
	return h;
}

static int
anc_stack_equal(const struct anc_stack *s, const uintptr_t *frames, unsigned depth)
{
	unsigned	i;

	if (s->depth != depth)
		return 0;
	for (i = 0; i < depth; i++) {
		if (s->frames[i].addr != frames[i])
			return 0;
	}
	return 1;
}

/* The anchor for the key in this generation, or ANC_NONE; lock-free. */
static uint32_t
anc_lookup(uint64_t hash, size_t size, const uintptr_t *frames, unsigned depth,
    int method, uint32_t gen)
{
	uint32_t	 link;
	struct anchor	*a;

	link = __atomic_load_n(&anc_buckets[hash & (ANC_BUCKETS - 1)], __ATOMIC_ACQUIRE);
	while (link != 0) {
		a = anc_at(link - 1);
		if (a->hash == hash && a->size == size && a->method == method &&
		    a->generation == gen && anc_stack_equal(a->stack, frames, depth))
			return link - 1;
		link = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE);
	}
	return ANC_NONE;
}

/* The interned copy of a stack, resolved into modules; NULL when out of memory. */
static const struct anc_stack *
anc_intern(const uintptr_t *frames, unsigned depth, const struct anc_frame *resolved)
{
	uint64_t		 h = anc_hash_frames(frames, depth);
	struct anc_stack	**head = &anc_stacks[h & (STK_BUCKETS - 1)];
	struct anc_stack	*s;

	lock_acquire(&anc_stack_lock);
	for (s = *head; s != NULL; s = s->next) {
		if (s->hash == h && anc_stack_equal(s, frames, depth))
			break;
	}
	if (s == NULL &&
	    (s = arena_alloc(sizeof *s + depth * sizeof s->frames[0])) != NULL) {
		s->hash = h;
		s->depth = depth;
		memcpy(s->frames, resolved, depth * sizeof s->frames[0]);
		s->next = *head;
		*head = s;
	}
	lock_release(&anc_stack_lock);
	return s;
}

/* Makes sure the chunk holding id exists; -1 when out of memory. */
static int
anc_ensure_chunk(uint32_t id)
{
	struct anchor	**slot = &anc_chunks[id >> ANC_CHUNK_BITS];
	struct anchor	 *chunk;
	int		  rc = 0;

	if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) != NULL)
		return 0;
	lock_acquire(&anc_chunk_lock);
	if (*slot == NULL) {
		chunk = arena_pages(ANC_CHUNK * sizeof(struct anchor));
		if (chunk != NULL)
			__atomic_store_n(slot, chunk, __ATOMIC_RELEASE);
		else
			rc = -1;
	}
	lock_release(&anc_chunk_lock);
	return rc;
}

/* Creates the anchor under its stripe lock, unless a racing thread did. */
static uint32_t
anc_create(uint64_t hash, size_t size, const uintptr_t *frames, unsigned depth,
    int method, const struct anc_stack *stack)
{
	uint32_t	*bucket = &anc_buckets[hash & (ANC_BUCKETS - 1)];
	lock_t		*stripe = &anc_stripes[hash % ANC_STRIPES];
	uint32_t	 id, gen;
	struct anchor	*a;

	lock_acquire(stripe);
	gen = __atomic_load_n(&anc_gen, __ATOMIC_ACQUIRE);
	id = anc_lookup(hash, size, frames, depth, method, gen);
	if (id != ANC_NONE)
		goto out;
	id = __atomic_load_n(&anc_next_id, __ATOMIC_RELAXED);
	do {
		if (id >= ANC_MAX) {
			id = ANC_NONE;
			goto out;
		}
	} while (!__atomic_compare_exchange_n(&anc_next_id, &id, id + 1, 1,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	if (anc_ensure_chunk(id) != 0) {
		id = ANC_NONE;
		goto out;
	}
	a = anc_at(id);
	a->size = size;
	a->hash = hash;
	a->method = method;
	a->generation = gen;
	/* Last: a reader that sees the stack sees the whole key (anc_view). */
	__atomic_store_n(&a->stack, stack, __ATOMIC_RELEASE);
	a->next = *bucket;
	__atomic_store_n(bucket, id + 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&anc_live, 1, __ATOMIC_RELAXED);
out:
	lock_release(stripe);
	return id;
}

/*
 * First sight of a key: names its frames now, with no lock held
 * (dl_iterate_phdr), and creates it.  Apart from the lookup so that the
 * common path keeps a small stack frame: the hooks may run on a signal
 * handler's small alternate stack.
 */
static __attribute__((noinline)) uint32_t
anc_first_sight(uint64_t hash, size_t size, const uintptr_t *frames,
    unsigned depth, int method)
{
	struct anc_frame	 resolved[depth];
	const struct anc_stack	*stack;

	mod_resolve(frames, depth, resolved);
	if ((stack = anc_intern(frames, depth, resolved)) == NULL)
		return ANC_NONE;
	return anc_create(hash, size, frames, depth, method, stack);
}

uint32_t
anc_find_or_create(size_t size, const uintptr_t *frames, unsigned depth, int method)
{
	uint64_t	hash;
	uint32_t	id;

	if (anc_buckets == NULL || anc_stacks == NULL || depth == 0 || depth > ANC_MAX_DEPTH)
		return ANC_NONE;
	hash = anc_mix(anc_hash_frames(frames, depth), size) ^ (uint64_t)method;
	id = anc_lookup(hash, size, frames, depth, method,
	    __atomic_load_n(&anc_gen, __ATOMIC_ACQUIRE));
	if (id != ANC_NONE)
		return id;
	return anc_first_sight(hash, size, frames, depth, method);
}

/*
 * The process total and its peak.
 *
 * The total moves through a per-thread batch, flushed into the shared
 * counter once it reaches the thread's limit either way: one shared atomic
 * per allocation made two threads bounce its cache line on every call.
 * Reports compute the exact total from the anchors.
 *
 * The peak is exact for one thread and close under many.  A thread keeps
 * the highest its batch rose to; at the first free after a new high, and at
 * each flush, it offers "shared total + that high" as a peak.  With one
 * thread the shared total cannot move meanwhile, so every high-water mark
 * is seen exactly, whatever the batch size.  Under threads, each other
 * thread can hide at most its own unflushed batch, so while several count,
 * a batch is 1/128 of the total shared among them (between ANC_BATCH_MIN
 * and ANC_BATCH): the peak is never more than 1% below the true one, or
 * ANC_BATCH_MIN bytes a thread in a process holding little.  A free after
 * a new high costs two loads of read-mostly lines, and a write only when
 * the peak does rise.  A thread's batch is flushed when it exits.
 */
#define ANC_BATCH	(16 * 1024)
#define ANC_BATCH_MIN	(2 * 1024)
#define ANC_SHARE	128		/* a batch is at most total / (ANC_SHARE x threads) */

/* One thread's batch: one TLS block, so the hooks compute its address once. */
struct anc_batch {
	long		delta;		/* bytes not yet in anc_total */
	long		high;		/* the highest delta since the last flush */
	long		limit;		/* flush when |delta| reaches it */
	uint32_t	gen;		/* anc_gen + 1 of the batch; 0 = none yet */
	int		rose;		/* high rose since it was last offered */
};

static __thread struct anc_batch anc_tl __attribute__((tls_model("initial-exec")));
static unsigned			anc_threads;	/* threads with a batch (atomic) */

/* Raises the peak to total if it is higher. */
static void
anc_raise_peak(size_t total)
{
	size_t	peak = __atomic_load_n(&anc_peak, __ATOMIC_RELAXED);

	while (total > peak && !__atomic_compare_exchange_n(&anc_peak, &peak,
	    total, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Offers base + this thread's high as the peak (base may be transiently negative). */
static void
anc_offer(struct anc_batch *b, long base)
{
	if (base + b->high > 0)
		anc_raise_peak((size_t)(base + b->high));
	b->rose = 0;
}

/* The first free after a new high: the high is a candidate peak. */
static __attribute__((noinline)) void
anc_offer_now(struct anc_batch *b)
{
	anc_offer(b, (long)__atomic_load_n(&anc_total, __ATOMIC_RELAXED));
}

/* Moves this thread's batch into the shared total and sets its next limit. */
static __attribute__((noinline)) void
anc_flush(struct anc_batch *b)
{
	size_t		total;
	unsigned	threads;
	long		limit;

	total = __atomic_add_fetch(&anc_total, (size_t)b->delta, __ATOMIC_RELAXED);
	if (b->rose)
		anc_offer(b, (long)total - b->delta);
	b->delta = b->high = 0;
	threads = __atomic_load_n(&anc_threads, __ATOMIC_RELAXED);
	if (threads <= 1) {
		b->limit = ANC_BATCH;	/* alone, the peak is exact anyway */
		return;
	}
	limit = (long)total / ANC_SHARE / (long)threads;
	b->limit = limit < ANC_BATCH_MIN ? ANC_BATCH_MIN :
	    limit > ANC_BATCH ? ANC_BATCH : limit;
}

/* pthread key destructor: a thread that ends gives its batch back. */
static void
anc_thread_exit(void *arg)
{
	struct anc_batch	*b = &anc_tl;

	(void)arg;
	if (b->gen == __atomic_load_n(&anc_gen, __ATOMIC_RELAXED) + 1)
		anc_flush(b);
	memset(b, 0, sizeof *b);
	__atomic_sub_fetch(&anc_threads, 1, __ATOMIC_RELAXED);
}

/*
 * A batch of an older generation is void; a thread's first batch also
 * joins it to the threads sharing the limit, and arms its exit flush.
 */
static __attribute__((noinline)) void
anc_renew(struct anc_batch *b, uint32_t gen)
{
	if (b->gen == 0) {
		__atomic_add_fetch(&anc_threads, 1, __ATOMIC_RELAXED);
		/* Keys below 32 live in the thread itself: setting one allocates nothing. */
		if (__atomic_load_n(&anc_exit_ready, __ATOMIC_ACQUIRE))
			pthread_setspecific(anc_exit_key, (void *)1);
	}
	b->gen = gen + 1;
	b->delta = b->high = b->limit = 0;
	b->rose = 0;
}

void
anc_count_alloc(uint32_t id)
{
	struct anchor		*a = anc_at(id);
	struct anc_batch	*b = &anc_tl;
	uint32_t		 gen = __atomic_load_n(&anc_gen, __ATOMIC_RELAXED);
	long			 d;

	if (a == NULL)
		return;
	__atomic_add_fetch(&a->alloc, 1, __ATOMIC_RELAXED);
	if (a->generation != gen)
		return;
	if (__builtin_expect(b->gen != gen + 1, 0))
		anc_renew(b, gen);
	d = b->delta += (long)a->size;
	if (d > b->high) {
		b->high = d;
		b->rose = 1;
	}
	if (__builtin_expect(d >= b->limit, 0))
		anc_flush(b);
}

void
anc_count_free(uint32_t id)
{
	struct anchor		*a = anc_at(id);
	struct anc_batch	*b = &anc_tl;
	uint32_t		 gen = __atomic_load_n(&anc_gen, __ATOMIC_RELAXED);
	long			 d;

	if (a == NULL)
		return;
	__atomic_add_fetch(&a->free, 1, __ATOMIC_RELAXED);
	/* A block of an older generation was never part of these totals. */
	if (a->generation != gen)
		return;
	if (__builtin_expect(b->gen != gen + 1, 0))
		anc_renew(b, gen);
	d = b->delta -= (long)a->size;
	if (__builtin_expect(b->rose, 0))
		anc_offer_now(b);
	if (__builtin_expect(d <= -b->limit, 0))
		anc_flush(b);
}

size_t
anc_size(uint32_t id)
{
	struct anchor	*a = anc_at(id);

	return a ? a->size : 0;
}

uint32_t
anc_limit(void)
{
	uint32_t	n = __atomic_load_n(&anc_next_id, __ATOMIC_ACQUIRE);

	return n > ANC_MAX ? ANC_MAX : n;
}

uint32_t
anc_complete_below(void)
{
	uint32_t	id, n = anc_limit();

	for (id = 0; id < n; id++) {
		struct anchor *a = anc_at(id);

		if (a == NULL || __atomic_load_n(&a->stack, __ATOMIC_ACQUIRE) == NULL)
			return id;
	}
	return n;
}

int
anc_view(uint32_t id, struct anc_view *out)
{
	struct anchor		*a = anc_at(id);
	const struct anc_stack	*stack;

	if (a == NULL || (stack = __atomic_load_n(&a->stack, __ATOMIC_ACQUIRE)) == NULL ||
	    a->generation != __atomic_load_n(&anc_gen, __ATOMIC_ACQUIRE))
		return 0;
	out->id = id;
	out->size = a->size;
	out->method = a->method;
	out->depth = stack->depth;
	out->frames = stack->frames;
	/* Free first: alloc read later is never below it, so diff >= 0. */
	out->free = __atomic_load_n(&a->free, __ATOMIC_ACQUIRE);
	out->alloc = __atomic_load_n(&a->alloc, __ATOMIC_ACQUIRE);
	return 1;
}

/* Exact: the sum over this generation's anchors of size x (alloc - free). */
size_t
anc_total_bytes(void)
{
	struct anc_view	v;
	uint32_t	id, n = anc_limit();
	size_t		total = 0;

	for (id = 0; id < n; id++) {
		if (anc_view(id, &v))
			total += v.size * (size_t)(v.alloc - v.free);
	}
	return total;
}

/* The high-water mark, never below the exact total of this moment. */
size_t
anc_peak_bytes(void)
{
	anc_raise_peak(anc_total_bytes());
	return __atomic_load_n(&anc_peak, __ATOMIC_RELAXED);
}

uint32_t
anc_live_count(void)
{
	return __atomic_load_n(&anc_live, __ATOMIC_RELAXED);
}

uint32_t
anc_generation(void)
{
	return __atomic_load_n(&anc_gen, __ATOMIC_ACQUIRE);
}

void
anc_reset(void)
{
	unsigned	i;

	for (i = 0; i < ANC_STRIPES; i++)
		lock_acquire(&anc_stripes[i]);
	__atomic_add_fetch(&anc_gen, 1, __ATOMIC_RELEASE);
	/* Old anchors stay (blocks may name them) but leave the buckets. */
	if (anc_buckets != NULL)
		madvise(anc_buckets, ANC_BUCKETS * sizeof *anc_buckets, MADV_DONTNEED);
	__atomic_store_n(&anc_live, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&anc_total, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&anc_peak, 0, __ATOMIC_RELAXED);
	for (i = 0; i < ANC_STRIPES; i++)
		lock_release(&anc_stripes[i]);
}

void
anc_fork_prepare(void)
{
	unsigned	i;

	for (i = 0; i < ANC_STRIPES; i++)
		lock_acquire(&anc_stripes[i]);
	lock_acquire(&anc_stack_lock);
	lock_acquire(&anc_chunk_lock);
}

void
anc_fork_parent(void)
{
	unsigned	i;

	lock_release(&anc_chunk_lock);
	lock_release(&anc_stack_lock);
	for (i = 0; i < ANC_STRIPES; i++)
		lock_release(&anc_stripes[i]);
}

void
anc_fork_child(void)
{
	unsigned	i;

	lock_reset(&anc_chunk_lock);
	lock_reset(&anc_stack_lock);
	for (i = 0; i < ANC_STRIPES; i++)
		lock_reset(&anc_stripes[i]);
}
