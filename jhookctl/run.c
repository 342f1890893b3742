/*
 * run.c - jhookctl run: a command under the agent, its report at exit.
 *
 * The child gets LD_PRELOAD of the agent and JHOOK_REPORT pointing into a
 * private temporary directory (one JSON file per pid, %p), so its own
 * children and exec'd images each leave their report there too.  The
 * command's report is printed first, then any other process's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

#ifndef JHOOK_LIBDIR
#define JHOOK_LIBDIR "/usr/local/lib"
#endif

struct run_opts {
	int		 json;
	const char	*out;
	const char	*depth;
	const char	*method;
	const char	*tail;
};

/* The agent: $JHOOK_AGENT, else the installed libjhook.so. */
static const char *
run_agent_path(void)
{
	const char *a = getenv("JHOOK_AGENT");

	return a != NULL && *a != '\0' ? a : JHOOK_LIBDIR "/libjhook.so";
}

/* In the child: the environment of the agent, then exec. */
static void __attribute__((noreturn))
run_child(const struct run_opts *ro, const char *dir, char **cmd)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload, *report;

	if (old != NULL && *old != '\0') {
		if (asprintf(&preload, "%s:%s", run_agent_path(), old) < 0)
			_exit(127);
	} else
		preload = (char *)run_agent_path();
	if (asprintf(&report, "%s/report.%%p.json", dir) < 0)
		_exit(127);
	setenv("LD_PRELOAD", preload, 1);
	setenv("JHOOK_REPORT", report, 1);
	setenv("JHOOK_REPORT_FORMAT", "json", 1);
	if (ro->depth != NULL)
		setenv("JHOOK_DEPTH", ro->depth, 1);
	if (ro->method != NULL)
		setenv("JHOOK_METHOD", ro->method, 1);
	if (ro->tail != NULL)
		setenv("JHOOK_TAIL", ro->tail, 1);
	execvp(cmd[0], cmd);
	fprintf(stderr, "%s run: %s: %s\n", ctl_progname, cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static json_object *
run_load(const char *path)
{
	json_object *doc = json_object_from_file(path), *anchors;

	if (doc != NULL && pj_arr(doc, "anchors", &anchors) != 0) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

/* Every report in dir, the one of pid first; removes the files. */
static json_object *
run_collect(const char *dir, pid_t pid)
{
	json_object *reports = json_object_new_array(), *doc;
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "%s/report.%ld.json", dir, (long)pid);
	if ((doc = run_load(path)) != NULL)
		json_object_array_add(reports, doc);
	unlink(path);
	if ((d = opendir(dir)) == NULL)
		return reports;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((doc = run_load(path)) != NULL)
			json_object_array_add(reports, doc);
		unlink(path);
	}
	closedir(d);
	return reports;
}

/* Prints the reports to f; the document with the exit status for --json. */
static void
run_print(FILE *f, const struct run_opts *ro, json_object *reports, int code,
    int sig, char **cmd)
{
	json_object *doc, *argv;
	size_t i, n = json_object_array_length(reports);

	for (i = 0; i < n; i++)
		symz_document(json_object_array_get_idx(reports, i));
	if (ro->json) {
		doc = json_object_new_object();
		argv = json_object_new_array();
		for (i = 0; cmd[i] != NULL; i++)
			json_object_array_add(argv, json_object_new_string(cmd[i]));
		json_object_object_add(doc, "command", argv);
		json_object_object_add(doc, "exit_code", json_object_new_int(code));
		json_object_object_add(doc, "signal", sig ? json_object_new_int(sig) : NULL);
		json_object_object_add(doc, "reports", json_object_get(reports));
		fprintf(f, "%s\n", json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
		return;
	}
	if (n == 0)
		fprintf(f, "jhook: no exit report was written (is %s the agent?)\n",
		    run_agent_path());
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', f);
		render_leak_text(f, json_object_array_get_idx(reports, i), 1);
	}
	if (sig)
		fprintf(f, "jhook: %s was killed by signal %d\n", cmd[0], sig);
	else
		fprintf(f, "jhook: %s exited with status %d\n", cmd[0], code);
}

/* The options, from what args.c checked: ranges and names are proto's. */
static void
run_opts(const struct ctl_args *a, struct run_opts *ro)
{
	ro->json = a->o.json;
	ro->out = args_get(a, "output");
	ro->depth = args_get(a, "depth");
	ro->method = args_get(a, "method");
	ro->tail = args_get(a, "tail");
}

static int
cmd_run(struct ctl_args *a)
{
	struct run_opts ro;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	char dir[4096], *tmpdir = getenv("TMPDIR"), *d;
	json_object *reports;
	pid_t pid;
	int status, code, sig = 0;
	FILE *out = stdout;

	run_opts(a, &ro);
	snprintf(dir, sizeof dir, "%s/jhookctl-run.XXXXXX",
	    tmpdir != NULL && *tmpdir == '/' ? tmpdir : "/tmp");
	if ((d = mkdtemp(dir)) == NULL) {
		fprintf(stderr, "%s run: cannot create a temporary directory: %s\n",
		    ctl_progname, strerror(errno));
		return EXIT_TARGET;
	}
	/* Like system(3): ^C and ^\ go to the command, not to us. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "%s run: fork: %s\n", ctl_progname, strerror(errno));
		return EXIT_TARGET;
	}
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		run_child(&ro, d, a->argv);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig;
	} else
		code = WEXITSTATUS(status);
	reports = run_collect(d, pid);
	rmdir(d);
	if (ro.out != NULL && (out = fopen(ro.out, "w")) == NULL) {
		fprintf(stderr, "%s run: %s: %s\n", ctl_progname, ro.out, strerror(errno));
		out = stdout;
	}
	run_print(out, &ro, reports, code, sig, a->argv);
	if (out != stdout)
		fclose(out);
	json_object_put(reports);
	return code;
}

/* --depth, --method and --tail go to the agent as set-method's and set-tail's. */
static const struct ctl_option run_options[] = {
	CTL_LOCAL("output", 'o', "FILE", CTL_T_STRING, 0, 0, NULL,
	    "write the report to FILE instead of stdout"),
	CTL_FIELD("depth", "D", set_method, depth, "stack depth, JHOOK_DEPTH"),
	CTL_FIELD("method", NULL, set_method, method,
	    "how stacks are captured, JHOOK_METHOD"),
	CTL_FIELD("tail", "B", set_tail, bytes, "guard bytes, JHOOK_TAIL"),
	CTL_END
};
const struct ctl_entry ctl_entry_run = {
	"run", -1, CTL_F_JSON | CTL_F_INORDER, run_options, "-- CMD ARGS...", 1, -1,
	"Run CMD under the agent (LD_PRELOAD of $JHOOK_AGENT, else the installed\n"
	"libjhook.so), print its symbolized exit report when it ends and exit\n"
	"with CMD's exit code (128+N when killed by signal N).\n", cmd_run
};
