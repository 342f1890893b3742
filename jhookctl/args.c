/*
 * args.c - the one option parser of jhookctl, and the usage and help of
 * every command, both made from the command's entry (struct ctl_entry).
 *
 * An option that maps to a protocol field takes its type, range and names
 * from proto's field table, and the rules between fields from
 * proto/rules.c, so jhookctl refuses exactly what the agent would, and its
 * help shows the agent's ranges.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jhookctl.h"
#include "proto.h"
#include "rules.h"

/* Usage lines are wrapped here, continued under the command's name. */
#define ARGS_WIDTH	80
#define ARGS_INDENT	"          "
/* Help lines: the option in 18 columns, then what it does. */
#define ARGS_HELP_INDENT "                     "

const char *const ctl_format_names[] = { "text", "folded", NULL };

/* The options of CTL_F_AGENT, CTL_F_JSON and every command (--help). */
static const struct ctl_option args_agent[] = {
	CTL_LOCAL("pid", 0, "N", CTL_T_INT, 1, INT32_MAX, NULL,
	    "the process to talk to"),
	CTL_LOCAL("socket", 0, "PATH", CTL_T_STRING, 0, 0, NULL,
	    "talk to this socket instead of finding the pid's"),
	CTL_LOCAL("consumer", 0, "NAME", CTL_T_STRING, 0, 0, NULL,
	    "who is looking, for \"changed\" state (default jhookctl)"),
	CTL_TIMEOUT("give up after S seconds (default 10)"),
	CTL_END
};
static const struct ctl_option args_json[] = {
	CTL_LOCAL("json", 0, NULL, CTL_T_FLAG, 0, 0, NULL,
	    "one JSON document on stdout"),
	CTL_END
};
static const struct ctl_option args_help[] = {
	CTL_LOCAL("help", 'h', NULL, CTL_T_FLAG, 0, 0, NULL, "this help"),
	CTL_END
};

/*
 * How jhookctl reports a broken rule of proto/rules.c.  A rule on which
 * options are given is a usage error; a rule between values is reported
 * with the code the agent would answer, as the agent's refusals are.
 */
static const struct {
	int		 exit;
	const char	*words[3];	/* around the two options; NULL: proto's */
} args_rules[] = {
	[PROTO_RULE_ANY] = { EXIT_USAGE, { "give ", ", ", " or both" } },
	[PROTO_RULE_ONE] = { EXIT_USAGE, { "give either ", " or ", "" } },
	[PROTO_RULE_ORDER] = { EXIT_TARGET, { NULL, NULL, NULL } },
};

void
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct ctl_entry *e = cmd != NULL ? ctl_find(cmd) : NULL;
	char usage[1024];
	va_list ap;

	fprintf(stderr, "%s%s%s: ", ctl_progname, cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (e != NULL) {
		args_usage(e, usage, sizeof usage);
		fprintf(stderr, "usage: %s %s\n", ctl_progname, usage);
	}
	exit(EXIT_USAGE);
}

/* The protocol field an option maps to, or NULL. */
static const struct proto_field *
args_field(const struct ctl_option *o)
{
	if (o->type != CTL_T_FIELD)
		return (NULL);
	return (&proto_commands[o->cmd].fields[o->field]);
}

/* What an option's argument looks like; NULL when it takes none. */
static const char *
args_metavar(const struct ctl_option *o, char *buf, size_t len)
{
	const struct proto_field *f = args_field(o);
	const char *const *names = f != NULL ? f->names : o->names;
	size_t n = 0;
	int i;

	if (o->metavar != NULL || names == NULL)
		return (o->metavar);
	buf[0] = '\0';
	for (i = 0; names[i] != NULL && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", names[i]);
	return (buf);
}

/* "-x" or "--name", with its argument when it takes one. */
static void
args_spell(const struct ctl_option *o, char *buf, size_t len)
{
	char meta[128];
	const char *m = args_metavar(o, meta, sizeof meta);

	if (o->letter != 0)
		snprintf(buf, len, "-%c%s%s", o->letter, m ? " " : "", m ? m : "");
	else
		snprintf(buf, len, "--%s%s%s", o->name, m ? " " : "", m ? m : "");
}

/* The index of a name among names, -1 when it is none of them. */
static int
args_name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0)
			return (i);
	}
	return (-1);
}

