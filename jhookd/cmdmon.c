/*
 * cmdmon.c - jhookd's own control socket, read by `jhookctl daemon ...`.
 *
 * The framing and error codes are the agents' (proto.h): one JSON object
 * per line, at most PROTO_MAX_REQUEST bytes, answered with one line
 *   {"proto":1,"ok":true,"cmd":C,"result":{...}}  or
 *   {"proto":1,"ok":false,"error":{"code":E,"message":M}}
 * Commands (all read-only): status, processes, suspects, history (with
 * "pid" and optionally "anchor").  "consumer" is accepted and ignored, so
 * jhookctl's client sends the same requests it sends to agents.  Peers are
 * checked with SO_PEERCRED: jhookd's own uid or root.
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
#include "proto.h"

static struct {
	struct evconnlistener	*lev;
	char			 path[sizeof ((struct sockaddr_un *)0)->sun_path];
	uint64_t		 requests, refused;
} cam;

const char *
CAM_Path(void)
{
	return cam.path;
}

static void
cam_answer(struct bufferevent *bev, json_object *ans)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	evbuffer_add_printf(out, "%s\n", json_object_to_json_string_ext(ans,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(ans);
}

static json_object *
cam_error(enum proto_error e, const char *msg)
{
	json_object *o = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(o, "proto", json_object_new_int(JHOOKD_PROTO_VERSION));
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(err, "code", json_object_new_string(proto_error_name(e)));
	json_object_object_add(err, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", err);
	return o;
}

/* Checks and runs one request; the answer. */
static json_object *
cam_run(const char *line)
{
	json_object *req = json_tokener_parse(line), *v, *res = NULL, *ans;
	const char *cmd = NULL, *anchor = NULL;
	enum proto_error e = PROTO_OK;
	char cause[256] = "";
	long pid = -1;

	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return cam_error(PROTO_E_BAD_JSON, "a request is one JSON object");
	}
	json_object_object_foreach(req, key, val) {
		if (strcmp(key, "proto") == 0) {
			if (!json_object_is_type(val, json_type_int))
				e = PROTO_E_BAD_TYPE;
			else if (json_object_get_int(val) != JHOOKD_PROTO_VERSION)
				e = PROTO_E_VERSION_MISMATCH;
		} else if (strcmp(key, "cmd") == 0 && json_object_is_type(val, json_type_string)) {
			cmd = json_object_get_string(val);
		} else if (strcmp(key, "pid") == 0 && json_object_is_type(val, json_type_int)) {
			pid = (long)json_object_get_int64(val);
		} else if (strcmp(key, "anchor") == 0 && json_object_is_type(val, json_type_string)) {
			anchor = json_object_get_string(val);
		} else if (strcmp(key, "consumer") != 0) {
			e = strcmp(key, "cmd") && strcmp(key, "pid") && strcmp(key, "anchor") ?
			    PROTO_E_UNKNOWN_FIELD : PROTO_E_BAD_TYPE;
			snprintf(cause, sizeof cause, "field \"%s\"", key);
		}
		if (e != PROTO_OK)
			break;
	}
	if (e == PROTO_OK && !json_object_object_get_ex(req, "proto", &v)) {
		e = PROTO_E_MISSING_FIELD;
		snprintf(cause, sizeof cause, "\"proto\" is required");
	}
	if (e == PROTO_E_VERSION_MISMATCH)
		snprintf(cause, sizeof cause, "jhookd speaks version %d, the request %d",
		    JHOOKD_PROTO_VERSION, json_object_get_int(v));
	if (e == PROTO_OK && cmd == NULL) {
		e = PROTO_E_MISSING_FIELD;
		snprintf(cause, sizeof cause, "\"cmd\" is required");
	}
	if (e == PROTO_OK) {
		if (strcmp(cmd, "status") == 0)
			res = RPT_Status();
		else if (strcmp(cmd, "processes") == 0)
			res = RPT_Processes();
		else if (strcmp(cmd, "suspects") == 0)
			res = RPT_Suspects();
		else if (strcmp(cmd, "history") == 0 && pid < 0) {
			e = PROTO_E_MISSING_FIELD;
			snprintf(cause, sizeof cause, "history needs \"pid\"");
		} else if (strcmp(cmd, "history") == 0) {
			if ((res = RPT_History(pid, anchor, cause, sizeof cause)) == NULL)
				e = PROTO_E_OUT_OF_RANGE;
		} else {
			e = PROTO_E_UNKNOWN_COMMAND;
			snprintf(cause, sizeof cause, "jhookd has no command \"%s\" "
			    "(status, processes, suspects, history)", cmd);
		}
	}
	if (e != PROTO_OK) {
		ans = cam_error(e, cause[0] ? cause : proto_error_name(e));
	} else {
		ans = json_object_new_object();
		json_object_object_add(ans, "proto", json_object_new_int(JHOOKD_PROTO_VERSION));
		json_object_object_add(ans, "ok", json_object_new_boolean(1));
		json_object_object_add(ans, "cmd", json_object_new_string(cmd));
		json_object_object_add(ans, "result", res);
	}
	json_object_put(req);
	return ans;
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
	char *line;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL && evbuffer_get_length(in) <= PROTO_MAX_REQUEST)
		return;		/* not a whole line yet */
	cam.requests++;
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, cam_written, cam_event, NULL);
	if (line == NULL || n + 1 > PROTO_MAX_REQUEST)
		cam_answer(bev, cam_error(PROTO_E_TOO_LARGE, "a request is at most "
		    "4096 bytes with its newline"));
	else if (strlen(line) != n)
		cam_answer(bev, cam_error(PROTO_E_BAD_FRAME, "a NUL in the request"));
	else
		cam_answer(bev, cam_run(line));
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
		cam_answer(bev, cam_error(PROTO_E_NOT_PERMITTED,
		    "only jhookd's own user or root may ask it"));
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
	if (strlen(dir) + sizeof JHOOKD_SOCKET_NAME + 1 > sizeof cam.path)
		return -1;
	snprintf(cam.path, sizeof cam.path, "%s/%s", dir, JHOOKD_SOCKET_NAME);
	return 0;
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
