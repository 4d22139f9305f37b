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

#endif
