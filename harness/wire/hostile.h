/*
 * hostile.h - misbehaving clients, for "danelab run --hostile": while the
 * probes run, a thread throws garbage, overlong lines, TLS garbage,
 * abrupt closes and slow writers at decoy listeners on the same event
 * loop as the scenarios' endpoints.  The run's verdicts must not change.
 */
#ifndef DANELAB_HOSTILE_H
#define DANELAB_HOSTILE_H

#include "endpoint.h"

#define HOSTILE_ADDR	"127.0.0.9"
#define HOSTILE_TAG	"~hostile/"

struct hostile;

/*
 * hostile_start - add decoy listeners (tag HOSTILE_TAG...) serving ctx on
 * HOSTILE_ADDR to eps and start attacking them; NULL after saying why.
 */
struct hostile *hostile_start(struct endpoint_set *eps, SSL_CTX *ctx);

/*
 * hostile_stop - stop attacking, wait for the thread; returns how many
 * attacks were made, and frees h.
 */
long hostile_stop(struct hostile *h);

#endif
