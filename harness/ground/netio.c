/*
 * netio.c - one blocking, deadline-bounded connection (netio.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/err.h>

#include "clock.h"
#include "netio.h"

void
netio_init(struct netio *io, long long deadline, int step_ms, size_t inmax)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
	io->deadline = deadline;
	io->step_ms = step_ms;
	io->inmax = inmax < NETIO_IN_MAX ? inmax : NETIO_IN_MAX;
}

int
netio_left(const struct netio *io)
{
	long long left = io->deadline - clock_ms();

	if (left <= 0)
		return 0;
	if (io->step_ms > 0 && left > io->step_ms)
		return io->step_ms;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int
netio_arm(struct netio *io)
{
	int ms = netio_left(io);
	struct timeval tv;

	if (ms <= 0) {
		io->timed_out = 1;
		return -1;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
	    || setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) != 0)
		return -1;
	return 0;
}

/* netio_timed_out - after a failed read or write (errno cleared before
 * it): SO_RCVTIMEO or SO_SNDTIMEO ran out, so the step timed out */
static void
netio_timed_out(struct netio *io)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		io->timed_out = 1;
}

/* netio_sockaddr - addr:port of family fam into *ss; 0 or -1 */
static int
netio_sockaddr(struct sockaddr_storage *ss, socklen_t *sl, int fam,
    const char *addr, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*sl = sizeof(*s4);
		return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*sl = sizeof(*s6);
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ? 0 : -1;
	}
}

void
netio_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
netio_connect(struct netio *io, int fam, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl, el = sizeof(int);
	struct pollfd pfd;
	int err = 0, ms;

	if (netio_sockaddr(&ss, &sl, fam, addr, port) != 0) {
		errno = EINVAL;
		return NETIO_ECONNECT;
	}
	if ((io->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return NETIO_ESOCKET;
	netio_nodelay(io->fd);
	if (connect(io->fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		pfd.fd = io->fd;
		pfd.events = POLLOUT;
		ms = netio_left(io);
		if (ms <= 0 || poll(&pfd, 1, ms) <= 0) {
			err = ETIMEDOUT;
			io->timed_out = 1;
			goto fail;
		}
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err != 0)
			goto fail;
	}
	fcntl(io->fd, F_SETFL, fcntl(io->fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
fail:
	close(io->fd);
	io->fd = -1;
	errno = err;
	return NETIO_ECONNECT;
}

int
netio_write(struct netio *io, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		long n;

		if (netio_arm(io) < 0)
			return -1;
		errno = 0;
		if (io->ssl != NULL)
			n = SSL_write(io->ssl, s + off, (int)(len - off));
		else
			n = send(io->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			netio_timed_out(io);
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int
netio_fill(struct netio *io)
{
	long n;

	if (io->inlen >= io->inmax)
		return NETIO_EFULL;
	if (netio_arm(io) < 0)
		return NETIO_ELATE;
	errno = 0;
	if (io->ssl != NULL) {
		int k = SSL_read(io->ssl, io->in + io->inlen,
		    (int)(io->inmax - io->inlen));

		n = k;
		if (k <= 0)
			n = SSL_get_error(io->ssl, k) == SSL_ERROR_ZERO_RETURN
			    ? 0 : -1;
	} else
		n = recv(io->fd, io->in + io->inlen, io->inmax - io->inlen, 0);
	if (n <= 0) {
		netio_timed_out(io);
		return n == 0 ? 0 : NETIO_EREAD;
	}
	io->inlen += (size_t)n;
	io->in[io->inlen] = '\0';
	return (int)n;
}

int
netio_wait(struct netio *io, const char *const *markers)
{
	for (;;) {
		int n;

		for (int i = 0; markers[i] != NULL; i++)
			if (strstr(io->in, markers[i]) != NULL)
				return i;
		if ((n = netio_fill(io)) <= 0)
			return n == 0 ? NETIO_EOF : n;
	}
}

void
netio_drain(struct netio *io)
{
	io->inlen = 0;
	io->in[0] = '\0';
}

int
netio_handshake(struct netio *io, int server)
{
	if (netio_arm(io) < 0)
		return -1;
	errno = 0;
	if ((server ? SSL_accept(io->ssl) : SSL_connect(io->ssl)) == 1)
		return 0;
	netio_timed_out(io);
	return -1;
}

void
netio_tls_why(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	snprintf(buf, size, "timeout or connection closed");
	if (e != 0)
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
}

void
netio_close(struct netio *io)
{
	if (io->ssl != NULL) {
		if (netio_arm(io) == 0)
			SSL_shutdown(io->ssl);
		SSL_free(io->ssl);
		io->ssl = NULL;
	}
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}
