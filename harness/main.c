/*
 * main.c - danelab's command line: option parsing and sub-command
 * dispatch, nothing else.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "pki.h"
#include "tlsa.h"

static const char usage_text[] =
"usage: danelab COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  help                     this text\n"
"  pki                      write a PKI profile's chains as PEM, print TLSA\n"
"                           records (danelab pki --help)\n"
"\n"
"Exit status: 0 all cells pass or xfail; 1 some cell fails;\n"
"2 usage or input error; 3 the lab or the environment could not be set up.\n";

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
"  --profile FILE   the profile; default certs/profile if it exists, else\n"
"                   $DANELAB_DATADIR/certs/profile, else\n"
"                   " DANELAB_DATADIR "/certs/profile\n"
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
	const char *dir = getenv("DANELAB_DATADIR");

	if (access("certs/profile", F_OK) == 0)
		return xstrdup("certs/profile");
	return xasprintf("%s/certs/profile", dir ? dir : DANELAB_DATADIR);
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

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "help", cmd_help },
	{ "pki", cmd_pki },
};

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	msg_warn("unknown command \"%s\" (try \"danelab help\")", argv[1]);
	return EXIT_USAGE;
}
