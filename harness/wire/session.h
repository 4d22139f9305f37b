/*
 * session.h - internal to the endpoint module: one client connection as
 * the event loop (endpoint.c) and the protocol sessions (smtp.c, xmpp.c)
 * share it, and the table of functions each protocol provides.
 *
 * endpoint.c owns the socket, the TLS object, the buffers and the
 * deadlines; a protocol only looks at the input buffer, consumes what it
 * understood, and answers with session_reply().  Nothing here is exported
 * beyond the endpoint module.
 */
#ifndef DANELAB_SESSION_H
#define DANELAB_SESSION_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "endpoint.h"
#include "mem.h"

#define SESSION_IN_MAX		16384	/* input buffer; one line or element */
#define SESSION_OUT_MAX		65536	/* pending output before we give up */
#define SESSION_TRANSCRIPT_MAX	65536	/* transcript bytes kept */
#define SESSION_LINE_MAX	1000	/* SMTP line limit, RFC 5321 4.5.3.1.6 */

/* Where the connection's byte stream is. */
enum session_io {
	SESSION_PLAIN,		/* cleartext */
	SESSION_TLS_WAIT,	/* STARTTLS accepted; flushing the answer */
	SESSION_HANDSHAKE,	/* SSL_accept in progress */
	SESSION_TLS,		/* TLS established */
	SESSION_CLOSING,	/* flushing output, then close */
	SESSION_CLOSED		/* done; to be classified */
};

struct session;
struct endpoint_listener;	/* endpoint.c */

/* One protocol: OpenSMTPD style table of what it does differently. */
struct session_proto {
	const char *name;
	int tls_on_connect;		/* SMTPS, XMPPS */
	/* start - the connection is open (or TLS is up, for TLS on connect) */
	void (*start)(struct session *s);
	/* input - consume what it can of s->in; called after every read */
	void (*input)(struct session *s);
	/* tls_up - the handshake completed (after STARTTLS or on connect) */
	void (*tls_up)(struct session *s);
};

extern const struct session_proto smtp_proto;	/* smtp.c */
extern const struct session_proto smtps_proto;
extern const struct session_proto xmpp_proto;	/* xmpp.c */
extern const struct session_proto xmpps_proto;

/* One connection. */
struct session {
	struct endpoint_conn rec;	/* what is recorded; transcript below */
	struct buf transcript;
	int transcript_full;
	const struct session_proto *proto;
	unsigned flags;			/* ENDPOINT_* of the listener */
	SSL_CTX *ctx;			/* borrowed from the listener */
	struct endpoint_listener *listener; /* counts it open; NULL if refused */
	int fd;
	SSL *ssl;
	enum session_io io;
	int ssl_want_write;		/* last SSL call wants POLLOUT */
	int tls_started;		/* a handshake began */
	char in[SESSION_IN_MAX];
	size_t in_len;
	int discarding;			/* inside an overlong line */
	char *out;			/* pending output, SESSION_OUT_MAX */
	size_t out_len;
	long long born_ms, active_ms;	/* monotonic times */
	const char *close_reason;	/* static string */
	int polite;			/* we closed: send close notify */
	/* Protocol state, owned by smtp.c / xmpp.c. */
	int state;
	int commands;			/* commands or elements seen */
	int errors;
	size_t data_bytes;
	int data_lines;
	int data_too_big;
	char peer_name[256];		/* 'to' of the XMPP stream, sanitized */
	/* Event loop bookkeeping, owned by endpoint.c. */
	size_t slot;			/* index in the set's connections */
	int watched;			/* registered with epoll */
	unsigned watch_events;		/* the epoll events registered */
	long pass;			/* loop pass that last serviced it */
};

/*
 * session_line - the next complete line of s->in, without CR LF, NUL
 * terminated in place; *len its length.  Returns 1 (a line: consume with
 * session_consume(s, *used)), 0 (need more input), or -1 once per line
 * longer than SESSION_LINE_MAX (already discarded; the rest of that
 * line is skipped silently as it arrives).
 */
int session_line(struct session *s, char **line, size_t *len, size_t *used);

/* session_consume - drop the first n bytes of s->in */
void session_consume(struct session *s, size_t n);

/* session_reply - queue text to the client, logged as "S: " lines */
void session_reply(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* session_log_in - log what the client sent as "C: " lines, bounded */
void session_log_in(struct session *s, const char *data, size_t len);

/* session_note - log an event as a "* " line */
void session_note(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* session_starttls - after the queued answer, start the TLS handshake */
void session_starttls(struct session *s);

/* session_close - after the queued answer, close; reason is static */
void session_close(struct session *s, const char *reason);

/* session_tls - 1 when TLS is established */
int session_tls(const struct session *s);

/* session_reading - 1 while the protocol should consume input */
int session_reading(const struct session *s);

#endif
