/*
 * control.c - the control socket of a traced process.
 *
 * One thread, started when the agent loads (also when dormant), owns a Unix
 * socket <dir>/<pid>.sock and serves the protocol of proto/proto.h.  It
 * polls up to CTL_MAX_CONN connections at once, reading each request into a
 * fixed buffer so an oversized frame is refused before it is parsed, and
 * streams every answer through a fmt_out (a fixed buffer on the stack), so
 * its memory stays bounded whatever the number of anchors.
 *
 * The thread enters guard_enter() for good as it starts: json-c's
 * allocations and everything else it does pass through the hooks untraced.
 * It only reads the tables the hooks publish, so a hook never waits on it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "command.h"
#include "control.h"
#include "fd.h"
#include "fmt.h"
#include "guard.h"
#include "proto.h"
#include "report.h"

#define CTL_MAX_CONN	64		/* connections served at once */
#define CTL_IDLE_MS	30000		/* a silent connection is closed */
#define CTL_SEND_MS	5000		/* a client that stops reading is dropped */
#define CTL_BACKOFF_MS	100		/* accept() out of descriptors */
#define CTL_STACK	(512 * 1024)
#define CTL_MAX_WORKERS	8		/* answers written by threads of their own at once */
#define CTL_WORKER_POLL_MS 10		/* poll's timeout while workers run */

enum ctl_mode {
	CTL_OFF = 0,
	CTL_RO = 1,
	CTL_RW = 2,
};

struct ctl_conn {
	int	 fd;			/* -1 when the slot is free */
	ino_t	 sock_ino;		/* proves fd is still ours before closing it */
	uid_t	 uid;
	size_t	 len;
	int64_t	 last_ms;
	int	 worker;		/* atomic: a worker owns fd until it clears this */
	int	 broken;		/* set by the worker: the peer stopped reading */
	char	 buf[PROTO_MAX_REQUEST];
};

/* An answer a worker thread writes: the parsed request and its connection. */
struct ctl_job {
	struct ctl_conn		*c;
	struct cmd_req		 q;
	struct cmd_transport	 t;
	char			 cause[256];
};

static struct {
	int		 mode;
	int		 started;
	int		 closing;
	pid_t		 pid;		/* the process that bound path */
	int		 listen_fd;
	dev_t		 dev;
	ino_t		 ino;
	ino_t		 listen_ino;	/* the listening socket's own inode (sockfs) */
	int		 quiet;		/* a forked child: its socket failing is not the host's news */
	char		 path[sizeof ((struct sockaddr_un *)0)->sun_path];
	/* The directory, resolved once in the constructor: getenv on this thread could race the host's setenv. */
	char		 dir[sizeof ((struct sockaddr_un *)0)->sun_path];
	char		 dir_cause[256];	/* why there is none, when dir is "" */
	struct ctl_conn	*conns;
	int64_t		 backoff_until;
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 errors;		/* atomic: workers count theirs */
	uint64_t	 refused;
	uint64_t	 busy;
	int		 workers;	/* atomic: worker threads running */
} ctl = { .listen_fd = -1 };

/*
 * The commands whose answers can be large (a snapshot of every anchor):
 * written by a worker thread, so a client that reads slowly holds only its
 * own connection and the control thread goes on serving the others.
 */
static const int ctl_heavy[PROTO_CMD_COUNT] = {
	[PROTO_CMD_leak] = 1,
	[PROTO_CMD_bound] = 1,
	[PROTO_CMD_modules] = 1,
};

/* Monotonic milliseconds. */
static int64_t
ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ connections */

