/*
 * jhookctl.h - shared by the files of jhookctl(1).
 */
#ifndef JHOOKCTL_H
#define JHOOKCTL_H

#include <getopt.h>
#include <stdio.h>

#include <json-c/json.h>

#include "answer.h"

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

/* A command: name, handler, one line of help. */
struct ctl_command {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*usage;
	const char	*help;
};

extern const char *ctl_progname;
extern int ctl_colour;		/* colour on stdout: a tty and no NO_COLOR */

/* Long options every agent command accepts (values above any letter). */
enum {
	OPT_PID = 256,
	OPT_SOCKET,
	OPT_CONSUMER,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_FORMAT,
};
#define CTL_COMMON_OPTIONS						\
	{ "pid", required_argument, NULL, OPT_PID },			\
	{ "socket", required_argument, NULL, OPT_SOCKET },		\
	{ "consumer", required_argument, NULL, OPT_CONSUMER },		\
	{ "json", no_argument, NULL, OPT_JSON },			\
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },		\
	{ "help", no_argument, NULL, 'h' }

/* main.c */
void	ctl_opts_init(struct ctl_opts *o);
/* Handles a common option; exits 0 on --help, 2 on anything it does not know. */
void	ctl_common_opt(const char *cmd, int ch, const char *arg, struct ctl_opts *o);
/* After getopt: no stray arguments, and --pid or --socket given. */
void	ctl_need_target(const char *cmd, const struct ctl_opts *o, int argc, char **argv, int first);
void	ctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long long ctl_number(const char *cmd, const char *what, const char *s, long long min, long long max);
int	ctl_onoff(const char *cmd, const char *what, const char *s);
const char *ctl_bold(void);
const char *ctl_red(void);
const char *ctl_dim(void);
const char *ctl_reset(void);

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

/* The commands. */
int	cmd_list(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_start(int argc, char **argv);
int	cmd_stop(int argc, char **argv);
int	cmd_leak(int argc, char **argv);
int	cmd_bound(int argc, char **argv);
int	cmd_set_limit(int argc, char **argv);
int	cmd_set_flag(int argc, char **argv);
int	cmd_set_check(int argc, char **argv);
int	cmd_set_method(int argc, char **argv);
int	cmd_set_tail(int argc, char **argv);
int	cmd_watch(int argc, char **argv);
int	cmd_report(int argc, char **argv);
int	cmd_run(int argc, char **argv);
int	cmd_send(int argc, char **argv);
/* daemon.c: asks jhookd(8), not an agent */
int	cmd_daemon(int argc, char **argv);

#endif /* JHOOKCTL_H */
