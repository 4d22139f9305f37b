/*
 * pki.c - crafted keys and certificate chains from a PKI profile.
 * The profile format is documented in certs/README.md.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "msg.h"
#include "pki.h"

#define PKI_LINE_MAX	4096	/* longest profile line */
#define PKI_TOKENS_MAX	32	/* most words on one line */

/* How a key identifier extension is written. */
enum pki_kid {
	PKI_KID_YES,		/* present and correct */
	PKI_KID_NONE,		/* absent */
	PKI_KID_MISMATCH	/* present, one bit off */
};

/* Extended key usage bits. */
enum {
	PKI_EKU_SERVER = 1,
	PKI_EKU_CLIENT = 2
};

struct pki_key {
	char *name;
	EVP_PKEY *pkey;
	int line;
};

struct pki_tmpl {
	char *name;
	int line;
	char *key_name;
	char *issuer_name;	/* "self" for self-signed */
	int key;		/* index into keys */
	int issuer;		/* index into tmpls, -1 for self-signed */
	int64_t serial;
	char *from;
	char *until;
	char *cn;
	char **san;
	int nsan;
	int ca;
	int pathlen;		/* -1: none */
	int eku;		/* PKI_EKU_* bits, 0: no extension */
	enum pki_kid skid;
	enum pki_kid akid;
	int uses_vars;		/* this template or an issuer uses a variable */
	X509 *cache;		/* built once when uses_vars is 0 */
};

struct pki_chaindef {
	char *name;
	int line;
	char **cert_names;
	int *certs;
	int ncerts;
};

struct pki_namedef {
	char *var;
	char *value;
	int line;
};

struct pki_profile {
	char *path;
	struct pki_key *keys;
	int nkeys;
	struct pki_tmpl *tmpls;
	int ntmpls;
	struct pki_chaindef *chains;
	int nchains;
	struct pki_namedef *names;
	int nnames;
	pthread_mutex_t lock;	/* the templates' caches */
};

struct pki_names {
	char **var;
	char **value;
	int n;
};

struct pki_chain {
	char *name;
	STACK_OF(X509) *served;
	STACK_OF(X509) *extra;
	STACK_OF(X509) *path;
	const char **path_names;	/* borrowed from the profile */
	EVP_PKEY *key;
};

/* pki_ssl_error - the first queued OpenSSL error as text, queue cleared */
static const char *
pki_ssl_error(void)
{
	static char text[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(text, sizeof(text), "unknown OpenSSL error");
	else
		ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	return text;
}

/* pki_find_key - index of key "name", or -1 */
static int
pki_find_key(const struct pki_profile *p, const char *name)
{
	for (int i = 0; i < p->nkeys; i++)
		if (strcmp(p->keys[i].name, name) == 0)
			return i;
	return -1;
}

/* pki_find_tmpl - index of certificate template "name", or -1 */
static int
pki_find_tmpl(const struct pki_profile *p, const char *name)
{
	for (int i = 0; i < p->ntmpls; i++)
		if (strcmp(p->tmpls[i].name, name) == 0)
			return i;
	return -1;
}

/* pki_find_chain - index of chain "name", or -1 */
static int
pki_find_chain(const struct pki_profile *p, const char *name)
{
	for (int i = 0; i < p->nchains; i++)
		if (strcmp(p->chains[i].name, name) == 0)
			return i;
	return -1;
}

/* pki_find_namedef - index of the "name" line for var, or -1 */
static int
pki_find_namedef(const struct pki_profile *p, const char *var, size_t len)
{
	for (int i = 0; i < p->nnames; i++)
		if (strlen(p->names[i].var) == len &&
		    strncmp(p->names[i].var, var, len) == 0)
			return i;
	return -1;
}

/* pki_var_len - length of the variable name starting at s */
static size_t
pki_var_len(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	    (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
		n++;
	return n;
}

/* pki_valid_name - 1 if s is a usable identifier for keys, certs, chains */
static int
pki_valid_name(const char *s)
{
	if (*s == 0)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

/* pki_check_vars - every $var in s is declared; 1 if s uses any, -1 on error */
static int
pki_check_vars(const struct pki_profile *p, const char *s, int line)
{
	int uses = 0;

	for (const char *d = strchr(s, '$'); d; d = strchr(d + 1, '$')) {
		size_t len = pki_var_len(d + 1);

		if (len == 0) {
			msg_input(p->path, line, "\"$\" without a variable "
			    "name in \"%s\"", s);
			return -1;
		}
		if (pki_find_namedef(p, d + 1, len) < 0) {
			msg_input(p->path, line, "undeclared variable "
			    "\"$%.*s\" (add a \"name\" line)", (int)len, d + 1);
			return -1;
		}
		uses = 1;
	}
	return uses;
}

/* pki_check_time - 1 if s is an acceptable certificate time */
static int
pki_check_time(const char *s)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int ok = t != NULL && ASN1_TIME_set_string_X509(t, s) == 1;

	ASN1_TIME_free(t);
	return ok;
}

/* pki_parse_kid - parse yes|none|mismatch; -1 if neither */
static int
pki_parse_kid(const char *s)
{
	if (strcmp(s, "yes") == 0)
		return PKI_KID_YES;
	if (strcmp(s, "none") == 0)
		return PKI_KID_NONE;
	if (strcmp(s, "mismatch") == 0)
		return PKI_KID_MISMATCH;
	return -1;
}

/* pki_parse_eku - parse server|client|server,client|none; -1 if bad */
static int
pki_parse_eku(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "server") == 0)
		return PKI_EKU_SERVER;
	if (strcmp(s, "client") == 0)
		return PKI_EKU_CLIENT;
	if (strcmp(s, "server,client") == 0 || strcmp(s, "client,server") == 0)
		return PKI_EKU_SERVER | PKI_EKU_CLIENT;
	return -1;
}

