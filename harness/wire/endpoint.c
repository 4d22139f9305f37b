/*
 * endpoint.c - the lab's listeners and their one event loop.
 *
 * One thread waits (epoll, level-triggered) on every listener and every
 * connection of a set.  Listeners live in an epoll set of their own,
 * which the loop's epoll set watches as one descriptor: a wake-up costs
 * what is ready, not how many listeners there are, and pausing accepts
 * is one change.  Each connection is a struct session (session.h): a
 * byte stream state machine (enum session_io: plain, waiting to start
 * TLS, handshake, TLS, closing, closed) driven here, under a protocol
 * state machine driven by smtp.c or xmpp.c.  Every buffer, line,
 * transcript and loop is bounded, and every connection has an idle and a
 * total deadline; when it ends it is classified and kept until
 * endpoint_take() collects it.  Listeners are grouped by their tag's
 * prefix up to the first '/', so endpoint_quiesce() on a scenario finds
 * its open-session count at once.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "clock.h"
#include "endpoint.h"
#include "mem.h"
#include "msg.h"
#include "netio.h"
#include "session.h"

#define ENDPOINT_MAX_CONNS	1024	/* default connection limit per set */
#define ENDPOINT_MAX_DONE	100000	/* finished records kept, untaken */
#define ENDPOINT_SWEEP_MS	100	/* deadline granularity */
#define ENDPOINT_PAUSE_MS	100	/* accepts paused when out of files */
#define ENDPOINT_ACCEPT_BURST	32	/* accepts per listener per round */
#define ENDPOINT_READ_BURST	16	/* reads per connection per round */
#define ENDPOINT_LOG_LINE	400	/* bytes of one line kept in the log */

/* Every listener whose tag has one prefix up to the first '/'. */
struct endpoint_group {
	char *key;			/* "scenario-id/", or a tag without '/' */
	size_t len;
	int active;			/* open sessions, under the set's lock */
	struct endpoint_group *next;	/* hash chain */
};

/* One listening socket. */
struct endpoint_listener {
	char *tag;
	char *addr;
	int port;			/* the bound port */
	enum proto proto;
	SSL_CTX *ctx;			/* up-ref'd, may be NULL without TLS */
	unsigned flags;
	int fd;
	int active;			/* open sessions, under the set's lock */
	struct endpoint_group *group;	/* its tag's prefix */
};

struct endpoint_set {
	pthread_mutex_t lock;		/* listeners, groups, done, counts, pass */
	pthread_cond_t passed;		/* a wanted loop pass ended */
	pthread_cond_t closed;		/* an open-session count fell to 0 */
	struct endpoint_listener **listeners;
	size_t nlisteners, listeners_cap;
	struct endpoint_group **groups;	/* hash of tag prefixes */
	size_t ngroups, groups_cap;
	struct session **conns;		/* loop thread only */
	size_t nconns;
	size_t max_conns;
	struct endpoint_conn *done;	/* finished, under lock */
	size_t ndone, done_cap;
	pthread_t thread;
	int running;
	atomic_int stop;
	int wake[2];
	int epfd;			/* wake pipe, lepfd and every connection */
	int lepfd;			/* every listener */
	int listening;			/* lepfd is watched: accepts not paused */
	int last_port;
	unsigned long long accepted;	/* sessions accepted: loop thread only */
	atomic_llong idle_ms, total_ms;	/* endpoint_set_deadlines: any thread */
	long long accept_pause_until;
	int warned_full, warned_done;
	long pass;			/* loop passes ended, under lock */
	int looping;			/* the loop thread runs, under lock */
	atomic_long pass_wanted;	/* no waiting in epoll before this pass */
};

static const struct session_proto *const endpoint_protos[] = {
	[PROTO_SMTP] = &smtp_proto,
	[PROTO_SMTPS] = &smtps_proto,
	[PROTO_XMPP] = &xmpp_proto,
	[PROTO_XMPPS] = &xmpps_proto,
};

/*
 * endpoint_classify - the endpoint's own view: went on without TLS is
 * cleartext (even if TLS came later: the client already leaked), TLS and
 * went on is encrypted, anything else that connected is refused.
 */
enum outcome
endpoint_classify(const struct endpoint_conn *c)
{
	if (c->cleartext_commands > 0)
		return OUTCOME_CLEARTEXT;
	if (c->tls_done && (c->message_done || c->commands_after_tls > 0))
		return OUTCOME_ENCRYPTED;
	return OUTCOME_REFUSED;
}

/* ---- transcript ---- */

/* session_log - append one transcript line: prefix, escaped data, NL */
static void
session_log(struct session *s, const char *prefix, const char *data,
    size_t len)
{
	char esc[ENDPOINT_LOG_LINE * 4 + 64];
	size_t n = 0, shown = len < ENDPOINT_LOG_LINE ? len : ENDPOINT_LOG_LINE;

	if (s->transcript_full)
		return;
	for (size_t i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\\' || ch < 0x20 || ch >= 0x7f) {
			if (ch == '\t') {
				esc[n++] = '\t';
				continue;
			}
			n += (size_t)snprintf(esc + n, sizeof(esc) - n,
			    "\\x%02x", ch);
		} else
			esc[n++] = (char)ch;
	}
	if (shown < len)
		n += (size_t)snprintf(esc + n, sizeof(esc) - n,
		    "... (%zu bytes)", len);
	if (s->transcript.len + strlen(prefix) + n + 1 > SESSION_TRANSCRIPT_MAX) {
		buf_printf(&s->transcript, "* transcript truncated\n");
		s->transcript_full = 1;
		return;
	}
	buf_append(&s->transcript, prefix, strlen(prefix));
	buf_append(&s->transcript, esc, n);
	buf_append(&s->transcript, "\n", 1);
}

/* session_log_lines - log text split at newlines, CR dropped */
static void
session_log_lines(struct session *s, const char *prefix, const char *data,
    size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		size_t end = i;

		if (end > start && data[end - 1] == '\r')
			end--;
		if (i < len || end > start || len == 0)
			session_log(s, prefix, data + start, end - start);
		start = i + 1;
	}
}