/* "a, b or c": the names a --sort or --method accepts, for an error. */
static void
args_name_list(const char *const *names, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i == 0 ? "" :
		    names[i + 1] == NULL ? " or " : ", ", names[i]);
}

static long long
args_int(const char *cmd, const char *name, const char *s, long long min,
    long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		ctl_usage_error(cmd, "--%s: '%s' is not an integer within %lld..%lld",
		    name, s, min, max);
	return (v);
}

static double
args_secs(const char *cmd, const char *name, const char *s, long long min,
    long long max)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(v * 1000 >= min && v * 1000 <= max))
		ctl_usage_error(cmd, "--%s takes %g..%g seconds, not '%s'", name,
		    min / 1000.0, max / 1000.0, s);
	return (v);
}

/* A flag field given as on or off (or 1 or 0). */
static int
args_onoff(const char *cmd, const char *name, const char *s)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return (1);
	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return (0);
	ctl_usage_error(cmd, "--%s takes on or off, not '%s'", name, s);
	return (0);
}

static int
args_enum(const char *cmd, const char *name, const char *const *names,
    const char *s)
{
	char list[256];
	int k = args_name_index(names, s);

	if (k < 0) {
		args_name_list(names, list, sizeof list);
		ctl_usage_error(cmd, "--%s is %s, not '%s'", name, list, s);
	}
	return (k);
}

/* Checks an argument against its protocol field; the value for the wire. */
static int64_t
args_check_field(const char *cmd, const struct ctl_option *o, const char *s)
{
	const struct proto_field *f = args_field(o);

	switch (f->type) {
	case PROTO_T_INT:
		return (args_int(cmd, o->name, s, f->min, f->max));
	case PROTO_T_BOOL:
		if (o->metavar == NULL)
			return (1);
		return (args_onoff(cmd, o->name, s));
	case PROTO_T_ENUM:
		return (args_enum(cmd, o->name, f->names, s));
	case PROTO_T_STRING:
		/* struct proto_value holds PROTO_MAX_CONSUMER bytes of text. */
		if ((int64_t)strlen(s) < f->min || (int64_t)strlen(s) > f->max ||
		    strlen(s) > PROTO_MAX_CONSUMER)
			ctl_usage_error(cmd, "--%s takes %lld..%lld bytes", o->name,
			    (long long)f->min, (long long)f->max);
		return (0);
	}
	return (0);
}

/* Checks one option's argument; a protocol field of the command is kept. */
static void
args_take(struct ctl_args *a, const struct ctl_option *o, const char *s)
{
	const char *cmd = a->entry->name;
	struct proto_value *v;

	switch (o->type) {
	case CTL_T_FLAG:
	case CTL_T_STRING:
		break;
	case CTL_T_INT:
		args_int(cmd, o->name, s, o->min, o->max);
		break;
	case CTL_T_SECONDS:
		args_secs(cmd, o->name, s, o->min, o->max);
		break;
	case CTL_T_ENUM:
		args_enum(cmd, o->name, o->names, s);
		break;
	case CTL_T_FIELD:
		if (o->cmd != a->entry->cmd) {
			args_check_field(cmd, o, s);
			break;
		}
		v = &a->req.v[o->field];
		v->i = args_check_field(cmd, o, s);
		snprintf(v->s, sizeof v->s, "%s", s);
		v->present = 1;
		break;
	}
}

/* How the option that fills field k is spelled, or the field's name. */
static void
args_of_field(const struct ctl_args *a, int k, char *buf, size_t len)
{
	int i;

	for (i = 0; i < a->nopt; i++) {
		if (a->opt[i]->type == CTL_T_FIELD && a->opt[i]->cmd == a->entry->cmd &&
		    a->opt[i]->field == k) {
			args_spell(a->opt[i], buf, len);
			return;
		}
	}
	snprintf(buf, len, "\"%s\"", proto_commands[a->req.cmd].fields[k].name);
}

