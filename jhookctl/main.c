/*
 * main.c - jhookctl: drive the jhook agent of a live process, or run one.
 *
 * One table names every command with its usage and help; each command
 * parses its own options (getopt_long) and returns the process exit code:
 * 0 ok, 1 the target answered an error, 2 usage, 3 no agent to talk to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

const char *ctl_progname = "jhookctl";
int ctl_colour;

#define COMMON_HELP \
	"  --pid N            the process to talk to\n" \
	"  --socket PATH      talk to this socket instead of finding the pid's\n" \
	"  --consumer NAME    who is looking, for \"changed\" state (default jhookctl)\n" \
	"  --json             one JSON document on stdout\n" \
	"  --timeout S        give up after S seconds (default 10)\n" \
	"  --help             this help\n"

static const struct ctl_command ctl_commands[] = {
	{ "list", cmd_list, "list [--json]",
	  "Live agents of this user: pid, state, total/peak bytes, anchors, exe.\n"
	  "Sockets left by dead processes are removed.\n" },
	{ "status", cmd_status, "status --pid N [--json]",
	  "The agent's settings, totals and control-socket counters.\n" COMMON_HELP },
	{ "start", cmd_start, "start --pid N [--json]",
	  "Start tracing allocations.\n" COMMON_HELP },
	{ "stop", cmd_stop, "stop --pid N [--json]",
	  "Stop tracing and clear every anchor, count, total and peak (jhook_stop).\n"
	  COMMON_HELP },
	{ "leak", cmd_leak,
	  "leak --pid N [--choice C] [--min-diff K] [--top K] [--sort diff|bytes|size]\n"
	  "          [--format text|folded] [--json]",
	  "The anchor table, symbolized.  --choice: 0 unreleased and changed since\n"
	  "this consumer's last look (default); 1 changed; 2 unreleased; 3 all;\n"
	  ">3 unreleased count >= C; <0 unreleased count >= -C and changed.\n"
	  "  --min-diff K       only anchors with at least K unreleased blocks\n"
	  "  --top K            only the K first in --sort order (default diff)\n"
	  "  --sort KEY         diff, bytes (diff x size) or size, largest first\n"
	  "  --format folded    one line per stack for flamegraph.pl\n" COMMON_HELP },
	{ "bound", cmd_bound, "bound --pid N [--format text|folded] [--json]",
	  "Scan every live block's tail guard now and list every overflow found\n"
	  "so far, with the allocating (and freeing) stacks.\n" COMMON_HELP },
	{ "set-limit", cmd_set_limit, "set-limit --pid N --min BYTES --max BYTES",
	  "Trace only blocks whose requested size is within [min, max].\n" COMMON_HELP },
	{ "set-flag", cmd_set_flag, "set-flag --pid N [--dup on|off] [--bound on|off]",
	  "dup: check each new block against the live table; bound: scan every\n"
	  "guard on each allocation.\n" COMMON_HELP },
	{ "set-check", cmd_set_check, "set-check --pid N --every SECONDS | --off",
	  "The periodic checker: the leak table (choice 0) every SECONDS to the\n"
	  "agent's log, or off.\n" COMMON_HELP },
	{ "set-method", cmd_set_method,
	  "set-method --pid N --method addr|fp|unwind|backtrace [--depth D]",
	  "How stacks are captured from now on, and how deep (1..64).  Starts new\n"
	  "anchors; existing counts are kept.\n" COMMON_HELP },
	{ "set-tail", cmd_set_tail, "set-tail --pid N --bytes B",
	  "Guard bytes (0..256) after blocks allocated from now on.\n" COMMON_HELP },
	{ "watch", cmd_watch, "watch --pid N [--every S] [--count N] [--json]",
	  "A live view of the anchors whose unreleased count grows, refreshed in\n"
	  "place every S seconds (default 2); --count stops after N refreshes.\n"
	  "With --json, one JSON document per refresh, one per line.\n" COMMON_HELP },
	{ "report", cmd_report, "report FILE [--format text|folded] [--json]",
	  "Symbolize and print a saved exit report or snapshot (JSON).\n" },
	{ "run", cmd_run,
	  "run [--json] [-o FILE] [--depth D] [--method M] [--tail B] -- CMD ARGS...",
	  "Run CMD under the agent (LD_PRELOAD of $JHOOK_AGENT, else the installed\n"
	  "libjhook.so), print its symbolized exit report when it ends and exit\n"
	  "with CMD's exit code (128+N when killed by signal N).\n"
	  "  -o FILE            write the report to FILE instead of stdout\n"
	  "  --depth D          stack depth 1..64 (JHOOK_DEPTH)\n"
	  "  --method M         addr, fp, unwind or backtrace (JHOOK_METHOD)\n"
	  "  --tail B           guard bytes 0..256 (JHOOK_TAIL)\n" },
	{ "send", cmd_send, "send --pid N JSON",
	  "Send one raw request line and print the raw answer (for debugging).\n"
	  COMMON_HELP },
	{ "daemon", cmd_daemon,
	  "daemon status|processes|suspects|history [--pid N [--anchor ID]] [--json]",
	  "Ask jhookd(8), the collector, on its control socket (jhookd.sock in the\n"
	  "socket directory, or --socket PATH): its status, the processes it polls,\n"
	  "the suspects (anchors whose diff keeps growing, with growth rates and\n"
	  "stacks), or the history of a process (--pid) or of one anchor (--anchor).\n"
	  "  --json             one JSON document, as jhookd's /api/ serves it\n"
	  "  --socket PATH      jhookd's control socket\n"
	  "  --timeout S        seconds to wait for the answer (default 10)\n" },
};

#define NCOMMANDS (sizeof ctl_commands / sizeof ctl_commands[0])

static const struct ctl_command *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(ctl_commands[i].name, name) == 0)
			return &ctl_commands[i];
	}
	return NULL;
}

static void
ctl_main_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [OPTIONS]\n\n", ctl_progname);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s\n", ctl_progname, ctl_commands[i].usage);
	fprintf(f, "\n'%s COMMAND --help' describes a command.  Exit status: 0 ok,\n"
	    "1 the target answered an error, 2 usage, 3 no such agent or cannot\n"
	    "connect.  Sockets are in $JHOOK_SOCKET_DIR, else $XDG_RUNTIME_DIR/jhook,\n"
	    "else /run/jhook (root), else /tmp/jhook-UID.  Protocol version %d.\n",
	    ctl_progname, PROTO_VERSION);
}

static void
ctl_print_help(const char *cmd)
{
	const struct ctl_command *c = ctl_find(cmd);

	printf("usage: %s %s\n\n%s", ctl_progname, c->usage, c->help);
	exit(0);
}

void
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct ctl_command *c = cmd != NULL ? ctl_find(cmd) : NULL;
	va_list ap;

	fprintf(stderr, "%s%s%s: ", ctl_progname, cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL)
		fprintf(stderr, "usage: %s %s\n", ctl_progname, c->usage);
	exit(EXIT_USAGE);
}

void
ctl_opts_init(struct ctl_opts *o)
{
	memset(o, 0, sizeof *o);
	o->pid = -1;
	o->consumer = "jhookctl";
	o->timeout = 10;
}

long long
ctl_number(const char *cmd, const char *what, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		ctl_usage_error(cmd, "%s: '%s' is not an integer within %lld..%lld",
		    what, s, min, max);
	return v;
}

int
ctl_onoff(const char *cmd, const char *what, const char *s)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return 0;
	ctl_usage_error(cmd, "%s takes on or off, not '%s'", what, s);
	return 0;
}

void
ctl_common_opt(const char *cmd, int ch, const char *arg, struct ctl_opts *o)
{
	char *end;

	switch (ch) {
	case OPT_PID:
		o->pid = (long)ctl_number(cmd, "--pid", arg, 1, 0x7fffffff);
		break;
	case OPT_SOCKET:
		o->socket = arg;
		break;
	case OPT_CONSUMER:
		o->consumer = arg;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_TIMEOUT:
		o->timeout = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || !(o->timeout > 0 && o->timeout < 1e6))
			ctl_usage_error(cmd, "--timeout takes seconds, not '%s'", arg);
		break;
	case OPT_FORMAT:
		if (strcmp(arg, "folded") == 0)
			o->folded = 1;
		else if (strcmp(arg, "text") != 0)
			ctl_usage_error(cmd, "--format is text or folded, not '%s'", arg);
		break;
	case 'h':
		ctl_print_help(cmd);
		break;
	default:
		/* getopt_long already said what was wrong. */
		ctl_usage_error(cmd, "bad option");
	}
}

