/*
 * commands.c - list, status, start, stop, the set-* commands and send.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

#define STALE_GRACE	2	/* seconds a fresh socket may take to listen */

static int
jint(json_object *o, const char *key, long long *out)
{
	int64_t v;

	if (pj_int(o, key, &v) != 0)
		return 0;
	*out = (long long)v;
	return 1;
}

static long long
jget_int(json_object *o, const char *key)
{
	long long v = 0;

	jint(o, key, &v);
	return v;
}

static const char *
jget_str(json_object *o, const char *key)
{
	return pj_str_or(o, key, "");
}

static int
jget_bool(json_object *o, const char *key)
{
	int v;

	return pj_bool(o, key, &v) == 0 && v;
}

/* key=value for every member of a flat result (the set-* answers). */
static void
print_flat(const char *cmd, json_object *r)
{
	int first = 1;

	printf("%s:", cmd);
	json_object_object_foreach(r, k, v) {
		printf("%s %s=%s", first ? "" : ",", k, json_object_get_string(v));
		first = 0;
	}
	printf("\n");
}

/* Calls cmd with fields and prints the answer; the exit code. */
static int
call_and_print(const char *cmd, const struct ctl_opts *o, json_object *fields)
{
	json_object *r;
	int rc = cl_call(o, cmd, fields, &r);

	json_object_put(fields);
	if (rc != 0)
		return rc;
	if (o->json)
		cl_print_json(r);
	else
		print_flat(cmd, r);
	json_object_put(r);
	return 0;
}

static void
print_status(json_object *r)
{
	const char *b = ctl_bold(), *z = ctl_reset();

	printf("%spid %lld%s  %s\n", b, jget_int(r, "pid"), z, jget_str(r, "exe"));
	printf("  tracing   %s (method %s, depth %lld, tail %lld bytes)\n",
	    jget_bool(r, "tracing") ? "yes" : "no (dormant)", jget_str(r, "method"),
	    jget_int(r, "depth"), jget_int(r, "tail"));
	printf("  limits    %s .. %s bytes\n", jget_str(r, "min_size"),
	    jget_str(r, "max_size"));
	printf("  flags     dup %s, bound %s\n", jget_bool(r, "dup") ? "on" : "off",
	    jget_bool(r, "bound") ? "on" : "off");
	if (jget_bool(r, "check"))
		printf("  checker   every %.2f s\n", jget_int(r, "check_every_ms") / 1000.0);
	else
		printf("  checker   off\n");
	printf("  total     %lld bytes, peak %lld bytes\n", jget_int(r, "total_bytes"),
	    jget_int(r, "peak_bytes"));
	printf("  anchors   %lld, live blocks %lld, overflows %lld, generation %lld\n",
	    jget_int(r, "anchors"), jget_int(r, "blocks"), jget_int(r, "overflows"),
	    jget_int(r, "generation"));
	printf("  agent     %lld bytes of its own, %lld modules, protocol %lld\n",
	    jget_int(r, "agent_bytes"), jget_int(r, "modules"), jget_int(r, "proto"));
	printf("  control   %s, %s\n", jget_str(r, "control"), jget_str(r, "socket"));
	printf("  requests  %lld on %lld connections, %lld errors, %lld refused peers,"
	    " %lld busy\n", jget_int(r, "requests"), jget_int(r, "connections"),
	    jget_int(r, "errors"), jget_int(r, "refused_peers"), jget_int(r, "busy"));
}

static int
cmd_status(struct ctl_args *a)
{
	json_object *r;
	int rc;

	if ((rc = cl_call(&a->o, "status", NULL, &r)) != 0)
		return rc;
	if (a->o.json)
		cl_print_json(r);
	else
		print_status(r);
	json_object_put(r);
	return 0;
}

/* start, stop and the set-* commands: the options' fields, the answer. */
static int
cmd_set(struct ctl_args *a)
{
	return call_and_print(a->entry->name, &a->o, args_fields(a));
}

static const struct ctl_option cmd_none[] = { CTL_END };

const struct ctl_entry ctl_entry_status = {
	"status", PROTO_CMD_status, CTL_F_AGENT | CTL_F_TARGET, cmd_none, NULL, 0, 0,
	"The agent's settings, totals and control-socket counters.\n", cmd_status
};

