/*
 * proto.c - the command tables, strict request parsing and the socket
 * directory rules, shared by the agent, jhookd and jhookctl.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto.h"


const char *const proto_sort_names[] = { "diff", "bytes", "size", NULL };
const char *const proto_method_names[] = { "addr", "fp", "unwind", "backtrace", NULL };

/* Each command's field table, from its PROTO_FIELDS_<cmd> rows. */
#define PROTO_FIELD_ROW(cmd, id, name, type, req, min, max, names)	\
	{ name, type, req, min, max, names },
#define PROTO_X(id, name, access, fields)				\
	static const struct proto_field proto_f_##id[] = {		\
		fields(PROTO_FIELD_ROW)					\
		{ NULL, 0, 0, 0, 0, NULL }				\
	};
PROTO_COMMANDS(PROTO_X)
PROTO_JHOOKD_COMMANDS(PROTO_X)
#undef PROTO_X
#undef PROTO_FIELD_ROW

#define PROTO_X(id, name, access, fields)				\
	[PROTO_CMD_##id] = { name, access, proto_f_##id, PROTO_F_##id##_COUNT },
const struct proto_command proto_commands[PROTO_CMD_COUNT] = {
	PROTO_COMMANDS(PROTO_X)
};

static const struct proto_command proto_jhookd_commands[PROTO_JHOOKD_CMD_COUNT] = {
	PROTO_JHOOKD_COMMANDS(PROTO_X)
};
#undef PROTO_X

const struct proto_table proto_agent = {
	"agent", "agent_proto", PROTO_VERSION, proto_commands, PROTO_CMD_COUNT
};

const struct proto_table proto_jhookd = {
	"jhookd", "jhookd_proto", PROTO_JHOOKD_VERSION, proto_jhookd_commands,
	PROTO_JHOOKD_CMD_COUNT
};

static const char *const proto_error_names[PROTO_E_COUNT] = {
	[PROTO_OK] = "ok",
#define PROTO_X(id, name) [PROTO_E_##id] = name,
	PROTO_ERRORS(PROTO_X)
#undef PROTO_X
};

const char *
proto_error_name(enum proto_error e)
{
	if ((unsigned)e >= PROTO_E_COUNT)
		return "internal";
	return proto_error_names[e];
}

int
proto_table_find(const struct proto_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncommands; i++) {
		if (strcmp(t->commands[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
proto_table_field(const struct proto_table *t, int cmd, const char *name)
{
	const struct proto_field *f;

	for (f = t->commands[cmd].fields; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return (int)(f - t->commands[cmd].fields);
	}
	return -1;
}

int
proto_command_find(const char *name)
{
	return proto_table_find(&proto_agent, name);
}

int
proto_field_index(enum proto_cmd cmd, const char *name)
{
	return proto_table_field(&proto_agent, (int)cmd, name);
}

/* Fills cause and returns e, so every failure is one line. */
static enum proto_error __attribute__((format(printf, 4, 5)))
proto_fail(enum proto_error e, char *cause, size_t causelen, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(cause, causelen, f, ap);
	va_end(ap);
	return e;
}

int
proto_consumer_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > PROTO_MAX_CONSUMER)
		return 0;
	for (i = 0; i < len; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._:-", name[i]) == NULL)
			return 0;
	}
	return 1;
}

static const char *
proto_type_name(enum proto_type t)
{
	switch (t) {
	case PROTO_T_INT:
		return "an integer";
	case PROTO_T_BOOL:
		return "true or false";
	default:
		return "a string";
	}
}

/* Checks one field's value against its type and range. */
static enum proto_error
proto_take_field(const struct proto_field *f, json_object *jv,
    struct proto_value *out, char *cause, size_t causelen)
{
	const char *s;
	int64_t i;
	int k;

	switch (f->type) {
	case PROTO_T_INT:
		if (!json_object_is_type(jv, json_type_int))
			break;
		i = json_object_get_int64(jv);
		if (i < f->min || i > f->max)
			return proto_fail(PROTO_E_OUT_OF_RANGE, cause, causelen,
			    "\"%s\" must be within %lld..%lld", f->name,
			    (long long)f->min, (long long)f->max);
		out->i = i;
		out->present = 1;
		return PROTO_OK;
	case PROTO_T_BOOL:
		if (!json_object_is_type(jv, json_type_boolean))
			break;
		out->i = json_object_get_boolean(jv) ? 1 : 0;
		out->present = 1;
		return PROTO_OK;
	case PROTO_T_STRING:
		if (!json_object_is_type(jv, json_type_string))
			break;
		s = json_object_get_string(jv);
		if ((int64_t)strlen(s) < f->min || (int64_t)strlen(s) > f->max ||
		    strlen(s) >= sizeof out->s)
			return proto_fail(PROTO_E_OUT_OF_RANGE, cause, causelen,
			    "\"%s\" must be %lld..%lld bytes long", f->name,
			    (long long)f->min, (long long)f->max);
		snprintf(out->s, sizeof out->s, "%s", s);
		out->present = 1;
		return PROTO_OK;
	case PROTO_T_ENUM:
		if (!json_object_is_type(jv, json_type_string))
			break;
		s = json_object_get_string(jv);
		for (k = 0; f->names[k] != NULL; k++) {
			if (strcmp(f->names[k], s) == 0) {
				out->i = k;
				out->present = 1;
				return PROTO_OK;
			}
		}
		return proto_fail(PROTO_E_OUT_OF_RANGE, cause, causelen,
		    "\"%s\" is not one of the accepted names", f->name);
	}
	return proto_fail(PROTO_E_BAD_TYPE, cause, causelen,
	    "\"%s\" must be %s", f->name, proto_type_name(f->type));
}

/* The common fields: proto (version first), cmd, consumer. */
static enum proto_error
proto_take_header(const struct proto_table *t, json_object *root,
    struct proto_request *req, char *cause, size_t causelen)
{
	json_object *jv;
	int64_t version;
	int cmd;

	if (!json_object_object_get_ex(root, PROTO_FIELD_PROTO, &jv))
		return proto_fail(PROTO_E_MISSING_FIELD, cause, causelen,
		    "\"proto\" (the protocol version, %d) is required", t->version);
	if (!json_object_is_type(jv, json_type_int))
		return proto_fail(PROTO_E_BAD_TYPE, cause, causelen,
		    "\"proto\" must be an integer");
	version = json_object_get_int64(jv);
	if (version != t->version)
		return proto_fail(PROTO_E_VERSION_MISMATCH, cause, causelen,
		    "client speaks protocol %lld, this %s speaks protocol %d",
		    (long long)version, t->server, t->version);

	if (!json_object_object_get_ex(root, PROTO_FIELD_CMD, &jv))
		return proto_fail(PROTO_E_MISSING_FIELD, cause, causelen,
		    "\"cmd\" is required");
	if (!json_object_is_type(jv, json_type_string))
		return proto_fail(PROTO_E_BAD_TYPE, cause, causelen,
		    "\"cmd\" must be a string");
	cmd = proto_table_find(t, json_object_get_string(jv));
	if (cmd < 0)
		return proto_fail(PROTO_E_UNKNOWN_COMMAND, cause, causelen,
		    "%s has no command \"%.40s\"", t->server, json_object_get_string(jv));
	req->cmd = cmd;

	snprintf(req->consumer, sizeof req->consumer, "%s", PROTO_DEFAULT_CONSUMER);
	if (json_object_object_get_ex(root, PROTO_FIELD_CONSUMER, &jv)) {
		if (!json_object_is_type(jv, json_type_string))
			return proto_fail(PROTO_E_BAD_TYPE, cause, causelen,
			    "\"consumer\" must be a string");
		if (!proto_consumer_ok(json_object_get_string(jv)))
			return proto_fail(PROTO_E_OUT_OF_RANGE, cause, causelen,
			    "\"consumer\" must be 1..%d of [A-Za-z0-9._:-]",
			    PROTO_MAX_CONSUMER);
		snprintf(req->consumer, sizeof req->consumer, "%s",
		    json_object_get_string(jv));
	}
	return PROTO_OK;
}

/* Every other key must be one of the command's fields; then required ones. */
static enum proto_error
proto_take_fields(const struct proto_table *t, json_object *root,
    struct proto_request *req, char *cause, size_t causelen)
{
	const struct proto_field *fields = t->commands[req->cmd].fields;
	enum proto_error e;
	int k;

	json_object_object_foreach(root, key, jv) {
		if (strcmp(key, PROTO_FIELD_PROTO) == 0 ||
		    strcmp(key, PROTO_FIELD_CMD) == 0 ||
		    strcmp(key, PROTO_FIELD_CONSUMER) == 0)
			continue;
		k = proto_table_field(t, req->cmd, key);
		if (k < 0)
			return proto_fail(PROTO_E_UNKNOWN_FIELD, cause, causelen,
			    "command \"%s\" has no field \"%.40s\"",
			    t->commands[req->cmd].name, key);
		e = proto_take_field(&fields[k], jv, &req->v[k], cause, causelen);
		if (e != PROTO_OK)
			return e;
	}
	for (k = 0; fields[k].name != NULL; k++) {
		if (fields[k].required && !req->v[k].present)
			return proto_fail(PROTO_E_MISSING_FIELD, cause, causelen,
			    "command \"%s\" requires \"%s\"",
			    t->commands[req->cmd].name, fields[k].name);
	}
	return PROTO_OK;
}

/* The frame as one JSON object and nothing else but trailing blanks. */
static enum proto_error
proto_parse_json(const char *frame, size_t len, json_object **out, char *cause,
    size_t causelen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;

	tok = json_tokener_new_ex(PROTO_MAX_DEPTH);
	if (tok == NULL)
		return proto_fail(PROTO_E_INTERNAL, cause, causelen, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, frame, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (*out == NULL && jerr == json_tokener_success))
		return proto_fail(PROTO_E_BAD_JSON, cause, causelen,
		    "the JSON text ends early (truncated request)");
	if (jerr != json_tokener_success)
		return proto_fail(PROTO_E_BAD_JSON, cause, causelen, "%s at byte %zu",
		    json_tokener_error_desc(jerr), end);
	while (end < len && strchr(" \t\r", frame[end]) != NULL)
		end++;
	if (end < len) {
		json_object_put(*out);
		*out = NULL;
		return proto_fail(PROTO_E_BAD_JSON, cause, causelen,
		    "trailing data after the JSON object at byte %zu", end);
	}
	return PROTO_OK;
}

enum proto_error
proto_parse_request(const char *frame, size_t len, struct proto_request *req,
    char *cause, size_t causelen)
{
	enum proto_error e;

	e = proto_parse(&proto_agent, frame, len, req, cause, causelen);
	/* Then the rules between the command's fields (rules.c). */
	if (e == PROTO_OK)
		e = proto_check_rules(req, cause, causelen);
	return e;
}

enum proto_error
proto_parse(const struct proto_table *t, const char *frame, size_t len,
    struct proto_request *req, char *cause, size_t causelen)
{
	json_object *root = NULL;
	enum proto_error e;

	memset(req, 0, sizeof *req);
	if (len >= PROTO_MAX_REQUEST)
		return proto_fail(PROTO_E_TOO_LARGE, cause, causelen,
		    "a request is at most %d bytes with its newline", PROTO_MAX_REQUEST);
	if (len == 0)
		return proto_fail(PROTO_E_BAD_FRAME, cause, causelen, "empty request");
	if (memchr(frame, '\0', len) != NULL)
		return proto_fail(PROTO_E_BAD_FRAME, cause, causelen,
		    "a NUL byte inside the request");
	e = proto_parse_json(frame, len, &root, cause, causelen);
	if (e != PROTO_OK)
		return e;
	if (!json_object_is_type(root, json_type_object))
		e = proto_fail(PROTO_E_BAD_TYPE, cause, causelen,
		    "a request is a JSON object");
	if (e == PROTO_OK)
		e = proto_take_header(t, root, req, cause, causelen);
	if (e == PROTO_OK)
		e = proto_take_fields(t, root, req, cause, causelen);
	json_object_put(root);
	return e;
}

int
proto_socket_dir(char *dir, size_t len, char *cause, size_t causelen)
{
	const char *env;
	int n;

	if ((env = getenv("JHOOK_SOCKET_DIR")) != NULL && *env != '\0')
		n = snprintf(dir, len, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env == '/')
		n = snprintf(dir, len, "%s/jhook", env);
	else if (geteuid() == 0)
		n = snprintf(dir, len, "/run/jhook");
	else
		n = snprintf(dir, len, "/tmp/jhook-%lu", (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= len) {
		snprintf(cause, causelen, "socket directory path too long");
		return -1;
	}
	return 0;
}

int
proto_check_dir(const char *dir, uid_t uid, int create, char *cause,
    size_t causelen)
{
	struct stat st;

	if (lstat(dir, &st) != 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(cause, causelen, "cannot create %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	}
	if (lstat(dir, &st) != 0) {
		snprintf(cause, causelen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(cause, causelen, "%s is not a directory (or is a symlink)", dir);
		return -1;
	}
	if (st.st_uid != uid) {
		snprintf(cause, causelen, "%s is owned by uid %lu, not %lu", dir,
		    (unsigned long)st.st_uid, (unsigned long)uid);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(cause, causelen, "%s has mode %03o; it must be 0700", dir,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
proto_socket_path(const char *dir, long pid, char *path, size_t len)
{
	struct sockaddr_un sun;
	int n;

	n = snprintf(path, len, "%s/%ld%s", dir, pid, PROTO_SOCKET_SUFFIX);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof sun.sun_path)
		return -1;
	return 0;
}

int
proto_socket_file(const char *dir, const char *name, char *path, size_t len)
{
	struct sockaddr_un	sun;
	size_t			dl = strlen(dir), nl = strlen(name);

	if (dl + 1 + nl + 1 > len || dl + 1 + nl + 1 > sizeof sun.sun_path)
		return -1;
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, name, nl + 1);
	return 0;
}

long
proto_socket_pid(const char *name)
{
	char *end;
	long pid;

	if (*name < '1' || *name > '9')
		return -1;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno != 0 || pid <= 0 || strcmp(end, PROTO_SOCKET_SUFFIX) != 0)
		return -1;
	return pid;
}
