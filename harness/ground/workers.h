/*
 * workers.h - a pool of threads that share one work counter: how the
 * plan builds chains, and how the drivers probe cells, in parallel.
 */
#ifndef DANELAB_WORKERS_H
#define DANELAB_WORKERS_H

#include <stddef.h>

/* workers_run - run fn(arg) on up to n threads at once and wait for
 * them; fn takes its work from a counter in arg, so with no thread
 * started it runs once on the caller's */
void workers_run(size_t n, void *(*fn)(void *), void *arg);

#endif
