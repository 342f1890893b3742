/*
 * journal.c - the history's records in the history file (store.c): what
 * history.c writes as it learns, what compaction rewrites, and the replay
 * that rebuilds the history from them on start.
 *
 * Each record is one JSON object; "k" names its kind, "pid" and "start"
 * its process, and the kind's row of hst_kinds its other fields, in the
 * order they are written:
 *   proc    a process is first seen: t, exe (once known)
 *   end     a process ended: t
 *   anchor  an anchor is first seen: id, size, frames
 *   poll    one poll: t, total, peak, n (anchors in the answer) and
 *           "a": [[id, alloc, free], ...] for the anchors that changed;
 *           every other anchor of the process repeats its last sample
 *   series  written by compaction: id (absent: the process's total/peak
 *           series) and "s": [[t, a, b], ...]
 * The writer and the replay both walk that table, so they cannot disagree
 * on a record's layout.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jhookd.h"
#include "history-int.h"

/* The fields of a record; the writer takes pid and start from the process. */
struct hst_values {
	int64_t		 pid, start;
	double		 t;
	const char	*exe;
	const char	*id;
	int64_t		 size;
	json_object	*frames;
	int64_t		 total, peak, n;
	json_object	*rows;		/* "a" of a poll, "s" of a series */
};

enum hst_type {
	HST_T_DOUBLE,	/* any JSON value read as a double */
	HST_T_INT,	/* an integer or a double */
	HST_T_STRING,	/* a string; not written when NULL */
	HST_T_JSON,	/* any JSON value, null included */
	HST_T_ARRAY	/* an array */
};

struct hst_field {
	const char	*key;
	enum hst_type	 type;
	size_t		 off;		/* in struct hst_values */
	int		 optional;	/* the replay does without it */
};

#define HST_F(key, type, member, optional) \
	{ key, HST_T_##type, offsetof(struct hst_values, member), optional }
#define HST_MAX_FIELDS	5

/* The process of every record, after "k". */
static const struct hst_field hst_head[HST_MAX_FIELDS] = {
	HST_F("pid", INT, pid, 0),
	HST_F("start", INT, start, 0),
};

enum hst_kind { HST_K_PROC, HST_K_END, HST_K_ANCHOR, HST_K_POLL, HST_K_SERIES };

static int hst_replay_proc(struct hst_proc *, const struct hst_values *);
static int hst_replay_end(struct hst_proc *, const struct hst_values *);
static int hst_replay_anchor(struct hst_proc *, const struct hst_values *);
static int hst_replay_poll(struct hst_proc *, const struct hst_values *);
static int hst_replay_series(struct hst_proc *, const struct hst_values *);

static const struct hst_kind_def {
	const char		*name;
	/* p is NULL for a process not known yet; 0 or -1 (a bad record). */
	int			(*replay)(struct hst_proc *p, const struct hst_values *v);
	struct hst_field	 fields[HST_MAX_FIELDS];
} hst_kinds[] = {
	[HST_K_PROC] = { "proc", hst_replay_proc, {
		HST_F("t", DOUBLE, t, 1),
		HST_F("exe", STRING, exe, 1) } },
	[HST_K_END] = { "end", hst_replay_end, {
		HST_F("t", DOUBLE, t, 1) } },
	[HST_K_ANCHOR] = { "anchor", hst_replay_anchor, {
		HST_F("id", STRING, id, 0),
		HST_F("size", INT, size, 0),
		HST_F("frames", JSON, frames, 0) } },
	[HST_K_POLL] = { "poll", hst_replay_poll, {
		HST_F("t", DOUBLE, t, 1),
		HST_F("total", INT, total, 1),
		HST_F("peak", INT, peak, 1),
		HST_F("n", INT, n, 1),
		HST_F("a", ARRAY, rows, 0) } },
	[HST_K_SERIES] = { "series", hst_replay_series, {
		HST_F("id", STRING, id, 1),
		HST_F("s", ARRAY, rows, 0) } },
};

#define HST_NKINDS	(sizeof hst_kinds / sizeof hst_kinds[0])

static struct {
	double		 last_compaction;
} journal;

/* ---------------------------------------------------------------- records */

/* Adds the fields of v that the list names to record r. */
static void
hst_put_fields(json_object *r, const struct hst_field *fields, const struct hst_values *v)
{
	const struct hst_field *f;
	const char *at;
	json_object *o;

	for (f = fields; f < fields + HST_MAX_FIELDS && f->key != NULL; f++) {
		at = (const char *)v + f->off;
		switch (f->type) {
		case HST_T_DOUBLE:
			o = json_object_new_double(*(const double *)at);
			break;
		case HST_T_INT:
			o = json_object_new_int64(*(const int64_t *)at);
			break;
		case HST_T_STRING:
			if (*(const char *const *)at == NULL)
				continue;
			o = json_object_new_string(*(const char *const *)at);
			break;
		default:
			o = *(json_object *const *)at;
			break;
		}
		json_object_object_add(r, f->key, o);
	}
}

/* Reads the fields the list names from rec into v; 0, or -1 if one it needs is bad. */
static int
hst_get_fields(json_object *rec, const struct hst_field *fields, struct hst_values *v)
{
	const struct hst_field *f;
	json_object *o;
	char *at;
	int ok;

	for (f = fields; f < fields + HST_MAX_FIELDS && f->key != NULL; f++) {
		at = (char *)v + f->off;
		switch (f->type) {
		case HST_T_DOUBLE:
			if ((ok = json_object_object_get_ex(rec, f->key, &o)))
				*(double *)at = json_object_get_double(o);
			break;
		case HST_T_INT:
			ok = hst_int(rec, f->key, (int64_t *)at) == 0;
			break;
		case HST_T_STRING:
			ok = (*(const char **)at = hst_str(rec, f->key)) != NULL;
			break;
		case HST_T_JSON:
			if ((ok = json_object_object_get_ex(rec, f->key, &o)))
				*(json_object **)at = o;
			break;
		default:
			if ((ok = json_object_object_get_ex(rec, f->key, &o) &&
			    json_object_is_type(o, json_type_array)))
				*(json_object **)at = o;
			break;
		}
		if (!ok && !f->optional)
			return -1;
	}
	return 0;
}

/* Appends a record of kind k for p; the JSON values in v are its own now. */
static void
hst_put(enum hst_kind k, const struct hst_proc *p, const struct hst_values *v)
{
	json_object *r = json_object_new_object();
	struct hst_values w = *v;

	w.pid = p->pid;
	w.start = (int64_t)p->start;
	json_object_object_add(r, "k", json_object_new_string(hst_kinds[k].name));
	hst_put_fields(r, hst_head, &w);
	hst_put_fields(r, hst_kinds[k].fields, &w);
	STO_Append(r);
	json_object_put(r);
}

/* A row of a poll ([id, alloc, free]) or of a series ([t, a, b]). */
static json_object *
hst_row(json_object *key, uint64_t a, uint64_t b)
{
	json_object *row = json_object_new_array();

	json_object_array_add(row, key);
	json_object_array_add(row, json_object_new_int64((int64_t)a));
	json_object_array_add(row, json_object_new_int64((int64_t)b));
	return row;
}

/* Row i of rows: its key, a and b; 0, or -1 if it is not a row. */
static int
hst_unrow(json_object *rows, size_t i, json_object **key, uint64_t *a, uint64_t *b)
{
	json_object *row = json_object_array_get_idx(rows, i);

	/* json-c asserts that what it measures is an array. */
	if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) != 3)
		return -1;
	*key = json_object_array_get_idx(row, 0);
	*a = (uint64_t)json_object_get_int64(json_object_array_get_idx(row, 1));
	*b = (uint64_t)json_object_get_int64(json_object_array_get_idx(row, 2));
	return 0;
}