/* Runs a parsed request (or answers its error) on fd; -1 when the peer is gone. */
static int
ctl_answer(int fd, struct cmd_req *q, enum proto_error e)
{
	struct fmt_out o;
	sigset_t pipe;
	struct timespec zero = { 0, 0 };

	fmt_open(&o, fd);
	q->o = &o;
	if (e == PROTO_OK)
		e = cmd_run(q);
	if (q->begun)
		cmd_end(q);
	else
		cmd_error(&o, e, q->cause);
	if (e != PROTO_OK)
		__atomic_add_fetch(&ctl.errors, 1, __ATOMIC_RELAXED);
	fmt_flush(&o);
	/* A peer that hung up raised SIGPIPE on this thread, where it is blocked. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	while (sigtimedwait(&pipe, NULL, &zero) > 0)
		;
	return o.error ? -1 : 0;
}

/* A worker: writes one answer blocking (bounded by SO_SNDTIMEO), then gives the connection back. */
static void *
ctl_work(void *arg)
{
	struct ctl_job	*j = arg;
	struct ctl_conn	*c = j->c;
	int		 flags;

	guard_agent_thread();
	flags = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	if (ctl_answer(c->fd, &j->q, PROTO_OK) != 0)
		c->broken = 1;
	fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
	c->last_ms = ctl_now();
	arena_release(j, sizeof *j);
	__atomic_sub_fetch(&ctl.workers, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->worker, 0, __ATOMIC_RELEASE);
	return NULL;
}

/* Hands a parsed request to a worker thread; 0 when one took it. */
static int
ctl_delegate(struct ctl_conn *c, const struct cmd_req *q, const struct cmd_transport *t)
{
	pthread_attr_t attr;
	pthread_t thread;
	struct ctl_job *j;
	int started;

	if (__atomic_load_n(&ctl.workers, __ATOMIC_RELAXED) >= CTL_MAX_WORKERS ||
	    (j = arena_pages(sizeof *j)) == NULL)
		return -1;
	j->c = c;
	j->q = *q;
	j->t = *t;
	j->q.t = &j->t;
	j->q.cause = j->cause;
	j->q.causelen = sizeof j->cause;
	j->cause[0] = '\0';
	c->worker = 1;
	c->broken = 0;
	__atomic_add_fetch(&ctl.workers, 1, __ATOMIC_RELAXED);
	/* Signals stay blocked: the thread inherits this thread's mask. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CTL_STACK);
	started = pthread_create(&thread, &attr, ctl_work, j) == 0;
	pthread_attr_destroy(&attr);
	if (started)
		return 0;
	__atomic_sub_fetch(&ctl.workers, 1, __ATOMIC_RELAXED);
	c->worker = 0;
	arena_release(j, sizeof *j);
	return -1;
}

/*
 * Parses and answers one frame, or hands a heavy one to a worker; -1 when
 * the connection must be closed.
 */
static int
ctl_serve(struct ctl_conn *c, const char *frame, size_t len)
{
	struct cmd_req q;
	struct cmd_transport t;
	char cause[256];
	enum proto_error e;

	memset(&q, 0, sizeof q);
	q.t = &t;
	q.cause = cause;
	q.causelen = sizeof cause;
	cause[0] = '\0';
	ctl.requests++;
	t.socket = ctl.path;
	t.read_only = ctl.mode == CTL_RO;
	t.connections = ctl.connections;
	t.requests = ctl.requests;
	t.errors = __atomic_load_n(&ctl.errors, __ATOMIC_RELAXED);
	t.refused = ctl.refused;
	t.busy = ctl.busy;
	e = proto_parse_request(frame, len, &q.r, cause, sizeof cause);
	if (e == PROTO_OK && ctl.mode == CTL_RO &&
	    proto_commands[q.r.cmd].access == PROTO_RW) {
		fmt_snprintf(cause, sizeof cause, "\"%s\" changes the process and "
		    "JHOOK_CONTROL=ro", proto_commands[q.r.cmd].name);
		e = PROTO_E_NOT_PERMITTED;
	}
	if (e == PROTO_OK && ctl_heavy[q.r.cmd] && ctl_delegate(c, &q, &t) == 0)
		return 0;
	return ctl_answer(c->fd, &q, e);
}

static void
ctl_close(struct ctl_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Answers an error on a connection that is then closed. */
static void
ctl_refuse(int fd, enum proto_error e, const char *cause)
{
	struct fmt_out o;

	fmt_open(&o, fd);
	cmd_error(&o, e, cause);
	fmt_flush(&o);
	close(fd);
}

/* Answers each complete line in the buffer; -1 to close. */
static int
ctl_frames_in(struct ctl_conn *c)
{
	char *nl;
	size_t used;
	int flags = fcntl(c->fd, F_GETFL);
	int rc = 0;

	/* Answers are written blocking, bounded by SO_SNDTIMEO. */
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	/* A worker that took a frame owns the connection until it is done. */
	while (rc == 0 && !c->worker && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		used = (size_t)(nl - c->buf) + 1;
		rc = ctl_serve(c, c->buf, used - 1);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	/* Once a worker owns the descriptor, its mode is the worker's to set. */
	if (!__atomic_load_n(&c->worker, __ATOMIC_ACQUIRE))
		fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
	return rc;
}

/* Reads what the peer sent and serves it. */
static void
ctl_readable(struct ctl_conn *c)
{
	ssize_t n;
	char cause[96];

	n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0 && (errno == EBADF || errno == ENOTSOCK)) {
		c->fd = -1;		/* the host closed it: the number is not ours to close */
		c->len = 0;
		return;
	}
	if (n <= 0) {
		if (n == 0 && c->len > 0) {
			fmt_snprintf(cause, sizeof cause, "request truncated: "
			    "%zu bytes and no newline before the end of the stream", c->len);
			ctl.requests++;
			__atomic_add_fetch(&ctl.errors, 1, __ATOMIC_RELAXED);
			ctl_refuse(c->fd, PROTO_E_BAD_FRAME, cause);
			c->fd = -1;
			c->len = 0;
			return;
		}
		ctl_close(c);
		return;
	}
	c->len += (size_t)n;
	c->last_ms = ctl_now();
	if (ctl_frames_in(c) != 0) {
		ctl_close(c);
		return;
	}
	if (c->len == sizeof c->buf) {
		fmt_snprintf(cause, sizeof cause, "a request is at most %d bytes "
		    "with its newline", PROTO_MAX_REQUEST);
		ctl.requests++;
		__atomic_add_fetch(&ctl.errors, 1, __ATOMIC_RELAXED);
		ctl_refuse(c->fd, PROTO_E_TOO_LARGE, cause);
		c->fd = -1;
		c->len = 0;
	}
}

/* Same uid or root, checked with SO_PEERCRED. */
static int
ctl_peer_ok(int fd, uid_t *uid, char *cause, size_t causelen)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		fmt_snprintf(cause, causelen, "cannot read the peer's credentials");
		return 0;
	}
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	fmt_snprintf(cause, causelen, "uid %u may not control this process "
	    "(it runs as uid %u)", (unsigned)cred.uid, (unsigned)geteuid());
	return 0;
}

/* The inode of a socket descriptor, 0 when it is no socket. */
static ino_t
ctl_sock_ino(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

/* Closes fd only if it is still the socket we opened (its number may be the host's now). */
static void
ctl_close_if_ours(int fd, ino_t ino)
{
	if (fd >= 0 && ino != 0 && ctl_sock_ino(fd) == ino)
		close(fd);
}

/* A warning about the socket, on the host's stderr only in the process that loaded the agent. */
#define ctl_warn(...)	do { if (!ctl.quiet) fmt_warn(__VA_ARGS__); } while (0)

static int	ctl_open_socket(void);

/*
 * The host closed our listening socket (a daemon closing every descriptor
 * at start is common) and may already reuse its number: forget it without
 * closing it, and bind a new one, at most once per backoff period.
 */
static void
ctl_lost_listener(void)
{
	ctl.listen_fd = -1;
	ctl.backoff_until = ctl_now() + CTL_BACKOFF_MS;
	if (ctl_open_socket() == 0)
		ctl.backoff_until = 0;
}

static struct ctl_conn *
ctl_free_slot(void)
{
	int i;

	for (i = 0; i < CTL_MAX_CONN; i++) {
		if (ctl.conns[i].fd < 0)
			return &ctl.conns[i];
	}
	return NULL;
}

/* Accepts every pending connection. */
static void
ctl_accept(void)
{
	struct timeval tv = { CTL_SEND_MS / 1000, 0 };
	struct ctl_conn *c;
	char cause[128];
	uid_t uid = 0;
	int fd;

	for (;;) {
		fd = accept4(ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				ctl.backoff_until = ctl_now() + CTL_BACKOFF_MS;
			else if (errno == EBADF || errno == ENOTSOCK || errno == EINVAL)
				ctl_lost_listener();
			return;
		}
		ctl.connections++;
		fd = fd_move_high(fd);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (!ctl_peer_ok(fd, &uid, cause, sizeof cause)) {
			ctl.refused++;
			ctl_refuse(fd, PROTO_E_NOT_PERMITTED, cause);
			continue;
		}
		if ((c = ctl_free_slot()) == NULL) {
			ctl.busy++;
			ctl_refuse(fd, PROTO_E_BUSY, "too many connections; try again");
			continue;
		}
		c->fd = fd;
		c->sock_ino = ctl_sock_ino(fd);
		c->uid = uid;
		c->len = 0;
		c->last_ms = ctl_now();
	}
}

/* ----------------------------------------------------------------- socket */

/* Binds <dir>/<pid>.sock, mode 0600; -1 with a warning. */
static int
ctl_open_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cause[256];
	struct stat st;
	int fd, rc;

	cause[0] = '\0';
	if (ctl.dir[0] == '\0')
		fmt_snprintf(cause, sizeof cause, "%s", ctl.dir_cause);
	if (ctl.dir[0] == '\0' ||
	    proto_check_dir(ctl.dir, geteuid(), 1, cause, sizeof cause) != 0 ||
	    proto_socket_path(ctl.dir, (long)getpid(), ctl.path, sizeof ctl.path) != 0) {
		if (cause[0] == '\0')
			fmt_snprintf(cause, sizeof cause, "%s: path too long", ctl.dir);
		ctl_warn("control socket disabled: %s", cause);
		ctl.path[0] = '\0';
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ctl_warn("control socket disabled: socket: %s", strerror(errno));
		return -1;
	}
	fd = fd_move_high(fd);
	memcpy(sun.sun_path, ctl.path, strlen(ctl.path) + 1);
	/* Ours by name: a leftover of this pid (an exec'd image) is stale. */
	unlink(ctl.path);
	/*
	 * Not umask(): it is the whole process's, and the host's threads create
	 * files meanwhile.  Linux gives the new node the socket's own mode (as
	 * masked by the umask), so set that first; chmod after, for certain.
	 */
	fchmod(fd, 0600);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	if (rc == 0)
		rc = chmod(ctl.path, 0600);
	if (rc != 0 || listen(fd, SOMAXCONN) != 0 || stat(ctl.path, &st) != 0) {
		ctl_warn("control socket disabled: %s: %s", ctl.path, strerror(errno));
		close(fd);
		ctl.path[0] = '\0';
		return -1;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ctl.listen_ino = ctl_sock_ino(fd);
	ctl.pid = getpid();
	ctl.listen_fd = fd;
	/* A short-lived process may have finished while this thread started. */
	if (__atomic_load_n(&ctl.closing, __ATOMIC_ACQUIRE))
		unlink(ctl.path);
	return 0;
}

/* Closes connections silent for too long. */
static void
ctl_expire(int64_t now)
{
	int i;

	for (i = 0; i < CTL_MAX_CONN; i++) {
		if (ctl.conns[i].fd >= 0 && !__atomic_load_n(&ctl.conns[i].worker,
		    __ATOMIC_ACQUIRE) && now - ctl.conns[i].last_ms > CTL_IDLE_MS)
			ctl_close(&ctl.conns[i]);
	}
}

/*
 * Connections whose worker is done: closed when the peer stopped reading,
 * else the requests that arrived behind the one the worker answered.
 */
static void
ctl_after_workers(void)
{
	struct ctl_conn *c;
	int i;

	for (i = 0; i < CTL_MAX_CONN; i++) {
		c = &ctl.conns[i];
		if (c->fd < 0 || __atomic_load_n(&c->worker, __ATOMIC_ACQUIRE))
			continue;
		if (c->broken) {
			c->broken = 0;
			ctl_close(c);
		} else if (c->len > 0 && memchr(c->buf, '\n', c->len) != NULL &&
		    ctl_frames_in(c) != 0) {
			ctl_close(c);
		}
	}
}

/* One round of poll over the listening socket and the connections. */
static void
ctl_poll_once(void)
{
	struct pollfd pfd[CTL_MAX_CONN + 1];
	struct ctl_conn *slot[CTL_MAX_CONN + 1];
	int n = 0, i, listening, timeout;
	int64_t now = ctl_now();

	if (ctl.listen_fd < 0 && now >= ctl.backoff_until)
		ctl_lost_listener();
	listening = ctl.listen_fd >= 0 && now >= ctl.backoff_until;
	if (listening) {
		pfd[n].fd = ctl.listen_fd;
		pfd[n].events = POLLIN;
		slot[n++] = NULL;
	}
	for (i = 0; i < CTL_MAX_CONN; i++) {
		/* A connection a worker writes on is not read meanwhile. */
		if (ctl.conns[i].fd < 0 ||
		    __atomic_load_n(&ctl.conns[i].worker, __ATOMIC_ACQUIRE))
			continue;
		pfd[n].fd = ctl.conns[i].fd;
		pfd[n].events = POLLIN;
		slot[n++] = &ctl.conns[i];
	}
	timeout = listening ? 1000 : CTL_BACKOFF_MS;
	if (__atomic_load_n(&ctl.workers, __ATOMIC_RELAXED) > 0)
		timeout = CTL_WORKER_POLL_MS;	/* soon back for what waits behind them */
	ctl_after_workers();
	if (poll(pfd, (nfds_t)n, timeout) <= 0) {
		ctl_expire(ctl_now());
		return;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].revents & POLLNVAL) {
			/* Closed behind our back: forget it, never close it. */
			if (slot[i] == NULL)
				ctl.listen_fd = -1;
			else
				slot[i]->fd = -1;
			continue;
		}
		if (slot[i] == NULL)
			ctl_accept();
		else if (slot[i]->fd >= 0 && !slot[i]->worker)
			ctl_readable(slot[i]);
	}
	ctl_expire(ctl_now());
}