/* pki_split_list - split a comma-separated list into a new vector */
static char **
pki_split_list(const char *s, int *count)
{
	char **v = NULL;
	int n = 0;
	const char *start = s;

	for (;;) {
		const char *end = strchr(start, ',');
		size_t len = end ? (size_t)(end - start) : strlen(start);

		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrndup(start, len);
		if (end == NULL)
			break;
		start = end + 1;
	}
	*count = n;
	return v;
}

/* pki_parse_cert - parse the attributes of one "cert" line */
static int
pki_parse_cert(struct pki_profile *p, char **tok, int ntok, int line,
    const char *from, const char *until)
{
	struct pki_tmpl *t;
	int have_serial = 0;

	p->tmpls = xrealloc(p->tmpls, (p->ntmpls + 1) * sizeof(*p->tmpls));
	t = &p->tmpls[p->ntmpls++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(tok[1]);
	t->line = line;
	t->pathlen = -1;
	t->eku = -1;
	t->from = from ? xstrdup(from) : NULL;
	t->until = until ? xstrdup(until) : NULL;
	for (int i = 2; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		const char *v;
		char *end;

		if (eq == NULL || eq == tok[i] || eq[1] == 0) {
			msg_input(p->path, line, "expected attribute=value, "
			    "got \"%s\"", tok[i]);
			return -1;
		}
		*eq = 0;
		v = eq + 1;
		if (strcmp(tok[i], "key") == 0) {
			free(t->key_name);
			t->key_name = xstrdup(v);
		} else if (strcmp(tok[i], "issuer") == 0) {
			free(t->issuer_name);
			t->issuer_name = xstrdup(v);
		} else if (strcmp(tok[i], "serial") == 0) {
			errno = 0;
			t->serial = strtoll(v, &end, 10);
			if (errno || *end || t->serial < 1) {
				msg_input(p->path, line, "bad serial \"%s\"",
				    v);
				return -1;
			}
			have_serial = 1;
		} else if (strcmp(tok[i], "from") == 0 ||
		    strcmp(tok[i], "until") == 0) {
			char **dst = tok[i][0] == 'f' ? &t->from : &t->until;

			if (!pki_check_time(v)) {
				msg_input(p->path, line, "bad time \"%s\" "
				    "(want YYYYMMDDHHMMSSZ)", v);
				return -1;
			}
			free(*dst);
			*dst = xstrdup(v);
		} else if (strcmp(tok[i], "cn") == 0) {
			free(t->cn);
			t->cn = xstrdup(v);
		} else if (strcmp(tok[i], "san") == 0) {
			for (int k = 0; k < t->nsan; k++)
				free(t->san[k]);
			free(t->san);
			t->san = pki_split_list(v, &t->nsan);
		} else if (strcmp(tok[i], "ca") == 0) {
			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				msg_input(p->path, line, "ca= wants yes or no");
				return -1;
			}
			t->ca = strcmp(v, "yes") == 0;
		} else if (strcmp(tok[i], "pathlen") == 0) {
			long n = strtol(v, &end, 10);

			if (*end || n < 0 || n > 16) {
				msg_input(p->path, line, "bad pathlen \"%s\"",
				    v);
				return -1;
			}
			t->pathlen = (int)n;
		} else if (strcmp(tok[i], "eku") == 0) {
			if ((t->eku = pki_parse_eku(v)) < 0) {
				msg_input(p->path, line, "eku= wants server, "
				    "client, server,client or none");
				return -1;
			}
		} else if (strcmp(tok[i], "skid") == 0 ||
		    strcmp(tok[i], "akid") == 0) {
			int k = pki_parse_kid(v);

			if (k < 0) {
				msg_input(p->path, line, "%s= wants yes, none "
				    "or mismatch", tok[i]);
				return -1;
			}
			if (tok[i][0] == 's')
				t->skid = (enum pki_kid)k;
			else
				t->akid = (enum pki_kid)k;
		} else {
			msg_input(p->path, line, "unknown attribute \"%s\"",
			    tok[i]);
			return -1;
		}
	}
	if (t->key_name == NULL || t->issuer_name == NULL || !have_serial) {
		msg_input(p->path, line, "cert \"%s\" needs key=, issuer= and "
		    "serial=", t->name);
		return -1;
	}
	if (t->from == NULL || t->until == NULL) {
		msg_input(p->path, line, "cert \"%s\" has no dates (from=, "
		    "until= or an earlier \"validity\" line)", t->name);
		return -1;
	}
	if (t->cn == NULL && t->nsan == 0) {
		msg_input(p->path, line, "cert \"%s\" needs cn= or san=",
		    t->name);
		return -1;
	}
	if (t->eku < 0)
		t->eku = t->ca ? 0 : PKI_EKU_SERVER;
	return 0;
}

