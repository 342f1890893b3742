/*
 * jhookctl.h - shared by the files of jhookctl(1).
 */
#ifndef JHOOKCTL_H
#define JHOOKCTL_H

#include <stdio.h>

#include <json-c/json.h>

#include "answer.h"
#include "proto.h"

/* Exit codes, documented in jhookctl(1). */
#define EXIT_TARGET	1	/* the target answered an error (or a file is bad) */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_CONNECT	3	/* no such agent, or cannot connect */

/* Options every command that talks to an agent shares. */
struct ctl_opts {
	long		 pid;
	const char	*socket;	/* --socket PATH, or NULL */
	const char	*consumer;	/* --consumer NAME */
	int		 json;		/* --json */
	int		 folded;	/* --format folded */
	double		 timeout;	/* --timeout seconds */
};

/*
 * How an option that maps to no protocol field takes its argument.  An
 * option that does (CTL_T_FIELD) takes its type, range and names from
 * proto's field table, and fills the request when the field is one of its
 * command's own.
 */
enum ctl_type {
	CTL_T_FLAG,		/* no argument */
	CTL_T_STRING,		/* any text */
	CTL_T_INT,		/* an integer within [min, max] */
	CTL_T_SECONDS,		/* seconds within [min, max] milliseconds */
	CTL_T_ENUM,		/* one of names */
	CTL_T_FIELD,		/* proto_commands[cmd].fields[field] */
};

/* One option of a command: tmux's args template, as a table. */
struct ctl_option {
	const char		*name;		/* --name */
	int			 letter;	/* -x too, or 0 */
	const char		*metavar;	/* NULL: no argument, or the names */
	enum ctl_type		 type;
	long long		 min;		/* CTL_T_INT, CTL_T_SECONDS */
	long long		 max;
	const char *const	*names;		/* CTL_T_ENUM */
	int			 cmd;		/* CTL_T_FIELD: PROTO_CMD_<cmd> */
	int			 field;		/* CTL_T_FIELD: PROTO_F_<cmd>_<field> */
	const char		*help;
};

#define CTL_FIELD(name, meta, cmd, field, help)					{ name, 0, meta, CTL_T_FIELD, 0, 0, NULL, PROTO_CMD_##cmd,		  PROTO_F_##cmd##_##field, help }
#define CTL_LOCAL(name, letter, meta, type, min, max, names, help)		{ name, letter, meta, type, min, max, names, -1, -1, help }
#define CTL_END { NULL, 0, NULL, 0, 0, 0, NULL, -1, -1, NULL }
/* --timeout: seconds to wait for an answer, 1 ms to under a million s. */
#define CTL_TIMEOUT(help)						\
	CTL_LOCAL("timeout", 0, "S", CTL_T_SECONDS, 1, 999999000, NULL, help)
/* --format, for the commands that print documents. */
extern const char *const ctl_format_names[];
#define CTL_FORMAT							\
	CTL_LOCAL("format", 0, NULL, CTL_T_ENUM, 0, 0, ctl_format_names,	\
	    "text, or folded: one line per stack for flamegraph.pl")

/* What a command accepts besides its own options. */
#define CTL_F_JSON	0x1	/* --json */
#define CTL_F_AGENT	0x2	/* --pid, --socket, --consumer, --timeout, --json */
#define CTL_F_TARGET	0x4	/* and --pid or --socket is required */
#define CTL_F_INORDER	0x8	/* options end at the first operand (run) */

struct ctl_args;

/* A command: tmux's cmd_entry.  Usage and help are made from it. */
struct ctl_entry {
	const char		*name;
	int			 cmd;		/* the protocol command it fills, or -1 */
	int			 flags;		/* CTL_F_* */
	const struct ctl_option	*options;	/* ends with CTL_END */
	const char		*operands;	/* their usage, or NULL */
	int			 nmin;		/* operands: at least */
	int			 nmax;		/* at most, -1: any */
	const char		*help;		/* what it does */
	int			(*exec)(struct ctl_args *);
};

#define CTL_MAX_OPTIONS	16

/* A parsed command line. */
struct ctl_args {
	const struct ctl_entry	*entry;
	struct ctl_opts		 o;
	struct proto_request	 req;		/* entry->cmd's fields given */
	const struct ctl_option	*opt[CTL_MAX_OPTIONS];	/* every option accepted */
	const char		*val[CTL_MAX_OPTIONS];	/* given: argument, or "" */
	int			 nopt;
	int			 argc;		/* the operands */
	char			**argv;
};

extern const char *ctl_progname;
extern int ctl_colour;		/* colour on stdout: a tty and no NO_COLOR */

/* main.c */
const struct ctl_entry *ctl_find(const char *name);
const char *ctl_bold(void);
const char *ctl_red(void);
const char *ctl_dim(void);
const char *ctl_reset(void);

/* args.c: the one parser, and usage and help from the entries */
void	args_parse(const struct ctl_entry *e, int argc, char **argv, struct ctl_args *a);
const char *args_get(const struct ctl_args *a, const char *name);
long long args_number(const struct ctl_args *a, const char *name, long long dflt);
double	args_seconds(const struct ctl_args *a, const char *name, double dflt);
/* The request's fields as JSON, for cl_call. */
json_object *args_fields(const struct ctl_args *a);
void	args_usage(const struct ctl_entry *e, char *buf, size_t len);
void	ctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* client.c */
int	cl_resolve(const struct ctl_opts *o, char *path, size_t len);
int	cl_call(const struct ctl_opts *o, const char *cmd, json_object *fields,
	    json_object **result);
int	cl_call_path(const char *path, const struct ctl_opts *o, const char *cmd,
	    json_object *fields, json_object **result, json_object **error, char *cause,
	    size_t causelen);
/* The same to a server of another protocol (jhookd: proto_jhookd). */
int	cl_call_table(const struct proto_table *t, const char *path,
	    const struct ctl_opts *o, const char *cmd, json_object *fields,
	    json_object **result, json_object **error, char *cause, size_t causelen);
/*
 * Reads one answer of a server of protocol t (text up to its newline; cut
 * there in place): what cl_call_table returns, from its bytes.
 */
int	cl_answer(const struct proto_table *t, char *text, json_object **result,
	    json_object **error, char *cause, size_t causelen);
void	cl_print_error(const struct ctl_opts *o, json_object *error);
void	cl_print_json(json_object *j);

/* symbolize.c */
void	symz_document(json_object *doc);
void	symz_finalise(void);

/* render.c */
void	render_leak_text(FILE *f, json_object *doc, int is_report);
void	render_bounds_text(FILE *f, json_object *doc);
void	render_folded(FILE *f, json_object *doc, int bounds);
void	render_frames_text(FILE *f, json_object *frames, const char *indent);
void	render_sort(json_object *doc, const char *sort);
/* An anchor's unreleased bytes, diff x size, saturated instead of overflowing. */
long long render_bytes(json_object *anchor);

/* The commands, each defined next to its exec function. */
extern const struct ctl_entry ctl_entry_list, ctl_entry_status, ctl_entry_start,
	ctl_entry_stop, ctl_entry_leak, ctl_entry_bound, ctl_entry_set_limit,
	ctl_entry_set_flag, ctl_entry_set_check, ctl_entry_set_method,
	ctl_entry_set_tail, ctl_entry_watch, ctl_entry_report, ctl_entry_run,
	ctl_entry_send, ctl_entry_daemon;

#endif /* JHOOKCTL_H */
