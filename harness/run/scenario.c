/*
 * scenario.c - the scenario language: parse, expand matrices, lint.
 *
 * Reading goes in three steps: the text is cut into lines of tokens
 * (scn_lex), lines are grouped into blocks with their axes, and each
 * block is expanded once per combination of axis values into a struct
 * scenario (scn_expand), each line applied by its keyword's entry of
 * scn_keywords[], and the scenario is then linted (scn_lint).  Errors
 * are collected per file and printed sorted by line when the file is
 * done; a message that every combination would repeat is printed once.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#include "mem.h"
#include "msg.h"
#include "scenario.h"
#include "template.h"
#include "zone.h"

#define SCN_MAX_TOKENS		128	/* per line (latitude lines are prose) */
#define SCN_MAX_LINE		4096	/* bytes per line */
#define SCN_MAX_AXES		8
#define SCN_MAX_VALUES		64	/* per axis */
#define SCN_MAX_EXPANSION	4096	/* combinations per block */
#define SCN_MAX_ID		48	/* leaves room in a 63-octet label */
#define SCN_MAX_ZONE_LABEL	12
#define SCN_MAX_REPORTED	1000	/* distinct messages per file */

void
scn_set_errors(FILE *fp)
{
	(void)msg_input_stream(fp);
}

/* The names of the language, in enum order: the parser looks words up in
 * these tables and the usage text (scn_usage) is made from them (the
 * protocols and policies are observe.h's). */
static const int proto_ports[PROTO_COUNT] = { 25, 465, 5269, 5270, 5269 };
static const char *const zone_state_names[SCN_ZONE_STATE_COUNT] = {
	"secure", "insecure", "ds-mismatch", "unsupported-alg", "lame"
};
static const char *const host_option_names[] = {
	"no-starttls", "client-cert", "down"
};
static const unsigned host_option_flags[] = {
	SCN_HOST_NO_STARTTLS, SCN_HOST_CLIENT_CERT, SCN_HOST_DOWN
};
#define SCN_HOST_OPTIONS \
	((int)(sizeof(host_option_names) / sizeof(host_option_names[0])))
static const char *const srv_service_names[] = {
	"xmpp-server", "xmpps-server"
};
#define SCN_SRV_SERVICES \
	((int)(sizeof(srv_service_names) / sizeof(srv_service_names[0])))

/* One line of tokens. */
struct scn_line {
	int line;
	int argc;
	char **argv;
};

/* An axis of a matrix block. */
struct scn_axis {
	char *name;
	int nvalues;
	char **values;
	int line;
};

/* The ids a file has defined so far (failed blocks too), for duplicates. */
struct scn_ids {
	char **id;
	int *line;
	size_t n;
};

/* One error message of a file, and when it was found. */
struct scn_report {
	int line;
	size_t seq;
	char *msg;
};

/* A file's errors, printed sorted by line when the file is done. */
struct scn_errors {
	const char *file;
	struct scn_report *list;
	size_t n;
	size_t dropped;		/* beyond SCN_MAX_REPORTED */
};

/* A block: its lines, its axes, and where its errors go. */
struct scn_block {
	const char *file;
	struct scn_line *lines;
	size_t nlines;
	struct scn_axis axes[SCN_MAX_AXES];
	int naxes;
	int errors;			/* every error, repeated ones too */
	struct scn_errors *out;		/* the file's messages */
	struct scn_ids *ids;		/* every id of the file so far */
};

int
scn_proto_port(enum proto p)
{
	return proto_ports[p];
}

const char *
scn_zone_state_name(enum scn_zone_state s)
{
	return zone_state_names[s];
}

/* scn_names - the n names joined by sep ("smtp, smtps, ..."); caller
 * frees */
static char *
scn_names(const char *const *names, int n, const char *sep)
{
	struct buf b = { 0 };

	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? sep : "", names[i]);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
}

/* scn_fault_names - the zone module's fault kinds joined by sep; caller
 * frees */
static char *
scn_fault_names(const char *sep)
{
	const char *const *names = zone_fault_names();
	int n = 0;

	while (names[n])
		n++;
	return scn_names(names, n, sep);
}

/* scn_outcome_names - the outcomes joined by sep; caller frees */
static char *
scn_outcome_names(const char *sep)
{
	const char *names[OUTCOME_COUNT];

	for (int o = 0; o < OUTCOME_COUNT; o++)
		names[o] = outcome_name(o);
	return scn_names(names, OUTCOME_COUNT, sep);
}

/* scn_vnote - add a message at line to a file's errors, unless it is
 * there already; 1 if added */
static int
scn_vnote(struct scn_errors *e, int line, const char *fmt, va_list ap)
{
	char buf[1024], *msg;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	msg = xstrdup(buf);

	for (size_t i = 0; i < e->n; i++)
		if (e->list[i].line == line && strcmp(e->list[i].msg, msg) == 0) {
			free(msg);
			return 0;
		}
	if (e->n == SCN_MAX_REPORTED) {
		e->dropped++;
		free(msg);
		return 0;
	}
	e->list = xrealloc(e->list, (e->n + 1) * sizeof(*e->list));
	e->list[e->n].line = line;
	e->list[e->n].seq = e->n;
	e->list[e->n++].msg = msg;
	return 1;
}

/* scn_note - an error outside any block (the lexer, text before the
 * first block) */
static void __attribute__((format(printf, 3, 4)))
scn_note(struct scn_errors *e, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scn_vnote(e, line, fmt, ap);
	va_end(ap);
}

/* scn_error - an error of block b at line; repeated messages are
 * counted against the scenario but printed once */
static void __attribute__((format(printf, 3, 4)))
scn_error(struct scn_block *b, int line, const char *fmt, ...)
{
	va_list ap;

	b->errors++;
	va_start(ap, fmt);
	scn_vnote(b->out, line, fmt, ap);
	va_end(ap);
}

