/*
 * scenario.c - the scenario language: parse, expand matrices, lint.
 *
 * Reading goes in three steps: the text is cut into lines of tokens
 * (scn_lex), lines are grouped into blocks with their axes, and each
 * block is expanded once per combination of axis values into a struct
 * scenario (scn_expand), which is then linted (scn_lint).  A message
 * that every combination would repeat is reported once.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
#define SCN_MAX_REPORTED	256	/* distinct messages per block */

static FILE *scn_errfp;

/* scn_err - where error messages go (stderr unless scn_set_errors) */
static FILE *
scn_err(void)
{
	return scn_errfp ? scn_errfp : stderr;
}

void
scn_set_errors(FILE *fp)
{
	scn_errfp = fp;
}

static const char *const proto_names[SCN_PROTO_COUNT] = {
	"smtp", "smtps", "xmpp", "xmpps", "xmpp-in"
};
static const int proto_ports[SCN_PROTO_COUNT] = { 25, 465, 5269, 5270, 5269 };
static const char *const policy_names[SCN_POLICY_COUNT] = {
	"opportunistic", "mandatory"
};
static const char *const zone_state_names[SCN_ZONE_STATE_COUNT] = {
	"secure", "insecure", "ds-mismatch", "unsupported-alg", "lame"
};

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

/* A block: its lines, its axes, and the messages already reported. */
struct scn_block {
	const char *file;
	struct scn_line *lines;
	size_t nlines;
	struct scn_axis axes[SCN_MAX_AXES];
	int naxes;
	char *reported[SCN_MAX_REPORTED];
	int nreported;
	int errors;
	struct scn_ids *ids;		/* every id of the file so far */
};

const char *
scn_proto_name(enum scn_proto p)
{
	return proto_names[p];
}

int
scn_proto_port(enum scn_proto p)
{
	return proto_ports[p];
}

const char *
scn_policy_name(enum scn_policy p)
{
	return policy_names[p];
}

const char *
scn_zone_state_name(enum scn_zone_state s)
{
	return zone_state_names[s];
}

