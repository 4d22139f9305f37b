/*
 * smtp.c - the SMTP session of an endpoint (ports 25 and 465), an
 * explicit state machine in the manner of OpenSMTPD smtp_session.c.
 *
 * It offers STARTTLS (unless withheld), takes one message or more up to a
 * bounded size, and counts what the client did before and after TLS:
 * MAIL, RCPT and DATA in cleartext are how a client that went on without
 * TLS shows up; any command after TLS but QUIT is going on.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "session.h"

#define SMTP_MAX_MESSAGE	(1024 * 1024)	/* bytes of one message */
#define SMTP_MAX_COMMANDS	200
#define SMTP_MAX_ERRORS		10
#define SMTP_MAX_LOGGED_BODY	20	/* body lines kept in the transcript */
#define SMTP_INPUT_ROUNDS	1000	/* lines handled per read */

enum smtp_state {
	SMTP_INIT,		/* nothing sent yet (SMTPS before TLS) */
	SMTP_HELO,		/* greeting sent; EHLO/HELO expected */
	SMTP_READY,		/* after EHLO; no transaction */
	SMTP_MAIL,		/* MAIL accepted */
	SMTP_RCPT,		/* at least one RCPT accepted */
	SMTP_DATA,		/* receiving the message body */
	SMTP_QUIT		/* QUIT answered or gave up; closing */
};

static const char *const smtp_state_names[] = {
	"init", "helo", "ready", "mail", "rcpt", "data", "quit"
};

/* smtp_set_state - the one function that changes the SMTP state */
static void
smtp_set_state(struct session *s, enum smtp_state state)
{
	if (s->state == (int)state)
		return;
	if (state == SMTP_DATA || state == SMTP_QUIT)
		session_note(s, "smtp %s -> %s", smtp_state_names[s->state],
		    smtp_state_names[state]);
	s->state = (int)state;
}

/* smtp_name - the name the server announces */
static const char *
smtp_name(const struct session *s)
{
	return s->rec.tag[0] ? s->rec.tag : "danelab.example";
}

/* smtp_greet - send the greeting */
static void
smtp_greet(struct session *s)
{
	session_reply(s, "220 %s ESMTP danelab\r\n", smtp_name(s));
	smtp_set_state(s, SMTP_HELO);
}

/* smtp_start - the connection is open */
static void
smtp_start(struct session *s)
{
	smtp_greet(s);
}

/* smtp_tls_up - TLS completed: greet (SMTPS) or await EHLO again */
static void
smtp_tls_up(struct session *s)
{
	if (s->state == SMTP_INIT)
		smtp_greet(s);
	else
		smtp_set_state(s, SMTP_HELO);
}

/* smtp_fail - answer an error; close after too many */
static void
smtp_fail(struct session *s, const char *reply)
{
	session_reply(s, "%s\r\n", reply);
	if (++s->errors >= SMTP_MAX_ERRORS) {
		session_reply(s, "421 4.7.0 %s Error: too many errors\r\n",
		    smtp_name(s));
		smtp_set_state(s, SMTP_QUIT);
		session_close(s, "too many errors");
	}
}

/* smtp_ehlo - EHLO: list extensions */
static void
smtp_ehlo(struct session *s, const char *arg)
{
	(void)arg;
	session_reply(s, "250-%s\r\n250-SIZE %d\r\n250-8BITMIME\r\n%s"
	    "250 ENHANCEDSTATUSCODES\r\n", smtp_name(s), SMTP_MAX_MESSAGE,
	    !session_tls(s) && !(s->flags & ENDPOINT_NO_STARTTLS) ?
	    "250-STARTTLS\r\n" : "");
	smtp_set_state(s, SMTP_READY);
}

/* smtp_helo - HELO */
static void
smtp_helo(struct session *s, const char *arg)
{
	(void)arg;
	session_reply(s, "250 %s\r\n", smtp_name(s));
	smtp_set_state(s, SMTP_READY);
}

/* smtp_starttls - STARTTLS: answer, then the handshake */
static void
smtp_starttls(struct session *s, const char *arg)
{
	if (session_tls(s))
		smtp_fail(s, "503 5.5.1 Error: TLS already active");
	else if (s->flags & ENDPOINT_NO_STARTTLS)
		smtp_fail(s, "502 5.5.1 Error: command not implemented");
	else if (*arg != '\0')
		smtp_fail(s, "501 5.5.4 Syntax: STARTTLS");
	else {
		session_reply(s, "220 2.0.0 Ready to start TLS\r\n");
		smtp_set_state(s, SMTP_HELO);
		session_starttls(s);
	}
}

