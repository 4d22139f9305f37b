/*
 * check_endpoint.c - the endpoint module against real clients: openssl
 * s_client for STARTTLS (SMTP and XMPP), direct TLS with ALPN and client
 * certificates; plain sockets and an in-test OpenSSL client for
 * cleartext, failed handshakes and hostile input.  Every listener binds
 * port 0 on 127.0.0.1 and the test reads the port back.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "endpoint.h"
#include "mem.h"
#include "observe.h"
#include "suites.h"

static SSL_CTX *server_ctx;
static char tmpdir[64];
static char client_cert_path[128], client_key_path[128];

/* make_cert - a self-signed certificate for a new P-256 key */
static X509 *
make_cert(const char *cn, EVP_PKEY **keyp)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	ck_assert_ptr_nonnull(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_NAME_free(name);
	X509_set_pubkey(x, key);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	*keyp = key;
	return x;
}

/* write_pem - write a certificate and key for s_client -cert/-key */
static void
write_pem(X509 *x, EVP_PKEY *key)
{
	FILE *f;

	snprintf(client_cert_path, sizeof(client_cert_path), "%s/cert.pem",
	    tmpdir);
	snprintf(client_key_path, sizeof(client_key_path), "%s/key.pem",
	    tmpdir);
	f = fopen(client_cert_path, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(client_key_path, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* setup - server context, client certificate files, no SIGPIPE */
static void
setup(void)
{
	EVP_PKEY *key, *ckey;
	X509 *x, *cx;

	signal(SIGPIPE, SIG_IGN);
	x = make_cert("mx.test.example", &key);
	server_ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(server_ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate(server_ctx, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(server_ctx, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_endpoint.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	cx = make_cert("client.test.example", &ckey);
	write_pem(cx, ckey);
	X509_free(cx);
	EVP_PKEY_free(ckey);
}

/* teardown - free the context, remove the files */
static void
teardown(void)
{
	SSL_CTX_free(server_ctx);
	unlink(client_cert_path);
	unlink(client_key_path);
	rmdir(tmpdir);
}

/* listen_one - a listener on 127.0.0.1, a free port; returns the port */
static int
listen_one(struct endpoint_set *s, const char *tag, enum proto p,
    unsigned flags)
{
	struct endpoint_spec spec = {
		.tag = tag, .addr = "127.0.0.1", .port = 0, .proto = p,
		.ctx = server_ctx, .flags = flags,
	};

	ck_assert_int_eq(endpoint_listen(s, &spec), 0);
	ck_assert_int_gt(endpoint_last_port(s), 0);
	return endpoint_last_port(s);
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_one - the one finished connection with this exact tag, or fail */
static struct endpoint_conn *
wait_one(struct endpoint_set *s, const char *tag, int ms)
{
	long long end = now_ms() + ms;

	for (;;) {
		struct endpoint_conn *c = NULL;
		size_t n = 0;

		endpoint_take(s, tag, &c, &n);
		if (n > 0) {
			ck_assert_uint_eq(n, 1);
			if (getenv("CHECK_ENDPOINT_VERBOSE") != NULL)
				fprintf(stderr, "== %s: %s\n%s", tag,
				    outcome_name(c->outcome), c->transcript);
			return c;
		}
		if (now_ms() > end)
			ck_abort_msg("no finished connection for %s", tag);
		usleep(20000);
	}
}

/* run_openssl - run openssl with argv, feeding input; its exit status */
static int
run_openssl(char *const argv[], const char *input)
{
	int in[2], status = -1;
	long long end = now_ms() + 20000;
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(in[0], 0);
		dup2(null, 1);
		if (getenv("CHECK_ENDPOINT_VERBOSE") == NULL)
			dup2(null, 2);
		close(in[0]);
		close(in[1]);
		execvp("openssl", argv);
		_exit(127);
	}
	close(in[0]);
	if (input != NULL) {
		ssize_t n = write(in[1], input, strlen(input));

		ck_assert_int_eq(n, (ssize_t)strlen(input));
	}
	close(in[1]);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("openssl %s timed out", argv[1]);
		}
		usleep(20000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* tcp_connect - a blocking socket to 127.0.0.1:port */
static int
tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* send_all - write everything or fail */
static void
send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		ck_assert_int_gt(n, 0);
		data += n;
		len -= (size_t)n;
	}
}

/* send_str - write a string */
static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/*
 * read_until - read into buf until needle shows up (1) or 5 s pass or the
 * peer closes (0); buf keeps everything read, NUL-terminated.
 */
static int
read_until_ms(int fd, const char *needle, char *buf, size_t size, int ms)
{
	size_t len = 0;
	long long end = now_ms() + ms;

	buf[0] = '\0';
	while (now_ms() < end && len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, needle) != NULL)
			return 1;
	}
	return 0;
}

/* read_until - read_until_ms with 5 s */
static int
read_until(int fd, const char *needle, char *buf, size_t size)
{
	return read_until_ms(fd, needle, buf, size, 5000);
}

/* smtp_to_starttls - greeting, EHLO, STARTTLS, 220 on a plain socket */
static int
smtp_to_starttls(int port)
{
	char buf[4096];
	int fd = tcp_connect(port);

	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	send_str(fd, "EHLO client.test.example\r\n");
	ck_assert(read_until(fd, "250 ", buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "STARTTLS"));
	send_str(fd, "STARTTLS\r\n");
	ck_assert(read_until(fd, "220 2.0.0 Ready", buf, sizeof(buf)));
	return fd;
}

static const char smtp_dialogue[] =
    "EHLO client.test.example\n"
    "MAIL FROM:<a@client.test.example>\n"
    "RCPT TO:<b@mx.test.example>\n"
    "DATA\n"
    "Subject: danelab\n"
    "\n"
    "hello\n"
    ".\n"
    "QUIT\n";

/* s_client_smtp - the scripted SMTP dialogue over STARTTLS */
static void
s_client_smtp(int port, const char *extra1, const char *extra2,
    const char *extra3, const char *extra4)
{
	char connect[64];
	char *argv[16];
	int i = 0;

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	argv[i++] = "openssl";
	argv[i++] = "s_client";
	argv[i++] = "-connect";
	argv[i++] = connect;
	argv[i++] = "-starttls";
	argv[i++] = "smtp";
	argv[i++] = "-servername";
	argv[i++] = "mx.test.example";
	argv[i++] = "-ign_eof";
	if (extra1)
		argv[i++] = (char *)extra1;
	if (extra2)
		argv[i++] = (char *)extra2;
	if (extra3)
		argv[i++] = (char *)extra3;
	if (extra4)
		argv[i++] = (char *)extra4;
	argv[i] = NULL;
	run_openssl(argv, smtp_dialogue);
}

/* check_smtp_encrypted - what a good STARTTLS client leaves behind */
static void
check_smtp_encrypted(const struct endpoint_conn *c)
{
	ck_assert_int_eq(c->outcome, OUTCOME_ENCRYPTED);
	ck_assert_int_eq(c->tls_done, 1);
	ck_assert_int_eq(c->tls_failed, 0);
	ck_assert_int_eq(c->message_done, 1);
	ck_assert_int_eq(c->cleartext_commands, 0);
	ck_assert_int_eq(c->commands_after_tls, 4);	/* QUIT not counted */
	ck_assert_str_eq(c->sni, "mx.test.example");
	ck_assert(strncmp(c->tls_version, "TLSv1.", 6) == 0);
	ck_assert_ptr_nonnull(strstr(c->transcript, "C: MAIL FROM:<a@"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: 250 2.0.0 Ok: queued"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "* TLS done"));
}

START_TEST(test_outcome_names)
{
	for (int o = 0; o < OUTCOME_COUNT; o++)
		ck_assert_int_eq(outcome_parse(outcome_name(o)), o);
	ck_assert_str_eq(outcome_name(OUTCOME_NO_CONNECT), "no-connect");
	ck_assert_str_eq(outcome_name(OUTCOME_COUNT), "invalid");
	ck_assert_int_eq(outcome_parse("Encrypted"), -1);
	ck_assert_int_eq(outcome_parse(""), -1);
	ck_assert_int_eq(outcome_parse(NULL), -1);
}
END_TEST

START_TEST(test_classify)
{
	struct endpoint_conn c;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_REFUSED);
	c.tls_done = 1;
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_REFUSED);
	c.commands_after_tls = 1;
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_ENCRYPTED);
	c.commands_after_tls = 0;
	c.message_done = 1;
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_ENCRYPTED);
	c.cleartext_commands = 1;
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_CLEARTEXT);
	memset(&c, 0, sizeof(c));
	c.tls_failed = 1;
	ck_assert_int_eq(endpoint_classify(&c), OUTCOME_REFUSED);
}
END_TEST

