/*
 * connector.c - "danelab connect" (connector.h).
 *
 * The scenarios are the lab's own (serve.h's scenario list, which "up"
 * writes), so the client chain presented is the one whose TLSA records
 * the lab's zones publish: chains come from the committed profile and
 * keys, the same for one scenario built alone as for the whole lab.
 * The connection is made from inside the lab (its network and mount
 * namespaces: its addresses, its resolver for a host name).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "judge.h"
#include "json.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "clock.h"
#include "connector.h"
#include "observer.h"
#include "serve.h"
#include "template.h"
#include "world.h"

/* What connect did and judged. */
struct connector {
	const struct connector_options *o;
	struct world *w;		/* the one scenario, built */
	char addr[INET_ADDRSTRLEN];	/* o->host, resolved */
	struct initiator_result ir;
	struct report_cell c;
};

/* connector_select - keep only scenario id of w (found there) */
static void
connector_select(struct world *w, const char *id)
{
	struct buf re = { 0 };
	regex_t rx;

	buf_printf(&re, "^");
	for (const char *p = id; *p; p++)
		buf_printf(&re, "%s%c", strchr(".[]()*+?{}|^$\\", *p) ? "\\"
		    : "", *p);
	buf_printf(&re, "$");
	if (regcomp(&rx, re.data, REG_EXTENDED | REG_NOSUB) != 0)
		msg_panic("connect: cannot match scenario id %s", id);
	world_select(w, &rx, 0, 0);
	regfree(&rx);
	buf_free(&re);
}

/* connector_load - the lab's scenario o->scenario alone, its chains
 * built, in k->w; 0, or an exit status after saying why */