/* smtp_mail - MAIL FROM */
static void
smtp_mail(struct session *s, const char *arg)
{
	if (s->state < SMTP_READY)
		smtp_fail(s, "503 5.5.1 Error: send HELO/EHLO first");
	else if (s->state != SMTP_READY)
		smtp_fail(s, "503 5.5.1 Error: nested MAIL command");
	else if (strncasecmp(arg, "FROM:", 5) != 0)
		smtp_fail(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
	else {
		session_reply(s, "250 2.1.0 Ok\r\n");
		smtp_set_state(s, SMTP_MAIL);
	}
}

/* smtp_rcpt - RCPT TO */
static void
smtp_rcpt(struct session *s, const char *arg)
{
	if (s->state != SMTP_MAIL && s->state != SMTP_RCPT)
		smtp_fail(s, "503 5.5.1 Error: need MAIL command");
	else if (strncasecmp(arg, "TO:", 3) != 0)
		smtp_fail(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	else {
		session_reply(s, "250 2.1.5 Ok\r\n");
		smtp_set_state(s, SMTP_RCPT);
	}
}

/* smtp_data - DATA: the body follows */
static void
smtp_data(struct session *s, const char *arg)
{
	if (s->state != SMTP_RCPT)
		smtp_fail(s, "503 5.5.1 Error: need RCPT command");
	else if (*arg != '\0')
		smtp_fail(s, "501 5.5.4 Syntax: DATA");
	else {
		session_reply(s, "354 End data with <CR><LF>.<CR><LF>\r\n");
		s->data_bytes = 0;
		s->data_lines = 0;
		s->data_too_big = 0;
		smtp_set_state(s, SMTP_DATA);
	}
}

/* smtp_rset - RSET */
static void
smtp_rset(struct session *s, const char *arg)
{
	(void)arg;
	session_reply(s, "250 2.0.0 Ok\r\n");
	if (s->state > SMTP_READY)
		smtp_set_state(s, SMTP_READY);
}

/* smtp_noop - NOOP */
static void
smtp_noop(struct session *s, const char *arg)
{
	(void)arg;
	session_reply(s, "250 2.0.0 Ok\r\n");
}

/* smtp_quit - QUIT */
static void
smtp_quit(struct session *s, const char *arg)
{
	(void)arg;
	session_reply(s, "221 2.0.0 Bye\r\n");
	smtp_set_state(s, SMTP_QUIT);
	session_close(s, "QUIT");
}

/* The commands, OpenSMTPD style; cleartext marks "going on". */
static const struct smtp_command {
	const char *verb;
	void (*run)(struct session *s, const char *arg);
	int transaction;	/* MAIL, RCPT, DATA */
} smtp_commands[] = {
	{ "EHLO", smtp_ehlo, 0 },
	{ "HELO", smtp_helo, 0 },
	{ "STARTTLS", smtp_starttls, 0 },
	{ "MAIL", smtp_mail, 1 },
	{ "RCPT", smtp_rcpt, 1 },
	{ "DATA", smtp_data, 1 },
	{ "RSET", smtp_rset, 0 },
	{ "NOOP", smtp_noop, 0 },
	{ "QUIT", smtp_quit, 0 },
};

/* smtp_body_line - one line of the message body */
static void
smtp_body_line(struct session *s, const char *line, size_t len, size_t used)
{
	if (len == 1 && line[0] == '.') {
		session_log_in(s, line, len);
		session_note(s, "message body: %zu bytes, %d lines",
		    s->data_bytes, s->data_lines);
		if (s->data_too_big)
			smtp_fail(s, "552 5.3.4 Error: message too big");
		else {
			session_reply(s, "250 2.0.0 Ok: queued as DANELAB\r\n");
			s->rec.message_done = 1;
		}
		if (s->state == SMTP_DATA)
			smtp_set_state(s, SMTP_READY);
		return;
	}
	if (s->data_lines++ < SMTP_MAX_LOGGED_BODY)
		session_log_in(s, line, len);
	s->data_bytes += used;
	if (s->data_bytes > SMTP_MAX_MESSAGE)
		s->data_too_big = 1;
}

/* smtp_command - one command line */
static void
smtp_command(struct session *s, char *line, size_t len)
{
	char verb[16];
	size_t n = 0;
	const char *arg;

	session_log_in(s, line, len);
	while (n < len && line[n] != ' ' && n < sizeof(verb) - 1) {
		verb[n] = line[n];
		n++;
	}
	verb[n] = '\0';
	arg = line + n;
	while (*arg == ' ')
		arg++;
	if (++s->commands > SMTP_MAX_COMMANDS) {
		session_reply(s, "421 4.7.0 %s Error: too many commands\r\n",
		    smtp_name(s));
		smtp_set_state(s, SMTP_QUIT);
		session_close(s, "too many commands");
		return;
	}
	for (size_t i = 0; i < sizeof(smtp_commands) / sizeof(smtp_commands[0]);
	    i++) {
		const struct smtp_command *c = &smtp_commands[i];

		if (n == len || line[n] == ' ') {
			if (strcasecmp(verb, c->verb) != 0)
				continue;
		} else
			break;	/* verb too long: unknown */
		if (session_tls(s)) {
			if (c->run != smtp_quit)
				s->rec.commands_after_tls++;
		} else if (c->transaction)
			s->rec.cleartext_commands++;
		c->run(s, arg);
		return;
	}
	if (session_tls(s))
		s->rec.commands_after_tls++;
	smtp_fail(s, "500 5.5.2 Error: command not recognized");
}

/* smtp_input - handle every complete line of input */
static void
smtp_input(struct session *s)
{
	for (int round = 0; round < SMTP_INPUT_ROUNDS; round++) {
		char *line;
		size_t len, used;
		int r;

		if (!session_reading(s) || s->state == SMTP_INIT ||
		    s->state == SMTP_QUIT)
			return;
		r = session_line(s, &line, &len, &used);
		if (r == 0)
			return;
		if (r < 0) {
			if (s->state == SMTP_DATA) {
				s->data_bytes += SESSION_LINE_MAX;
				if (s->data_bytes > SMTP_MAX_MESSAGE)
					s->data_too_big = 1;
			} else
				smtp_fail(s, "500 5.5.0 Error: line too long");
			continue;
		}
		if (s->state == SMTP_DATA)
			smtp_body_line(s, line, len, used);
		else
			smtp_command(s, line, len);
		session_consume(s, used);
	}
}

const struct session_proto smtp_proto = {
	.name = "smtp",
	.tls_on_connect = 0,
	.start = smtp_start,
	.input = smtp_input,
	.tls_up = smtp_tls_up,
};

const struct session_proto smtps_proto = {
	.name = "smtps",
	.tls_on_connect = 1,
	.start = smtp_start,
	.input = smtp_input,
	.tls_up = smtp_tls_up,
};