/* scn_report_cmp - for qsort of a file's errors: by line, then as found */
static int
scn_report_cmp(const void *a, const void *b)
{
	const struct scn_report *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* scn_errors_flush - print a file's errors in line order and release
 * them; returns how many lines were printed */
static int
scn_errors_flush(struct scn_errors *e)
{
	int printed = 0;

	if (e->n > 1)
		qsort(e->list, e->n, sizeof(*e->list), scn_report_cmp);
	for (size_t i = 0; i < e->n; i++) {
		msg_input(e->file, e->list[i].line, "%s", e->list[i].msg);
		free(e->list[i].msg);
		printed++;
	}
	if (e->dropped) {
		msg_input(e->file, 0, "%zu more errors not shown (at most %d "
		    "per file)", e->dropped, SCN_MAX_REPORTED);
		printed++;
	}
	free(e->list);
	e->list = NULL;
	e->n = e->dropped = 0;
	return printed;
}

/* scn_line_free - release one line's tokens */
static void
scn_line_free(struct scn_line *l)
{
	for (int i = 0; i < l->argc; i++)
		free(l->argv[i]);
	free(l->argv);
}

/* scn_join - tokens i to end - 1, joined by single spaces; caller frees */
static char *
scn_join(const struct scn_line *l, int i, int end)
{
	struct buf b = { 0 };

	for (; i < end; i++) {
		if (b.len)
			buf_append(&b, " ", 1);
		buf_append(&b, l->argv[i], strlen(l->argv[i]));
	}
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
}

/* scn_rest - the tokens from i on, joined by single spaces; caller frees */
static char *
scn_rest(const struct scn_line *l, int i)
{
	return scn_join(l, i, l->argc);
}

/*
 * scn_lex - cut text into lines of tokens.  Comments start at a "#" that
 * begins a token.  Returns the number of lines in *out; lexical errors
 * (NUL bytes, overlong lines, too many tokens) go to errs.
 */
static size_t
scn_lex(const char *text, size_t len, struct scn_line **out,
    struct scn_errors *errs)
{
	struct scn_line *lines = NULL;
	size_t n = 0, cap = 0, pos = 0;
	int lineno = 0;

	while (pos < len) {
		size_t end = pos;
		char *tokens[SCN_MAX_TOKENS];
		int ntok = 0, bad = 0;

		lineno++;
		while (end < len && text[end] != '\n')
			end++;
		if (end - pos > SCN_MAX_LINE) {
			scn_note(errs, lineno, "line longer than %d bytes",
			    SCN_MAX_LINE);
			pos = end + 1;
			continue;
		}
		for (size_t i = pos; i < end; ) {
			size_t start;

			while (i < end && (text[i] == ' ' || text[i] == '\t'
			    || text[i] == '\r'))
				i++;
			if (i >= end || text[i] == '#')
				break;
			start = i;
			while (i < end && text[i] != ' ' && text[i] != '\t'
			    && text[i] != '\r')
				i++;
			if (memchr(text + start, 0, i - start) != NULL
			    || ntok == SCN_MAX_TOKENS) {
				bad = 1;
				break;
			}
			tokens[ntok++] = xstrndup(text + start, i - start);
		}
		if (bad) {
			scn_note(errs, lineno, "%s", ntok == SCN_MAX_TOKENS
			    ? "too many words on one line" : "NUL byte in the text");
		}
		if (bad || ntok == 0) {
			for (int i = 0; i < ntok; i++)
				free(tokens[i]);
			pos = end + 1;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[n].line = lineno;
		lines[n].argc = ntok;
		lines[n].argv = xmalloc(ntok * sizeof(char *));
		memcpy(lines[n].argv, tokens, ntok * sizeof(char *));
		n++;
		pos = end + 1;
	}
	*out = lines;
	return n;
}

/* scn_subst - s with every {axis} replaced; NULL on an unknown axis */
static char *
scn_subst(struct scn_block *b, int line, const char *s, const int *choice)
{
	struct buf out = { 0 };

	while (*s) {
		const char *close;
		int i;

		if (*s != '{' || (close = strchr(s, '}')) == NULL) {
			buf_append(&out, s, 1);
			s++;
			continue;
		}
		for (i = 0; i < b->naxes; i++)
			if (strlen(b->axes[i].name) == (size_t)(close - s - 1)
			    && strncmp(b->axes[i].name, s + 1, close - s - 1) == 0)
				break;
		if (i == b->naxes) {
			scn_error(b, line, "\"%.*s\" names no axis of this "
			    "scenario", (int)(close - s + 1), s);
			buf_free(&out);
			return NULL;
		}
		buf_append(&out, b->axes[i].values[choice[i]],
		    strlen(b->axes[i].values[choice[i]]));
		s = close + 1;
	}
	if (out.data == NULL)
		buf_append(&out, "", 0);
	return out.data;
}

/*
 * scn_when - does a "when A=v,w B=x" tail (tokens from i) hold for this
 * combination?  1 yes, 0 no, -1 malformed (reported).
 */
static int
scn_when(struct scn_block *b, const struct scn_line *l, int i,
    const int *choice)
{
	int holds = 1;

	if (i + 1 >= l->argc) {
		scn_error(b, l->line, "\"when\" wants AXIS=VALUE[,VALUE]");
		return -1;
	}
	for (i++; i < l->argc; i++) {
		char *eq = strchr(l->argv[i], '='), *vals, *v, *save = NULL;
		int a, match = 0;

		if (eq == NULL) {
			scn_error(b, l->line, "\"when\" wants AXIS=VALUE, "
			    "not \"%s\"", l->argv[i]);
			return -1;
		}
		for (a = 0; a < b->naxes; a++)
			if (strlen(b->axes[a].name) == (size_t)(eq - l->argv[i])
			    && strncmp(b->axes[a].name, l->argv[i],
			    eq - l->argv[i]) == 0)
				break;
		if (a == b->naxes) {
			scn_error(b, l->line, "\"when %s\": no such axis",
			    l->argv[i]);
			return -1;
		}
		vals = xstrdup(eq + 1);
		for (v = strtok_r(vals, ",", &save); v;
		    v = strtok_r(NULL, ",", &save)) {
			if (names_find((const char *const *)b->axes[a].values,
			    b->axes[a].nvalues, v) < 0) {
				scn_error(b, l->line, "\"when\": %s is not a "
				    "value of axis %s", v, b->axes[a].name);
				free(vals);
				return -1;
			}
			if (strcmp(v, b->axes[a].values[choice[a]]) == 0)
				match = 1;
		}
		free(vals);
		holds &= match;
	}
	return holds;
}

/*
 * scn_when_at - where a line's "when" condition starts, or 0: the last
 * word "when" followed only by NAME=VALUE words (so "when" in free text,
 * e.g. on a summary line, is just a word).
 */
static int
scn_when_at(const struct scn_line *l)
{
	for (int j = l->argc - 2; j >= 1; j--) {
		if (strchr(l->argv[j + 1], '=') == NULL)
			return 0;
		if (strcmp(l->argv[j], "when") == 0)
			return j;
	}
	return 0;
}

/* scn_set_bits - parse "a,b" or "all"/"any" of names into a bit set */
static int
scn_set_bits(const char *s, const char *const *names, int n, unsigned all,
    unsigned *bits)
{
	char *copy, *v, *save = NULL;
	int ret = 0;

	*bits = 0;
	if (strcmp(s, "all") == 0 || strcmp(s, "any") == 0) {
		*bits = all;
		return 0;
	}
	copy = xstrdup(s);
	for (v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		int i = names_find(names, n, v);

		if (i < 0) {
			ret = -1;
			break;
		}
		*bits |= 1u << i;
	}
	free(copy);
	return *bits ? ret : -1;
}

/* scn_label_ok - a lower-case LDH label of at most max octets */
static int
scn_label_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* scn_name_ok - "@", a relative name of LDH/underscore labels, or absolute */
static int
scn_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (strcmp(s, "@") == 0)
		return 1;
	if (n == 0 || n > 200 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 && i + 1 < n)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_'
		    && s[i] != '*')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

const struct scn_zone *
scn_zone_of(const struct scenario *s, const char *name)
{
	const char *last = strrchr(name, '.');

	last = last ? last + 1 : name;
	if (name[0] && name[strlen(name) - 1] == '.')
		return NULL;	/* absolute: outside the scenario */
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(s->zones[i].label, "@") != 0
		    && strcmp(s->zones[i].label, last) == 0)
			return &s->zones[i];
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(s->zones[i].label, "@") == 0)
			return &s->zones[i];
	return NULL;
}

char *
scn_zone_origin(const struct scenario *s, const struct scn_zone *z,
    const char *tld)
{
	if (strcmp(z->label, "@") == 0)
		return xasprintf("%s.%s", s->id, tld);
	return xasprintf("%s-%s.%s", s->id, z->label, tld);
}

char *
scn_name_abs(const struct scenario *s, const char *name, const char *tld)
{
	const struct scn_zone *z;
	char *origin, *abs;
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		return xstrdup(name);
	if ((z = scn_zone_of(s, name)) == NULL)
		return xstrdup(name);
	origin = scn_zone_origin(s, z, tld);
	if (strcmp(name, "@") == 0 || strcmp(name, z->label) == 0)
		return origin;
	if (strcmp(z->label, "@") != 0)	/* drop the zone's label */
		n -= strlen(z->label) + 1;
	abs = xasprintf("%.*s.%s", (int)n, name, origin);
	free(origin);
	return abs;
}

