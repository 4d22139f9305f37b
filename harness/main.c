/*
 * main.c - danelab's command line: option parsing and sub-command
 * dispatch, nothing else.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <unistd.h>

#include "demo.h"
#include "diff.h"
#include "lab.h"
#include "resolver.h"
#include "mem.h"
#include "msg.h"
#include "observe.h"
#include "pki.h"
#include "plan.h"
#include "report.h"
#include "scenario.h"
#include "serve.h"
#include "observer.h"
#include "connector.h"
#include "stop.h"
#include "template.h"
#include "run.h"
#include "target.h"
#include "tlsa.h"
#include "world.h"
#include "zone.h"

static const char usage_text[] =
"usage: danelab COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  run   [--target T,..] [--scenarios PATH..] [--filter RE]\n"
"        [--policy P] [--jobs N] [--shard I/N] [--out DIR] [--keep]\n"
"        [--dir DIR] [--deadline MS] [--hostile] [--pcap] [--resolver R]\n"
"        [-q | -v]\n"
"                               the lab's main job: bring the lab up with\n"
"                               every scenario, probe each with each target\n"
"                               (default: every target; T=PATH tests that\n"
"                               binary; resolver:NAME, NAME unbound, knot,\n"
"                               bind, pdns or delv: that validator, each RRset\n"
"                               of each scenario against what the zones\n"
"                               say, proto dns), judge,\n"
"                               write reports (default reports/runs/ID/:\n"
"                               results.tap junit.xml results.json\n"
"                               summary.md index.html; reports/runs/latest\n"
"                               links the newest, never a --out DIR;\n"
"                               each report directory is\n"
"                               complete or absent), tear down and remove\n"
"                               the default run directory (a --dir keeps\n"
"                               the lab's logs, unless a signal stopped a\n"
"                               run that made it; --keep: leave the lab\n"
"                               and its endpoints up, for exec and\n"
"                               observe).  --policy opportunistic,\n"
"                               mandatory or any (the others' cells are\n"
"                               left out, as --filter leaves scenarios\n"
"                               out); --jobs N scenarios the reference\n"
"                               client probes at once (16; an adapter\n"
"                               gets its probes in batches); --deadline\n"
"                               MS per probe\n"
"                               (20000, times the load average per CPU\n"
"                               when above 1, at most 4x: out of time is\n"
"                               an error, never a verdict); --shard I/N:\n"
"                               every Nth scenario;\n"
"                               --hostile: meanwhile attack decoy listeners\n"
"                               on the same event loop (self-test);\n"
"                               --pcap: capture the lab's traffic (tcpdump\n"
"                               on its loopback) into capture.pcap in the\n"
"                               report directory, each cell's time window\n"
"                               and capture filter in its detail;\n"
"                               --resolver R: the lab's validator, as for\n"
"                               up;\n"
"                               on a terminal a progress line; at the end\n"
"                               a table per target and the cells that\n"
"                               fail, err or xpass (-v: the xfails too,\n"
"                               -q: no progress, no table); NO_COLOR:\n"
"                               plain lines\n"
"  up    [LAB OPTIONS]          build and sign the zones, start the lab\n"
"                               (NSD + validating Unbound in private\n"
"                               namespaces) and the endpoints of every\n"
"                               scenario (as run serves them; not with\n"
"                               --no-endpoints) and leave them running\n"
"  exec  [--dir DIR] -- CMD..   run CMD inside the running lab, e.g.\n"
"                               danelab exec -- dig +dnssec . SOA; exits\n"
"                               with CMD's status (3: no lab there)\n"
"  down  [--dir DIR]            stop the lab and its endpoints; nothing is\n"
"                               left behind\n"
"  observe [--dir DIR] [--scenario ID] [--policy P] [--since MARK]\n"
"        [--said OUTCOME [--prober]] [--json] [-v]\n"
"                               what the endpoints of a lab left up saw\n"
"                               (sessions: host, port, SNI, TLS version,\n"
"                               outcome; -v: transcripts), the outcome per\n"
"                               host and the verdict against the scenario's\n"
"                               expectation for policy P (default\n"
"                               opportunistic), judged as run judges it;\n"
"                               without --scenario every scenario with\n"
"                               sessions.  --since MARK (or last): only\n"
"                               sessions opened after danelab mark;\n"
"                               --said: the client's own word (authenticated\n"
"                               upgrades encrypted; with --prober it is the\n"
"                               outcome, as for posttls-finger).  Sessions\n"
"                               of other scenarios are listed apart, never\n"
"                               counted.  Exit 1 if a verdict is not pass,\n"
"                               2 unknown scenario or mark, 3 no lab or no\n"
"                               endpoints\n"
"  mark  [--dir DIR]            print a mark for observe --since and\n"
"                               record it as the last one\n"
"  connect SCENARIO --to HOST[:PORT] [--dir DIR] [--policy P]\n"
"        [--domain D] [--json] [-v]\n"
"                               inbound XMPP by hand: the lab connects,\n"
"                               from inside the lab, as the origin server\n"
"                               of the xmpp-in SCENARIO's domain to the\n"
"                               receiving server you run there (port 5269\n"
"                               by default; stream to D, default\n"
"                               client.danelab.example, whose chain up\n"
"                               writes under DIR/inbound/full/), with the\n"
"                               scenario's client chain, whose TLSA\n"
"                               records the lab publishes; prints what it\n"
"                               saw and the verdict against the\n"
"                               scenario's xmpp-in expectation for policy\n"
"                               P (default opportunistic) as observe does\n"
"                               (-v: the transcript).  Exit 1 if the\n"
"                               verdict is not pass, 2 unknown or not an\n"
"                               xmpp-in scenario, 3 no lab or nothing to\n"
"                               connect to\n"
"  bench [LAB OPTIONS]          bring a lab up and down once, printing\n"
"                               build, sign and readiness times and peak\n"
"                               memory\n"
"  list  [--scenarios PATH..] [--filter RE] [--policy P]\n"
"                               the expanded matrix: one line per\n"
"                               scenario x protocol x policy\n"
"  check [--help] PATH..        lint scenario files: every error of the\n"
"                               files, TLSA data and plan included, in one\n"
"                               pass, as file:line: message sorted by\n"
"                               file and line; exit 2 if any; on the\n"
"                               whole catalogue also warn about baseline\n"
"                               lines that match no cell or scenarios of\n"
"                               several areas.  --help: the scenario\n"
"                               language's keywords and names\n"
"  pki   [--help]               write a PKI profile's chains as PEM, print\n"
"                               TLSA records (danelab pki --help)\n"
"  report merge [--out DIR] FILE..\n"
"                               join the results.json of shards into one\n"
"                               report (default --out\n"
"                               reports/runs/merged-<UTC time>); a cell\n"
"                               in two files is an error (exit 2)\n"
"  report diff [--out DIR] [--format md|json] OLD NEW\n"
"                               compare two runs (results.json files or\n"
"                               report directories) cell by cell: new\n"
"                               fails, fixed fails, changed outcomes, new\n"
"                               and removed cells; Markdown (or JSON) on\n"
"                               stdout, diff.md and diff.json in --out DIR;\n"
"                               exit 1 if a cell fails or errs in NEW that\n"
"                               did not in OLD, 0 otherwise, 2 bad input\n"
"  targets                      every target: available (its TLS library\n"
"                               family and version) or why not; adapters:\n"
"                               harness/targets/;\n"
"                               then the resolver:NAME validators\n"
"  help                         this text\n"
"\n"
"Lab options:\n"
"  --dir DIR          run directory for configs, zones, logs and state\n"
"                     (default $DANELAB_LAB_DIR or " LAB_DIR_DEFAULT ")\n"
"  --zones N          also serve N generated child zones (benchmarks)\n"
"  --ready MS         readiness deadline per daemon (default 10000; run's\n"
"                     --deadline is per probe)\n"
"  --nsd PATH         NSD binary (default $DANELAB_NSD_BIN, then PATH)\n"
"  --unbound PATH     Unbound binary (default $DANELAB_UNBOUND_BIN, then PATH)\n"
"  --resolver R       the lab's validating resolver: unbound (default),\n"
"                     knot (kresd), bind (named) or pdns (pdns_recursor);\n"
"                     not installed: exit 3 naming the package and its\n"
"                     fetcher (harness/targets/lib/resolver-fetch.sh);\n"
"                     binary from $DANELAB_KNOT_BIN, _BIND_BIN, _PDNS_BIN\n"
"  --override-date D  Unbound's validation clock, YYYYMMDDHHMMSS\n"
"  --scenarios PATH   serve the zones of these scenario files or\n"
"                     directories (repeatable; default: the catalogue)\n"
"  --no-scenarios     serve only the built-in zones (secure., insecure.,\n"
"                     bogus.example. and --zones)\n"
"  --no-endpoints     up: no SMTP/XMPP endpoints, DNS only\n"
"  --pcap             up: the endpoint process also captures the lab's\n"
"                     traffic (tcpdump on its loopback) into DIR/capture.pcap\n"
"                     until down (not with --no-endpoints)\n"
"  -q, --quiet        say less\n"
"\n"
"run, up, exec, down, connect and bench make or join the lab's\n"
"namespaces: they need CAP_SYS_ADMIN (run as root) and check for it\n"
"first (exit 3).  run without it takes it in a user namespace of its\n"
"own where the kernel allows (targets needing real root are then\n"
"skipped; no --keep), else exit 3 saying why (danelab(1), ROOTLESS).\n"
"\n"
"Exit status: 0 every cell passes, is a known xfail or a skip (or the\n"
"command succeeded); 1 some cell fails, is an xpass or an error; 2 usage\n"
"or input error; 3 the lab or the environment could not be set up, or\n"
"the reports could not be written; 130 or 143 run or report merge\n"
"stopped by SIGINT or SIGTERM (the lab torn down, its run directory\n"
"removed, no report written).\n";

/* usage_error - a usage message and exit 2 */
static void __attribute__((noreturn))
usage_error(const char *why, const char *arg)
{
	msg_warn("%s%s%s (see danelab help)", why, arg ? ": " : "",
	    arg ? arg : "");
	exit(EXIT_USAGE);
}

