/*
 * xmpp_wire.h - the text of XMPP server-to-server streams that both sides
 * of the lab write: the lab's endpoints (xmpp.c), its misbehaving clients
 * (hostile.c), the connecting lab (initiator.c) and the reference client
 * and receiver (ref_xmpp.c, ref_receive.c).  Pure: no I/O.
 */
#ifndef DANELAB_XMPP_WIRE_H
#define DANELAB_XMPP_WIRE_H

#define XMPP_WIRE_DECL		0x1	/* <?xml version='1.0'?> first */
#define XMPP_WIRE_DIALBACK	0x2	/* xmlns:db='jabber:server:dialback' */

/*
 * xmpp_wire_header - an s2s stream header: the XML declaration with
 * XMPP_WIRE_DECL; <stream:stream with the jabber:server and streams
 * namespaces, and dialback's with XMPP_WIRE_DIALBACK; the attributes of
 * fmt, in its order (e.g. "from='%s' to='%s'"); version='1.0'; then tail
 * (stream features, or "").  Caller frees.
 */
char *xmpp_wire_header(int flags, const char *tail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