/* scn_add - append one element to a growable array */
#define scn_add(arr, n) \
	((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

/* scn_find_host - the host named name, or NULL */
static const struct scn_host *
scn_find_host(const struct scenario *s, const char *name)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}


/*
 * scn_outcomes - "a,b" into *set; with at (one per outcome), an outcome
 * may name the host where it must be seen, "refused@mx1" (copied into
 * at[o]).  0, or -1 after the error.
 */
static int
scn_outcomes(struct scn_block *b, int line, const char *text, outcome_set *set,
    char **at)
{
	char *copy = xstrdup(text), *v, *save = NULL, *h;
	int ret = 0;

	*set = 0;
	for (v = strtok_r(copy, ",", &save); v && ret == 0;
	    v = strtok_r(NULL, ",", &save)) {
		int o;

		if ((h = strchr(v, '@')) != NULL)
			*h++ = 0;
		o = outcome_parse(v);
		if (o >= 0 && h && (at == NULL || *h == 0)) {
			scn_error(b, line, "\"%s@%s\": a host only on the accepted "
			    "outcomes, outcome@HOST", v, h);
			ret = -1;
		} else if (o < 0) {
			char *all = scn_outcome_names(", ");

			scn_error(b, line, "unknown outcome \"%s\" (%s)", v, all);
			free(all);
			ret = -1;
		} else {
			if (h) {
				free(at[o]);
				at[o] = xstrdup(h);
			}
			*set |= OUTCOME_BIT(o);
		}
	}
	free(copy);
	return ret;
}

/*
 * scn_cites - tokens from to end - 1 of l, after "cite": at least one
 * "RFCnnnn SECTION", or an Internet-Draft's name (where no RFC covers
 * the matter yet: client identities).  0, or -1 after the error.
 */
static int
scn_cites(struct scn_block *b, const struct scn_line *l, int from, int end)
{
	for (int j = from; j < end; j++)
		if ((strncmp(l->argv[j], "RFC", 3) == 0
		    && strlen(l->argv[j]) > 3
		    && strspn(l->argv[j] + 3, "0123456789")
		    == strlen(l->argv[j] + 3) && j + 1 < end)
		    || (strncmp(l->argv[j], "draft-", 6) == 0
		    && strlen(l->argv[j]) > 6))
			return 0;
	scn_error(b, l->line, "cite wants \"RFCnnnn SECTION\" (or an "
	    "Internet-Draft's name, draft-...)");
	return -1;
}

/*
 * scn_prefer - "prefer OUTCOMES cite RFC..." from token i of an expect
 * line into e->prefer: where the RFC allows several outcomes but says
 * which it prefers (SHOULD), some but not all of e's outcomes, with the
 * sentence's own citation.  0, or -1 after the error.
 */
static int
scn_prefer(struct scn_block *b, const struct scn_line *l, int i,
    struct scn_expect *e)
{
	if (i + 2 >= l->argc || strcmp(l->argv[i + 2], "cite") != 0) {
		scn_error(b, l->line, "prefer wants OUTCOMES cite RFCnnnn "
		    "SECTION (the sentence that prefers them)");
		return -1;
	}
	if (scn_outcomes(b, l->line, l->argv[i + 1], &e->prefer, NULL) != 0)
		return -1;
	if ((e->prefer & ~e->outcomes) != 0 || e->prefer == e->outcomes) {
		scn_error(b, l->line, "prefer: \"%s\" must be some, not all, "
		    "of the accepted outcomes \"%s\"", l->argv[i + 1],
		    l->argv[3]);
		return -1;
	}
	return scn_cites(b, l, i + 3, l->argc);
}

/* scn_number - is word a number from 0 to 65535?  Reports if not */
static int
scn_number(struct scn_block *b, const struct scn_line *l, int i)
{
	char *end;
	long v = strtol(l->argv[i], &end, 10);

	if (*end || v < 0 || v > 65535) {
		scn_error(b, l->line, "\"%s\" is not a number from 0 to 65535",
		    l->argv[i]);
		return -1;
	}
	return 0;
}

/* scn_kw_text - summary, refs, latitude: the rest of the line, once,
 * into the field of s at offset arg */
static void
scn_kw_text(struct scn_block *b, struct scenario *s, const struct scn_line *l,
    int arg)
{
	char **field = (char **)((char *)s + arg);

	if (*field)
		scn_error(b, l->line, "a second \"%s\"", l->argv[0]);
	free(*field);
	*field = scn_rest(l, 1);
}

/* scn_kw_scenario - "scenario ID": the first line of a block */
static void
scn_kw_scenario(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	(void)arg;
	(void)b;
	free(s->id);
	s->id = xstrdup(l->argv[1]);
}

/* scn_kw_proto - "proto PROTO..." */
static void
scn_kw_proto(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	char *all = scn_names(proto_names, PROTO_COUNT, ", ");

	(void)arg;
	for (int i = 1; i < l->argc; i++) {
		int p = names_find(proto_names, PROTO_COUNT, l->argv[i]);

		if (p < 0)
			scn_error(b, l->line, "unknown protocol \"%s\" (%s)",
			    l->argv[i], all);
		else
			s->protos |= 1u << p;
	}
	free(all);
}

/* scn_kw_zone - "zone @|LABEL STATE" */
static void
scn_kw_zone(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	struct scn_zone *z;
	int st;

	(void)arg;
	if ((st = names_find(zone_state_names, SCN_ZONE_STATE_COUNT,
	    l->argv[2])) < 0) {
		char *all = scn_names(zone_state_names, SCN_ZONE_STATE_COUNT,
		    ", ");

		scn_error(b, l->line, "unknown zone state \"%s\" (%s)",
		    l->argv[2], all);
		free(all);
		return;
	}
	if (strcmp(l->argv[1], "@") != 0
	    && !scn_label_ok(l->argv[1], SCN_MAX_ZONE_LABEL)) {
		scn_error(b, l->line, "zone label \"%s\": 1 to %d of a-z, 0-9, "
		    "-", l->argv[1], SCN_MAX_ZONE_LABEL);
		return;
	}
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(s->zones[i].label, l->argv[1]) == 0) {
			if (s->zones[i].line == 0) {	/* the default */
				s->zones[i].state = st;
				s->zones[i].line = l->line;
			} else
				scn_error(b, l->line, "zone %s declared twice",
				    l->argv[1]);
			return;
		}
	z = scn_add(s->zones, s->nzones);
	z->label = xstrdup(l->argv[1]);
	z->state = st;
	z->line = l->line;
}

/* scn_kw_host - "host NAME CHAIN [OPTION...]" */
static void
scn_kw_host(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	struct scn_host *h;

	(void)arg;
	if (!scn_name_ok(l->argv[1]) || strcmp(l->argv[1], "@") == 0
	    || l->argv[1][strlen(l->argv[1]) - 1] == '.') {
		scn_error(b, l->line, "host name \"%s\" must be a relative "
		    "name", l->argv[1]);
		return;
	}
	if (scn_find_host(s, l->argv[1])) {
		scn_error(b, l->line, "host %s declared twice", l->argv[1]);
		return;
	}
	h = scn_add(s->hosts, s->nhosts);
	h->name = xstrdup(l->argv[1]);
	h->chain = xstrdup(l->argv[2]);
	h->flags = 0;
	h->line = l->line;
	for (int i = 3; i < l->argc; i++) {
		int o = names_find(host_option_names, SCN_HOST_OPTIONS,
		    l->argv[i]);
		char *all;

		if (o >= 0) {
			h->flags |= host_option_flags[o];
			continue;
		}
		all = scn_names(host_option_names, SCN_HOST_OPTIONS, ", ");
		scn_error(b, l->line, "unknown host option \"%s\" (%s)",
		    l->argv[i], all);
		free(all);
	}
}

/* scn_kw_rr - mx, srv, cname, addr, dns: a record of kind (enum
 * scn_rr_kind), its words kept for the plan */
static void
scn_kw_rr(struct scn_block *b, struct scenario *s, const struct scn_line *l,
    int kind)
{
	struct scn_rr *rr;

	if (kind == SCN_RR_MX && scn_number(b, l, 1) != 0)
		return;
	if (kind == SCN_RR_SRV) {
		for (int i = 2; i <= 4; i++)
			if (scn_number(b, l, i) != 0)
				return;
		if (names_find(srv_service_names, SCN_SRV_SERVICES,
		    l->argv[1]) < 0) {
			char *all = scn_names(srv_service_names,
			    SCN_SRV_SERVICES, " or ");

			scn_error(b, l->line, "srv service \"%s\": %s",
			    l->argv[1], all);
			free(all);
			return;
		}
	}
	rr = scn_add(s->rrs, s->nrrs);
	rr->kind = kind;
	rr->argc = l->argc - 1;
	rr->argv = xmalloc(rr->argc * sizeof(char *));
	for (int i = 0; i < rr->argc; i++)
		rr->argv[i] = xstrdup(l->argv[i + 1]);
	rr->line = l->line;
}

/* scn_kw_client - "client CHAIN" (xmpp-in) */
static void
scn_kw_client(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	(void)arg;
	if (s->client) {
		scn_error(b, l->line, "client declared twice (first at line %d)",
		    s->client_line);
		return;
	}
	s->client = xstrdup(l->argv[1]);
	s->client_line = l->line;
}

/* scn_kw_tlsa - tlsa and (identity 1) identity lines: the owner, then
 * "U S M FROM [FAULT]" for the plan (FROM, FAULT: scn_lint's tlsa_ok) */
