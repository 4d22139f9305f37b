/*
 * serve.c - the lab's endpoints beside a lab that "up" leaves running,
 * and the record of what they saw (serve.h).
 *
 * "up" forks a child that joins the lab's namespaces and forks twice
 * more: the endpoint process is in the lab's PID namespace, adopted by
 * the keeper when its parent exits, and the kernel ends it with the
 * keeper.  It says "ready" or "error" on a socket that passes
 * credentials, from which "up" learns its host PID.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/ssl.h>

#include "capture.h"
#include "clock.h"
#include "json.h"
#include "mem.h"
#include "msg.h"
#include "serve.h"
#include "stop.h"
#include "template.h"

#define SERVE_FLUSH_MS	100	/* finished sessions written this often */
#define SERVE_START_MS	20000	/* for the endpoints to listen */
#define SERVE_STOP_MS	3000	/* TERM, then KILL after this */
#define SERVE_QUIESCE_MS 5000	/* for open sessions to finish (sync) */
#define SERVE_SYNC	"endpoints.sync"	/* a count of syncs done */

static volatile sig_atomic_t serve_sync_asked;	/* SIGUSR1 seen */

/* serve_onsync - note a request to record every session now */
static void
serve_onsync(int sig)
{
	(void)sig;
	serve_sync_asked = 1;
}

int
serve_listen(struct endpoint_set *eps, const struct plan *pl)
{
	for (size_t i = 0; i < pl->nhosts; i++) {
		const struct plan_host *h = &pl->hosts[i];
		SSL_CTX *ctx;
		int ok = 0;

		if (h->host->flags & SCN_HOST_DOWN)
			continue;
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL
		    || !pki_chain_use(h->chain, ctx, NULL)) {
			msg_input(h->scenario->file, h->host->line, "cannot load "
			    "chain %s into a TLS context", h->host->chain);
			SSL_CTX_free(ctx);
			return -1;
		}
		for (int p = 0; p < PROTO_COUNT; p++) {
			struct endpoint_spec spec;
			char *tag;

			if (!(h->scenario->protos & (1u << p))
			    || p == PROTO_XMPP_IN)	/* the lab connects */
				continue;
			tag = xasprintf("%s/%s", h->scenario->id, h->host->name);
			memset(&spec, 0, sizeof(spec));
			spec.tag = tag;
			spec.addr = h->addr;
			spec.port = scn_proto_port(p);
			spec.proto = p;
			spec.ctx = ctx;
			spec.flags = (h->host->flags & SCN_HOST_NO_STARTTLS
			    ? ENDPOINT_NO_STARTTLS : 0)
			    | (h->host->flags & SCN_HOST_CLIENT_CERT
			    ? ENDPOINT_CLIENT_CERT : 0);
			ok = endpoint_listen(eps, &spec) == 0;
			free(tag);
			if (!ok)
				break;
		}
		SSL_CTX_free(ctx);
		if (!ok && h->scenario->protos)
			return -1;
	}
	return 0;
}

/* serve_path - "<dir>/name"; caller frees */
static char *
serve_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

void
serve_line(struct buf *b, const struct endpoint_conn *c)
{
	buf_printf(b, "{\"tag\": ");
	json_string(b, c->tag, 0);
	buf_printf(b, ", \"addr\": ");
	json_string(b, c->addr, 0);
	buf_printf(b, ", \"port\": %d, \"proto\": \"%s\", \"sni\": ", c->port,
	    proto_name(c->proto));
	json_string(b, c->sni, 0);
	buf_printf(b, ", \"alpn\": ");
	json_string(b, c->alpn, 0);
	buf_printf(b, ", \"tls_version\": ");
	json_string(b, c->tls_version, 0);
	buf_printf(b, ", \"tls_done\": %d, \"tls_failed\": %d, \"alert\": ",
	    c->tls_done, c->tls_failed);
	json_string(b, c->alert, 0);
	buf_printf(b, ", \"commands_after_tls\": %d, \"cleartext_commands\": "
	    "%d, \"message_done\": %d, \"client_cert\": ",
	    c->commands_after_tls, c->cleartext_commands, c->message_done);
	json_string(b, c->client_cert, 0);
	buf_printf(b, ", \"probe\": ");
	json_string(b, c->probe, 0);
	buf_printf(b, ", \"opened_ms\": %lld, \"closed_ms\": %lld, "
	    "\"seq\": %llu, \"outcome\": \"%s\", \"transcript\": ",
	    c->opened_ms, c->closed_ms, c->seq, outcome_name(c->outcome));
	json_string(b, c->transcript, 0);
	buf_printf(b, "}\n");
}