/* parse_int - a whole number in [lo, hi] or a usage error naming opt */
static int
parse_int(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == 0 || *end != 0 || v < lo || v > hi) {
		msg_warn("%s wants a number from %ld to %ld, not \"%s\"", opt,
		    lo, hi, s);
		exit(EXIT_USAGE);
	}
	return (int)v;
}

static int cmd_help(int argc, char **argv);

/* parse_resolver - --resolver NAME as an enum resolver_id, or a usage
 * error naming the known ones */
static int
parse_resolver(const char *name)
{
	int id = resolver_lookup(name);

	if (id < 0) {
		msg_warn("--resolver: unknown resolver \"%s\" (known: %s)",
		    name, resolver_names());
		exit(EXIT_USAGE);
	}
	return id;
}

/* is_help - is s "--help" or "-h"? */
static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

struct lab_args {
	struct lab_options lab;
	int zones;
	char **paths;		/* --scenarios, repeatable */
	int npaths;
	int no_scenarios;
	int no_endpoints;	/* up: DNS only */
	int pcap;		/* up: capture the lab's traffic */
};

/* parse_lab_args - the lab options shared by up and bench */
static void
parse_lab_args(int argc, char **argv, struct lab_args *a)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "zones", required_argument, NULL, 'z' },
		{ "ready", required_argument, NULL, 'D' },
		{ "nsd", required_argument, NULL, 'n' },
		{ "unbound", required_argument, NULL, 'u' },
		{ "resolver", required_argument, NULL, 'R' },
		{ "override-date", required_argument, NULL, 'o' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "no-scenarios", no_argument, NULL, 'N' },
		{ "no-endpoints", no_argument, NULL, 'E' },
		{ "pcap", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->lab.dir = lab_dir_default();
	a->lab.deadline_ms = 10000;
	a->paths = xcalloc(argc + 1, sizeof(char *));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->lab.dir = optarg; break;
		case 'z': a->zones = parse_int("--zones", optarg, 0, 100000); break;
		case 'D': a->lab.deadline_ms = parse_int("--ready", optarg,
		    10, 600000); break;
		case 'n': a->lab.nsd_bin = optarg; break;
		case 'u': a->lab.unbound_bin = optarg; break;
		case 'R': a->lab.resolver = parse_resolver(optarg); break;
		case 'o':
			if (strlen(optarg) != 14
			    || strspn(optarg, "0123456789") != 14)
				usage_error("--override-date wants "
				    "YYYYMMDDHHMMSS", optarg);
			a->lab.override_date = optarg;
			break;
		case 's': a->paths[a->npaths++] = optarg; break;
		case 'N': a->no_scenarios = 1; break;
		case 'E': a->no_endpoints = 1; break;
		case 'P': a->pcap = 1; break;
		case 'q': msg_quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
		default: usage_error("bad option", NULL);
		}
	}
	if (a->no_scenarios && a->npaths)
		usage_error("--no-scenarios and --scenarios exclude each other",
		    NULL);
	if (optind < argc)
		usage_error("unexpected argument", argv[optind]);
	if (a->lab.dir[0] != '/')
		usage_error("--dir wants an absolute path", a->lab.dir);
}

