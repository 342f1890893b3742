/*
 * history.c - processes, anchors and their samples, kept in memory within
 * the configured budget (budget.c) and mirrored in the history file
 * (journal.c, store.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "jhookd.h"
#include "history-int.h"

static struct {
	struct hst_proc	*procs;		/* newest first */
	unsigned	 nprocs;
	uint64_t	 dropped_by_age;
} hst;

/* --------------------------------------------------------------- strings */

static char *
hst_strdup(struct hst_proc *p, const char *s)
{
	char *d = s != NULL ? strdup(s) : NULL, *c;

	if (d == NULL)
		return NULL;
	/*
	 * Names come from agents (a program can be called anything): control
	 * bytes never reach the log, the page or a metric's label.
	 */
	for (c = d; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	hst_note(p, d, 1);
	return d;
}

/* 1 when kept (cleaned by hst_strdup) is what raw becomes once cleaned. */
static int
hst_same_name(const char *kept, const char *raw)
{
	if (kept == NULL)
		return 0;
	for (; *kept != '\0' && *raw != '\0'; kept++, raw++)
		if (*kept != *raw && !(*kept == '?' &&
		    ((unsigned char)*raw < 0x20 || *raw == 0x7f)))
			return 0;
	return *kept == *raw;
}

static void
hst_free_str(struct hst_proc *p, char *s)
{
	if (s != NULL)
		hst_note(p, s, -1);
	free(s);
}

void
hst_set_exe(struct hst_proc *p, const char *exe)
{
	hst_free_str(p, p->exe);
	p->exe = hst_strdup(p, exe);
}

/* ----------------------------------------------------------------- rings */

struct ser_view
hst_view(const struct hst_ring *r)
{
	return (struct ser_view){ r->s, r->cap, r->cap ? (r->head + r->cap - r->n) % r->cap : 0, r->n };
}

/*
 * Moves a ring of process p to ncap slots (oldest first), keeping its
 * newest samples; the samples dropped, or -1 when out of memory.
 */
int
hst_resize(struct hst_proc *p, struct hst_ring *r, uint32_t ncap)
{
	uint32_t keep = r->n < ncap ? r->n : ncap, i;
	struct ser_sample *ns;
	int dropped = (int)(r->n - keep);

	if (ncap == r->cap)
		return 0;
	if ((ns = malloc(ncap * sizeof *ns)) == NULL)
		return -1;
	for (i = 0; i < keep; i++)
		ns[i] = *hst_at(r, r->n - keep + i);
	if (r->s != NULL)
		hst_note(p, r->s, -1);
	free(r->s);
	hst_note(p, ns, 1);
	r->s = ns;
	r->cap = ncap;
	r->n = keep;
	r->head = keep % ncap;
	return dropped;
}

void
hst_push(struct hst_proc *p, struct hst_ring *r, double t, uint64_t a, uint64_t b)
{
	uint32_t want = hst_want(), ncap;

	if (r->n == r->cap && r->cap < want) {
		/* Grow (oldest first into the new array) instead of overwriting. */
		ncap = r->cap == 0 ? 16 : r->cap * 2;
		if (ncap > want)
			ncap = want;
		hst_resize(p, r, ncap);
	}
	if (r->cap == 0)
		return;
	r->s[r->head] = (struct ser_sample){ t, a, b };
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

/* Drops the oldest samples until none is older than limit, or keep remain. */
static unsigned
hst_trim(struct hst_ring *r, double limit, uint32_t keep)
{
	unsigned dropped = 0;

	while (r->n > keep && hst_at(r, 0)->t < limit) {
		r->n--;
		dropped++;
	}
	return dropped;
}

/* ------------------------------------------------------------ processes */

static unsigned
hst_bucket(const char *id)
{
	return (unsigned)strtoul(id + HST_ID_LEN - 2, NULL, 16) % HST_BUCKETS;
}

struct hst_proc *
HST_Processes(void)
{
	return hst.procs;
}

struct hst_proc *
HST_Find(long pid, unsigned long long start)
{
	struct hst_proc *p;

	for (p = hst.procs; p != NULL; p = p->next)
		if (p->pid == pid && p->start == start)
			return p;
	return NULL;
}

struct hst_proc *
HST_FindPid(long pid)
{
	struct hst_proc *p, *best = NULL;

	for (p = hst.procs; p != NULL; p = p->next) {
		if (p->pid != pid)
			continue;
		if (best == NULL || (best->state == HST_ENDED && p->state != HST_ENDED))
			best = p;
	}
	return best;
}

struct hst_anchor_priv *
hst_find_anchor(const struct hst_proc *p, const char *id)
{
	struct hst_anchor_priv *a;

	if (strlen(id) != HST_ID_LEN)
		return NULL;
	for (a = hst_pp(p)->buckets[hst_bucket(id)]; a != NULL; a = a->next)
		if (strcmp(a->pub.id, id) == 0)
			return a;
	return NULL;
}

const struct hst_anchor *
HST_FindAnchor(const struct hst_proc *p, const char *id)
{
	struct hst_anchor_priv *a = hst_find_anchor(p, id);

	return a != NULL ? &a->pub : NULL;
}

const struct hst_anchor *
HST_Anchors(const struct hst_proc *p)
{
	struct hst_anchor_priv *a = hst_pp(p)->anchors;

	return a != NULL ? &a->pub : NULL;
}

const struct hst_anchor *
HST_NextAnchor(const struct hst_anchor *a)
{
	struct hst_anchor_priv *n = hst_ap(a)->all;

	return n != NULL ? &n->pub : NULL;
}

struct ser_view
HST_Series(const struct hst_proc *p)
{
	return hst_view(&hst_pp(p)->ring);
}

struct ser_view
HST_AnchorSeries(const struct hst_anchor *a)
{
	return hst_view(&hst_ap(a)->ring);
}

static void
hst_free_proc(struct hst_proc *p)
{
	struct hst_anchor_priv *a, *n;

	hst_forget(p);
	for (a = hst_pp(p)->anchors; a != NULL; a = n) {
		n = a->all;
		free(a->frames);
		free(a->pub.function);
		free(a->ring.s);
		free(a);
	}
	free(hst_pp(p)->ring.s);
	free(hst_pp(p)->links);
	free(p->exe);
	free(hst_pp(p));
}

/* Unlinks the process *pp points to and frees it. */
static void
hst_unlink(struct hst_proc **pp)
{
	struct hst_proc *p = *pp;

	*pp = p->next;
	hst_free_proc(p);
	hst.nprocs--;
}

void
hst_remove(struct hst_proc *p)
{
	struct hst_proc **pp;

	for (pp = &hst.procs; *pp != p; pp = &(*pp)->next)
		;
	hst_unlink(pp);
}

struct hst_proc *
hst_new_proc(long pid, unsigned long long start, double t)
{
	struct hst_proc_priv *pp = calloc(1, sizeof *pp);
	struct hst_proc *p;

	if (pp == NULL)
		return NULL;
	p = &pp->pub;
	hst_note(p, pp, 1);
	p->pid = pid;
	p->start = start;
	p->first = t;
	p->state = HST_LIVE;
	p->next = hst.procs;
	hst.procs = p;
	hst.nprocs++;
	return p;
}

struct hst_proc *
HST_Seen(long pid, unsigned long long start, double now)
{
	struct hst_proc *p = HST_Find(pid, start);

	if (p != NULL)
		return p;
	if ((p = hst_new_proc(pid, start, now)) == NULL)
		return NULL;
	LOG_Info("process %ld found", pid);
	hst_write_proc(p, now, NULL);
	hst_budget(0);
	return p;
}

void
HST_SetState(struct hst_proc *p, enum hst_state st, double now, const char *why)
{
	if (why != NULL)
		snprintf(p->error, sizeof p->error, "%s", why);
	if (p->state == st || p->state == HST_ENDED)
		return;
	p->state = st;
	if (st != HST_ENDED)
		return;
	p->ended = now;
	LOG_Info("process %ld (%s) ended", p->pid, p->exe ? p->exe : "?");
	hst_write_end(p);
	STO_Commit();
}

/* -------------------------------------------------------------- anchors */

const char *
hst_str(json_object *o, const char *key)
{
	return pj_str_or(o, key, NULL);
}

int
hst_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static uint64_t
hst_fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL;	/* the terminator separates fields */
}

/* The stable id: size and every frame as (module file name, offset). */
static void
hst_anchor_id(uint64_t size, json_object *frames, char id[HST_ID_LEN + 1])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *mod, *slash, *off;
	char num[32];
	size_t i, n = frames ? json_object_array_length(frames) : 0;

	snprintf(num, sizeof num, "%llu", (unsigned long long)size);
	h = hst_fnv(h, num);
	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(frames, i);

		mod = hst_str(f, "module");
		off = hst_str(f, "offset");
		if (mod == NULL || *mod == '\0')
			mod = hst_str(f, "addr");	/* no module: only the address is left */
		slash = mod ? strrchr(mod, '/') : NULL;
		h = hst_fnv(h, slash ? slash + 1 : mod ? mod : "");
		h = hst_fnv(h, off ? off : "");
	}
	snprintf(id, HST_ID_LEN + 1, "%016llx", (unsigned long long)h);
}