/* scn_lookup - index of s in names[n], or -1 */
static int
scn_lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* scn_error - report "file:line: message" once per block */
static void __attribute__((format(printf, 3, 4)))
scn_error(struct scn_block *b, int line, const char *fmt, ...)
{
	char msg[1024], *full;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	full = xasprintf("%s:%d: %s", b->file, line, msg);
	b->errors++;
	for (int i = 0; i < b->nreported; i++)
		if (strcmp(b->reported[i], full) == 0) {
			free(full);
			return;
		}
	fprintf(scn_err(), "%s\n", full);
	if (b->nreported < SCN_MAX_REPORTED)
		b->reported[b->nreported++] = full;
	else
		free(full);
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
 * (NUL bytes, overlong lines, too many tokens) are reported.
 */
static size_t
scn_lex(const char *file, const char *text, size_t len,
    struct scn_line **out, int *errors)
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
			fprintf(scn_err(), "%s:%d: line longer than %d bytes\n",
			    file, lineno, SCN_MAX_LINE);
			(*errors)++;
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
			fprintf(scn_err(), "%s:%d: %s\n", file, lineno, ntok ==
			    SCN_MAX_TOKENS ? "too many words on one line"
			    : "NUL byte in the text");
			(*errors)++;
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
			if (scn_lookup((const char *const *)b->axes[a].values,
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
		int i = scn_lookup(names, n, v);

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

/* scn_argc - check a keyword's argument count, reporting when wrong */
static int
scn_argc(struct scn_block *b, const struct scn_line *l, int min, int max,
    const char *usage)
{
	if (l->argc - 1 < min || (max >= 0 && l->argc - 1 > max)) {
		scn_error(b, l->line, "usage: %s", usage);
		return -1;
	}
	return 0;
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

	*set = 0;
	for (v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		int o;

		if ((h = strchr(v, '@')) != NULL)
			*h++ = 0;
		o = outcome_parse(v);
		if (o >= 0 && h && (at == NULL || *h == 0)) {
			scn_error(b, line, "\"%s@%s\": a host only on the accepted "
			    "outcomes, outcome@HOST", v, h);
			free(copy);
			return -1;
		}
		if (o >= 0 && h) {
			free(at[o]);
			at[o] = xstrdup(h);
		}

		if (o < 0) {
			scn_error(b, line, "unknown outcome \"%s\" (authenticated, "
			    "encrypted, cleartext, refused, no-connect)", v);
			free(copy);
			return -1;
		}
		*set |= OUTCOME_BIT(o);
	}
	free(copy);
	return 0;
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

/* scn_names - the n names joined by sep ("smtp, smtps, ..."); caller
 * frees */
static char *
scn_names(const char *const *names, int n, const char *sep)
{
	struct buf b = { 0 };

	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? sep : "", names[i]);
	return b.data;
}

/* scn_keyword - apply one (expanded, filtered) line to s */
static void
scn_keyword(struct scn_block *b, struct scenario *s, const struct scn_line *l)
{
	const char *kw = l->argv[0];

	if (strcmp(kw, "summary") == 0 || strcmp(kw, "refs") == 0
	    || strcmp(kw, "latitude") == 0) {
		char **field = kw[0] == 's' ? &s->summary
		    : kw[0] == 'r' ? &s->refs : &s->latitude;

		if (scn_argc(b, l, 1, -1, "summary|refs|latitude TEXT") == 0) {
			if (*field)
				scn_error(b, l->line, "a second \"%s\"", kw);
			free(*field);
			*field = scn_rest(l, 1);
		}
	} else if (strcmp(kw, "proto") == 0) {
		/* The names come from the table the parser uses. */
		char *all = scn_names(proto_names, SCN_PROTO_COUNT, ", ");
		char *bar = scn_names(proto_names, SCN_PROTO_COUNT, "|");
		char *usage = xasprintf("proto %s ...", bar);

		if (scn_argc(b, l, 1, SCN_PROTO_COUNT, usage) == 0)
			for (int i = 1; i < l->argc; i++) {
				int p = scn_lookup(proto_names,
				    SCN_PROTO_COUNT, l->argv[i]);

				if (p < 0)
					scn_error(b, l->line, "unknown protocol "
					    "\"%s\" (%s)", l->argv[i], all);
				else
					s->protos |= 1u << p;
			}
		free(all);
		free(bar);
		free(usage);
	} else if (strcmp(kw, "zone") == 0) {
		struct scn_zone *z;
		int st;

		if (scn_argc(b, l, 2, 2, "zone @|LABEL secure|insecure|"
		    "ds-mismatch|unsupported-alg|lame") != 0)
			return;
		if ((st = scn_lookup(zone_state_names, SCN_ZONE_STATE_COUNT,
		    l->argv[2])) < 0) {
			scn_error(b, l->line, "unknown zone state \"%s\" "
			    "(secure, insecure, ds-mismatch, unsupported-alg, "
			    "lame)", l->argv[2]);
			return;
		}
		if (strcmp(l->argv[1], "@") != 0
		    && !scn_label_ok(l->argv[1], SCN_MAX_ZONE_LABEL)) {
			scn_error(b, l->line, "zone label \"%s\": 1 to %d of "
			    "a-z, 0-9, -", l->argv[1], SCN_MAX_ZONE_LABEL);
			return;
		}
		for (size_t i = 0; i < s->nzones; i++)
			if (strcmp(s->zones[i].label, l->argv[1]) == 0) {
				if (s->zones[i].line == 0) {	/* the default */
					s->zones[i].state = st;
					s->zones[i].line = l->line;
				} else
					scn_error(b, l->line, "zone %s declared "
					    "twice", l->argv[1]);
				return;
			}
		z = scn_add(s->zones, s->nzones);
		z->label = xstrdup(l->argv[1]);
		z->state = st;
		z->line = l->line;
	} else if (strcmp(kw, "host") == 0) {
		struct scn_host *h;

		if (scn_argc(b, l, 2, 5, "host NAME CHAIN [no-starttls] "
		    "[client-cert] [down]") != 0)
			return;
		if (!scn_name_ok(l->argv[1]) || strcmp(l->argv[1], "@") == 0
		    || l->argv[1][strlen(l->argv[1]) - 1] == '.') {
			scn_error(b, l->line, "host name \"%s\" must be a "
			    "relative name", l->argv[1]);
			return;
		}
		if (scn_find_host(s, l->argv[1])) {
			scn_error(b, l->line, "host %s declared twice",
			    l->argv[1]);
			return;
		}
		h = scn_add(s->hosts, s->nhosts);
		h->name = xstrdup(l->argv[1]);
		h->chain = xstrdup(l->argv[2]);
		h->flags = 0;
		h->line = l->line;
		for (int i = 3; i < l->argc; i++) {
			if (strcmp(l->argv[i], "no-starttls") == 0)
				h->flags |= SCN_HOST_NO_STARTTLS;
			else if (strcmp(l->argv[i], "client-cert") == 0)
				h->flags |= SCN_HOST_CLIENT_CERT;
			else if (strcmp(l->argv[i], "down") == 0)
				h->flags |= SCN_HOST_DOWN;
			else
				scn_error(b, l->line, "unknown host option "
				    "\"%s\" (no-starttls, client-cert, down)",
				    l->argv[i]);
		}
	} else if (strcmp(kw, "mx") == 0 || strcmp(kw, "srv") == 0
	    || strcmp(kw, "cname") == 0 || strcmp(kw, "addr") == 0
	    || strcmp(kw, "dns") == 0) {
		static const struct {
			const char *kw;
			enum scn_rr_kind kind;
			int min, max;
			const char *usage;
		} shapes[] = {
			{ "mx", SCN_RR_MX, 2, 2, "mx PREFERENCE HOST" },
			{ "srv", SCN_RR_SRV, 5, 5, "srv xmpp-server|xmpps-server "
			    "PRIORITY WEIGHT PORT TARGET" },
			{ "cname", SCN_RR_CNAME, 2, 2, "cname OWNER TARGET" },
			{ "addr", SCN_RR_ADDR, 2, 2, "addr OWNER HOST" },
			{ "dns", SCN_RR_RAW, 3, -1, "dns OWNER TYPE RDATA..." },
		};
		struct scn_rr *rr;
		size_t k;

		for (k = 0; strcmp(shapes[k].kw, kw) != 0; k++)
			;
		if (scn_argc(b, l, shapes[k].min, shapes[k].max,
		    shapes[k].usage) != 0)
			return;
		if (shapes[k].kind == SCN_RR_MX || shapes[k].kind == SCN_RR_SRV) {
			int n = shapes[k].kind == SCN_RR_MX ? 1 : 3;

			for (int i = shapes[k].kind == SCN_RR_MX ? 1 : 2;
			    i < 1 + n + (shapes[k].kind == SCN_RR_SRV); i++) {
				char *end;
				long v = strtol(l->argv[i], &end, 10);

				if (*end || v < 0 || v > 65535) {
					scn_error(b, l->line, "\"%s\" is not a "
					    "number from 0 to 65535", l->argv[i]);
					return;
				}
			}
		}
		if (shapes[k].kind == SCN_RR_SRV
		    && strcmp(l->argv[1], "xmpp-server") != 0
		    && strcmp(l->argv[1], "xmpps-server") != 0) {
			scn_error(b, l->line, "srv service \"%s\": xmpp-server "
			    "or xmpps-server", l->argv[1]);
			return;
		}
		rr = scn_add(s->rrs, s->nrrs);
		rr->kind = shapes[k].kind;
		rr->argc = l->argc - 1;
		rr->argv = xmalloc(rr->argc * sizeof(char *));
		for (int i = 0; i < rr->argc; i++)
			rr->argv[i] = xstrdup(l->argv[i + 1]);
		rr->line = l->line;
	} else if (strcmp(kw, "client") == 0) {
		if (scn_argc(b, l, 1, 1, "client CHAIN") != 0)
			return;
		if (s->client) {
			scn_error(b, l->line, "client declared twice (first at "
			    "line %d)", s->client_line);
			return;
		}
		s->client = xstrdup(l->argv[1]);
		s->client_line = l->line;
	} else if (strcmp(kw, "tlsa") == 0 || strcmp(kw, "identity") == 0) {
		int identity = strcmp(kw, "identity") == 0;
		struct scn_tlsa *t;
		char *colon, *owner;
		int port = 0;

		if (scn_argc(b, l, 5, 6, identity ? "identity OWNER USAGE "
		    "SELECTOR MTYPE FROM [FAULT]" : "tlsa HOST[:PORT] USAGE "
		    "SELECTOR MTYPE FROM [FAULT]") != 0)
			return;
		for (int i = 2; i <= 4; i++) {
			char *end;
			long v = strtol(l->argv[i], &end, 10);

			if (*l->argv[i] == 0 || *end || v < 0 || v > 255) {
				scn_error(b, l->line, "tlsa %s \"%s\" out of range "
				    "(0-255)", i == 2 ? "usage" : i == 3
				    ? "selector" : "matching type", l->argv[i]);
				return;
			}
		}
		owner = xstrdup(l->argv[1]);
		if (identity && !scn_name_ok(owner)) {
			scn_error(b, l->line, "identity: bad owner name \"%s\"",
			    owner);
			free(owner);
			return;
		}
		if (!identity && (colon = strchr(owner, ':')) != NULL) {
			char *end;

			*colon = 0;
			port = (int)strtol(colon + 1, &end, 10);
			if (*end || port < 1 || port > 65535) {
				scn_error(b, l->line, "tlsa port \"%s\" out of "
				    "range", colon + 1);
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
	} else if (strcmp(kw, "fault") == 0) {
		const char *const *names = zone_fault_names();
		struct scn_fault *f;
		int known = 0;

		if (scn_argc(b, l, 3, 3, "fault KIND OWNER TYPE") != 0)
			return;
		for (int i = 0; names[i]; i++)
			known |= strcmp(names[i], l->argv[1]) == 0;
		if (!known) {
			struct buf all = { 0 };

			for (int i = 0; names[i]; i++)
				buf_printf(&all, "%s%s", i ? ", " : "", names[i]);
			scn_error(b, l->line, "unknown fault \"%s\" (%s)",
			    l->argv[1], all.data ? all.data : "");
			buf_free(&all);
			return;
		}
		f = scn_add(s->faults, s->nfaults);
		f->kind = xstrdup(l->argv[1]);
		f->owner = xstrdup(l->argv[2]);
		f->type = xstrdup(l->argv[3]);
		for (char *p = f->type; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		f->line = l->line;
	} else if (strcmp(kw, "expect") == 0) {
		struct scn_expect e = { 0 };
		int i = 4, pref;

		if (scn_argc(b, l, 5, -1, "expect PROTOS POLICIES OUTCOMES "
		    "[at HOST] [not HOST,...] cite RFCnnnn SECTION ... "
		    "[prefer OUTCOMES cite RFCnnnn SECTION ...]") != 0)
			return;
		if (scn_set_bits(l->argv[1], proto_names, SCN_PROTO_COUNT,
		    (1u << SCN_PROTO_COUNT) - 1, &e.protos) != 0) {
			scn_error(b, l->line, "unknown protocol in \"%s\"",
			    l->argv[1]);
			return;
		}
		if (strcmp(l->argv[1], "all") == 0)
			e.protos = s->protos ? s->protos
			    : (1u << SCN_PROTO_COUNT) - 1;
		if (scn_set_bits(l->argv[2], policy_names, SCN_POLICY_COUNT,
		    (1u << SCN_POLICY_COUNT) - 1, &e.policies) != 0) {
			scn_error(b, l->line, "unknown policy in \"%s\" "
			    "(opportunistic, mandatory, any)", l->argv[2]);
			return;
		}
		if (scn_outcomes(b, l->line, l->argv[3], &e.outcomes, e.at) != 0)
			goto bad_expect;
		if (i < l->argc && strcmp(l->argv[i], "at") == 0) {
			if (i + 1 >= l->argc) {
				scn_error(b, l->line, "\"at\" wants a host");
				goto bad_expect;
			}
			e.host = l->argv[i + 1];
			i += 2;
		}
		if (i < l->argc && strcmp(l->argv[i], "not") == 0) {
			if (i + 1 >= l->argc) {
				scn_error(b, l->line, "\"not\" wants hosts: not "
				    "mx1[,mx2]");
				goto bad_expect;
			}
			e.avoid = l->argv[i + 1];
			i += 2;
		}
		if (i >= l->argc || strcmp(l->argv[i], "cite") != 0) {
			scn_error(b, l->line, "an expectation must cite the RFC "
			    "section that requires it: ... cite RFC7672 2.2");
			goto bad_expect;
		}
		for (pref = i + 1; pref < l->argc
		    && strcmp(l->argv[pref], "prefer") != 0; pref++)
			;
		if (scn_cites(b, l, i + 1, pref) != 0)
			goto bad_expect;
		if (pref < l->argc && scn_prefer(b, l, pref, &e) != 0)
			goto bad_expect;
		{
			struct scn_expect *ep = scn_add(s->expects, s->nexpects);

			*ep = e;
			ep->host = e.host ? xstrdup(e.host) : NULL;
			ep->avoid = e.avoid ? xstrdup(e.avoid) : NULL;
			ep->cite = scn_join(l, i + 1, pref);
			ep->prefer_cite = pref < l->argc
			    ? scn_rest(l, pref + 3) : NULL;
			ep->line = l->line;
		}
		return;
bad_expect:
		for (int o = 0; o < OUTCOME_COUNT; o++)
			free(e.at[o]);
	} else {
		scn_error(b, l->line, "unknown keyword \"%s\"", kw);
	}
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

/* scn_lint - checks on one expanded scenario */
static void
scn_lint(struct scn_block *b, struct scenario *s, const struct scn_hooks *h)
{
	const char *why0;

	if (!scn_label_ok(s->id, SCN_MAX_ID))
		scn_error(b, s->line, "scenario id \"%s\": 1 to %d of a-z, "
		    "0-9, - (it becomes a DNS label)", s->id, SCN_MAX_ID);
	if (s->summary == NULL)
		scn_error(b, s->line, "scenario %s has no summary", s->id);
	if (s->refs == NULL)
		scn_error(b, s->line, "scenario %s has no refs", s->id);
	if (s->protos == 0)
		scn_error(b, s->line, "scenario %s has no proto line", s->id);
	if ((s->protos & (1u << SCN_XMPP_IN)) && s->client == NULL)
		scn_error(b, s->line, "scenario %s: proto xmpp-in needs the "
		    "chain the lab presents (client CHAIN)", s->id);
	if (s->client && !(s->protos & (1u << SCN_XMPP_IN)))
		scn_error(b, s->client_line, "client: only for proto xmpp-in "
		    "(the lab connects to the target)");
	if (s->client && h && h->chain_ok && (why0 = h->chain_ok(h->arg,
	    s->client)))
		scn_error(b, s->client_line, "client: chain \"%s\": %s",
		    s->client, why0);
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct scn_host *ho = &s->hosts[i];
		const char *why;

		if (h && h->chain_ok && (why = h->chain_ok(h->arg, ho->chain)))
			scn_error(b, ho->line, "host %s: chain \"%s\": %s",
			    ho->name, ho->chain, why);
	}
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
	for (size_t i = 0; i < s->ntlsas; i++) {
		const struct scn_tlsa *t = &s->tlsas[i];

		if (t->identity) {
			if (s->client == NULL)
				scn_error(b, t->line, "identity: the scenario "
				    "has no client chain (client CHAIN)");
			continue;
		}
		if (!scn_find_host(s, t->owner))
			scn_error(b, t->line, "tlsa: no host %s in this "
			    "scenario (the records are computed from the chain "
			    "it serves)", t->owner);
	}
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
	for (int p = 0; p < SCN_PROTO_COUNT; p++) {
		if (!(s->protos & (1u << p)))
			continue;
		for (int q = 0; q < SCN_POLICY_COUNT; q++) {
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

/* scn_expand - one scenario for one combination of axis values */
static struct scenario *
scn_expand(struct scn_block *b, const char *area, const int *choice,
    const struct scn_hooks *hooks)
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
	for (size_t i = 0; i < b->nlines; i++) {
		struct scn_line *raw = &b->lines[i], l;
		int argc = raw->argc, holds = 1, bad = 0;
		int w;

		if (strcmp(raw->argv[0], "axis") == 0)
			continue;
		if ((w = scn_when_at(raw)) > 0) {
			holds = scn_when(b, raw, w, choice);
			argc = w;
		}
		if (holds <= 0)
			continue;
		l.line = raw->line;
		l.argc = argc;
		l.argv = xcalloc(argc, sizeof(char *));
		for (int j = 0; j < argc; j++)
			if ((l.argv[j] = scn_subst(b, raw->line, raw->argv[j],
			    choice)) == NULL)
				bad = 1;
		if (!bad) {
			if (i == 0) {
				if (argc != 2)
					scn_error(b, l.line, "usage: scenario ID");
				else
					s->id = xstrdup(l.argv[1]);
			} else if (strcmp(l.argv[0], "scenario") != 0)
				scn_keyword(b, s, &l);
		}
		for (int j = 0; j < argc; j++)
			free(l.argv[j]);
		free(l.argv);
	}
	if (s->id == NULL)
		s->id = xstrdup("-");
	scn_lint(b, s, hooks);
	if (b->ids != NULL && strcmp(s->id, "-") != 0) {
		struct scn_ids *ids = b->ids;
		size_t k;

		for (k = 0; k < ids->n && strcmp(ids->id[k], s->id) != 0; k++)
			;
		if (k < ids->n)
			scn_error(b, s->line, "duplicate scenario id \"%s\" (also "
			    "at line %d)", s->id, ids->line[k]);
		else if (ids->n < SCN_MAX_EXPANSION * 4) {
			ids->id = xrealloc(ids->id, (ids->n + 1) * sizeof(char *));
			ids->line = xrealloc(ids->line, (ids->n + 1) * sizeof(int));
			ids->id[ids->n] = xstrdup(s->id);
			ids->line[ids->n++] = s->line;
		}
	}
	if (b->errors != errors) {
		scn_scenario_free(s);
		return NULL;
	}
	return s;
}

/* scn_block_run - read a block's axes and expand it into cat */
static void
scn_block_run(struct scn_block *b, struct scn_catalogue *cat,
    const char *area, const struct scn_hooks *hooks)
{
	int choice[SCN_MAX_AXES] = { 0 };
	long combos = 1;

	for (size_t i = 1; i < b->nlines; i++) {
		struct scn_line *l = &b->lines[i];
		struct scn_axis *a;

		if (strcmp(l->argv[0], "axis") != 0)
			continue;
		if (l->argc < 3) {
			scn_error(b, l->line, "usage: axis NAME VALUE...");
			continue;
		}
		if (b->naxes == SCN_MAX_AXES || l->argc - 2 > SCN_MAX_VALUES) {
			scn_error(b, l->line, "at most %d axes of %d values",
			    SCN_MAX_AXES, SCN_MAX_VALUES);
			continue;
		}
		if (!scn_label_ok(l->argv[1], 32)) {
			scn_error(b, l->line, "axis name \"%s\": a-z, 0-9, -",
			    l->argv[1]);
			continue;
		}
		for (int j = 0; j < b->naxes; j++)
			if (strcmp(b->axes[j].name, l->argv[1]) == 0)
				scn_error(b, l->line, "axis %s declared twice",
				    l->argv[1]);
		for (int j = 2; j < l->argc; j++)
			if (strpbrk(l->argv[j], "{}=,") != NULL)
				scn_error(b, l->line, "axis value \"%s\" may "
				    "not contain { } = ,", l->argv[j]);
		a = &b->axes[b->naxes++];
		a->name = l->argv[1];
		a->nvalues = l->argc - 2;
		a->values = l->argv + 2;
		a->line = l->line;
		combos *= a->nvalues;
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
		if ((s = scn_expand(b, area, choice, hooks)) != NULL) {
			cat->list = xrealloc(cat->list,
			    (cat->n + 1) * sizeof(*cat->list));
			cat->list[cat->n++] = s;
		}
	}
}

/* scn_parse_area - parse text as the file name, scenarios tagged area */
static int
scn_parse_area(struct scn_catalogue *cat, const char *name, const char *area,
    const char *text, size_t len, const struct scn_hooks *hooks)
{
	struct scn_line *lines = NULL;
	struct scn_ids ids = { 0 };
	size_t n, i = 0;
	int errors = 0;

	n = scn_lex(name, text, len, &lines, &errors);
	while (i < n && strcmp(lines[i].argv[0], "scenario") != 0) {
		fprintf(scn_err(), "%s:%d: \"%s\" outside a scenario block (a "
		    "block starts with \"scenario ID\")\n", name,
		    lines[i].line, lines[i].argv[0]);
		errors++;
		i++;
	}
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
		scn_block_run(&b, cat, area, hooks);
		errors += b.errors;
		for (int k = 0; k < b.nreported; k++)
			free(b.reported[k]);
		i = j;
	}
	for (i = 0; i < n; i++)
		scn_line_free(&lines[i]);
	free(lines);
	for (i = 0; i < ids.n; i++)
		free(ids.id[i]);
	free(ids.id);
	free(ids.line);
	return errors;
}

int
scn_parse_text(struct scn_catalogue *cat, const char *name, const char *text,
    size_t len, const struct scn_hooks *hooks)
{
	return scn_parse_area(cat, name, "", text, len, hooks);
}

/* scn_cmp - for qsort of file names */
static int
scn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* scn_load_path - one file, or every *.scn below a directory */
static int
scn_load_path(struct scn_catalogue *cat, const char *path, const char *area,
    const struct scn_hooks *hooks, int depth)
{
	struct stat st;
	int errors = 0;

	if (stat(path, &st) != 0) {
		fprintf(scn_err(), "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent *de;
		char **names = NULL;
		size_t n = 0;
		DIR *d;

		if (depth > 8 || (d = opendir(path)) == NULL) {
			fprintf(scn_err(), "%s: %s\n", path, depth > 8
			    ? "directories nested too deep" : strerror(errno));
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);

			if (de->d_name[0] == '.')
				continue;
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
			(void)len;
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

				errors += scn_load_path(cat, sub, subarea,
				    hooks, depth + 1);
				free(subarea);
			} else if (len > 4
			    && strcmp(names[i] + len - 4, ".scn") == 0)
				errors += scn_load_path(cat, sub, area, hooks,
				    depth + 1);
			free(sub);
			free(names[i]);
		}
		free(names);
		return errors;
	}
	{
		size_t len;
		char *text = file_read(path, &len);

		if (text == NULL) {
			fprintf(scn_err(), "%s: %s\n", path, strerror(errno));
			return 1;
		}
		/* A file given by itself: its name is its area. */
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1
		    : path;
		size_t bl = strlen(base);
		char *own = *area ? xstrdup(area) : xstrndup(base,
		    bl > 4 && strcmp(base + bl - 4, ".scn") == 0 ? bl - 4 : bl);

		errors = scn_parse_area(cat, path, own, text, len, hooks);
		free(own);
		free(text);
	}
	return errors;
}

int
scn_catalogue_load(struct scn_catalogue *cat, const char *path,
    const struct scn_hooks *hooks)
{
	return scn_load_path(cat, path, "", hooks, 0);
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
			fprintf(scn_err(), "%s:%d: duplicate scenario id \"%s\" "
			    "(also at %s:%d)\n", sorted[i]->file,
			    sorted[i]->line, sorted[i]->id,
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
scn_expect_for(const struct scenario *s, enum scn_proto proto,
    enum scn_policy policy)
{
	for (size_t i = 0; i < s->nexpects; i++)
		if ((s->expects[i].protos & (1u << proto))
		    && (s->expects[i].policies & (1u << policy)))
			return &s->expects[i];
	return NULL;
}
