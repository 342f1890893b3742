/*
 * cmdmon.c - jhookd's own control socket, read by `jhookctl daemon ...`.
 *
 * The protocol is proto/'s (proto_jhookd): its command table, its version,
 * the same strict parser as the agents' requests and the same answer
 * envelope, so a request is checked in the same order with the same typed
 * errors.  Handlers are a table indexed by that command table's ids.
 * "consumer" is accepted and ignored, so jhookctl's client sends the same
 * requests it sends to agents.  Peers are checked with SO_PEERCRED:
 * jhookd's own uid or root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "jhookd.h"
#include "answer.h"
#include "proto.h"

static struct {
	struct evconnlistener	*lev;
	char			 path[sizeof ((struct sockaddr_un *)0)->sun_path];
	uint64_t		 requests, refused;
} cam;

/* Writes a whole answer line. */
static void
cam_send(struct bufferevent *bev, const char *line)
{
	evbuffer_add(bufferevent_get_output(bev), line, strlen(line));
}

static void
cam_refuse(struct bufferevent *bev, enum proto_error e, const char *cause)
{
	char	line[PROTO_MAX_ERROR];

	if (proto_answer_error(line, sizeof line, &proto_jhookd, e, cause) > 0)
		cam_send(bev, line);
}

typedef json_object *(*cam_handler)(const struct proto_request *, char *, size_t);

static json_object *
cam_jd_status(const struct proto_request *r, char *cause, size_t len)
{
	(void)r, (void)cause, (void)len;
	return RPT_Status();
}

static json_object *
cam_jd_processes(const struct proto_request *r, char *cause, size_t len)
{
	(void)r, (void)cause, (void)len;
	return RPT_Processes();
}

static json_object *
cam_jd_suspects(const struct proto_request *r, char *cause, size_t len)
{
	(void)r, (void)cause, (void)len;
	return RPT_Suspects();
}

/* NULL and cause when jhookd knows no such process or anchor. */
static json_object *
cam_jd_history(const struct proto_request *r, char *cause, size_t len)
{
	const struct proto_value *anchor = &r->v[PROTO_F_jd_history_anchor];

	return RPT_History((long)r->v[PROTO_F_jd_history_pid].i,
	    anchor->present ? anchor->s : NULL, cause, len);
}

static const cam_handler cam_handlers[PROTO_JHOOKD_CMD_COUNT] = {
#define PROTO_X(id, name, access, fields) [PROTO_CMD_##id] = cam_##id,
	PROTO_JHOOKD_COMMANDS(PROTO_X)
#undef PROTO_X
};

/* Checks (proto/'s parser, jhookd's table) and answers one request. */
static void
cam_run(struct bufferevent *bev, const char *line, size_t n)
{
	struct proto_request	 r;
	json_object		*res;
	enum proto_error	 e;
	char			 cause[256] = "", head[128];

	e = proto_parse(&proto_jhookd, line, n, &r, cause, sizeof cause);
	if (e != PROTO_OK) {
		cam_refuse(bev, e, cause);
		return;
	}
	if ((res = cam_handlers[r.cmd](&r, cause, sizeof cause)) == NULL) {
		cam_refuse(bev, PROTO_E_OUT_OF_RANGE, cause);
		return;
	}
	if (proto_answer_head(head, sizeof head, &proto_jhookd,
	    proto_jhookd.commands[r.cmd].name) > 0) {
		cam_send(bev, head);
		cam_send(bev, json_object_to_json_string_ext(res,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		cam_send(bev, PROTO_ANSWER_TAIL);
	}
	json_object_put(res);
}

static void
cam_written(struct bufferevent *bev, void *arg)
{
	bufferevent_free(bev);
}

static void
cam_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		bufferevent_free(bev);
}

static void
cam_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line, cause[96];

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL && evbuffer_get_length(in) <= PROTO_MAX_REQUEST)
		return;		/* not a whole line yet */
	cam.requests++;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, cam_written, cam_event, NULL);
	if (line == NULL) {
		snprintf(cause, sizeof cause, "a request is at most %d bytes with "
		    "its newline", PROTO_MAX_REQUEST);
		cam_refuse(bev, PROTO_E_TOO_LARGE, cause);
	} else
		cam_run(bev, line, n);	/* size, NUL and the rest: proto_parse */
	free(line);
}

static void
cam_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(lev);
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };
	struct ucred cred;
	socklen_t len = sizeof cred;

	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		cam.refused++;
		bufferevent_setcb(bev, NULL, cam_written, cam_event, NULL);
		cam_refuse(bev, PROTO_E_NOT_PERMITTED,
		    "only jhookd's own user or root may ask it");
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, cam_read, NULL, cam_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* The socket path: the configured one or jhookd.sock in the socket directory. */
static int
cam_path(void)
{
	const char *conf = CNF_Get()->control;
	char dir[256], cause[256];

	if (*conf != '\0') {
		if (strlen(conf) >= sizeof cam.path)
			return -1;
		snprintf(cam.path, sizeof cam.path, "%s", conf);
		return 0;
	}
	if (proto_socket_dir(dir, sizeof dir, cause, sizeof cause) != 0 ||
	    proto_check_dir(dir, geteuid(), 1, cause, sizeof cause) != 0) {
		LOG_Error("control socket directory: %s", cause);
		return -1;
	}
	return proto_socket_file(dir, PROTO_JHOOKD_SOCKET, cam.path, sizeof cam.path);
}

int
CAM_Initialise(struct event_base *base)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (cam_path() != 0) {
		LOG_Error("no usable control socket path");
		return -1;
	}
	memcpy(sun.sun_path, cam.path, sizeof sun.sun_path);
	/* A socket left by a jhookd that was killed: nobody listens on it. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
			LOG_Error("%s: another jhookd is running", cam.path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	unlink(cam.path);
	old = umask(0077);
	cam.lev = evconnlistener_new_bind(base, cam_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (cam.lev == NULL) {
		LOG_Error("%s: cannot listen: %s", cam.path, strerror(errno));
		return -1;
	}
	snprintf(jd_counters.control, sizeof jd_counters.control, "%s", cam.path);
	LOG_Info("control socket %s", cam.path);
	return 0;
}

void
CAM_Finalise(void)
{
	if (cam.lev != NULL) {
		evconnlistener_free(cam.lev);
		unlink(cam.path);
	}
	cam.lev = NULL;
}
