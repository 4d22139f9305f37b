/*
 * xmpp_wire.c - the text of XMPP s2s streams (xmpp_wire.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mem.h"
#include "xmpp_wire.h"

char *
xmpp_wire_header(int flags, const char *tail, const char *fmt, ...)
{
	va_list ap;
	char *attrs, *hdr;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	attrs = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	attrs[0] = '\0';
	va_start(ap, fmt);
	if (n > 0)
		vsnprintf(attrs, (size_t)n + 1, fmt, ap);
	va_end(ap);
	hdr = xasprintf("%s<stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' %s%s "
	    "version='1.0'>%s", flags & XMPP_WIRE_DECL ?
	    "<?xml version='1.0'?>" : "", flags & XMPP_WIRE_DIALBACK ?
	    "xmlns:db='jabber:server:dialback' " : "", attrs, tail);
	free(attrs);
	return hdr;
}