/* {"error":{"code":..,"message":..}}, the shape of an agent's refusal. */
static void
args_print_error(enum proto_error e, const char *cause)
{
	json_object *err = json_object_new_object(), *wrap = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_string(proto_error_name(e)));
	json_object_object_add(err, "message", json_object_new_string(cause));
	json_object_object_add(wrap, "error", err);
	cl_print_json(wrap);
	json_object_put(wrap);
}

/* The request as the agent will check it: required fields, then rules. */
static void
args_check_request(struct ctl_args *a)
{
	const struct proto_field *f = proto_commands[a->req.cmd].fields;
	const struct proto_rule *u;
	char sa[128], sb[128], cause[256];
	enum proto_error e;
	int k;

	for (k = 0; f[k].name != NULL; k++) {
		if (f[k].required && !a->req.v[k].present) {
			args_of_field(a, k, sa, sizeof sa);
			ctl_usage_error(a->entry->name, "%s is required", sa);
		}
	}
	if ((u = proto_rule_broken(&a->req, &e, cause, sizeof cause)) == NULL)
		return;
	if (args_rules[u->kind].words[0] != NULL) {
		args_of_field(a, u->a, sa, sizeof sa);
		args_of_field(a, u->b, sb, sizeof sb);
		ctl_usage_error(a->entry->name, "%s%s%s%s%s",
		    args_rules[u->kind].words[0], sa, args_rules[u->kind].words[1],
		    sb, args_rules[u->kind].words[2]);
	}
	fprintf(stderr, "%s %s: %s: %s (not sent)\n", ctl_progname,
	    a->entry->name, proto_error_name(e), cause);
	if (a->o.json)
		args_print_error(e, cause);
	exit(args_rules[u->kind].exit);
}

/* Appends the rows of t to the options a accepts. */
static void
args_accept(struct ctl_args *a, const struct ctl_option *t)
{
	for (; t->name != NULL; t++) {
		if (a->nopt == CTL_MAX_OPTIONS) {
			fprintf(stderr, "%s: %s has more than %d options\n",
			    ctl_progname, a->entry->name, CTL_MAX_OPTIONS);
			abort();
		}
		a->opt[a->nopt++] = t;
	}
}

static void
args_collect(const struct ctl_entry *e, struct ctl_args *a)
{
	memset(a, 0, sizeof *a);
	a->entry = e;
	a->req.cmd = e->cmd >= 0 ? (enum proto_cmd)e->cmd : 0;
	args_accept(a, e->options);
	if (e->flags & CTL_F_AGENT)
		args_accept(a, args_agent);
	if (e->flags & (CTL_F_AGENT | CTL_F_JSON))
		args_accept(a, args_json);
	args_accept(a, args_help);
}

/* The options every agent command shares, from what was given. */
static void
args_opts(struct ctl_args *a)
{
	const char *format = args_get(a, "format");

	a->o.pid = (long)args_number(a, "pid", -1);
	a->o.socket = args_get(a, "socket");
	a->o.consumer = args_get(a, "consumer");
	if (a->o.consumer == NULL)
		a->o.consumer = "jhookctl";
	a->o.json = args_get(a, "json") != NULL;
	a->o.folded = format != NULL && strcmp(format, "folded") == 0;
	a->o.timeout = args_seconds(a, "timeout", 10);
}

static void
args_help_exit(const struct ctl_entry *e, const struct ctl_args *a);

/* A flag takes no argument, nor does a flag field without "on|off". */
static int
args_takes_arg(const struct ctl_option *o)
{
	const struct proto_field *f = args_field(o);

	if (o->type == CTL_T_FLAG)
		return (0);
	return (f == NULL || f->type != PROTO_T_BOOL || o->metavar != NULL);
}

