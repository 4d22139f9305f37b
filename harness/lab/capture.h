/*
 * capture.h - a packet capture of the lab's traffic (run --pcap): tcpdump
 * on the loopback interface of the network namespace the caller is in
 * (the lab's, after lab_join_net), writing one pcap file; started, waited
 * for ("listening on"), and stopped by its pid.  tcpdump dies with the
 * process that started it (PR_SET_PDEATHSIG) and runs in its own process
 * group, so a ^C reaches the run, which stops it.
 */
#ifndef DANELAB_CAPTURE_H
#define DANELAB_CAPTURE_H

#include <sys/types.h>

#define CAPTURE_FILE	"capture.pcap"	/* its name in a report */

struct capture;

/*
 * capture_start - "tcpdump -i lo --immediate-mode -U -n -Z root -w
 * path" (every packet written as it comes, none left in a kernel
 * buffer at the end; the binary:
 * $DANELAB_TCPDUMP_BIN, else tcpdump on PATH), ready within deadline_ms.
 * NULL after saying why (not installed: the package that has it; exited
 * or silent: its own words).
 */
struct capture *capture_start(const char *path, int deadline_ms);

/* capture_pid - its pid */
pid_t capture_pid(const struct capture *c);

/*
 * capture_stop - SIGTERM to its pid (SIGKILL after 3 s), reaped; c is
 * freed.  Returns the packets it captured (its summary line), or -1
 * after saying why (it had died, or said no count).
 */
long capture_stop(struct capture *c);

#endif
