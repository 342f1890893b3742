/*
 * rules.h - the rules between the fields of one request, shared by the
 * agent (through proto_parse_request) and jhookctl (before it sends).
 *
 * A field's own type and range are in proto.h's field tables; a rule here
 * relates two fields of one command.  Changing a rule changes the protocol:
 * bump PROTO_VERSION and record it in doc/protocol.md.
 */
#ifndef JHOOK_RULES_H
#define JHOOK_RULES_H

#include "proto.h"

enum proto_rule_kind {
	PROTO_RULE_ANY,		/* at least one of a and b (missing_field) */
	PROTO_RULE_ONE,		/* a or b, not both (missing_field, out_of_range) */
	PROTO_RULE_ORDER,	/* a <= b when both are present (out_of_range) */
};

/* One rule: its command and its two fields, PROTO_F_<cmd>_<field>. */
struct proto_rule {
	enum proto_cmd		 cmd;
	enum proto_rule_kind	 kind;
	int			 a;
	int			 b;
};

extern const struct proto_rule proto_rules[];
extern const size_t proto_nrules;

/*
 * The first rule r breaks, with its error in *e and a one-line message in
 * cause; NULL when r keeps every rule of its command.
 */
const struct proto_rule *proto_rule_broken(const struct proto_request *r,
		    enum proto_error *e, char *cause, size_t causelen);

#endif /* JHOOK_RULES_H */