const struct ctl_entry ctl_entry_start = {
	"start", PROTO_CMD_start, CTL_F_AGENT | CTL_F_TARGET, cmd_none, NULL, 0, 0,
	"Start tracing allocations.\n", cmd_set
};

const struct ctl_entry ctl_entry_stop = {
	"stop", PROTO_CMD_stop, CTL_F_AGENT | CTL_F_TARGET, cmd_none, NULL, 0, 0,
	"Stop tracing and clear every anchor, count, total and peak (jhook_stop).\n",
	cmd_set
};

static const struct ctl_option cmd_limit_options[] = {
	CTL_FIELD("min", "BYTES", set_limit, min, "the smallest size traced"),
	CTL_FIELD("max", "BYTES", set_limit, max, "the largest size traced"),
	CTL_END
};
const struct ctl_entry ctl_entry_set_limit = {
	"set-limit", PROTO_CMD_set_limit, CTL_F_AGENT | CTL_F_TARGET,
	cmd_limit_options, NULL, 0, 0,
	"Trace only blocks whose requested size is within [min, max].\n", cmd_set
};

static const struct ctl_option cmd_flag_options[] = {
	CTL_FIELD("dup", "on|off", set_flag, dup,
	    "check each new block against the live table"),
	CTL_FIELD("bound", "on|off", set_flag, bound,
	    "scan every guard on each allocation"),
	CTL_END
};
const struct ctl_entry ctl_entry_set_flag = {
	"set-flag", PROTO_CMD_set_flag, CTL_F_AGENT | CTL_F_TARGET,
	cmd_flag_options, NULL, 0, 0,
	"Turn the agent's checks on or off; give one or both.\n", cmd_set
};

static const struct ctl_option cmd_check_options[] = {
	CTL_FIELD("every", "SECONDS", set_check, every, "check every SECONDS"),
	CTL_FIELD("off", NULL, set_check, off, "stop checking"),
	CTL_END
};
const struct ctl_entry ctl_entry_set_check = {
	"set-check", PROTO_CMD_set_check, CTL_F_AGENT | CTL_F_TARGET,
	cmd_check_options, NULL, 0, 0,
	"The periodic checker: the leak table (choice 0) every SECONDS to the\n"
	"agent's log, or off.\n", cmd_set
};

static const struct ctl_option cmd_method_options[] = {
	CTL_FIELD("method", NULL, set_method, method, "how stacks are captured"),
	CTL_FIELD("depth", "D", set_method, depth, "how many frames"),
	CTL_END
};
const struct ctl_entry ctl_entry_set_method = {
	"set-method", PROTO_CMD_set_method, CTL_F_AGENT | CTL_F_TARGET,
	cmd_method_options, NULL, 0, 0,
	"How stacks are captured from now on, and how deep.  Starts new\n"
	"anchors; existing counts are kept.\n", cmd_set
};

static const struct ctl_option cmd_tail_options[] = {
	CTL_FIELD("bytes", "B", set_tail, bytes, "guard bytes"),
	CTL_END
};
const struct ctl_entry ctl_entry_set_tail = {
	"set-tail", PROTO_CMD_set_tail, CTL_F_AGENT | CTL_F_TARGET,
	cmd_tail_options, NULL, 0, 0,
	"Guard bytes after blocks allocated from now on.\n", cmd_set
};

/* ------------------------------------------------------------------ list */

/* connect()'s errno for path, 0 when something listens there. */
static int
probe(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err = 0;

	if (strlen(path) >= sizeof sun.sun_path)
		return ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		err = errno;
	close(fd);
	return err;
}

/*
 * A socket nobody listens on is stale when its pid is gone, or when it is
 * older than a fresh agent needs to start listening (an exec'd image
 * without the agent).
 */
static int
is_stale(const char *path, long pid)
{
	struct stat st;

	if (probe(path) != ECONNREFUSED || lstat(path, &st) != 0)
		return 0;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 1;
	return time(NULL) - st.st_mtime > STALE_GRACE;
}

static void
list_row(json_object *r)
{
	printf("%7lld  %-8s %12lld %12lld %8lld  %s\n", jget_int(r, "pid"),
	    jget_bool(r, "tracing") ? "tracing" : "dormant", jget_int(r, "total_bytes"),
	    jget_int(r, "peak_bytes"), jget_int(r, "anchors"), jget_str(r, "exe"));
}