/* The option getopt_long answered ch for (a letter, or 256 + index). */
static int
args_index(const struct ctl_args *a, int ch)
{
	int i;

	if (ch >= 256 && ch < 256 + a->nopt)
		return (ch - 256);
	for (i = 0; i < a->nopt; i++) {
		if (a->opt[i]->letter != 0 && a->opt[i]->letter == ch)
			return (i);
	}
	return (-1);
}

void
args_parse(const struct ctl_entry *e, int argc, char **argv, struct ctl_args *a)
{
	struct option lo[CTL_MAX_OPTIONS + 1];
	char letters[2 * CTL_MAX_OPTIONS + 2], *l = letters;
	int ch, i;

	args_collect(e, a);
	if (e->flags & CTL_F_INORDER)
		*l++ = '+';
	for (i = 0; i < a->nopt; i++) {
		lo[i] = (struct option){ a->opt[i]->name, args_takes_arg(a->opt[i]) ?
		    required_argument : no_argument, NULL, 256 + i };
		if (a->opt[i]->letter != 0) {
			*l++ = (char)a->opt[i]->letter;
			if (lo[i].has_arg == required_argument)
				*l++ = ':';
		}
	}
	*l = '\0';
	memset(&lo[a->nopt], 0, sizeof lo[0]);
	while ((ch = getopt_long(argc, argv, letters, lo, NULL)) != -1) {
		/* getopt_long already said what was wrong. */
		if ((i = args_index(a, ch)) < 0)
			ctl_usage_error(e->name, "bad option");
		a->val[i] = optarg != NULL ? optarg : "";
		if (a->opt[i] == args_help)
			args_help_exit(e, a);
		args_take(a, a->opt[i], a->val[i]);
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < e->nmin)
		ctl_usage_error(e->name, "%s is required", e->operands);
	if (e->nmax >= 0 && a->argc > e->nmax)
		ctl_usage_error(e->name, "unexpected argument '%s'", a->argv[e->nmax]);
	args_opts(a);
	if ((e->flags & CTL_F_TARGET) && a->o.pid < 0 && a->o.socket == NULL)
		ctl_usage_error(e->name, "--pid N is required");
	if (e->cmd >= 0)
		args_check_request(a);
}

const char *
args_get(const struct ctl_args *a, const char *name)
{
	int i;

	for (i = 0; i < a->nopt; i++) {
		if (strcmp(a->opt[i]->name, name) == 0)
			return (a->val[i]);
	}
	return (NULL);
}

/* Checked by args_parse already, so these only convert. */
long long
args_number(const struct ctl_args *a, const char *name, long long dflt)
{
	const char *s = args_get(a, name);

	return (s != NULL ? strtoll(s, NULL, 0) : dflt);
}

double
args_seconds(const struct ctl_args *a, const char *name, double dflt)
{
	const char *s = args_get(a, name);

	return (s != NULL ? strtod(s, NULL) : dflt);
}

json_object *
args_fields(const struct ctl_args *a)
{
	const struct proto_field *f;
	const struct proto_value *v;
	json_object *j;
	int k;

	if (a->entry->cmd < 0)
		return (NULL);
	j = json_object_new_object();
	f = proto_commands[a->req.cmd].fields;
	for (k = 0; f[k].name != NULL; k++) {
		v = &a->req.v[k];
		if (!v->present)
			continue;
		json_object_object_add(j, f[k].name,
		    f[k].type == PROTO_T_INT ? json_object_new_int64(v->i) :
		    f[k].type == PROTO_T_BOOL ? json_object_new_boolean(v->i != 0) :
		    f[k].type == PROTO_T_ENUM ? json_object_new_string(f[k].names[v->i]) :
		    json_object_new_string(v->s));
	}
	return (j);
}

/* ------------------------------------------------------------------ help */

