/* observe.c - outcome names */
#include <string.h>

#include "observe.h"

static const char *const outcome_names[OUTCOME_COUNT] = {
	"authenticated", "encrypted", "cleartext", "refused", "no-connect"
};

const char *
outcome_name(enum outcome o)
{
	return (unsigned)o < OUTCOME_COUNT ? outcome_names[o] : "?";
}

int
outcome_parse(const char *s)
{
	for (int i = 0; i < OUTCOME_COUNT; i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return i;
	return -1;
}