/* ----------------------------------------------------------------- writer */

void
hst_write_proc(const struct hst_proc *p, double t, const char *exe)
{
	hst_put(HST_K_PROC, p, &(struct hst_values){ .t = t, .exe = exe });
}

void
hst_write_end(const struct hst_proc *p)
{
	hst_put(HST_K_END, p, &(struct hst_values){ .t = p->ended });
}

void
hst_write_anchor(const struct hst_proc *p, const struct hst_anchor_priv *a)
{
	hst_put(HST_K_ANCHOR, p, &(struct hst_values){ .id = a->pub.id,
	    .size = (int64_t)a->pub.size, .frames = HST_Frames(&a->pub) });
}

void
hst_poll_change(json_object *changes, const struct hst_anchor_priv *a)
{
	uint64_t la, lb;

	hst_last(&a->ring, &la, &lb);
	if (a->ring.n == 0 || la != a->new_a || lb != a->new_b)
		json_object_array_add(changes, hst_row(json_object_new_string(a->pub.id),
		    a->new_a, a->new_b));
}

void
hst_write_poll(const struct hst_proc *p, double t, int64_t total, int64_t peak, uint64_t n,
    json_object *changes)
{
	hst_put(HST_K_POLL, p, &(struct hst_values){ .t = t, .total = total, .peak = peak,
	    .n = (int64_t)n, .rows = changes });
}

/* A series record of p's total/peak (a NULL) or of anchor a. */
static void
hst_write_series(const struct hst_proc *p, const struct hst_anchor_priv *a)
{
	const struct hst_ring *r = a ? &a->ring : &hst_pp(p)->ring;
	json_object *s = json_object_new_array();
	const struct ser_sample *x;
	uint32_t i;

	for (i = 0; i < r->n; i++) {
		x = hst_at(r, i);
		json_object_array_add(s, hst_row(json_object_new_double(x->t), x->a, x->b));
	}
	hst_put(HST_K_SERIES, p, &(struct hst_values){ .id = a ? a->pub.id : NULL, .rows = s });
}

