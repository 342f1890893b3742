/*
 * proto.h - the two control protocols: the one spoken on an agent's Unix
 * socket, and jhookd's own (its control socket, jhookd.sock).
 *
 * Shared by the agent (agent/control.c), jhookd and jhookctl;
 * doc/protocol.md is the reference for people.  Both protocols have one
 * framing, one parser, one answer envelope (proto/answer.c) and the same
 * typed errors; each has its own command table and its own version.  A request is one JSON object on one line; so is
 * every answer.  Requests are checked in this order, and the first failure
 * is answered with a typed error: size of the frame, framing (newline, no
 * NUL), JSON syntax, top level is an object, "proto" (then its version),
 * "cmd", then each field of the command (known name, type, range), then the
 * required fields.
 *
 * Don't forget to bump PROTO_VERSION if any of this changes: a command, a
 * field, a type, a range, an error code, or the shape of an answer.  Record
 * the change in doc/protocol.md ("Changes").
 */
#ifndef JHOOK_PROTO_H
#define JHOOK_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION		1
/*
 * jhookd's protocol (`jhookctl daemon ...`).  Don't forget to bump
 * PROTO_JHOOKD_VERSION if one of its commands, fields, types, ranges or
 * answers changes; record it in doc/protocol.md.
 */
#define PROTO_JHOOKD_VERSION	1
/* jhookd's control socket, in the socket directory unless configured. */
#define PROTO_JHOOKD_SOCKET	"jhookd.sock"

/* A request frame, newline included; checked before anything is parsed. */
#define PROTO_MAX_REQUEST	4096
/* JSON nesting allowed in a request (requests are flat objects). */
#define PROTO_MAX_DEPTH		4
/* consumer names: 1..PROTO_MAX_CONSUMER bytes of [A-Za-z0-9._:-] */
#define PROTO_MAX_CONSUMER	32
/* leak "top": anchors kept while sorting, so the agent's memory is bounded. */
#define PROTO_MAX_TOP		4096
/* The socket file of a process, in its socket directory. */
#define PROTO_SOCKET_SUFFIX	".sock"

/* Typed errors: the "code" string of an error answer. */
#define PROTO_ERRORS(X)							\
	X(BAD_FRAME,		"bad_frame")	/* no newline, NUL, empty */	\
	X(TOO_LARGE,		"too_large")	/* frame over the limit */	\
	X(BAD_JSON,		"bad_json")	/* not one JSON value */	\
	X(BAD_TYPE,		"bad_type")	/* a field of the wrong type */	\
	X(OUT_OF_RANGE,		"out_of_range")	/* value outside its range */	\
	X(UNKNOWN_FIELD,	"unknown_field")				\
	X(MISSING_FIELD,	"missing_field")				\
	X(UNKNOWN_COMMAND,	"unknown_command")				\
	X(VERSION_MISMATCH,	"version_mismatch")	/* names both */	\
	X(NOT_PERMITTED,	"not_permitted")	/* peer uid, read-only */ \
	X(BUSY,			"busy")		/* no connection slot */	\
	X(INTERNAL,		"internal")	/* the agent failed */

enum proto_error {
	PROTO_OK = 0,
#define PROTO_X(id, name) PROTO_E_##id,
	PROTO_ERRORS(PROTO_X)
#undef PROTO_X
	PROTO_E_COUNT
};

enum proto_type {
	PROTO_T_INT,		/* JSON integer within [min, max] */
	PROTO_T_BOOL,		/* JSON true or false */
	PROTO_T_STRING,		/* JSON string, length within [min, max] */
	PROTO_T_ENUM,		/* JSON string, one of the field's names */
};

/* One field a command accepts. */
struct proto_field {
	const char		 *name;
	enum proto_type		  type;
	int			  required;
	int64_t			  min;
	int64_t			  max;
	const char *const	 *names;	/* PROTO_T_ENUM: NULL-terminated */
};

/* Who may run a command: read-only commands never change the target. */
enum proto_access {
	PROTO_RO = 0,
	PROTO_RW = 1,
};

/*
 * The fields of each command: X(cmd, id, wire name, type, required, min, max,
 * names).  Each row gives the field an identifier, PROTO_F_<cmd>_<id>, the
 * index of its value in struct proto_request: handlers read fields by name,
 * never by position.
 */
#define PROTO_FIELDS_none(X)
#define PROTO_FIELDS_leak(X)						\
	X(leak, choice, "choice", PROTO_T_INT, 0, INT32_MIN + 1, INT32_MAX, NULL) \
	X(leak, min_diff, "min_diff", PROTO_T_INT, 0, 0, PROTO_BYTES_MAX, NULL) \
	X(leak, top, "top", PROTO_T_INT, 0, 1, PROTO_MAX_TOP, NULL)	\
	X(leak, sort, "sort", PROTO_T_ENUM, 0, 0, 0, proto_sort_names) \
	X(leak, frames_from, "frames_from", PROTO_T_INT, 0, 0, INT32_MAX, NULL)
