/*
 * block.c - unit tests of agent/block.c, the live-block table.
 *
 * The table is included so the tests can craft pointers with its own hash
 * (same shard, same home slot), look at where each entry sits, and check
 * the probing invariant after every deletion: each entry is reachable from
 * its home slot without crossing an empty one.  Every step is also checked
 * against a reference model: a sorted array of the pointers a test uses,
 * each with whether it is live and its data.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/block.c"
#include "unit.h"

#define SLOT_BYTES	(sizeof(uintptr_t) + sizeof(uint32_t))
#define NO_SLOT		SIZE_MAX

/* The reference model: sorted distinct pointers and what the table should hold. */
struct model {
	size_t		 n;
	size_t		 live;
	uintptr_t	*ptr;
	uint32_t	*anchor;
	uint32_t	*flags;
	unsigned char	*present;
	unsigned	*seen;		/* visits in one blk_foreach */
};

static uintptr_t	craft_cursor = 0x100000;	/* next candidate pointer */

static void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	return p;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t	x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned
shard_index(uintptr_t ptr)
{
	return (unsigned)(blk_shard_of(blk_hash(ptr)) - blk_shards);
}

/* The slot ptr's probe starts at in a shard of cap slots. */
static size_t
home_in(uintptr_t ptr, size_t cap)
{
	struct blk_shard	s = { .cap = cap };

	return blk_home(&s, blk_hash(ptr));
}

/* n new 16-aligned pointers of shard k whose home in a cap-slot shard is home. */
static void
craft(unsigned k, size_t cap, size_t home, uintptr_t *out, size_t n)
{
	size_t	i;

	for (i = 0; i < n; craft_cursor += 16) {
		if (shard_index(craft_cursor) == k &&
		    (cap == 0 || home_in(craft_cursor, cap) == home))
			out[i++] = craft_cursor;
	}
}

/* Where ptr sits in its shard, or NO_SLOT. */
static size_t
slot_of(uintptr_t ptr)
{
	uint64_t		 h = blk_hash(ptr);
	const struct blk_shard	*s = blk_shard_of(h);
	size_t			 i;

	if (s->cap == 0)
		return NO_SLOT;
	i = blk_find(s, ptr, h);
	return s->keys[i] == ptr ? i : NO_SLOT;
}

/* Data that differs from pointer to pointer and uses all 22 + 10 bits. */
static uint32_t
anchor_for(uintptr_t ptr, unsigned salt)
{
	return (uint32_t)((ptr >> 4) * 2654435761u + salt) & BLK_ANCHOR_MASK;
}

static uint32_t
flags_for(uintptr_t ptr, unsigned salt)
{
	return (uint32_t)((ptr >> 4) + salt * 7) & (BLK_TAIL_MASK | BLK_FLAG_REPORTED);
}

static void
model_init(struct model *m, const uintptr_t *ptrs, size_t n)
{
	size_t	i, j;

	memset(m, 0, sizeof *m);
	m->ptr = xcalloc(n, sizeof *m->ptr);
	memcpy(m->ptr, ptrs, n * sizeof *ptrs);
	qsort(m->ptr, n, sizeof *m->ptr, cmp_ptr);
	for (i = j = 0; i < n; i++) {
		if (m->ptr[i] != 0 && (j == 0 || m->ptr[j - 1] != m->ptr[i]))
			m->ptr[j++] = m->ptr[i];
	}
	m->n = j;
	m->anchor = xcalloc(m->n, sizeof *m->anchor);
	m->flags = xcalloc(m->n, sizeof *m->flags);
	m->present = xcalloc(m->n, sizeof *m->present);
	m->seen = xcalloc(m->n, sizeof *m->seen);
}

static void
model_free(struct model *m)
{
	free(m->ptr);
	free(m->anchor);
	free(m->flags);
	free(m->present);
	free(m->seen);
}

