/*
 * msg.h - diagnostics and the program's fixed exit codes.
 *
 * Three levels, as in Postfix msg(3): msg_fatal() for misuse and a broken
 * environment (exits with the code given), msg_panic() for an internal
 * impossibility (aborts), msg_warn() for a recoverable failure that the
 * caller reports by its return value.
 */
#ifndef DANELAB_MSG_H
#define DANELAB_MSG_H

#include <stdio.h>

/* Exit codes of danelab, documented in --help and README.md. */
enum {
	EXIT_PASS = 0,		/* every cell passes or is a known xfail */
	EXIT_FAILED = 1,	/* some cell fails */
	EXIT_USAGE = 2,		/* usage or input error */
	EXIT_ENV = 3		/* lab or environment could not be set up */
};
/* And 128 + the signal when stopped by SIGINT or SIGTERM (stop.h). */

/* msg_set_progname - name printed before every message */
void msg_set_progname(const char *name);

/* msg_warn - print "danelab: message" to stderr */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* msg_info - print "danelab: message" to stderr unless quiet */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int msg_quiet;

/* msg_fatal - print the message and exit with status code */
void msg_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * msg_input - an error in input the user wrote (a scenario, profile,
 * baseline or target output): "FILE:LINE: message" (line 0: "FILE:
 * message"), without the program name, as compilers print it, so editors
 * can jump to it.  Counted in msg_input_count.  Every reader of input
 * reports through this one function.
 */
void msg_input(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
extern unsigned msg_input_count;

/* msg_input_stream - send input errors to fp (NULL: stderr, the default);
 * returns the previous stream.  Tests capture errors with it. */
FILE *msg_input_stream(FILE *fp);

/* msg_panic - internal error: print and abort */
void msg_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