#define PROTO_FIELDS_bound(X)						\
	X(bound, scan, "scan", PROTO_T_BOOL, 0, 0, 1, NULL)
#define PROTO_FIELDS_set_limit(X)					\
	X(set_limit, min, "min", PROTO_T_INT, 1, 0, PROTO_BYTES_MAX, NULL) \
	X(set_limit, max, "max", PROTO_T_INT, 1, 0, PROTO_BYTES_MAX, NULL)
#define PROTO_FIELDS_set_flag(X)					\
	X(set_flag, dup, "dup", PROTO_T_BOOL, 0, 0, 1, NULL)		\
	X(set_flag, bound, "bound", PROTO_T_BOOL, 0, 0, 1, NULL)
#define PROTO_FIELDS_set_check(X)					\
	X(set_check, every, "every", PROTO_T_INT, 0, 1, 86400, NULL)	\
	X(set_check, off, "off", PROTO_T_BOOL, 0, 0, 1, NULL)
#define PROTO_FIELDS_set_method(X)					\
	X(set_method, method, "method", PROTO_T_ENUM, 1, 0, 0, proto_method_names) \
	X(set_method, depth, "depth", PROTO_T_INT, 0, 1, 64, NULL)
#define PROTO_FIELDS_set_tail(X)					\
	X(set_tail, bytes, "bytes", PROTO_T_INT, 1, 0, 256, NULL)

/* The largest byte count a field accepts (json-c saturates at INT64_MAX). */
#define PROTO_BYTES_MAX		(INT64_MAX - 1)

/*
 * The command table: id, name on the wire, access, fields.  The agent
 * builds its handler table from this list (ctl_cmd_<id>), so a command
 * without a handler does not link.
 */
#define PROTO_COMMANDS(X)						\
	X(status,	"status",	PROTO_RO, PROTO_FIELDS_none)	\
	X(modules,	"modules",	PROTO_RO, PROTO_FIELDS_none)	\
	X(leak,		"leak",		PROTO_RO, PROTO_FIELDS_leak)	\
	X(bound,	"bound",	PROTO_RO, PROTO_FIELDS_bound)	\
	X(start,	"start",	PROTO_RW, PROTO_FIELDS_none)	\
	X(stop,		"stop",		PROTO_RW, PROTO_FIELDS_none)	\
	X(set_limit,	"set-limit",	PROTO_RW, PROTO_FIELDS_set_limit) \
	X(set_flag,	"set-flag",	PROTO_RW, PROTO_FIELDS_set_flag) \
	X(set_check,	"set-check",	PROTO_RW, PROTO_FIELDS_set_check) \
	X(set_method,	"set-method",	PROTO_RW, PROTO_FIELDS_set_method) \
	X(set_tail,	"set-tail",	PROTO_RW, PROTO_FIELDS_set_tail)

enum proto_cmd {
#define PROTO_X(id, name, access, fields) PROTO_CMD_##id,
	PROTO_COMMANDS(PROTO_X)
#undef PROTO_X
	PROTO_CMD_COUNT
};

/*
 * jhookd's commands, all read-only.  "consumer" is accepted as for agents,
 * so a client sends both the same requests.
 */
#define PROTO_FIELDS_jd_history(X)					\
	X(jd_history, pid, "pid", PROTO_T_INT, 1, 1, INT32_MAX, NULL)	\
	X(jd_history, anchor, "anchor", PROTO_T_STRING, 0, 1, PROTO_MAX_CONSUMER, NULL)
#define PROTO_JHOOKD_COMMANDS(X)					\
	X(jd_status,	"status",	PROTO_RO, PROTO_FIELDS_none)	\
	X(jd_processes,	"processes",	PROTO_RO, PROTO_FIELDS_none)	\
	X(jd_suspects,	"suspects",	PROTO_RO, PROTO_FIELDS_none)	\
	X(jd_history,	"history",	PROTO_RO, PROTO_FIELDS_jd_history)

enum proto_jhookd_cmd {
#define PROTO_X(id, name, access, fields) PROTO_CMD_##id,
	PROTO_JHOOKD_COMMANDS(PROTO_X)
#undef PROTO_X
	PROTO_JHOOKD_CMD_COUNT
};