static void *
ctl_main(void *arg)
{
	int i;

	guard_agent_thread();	/* inside the guard for the whole life of the thread */
	if (ctl.conns == NULL)
		ctl.conns = arena_pages(CTL_MAX_CONN * sizeof *ctl.conns);
	if (ctl.conns == NULL) {
		ctl_warn("control socket disabled: no memory");
		return NULL;
	}
	for (i = 0; i < CTL_MAX_CONN; i++)
		ctl.conns[i].fd = -1;
	if (ctl_open_socket() != 0)
		return NULL;
	while (!__atomic_load_n(&ctl.closing, __ATOMIC_RELAXED)) {
		ctl_poll_once();
		rep_news();	/* overflows the hooks recorded, printed within a second */
	}
	return NULL;
}

/* Starts the thread with every signal blocked: the host's handlers never run on it. */
static void
ctl_spawn(void)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int guard;

	guard = guard_enter();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CTL_STACK);
	if (pthread_create(&thread, &attr, ctl_main, NULL) != 0)
		ctl_warn("control socket disabled: cannot start its thread");
	else
		ctl.started = 1;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	guard_leave(guard);
}

/* JHOOK_CONTROL=rw|ro|off; a bad value is refused and rw is used. */
static int
ctl_read_mode(void)
{
	const char *v = getenv("JHOOK_CONTROL");

	if (v == NULL || *v == '\0' || strcmp(v, "rw") == 0)
		return CTL_RW;
	if (strcmp(v, "ro") == 0)
		return CTL_RO;
	if (strcmp(v, "off") == 0)
		return CTL_OFF;
	fmt_warn("JHOOK_CONTROL=%s refused: expected rw, ro or off; using rw", v);
	return CTL_RW;
}

