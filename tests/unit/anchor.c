/*
 * anchor.c - unit tests of agent/anchor.c, the anchor table.
 *
 * The table is included so the tests can compute its hash, crowd one bucket
 * (and one interned-stack bucket) with keys that really land there, force
 * keys of one full hash through its static create and lookup, and compare
 * the batched running total with the exact one.  Frames are made-up
 * addresses: the stand-in mod_resolve of unit.h puts them in no module.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent/anchor.c"
#define UNIT_STANDIN_MOD_RESOLVE
#include "unit.h"

#define THREADS		4
#define PER_THREAD	1000
#define BLOCK		1000

/* The key's hash as anc_find_or_create computes it (checked against the table). */
static uint64_t
key_hash(size_t size, const uintptr_t *frames, unsigned depth, int method)
{
	return anc_mix(anc_hash_frames(frames, depth), size) ^ (uint64_t)method;
}

/* Links in the chain of bucket b. */
static unsigned
chain_length(uint64_t b)
{
	uint32_t	link = anc_buckets[b & (ANC_BUCKETS - 1)];
	unsigned	n = 0;

	for (; link != 0; link = anc_at(link - 1)->next)
		n++;
	return n;
}

/* Stacks interned in bucket b. */
static unsigned
stack_chain_length(uint64_t b)
{
	const struct anc_stack	*s;
	unsigned		 n = 0;

	for (s = anc_stacks[b & (STK_BUCKETS - 1)]; s != NULL; s = s->next)
		n++;
	return n;
}

/*
 * The batched running total (the shared counter plus this thread's batch
 * of this generation); with no other thread counting it is the exact one.
 */
static size_t
running_total(void)
{
	long	mine = anc_tl.gen == anc_gen + 1 ? anc_tl.delta : 0;

	return (size_t)((long)anc_total + mine);
}

static uint32_t
find(size_t size, const uintptr_t *frames, unsigned depth, int method)
{
	return anc_find_or_create(size, frames, depth, method);
}

/* One key finds one id; any other size, frame, depth or method finds another. */
static void
test_identity(void)
{
	uintptr_t	f[ANC_MAX_DEPTH + 1], g[3];
	uint32_t	ids[6];
	struct anc_view	v;
	unsigned	i, j, live;

	anc_reset();
	for (i = 0; i <= ANC_MAX_DEPTH; i++)
		f[i] = 0x401000 + 0x10 * i;
	memcpy(g, f, sizeof g);
	g[2]++;
	ids[0] = find(64, f, 3, 0);
	ids[1] = find(65, f, 3, 0);
	ids[2] = find(64, g, 3, 0);
	ids[3] = find(64, f, 2, 0);
	ids[4] = find(64, f, 3, 1);
	ids[5] = find(64, f, ANC_MAX_DEPTH, 0);
	live = anc_live_count();
	TEST_EQ(live, 6);
	for (i = 0; i < 6; i++) {
		TEST_CHECK(ids[i] != ANC_NONE);
		for (j = 0; j < i; j++)
			TEST_CHECK(ids[i] != ids[j]);
	}
	TEST_EQ(find(64, f, 3, 0), ids[0]);
	TEST_EQ(find(65, f, 3, 0), ids[1]);
	TEST_EQ(find(64, g, 3, 0), ids[2]);
	TEST_EQ(find(64, f, 2, 0), ids[3]);
	TEST_EQ(find(64, f, 3, 1), ids[4]);
	TEST_EQ(find(64, f, ANC_MAX_DEPTH, 0), ids[5]);
	TEST_EQ(anc_live_count(), live);	/* finding creates nothing */
	TEST_EQ(find(64, f, 0, 0), ANC_NONE);
	TEST_EQ(find(64, f, ANC_MAX_DEPTH + 1, 0), ANC_NONE);

	TEST_EQ(anc_view(ids[2], &v), 1);
	TEST_EQ(v.id, ids[2]);
	TEST_EQ(v.size, 64);
	TEST_EQ(v.depth, 3);
	TEST_EQ(v.method, 0);
	TEST_EQ(v.alloc, 0);
	TEST_EQ(v.free, 0);
	for (i = 0; i < 3; i++) {
		TEST_EQ(v.frames[i].addr, g[i]);
		TEST_EQ(v.frames[i].module, MOD_UNKNOWN);
	}
	TEST_EQ(anc_view(ids[4], &v), 1);
	TEST_EQ(v.method, 1);
	TEST_EQ(anc_size(ids[1]), 65);
	TEST_EQ(anc_at(ids[0])->hash, key_hash(64, f, 3, 0));
	TEST_EQ(anc_at(ids[4])->hash, key_hash(64, f, 3, 1));
	TEST_EQ(anc_view(anc_limit(), &v), 0);
	TEST_EQ(anc_view(ANC_NONE, &v), 0);
}

