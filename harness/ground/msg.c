/* msg.c - diagnostics and fatal errors */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"

static const char *progname = "danelab";
int msg_quiet;

void
msg_set_progname(const char *name)
{
	progname = name;
}

/* vmsg - print one diagnostic line */
static void
vmsg(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", progname, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (msg_quiet)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
msg_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(code);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("panic: ", fmt, ap);
	va_end(ap);
	abort();
}

/* Input errors: "file:line: message", one way out for every reader. */
static FILE *input_fp;
unsigned msg_input_count;

FILE *
msg_input_stream(FILE *fp)
{
	FILE *old = input_fp ? input_fp : stderr;

	input_fp = fp;
	return old;
}

void
msg_input(const char *file, int line, const char *fmt, ...)
{
	FILE *fp = input_fp ? input_fp : stderr;
	va_list ap;

	if (line > 0)
		fprintf(fp, "%s:%d: ", file, line);
	else
		fprintf(fp, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
	fflush(fp);
	msg_input_count++;
}