static void
scn_kw_tlsa(struct scn_block *b, struct scenario *s, const struct scn_line *l,
    int identity)
{
	static const char *const field[] = { "usage", "selector",
	    "matching type" };
	struct scn_tlsa *t;
	char *colon, *owner, *end;
	int port = 0;

	for (int i = 2; i <= 4; i++) {
		long v = strtol(l->argv[i], &end, 10);

		if (*l->argv[i] == 0 || *end || v < 0 || v > 255) {
			scn_error(b, l->line, "tlsa %s \"%s\" out of range "
			    "(0-255)", field[i - 2], l->argv[i]);
			return;
		}
	}
	owner = xstrdup(l->argv[1]);
	if (identity && !scn_name_ok(owner)) {
		scn_error(b, l->line, "identity: bad owner name \"%s\"", owner);
		free(owner);
		return;
	}
	if (!identity && (colon = strchr(owner, ':')) != NULL) {
		*colon = 0;
		port = (int)strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535) {
			scn_error(b, l->line, "tlsa port \"%s\" out of range",
			    colon + 1);
			free(owner);
			return;
		}
	}
	t = scn_add(s->tlsas, s->ntlsas);
	t->owner = owner;
	t->port = port;
	t->spec = scn_rest(l, 2);
	t->identity = identity;
	t->line = l->line;
}