/*
 * Forty-eight sizes whose keys land in one bucket (searched with the
 * table's own hash), created in a scrambled order: all distinct, each found
 * again at every step, and all on one chain.
 */
static void
test_bucket(void)
{
	enum { N = 48 };
	uintptr_t	f[2] = { 0x7000a0, 0x7000b0 };
	size_t		sizes[N], s;
	uint32_t	ids[N];
	uint64_t	b = key_hash(1, f, 2, 0) & (ANC_BUCKETS - 1);
	struct anc_view	v;
	unsigned	i, j, k, n = 0;

	anc_reset();
	for (s = 2; n < N; s++) {
		if ((key_hash(s, f, 2, 0) & (ANC_BUCKETS - 1)) == b)
			sizes[n++] = s;
	}
	for (i = 0; i < N; i++) {
		k = (i * 29 + 5) % N;
		ids[k] = find(sizes[k], f, 2, 0);
		TEST_CHECK(ids[k] != ANC_NONE);
		for (j = 0; j <= i; j++) {
			unsigned	m = (j * 29 + 5) % N;

			TEST_EQ(find(sizes[m], f, 2, 0), ids[m]);
		}
	}
	TEST_EQ(chain_length(b), N);
	TEST_EQ(anc_live_count(), N);
	for (i = 0; i < N; i++) {
		for (j = 0; j < i; j++)
			TEST_CHECK(ids[i] != ids[j]);
		TEST_EQ(anc_view(ids[i], &v), 1);
		TEST_EQ(v.size, sizes[i]);
	}
	/* The bucket's first key, made only now, joins the same chain. */
	TEST_CHECK(find(1, f, 2, 0) != ANC_NONE);
	TEST_EQ(chain_length(b), N + 1);
	TEST_EQ(find(sizes[N / 2], f, 2, 0), ids[N / 2]);
}

/*
 * Keys of one full 64-bit hash, forced through the static create and
 * lookup: the table must tell them apart by size, method and frames.
 */
