/*
 * initiator.c - the lab as a connecting XMPP server (see initiator.h).
 *
 * One blocking connection with a deadline (netio.h): every read and
 * write is bounded by what is left of it, the connect by poll.  The
 * receiver's XML is matched by substrings, which is all an s2s opening
 * needs: stream features, proceed, success or failure.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "clock.h"
#include "initiator.h"
#include "mem.h"
#include "netio.h"
#include "xmpp_wire.h"

struct init {
	struct netio io;		/* the connection, the deadline */
	int closed;			/* the receiver ended the connection */
	struct buf log;
	struct initiator_result *r;
};

/* init_note - one line of the transcript */
static void __attribute__((format(printf, 2, 3)))
init_note(struct init *in, const char *fmt, ...)
{
	va_list ap;
	char line[800];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(&in->log, "%s\n", line);
}

/* init_end - set the outcome and its one-line reason */
static void __attribute__((format(printf, 3, 4)))
init_end(struct init *in, enum outcome o, const char *fmt, ...)
{
	va_list ap;

	in->r->outcome = o;
	va_start(ap, fmt);
	vsnprintf(in->r->detail, sizeof(in->r->detail), fmt, ap);
	va_end(ap);
	init_note(in, "outcome: %s: %s", outcome_name(o), in->r->detail);
}

/* init_send - write s (over TLS once it is up); -1 on failure */
static int
init_send(struct init *in, const char *s)
{
	init_note(in, "C: %s", s);
	return netio_write(&in->io, s, strlen(s));
}

/* What ends a wait for anything else: the receiver ended the stream.
 * Every list of markers for init_wait ends with these. */
#define INIT_ENDS	"<stream:error", "</stream:stream>"
#define INIT_NENDS	2

/*
 * init_wait - read until one of the markers (NULL-ended, INIT_ENDS last)
 * is in the input; its index, or -1 (closed, timed out, or the buffer is
 * full).  A stream error or the end of the stream stops the wait, too
 * (-1, in->closed).
 */
static int
init_wait(struct init *in, const char *const *markers)
{
	size_t shown = in->io.inlen;
	int n = 0, k;

	while (markers[n] != NULL)
		n++;
	k = netio_wait(&in->io, markers);
	if (k >= 0) {
		init_note(in, "S: %.600s", in->io.in + shown);
		if (k < n - INIT_NENDS)
			return k;
		in->closed = 1;
		return -1;
	}
	if (k == NETIO_EFULL || k == NETIO_ELATE) {
		init_note(in, "S: %.600s", in->io.in + shown);
		init_note(in, "(%s waiting for %s)", k == NETIO_EFULL ?
		    "too much input" : "deadline", markers[0]);
		return -1;
	}
	if (in->io.inlen > shown)
		init_note(in, "S: %.600s", in->io.in + shown);
	init_note(in, "(connection %s waiting for %s)", k == NETIO_EOF ?
	    "closed by the receiver" : errno == EAGAIN || errno == EWOULDBLOCK ?
	    "timed out" : "failed", markers[0]);
	in->closed = k == NETIO_EOF
	    || (errno != EAGAIN && errno != EWOULDBLOCK);
	ERR_clear_error();
	return -1;
}

