/*
 * netio.h - one blocking TCP connection, plain or TLS, bounded by a
 * deadline: the connect by poll, every read and write by what is left of
 * the deadline (SO_RCVTIMEO/SO_SNDTIMEO), at most step_ms per step.  An
 * input buffer for line or marker matching.  Used by the connecting
 * sides of the lab: the reference client (ref_*.c, also as the
 * receiving server on an accepted socket) and the initiator.  No
 * logging: the callers say what happened.
 */
#ifndef DANELAB_NETIO_H
#define DANELAB_NETIO_H

#include <stddef.h>

#include <openssl/ssl.h>

#define NETIO_IN_MAX	16384	/* largest input buffer */

/* What went wrong (netio_connect, netio_fill). */
#define NETIO_ESOCKET	(-1)	/* no socket could be made (errno) */
#define NETIO_ECONNECT	(-2)	/* connect failed or timed out (errno) */
#define NETIO_EREAD	(-1)	/* read failed or timed out (errno) */
#define NETIO_EFULL	(-3)	/* the input buffer is full */
#define NETIO_ELATE	(-4)	/* no time left before reading */
#define NETIO_EOF	(-5)	/* the peer ended the stream (netio_wait) */

struct netio {
	int fd;			/* -1 when closed */
	SSL *ssl;		/* set by the caller once TLS is up, else NULL;
				 * owned: netio_close frees it */
	long long deadline;	/* CLOCK_MONOTONIC ms, for the whole exchange */
	int step_ms;		/* bound on one step, 0 for none */
	int timed_out;		/* a step ran out of time (sticky) */
	size_t inmax;		/* input bound, at most NETIO_IN_MAX */
	size_t inlen;
	char in[NETIO_IN_MAX + 1];	/* NUL-terminated */
};

/*
 * netio_init - a closed connection: deadline (CLOCK_MONOTONIC ms),
 * step_ms (0: the deadline alone bounds a step), inmax bytes of input
 * (at most NETIO_IN_MAX).  Set io->fd to use an accepted socket.
 */
void netio_init(struct netio *io, long long deadline, int step_ms,
    size_t inmax);

/* netio_left - ms left for the next step (<= 0 when past the deadline) */
int netio_left(const struct netio *io);

/*
 * netio_arm - bound the next socket operation by netio_left; 0, or -1
 * when no time is left (io->timed_out) or the socket refuses.
 */
int netio_arm(struct netio *io);

/*
 * netio_connect - TCP to addr:port (numeric, family fam) within the step
 * bound, then a blocking socket.  0; NETIO_ESOCKET, or NETIO_ECONNECT
 * (ETIMEDOUT and io->timed_out when time ran out), with errno set and
 * io->fd -1.
 */
int netio_connect(struct netio *io, int fam, const char *addr, int port);

/* netio_nodelay - no Nagle on the TCP socket fd: a message written in
 * pieces (two TLS records, a multi-line reply) must not wait for the
 * peer's delayed ACK, 40 ms on Linux */
void netio_nodelay(int fd);

/* netio_write - all of s[0..len-1], over TLS once it is up; 0 or -1
 * (io->timed_out when a step ran out of time) */
int netio_write(struct netio *io, const char *s, size_t len);

/*
 * netio_fill - read once more into io->in: bytes read, 0 at the end of
 * the stream (EOF, TLS close_notify), NETIO_EREAD (errno; io->timed_out
 * when the step ran out of time), NETIO_EFULL or NETIO_ELATE.  OpenSSL's
 * error queue is left as the read left it.
 */
int netio_fill(struct netio *io);

/*
 * netio_wait - read until one of markers (NULL-ended) is in the input: the
 * index of the first of them that is, or why no more could be read
 * (NETIO_EOF, or netio_fill's NETIO_EREAD, NETIO_EFULL, NETIO_ELATE).
 */
int netio_wait(struct netio *io, const char *const *markers);

/* netio_drain - forget the input read so far */
void netio_drain(struct netio *io);

/*
 * netio_tls_why - why a TLS handshake failed: OpenSSL's last error, else
 * "timeout or connection closed", into buf[size]; clears the error queue.
 */
void netio_tls_why(char *buf, size_t size);

/*
 * netio_handshake - the TLS handshake on io->ssl (set up by the caller):
 * as the client, or as the server when server is set; 0, or -1
 * (io->timed_out when the step ran out of time).
 */
int netio_handshake(struct netio *io, int server);

/* netio_close - TLS close_notify (bounded), free io->ssl, close io->fd */
void netio_close(struct netio *io);

#endif
