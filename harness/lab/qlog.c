/*
 * qlog.c - the resolver's query log read into queries (qlog.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dname.h"
#include "mem.h"
#include "msg.h"
#include "qlog.h"

#define QLOG_WORDS	10	/* words of a line looked at */
#define QLOG_LINE_MAX	4096	/* longer lines are skipped */

struct qlog {
	const struct qlog_format *format;
	char *path;
	long long offset;	/* bytes of the file consumed */
	struct qlog_query *q;
	size_t n;
	size_t waiting;		/* queries before it all have a reply */
	char **bogus;		/* "name TYPE" the resolver failed to validate */
	size_t nbogus;
};

/* One log format: its name and the parser of one line (NUL-terminated,
 * without its newline). */
struct qlog_format {
	const char *name;
	void (*line)(struct qlog *l, char *line);
};

static void qlog_unbound_line(struct qlog *l, char *line);

static const struct qlog_format qlog_formats[] = {
	{ "unbound", qlog_unbound_line },
};
#define QLOG_NFORMATS	(sizeof(qlog_formats) / sizeof(qlog_formats[0]))

/* qlog_format_find - the format named name, or NULL */
static const struct qlog_format *
qlog_format_find(const char *name)
{
	for (size_t i = 0; i < QLOG_NFORMATS; i++)
		if (strcmp(qlog_formats[i].name, name) == 0)
			return &qlog_formats[i];
	return NULL;
}

int
qlog_format_ok(const char *format)
{
	return qlog_format_find(format) != NULL;
}

struct qlog *
qlog_new(const char *format, const char *path)
{
	const struct qlog_format *f = qlog_format_find(format);
	struct qlog *l;

	if (f == NULL)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->format = f;
	l->path = path ? xstrdup(path) : NULL;
	return l;
}

struct qlog *
qlog_free(struct qlog *l)
{
	if (l == NULL)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		free(l->q[i].name);
	for (size_t i = 0; i < l->nbogus; i++)
		free(l->bogus[i]);
	free(l->q);
	free(l->bogus);
	free(l->path);
	free(l);
	return NULL;
}

/* qlog_words - split s at blanks into at most max words; how many */
static int
qlog_words(char *s, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " \t", &save); t && n < max;
	    t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	return n;
}

/* qlog_is_bogus - did the resolver fail to validate (name, type)? */
static int
qlog_is_bogus(const struct qlog *l, const char *name, const char *type)
{
	for (size_t i = 0; i < l->nbogus; i++) {
		const char *sp = strrchr(l->bogus[i], ' ');

		if (strcasecmp(sp + 1, type) == 0
		    && strlen(name) + 1 + strlen(type) == strlen(l->bogus[i])
		    && strncasecmp(l->bogus[i], name, strlen(name)) == 0)
			return 1;
	}
	return 0;
}

/* qlog_mark_bogus - (name, type) failed validation: remember it, and
 * mark the queries for it that have an answer code already */
static void
qlog_mark_bogus(struct qlog *l, const char *name, const char *type)
{
	char n[256];

	dname_copy(n, sizeof(n), name);
	if (!qlog_is_bogus(l, n, type)) {
		l->bogus = xrealloc(l->bogus, (l->nbogus + 1)
		    * sizeof(*l->bogus));
		l->bogus[l->nbogus++] = xasprintf("%s %s", n, type);
	}
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->q[i].rcode, "SERVFAIL") == 0
		    && strcasecmp(l->q[i].type, type) == 0
		    && dname_eq(l->q[i].name, n))
			l->q[i].state = "bogus";
}

/* qlog_add - a query for (name, type) */
static void
qlog_add(struct qlog *l, const char *name, const char *type)
{
	struct qlog_query *q;

	l->q = xrealloc(l->q, (l->n + 1) * sizeof(*l->q));
	q = &l->q[l->n++];
	memset(q, 0, sizeof(*q));
	q->name = xstrdup(name);
	dname_copy(q->name, strlen(name) + 1, name);
	snprintf(q->type, sizeof(q->type), "%s", type);
	q->dnssec_ok = -1;
	q->cached = -1;
	q->state = "";
}

/* qlog_reply - the answer to the oldest query of (name, type) still
 * waiting for one (none waiting: a query the log did not show, added) */
