/* observe.c - outcome names and their parser */
#include <string.h>

#include "observe.h"

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
	if (s == NULL)
		return -1;
	for (int i = 0; i < OUTCOME_COUNT; i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return i;
	return -1;
}
