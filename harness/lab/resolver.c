/*
 * resolver.c - the lab's validating resolvers: the table, their
 * binaries, their configurations from templates, their command lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "resolver.h"
#include "template.h"

#define RESOLVER_MULTIARCH	"usr/lib/x86_64-linux-gnu"

static const struct resolver_kind resolver_table[RESOLVER_COUNT] = {
	[RESOLVER_UNBOUND] = { "unbound", "unbound", "DANELAB_UNBOUND_BIN",
	    "unbound", NULL, "unbound.conf", NULL, "unbound.log", NULL },
	[RESOLVER_KNOT] = { "knot", "kresd", "DANELAB_KNOT_BIN",
	    "knot-resolver", "/opt/danelab/knot-resolver", "kresd.conf", NULL,
	    "kresd.log", "/" RESOLVER_MULTIARCH "/knot-resolver" },
	[RESOLVER_BIND] = { "bind", "named", "DANELAB_BIND_BIN", "bind9",
	    "/opt/danelab/bind9", "named.conf", NULL, "named.log", NULL },
	[RESOLVER_PDNS] = { "pdns", "pdns_recursor", "DANELAB_PDNS_BIN",
	    "pdns-recursor", "/opt/danelab/pdns-recursor", "recursor.conf",
	    "recursor.lua", "pdns.log", NULL },
};

const struct resolver_kind *
resolver_kind(enum resolver_id id)
{
	return &resolver_table[id];
}

int
resolver_lookup(const char *name)
{
	for (int i = 0; i < RESOLVER_COUNT; i++)
		if (strcmp(resolver_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
resolver_names(void)
{
	return "unbound, knot, bind, pdns";
}

const char *
resolver_target_addr(enum resolver_id id)
{
	static const char *const addrs[RESOLVER_COUNT] = {
		"127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"
	};

	return addrs[id];
}

char *
resolver_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *save = NULL, *found = NULL;

	dirs = xasprintf("%s:/usr/sbin:/sbin:/usr/local/sbin",
	    path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/%s", d, name);

		if (access(f, X_OK) == 0) {
			found = f;
			break;
		}
		free(f);
	}
	free(dirs);
	return found;
}

char *
resolver_delv(void)
{
	const char *given = getenv("DANELAB_DELV_BIN");

	return given && *given ? xstrdup(given) : resolver_in_path("delv");
}

char *
resolver_which(enum resolver_id id, const char *given, int quiet, char **why)
{
	const struct resolver_kind *k = &resolver_table[id];
	char *found = NULL, *reason = NULL;

	if (given == NULL && getenv(k->env) && *getenv(k->env))
		given = getenv(k->env);
	if (given) {
		if (access(given, X_OK) == 0)
			return xstrdup(given);
		reason = xasprintf("%s %s is not an executable file (%s)",
		    k->program, given, strerror(errno));
	} else if (k->unpacked) {
		found = xasprintf("%s/usr/sbin/%s", k->unpacked, k->program);
		if (access(found, X_OK) != 0) {
			free(found);
			found = resolver_in_path(k->program);
		}
		if (found == NULL)
			reason = xasprintf("%s (%s) is not installed: unpack "
			    "the Debian package %s with sh harness/targets/"
			    "lib/resolver-fetch.sh %s (make deps; never apt-get "
			    "install: it starts a system service), or set %s",
			    k->name, k->program, k->package, k->package,
			    k->env);
	} else if ((found = resolver_in_path(k->program)) == NULL)
		reason = xasprintf("%s not found in PATH or /usr/sbin: install "
		    "the Debian package %s (make deps) or set %s", k->program,
		    k->package, k->env);
	if (reason && !quiet)
		msg_warn("%s", reason);
	if (why)
		*why = reason;
	else
		free(reason);
	return found;
}

char *
resolver_libpath(enum resolver_id id, const char *bin)
{
	const struct resolver_kind *k = &resolver_table[id];
	size_t n;

	if (k->unpacked == NULL)
		return NULL;
	n = strlen(k->unpacked);
	if (strncmp(bin, k->unpacked, n) != 0 || bin[n] != '/')
		return NULL;
	return xasprintf("%s/" RESOLVER_MULTIARCH, k->unpacked);
}

/* resolver_ds - the fields of the root's DS record; 0, or -1 after a
 * warning */
