/*
 * request.c - fuzzes the request parser: one frame (without its newline)
 * through proto_parse_request (the agent's) and proto_parse with both
 * command tables, as the agent and jhookd read their control sockets.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What every parse must leave: a command of the table, or an error and a cause. */
static void
fuzz_parse(const struct proto_table *t, const char *frame, size_t len)
{
	struct proto_request req;
	char cause[256];
	enum proto_error e;

	memset(&req, 0xa5, sizeof req);
	cause[0] = '\0';
	e = t == &proto_agent ? proto_parse_request(frame, len, &req, cause, sizeof cause) :
	    proto_parse(t, frame, len, &req, cause, sizeof cause);
	if (e == PROTO_OK) {
		if (req.cmd < 0 || req.cmd >= t->ncommands ||
		    memchr(req.consumer, '\0', sizeof req.consumer) == NULL ||
		    !proto_consumer_ok(req.consumer))
			__builtin_trap();
	} else if (e >= PROTO_E_COUNT || proto_error_name(e) == NULL ||
	    memchr(cause, '\0', sizeof cause) == NULL || cause[0] == '\0') {
		__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(&proto_agent, (const char *)data, size);
	fuzz_parse(&proto_jhookd, (const char *)data, size);
	return 0;
}
