/*
 * xmpp.c - the XMPP server-to-server session of an endpoint (ports 5269
 * and 5270), an explicit state machine.
 *
 * No XML parser: a bounded tokenizer finds the XML declaration, the
 * stream header, top-level elements (by tag, with nesting counted) and
 * the stream's end.  The session offers STARTTLS (unless withheld); a
 * stream opened after TLS is how a client shows it went on; then SASL
 * EXTERNAL and dialback are offered and a few elements answered.
 * Anything malformed ends the stream with a stream error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "xmpp_wire.h"

#define XMPP_NAME_MAX		64	/* element name */
#define XMPP_DEPTH_MAX		32	/* nesting inside one element */
#define XMPP_MAX_ELEMENTS	16	/* top-level elements per connection */
#define XMPP_INPUT_ROUNDS	64	/* tokens handled per read */

#define XMPP_NS_TLS	"urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_NS_SASL	"urn:ietf:params:xml:ns:xmpp-sasl"
#define XMPP_NS_STREAMS	"urn:ietf:params:xml:ns:xmpp-streams"

enum xmpp_state {
	XMPP_INIT,		/* nothing yet (XMPPS before TLS) */
	XMPP_WAIT_HEADER,	/* expecting the client's stream header */
	XMPP_FEATURES,		/* features sent in cleartext */
	XMPP_WAIT_RESTART,	/* TLS up; expecting a new stream header */
	XMPP_OPEN,		/* stream open over TLS */
	XMPP_SASL_RESTART,	/* SASL success; expecting a new header */
	XMPP_DONE		/* closing */
};

static const char *const xmpp_state_names[] = {
	"init", "wait-header", "features", "wait-restart", "open",
	"sasl-restart", "done"
};

enum xmpp_kind {
	XMPP_TOK_DECL,		/* <?xml ...?> */
	XMPP_TOK_HEADER,	/* <stream:stream ...> */
	XMPP_TOK_ELEMENT,	/* a complete top-level element */
	XMPP_TOK_END		/* </stream:stream> */
};

/* One token of input: s->in[start, start + len). */
struct xmpp_token {
	enum xmpp_kind kind;
	char name[XMPP_NAME_MAX];
	size_t start;		/* after leading whitespace */
	size_t len;
	size_t tag_len;		/* the opening tag, through '>' */
};

/* xmpp_set_state - the one function that changes the XMPP state */
static void
xmpp_set_state(struct session *s, enum xmpp_state state)
{
	if (s->state == (int)state)
		return;
	session_note(s, "xmpp %s -> %s", xmpp_state_names[s->state],
	    xmpp_state_names[state]);
	s->state = (int)state;
}

/* xmpp_scan_tag - length of the tag at p ('<') through '>'; 0 more, -1 bad */
static long
xmpp_scan_tag(const char *p, size_t len)
{
	char quote = 0;

	for (size_t i = 1; i < len; i++) {
		char c = p[i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"')
			quote = c;
		else if (c == '<' || c == '\0')
			return -1;
		else if (c == '>')
			return (long)i + 1;
	}
	return 0;
}

/* xmpp_tag_name - copy the name after '<' or '</'; 0 or -1 if bad */
static int
xmpp_tag_name(const char *p, size_t tag_len, char *name)
{
	size_t i = p[1] == '/' ? 2 : 1, n = 0;

	for (; i < tag_len; i++) {
		char c = p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
		    c == '-' || c == '.') {
			if (n + 1 >= XMPP_NAME_MAX)
				return -1;
			name[n++] = c;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '/' || c == '>')
			break;
		else
			return -1;
	}
	name[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* xmpp_next - the next token of buf; 1 found, 0 need more, -1 garbage */
static int
xmpp_next(const char *buf, size_t len, struct xmpp_token *t)
{
	size_t i = 0, depth = 1;
	long tl;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
	    buf[i] == '\n'))
		i++;
	memset(t, 0, sizeof(*t));
	t->start = i;
	buf += i;
	len -= i;
	if (len == 0)
		return 0;
	if (buf[0] != '<')
		return -1;
	if (len < 2)
		return 0;
	if (buf[1] == '?') {
		for (size_t k = 2; k + 1 < len; k++)
			if (buf[k] == '?' && buf[k + 1] == '>') {
				t->kind = XMPP_TOK_DECL;
				t->len = t->tag_len = k + 2;
				return 1;
			}
		return 0;
	}
	if (buf[1] == '!')
		return -1;
	if ((tl = xmpp_scan_tag(buf, len)) <= 0)
		return (int)tl;
	t->tag_len = (size_t)tl;
	if (xmpp_tag_name(buf, t->tag_len, t->name) < 0)
		return -1;
	if (buf[1] == '/') {
		if (strcmp(t->name, "stream:stream") != 0)
			return -1;
		t->kind = XMPP_TOK_END;
		t->len = t->tag_len;
		return 1;
	}
	if (strcmp(t->name, "stream:stream") == 0) {
		if (buf[t->tag_len - 2] == '/')
			return -1;
		t->kind = XMPP_TOK_HEADER;
		t->len = t->tag_len;
		return 1;
	}
	t->kind = XMPP_TOK_ELEMENT;
	if (buf[t->tag_len - 2] == '/') {
		t->len = t->tag_len;
		return 1;
	}
	/* Find the matching end tag, counting nested elements. */
	for (i = t->tag_len; i < len;) {
		const char *lt = memchr(buf + i, '<', len - i);
		char name[XMPP_NAME_MAX];

		if (lt == NULL)
			return 0;
		i = (size_t)(lt - buf);
		if (i + 1 < len && (buf[i + 1] == '?' || buf[i + 1] == '!'))
			return -1;
		if ((tl = xmpp_scan_tag(buf + i, len - i)) <= 0)
			return (int)tl;
		if (xmpp_tag_name(buf + i, (size_t)tl, name) < 0)
			return -1;
		if (buf[i + 1] == '/') {
			if (--depth == 0) {
				if (strcmp(name, t->name) != 0)
					return -1;
				t->len = i + (size_t)tl;
				return 1;
			}
		} else if (buf[i + (size_t)tl - 2] != '/') {
			if (++depth > XMPP_DEPTH_MAX)
				return -1;
		}
		i += (size_t)tl;
	}
	return 0;
}

