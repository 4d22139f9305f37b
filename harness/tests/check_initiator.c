/*
 * check_initiator.c - the lab's connecting XMPP server (xmpp-in) against
 * scripted receivers on the loopback: each way a receiver can answer
 * must give its outcome, and a silent or flooding one must not hang it.
 * Also the two lower parts it shares with the reference client: the
 * deadline-bounded connection (netio.h) and the stream header
 * (xmpp_wire.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "clock.h"
#include "initiator.h"
#include "netio.h"
#include "suites.h"
#include "xmpp_wire.h"

/* How a scripted receiver answers. */
enum rx_mode {
	RX_NO_STARTTLS,		/* features without STARTTLS */
	RX_STREAM_ERROR,	/* a stream error instead of features */
	RX_STARTTLS_FAILURE,	/* <failure/> to <starttls/> */
	RX_TLS_NO_EXTERNAL,	/* TLS, then features without EXTERNAL */
	RX_EXTERNAL_OK,		/* TLS, EXTERNAL offered, <success/> */
	RX_EXTERNAL_FAIL,	/* TLS, EXTERNAL offered, <failure/> */
	RX_CLOSE_AFTER_TLS,	/* TLS, then the connection closes */
	RX_GARBAGE,		/* 40 KB of junk, no features ever */
	RX_SILENT,		/* accepts and says nothing */
	RX_NOTHING		/* nothing listens */
};

static const struct {
	enum rx_mode mode;
	enum outcome want;
	int tls;		/* the handshake must complete */
} cases[] = {
	{ RX_NO_STARTTLS, OUTCOME_CLEARTEXT, 0 },
	{ RX_STREAM_ERROR, OUTCOME_REFUSED, 0 },
	{ RX_STARTTLS_FAILURE, OUTCOME_REFUSED, 0 },
	{ RX_TLS_NO_EXTERNAL, OUTCOME_ENCRYPTED, 1 },
	{ RX_EXTERNAL_OK, OUTCOME_AUTHENTICATED, 1 },
	{ RX_EXTERNAL_FAIL, OUTCOME_ENCRYPTED, 1 },
	{ RX_CLOSE_AFTER_TLS, OUTCOME_REFUSED, 1 },
	{ RX_GARBAGE, OUTCOME_REFUSED, 0 },
	{ RX_SILENT, OUTCOME_REFUSED, 0 },
	{ RX_NOTHING, OUTCOME_NO_CONNECT, 0 },
};

static SSL_CTX *server_ctx, *client_ctx;

/* setup - one self-signed key and certificate for both sides */
static void
setup(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();

	ck_assert_ptr_nonnull(k);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"origin.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	server_ctx = SSL_CTX_new(TLS_server_method());
	client_ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_use_cert_and_key(server_ctx, x, k, NULL, 1), 1);
	ck_assert_int_eq(SSL_CTX_use_cert_and_key(client_ctx, x, k, NULL, 1), 1);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
teardown(void)
{
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(client_ctx);
}

/* One scripted receiver. */
struct rx {
	enum rx_mode mode;
	int lfd;
	int got_cert;		/* the initiator presented a certificate */
};

/* rx_until - read (TLS if ssl) until marker is in what was read; 0/-1 */
static int
rx_until(int fd, SSL *ssl, const char *marker)
{
	char buf[8192];
	size_t len = 0;

	for (;;) {
		int n = ssl ? SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len))
		    : (int)recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, marker) != NULL)
			return 0;
		if (len >= sizeof(buf) - 1)
			len = 0;
	}
}

static void
rx_send(int fd, SSL *ssl, const char *s)
{
	if (ssl)
		SSL_write(ssl, s, (int)strlen(s));
	else
		send(fd, s, strlen(s), MSG_NOSIGNAL);
}

#define HDR "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " \
	"xmlns:stream='http://etherx.jabber.org/streams' version='1.0' " \
	"from='receiver.example'>"
#define TLS_FEATURES "<stream:features><starttls xmlns='urn:ietf:params:" \
	"xml:ns:xmpp-tls'/></stream:features>"

/* accept_any - the receiver takes any client certificate */
static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

