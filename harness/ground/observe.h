/*
 * observe.h - outcomes: what the lab saw one client do at one probe,
 * classified into the five outcomes of harness/README.md, "Outcomes", and sets of them
 * (an expectation is a set of acceptable outcomes).
 */
#ifndef DANELAB_OBSERVE_H
#define DANELAB_OBSERVE_H

enum outcome {
	OUTCOME_AUTHENTICATED,	/* TLS, went on, and DANE-verified */
	OUTCOME_ENCRYPTED,	/* TLS, went on, peer not authenticated */
	OUTCOME_CLEARTEXT,	/* went on without TLS */
	OUTCOME_REFUSED,	/* connected, gave up at or after the handshake */
	OUTCOME_NO_CONNECT,	/* never connected to this host */
	OUTCOME_COUNT
};

/* A set of outcomes, one bit per enum outcome. */
typedef unsigned outcome_set;
#define OUTCOME_BIT(o)	(1u << (o))

/* outcome_name - "authenticated", ...; static */
const char *outcome_name(enum outcome o);

/* outcome_parse - the outcome named s, or -1 */
int outcome_parse(const char *s);

/* names_find - index of s in names[0..n-1], or -1 (s NULL: -1): the
 * lookup behind every parser of a fixed vocabulary */
int names_find(const char *const *names, int n, const char *s);

/*
 * The protocols of a probe and the policies of a client, one vocabulary
 * for the scenario language, the endpoints, the reference client and the
 * adapters.  Each protocol has its default port (scn_proto_port).
 */
enum proto {
	PROTO_SMTP,		/* MX, port 25, STARTTLS */
	PROTO_SMTPS,		/* MX, port 465, TLS on connect */
	PROTO_XMPP,		/* _xmpp-server._tcp SRV, 5269, STARTTLS */
	PROTO_XMPPS,		/* _xmpps-server._tcp SRV, 5270, direct TLS + ALPN */
	PROTO_XMPP_IN,		/* inbound: the lab connects to the target as
				 * a server with an identity, 5269 */
	PROTO_COUNT
};

enum policy {
	POLICY_OPPORTUNISTIC,	/* RFC 7672 opportunistic DANE TLS */
	POLICY_MANDATORY,	/* DANE required (dane-only, s2s_secure_auth) */
	POLICY_COUNT
};

/* proto_name, policy_name - "smtp", .., "xmpp-in"; "opportunistic",
 * "mandatory"; "invalid" out of range; static */
const char *proto_name(enum proto p);
const char *policy_name(enum policy p);

/* The same names as tables, in enum order (parsers and usage texts). */
extern const char *const proto_names[PROTO_COUNT];
extern const char *const policy_names[POLICY_COUNT];

/* proto_parse, policy_parse - the value named s, or -1 */
int proto_parse(const char *s);
int policy_parse(const char *s);

#endif