/* scn_kw_fault - "fault KIND OWNER TYPE" */
static void
scn_kw_fault(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	const char *const *names = zone_fault_names();
	struct scn_fault *f;
	int known = 0;

	(void)arg;
	for (int i = 0; names[i]; i++)
		known |= strcmp(names[i], l->argv[1]) == 0;
	if (!known) {
		char *all = scn_fault_names(", ");

		scn_error(b, l->line, "unknown fault \"%s\" (%s)", l->argv[1],
		    all);
		free(all);
		return;
	}
	f = scn_add(s->faults, s->nfaults);
	f->kind = xstrdup(l->argv[1]);
	f->owner = xstrdup(l->argv[2]);
	f->type = xstrdup(l->argv[3]);
	for (char *p = f->type; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	f->line = l->line;
}

/* scn_expect_sets - PROTOS and POLICIES of an expect line into e */
static int
scn_expect_sets(struct scn_block *b, const struct scenario *s,
    const struct scn_line *l, struct scn_expect *e)
{
	if (scn_set_bits(l->argv[1], proto_names, PROTO_COUNT,
	    (1u << PROTO_COUNT) - 1, &e->protos) != 0) {
		scn_error(b, l->line, "unknown protocol in \"%s\"", l->argv[1]);
		return -1;
	}
	if (strcmp(l->argv[1], "all") == 0)
		e->protos = s->protos ? s->protos : (1u << PROTO_COUNT) - 1;
	if (scn_set_bits(l->argv[2], policy_names, POLICY_COUNT,
	    (1u << POLICY_COUNT) - 1, &e->policies) != 0) {
		char *all = scn_names(policy_names, POLICY_COUNT, ", ");

		scn_error(b, l->line, "unknown policy in \"%s\" (%s, any)",
		    l->argv[2], all);
		free(all);
		return -1;
	}
	return 0;
}

/*
 * scn_expect_where - "[at HOST] [not HOST,...]" from token *i of an
 * expect line into e (borrowing the words); 0, or -1 after the error
 */
static int
scn_expect_where(struct scn_block *b, const struct scn_line *l, int *i,
    struct scn_expect *e)
{
	if (*i < l->argc && strcmp(l->argv[*i], "at") == 0) {
		if (*i + 1 >= l->argc) {
			scn_error(b, l->line, "\"at\" wants a host");
			return -1;
		}
		e->host = l->argv[*i + 1];
		*i += 2;
	}
	if (*i < l->argc && strcmp(l->argv[*i], "not") == 0) {
		if (*i + 1 >= l->argc) {
			scn_error(b, l->line, "\"not\" wants hosts: not "
			    "mx1[,mx2]");
			return -1;
		}
		e->avoid = l->argv[*i + 1];
		*i += 2;
	}
	return 0;
}

/* scn_kw_expect - "expect PROTOS POLICIES OUTCOMES [at HOST] [not
 * HOST,...] cite ... [prefer OUTCOMES cite ...]" */
static void
scn_kw_expect(struct scn_block *b, struct scenario *s,
    const struct scn_line *l, int arg)
{
	struct scn_expect e = { 0 }, *ep;
	int i = 4, pref;

	(void)arg;
	if (scn_expect_sets(b, s, l, &e) != 0)
		return;
	if (scn_outcomes(b, l->line, l->argv[3], &e.outcomes, e.at) != 0
	    || scn_expect_where(b, l, &i, &e) != 0)
		goto bad;
	if (i >= l->argc || strcmp(l->argv[i], "cite") != 0) {
		scn_error(b, l->line, "an expectation must cite the RFC section "
		    "that requires it: ... cite RFC7672 2.2");
		goto bad;
	}
	for (pref = i + 1; pref < l->argc
	    && strcmp(l->argv[pref], "prefer") != 0; pref++)
		;
	if (scn_cites(b, l, i + 1, pref) != 0
	    || (pref < l->argc && scn_prefer(b, l, pref, &e) != 0))
		goto bad;
	ep = scn_add(s->expects, s->nexpects);
	*ep = e;
	ep->host = e.host ? xstrdup(e.host) : NULL;
	ep->avoid = e.avoid ? xstrdup(e.avoid) : NULL;
	ep->cite = scn_join(l, i + 1, pref);
	ep->prefer_cite = pref < l->argc ? scn_rest(l, pref + 3) : NULL;
	ep->line = l->line;
	return;
bad:
	for (int o = 0; o < OUTCOME_COUNT; o++)
		free(e.at[o]);
}

/* scn_ask_type - an RR type mnemonic ldns knows, upper-cased into a
 * copy; NULL after the error */
static char *
scn_ask_type(struct scn_block *b, const struct scn_line *l, int i)
{
	char *t = xstrdup(l->argv[i]);

	for (char *p = t; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (ldns_get_rr_type_by_name(t) == 0 || strcmp(t, "ANY") == 0) {
		scn_error(b, l->line, "\"%s\" is not a DNS record type",
		    l->argv[i]);
		free(t);
		return NULL;
	}
	return t;
}

/*
 * scn_kw_ask - "asks PROTOS TYPE NAME [before TYPE NAME] [should] cite
 * ..." and (never 1) "never-asks PROTOS TYPE NAME [should] cite ..."
 */
static void
scn_kw_ask(struct scn_block *b, struct scenario *s, const struct scn_line *l,
    int never)
{
	struct scn_ask a = { 0 }, *ap;
	int i = 4;

	a.never = never;
	if (scn_set_bits(l->argv[1], proto_names, PROTO_COUNT,
	    (1u << PROTO_COUNT) - 1, &a.protos) != 0) {
		scn_error(b, l->line, "unknown protocol in \"%s\"", l->argv[1]);
		return;
	}
	if (strcmp(l->argv[1], "all") == 0 && s->protos)
		a.protos = s->protos;
	if ((a.type = scn_ask_type(b, l, 2)) == NULL)
		return;
	a.name = l->argv[3];
	if (!never && i < l->argc && strcmp(l->argv[i], "before") == 0) {
		if (i + 2 >= l->argc || (a.before_type = scn_ask_type(b, l,
		    i + 1)) == NULL) {
			if (i + 2 >= l->argc)
				scn_error(b, l->line, "\"before\" wants TYPE "
				    "NAME");
			goto bad;
		}
		a.before_name = l->argv[i + 2];
		i += 3;
	}
	if (i < l->argc && strcmp(l->argv[i], "should") == 0) {
		a.should = 1;
		i++;
	}
	if (i >= l->argc || strcmp(l->argv[i], "cite") != 0) {
		scn_error(b, l->line, "%s: wants [%sshould] cite RFCnnnn SECTION "
		    "after the name", l->argv[0], never ? "" : "before TYPE NAME] [");
		goto bad;
	}
	if (scn_cites(b, l, i + 1, l->argc) != 0)
		goto bad;
	ap = scn_add(s->asks, s->nasks);
	*ap = a;
	ap->name = xstrdup(a.name);
	ap->before_name = a.before_name ? xstrdup(a.before_name) : NULL;
	ap->cite = scn_rest(l, i + 1);
	ap->line = l->line;
	return;
bad:
	free(a.type);
	free(a.before_type);
}

/*
 * The keywords of the language.  args is the usage after the keyword;
 * {protos}, {states}, {options} and {services} in it stand for the
 * names of the tables above (scn_usage_args).  A line's words after the
 * keyword must number min to max (max -1: no limit); apply then takes
 * the line (NULL: "axis", read by scn_block_run before expansion).
 */
struct scn_keyword {
	const char *name;
	int min, max;
	const char *args;
	void (*apply)(struct scn_block *, struct scenario *,
	    const struct scn_line *, int);
	int arg;		/* passed to apply */
};

static const struct scn_keyword scn_keywords[] = {
	{ "scenario", 1, 1, "ID", scn_kw_scenario, 0 },
	{ "summary", 1, -1, "TEXT", scn_kw_text,
	    offsetof(struct scenario, summary) },
	{ "refs", 1, -1, "TEXT", scn_kw_text, offsetof(struct scenario, refs) },
	{ "latitude", 1, -1, "TEXT", scn_kw_text,
	    offsetof(struct scenario, latitude) },
	{ "proto", 1, PROTO_COUNT, "{protos} ...", scn_kw_proto, 0 },
	{ "axis", 2, -1, "NAME VALUE...", NULL, 0 },
	{ "zone", 2, 2, "@|LABEL {states}", scn_kw_zone, 0 },
	{ "host", 2, 2 + SCN_HOST_OPTIONS, "NAME CHAIN {options}",
	    scn_kw_host, 0 },
	{ "mx", 2, 2, "PREFERENCE HOST", scn_kw_rr, SCN_RR_MX },
	{ "srv", 5, 5, "{services} PRIORITY WEIGHT PORT TARGET", scn_kw_rr,
	    SCN_RR_SRV },
	{ "cname", 2, 2, "OWNER TARGET", scn_kw_rr, SCN_RR_CNAME },
	{ "addr", 2, 2, "OWNER HOST", scn_kw_rr, SCN_RR_ADDR },
	{ "dns", 3, -1, "OWNER TYPE RDATA...", scn_kw_rr, SCN_RR_RAW },
	{ "tlsa", 5, 6, "HOST[:PORT] USAGE SELECTOR MTYPE FROM [FAULT]",
	    scn_kw_tlsa, 0 },
	{ "client", 1, 1, "CHAIN", scn_kw_client, 0 },
	{ "identity", 5, 6, "OWNER USAGE SELECTOR MTYPE FROM [FAULT]",
	    scn_kw_tlsa, 1 },
	{ "fault", 3, 3, "KIND OWNER TYPE", scn_kw_fault, 0 },
	{ "expect", 5, -1, "PROTOS POLICIES OUTCOMES [at HOST] [not HOST,...] "
	    "cite RFCnnnn SECTION ... [prefer OUTCOMES cite RFCnnnn "
	    "SECTION ...]", scn_kw_expect, 0 },
	{ "asks", 5, -1, "PROTOS TYPE NAME [before TYPE NAME] [should] cite "
	    "RFCnnnn SECTION ...", scn_kw_ask, 0 },
	{ "never-asks", 5, -1, "PROTOS TYPE NAME [should] cite RFCnnnn "
	    "SECTION ...", scn_kw_ask, 1 },
};
#define SCN_NKEYWORDS	((int)(sizeof(scn_keywords) / sizeof(scn_keywords[0])))

/* Placeholders of the usage texts, and the names they stand for. */
static const struct {
	const char *key;
	const char *const *names;
	int n;
	const char *pre, *sep, *post;
} scn_placeholders[] = {
	{ "{protos}", proto_names, PROTO_COUNT, "", "|", "" },
	{ "{states}", zone_state_names, SCN_ZONE_STATE_COUNT, "", "|", "" },
	{ "{options}", host_option_names, SCN_HOST_OPTIONS, "[", "] [", "]" },
	{ "{services}", srv_service_names, SCN_SRV_SERVICES, "", "|", "" },
};

/* scn_usage_args - a keyword's usage with its placeholders filled in;
 * caller frees */
static char *
scn_usage_args(const struct scn_keyword *k)
{
	struct buf out = { 0 };
	const char *p = k->args;

	buf_printf(&out, "%s ", k->name);
	while (*p) {
		size_t i, n = sizeof(scn_placeholders) /
		    sizeof(scn_placeholders[0]);
		char *names;

		for (i = 0; i < n; i++)
			if (strncmp(p, scn_placeholders[i].key,
			    strlen(scn_placeholders[i].key)) == 0)
				break;
		if (i == n) {
			buf_append(&out, p++, 1);
			continue;
		}
		names = scn_names(scn_placeholders[i].names,
		    scn_placeholders[i].n, scn_placeholders[i].sep);
		buf_printf(&out, "%s%s%s", scn_placeholders[i].pre, names,
		    scn_placeholders[i].post);
		free(names);
		p += strlen(scn_placeholders[i].key);
	}
	return out.data;
}

/* scn_keyword_find - the keyword named name, or NULL */
static const struct scn_keyword *
scn_keyword_find(const char *name)
{
	for (int i = 0; i < SCN_NKEYWORDS; i++)
		if (strcmp(scn_keywords[i].name, name) == 0)
			return &scn_keywords[i];
	return NULL;
}

/* scn_argc - check a line's word count against its keyword, reporting
 * the usage when wrong; 0 or -1 */
static int
scn_argc(struct scn_block *b, const struct scn_line *l,
    const struct scn_keyword *k)
{
	char *usage;

	if (l->argc - 1 >= k->min && (k->max < 0 || l->argc - 1 <= k->max))
		return 0;
	usage = scn_usage_args(k);
	scn_error(b, l->line, "usage: %s", usage);
	free(usage);
	return -1;
}

/* scn_keyword - apply one (expanded, filtered) line to s */
static void
scn_keyword(struct scn_block *b, struct scenario *s, const struct scn_line *l)
{
	const struct scn_keyword *k = scn_keyword_find(l->argv[0]);

	if (k == NULL)
		scn_error(b, l->line, "unknown keyword \"%s\"", l->argv[0]);
	else if (scn_argc(b, l, k) == 0 && k->apply != NULL)
		k->apply(b, s, l, k->arg);
}

/* scn_usage_names - one line "LABEL  names tail" of scn_usage; frees
 * names */
static void
scn_usage_names(struct buf *out, const char *label, char *names,
    const char *tail)
{
	buf_printf(out, "%-9s %s%s\n", label, names, tail);
	free(names);
}

char *
scn_usage(void)
{
	struct buf out = { 0 };

	buf_printf(&out, "Scenario files (scenarios/README.md): blocks of "
	    "lines \"KEYWORD ARGUMENTS\",\neach may end in \"when "
	    "AXIS=VALUE[,VALUE..]\"; \"#\" starts a comment.\n\n"
	    "Keywords:\n");
	for (int i = 0; i < SCN_NKEYWORDS; i++) {
		char *args = scn_usage_args(&scn_keywords[i]);

		buf_printf(&out, "  %s\n", args);
		free(args);
	}
	buf_append(&out, "\n", 1);
	scn_usage_names(&out, "PROTOS", scn_names(proto_names,
	    PROTO_COUNT, " "), " (comma list, or all)");
	scn_usage_names(&out, "POLICIES", scn_names(policy_names,
	    POLICY_COUNT, " "), " (comma list, or any)");
	scn_usage_names(&out, "OUTCOMES", scn_outcome_names(" "),
	    " (comma list; OUTCOME@HOST)");
	scn_usage_names(&out, "zone", scn_names(zone_state_names,
	    SCN_ZONE_STATE_COUNT, " "), "");
	scn_usage_names(&out, "host", scn_names(host_option_names,
	    SCN_HOST_OPTIONS, " "), "");
	scn_usage_names(&out, "fault", scn_fault_names(" "), "");
	return out.data;
}

/* scn_owner_types - does the scenario publish (owner, type)? */
static int
scn_publishes(const struct scenario *s, const char *owner, const char *type)
{
	char buf[300];

	/* Every zone apex has SOA, NS, DNSKEY, NSEC, and a DS when signed. */
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(owner, s->zones[i].label) == 0
		    && (strcmp(type, "SOA") == 0 || strcmp(type, "NS") == 0
		    || strcmp(type, "DNSKEY") == 0 || strcmp(type, "DS") == 0
		    || strcmp(type, "NSEC") == 0))
			return s->zones[i].state != SCN_ZONE_INSECURE
			    || strcmp(type, "SOA") == 0 || strcmp(type, "NS") == 0;
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i].name, owner) == 0
		    && (strcmp(type, "A") == 0 || strcmp(type, "NSEC") == 0))
			return 1;
	for (size_t i = 0; i < s->nrrs; i++) {
		const struct scn_rr *rr = &s->rrs[i];
		const char *o = NULL, *t = NULL;

		switch (rr->kind) {
		case SCN_RR_MX:
			o = "@";
			t = "MX";
			break;
		case SCN_RR_SRV:
			snprintf(buf, sizeof(buf), "_%s._tcp", rr->argv[0]);
			o = buf;
			t = "SRV";
			break;
		case SCN_RR_CNAME:
			o = rr->argv[0];
			t = "CNAME";
			break;
		case SCN_RR_ADDR:
			o = rr->argv[0];
			t = "A";
			break;
		case SCN_RR_RAW:
			o = rr->argv[0];
			t = rr->argv[1];
			break;
		}
		if (strcmp(o, owner) == 0 && (strcasecmp(t, type) == 0
		    || strcmp(type, "NSEC") == 0))
			return 1;
	}
	for (size_t i = 0; i < s->ntlsas; i++) {
		const struct scn_tlsa *t = &s->tlsas[i];
		const char *rest;

		if (t->identity ? strcmp(owner, t->owner) != 0
		    : strncmp(owner, "_", 1) != 0
		    || (rest = strstr(owner, "._tcp.")) == NULL
		    || strcmp(rest + 6, t->owner) != 0)
			continue;
		if (strcmp(type, "TLSA") == 0 || strcmp(type, "NSEC") == 0)
			return 1;
	}
	return 0;
}