START_TEST(test_smtp_starttls)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "ok/mx", PROTO_SMTP, 0);

	ck_assert_int_eq(endpoint_start(s), 0);
	s_client_smtp(port, NULL, NULL, NULL, NULL);
	c = wait_one(s, "ok/mx", 5000);
	check_smtp_encrypted(c);
	ck_assert_str_eq(c->alpn, "");
	ck_assert_str_eq(c->client_cert, "");
	ck_assert_int_eq(c->port, port);
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: 250-STARTTLS"));
	endpoint_conns_free(c, 1);
	s = endpoint_set_free(s);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_smtps)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "tls/mx", PROTO_SMTPS, 0);
	char connect[64];
	char *argv[] = { "openssl", "s_client", "-connect", connect,
		"-servername", "mx.test.example", "-ign_eof", NULL };

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	ck_assert_int_eq(endpoint_start(s), 0);
	run_openssl(argv, smtp_dialogue);
	c = wait_one(s, "tls/mx", 5000);
	check_smtp_encrypted(c);
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: 220 tls/mx ESMTP"));
	ck_assert_ptr_null(strstr(c->transcript, "STARTTLS"));
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_smtp_cleartext)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "clear/mx", PROTO_SMTP, 0);
	char buf[4096];
	int fd;

	ck_assert_int_eq(endpoint_start(s), 0);
	fd = tcp_connect(port);
	ck_assert(read_until(fd, "220 clear/mx ESMTP danelab", buf,
	    sizeof(buf)));
	send_str(fd, "EHLO c.example\r\n");
	ck_assert(read_until(fd, "250 ", buf, sizeof(buf)));
	send_str(fd, "MAIL FROM:<a@c.example>\r\n");
	ck_assert(read_until(fd, "250 2.1.0", buf, sizeof(buf)));
	send_str(fd, "RCPT TO:<b@d.example>\r\n");
	ck_assert(read_until(fd, "250 2.1.5", buf, sizeof(buf)));
	send_str(fd, "DATA\r\n");
	ck_assert(read_until(fd, "354 ", buf, sizeof(buf)));
	send_str(fd, "Subject: x\r\n\r\n..dot\r\n.\r\n");
	ck_assert(read_until(fd, "250 2.0.0 Ok: queued", buf, sizeof(buf)));
	send_str(fd, "VRFY b\r\nNOOP\r\nRSET\r\nHELO c.example\r\nQUIT\r\n");
	ck_assert(read_until(fd, "221 ", buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "500 5.5.2"));
	close(fd);
	c = wait_one(s, "clear/mx", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_CLEARTEXT);
	ck_assert_int_eq(c->cleartext_commands, 3);
	ck_assert_int_eq(c->message_done, 1);
	ck_assert_int_eq(c->tls_done, 0);
	ck_assert_str_eq(c->tls_version, "");
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_smtp_verify_fails)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "bad/mx", PROTO_SMTP, 0);
	SSL_CTX *cctx;
	SSL *ssl;
	int fd;

	ck_assert_int_eq(endpoint_start(s), 0);
	fd = smtp_to_starttls(port);
	cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);	/* empty store */
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "bad.test.example");
	ck_assert_int_ne(SSL_connect(ssl), 1);
	SSL_free(ssl);
	SSL_CTX_free(cctx);
	close(fd);
	c = wait_one(s, "bad/mx", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->tls_failed, 1);
	ck_assert_int_eq(c->tls_done, 0);
	ck_assert_str_eq(c->alert, "unknown CA");
	ck_assert_str_eq(c->sni, "bad.test.example");
	ck_assert_ptr_nonnull(strstr(c->transcript,
	    "* TLS alert received: fatal unknown CA"));
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_smtp_starttls_injection)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "inj/mx", PROTO_SMTP, 0);
	char buf[4096];
	int fd;

	ck_assert_int_eq(endpoint_start(s), 0);
	fd = tcp_connect(port);
	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	send_str(fd, "EHLO c.example\r\n");
	ck_assert(read_until(fd, "250 ", buf, sizeof(buf)));
	send_str(fd, "STARTTLS\r\nMAIL FROM:<x@c.example>\r\n");
	ck_assert(read_until(fd, "220 2.0.0", buf, sizeof(buf)));
	ck_assert_int_eq(read_until_ms(fd, "250 2.1.0", buf, sizeof(buf),
	    500), 0);
	close(fd);
	c = wait_one(s, "inj/mx", 5000);
	ck_assert_ptr_nonnull(strstr(c->transcript, "discarded 25 bytes"));
	ck_assert_int_eq(c->cleartext_commands, 0);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_smtp_no_starttls)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "strip/mx", PROTO_SMTP,
	    ENDPOINT_NO_STARTTLS);
	char buf[4096];
	int fd;

	ck_assert_int_eq(endpoint_start(s), 0);
	fd = tcp_connect(port);
	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	send_str(fd, "EHLO c.example\r\n");
	ck_assert(read_until(fd, "250 ", buf, sizeof(buf)));
	ck_assert_ptr_null(strstr(buf, "STARTTLS"));
	ck_assert_ptr_nonnull(strstr(buf, "250-SIZE"));
	send_str(fd, "STARTTLS\r\n");
	ck_assert(read_until(fd, "502 ", buf, sizeof(buf)));
	send_str(fd, "QUIT\r\n");
	ck_assert(read_until(fd, "221 ", buf, sizeof(buf)));
	close(fd);
	c = wait_one(s, "strip/mx", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->cleartext_commands, 0);
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