/* session_find_probe - the first ENDPOINT_PROBE_TAG id in data, if any,
 * into s->rec.probe */
static void
session_find_probe(struct session *s, const char *data, size_t len)
{
	size_t tl = strlen(ENDPOINT_PROBE_TAG), n = 0;
	const char *p = memmem(data, len, ENDPOINT_PROBE_TAG, tl);

	if (p == NULL)
		return;
	p += tl;
	while (p + n < data + len && n < sizeof(s->rec.probe) - 1
	    && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		n++;
	memcpy(s->rec.probe, p, n);
	s->rec.probe[n] = 0;
}

/* session_log_in - log what the client sent as "C: " lines */
void
session_log_in(struct session *s, const char *data, size_t len)
{
	if (s->rec.probe[0] == 0)
		session_find_probe(s, data, len);
	session_log_lines(s, "C: ", data, len);
}

/* session_note - log an event as a "* " line */
void
session_note(struct session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	session_log(s, "* ", line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
}

/* ---- the byte stream state machine ---- */

static const char *const session_io_names[] = {
	"plain", "tls-wait", "handshake", "tls", "closing", "closed"
};

/* session_io_set - the one function that changes s->io */
static void
session_io_set(struct session *s, enum session_io io)
{
	if (s->io == io || s->io == SESSION_CLOSED)
		return;
	if (io == SESSION_HANDSHAKE || io == SESSION_CLOSED)
		session_note(s, "%s -> %s", session_io_names[s->io],
		    session_io_names[io]);
	s->io = io;
}

/* session_closed - stop at once; the loop classifies and frees s */
static void
session_closed(struct session *s, const char *reason)
{
	if (s->io == SESSION_CLOSED)
		return;
	if (s->close_reason == NULL)
		s->close_reason = reason;
	session_io_set(s, SESSION_CLOSED);
}

/* session_tls - 1 when TLS is established */
int
session_tls(const struct session *s)
{
	return s->rec.tls_done;
}

/* session_reading - 1 while the protocol should consume input */
int
session_reading(const struct session *s)
{
	return (s->io == SESSION_PLAIN || s->io == SESSION_TLS);
}

/* session_consume - drop the first n bytes of s->in */
void
session_consume(struct session *s, size_t n)
{
	if (n >= s->in_len) {
		s->in_len = 0;
		return;
	}
	memmove(s->in, s->in + n, s->in_len - n);
	s->in_len -= n;
}

/* session_line - the next complete line of input; see session.h */
int
session_line(struct session *s, char **line, size_t *len, size_t *used)
{
	char *nl = memchr(s->in, '\n', s->in_len);
	size_t n;

	if (s->discarding) {
		if (nl == NULL) {
			s->in_len = 0;
			return 0;
		}
		session_consume(s, (size_t)(nl - s->in) + 1);
		s->discarding = 0;
		nl = memchr(s->in, '\n', s->in_len);
	}
	if (nl == NULL) {
		if (s->in_len <= SESSION_LINE_MAX)
			return 0;
		session_log(s, "C: ", s->in, s->in_len);
		session_note(s, "line longer than %d bytes, discarded",
		    SESSION_LINE_MAX);
		s->in_len = 0;
		s->discarding = 1;
		return -1;
	}
	n = (size_t)(nl - s->in);
	if (n > SESSION_LINE_MAX + 1) {	/* allow the CR */
		session_log(s, "C: ", s->in, n);
		session_note(s, "line longer than %d bytes, discarded",
		    SESSION_LINE_MAX);
		session_consume(s, n + 1);
		return -1;
	}
	*used = n + 1;
	if (n > 0 && s->in[n - 1] == '\r')
		n--;
	s->in[n] = '\0';
	*line = s->in;
	*len = n;
	return 1;
}

/* session_reply - queue text to the client, logged as "S: " lines */
void
session_reply(struct session *s, const char *fmt, ...)
{
	char small[1024];
	char *text = small;
	va_list ap;
	int n;

	if (s->io == SESSION_CLOSED || s->io == SESSION_CLOSING)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		text = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	session_log_lines(s, "S: ", text, (size_t)n);
	if (s->out_len + (size_t)n > SESSION_OUT_MAX) {
		session_note(s, "client does not read; output overflow");
		session_closed(s, "output overflow");
	} else {
		memcpy(s->out + s->out_len, text, (size_t)n);
		s->out_len += (size_t)n;
	}
	if (text != small)
		free(text);
}

/* session_starttls - after the queued answer, start the TLS handshake */
void
session_starttls(struct session *s)
{
	if (s->io == SESSION_PLAIN)
		session_io_set(s, SESSION_TLS_WAIT);
}

/* session_close - after the queued answer, close */
void
session_close(struct session *s, const char *reason)
{
	if (s->io == SESSION_CLOSED || s->io == SESSION_CLOSING)
		return;
	s->close_reason = reason;
	session_io_set(s, SESSION_CLOSING);
}

/* session_ssl_error - a short description of the last TLS error */
static void
session_ssl_error(struct session *s, int ret, char *out, size_t len)
{
	int err = SSL_get_error(s->ssl, ret);
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, out, len);
	else if (err == SSL_ERROR_SYSCALL)
		snprintf(out, len, "%s", errno ? strerror(errno) :
		    "unexpected EOF");
	else if (err == SSL_ERROR_ZERO_RETURN)
		snprintf(out, len, "close notify");
	else
		snprintf(out, len, "SSL error %d", err);
	ERR_clear_error();
}

/* session_info_cb - note every alert the client sends */
static void
session_info_cb(const SSL *ssl, int where, int ret)
{
	struct session *s = SSL_get_app_data(ssl);

	if (s == NULL || !(where & SSL_CB_ALERT) || !(where & SSL_CB_READ))
		return;
	session_note(s, "TLS alert received: %s %s",
	    SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
	if ((ret & 0xff) != SSL_AD_CLOSE_NOTIFY && s->rec.alert[0] == '\0')
		snprintf(s->rec.alert, sizeof(s->rec.alert), "%s",
		    SSL_alert_desc_string_long(ret));
}

/* session_verify_any - accept any client certificate; we only record it */
static int
session_verify_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

/* endpoint_alpn_cb - select "xmpp-server" on XMPPS when offered */
static int
endpoint_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char want[] = "xmpp-server";
	struct session *s = SSL_get_app_data(ssl);
	unsigned int i = 0;

	(void)arg;
	if (s == NULL || s->rec.proto != PROTO_XMPPS)
		return SSL_TLSEXT_ERR_NOACK;
	while (i < inlen) {
		unsigned int n = in[i];

		if (n == 0 || i + 1 + n > inlen)
			break;
		if (n == sizeof(want) - 1 && memcmp(in + i + 1, want, n) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* session_record_tls - copy SNI, ALPN, version, client certificate */
static void
session_record_tls(struct session *s)
{
	const char *sni = SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name);
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	X509 *peer;

	if (sni != NULL)
		snprintf(s->rec.sni, sizeof(s->rec.sni), "%s", sni);
	if (!s->rec.tls_done)
		return;
	snprintf(s->rec.tls_version, sizeof(s->rec.tls_version), "%s",
	    SSL_get_version(s->ssl));
	SSL_get0_alpn_selected(s->ssl, &alpn, &alpn_len);
	if (alpn != NULL && alpn_len > 0 && alpn_len < sizeof(s->rec.alpn)) {
		memcpy(s->rec.alpn, alpn, alpn_len);
		s->rec.alpn[alpn_len] = '\0';
	}
	peer = SSL_get0_peer_certificate(s->ssl);
	if (peer != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer),
		    s->rec.client_cert, sizeof(s->rec.client_cert));
		session_note(s, "client certificate: %s", s->rec.client_cert);
	}
	session_note(s, "TLS done: %s %s sni=%s alpn=%s", s->rec.tls_version,
	    SSL_get_cipher_name(s->ssl), s->rec.sni[0] ? s->rec.sni : "-",
	    s->rec.alpn[0] ? s->rec.alpn : "-");
}

/* session_handshake - start or continue SSL_accept */
static void
session_handshake(struct session *s)
{
	char why[256];
	int ret, err;

	if (s->ssl == NULL) {
		if (s->ctx == NULL) {
			session_note(s, "no TLS context");
			session_closed(s, "no TLS context");
			return;
		}
		s->ssl = SSL_new(s->ctx);
		if (s->ssl == NULL || !SSL_set_fd(s->ssl, s->fd)) {
			ERR_clear_error();
			session_closed(s, "SSL_new failed");
			return;
		}
		SSL_set_app_data(s->ssl, s);
		SSL_set_info_callback(s->ssl, session_info_cb);
		SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		if (s->flags & ENDPOINT_CLIENT_CERT)
			SSL_set_verify(s->ssl, SSL_VERIFY_PEER,
			    session_verify_any);
		s->tls_started = 1;
		session_io_set(s, SESSION_HANDSHAKE);
	}
	ERR_clear_error();
	ret = SSL_accept(s->ssl);
	if (ret == 1) {
		s->ssl_want_write = 0;
		s->rec.tls_done = 1;
		session_record_tls(s);
		session_io_set(s, SESSION_TLS);
		s->proto->tls_up(s);
		return;
	}
	err = SSL_get_error(s->ssl, ret);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		s->ssl_want_write = err == SSL_ERROR_WANT_WRITE;
		return;
	}
	session_ssl_error(s, ret, why, sizeof(why));
	s->rec.tls_failed = 1;
	session_record_tls(s);
	session_note(s, "TLS handshake failed: %s", why);
	session_closed(s, "TLS handshake failed");
}