void
ctl_initialise(void)
{
	if (ctl.started)
		return;
	ctl.mode = ctl_read_mode();
	if (ctl.mode == CTL_OFF)
		return;
	/* Here, before main(), the environment is still the host's untouched one. */
	ctl.dir_cause[0] = '\0';
	if (proto_socket_dir(ctl.dir, sizeof ctl.dir, ctl.dir_cause,
	    sizeof ctl.dir_cause) != 0)
		ctl.dir[0] = '\0';
	ctl_spawn();
}

void
ctl_finalise(void)
{
	struct stat st;

	__atomic_store_n(&ctl.closing, 1, __ATOMIC_SEQ_CST);
	if (ctl.path[0] == '\0' || ctl.pid != getpid())
		return;
	/* Only the socket this process bound, never a successor's. */
	if (stat(ctl.path, &st) == 0 && st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
	ctl.path[0] = '\0';
}

void
ctl_fork_child(void)
{
	int i;

	if (!ctl.started)
		return;
	/* The parent's thread is gone; its descriptors are the parent's business. */
	ctl_close_if_ours(ctl.listen_fd, ctl.listen_ino);
	ctl.listen_fd = -1;
	if (ctl.conns != NULL) {
		for (i = 0; i < CTL_MAX_CONN; i++) {
			ctl_close_if_ours(ctl.conns[i].fd, ctl.conns[i].sock_ino);
			ctl.conns[i].fd = -1;
			ctl.conns[i].worker = 0;	/* its thread is the parent's */
			ctl.conns[i].broken = 0;
		}
	}
	ctl.workers = 0;
	ctl.path[0] = '\0';
	ctl.connections = ctl.requests = ctl.errors = ctl.refused = ctl.busy = 0;
	ctl.started = 0;
	ctl.closing = 0;
	ctl.quiet = 1;
	ctl.backoff_until = 0;
	ctl_spawn();
}