/* pki_tokenize - split a line into words, stopping at a "#" word */
static int
pki_tokenize(char *line, char **tok)
{
	int n = 0;

	for (char *s = strtok(line, " \t\r\n"); s; s = strtok(NULL, " \t\r\n")) {
		if (*s == '#')
			break;
		if (n == PKI_TOKENS_MAX)
			return -1;
		tok[n++] = s;
	}
	return n;
}

/* pki_profile_parse_line - handle one non-empty line of a profile */
static int
pki_profile_parse_line(struct pki_profile *p, char **tok, int n, int line,
    char **from, char **until, const char *dir)
{
	if (!pki_valid_name(n > 1 ? tok[1] : "")) {
		msg_input(p->path, line, "\"%s\" needs a name (letters, "
		    "digits, \"-_.\")", tok[0]);
		return -1;
	}
	if (strcmp(tok[0], "name") == 0) {
		if (n != 3 || pki_var_len(tok[1]) != strlen(tok[1])) {
			msg_input(p->path, line, "usage: name VARIABLE "
			    "DEFAULT");
			return -1;
		}
		if (pki_find_namedef(p, tok[1], strlen(tok[1])) >= 0) {
			msg_input(p->path, line, "name \"%s\" declared twice",
			    tok[1]);
			return -1;
		}
		p->names = xrealloc(p->names, (p->nnames + 1) *
		    sizeof(*p->names));
		p->names[p->nnames].var = xstrdup(tok[1]);
		p->names[p->nnames].value = xstrdup(tok[2]);
		p->names[p->nnames++].line = line;
	} else if (strcmp(tok[0], "key") == 0) {
		char *file;
		FILE *fp;
		EVP_PKEY *k = NULL;

		if (n != 3) {
			msg_input(p->path, line, "usage: key NAME FILE");
			return -1;
		}
		if (pki_find_key(p, tok[1]) >= 0) {
			msg_input(p->path, line, "key \"%s\" defined twice",
			    tok[1]);
			return -1;
		}
		file = tok[2][0] == '/' ? xstrdup(tok[2]) :
		    xasprintf("%s/%s", dir, tok[2]);
		if ((fp = fopen(file, "r")) == NULL) {
			msg_input(p->path, line, "cannot open key %s: %s", file,
			    strerror(errno));
			free(file);
			return -1;
		}
		k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
		if (k == NULL) {
			msg_input(p->path, line, "cannot read key %s: %s", file,
			    pki_ssl_error());
			free(file);
			return -1;
		}
		free(file);
		p->keys = xrealloc(p->keys, (p->nkeys + 1) * sizeof(*p->keys));
		p->keys[p->nkeys].name = xstrdup(tok[1]);
		p->keys[p->nkeys].pkey = k;
		p->keys[p->nkeys++].line = line;
	} else if (strcmp(tok[0], "validity") == 0) {
		if (n != 3 || !pki_check_time(tok[1]) ||
		    !pki_check_time(tok[2])) {
			msg_input(p->path, line, "usage: validity FROM UNTIL "
			    "(YYYYMMDDHHMMSSZ)");
			return -1;
		}
		free(*from);
		free(*until);
		*from = xstrdup(tok[1]);
		*until = xstrdup(tok[2]);
	} else if (strcmp(tok[0], "cert") == 0) {
		if (pki_find_tmpl(p, tok[1]) >= 0) {
			msg_input(p->path, line, "cert \"%s\" defined twice",
			    tok[1]);
			return -1;
		}
		return pki_parse_cert(p, tok, n, line, *from, *until);
	} else if (strcmp(tok[0], "chain") == 0) {
		struct pki_chaindef *c;

		if (n < 3) {
			msg_input(p->path, line, "usage: chain NAME LEAF "
			    "[ISSUER..]");
			return -1;
		}
		if (pki_find_chain(p, tok[1]) >= 0) {
			msg_input(p->path, line, "chain \"%s\" defined twice",
			    tok[1]);
			return -1;
		}
		p->chains = xrealloc(p->chains, (p->nchains + 1) *
		    sizeof(*p->chains));
		c = &p->chains[p->nchains++];
		c->name = xstrdup(tok[1]);
		c->line = line;
		c->ncerts = n - 2;
		c->cert_names = xcalloc(c->ncerts, sizeof(char *));
		c->certs = xcalloc(c->ncerts, sizeof(int));
		for (int i = 2; i < n; i++)
			c->cert_names[i - 2] = xstrdup(tok[i]);
	} else {
		msg_input(p->path, line, "unknown keyword \"%s\"", tok[0]);
		return -1;
	}
	return 0;
}

