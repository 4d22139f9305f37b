/*
 * clock.c - the monotonic clock (clock.h).
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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
