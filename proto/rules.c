/*
 * rules.c - the rules between a request's fields: one table, checked by
 * the agent when it parses a request and by jhookctl before it sends one.
 */
#include <stdio.h>

#include "proto.h"
#include "rules.h"

const struct proto_rule proto_rules[] = {
	{ PROTO_CMD_set_limit, PROTO_RULE_ORDER,
	  PROTO_F_set_limit_min, PROTO_F_set_limit_max },
	{ PROTO_CMD_set_flag, PROTO_RULE_ANY,
	  PROTO_F_set_flag_dup, PROTO_F_set_flag_bound },
	{ PROTO_CMD_set_check, PROTO_RULE_ONE,
	  PROTO_F_set_check_every, PROTO_F_set_check_off },
};
const size_t proto_nrules = sizeof proto_rules / sizeof proto_rules[0];

/* A field counts as chosen when present, and a flag only when it is true. */
static int
rule_chosen(const struct proto_request *r, int k)
{
	const struct proto_field *f = &proto_commands[r->cmd].fields[k];

	return (r->v[k].present && (f->type != PROTO_T_BOOL || r->v[k].i != 0));
}

/* PROTO_OK when r keeps rule u; otherwise the error, with cause filled. */
static enum proto_error
rule_check(const struct proto_rule *u, const struct proto_request *r,
    char *cause, size_t causelen)
{
	const struct proto_value *a = &r->v[u->a], *b = &r->v[u->b];
	const char *na = proto_commands[u->cmd].fields[u->a].name;
	const char *nb = proto_commands[u->cmd].fields[u->b].name;

	switch (u->kind) {
	case PROTO_RULE_ANY:
		if (a->present || b->present)
			return (PROTO_OK);
		snprintf(cause, causelen, "give \"%s\", \"%s\" or both", na, nb);
		return (PROTO_E_MISSING_FIELD);
	case PROTO_RULE_ONE:
		if (!a->present && !b->present) {
			snprintf(cause, causelen, "give \"%s\" or \"%s\"", na, nb);
			return (PROTO_E_MISSING_FIELD);
		}
		if (!rule_chosen(r, u->a) || !rule_chosen(r, u->b))
			return (PROTO_OK);
		snprintf(cause, causelen, "\"%s\" and \"%s\" exclude each other",
		    na, nb);
		return (PROTO_E_OUT_OF_RANGE);
	case PROTO_RULE_ORDER:
		if (!a->present || !b->present || a->i <= b->i)
			return (PROTO_OK);
		snprintf(cause, causelen, "\"%s\" (%lld) is above \"%s\" (%lld)",
		    na, (long long)a->i, nb, (long long)b->i);
		return (PROTO_E_OUT_OF_RANGE);
	}
	return (PROTO_OK);
}

const struct proto_rule *
proto_rule_broken(const struct proto_request *r, enum proto_error *e,
    char *cause, size_t causelen)
{
	size_t i;

	for (i = 0; i < proto_nrules; i++) {
		if ((int)proto_rules[i].cmd != r->cmd)
			continue;
		*e = rule_check(&proto_rules[i], r, cause, causelen);
		if (*e != PROTO_OK)
			return (&proto_rules[i]);
	}
	*e = PROTO_OK;
	return (NULL);
}

enum proto_error
proto_check_rules(const struct proto_request *r, char *cause, size_t causelen)
{
	enum proto_error e;

	proto_rule_broken(r, &e, cause, causelen);
	return (e);
}