/* Index of ptr in the model, or NO_SLOT. */
static size_t
model_index(const struct model *m, uintptr_t ptr)
{
	const uintptr_t	*p;

	p = bsearch(&ptr, m->ptr, m->n, sizeof *m->ptr, cmp_ptr);
	return p != NULL ? (size_t)(p - m->ptr) : NO_SLOT;
}

/* blk_insert on the model's pointer i, checking what the table answers. */
static void
model_insert(struct model *m, size_t i, uint32_t anchor, uint32_t flags)
{
	struct blk_entry	old = { 0 };
	int			rc;

	rc = blk_insert(m->ptr[i], anchor, flags, &old);
	TEST_EQ(rc, m->present[i]);
	if (m->present[i]) {
		TEST_EQ(old.ptr, m->ptr[i]);
		TEST_EQ(old.anchor, m->anchor[i]);
		TEST_EQ(old.flags, m->flags[i]);
	} else {
		m->present[i] = 1;
		m->live++;
	}
	m->anchor[i] = anchor;
	m->flags[i] = flags;
}

/* blk_remove on the model's pointer i, checking what the table answers. */
static void
model_remove(struct model *m, size_t i)
{
	struct blk_entry	out = { 0 };
	int			rc;

	rc = blk_remove(m->ptr[i], &out);
	TEST_EQ(rc, m->present[i]);
	if (m->present[i]) {
		TEST_EQ(out.ptr, m->ptr[i]);
		TEST_EQ(out.anchor, m->anchor[i]);
		TEST_EQ(out.flags, m->flags[i]);
		m->present[i] = 0;
		m->live--;
	}
}

/* Removes the model's pointer i if live, else inserts it with data drawn from bits. */
static void
model_toggle(struct model *m, size_t i, uint32_t bits)
{
	if (m->present[i])
		model_remove(m, i);
	else
		model_insert(m, i, bits & BLK_ANCHOR_MASK, (bits >> 22) & 0x3ff);
}

/* Inserts every pointer of the model, in the model's order. */
static void
model_insert_all(struct model *m, unsigned salt)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		model_insert(m, i, anchor_for(m->ptr[i], salt), flags_for(m->ptr[i], salt));
}

/*
 * Every shard: used counts its full slots, stays within 4/5 of cap, and
 * each key lies in its own shard with no empty slot between its home and
 * itself (otherwise a lookup stops short of it).
 */
static void
check_tables(void)
{
	const struct blk_shard	*s;
	size_t			 i, j, full;
	unsigned		 k;

	for (k = 0; k < BLK_SHARDS; k++) {
		s = &blk_shards[k];
		full = 0;
		for (j = 0; j < s->cap; j++) {
			if (s->keys[j] == 0)
				continue;
			full++;
			TEST_EQ(shard_index(s->keys[j]), k);
			for (i = blk_home(s, blk_hash(s->keys[j])); i != j; i = blk_next(s, i)) {
				if (s->keys[i] == 0) {
					/* A lookup of keys[j] stops at this gap. */
					TEST_EQ(s->keys[i], s->keys[j]);
					break;
				}
			}
		}
		TEST_EQ(s->used, full);
		TEST_CHECK(s->used * BLK_LOAD_DEN <= s->cap * BLK_LOAD_NUM);
	}
}

static void
count_visit(struct blk_entry *e, void *arg)
{
	struct model	*m = arg;
	size_t		 i = model_index(m, e->ptr);

	TEST_CHECK(i != NO_SLOT);
	if (i == NO_SLOT)
		return;
	TEST_EQ(m->present[i], 1);
	TEST_EQ(e->anchor, m->anchor[i]);
	TEST_EQ(e->flags, m->flags[i]);
	m->seen[i]++;
}