/* session_flush - write what is pending; 0 when all is out */
static void
session_flush(struct session *s)
{
	char why[256];

	while (s->out_len > 0 && s->io != SESSION_CLOSED) {
		ssize_t n;

		if (s->ssl != NULL && s->rec.tls_done) {
			int ret;

			ERR_clear_error();
			ret = SSL_write(s->ssl, s->out, (int)s->out_len);
			if (ret <= 0) {
				int err = SSL_get_error(s->ssl, ret);

				if (err == SSL_ERROR_WANT_WRITE) {
					s->ssl_want_write = 1;
					return;
				}
				if (err == SSL_ERROR_WANT_READ)
					return;
				session_ssl_error(s, ret, why, sizeof(why));
				session_note(s, "TLS write failed: %s", why);
				session_closed(s, "write failed");
				return;
			}
			s->ssl_want_write = 0;
			n = ret;
		} else {
			n = send(s->fd, s->out, s->out_len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR)
					return;
				session_note(s, "write failed: %s",
				    strerror(errno));
				session_closed(s, "write failed");
				return;
			}
		}
		memmove(s->out, s->out + n, s->out_len - (size_t)n);
		s->out_len -= (size_t)n;
	}
}

/* session_after_input - drop input the protocol may not see any more */
static void
session_after_input(struct session *s)
{
	if (s->in_len == 0)
		return;
	if (s->io == SESSION_TLS_WAIT) {
		session_note(s, "discarded %zu bytes sent before the handshake",
		    s->in_len);
		s->in_len = 0;
	} else if (!session_reading(s)) {
		s->in_len = 0;
	} else if (s->in_len == sizeof(s->in)) {
		session_note(s, "input buffer full");
		session_closed(s, "input buffer full");
	}
}

