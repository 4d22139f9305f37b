/*
 * initiator.c - the lab as a connecting XMPP server (see initiator.h).
 *
 * One blocking connection with a deadline: every read and write is
 * bounded by what is left of it (SO_RCVTIMEO/SO_SNDTIMEO), the connect
 * by poll.  The receiver's XML is matched by substrings, which is all an
 * s2s opening needs: stream features, proceed, success or failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "clock.h"
#include "initiator.h"
#include "mem.h"

#define INIT_IN_MAX	16384

struct init {
	int fd;
	SSL *ssl;
	long long deadline;		/* CLOCK_MONOTONIC ms */
	char in[INIT_IN_MAX + 1];
	size_t inlen;
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

/* init_arm - bound the next socket operation by the deadline; -1 past it */
static int
init_arm(struct init *in)
{
	long long left = in->deadline - clock_ms();
	struct timeval tv;

	if (left <= 0)
		return -1;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (setsockopt(in->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
	    || setsockopt(in->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return -1;
	return 0;
}

/* init_send - write s (over TLS once it is up); -1 on failure */
static int
init_send(struct init *in, const char *s)
{
	size_t len = strlen(s), off = 0;

	init_note(in, "C: %s", s);
	while (off < len) {
		ssize_t n;

		if (init_arm(in) != 0)
			return -1;
		if (in->ssl) {
			int k = SSL_write(in->ssl, s + off, (int)(len - off));

			n = k > 0 ? k : -1;
		} else
			n = send(in->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * init_wait - read until one of the markers (NULL-ended) is in the input;
 * its index, or -1 (closed, timed out, or the buffer is full).  A stream
 * error or the end of the stream stops the wait, too (-1, in->closed).
 */
static int
init_wait(struct init *in, const char *const *markers)
{
	size_t shown = in->inlen;

	for (;;) {
		ssize_t n;

		for (int i = 0; markers[i]; i++)
			if (strstr(in->in, markers[i]) != NULL) {
				init_note(in, "S: %.600s", in->in + shown);
				return i;
			}
		if (strstr(in->in, "<stream:error") != NULL
		    || strstr(in->in, "</stream:stream>") != NULL) {
			init_note(in, "S: %.600s", in->in + shown);
			in->closed = 1;
			return -1;
		}
		if (in->inlen >= INIT_IN_MAX || init_arm(in) != 0) {
			init_note(in, "S: %.600s", in->in + shown);
			init_note(in, "(%s waiting for %s)", in->inlen
			    >= INIT_IN_MAX ? "too much input" : "deadline",
			    markers[0]);
			return -1;
		}
		if (in->ssl) {
			int k = SSL_read(in->ssl, in->in + in->inlen,
			    (int)(INIT_IN_MAX - in->inlen));

			n = k > 0 ? k : -1;
			if (k <= 0 && SSL_get_error(in->ssl, k)
			    == SSL_ERROR_ZERO_RETURN)
				n = 0;
		} else
			n = recv(in->fd, in->in + in->inlen,
			    INIT_IN_MAX - in->inlen, 0);
		if (n <= 0) {
			if (in->inlen > shown)
				init_note(in, "S: %.600s", in->in + shown);
			init_note(in, "(connection %s waiting for %s)", n == 0
			    ? "closed by the receiver" : errno == EAGAIN
			    || errno == EWOULDBLOCK ? "timed out" : "failed",
			    markers[0]);
			in->closed = n == 0 || (errno != EAGAIN
			    && errno != EWOULDBLOCK);
			ERR_clear_error();
			return -1;
		}
		in->inlen += (size_t)n;
		in->in[in->inlen] = 0;
	}
}

/* init_drain - forget what was read */
static void
init_drain(struct init *in)
{
	in->inlen = 0;
	in->in[0] = 0;
}

/* init_connect - TCP to addr:port within the deadline; 0 or -1 */
static int
init_connect(struct init *in, const char *addr, int port)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	int err = 0, fl;
	socklen_t elen = sizeof(err);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	if ((in->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	fl = fcntl(in->fd, F_GETFL);
	fcntl(in->fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(in->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		long long left = in->deadline - clock_ms();

		if (errno != EINPROGRESS)
			return -1;
		pfd.fd = in->fd;
		pfd.events = POLLOUT;
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1
		    || getsockopt(in->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0
		    || err != 0) {
			errno = err ? err : ETIMEDOUT;
			return -1;
		}
	}
	fcntl(in->fd, F_SETFL, fl & ~O_NONBLOCK);
	return 0;
}

/* init_header - the stream header from -> to */
static char *
init_header(const char *from, const char *to)
{
	return xasprintf("<?xml version='1.0'?><stream:stream "
	    "xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/"
	    "streams' xmlns:db='jabber:server:dialback' from='%s' to='%s' "
	    "version='1.0'>", from, to);
}

/* init_session - the exchange; sets the outcome */
static void
init_session(struct init *in, const char *from, const char *to, SSL_CTX *ctx)
{
	static const char *const features[] = { "</stream:features>",
	    "<stream:features/>", NULL };
	static const char *const proceed[] = { "<proceed", "<failure", NULL };
	static const char *const sasl[] = { "<success", "<failure", NULL };
	char *hdr = init_header(from, to);
	int k;

	if (init_send(in, hdr) != 0 || init_wait(in, features) < 0) {
		init_end(in, OUTCOME_REFUSED, "no stream features before TLS%s",
		    in->closed ? ": the receiver closed the stream" : "");
		goto out;
	}
	if (strstr(in->in, "<starttls") == NULL) {
		init_end(in, OUTCOME_CLEARTEXT, "the receiver offered no "
		    "STARTTLS");
		init_send(in, "</stream:stream>");
		goto out;
	}
	init_drain(in);
	if (init_send(in, "<starttls xmlns='urn:ietf:params:xml:ns:"
	    "xmpp-tls'/>") != 0 || (k = init_wait(in, proceed)) != 0) {
		init_end(in, OUTCOME_REFUSED, "STARTTLS refused");
		goto out;
	}
	init_drain(in);
	if ((in->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(in->ssl, in->fd) != 1
	    || SSL_set_tlsext_host_name(in->ssl, to) != 1) {
		init_end(in, OUTCOME_REFUSED, "internal: cannot set up TLS");
		goto out;
	}
	if (init_arm(in) != 0 || SSL_connect(in->ssl) != 1) {
		unsigned long e = ERR_peek_last_error();
		char eb[200] = "timeout or connection closed";

		if (e != 0)
			ERR_error_string_n(e, eb, sizeof(eb));
		ERR_clear_error();
		SSL_free(in->ssl);
		in->ssl = NULL;
		init_end(in, OUTCOME_REFUSED, "TLS handshake failed: %s", eb);
		goto out;
	}
	in->r->tls_done = 1;
	snprintf(in->r->tls_version, sizeof(in->r->tls_version), "%s",
	    SSL_get_version(in->ssl));
	init_note(in, "TLS %s %s, SNI %s, client certificate %s",
	    SSL_get_version(in->ssl), SSL_get_cipher_name(in->ssl), to,
	    SSL_get_certificate(in->ssl) ? "presented" : "none");
	if (init_send(in, hdr) != 0 || init_wait(in, features) < 0) {
		init_end(in, OUTCOME_REFUSED, "no stream features after TLS%s",
		    in->closed ? ": the receiver closed the stream" : "");
		goto out;
	}
	if (strstr(in->in, "<mechanism>EXTERNAL</mechanism>") == NULL) {
		init_end(in, OUTCOME_ENCRYPTED, "TLS, no SASL EXTERNAL offered: "
		    "the receiver did not authenticate %s", from);
		init_send(in, "</stream:stream>");
		goto out;
	}
	init_drain(in);
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
	in->fd = -1;
	in->deadline = clock_ms() + (deadline_ms > 0 ? deadline_ms : 1);
	init_note(in, "connect %s:%d as %s to %s", addr, port, from, to);
	if (init_connect(in, addr, port) != 0)
		init_end(in, OUTCOME_NO_CONNECT, "cannot connect to %s:%d: %s",
		    addr, port, strerror(errno));
	else
		init_session(in, from, to, ctx);
	if (in->ssl) {
		/* A bounded close: the receiver may already be gone. */
		if (init_arm(in) == 0)
			SSL_shutdown(in->ssl);
		SSL_free(in->ssl);
	}
	ERR_clear_error();
	if (in->fd >= 0)
		close(in->fd);
	r->transcript = in->log.data ? in->log.data : xstrdup("");
	free(in);
	return 0;
}