/* lab_world - what the lab serves, signed; exits 2 on bad scenarios */
static struct world *
lab_world(const struct lab_args *a)
{
	struct world *w;
	int errors;

	w = world_load(a->paths, a->npaths, a->no_scenarios, WORLD_SIGNED,
	    a->zones, &errors);
	if (w == NULL)
		msg_fatal(EXIT_USAGE, "%d error%s in the scenarios or the "
		    "profile: no lab started", errors, errors == 1 ? "" : "s");
	return w;
}

/* cmd_up - start a lab, and its endpoints unless --no-endpoints, and
 * leave them running */
static int
cmd_up(int argc, char **argv)
{
	struct lab_args a;
	struct world *w;
	struct lab *l;

	parse_lab_args(argc, argv, &a);
	if (a.pcap && a.no_endpoints)
		usage_error("--pcap needs the endpoint process, which runs the "
		    "capture: not with --no-endpoints", NULL);
	a.lab.detach = 1;
	w = lab_world(&a);
	if ((l = lab_start(&a.lab, w->tree, NULL)) == NULL) {
		world_free(w);
		return EXIT_ENV;
	}
	/* What observe and connect judge against, and the chain a
	 * receiving server run by hand for xmpp-in presents (connect). */
	if (serve_paths_write(a.lab.dir, a.paths, a.npaths,
	    a.no_scenarios) != 0 || (world_has_proto(w, PROTO_XMPP_IN)
	    && target_inbound_write(w->profile, a.lab.dir) != 0)) {
		msg_warn("cannot write the lab's scenarios in %s: tearing the "
		    "lab down", a.lab.dir);
		lab_stop(l);
		world_free(w);
		return EXIT_ENV;
	}
	if (!a.no_endpoints && serve_start(l, w->plan, a.lab.dir, a.pcap) != 0) {
		msg_warn("no endpoints: tearing the lab down");
		lab_stop(l);
		world_free(w);
		return EXIT_ENV;
	}
	{
		/* The exact commands: with --dir unless it is the default. */
		int other = strcmp(a.lab.dir, lab_dir_default()) != 0;
		char *opt = other ? xasprintf(" --dir %s", a.lab.dir)
		    : xstrdup("");
		char *eps = a.no_endpoints ? xstrdup("no endpoints")
		    : xasprintf("endpoints pid %ld, what they see: danelab "
		    "observe%s", (long)serve_find(a.lab.dir), opt);

		msg_info("lab up in %s with %zu zones, %zu scenarios (keeper "
		    "pid %ld; %s); danelab exec%s -- CMD runs inside it, "
		    "danelab down%s stops it", a.lab.dir,
		    zone_tree_count(w->tree), w->cat.n, (long)lab_keeper(l),
		    eps, opt, opt);
		free(opt);
		free(eps);
	}
	lab_detach(l);
	world_free(w);
	free(a.paths);
	return EXIT_PASS;
}

/* cmd_bench - one lab up and down, with figures */
static int
cmd_bench(int argc, char **argv)
{
	struct lab_args a;
	struct lab_stats s = { 0 };
	struct timespec t0, t1;
	struct rusage ru;
	struct world *w;
	struct lab *l;

	parse_lab_args(argc, argv, &a);
	if (a.pcap)
		usage_error("--pcap is for up (and run), not bench", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w = lab_world(&a);
	if ((l = lab_start(&a.lab, w->tree, &s)) == NULL)
		return EXIT_ENV;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lab_stop(l);
	getrusage(RUSAGE_SELF, &ru);
	printf("zones %zu  scenarios %zu  parse %.3f s  build %.3f s  "
	    "sign %.3f s  write %.3f s  nsd-ready %.3f s  unbound-ready %.3f s"
	    "  total %.3f s  peak-rss danelab %ld kB nsd %ld kB unbound %ld kB\n",
	    zone_tree_count(w->tree), w->cat.n, w->load_s, w->plan_s,
	    w->sign_s, s.write_s, s.nsd_ready_s, s.unbound_ready_s,
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss, s.nsd_hwm_kb, s.unbound_hwm_kb);
	world_free(w);
	free(a.paths);
	return EXIT_PASS;
}

/* cmd_down - stop the lab */
static int
cmd_down(int argc, char **argv)
{
	struct lab_args a;
	int ret;

	parse_lab_args(argc, argv, &a);
	/* The endpoints by their PID first; the keeper ends the rest. */
	ret = serve_stop(a.lab.dir) == 0 && lab_down(a.lab.dir) == 0
	    ? EXIT_PASS : EXIT_ENV;
	free(a.paths);
	return ret;
}

/* cmd_exec - run a command inside the lab */
static int
cmd_exec(int argc, char **argv)
{
	const char *dir = lab_dir_default();
	int i, ret;

	if (argc > 1 && is_help(argv[1]))
		return cmd_help(argc, argv);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else if (strcmp(argv[i], "-q") == 0
		    || strcmp(argv[i], "--quiet") == 0)
			msg_quiet = 1;
		else
			usage_error("exec wants [--dir DIR] -- CMD [ARGS]",
			    argv[i]);
	}
	if (i >= argc - 1)
		usage_error("exec wants a command after --", NULL);
	if (lab_find(dir) == 0) {
		const char *d = lab_dir_default();

		if (strcmp(dir, d) != 0 && lab_find(d) != 0)
			msg_warn("no lab at %s (one is up in %s: danelab exec "
			    "-- CMD)", dir, d);
		else
			msg_warn("no lab at %s (start one with danelab up%s%s)",
			    dir, strcmp(dir, d) ? " --dir " : "",
			    strcmp(dir, d) ? dir : "");
		return EXIT_ENV;
	}
	ret = lab_exec(dir, argv + i + 1);
	return ret < 0 ? EXIT_ENV : ret;
}