/* The endpoint process's record of finished sessions (serve.h). */
struct serve_record {
	char *dir;
	int fd, lock;		/* SERVE_LOG (O_APPEND), SERVE_LOCK */
	size_t max, size;	/* the cap, SERVE_LOG's size */
	size_t n_cur, n_old;	/* sessions in SERVE_LOG, SERVE_LOG_OLD */
	long long last_cur, last_old;	/* the latest opened_ms of each */
	unsigned long long dropped;
	long long dropped_ms;
};

/* serve_log_open - open (create) dir's SERVE_LOG for appending, or -1 */
static int
serve_log_open(const char *dir)
{
	char *log = serve_path(dir, SERVE_LOG);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		msg_warn("cannot open %s: %s", log, strerror(errno));
	free(log);
	return fd;
}

struct serve_record *
serve_record_open(const char *dir, size_t max)
{
	struct serve_record *r = xcalloc(1, sizeof(*r));
	const char *env = getenv("DANELAB_SESSIONS_MAX");
	char *lock = serve_path(dir, SERVE_LOCK);
	const char *const names[] = { SERVE_LOG, SERVE_LOG_OLD, SERVE_DROPPED };

	r->dir = xstrdup(dir);
	r->max = max ? max : env && atol(env) > 0 ? (size_t)atol(env)
	    : SERVE_LOG_MAX;
	/* A new lab: a new record. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = serve_path(dir, names[i]);

		unlink(p);
		free(p);
	}
	r->lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->lock < 0)
		msg_warn("cannot open %s: %s", lock, strerror(errno));
	free(lock);
	r->fd = serve_log_open(dir);
	if (r->fd < 0 || r->lock < 0)
		return serve_record_close(r);
	return r;
}

/* serve_record_rotate - SERVE_LOG becomes SERVE_LOG_OLD (the sessions of
 * the one before counted as dropped) and a new SERVE_LOG is opened; 0 or
 * -1 after saying why */
static int
serve_record_rotate(struct serve_record *r)
{
	char *log = serve_path(r->dir, SERVE_LOG);
	char *old = serve_path(r->dir, SERVE_LOG_OLD), *line;
	int ret = -1;

	flock(r->lock, LOCK_EX);
	if (rename(log, old) != 0)
		msg_warn("cannot rename %s: %s", log, strerror(errno));
	else {
		close(r->fd);
		r->fd = serve_log_open(r->dir);
		ret = r->fd < 0 ? -1 : 0;
	}
	flock(r->lock, LOCK_UN);
	free(log);
	free(old);
	if (ret != 0)
		return ret;
	if (r->n_old > 0) {
		r->dropped += r->n_old;
		r->dropped_ms = r->last_old;
		log = serve_path(r->dir, SERVE_DROPPED);
		line = xasprintf("%llu %lld\n", r->dropped, r->dropped_ms);
		file_write(log, line, strlen(line));
		free(line);
		free(log);
	}
	r->n_old = r->n_cur;
	r->last_old = r->last_cur;
	r->n_cur = 0;
	r->last_cur = 0;
	r->size = 0;
	return 0;
}

int
serve_record_add(struct serve_record *r, const struct endpoint_conn *c)
{
	struct buf b = { 0 };
	int ret = 0;

	serve_line(&b, c);
	if (r->size > 0 && r->size + b.len > r->max)
		ret = serve_record_rotate(r);
	if (ret == 0 && write(r->fd, b.data, b.len) != (ssize_t)b.len) {
		msg_warn("cannot record a session: %s", strerror(errno));
		ret = -1;
	} else if (ret == 0) {
		r->size += b.len;
		r->n_cur++;
		if (c->opened_ms > r->last_cur)
			r->last_cur = c->opened_ms;
	}
	buf_free(&b);
	return ret;
}

struct serve_record *
serve_record_close(struct serve_record *r)
{
	if (r == NULL)
		return NULL;
	if (r->fd >= 0)
		close(r->fd);
	if (r->lock >= 0)
		close(r->lock);
	free(r->dir);
	free(r);
	return NULL;
}

void
serve_dropped(const char *dir, unsigned long long *n, long long *last_ms)
{
	char *path = serve_path(dir, SERVE_DROPPED);
	char *text = file_read(path, NULL);

	*n = 0;
	*last_ms = 0;
	if (text == NULL || sscanf(text, "%llu %lld", n, last_ms) != 2) {
		*n = 0;
		*last_ms = 0;
	}
	free(text);
	free(path);
}

/* serve_flush - add every finished session of eps to the record r, one
 * line and one write each */
static void
serve_flush(struct endpoint_set *eps, struct serve_record *r)
{
	struct endpoint_conn *conns;
	size_t n;

	endpoint_take(eps, "", &conns, &n);
	for (size_t i = 0; i < n; i++)
		serve_record_add(r, &conns[i]);
	endpoint_conns_free(conns, n);
}

/* serve_main - the endpoint process: listen, say so on fd, then record
 * every finished session until TERM; never returns */
static void
serve_main(const struct plan *pl, const char *dir, int fd, int pcap)
{
	struct endpoint_set *eps = endpoint_set_new();
	struct serve_record *rec = NULL;
	char *out = serve_path(dir, "endpoints.log");
	char *sync = serve_path(dir, SERVE_SYNC), *line;
	long syncs = 0;
	struct capture *cap = NULL;
	int null;

	setsid();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	stop_catch(NULL);
	signal(SIGUSR1, serve_onsync);
	endpoint_set_max_conns(eps, 4096);
	if (serve_listen(eps, pl) != 0 || endpoint_start(eps) != 0
	    || (rec = serve_record_open(dir, 0)) == NULL) {
		dprintf(fd, "error the lab's endpoints could not start\n");
		_exit(EXIT_ENV);
	}
	/* up --pcap: the lab's traffic, until this process stops. */
	if (pcap) {
		char *file = serve_path(dir, CAPTURE_FILE);

		cap = capture_start(file, SERVE_START_MS / 2);
		free(file);
		if (cap == NULL) {
			dprintf(fd, "error the capture (--pcap) could not "
			    "start\n");
			endpoint_stop(eps);
			_exit(EXIT_ENV);
		}
	}
	/* From here on a log, not the terminal of "up". */
	if ((null = open("/dev/null", O_RDONLY)) >= 0)
		dup2(null, 0);
	if ((null = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	dprintf(fd, "ready\n");
	close(fd);
	while (!stop_requested()) {
		struct pollfd p = { .fd = stop_fd(), .events = POLLIN };

		poll(&p, 1, SERVE_FLUSH_MS);
		if (serve_sync_asked) {
			/* observe waits for what is still open, then reads */
			serve_sync_asked = 0;
			endpoint_quiesce(eps, "", SERVE_QUIESCE_MS);
			serve_flush(eps, rec);
			line = xasprintf("%ld\n", ++syncs);
			file_write(sync, line, strlen(line));
			free(line);
		}
		serve_flush(eps, rec);
	}
	/* Sessions still open are finished and recorded, briefly. */
	endpoint_quiesce(eps, "", 1000);
	serve_flush(eps, rec);
	endpoint_stop(eps);
	if (cap)
		capture_stop(cap);
	_exit(0);
}

/*
 * serve_spawn - fork into the lab's namespaces, then twice more: the
 * middle child is in the lab's PID namespace, so when it exits the
 * keeper adopts (and reaps) the endpoint process.  Returns our end of
 * its status socket, which passes credentials, or -1 after saying why.
 */
static int
serve_spawn(const struct lab *l, const struct plan *pl, const char *dir,
    int pcap)
{
	int sv[2], on = 1, status;
	pid_t a, b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0
	    || setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) != 0) {
		msg_warn("socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((a = fork()) < 0) {
		msg_warn("fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (a == 0) {
		close(sv[0]);
		if (lab_enter(l) != 0 || (b = fork()) < 0)
			_exit(EXIT_ENV);
		if (b == 0) {
			if ((b = fork()) == 0)
				serve_main(pl, dir, sv[1], pcap);
			_exit(b < 0 ? EXIT_ENV : 0);
		}
		while (waitpid(b, &status, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sv[1]);
	while (waitpid(a, &status, 0) < 0 && errno == EINTR)
		;
	return sv[0];
}

/* serve_recv - read from fd into buf (len bytes), *pid set to the
 * sender's PID in our PID namespace when the kernel says it */
static ssize_t
serve_recv(int fd, char *buf, size_t len, pid_t *pid)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.space, .msg_controllen = sizeof(cm.space) };
	struct cmsghdr *c;
	struct ucred u;
	ssize_t n = recvmsg(fd, &mh, 0);

	for (c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET
		    && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&u, CMSG_DATA(c), sizeof(u));
			*pid = u.pid;
		}
	return n;
}

/* serve_await - read the status lines of fd until "ready", an error or
 * the end; *pid is the endpoint process's (host PID namespace).  0 when
 * ready. */
static int
serve_await(int fd, pid_t *pid)
{
	char text[1024];
	size_t got = 0;
	long long end = clock_ms() + SERVE_START_MS;
	char *p;

	*pid = 0;
	while (got < sizeof(text) - 1 && clock_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 200) <= 0)
			continue;
		if ((n = serve_recv(fd, text + got, sizeof(text) - 1 - got,
		    pid)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		text[got] = 0;
		if (strstr(text, "ready\n") || strstr(text, "error "))
			break;
	}
	text[got] = 0;
	if ((p = strstr(text, "error ")) != NULL) {
		p[strcspn(p, "\n")] = 0;
		msg_warn("%s", p + 6);
		return -1;
	}
	if (strstr(text, "ready\n") == NULL) {
		msg_warn("the lab's endpoints did not start within %d ms",
		    SERVE_START_MS);
		return -1;
	}
	return 0;
}

int
serve_start(const struct lab *l, const struct plan *pl, const char *dir,
    int pcap)
{
	char *pidfile = serve_path(dir, SERVE_PID), *log, *line;
	int fd, ret = -1;
	pid_t pid = 0;

	/* A new lab: syncs counted from 0 (and a new record, which the
	 * endpoint process makes). */
	log = serve_path(dir, SERVE_SYNC);
	unlink(log);
	free(log);
	if ((fd = serve_spawn(l, pl, dir, pcap)) < 0)
		goto out;
	ret = serve_await(fd, &pid);
	close(fd);
	line = xasprintf("%ld %llu\n", (long)pid, lab_starttime(pid));
	if (ret == 0 && (pid <= 1 || file_write(pidfile, line,
	    strlen(line)) != 0))
		ret = -1;
	free(line);
	if (ret != 0 && pid > 1)
		kill(pid, SIGKILL);
out:
	free(pidfile);
	return ret;
}

pid_t
serve_find(const char *dir)
{
	char *path = serve_path(dir, SERVE_PID), *text = file_read(path, NULL);
	unsigned long long start = 0;
	long pid = 0;

	free(path);
	if (text == NULL)
		return 0;
	if (sscanf(text, "%ld %llu", &pid, &start) != 2 || pid <= 1
	    || lab_starttime((pid_t)pid) != start)
		pid = 0;
	free(text);
	return (pid_t)pid;
}

/* serve_syncs - the count of syncs done in dir, 0 when none */
static long
serve_syncs(const char *dir)
{
	char *path = serve_path(dir, SERVE_SYNC), *text = file_read(path, NULL);
	long n = text ? strtol(text, NULL, 10) : 0;

	free(text);
	free(path);
	return n;
}

int
serve_sync(const char *dir)
{
	pid_t pid = serve_find(dir);
	long before = serve_syncs(dir);
	long long end = clock_ms() + SERVE_QUIESCE_MS + 2000;

	if (pid == 0 || kill(pid, SIGUSR1) != 0)
		return -1;
	while (serve_syncs(dir) == before && clock_ms() < end)
		poll(NULL, 0, 20);
	if (serve_syncs(dir) != before)
		return 0;
	msg_warn("the lab's endpoints did not record their sessions within "
	    "%d ms: what is still open is left out", SERVE_QUIESCE_MS + 2000);
	return -1;
}

int
serve_stop(const char *dir)
{
	char *path = serve_path(dir, SERVE_PID);
	pid_t pid = serve_find(dir);
	unsigned long long start = pid ? lab_starttime(pid) : 0;
	long long end = clock_ms() + SERVE_STOP_MS;
	int ret = 0;

	if (pid > 0) {
		kill(pid, SIGTERM);
		while (lab_starttime(pid) == start && clock_ms() < end)
			poll(NULL, 0, 10);
		if (lab_starttime(pid) == start) {
			msg_warn("the lab's endpoint process (pid %ld) did not "
			    "stop; killing it", (long)pid);
			kill(pid, SIGKILL);
			end = clock_ms() + 2000;
			while (lab_starttime(pid) == start && clock_ms() < end)
				poll(NULL, 0, 10);
			ret = lab_starttime(pid) == start ? -1 : 0;
		}
	}
	if (ret == 0)
		unlink(path);
	free(path);
	return ret;
}

/* serve_str - copy member key of v (a string) into dst of len bytes */
static void
serve_str(const struct json_value *v, const char *key, char *dst, size_t len)
{
	const struct json_value *m = json_get(v, key);

	snprintf(dst, len, "%s", m && m->type == JSON_STRING ? m->string : "");
}

/* serve_num - member key of v as a number, 0 if none */
static long long
serve_num(const struct json_value *v, const char *key)
{
	const struct json_value *m = json_get(v, key);

	return m && m->type == JSON_NUMBER ? (long long)m->number : 0;
}

/* serve_conn - one parsed line into c; 0, or -1 when it is no session */
static int
serve_conn(const struct json_value *v, struct endpoint_conn *c)
{
	const struct json_value *t = json_get(v, "transcript");
	char word[32];
	int k;

	memset(c, 0, sizeof(*c));
	serve_str(v, "tag", c->tag, sizeof(c->tag));
	serve_str(v, "addr", c->addr, sizeof(c->addr));
	serve_str(v, "sni", c->sni, sizeof(c->sni));
	serve_str(v, "alpn", c->alpn, sizeof(c->alpn));
	serve_str(v, "tls_version", c->tls_version, sizeof(c->tls_version));
	serve_str(v, "alert", c->alert, sizeof(c->alert));
	serve_str(v, "client_cert", c->client_cert, sizeof(c->client_cert));
	serve_str(v, "probe", c->probe, sizeof(c->probe));
	c->port = (int)serve_num(v, "port");
	c->tls_done = (int)serve_num(v, "tls_done");
	c->tls_failed = (int)serve_num(v, "tls_failed");
	c->commands_after_tls = (int)serve_num(v, "commands_after_tls");
	c->cleartext_commands = (int)serve_num(v, "cleartext_commands");
	c->message_done = (int)serve_num(v, "message_done");
	c->opened_ms = serve_num(v, "opened_ms");
	c->closed_ms = serve_num(v, "closed_ms");
	c->seq = (unsigned long long)serve_num(v, "seq");
	serve_str(v, "proto", word, sizeof(word));
	if ((k = proto_parse(word)) < 0 || c->tag[0] == 0)
		return -1;
	c->proto = k;
	serve_str(v, "outcome", word, sizeof(word));
	if ((k = outcome_parse(word)) < 0)
		return -1;
	c->outcome = k;
	c->transcript = xstrdup(t && t->type == JSON_STRING ? t->string : "");
	return 0;
}

/* serve_parse - the sessions of text (the record file path) appended to
 * *out, *n; text is cut up */
static void
serve_parse(const char *path, char *text, struct endpoint_conn **out,
    size_t *n)
{
	char *save = NULL;
	int lineno = 0;

	for (char *l = strtok_r(text, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save)) {
		char err[128];
		struct json_value *v = json_parse(l, strlen(l), err,
		    sizeof(err));

		lineno++;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		if (v == NULL || serve_conn(v, &(*out)[*n]) != 0)
			msg_warn("%s:%d: not a session, skipped%s%s", path,
			    lineno, v ? "" : ": ", v ? "" : err);
		else
			(*n)++;
		json_free(v);
	}
}

int
serve_read(const char *dir, struct endpoint_conn **out, size_t *n)
{
	const char *const names[] = { SERVE_LOG_OLD, SERVE_LOG };
	char *texts[2], *paths[2], *lock = serve_path(dir, SERVE_LOCK);
	int fd = open(lock, O_RDONLY | O_CLOEXEC), found = 0;

	*out = NULL;
	*n = 0;
	/* Not while the endpoint process moves one file to the other. */
	if (fd >= 0)
		flock(fd, LOCK_SH);
	for (int i = 0; i < 2; i++) {
		paths[i] = serve_path(dir, names[i]);
		texts[i] = file_read(paths[i], NULL);
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2; i++) {
		if (texts[i]) {
			found = 1;
			serve_parse(paths[i], texts[i], out, n);
		}
		free(texts[i]);
		free(paths[i]);
	}
	free(lock);
	return found ? 0 : -1;
}

int
serve_paths_write(const char *dir, char *const *paths, int n, int no_default)
{
	char *path = serve_path(dir, SERVE_PATHS);
	struct buf b = { 0 };
	int ret;

	buf_append(&b, "", 0);
	if (no_default)
		buf_printf(&b, "-\n");
	for (int i = 0; i < n; i++) {
		char *real = realpath(paths[i], NULL);

		buf_printf(&b, "%s\n", real ? real : paths[i]);
		free(real);
	}
	ret = file_write(path, b.data, b.len);
	buf_free(&b);
	free(path);
	return ret;
}

int
serve_paths_read(const char *dir, char ***paths, int *n, int *no_default)
{
	char *path = serve_path(dir, SERVE_PATHS), *text, *save = NULL;

	*paths = NULL;
	*n = 0;
	*no_default = 0;
	text = file_read(path, NULL);
	free(path);
	if (text == NULL)
		return -1;
	*paths = xcalloc(1, sizeof(char *));
	for (char *l = strtok_r(text, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(l, "-") == 0) {
			*no_default = 1;
			continue;
		}
		*paths = xrealloc(*paths, (*n + 2) * sizeof(char *));
		(*paths)[(*n)++] = xstrdup(l);
		(*paths)[*n] = NULL;
	}
	free(text);
	return 0;
}