/* pki_profile_resolve - link names to indices; find cycles and bad issuers */
static int
pki_profile_resolve(struct pki_profile *p)
{
	for (int i = 0; i < p->ntmpls; i++) {
		struct pki_tmpl *t = &p->tmpls[i];
		int r;

		if ((t->key = pki_find_key(p, t->key_name)) < 0) {
			msg_input(p->path, t->line, "cert \"%s\": unknown key "
			    "\"%s\"", t->name, t->key_name);
			return -1;
		}
		if (strcmp(t->issuer_name, "self") == 0) {
			t->issuer = -1;
		} else if ((t->issuer = pki_find_tmpl(p, t->issuer_name)) < 0) {
			msg_input(p->path, t->line, "cert \"%s\": unknown "
			    "issuer \"%s\"", t->name, t->issuer_name);
			return -1;
		}
		if ((r = pki_check_vars(p, t->cn ? t->cn : "", t->line)) < 0)
			return -1;
		t->uses_vars = r;
		for (int k = 0; k < t->nsan; k++) {
			if ((r = pki_check_vars(p, t->san[k], t->line)) < 0)
				return -1;
			t->uses_vars |= r;
		}
	}
	for (int i = 0; i < p->ntmpls; i++) {
		struct pki_tmpl *t = &p->tmpls[i];
		int steps = 0;
		int signer;
		EVP_PKEY *k;

		/* Walk up the issuers; more steps than templates is a cycle. */
		for (int j = t->issuer; j >= 0; j = p->tmpls[j].issuer) {
			if (++steps > p->ntmpls) {
				msg_input(p->path, t->line, "cert \"%s\": "
				    "issuer cycle", t->name);
				return -1;
			}
			t->uses_vars |= p->tmpls[j].uses_vars;
		}
		signer = t->issuer < 0 ? t->key : p->tmpls[t->issuer].key;
		k = p->keys[signer].pkey;
		if (EVP_PKEY_get_id(k) != EVP_PKEY_RSA &&
		    EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
			msg_input(p->path, t->line, "cert \"%s\": signing key "
			    "\"%s\" must be RSA or Ed25519 (deterministic "
			    "signatures)", t->name, p->keys[signer].name);
			return -1;
		}
	}
	for (int i = 0; i < p->nchains; i++) {
		struct pki_chaindef *c = &p->chains[i];

		for (int k = 0; k < c->ncerts; k++) {
			c->certs[k] = pki_find_tmpl(p, c->cert_names[k]);
			if (c->certs[k] < 0) {
				msg_input(p->path, c->line, "chain \"%s\": "
				    "unknown cert \"%s\"", c->name,
				    c->cert_names[k]);
				return -1;
			}
		}
	}
	return 0;
}

struct pki_profile *
pki_profile_load(const char *path)
{
	struct pki_profile *p = xcalloc(1, sizeof(*p));
	FILE *fp = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	char *from = NULL, *until = NULL;
	char *dir = NULL, *slash;
	int ok = 0;

	pthread_mutex_init(&p->lock, NULL);
	p->path = xstrdup(path);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = 0;
	else
		strcpy(dir, ".");
	if ((fp = fopen(path, "r")) == NULL) {
		msg_warn("%s: cannot open profile: %s", path, strerror(errno));
		goto cleanup;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		char *tok[PKI_TOKENS_MAX];
		int n;

		lineno++;
		if (len > PKI_LINE_MAX) {
			msg_input(path, lineno, "line longer than %d bytes",
			    PKI_LINE_MAX);
			goto cleanup;
		}
		if ((n = pki_tokenize(line, tok)) < 0) {
			msg_input(path, lineno, "more than %d words",
			    PKI_TOKENS_MAX);
			goto cleanup;
		}
		if (n == 0)
			continue;
		if (pki_profile_parse_line(p, tok, n, lineno, &from, &until,
		    dir) < 0)
			goto cleanup;
	}
	if (ferror(fp)) {
		msg_warn("%s: read error: %s", path, strerror(errno));
		goto cleanup;
	}
	if (p->nchains == 0) {
		msg_input(path, lineno, "profile defines no chain");
		goto cleanup;
	}
	if (pki_profile_resolve(p) < 0)
		goto cleanup;
	ok = 1;

cleanup:
	if (fp)
		fclose(fp);
	free(line);
	free(from);
	free(until);
	free(dir);
	if (!ok)
		p = pki_profile_free(p);
	return p;
}