/* The rule of the entry's command that makes option o one of a pair. */
static const struct proto_rule *
args_pair(const struct ctl_entry *e, const struct ctl_option *o)
{
	size_t i;

	if (o->type != CTL_T_FIELD || o->cmd != e->cmd)
		return (NULL);
	for (i = 0; i < proto_nrules; i++) {
		if ((int)proto_rules[i].cmd == e->cmd && proto_rules[i].kind ==
		    PROTO_RULE_ONE && (proto_rules[i].a == o->field ||
		    proto_rules[i].b == o->field))
			return (&proto_rules[i]);
	}
	return (NULL);
}

/* Appends one word to a usage line, wrapping it. */
static void
args_word(char *buf, size_t len, size_t *col, const char *w)
{
	size_t n = strlen(buf);

	if (*col + 1 + strlen(w) > ARGS_WIDTH) {
		snprintf(buf + n, len - n, "\n%s%s", ARGS_INDENT, w);
		*col = strlen(ARGS_INDENT) + strlen(w);
	} else {
		snprintf(buf + n, len - n, " %s", w);
		*col += 1 + strlen(w);
	}
}

/* The word of an option: required, optional, or one of a pair. */
static int
args_option_word(const struct ctl_entry *e, const struct ctl_option *o,
    const struct ctl_option *all, char *w, size_t len)
{
	const struct proto_field *f = args_field(o);
	const struct proto_rule *u = args_pair(e, o);
	const struct ctl_option *p;
	char s[120], t[120];

	args_spell(o, s, sizeof s);
	if (u == NULL) {
		snprintf(w, len, f != NULL && f->required && o->cmd == e->cmd ?
		    "%s" : "[%s]", s);
		return (1);
	}
	if (u->b == o->field)
		return (0);
	for (p = all; p->name != NULL; p++) {
		if (p->type == CTL_T_FIELD && p->cmd == e->cmd && p->field == u->b)
			break;
	}
	args_spell(p, t, sizeof t);
	snprintf(w, len, "%s | %s", s, t);
	return (1);
}

void
args_usage(const struct ctl_entry *e, char *buf, size_t len)
{
	const struct ctl_option *o;
	size_t col;
	char w[512];

	snprintf(buf, len, "%s", e->name);
	col = strlen("usage: jhookctl ") + strlen(e->name);
	if (e->flags & CTL_F_TARGET)
		args_word(buf, len, &col, "--pid N");
	for (o = e->options; o->name != NULL; o++) {
		if (args_option_word(e, o, e->options, w, sizeof w))
			args_word(buf, len, &col, w);
	}
	if (e->flags & (CTL_F_AGENT | CTL_F_JSON))
		args_word(buf, len, &col, "[--json]");
	if (e->operands != NULL)
		args_word(buf, len, &col, e->operands);
}

/* " (min..max)" for a protocol field's range, "" when it is the type's. */
static void
args_range(const struct ctl_option *o, char *buf, size_t len)
{
	const struct proto_field *f = args_field(o);

	buf[0] = '\0';
	if (f == NULL || f->type != PROTO_T_INT || f->min <= INT32_MIN + 1)
		return;
	if (f->max >= INT32_MAX)
		snprintf(buf, len, " (%lld or more)", (long long)f->min);
	else
		snprintf(buf, len, " (%lld..%lld)", (long long)f->min,
		    (long long)f->max);
}

static void
args_help_exit(const struct ctl_entry *e, const struct ctl_args *a)
{
	struct ctl_option o;
	char usage[1024], s[192], range[64];
	size_t n;
	int i;

	args_usage(e, usage, sizeof usage);
	printf("usage: %s %s\n\n%s", ctl_progname, usage, e->help);
	for (i = 0; i < a->nopt; i++) {
		o = *a->opt[i];
		n = 0;
		if (o.letter != 0 && o.letter != 'h')
			n = (size_t)snprintf(s, sizeof s, "-%c, ", o.letter);
		o.letter = 0;
		args_spell(&o, s + n, sizeof s - n);
		args_range(&o, range, sizeof range);
		/* A long option gets its own line, so the help stays a column. */
		printf("  %-18s%s%s%s\n", s, strlen(s) > 18 ? "\n" ARGS_HELP_INDENT :
		    " ", o.help, range);
	}
	exit(0);
}