/* scn_check_avoid - every host of "not mx1,mx2" is one of s's hosts */
static void
scn_check_avoid(struct scn_block *b, const struct scenario *s,
    const struct scn_expect *e)
{
	char *copy = xstrdup(e->avoid), *h, *save = NULL;

	for (h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save))
		if (!scn_find_host(s, h))
			scn_error(b, e->line, "expect ... not %s: no such host",
			    h);
		else if (e->host && strcmp(e->host, h) == 0)
			scn_error(b, e->line, "expect ... at %s not %s: the same "
			    "host", e->host, h);
	free(copy);
}

/* scn_chain_check - a chain name against the profile (checks' chain_ok) */
static void
scn_chain_check(struct scn_block *b, const struct scn_checks *c, int line,
    const char *what, const char *chain)
{
	const char *why;

	if (c && c->chain_ok && (why = c->chain_ok(c->arg, chain)) != NULL)
		scn_error(b, line, "%s: chain \"%s\": %s", what, chain, why);
}

/* scn_lint_head - id, summary, refs, proto line, the xmpp-in client */
static void
scn_lint_head(struct scn_block *b, const struct scenario *s,
    const struct scn_checks *c)
{
	if (!scn_label_ok(s->id, SCN_MAX_ID))
		scn_error(b, s->line, "scenario id \"%s\": 1 to %d of a-z, "
		    "0-9, - (it becomes a DNS label)", s->id, SCN_MAX_ID);
	if (s->summary == NULL)
		scn_error(b, s->line, "scenario %s has no summary", s->id);
	if (s->refs == NULL)
		scn_error(b, s->line, "scenario %s has no refs", s->id);
	if (s->protos == 0)
		scn_error(b, s->line, "scenario %s has no proto line", s->id);
	if ((s->protos & (1u << PROTO_XMPP_IN)) && s->client == NULL)
		scn_error(b, s->line, "scenario %s: proto xmpp-in needs the "
		    "chain the lab presents (client CHAIN)", s->id);
	if (s->client && !(s->protos & (1u << PROTO_XMPP_IN)))
		scn_error(b, s->client_line, "client: only for proto xmpp-in "
		    "(the lab connects to the target)");
	if (s->client)
		scn_chain_check(b, c, s->client_line, "client", s->client);
	for (size_t i = 0; i < s->nhosts; i++) {
		char *what = xasprintf("host %s", s->hosts[i].name);

		scn_chain_check(b, c, s->hosts[i].line, what,
		    s->hosts[i].chain);
		free(what);
	}
}

/* scn_lint_rrs - owner and target names of the records */
static void
scn_lint_rrs(struct scn_block *b, const struct scenario *s)
{
	for (size_t i = 0; i < s->nrrs; i++) {
		const struct scn_rr *rr = &s->rrs[i];
		int owner = rr->kind == SCN_RR_CNAME || rr->kind == SCN_RR_ADDR
		    || rr->kind == SCN_RR_RAW;

		if (owner && !scn_name_ok(rr->argv[0]))
			scn_error(b, rr->line, "bad owner name \"%s\"",
			    rr->argv[0]);
		if (rr->kind == SCN_RR_ADDR && !scn_find_host(s, rr->argv[1]))
			scn_error(b, rr->line, "addr: no host %s in this "
			    "scenario", rr->argv[1]);
		if ((rr->kind == SCN_RR_MX && !scn_name_ok(rr->argv[1]))
		    || (rr->kind == SCN_RR_CNAME && !scn_name_ok(rr->argv[1]))
		    || (rr->kind == SCN_RR_SRV && !scn_name_ok(rr->argv[4])))
			scn_error(b, rr->line, "bad target name");
	}
}

/* scn_lint_tlsas - each tlsa line has its host, each identity line the
 * client chain, and the data can be computed from that chain */
static void
scn_lint_tlsas(struct scn_block *b, const struct scenario *s,
    const struct scn_checks *c)
{
	for (size_t i = 0; i < s->ntlsas; i++) {
		const struct scn_tlsa *t = &s->tlsas[i];
		const struct scn_host *h = NULL;
		char *why;

		if (t->identity && s->client == NULL)
			scn_error(b, t->line, "identity: the scenario has no "
			    "client chain (client CHAIN)");
		else if (!t->identity && (h = scn_find_host(s, t->owner)) == NULL)
			scn_error(b, t->line, "tlsa: no host %s in this scenario "
			    "(the records are computed from the chain it "
			    "serves)", t->owner);
		else if (c && c->tlsa_ok && (why = c->tlsa_ok(c->arg,
		    t->identity ? s->client : h->chain, t->spec)) != NULL) {
			scn_error(b, t->line, "tlsa %s: %s", t->spec, why);
			free(why);
		}
	}
}

/* scn_lint_faults - each fault is on an RRset the scenario signs */
static void
scn_lint_faults(struct scn_block *b, const struct scenario *s)
{
	for (size_t i = 0; i < s->nfaults; i++) {
		const struct scn_fault *f = &s->faults[i];
		const struct scn_zone *z = scn_zone_of(s, f->owner);

		if (!scn_name_ok(f->owner)) {
			scn_error(b, f->line, "bad owner name \"%s\"", f->owner);
			continue;
		}
		if (z && z->state == SCN_ZONE_INSECURE) {
			scn_error(b, f->line, "fault %s at %s: zone %s is "
			    "unsigned, there is no signature to break",
			    f->kind, f->owner, z->label);
			continue;
		}
		if (strcmp(f->kind, "broken-nsec") == 0)
			continue;	/* denial: the owner may not exist */
		if (!scn_publishes(s, f->owner, f->type))
			scn_error(b, f->line, "fault %s: the scenario publishes "
			    "no %s record at %s", f->kind, f->type, f->owner);
	}
}

/* scn_lint_expects - the hosts each expectation names exist */
static void
scn_lint_expects(struct scn_block *b, const struct scenario *s)
{
	for (size_t i = 0; i < s->nexpects; i++) {
		const struct scn_expect *e = &s->expects[i];

		if (e->protos & ~s->protos)
			scn_error(b, e->line, "expectation for a protocol the "
			    "scenario's proto line does not list");
		if (e->host && !scn_find_host(s, e->host))
			scn_error(b, e->line, "expect ... at %s: no such host",
			    e->host);
		if (e->avoid)
			scn_check_avoid(b, s, e);
		for (int o = 0; o < OUTCOME_COUNT; o++)
			if (e->at[o] && !scn_find_host(s, e->at[o]))
				scn_error(b, e->line, "expect ... %s@%s: no such "
				    "host", outcome_name(o), e->at[o]);
	}
}

