/*
 * capture.c - tcpdump on the lab's loopback (capture.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "capture.h"
#include "clock.h"
#include "mem.h"
#include "msg.h"

#define CAPTURE_STOP_MS	3000	/* from TERM to KILL */
#define CAPTURE_SAID_MAX 4096	/* what tcpdump said, kept */

struct capture {
	pid_t pid;
	int err;		/* its stderr */
	struct buf said;
};

/* capture_read - what tcpdump says on its stderr, for at most ms or
 * until want appears in it (want NULL: until end of file): 1 found, -1
 * end of file (want NULL: done), 0 out of time */
static int
capture_read(struct capture *c, const char *want, long long ms)
{
	long long end = clock_ms() + ms;
	char chunk[512];

	for (;;) {
		struct pollfd p = { c->err, POLLIN, 0 };
		long long left = end - clock_ms();
		ssize_t n;

		if (want && c->said.data && strstr(c->said.data, want))
			return 1;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		if ((n = read(c->err, chunk, sizeof(chunk))) <= 0)
			return want ? -1 : 1;
		if (c->said.len < CAPTURE_SAID_MAX)
			buf_append(&c->said, chunk, (size_t)n);
	}
}

/* capture_exec - the child: stderr to the pipe, TERM when the parent
 * dies, its own process group, then tcpdump */
static void
capture_exec(const char *bin, const char *path, int pipefd[2])
{
	int null = open("/dev/null", O_RDWR);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	dup2(null, 0);
	dup2(null, 1);
	dup2(pipefd[1], 2);
	close(pipefd[0]);
	close(pipefd[1]);
	execlp(bin, bin, "-i", "lo", "--immediate-mode", "-U", "-n", "-Z",
	    "root", "-w", path, (char *)NULL);
	fprintf(stderr, "%s: %s\n", bin, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

struct capture *
capture_start(const char *path, int deadline_ms)
{
	const char *bin = getenv("DANELAB_TCPDUMP_BIN");
	struct capture *c = xcalloc(1, sizeof(*c));
	int pipefd[2], status = 0, ready;

	if (bin == NULL || *bin == 0)
		bin = "tcpdump";
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		msg_fatal(EXIT_ENV, "pipe: %s", strerror(errno));
	if ((c->pid = fork()) < 0)
		msg_fatal(EXIT_ENV, "fork: %s", strerror(errno));
	if (c->pid == 0)
		capture_exec(bin, path, pipefd);
	close(pipefd[1]);
	c->err = pipefd[0];
	if ((ready = capture_read(c, "listening on", deadline_ms)) == 1)
		return c;
	/* It ended (end of file: it is exiting) or stayed silent: reap it,
	 * ours and not yet reaped, so its pid is still its own. */
	if (ready == 0)
		kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		msg_warn("--pcap: %s not installed (apt-get install tcpdump)",
		    bin);
	else if (ready == 0)
		msg_warn("--pcap: %s did not start capturing within %d ms: %s",
		    bin, deadline_ms, c->said.data ? c->said.data : "(silent)");
	else
		msg_warn("--pcap: %s exited before capturing: %s", bin,
		    c->said.data ? c->said.data : "(silent)");
	close(c->err);
	buf_free(&c->said);
	free(c);
	return NULL;
}

pid_t
capture_pid(const struct capture *c)
{
	return c->pid;
}

long
capture_stop(struct capture *c)
{
	long long end;
	long count = -1;
	int status = 0;
	const char *p;
	pid_t got;

	kill(c->pid, SIGTERM);
	end = clock_ms() + CAPTURE_STOP_MS;
	while ((got = waitpid(c->pid, &status, WNOHANG)) == 0
	    && clock_ms() < end)
		usleep(20000);
	if (got == 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	capture_read(c, NULL, 1000);
	if (c->said.data && (p = strstr(c->said.data, " packets captured"))) {
		while (p > c->said.data && p[-1] >= '0' && p[-1] <= '9')
			p--;
		count = strtol(p, NULL, 10);
	} else
		msg_warn("--pcap: tcpdump (pid %ld) said no packet count: %s",
		    (long)c->pid, c->said.data ? c->said.data : "(nothing)");
	close(c->err);
	buf_free(&c->said);
	free(c);
	return count;
}