/* xmpp_attr - a sanitized attribute of the opening tag, "" if none */
static void
xmpp_attr(const char *tag, size_t tag_len, const char *attr, char *out,
    size_t outlen)
{
	size_t alen = strlen(attr), n = 0;

	out[0] = '\0';
	for (size_t i = 1; i + alen + 2 < tag_len; i++) {
		char q;

		if (tag[i - 1] != ' ' && tag[i - 1] != '\t' &&
		    tag[i - 1] != '\n' && tag[i - 1] != '\r')
			continue;
		if (memcmp(tag + i, attr, alen) != 0 || tag[i + alen] != '=')
			continue;
		q = tag[i + alen + 1];
		if (q != '\'' && q != '"')
			return;
		for (size_t k = i + alen + 2; k < tag_len && tag[k] != q; k++) {
			char c = tag[k];

			if (n + 1 >= outlen)
				break;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == ':' || c == '_')
				out[n++] = c;
		}
		out[n] = '\0';
		return;
	}
}

/* xmpp_header - send our stream header, then features */
static void
xmpp_header(struct session *s, const char *features)
{
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL | XMPP_WIRE_DIALBACK,
	    features, "from='%s' id='danelab-%d'", s->peer_name[0] ?
	    s->peer_name : "xmpp.danelab.example", s->commands);

	session_reply(s, "%s", hdr);
	free(hdr);
}

/* xmpp_error - a stream error, then close */
static void
xmpp_error(struct session *s, const char *condition)
{
	if (s->state == XMPP_WAIT_HEADER || s->state == XMPP_WAIT_RESTART ||
	    s->state == XMPP_SASL_RESTART || s->state == XMPP_INIT)
		xmpp_header(s, "");
	session_reply(s, "<stream:error><%s xmlns='" XMPP_NS_STREAMS "'/>"
	    "</stream:error></stream:stream>", condition);
	session_note(s, "stream error: %s", condition);
	xmpp_set_state(s, XMPP_DONE);
	session_close(s, condition);
}

/* xmpp_start - the connection is open: wait for the stream header */
static void
xmpp_start(struct session *s)
{
	xmpp_set_state(s, XMPP_WAIT_HEADER);
}

/* xmpp_tls_up - TLS completed: the next stream header is going on */
static void
xmpp_tls_up(struct session *s)
{
	xmpp_set_state(s, XMPP_WAIT_RESTART);
}

/* xmpp_on_header - a stream header from the client */
static void
xmpp_on_header(struct session *s, const struct xmpp_token *t)
{
	const char *tag = s->in + t->start;

	if (s->peer_name[0] == '\0')
		xmpp_attr(tag, t->tag_len, "to", s->peer_name,
		    sizeof(s->peer_name));
	switch (s->state) {
	case XMPP_WAIT_HEADER:
		xmpp_header(s, s->flags & ENDPOINT_NO_STARTTLS ?
		    "<stream:features><dialback "
		    "xmlns='urn:xmpp:features:dialback'/></stream:features>" :
		    "<stream:features><starttls xmlns='" XMPP_NS_TLS "'>"
		    "<required/></starttls></stream:features>");
		xmpp_set_state(s, XMPP_FEATURES);
		break;
	case XMPP_WAIT_RESTART:
		s->rec.message_done = 1;
		s->rec.commands_after_tls++;
		xmpp_header(s, "<stream:features><mechanisms xmlns='"
		    XMPP_NS_SASL "'><mechanism>EXTERNAL</mechanism>"
		    "</mechanisms><dialback "
		    "xmlns='urn:xmpp:features:dialback'/></stream:features>");
		xmpp_set_state(s, XMPP_OPEN);
		break;
	case XMPP_SASL_RESTART:
		s->rec.commands_after_tls++;
		xmpp_header(s, "<stream:features/>");
		xmpp_set_state(s, XMPP_OPEN);
		break;
	default:
		xmpp_error(s, "invalid-xml");
		break;
	}
}