/* judge_option - an option observe and connect share (getopt_long's c:
 * 'd' --dir, 'p' --policy, 'j' --json, 'v' -v, 'h' --help), or a usage
 * error */
static void
judge_option(int c, const char **dir, enum policy *q, int *json,
    int *verbose)
{
	int p;

	switch (c) {
	case 'd': *dir = optarg; break;
	case 'p':
		if ((p = policy_parse(optarg)) < 0)
			usage_error("--policy wants opportunistic or mandatory",
			    optarg);
		*q = p;
		break;
	case 'j': *json = 1; break;
	case 'v': *verbose = 1; break;
	case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
	default: usage_error("bad option", NULL);
	}
}

/* cmd_observe - what the endpoints of a lab left up saw, judged */
static int
cmd_observe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "scenario", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 'S' },
		{ "said", required_argument, NULL, 'w' },
		{ "prober", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct observer_options o;
	int c;

	memset(&o, 0, sizeof(o));
	o.dir = lab_dir_default();
	o.policy = POLICY_OPPORTUNISTIC;
	o.said = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.scenario = optarg; break;
		case 'S': o.since = optarg; break;
		case 'w':
			if ((o.said = outcome_parse(optarg)) < 0)
				usage_error("--said wants an outcome", optarg);
			break;
		case 'P': o.prober = 1; break;
		default: judge_option(c, &o.dir, &o.policy, &o.json,
		    &o.verbose);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument", argv[optind]);
	if (o.prober && o.said < 0)
		usage_error("--prober wants --said OUTCOME, the prober's word",
		    NULL);
	return observer_main(&o);
}

/* parse_to - --to HOST[:PORT] into o (host borrowed from arg, cut) */
static void
parse_to(char *arg, struct connector_options *o)
{
	char *colon = strrchr(arg, ':');

	o->host = arg;
	o->port = CONNECTOR_PORT;
	if (colon) {
		*colon = 0;
		o->port = parse_int("--to HOST:PORT", colon + 1, 1, 65535);
	}
	if (*o->host == 0)
		usage_error("--to wants HOST[:PORT]", NULL);
}

/* cmd_connect - the lab connects to a receiving server as an xmpp-in
 * scenario's origin server, judged */
static int
cmd_connect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "domain", required_argument, NULL, 'D' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct connector_options o;
	int c;

	memset(&o, 0, sizeof(o));
	o.dir = lab_dir_default();
	o.domain = TARGET_CLIENT_NAME;
	o.policy = POLICY_OPPORTUNISTIC;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 't': parse_to(optarg, &o); break;
		case 'D': o.domain = optarg; break;
		default: judge_option(c, &o.dir, &o.policy, &o.json,
		    &o.verbose);
		}
	}
	if (optind != argc - 1)
		usage_error("connect wants one SCENARIO (an xmpp-in scenario "
		    "of the lab) and --to HOST[:PORT]", optind < argc - 1
		    ? argv[optind + 1] : NULL);
	o.scenario = argv[optind];
	if (o.host == NULL)
		usage_error("connect wants --to HOST[:PORT], the receiving "
		    "server inside the lab", NULL);
	return connector_main(&o);
}

/* cmd_mark - print and record a mark for observe --since */
static int
cmd_mark(int argc, char **argv)
{
	const char *dir = lab_dir_default();

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return cmd_help(argc, argv);
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else
			usage_error("mark wants [--dir DIR]", argv[i]);
	}
	return observer_mark(dir);
}

/* parse_policy - --policy opportunistic, mandatory or any: the bits of
 * the policies asked for */
static unsigned
parse_policy(const char *arg)
{
	for (int q = 0; q < POLICY_COUNT; q++)
		if (strcmp(arg, policy_name(q)) == 0)
			return 1u << q;
	if (strcmp(arg, "any") != 0)
		usage_error("--policy wants opportunistic, mandatory or any",
		    arg);
	return (1u << POLICY_COUNT) - 1;
}

/* parse_scenario_args - --scenarios PATH (repeatable), --filter RE; and,
 * where policies is not NULL, --policy P */
static int
parse_scenario_args(int argc, char **argv, char ***paths, regex_t *re,
    int *have_re, unsigned *policies)
{
	static const struct option opts[] = {
		{ "scenarios", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, n = 0;

	*paths = xcalloc(argc + 1, sizeof(char *));
	*have_re = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': (*paths)[n++] = optarg; break;
		case 'f':
			if (regcomp(re, optarg, REG_EXTENDED | REG_NOSUB) != 0)
				usage_error("--filter: not an extended regular "
				    "expression", optarg);
			*have_re = 1;
			break;
		case 'p':
			if (policies == NULL)
				usage_error("--policy: only for run and list",
				    NULL);
			*policies = parse_policy(optarg);
			break;
		case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
		default: usage_error("bad option", NULL);
		}
	}
	for (; optind < argc; optind++)
		(*paths)[n++] = argv[optind];
	return n;
}

