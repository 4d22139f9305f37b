/* target.c - adapters: find, run inside the lab, verdict words, baselines */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lab.h"
#include "msg.h"
#include "target.h"
#include "template.h"

/* The verdict words outside the outcomes, by enum target_state. */
static const char *const target_extra_words[] = {
	[TARGET_SKIP] = "skip", [TARGET_ERROR] = "error",
};

enum target_state
target_word_parse(const char *s, enum outcome *o)
{
	int i = outcome_parse(s);

	if (i >= 0) {
		*o = (enum outcome)i;
		return TARGET_OUTCOME;
	}
	if (strcmp(s, target_extra_words[TARGET_SKIP]) == 0)
		return TARGET_SKIP;
	if (strcmp(s, target_extra_words[TARGET_ERROR]) == 0)
		return TARGET_ERROR;
	return TARGET_NONE;
}

const char *
target_verdict_word(const struct target_verdict *v)
{
	switch (v->state) {
	case TARGET_OUTCOME:
		return outcome_name(v->outcome);
	case TARGET_SKIP:
	case TARGET_ERROR:
		return target_extra_words[v->state];
	default:
		return "(none)";
	}
}

/* target_cmp - for qsort of names */
static int
target_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* target_dir - where the adapters are: $DANELAB_TARGETS_DIR (tests) or
 * the data directory's harness/targets; caller frees */
static char *
target_dir(void)
{
	const char *d = getenv("DANELAB_TARGETS_DIR");
	char *abs;

	if (d == NULL || *d == 0)
		return xasprintf("%s/harness/targets", template_datadir());
	/* Adapters run in their work directory: no relative path. */
	if (*d != '/' && (abs = realpath(d, NULL)) != NULL) {
		char *copy = xstrdup(abs);

		free(abs);
		return copy;
	}
	return xstrdup(d);
}

/* target_file - "<target_dir>/<name><ext>"; caller frees */
static char *
target_file(const char *name, const char *ext)
{
	char *dir = target_dir(), *path = xasprintf("%s/%s%s", dir, name, ext);

	free(dir);
	return path;
}

char **
target_names(void)
{
	char *dir = target_dir();
	char **names = xcalloc(2, sizeof(char *));
	size_t n = 1;
	struct dirent *de;
	DIR *d;

	names[0] = xstrdup(TARGET_REF);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);

			if (len < 4 || strcmp(de->d_name + len - 3, ".sh") != 0
			    || de->d_name[0] == '.')
				continue;
			names = xrealloc(names, (n + 2) * sizeof(char *));
			names[n++] = xstrndup(de->d_name, len - 3);
		}
		closedir(d);
	}
	names[n] = NULL;
	qsort(names + 1, n - 1, sizeof(char *), target_cmp);
	free(dir);
	return names;
}

void
target_names_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