void
ctl_need_target(const char *cmd, const struct ctl_opts *o, int argc, char **argv, int first)
{
	if (first < argc)
		ctl_usage_error(cmd, "unexpected argument '%s'", argv[first]);
	if (o->pid < 0 && o->socket == NULL)
		ctl_usage_error(cmd, "--pid N is required");
}

const char *
ctl_bold(void)
{
	return ctl_colour ? "\033[1m" : "";
}

const char *
ctl_red(void)
{
	return ctl_colour ? "\033[1;31m" : "";
}

const char *
ctl_dim(void)
{
	return ctl_colour ? "\033[2m" : "";
}

const char *
ctl_reset(void)
{
	return ctl_colour ? "\033[0m" : "";
}

int
main(int argc, char **argv)
{
	const struct ctl_command *c;
	const char *nc = getenv("NO_COLOR");

	ctl_colour = isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0') &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	if (argc < 2) {
		ctl_main_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		ctl_main_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("jhookctl %s (protocol %d)\n", JHOOK_VERSION, PROTO_VERSION);
		return 0;
	}
	if ((c = ctl_find(argv[1])) == NULL) {
		fprintf(stderr, "%s: unknown command '%s'\n", ctl_progname, argv[1]);
		ctl_main_usage(stderr);
		return EXIT_USAGE;
	}
	/* Each command sees argv[0] = its name, as getopt expects. */
	return c->run(argc - 1, argv + 1);
}
