/*
 * endpoint.h - the lab's own servers: SMTP and XMPP listeners, one per
 * scenario host and port, serving the scenario's certificate chain and
 * recording what each client did.
 *
 * One event loop (epoll) in one thread serves every listener of a set;
 * every connection is an explicit state machine with bounded buffers,
 * bounded line lengths and a deadline.  Untrusted input never crashes
 * or stalls the loop.
 */
#ifndef DANELAB_ENDPOINT_H
#define DANELAB_ENDPOINT_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "observe.h"

/* Behaviour flags of one listener. */
#define ENDPOINT_NO_STARTTLS	(1u << 0)	/* withhold STARTTLS */
#define ENDPOINT_CLIENT_CERT	(1u << 1)	/* request a client certificate */

/* What one listener is.  Port 0 binds a free port: endpoint_last_port().
 * The ctx gets an ALPN select callback (it picks "xmpp-server" on XMPPS
 * listeners only); a ctx is needed unless the listener never does TLS. */
struct endpoint_spec {
	const char *tag;		/* e.g. "scenario-id/mx1", copied */
	const char *addr;		/* IPv4 or IPv6 literal, copied */
	int port;
	enum proto proto;
	SSL_CTX *ctx;			/* chain and key to serve; up-ref'd */
	unsigned flags;
};

/*
 * A client that carries "danelab-probe-ID" anywhere in what it sends (an
 * envelope sender, a Subject header, a stanza) names the probe that made
 * the connection: ID is kept in endpoint_conn.probe, so that a session
 * can be tied to its probe by evidence, not only by when it happened.
 */
#define ENDPOINT_PROBE_TAG	"danelab-probe-"

/* What one connection did: the transcript, classified. */
struct endpoint_conn {
	char tag[128];			/* the listener's tag */
	char addr[64];			/* the listener's address */
	int port;
	enum proto proto;
	char sni[256];			/* SNI the client sent, "" if none */
	char alpn[64];			/* ALPN selected, "" if none */
	char tls_version[16];		/* "TLSv1.3", "" if no TLS */
	int tls_done;			/* handshake completed */
	int tls_failed;			/* handshake started but failed */
	char alert[128];		/* alert received from the client, "" */
	int commands_after_tls;		/* SMTP commands / XMPP stanzas after TLS */
	int cleartext_commands;		/* MAIL/RCPT/DATA or stanzas before TLS */
	int message_done;		/* SMTP message accepted / XMPP stream restarted */
	char client_cert[256];		/* client certificate subject, "" if none */
	char probe[32];			/* the probe id the client carried on the wire
					 * ("danelab-probe-ID" in its input), "" */
	long long opened_ms, closed_ms;	/* accepted, finished: CLOCK_MONOTONIC ms */
	unsigned long long seq;		/* accept order in the set: two sessions
					 * opened in one millisecond still have
					 * an order (0: not known) */
	enum outcome outcome;		/* classification (not yet knowing DANE) */
	char *transcript;		/* every line in and out, NUL-terminated */
};

struct endpoint_set;

/* endpoint_set_new - an empty set; endpoint_set_free returns NULL */
struct endpoint_set *endpoint_set_new(void);
struct endpoint_set *endpoint_set_free(struct endpoint_set *s);

/*
 * endpoint_listen - bind and listen (the caller is inside the lab's
 * network namespace).  Returns 0, or -1 after saying why (e.g. address
 * in use: the message names address and port).
 */
int endpoint_listen(struct endpoint_set *s, const struct endpoint_spec *spec);

/* endpoint_start - serve every listener in a thread; 0 or -1 */
int endpoint_start(struct endpoint_set *s);

/* endpoint_stop - stop the thread, close every socket; idempotent */
void endpoint_stop(struct endpoint_set *s);

/*
 * endpoint_take - move every finished connection whose tag starts with
 * prefix into *out (an array of *n, caller frees with endpoint_conns_free).
 * Thread-safe while the set runs.
 */
void endpoint_take(struct endpoint_set *s, const char *prefix,
    struct endpoint_conn **out, size_t *n);
void endpoint_conns_free(struct endpoint_conn *c, size_t n);

/*
 * endpoint_quiesce - wait until every connection a client has made to
 * the listeners whose tag starts with prefix is accepted and finished
 * (so endpoint_take() sees them all), at most timeout_ms.  0, or -1 on
 * timeout (connections still open; take what is finished).  A prefix
 * that ends at the first '/' of tags ("scenario-id/") is looked up in an
 * index, whatever the number of listeners; any other prefix is compared
 * with every listener's tag.
 */
int endpoint_quiesce(struct endpoint_set *s, const char *prefix,
    int timeout_ms);

/* endpoint_last_port - the port the last successful endpoint_listen bound */
int endpoint_last_port(const struct endpoint_set *s);

#define ENDPOINT_IDLE_MS	10000	/* default idle deadline of a connection */
#define ENDPOINT_TOTAL_MS	30000	/* default total deadline */

/*
 * endpoint_set_deadlines - a connection is closed and classified after
 * idle_ms without input or output, or total_ms after it was accepted
 * (defaults ENDPOINT_IDLE_MS and ENDPOINT_TOTAL_MS; a value <= 0 keeps
 * the current one).  Any thread, also while the set runs.
 */
void endpoint_set_deadlines(struct endpoint_set *s, int idle_ms, int total_ms);

/*
 * endpoint_set_max_conns - open connections served at once (default
 * 1024); beyond, a connection is accepted, closed and recorded as
 * refused with a note.  Call before endpoint_start.
 */
void endpoint_set_max_conns(struct endpoint_set *s, size_t n);

/*
 * endpoint_classify - the endpoint's own outcome for c: cleartext when
 * the client sent MAIL/RCPT/DATA or stanzas without TLS (even if TLS
 * came later), encrypted when TLS completed and it went on, else refused.
 */
enum outcome endpoint_classify(const struct endpoint_conn *c);

#endif
