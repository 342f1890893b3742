/*
 * config.c - the agent's settings and the environment contract.
 *
 * Options are a table (name, type, range, target) rather than a chain of
 * if/else: a value that does not parse or is out of range is refused with
 * one line on stderr and the default stays.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fmt.h"

struct cfg_settings cfg = {
	.tracing = 0,
	.start_on_load = 1,
	.method = CFG_METHOD_UNWIND,
	.depth = 16,
	.tail = 8,
	.min_size = 0,
	.max_size = SIZE_MAX,
	.check_period_ms = 0,
	.report_format = CFG_FORMAT_TEXT,
};

/* The patterns as given, before %p is replaced by the pid. */
static char	cfg_report_pattern[CFG_PATH_MAX];
static char	cfg_log_pattern[CFG_PATH_MAX];
/* The traced program's executable, read once when the agent loads. */
static char	cfg_exe_path[CFG_PATH_MAX];

enum cfg_type {
	CFG_BOOL,
	CFG_INT,
	CFG_SIZE,
	CFG_METHOD,
	CFG_FORMAT,
	CFG_PATH,
};

struct cfg_option {
	const char	*name;
	enum cfg_type	 type;
	unsigned long long min, max;
	void		*target;
};

static unsigned cfg_cycle_seconds;

static const struct cfg_option cfg_options[] = {
	{ "JHOOK_START", CFG_BOOL, 0, 1, &cfg.start_on_load },
	{ "JHOOK_DEPTH", CFG_INT, 1, CFG_MAX_DEPTH, &cfg.depth },
	{ "JHOOK_METHOD", CFG_METHOD, 0, 0, &cfg.method },
	{ "JHOOK_TAIL", CFG_INT, 0, CFG_MAX_TAIL, &cfg.tail },
	{ "JHOOK_MIN", CFG_SIZE, 0, SIZE_MAX, &cfg.min_size },
	{ "JHOOK_MAX", CFG_SIZE, 0, SIZE_MAX, &cfg.max_size },
	{ "JHOOK_CHECK_CYCLE", CFG_INT, 0, 86400, &cfg_cycle_seconds },
	{ "JHOOK_LOG", CFG_PATH, 0, 0, cfg_log_pattern },
	{ "JHOOK_REPORT", CFG_PATH, 0, 0, cfg_report_pattern },
	{ "JHOOK_REPORT_FORMAT", CFG_FORMAT, 0, 0, &cfg.report_format },
};

static const char *cfg_methods[] = { "addr", "backtrace", "fp", "unwind" };

const char *
cfg_method_name(int method)
{
	if (method < 0 || method > CFG_METHOD_UNWIND)
		return "unknown";
	return cfg_methods[method];
}

int
cfg_method_parse(const char *name)
{
	int	i;

	for (i = 0; i <= CFG_METHOD_UNWIND; i++) {
		if (strcmp(name, cfg_methods[i]) == 0)
			return i;
	}
	return -1;
}

/* Parses an unsigned decimal number in [min, max]; -1 when it is not one. */
static int
cfg_parse_number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Applies one option's value; -1 (and nothing changed) when it is refused. */
static int
cfg_apply(const struct cfg_option *opt, const char *value)
{
	unsigned long long	 v;
	int			 m;

	switch (opt->type) {
	case CFG_BOOL:
	case CFG_INT:
		if (cfg_parse_number(value, opt->min, opt->max, &v) != 0)
			return -1;
		*(int *)opt->target = (int)v;
		return 0;
	case CFG_SIZE:
		if (cfg_parse_number(value, opt->min, opt->max, &v) != 0)
			return -1;
		*(size_t *)opt->target = (size_t)v;
		return 0;
	case CFG_METHOD:
		if ((m = cfg_method_parse(value)) < 0)
			return -1;
		*(int *)opt->target = m;
		return 0;
	case CFG_FORMAT:
		if (strcmp(value, "text") == 0)
			*(int *)opt->target = CFG_FORMAT_TEXT;
		else if (strcmp(value, "json") == 0)
			*(int *)opt->target = CFG_FORMAT_JSON;
		else
			return -1;
		return 0;
	case CFG_PATH:
		if (*value == '\0' || strlen(value) >= CFG_PATH_MAX)
			return -1;
		strcpy(opt->target, value);
		return 0;
	}
	return -1;
}

