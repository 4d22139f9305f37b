/*
 * ref_conn.c - a probe's connection (ref_probe.h): netio.h bounded by the
 * probe's deadline and step, every line sent or read in the probe's log
 * ("C:" for the client's, "S:" for the server's, the other way round when
 * receiving).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netio.h"
#include "ref_probe.h"

/* ref_conn_open - connect to addr:port within the step deadline; 0 or -1 */
int
ref_conn_open(struct ref_probe *p, struct ref_conn *cn, int fam,
    const char *addr, int port)
{
	int rc, err;

	cn->p = p;
	netio_init(&cn->io, p->deadline, p->step_ms, REF_IN_MAX);
	rc = netio_connect(&cn->io, fam, addr, port);
	err = errno;
	if (cn->io.timed_out)
		p->r->timed_out = 1;
	if (rc == NETIO_ESOCKET) {
		ref_giveup(p, "socket: %s", strerror(err));
		return -1;
	}
	if (rc != 0) {
		ref_log(p, "connect to %s[%s]:%d: %s", p->r->host, addr, port,
		    strerror(err));
		snprintf(p->why, sizeof(p->why), "connect to %s[%s]:%d: %s",
		    p->r->host, addr, port, strerror(err));
		return -1;
	}
	ref_log(p, "connected to %s[%s]:%d", p->r->host, addr, port);
	return 0;
}

/* ref_conn_close - TLS close_notify if any, then close; a step that timed
 * out on the way is the probe's */
void
ref_conn_close(struct ref_conn *cn)
{
	netio_close(&cn->io);
	if (cn->io.timed_out)
		cn->p->r->timed_out = 1;
}

/* ref_conn_write - send s (logged without its line end); 0 or -1 */
int
ref_conn_write(struct ref_conn *cn, const char *s)
{
	int shown = (int)strcspn(s, "\r\n");

	ref_log(cn->p, "%s: %.*s%s", cn->p->receiving ? "S" : "C", shown, s,
	    s[shown] && s[shown + 2] ? " ..." : "");
	if (netio_write(&cn->io, s, strlen(s)) < 0) {
		ref_log(cn->p, "write failed");
		return -1;
	}
	return 0;
}

/* ref_conn_fill - read more input; 0, or -1 on EOF, error or timeout */
int
ref_conn_fill(struct ref_conn *cn)
{
	return netio_fill(&cn->io) > 0 ? 0 : -1;
}

/* ref_conn_line - one input line without its line end; 0 or -1 */
int
ref_conn_line(struct ref_conn *cn, char *line, size_t size)
{
	struct netio *io = &cn->io;
	char *nl;

	while ((nl = memchr(io->in, '\n', io->inlen)) == NULL)
		if (ref_conn_fill(cn) < 0) {
			ref_log(cn->p, "read failed (EOF, timeout or overlong "
			    "line)");
			return -1;
		}
	size_t n = (size_t)(nl - io->in), take = n;

	if (take > 0 && io->in[take - 1] == '\r')
		take--;
	if (take >= size)
		take = size - 1;
	memcpy(line, io->in, take);
	line[take] = '\0';
	memmove(io->in, nl + 1, io->inlen - n - 1);
	io->inlen -= n + 1;
	io->in[io->inlen] = '\0';
	ref_log(cn->p, "S: %s", line);
	return 0;
}

/* ref_conn_wait - read until one of two markers appears; which (0/1) or -1 */
int
ref_conn_wait(struct ref_conn *cn, const char *m0, const char *m1)
{
	const char *const markers[] = { m0, m1, NULL };
	int k = netio_wait(&cn->io, markers);

	if (k < 0) {
		ref_log(cn->p, "%s: %.200s%s", cn->p->receiving ? "C" : "S",
		    cn->io.in, cn->io.inlen > 200 ? " ..." : "");
		ref_log(cn->p, "read failed waiting for %s", m0);
		return -1;
	}
	ref_log(cn->p, "%s: %.300s%s", cn->p->receiving ? "C" : "S", cn->io.in,
	    cn->io.inlen > 300 ? " ..." : "");
	return k;
}