char *
target_env_bin(const char *name)
{
	char *env = xasprintf("DANELAB_%s_BIN", name);

	for (char *p = env; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	return env;
}

/*
 * target_env - the adapter's environment (targets/README.md): ours, plus
 * the DANELAB_* variables.  Built before fork, so that the child, which
 * shares the address space of a process with running threads, only
 * execs.  Free with lab_env_free.
 */
static char **
target_env(const struct lab *l, const char *name, const char *workdir,
    int probe_ms)
{
	char **env = lab_env(), num[32];

	snprintf(num, sizeof(num), "%d", probe_ms);
	lab_env_set(&env, "DANELAB_TARGET", name);
	lab_env_set(&env, "DANELAB_WORKDIR", workdir);
	lab_env_set(&env, "DANELAB_DATADIR", template_datadir());
	lab_env_set(&env, "DANELAB_RESOLVER", LAB_RESOLVER_ADDR);
	lab_env_set(&env, "DANELAB_DEADLINE_MS", num);
	lab_env_set(&env, "DANELAB_CLIENT_NAME", TARGET_CLIENT_NAME);
	lab_env_set(&env, "DANELAB_INBOUND_DOMAIN", TARGET_CLIENT_NAME);
	lab_env_set(&env, "DANELAB_INBOUND_ADDR", TARGET_INBOUND_ADDR);
	lab_env_set(&env, "DANELAB_INBOUND_PORT", TARGET_INBOUND_PORT_STR);
	if (l != NULL) {
		char *v = xasprintf("%s/anchors/root.key", lab_dir(l));

		lab_env_set(&env, "DANELAB_TRUST_ANCHOR", v);
		free(v);
		v = xasprintf("%s/" TARGET_INBOUND_CERT, lab_dir(l));
		lab_env_set(&env, "DANELAB_INBOUND_CERT", v);
		free(v);
		v = xasprintf("%s/" TARGET_INBOUND_KEY, lab_dir(l));
		lab_env_set(&env, "DANELAB_INBOUND_KEY", v);
		free(v);
	}
	return env;
}

int
target_exec(const struct lab *l, const char *name, const char *verb,
    const char *arg, const char *workdir, int probe_ms, int deadline_ms,
    struct buf *out)
{
	char *script = target_file(name, ".sh");
	char *argv[] = { "sh", script, (char *)verb, (char *)arg, NULL };
	char **env = target_env(l, name, workdir, probe_ms);
	struct lab_cmd c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.path = "/bin/sh";
	c.argv = argv;
	c.envp = env;
	c.workdir = workdir;
	c.deadline_ms = deadline_ms;
	c.out = out;
	rc = lab_run(l ? lab_keeper(l) : 0, &c);
	lab_env_free(env);
	free(script);
	return rc;
}

const char *
target_status_text(int rc)
{
	static _Thread_local char text[64];

	if (rc == -1)
		return "killed at its deadline";
	if (rc < 0)
		return "not run";
	if (rc > 128 && rc < 128 + 65 && sigabbrev_np(rc - 128) != NULL)
		snprintf(text, sizeof(text), "killed by SIG%s",
		    sigabbrev_np(rc - 128));
	else
		snprintf(text, sizeof(text), "exit %d", rc);
	return text;
}

struct target_deviation *
target_baseline_load(const char *name, size_t *n, int *errors)
{
	char *path = target_file(name, ".baseline");
	struct target_deviation *d = NULL;
	char *text = file_read(path, NULL), *line, *save = NULL;
	int lineno = 0;

	*n = 0;
	if (text == NULL) {
		free(path);
		return NULL;
	}
	/* strtok_r skips empty lines: count lines by hand instead. */
	for (line = text; line && *line; line = save) {
		char *nl = strchr(line, '\n'), *f[3], *p = line;
		int k;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0 || *p == '#')
			continue;
		for (k = 0; k < 3; k++) {
			f[k] = p;
			p += strcspn(p, " \t");
			if (*p == 0)
				break;
			*p++ = 0;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		if (k < 3 || *p == 0) {
			msg_input(path, lineno, "wants SCENARIO-PATTERN PROTO "
			    "POLICY REASON");
			(*errors)++;
			continue;
		}
		d = xrealloc(d, (*n + 1) * sizeof(*d));
		d[*n].pattern = xstrdup(f[0]);
		d[*n].line = lineno;
		d[*n].validator = NULL;
		d[*n].proto = xstrdup(f[1]);
		d[*n].policy = xstrdup(f[2]);
		/* "intermittent: REASON": shows only in some runs. */
		d[*n].intermittent = strncmp(p, "intermittent:", 13) == 0;
		if (d[*n].intermittent)
			p += 13 + strspn(p + 13, " \t");
		d[*n].reason = xstrdup(p);
		(*n)++;
	}
	free(text);
	free(path);
	return d;
}

void
target_baseline_free(struct target_deviation *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].pattern);
		free(d[i].proto);
		free(d[i].policy);
		free(d[i].reason);
	}
	free(d);
}

struct target_deviation *
target_baseline_lab(const char *name, size_t *n, int *errors)
{
	char *file = xasprintf("resolver-%s.lab", name);
	struct target_deviation *d = target_baseline_load(file, n, errors);

	for (size_t i = 0; i < *n; i++)
		d[i].validator = name;
	free(file);
	return d;
}

void
target_baseline_add(struct target_deviation **d, size_t *n,
    const struct target_deviation *more, size_t nmore)
{
	if (nmore == 0)
		return;
	*d = xrealloc(*d, (*n + nmore) * sizeof(**d));
	memmove(*d + nmore, *d, *n * sizeof(**d));
	for (size_t i = 0; i < nmore; i++) {
		struct target_deviation *to = &(*d)[i];

		*to = more[i];
		to->pattern = xstrdup(more[i].pattern);
		to->proto = xstrdup(more[i].proto);
		to->policy = xstrdup(more[i].policy);
		to->reason = xstrdup(more[i].reason);
	}
	*n += nmore;
}

const struct target_deviation *
target_baseline_match(const struct target_deviation *d, size_t n,
    const char *scenario, const char *proto, const char *policy)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(d[i].pattern, scenario, 0) == 0
		    && (strcmp(d[i].proto, "*") == 0
		    || strcmp(d[i].proto, proto) == 0)
		    && (strcmp(d[i].policy, "*") == 0
		    || strcmp(d[i].policy, policy) == 0))
			return &d[i];
	return NULL;
}

void
target_probe_line(struct buf *b, size_t cell, const char *proto,
    const char *policy, const char *domain)
{
	buf_printf(b, "c%zu %s %s %s\n", cell, proto, policy, domain);
}

/* target_parse_error - one more "target NAME: ..." on *errors */
static void
target_parse_error(char **errors, const char *name, const char *what,
    const char *line)
{
	char *e = xasprintf("%s%starget %s: %s \"%.200s\"", *errors ? *errors
	    : "", *errors ? "; " : "", name, what, line);

	free(*errors);
	*errors = e;
}

