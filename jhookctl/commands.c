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

static const struct option common_only[] = {
	CTL_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

/* Parses a command that takes only the common options. */
static void
parse_common_only(const char *cmd, int argc, char **argv, struct ctl_opts *o)
{
	int ch;

	ctl_opts_init(o);
	while ((ch = getopt_long(argc, argv, "h", common_only, NULL)) != -1)
		ctl_common_opt(cmd, ch, optarg, o);
	ctl_need_target(cmd, o, argc, argv, optind);
}

static int
jint(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	*out = json_object_get_int64(v);
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
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

static int
jget_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
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

int
cmd_status(int argc, char **argv)
{
	struct ctl_opts o;
	json_object *r;
	int rc;

	parse_common_only("status", argc, argv, &o);
	if ((rc = cl_call(&o, "status", NULL, &r)) != 0)
		return rc;
	if (o.json)
		cl_print_json(r);
	else
		print_status(r);
	json_object_put(r);
	return 0;
}

int
cmd_start(int argc, char **argv)
{
	struct ctl_opts o;

	parse_common_only("start", argc, argv, &o);
	return call_and_print("start", &o, NULL);
}

int
cmd_stop(int argc, char **argv)
{
	struct ctl_opts o;

	parse_common_only("stop", argc, argv, &o);
	return call_and_print("stop", &o, NULL);
}

int
cmd_set_limit(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object();
	struct ctl_opts o;
	int ch, have = 0;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'm' || ch == 'M') {
			json_object_object_add(f, ch == 'm' ? "min" : "max",
			    json_object_new_int64(ctl_number("set-limit", ch == 'm' ?
			    "--min" : "--max", optarg, 0, INT64_MAX - 1)));
			have |= ch == 'm' ? 1 : 2;
		} else
			ctl_common_opt("set-limit", ch, optarg, &o);
	}
	ctl_need_target("set-limit", &o, argc, argv, optind);
	if (have != 3)
		ctl_usage_error("set-limit", "both --min and --max are required");
	return call_and_print("set-limit", &o, f);
}

int
cmd_set_flag(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "dup", required_argument, NULL, 'd' },
		{ "bound", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object();
	struct ctl_opts o;
	int ch;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'd' || ch == 'b')
			json_object_object_add(f, ch == 'd' ? "dup" : "bound",
			    json_object_new_boolean(ctl_onoff("set-flag", ch == 'd' ?
			    "--dup" : "--bound", optarg)));
		else
			ctl_common_opt("set-flag", ch, optarg, &o);
	}
	ctl_need_target("set-flag", &o, argc, argv, optind);
	if (json_object_object_length(f) == 0)
		ctl_usage_error("set-flag", "give --dup, --bound or both");
	return call_and_print("set-flag", &o, f);
}

int
cmd_set_check(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "every", required_argument, NULL, 'e' },
		{ "off", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object();
	struct ctl_opts o;
	int ch;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'e')
			json_object_object_add(f, "every", json_object_new_int64(
			    ctl_number("set-check", "--every", optarg, 1, 86400)));
		else if (ch == 'o')
			json_object_object_add(f, "off", json_object_new_boolean(1));
		else
			ctl_common_opt("set-check", ch, optarg, &o);
	}
	ctl_need_target("set-check", &o, argc, argv, optind);
	if (json_object_object_length(f) != 1)
		ctl_usage_error("set-check", "give either --every SECONDS or --off");
	return call_and_print("set-check", &o, f);
}

int
cmd_set_method(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "method", required_argument, NULL, 'm' },
		{ "depth", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object();
	struct ctl_opts o;
	int ch, i, known;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'm') {
			for (known = 0, i = 0; proto_method_names[i] != NULL; i++)
				known |= strcmp(proto_method_names[i], optarg) == 0;
			if (!known)
				ctl_usage_error("set-method", "--method is addr, fp, "
				    "unwind or backtrace, not '%s'", optarg);
			json_object_object_add(f, "method", json_object_new_string(optarg));
		} else if (ch == 'd')
			json_object_object_add(f, "depth", json_object_new_int64(
			    ctl_number("set-method", "--depth", optarg, 1, 64)));
		else
			ctl_common_opt("set-method", ch, optarg, &o);
	}
	ctl_need_target("set-method", &o, argc, argv, optind);
	if (!json_object_object_get_ex(f, "method", NULL))
		ctl_usage_error("set-method", "--method is required");
	return call_and_print("set-method", &o, f);
}

int
cmd_set_tail(int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTIONS,
		{ "bytes", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *f = json_object_new_object();
	struct ctl_opts o;
	int ch;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'b')
			json_object_object_add(f, "bytes", json_object_new_int64(
			    ctl_number("set-tail", "--bytes", optarg, 0, 256)));
		else
			ctl_common_opt("set-tail", ch, optarg, &o);
	}
	ctl_need_target("set-tail", &o, argc, argv, optind);
	if (json_object_object_length(f) == 0)
		ctl_usage_error("set-tail", "--bytes is required");
	return call_and_print("set-tail", &o, f);
}

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

int
cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	json_object *agents = json_object_new_array(), *removed = json_object_new_array();
	json_object *r, *err, *doc;
	char dir[256], path[256], cause[512];
	struct ctl_opts o;
	long *pids;
	int ch, n, i;

	ctl_opts_init(&o);
	o.timeout = 3;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		ctl_common_opt("list", ch, optarg, &o);
	if (optind < argc)
		ctl_usage_error("list", "unexpected argument '%s'", argv[optind]);
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

/* ------------------------------------------------------------------ send */

int
cmd_send(int argc, char **argv)
{
	static const struct option opts[] = { CTL_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[256], buf[65536];
	struct ctl_opts o;
	ssize_t n;
	int ch, fd, rc;

	ctl_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		ctl_common_opt("send", ch, optarg, &o);
	if (optind + 1 != argc)
		ctl_usage_error("send", "one JSON request is required");
	ctl_need_target("send", &o, argc - 1, argv, optind);
	if ((rc = cl_resolve(&o, path, sizeof path)) != 0)
		return rc;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s\n", ctl_progname, path,
		    strerror(errno));
		return EXIT_CONNECT;
	}
	if (send(fd, argv[optind], strlen(argv[optind]), MSG_NOSIGNAL) < 0 ||
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
