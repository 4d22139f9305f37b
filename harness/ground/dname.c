/*
 * dname.c - domain names as text (dname.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dname.h"

/* dname_len - the length of s without one trailing dot */
static size_t
dname_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

int
dname_eq(const char *a, const char *b)
{
	size_t la = dname_len(a), lb = dname_len(b);

	return la == lb && strncasecmp(a, b, la) == 0;
}

void
dname_copy(char *dst, size_t size, const char *src)
{
	size_t n;

	snprintf(dst, size, "%s", src);
	n = strlen(dst);
	if (n > 1 && dst[n - 1] == '.')
		dst[n - 1] = '\0';
}

int
dname_under(const char *name, const char *apex)
{
	size_t ln = dname_len(name), la = dname_len(apex);

	if (la == 0)
		return 1;	/* everything is under the root */
	if (ln < la || strncasecmp(name + ln - la, apex, la) != 0)
		return 0;
	return ln == la || name[ln - la - 1] == '.';
}