static void
qlog_reply(struct qlog *l, const char *name, const char *type,
    const char *rcode, int cached)
{
	struct qlog_query *q = NULL;

	while (l->waiting < l->n && l->q[l->waiting].rcode[0])
		l->waiting++;
	for (size_t i = l->waiting; i < l->n && q == NULL; i++)
		if (l->q[i].rcode[0] == 0 && strcasecmp(l->q[i].type, type) == 0
		    && dname_eq(l->q[i].name, name))
			q = &l->q[i];
	if (q == NULL) {
		qlog_add(l, name, type);
		q = &l->q[l->n - 1];
	}
	snprintf(q->rcode, sizeof(q->rcode), "%s", rcode);
	q->cached = cached;
	if (qlog_is_bogus(l, q->name, q->type))
		q->state = "bogus";
}

/* qlog_addr - is s an IPv4 or IPv6 address (Unbound may add "@port")? */
static int
qlog_addr(const char *s)
{
	char a[64], buf[sizeof(struct in6_addr)];

	snprintf(a, sizeof(a), "%s", s);
	a[strcspn(a, "@#")] = 0;
	return inet_pton(AF_INET, a, buf) == 1
	    || inet_pton(AF_INET6, a, buf) == 1;
}

/*
 * qlog_unbound_line - one line of Unbound's log (log-queries,
 * log-replies, val-log-level 2), after its "... info: " prefix:
 *   query:   IP NAME TYPE CLASS
 *   reply:   IP NAME TYPE CLASS RCODE SECONDS CACHED SIZE
 *   failure: validation failure <NAME TYPE CLASS>: why
 */
static void
qlog_unbound_line(struct qlog *l, char *line)
{
	char *p = strstr(line, " info: "), *w[QLOG_WORDS];
	int n;

	if (p == NULL)
		return;
	p += strlen(" info: ");
	if (strncmp(p, "validation failure <", 20) == 0) {
		n = qlog_words(p + 20, w, 3);
		if (n == 3)
			qlog_mark_bogus(l, w[0], w[1]);
		return;
	}
	n = qlog_words(p, w, QLOG_WORDS);
	if ((n != 4 && n != 8) || !qlog_addr(w[0]))
		return;
	if (n == 4)
		qlog_add(l, w[1], w[2]);
	else
		qlog_reply(l, w[1], w[2], w[4], strcmp(w[6], "1") == 0 ? 1
		    : strcmp(w[6], "0") == 0 ? 0 : -1);
}

size_t
qlog_feed(struct qlog *l, const char *text, size_t len)
{
	size_t used = 0;

	while (used < len) {
		const char *nl = memchr(text + used, '\n', len - used);
		size_t ll;

		if (nl == NULL)
			break;
		ll = (size_t)(nl - (text + used));
		if (ll < QLOG_LINE_MAX) {
			char *line = xstrndup(text + used, ll);

			l->format->line(l, line);
			free(line);
		}
		used += ll + 1;
	}
	return used;
}

long
qlog_update(struct qlog *l)
{
	char chunk[65536];
	struct buf pending = { 0 };
	int fd = open(l->path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0) {
		if (errno == ENOENT)
			return (long)l->n;
		msg_warn("%s: %s", l->path, strerror(errno));
		return -1;
	}
	while ((got = pread(fd, chunk, sizeof(chunk), l->offset
	    + (long long)pending.len)) > 0)
		buf_append(&pending, chunk, (size_t)got);
	if (got < 0)
		msg_warn("%s: %s", l->path, strerror(errno));
	close(fd);
	if (pending.len)
		l->offset += (long long)qlog_feed(l, pending.data, pending.len);
	buf_free(&pending);
	return got < 0 ? -1 : (long)l->n;
}

size_t
qlog_count(const struct qlog *l)
{
	return l->n;
}

const struct qlog_query *
qlog_get(const struct qlog *l, size_t i)
{
	return &l->q[i];
}

size_t
qlog_select(const struct qlog *l, size_t from, size_t to,
    char *const *apexes, size_t n, size_t **out)
{
	size_t k = 0;

	*out = NULL;
	for (size_t i = from; i < to && i < l->n; i++)
		for (size_t a = 0; a < n; a++)
			if (dname_under(l->q[i].name, apexes[a])) {
				*out = xrealloc(*out, (k + 1) * sizeof(**out));
				(*out)[k++] = i;
				break;
			}
	return k;
}

void
qlog_describe(struct buf *b, const struct qlog_query *q)
{
	buf_printf(b, "%s %s%s%s%s%s%s%s", q->type, q->name,
	    q->dnssec_ok == 1 ? " DO" : "", q->rcode[0] ? " " : "",
	    q->rcode[0] ? q->rcode : " (no answer logged)",
	    q->state[0] ? " " : "", q->state,
	    q->cached == 1 ? " cached" : "");
}
