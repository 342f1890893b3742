/*
 * config.h - the agent's settings: read once from the environment when the
 * agent loads, changed later only through the C API (and the control socket).
 *
 * Hot-path readers use CFG_GET so a concurrent change is a plain relaxed
 * load, never a torn read.
 */
#ifndef JHOOK_CONFIG_H
#define JHOOK_CONFIG_H

#include <limits.h>
#include <stddef.h>

#define CFG_MAX_DEPTH	64
#define CFG_MAX_TAIL	256
#define CFG_PATH_MAX	PATH_MAX

enum cfg_method {
	CFG_METHOD_ADDR = 0,		/* values match JHOOK_METHOD_* */
	CFG_METHOD_BACKTRACE = 1,
	CFG_METHOD_FP = 2,
	CFG_METHOD_UNWIND = 3,
};

enum cfg_format {
	CFG_FORMAT_TEXT = 0,
	CFG_FORMAT_JSON = 1,
};

struct cfg_settings {
	int	 tracing;		/* 1 while allocations are traced */
	int	 start_on_load;		/* JHOOK_START */
	int	 method;		/* enum cfg_method */
	int	 depth;			/* 1..CFG_MAX_DEPTH */
	int	 tail;			/* guard bytes for new blocks, 0..CFG_MAX_TAIL */
	size_t	 min_size;		/* trace only requested sizes in [min, max] */
	size_t	 max_size;
	int	 dup_check;		/* jhook_set_flag(dup, ...) */
	int	 bound_check;		/* scan all guards on every allocation */
	int	 check_enabled;		/* periodic checker on */
	unsigned check_period_ms;	/* its period */
	int	 report_format;		/* enum cfg_format */
	int	 report_none;		/* JHOOK_REPORT=none */
	char	 report_path[CFG_PATH_MAX];	/* "" = stderr; %p already expanded */
	char	 log_path[CFG_PATH_MAX];	/* "" = stderr; %p already expanded */
};

extern struct cfg_settings cfg;

#define CFG_GET(field)		__atomic_load_n(&cfg.field, __ATOMIC_RELAXED)
#define CFG_SET(field, v)	__atomic_store_n(&cfg.field, (v), __ATOMIC_RELAXED)

/* Reads JHOOK_* from the environment; a bad value is refused on stderr. */
void	cfg_initialise(void);
/* Expands the paths again for a new pid (after fork). */
void	cfg_expand_paths(void);
/* The traced program's executable path ("" when unknown). */
const char *cfg_exe(void);
/* Method names as the environment and the protocol spell them. */
const char *cfg_method_name(int method);
int	cfg_method_parse(const char *name);	/* -1 when unknown */

#endif /* JHOOK_CONFIG_H */
