/*
 * agents.c - finding agents and polling them without ever waiting on one.
 *
 * Every interval a timer scans the watched directories for <pid>.sock files
 * (proto_socket_pid), marks processes that are gone as ended, and sends a
 * "leak" request (choice 3: every anchor) to each live agent that has no
 * request in flight.  Each request is a non-blocking socket with its own
 * events and its own deadline (`timeout`), so a stopped or hung agent only
 * delays itself: its request times out, the process is marked unreachable,
 * and the others are polled on time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "answer.h"
#include "jhookd.h"
#include "history.h"
#include "proto.h"

/* The largest answer jhookd reads from one agent. */
#define AGT_MAX_ANSWER	(256L * 1024 * 1024)

struct agt_req {
	long			 pid;
	unsigned long long	 start;
	int			 fd;
	char			*out;		/* the request line */
	size_t			 outlen, outoff;
	struct evbuffer		*in;
	struct event		*ev;		/* read or write readiness */
	struct event		*timer;		/* the deadline */
	double			 sent;
	struct agt_req		*next;
};

static struct {
	struct event_base	*base;
	struct event		*tick;
	struct agt_req		*reqs;		/* in flight */
} agt;

/* The start time of a process (clock ticks since boot), 0 when unknown. */
static unsigned long long
agt_start_time(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf, ')')) != NULL) {
		/* Field 22 (starttime); p is at the end of field 2. */
		for (i = 2; i < 22 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			start = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return start;
}

static struct agt_req *
agt_find(long pid, unsigned long long start)
{
	struct agt_req *r;

	for (r = agt.reqs; r != NULL; r = r->next)
		if (r->pid == pid && r->start == start)
			return r;
	return NULL;
}

static void
agt_free(struct agt_req *r)
{
	struct agt_req **pp;

	for (pp = &agt.reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->ev != NULL)
		event_free(r->ev);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->in != NULL)
		evbuffer_free(r->in);
	if (r->fd >= 0)
		close(r->fd);
	free(r->out);
	free(r);
}

/* A request failed: the process is unreachable (or ended, if gone). */
static void
agt_fail(struct agt_req *r, const char *why, int timeout)
{
	struct hst_proc *p = HST_Find(r->pid, r->start);
	double now = jd_now();

	jd_counters.poll_errors++;
	if (timeout)
		jd_counters.poll_timeouts++;
	if (p != NULL) {
		p->errors++;
		p->timeouts += timeout;
		if (agt_start_time(r->pid) != r->start)
			HST_SetState(p, HST_ENDED, now, "the process is gone");
		else
			HST_SetState(p, HST_UNREACHABLE, now, why);
	}
	LOG_Debug("poll of %ld failed: %s", r->pid, why);
	agt_free(r);
}

/* The whole answer is in: record it. */
static void
agt_done(struct agt_req *r)
{
	struct hst_proc *p = HST_Find(r->pid, r->start);
	struct proto_answer ans;
	char cause[256], msg[200];
	double now = jd_now();
	size_t len = evbuffer_get_length(r->in);
	const char *text = (const char *)evbuffer_pullup(r->in, -1);

	/* The answer's line, without its newline: proto/ checks its envelope. */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (proto_answer_parse(&proto_agent, text, len, &ans, cause, sizeof cause) != 0) {
		proto_answer_free(&ans);
		agt_fail(r, cause, 0);
		return;
	}
	if (!ans.ok) {
		snprintf(msg, sizeof msg, "%s", ans.message);
		snprintf(cause, sizeof cause, "the agent refused the poll: %s", msg);
		proto_answer_free(&ans);
		agt_fail(r, cause, 0);
		return;
	}
	if (p != NULL && HST_Record(p, ans.result, now, cause, sizeof cause) == 0) {
		jd_counters.polls++;
		p->last_latency = now - r->sent;
		p->error[0] = '\0';
		HST_SetState(p, HST_LIVE, now, NULL);
	}
	proto_answer_free(&ans);
	agt_free(r);
}

static void
agt_readable(evutil_socket_t fd, short what, void *arg)
{
	struct agt_req *r = arg;
	size_t len;
	int n;

	for (;;) {
		n = evbuffer_read(r->in, fd, 65536);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			agt_fail(r, strerror(errno), 0);
			return;
		}
		len = evbuffer_get_length(r->in);
		if (n == 0 || (len > 0 && evbuffer_search(r->in, "\n", 1, NULL).pos >= 0)) {
			if (len == 0)
				agt_fail(r, "the agent closed the connection without answering", 0);
			else
				agt_done(r);
			return;
		}
		if ((long)len > AGT_MAX_ANSWER) {
			agt_fail(r, "the answer is too large", 0);
			return;
		}
	}
}

static void
agt_writable(evutil_socket_t fd, short what, void *arg)
{
	struct agt_req *r = arg;
	ssize_t n;

	n = send(fd, r->out + r->outoff, r->outlen - r->outoff, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		agt_fail(r, strerror(errno), 0);
		return;
	}
	r->outoff += (size_t)n;
	if (r->outoff < r->outlen)
		return;
	event_free(r->ev);
	r->ev = event_new(agt.base, fd, EV_READ | EV_PERSIST, agt_readable, r);
	event_add(r->ev, NULL);
}