/* Writes everything remembered, oldest process first. */
static void
hst_write_all(void)
{
	struct hst_proc *p, *order[4096];
	const struct hst_anchor_priv *a;
	unsigned n = 0;

	for (p = HST_Processes(); p != NULL && n < 4096; p = p->next)
		order[n++] = p;
	while (n-- > 0) {
		p = order[n];
		hst_write_proc(p, p->first, p->exe);
		hst_write_series(p, NULL);
		for (a = hst_pp(p)->anchors; a != NULL; a = a->all) {
			hst_write_anchor(p, a);
			hst_write_series(p, a);
		}
		if (p->state == HST_ENDED)
			hst_write_end(p);
	}
}

void
hst_compact(double now, unsigned dropped)
{
	const struct cnf_values *c = CNF_Get();
	unsigned tries;

	if (STO_Size() <= c->max_disk &&
	    !(dropped > 0 && now - journal.last_compaction > c->retention / 10))
		return;
	journal.last_compaction = now;
	for (tries = 0; tries < 8; tries++) {
		if (STO_Compact(hst_write_all) != 0 || STO_Size() <= c->max_disk / 2)
			break;
		LOG_Warn("history still over half of max-disk after compaction: "
		    "dropping the older half of every series");
		hst_halve();
	}
}

/* ----------------------------------------------------------------- replay */

static int
hst_replay_proc(struct hst_proc *p, const struct hst_values *v)
{
	if (p == NULL && (p = hst_new_proc((long)v->pid, (unsigned long long)v->start, v->t)) == NULL)
		return -1;
	/* Until an agent answers again, a process from the file is not known live. */
	p->state = HST_UNREACHABLE;
	snprintf(p->error, sizeof p->error, "not polled since jhookd started");
	if (v->exe != NULL)
		hst_set_exe(p, v->exe);
	return 0;
}

static int
hst_replay_end(struct hst_proc *p, const struct hst_values *v)
{
	p->state = HST_ENDED;
	p->ended = v->t;
	return 0;
}

static int
hst_replay_anchor(struct hst_proc *p, const struct hst_values *v)
{
	if (strlen(v->id) != HST_ID_LEN)
		return -1;
	/* Over max-anchors it is not kept, which is no error in the file. */
	if (hst_find_anchor(p, v->id) == NULL)
		hst_new_anchor(p, v->id, (uint64_t)v->size, v->frames);
	return 0;
}

static int
hst_replay_poll(struct hst_proc *p, const struct hst_values *v)
{
	struct hst_anchor_priv *a;
	json_object *key;
	uint64_t la, lb;
	size_t i, len = json_object_array_length(v->rows);

	for (i = 0; i < len; i++) {
		/* The id is a string: json-c has no string for a null. */
		if (hst_unrow(v->rows, i, &key, &la, &lb) != 0 ||
		    !json_object_is_type(key, json_type_string))
			return -1;
		if ((a = hst_find_anchor(p, json_object_get_string(key))) == NULL)
			continue;	/* its definition was lost: skip it */
		hst_push(p, &a->ring, v->t, la, lb);
	}
	/* Every anchor that did not change repeats its last sample. */
	for (a = hst_pp(p)->anchors; a != NULL; a = a->all) {
		if (a->ring.n > 0 && hst_at(&a->ring, a->ring.n - 1)->t == v->t)
			continue;
		hst_last(&a->ring, &la, &lb);
		hst_push(p, &a->ring, v->t, la, lb);
	}
	hst_polled(p, v->t, (uint64_t)v->total, (uint64_t)v->peak, (uint64_t)v->n);
	return 0;
}

static int
hst_replay_series(struct hst_proc *p, const struct hst_values *v)
{
	struct hst_anchor_priv *a = NULL;
	struct hst_ring *r = &hst_pp(p)->ring;
	json_object *key;
	uint64_t sa, sb;
	size_t i, n;

	if (v->id != NULL) {
		if ((a = hst_find_anchor(p, v->id)) == NULL)
			return -1;
		r = &a->ring;
	}
	n = json_object_array_length(v->rows);
	for (i = 0; i < n; i++) {
		if (hst_unrow(v->rows, i, &key, &sa, &sb) != 0)
			return -1;
		hst_push(p, r, json_object_get_double(key), sa, sb);
		if (a != NULL)
			hst_evaluate(a);
	}
	if (a == NULL && n > 0) {
		p->last = hst_at(r, r->n - 1)->t;
		p->polls += n;
	}
	return 0;
}

int
HST_Replay(json_object *rec)
{
	const char *kind = hst_str(rec, "k");
	struct hst_values v = { 0 };
	struct hst_proc *p;
	size_t k;

	for (k = 0; kind != NULL && k < HST_NKINDS; k++)
		if (strcmp(kind, hst_kinds[k].name) == 0)
			break;
	if (kind == NULL || k == HST_NKINDS || hst_get_fields(rec, hst_head, &v) != 0 ||
	    hst_get_fields(rec, hst_kinds[k].fields, &v) != 0)
		return -1;
	p = HST_Find((long)v.pid, (unsigned long long)v.start);
	if (p == NULL && k != HST_K_PROC)
		return -1;
	return hst_kinds[k].replay(p, &v);
}