/* target_verdict_of - the probe of v[0..n-1] whose cell is cell, or NULL */
static struct target_verdict *
target_verdict_of(struct target_verdict *v, size_t n, size_t cell)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].cell == cell)
			return &v[i];
	return NULL;
}

void
target_parse_run(const char *name, const char *out, struct target_verdict *v,
    size_t n, struct buf *batch_log, char **errors)
{
	char *copy = xstrdup(out ? out : ""), *line, *next;

	for (line = copy; *line; line = next) {
		struct target_verdict *p;
		char id[32], w[32];
		enum target_state st = TARGET_NONE;
		enum outcome o = OUTCOME_NO_CONNECT;
		int off = 0;
		size_t cell;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		if (*line == 0)
			continue;
		if (*line == '#') {
			if (sscanf(line, "# c%zu %n", &cell, &off) == 1 && off > 0
			    && (p = target_verdict_of(v, n, cell)) != NULL) {
				char *l2 = xasprintf("%s%s\n", p->log ? p->log
				    : "", line);

				free(p->log);
				p->log = l2;
			} else if (batch_log->len < TARGET_BATCH_LOG_MAX)
				buf_printf(batch_log, "%s\n", line);
			continue;
		}
		if (sscanf(line, "%31s %31s %n", id, w, &off) < 2
		    || sscanf(id, "c%zu", &cell) != 1
		    || (st = target_word_parse(w, &o)) == TARGET_NONE) {
			target_parse_error(errors, name, "cannot parse output "
			    "line", line);
			continue;
		}
		if ((p = target_verdict_of(v, n, cell)) == NULL) {
			target_parse_error(errors, name, "verdict for an unknown "
			    "probe:", line);
			continue;
		}
		p->state = st;
		p->outcome = o;
		free(p->text);
		p->text = xstrdup(off > 0 ? line + off : "");
	}
	free(copy);
}

void
target_verdicts_free(struct target_verdict *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].text);
		free(v[i].log);
	}
	free(v);
}

int
target_probe(const struct lab *l, const char *name, const char *workdir,
    int probe_ms, char **line, int *prober, char **tls, int *adapter_dns)
{
	struct buf out = { 0 };
	const char *f;
	size_t len;
	int rc = target_exec(l, name, "probe", NULL, workdir, probe_ms,
	    TARGET_VERB_MS, &out);

	if (out.data == NULL)
		buf_append(&out, "", 0);
	*prober = strstr(out.data, "\nmode: prober") != NULL;
	*tls = NULL;
	if ((f = strstr(out.data, "\ntls: ")) != NULL
	    && (len = strcspn(f + 6, " \t\n")) > 0)
		*tls = xstrndup(f + 6, len);
	*adapter_dns = strstr(out.data, "\ndns: adapter") != NULL;
	out.data[strcspn(out.data, "\n")] = 0;
	*line = xstrdup(out.data);
	buf_free(&out);
	return rc;
}

void
target_batch_run(const struct lab *l, const char *name, const char *workdir,
    int probe_ms, struct target_batch *b)
{
	struct buf file = { 0 };
	char *path = xasprintf("%s/probes-%s-%s.txt", workdir, b->proto,
	    b->policy);

	for (size_t i = 0; i < b->n; i++)
		target_probe_line(&file, b->v[i].cell, b->proto, b->policy,
		    b->v[i].domain);
	b->t_run0 = clock_s();
	if (file_write(path, file.data, file.len) != 0) {
		for (size_t i = 0; i < b->n; i++) {
			b->v[i].state = TARGET_ERROR;
			b->v[i].text = xasprintf("cannot write %s", path);
		}
		b->rc = -2;
	} else {
		b->deadline_ms = probe_ms * (1 + (int)b->n / 16);
		b->rc = target_exec(l, name, "run", path, workdir, probe_ms,
		    b->deadline_ms, &b->out);
	}
	b->t_run1 = clock_s();
	target_parse_run(name, b->out.data, b->v, b->n, &b->log, &b->errors);
	buf_free(&file);
	free(path);
}

void
target_batch_free(struct target_batch *b)
{
	target_verdicts_free(b->v, b->n);
	b->v = NULL;
	buf_free(&b->out);
	buf_free(&b->log);
	free(b->errors);
	b->errors = NULL;
}

int
target_inbound_write(struct pki_profile *p, const char *labdir)
{
	static const char *const chains[] = { "full", NULL };
	struct pki_names *names = pki_names_new();
	char *dir = xasprintf("%s/inbound", labdir);
	int ret;

	pki_names_set(names, "host", TARGET_CLIENT_NAME);
	pki_names_set(names, "srvtarget", TARGET_CLIENT_NAME);
	pki_names_set(names, "domain", TARGET_CLIENT_NAME);
	/* A lab directory given with --dir may hold an earlier run's. */
	file_rmtree(dir);
	if ((ret = pki_write(p, chains, names, dir)) != 0)
		msg_warn("cannot write the receivers' chain for xmpp-in in %s",
		    dir);
	pki_names_free(names);
	free(dir);
	return ret == 0 ? 0 : -1;
}