/* session_read - read what is there and let the protocol consume it */
static void
session_read(struct session *s)
{
	char why[256];

	for (int round = 0; round < ENDPOINT_READ_BURST; round++) {
		size_t room = sizeof(s->in) - s->in_len;
		ssize_t n;

		if (!session_reading(s) || room == 0)
			return;
		if (s->io == SESSION_TLS) {
			int ret, err;

			ERR_clear_error();
			ret = SSL_read(s->ssl, s->in + s->in_len, (int)room);
			if (ret <= 0) {
				err = SSL_get_error(s->ssl, ret);
				if (err == SSL_ERROR_WANT_READ)
					return;
				if (err == SSL_ERROR_WANT_WRITE) {
					s->ssl_want_write = 1;
					return;
				}
				if (err == SSL_ERROR_ZERO_RETURN) {
					session_closed(s, "closed by client "
					    "(close notify)");
					return;
				}
				session_ssl_error(s, ret, why, sizeof(why));
				session_note(s, "TLS read failed: %s", why);
				session_closed(s, "closed by client");
				return;
			}
			n = ret;
		} else {
			n = recv(s->fd, s->in + s->in_len, room, 0);
			if (n == 0) {
				session_closed(s, "closed by client");
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR)
					return;
				session_note(s, "read failed: %s",
				    strerror(errno));
				session_closed(s, "connection lost");
				return;
			}
		}
		s->in_len += (size_t)n;
		s->active_ms = clock_ms();
		s->proto->input(s);
		session_after_input(s);
	}
}

/* session_pump - move the stream on as far as it goes without waiting */
static void
session_pump(struct session *s)
{
	for (int round = 0; round < 4; round++) {
		enum session_io before = s->io;

		if (s->out_len > 0)
			session_flush(s);
		if (s->out_len > 0 || s->io == SESSION_CLOSED)
			return;
		if (s->io == SESSION_TLS_WAIT)
			session_handshake(s);
		else if (s->io == SESSION_CLOSING) {
			s->polite = 1;
			session_closed(s, s->close_reason);
		}
		if (s->io == before)
			return;
	}
}

/* session_events - what to poll for */
static short
session_events(const struct session *s)
{
	short ev = 0;

	switch (s->io) {
	case SESSION_HANDSHAKE:
		return s->ssl_want_write ? POLLOUT : POLLIN;
	case SESSION_PLAIN:
	case SESSION_TLS:
		if (s->out_len < SESSION_OUT_MAX / 2)
			ev |= POLLIN;
		break;
	default:
		break;
	}
	if (s->out_len > 0 || s->ssl_want_write)
		ev |= POLLOUT;
	return ev;
}

/* session_service - handle poll results for one connection */
static void
session_service(struct session *s, short revents)
{
	if (revents)
		s->active_ms = clock_ms();
	if (s->io == SESSION_HANDSHAKE) {
		session_handshake(s);
		session_pump(s);
		return;
	}
	session_pump(s);
	if (s->ssl_want_write && (revents & POLLOUT)) {
		s->ssl_want_write = 0;	/* SSL_read wanted to write: retry */
		revents |= POLLIN;
	}
	if (session_reading(s) && s->out_len < SESSION_OUT_MAX / 2 &&
	    ((revents & (POLLIN | POLLHUP | POLLERR)) ||
	    (s->ssl != NULL && SSL_has_pending(s->ssl)))) {
		session_read(s);
		session_pump(s);
	} else if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLIN)) {
		session_closed(s, "connection lost");
	}
}

/* ---- connections ---- */

/* session_new - a connection accepted on listener l */
static struct session *
session_new(struct endpoint_set *set, const struct endpoint_listener *l,
    int fd)
{
	struct session *s = xcalloc(1, sizeof(*s));

	snprintf(s->rec.tag, sizeof(s->rec.tag), "%s", l->tag);
	snprintf(s->rec.addr, sizeof(s->rec.addr), "%s", l->addr);
	s->rec.port = l->port;
	s->rec.proto = l->proto;
	s->rec.outcome = OUTCOME_REFUSED;
	s->proto = endpoint_protos[l->proto];
	s->flags = l->flags;
	s->ctx = l->ctx;
	s->fd = fd;
	s->io = SESSION_PLAIN;
	s->out = xmalloc(SESSION_OUT_MAX);
	s->born_ms = s->active_ms = clock_ms();
	s->rec.opened_ms = s->born_ms;
	s->rec.seq = ++set->accepted;
	return s;
}

/*
 * endpoint_keep - store a finished record (takes over its transcript),
 * then count the session closed on listener l (NULL: it was never
 * counted), so a quiesced prefix always finds its records.
 */
static void
endpoint_keep(struct endpoint_set *set, struct endpoint_conn *rec,
    struct endpoint_listener *l)
{
	pthread_mutex_lock(&set->lock);
	if (set->ndone >= ENDPOINT_MAX_DONE) {
		if (!set->warned_done)
			msg_warn("endpoint: %d connection records not taken; "
			    "dropping more", ENDPOINT_MAX_DONE);
		set->warned_done = 1;
		free(rec->transcript);
	} else {
		if (set->ndone == set->done_cap) {
			set->done_cap = set->done_cap ? set->done_cap * 2 : 64;
			set->done = xrealloc(set->done,
			    set->done_cap * sizeof(*set->done));
		}
		set->done[set->ndone++] = *rec;
	}
	if (l != NULL) {
		l->active--;
		l->group->active--;
		if (l->active == 0 || l->group->active == 0)
			pthread_cond_broadcast(&set->closed);
	}
	pthread_mutex_unlock(&set->lock);
}