struct hst_anchor_priv *
hst_new_anchor(struct hst_proc *p, const char *id, uint64_t size, json_object *frames)
{
	struct hst_proc_priv *pp = hst_pp(p);
	struct hst_anchor_priv *a;
	const char *fn;
	size_t i, n;

	if (p->nanchors >= (unsigned)CNF_Get()->max_anchors) {
		p->dropped++;
		return NULL;
	}
	if ((a = calloc(1, sizeof *a)) == NULL)
		return NULL;
	hst_note(p, a, 1);
	memcpy(a->pub.id, id, HST_ID_LEN + 1);
	a->pub.size = size;
	/* As text: a parsed tree of frames takes several times more memory. */
	if (frames != NULL)
		a->frames = hst_strdup(p, json_object_to_json_string_ext(frames,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	n = frames && json_object_is_type(frames, json_type_array) ?
	    json_object_array_length(frames) : 0;
	for (i = 0; i < n && a->pub.function == NULL; i++)
		if ((fn = hst_str(json_object_array_get_idx(frames, i), "function")) != NULL)
			a->pub.function = hst_strdup(p, fn);
	a->next = pp->buckets[hst_bucket(id)];
	pp->buckets[hst_bucket(id)] = a;
	a->all = pp->anchors;
	pp->anchors = a;
	p->nanchors++;
	return a;
}

/* The trend of an anchor after a new sample. */
void
hst_evaluate(struct hst_anchor_priv *a)
{
	struct ser_view v = hst_view(&a->ring);

	TRD_Evaluate(&a->pub.trend, &v);
}

/* The trend of every anchor after a new sample; counts the suspects. */
static void
hst_evaluate_all(struct hst_proc *p)
{
	struct hst_anchor_priv *a;
	unsigned n = 0;

	for (a = hst_pp(p)->anchors; a != NULL; a = a->all) {
		hst_evaluate(a);
		n += a->pub.trend.suspect;
	}
	p->nsuspects = n;
}

/* After the anchors' samples of a poll: the process's, and the verdicts. */
void
hst_polled(struct hst_proc *p, double t, uint64_t total, uint64_t peak, uint64_t n)
{
	hst_push(p, &hst_pp(p)->ring, t, total, peak);
	p->anchors_seen = n;
	p->last = t;
	p->polls++;
	hst_evaluate_all(p);
}

/* ------------------------------------------------------ incremental polls */

static uint32_t
hst_link_slot(const struct hst_proc_priv *pp, uint32_t key)
{
	uint32_t i = (key * 0x9e3779b1u) & (pp->linkcap - 1);

	while (pp->links[i].key != 0 && pp->links[i].key != key)
		i = (i + 1) & (pp->linkcap - 1);
	return i;
}

/* The link of the agent's anchor id, or NULL when it never sent its frames. */
static struct hst_link *
hst_link_find(const struct hst_proc_priv *pp, int64_t id)
{
	struct hst_link *l;

	if (pp->linkcap == 0 || id < 0 || id >= UINT32_MAX)
		return NULL;
	l = &pp->links[hst_link_slot(pp, (uint32_t)id + 1)];
	return l->key != 0 ? l : NULL;
}

/* Forgets every link: a new image of the process, or a resync. */
static void
hst_links_clear(struct hst_proc *p)
{
	struct hst_proc_priv *pp = hst_pp(p);

	if (pp->links != NULL)
		hst_note(p, pp->links, -1);
	free(pp->links);
	pp->links = NULL;
	pp->nlinks = pp->linkcap = 0;
	pp->frames_from = 0;
}

/* Links the agent's anchor id to a (NULL: dropped); -1 when out of memory. */
static int
hst_link_add(struct hst_proc *p, int64_t id, struct hst_anchor_priv *a)
{
	struct hst_proc_priv *pp = hst_pp(p);
	struct hst_link *l, *old = pp->links;
	uint32_t i, oldcap = pp->linkcap;

	if (id < 0 || id >= UINT32_MAX)
		return -1;
	if ((l = hst_link_find(pp, id)) != NULL) {
		l->a = a;
		return 0;
	}
	if (2 * (pp->nlinks + 1) > pp->linkcap) {
		uint32_t cap = oldcap > 0 ? 2 * oldcap : 64;

		if ((pp->links = calloc(cap, sizeof *pp->links)) == NULL) {
			pp->links = old;
			return -1;
		}
		pp->linkcap = cap;
		for (i = 0; i < oldcap; i++)
			if (old[i].key != 0)
				pp->links[hst_link_slot(pp, old[i].key)] = old[i];
		hst_note(p, pp->links, 1);
		if (old != NULL)
			hst_note(p, old, -1);
		free(old);
	}
	l = &pp->links[hst_link_slot(pp, (uint32_t)id + 1)];
	l->key = (uint32_t)id + 1;
	l->a = a;
	pp->nlinks++;
	return 0;
}

uint32_t
HST_FramesFrom(const struct hst_proc *p)
{
	return p != NULL ? hst_pp(p)->frames_from : 0;
}

/*
 * Whether every anchor the answer names by id alone is known, for the
 * image it comes from; when not, forgets the links so the next poll asks
 * for every frame.
 */
static int
hst_links_usable(struct hst_proc *p, json_object *leak, json_object *anchors,
    char *cause, size_t len)
{
	struct hst_proc_priv *pp = hst_pp(p);
	const char *inst = hst_str(leak, "instance");
	json_object *j, *frames;
	int64_t id;
	size_t i, n = json_object_array_length(anchors);

	if (inst == NULL)
		inst = "";
	if (strcmp(inst, pp->instance) != 0) {
		hst_links_clear(p);
		snprintf(pp->instance, sizeof pp->instance, "%s", inst);
	}
	for (i = 0; i < n; i++) {
		j = json_object_array_get_idx(anchors, i);
		if (json_object_object_get_ex(j, "frames", &frames))
			continue;
		if (hst_int(j, "id", &id) != 0 || hst_link_find(pp, id) == NULL) {
			hst_links_clear(p);
			snprintf(cause, len, "anchor %lld came without frames and is not "
			    "known: every frame is asked for again", (long long)id);
			return 0;
		}
	}
	return 1;
}

int
HST_Record(struct hst_proc *p, json_object *leak, double t, char *cause, size_t len)
{
	json_object *anchors, *changes, *frames;
	int64_t size, alloc, fr, aid, total = 0, peak = 0, next;
	int unlinked = 0;	/* a link could not be kept: every frame next time */
	struct hst_anchor_priv *a;
	struct hst_link *l;
	const char *exe;
	char id[HST_ID_LEN + 1];
	size_t i, n;

	/* Checked whole before any of it is used: a bad answer changes nothing. */
	if (proto_leak_check(leak, p->pid, cause, len) != 0 ||
	    !json_object_object_get_ex(leak, "anchors", &anchors))
		return -1;
	if (!hst_links_usable(p, leak, anchors, cause, len))
		return 1;
	if ((exe = hst_str(leak, "exe")) != NULL && !hst_same_name(p->exe, exe)) {
		hst_set_exe(p, exe);
		hst_write_proc(p, p->first, p->exe);
	}
	hst_int(leak, "total_bytes", &total);
	hst_int(leak, "peak_bytes", &peak);
	n = json_object_array_length(anchors);
	/* An anchor absent from the answer (a new generation) is at zero. */
	for (a = hst_pp(p)->anchors; a != NULL; a = a->all)
		a->new_a = a->new_b = 0;
	for (i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(anchors, i);

		if (hst_int(j, "id", &aid) || hst_int(j, "size", &size) ||
		    hst_int(j, "alloc", &alloc) || hst_int(j, "free", &fr))
			continue;
		if (!json_object_object_get_ex(j, "frames", &frames)) {
			/* Known by id (hst_links_usable): counts only. */
			if ((l = hst_link_find(hst_pp(p), aid)) == NULL || (a = l->a) == NULL)
				continue;
		} else {
			hst_anchor_id((uint64_t)size, frames, id);
			if ((a = hst_find_anchor(p, id)) == NULL &&
			    (a = hst_new_anchor(p, id, (uint64_t)size, frames)) != NULL)
				hst_write_anchor(p, a);
			if (hst_link_add(p, aid, a) != 0)
				unlinked = 1;
			if (a == NULL)
				continue;
		}
		/* Two agent anchors with one stable id (same frames) are summed. */
		a->new_a += (uint64_t)alloc;
		a->new_b += (uint64_t)fr;
	}
	changes = json_object_new_array();
	for (a = hst_pp(p)->anchors; a != NULL; a = a->all) {
		hst_poll_change(changes, a);	/* before its new sample is in */
		hst_push(p, &a->ring, t, a->new_a, a->new_b);
	}
	hst_polled(p, t, (uint64_t)total, (uint64_t)peak, n);
	/* Every anchor below next_frames_from that can show again was in this answer. */
	if (!unlinked && hst_int(leak, "next_frames_from", &next) == 0 && next >= 0 &&
	    next <= INT32_MAX)
		hst_pp(p)->frames_from = (uint32_t)next;
	else
		hst_pp(p)->frames_from = 0;
	hst_budget(0);
	hst_write_poll(p, t, total, peak, n, changes);
	STO_Commit();
	return 0;
}

/* ------------------------------------------------------------- retention */

/* Halves every series, for a file that is still too large. */
void
hst_halve(void)
{
	struct hst_proc *p;
	struct hst_anchor_priv *a;

	for (p = hst.procs; p != NULL; p = p->next) {
		hst_pp(p)->ring.n -= hst_pp(p)->ring.n / 2;
		for (a = hst_pp(p)->anchors; a != NULL; a = a->all)
			a->ring.n -= a->ring.n / 2;
	}
}

void
HST_Maintain(double now)
{
	const struct cnf_values *c = CNF_Get();
	double limit = now - c->retention;
	struct hst_proc *p, **pp;
	struct hst_anchor_priv *a;
	unsigned dropped = 0;

	for (pp = &hst.procs; (p = *pp) != NULL;) {
		int too_many = hst.nprocs > (unsigned)c->max_processes && p->next == NULL;

		if (p->state == HST_ENDED && (p->ended < limit || too_many)) {
			hst_unlink(pp);
			dropped++;
			continue;
		}
		dropped += hst_trim(&hst_pp(p)->ring, limit, 1);
		for (a = hst_pp(p)->anchors; a != NULL; a = a->all)
			dropped += hst_trim(&a->ring, limit, 1);
		pp = &p->next;
	}
	hst.dropped_by_age += dropped;
	hst_budget(1);
	hst_compact(now, dropped);
}

void
HST_Stats(json_object *into)
{
	json_object_object_add(into, "processes_kept", json_object_new_int64(hst.nprocs));
	json_object_object_add(into, "samples_dropped_by_retention",
	    json_object_new_int64((int64_t)hst.dropped_by_age));
	hst_budget_stats(into);
}

json_object *
HST_Frames(const struct hst_anchor *a)
{
	const char *f = hst_ap(a)->frames;

	return f != NULL ? json_tokener_parse(f) : NULL;
}

int
HST_Initialise(void)
{
	return 0;
}

void
HST_Finalise(void)
{
	struct hst_proc *p, *n;

	for (p = hst.procs; p != NULL; p = n) {
		n = p->next;
		hst_free_proc(p);
	}
	hst.procs = NULL;
	hst.nprocs = 0;
}