/* cmd_list - the expanded matrix, one line per scenario x proto x policy */
static int
cmd_list(int argc, char **argv)
{
	struct world *w;
	char **paths;
	regex_t re;
	int have_re, n, errors;
	unsigned policies = (1u << POLICY_COUNT) - 1;

	n = parse_scenario_args(argc, argv, &paths, &re, &have_re,
	    &policies);
	if ((w = world_load(paths, n, 0, WORLD_PARSE, 0, &errors)) == NULL) {
		msg_warn("%d error%s in the scenarios", errors,
		    errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < w->cat.n; i++) {
		const struct scenario *s = w->cat.list[i];

		if (have_re && regexec(&re, s->id, 0, NULL, 0) != 0)
			continue;
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!(s->protos & (1u << p)))
				continue;
			for (int q = 0; q < POLICY_COUNT; q++) {
				const struct scn_expect *e = scn_expect_for(s, p, q);
				struct buf o = { 0 };

				if (!(policies & (1u << q)))
					continue;
				for (int k = 0; k < OUTCOME_COUNT; k++)
					if (e->outcomes & OUTCOME_BIT(k))
						buf_printf(&o, "%s%s%s%s", o.len ?
						    "," : "", outcome_name(k),
						    e->at[k] ? "@" : "",
						    e->at[k] ? e->at[k] : "");
				if (e->host)
					buf_printf(&o, " at %s", e->host);
				if (e->avoid)
					buf_printf(&o, " not %s", e->avoid);
				for (int k = 0, np = 0; k < OUTCOME_COUNT; k++)
					if (e->prefer & OUTCOME_BIT(k))
						buf_printf(&o, "%s%s", np++ ?
						    "," : " prefer ",
						    outcome_name(k));
				printf("%-44s %-5s %-13s %s\n", s->id,
				    proto_name(p), policy_name(q),
				    o.data);
				buf_free(&o);
			}
		}
	}
	if (have_re)
		regfree(&re);
	free(paths);
	world_free(w);
	return EXIT_PASS;
}

/* check_is_catalogue - one of paths is the data directory's scenarios/ */
static int
check_is_catalogue(char **paths, int n)
{
	char *cat = xasprintf("%s/scenarios", template_datadir());
	char *want = realpath(cat, NULL), *got;
	int yes = 0;

	for (int i = 0; want && i < n && !yes; i++)
		if ((got = realpath(paths[i], NULL)) != NULL) {
			yes = strcmp(got, want) == 0;
			free(got);
		}
	free(want);
	free(cat);
	return yes;
}

/*
 * check_baseline_file - warnings about the lines d[0..nd-1] of
 * harness/targets/NAME.baseline against the whole catalogue cat: a line
 * that matches no cell (out of date), and a pattern that matches
 * scenarios of several areas (wide enough to swallow a future scenario,
 * as "*insecure*" once did).  dns: a resolver target's baseline, one
 * cell per scenario (proto dns, policy any).  Returns the number of
 * warnings.
 */
static int
check_baseline_file(const char *name, const struct target_deviation *d,
    size_t nd, const struct scn_catalogue *cat, int dns)
{
	int warnings = 0;

	for (size_t i = 0; i < nd; i++) {
		size_t cells = 0;
		const char *area = NULL;
		int several = 0;

		for (size_t k = 0; k < cat->n; k++) {
			const struct scenario *s = cat->list[k];
			size_t before = cells;

			if (dns)
				cells += target_baseline_match(&d[i], 1,
				    s->id, "dns", "any") != NULL;
			for (int p = 0; !dns && p < PROTO_COUNT; p++)
				for (int q = 0; q < POLICY_COUNT; q++)
					cells += (s->protos & (1u << p))
					    && target_baseline_match(&d[i], 1,
					    s->id, proto_name(p),
					    policy_name(q));
			if (cells == before)
				continue;
			if (area == NULL)
				area = s->area;
			else if (strcmp(area, s->area) != 0)
				several = 1;
		}
		if (cells == 0)
			msg_warn("%s.baseline:%d: warning: \"%s %s %s\" matches "
			    "no cell of the catalogue: remove it", name,
			    d[i].line, d[i].pattern, d[i].proto, d[i].policy);
		else if (several)
			msg_warn("%s.baseline:%d: warning: \"%s\" matches "
			    "scenarios of several areas: name them exactly",
			    name, d[i].line, d[i].pattern);
		warnings += cells == 0 || several;
	}
	return warnings;
}

/*
 * check_baselines - check_baseline_file on every baseline: each client
 * target's, each resolver target's (resolver-NAME) and each lab
 * validator's (resolver-NAME.lab, applied to every client target's
 * cells).  Returns the number of warnings.
 */
static int
check_baselines(const struct scn_catalogue *cat)
{
	char **names = target_names();
	int warnings = 0, errors = 0;
	size_t nd;
	struct target_deviation *d;

	for (size_t t = 0; names[t]; t++) {
		d = target_baseline_load(names[t], &nd, &errors);
		warnings += check_baseline_file(names[t], d, nd, cat, 0);
		target_baseline_free(d, nd);
	}
	target_names_free(names);
	for (int id = 0; id < RESOLVER_COUNT; id++) {
		const char *rn = resolver_kind(id)->name;
		char *file = xasprintf("resolver-%s", rn);

		d = target_baseline_load(file, &nd, &errors);
		warnings += check_baseline_file(file, d, nd, cat, 1);
		target_baseline_free(d, nd);
		free(file);
		file = xasprintf("resolver-%s.lab", rn);
		d = target_baseline_lab(rn, &nd, &errors);
		warnings += check_baseline_file(file, d, nd, cat, 0);
		target_baseline_free(d, nd);
		free(file);
	}
	/* delv, a stub validator, is a resolver target only. */
	d = target_baseline_load("resolver-delv", &nd, &errors);
	warnings += check_baseline_file("resolver-delv", d, nd, cat, 1);
	target_baseline_free(d, nd);
	return warnings + errors;
}

/* One error line captured by cmd_check: "FILE:LINE: message" or "FILE:
 * message" (line 0). */
struct check_error {
	const char *text;
	size_t flen;		/* length of FILE */
	long line;
	size_t seq;		/* as found */
};

