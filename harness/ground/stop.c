/* stop.c - SIGINT and SIGTERM: a flag and a self-pipe, nothing more */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "stop.h"

static volatile sig_atomic_t stop_signal;	/* the signal seen, or 0 */
static int stop_pipe[2] = { -1, -1 };
static pid_t stop_owner;	/* the process that caught: not its children */

/* stop_onsignal - note the signal, wake whoever polls stop_fd() */
static void
stop_onsignal(int sig)
{
	int saved = errno;

	stop_signal = sig;
	if (getpid() == stop_owner && write(stop_pipe[1], "", 1) < 0) {
		/* Full: it is readable already. */
	}
	errno = saved;
}

void
stop_catch(struct stop_saved *old)
{
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		msg_fatal(EXIT_ENV, "pipe: %s", strerror(errno));
	stop_owner = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_onsignal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old ? &old->intr : NULL);
	sigaction(SIGTERM, &sa, old ? &old->term : NULL);
}

void
stop_release(const struct stop_saved *old)
{
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
}

int
stop_requested(void)
{
	return stop_signal;
}

int
stop_fd(void)
{
	return stop_pipe[0];
}

int
stop_status(void)
{
	return 128 + stop_signal;
}
