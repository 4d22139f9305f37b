/*
 * clock.h - the monotonic clock (CLOCK_MONOTONIC), one way for every
 * module: deadlines, timings and the endpoints' session times compare
 * with each other.
 */
#ifndef DANELAB_CLOCK_H
#define DANELAB_CLOCK_H

/* clock_ms - monotonic milliseconds */
long long clock_ms(void);

/* clock_s - monotonic seconds */
double clock_s(void);

#endif
