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
/* Read from one agent per wakeup, so one big answer never holds the loop. */
#define AGT_READ_SLICE	(1024 * 1024)
/* Sockets refused once, remembered so each is logged once. */
#define AGT_REFUSED	64

struct agt_req {
	long			 pid;
	unsigned long long	 start;
	uid_t			 owner;		/* the socket directory's owner */
	ino_t			 ino;		/* the socket file's */
	int			 verified;	/* SO_PEERCRED checked */
	size_t			 scanned;	/* bytes of in searched for the newline */
	int			 fd;
	char			*out;		/* the request line */
	size_t			 outlen, outoff;
	struct evbuffer		*in;
	struct event		*ev;		/* read or write readiness */
	struct event		*timer;		/* the deadline */
	double			 sent;
	struct agt_req		*next;
};

/* A socket whose server is not who its name and directory say. */
struct agt_refused {
	long			 pid;
	unsigned long long	 start;
	ino_t			 ino;
};

static struct {
	struct event_base	*base;
	struct event		*tick;
	struct agt_req		*reqs;		/* in flight */
	struct agt_refused	 refused[AGT_REFUSED];
	unsigned		 nrefused;	/* ever; the ring keeps the last AGT_REFUSED */
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

int
AGT_Answer(struct hst_proc *p, const char *text, size_t len, double now, char *cause,
    size_t causelen)
{
	struct proto_answer ans;
	char msg[200];
	int rc = -1;

	/* The answer's line, without its newline: proto/ checks its envelope. */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (proto_answer_parse(&proto_agent, text, len, &ans, cause, causelen) != 0)
		goto out;
	if (!ans.ok) {
		snprintf(msg, sizeof msg, "%s", ans.message);
		snprintf(cause, causelen, "the agent refused the poll: %s", msg);
		goto out;
	}
	if (p != NULL && (rc = HST_Record(p, ans.result, now, cause, causelen)) > 0) {
		/* Not wrong, but of no use: the next poll asks for every frame. */
		LOG_Info("pid %ld: %s", p->pid, cause);
		goto out;
	}
	if (p != NULL && rc != 0) {
		/* A malformed answer: that agent is skipped, said once per process. */
		if (strcmp(p->error, cause) != 0)
			LOG_Warn("pid %ld: a malformed answer skipped: %s", p->pid, cause);
		goto out;
	}
	rc = 0;
out:
	proto_answer_free(&ans);
	return rc;
}

/* The whole answer is in: record it. */
static void
agt_done(struct agt_req *r)
{
	struct hst_proc *p = HST_Find(r->pid, r->start);
	char cause[256];
	double now = jd_now();
	int rc = 0;
	size_t len = evbuffer_get_length(r->in);
	const char *text = (const char *)evbuffer_pullup(r->in, -1);

	if ((rc = AGT_Answer(p, text, len, now, cause, sizeof cause)) > 0) {
		agt_free(r);	/* of no use, not wrong: nothing recorded */
		return;
	}
	if (rc != 0) {
		agt_fail(r, cause, 0);
		return;
	}
	if (p != NULL) {
		jd_counters.polls++;
		p->last_latency = now - r->sent;
		p->answer_bytes = len;
		p->error[0] = '\0';
		HST_SetState(p, HST_LIVE, now, NULL);
	}
	agt_free(r);
}

static void
agt_readable(evutil_socket_t fd, short what, void *arg)
{
	struct agt_req *r = arg;
	struct evbuffer_ptr at;
	size_t len, got = 0;
	int n;

	/* A slice at a time, and the newline looked for only in what is new. */
	while (got < AGT_READ_SLICE) {
		n = evbuffer_read(r->in, fd, 65536);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			agt_fail(r, strerror(errno), 0);
			return;
		}
		got += (size_t)(n > 0 ? n : 0);
		len = evbuffer_get_length(r->in);
		if (n > 0) {
			evbuffer_ptr_set(r->in, &at, r->scanned, EVBUFFER_PTR_SET);
			if (evbuffer_search(r->in, "\n", 1, &at).pos >= 0) {
				agt_done(r);
				return;
			}
			r->scanned = len;
		}
		if (n == 0) {
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

/*
 * 0 when the socket's server is the process its name says, run by the
 * directory's owner or root: a socket planted by another user, or named
 * after a process that is not its server, is refused.
 */
static int
agt_peer_ok(int fd, long pid, uid_t owner, char *why, size_t len)
{
	struct ucred cred;
	socklen_t l = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) != 0) {
		snprintf(why, len, "SO_PEERCRED: %s", strerror(errno));
		return -1;
	}
	if ((long)cred.pid != pid) {
		snprintf(why, len, "its server is pid %ld, not %ld", (long)cred.pid, pid);
		return -1;
	}
	if (cred.uid != owner && cred.uid != 0) {
		snprintf(why, len, "its server runs as uid %lu, not as the directory's "
		    "owner %lu", (unsigned long)cred.uid, (unsigned long)owner);
		return -1;
	}
	return 0;
}

static int
agt_is_refused(long pid, unsigned long long start, ino_t ino)
{
	unsigned i, n = agt.nrefused < AGT_REFUSED ? agt.nrefused : AGT_REFUSED;

	for (i = 0; i < n; i++)
		if (agt.refused[i].pid == pid && agt.refused[i].start == start &&
		    agt.refused[i].ino == ino)
			return 1;
	return 0;
}

/* Drops a socket that is not what it claims: logged once, never recorded. */
static void
agt_refuse(struct agt_req *r, const char *why)
{
	struct agt_refused *f = &agt.refused[agt.nrefused++ % AGT_REFUSED];

	f->pid = r->pid;
	f->start = r->start;
	f->ino = r->ino;
	LOG_Warn("socket of pid %ld refused: %s", r->pid, why);
	agt_free(r);
}

static void
agt_writable(evutil_socket_t fd, short what, void *arg)
{
	struct agt_req *r = arg;
	char why[160];
	ssize_t n;

	if (!r->verified) {
		if (agt_peer_ok(fd, r->pid, r->owner, why, sizeof why) != 0) {
			agt_refuse(r, why);
			return;
		}
		r->verified = 1;
		/* Only a verified agent becomes a process jhookd records. */
		if (HST_Seen(r->pid, r->start, jd_now()) == NULL) {
			agt_free(r);
			return;
		}
	}
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

/*
 * The poll: every anchor (choice 3), as jhookd's consumer; those the
 * history already has the frames of (below frames_from) come by id alone.
 */
static char *
agt_request(uint32_t frames_from)
{
	json_object	*fields = json_object_new_object();
	char		*line;

	if (fields == NULL)
		return NULL;
	json_object_object_add(fields, "choice", json_object_new_int(3));
	if (frames_from > 0)
		json_object_object_add(fields, "frames_from",
		    json_object_new_int64(frames_from));
	line = proto_request_line(&proto_agent, proto_commands[PROTO_CMD_leak].name,
	    CNF_Get()->consumer, fields);
	json_object_put(fields);
	return line;
}

/* Starts one poll of the agent at path; failures are recorded at once. */
static void
agt_poll(const char *path, long pid, unsigned long long start, uid_t owner, ino_t ino)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct agt_req *r = calloc(1, sizeof *r);
	struct timeval tv;

	if (r == NULL)
		return;
	r->pid = pid;
	r->start = start;
	r->owner = owner;
	r->ino = ino;
	r->next = agt.reqs;
	agt.reqs = r;
	r->sent = jd_now();
	r->in = evbuffer_new();
	if ((r->out = agt_request(HST_FramesFrom(HST_Find(pid, start)))) == NULL) {
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

/*
 * Whether a socket directory may be trusted, as the agent checks its own:
 * a real directory (not a symlink), no group or other permission, owned by
 * jhookd's own uid unless jhookd runs as root.  Its owner in *owner.
 */
static int
agt_dir_ok(const char *dir, uid_t *owner)
{
	char cause[256];
	struct stat st;

	if (lstat(dir, &st) != 0)
		return 0;
	if (geteuid() != 0 && st.st_uid != geteuid())
		return 0;
	if (proto_check_dir(dir, st.st_uid, 0, cause, sizeof cause) != 0) {
		LOG_Debug("socket directory skipped: %s", cause);
		return 0;
	}
	*owner = st.st_uid;
	return 1;
}

/* Polls every agent socket in one directory. */
static void
agt_scan_dir(const char *dir, double now)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	unsigned long long start;
	struct dirent *de;
	struct stat st;
	uid_t owner;
	DIR *d;
	long pid;

	if (!agt_dir_ok(dir, &owner) || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = proto_socket_pid(de->d_name)) <= 0)
			continue;
		/* Only the directory's owner can have made its sockets. */
		if (proto_socket_path(dir, pid, path, sizeof path) != 0 ||
		    lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != owner)
			continue;
		if ((start = agt_start_time(pid)) == 0)
			continue;	/* a stale socket: its process is gone */
		if (agt_find(pid, start) != NULL || agt_is_refused(pid, start, st.st_ino))
			continue;	/* the last poll is still running, or a fake */
		agt_poll(path, pid, start, owner, st.st_ino);
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