static void
agt_deadline(evutil_socket_t fd, short what, void *arg)
{
	char why[96];

	snprintf(why, sizeof why, "no answer within %g s (stopped or hung?)",
	    CNF_Get()->timeout);
	agt_fail(arg, why, 1);
}

static void
agt_timeval(double s, struct timeval *tv)
{
	tv->tv_sec = (time_t)s;
	tv->tv_usec = (suseconds_t)((s - (double)tv->tv_sec) * 1e6);
}

/* The poll: every anchor (choice 3), as jhookd's consumer. */
static char *
agt_request(void)
{
	json_object	*fields = json_object_new_object();
	char		*line;

	if (fields == NULL)
		return NULL;
	json_object_object_add(fields, "choice", json_object_new_int(3));
	line = proto_request_line(&proto_agent, proto_commands[PROTO_CMD_leak].name,
	    CNF_Get()->consumer, fields);
	json_object_put(fields);
	return line;
}

/* Starts one poll of the agent at path; failures are recorded at once. */
static void
agt_poll(const char *path, long pid, unsigned long long start)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct agt_req *r = calloc(1, sizeof *r);
	struct timeval tv;

	if (r == NULL)
		return;
	r->pid = pid;
	r->start = start;
	r->next = agt.reqs;
	agt.reqs = r;
	r->sent = jd_now();
	r->in = evbuffer_new();
	if ((r->out = agt_request()) == NULL) {
		agt_fail(r, "out of memory", 0);
		return;
	}
	r->outlen = strlen(r->out);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || (connect(r->fd, (struct sockaddr *)&sun, sizeof sun) != 0 &&
	    errno != EINPROGRESS)) {
		char why[160];

		snprintf(why, sizeof why, "cannot connect: %s", strerror(errno));
		agt_fail(r, why, 0);
		return;
	}
	r->ev = event_new(agt.base, r->fd, EV_WRITE | EV_PERSIST, agt_writable, r);
	r->timer = evtimer_new(agt.base, agt_deadline, r);
	agt_timeval(CNF_Get()->timeout, &tv);
	event_add(r->ev, NULL);
	evtimer_add(r->timer, &tv);
}

/* Polls every agent socket in one directory. */
static void
agt_scan_dir(const char *dir, double now)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	unsigned long long start;
	struct hst_proc *p;
	struct dirent *de;
	struct stat st;
	DIR *d;
	long pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = proto_socket_pid(de->d_name)) <= 0)
			continue;
		if (proto_socket_path(dir, pid, path, sizeof path) != 0 ||
		    lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		if ((start = agt_start_time(pid)) == 0)
			continue;	/* a stale socket: its process is gone */
		if ((p = HST_Seen(pid, start, now)) == NULL || agt_find(pid, start) != NULL)
			continue;	/* the last poll is still running */
		agt_poll(path, pid, start);
	}
	closedir(d);
}

/* Every directory watched: the configured patterns or the defaults. */
static void
agt_scan(double now)
{
	const char *watch = CNF_Get()->watch;
	char dir[256], cause[256], *pats, *tok, *save;
	glob_t g;
	size_t i;

	if (*watch == '\0') {
		if (getenv("JHOOK_SOCKET_DIR") == NULL && geteuid() == 0)
			watch = "/run/jhook /run/jhook-* /run/user/*/jhook /tmp/jhook-*";
		else if (proto_socket_dir(dir, sizeof dir, cause, sizeof cause) == 0)
			watch = dir;
	}
	pats = strdup(watch);
	for (tok = strtok_r(pats, " \t,", &save); tok != NULL; tok = strtok_r(NULL, " \t,", &save)) {
		if (glob(tok, GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc; i++)
			agt_scan_dir(g.gl_pathv[i], now);
		globfree(&g);
	}
	free(pats);
}

/* Processes whose pid is gone, or recycled, have ended. */
static void
agt_reap(double now)
{
	struct hst_proc *p;

	for (p = HST_Processes(); p != NULL; p = p->next)
		if (p->state != HST_ENDED && agt_start_time(p->pid) != p->start)
			HST_SetState(p, HST_ENDED, now, "the process is gone");
}

static void
agt_tick(evutil_socket_t fd, short what, void *arg)
{
	double now = jd_now();

	jd_counters.scans++;
	agt_reap(now);
	agt_scan(now);
	STO_Commit();
	HST_Maintain(now);
}

void
AGT_Reconfigure(void)
{
	struct timeval tv;

	if (!proto_consumer_ok(CNF_Get()->consumer))
		LOG_Warn("consumer \"%s\" is not a valid consumer name: agents will "
		    "refuse the polls", CNF_Get()->consumer);
	agt_timeval(CNF_Get()->interval, &tv);
	event_del(agt.tick);
	event_add(agt.tick, &tv);
}

int
AGT_Initialise(struct event_base *base)
{
	agt.base = base;
	agt.tick = event_new(base, -1, EV_PERSIST, agt_tick, NULL);
	if (agt.tick == NULL)
		return -1;
	AGT_Reconfigure();
	event_active(agt.tick, EV_TIMEOUT, 0);	/* the first scan now */
	return 0;
}

void
AGT_Finalise(void)
{
	while (agt.reqs != NULL)
		agt_free(agt.reqs);
	if (agt.tick != NULL)
		event_free(agt.tick);
	agt.tick = NULL;
}