/* session_finish - close, classify, keep the record, free s */
static void
session_finish(struct endpoint_set *set, struct session *s)
{
	if (s->in_len > 0) {
		session_note(s, "unfinished input:");
		session_log(s, "C: ", s->in, s->in_len);
	}
	session_note(s, "closed: %s", s->close_reason ? s->close_reason :
	    "closed");
	if (s->ssl != NULL) {
		if (s->rec.tls_done && s->polite)
			(void)SSL_shutdown(s->ssl);
		ERR_clear_error();
		SSL_free(s->ssl);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->rec.closed_ms = clock_ms();
	s->rec.outcome = endpoint_classify(&s->rec);
	s->rec.transcript = s->transcript.data ? s->transcript.data :
	    xstrdup("");
	endpoint_keep(set, &s->rec, s->listener);
	free(s->out);
	free(s);
}

/* endpoint_refuse - record a connection turned away at the limit */
static void
endpoint_refuse(struct endpoint_set *set, const struct endpoint_listener *l,
    int fd)
{
	struct session *s = session_new(set, l, fd);

	if (!set->warned_full)
		msg_warn("endpoint %s: %zu connections open; refusing more",
		    l->tag, set->max_conns);
	set->warned_full = 1;
	session_note(s, "refused: connection limit %zu", set->max_conns);
	s->close_reason = "connection limit";
	session_finish(set, s);
}

/* endpoint_poll_to_epoll - session_events() in epoll's terms */
static uint32_t
endpoint_poll_to_epoll(short ev)
{
	return ((ev & POLLIN) ? EPOLLIN : 0) | ((ev & POLLOUT) ? EPOLLOUT : 0);
}

/* endpoint_epoll_to_poll - epoll's events in session_service()'s terms */
static short
endpoint_epoll_to_poll(uint32_t ev)
{
	return (short)(((ev & EPOLLIN) ? POLLIN : 0) |
	    ((ev & EPOLLOUT) ? POLLOUT : 0) | ((ev & EPOLLHUP) ? POLLHUP : 0) |
	    ((ev & EPOLLERR) ? POLLERR : 0));
}

/* endpoint_watch - register s, or change its events; 0 or -1 */
static int
endpoint_watch(struct endpoint_set *set, struct session *s)
{
	struct epoll_event ev = { .events =
	    endpoint_poll_to_epoll(session_events(s)), .data.ptr = s };

	if (s->watched && ev.events == s->watch_events)
		return 0;
	if (epoll_ctl(set->epfd, s->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    s->fd, &ev) < 0) {
		session_note(s, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	s->watched = 1;
	s->watch_events = ev.events;
	return 0;
}

/* endpoint_drop - take a closed s out of the loop and finish it */
static void
endpoint_drop(struct endpoint_set *set, struct session *s)
{
	struct session *last = set->conns[--set->nconns];

	if (s->watched)
		(void)epoll_ctl(set->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	set->conns[s->slot] = last;
	last->slot = s->slot;
	session_finish(set, s);
}

/* session_pending - 1 when TLS holds input the fd will not announce */
static int
session_pending(const struct session *s)
{
	return s->ssl != NULL && s->io == SESSION_TLS &&
	    s->out_len < SESSION_OUT_MAX / 2 && SSL_has_pending(s->ssl);
}

/* The loop's scratch space: what one pass saw and serviced. */
struct endpoint_pass {
	long id;
	struct epoll_event *ev;		/* max_conns + 2 */
	struct epoll_event *lev;	/* one per listener */
	size_t lev_cap;
	struct session **touched;	/* serviced this pass, max_conns */
	size_t ntouched;
	struct session **pending;	/* TLS input buffered, max_conns */
	size_t npending;
};

/* endpoint_accept - accept what is waiting on l */
static void
endpoint_accept(struct endpoint_set *set, struct endpoint_listener *l,
    struct endpoint_pass *p)
{
	for (int i = 0; i < ENDPOINT_ACCEPT_BURST; i++) {
		struct session *s;
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				msg_warn("endpoint %s: accept: %s", l->tag,
				    strerror(errno));
				set->accept_pause_until = clock_ms() +
				    ENDPOINT_PAUSE_MS;
			}
			return;	/* EAGAIN, ECONNABORTED, ... */
		}
		if (set->nconns >= set->max_conns) {
			endpoint_refuse(set, l, fd);
			continue;
		}
		/* SMTP's multi-line replies, XMPP's header and features:
		 * a TLS record each */
		netio_nodelay(fd);
		set->warned_full = 0;
		s = session_new(set, l, fd);
		pthread_mutex_lock(&set->lock);
		l->active++;
		l->group->active++;
		pthread_mutex_unlock(&set->lock);
		s->listener = l;
		session_note(s, "connected to %s %s:%d", l->tag, l->addr,
		    l->port);
		s->slot = set->nconns;
		set->conns[set->nconns++] = s;
		s->pass = p->id;
		p->touched[p->ntouched++] = s;
		if (s->proto->tls_on_connect)
			session_io_set(s, SESSION_TLS_WAIT);
		else
			s->proto->start(s);
		session_pump(s);
	}
}

/* endpoint_accept_ready - accept on every listener that is ready */
static void
endpoint_accept_ready(struct endpoint_set *set, struct endpoint_pass *p)
{
	size_t nl;
	int n;

	pthread_mutex_lock(&set->lock);
	nl = set->nlisteners;
	pthread_mutex_unlock(&set->lock);
	if (nl == 0)
		return;
	if (p->lev_cap < nl) {
		p->lev_cap = nl;
		p->lev = xrealloc(p->lev, nl * sizeof(*p->lev));
	}
	n = epoll_wait(set->lepfd, p->lev, (int)nl, 0);
	for (int i = 0; i < n; i++) {
		if (clock_ms() < set->accept_pause_until)
			break;
		endpoint_accept(set, p->lev[i].data.ptr, p);
	}
}

/* endpoint_listening - watch the listeners, or pause accepting */
static void
endpoint_listening(struct endpoint_set *set, int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
	    .data.ptr = &set->lepfd };

	if (set->listening == on)
		return;
	if (epoll_ctl(set->epfd, EPOLL_CTL_MOD, set->lepfd, &ev) < 0)
		msg_warn("endpoint: epoll_ctl: %s", strerror(errno));
	else
		set->listening = on;
}

/* endpoint_deadline - close s if a deadline passed */
static void
endpoint_deadline(struct endpoint_set *set, struct session *s, long long now)
{
	if (s->io == SESSION_CLOSED)
		return;
	if (now - s->born_ms >= set->total_ms) {
		session_note(s, "total deadline (%lld ms) passed",
		    (long long)set->total_ms);
		session_closed(s, "total deadline");
	} else if (now - s->active_ms >= set->idle_ms) {
		session_note(s, "idle deadline (%lld ms) passed",
		    (long long)set->idle_ms);
		session_closed(s, "idle deadline");
	}
}

/* endpoint_timeout - how long the next epoll_wait may wait, ms */
static int
endpoint_timeout(struct endpoint_set *set, const struct endpoint_pass *p,
    long long now, long long next_sweep)
{
	long long t = next_sweep - now;

	if (p->npending > 0 || p->id < atomic_load(&set->pass_wanted))
		return 0;
	if (!set->listening && set->accept_pause_until - now < t)
		t = set->accept_pause_until - now;
	return t < 0 ? 0 : t > ENDPOINT_SWEEP_MS ? ENDPOINT_SWEEP_MS : (int)t;
}

/* endpoint_settle - after a pass: finish closed sessions, rewatch the rest */
static void
endpoint_settle(struct endpoint_set *set, struct endpoint_pass *p)
{
	p->npending = 0;
	for (size_t i = 0; i < p->ntouched; i++) {
		struct session *s = p->touched[i];

		if (s->io != SESSION_CLOSED && endpoint_watch(set, s) < 0)
			session_closed(s, "epoll_ctl failed");
		if (s->io == SESSION_CLOSED)
			endpoint_drop(set, s);
		else if (session_pending(s))
			p->pending[p->npending++] = s;
	}
	p->ntouched = 0;
}

/*
 * endpoint_loop - the event loop thread.  One pass: wait for what is
 * ready, service it and every session whose TLS buffers hold input,
 * accept on ready listeners; every ENDPOINT_SWEEP_MS check every
 * session's deadlines; then finish what closed and rewatch the rest.
 */
static void *
endpoint_loop(void *arg)
{
	struct endpoint_set *set = arg;
	struct endpoint_pass p = { 0 };
	size_t nev = set->max_conns + 2;
	long long next_sweep = clock_ms() + ENDPOINT_SWEEP_MS;

	p.ev = xcalloc(nev, sizeof(*p.ev));
	p.touched = xcalloc(set->max_conns, sizeof(*p.touched));
	p.pending = xcalloc(set->max_conns, sizeof(*p.pending));
	pthread_mutex_lock(&set->lock);
	p.id = set->pass;
	pthread_mutex_unlock(&set->lock);
	while (!atomic_load(&set->stop)) {
		long long now = clock_ms();
		int n;

		endpoint_listening(set, now >= set->accept_pause_until);
		n = epoll_wait(set->epfd, p.ev, (int)nev,
		    endpoint_timeout(set, &p, now, next_sweep));
		if (n < 0) {
			if (errno != EINTR) {
				msg_warn("endpoint: epoll_wait: %s",
				    strerror(errno));
				break;
			}
			n = 0;
		}
		p.id++;
		for (int i = 0; i < n; i++) {
			void *ptr = p.ev[i].data.ptr;
			struct session *s = ptr;

			if (ptr == &set->wake) {
				char junk[64];

				while (read(set->wake[0], junk, sizeof(junk)) > 0)
					;
			} else if (ptr == &set->lepfd) {
				endpoint_accept_ready(set, &p);
			} else {
				session_service(s,
				    endpoint_epoll_to_poll(p.ev[i].events));
				s->pass = p.id;
				p.touched[p.ntouched++] = s;
			}
		}
		for (size_t i = 0; i < p.npending; i++) {
			struct session *s = p.pending[i];

			if (s->pass == p.id)
				continue;
			session_service(s, 0);
			s->pass = p.id;
			p.touched[p.ntouched++] = s;
		}
		now = clock_ms();
		if (now >= next_sweep) {
			for (size_t i = 0; i < set->nconns; i++)
				endpoint_deadline(set, set->conns[i], now);
			memcpy(p.touched, set->conns,
			    set->nconns * sizeof(*set->conns));
			p.ntouched = set->nconns;
			next_sweep = now + ENDPOINT_SWEEP_MS;
		}
		endpoint_settle(set, &p);
		pthread_mutex_lock(&set->lock);
		set->pass = p.id;
		if (p.id <= atomic_load(&set->pass_wanted))
			pthread_cond_broadcast(&set->passed);
		pthread_mutex_unlock(&set->lock);
	}
	while (set->nconns > 0) {
		struct session *s = set->conns[set->nconns - 1];

		session_closed(s, "endpoint stopped");
		endpoint_drop(set, s);
	}
	pthread_mutex_lock(&set->lock);
	set->looping = 0;
	pthread_cond_broadcast(&set->passed);
	pthread_mutex_unlock(&set->lock);
	free(p.ev);
	free(p.lev);
	free(p.touched);
	free(p.pending);
	return NULL;
}

/* ---- the set ---- */

/* endpoint_set_new - an empty set; raises the open file limit */
struct endpoint_set *
endpoint_set_new(void)
{
	struct endpoint_set *set = xcalloc(1, sizeof(*set));
	struct epoll_event wev = { .events = EPOLLIN, .data.ptr = &set->wake };
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &set->lepfd };
	pthread_condattr_t ca;
	struct rlimit rl;

	set->wake[0] = set->wake[1] = set->epfd = set->lepfd = -1;
	if (pipe2(set->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		msg_warn("endpoint: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((set->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (set->lepfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(set->epfd, EPOLL_CTL_ADD, set->wake[0], &wev) < 0 ||
	    epoll_ctl(set->epfd, EPOLL_CTL_ADD, set->lepfd, &lev) < 0) {
		msg_warn("endpoint: epoll: %s", strerror(errno));
		goto fail;
	}
	set->listening = 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			msg_warn("endpoint: raising the open file limit: %s",
			    strerror(errno));
	}
	pthread_mutex_init(&set->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&set->passed, &ca);
	pthread_cond_init(&set->closed, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&set->stop, 0);
	atomic_init(&set->pass_wanted, 0);
	set->max_conns = ENDPOINT_MAX_CONNS;
	set->conns = xcalloc(set->max_conns, sizeof(*set->conns));
	set->idle_ms = ENDPOINT_IDLE_MS;
	set->total_ms = ENDPOINT_TOTAL_MS;
	return set;

fail:
	for (int i = 0; i < 2; i++)
		if (set->wake[i] >= 0)
			close(set->wake[i]);
	if (set->epfd >= 0)
		close(set->epfd);
	if (set->lepfd >= 0)
		close(set->lepfd);
	free(set);
	return NULL;
}

/* endpoint_set_free - stop, close and free everything; returns NULL */
struct endpoint_set *
endpoint_set_free(struct endpoint_set *set)
{
	if (set == NULL)
		return NULL;
	endpoint_stop(set);
	for (size_t i = 0; i < set->nlisteners; i++) {
		struct endpoint_listener *l = set->listeners[i];

		if (l->fd >= 0)
			close(l->fd);
		SSL_CTX_free(l->ctx);
		free(l->tag);
		free(l->addr);
		free(l);
	}
	free(set->listeners);
	for (size_t i = 0; i < set->groups_cap; i++) {
		struct endpoint_group *g = set->groups[i], *next;

		for (; g != NULL; g = next) {
			next = g->next;
			free(g->key);
			free(g);
		}
	}
	free(set->groups);
	for (size_t i = 0; i < set->ndone; i++)
		free(set->done[i].transcript);
	free(set->done);
	free(set->conns);
	close(set->wake[0]);
	close(set->wake[1]);
	close(set->epfd);
	close(set->lepfd);
	pthread_cond_destroy(&set->passed);
	pthread_cond_destroy(&set->closed);
	pthread_mutex_destroy(&set->lock);
	free(set);
	return NULL;
}

/* endpoint_set_deadlines - idle and total deadline per connection, ms */
void
endpoint_set_deadlines(struct endpoint_set *set, int idle_ms, int total_ms)
{
	if (idle_ms > 0)
		set->idle_ms = idle_ms;
	if (total_ms > 0)
		set->total_ms = total_ms;
}

/* endpoint_set_max_conns - connection limit (before endpoint_start) */
void
endpoint_set_max_conns(struct endpoint_set *set, size_t n)
{
	if (set->running || n == 0)
		return;
	set->max_conns = n;
	set->conns = xrealloc(set->conns, n * sizeof(*set->conns));
}

/* endpoint_last_port - the port the last endpoint_listen bound */
int
endpoint_last_port(const struct endpoint_set *set)
{
	return set->last_port;
}

/* endpoint_wake - make the loop look at its listeners again */
static void
endpoint_wake(struct endpoint_set *set)
{
	ssize_t n = write(set->wake[1], "x", 1);

	(void)n;
}

/* endpoint_group_len - the length of tag's group key: to the first '/' */
static size_t
endpoint_group_len(const char *tag, size_t len)
{
	const char *slash = memchr(tag, '/', len);

	return slash != NULL ? (size_t)(slash - tag) + 1 : len;
}

/* endpoint_group_hash - FNV-1a of a group key */
static size_t
endpoint_group_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

/* endpoint_group_find - the group of key, or NULL; under the lock */
static struct endpoint_group *
endpoint_group_find(const struct endpoint_set *set, const char *key,
    size_t len)
{
	struct endpoint_group *g;

	if (set->groups_cap == 0)
		return NULL;
	g = set->groups[endpoint_group_hash(key, len) & (set->groups_cap - 1)];
	for (; g != NULL; g = g->next)
		if (g->len == len && memcmp(g->key, key, len) == 0)
			return g;
	return NULL;
}

/* endpoint_group_get - the group of tag, made if new; under the lock */
static struct endpoint_group *
endpoint_group_get(struct endpoint_set *set, const char *tag)
{
	size_t len = endpoint_group_len(tag, strlen(tag));
	struct endpoint_group *g = endpoint_group_find(set, tag, len);

	if (g != NULL)
		return g;
	if (set->ngroups >= set->groups_cap / 2) {
		size_t cap = set->groups_cap ? set->groups_cap * 2 : 64;
		struct endpoint_group **t = xcalloc(cap, sizeof(*t));

		for (size_t i = 0; i < set->groups_cap; i++) {
			struct endpoint_group *next;

			for (g = set->groups[i]; g != NULL; g = next) {
				size_t b = endpoint_group_hash(g->key, g->len)
				    & (cap - 1);

				next = g->next;
				g->next = t[b];
				t[b] = g;
			}
		}
		free(set->groups);
		set->groups = t;
		set->groups_cap = cap;
	}
	g = xcalloc(1, sizeof(*g));
	g->key = xstrndup(tag, len);
	g->len = len;
	g->next = set->groups[endpoint_group_hash(tag, len) &
	    (set->groups_cap - 1)];
	set->groups[endpoint_group_hash(tag, len) & (set->groups_cap - 1)] = g;
	set->ngroups++;
	return g;
}

/* endpoint_listen - bind and listen; see endpoint.h */
int
endpoint_listen(struct endpoint_set *set, const struct endpoint_spec *spec)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct endpoint_listener *l;
	const char *tag = spec->tag ? spec->tag : "";
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = -1, one = 1, family, is_tls;

	memset(&ss, 0, sizeof(ss));
	if (spec->addr == NULL || spec->port < 0 || spec->port > 65535 ||
	    (unsigned)spec->proto > PROTO_XMPPS) {
		msg_warn("endpoint %s: bad address, port or protocol", tag);
		return -1;
	}
	if (strlen(tag) >= sizeof(((struct endpoint_conn *)0)->tag) ||
	    strlen(spec->addr) >= sizeof(((struct endpoint_conn *)0)->addr)) {
		msg_warn("endpoint %s: tag or address too long", tag);
		return -1;
	}
	is_tls = endpoint_protos[spec->proto]->tls_on_connect ||
	    !(spec->flags & ENDPOINT_NO_STARTTLS);
	if (is_tls && spec->ctx == NULL) {
		msg_warn("endpoint %s: %s on %s:%d needs a TLS context", tag,
		    proto_name(spec->proto), spec->addr, spec->port);
		return -1;
	}
	if (inet_pton(AF_INET, spec->addr,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)spec->port);
		sslen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, spec->addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)spec->port);
		sslen = sizeof(struct sockaddr_in6);
	} else {
		msg_warn("endpoint %s: not an IP address: %s", tag, spec->addr);
		return -1;
	}
	ss.ss_family = (sa_family_t)family;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		msg_warn("endpoint %s: socket for %s:%d: %s", tag, spec->addr,
		    spec->port, strerror(errno));
		goto fail;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 128) < 0) {
		msg_warn(family == AF_INET6 ?
		    "endpoint %s: cannot listen on [%s]:%d: %s" :
		    "endpoint %s: cannot listen on %s:%d: %s", tag, spec->addr,
		    spec->port, strerror(errno));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		msg_warn("endpoint %s: getsockname: %s", tag, strerror(errno));
		goto fail;
	}
	l = xcalloc(1, sizeof(*l));
	l->tag = xstrdup(tag);
	l->addr = xstrdup(spec->addr);
	l->port = ntohs(family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	l->proto = spec->proto;
	l->flags = spec->flags;
	l->fd = fd;
	if (spec->ctx != NULL) {
		SSL_CTX_up_ref(spec->ctx);
		l->ctx = spec->ctx;
		SSL_CTX_set_alpn_select_cb(l->ctx, endpoint_alpn_cb, NULL);
	}
	/* Watched at once: a running loop sees it on its next pass. */
	pthread_mutex_lock(&set->lock);
	l->group = endpoint_group_get(set, l->tag);
	ev.data.ptr = l;
	if (epoll_ctl(set->lepfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		pthread_mutex_unlock(&set->lock);
		msg_warn("endpoint %s: epoll_ctl for %s:%d: %s", tag,
		    spec->addr, spec->port, strerror(errno));
		SSL_CTX_free(l->ctx);
		free(l->tag);
		free(l->addr);
		free(l);
		goto fail;
	}
	if (set->nlisteners == set->listeners_cap) {
		set->listeners_cap = set->listeners_cap ?
		    set->listeners_cap * 2 : 64;
		set->listeners = xrealloc(set->listeners,
		    set->listeners_cap * sizeof(*set->listeners));
	}
	set->listeners[set->nlisteners++] = l;
	set->last_port = l->port;
	pthread_mutex_unlock(&set->lock);
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* endpoint_start - serve every listener in one thread */
int
endpoint_start(struct endpoint_set *set)
{
	sigset_t all, old;
	int err;

	if (set->running)
		return 0;
	atomic_store(&set->stop, 0);
	pthread_mutex_lock(&set->lock);
	set->looping = 1;
	pthread_mutex_unlock(&set->lock);
	/* The loop thread takes no signals: SIGPIPE stays harmless there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&set->thread, NULL, endpoint_loop, set);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		msg_warn("endpoint: cannot start the event loop: %s",
		    strerror(err));
		pthread_mutex_lock(&set->lock);
		set->looping = 0;
		pthread_mutex_unlock(&set->lock);
		return -1;
	}
	set->running = 1;
	return 0;
}

/* endpoint_stop - stop the thread, close every socket; idempotent */
void
endpoint_stop(struct endpoint_set *set)
{
	if (set->running) {
		atomic_store(&set->stop, 1);
		endpoint_wake(set);
		pthread_join(set->thread, NULL);
		set->running = 0;
	}
	pthread_mutex_lock(&set->lock);
	for (size_t i = 0; i < set->nlisteners; i++) {
		if (set->listeners[i]->fd >= 0)
			close(set->listeners[i]->fd);
		set->listeners[i]->fd = -1;
	}
	pthread_mutex_unlock(&set->lock);
}

/* endpoint_take - move finished connections matching prefix to *out */
void
endpoint_take(struct endpoint_set *set, const char *prefix,
    struct endpoint_conn **out, size_t *n)
{
	size_t plen = prefix ? strlen(prefix) : 0, count = 0, j = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&set->lock);
	for (size_t i = 0; i < set->ndone; i++)
		if (strncmp(set->done[i].tag, prefix ? prefix : "", plen) == 0)
			count++;
	if (count > 0) {
		*out = xcalloc(count, sizeof(**out));
		for (size_t i = 0; i < set->ndone; i++) {
			if (strncmp(set->done[i].tag, prefix ? prefix : "",
			    plen) == 0)
				(*out)[(*n)++] = set->done[i];
			else
				set->done[j++] = set->done[i];
		}
		set->ndone = j;
	}
	pthread_mutex_unlock(&set->lock);
}

/* endpoint_conns_free - free what endpoint_take handed over */
void
endpoint_conns_free(struct endpoint_conn *c, size_t n)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(c[i].transcript);
	free(c);
}



/* endpoint_active - open sessions of prefix; under the lock */
static int
endpoint_active(const struct endpoint_set *set, const char *prefix)
{
	size_t plen = strlen(prefix);
	const struct endpoint_group *g;
	int active = 0;

	/* "scenario-id/" is a group key: its listeners are exactly those. */
	if (plen > 0 && endpoint_group_len(prefix, plen) == plen &&
	    prefix[plen - 1] == '/') {
		g = endpoint_group_find(set, prefix, plen);
		return g != NULL ? g->active : 0;
	}
	for (size_t i = 0; i < set->nlisteners; i++)
		if (strncmp(set->listeners[i]->tag, prefix, plen) == 0)
			active += set->listeners[i]->active;
	return active;
}

/* endpoint_quiesce - two whole loop passes, then no session open */
int
endpoint_quiesce(struct endpoint_set *set, const char *prefix, int timeout_ms)
{
	struct timespec end;
	long target;
	int ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&set->lock);
	if (!set->looping)
		goto out;
	/* Two whole loop passes: anything waiting in a backlog is accepted. */
	target = set->pass + 2;
	if (atomic_load(&set->pass_wanted) < target)
		atomic_store(&set->pass_wanted, target);
	endpoint_wake(set);
	while (set->pass < target) {
		if (!set->looping)
			goto out;
		if (pthread_cond_timedwait(&set->passed, &set->lock,
		    &end) == ETIMEDOUT && set->pass < target)
			goto out;
	}
	while (endpoint_active(set, prefix) > 0)
		if (pthread_cond_timedwait(&set->closed, &set->lock,
		    &end) == ETIMEDOUT && endpoint_active(set, prefix) > 0)
			goto out;
	ret = 0;

out:
	pthread_mutex_unlock(&set->lock);
	return ret;
}