static void
test_same_hash(void)
{
	uintptr_t		 f[2] = { 0x7100a0, 0x7100b0 }, g[2] = { 0x7100a0, 0x7100c0 };
	struct anc_frame	 rf[2], rg[2];
	const struct anc_stack	*sf, *sg;
	uint32_t		 id1, id2, id3, id4, gen;
	uint64_t		 h;

	anc_reset();
	gen = anc_generation();
	id1 = find(100, f, 2, 0);
	h = anc_at(id1)->hash;
	mod_resolve(f, 2, rf);
	mod_resolve(g, 2, rg);
	sf = anc_intern(f, 2, rf);
	sg = anc_intern(g, 2, rg);
	TEST_CHECK(sf == anc_at(id1)->stack);
	id2 = anc_create(h, 200, f, 2, 0, sf);
	id3 = anc_create(h, 100, f, 2, 1, sf);
	id4 = anc_create(h, 100, g, 2, 0, sg);
	TEST_CHECK(id2 != id1 && id3 != id1 && id4 != id1);
	TEST_CHECK(id2 != id3 && id2 != id4 && id3 != id4);
	TEST_EQ(anc_lookup(h, 100, f, 2, 0, gen), id1);
	TEST_EQ(anc_lookup(h, 200, f, 2, 0, gen), id2);
	TEST_EQ(anc_lookup(h, 100, f, 2, 1, gen), id3);
	TEST_EQ(anc_lookup(h, 100, g, 2, 0, gen), id4);
	TEST_EQ(anc_lookup(h, 300, f, 2, 0, gen), ANC_NONE);
	TEST_EQ(anc_lookup(h, 100, f, 1, 0, gen), ANC_NONE);
	TEST_EQ(anc_lookup(h, 100, f, 2, 0, gen + 1), ANC_NONE);
	TEST_EQ(anc_lookup(h ^ 1, 100, f, 2, 0, gen), ANC_NONE);
	/* Created again under the same hash: the existing one comes back. */
	TEST_EQ(anc_create(h, 200, f, 2, 0, sf), id2);
	TEST_EQ(find(100, f, 2, 0), id1);
	TEST_EQ(anc_live_count(), 4);
}

/*
 * Stacks are interned: the sizes allocated from one stack share one copy of
 * its frames, other stacks have their own, even sixteen whose stacks crowd
 * one bucket of the stack table.
 */
static void
test_interned(void)
{
	enum { N = 16 };
	uintptr_t	f[N], p[3] = { 0x720000, 0x720010, 0x720020 }, q[3];
	uint64_t	b;
	struct anc_view	v8, v16;
	uintptr_t	a;
	unsigned	i, j, n = 0;

	anc_reset();
	memcpy(q, p, sizeof q);
	q[2] = 0x720030;
	TEST_EQ(anc_view(find(8, p, 3, 0), &v8), 1);
	TEST_EQ(anc_view(find(16, p, 3, 0), &v16), 1);
	TEST_CHECK(v8.frames == v16.frames);
	TEST_CHECK(v8.id != v16.id);
	TEST_EQ(anc_view(find(8, p, 3, 2), &v16), 1);
	TEST_CHECK(v8.frames == v16.frames);	/* another method, one stack */
	TEST_EQ(anc_view(find(8, q, 3, 0), &v16), 1);
	TEST_CHECK(v8.frames != v16.frames);
	TEST_EQ(anc_view(find(8, p, 2, 0), &v16), 1);
	TEST_CHECK(v8.frames != v16.frames);	/* a prefix is another stack */

	b = anc_hash_frames(&(uintptr_t){ 0x730000 }, 1) & (STK_BUCKETS - 1);
	for (a = 0x730000; n < N; a += 0x10) {
		if ((anc_hash_frames(&a, 1) & (STK_BUCKETS - 1)) == b)
			f[n++] = a;
	}
	for (i = 0; i < N; i++)
		TEST_CHECK(find(8, &f[i], 1, 0) != ANC_NONE);
	TEST_EQ(stack_chain_length(b), N);
	for (i = 0; i < N; i++) {
		TEST_EQ(anc_view(find(8, &f[i], 1, 0), &v8), 1);
		TEST_EQ(anc_view(find(16, &f[i], 1, 0), &v16), 1);
		TEST_CHECK(v8.frames == v16.frames);
		TEST_EQ(v8.depth, 1);
		TEST_EQ(v8.frames[0].addr, f[i]);
		for (j = 0; j < i; j++) {
			struct anc_view	o;

			TEST_EQ(anc_view(find(8, &f[j], 1, 0), &o), 1);
			TEST_CHECK(o.frames != v8.frames);
		}
	}
	TEST_EQ(stack_chain_length(b), N);	/* new sizes intern nothing */
}