struct pki_profile *
pki_profile_free(struct pki_profile *p)
{
	if (p == NULL)
		return NULL;
	for (int i = 0; i < p->nkeys; i++) {
		free(p->keys[i].name);
		EVP_PKEY_free(p->keys[i].pkey);
	}
	for (int i = 0; i < p->ntmpls; i++) {
		struct pki_tmpl *t = &p->tmpls[i];

		free(t->name);
		free(t->key_name);
		free(t->issuer_name);
		free(t->from);
		free(t->until);
		free(t->cn);
		for (int k = 0; k < t->nsan; k++)
			free(t->san[k]);
		free(t->san);
		X509_free(t->cache);
	}
	for (int i = 0; i < p->nchains; i++) {
		for (int k = 0; k < p->chains[i].ncerts; k++)
			free(p->chains[i].cert_names[k]);
		free(p->chains[i].cert_names);
		free(p->chains[i].certs);
		free(p->chains[i].name);
	}
	for (int i = 0; i < p->nnames; i++) {
		free(p->names[i].var);
		free(p->names[i].value);
	}
	free(p->keys);
	free(p->tmpls);
	free(p->chains);
	free(p->names);
	free(p->path);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return NULL;
}

const char *
pki_profile_path(const struct pki_profile *p)
{
	return p->path;
}

int
pki_profile_chain_count(const struct pki_profile *p)
{
	return p->nchains;
}

const char *
pki_profile_chain_name(const struct pki_profile *p, int i)
{
	return i >= 0 && i < p->nchains ? p->chains[i].name : NULL;
}

int
pki_profile_has_chain(const struct pki_profile *p, const char *name)
{
	return pki_find_chain(p, name) >= 0;
}

EVP_PKEY *
pki_profile_get0_key(const struct pki_profile *p, const char *name)
{
	int i = pki_find_key(p, name);

	return i < 0 ? NULL : p->keys[i].pkey;
}

struct pki_names *
pki_names_new(void)
{
	return xcalloc(1, sizeof(struct pki_names));
}

struct pki_names *
pki_names_free(struct pki_names *n)
{
	if (n == NULL)
		return NULL;
	for (int i = 0; i < n->n; i++) {
		free(n->var[i]);
		free(n->value[i]);
	}
	free(n->var);
	free(n->value);
	free(n);
	return NULL;
}

void
pki_names_set(struct pki_names *n, const char *var, const char *value)
{
	for (int i = 0; i < n->n; i++)
		if (strcmp(n->var[i], var) == 0) {
			free(n->value[i]);
			n->value[i] = xstrdup(value);
			return;
		}
	n->var = xrealloc(n->var, (n->n + 1) * sizeof(char *));
	n->value = xrealloc(n->value, (n->n + 1) * sizeof(char *));
	n->var[n->n] = xstrdup(var);
	n->value[n->n++] = xstrdup(value);
}

int
pki_names_parse(struct pki_names *n, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	char *var;

	if (eq == NULL || eq == assignment ||
	    pki_var_len(assignment) != (size_t)(eq - assignment)) {
		msg_warn("bad name assignment \"%s\" (want var=value)",
		    assignment);
		return -1;
	}
	var = xstrndup(assignment, eq - assignment);
	pki_names_set(n, var, eq + 1);
	free(var);
	return 0;
}

const char *
pki_names_lookup(const struct pki_profile *p, const struct pki_names *n,
    const char *var)
{
	int i;

	for (int k = 0; n != NULL && k < n->n; k++)
		if (strcmp(n->var[k], var) == 0)
			return n->value[k];
	if ((i = pki_find_namedef(p, var, strlen(var))) >= 0)
		return p->names[i].value;
	return NULL;
}

char *
pki_names_subst(const struct pki_profile *p, const struct pki_names *n,
    const char *s)
{
	struct buf b = { 0 };

	buf_append(&b, "", 0);
	while (*s) {
		const char *d = strchr(s, '$');
		size_t len;
		char *var;
		const char *v;

		if (d == NULL) {
			buf_append(&b, s, strlen(s));
			break;
		}
		buf_append(&b, s, d - s);
		len = pki_var_len(d + 1);
		var = xstrndup(d + 1, len);
		v = len ? pki_names_lookup(p, n, var) : NULL;
		free(var);
		if (v == NULL) {
			buf_append(&b, d, 1 + len);
			s = d + 1 + len;
			continue;
		}
		len = strlen(v);
		if (len > 1 && v[len - 1] == '.')
			len--;
		buf_append(&b, v, len);
		s = d + 1 + pki_var_len(d + 1);
	}
	return b.data;
}