/* The table holds exactly the model: lookups, blk_live, the slots, one visit each. */
static void
model_verify(struct model *m)
{
	struct blk_entry	e;
	size_t			i;

	for (i = 0; i < m->n; i++) {
		memset(&e, 0, sizeof e);
		TEST_EQ(blk_lookup(m->ptr[i], &e), m->present[i]);
		if (m->present[i]) {
			TEST_EQ(e.ptr, m->ptr[i]);
			TEST_EQ(e.anchor, m->anchor[i]);
			TEST_EQ(e.flags, m->flags[i]);
		}
	}
	TEST_EQ(blk_live(), m->live);
	check_tables();
	memset(m->seen, 0, m->n * sizeof *m->seen);
	blk_foreach(count_visit, m);
	for (i = 0; i < m->n; i++)
		TEST_EQ(m->seen[i], m->present[i]);
}

/* An empty table answers "not traced" everywhere and allows a clear. */
static void
test_empty(void)
{
	struct blk_entry	e;

	blk_clear();
	TEST_EQ(blk_live(), 0);
	TEST_EQ(blk_maybe_traced(), 0);
	TEST_EQ(blk_lookup(0x1000, &e), 0);
	TEST_EQ(blk_remove(0x1000, &e), 0);
	blk_clear();
	TEST_EQ(blk_live(), 0);
}

/* Many pointers in and out, duplicates, and the widest anchor and flags. */
static void
test_basic(void)
{
	struct blk_entry	e = { 0 };
	struct model		m;
	uintptr_t		ptrs[3000];
	uint64_t		rng = 1;
	size_t			i;

	blk_clear();
	for (i = 0; i < 3000; i++)
		ptrs[i] = (uintptr_t)(unit_random(&rng) & 0x7ffffffffff0ull) | 0x10;
	model_init(&m, ptrs, 3000);
	model_insert_all(&m, 1);
	TEST_EQ(blk_maybe_traced(), 1);
	model_verify(&m);
	/* A pointer inserted again (freed behind our back) hands back its old entry. */
	for (i = 0; i < m.n; i += 3)
		model_insert(&m, i, anchor_for(m.ptr[i], 2), flags_for(m.ptr[i], 2));
	model_verify(&m);
	model_insert(&m, 0, BLK_ANCHOR_MASK, BLK_TAIL_MASK | BLK_FLAG_REPORTED);
	model_insert(&m, 1, BLK_ANCHOR_MASK, 0);
	model_insert(&m, 2, 0, BLK_TAIL_MASK | BLK_FLAG_REPORTED);
	model_verify(&m);
	for (i = 0; i < m.n; i += 2)
		model_remove(&m, i);
	model_verify(&m);
	for (i = 0; i < m.n; i++)
		model_remove(&m, i);	/* half of them are gone already */
	model_verify(&m);
	TEST_EQ(blk_remove(m.ptr[5], &e), 0);
	model_free(&m);
}

/*
 * One probe chain in the middle of a shard, deleted from the middle and the
 * head.  p0..p5 share home H, q's home is H+2 (it lands at H+6), r's is H+7.
 * Removing p2 must shift p3..p5 and q back one slot each but leave r at its
 * home: clearing the slot alone loses p3..p5 and q, shifting r too loses r.
 */