/* check_error_cmp - for qsort: by file, then line, then as found */
static int
check_error_cmp(const void *a, const void *b)
{
	const struct check_error *x = a, *y = b;
	size_t n = x->flen < y->flen ? x->flen : y->flen;
	int c = strncmp(x->text, y->text, n);

	if (c == 0 && x->flen != y->flen)
		c = x->flen < y->flen ? -1 : 1;
	if (c == 0 && x->line != y->line)
		c = x->line < y->line ? -1 : 1;
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

/* check_error_at - where e's file name ends and its line number */
static void
check_error_at(struct check_error *e)
{
	const char *p;
	char *end;

	e->flen = strlen(e->text);
	e->line = 0;
	for (p = strchr(e->text, ':'); p; p = strchr(p + 1, ':')) {
		long v = strtol(p + 1, &end, 10);

		if (p[1] >= '0' && p[1] <= '9' && *end == ':') {
			e->flen = (size_t)(p - e->text);
			e->line = v;
			return;
		}
		if (p[1] == ' ') {
			e->flen = (size_t)(p - e->text);
			return;
		}
	}
}

/* check_print_errors - the captured error lines of text to stderr, sorted
 * by file and line; returns how many there were */
static int
check_print_errors(char *text)
{
	struct check_error *list = NULL;
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save)) {
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n].text = l;
		list[n].seq = n;
		check_error_at(&list[n++]);
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), check_error_cmp);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", list[i].text);
	free(list);
	return (int)n;
}

/*
 * check_lint - every check there is on the scenarios of paths, as run
 * would make them, in one pass: parse and lint with the profile's checks,
 * then plan and sign what had no error (unless ids collide, which would
 * make their zones collide).  The errors go out through msg_input(); the
 * world, or NULL if the profile could not be loaded.  *failed: something
 * failed that msg_input() may not have said.
 */
static struct world *
check_lint(char **paths, int n, int *failed)
{
	struct scn_checks *checks;
	struct world *w;
	int errors;

	/* No paths and no default catalogue: the profile alone. */
	if ((w = world_load(NULL, 0, 1, WORLD_PARSE, 0, &errors)) == NULL) {
		*failed = 1;
		return NULL;
	}
	checks = plan_checks_new(w->profile);
	for (int i = 0; i < n; i++)
		scn_catalogue_lint(&w->cat, paths[i], checks);
	plan_checks_free(checks);
	*failed = scn_catalogue_check(&w->cat) == 0 && world_build(w, 0) != 0;
	return w;
}

/* cmd_check - lint scenario files, every error in one pass, sorted by
 * file and line; exit 2 on any error */
static int
cmd_check(int argc, char **argv)
{
	struct world *w;
	char **paths, *text = NULL;
	size_t len = 0;
	regex_t re;
	int have_re, n, errors, failed, warnings = 0;
	FILE *fp, *old;

	for (int i = 1; i < argc; i++)
		if (is_help(argv[i])) {
			char *usage = scn_usage();

			printf("usage: danelab check PATH..\n\n%s", usage);
			free(usage);
			return EXIT_PASS;
		}
	n = parse_scenario_args(argc, argv, &paths, &re, &have_re, NULL);
	if (n == 0)
		usage_error("check wants scenario files or directories", NULL);
	if (have_re)
		usage_error("check lints whole files (--filter is for list and "
		    "run)", NULL);
	if ((fp = open_memstream(&text, &len)) == NULL)
		msg_fatal(EXIT_ENV, "open_memstream: %s", strerror(errno));
	old = msg_input_stream(fp);
	w = check_lint(paths, n, &failed);
	msg_input_stream(old);
	fclose(fp);
	errors = check_print_errors(text);
	if (errors == 0 && failed)
		errors = 1;	/* said by msg_warn() */
	/* The baselines are about the whole catalogue. */
	if (errors == 0 && check_is_catalogue(paths, n))
		warnings = check_baselines(&w->cat);
	if (errors == 0)
		printf("%zu scenarios, no errors%s\n", w->cat.n, warnings ?
		    ", baseline warnings above" : "");
	else
		msg_warn("%d error%s", errors, errors == 1 ? "" : "s");
	world_free(w);
	free(text);
	if (have_re)
		regfree(&re);
	free(paths);
	return errors ? EXIT_USAGE : EXIT_PASS;
}

/* cmd_run - the lab's main job: probe every scenario, write reports */
static int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 'S' },
		{ "out", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "hostile", no_argument, NULL, 'H' },
		{ "pcap", no_argument, NULL, 'P' },
		{ "resolver", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_options o;
	struct buf cmd = { 0 };
	regex_t re;
	int c, have_re = 0, status;

	memset(&o, 0, sizeof(o));
	o.paths = xcalloc(argc + 1, sizeof(char *));
	o.targets = NULL;	/* every target */
	o.policies = (1u << POLICY_COUNT) - 1;
	o.jobs = 16;
	o.probe_ms = 20000;
	for (int i = 0; i < argc; i++)
		buf_printf(&cmd, "%s%s", i ? " " : "danelab ", argv[i]);
	o.command = cmd.data;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:j:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 't': o.targets = optarg; break;
		case 's': o.paths[o.npaths++] = optarg; break;
		case 'f':
			if (regcomp(&re, optarg, REG_EXTENDED | REG_NOSUB) != 0)
				usage_error("--filter: not an extended regular "
				    "expression", optarg);
			have_re = 1;
			o.filter = &re;
			break;
		case 'p':
			o.policies = parse_policy(optarg);
			break;
		case 'j': o.jobs = parse_int("--jobs", optarg, 1, 256); break;
		case 'S':
			if (sscanf(optarg, "%d/%d", &o.shard_i, &o.shard_n) != 2
			    || o.shard_n < 1 || o.shard_i < 1
			    || o.shard_i > o.shard_n
			    || strspn(optarg, "0123456789/") != strlen(optarg))
				usage_error("--shard wants I/N with 1 <= I <= N",
				    optarg);
			break;
		case 'o': o.out = optarg; break;
		case 'd':
			if (optarg[0] != '/')
				usage_error("--dir wants an absolute path", optarg);
			o.lab_dir = optarg;
			break;
		case 'k': o.keep = 1; break;
		case 'H': o.hostile = 1; break;
		case 'P': o.pcap = 1; break;
		case 'R': o.resolver = parse_resolver(optarg); break;
		case 'D': o.probe_ms = parse_int("--deadline", optarg, 100,
		    600000); break;
		case 'q': msg_quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
		default: usage_error("bad option", NULL);
		}
	}
	for (; optind < argc; optind++)
		o.paths[o.npaths++] = argv[optind];
	if (o.keep && lab_is_rootless())
		msg_fatal(EXIT_ENV, "run --keep needs root: a lab in a user "
		    "namespace of its own could not be joined by exec or "
		    "stopped by down, which need CAP_SYS_ADMIN");
	stop_catch(NULL);	/* SIGINT, SIGTERM: run_main tears down */
	status = run_main(&o);
	if (have_re)
		regfree(&re);
	free(o.paths);
	buf_free(&cmd);
	return status;
}