static int
resolver_ds(const char *anchor_ds, char tag[16], char alg[8], char dt[8],
    char digest[160])
{
	const char *ds = strstr(anchor_ds, "\tDS\t");

	if (ds == NULL || sscanf(ds + 4, "%15s %7s %7s %159s", tag, alg, dt,
	    digest) != 4) {
		msg_warn("the lab's root trust anchor is not one DS record: %s",
		    anchor_ds);
		return -1;
	}
	return 0;
}

char *
resolver_bind_anchor(const char *anchor_ds)
{
	char tag[16], alg[8], dt[8], digest[160];

	if (resolver_ds(anchor_ds, tag, alg, dt, digest) != 0)
		return NULL;
	return xasprintf("trust-anchors {\n\t. static-ds %s %s %s \"%s\";\n};\n",
	    tag, alg, dt, digest);
}

int
resolver_write(enum resolver_id id, const char *rundir, const char *statedir,
    const char *addr, const char *anchor_ds, const char *root_ns,
    const char *auth_addr, const char *override_date)
{
	const struct resolver_kind *k = &resolver_table[id];
	char tag[16] = "", alg[8] = "", dt[8] = "", digest[160] = "";
	char *override, *tmpl = NULL, *out = NULL;
	const char *files[2] = { k->conf, k->extra };
	int ret = 0;

	if (resolver_ds(anchor_ds, tag, alg, dt, digest) != 0)
		return -1;
	if (override_date && id != RESOLVER_UNBOUND) {
		msg_warn("--override-date sets Unbound's validation clock; %s "
		    "has none", k->name);
		return -1;
	}
	if (file_mkdirs(statedir) != 0)
		return -1;
	override = override_date
	    ? xasprintf("val-override-date: \"%s\"", override_date)
	    : xstrdup("# val-override-date: not set");
	{
		const struct template_var vars[] = {
			{ "RUNDIR", rundir },
			{ "STATEDIR", statedir },
			{ "RESOLVER_ADDR", addr },
			{ "OVERRIDE_DATE", override },
			{ "ROOT_NS", root_ns },
			{ "AUTH_ADDR", auth_addr },
			{ "DS_KEYTAG", tag },
			{ "DS_ALG", alg },
			{ "DS_DIGTYPE", dt },
			{ "DS_DIGEST", digest },
		};

		for (int i = 0; i < 2 && files[i] && ret == 0; i++) {
			free(tmpl);
			free(out);
			tmpl = xasprintf("%s/zones/%s.in", template_datadir(),
			    files[i]);
			out = xasprintf("%s/%s", statedir, files[i]);
			ret = template_expand_file(tmpl, out, vars,
			    sizeof(vars) / sizeof(vars[0]));
		}
	}
	free(tmpl);
	free(out);
	free(override);
	return ret;
}

void
resolver_argv(enum resolver_id id, const char *bin, const char *statedir,
    char *argv[8])
{
	const struct resolver_kind *k = &resolver_table[id];
	char *conf = xasprintf("%s/%s", statedir, k->conf);
	int n = 0;

	memset(argv, 0, 8 * sizeof(*argv));
	argv[n++] = xstrdup(bin);
	switch (id) {
	case RESOLVER_UNBOUND:
		argv[n++] = xstrdup("-d");
		argv[n++] = xstrdup("-c");
		argv[n++] = conf;
		break;
	case RESOLVER_KNOT:
		argv[n++] = xstrdup("-n");
		argv[n++] = xstrdup("-c");
		argv[n++] = conf;
		argv[n++] = xstrdup(statedir);
		break;
	case RESOLVER_BIND:
		argv[n++] = xstrdup("-f");
		argv[n++] = xstrdup("-4");
		argv[n++] = xstrdup("-c");
		argv[n++] = conf;
		break;
	default:
		argv[n++] = xasprintf("--config-dir=%s", statedir);
		free(conf);
		break;
	}
}

void
resolver_argv_free(char *argv[8])
{
	for (int i = 0; i < 8; i++) {
		free(argv[i]);
		argv[i] = NULL;
	}
}