/* Per-anchor counts and the exact total they add up to. */
static void
test_counts(void)
{
	uintptr_t	f[1] = { 0x740000 };
	uint32_t	a, b;
	struct anc_view	v;
	int		i;

	anc_reset();
	a = find(100, f, 1, 0);
	b = find(7, f, 1, 0);
	for (i = 0; i < 3; i++)
		anc_count_alloc(a);
	anc_count_free(a);
	for (i = 0; i < 5; i++)
		anc_count_alloc(b);
	TEST_EQ(anc_view(a, &v), 1);
	TEST_EQ(v.alloc, 3);
	TEST_EQ(v.free, 1);
	TEST_EQ(anc_view(b, &v), 1);
	TEST_EQ(v.alloc, 5);
	TEST_EQ(v.free, 0);
	TEST_EQ(anc_total_bytes(), 2 * 100 + 5 * 7);
	TEST_EQ(running_total(), 2 * 100 + 5 * 7);
	TEST_EQ(anc_peak_bytes(), 3 * 100);	/* before the free */
	anc_count_alloc(ANC_NONE);	/* no anchor: ignored */
	anc_count_free(ANC_MAX + 5);
	TEST_EQ(anc_total_bytes(), 2 * 100 + 5 * 7);
}

/*
 * anc_reset starts a new generation: old ids are no longer viewed, the same
 * key gets a new id, counts and totals restart, the old batch is void, and
 * freeing a block of the old generation moves none of the new totals.
 */
static void
test_reset(void)
{
	uintptr_t	f[1] = { 0x750000 };
	uint32_t	old, small, fresh, gen;
	struct anc_view	v;
	int		i;

	anc_reset();
	old = find(100, f, 1, 0);
	small = find(1000, f, 1, 0);
	anc_count_alloc(old);
	for (i = 0; i < 5; i++)
		anc_count_alloc(small);	/* still in this thread's batch */
	TEST_EQ(anc_peak_bytes(), 5100);
	gen = anc_generation();
	anc_reset();
	TEST_EQ(anc_generation(), gen + 1);
	TEST_EQ(anc_view(old, &v), 0);
	TEST_EQ(anc_view(small, &v), 0);
	TEST_EQ(anc_live_count(), 0);
	TEST_EQ(anc_total_bytes(), 0);
	TEST_EQ(anc_peak_bytes(), 0);
	fresh = find(100, f, 1, 0);
	TEST_CHECK(fresh != old && fresh != ANC_NONE);
	TEST_EQ(anc_live_count(), 1);
	TEST_EQ(anc_view(fresh, &v), 1);
	TEST_EQ(v.alloc, 0);

	/* The old block's free counts on its anchor, not in the new totals. */
	anc_count_free(old);
	TEST_EQ(anc_at(old)->free, 1);
	TEST_EQ(running_total(), 0);
	fresh = find(60, f, 1, 0);
	anc_count_alloc(fresh);
	anc_count_alloc(fresh);
	anc_count_free(fresh);
	TEST_EQ(running_total(), 60);
	TEST_EQ(anc_total_bytes(), 60);
	TEST_EQ(anc_peak_bytes(), 120);
}

/* The brief's case: hold 10 bytes, 10 x 1000 in one batch, all freed: 10010. */
static void
test_peak_in_batch(void)
{
	uintptr_t	f[1] = { 0x760000 };
	uint32_t	ten, k;
	int		i;

	anc_reset();
	ten = find(10, f, 1, 0);
	k = find(1000, f, 1, 0);
	anc_count_alloc(ten);
	for (i = 0; i < 10; i++)
		anc_count_alloc(k);
	for (i = 0; i < 10; i++)
		anc_count_free(k);
	TEST_EQ(anc_total_bytes(), 10);
	TEST_EQ(anc_peak_bytes(), 10010);
	/* A lower rise afterwards leaves the peak alone. */
	for (i = 0; i < 5; i++)
		anc_count_alloc(k);
	for (i = 0; i < 5; i++)
		anc_count_free(k);
	TEST_EQ(anc_peak_bytes(), 10010);
	TEST_EQ(running_total(), 10);
}

