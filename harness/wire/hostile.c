/* hostile.c - misbehaving clients against decoy listeners */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "hostile.h"
#include "mem.h"
#include "msg.h"
#include "xmpp_wire.h"

#define HOSTILE_SLOW_MAX	8	/* slow writers held open at once */

struct hostile {
	pthread_t thread;
	atomic_int stop;
	long attacks;
	int slow[HOSTILE_SLOW_MAX];
};

static const int hostile_ports[] = { 25, 465, 5269, 5270 };

/* hostile_connect - a TCP connection to the decoy on port, or -1 */
static int
hostile_connect(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, HOSTILE_ADDR, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* hostile_send - write, ignoring a peer that has gone */
static void
hostile_send(int fd, const void *data, size_t len)
{
	if (send(fd, data, len, MSG_NOSIGNAL) < 0 && errno != EPIPE
	    && errno != ECONNRESET)
		msg_warn("hostile: send: %s", strerror(errno));
}

/* hostile_attack - one misbehaving connection of kind k */
static void
hostile_attack(struct hostile *h, long n)
{
	static char big[100000];
	int port = hostile_ports[n % 4], k = (int)(n / 4 % 6), fd;
	unsigned char junk[512];
	char *xmpp_starttls;

	if ((fd = hostile_connect(port)) < 0)
		return;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + n * 7);
	switch (k) {
	case 0:		/* garbage bytes */
		hostile_send(fd, junk, sizeof(junk));
		break;
	case 1:		/* an overlong line */
		memset(big, 'A', sizeof(big));
		hostile_send(fd, big, sizeof(big));
		hostile_send(fd, "\r\n", 2);
		break;
	case 2:		/* STARTTLS (or direct TLS), then TLS garbage */
		hostile_send(fd, "EHLO x\r\nSTARTTLS\r\n", 18);
		xmpp_starttls = xmpp_wire_header(0, "<starttls xmlns="
		    "'urn:ietf:params:xml:ns:xmpp-tls'/>", "to='x'");
		hostile_send(fd, xmpp_starttls, strlen(xmpp_starttls));
		free(xmpp_starttls);
		hostile_send(fd, "\x16\x03\x01\x02\x00", 5);
		hostile_send(fd, junk, sizeof(junk));
		break;
	case 3:		/* half a TLS record, then an abrupt close */
		hostile_send(fd, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		    11);
		break;
	case 4:		/* a slow writer: one byte, then held open */
		hostile_send(fd, "E", 1);
		if (h->slow[n % HOSTILE_SLOW_MAX] >= 0)
			close(h->slow[n % HOSTILE_SLOW_MAX]);
		h->slow[n % HOSTILE_SLOW_MAX] = fd;
		return;
	default:	/* connect and close at once */
		break;
	}
	close(fd);
}

/* hostile_main - attack until stopped */
static void *
hostile_main(void *arg)
{
	struct hostile *h = arg;

	while (!atomic_load(&h->stop)) {
		hostile_attack(h, h->attacks++);
		poll(NULL, 0, 2);
	}
	return NULL;
}

struct hostile *
hostile_start(struct endpoint_set *eps, SSL_CTX *ctx)
{
	struct hostile *h = xcalloc(1, sizeof(*h));

	for (int i = 0; i < HOSTILE_SLOW_MAX; i++)
		h->slow[i] = -1;
	for (size_t i = 0; i < 4; i++) {
		static const enum proto protos[] = { PROTO_SMTP,
		    PROTO_SMTPS, PROTO_XMPP, PROTO_XMPPS };
		struct endpoint_spec spec;
		char tag[64];

		snprintf(tag, sizeof(tag), "%s%d", HOSTILE_TAG,
		    hostile_ports[i]);
		memset(&spec, 0, sizeof(spec));
		spec.tag = tag;
		spec.addr = HOSTILE_ADDR;
		spec.port = hostile_ports[i];
		spec.proto = protos[i];
		spec.ctx = ctx;
		if (endpoint_listen(eps, &spec) != 0) {
			free(h);
			return NULL;
		}
	}
	if (pthread_create(&h->thread, NULL, hostile_main, h) != 0) {
		msg_warn("hostile: pthread_create: %s", strerror(errno));
		free(h);
		return NULL;
	}
	return h;
}

long
hostile_stop(struct hostile *h)
{
	long n;

	atomic_store(&h->stop, 1);
	pthread_join(h->thread, NULL);
	for (int i = 0; i < HOSTILE_SLOW_MAX; i++)
		if (h->slow[i] >= 0)
			close(h->slow[i]);
	n = h->attacks;
	free(h);
	return n;
}