/* The range a refused option accepts, for its error line. */
static const char *
cfg_expected(const struct cfg_option *opt)
{
	switch (opt->type) {
	case CFG_BOOL:
		return "0 or 1";
	case CFG_METHOD:
		return "addr, fp, unwind or backtrace";
	case CFG_FORMAT:
		return "text or json";
	case CFG_PATH:
		return "a path";
	default:
		return NULL;
	}
}

/* Writes pattern into out with every %p replaced by the pid. */
static void
cfg_expand(const char *pattern, char *out, size_t len)
{
	size_t	n = 0;
	char	pid[24];

	fmt_snprintf(pid, sizeof pid, "%d", (int)getpid());
	for (; *pattern != '\0' && n + 1 < len; pattern++) {
		if (pattern[0] == '%' && pattern[1] == 'p') {
			size_t k = strlen(pid);

			if (n + k >= len)
				break;
			memcpy(out + n, pid, k);
			n += k;
			pattern++;
		} else
			out[n++] = *pattern;
	}
	out[n] = '\0';
}

/* A JHOOK_LOG naming a directory means the original's per-process file in it. */
static void
cfg_expand_log(void)
{
	struct stat	st;
	size_t		len = strlen(cfg_log_pattern);

	if (len == 0) {
		cfg.log_path[0] = '\0';
		return;
	}
	if (cfg_log_pattern[len - 1] == '/' ||
	    (stat(cfg_log_pattern, &st) == 0 && S_ISDIR(st.st_mode))) {
		fmt_snprintf(cfg.log_path, sizeof cfg.log_path,
		    "%s%sheap_memory_info.%d.log", cfg_log_pattern,
		    cfg_log_pattern[len - 1] == '/' ? "" : "/", (int)getpid());
		return;
	}
	cfg_expand(cfg_log_pattern, cfg.log_path, sizeof cfg.log_path);
}

void
cfg_expand_paths(void)
{
	cfg.report_none = strcmp(cfg_report_pattern, "none") == 0;
	cfg_expand(cfg_report_pattern, cfg.report_path, sizeof cfg.report_path);
	cfg_expand_log();
}

const char *
cfg_exe(void)
{
	return (cfg_exe_path);
}

void
cfg_initialise(void)
{
	const struct cfg_option	*opt;
	const char		*value;
	size_t			 i;
	ssize_t			 n;

	n = readlink("/proc/self/exe", cfg_exe_path, sizeof cfg_exe_path - 1);
	cfg_exe_path[n > 0 ? n : 0] = '\0';

	for (i = 0; i < sizeof cfg_options / sizeof cfg_options[0]; i++) {
		opt = &cfg_options[i];
		if ((value = getenv(opt->name)) == NULL)
			continue;
		if (cfg_apply(opt, value) == 0)
			continue;
		if (cfg_expected(opt) != NULL)
			fmt_warn("%s=%s refused: expected %s; using the default",
			    opt->name, value, cfg_expected(opt));
		else
			fmt_warn("%s=%s refused: expected a number from %llu "
			    "to %llu; using the default", opt->name, value,
			    opt->min, opt->max);
	}
	if (cfg.min_size > cfg.max_size) {
		fmt_warn("JHOOK_MIN is above JHOOK_MAX: both refused; tracing every size");
		cfg.min_size = 0;
		cfg.max_size = SIZE_MAX;
	}
	/* The original's default period: 1000 ticks of 10 ms. */
	cfg.check_period_ms = cfg_cycle_seconds ? cfg_cycle_seconds * 1000u : 10000u;
	cfg.check_enabled = cfg_cycle_seconds > 0;
	cfg_expand_paths();
}