/* One random walk of steps over sizes[0..ns); checks total and peak at its middle and end. */
static void
peak_walk(const size_t *sizes, unsigned ns, unsigned steps, uint64_t *rng)
{
	uintptr_t	f[1] = { 0x770000 };
	uint32_t	ids[8];
	uint64_t	held[8] = { 0 }, r;
	size_t		total = 0, peak = 0;
	unsigned	i, up = 8, step, left = 0;

	anc_reset();
	for (i = 0; i < ns; i++)
		ids[i] = find(sizes[i], f, 1, 0);
	for (step = 0; step < steps; step++) {
		r = unit_random(rng);
		if (left-- == 0) {	/* a new leg: up, down or level */
			left = 20 + (unsigned)(r % 600);
			up = 4 + (unsigned)((r >> 16) % 9);
		}
		i = (unsigned)((r >> 32) % ns);
		if (((r >> 40) & 15) < up || held[i] == 0) {
			anc_count_alloc(ids[i]);
			held[i]++;
			total += sizes[i];
			if (total > peak)
				peak = total;
		} else {
			anc_count_free(ids[i]);
			held[i]--;
			total -= sizes[i];
		}
		if (step == steps / 2 || step == steps - 1) {
			TEST_EQ(running_total(), total);
			TEST_EQ(anc_total_bytes(), total);
			TEST_EQ(anc_peak_bytes(), peak);
		}
	}
}

/*
 * Random walks in one thread, climbing and falling through many batches:
 * the total and the peak are exact.  The peak is read rarely, since reading
 * it raises it to the total of that moment; each walk starts a generation,
 * so each has a peak of its own.  Half the walks keep every size below a
 * batch, half add sizes that flush at once.
 */
static void
test_peak_walk(void)
{
	static const size_t	sizes[] = { 1, 24, 100, 1000, 4096, 30000, 100000 };
	uint64_t		rng = 42;
	unsigned		round;

	for (round = 0; round < 60; round++)
		peak_walk(sizes, round % 2 ? 7 : 5, 5000, &rng);
}

/* Counts n allocations or frees of id on a thread of its own, which then exits. */
struct counter {
	uint32_t	id;
	unsigned	n;
	int		alloc;
};

static void *
count_and_exit(void *arg)
{
	const struct counter	*c = arg;
	unsigned		 i;

	for (i = 0; i < c->n; i++) {
		if (c->alloc)
			anc_count_alloc(c->id);
		else
			anc_count_free(c->id);
	}
	return NULL;
}

static void
count_on_thread(uint32_t id, unsigned n, int alloc)
{
	struct counter	c = { id, n, alloc };
	pthread_t	t;

	if (pthread_create(&t, NULL, count_and_exit, &c) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		exit(99);
	}
	pthread_join(t, NULL);
}

/*
 * A peak this thread reaches exactly at a flush survives other threads'
 * frees before its own next free: the flush must offer it, since by then
 * the shared total no longer holds it.
 */
static void
test_peak_at_flush(void)
{
	uintptr_t	f[1] = { 0x790000 };
	uint32_t	other, mine;
	size_t		held = 0;

	anc_reset();
	other = find(1000, f, 1, 0);
	mine = find(700, f, 1, 0);
	count_on_thread(other, 101, 1);		/* 101000 bytes, flushed at exit */
	TEST_EQ(running_total(), 101000);
	do {
		anc_count_alloc(mine);
		held += 700;
	} while (anc_tl.delta != 0 || held == 700);	/* up to a flush */
	count_on_thread(other, 101, 0);
	anc_count_free(mine);
	TEST_EQ(anc_total_bytes(), held - 700);
	TEST_EQ(anc_peak_bytes(), 101000 + held);
}

struct worker {
	pthread_t	 thread;
	unsigned	 index;
	uint32_t	 ids[PER_THREAD];	/* the keys it found, racing the others */
	uint32_t	 block;
	long		 hidden;		/* its batch while all hold theirs */
	long		 limit;
};

