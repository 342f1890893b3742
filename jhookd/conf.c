/*
 * conf.c - jhookd's options: one table gives each option's name, type,
 * range, default and help.  The same table drives the config file
 * ("name = value" lines, # comments; errors name file:line), the long
 * options of the command line (--name VALUE, which win over the file), and
 * --help.  SIGHUP reads the file again; the command line still wins.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jhookd.h"

#ifndef JHOOKD_SYSCONFDIR
#define JHOOKD_SYSCONFDIR "/etc"
#endif
#ifndef JHOOKD_STATEDIR
#define JHOOKD_STATEDIR "/var/lib/jhookd"
#endif
#ifndef JHOOK_VERSION
#define JHOOK_VERSION "unknown"
#endif

enum cnf_type {
	CNF_DOUBLE,	/* seconds: a number with an optional s, m, h or d */
	CNF_INT,	/* an integer */
	CNF_SIZE,	/* bytes: an integer with an optional K, M or G */
	CNF_STRING,
	CNF_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	CNF_LEVEL,	/* error, warning, info, debug */
};

struct cnf_option {
	const char	*name;
	enum cnf_type	 type;
	size_t		 offset;
	double		 min, max;
	const char	*def;
	const char	*help;
};

#define O(f) offsetof(struct cnf_values, f)
static const struct cnf_option cnf_table[] = {
	{ "interval", CNF_DOUBLE, O(interval), 0.05, 86400, "10",
	  "seconds between two polls of an agent" },
	{ "timeout", CNF_DOUBLE, O(timeout), 0.01, 3600, "5",
	  "seconds an agent has to answer one poll" },
	{ "state-dir", CNF_STRING, O(state_dir), 0, 0, JHOOKD_STATEDIR,
	  "directory of the history file" },
	{ "listen", CNF_STRING, O(listen), 0, 0, "",
	  "ADDR:PORT for HTTP (/metrics, /api, /); empty: no HTTP" },
	{ "control", CNF_STRING, O(control), 0, 0, "",
	  "jhookd's control socket; empty: " PROTO_JHOOKD_SOCKET " in the socket directory" },
	{ "watch", CNF_STRING, O(watch), 0, 0, "",
	  "directories (glob patterns) to find agents in; empty: the defaults" },
	{ "consumer", CNF_STRING, O(consumer), 0, 0, "jhookd",
	  "the consumer name jhookd polls agents as" },
	{ "log-level", CNF_LEVEL, O(log_level), 0, 0, "info",
	  "error, warning, info or debug" },
	{ "foreground", CNF_BOOL, O(foreground), 0, 1, "no",
	  "stay in the foreground and log to stderr" },
	{ "window", CNF_INT, O(window), 2, 100000, "12",
	  "polls in the leak-trend window" },
	{ "rising", CNF_DOUBLE, O(rising), 0, 1, "0.8",
	  "fraction of the window's polls in which diff must rise" },
	{ "min-growth", CNF_INT, O(min_growth), 1, 1e15, "10",
	  "blocks diff must gain over the window" },
	{ "samples", CNF_INT, O(samples), 16, 1e7, "8640",
	  "samples kept per anchor and per process" },
	{ "retention", CNF_DOUBLE, O(retention), 1, 1e10, "7d",
	  "age after which samples and ended processes are dropped" },
	{ "max-disk", CNF_SIZE, O(max_disk), 65536, 1e15, "64M",
	  "size of the history file that triggers a compaction" },
	{ "max-memory", CNF_SIZE, O(max_memory), 16384, 1e15, "256M",
	  "bytes of history kept in memory; over it the oldest samples go" },
	{ "max-anchors", CNF_INT, O(max_anchors), 1, 1e8, "10000",
	  "anchors kept per process" },
	{ "max-processes", CNF_INT, O(max_processes), 1, 1e6, "1000",
	  "processes kept, live and ended" },
	{ "fsync", CNF_BOOL, O(fsync), 0, 1, "yes",
	  "fdatasync the history file after every poll" },
};
#undef O
#define CNF_COUNT (sizeof cnf_table / sizeof cnf_table[0])

