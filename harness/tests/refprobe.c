/*
 * refprobe.c - drive the reference client by hand inside a lab:
 *   refprobe [-m] [-t ms] [-r resolver] [-a ta_file] smtp|smtps|xmpp|xmpps DOMAIN
 * prints the outcome, host, address, detail and the step log.
 * Exit 0 when the probe ran, 1 on an internal error, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refclient.h"

static const char *const outcomes[] = { "authenticated", "encrypted",
    "cleartext", "refused", "no-connect" };

int
main(int argc, char **argv)
{
	static const char *const protos[] = { "smtp", "smtps", "xmpp", "xmpps" };
	const char *resolver = "127.0.0.1", *ta = "/usr/share/dns/root.key";
	enum ref_policy policy = REF_OPPORTUNISTIC;
	struct ref_result r;
	struct refclient *c;
	int opt, timeout = 10000, proto = -1, ret;

	while ((opt = getopt(argc, argv, "mt:r:a:")) != -1) {
		switch (opt) {
		case 'm':
			policy = REF_MANDATORY;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'r':
			resolver = optarg;
			break;
		case 'a':
			ta = optarg;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2)
		goto usage;
	for (int i = 0; i < 4; i++)
		if (strcmp(argv[optind], protos[i]) == 0)
			proto = i;
	if (proto < 0)
		goto usage;
	if ((c = refclient_new(resolver, ta)) == NULL)
		return 1;
	ret = refclient_probe(c, (enum ref_proto)proto, argv[optind + 1],
	    policy, timeout, &r);
	printf("outcome %s\nhost %s\naddr %s\nport %d\ndetail %s\n--- log\n%s",
	    outcomes[r.outcome], r.host, r.addr, r.port, r.detail, r.log);
	free(r.log);
	refclient_free(c);
	return ret < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: refprobe [-m] [-t ms] [-r resolver] "
	    "[-a ta_file] smtp|smtps|xmpp|xmpps DOMAIN\n");
	return 2;
}
