/*
 * client.c - finding an agent's socket and asking it one thing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

#define CL_MAX_ANSWER	(1024L * 1024 * 1024)

/* The uid a live process runs as, or -1. */
static long
cl_pid_uid(long pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%ld", pid);
	if (stat(path, &st) != 0)
		return -1;
	return (long)st.st_uid;
}

/* 1 when path names a socket file. */
static int
cl_is_socket(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/*
 * 1 when dir holds pid's socket; -1 (after a message) when it does but the
 * directory is not one the agent would use: not a real directory, not
 * owned by owner, or open to others, so anyone could have put it there.
 */
static int
cl_found(const char *dir, long pid, uid_t owner, char *path, size_t len)
{
	char cause[256];

	if (proto_socket_path(dir, pid, path, len) != 0 || !cl_is_socket(path))
		return 0;
	if (proto_check_dir(dir, owner, 0, cause, sizeof cause) != 0) {
		fprintf(stderr, "%s: refusing %s: %s\n", ctl_progname, path, cause);
		return -1;
	}
	return 1;
}

/*
 * The socket of --pid: this user's directory first, then (for root) the
 * target user's default directories.  0, or EXIT_CONNECT after a message.
 */
int
cl_resolve(const struct ctl_opts *o, char *path, size_t len)
{
	char dir[256], cause[256], alt[256];
	long uid;
	int found = 0;

	if (o->socket != NULL) {
		snprintf(path, len, "%s", o->socket);
		return 0;
	}
	if (proto_socket_dir(dir, sizeof dir, cause, sizeof cause) == 0 &&
	    (found = cl_found(dir, o->pid, geteuid(), path, len)) != 0)
		return found > 0 ? 0 : EXIT_CONNECT;
	uid = cl_pid_uid(o->pid);
	if (geteuid() == 0 && uid > 0 && getenv("JHOOK_SOCKET_DIR") == NULL) {
		snprintf(alt, sizeof alt, "/run/user/%ld/jhook", uid);
		if ((found = cl_found(alt, o->pid, (uid_t)uid, path, len)) != 0)
			return found > 0 ? 0 : EXIT_CONNECT;
		snprintf(alt, sizeof alt, "/tmp/jhook-%ld", uid);
		if ((found = cl_found(alt, o->pid, (uid_t)uid, path, len)) != 0)
			return found > 0 ? 0 : EXIT_CONNECT;
	}
	if (uid < 0)
		fprintf(stderr, "%s: no process %ld\n", ctl_progname, o->pid);
	else
		fprintf(stderr, "%s: process %ld has no jhook agent socket in %s "
		    "(not run with the agent, JHOOK_CONTROL=off, or another "
		    "JHOOK_SOCKET_DIR?)\n", ctl_progname, o->pid, dir);
	return EXIT_CONNECT;
}

static double
cl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for fd to be ready for events until deadline; 0 or -1 (ETIMEDOUT). */
static int
cl_wait(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left;
	int rc;

	for (;;) {
		left = deadline - cl_now();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connects to a socket; the fd, or -1 with errno. */
static int
cl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Sends line and reads one answer line; a malloc'd string or NULL with cause. */
static char *
cl_exchange(int fd, const char *line, double timeout, char *cause, size_t causelen)
{
	double deadline = cl_now() + timeout;
	size_t len = strlen(line), off = 0, cap = 65536, have = 0;
	char *buf = malloc(cap), *nl;
	ssize_t n;

	while (buf != NULL && off < len) {
		if (cl_wait(fd, POLLOUT, deadline) != 0)
			goto fail;
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;	/* the answer may still be there: read it */
		if (n > 0)
			off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (buf != NULL) {
		if (cl_wait(fd, POLLIN, deadline) != 0)
			goto fail;
		if (have + 1 >= cap) {
			if (cap >= CL_MAX_ANSWER) {
				snprintf(cause, causelen, "answer over %ld bytes", CL_MAX_ANSWER);
				free(buf);
				return NULL;
			}
			cap *= 2;
			if ((nl = realloc(buf, cap)) == NULL)
				break;
			buf = nl;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (memchr(buf + have - (size_t)n, '\n', (size_t)n) != NULL)
			return buf;
	}
	if (buf != NULL && have > 0) {
		buf[have] = '\0';
		return buf;
	}
	snprintf(cause, causelen, "the agent closed the connection without answering");
	free(buf);
	return NULL;
fail:
	snprintf(cause, causelen, "%s", errno == ETIMEDOUT ?
	    "no answer before the timeout" : strerror(errno));
	free(buf);
	return NULL;
}

/*
 * The server must be the process --pid named (when the socket was found
 * from it), run by this user or root: a socket is only a name.
 */
static int
cl_peer_ok(int fd, long pid, char *cause, size_t causelen)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		snprintf(cause, causelen, "SO_PEERCRED: %s", strerror(errno));
		return -1;
	}
	if (pid > 0 && (long)cred.pid != pid) {
		snprintf(cause, causelen, "the socket of pid %ld is served by pid %ld: "
		    "refusing it", pid, (long)cred.pid);
		return -1;
	}
	if (cred.uid != geteuid() && cred.uid != 0 && geteuid() != 0) {
		snprintf(cause, causelen, "the socket's server runs as uid %lu: refusing it",
		    (unsigned long)cred.uid);
		return -1;
	}
	return 0;
}

/*
 * One request to the socket at path, a server of protocol t.  0 with
 * *result; EXIT_TARGET with *error (the server's error object); EXIT_CONNECT
 * with cause (no answer, or not one of the protocol's answers).
 */
int
cl_call_table(const struct proto_table *t, const char *path, const struct ctl_opts *o,
    const char *cmd, json_object *fields, json_object **result, json_object **error,
    char *cause, size_t causelen)
{
	char			*line, *text;
	int			 fd, rc;

	*result = *error = NULL;
	if ((fd = cl_connect(path)) < 0) {
		snprintf(cause, causelen, "cannot connect to %s: %s", path, strerror(errno));
		return EXIT_CONNECT;
	}
	/* An agent's socket found from --pid must be served by that pid. */
	if (cl_peer_ok(fd, t == &proto_agent && o->socket == NULL ? o->pid : 0,
	    cause, causelen) != 0) {
		close(fd);
		return EXIT_CONNECT;
	}
	line = proto_request_line(t, cmd, o->consumer, fields);
	text = line != NULL ? cl_exchange(fd, line, o->timeout, cause, causelen) : NULL;
	close(fd);
	free(line);
	if (text == NULL)
		return EXIT_CONNECT;
	rc = cl_answer(t, text, result, error, cause, causelen);
	free(text);
	return rc;
}

int
cl_answer(const struct proto_table *t, char *text, json_object **result,
    json_object **error, char *cause, size_t causelen)
{
	struct proto_answer	 a;
	json_object		*err;
	int			 rc;

	*result = *error = NULL;
	text[strcspn(text, "\n")] = '\0';
	if ((rc = proto_answer_parse(t, text, strlen(text), &a, cause, causelen)) != 0) {
		rc = EXIT_CONNECT;
	} else if (a.ok) {
		*result = json_object_get(a.result);
	} else {
		if (pj_obj(a.root, "error", &err) == 0)
			*error = json_object_get(err);
		snprintf(cause, causelen, "the %s refused the request: %s", t->server,
		    a.message);
		rc = EXIT_TARGET;
	}
	proto_answer_free(&a);
	return rc;
}

int
cl_call_path(const char *path, const struct ctl_opts *o, const char *cmd,
    json_object *fields, json_object **result, json_object **error, char *cause,
    size_t causelen)
{
	return cl_call_table(&proto_agent, path, o, cmd, fields, result, error,
	    cause, causelen);
}

void
cl_print_error(const struct ctl_opts *o, json_object *error)
{
	json_object *wrap;

	fprintf(stderr, "%s: the agent answered %s: %s\n", ctl_progname,
	    pj_str_or(error, "code", "an error"), pj_str_or(error, "message", "(no message)"));
	if (o->json && error != NULL) {
		wrap = json_object_new_object();
		json_object_object_add(wrap, "error", json_object_get(error));
		cl_print_json(wrap);
		json_object_put(wrap);
	}
}

/* Resolves --pid and calls; prints failures; returns the exit code. */
int
cl_call(const struct ctl_opts *o, const char *cmd, json_object *fields,
    json_object **result)
{
	char path[256], cause[512];
	json_object *error = NULL;
	int rc;

	*result = NULL;
	if ((rc = cl_resolve(o, path, sizeof path)) != 0)
		return rc;
	rc = cl_call_path(path, o, cmd, fields, result, &error, cause, sizeof cause);
	if (rc == EXIT_TARGET && error != NULL)
		cl_print_error(o, error);
	else if (rc != 0)
		fprintf(stderr, "%s: %s\n", ctl_progname, cause);
	json_object_put(error);
	return rc;
}

void
cl_print_json(json_object *j)
{
	fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
	fputc('\n', stdout);
}