static const char *const cnf_levels[] = { "error", "warning", "info", "debug", NULL };

static struct {
	struct cnf_values	 v;
	const char		*cli[CNF_COUNT];	/* values from the command line */
	char			*file;
	int			 file_given;
} cnf;

/* Seconds with an optional unit. */
static int
cnf_parse_double(const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(d))
		return -1;
	switch (*end) {
	case 's': end++; break;
	case 'm': d *= 60; end++; break;
	case 'h': d *= 3600; end++; break;
	case 'd': d *= 86400; end++; break;
	}
	if (*end != '\0')
		return -1;
	*out = d;
	return 0;
}

static int
cnf_parse_int(const char *s, int size, int64_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (size && *end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K': n *= 1024LL; break;
		case 'M': n *= 1024LL * 1024; break;
		case 'G': n *= 1024LL * 1024 * 1024; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
cnf_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Sets one option in v from text; 0, or -1 with a reason in cause. */
static int
cnf_set(struct cnf_values *v, const struct cnf_option *o, const char *s,
    char *cause, size_t len)
{
	char *field = (char *)v + o->offset;
	int64_t n;
	double d;
	int i;

	switch (o->type) {
	case CNF_DOUBLE:
		if (cnf_parse_double(s, &d) != 0 || d < o->min || d > o->max)
			goto range;
		*(double *)field = d;
		return 0;
	case CNF_INT:
	case CNF_SIZE:
		if (cnf_parse_int(s, o->type == CNF_SIZE, &n) != 0 || n < o->min || n > o->max)
			goto range;
		*(int64_t *)field = n;
		return 0;
	case CNF_STRING:
		free(*(char **)field);
		*(char **)field = strdup(s);
		return 0;
	case CNF_BOOL:
		if ((i = cnf_parse_bool(s)) < 0) {
			snprintf(cause, len, "%s: \"%s\" is not yes or no", o->name, s);
			return -1;
		}
		*(int *)field = i;
		return 0;
	case CNF_LEVEL:
		for (i = 0; cnf_levels[i] != NULL; i++) {
			if (strcmp(s, cnf_levels[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		snprintf(cause, len, "%s: \"%s\" is not error, warning, info or debug",
		    o->name, s);
		return -1;
	}
range:
	snprintf(cause, len, "%s: \"%s\" is not a %s in [%g, %g]", o->name, s,
	    o->type == CNF_DOUBLE ? "number of seconds" : o->type == CNF_SIZE ?
	    "size" : "whole number", o->min, o->max);
	return -1;
}

static const struct cnf_option *
cnf_find(const char *name)
{
	size_t i;

	for (i = 0; i < CNF_COUNT; i++)
		if (strcmp(cnf_table[i].name, name) == 0)
			return &cnf_table[i];
	return NULL;
}

static void
cnf_free_values(struct cnf_values *v)
{
	size_t i;

	for (i = 0; i < CNF_COUNT; i++)
		if (cnf_table[i].type == CNF_STRING)
			free(*(char **)((char *)v + cnf_table[i].offset));
	memset(v, 0, sizeof *v);
}

/* Strips blanks at both ends in place. */
static char *
cnf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads "name = value" lines into v; 0, or -1 after a file:line message. */
static int
cnf_read_file(const char *path, struct cnf_values *v, int must_exist)
{
	char line[4096], cause[512], *s, *eq, *name, *value;
	const struct cnf_option *o;
	unsigned lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		LOG_Error("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		s = cnf_trim(line);
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			LOG_Error("%s:%u: expected \"name = value\"", path, lineno);
			goto fail;
		}
		*eq = '\0';
		name = cnf_trim(s);
		value = cnf_trim(eq + 1);
		if ((o = cnf_find(name)) == NULL) {
			LOG_Error("%s:%u: unknown option \"%s\"", path, lineno, name);
			goto fail;
		}
		if (cnf_set(v, o, value, cause, sizeof cause) != 0) {
			LOG_Error("%s:%u: %s", path, lineno, cause);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

/* Defaults, then the file, then the command line, into a fresh v. */
static int
cnf_build(struct cnf_values *v)
{
	char cause[512];
	size_t i;

	memset(v, 0, sizeof *v);
	for (i = 0; i < CNF_COUNT; i++)
		if (cnf_set(v, &cnf_table[i], cnf_table[i].def, cause, sizeof cause) != 0)
			abort();	/* the table's own default is wrong */
	if (cnf_read_file(cnf.file, v, cnf.file_given) != 0)
		goto fail;
	for (i = 0; i < CNF_COUNT; i++) {
		if (cnf.cli[i] == NULL)
			continue;
		if (cnf_set(v, &cnf_table[i], cnf.cli[i], cause, sizeof cause) != 0) {
			LOG_Error("--%s", cause);
			goto fail;
		}
	}
	return 0;
fail:
	cnf_free_values(v);
	return -1;
}

static void
cnf_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: jhookd [--config FILE] [--OPTION VALUE]...\n\n"
	    "  -c, --config FILE      the config file (default %s/jhookd.conf)\n"
	    "  -f, --foreground       same as --foreground yes\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          the version\n\n"
	    "Every option of the config file, as --NAME VALUE (--NAME=no for yes/no):\n",
	    JHOOKD_SYSCONFDIR);
	for (i = 0; i < CNF_COUNT; i++)
		fprintf(f, "  --%-20s %s (default \"%s\")\n", cnf_table[i].name,
		    cnf_table[i].help, cnf_table[i].def);
}

int
CNF_Initialise(int argc, char **argv)
{
	struct option opts[CNF_COUNT + 5];
	int ch, idx;
	size_t i;

	for (i = 0; i < CNF_COUNT; i++)
		opts[i] = (struct option){ cnf_table[i].name, cnf_table[i].type == CNF_BOOL ?
		    optional_argument : required_argument, NULL, 0 };
	opts[i++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
	cnf.file = strdup(JHOOKD_SYSCONFDIR "/jhookd.conf");
	while ((ch = getopt_long(argc, argv, "c:fhV", opts, &idx)) != -1) {
		switch (ch) {
		case 0:
			/* A yes/no option given alone (--fsync) means yes. */
			cnf.cli[idx] = optarg != NULL ? optarg : "yes";
			break;
		case 'c':
			free(cnf.file);
			cnf.file = strdup(optarg);
			cnf.file_given = 1;
			break;
		case 'f':
			cnf.cli[cnf_find("foreground") - cnf_table] = "yes";
			break;
		case 'h':
			cnf_usage(stdout);
			exit(0);
		case 'V':
			printf("jhookd %s\n", JHOOK_VERSION);
			exit(0);
		default:
			cnf_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jhookd: unexpected argument \"%s\"\n", argv[optind]);
		exit(2);
	}
	if (cnf_build(&cnf.v) != 0)
		return -1;
	LOG_SetLevel((enum log_level)cnf.v.log_level);
	return 0;
}

void
CNF_Finalise(void)
{
	cnf_free_values(&cnf.v);
	free(cnf.file);
	cnf.file = NULL;
}

int
CNF_Reload(void)
{
	struct cnf_values v;

	if (cnf_build(&v) != 0) {
		LOG_Error("reload: %s has errors; the running configuration stays", cnf.file);
		return -1;
	}
	/* Where the state lives cannot move under a running daemon. */
	if (strcmp(v.state_dir, cnf.v.state_dir) != 0 || strcmp(v.control, cnf.v.control) != 0)
		LOG_Warn("reload: state-dir and control take effect at the next start");
	free(v.state_dir);
	v.state_dir = strdup(cnf.v.state_dir);
	free(v.control);
	v.control = strdup(cnf.v.control);
	cnf_free_values(&cnf.v);
	cnf.v = v;
	LOG_SetLevel((enum log_level)cnf.v.log_level);
	return 0;
}

const struct cnf_values *
CNF_Get(void)
{
	return &cnf.v;
}

const char *
CNF_File(void)
{
	return cnf.file;
}