static void
test_chain_middle(void)
{
	const size_t	H = 100;
	uintptr_t	p[6], q, r, all[8];
	struct model	m;
	size_t		i;

	blk_clear();
	craft(7, BLK_MIN_CAP, H, p, 6);
	craft(7, BLK_MIN_CAP, H + 2, &q, 1);
	craft(7, BLK_MIN_CAP, H + 7, &r, 1);
	memcpy(all, p, sizeof p);
	all[6] = q;
	all[7] = r;
	model_init(&m, all, 8);
	for (i = 0; i < 8; i++)
		model_insert(&m, model_index(&m, all[i]), 1000 + (uint32_t)i, (uint32_t)i);
	TEST_EQ(blk_shards[7].cap, BLK_MIN_CAP);
	for (i = 0; i < 6; i++)
		TEST_EQ(slot_of(p[i]), H + i);
	TEST_EQ(slot_of(q), H + 6);
	TEST_EQ(slot_of(r), H + 7);
	model_verify(&m);

	model_remove(&m, model_index(&m, p[2]));
	model_verify(&m);
	TEST_EQ(slot_of(p[1]), H + 1);
	TEST_EQ(slot_of(p[3]), H + 2);
	TEST_EQ(slot_of(p[5]), H + 4);
	TEST_EQ(slot_of(q), H + 5);
	TEST_EQ(blk_shards[7].keys[H + 6], 0);
	TEST_EQ(slot_of(r), H + 7);

	model_remove(&m, model_index(&m, p[0]));
	model_verify(&m);
	TEST_EQ(slot_of(p[1]), H);
	TEST_EQ(slot_of(q), H + 4);
	/* The rest in a scrambled order, checking everything after each. */
	for (i = 0; i < 8; i++) {
		model_remove(&m, model_index(&m, all[(i * 5 + 3) % 8]));
		model_verify(&m);
	}
	TEST_EQ(blk_live(), 0);
	model_free(&m);
}

/*
 * Chains that wrap past the end of a shard's array.  a0..a3 share home
 * cap-2 (slots cap-2, cap-1, 0, 1), e's home is 0 (slot 2): deleting a0 and
 * then a2 must shift across the end.  Then b's home is cap-1 and c0, c1's
 * is 0: deleting b leaves a hole at cap-1 that c0 and c1 must NOT move into
 * (their home lies between the hole and themselves, past the wrap).
 */
static void
test_wrap(void)
{
	const size_t	C = BLK_MIN_CAP;
	uintptr_t	a[4], e, b, c[2], all[5];
	struct model	m;
	size_t		i;

	blk_clear();
	craft(11, C, C - 2, a, 4);
	craft(11, C, 0, &e, 1);
	memcpy(all, a, sizeof a);
	all[4] = e;
	model_init(&m, all, 5);
	for (i = 0; i < 5; i++)
		model_insert(&m, model_index(&m, all[i]), 77, (uint32_t)i);
	TEST_EQ(slot_of(a[0]), C - 2);
	TEST_EQ(slot_of(a[1]), C - 1);
	TEST_EQ(slot_of(a[2]), 0);
	TEST_EQ(slot_of(a[3]), 1);
	TEST_EQ(slot_of(e), 2);
	model_verify(&m);
	model_remove(&m, model_index(&m, a[0]));
	model_verify(&m);
	TEST_EQ(slot_of(a[1]), C - 2);
	TEST_EQ(slot_of(a[2]), C - 1);
	TEST_EQ(slot_of(a[3]), 0);
	TEST_EQ(slot_of(e), 1);
	model_remove(&m, model_index(&m, a[2]));
	model_verify(&m);
	TEST_EQ(slot_of(a[3]), C - 1);
	TEST_EQ(slot_of(e), 0);
	model_free(&m);

	blk_clear();
	craft(11, C, C - 1, &b, 1);
	craft(11, C, 0, c, 2);
	all[0] = b;
	all[1] = c[0];
	all[2] = c[1];
	model_init(&m, all, 3);
	for (i = 0; i < 3; i++)
		model_insert(&m, model_index(&m, all[i]), 5, 5);
	TEST_EQ(slot_of(b), C - 1);
	TEST_EQ(slot_of(c[0]), 0);
	TEST_EQ(slot_of(c[1]), 1);
	model_remove(&m, model_index(&m, b));
	model_verify(&m);
	TEST_EQ(slot_of(c[0]), 0);
	TEST_EQ(slot_of(c[1]), 1);
	TEST_EQ(blk_shards[11].keys[C - 1], 0);
	model_free(&m);
}