/* init_session - the exchange; sets the outcome */
static void
init_session(struct init *in, const char *from, const char *to, SSL_CTX *ctx)
{
	static const char *const features[] = { "</stream:features>",
	    "<stream:features/>", INIT_ENDS, NULL };
	static const char *const proceed[] = { "<proceed", "<failure",
	    INIT_ENDS, NULL };
	static const char *const sasl[] = { "<success", "<failure", INIT_ENDS,
	    NULL };
	char *hdr = xmpp_wire_header(XMPP_WIRE_DECL | XMPP_WIRE_DIALBACK, "",
	    "from='%s' to='%s'", from, to);
	int k;

	if (init_send(in, hdr) != 0 || init_wait(in, features) < 0) {
		init_end(in, OUTCOME_REFUSED, "no stream features before TLS%s",
		    in->closed ? ": the receiver closed the stream" : "");
		goto out;
	}
	if (strstr(in->io.in, "<starttls") == NULL) {
		init_end(in, OUTCOME_CLEARTEXT, "the receiver offered no "
		    "STARTTLS");
		init_send(in, "</stream:stream>");
		goto out;
	}
	netio_drain(&in->io);
	if (init_send(in, "<starttls xmlns='urn:ietf:params:xml:ns:"
	    "xmpp-tls'/>") != 0 || (k = init_wait(in, proceed)) != 0) {
		init_end(in, OUTCOME_REFUSED, "STARTTLS refused");
		goto out;
	}
	netio_drain(&in->io);
	if ((in->io.ssl = SSL_new(ctx)) == NULL
	    || SSL_set_fd(in->io.ssl, in->io.fd) != 1
	    || SSL_set_tlsext_host_name(in->io.ssl, to) != 1) {
		init_end(in, OUTCOME_REFUSED, "internal: cannot set up TLS");
		goto out;
	}
	if (netio_handshake(&in->io, 0) != 0) {
		char eb[200];

		netio_tls_why(eb, sizeof(eb));
		SSL_free(in->io.ssl);
		in->io.ssl = NULL;
		init_end(in, OUTCOME_REFUSED, "TLS handshake failed: %s", eb);
		goto out;
	}
	in->r->tls_done = 1;
	snprintf(in->r->tls_version, sizeof(in->r->tls_version), "%s",
	    SSL_get_version(in->io.ssl));
	init_note(in, "TLS %s %s, SNI %s, client certificate %s",
	    SSL_get_version(in->io.ssl), SSL_get_cipher_name(in->io.ssl), to,
	    SSL_get_certificate(in->io.ssl) ? "presented" : "none");
	if (init_send(in, hdr) != 0 || init_wait(in, features) < 0) {
		init_end(in, OUTCOME_REFUSED, "no stream features after TLS%s",
		    in->closed ? ": the receiver closed the stream" : "");
		goto out;
	}
	if (strstr(in->io.in, "<mechanism>EXTERNAL</mechanism>") == NULL) {
		init_end(in, OUTCOME_ENCRYPTED, "TLS, no SASL EXTERNAL offered: "
		    "the receiver did not authenticate %s", from);
		init_send(in, "</stream:stream>");
		goto out;
	}
	netio_drain(&in->io);
	if (init_send(in, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
	    "mechanism='EXTERNAL'>=</auth>") != 0
	    || (k = init_wait(in, sasl)) < 0) {
		init_end(in, OUTCOME_REFUSED, "no answer to SASL EXTERNAL%s",
		    in->closed ? ": the receiver closed the stream" : "");
		goto out;
	}
	if (k == 0)
		init_end(in, OUTCOME_AUTHENTICATED, "SASL EXTERNAL offered and "
		    "accepted: the receiver authenticated %s", from);
	else
		init_end(in, OUTCOME_ENCRYPTED, "SASL EXTERNAL offered, then "
		    "failed: %s not authenticated", from);
	init_send(in, "</stream:stream>");
out:
	free(hdr);
}

int
initiator_probe(const char *addr, int port, const char *from,
    const char *to, SSL_CTX *ctx, int deadline_ms,
    struct initiator_result *r)
{
	struct init *in = xcalloc(1, sizeof(*in));

	/* OpenSSL writes with write(2): a receiver that closes first must
	 * not kill the program. */
	signal(SIGPIPE, SIG_IGN);
	memset(r, 0, sizeof(*r));
	in->r = r;
	netio_init(&in->io, clock_ms() + (deadline_ms > 0 ? deadline_ms : 1),
	    0, NETIO_IN_MAX);
	init_note(in, "connect %s:%d as %s to %s", addr, port, from, to);
	if (netio_connect(&in->io, AF_INET, addr, port) != 0)
		init_end(in, OUTCOME_NO_CONNECT, "cannot connect to %s:%d: %s",
		    addr, port, strerror(errno));
	else
		init_session(in, from, to, ctx);
	/* A bounded close: the receiver may already be gone. */
	netio_close(&in->io);
	ERR_clear_error();
	r->transcript = in->log.data ? in->log.data : xstrdup("");
	free(in);
	return 0;
}
