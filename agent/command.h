/*
 * command.h - the control socket's commands: one handler per command of
 * proto/proto.h, writing its answer through a fmt_out.  The transport
 * (control.c) reads and checks a request, then hands it here; what the
 * transport knows of itself (for status) comes down with the request.
 */
#ifndef JHOOK_COMMAND_H
#define JHOOK_COMMAND_H

#include <stdint.h>

#include "proto.h"

struct fmt_out;

/* The transport's own state, as status reports it. */
struct cmd_transport {
	const char	*socket;	/* the socket's path */
	int		 read_only;	/* JHOOK_CONTROL=ro */
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 errors;
	uint64_t	 refused;
	uint64_t	 busy;
};

/* One parsed request and where its answer goes. */
struct cmd_req {
	struct proto_request		 r;
	struct fmt_out			*o;
	const struct cmd_transport	*t;
	int				 begun;	/* the "ok" header is written */
	char				*cause;
	size_t				 causelen;
};

/*
 * Runs the request's command.  On PROTO_OK the answer is written but for
 * its closing brace and newline (cmd_end); otherwise nothing was written
 * and q->cause says why, for cmd_error.
 */
enum proto_error cmd_run(struct cmd_req *q);
/* Closes a successful answer. */
void	cmd_end(struct cmd_req *q);
/* One error answer, on one line. */
void	cmd_error(struct fmt_out *o, enum proto_error e, const char *cause);

#endif /* JHOOK_COMMAND_H */