/* scn_lint_ask_name - a query expectation's name is one the scenario's
 * zones hold (an absolute name is anyone's: its queries cannot be told
 * apart from another scenario's) */
static void
scn_lint_ask_name(struct scn_block *b, const struct scn_ask *a,
    const char *name)
{
	size_t n = strlen(name);

	if (!scn_name_ok(name))
		scn_error(b, a->line, "\"%s\" is not a scenario-relative name",
		    name);
	else if (n && name[n - 1] == '.')
		scn_error(b, a->line, "%s %s: an absolute name is outside the "
		    "scenario's zones, where its queries cannot be told from "
		    "another scenario's", a->never ? "never-asks" : "asks",
		    name);
}

/* scn_lint_asks - query expectations: their protocols and names */
static void
scn_lint_asks(struct scn_block *b, const struct scenario *s)
{
	for (size_t i = 0; i < s->nasks; i++) {
		const struct scn_ask *a = &s->asks[i];

		if (a->protos & ~s->protos)
			scn_error(b, a->line, "query expectation for a protocol "
			    "the scenario's proto line does not list");
		scn_lint_ask_name(b, a, a->name);
		if (a->before_name)
			scn_lint_ask_name(b, a, a->before_name);
	}
}

/* scn_lint_cover - exactly one expectation per protocol and policy */
static void
scn_lint_cover(struct scn_block *b, const struct scenario *s)
{
	for (int p = 0; p < PROTO_COUNT; p++) {
		if (!(s->protos & (1u << p)))
			continue;
		for (int q = 0; q < POLICY_COUNT; q++) {
			const struct scn_expect *first = NULL;

			for (size_t i = 0; i < s->nexpects; i++) {
				const struct scn_expect *e = &s->expects[i];

				if (!(e->protos & (1u << p))
				    || !(e->policies & (1u << q)))
					continue;
				if (first)
					scn_error(b, e->line, "a second "
					    "expectation for %s %s (the first "
					    "is at line %d)", proto_names[p],
					    policy_names[q], first->line);
				else
					first = e;
			}
			if (first == NULL)
				scn_error(b, s->line, "scenario %s: missing "
				    "expectation for %s %s", s->id,
				    proto_names[p], policy_names[q]);
		}
	}
}

/* scn_lint - checks on one expanded scenario */
static void
scn_lint(struct scn_block *b, const struct scenario *s,
    const struct scn_checks *c)
{
	scn_lint_head(b, s, c);
	scn_lint_rrs(b, s);
	scn_lint_tlsas(b, s, c);
	scn_lint_faults(b, s);
	scn_lint_expects(b, s);
	scn_lint_asks(b, s);
	scn_lint_cover(b, s);
}

void
scn_scenario_free(struct scenario *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nzones; i++)
		free(s->zones[i].label);
	for (size_t i = 0; i < s->nhosts; i++) {
		free(s->hosts[i].name);
		free(s->hosts[i].chain);
	}
	for (size_t i = 0; i < s->nrrs; i++) {
		for (int j = 0; j < s->rrs[i].argc; j++)
			free(s->rrs[i].argv[j]);
		free(s->rrs[i].argv);
	}
	for (size_t i = 0; i < s->ntlsas; i++) {
		free(s->tlsas[i].owner);
		free(s->tlsas[i].spec);
	}
	for (size_t i = 0; i < s->nfaults; i++) {
		free(s->faults[i].kind);
		free(s->faults[i].owner);
		free(s->faults[i].type);
	}
	for (size_t i = 0; i < s->nexpects; i++) {
		free(s->expects[i].host);
		free(s->expects[i].cite);
		free(s->expects[i].prefer_cite);
		free(s->expects[i].avoid);
		for (int o = 0; o < OUTCOME_COUNT; o++)
			free(s->expects[i].at[o]);
	}
	free(s->zones);
	free(s->hosts);
	free(s->rrs);
	free(s->tlsas);
	free(s->faults);
	free(s->expects);
	for (size_t i = 0; i < s->nasks; i++) {
		free(s->asks[i].type);
		free(s->asks[i].name);
		free(s->asks[i].before_type);
		free(s->asks[i].before_name);
		free(s->asks[i].cite);
	}
	free(s->asks);
	free(s->id);
	free(s->file);
	free(s->summary);
	free(s->refs);
	free(s->latitude);
	free(s->area);
	free(s->axes);
	free(s->client);
	free(s);
}


/* scn_expand_line - apply raw line i of b to s for this combination */
static void
scn_expand_line(struct scn_block *b, struct scenario *s,
    const struct scn_line *raw, const int *choice)
{
	struct scn_line l;
	int argc = raw->argc, holds = 1, bad = 0, w;

	if (strcmp(raw->argv[0], "axis") == 0)
		return;		/* read by scn_block_run */
	if ((w = scn_when_at(raw)) > 0) {
		holds = scn_when(b, raw, w, choice);
		argc = w;
	}
	if (holds <= 0)
		return;
	l.line = raw->line;
	l.argc = argc;
	l.argv = xcalloc(argc, sizeof(char *));
	for (int j = 0; j < argc; j++)
		if ((l.argv[j] = scn_subst(b, raw->line, raw->argv[j],
		    choice)) == NULL)
			bad = 1;
	if (!bad)
		scn_keyword(b, s, &l);
	for (int j = 0; j < argc; j++)
		free(l.argv[j]);
	free(l.argv);
}

/* scn_check_id - is s's id new in its file?  Remembers it if so */
static void
scn_check_id(struct scn_block *b, const struct scenario *s)
{
	struct scn_ids *ids = b->ids;
	size_t k;

	if (ids == NULL || strcmp(s->id, "-") == 0)
		return;
	for (k = 0; k < ids->n && strcmp(ids->id[k], s->id) != 0; k++)
		;
	if (k < ids->n)
		scn_error(b, s->line, "duplicate scenario id \"%s\" (also at "
		    "line %d)", s->id, ids->line[k]);
	else if (ids->n < SCN_MAX_EXPANSION * 4) {
		ids->id = xrealloc(ids->id, (ids->n + 1) * sizeof(char *));
		ids->line = xrealloc(ids->line, (ids->n + 1) * sizeof(int));
		ids->id[ids->n] = xstrdup(s->id);
		ids->line[ids->n++] = s->line;
	}
}

/* scn_expand - one scenario for one combination of axis values, or NULL
 * if it has errors */
static struct scenario *
scn_expand(struct scn_block *b, const char *area, const int *choice,
    const struct scn_checks *checks)
{
	struct scenario *s = xcalloc(1, sizeof(*s));
	int errors = b->errors;

	s->file = xstrdup(b->file);
	s->line = b->lines[0].line;
	s->area = xstrdup(area);
	s->zones = xcalloc(1, sizeof(*s->zones));
	s->zones[0].label = xstrdup("@");
	s->zones[0].state = SCN_ZONE_SECURE;
	s->nzones = 1;
	if (b->naxes) {
		struct buf ax = { 0 };

		for (int a = 0; a < b->naxes; a++)
			buf_printf(&ax, "%s%s=%s", a ? " " : "",
			    b->axes[a].name, b->axes[a].values[choice[a]]);
		s->axes = ax.data;
	}
	for (size_t i = 0; i < b->nlines; i++)
		scn_expand_line(b, s, &b->lines[i], choice);
	if (s->id == NULL)
		s->id = xstrdup("-");
	scn_lint(b, s, checks);
	scn_check_id(b, s);
	if (b->errors != errors) {
		scn_scenario_free(s);
		return NULL;
	}
	return s;
}

/* scn_axis_add - one "axis NAME VALUE..." line of b; 0, or -1 after the
 * error */
static int
scn_axis_add(struct scn_block *b, const struct scn_line *l)
{
	struct scn_axis *a;

	if (scn_argc(b, l, scn_keyword_find("axis")) != 0)
		return -1;
	if (b->naxes == SCN_MAX_AXES || l->argc - 2 > SCN_MAX_VALUES) {
		scn_error(b, l->line, "at most %d axes of %d values",
		    SCN_MAX_AXES, SCN_MAX_VALUES);
		return -1;
	}
	if (!scn_label_ok(l->argv[1], 32)) {
		scn_error(b, l->line, "axis name \"%s\": a-z, 0-9, -",
		    l->argv[1]);
		return -1;
	}
	for (int j = 0; j < b->naxes; j++)
		if (strcmp(b->axes[j].name, l->argv[1]) == 0)
			scn_error(b, l->line, "axis %s declared twice",
			    l->argv[1]);
	for (int j = 2; j < l->argc; j++)
		if (strpbrk(l->argv[j], "{}=,") != NULL)
			scn_error(b, l->line, "axis value \"%s\" may not "
			    "contain { } = ,", l->argv[j]);
	a = &b->axes[b->naxes++];
	a->name = l->argv[1];
	a->nvalues = l->argc - 2;
	a->values = l->argv + 2;
	a->line = l->line;
	return 0;
}

