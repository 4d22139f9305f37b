/*
 * workers.c - a pool of threads sharing one work counter (workers.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "workers.h"

void
workers_run(size_t n, void *(*fn)(void *), void *arg)
{
	pthread_t *th = xcalloc(n ? n : 1, sizeof(*th));
	size_t started = 0;

	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, fn, arg) != 0) {
			msg_warn("pthread_create: %s", strerror(errno));
			break;
		}
	if (started == 0)
		fn(arg);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}
