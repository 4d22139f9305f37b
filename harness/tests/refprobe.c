/*
 * refprobe.c - drive the reference client by hand inside a lab:
 *   refprobe [-m] [-t ms] [-r resolver] [-a ta_file] smtp|smtps|xmpp|xmpps DOMAIN
 * prints the outcome, host, address, detail and the step log.
 * -j N runs the probe N times in parallel threads on one client and
 * prints only the outcomes and details (a thread-safety check).
 * Exit 0 when the probe ran, 1 on an internal error, 2 on usage.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refclient.h"

static const char *const outcomes[] = { "authenticated", "encrypted",
    "cleartext", "refused", "no-connect" };

/* One parallel probe. */
struct job {
	pthread_t tid;
	struct refclient *c;
	int proto, timeout;
	enum policy policy;
	const char *domain;
	struct ref_result r;
	int ret;
};

static void *
run_job(void *arg)
{
	struct job *j = arg;

	j->ret = refclient_probe(j->c, 0, (enum proto)j->proto, j->domain,
	    j->policy, j->timeout, &j->r);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const char *const protos[] = { "smtp", "smtps", "xmpp", "xmpps" };
	const char *resolver = "127.0.0.1", *ta = "/usr/share/dns/root.key";
	enum policy policy = POLICY_OPPORTUNISTIC;
	struct ref_result r;
	struct refclient *c;
	int opt, timeout = 10000, proto = -1, ret, jobs = 0;

	while ((opt = getopt(argc, argv, "mt:r:a:j:")) != -1) {
		switch (opt) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'm':
			policy = POLICY_MANDATORY;
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
	if (jobs > 0) {
		struct job *j = calloc((size_t)jobs, sizeof(*j));

		for (int i = 0; i < jobs; i++) {
			j[i] = (struct job){ .c = c, .proto = proto,
			    .timeout = timeout, .policy = policy,
			    .domain = argv[optind + 1] };
			pthread_create(&j[i].tid, NULL, run_job, &j[i]);
		}
		for (int i = 0; i < jobs; i++) {
			pthread_join(j[i].tid, NULL);
			printf("%d %s %s\n", j[i].ret,
			    outcomes[j[i].r.outcome], j[i].r.detail);
			free(j[i].r.log);
		}
		free(j);
		refclient_free(c);
		return 0;
	}
	ret = refclient_probe(c, 0, (enum proto)proto, argv[optind + 1],
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
