/* observe.c - outcome names and their parser */
#include <string.h>

#include "observe.h"

int
names_find(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static const char *const outcome_names[OUTCOME_COUNT] = {
	[OUTCOME_AUTHENTICATED] = "authenticated",
	[OUTCOME_ENCRYPTED] = "encrypted",
	[OUTCOME_CLEARTEXT] = "cleartext",
	[OUTCOME_REFUSED] = "refused",
	[OUTCOME_NO_CONNECT] = "no-connect",
};

/* outcome_name - the name of o, "invalid" when out of range */
const char *
outcome_name(enum outcome o)
{
	if ((unsigned)o >= OUTCOME_COUNT)
		return "invalid";
	return outcome_names[o];
}

/* outcome_parse - the outcome named s, or -1 */
int
outcome_parse(const char *s)
{
	return names_find(outcome_names, OUTCOME_COUNT, s);
}

const char *const proto_names[PROTO_COUNT] = {
	[PROTO_SMTP] = "smtp",
	[PROTO_SMTPS] = "smtps",
	[PROTO_XMPP] = "xmpp",
	[PROTO_XMPPS] = "xmpps",
	[PROTO_XMPP_IN] = "xmpp-in",
};

const char *const policy_names[POLICY_COUNT] = {
	[POLICY_OPPORTUNISTIC] = "opportunistic",
	[POLICY_MANDATORY] = "mandatory",
};

const char *
proto_name(enum proto p)
{
	return (unsigned)p < PROTO_COUNT ? proto_names[p] : "invalid";
}

const char *
policy_name(enum policy p)
{
	return (unsigned)p < POLICY_COUNT ? policy_names[p] : "invalid";
}


int
proto_parse(const char *s)
{
	return names_find(proto_names, PROTO_COUNT, s);
}

int
policy_parse(const char *s)
{
	return names_find(policy_names, POLICY_COUNT, s);
}
