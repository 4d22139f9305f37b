/*
 * connector.h - "danelab connect": inbound XMPP by hand.  The lab
 * connects, as the origin server of an xmpp-in scenario's domain, to a
 * receiving XMPP server the user runs inside a lab left up by "up",
 * presenting the scenario's client chain (whose TLSA records the lab's
 * zones publish), exactly as a run connects to a target's receiving
 * server (world_initiate, initiator.h); what the lab's connecting server
 * saw is the outcome, judged against the scenario's xmpp-in expectation
 * for one policy and printed as observe prints a cell (observer.h).
 */
#ifndef DANELAB_CONNECTOR_H
#define DANELAB_CONNECTOR_H

#include "observe.h"

#define CONNECTOR_PORT		5269	/* --to HOST without :PORT */
#define CONNECTOR_DEADLINE_MS	20000	/* the whole exchange, times the load
					 * factor (clock_load_factor, at most 4) */

struct connector_options {
	const char *dir;		/* the lab's run directory */
	const char *scenario;		/* an xmpp-in scenario of the lab */
	const char *host;		/* address or name, resolved in the lab */
	int port;
	const char *domain;		/* the receiver's XMPP domain (to=) */
	enum policy policy;		/* whose expectation */
	int json;			/* JSON instead of text */
	int verbose;			/* the connection's transcript too */
};

/*
 * connector_main - connect, judge and print on stdout.  Returns 0 when
 * the verdict passes, 1 when it does not, 2 for a scenario the lab does
 * not serve or one without xmpp-in, 3 when there is no lab, or nothing
 * could be connected to at host:port.
 */
int connector_main(const struct connector_options *o);

#endif
