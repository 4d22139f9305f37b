/*
 * clock.c - the monotonic clock (clock.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "clock.h"

long long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
clock_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
clock_load_factor(double max)
{
	double load;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (getloadavg(&load, 1) != 1 || cpus <= 0 || load / cpus <= 1)
		return 1;
	return load / cpus < max ? load / cpus : max;
}

int
clock_phase_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *e = getenv("DANELAB_TIMING");

		on = e != NULL && *e != 0 && strcmp(e, "0") != 0;
	}
	return on;
}

void
clock_phase(const char *phase)
{
	static double wall0, user0, sys0;
	struct rusage ru;
	double wall = clock_s(), user, sys;

	if (!clock_phase_on() || getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (phase != NULL)
		fprintf(stderr, "timing: %-12s wall %6.3f s  user %6.3f s  "
		    "sys %6.3f s\n", phase, wall - wall0, user - user0,
		    sys - sys0);
	wall0 = wall;
	user0 = user;
	sys0 = sys;
}
