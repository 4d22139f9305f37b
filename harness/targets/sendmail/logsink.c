/* logsink.c - a private syslog socket for the sendmail target
 * (harness/targets/sendmail.sh): sendmail logs only through syslog(3),
 * to /dev/log; the adapter runs each sendmail in a mount namespace whose
 * /dev has a log entry pointing at SOCKET, and this program writes every
 * datagram received there as one line of FILE.
 *
 *   logsink SOCKET FILE   (runs until killed; exit 1 when it cannot start)
 *
 * Built by harness/targets/lib/sendmail-fetch.sh next to the unpacked
 * sendmail (POSIX C, no dependencies). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char buf[8192];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: logsink SOCKET FILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0
	    || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
	    || (out = fopen(argv[2], "a")) == NULL) {
		perror("logsink");
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			continue;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
			n--;
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
}
