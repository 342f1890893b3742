/*
 * main.c - jhookctl: drive the jhook agent of a live process, or run one.
 *
 * Each command is an entry (struct ctl_entry, next to its exec function);
 * args.c parses every command's options from its entry and makes its
 * usage and help from it.  A command returns the process exit code: 0 ok,
 * 1 the target answered an error, 2 usage, 3 no agent to talk to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookctl.h"
#include "proto.h"

const char *ctl_progname = "jhookctl";
int ctl_colour;

/* Every command, in the order of the usage. */
static const struct ctl_entry *const ctl_entries[] = {
	&ctl_entry_list, &ctl_entry_status, &ctl_entry_start, &ctl_entry_stop,
	&ctl_entry_leak, &ctl_entry_bound, &ctl_entry_set_limit,
	&ctl_entry_set_flag, &ctl_entry_set_check, &ctl_entry_set_method,
	&ctl_entry_set_tail, &ctl_entry_watch, &ctl_entry_report, &ctl_entry_run,
	&ctl_entry_send, &ctl_entry_daemon,
};

#define NENTRIES (sizeof ctl_entries / sizeof ctl_entries[0])

const struct ctl_entry *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < NENTRIES; i++) {
		if (strcmp(ctl_entries[i]->name, name) == 0)
			return ctl_entries[i];
	}
	return NULL;
}

static void
ctl_main_usage(FILE *f)
{
	char usage[1024];
	size_t i;

	fprintf(f, "usage: %s COMMAND [OPTIONS]\n\n", ctl_progname);
	for (i = 0; i < NENTRIES; i++) {
		args_usage(ctl_entries[i], usage, sizeof usage);
		fprintf(f, "  %s %s\n", ctl_progname, usage);
	}
	fprintf(f, "\n'%s COMMAND --help' describes a command.  Exit status: 0 ok,\n"
	    "1 the target answered (or would answer) an error, 2 usage, 3 no such\n"
	    "agent or cannot connect.  Sockets are in $JHOOK_SOCKET_DIR, else\n"
	    "$XDG_RUNTIME_DIR/jhook, else /run/jhook (root), else /tmp/jhook-UID.\n"
	    "Protocol version %d.\n",
	    ctl_progname, PROTO_VERSION);
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
	const struct ctl_entry *e;
	struct ctl_args a;
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
	if ((e = ctl_find(argv[1])) == NULL) {
		fprintf(stderr, "%s: unknown command '%s'\n", ctl_progname, argv[1]);
		ctl_main_usage(stderr);
		return EXIT_USAGE;
	}
	/* The command's argv[0] is its name, as getopt expects. */
	args_parse(e, argc - 1, argv + 1, &a);
	return e->exec(&a);
}