/* xmpp_dialback - answer db:result and db:verify as valid */
static void
xmpp_dialback(struct session *s, const struct xmpp_token *t)
{
	const char *tag = s->in + t->start;
	char from[256], id[128];

	xmpp_attr(tag, t->tag_len, "from", from, sizeof(from));
	xmpp_attr(tag, t->tag_len, "id", id, sizeof(id));
	if (strcmp(t->name, "db:verify") == 0)
		session_reply(s, "<db:verify from='%s' to='%s' id='%s' "
		    "type='valid'/>", s->peer_name, from, id);
	else
		session_reply(s, "<db:result from='%s' to='%s' type='valid'/>",
		    s->peer_name, from);
}

/* xmpp_on_element - a complete top-level element */
static void
xmpp_on_element(struct session *s, const struct xmpp_token *t)
{
	const char *tag = s->in + t->start;
	char mech[32];

	if (++s->commands > XMPP_MAX_ELEMENTS) {
		session_reply(s, "</stream:stream>");
		xmpp_set_state(s, XMPP_DONE);
		session_close(s, "enough elements");
		return;
	}
	/*
	 * A stream error from the client is its giving up, never its going
	 * on: clients that check the certificate once the new stream is
	 * open (Prosody: restart, then <not-authorized/>) refuse this way.
	 * Before TLS it is no cleartext command; right after the restart,
	 * with nothing else sent, it undoes the restart's "went on".
	 */
	if (strcmp(t->name, "stream:error") == 0) {
		if (s->state == XMPP_OPEN && s->rec.commands_after_tls == 1
		    && s->rec.message_done) {
			s->rec.message_done = 0;
			s->rec.commands_after_tls = 0;
			session_note(s, "client stream error right after the "
			    "restart: it gave up");
		} else
			session_note(s, "client stream error");
		return;
	}
	switch (s->state) {
	case XMPP_FEATURES:
		if (strcmp(t->name, "starttls") == 0) {
			if (s->flags & ENDPOINT_NO_STARTTLS) {
				session_reply(s, "<failure xmlns='"
				    XMPP_NS_TLS "'/></stream:stream>");
				xmpp_set_state(s, XMPP_DONE);
				session_close(s, "STARTTLS not offered");
				return;
			}
			session_reply(s, "<proceed xmlns='" XMPP_NS_TLS "'/>");
			xmpp_set_state(s, XMPP_WAIT_RESTART);
			session_starttls(s);
			return;
		}
		s->rec.cleartext_commands++;
		if (strncmp(t->name, "db:", 3) == 0)
			xmpp_dialback(s, t);
		break;
	case XMPP_OPEN:
		s->rec.commands_after_tls++;
		if (strcmp(t->name, "auth") == 0) {
			xmpp_attr(tag, t->tag_len, "mechanism", mech,
			    sizeof(mech));
			if (strcmp(mech, "EXTERNAL") == 0) {
				session_reply(s, "<success xmlns='"
				    XMPP_NS_SASL "'/>");
				xmpp_set_state(s, XMPP_SASL_RESTART);
			} else
				session_reply(s, "<failure xmlns='"
				    XMPP_NS_SASL "'><invalid-mechanism/>"
				    "</failure>");
		} else if (strncmp(t->name, "db:", 3) == 0)
			xmpp_dialback(s, t);
		break;
	default:
		xmpp_error(s, "not-authorized");
		break;
	}
}

/* xmpp_input - handle every complete token of input */
static void
xmpp_input(struct session *s)
{
	for (int round = 0; round < XMPP_INPUT_ROUNDS; round++) {
		struct xmpp_token t;
		int r;

		if (!session_reading(s) || s->state == XMPP_INIT ||
		    s->state == XMPP_DONE)
			return;
		r = xmpp_next(s->in, s->in_len, &t);
		if (r == 0) {
			if (s->in_len == sizeof(s->in)) {
				session_log_in(s, s->in, 200);
				xmpp_error(s, "policy-violation");
			}
			return;
		}
		if (r < 0) {
			session_log_in(s, s->in, s->in_len);
			xmpp_error(s, "not-well-formed");
			return;
		}
		session_log_in(s, s->in + t.start, t.len);
		switch (t.kind) {
		case XMPP_TOK_DECL:
			break;
		case XMPP_TOK_HEADER:
			xmpp_on_header(s, &t);
			break;
		case XMPP_TOK_ELEMENT:
			xmpp_on_element(s, &t);
			break;
		case XMPP_TOK_END:
			session_reply(s, "</stream:stream>");
			xmpp_set_state(s, XMPP_DONE);
			session_close(s, "stream closed by client");
			break;
		}
		session_consume(s, t.start + t.len);
	}
}

const struct session_proto xmpp_proto = {
	.name = "xmpp",
	.tls_on_connect = 0,
	.start = xmpp_start,
	.input = xmpp_input,
	.tls_up = xmpp_tls_up,
};

const struct session_proto xmpps_proto = {
	.name = "xmpps",
	.tls_on_connect = 1,
	.start = xmpp_start,
	.input = xmpp_input,
	.tls_up = xmpp_tls_up,
};