static void *
rx_thread(void *arg)
{
	struct rx *rx = arg;
	int fd = accept(rx->lfd, NULL, NULL);
	SSL *ssl = NULL;
	char junk[1024];

	if (fd < 0)
		return NULL;
	if (rx->mode == RX_SILENT) {
		rx_until(fd, NULL, "never");	/* until the initiator leaves */
		goto out;
	}
	if (rx_until(fd, NULL, "<stream:stream") != 0)
		goto out;
	switch (rx->mode) {
	case RX_NO_STARTTLS:
		rx_send(fd, NULL, HDR "<stream:features/>");
		goto out;
	case RX_STREAM_ERROR:
		rx_send(fd, NULL, HDR "<stream:error><not-authorized xmlns="
		    "'urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
		    "</stream:stream>");
		goto out;
	case RX_GARBAGE:
		memset(junk, 'x', sizeof(junk));
		for (int i = 0; i < 40; i++)
			send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		rx_until(fd, NULL, "never");
		goto out;
	default:
		break;
	}
	rx_send(fd, NULL, HDR TLS_FEATURES);
	if (rx_until(fd, NULL, "<starttls") != 0)
		goto out;
	if (rx->mode == RX_STARTTLS_FAILURE) {
		rx_send(fd, NULL, "<failure xmlns='urn:ietf:params:xml:ns:"
		    "xmpp-tls'/></stream:stream>");
		goto out;
	}
	rx_send(fd, NULL, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	ssl = SSL_new(server_ctx);
	SSL_set_fd(ssl, fd);
	/* Request the client certificate, take any: not about trust. */
	SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any);
	if (SSL_accept(ssl) != 1)
		goto out;
	rx->got_cert = SSL_get0_peer_certificate(ssl) != NULL;
	if (rx->mode == RX_CLOSE_AFTER_TLS)
		goto out;
	if (rx_until(fd, ssl, "<stream:stream") != 0)
		goto out;
	if (rx->mode == RX_TLS_NO_EXTERNAL) {
		rx_send(fd, ssl, HDR "<stream:features><dialback xmlns='urn:"
		    "xmpp:features:dialback'/></stream:features>");
		rx_until(fd, ssl, "</stream:stream>");
		goto out;
	}
	rx_send(fd, ssl, HDR "<stream:features><mechanisms xmlns='urn:ietf:"
	    "params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
	    "</mechanisms></stream:features>");
	if (rx_until(fd, ssl, "<auth") != 0)
		goto out;
	rx_send(fd, ssl, rx->mode == RX_EXTERNAL_OK ? "<success xmlns='urn:"
	    "ietf:params:xml:ns:xmpp-sasl'/>" : "<failure xmlns='urn:ietf:"
	    "params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
	rx_until(fd, ssl, "</stream:stream>");
out:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

START_TEST(test_outcome)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct initiator_result r;
	struct rx rx = { .mode = cases[_i].mode };
	pthread_t th;
	int port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(rx.lfd, 0);
	ck_assert_int_eq(bind(rx.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(rx.lfd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	if (rx.mode == RX_NOTHING) {
		/* Bound but not listening: the connection is refused. */
		ck_assert_int_eq(initiator_probe("127.0.0.1", port,
		    "origin.example", "receiver.example", client_ctx, 2000,
		    &r), 0);
	} else {
		ck_assert_int_eq(listen(rx.lfd, 1), 0);
		ck_assert_int_eq(pthread_create(&th, NULL, rx_thread, &rx), 0);
		ck_assert_int_eq(initiator_probe("127.0.0.1", port,
		    "origin.example", "receiver.example", client_ctx, 1500,
		    &r), 0);
		pthread_join(th, NULL);
	}
	close(rx.lfd);
	ck_assert_msg(r.outcome == cases[_i].want, "case %d: %s, wanted %s "
	    "(%s)\n%s", _i, outcome_name(r.outcome),
	    outcome_name(cases[_i].want), r.detail, r.transcript);
	ck_assert_int_eq(r.tls_done, cases[_i].tls);
	if (cases[_i].tls)
		ck_assert_msg(rx.got_cert, "no client certificate presented");
	ck_assert_str_ne(r.detail, "");
	free(r.transcript);
}
END_TEST

/* The stream headers the lab writes, byte for byte. */
static const struct {
	int flags;
	const char *tail, *attrs, *want;
} header_cases[] = {
	/* the initiator, the reference receiver, the endpoint */
	{ XMPP_WIRE_DECL | XMPP_WIRE_DIALBACK, "", "from='a' to='b'",
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns:db='jabber:server:dialback' from='a' to='b' "
	    "version='1.0'>" },
	/* the reference client: "to" first, no dialback */
	{ XMPP_WIRE_DECL, "", "to='b' from='a'",
	    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' to='b' from='a' "
	    "version='1.0'>" },
	/* the hostile client: no declaration, an element after it */
	{ 0, "<starttls/>", "to='x'",
	    "<stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' to='x' "
	    "version='1.0'><starttls/>" },
};

START_TEST(test_header)
{
	char *h = xmpp_wire_header(header_cases[_i].flags,
	    header_cases[_i].tail, "%s", header_cases[_i].attrs);

	ck_assert_str_eq(h, header_cases[_i].want);
	free(h);
}
END_TEST

/* netio_listener - a loopback listener on any port; fd, *port set */
static int
netio_listener(int *port, int listening)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 1), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A refused connection says so and leaves no descriptor behind. */
START_TEST(test_netio_refused)
{
	struct netio io;
	int port, lfd = netio_listener(&port, 0);

	netio_init(&io, clock_ms() + 2000, 0, NETIO_IN_MAX);
	ck_assert_int_eq(netio_connect(&io, AF_INET, "127.0.0.1", port),
	    NETIO_ECONNECT);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(io.fd, -1);
	ck_assert_int_eq(io.timed_out, 0);
	close(lfd);
}
END_TEST

/* Reads bounded by the step, the input bound and the deadline; waits for
 * markers. */
START_TEST(test_netio_bounds)
{
	static const char *const markers[] = { "zz", "ab", NULL };
	static const char *const absent[] = { "zz", NULL };
	struct netio io;
	char got[8] = "";
	int port, lfd = netio_listener(&port, 1), peer;

	netio_init(&io, clock_ms() + 5000, 200, 8);
	ck_assert_int_eq(netio_connect(&io, AF_INET, "127.0.0.1", port), 0);
	ck_assert_int_ge(peer = accept(lfd, NULL, NULL), 0);
	/* a silent peer: the step runs out */
	ck_assert_int_eq(netio_fill(&io), NETIO_EREAD);
	ck_assert_int_eq(io.timed_out, 1);
	/* no more than inmax bytes, then full */
	ck_assert_int_eq(send(peer, "hello world\n", 12, 0), 12);
	ck_assert_int_eq(netio_fill(&io), 8);
	ck_assert_str_eq(io.in, "hello wo");
	ck_assert_int_eq(netio_fill(&io), NETIO_EFULL);
	netio_drain(&io);
	ck_assert_int_eq(netio_write(&io, "ping", 4), 0);
	ck_assert_int_eq(recv(peer, got, 4, MSG_WAITALL), 4);
	ck_assert_int_eq(memcmp(got, "ping", 4), 0);
	/* the rest; a wait ends at the first marker of the list that is in;
	 * then the end of the stream */
	ck_assert_int_eq(netio_fill(&io), 4);
	ck_assert_str_eq(io.in, "rld\n");
	ck_assert_int_eq(send(peer, "ab", 2, 0), 2);
	ck_assert_int_eq(netio_wait(&io, markers), 1);
	ck_assert_str_eq(io.in, "rld\nab");
	close(peer);
	ck_assert_int_eq(netio_wait(&io, absent), NETIO_EOF);
	/* past the deadline nothing is read */
	io.deadline = clock_ms() - 1;
	ck_assert_int_eq(netio_fill(&io), NETIO_ELATE);
	netio_close(&io);
	ck_assert_int_eq(io.fd, -1);
	close(lfd);
}
END_TEST

Suite *
initiator_suite(void)
{
	Suite *s = suite_create("initiator");
	TCase *tc = tcase_create("outcomes");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_outcome, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("wire");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_header, 0,
	    (int)(sizeof(header_cases) / sizeof(header_cases[0])));
	tcase_add_test(tc, test_netio_refused);
	tcase_add_test(tc, test_netio_bounds);
	suite_add_tcase(s, tc);
	return s;
}
