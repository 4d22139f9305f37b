/*
 * run.h - "danelab run": parse -> PKI -> zones -> lab -> endpoints ->
 * each target through its driver (driver.h: probe, setup, one batch per
 * protocol and policy, teardown) -> outcomes -> verdicts -> reports ->
 * teardown.
 */
#ifndef DANELAB_RUN_H
#define DANELAB_RUN_H

#include <regex.h>

struct run_options {
	char **paths;			/* --scenarios; none: the catalogue */
	int npaths;
	const regex_t *filter;		/* --filter, or NULL */
	unsigned policies;		/* bit per enum policy */
	const char *targets;		/* "ref,postfix" */
	int jobs;			/* parallel probes */
	int shard_i, shard_n;		/* --shard I/N; n = 0 when not sharded */
	const char *out;		/* report directory, or NULL: reports/runs/<id> */
	const char *lab_dir;		/* --dir, or NULL */
	int keep;			/* leave the lab up */
	int probe_ms;			/* per-probe deadline */
	const char *command;		/* the command line, for the reports */
	int verbose;			/* -v: list the xfails at the end too */
	int hostile;			/* also attack decoy listeners (self-test) */
	int pcap;			/* capture the lab's traffic into the report */
	int resolver;			/* enum resolver_id: the lab's validator */
};

/* run_main - do the run; returns the exit status (0, 1, 2 or 3) */
int run_main(const struct run_options *o);

#endif