/* pki_keyid - SHA-1 of a certificate's public key, one bit off if asked */
static ASN1_OCTET_STRING *
pki_keyid(const X509 *x, enum pki_kid how)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;
	ASN1_OCTET_STRING *os;

	if (!X509_pubkey_digest(x, EVP_sha1(), md, &len))
		return NULL;
	if (how == PKI_KID_MISMATCH)
		md[len - 1] ^= 1;
	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, md, (int)len)) {
		ASN1_OCTET_STRING_free(os);
		return NULL;
	}
	return os;
}

/* pki_add_extensions - the template's extensions, in a fixed order */
static int
pki_add_extensions(const struct pki_profile *p, const struct pki_tmpl *t,
    const struct pki_names *names, X509 *x, const X509 *issuer)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OCTET_STRING *skid = NULL;
	AUTHORITY_KEYID *akid = NULL;
	GENERAL_NAMES *gens = NULL;
	int ok = 0;

	if (t->ca) {
		if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
			goto cleanup;
		bc->ca = 0xFF;
		if (t->pathlen >= 0 &&
		    ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(bc->pathlen, t->pathlen)))
			goto cleanup;
		if (!X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0))
			goto cleanup;
	}
	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		goto cleanup;
	if (t->ca) {
		ASN1_BIT_STRING_set_bit(ku, 5, 1);	/* keyCertSign */
		ASN1_BIT_STRING_set_bit(ku, 6, 1);	/* cRLSign */
	} else {
		ASN1_BIT_STRING_set_bit(ku, 0, 1);	/* digitalSignature */
		if (EVP_PKEY_get_id(p->keys[t->key].pkey) == EVP_PKEY_RSA)
			ASN1_BIT_STRING_set_bit(ku, 2, 1); /* keyEncipherment */
	}
	if (!X509_add1_ext_i2d(x, NID_key_usage, ku, 1, 0))
		goto cleanup;
	if (t->eku) {
		if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
			goto cleanup;
		if ((t->eku & PKI_EKU_SERVER) &&
		    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)))
			goto cleanup;
		if ((t->eku & PKI_EKU_CLIENT) &&
		    !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)))
			goto cleanup;
		if (!X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, 0))
			goto cleanup;
	}
	if (t->skid != PKI_KID_NONE) {
		if ((skid = pki_keyid(x, t->skid)) == NULL ||
		    !X509_add1_ext_i2d(x, NID_subject_key_identifier, skid, 0, 0))
			goto cleanup;
	}
	if (t->akid != PKI_KID_NONE) {
		if ((akid = AUTHORITY_KEYID_new()) == NULL ||
		    (akid->keyid = pki_keyid(issuer, t->akid)) == NULL ||
		    !X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0))
			goto cleanup;
	}
	if (t->nsan > 0) {
		if ((gens = GENERAL_NAMES_new()) == NULL)
			goto cleanup;
		for (int i = 0; i < t->nsan; i++) {
			char *dns = pki_names_subst(p, names, t->san[i]);
			GENERAL_NAME *gen = GENERAL_NAME_new();
			ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

			if (gen == NULL || ia5 == NULL ||
			    !ASN1_STRING_set(ia5, dns, (int)strlen(dns)) ||
			    !sk_GENERAL_NAME_push(gens, gen)) {
				free(dns);
				GENERAL_NAME_free(gen);
				ASN1_IA5STRING_free(ia5);
				goto cleanup;
			}
			GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
			free(dns);
		}
		if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0))
			goto cleanup;
	}
	ok = 1;

cleanup:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku);
	ASN1_OCTET_STRING_free(skid);
	AUTHORITY_KEYID_free(akid);
	GENERAL_NAMES_free(gens);
	return ok;
}

/* pki_build - build template i (and its issuers) for a name map; memo,
 * when not NULL, holds what this name map built already (one per
 * template: every signer is RSA or EdDSA, so a rebuild would be the
 * same bytes, at the cost of a signature) */