/* scn_block_run - read a block's axes and expand it into cat */
static void
scn_block_run(struct scn_block *b, struct scn_catalogue *cat,
    const char *area, const struct scn_checks *checks)
{
	int choice[SCN_MAX_AXES] = { 0 };
	long combos = 1;

	for (size_t i = 1; i < b->nlines; i++) {
		const struct scn_line *l = &b->lines[i];

		if (strcmp(l->argv[0], "axis") != 0 || scn_axis_add(b, l) != 0)
			continue;
		combos *= b->axes[b->naxes - 1].nvalues;
		if (combos > SCN_MAX_EXPANSION) {
			scn_error(b, l->line, "the matrix expands to more than "
			    "%d scenarios", SCN_MAX_EXPANSION);
			return;
		}
	}
	if (b->errors)
		return;
	for (long c = 0; c < combos; c++) {
		struct scenario *s;
		long rest = c;

		for (int a = b->naxes - 1; a >= 0; a--) {
			choice[a] = (int)(rest % b->axes[a].nvalues);
			rest /= b->axes[a].nvalues;
		}
		if ((s = scn_expand(b, area, choice, checks)) != NULL) {
			cat->list = xrealloc(cat->list,
			    (cat->n + 1) * sizeof(*cat->list));
			cat->list[cat->n++] = s;
		}
	}
}

/* scn_parse_area - parse text as the file name, scenarios tagged area;
 * prints the file's errors in line order and returns their number */
static int
scn_parse_area(struct scn_catalogue *cat, const char *name, const char *area,
    const char *text, size_t len, const struct scn_checks *checks)
{
	struct scn_errors errs = { name, NULL, 0, 0 };
	struct scn_line *lines = NULL;
	struct scn_ids ids = { 0 };
	size_t n, i = 0;

	n = scn_lex(text, len, &lines, &errs);
	for (; i < n && strcmp(lines[i].argv[0], "scenario") != 0; i++)
		scn_note(&errs, lines[i].line, "\"%s\" outside a scenario block "
		    "(a block starts with \"scenario ID\")", lines[i].argv[0]);
	while (i < n) {
		struct scn_block b;
		size_t j = i + 1;

		memset(&b, 0, sizeof(b));
		while (j < n && strcmp(lines[j].argv[0], "scenario") != 0)
			j++;
		b.file = name;
		b.lines = lines + i;
		b.nlines = j - i;
		b.ids = &ids;
		b.out = &errs;
		scn_block_run(&b, cat, area, checks);
		i = j;
	}
	for (i = 0; i < n; i++)
		scn_line_free(&lines[i]);
	free(lines);
	for (i = 0; i < ids.n; i++)
		free(ids.id[i]);
	free(ids.id);
	free(ids.line);
	return scn_errors_flush(&errs);
}

/* scn_checks_of - the checks of the older hooks (chain names only) */
static struct scn_checks
scn_checks_of(const struct scn_hooks *hooks)
{
	struct scn_checks c = { NULL, NULL, NULL };

	if (hooks) {
		c.chain_ok = hooks->chain_ok;
		c.arg = hooks->arg;
	}
	return c;
}

int
scn_parse_text(struct scn_catalogue *cat, const char *name, const char *text,
    size_t len, const struct scn_hooks *hooks)
{
	struct scn_checks c = scn_checks_of(hooks);

	return scn_parse_area(cat, name, "", text, len, &c);
}

/* scn_cmp - for qsort of file names */
static int
scn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scn_load_path(struct scn_catalogue *, const char *, const char *,
    const struct scn_checks *, int);

/* scn_load_dir - every *.scn below directory path, in sorted order */
static int
scn_load_dir(struct scn_catalogue *cat, const char *path, const char *area,
    const struct scn_checks *checks, int depth)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int errors = 0;
	DIR *d;

	if (depth > 8 || (d = opendir(path)) == NULL) {
		msg_input(path, 0, "%s", depth > 8
		    ? "directories nested too deep" : strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), scn_cmp);
	for (size_t i = 0; i < n; i++) {
		char *sub = xasprintf("%s/%s", path, names[i]);
		size_t len = strlen(names[i]);
		struct stat sst;

		if (stat(sub, &sst) == 0 && S_ISDIR(sst.st_mode)) {
			char *subarea = *area ? xasprintf("%s/%s", area,
			    names[i]) : xstrdup(names[i]);

			errors += scn_load_path(cat, sub, subarea, checks,
			    depth + 1);
			free(subarea);
		} else if (len > 4 && strcmp(names[i] + len - 4, ".scn") == 0)
			errors += scn_load_path(cat, sub, area, checks,
			    depth + 1);
		free(sub);
		free(names[i]);
	}
	free(names);
	return errors;
}

/* scn_load_path - one file, or every *.scn below a directory */
static int
scn_load_path(struct scn_catalogue *cat, const char *path, const char *area,
    const struct scn_checks *checks, int depth)
{
	struct stat st;
	const char *base;
	char *text, *own;
	size_t len, bl;
	int errors;

	if (stat(path, &st) != 0) {
		msg_input(path, 0, "%s", strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		return scn_load_dir(cat, path, area, checks, depth);
	if ((text = file_read(path, &len)) == NULL) {
		msg_input(path, 0, "%s", strerror(errno));
		return 1;
	}
	/* A file given by itself: its name is its area. */
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bl = strlen(base);
	own = *area ? xstrdup(area) : xstrndup(base,
	    bl > 4 && strcmp(base + bl - 4, ".scn") == 0 ? bl - 4 : bl);
	errors = scn_parse_area(cat, path, own, text, len, checks);
	free(own);
	free(text);
	return errors;
}

int
scn_catalogue_lint(struct scn_catalogue *cat, const char *path,
    const struct scn_checks *checks)
{
	return scn_load_path(cat, path, "", checks, 0);
}

/* scn_cmp_id - for qsort of scenarios by id, then file order */
static int
scn_cmp_id(const void *a, const void *b)
{
	const struct scenario *x = *(struct scenario *const *)a;
	const struct scenario *y = *(struct scenario *const *)b;
	int c = strcmp(x->id, y->id);

	if (c == 0)
		c = strcmp(x->file, y->file);
	return c ? c : x->line - y->line;
}

int
scn_catalogue_check(const struct scn_catalogue *cat)
{
	struct scenario **sorted;
	int errors = 0;

	if (cat->n == 0)
		return 0;
	sorted = xmalloc(cat->n * sizeof(*sorted));
	memcpy(sorted, cat->list, cat->n * sizeof(*sorted));
	qsort(sorted, cat->n, sizeof(*sorted), scn_cmp_id);
	for (size_t i = 1; i < cat->n; i++)
		if (strcmp(sorted[i]->id, sorted[i - 1]->id) == 0
		    && strcmp(sorted[i]->file, sorted[i - 1]->file) != 0) {
			/* Within one file the parser has said so already. */
			msg_input(sorted[i]->file, sorted[i]->line, "duplicate "
			    "scenario id \"%s\" (also at %s:%d)", sorted[i]->id,
			    sorted[i - 1]->file, sorted[i - 1]->line);
			errors++;
		}
	free(sorted);
	return errors;
}

void
scn_catalogue_free(struct scn_catalogue *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		scn_scenario_free(cat->list[i]);
	free(cat->list);
	cat->list = NULL;
	cat->n = 0;
}

const char *
scn_expect_host(const struct scn_expect *e, enum outcome o)
{
	return e->at[o] ? e->at[o] : e->host;
}

const struct scn_expect *
scn_expect_for(const struct scenario *s, enum proto proto,
    enum policy policy)
{
	for (size_t i = 0; i < s->nexpects; i++)
		if ((s->expects[i].protos & (1u << proto))
		    && (s->expects[i].policies & (1u << policy)))
			return &s->expects[i];
	return NULL;
}