/* cmd_targets - every target, its version or why it is unavailable */
static int
cmd_targets(int argc, char **argv)
{
	char **names = target_names();
	char *tmp;

	if (argc == 2 && is_help(argv[1]))
		return cmd_help(argc, argv);
	if (argc > 1)
		usage_error("targets takes no arguments", NULL);
	/* A reader that stops early (grep -q) must not kill us before the
	 * probes' scratch directory is removed. */
	signal(SIGPIPE, SIG_IGN);
	tmp = xstrdup("/tmp/danelab-targets.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		msg_fatal(EXIT_ENV, "mkdtemp: %s", strerror(errno));
	printf("%-20s %-12s %-8s %s\n", "TARGET", "STATUS", "TLS",
	    "VERSION OR REASON");
	for (size_t i = 0; names[i]; i++) {
		struct buf out = { 0 };
		char *env, *bin;
		char family[16];
		const char *tls;
		int rc;

		if (strcmp(names[i], TARGET_REF) == 0) {
			printf("%-20s %-12s %-8s %s\n", names[i], "available",
			    "OpenSSL", "built-in reference client (libunbound + OpenSSL "
			    "DANE)");
			continue;
		}
		rc = target_exec(NULL, names[i], "probe", NULL, tmp, 20000,
		    TARGET_VERB_MS, &out);
		tls = strstr(out.data, "\ntls: ");
		snprintf(family, sizeof(family), "%.*s", tls ? (int)strcspn(tls + 6,
		    " \t\n") : 1, tls ? tls + 6 : "-");
		out.data[strcspn(out.data, "\n")] = 0;
		env = target_env_bin(names[i]);
		bin = getenv(env);
		printf("%-20s %-12s %-8s %s%s%s%s\n", names[i], rc == 0
		    ? "available" : rc == 3 ? "unavailable" : "broken", family,
		    out.data,
		    rc != 0 && rc != 3 ? " (probe failed)" : "",
		    bin ? "; binary from " : "", bin ? env : "");
		free(env);
		buf_free(&out);
	}
	/* Validators as targets (proto dns), never in the default set. */
	for (int id = 0; id < RESOLVER_COUNT; id++) {
		char *why = NULL, *bin = resolver_which(id, NULL, 1, &why);
		char *name = xasprintf("resolver:%s", resolver_kind(id)->name);

		printf("%-20s %-12s %-8s %s%s\n", name, bin ? "available"
		    : "unavailable", "-", bin ? bin : why, bin ? " (proto dns; "
		    "only when named in --target)" : "");
		free(name);
		free(bin);
		free(why);
	}
	{
		char *bin = resolver_delv();

		printf("%-20s %-12s %-8s %s\n", "resolver:delv", bin
		    ? "available" : "unavailable", "-", bin ? "delv, a stub validator (proto dns; "
		    "only when named in --target)" : "delv not found: install "
		    "the Debian package bind9-dnsutils");
		free(bin);
	}
	(void)file_rmtree(tmp);	/* what the probes wrote (a config, a passwd) */
	free(tmp);
	target_names_free(names);
	return EXIT_PASS;
}

/* cmd_help - print the usage text */
static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(usage_text, stdout);
	return EXIT_PASS;
}

static const char pki_usage_text[] =
"usage: danelab pki [--profile FILE] [--out DIR] [--chain NAME]..\n"
"                   [--name VAR=VALUE].. [--tlsa SPEC].. [--owner NAME]\n"
"                   [--ttl N] [--list]\n"
"\n"
"Builds certificate chains of a PKI profile (format: certs/README.md),\n"
"prints TLSA records for them on stdout, and with --out writes them as PEM.\n"
"\n"
"  --profile FILE   the profile; default the data directory's\n"
"                   certs/profile: $DANELAB_DATADIR, else the build tree\n"
"                   danelab runs from, else " DANELAB_DATADIR "\n"
"  --chain NAME     a chain of the profile (repeatable); default: all chains\n"
"  --name VAR=VALUE set a name variable used by the profile, e.g.\n"
"                   host=mx1.a.example domain=a.example srvtarget=...\n"
"                   (repeatable; unset variables take the profile's defaults)\n"
"  --tlsa SPEC      a record to print for each chain (repeatable), as\n"
"                   \"USAGE SELECTOR MTYPE FROM [FAULT]\"; FROM is leaf, int,\n"
"                   root, depth:N, a cert or a key of the profile; FAULT is\n"
"                   corrupt, truncated, overlong or selector-swapped.\n"
"                   Default: \"3 1 1 leaf\"\n"
"  --owner NAME     owner of the printed records; default _25._tcp.$host.\n"
"  --ttl N          TTL of the printed records; default 3600\n"
"  --out DIR        write DIR/<chain>/chain.pem (served chain, leaf first),\n"
"                   key.pem (leaf private key, TEST-ONLY) and\n"
"                   <depth>-<cert>.pem for the chain and its unserved\n"
"                   issuers.  DIR must not exist; it appears complete or\n"
"                   not at all\n"
"  --list           print the profile's chain names and exit\n"
"\n"
"Exit status: 0 done; 2 usage or input error (bad profile, unknown chain,\n"
"bad spec, DIR exists or cannot be written); nothing is written then.\n";

