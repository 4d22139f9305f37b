/*
 * initiator.h - the lab as a connecting XMPP server (xmpp-in probes).
 *
 * For an inbound probe the lab is the *origin* server of a scenario's
 * domain: it connects to the receiving server under test, opens an s2s
 * stream from that domain, does STARTTLS presenting the scenario's client
 * chain, restarts the stream and, when the receiver offers SASL EXTERNAL
 * (it authenticated the lab's certificate, e.g. by the domain's TLSA
 * records), authenticates with it.  What the receiver did is the outcome
 * (scenarios/README.md, "Inbound"):
 *
 *   authenticated  EXTERNAL offered and <success/>
 *   encrypted      TLS, the stream went on, no EXTERNAL (or <failure/>)
 *   cleartext      no STARTTLS offered
 *   refused        the receiver closed the stream, sent a stream error,
 *                  refused STARTTLS or failed the handshake
 *   no-connect     nothing accepted the connection
 */
#ifndef DANELAB_INITIATOR_H
#define DANELAB_INITIATOR_H

#include <openssl/ssl.h>

#include "observe.h"

struct initiator_result {
	enum outcome outcome;
	int tls_done;			/* the handshake completed */
	char tls_version[16];		/* "TLSv1.3", "" */
	char detail[256];		/* one line: why */
	char *transcript;		/* C:/S: lines and notes; caller frees */
};

/*
 * initiator_probe - connect to addr:port as the server of domain from
 * (no trailing dot) to the XMPP domain to, with ctx (a client context
 * holding the chain to present), within deadline_ms for the whole
 * exchange.  Fills *r; returns 0, or -1 on an internal error (r->detail).
 * Ignores SIGPIPE for the process (a receiver may close first).
 */
int initiator_probe(const char *addr, int port, const char *from,
    const char *to, SSL_CTX *ctx, int deadline_ms,
    struct initiator_result *r);

#endif