static int
connector_load(struct connector *k)
{
	const struct connector_options *o = k->o;
	const struct scenario *s = NULL;
	char **paths = NULL;
	int npaths = 0, no_default = 0, errors, ret = EXIT_USAGE;

	if (lab_find(o->dir) == 0) {
		msg_warn("no lab is up in %s (start one with danelab up)",
		    o->dir);
		return EXIT_ENV;
	}
	if (serve_paths_read(o->dir, &paths, &npaths, &no_default) != 0) {
		msg_warn("the lab in %s does not say which scenarios it serves "
		    "(no %s: bring it up again with this danelab)", o->dir,
		    SERVE_PATHS);
		return EXIT_ENV;
	}
	k->w = world_load(paths, npaths, no_default, WORLD_PARSE, 0, &errors);
	if (k->w == NULL) {
		msg_warn("the lab's scenarios no longer load (%d error%s)",
		    errors, errors == 1 ? "" : "s");
		goto out;
	}
	for (size_t i = 0; i < k->w->cat.n && s == NULL; i++)
		if (strcmp(k->w->cat.list[i]->id, o->scenario) == 0)
			s = k->w->cat.list[i];
	if (s == NULL)
		msg_warn("scenario \"%s\" is not one the lab in %s serves",
		    o->scenario, o->dir);
	else if (!(s->protos & (1u << PROTO_XMPP_IN)))
		msg_warn("scenario \"%s\" (%s:%d) has no xmpp-in: connect is "
		    "for inbound scenarios, where the lab connects; for the "
		    "others point a client at the lab's endpoints and use "
		    "danelab observe", s->id, template_rel_file(s->file),
		    s->line);
	else {
		connector_select(k->w, o->scenario);
		ret = world_build(k->w, 0) == 0 ? 0 : EXIT_ENV;
	}
out:
	for (int i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

/* connector_resolve - o->host as an IPv4 address in k->addr, looked up
 * with the lab's resolver when it is a name (called inside the lab);
 * 0, or -1 after saying why */
static int
connector_resolve(struct connector *k)
{
	struct addrinfo hints = { .ai_family = AF_INET,
	    .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct in_addr a;
	int rc;

	if (inet_pton(AF_INET, k->o->host, &a) == 1) {
		snprintf(k->addr, sizeof(k->addr), "%s", k->o->host);
		return 0;
	}
	if ((rc = getaddrinfo(k->o->host, NULL, &hints, &ai)) != 0
	    || ai == NULL) {
		msg_warn("cannot resolve %s inside the lab: %s", k->o->host,
		    gai_strerror(rc));
		return -1;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
	    k->addr, sizeof(k->addr));
	freeaddrinfo(ai);
	return 0;
}

/* connector_judge - k->c judged against the scenario's expectation: what
 * the lab's connecting server saw is the outcome */
static void
connector_judge(struct connector *k)
{
	const struct scenario *s = k->w->cat.list[0];
	const struct scn_expect *e = scn_expect_for(s, PROTO_XMPP_IN,
	    k->o->policy);
	struct judge_seen seen = { .outcome = k->ir.outcome };
	char *why = xasprintf("the lab's connecting server saw: %s",
	    k->ir.detail);

	seen.why = why;
	observer_expect(&k->c, e);
	judge_cell(e, NULL, &k->c, &seen);
	free(why);
}

/* connector_text - what was done and judged, as observe's text */
static void
connector_text(const struct connector *k, struct buf *b)
{
	const struct connector_options *o = k->o;
	const struct scenario *s = k->w->cat.list[0];
	char *from = world_origin(s);

	buf_printf(b, "lab %s, policy %s, the lab connected to %s:%d as the "
	    "server of %s (stream to %s)\n\n%s xmpp-in %s (%s:%d)\n  %s\n"
	    "  connection: %s, %s: %s\n", o->dir, policy_name(o->policy),
	    k->addr, o->port, from, o->domain, s->id,
	    policy_name(o->policy), template_rel_file(s->file), s->line,
	    s->summary, k->ir.tls_version[0] ? k->ir.tls_version : "no TLS",
	    outcome_name(k->ir.outcome), k->ir.detail);
	observer_verdict_text(b, &k->c);
	free(from);
	if (o->verbose && k->ir.transcript)
		observer_transcript(b, k->ir.transcript);
}

/* connector_json - the same as one JSON object, observe's shape */
static void
connector_json(const struct connector *k, struct buf *b)
{
	const struct connector_options *o = k->o;
	char *from = world_origin(k->w->cat.list[0]);

	buf_printf(b, "{\"lab\": ");
	json_string(b, o->dir, 0);
	buf_printf(b, ", \"policy\": \"%s\", \"cells\": [\n  ",
	    policy_name(o->policy));
	observer_verdict_json(b, k->w->cat.list[0], PROTO_XMPP_IN, o->policy,
	    &k->c);
	buf_printf(b, ", \"connection\": {\"host\": ");
	json_string(b, o->host, 0);
	buf_printf(b, ", \"addr\": \"%s\", \"port\": %d, \"to\": ", k->addr,
	    o->port);
	json_string(b, o->domain, 0);
	buf_printf(b, ", \"from\": ");
	json_string(b, from, 0);
	free(from);
	buf_printf(b, ", \"outcome\": \"%s\", \"tls_version\": ",
	    outcome_name(k->ir.outcome));
	json_string(b, k->ir.tls_version, 0);
	buf_printf(b, ", \"detail\": ");
	json_string(b, k->ir.detail, 0);
	if (o->verbose) {
		buf_printf(b, ", \"transcript\": ");
		json_string(b, k->ir.transcript ? k->ir.transcript : "", 0);
	}
	buf_printf(b, "}}]}\n");
}

int
connector_main(const struct connector_options *o)
{
	struct connector k;
	struct buf b = { 0 };
	int status, home;

	memset(&k, 0, sizeof(k));
	k.o = o;
	if ((status = connector_load(&k)) != 0)
		goto out;
	/* Single-threaded here: the lab's mount namespace can be joined,
	 * for its resolv.conf; left again once connected, for our /proc. */
	status = EXIT_ENV;
	if ((home = lab_join(o->dir)) < 0)
		goto out;
	if (connector_resolve(&k) == 0)
		world_initiate(k.w, 0, k.addr, o->port, o->domain,
		    (int)(CONNECTOR_DEADLINE_MS * clock_load_factor(4)), &k.ir);
	lab_unjoin(home);
	if (k.addr[0] == 0)
		goto out;
	if (k.ir.outcome == OUTCOME_NO_CONNECT) {
		msg_warn("%s inside the lab in %s: is the receiving server "
		    "running there (started with danelab exec --dir %s)?",
		    k.ir.detail, o->dir, o->dir);
		goto out;
	}
	connector_judge(&k);
	if (o->json)
		connector_json(&k, &b);
	else
		connector_text(&k, &b);
	fputs(b.data, stdout);
	status = k.c.verdict == VERDICT_PASS ? EXIT_PASS : EXIT_FAILED;
out:
	free(k.ir.transcript);
	free(k.c.expected);
	free(k.c.cite);
	free(k.c.preferred);
	free(k.c.observed);
	free(k.c.reason);
	world_free(k.w);
	buf_free(&b);
	return status;
}