/* pki_default_profile - the profile used without --profile; caller frees */
static char *
pki_default_profile(void)
{
	/* One data-directory rule for every command (template_datadir). */
	return xasprintf("%s/certs/profile", template_datadir());
}

/* cmd_pki - the "pki" command: parse options, build, print and write */
static int
cmd_pki(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "chain", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "tlsa", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'O' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const default_specs[] = { "3 1 1 leaf", NULL };
	const char *profile_path = NULL, *out = NULL;
	const char *owner = "_25._tcp.$host.";
	const char **chains = xcalloc(argc + 1, sizeof(char *));
	const char **specs = xcalloc(argc + 1, sizeof(char *));
	int nchains = 0, nspecs = 0, list = 0, opt, status = EXIT_USAGE;
	unsigned long ttl = 3600;
	struct pki_names *names = pki_names_new();
	struct pki_profile *p = NULL;
	char *dflt = NULL, *end;
	struct buf text = { 0 };

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			profile_path = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'c':
			chains[nchains++] = optarg;
			break;
		case 'n':
			if (pki_names_parse(names, optarg) < 0)
				goto cleanup;
			break;
		case 't':
			specs[nspecs++] = optarg;
			break;
		case 'O':
			owner = optarg;
			break;
		case 'T':
			ttl = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end ||
			    ttl > 0x7fffffffUL) {
				msg_warn("--ttl: bad number \"%s\"", optarg);
				goto cleanup;
			}
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			fputs(pki_usage_text, stdout);
			status = EXIT_PASS;
			goto cleanup;
		default:
			fputs(pki_usage_text, stderr);
			goto cleanup;
		}
	}
	if (optind < argc) {
		msg_warn("pki: unexpected argument \"%s\"", argv[optind]);
		fputs(pki_usage_text, stderr);
		goto cleanup;
	}
	if (profile_path == NULL)
		profile_path = dflt = pki_default_profile();
	if ((p = pki_profile_load(profile_path)) == NULL)
		goto cleanup;
	if (list) {
		for (int i = 0; i < pki_profile_chain_count(p); i++)
			printf("%s\n", pki_profile_chain_name(p, i));
		status = EXIT_PASS;
		goto cleanup;
	}
	if (nchains == 0) {
		free(chains);
		chains = xcalloc(pki_profile_chain_count(p) + 1, sizeof(char *));
		for (int i = 0; i < pki_profile_chain_count(p); i++)
			chains[nchains++] = pki_profile_chain_name(p, i);
	}
	/* Compute every record before writing anything. */
	for (int i = 0; i < nchains; i++)
		if (tlsa_format(&text, p, chains[i], names,
		    nspecs ? specs : default_specs, owner, (uint32_t)ttl) < 0)
			goto cleanup;
	if (out != NULL && pki_write(p, chains, names, out) < 0)
		goto cleanup;
	if (text.data)
		fputs(text.data, stdout);
	status = fflush(stdout) == 0 ? EXIT_PASS : EXIT_ENV;

cleanup:
	buf_free(&text);
	pki_profile_free(p);
	pki_names_free(names);
	free(dflt);
	free(chains);
	free(specs);
	return status;
}

/* cmd_report_diff - "report diff [--out DIR] [--format md|json] OLD NEW" */
static int
cmd_report_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum diff_format format = DIFF_MD;
	const char *out = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f':
			if (strcmp(optarg, "md") == 0)
				format = DIFF_MD;
			else if (strcmp(optarg, "json") == 0)
				format = DIFF_JSON;
			else
				usage_error("--format wants md or json",
				    optarg);
			break;
		case 'q': msg_quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
		default: usage_error("bad option", NULL);
		}
	}
	if (argc - optind != 2)
		usage_error("report diff wants two runs: OLD NEW", NULL);
	return diff_report(argv[optind], argv[optind + 1], out, format, stdout);
}

/* cmd_report - "report merge [--out DIR] FILE..": join shards into one report */
static int
cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	int c;

	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return cmd_report_diff(argc - 1, argv + 1);
	if (argc >= 2 && is_help(argv[1]))
		return cmd_help(argc, argv);
	if (argc < 2 || strcmp(argv[1], "merge") != 0)
		usage_error("report wants: merge [--out DIR] FILE.. or "
		    "diff OLD NEW",
		    argc < 2 ? NULL : argv[1]);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': msg_quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
		default: usage_error("bad option", NULL);
		}
	}
	if (optind >= argc)
		usage_error("report merge wants results.json files", NULL);
	stop_catch(NULL);	/* no half-written report on SIGINT, SIGTERM */
	return report_merge(out, argv + optind, (size_t)(argc - optind));
}

#define LAB_ROOTLESS	2	/* a command.lab that a user namespace serves */

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	int lab;		/* makes or joins the lab: needs privilege */
} commands[] = {
	{ "run", cmd_run, LAB_ROOTLESS },
	{ "targets", cmd_targets, 0 },
	{ "up", cmd_up, 1 },
	{ "exec", cmd_exec, 1 },
	{ "down", cmd_down, 1 },
	{ "observe", cmd_observe, 0 },
	{ "mark", cmd_mark, 0 },
	{ "connect", cmd_connect, 1 },
	{ "bench", cmd_bench, 1 },
	{ "list", cmd_list, 0 },
	{ "check", cmd_check, 0 },
	{ "help", cmd_help, 0 },
	{ "pki", cmd_pki, 0 },
	{ "report", cmd_report, 0 },
};

/* asks_help - is --help or -h among the options (before any "--")? */
static int
asks_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]))
		return cmd_help(argc - 1, argv + 1);
	unsetenv("DANELAB_ROOTLESS");	/* lab_rootless's word alone */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* Before any other input: whatever else is wrong. */
			if (commands[i].lab && !asks_help(argc - 1, argv + 1)
			    && (commands[i].lab == LAB_ROOTLESS
			    && !lab_has_admin() ? lab_rootless(argv[1])
			    : lab_privileged(argv[1])) != 0)
				return EXIT_ENV;
			return commands[i].run(argc - 1, argv + 1);
		}
	msg_warn("unknown command \"%s\" (try \"danelab help\")", argv[1]);
	return EXIT_USAGE;
}