static int
by_pid(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The pids of <pid>.sock files in dir, sorted; the count, or -1. */
static int
scan_dir(const char *dir, long **pids)
{
	struct dirent *de;
	DIR *d;
	int n = 0, cap = 0;
	long pid, *p;

	*pids = NULL;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if ((pid = proto_socket_pid(de->d_name)) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((p = realloc(*pids, (size_t)cap * sizeof *p)) == NULL)
				break;
			*pids = p;
		}
		(*pids)[n++] = pid;
	}
	closedir(d);
	qsort(*pids, (size_t)n, sizeof **pids, by_pid);
	return n;
}

static int
cmd_list(struct ctl_args *a)
{
	json_object *agents = json_object_new_array(), *removed = json_object_new_array();
	json_object *r, *err, *doc;
	char dir[256], path[256], cause[512];
	struct ctl_opts o = a->o;
	long *pids;
	int n, i;

	/* Many agents may be asked in a row: a short default. */
	o.timeout = args_seconds(a, "timeout", 3);
	if (proto_socket_dir(dir, sizeof dir, cause, sizeof cause) != 0) {
		fprintf(stderr, "%s: %s\n", ctl_progname, cause);
		return EXIT_CONNECT;
	}
	n = scan_dir(dir, &pids);
	for (i = 0; i < n; i++) {
		if (proto_socket_path(dir, pids[i], path, sizeof path) != 0)
			continue;
		if (is_stale(path, pids[i])) {
			if (unlink(path) == 0)
				json_object_array_add(removed, json_object_new_int64(pids[i]));
			continue;
		}
		if (cl_call_path(path, &o, "status", NULL, &r, &err, cause, sizeof cause) == 0)
			json_object_array_add(agents, r);
		else if (!o.json)
			fprintf(stderr, "%s: pid %ld: %s\n", ctl_progname, pids[i], cause);
		json_object_put(err);
	}
	free(pids);
	if (o.json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "socket_dir", json_object_new_string(dir));
		json_object_object_add(doc, "agents", agents);
		json_object_object_add(doc, "stale_removed", removed);
		cl_print_json(doc);
		json_object_put(doc);
		return 0;
	}
	printf("%s%7s  %-8s %12s %12s %8s  %s%s\n", ctl_bold(), "PID", "STATE", "TOTAL",
	    "PEAK", "ANCHORS", "EXE", ctl_reset());
	for (i = 0; i < (int)json_object_array_length(agents); i++)
		list_row(json_object_array_get_idx(agents, (size_t)i));
	for (i = 0; i < (int)json_object_array_length(removed); i++)
		printf("removed the stale socket of pid %lld\n", (long long)
		    json_object_get_int64(json_object_array_get_idx(removed, (size_t)i)));
	json_object_put(agents);
	json_object_put(removed);
	return 0;
}

static const struct ctl_option cmd_list_options[] = {
	CTL_TIMEOUT("give up on an agent after S seconds (default 3)"),
	CTL_END
};
const struct ctl_entry ctl_entry_list = {
	"list", -1, CTL_F_JSON, cmd_list_options, NULL, 0, 0,
	"Live agents of this user: pid, state, total/peak bytes, anchors, exe.\n"
	"Sockets left by dead processes are removed.\n", cmd_list
};

/* ------------------------------------------------------------------ send */

static int
cmd_send(struct ctl_args *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[256], buf[65536];
	ssize_t n;
	int fd, rc;

	if ((rc = cl_resolve(&a->o, path, sizeof path)) != 0)
		return rc;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s\n", ctl_progname, path,
		    strerror(errno));
		return EXIT_CONNECT;
	}
	if (send(fd, a->argv[0], strlen(a->argv[0]), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		fprintf(stderr, "%s: send: %s\n", ctl_progname, strerror(errno));
	shutdown(fd, SHUT_WR);
	rc = EXIT_TARGET;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		if (memmem(buf, (size_t)n, "\"ok\":true", 9) != NULL)
			rc = 0;
	}
	close(fd);
	return rc;
}

const struct ctl_entry ctl_entry_send = {
	"send", -1, CTL_F_AGENT | CTL_F_TARGET, cmd_none, "JSON", 1, 1,
	"Send one raw request line and print the raw answer (for debugging).\n",
	cmd_send
};
