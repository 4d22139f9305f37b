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

/* clock_unix - wall-clock seconds since 1970 (CLOCK_REALTIME): only for
 * matching times in files other programs wrote, e.g. a packet capture */
double clock_unix(void);

/* clock_load_factor - how loaded the machine is: the 1-minute load
 * average per online CPU, from 1 to max; deadlines are multiplied by it
 * so that what is merely slow on a busy machine gets the time it needs */
double clock_load_factor(double max);

/* clock_phase - with DANELAB_TIMING=1 in the environment, one line on
 * stderr: the phase just ended, its wall time and the process's CPU time
 * (user, system: all its threads) since the previous call; nothing
 * otherwise.  For finding where a run's time goes. */
void clock_phase(const char *phase);

/* clock_phase_on - 1 when DANELAB_TIMING asks for clock_phase's lines */
int clock_phase_on(void);

#endif
