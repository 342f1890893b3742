/*
 * answer.c - the answer envelope, written and read, and typed getters.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

/* Answers nest objects in arrays in objects (frames of anchors of a snapshot). */
#define PROTO_ANSWER_DEPTH	32

char *
proto_request_line(const struct proto_table *t, const char *cmd, const char *consumer,
    json_object *fields)
{
	json_object	*req = json_object_new_object();
	char		*line;

	if (req == NULL)
		return (NULL);
	json_object_object_add(req, PROTO_FIELD_PROTO, json_object_new_int(t->version));
	json_object_object_add(req, PROTO_FIELD_CMD, json_object_new_string(cmd));
	if (consumer != NULL)
		json_object_object_add(req, PROTO_FIELD_CONSUMER,
		    json_object_new_string(consumer));
	if (fields != NULL) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(req, k, json_object_get(v));
	}
	if (asprintf(&line, "%s\n", json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		line = NULL;
	json_object_put(req);
	return (line);
}

int
proto_answer_head(char *buf, size_t len, const struct proto_table *t, const char *cmd)
{
	int	n;

	n = snprintf(buf, len, "{\"proto\":%d,\"ok\":true,\"cmd\":\"%s\",\"result\":",
	    t->version, cmd);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Appends s as a JSON string body to buf (at *at, below len - reserve). */
static void
proto_escape(char *buf, size_t len, size_t *at, size_t reserve, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	const unsigned char	*p;
	char			 e[7];
	size_t			 n;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			e[0] = '\\';
			e[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Bytes outside printable ASCII: valid JSON whatever they were. */
			memcpy(e, "\\u00", 4);
			e[4] = hex[*p >> 4];
			e[5] = hex[*p & 15];
			n = 6;
		} else {
			e[0] = (char)*p;
			n = 1;
		}
		if (*at + n + reserve >= len)
			return;
		memcpy(buf + *at, e, n);
		*at += n;
	}
}

int
proto_answer_error(char *buf, size_t len, const struct proto_table *t,
    enum proto_error e, const char *message)
{
	char	tail[64];
	size_t	at;
	int	n;

	n = snprintf(buf, len, "{\"proto\":%d,\"ok\":false,\"error\":{\"code\":\"%s\","
	    "\"message\":\"", t->version, proto_error_name(e));
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (e == PROTO_E_VERSION_MISMATCH)
		snprintf(tail, sizeof tail, "\",\"%s\":%d}}\n", t->version_key, t->version);
	else
		snprintf(tail, sizeof tail, "\"}}\n");
	at = (size_t)n;
	proto_escape(buf, len, &at, strlen(tail), message);
	if (at + strlen(tail) >= len)
		return -1;
	memcpy(buf + at, tail, strlen(tail) + 1);
	return (int)(at + strlen(tail));
}

/* The error code named name; PROTO_E_INTERNAL when this side knows no such code. */
static enum proto_error
proto_error_find(const char *name)
{
	int	e;

	for (e = PROTO_OK + 1; e < PROTO_E_COUNT; e++)
		if (strcmp(proto_error_name((enum proto_error)e), name) == 0)
			return ((enum proto_error)e);
	return (PROTO_E_INTERNAL);
}

int
proto_answer_parse(const struct proto_table *t, const char *line, size_t len,
    struct proto_answer *a, char *cause, size_t causelen)
{
	struct json_tokener	*tok;
	json_object		*error;
	int64_t			 version;
	size_t			 end;

	memset(a, 0, sizeof *a);
	if ((tok = json_tokener_new_ex(PROTO_ANSWER_DEPTH)) == NULL) {
		snprintf(cause, causelen, "out of memory");
		return (-1);
	}
	a->root = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (a->root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(cause, causelen, "the %s's answer is not JSON (%s)", t->server,
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		return (-1);
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r", line[end]) != NULL)
		end++;
	if (end < len || !json_object_is_type(a->root, json_type_object)) {
		snprintf(cause, causelen, "the %s's answer is not one JSON object", t->server);
		return (-1);
	}
	if (pj_int(a->root, "proto", &version) != 0 || pj_bool(a->root, "ok", &a->ok) != 0) {
		snprintf(cause, causelen, "the %s's answer has no \"proto\" and \"ok\"",
		    t->server);
		return (-1);
	}
	if (version != t->version) {
		snprintf(cause, causelen, "the %s speaks protocol %lld, this side %d",
		    t->server, (long long)version, t->version);
		return (-1);
	}
	if (a->ok) {
		if (pj_str(a->root, "cmd", &a->cmd) != 0 ||
		    pj_obj(a->root, "result", &a->result) != 0) {
			snprintf(cause, causelen, "the %s's answer has no \"cmd\" and "
			    "\"result\" object", t->server);
			return (-1);
		}
		return (0);
	}
	if (pj_obj(a->root, "error", &error) != 0 ||
	    pj_str(error, "code", &a->code_name) != 0 ||
	    pj_str(error, "message", &a->message) != 0) {
		snprintf(cause, causelen, "the %s's error answer has no \"error\" with "
		    "\"code\" and \"message\"", t->server);
		return (-1);
	}
	a->code = proto_error_find(a->code_name);
	return (0);
}

void
proto_answer_free(struct proto_answer *a)
{
	json_object_put(a->root);
	memset(a, 0, sizeof *a);
}

/* The key's value when o is an object holding it with type type. */
static json_object *
pj_get(json_object *o, const char *key, json_type type)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return (NULL);
	return (v);
}

int
pj_int(json_object *o, const char *key, int64_t *v)
{
	json_object	*j = pj_get(o, key, json_type_int);

	if (j == NULL)
		return (-1);
	*v = json_object_get_int64(j);
	return (0);
}

int
pj_uint(json_object *o, const char *key, uint64_t *v)
{
	json_object	*j = pj_get(o, key, json_type_int);
	int64_t		 i;

	if (j == NULL)
		return (-1);
	/* json-c keeps integers above INT64_MAX as unsigned. */
	if ((i = json_object_get_int64(j)) >= 0 && i != INT64_MAX)
		*v = (uint64_t)i;
	else if (i == INT64_MAX)
		*v = json_object_get_uint64(j);
	else
		return (-1);
	return (0);
}

int
pj_bool(json_object *o, const char *key, int *v)
{
	json_object	*j = pj_get(o, key, json_type_boolean);

	if (j == NULL)
		return (-1);
	*v = json_object_get_boolean(j) ? 1 : 0;
	return (0);
}

int
pj_str(json_object *o, const char *key, const char **v)
{
	json_object	*j = pj_get(o, key, json_type_string);

	if (j == NULL)
		return (-1);
	*v = json_object_get_string(j);
	return (0);
}

int
pj_hex(json_object *o, const char *key, uint64_t *v)
{
	const char		*s;
	char			*end;
	unsigned long long	 x;

	if (pj_str(o, key, &s) != 0 || strncmp(s, "0x", 2) != 0 || s[2] == '\0')
		return (-1);
	errno = 0;
	x = strtoull(s + 2, &end, 16);
	if (errno != 0 || *end != '\0')
		return (-1);
	*v = (uint64_t)x;
	return (0);
}

int
pj_arr(json_object *o, const char *key, json_object **v)
{
	return ((*v = pj_get(o, key, json_type_array)) != NULL ? 0 : -1);
}

int
pj_obj(json_object *o, const char *key, json_object **v)
{
	return ((*v = pj_get(o, key, json_type_object)) != NULL ? 0 : -1);
}

const char *
pj_str_or(json_object *o, const char *key, const char *def)
{
	const char	*s;

	return (pj_str(o, key, &s) == 0 ? s : def);
}

json_object *
pj_obj_at(json_object *arr, size_t i)
{
	json_object	*v;

	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    i >= json_object_array_length(arr))
		return (NULL);
	v = json_object_array_get_idx(arr, i);
	return (v != NULL && json_object_is_type(v, json_type_object) ? v : NULL);
}

/* A frame: an object with hex addr and offset, a string module, maybe a function. */
static int
proto_frame_check(json_object *f)
{
	uint64_t	 x;
	const char	*s;
	json_object	*v;

	if (pj_hex(f, "addr", &x) != 0 || pj_hex(f, "offset", &x) != 0 ||
	    pj_str(f, "module", &s) != 0)
		return (-1);
	if (json_object_object_get_ex(f, "function", &v) &&
	    !json_object_is_type(v, json_type_string))
		return (-1);
	return (0);
}

int
proto_leak_check(json_object *doc, long pid, char *cause, size_t causelen)
{
	json_object	*anchors, *a, *frames;
	const char	*s;
	int64_t		 v, size, alloc, nfree, id, from = 0;
	size_t		 i, k;

	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		snprintf(cause, causelen, "the document is not an object");
		return (-1);
	}
	if (pj_int(doc, "version", &v) != 0 || pj_int(doc, "pid", &v) != 0 ||
	    pj_str(doc, "exe", &s) != 0 || pj_int(doc, "total_bytes", &size) != 0 ||
	    pj_int(doc, "peak_bytes", &size) != 0 || pj_arr(doc, "anchors", &anchors) != 0) {
		snprintf(cause, causelen, "the document lacks version, pid, exe, "
		    "total_bytes, peak_bytes or anchors, or one has the wrong type");
		return (-1);
	}
	if (pid > 0 && pj_int(doc, "pid", &v) == 0 && v != pid) {
		snprintf(cause, causelen, "the document is of pid %lld, not %ld",
		    (long long)v, pid);
		return (-1);
	}
	/* Anchors below frames_from come by id alone: the reader has their frames. */
	if (json_object_object_get_ex(doc, "frames_from", &a) &&
	    (pj_int(doc, "frames_from", &from) != 0 || from < 0)) {
		snprintf(cause, causelen, "frames_from is not a count");
		return (-1);
	}
	for (i = 0; i < json_object_array_length(anchors); i++) {
		if ((a = pj_obj_at(anchors, i)) == NULL ||
		    pj_int(a, "id", &id) != 0 || id < 0 ||
		    pj_int(a, "size", &size) != 0 || size < 0 ||
		    pj_int(a, "alloc", &alloc) != 0 || alloc < 0 ||
		    pj_int(a, "free", &nfree) != 0 || nfree < 0 || nfree > alloc) {
			snprintf(cause, causelen, "anchors[%zu]: not an object with "
			    "id, size, alloc and free (free <= alloc)", i);
			return (-1);
		}
		if (id < from && !json_object_object_get_ex(a, "frames", &frames))
			continue;
		if (pj_arr(a, "frames", &frames) != 0) {
			snprintf(cause, causelen, "anchors[%zu]: frames is not an array", i);
			return (-1);
		}
		for (k = 0; k < json_object_array_length(frames); k++) {
			if (proto_frame_check(json_object_array_get_idx(frames, k)) != 0) {
				snprintf(cause, causelen, "anchors[%zu].frames[%zu]: not a "
				    "frame (hex addr and offset, a module)", i, k);
				return (-1);
			}
		}
	}
	return (0);
}
