/*
 * stop.h - SIGINT and SIGTERM as a request to stop.  The handler only
 * notes the signal and wakes a self-pipe; the program looks at
 * stop_requested() at safe points (or polls stop_fd() where it waits)
 * and then tears down as on a normal end, exiting with stop_status().
 */
#ifndef DANELAB_STOP_H
#define DANELAB_STOP_H

#include <signal.h>

/* The actions stop_catch replaced, for stop_release. */
struct stop_saved {
	struct sigaction intr, term;
};

/*
 * stop_catch - from now on SIGINT and SIGTERM only request a stop
 * (system calls restart; poll does not).  old, if not NULL, receives
 * the previous actions.  A request already noted stays noted.
 */
void stop_catch(struct stop_saved *old);

/* stop_release - put back the actions stop_catch saved in old */
void stop_release(const struct stop_saved *old);

/* stop_requested - the signal that asked to stop, or 0 */
int stop_requested(void);

/* stop_fd - readable once a stop is requested; -1 before stop_catch
 * (poll ignores it).  Borrowed. */
int stop_fd(void);

/* stop_status - the exit status of a stopped run: 128 + the signal
 * (130 for SIGINT, 143 for SIGTERM) */
int stop_status(void);

#endif