static X509 *
pki_build(struct pki_profile *p, int i, const struct pki_names *names,
    X509 **memo)
{
	struct pki_tmpl *t = &p->tmpls[i];
	X509 *x = NULL, *issuer = NULL;
	X509_NAME *subject = NULL;
	ASN1_TIME *tm = NULL;
	EVP_PKEY *signer;
	char *cn = NULL;
	int ok = 0;

	pthread_mutex_lock(&p->lock);
	if (t->cache != NULL) {
		X509_up_ref(t->cache);
		pthread_mutex_unlock(&p->lock);
		return t->cache;
	}
	pthread_mutex_unlock(&p->lock);
	if (memo != NULL && memo[i] != NULL) {
		X509_up_ref(memo[i]);
		return memo[i];
	}
	if (t->issuer >= 0 && (issuer = pki_build(p, t->issuer, names, memo)) == NULL)
		return NULL;
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_int64(X509_get_serialNumber(x), t->serial))
		goto cleanup;
	if ((subject = X509_NAME_new()) == NULL)
		goto cleanup;
	cn = pki_names_subst(p, names, t->cn ? t->cn : t->san[0]);
	if (!X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
	    (unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
	    subject))
		goto cleanup;
	if ((tm = ASN1_TIME_new()) == NULL ||
	    !ASN1_TIME_set_string_X509(tm, t->from) || !X509_set1_notBefore(x, tm) ||
	    !ASN1_TIME_set_string_X509(tm, t->until) || !X509_set1_notAfter(x, tm))
		goto cleanup;
	if (!X509_set_pubkey(x, p->keys[t->key].pkey))
		goto cleanup;
	if (!pki_add_extensions(p, t, names, x, issuer ? issuer : x))
		goto cleanup;
	signer = issuer ? p->keys[p->tmpls[t->issuer].key].pkey :
	    p->keys[t->key].pkey;
	if (!X509_sign(x, signer, EVP_PKEY_get_id(signer) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256()))
		goto cleanup;
	if (!t->uses_vars) {
		/* Another thread may have built it meanwhile: the same
		 * bytes, one of them kept. */
		pthread_mutex_lock(&p->lock);
		if (t->cache == NULL) {
			X509_up_ref(x);
			t->cache = x;
		}
		pthread_mutex_unlock(&p->lock);
	} else if (memo != NULL) {
		X509_up_ref(x);
		memo[i] = x;
	}
	ok = 1;

cleanup:
	if (!ok) {
		msg_input(p->path, t->line, "cannot build cert \"%s\": %s",
		    t->name, pki_ssl_error());
		X509_free(x);
		x = NULL;
	}
	X509_free(issuer);
	X509_NAME_free(subject);
	ASN1_TIME_free(tm);
	free(cn);
	return x;
}

X509 *
pki_profile_get1_cert(struct pki_profile *p, const char *name,
    const struct pki_names *names)
{
	int i = pki_find_tmpl(p, name);

	return i < 0 ? NULL : pki_build(p, i, names, NULL);
}

/* pki_stands_in - 1 if template a can stand in for issuer b */
static int
pki_stands_in(const struct pki_tmpl *a, const struct pki_tmpl *b)
{
	return a->key == b->key && a->cn != NULL && b->cn != NULL &&
	    strcmp(a->cn, b->cn) == 0;
}

struct pki_chain *
pki_chain_new(struct pki_profile *p, const char *name,
    const struct pki_names *names)
{
	int ci = pki_find_chain(p, name);
	struct pki_chaindef *def;
	struct pki_chain *c;
	X509 **memo;

	if (ci < 0) {
		msg_warn("%s: no chain \"%s\"", p->path, name);
		return NULL;
	}
	def = &p->chains[ci];
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->served = sk_X509_new_null();
	c->extra = sk_X509_new_null();
	c->path = sk_X509_new_null();
	if (c->served == NULL || c->extra == NULL || c->path == NULL)
		msg_fatal(EXIT_ENV, "out of memory");
	/* The leaf is both served and on the path: built once. */
	memo = xcalloc(p->ntmpls, sizeof(*memo));
	for (int k = 0; k < def->ncerts; k++) {
		X509 *x = pki_build(p, def->certs[k], names, memo);

		if (x == NULL) {
			c = pki_chain_free(c);
			goto done;
		}
		if (!sk_X509_push(c->served, x))
			msg_fatal(EXIT_ENV, "out of memory");
		if (k > 0) {
			X509_up_ref(x);
			if (!sk_X509_push(c->extra, x))
				msg_fatal(EXIT_ENV, "out of memory");
		}
	}
	/*
	 * Path: the leaf, then its issuers up to a self-signed certificate;
	 * where the served certificate at that depth stands in for the
	 * issuer (same key and subject, as a cross-signed one does), the
	 * served one.  Bounded: issuers have no cycles.
	 */
	c->path_names = xcalloc(p->ntmpls + 1, sizeof(char *));
	for (int k = 0, j = def->certs[0]; j >= 0; k++) {
		X509 *x;

		if ((x = pki_build(p, j, names, memo)) == NULL) {
			c = pki_chain_free(c);
			goto done;
		}
		c->path_names[k] = p->tmpls[j].name;
		if (!sk_X509_push(c->path, x))
			msg_fatal(EXIT_ENV, "out of memory");
		if ((j = p->tmpls[j].issuer) < 0)
			break;
		if (k + 1 < def->ncerts &&
		    pki_stands_in(&p->tmpls[def->certs[k + 1]], &p->tmpls[j]))
			j = def->certs[k + 1];
	}
	c->key = p->keys[p->tmpls[def->certs[0]].key].pkey;
	EVP_PKEY_up_ref(c->key);
done:
	for (int k = 0; k < p->ntmpls; k++)
		X509_free(memo[k]);
	free(memo);
	return c;
}