static const char xmpp_after_tls[] =
    "<stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' to='d.example' "
    "from='c.example' version='1.0'>\n"
    "<db:result from='c.example' to='d.example'>abcdef</db:result>\n"
    "</stream:stream>\n";

START_TEST(test_xmpp_starttls)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "x/xmpp", PROTO_XMPP, 0);
	char connect[64];
	char *argv[] = { "openssl", "s_client", "-connect", connect,
		"-starttls", "xmpp-server", "-xmpphost", "d.example",
		"-servername", "d.example", "-ign_eof", NULL };

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	ck_assert_int_eq(endpoint_start(s), 0);
	run_openssl(argv, xmpp_after_tls);
	c = wait_one(s, "x/xmpp", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_ENCRYPTED);
	ck_assert_int_eq(c->tls_done, 1);
	ck_assert_int_eq(c->message_done, 1);
	ck_assert_int_eq(c->commands_after_tls, 2);
	ck_assert_int_eq(c->cleartext_commands, 0);
	ck_assert_str_eq(c->sni, "d.example");
	ck_assert_ptr_nonnull(strstr(c->transcript, "<starttls xmlns='urn:"
	    "ietf:params:xml:ns:xmpp-tls'><required/></starttls>"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: <proceed"));
	ck_assert_ptr_nonnull(strstr(c->transcript,
	    "<mechanism>EXTERNAL</mechanism>"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "from='d.example'"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "type='valid'"));
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_xmpps_alpn)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "x/xmpps", PROTO_XMPPS, 0);
	char connect[64];
	char *argv[] = { "openssl", "s_client", "-connect", connect,
		"-alpn", "h2,xmpp-server", "-servername", "d.example",
		"-ign_eof", NULL };

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	ck_assert_int_eq(endpoint_start(s), 0);
	run_openssl(argv, xmpp_after_tls);
	c = wait_one(s, "x/xmpps", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_ENCRYPTED);
	ck_assert_str_eq(c->alpn, "xmpp-server");
	ck_assert_int_eq(c->message_done, 1);
	ck_assert_ptr_null(strstr(c->transcript, "<starttls"));
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST


/* A client that opens the new stream, then sends a stream error (Prosody
 * after a failed certificate check) gave up: refused, not encrypted. */
static const char xmpp_restart_then_error[] =
    "<stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' to='d.example' "
    "from='c.example' version='1.0'>\n"
    "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:"
    "xmpp-streams'/></stream:error>\n"
    "</stream:stream>\n";

START_TEST(test_xmpps_restart_then_stream_error)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "xe/xmpps", PROTO_XMPPS, 0);
	char connect[64];
	char *argv[] = { "openssl", "s_client", "-connect", connect,
		"-alpn", "xmpp-server", "-servername", "d.example",
		"-ign_eof", NULL };

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	ck_assert_int_eq(endpoint_start(s), 0);
	run_openssl(argv, xmpp_restart_then_error);
	c = wait_one(s, "xe/xmpps", 5000);
	ck_assert_int_eq(c->tls_done, 1);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->message_done, 0);
	ck_assert_int_eq(c->commands_after_tls, 0);
	ck_assert_ptr_nonnull(strstr(c->transcript, "it gave up"));
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST
START_TEST(test_xmpp_cleartext)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "xc/xmpp", PROTO_XMPP,
	    ENDPOINT_NO_STARTTLS);
	char buf[4096];
	int fd;

	ck_assert_int_eq(endpoint_start(s), 0);
	fd = tcp_connect(port);
	send_str(fd, "<?xml version='1.0'?>" "<stream:stream xmlns='jabber:"
	    "server' xmlns:stream='http://etherx.jabber.org/streams' "
	    "to='d.example' version='1.0'>");
	ck_assert(read_until(fd, "</stream:features>", buf, sizeof(buf)));
	ck_assert_ptr_null(strstr(buf, "starttls"));
	ck_assert_ptr_nonnull(strstr(buf, "dialback"));
	send_str(fd, "  <db:result from='c.example' to='d.example'>k"
	    "</db:result></stream:stream>");
	ck_assert(read_until(fd, "</stream:stream>", buf, sizeof(buf)));
	close(fd);
	c = wait_one(s, "xc/xmpp", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_CLEARTEXT);
	ck_assert_int_eq(c->cleartext_commands, 1);
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_client_cert)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int port = listen_one(s, "cc/mx", PROTO_SMTP, ENDPOINT_CLIENT_CERT);

	ck_assert_int_eq(endpoint_start(s), 0);
	s_client_smtp(port, "-cert", client_cert_path, "-key", client_key_path);
	c = wait_one(s, "cc/mx", 5000);
	check_smtp_encrypted(c);
	ck_assert_str_eq(c->client_cert, "/CN=client.test.example");
	endpoint_conns_free(c, 1);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_hostile)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c;
	int p_slow = listen_one(s, "h/slow", PROTO_SMTP, 0);
	int p_garbage = listen_one(s, "h/garbage", PROTO_SMTP, 0);
	int p_long = listen_one(s, "h/long", PROTO_SMTP, 0);
	int p_tlsjunk = listen_one(s, "h/tlsjunk", PROTO_SMTP, 0);
	int p_abort = listen_one(s, "h/abort", PROTO_SMTP, 0);
	int p_xjunk = listen_one(s, "h/xjunk", PROTO_XMPP, 0);
	int p_xbig = listen_one(s, "h/xbig", PROTO_XMPP, 0);
	int p_sjunk = listen_one(s, "h/sjunk", PROTO_SMTPS, 0);
	int p_ok = listen_one(s, "h/ok", PROTO_SMTP, 0);
	static char big[100 * 1024 + 3];
	char buf[8192], junk[4096];
	int slow, fd;

	endpoint_set_deadlines(s, 3000, 30000);
	ck_assert_int_eq(endpoint_start(s), 0);
	srand(42);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(rand() & 0xff);

	/* A slow writer holds its connection open throughout. */
	slow = tcp_connect(p_slow);
	send_str(slow, "EH");

	/* Garbage bytes, then an abrupt close. */
	fd = tcp_connect(p_garbage);
	send_all(fd, junk, sizeof(junk));
	send_str(fd, "\r\n\r\n\r\n");
	read_until(fd, "421 ", buf, sizeof(buf));
	close(fd);

	/* A 100 KB line, then QUIT still works. */
	fd = tcp_connect(p_long);
	memset(big, 'A', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	send_all(fd, big, sizeof(big) - 1);
	send_str(fd, "QUIT\r\n");
	ck_assert(read_until(fd, "221 ", buf, sizeof(buf)));
	ck_assert_ptr_nonnull(strstr(buf, "500 5.5.0 Error: line too long"));
	close(fd);

	/* Random bytes instead of a ClientHello after STARTTLS. */
	fd = smtp_to_starttls(p_tlsjunk);
	send_all(fd, junk, sizeof(junk));
	read_until_ms(fd, "never", buf, sizeof(buf), 1000);
	close(fd);

	/* Half a ClientHello, then gone. */
	fd = smtp_to_starttls(p_abort);
	send_all(fd, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
	close(fd);

	/* XMPP: garbage, then an element that never ends. */
	fd = tcp_connect(p_xjunk);
	send_all(fd, junk, 512);
	ck_assert(read_until(fd, "not-well-formed", buf, sizeof(buf)));
	close(fd);
	fd = tcp_connect(p_xbig);
	send_str(fd, "<stream:stream xmlns='jabber:server' to='d.example'>");
	ck_assert(read_until(fd, "</stream:features>", buf, sizeof(buf)));
	send_str(fd, "<message><body>");
	memset(big, 'B', sizeof(big));
	send_all(fd, big, 20000);
	ck_assert(read_until(fd, "policy-violation", buf, sizeof(buf)));
	close(fd);

	/* Random bytes to a TLS-on-connect port. */
	fd = tcp_connect(p_sjunk);
	send_all(fd, junk, sizeof(junk));
	read_until_ms(fd, "never", buf, sizeof(buf), 1000);
	close(fd);

	/* A normal client is served meanwhile. */
	s_client_smtp(p_ok, NULL, NULL, NULL, NULL);
	c = wait_one(s, "h/ok", 5000);
	check_smtp_encrypted(c);
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/garbage", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: 500 5.5.2"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "too many errors"));
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/long", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_ptr_nonnull(strstr(c->transcript, "discarded"));
	ck_assert_uint_lt(strlen(c->transcript), 8192);
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/tlsjunk", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->tls_failed, 1);
	ck_assert_ptr_nonnull(strstr(c->transcript, "* TLS handshake failed"));
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/abort", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->tls_failed, 1);
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/xjunk", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/xbig", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	endpoint_conns_free(c, 1);

	c = wait_one(s, "h/sjunk", 5000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_int_eq(c->tls_failed, 1);
	endpoint_conns_free(c, 1);

	/* The slow writer ends at its idle deadline. */
	c = wait_one(s, "h/slow", 6000);
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	ck_assert_ptr_nonnull(strstr(c->transcript, "idle deadline"));
	ck_assert_ptr_nonnull(strstr(c->transcript, "C: EH\n"));
	endpoint_conns_free(c, 1);
	close(slow);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_limits)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_spec spec = {
		.tag = "dup/mx", .addr = "127.0.0.1", .proto = PROTO_SMTP,
		.ctx = server_ctx,
	};
	struct endpoint_conn *c = NULL;
	size_t n = 0;
	char buf[256];
	int port, fd[3];

	/* Address in use. */
	port = listen_one(s, "dup/mx", PROTO_SMTP, 0);
	spec.port = port;
	ck_assert_int_eq(endpoint_listen(s, &spec), -1);
	spec.addr = "not-an-address";
	ck_assert_int_eq(endpoint_listen(s, &spec), -1);
	spec.addr = "127.0.0.1";
	spec.port = 0;
	spec.ctx = NULL;
	ck_assert_int_eq(endpoint_listen(s, &spec), -1);

	/* Many listeners, and the connection limit. */
	for (int i = 0; i < 600; i++)
		listen_one(s, "many/mx", i % 2 ? PROTO_XMPP : PROTO_SMTP,
		    0);
	endpoint_set_max_conns(s, 2);
	ck_assert_int_eq(endpoint_start(s), 0);
	for (int i = 0; i < 3; i++) {
		fd[i] = tcp_connect(port);
		if (i < 2)
			ck_assert(read_until(fd[i], "220 ", buf, sizeof(buf)));
	}
	ck_assert_int_eq(read_until_ms(fd[2], "220 ", buf, sizeof(buf), 500), 0);
	c = wait_one(s, "dup/mx", 5000);
	ck_assert_ptr_nonnull(strstr(c->transcript, "connection limit"));
	ck_assert_int_eq(c->outcome, OUTCOME_REFUSED);
	endpoint_conns_free(c, 1);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	endpoint_stop(s);
	endpoint_stop(s);
	endpoint_take(s, "dup/", &c, &n);
	ck_assert_uint_eq(n, 2);
	endpoint_conns_free(c, n);
	endpoint_take(s, "", &c, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(c);
	endpoint_set_free(s);
}
END_TEST

