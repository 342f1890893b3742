/*
 * answer.h - the envelopes of both protocols, written and read in one
 * place: a request line {"proto":V,"cmd":C[,"consumer":N],fields...}, and
 * an answer:
 *   {"proto":V,"ok":true,"cmd":C,"result":{...}}
 *   {"proto":V,"ok":false,"error":{"code":E,"message":M[,"<server>_proto":V]}}
 * and the typed getters every reader of an answer uses, so a field of the
 * wrong type (or null) is a clear error instead of a crash.
 */
#ifndef JHOOK_ANSWER_H
#define JHOOK_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "proto.h"

/*
 * A request line with its newline, in t's version; fields (may be NULL) are
 * the command's own.  malloc'd, or NULL when out of memory.
 */
char	*proto_request_line(const struct proto_table *t, const char *cmd,
	    const char *consumer, json_object *fields);

/* An error answer's length with its newline, whatever its message. */
#define PROTO_MAX_ERROR		1024

/*
 * The start of a successful answer, up to "result": (the result and "}\n"
 * follow); the length written, or -1 when len is too small.
 */
int	proto_answer_head(char *buf, size_t len, const struct proto_table *t,
	    const char *cmd);
#define PROTO_ANSWER_TAIL	"}\n"
/* A whole error answer with its newline; the message is escaped (and cut to fit). */
int	proto_answer_error(char *buf, size_t len, const struct proto_table *t,
	    enum proto_error e, const char *message);

/* A checked answer.  root owns result and the strings. */
struct proto_answer {
	json_object	*root;
	int		 ok;
	const char	*cmd;		/* ok: the command answered */
	json_object	*result;	/* ok: an object */
	enum proto_error code;		/* not ok: PROTO_E_INTERNAL when the name is unknown */
	const char	*code_name;	/* not ok: as the server spelled it */
	const char	*message;	/* not ok */
};

/*
 * Parses one answer line (without its newline) from a server of protocol t:
 * one JSON object of the envelope's shape, of t's version.  Returns 0, or
 * -1 with the reason in cause.  proto_answer_free releases it either way.
 */
int	proto_answer_parse(const struct proto_table *t, const char *line, size_t len,
	    struct proto_answer *a, char *cause, size_t causelen);
void	proto_answer_free(struct proto_answer *a);

/*
 * Checks a leak document (an agent's answer to leak, or an exit report)
 * before anything of it is used: the header fields of their types, pid when
 * given (> 0), every anchor an object with id, size, alloc, free (free <=
 * alloc) and frames (which an anchor whose id is below the document's
 * frames_from may leave out), every frame an object with hex addr and
 * offset and a string module.  0, or -1 with the first fault in cause ("anchors[3]:
 * frames is not an array").
 */
int	proto_leak_check(json_object *doc, long pid, char *cause, size_t causelen);

/*
 * Typed getters: 0 and the value when o is an object whose key holds one of
 * that type; -1 otherwise (missing, null, or another type).  pj_hex takes
 * the protocol's "0x..." strings.
 */
int	pj_int(json_object *o, const char *key, int64_t *v);
int	pj_uint(json_object *o, const char *key, uint64_t *v);
int	pj_bool(json_object *o, const char *key, int *v);
int	pj_str(json_object *o, const char *key, const char **v);
int	pj_hex(json_object *o, const char *key, uint64_t *v);
int	pj_arr(json_object *o, const char *key, json_object **v);
int	pj_obj(json_object *o, const char *key, json_object **v);
/* The key's string, or def when it is missing or not a string. */
const char *pj_str_or(json_object *o, const char *key, const char *def);
/* Element i of an array when it is an object, else NULL. */
json_object *pj_obj_at(json_object *arr, size_t i);

#endif /* JHOOK_ANSWER_H */