/* Pointers that differ only below 16 bytes hash alike: one home, one chain. */
static void
test_low_bits(void)
{
	uintptr_t	ptrs[16];
	struct model	m;
	size_t		i;

	blk_clear();
	for (i = 0; i < 16; i++)
		ptrs[i] = 0x7f0000001230ull + i;
	model_init(&m, ptrs, 16);
	model_insert_all(&m, 3);
	for (i = 1; i < 16; i++)
		TEST_EQ(slot_of(ptrs[i]), blk_next(blk_shard_of(blk_hash(ptrs[0])), slot_of(ptrs[i - 1])));
	model_verify(&m);
	for (i = 0; i < 16; i += 3)
		model_remove(&m, i);
	model_verify(&m);
	model_free(&m);
}

/* The smallest capacity of 512, 768, 1152, ... that holds n at 4/5 full. */
static size_t
cap_for(size_t n)
{
	size_t	cap = BLK_MIN_CAP;

	while (n * 5 > cap * 4)
		cap += cap / 2;
	return cap;
}

static size_t
pages(size_t len)
{
	size_t	page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

/*
 * One shard filled past three thresholds: it grows by half exactly when an
 * insert would pass 4/5 full (409 of 512 fit, the 410th grows it to 768),
 * every entry keeps its anchor and flags across each move, no other shard
 * changes, and the agent holds one table of 12-byte slots, the old released.
 */
static void
test_growth(void)
{
	enum { N = 1000 };
	uintptr_t	ptrs[N];
	struct model	m;
	size_t		i, base, prev = 0;
	unsigned	k;

	blk_clear();
	base = arena_bytes();
	craft(21, 0, 0, ptrs, N);
	model_init(&m, ptrs, N);
	for (i = 0; i < N; i++) {
		model_insert(&m, model_index(&m, ptrs[i]),
		    anchor_for(ptrs[i], 4), flags_for(ptrs[i], 4));
		TEST_EQ(blk_shards[21].cap, cap_for(i + 1));
		if (blk_shards[21].cap != prev)
			model_verify(&m);	/* right after each growth */
		prev = blk_shards[21].cap;
		TEST_EQ(arena_bytes() - base, pages(prev * SLOT_BYTES));
	}
	TEST_EQ(cap_for(409), 512);
	TEST_EQ(cap_for(410), 768);
	TEST_EQ(prev, 1728);
	for (k = 0; k < BLK_SHARDS; k++) {
		if (k != 21)
			TEST_EQ(blk_shards[k].cap, 0);
	}
	model_verify(&m);
	blk_clear();
	TEST_EQ(arena_bytes(), base);
	model_free(&m);
}

static void
mark_visit(struct blk_entry *e, void *arg)
{
	struct model	*m = arg;
	size_t		 i = model_index(m, e->ptr);

	m->seen[i]++;
	e->flags |= BLK_FLAG_REPORTED;
}

/* blk_foreach visits each live block once and keeps the flags a visitor sets. */
static void
test_foreach(void)
{
	uintptr_t	ptrs[5000];
	uint64_t	rng = 2;
	struct model	m;
	size_t		i;

	blk_clear();
	for (i = 0; i < 5000; i++)
		ptrs[i] = (uintptr_t)(unit_random(&rng) & 0xfffffff0ull) | 0x100000000ull;
	model_init(&m, ptrs, 5000);
	for (i = 0; i < m.n; i++)
		model_insert(&m, i, anchor_for(m.ptr[i], 5), flags_for(m.ptr[i], 5) & BLK_TAIL_MASK);
	for (i = 0; i < m.n; i += 4)
		model_remove(&m, i);
	model_verify(&m);
	blk_foreach(mark_visit, &m);
	for (i = 0; i < m.n; i++) {
		if (m.present[i])
			m.flags[i] |= BLK_FLAG_REPORTED;
	}
	model_verify(&m);	/* also counts the visits of a plain walk */
	model_free(&m);
}

/* blk_clear forgets every block and the table works again afterwards. */
static void
test_clear(void)
{
	uintptr_t	ptrs[2000];
	uint64_t	rng = 3;
	struct model	m;
	size_t		i;
	unsigned	k;

	blk_clear();
	for (i = 0; i < 2000; i++)
		ptrs[i] = (uintptr_t)(unit_random(&rng) & 0x7ffffffffff0ull) | 0x10;
	model_init(&m, ptrs, 2000);
	model_insert_all(&m, 6);
	model_verify(&m);
	blk_clear();
	TEST_EQ(blk_maybe_traced(), 0);
	for (k = 0; k < BLK_SHARDS; k++) {
		TEST_EQ(blk_shards[k].cap, 0);
		TEST_EQ(blk_shards[k].used, 0);
		TEST_CHECK(blk_shards[k].keys == NULL);
	}
	memset(m.present, 0, m.n);
	m.live = 0;
	model_verify(&m);
	model_insert_all(&m, 7);
	model_verify(&m);
	model_free(&m);
}

/*
 * A long pseudo-random sequence against the model: a crowded shard that
 * grows eight times, pairs of pointers 8 bytes apart (one hash, so always
 * one chain), and pointers spread everywhere; a phase that fills, one that
 * drains, one that churns, with everything checked every 20000 steps.
 */
static void
test_random(void)
{
	enum { CROWD = 8000, PAIRS = 2000, SPREAD = 12000, STEPS = 600000 };
	uintptr_t	*ptrs = xcalloc(CROWD + 2 * PAIRS + SPREAD, sizeof *ptrs);
	uint64_t	 rng = 0x6a686f6f6bull, r;
	struct model	 m;
	size_t		 i, n = 0, step;
	unsigned long	 failed = unit_failed;
	unsigned	 add;

	blk_clear();
	craft(3, 0, 0, ptrs, CROWD);
	n = CROWD;
	for (i = 0; i < PAIRS; i++) {
		ptrs[n] = (uintptr_t)(unit_random(&rng) & 0x7ffffffffff0ull) | 0x10;
		ptrs[n + 1] = ptrs[n] + 8;
		n += 2;
	}
	for (i = 0; i < SPREAD; i++)
		ptrs[n++] = (uintptr_t)(unit_random(&rng) & 0x7ffffffffff0ull) | 0x10;
	model_init(&m, ptrs, n);
	free(ptrs);
	for (step = 0; step < STEPS; step++) {
		/* Out of 16: inserts of an absent pointer, keeps of a live one. */
		add = step < STEPS / 3 ? 14 : step < 2 * STEPS / 3 ? 3 : 8;
		r = unit_random(&rng);
		i = (size_t)(r % m.n);
		r >>= 32;
		if (m.present[i] ? (r & 15) >= add : (r & 15) < add)
			model_toggle(&m, i, (uint32_t)(r >> 4));
		else if (m.present[i])	/* again: hands back the old entry */
			model_insert(&m, i, (uint32_t)(r >> 5) & BLK_ANCHOR_MASK, 1);
		else			/* a miss */
			model_remove(&m, i);
		if (step % 20000 == 19999)
			model_verify(&m);
		if (unit_failed - failed > UNIT_SHOWN) {
			fprintf(stderr, "test_random: stopped at step %zu\n", step);
			break;
		}
	}
	TEST_CHECK(blk_shards[3].cap >= cap_for(CROWD * 3 / 4));
	model_verify(&m);
	model_free(&m);
	blk_clear();
}

int
main(void)
{
	TEST_RUN(test_empty);
	TEST_RUN(test_basic);
	TEST_RUN(test_chain_middle);
	TEST_RUN(test_wrap);
	TEST_RUN(test_low_bits);
	TEST_RUN(test_growth);
	TEST_RUN(test_foreach);
	TEST_RUN(test_clear);
	TEST_RUN(test_random);
	return unit_finish("block");
}