struct pki_chain *
pki_chain_free(struct pki_chain *c)
{
	if (c == NULL)
		return NULL;
	sk_X509_pop_free(c->served, X509_free);
	sk_X509_pop_free(c->extra, X509_free);
	sk_X509_pop_free(c->path, X509_free);
	EVP_PKEY_free(c->key);
	free(c->path_names);
	free(c->name);
	free(c);
	return NULL;
}

const char *
pki_chain_name(const struct pki_chain *c)
{
	return c->name;
}

X509 *
pki_chain_get0_leaf(const struct pki_chain *c)
{
	return sk_X509_value(c->served, 0);
}

EVP_PKEY *
pki_chain_get0_key(const struct pki_chain *c)
{
	return c->key;
}

STACK_OF(X509) *
pki_chain_get0_extra(const struct pki_chain *c)
{
	return c->extra;
}

int
pki_chain_served_count(const struct pki_chain *c)
{
	return sk_X509_num(c->served);
}

int
pki_chain_path_count(const struct pki_chain *c)
{
	return sk_X509_num(c->path);
}

X509 *
pki_chain_get0_path(const struct pki_chain *c, int d)
{
	return d >= 0 && d < sk_X509_num(c->path) ? sk_X509_value(c->path, d) :
	    NULL;
}

const char *
pki_chain_path_name(const struct pki_chain *c, int d)
{
	return d >= 0 && d < sk_X509_num(c->path) ? c->path_names[d] : NULL;
}

int
pki_chain_use(const struct pki_chain *c, SSL_CTX *ctx, SSL *ssl)
{
	int ok;

	if (ssl != NULL)
		ok = SSL_use_cert_and_key(ssl, pki_chain_get0_leaf(c), c->key,
		    c->extra, 1);
	else
		ok = SSL_CTX_use_cert_and_key(ctx, pki_chain_get0_leaf(c),
		    c->key, c->extra, 1);
	if (ok != 1) {
		msg_warn("chain \"%s\": cannot load into TLS context: %s",
		    c->name, pki_ssl_error());
		return 0;
	}
	return 1;
}

/* pki_write_pem - write certificates (or a key if k) to dir/file */
static int
pki_write_pem(const char *dir, const char *file, STACK_OF(X509) *certs,
    int first, int last, EVP_PKEY *k)
{
	char *path = xasprintf("%s/%s", dir, file);
	FILE *fp = fopen(path, "w");
	int ok = fp != NULL;

	for (int i = first; ok && k == NULL && i <= last; i++)
		ok = PEM_write_X509(fp, sk_X509_value(certs, i));
	if (ok && k != NULL)
		ok = PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
	if (fp != NULL && fclose(fp) != 0)
		ok = 0;
	if (!ok)
		msg_warn("cannot write %s: %s", path, strerror(errno));
	free(path);
	return ok;
}

/* pki_rm - nftw callback: remove one entry */
static int
pki_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
pki_write(struct pki_profile *p, const char *const *chains,
    const struct pki_names *names, const char *outdir)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", outdir);
	struct pki_chain *c = NULL;
	int n = chains ? 0 : p->nchains;
	int ok = 0;

	while (chains && chains[n])
		n++;
	/* Check every name before creating anything. */
	for (int i = 0; i < n; i++)
		if (chains && pki_find_chain(p, chains[i]) < 0) {
			msg_warn("%s: no chain \"%s\"", p->path, chains[i]);
			free(tmp);
			return -1;
		}
	if (access(outdir, F_OK) == 0) {
		msg_warn("%s: already exists; will not overwrite", outdir);
		free(tmp);
		return -1;
	}
	if (mkdtemp(tmp) == NULL) {
		msg_warn("cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = chains ? chains[i] : p->chains[i].name;
		char *dir = xasprintf("%s/%s", tmp, name);
		int good;

		good = (c = pki_chain_new(p, name, names)) != NULL;
		if (good && mkdir(dir, 0700) != 0) {
			msg_warn("cannot create %s: %s", dir, strerror(errno));
			good = 0;
		}
		good = good && pki_write_pem(dir, "chain.pem", c->served, 0,
		    sk_X509_num(c->served) - 1, NULL);
		good = good && pki_write_pem(dir, "key.pem", NULL, 0, -1,
		    c->key);
		for (int d = 0; good && d < sk_X509_num(c->path); d++) {
			char *file = xasprintf("%d-%s.pem", d, c->path_names[d]);

			good = pki_write_pem(dir, file, c->path, d, d, NULL);
			free(file);
		}
		free(dir);
		c = pki_chain_free(c);
		if (!good)
			goto cleanup;
	}
	if (rename(tmp, outdir) != 0) {
		msg_warn("cannot rename %s to %s: %s", tmp, outdir,
		    strerror(errno));
		goto cleanup;
	}
	ok = 1;

cleanup:
	if (!ok)
		nftw(tmp, pki_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	return ok ? 0 : -1;
}