static pthread_barrier_t	barrier;
static const uintptr_t		race_frames[2] = { 0x780000, 0x780010 };

/*
 * All workers race to create the same keys in different orders, then each
 * holds PER_THREAD x BLOCK bytes; main looks while all of them hold theirs.
 */
static void *
work(void *arg)
{
	struct worker	*w = arg;
	unsigned	 i, k;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < PER_THREAD; i++) {
		k = (i * 7 + w->index * 251) % PER_THREAD;
		w->ids[k] = find(k + 1, race_frames, 2, 0);
	}
	w->block = find(BLOCK, race_frames, 1, 0);
	for (i = 0; i < PER_THREAD; i++)
		anc_count_alloc(w->block);
	w->hidden = anc_tl.delta;
	w->limit = anc_tl.limit;
	pthread_barrier_wait(&barrier);		/* all hold theirs */
	pthread_barrier_wait(&barrier);		/* main has looked */
	for (i = 0; i < PER_THREAD; i++)
		anc_count_free(w->block);
	return NULL;
}

/*
 * Four threads: racing creation yields one id per key, the peak of four
 * threads holding 1000 x 1000 bytes at once is within 1% of 4000000 (and
 * not above it), and batches of exited threads are flushed.  While all
 * hold their blocks, the batches they hide add up to at most 1/ANC_SHARE
 * of the total: what keeps the peak within 1%.
 */
static void
test_threads(void)
{
	const size_t	truth = (size_t)THREADS * PER_THREAD * BLOCK;
	struct worker	w[THREADS];
	unsigned	i, k;
	size_t		peak;
	long		hidden = 0;

	anc_reset();
	pthread_barrier_init(&barrier, NULL, THREADS + 1);
	for (i = 0; i < THREADS; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			exit(99);
		}
	}
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	TEST_EQ(anc_total_bytes(), truth);
	for (i = 0; i < THREADS; i++) {
		TEST_CHECK(w[i].hidden >= 0 && w[i].hidden < w[i].limit);
		TEST_CHECK(w[i].limit <= ANC_BATCH);
		hidden += w[i].hidden;
	}
	TEST_EQ((size_t)((long)anc_total + hidden), truth);
	TEST_CHECK(hidden <= (long)(truth / ANC_SHARE));
	if (hidden > (long)(truth / ANC_SHARE))
		fprintf(stderr, "test_threads: batches hide %ld bytes\n", hidden);
	pthread_barrier_wait(&barrier);
	for (i = 0; i < THREADS; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&barrier);

	TEST_EQ(anc_live_count(), PER_THREAD + 1);
	for (i = 1; i < THREADS; i++) {
		TEST_EQ(w[i].block, w[0].block);
		for (k = 0; k < PER_THREAD; k++)
			TEST_EQ(w[i].ids[k], w[0].ids[k]);
	}
	TEST_EQ(anc_total_bytes(), 0);
	TEST_EQ(running_total(), 0);	/* each exiting thread flushed its batch */
	TEST_EQ(anc_threads, 1);	/* only main still has a batch */
	peak = anc_peak_bytes();
	TEST_CHECK(peak >= truth / 100 * 99);
	TEST_CHECK(peak <= truth);
	if (peak < truth / 100 * 99 || peak > truth)
		fprintf(stderr, "test_threads: peak %zu\n", peak);
}

int
main(void)
{
	anc_initialise();
	TEST_RUN(test_identity);
	TEST_RUN(test_bucket);
	TEST_RUN(test_same_hash);
	TEST_RUN(test_interned);
	TEST_RUN(test_counts);
	TEST_RUN(test_reset);
	TEST_RUN(test_peak_in_batch);
	TEST_RUN(test_peak_walk);
	TEST_RUN(test_peak_at_flush);
	TEST_RUN(test_threads);
	return unit_finish("anchor");
}