START_TEST(test_many_listeners)
{
	struct endpoint_set *s = endpoint_set_new();
	struct endpoint_conn *c = NULL;
	size_t n = 0;
	char tag[64], buf[512];
	long long t0, ms;
	int port = 0, fd;

	/* One scenario per listener, as in a large catalogue. */
	for (int i = 0; i < 5000; i++) {
		snprintf(tag, sizeof(tag), "scn%d/mx", i);
		port = listen_one(s, tag, i % 2 ? PROTO_SMTP : PROTO_XMPP,
		    0);
	}
	ck_assert_int_eq(endpoint_start(s), 0);

	/* The last listener serves a whole dialogue. */
	fd = tcp_connect(port);
	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	send_str(fd, "EHLO client.test.example\r\n");
	ck_assert(read_until(fd, "250 ", buf, sizeof(buf)));
	send_str(fd, "QUIT\r\n");
	ck_assert(read_until(fd, "221 ", buf, sizeof(buf)));
	close(fd);
	ck_assert_int_eq(endpoint_quiesce(s, "scn4999/", 5000), 0);
	endpoint_take(s, "scn4999/", &c, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(c->tag, "scn4999/mx");
	ck_assert_ptr_nonnull(strstr(c->transcript, "S: 221 "));
	endpoint_conns_free(c, n);

	/* A connection still open holds its prefix, and only its prefix. */
	fd = tcp_connect(port);
	ck_assert(read_until(fd, "220 ", buf, sizeof(buf)));
	ck_assert_int_eq(endpoint_quiesce(s, "scn4999/", 300), -1);
	ck_assert_int_eq(endpoint_quiesce(s, "scn4998/", 300), 0);
	close(fd);
	ck_assert_int_eq(endpoint_quiesce(s, "scn4999/", 5000), 0);
	endpoint_take(s, "scn4999/", &c, &n);
	ck_assert_uint_eq(n, 1);
	endpoint_conns_free(c, n);

	/* A quiesce costs two loop passes, not a look at every listener. */
	t0 = now_ms();
	for (int i = 0; i < 200; i++) {
		snprintf(tag, sizeof(tag), "scn%d/", i * 25);
		ck_assert_int_eq(endpoint_quiesce(s, tag, 5000), 0);
	}
	ms = now_ms() - t0;
	if (getenv("CHECK_ENDPOINT_VERBOSE") != NULL)
		fprintf(stderr, "== 200 quiesces over 5000 listeners: %lld ms\n",
		    ms);
	ck_assert_msg(ms < 500, "200 quiesces over 5000 listeners took "
	    "%lld ms", ms);
	endpoint_set_free(s);
}
END_TEST

Suite *
endpoint_suite(void)
{
	Suite *s = suite_create("endpoint");
	TCase *tc = tcase_create("endpoint");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_outcome_names);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_smtp_starttls);
	tcase_add_test(tc, test_smtps);
	tcase_add_test(tc, test_smtp_cleartext);
	tcase_add_test(tc, test_smtp_verify_fails);
	tcase_add_test(tc, test_smtp_starttls_injection);
	tcase_add_test(tc, test_smtp_no_starttls);
	tcase_add_test(tc, test_xmpp_starttls);
	tcase_add_test(tc, test_xmpps_alpn);
	tcase_add_test(tc, test_xmpps_restart_then_stream_error);
	tcase_add_test(tc, test_xmpp_cleartext);
	tcase_add_test(tc, test_client_cert);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_many_listeners);
	suite_add_tcase(s, tc);
	return s;
}