/* PROTO_F_<cmd>_<field>: a field's index among its command's fields. */
#define PROTO_FIELD_ID(cmd, id, name, type, req, min, max, names) PROTO_F_##cmd##_##id,
#define PROTO_X(id, name, access, fields)				\
	enum { fields(PROTO_FIELD_ID) PROTO_F_##id##_COUNT };
PROTO_COMMANDS(PROTO_X)
PROTO_JHOOKD_COMMANDS(PROTO_X)
#undef PROTO_X
#undef PROTO_FIELD_ID

struct proto_command {
	const char			*name;
	enum proto_access		 access;
	const struct proto_field	*fields;	/* ends with name == NULL */
	int				 nfields;
};

extern const struct proto_command proto_commands[PROTO_CMD_COUNT];

/* A protocol: who serves it, its version and its command table. */
struct proto_table {
	const char			*server;	/* "agent", "jhookd": for messages */
	const char			*version_key;	/* the server's version in a version_mismatch error */
	int				 version;
	const struct proto_command	*commands;
	int				 ncommands;
};

extern const struct proto_table proto_agent;	/* proto_commands, PROTO_VERSION */
extern const struct proto_table proto_jhookd;	/* PROTO_JHOOKD_COMMANDS */

/* leak "sort" and the methods of set-method, as spelled on the wire. */
enum proto_sort {
	PROTO_SORT_NONE = -1,
	PROTO_SORT_DIFF = 0,
	PROTO_SORT_BYTES = 1,
	PROTO_SORT_SIZE = 2,
};
extern const char *const proto_sort_names[];
extern const char *const proto_method_names[];

/* Fields every request may carry, besides the command's own. */
#define PROTO_FIELD_PROTO	"proto"		/* required, == PROTO_VERSION */
#define PROTO_FIELD_CMD		"cmd"		/* required */
#define PROTO_FIELD_CONSUMER	"consumer"	/* optional, default below */
#define PROTO_DEFAULT_CONSUMER	"default"
/* The consumer shared with jhook_check_leak and the periodic checker. */
#define PROTO_LEGACY_CONSUMER	"legacy"

/* A checked request: every field of the command, present or not. */
#define PROTO_MAX_FIELDS	8
#define PROTO_X(id, name, access, fields)				\
	_Static_assert(PROTO_F_##id##_COUNT <= PROTO_MAX_FIELDS,	\
	    "command " name " has more than PROTO_MAX_FIELDS fields");
PROTO_COMMANDS(PROTO_X)
PROTO_JHOOKD_COMMANDS(PROTO_X)
#undef PROTO_X
struct proto_value {
	int		 present;
	int64_t		 i;		/* INT, BOOL (0/1), ENUM (index) */
	char		 s[PROTO_MAX_CONSUMER + 1];	/* STRING */
};

struct proto_request {
	int			 cmd;		/* enum proto_cmd, or proto_jhookd_cmd */
	char			 consumer[PROTO_MAX_CONSUMER + 1];
	struct proto_value	 v[PROTO_MAX_FIELDS];	/* indexed by PROTO_F_<cmd>_<field> */
};

/* The wire name of an error code. */
const char	*proto_error_name(enum proto_error e);

/* 1 when name is an acceptable consumer name (PROTO_MAX_CONSUMER bytes of [A-Za-z0-9._:-]). */
int		 proto_consumer_ok(const char *name);

/*
 * Checks and parses one frame (without its newline) of an agent's
 * protocol.  On failure returns the error and writes a one-line human
 * message to cause.  Allocates (json-c): the agent calls it inside
 * guard_enter().
 */
enum proto_error proto_parse_request(const char *frame, size_t len,
		    struct proto_request *req, char *cause, size_t causelen);
/* The same for any protocol: jhookd parses its requests with proto_jhookd. */
enum proto_error proto_parse(const struct proto_table *t, const char *frame,
		    size_t len, struct proto_request *req, char *cause, size_t causelen);

/*
 * The rules between a checked request's fields (proto/rules.c, rules.h):
 * the last step of proto_parse_request, and jhookctl's before it sends.
 */
enum proto_error proto_check_rules(const struct proto_request *r, char *cause,
		    size_t causelen);

/* The index of a command's field by name, -1 when it has none. */
int		 proto_field_index(enum proto_cmd cmd, const char *name);
/* The command id for a wire name, -1 when unknown. */
int		 proto_command_find(const char *name);
/* The same in any protocol's table. */
int		 proto_table_field(const struct proto_table *t, int cmd, const char *name);
int		 proto_table_find(const struct proto_table *t, const char *name);

/*
 * The socket directory, in this order: $JHOOK_SOCKET_DIR, then
 * $XDG_RUNTIME_DIR/jhook, then /run/jhook for root, then /tmp/jhook-UID.
 * Returns 0, or -1 with a reason in cause (path too long).
 */
int		 proto_socket_dir(char *dir, size_t len, char *cause, size_t causelen);
/*
 * Makes sure dir is a real directory (lstat: not a symlink), owned by uid,
 * with no group or other permissions; creates it 0700 when create is set
 * and it is missing.  Returns 0, or -1 with a reason in cause.
 */
int		 proto_check_dir(const char *dir, uid_t uid, int create,
		    char *cause, size_t causelen);
/* dir/name; -1 when it does not fit len or a sockaddr_un. */
int		 proto_socket_file(const char *dir, const char *name, char *path, size_t len);
/* dir/<pid>.sock; -1 when it does not fit a sockaddr_un. */
int		 proto_socket_path(const char *dir, long pid, char *path, size_t len);
/* The pid a socket file name stands for, -1 when the name is not <pid>.sock. */
long		 proto_socket_pid(const char *name);

#endif /* JHOOK_PROTO_H */
