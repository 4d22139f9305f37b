/*
 * lab.c - namespaces, NSD and Unbound: start, readiness, teardown.
 *
 * The parent writes every file, then clones the keeper straight into new
 * PID, network and mount namespaces.  The keeper reports "ready ..." or
 * "error ..." on a pipe; until it has, it dies with its parent
 * (PR_SET_PDEATHSIG), so an interrupted start leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <ldns/ldns.h>

#include "clock.h"
#include "lab.h"
#include "mem.h"
#include "msg.h"
#include "resolver.h"
#include "stop.h"
#include "template.h"

#define LAB_TEARDOWN_MS	3000	/* TERM, then KILL after this */
#define LAB_STATE	"lab.state"
#define LAB_LAYERS	"layers"	/* tmpfs of the overlays, in the lab */

/* What the lab overlays inside its mount namespace: run directory file
 * or directory over the host path, made inside the lab where missing. */
static const struct {
	const char *src;
	const char *dst;
	int is_dir;
} lab_overlaid[] = {
	{ "resolv.conf", "/etc/resolv.conf", 0 },
	{ "anchors", "/usr/share/dns", 1 },
	{ "anchors", "/var/lib/unbound", 1 },
};

struct lab {
	pid_t keeper;
	char *dir;
};

static volatile sig_atomic_t lab_signalled;	/* the keeper's: signal seen */
static int lab_rootless_on;	/* in a user namespace of our own */

/* lab_which - the daemon binary: explicit, $env, PATH, /usr/sbin */
static char *
lab_which(const char *given, const char *env, const char *name)
{
	char *found;

	if (given == NULL && getenv(env) && *getenv(env))
		given = getenv(env);
	if (given) {
		if (access(given, X_OK) == 0)
			return xstrdup(given);
		msg_warn("%s %s is not an executable file (%s)", name, given,
		    strerror(errno));
		return NULL;
	}
	found = resolver_in_path(name);
	if (found == NULL)
		msg_warn("%s not found in PATH or /usr/sbin: install the Debian "
		    "package %s (make deps) or set %s", name, name, env);
	return found;
}

/* lab_starttime - field 22 of /proc/pid/stat, 0 when gone or a zombie */
unsigned long long
lab_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if ((p = strrchr(buf, ')')) == NULL || p[1] == 0 || p[2] == 'Z')
		return 0;
	for (field = 2, p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field == 22)
		start = strtoull(p, NULL, 10);
	return start;
}

int
lab_has_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	return syscall(SYS_capget, &h, d) == 0
	    && (d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective
	    & CAP_TO_MASK(CAP_SYS_ADMIN));
}

int
lab_privileged(const char *command)
{
	if (lab_has_admin())
		return 0;
	msg_warn("%s needs CAP_SYS_ADMIN to make or join the lab's namespaces: "
	    "run danelab as root", command);
	return -1;
}

/* lab_sysctl - the first line of a /proc/sys file, or "?"; caller frees */
static char *
lab_sysctl(const char *path)
{
	char *text = file_read(path, NULL);

	if (text == NULL)
		return xstrdup("?");
	text[strcspn(text, "\n")] = 0;
	return text;
}

/* lab_userns_why - what keeps unshare(CLONE_NEWUSER) from working, from
 * its errno and the sysctls that say so; caller frees */
static char *
lab_userns_why(int err)
{
	char *max = lab_sysctl("/proc/sys/user/max_user_namespaces");
	char *clone = lab_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	char *aa = lab_sysctl(
	    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	char *why;

	if (err == ENOSPC || err == EUSERS)
		why = xasprintf("%s (/proc/sys/user/max_user_namespaces is %s: "
		    "0 forbids user namespaces)", strerror(err), max);
	else if (err == EPERM && strcmp(clone, "0") == 0)
		why = xasprintf("%s (kernel.unprivileged_userns_clone is 0)",
		    strerror(err));
	else if (err == 0)
		why = xasprintf("the user namespace holds no CAP_SYS_ADMIN over "
		    "its own mounts (a security module restricts unprivileged "
		    "user namespaces%s)", strcmp(aa, "1") == 0
		    ? ": kernel.apparmor_restrict_unprivileged_userns is 1"
		    : "");
	else
		why = xasprintf("%s (a container's seccomp policy, a security "
		    "module or kernel.unprivileged_userns_clone=0 may forbid "
		    "it)", strerror(err));
	free(max);
	free(clone);
	free(aa);
	return why;
}

/* lab_map - write text to /proc/self/<file>; 0, or the errno */
static int
lab_map(const char *file, const char *text)
{
	char path[64];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* lab_userns_usable - can this user namespace make a mount namespace
 * and change its mounts (what the keeper does first)?  A forked child
 * tries; 0 when it could */
static int
lab_userns_usable(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(unshare(CLONE_NEWNS | CLONE_NEWNET) != 0
		    || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
lab_rootless(const char *command)
{
	char uid_map[64], gid_map[64], *why;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int err;

	if (unshare(CLONE_NEWUSER) != 0)
		err = errno;
	else {
		snprintf(uid_map, sizeof(uid_map), "0 %lu 1\n",
		    (unsigned long)uid);
		snprintf(gid_map, sizeof(gid_map), "0 %lu 1\n",
		    (unsigned long)gid);
		if ((err = lab_map("uid_map", uid_map)) == 0
		    && ((err = lab_map("setgroups", "deny")) == 0
		    || err == ENOENT))
			err = lab_map("gid_map", gid_map);
		if (err == 0 && lab_userns_usable() != 0)
			err = -1;
	}
	if (err == 0) {
		lab_rootless_on = 1;
		setenv("DANELAB_ROOTLESS", "1", 1);
		return 0;
	}
	why = lab_userns_why(err < 0 ? 0 : err);
	msg_warn("%s needs CAP_SYS_ADMIN to make the lab's namespaces; without "
	    "root it takes it in a user namespace of its own (uid %lu as root "
	    "there), which this system refuses: %s: run danelab as root, or "
	    "allow unprivileged user namespaces (danelab(1), ROOTLESS)",
	    command, (unsigned long)uid, why);
	free(why);
	return -1;
}

int
lab_is_rootless(void)
{
	return lab_rootless_on;
}

/* lab_state_path - "<dir>/lab.state"; caller frees */
static char *
lab_state_path(const char *dir)
{
	return xasprintf("%s/%s", dir, LAB_STATE);
}

pid_t
lab_find(const char *dir)
{
	char *path = lab_state_path(dir), *text;
	long pid = 0;
	unsigned long long start = 0;

	if ((text = file_read(path, NULL)) == NULL) {
		free(path);
		return 0;
	}
	if (sscanf(text, "%ld %llu", &pid, &start) == 2 && pid > 1
	    && lab_starttime((pid_t)pid) == start) {
		free(text);
		free(path);
		return (pid_t)pid;
	}
	msg_info("removing the state of a lab left behind in %s (keeper pid "
	    "%ld is gone; the kernel ended its processes and namespaces)",
	    dir, pid);
	unlink(path);
	free(text);
	free(path);
	return 0;
}

/*
 * lab_write_resolvers - the configuration of the lab's resolver (in dir)
 * and of those beside it (in dir/resolvers/NAME); 0 or -1
 */
static int
lab_write_resolvers(const struct lab_options *o, struct zone_tree *t)
{
	char *root_ns = xasprintf("ns.nic.%s", zone_name(zone_tree_tld(t)));
	int ret = resolver_write(o->resolver, o->dir, o->dir, LAB_RESOLVER_ADDR,
	    zone_tree_trust_anchor(t), root_ns, LAB_AUTH_ADDR,
	    o->override_date);

	for (int i = 0; i < RESOLVER_COUNT && ret == 0; i++) {
		char *sdir, *failed;

		if (!(o->beside & (1u << i)))
			continue;
		sdir = xasprintf("%s/resolvers/%s", o->dir,
		    resolver_kind(i)->name);
		failed = xasprintf("%s/" LAB_BESIDE_FAILED, sdir);
		unlink(failed);	/* a former lab's word */
		free(failed);
		ret = resolver_write(i, o->dir, sdir, resolver_target_addr(i),
		    zone_tree_trust_anchor(t), root_ns, LAB_AUTH_ADDR, NULL);
		free(sdir);
	}
	free(root_ns);
	return ret;
}

/* lab_write_files - zones, configs and anchors under dir */
static int
lab_write_files(const struct lab_options *o, struct zone_tree *t)
{
	const char *data = template_datadir();
	char *zdir = xasprintf("%s/zones", o->dir);
	char *adir = xasprintf("%s/anchors", o->dir);
	char *tmpl = NULL, *out = NULL;
	struct buf zones = { 0 }, hints = { 0 }, key = { 0 };
	int ret = -1;

	if (file_mkdirs(zdir) || file_mkdirs(adir))
		goto out;
	if (zone_tree_write(t, zdir) != 0)
		goto out;
	for (size_t i = 0; i < zone_tree_count(t); i++) {
		struct zone *z = zone_tree_get(t, i);

		buf_printf(&zones, "zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n",
		    zone_name(z), zone_file(z));
	}
	buf_printf(&hints, ".\t3600000\tNS\tns.nic.%s\n"
	    "ns.nic.%s\t3600000\tA\t%s\n", zone_name(zone_tree_tld(t)),
	    zone_name(zone_tree_tld(t)), LAB_AUTH_ADDR);
	buf_printf(&key, "%s%s", zone_tree_trust_anchor(t),
	    zone_tree_root_dnskey(t));
	{
		const struct template_var vars[] = {
			{ "RUNDIR", o->dir },
			{ "ZONES", zones.data ? zones.data : "" },
			{ "AUTH_ADDR", LAB_AUTH_ADDR },
			{ "RESOLVER_ADDR", LAB_RESOLVER_ADDR },
		};
		const int n = sizeof(vars) / sizeof(vars[0]);
		static const char *const files[][2] = {
			{ "zones/nsd.conf.in", "nsd.conf" },
			{ "zones/resolv.conf.in", "resolv.conf" },
		};

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			free(tmpl);
			free(out);
			tmpl = xasprintf("%s/%s", data, files[i][0]);
			out = xasprintf("%s/%s", o->dir, files[i][1]);
			if (template_expand_file(tmpl, out, vars, n) != 0)
				goto out;
		}
	}
	if (lab_write_resolvers(o, t) != 0)
		goto out;
	free(out);
	out = xasprintf("%s/root.hints", o->dir);
	if (file_write(out, hints.data, hints.len) != 0)
		goto out;
	/* What libraries read as the root trust anchor, inside the lab. */
	free(out);
	out = xasprintf("%s/root.key", adir);
	if (file_write(out, key.data, key.len) != 0)
		goto out;
	free(out);
	out = xasprintf("%s/root.ds", adir);
	if (file_write(out, zone_tree_trust_anchor(t),
	    strlen(zone_tree_trust_anchor(t))) != 0)
		goto out;
	free(out);
	out = xasprintf("%s/root.hints", adir);
	if (file_write(out, hints.data, hints.len) != 0)
		goto out;
	ret = 0;
out:
	free(zdir);
	free(adir);
	free(tmpl);
	free(out);
	buf_free(&zones);
	buf_free(&hints);
	buf_free(&key);
	return ret;
}

/* ---- inside the keeper ---- */

static int keeper_fd = -1;		/* the status pipe to the parent */

/* keeper_say - one status line to the parent */
static int
keeper_say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (keeper_fd < 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(keeper_fd, line, n) != n) {
		msg_warn("cannot report to the parent: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* keeper_onsignal - note a teardown request */
static void
keeper_onsignal(int sig)
{
	lab_signalled = sig;
}

/* keeper_lo_up - bring the loopback interface up */
static int
keeper_lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = -1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0)
			ret = 0;
	}
	close(fd);
	return ret;
}

/* keeper_lo_addr - give lo the address addr too (label lo:N, N its last
 * byte), for a daemon that listens only on its interfaces' addresses
 * (named): the others bind any 127.0.0.0/8 address of lo */
static int
keeper_lo_addr(const char *addr)
{
	struct sockaddr_in sin;
	struct ifreq ifr;
	int fd, ret = -1;

	memset(&ifr, 0, sizeof(ifr));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo:%s",
	    strrchr(addr, '.') + 1);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (ioctl(fd, SIOCSIFADDR, &ifr) == 0)
		ret = 0;
	else
		keeper_say("error cannot add %s to lo inside the lab: %s",
		    addr, strerror(errno));
	close(fd);
	return ret;
}

/* keeper_bind - bind-mount src over dst */
static int
keeper_bind(const char *src, const char *dst)
{
	char real[PATH_MAX];

	if (realpath(dst, real) == NULL) {
		keeper_say("error cannot resolve %s inside the lab: %s", dst,
		    strerror(errno));
		return -1;
	}
	if (mount(src, real, NULL, MS_BIND, NULL) != 0) {
		keeper_say("error cannot bind %s over %s inside the lab: %s",
		    src, real, strerror(errno));
		return -1;
	}
	return 0;
}

/* keeper_escape - path as an overlayfs option value; caller frees */
static char *
keeper_escape(const char *path)
{
	struct buf b = { 0 };

	for (const char *p = path; *p; p++) {
		if (strchr(",:\\", *p))
			buf_append(&b, "\\", 1);
		buf_append(&b, p, 1);
	}
	return b.data;
}

/*
 * keeper_overlay - make the host directory dir writable inside the lab
 * only: an overlay over it whose upper layer number n lives on a tmpfs
 * at <rundir>/LAB_LAYERS (mounted for n 0), so the host's dir is never
 * written.  A run directory below dir is bound back over its copy.
 */
static int
keeper_overlay(const char *rundir, const char *dir, int n)
{
	char *layers = xasprintf("%s/" LAB_LAYERS, rundir);
	char *upper = xasprintf("%s/%d/upper", layers, n);
	char *work = xasprintf("%s/%d/work", layers, n);
	char *lo = keeper_escape(dir), *up = keeper_escape(upper);
	char *wo = keeper_escape(work), *opts = NULL;
	char real[PATH_MAX], fdpath[64];
	size_t len = strlen(dir);
	int fd = -1, ret = -1;

	if (n == 0 && ((mkdir(layers, 0700) != 0 && errno != EEXIST)
	    || mount("tmpfs", layers, "tmpfs", MS_NOSUID | MS_NODEV,
	    "mode=0700") != 0)) {
		keeper_say("error cannot mount a tmpfs on %s inside the lab: "
		    "%s", layers, strerror(errno));
		goto out;
	}
	if (file_mkdirs(upper) != 0 || file_mkdirs(work) != 0) {
		keeper_say("error cannot make %s inside the lab", upper);
		goto out;
	}
	if (realpath(rundir, real) == NULL
	    || (fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		keeper_say("error %s: %s", rundir, strerror(errno));
		goto out;
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lo, up, wo);
	if (mount("overlay", dir, "overlay", 0, opts) != 0) {
		keeper_say("error cannot mount an overlay over %s inside the "
		    "lab: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if ((strcmp(dir, "/") == 0 || (strncmp(real, dir, len) == 0
	    && real[len] == '/'))
	    && mount(fdpath, real, NULL, MS_BIND | MS_REC, NULL) != 0) {
		keeper_say("error cannot keep %s visible under the overlay of "
		    "%s: %s", rundir, dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(layers);
	free(upper);
	free(work);
	free(lo);
	free(up);
	free(wo);
	free(opts);
	return ret;
}

/*
 * keeper_provide - make sure path exists inside the lab, as a directory
 * or a file: where the host lacks it, an overlay over its nearest
 * existing ancestor (keeper_overlay, layer *n) holds the missing
 * directories and an empty file or directory, a dangling symbolic link
 * in its place removed.
 */
static int
keeper_provide(const char *rundir, const char *path, int is_dir, int *n)
{
	char *anc = xstrdup(path), *made = NULL, *slash;
	char real[PATH_MAX];
	struct stat st;
	int fd, ret = -1;

	if (stat(path, &st) == 0) {
		free(anc);
		return 0;
	}
	do {
		slash = strrchr(anc, '/');
		slash[slash == anc] = 0;
	} while (stat(anc, &st) != 0);
	if (realpath(anc, real) == NULL) {
		keeper_say("error cannot resolve %s: %s", anc, strerror(errno));
		goto out;
	}
	if (keeper_overlay(rundir, real, (*n)++) != 0)
		goto out;
	made = xasprintf("%s%s", strcmp(real, "/") ? real : "",
	    strcmp(anc, "/") ? path + strlen(anc) : path);
	if (lstat(made, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(made);
	if (is_dir)
		ret = file_mkdirs(made);
	else {
		slash = strrchr(made, '/');
		*slash = 0;
		ret = slash > made ? file_mkdirs(made) : 0;
		*slash = '/';
		if (ret == 0 && (fd = open(made, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0644)) >= 0)
			ret = close(fd);
		else
			ret = -1;
	}
	if (ret != 0)
		keeper_say("error cannot make %s inside the lab: %s", made,
		    strerror(errno));
out:
	free(anc);
	free(made);
	return ret;
}

/* keeper_mounts - private mounts: /proc, what lab_overlaid names, and
 * each binds[2 * i] over binds[2 * i + 1] (NULL-terminated) */
static int
keeper_mounts(const char *dir, char *const *binds)
{
	int n = 0;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		keeper_say("error cannot make the lab's mounts private: %s",
		    strerror(errno));
		return -1;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) != 0) {
		keeper_say("error cannot mount /proc inside the lab: %s",
		    strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(lab_overlaid) / sizeof(lab_overlaid[0]);
	    i++) {
		char *src = xasprintf("%s/%s", dir, lab_overlaid[i].src);
		int ret = keeper_provide(dir, lab_overlaid[i].dst,
		    lab_overlaid[i].is_dir, &n) != 0
		    || keeper_bind(src, lab_overlaid[i].dst) != 0;

		free(src);
		if (ret)
			return -1;
	}
	for (; binds && binds[0]; binds += 2)
		if (keeper_provide(dir, binds[1], 1, &n) != 0
		    || keeper_bind(binds[0], binds[1]) != 0)
			return -1;
	return 0;
}

/* keeper_spawn - start argv with stdout and stderr appended to log, with
 * LD_LIBRARY_PATH libpath (or unchanged: NULL) */
static pid_t
keeper_spawn(char *const argv[], const char *log, const char *libpath)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (libpath)
			setenv("LD_LIBRARY_PATH", libpath, 1);
		execv(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	return pid;
}

/* keeper_last_line - the last non-empty line of a log, for errors */
static char *
keeper_last_line(const char *log)
{
	char *text = file_read(log, NULL), *end, *start, *line;

	if (text == NULL)
		return xstrdup("(no log)");
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	*end = 0;
	start = strrchr(text, '\n');
	line = xstrdup(start ? start + 1 : (*text ? text : "(empty log)"));
	free(text);
	return line;
}

/*
 * keeper_query - one DNS query over UDP; returns 0 when an answer came
 * with rcode NOERROR (and AA or AD as asked), 1 for another answer or
 * none yet, and sets *what to a short description of the last answer.
 */
static int
keeper_query(const char *addr, const char *qname, ldns_rr_type type,
    int want_ad, char *what, size_t whatlen)
{
	ldns_pkt *q = NULL, *a = NULL;
	ldns_rdf *name = NULL;
	uint8_t *wire = NULL, reply[65536];
	size_t wlen;
	struct sockaddr_in sin;
	struct pollfd pfd;
	ssize_t n;
	int fd = -1, ret = 1;

	if ((name = ldns_dname_new_frm_str(qname)) == NULL)
		goto out;
	q = ldns_pkt_query_new(name, type, LDNS_RR_CLASS_IN, LDNS_RD);
	name = NULL;
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_do(q, 1);
	ldns_pkt_set_id(q, (uint16_t)(getpid() ^ time(NULL)));
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK)
		goto out;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		goto out;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0
	    || send(fd, wire, wlen, 0) < 0) {
		snprintf(what, whatlen, "%s", strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 200) <= 0) {
		snprintf(what, whatlen, "no answer");
		goto out;
	}
	if ((n = recv(fd, reply, sizeof(reply), 0)) <= 0) {
		snprintf(what, whatlen, "%s", n < 0 ? strerror(errno) : "empty");
		goto out;
	}
	if (ldns_wire2pkt(&a, reply, (size_t)n) != LDNS_STATUS_OK) {
		snprintf(what, whatlen, "unparseable answer");
		goto out;
	}
	snprintf(what, whatlen, "rcode %s%s%s",
	    ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR ? "NOERROR" :
	    ldns_pkt_get_rcode(a) == LDNS_RCODE_SERVFAIL ? "SERVFAIL" : "other",
	    ldns_pkt_aa(a) ? " aa" : "", ldns_pkt_ad(a) ? " ad" : "");
	if (ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR
	    && (want_ad ? ldns_pkt_ad(a) : ldns_pkt_aa(a)))
		ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(wire);
	ldns_rdf_deep_free(name);
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return ret;
}

/* keeper_hwm_kb - summed VmHWM of the lab's processes named comm or
 * "comm: ...", in kB */
static long
keeper_hwm_kb(const char *comm)
{
	char path[300], *text, *p;
	struct dirent *de;
	long kb = 0;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if ((text = file_read(path, NULL)) == NULL)
			continue;
		if (strncmp(text, "Name:\t", 6) == 0
		    && strncmp(text + 6, comm, strlen(comm)) == 0
		    && strchr("\n:", text[6 + strlen(comm)]) != NULL
		    && (p = strstr(text, "VmHWM:")) != NULL)
			kb += strtol(p + 6, NULL, 10);
		free(text);
	}
	closedir(d);
	return kb;
}

/*
 * keeper_wait_ready - probe a daemon until it answers as wanted, it
 * exits, the deadline passes or a signal asks to stop.  0 when ready;
 * else -1, having said why to the parent as an error (why NULL, or a
 * signal) or put it in *why (caller frees)
 */
static int
keeper_wait_ready(const char *name, pid_t pid, const char *log,
    const char *addr, int want_ad, int deadline_ms, char **why)
{
	double end = clock_s() + deadline_ms / 1000.0;
	char what[128] = "no answer", *msg = NULL;
	int status;

	if (why)
		*why = NULL;
	for (;;) {
		if (lab_signalled) {
			keeper_say("error interrupted by signal %d while "
			    "waiting for %s", (int)lab_signalled, name);
			return -1;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *line = keeper_last_line(log);

			msg = xasprintf("%s %s %d during start-up; its log "
			    "(%s) says: %s", name, WIFEXITED(status)
			    ? "exited with status" : "was killed by signal",
			    WIFEXITED(status) ? WEXITSTATUS(status)
			    : WTERMSIG(status), log, line);
			free(line);
			break;
		}
		if (keeper_query(addr, ".", LDNS_RR_TYPE_SOA, want_ad, what,
		    sizeof(what)) == 0)
			return 0;
		if (clock_s() > end) {
			char *line = keeper_last_line(log);

			msg = xasprintf("%s did not answer \". SOA\"%s at %s "
			    "within %d ms (last: %s); its log (%s) says: %s",
			    name, want_ad ? " with AD" : " authoritatively",
			    addr, deadline_ms, what, log, line);
			free(line);
			break;
		}
		/* Not a bare sleep: the probe itself waits up to 200 ms. */
		if (strcmp(what, "no answer") != 0)
			poll(NULL, 0, 5);
	}
	if (why)
		*why = msg;
	else {
		keeper_say("error %s", msg);
		free(msg);
	}
	return -1;
}

/* keeper_teardown - TERM every daemon, KILL after a deadline, reap */
static void
keeper_teardown(void)
{
	double end = clock_s() + LAB_TEARDOWN_MS / 1000.0;

	kill(-1, SIGTERM);	/* from PID 1: every process of the lab */
	while (clock_s() < end) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			return;
		if (p == 0)
			poll(NULL, 0, 10);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* The validating resolvers the keeper starts: the lab's own first, then
 * those beside it as targets. */
struct lab_daemons {
	int n;
	struct lab_daemon {
		int id;			/* enum resolver_id */
		char *bin;
		char *dir;		/* its configuration and log */
		const char *addr;
		pid_t pid;		/* in the keeper */
	} d[1 + RESOLVER_COUNT];
	char *binds[2 * (1 + RESOLVER_COUNT) + 1];	/* keeper_mounts */
};

/* keeper_resolver_spawn - start resolver d (d->pid); 0, or -1 */
static int
keeper_resolver_spawn(struct lab_daemon *d)
{
	const struct resolver_kind *k = resolver_kind(d->id);
	char *log = xasprintf("%s/%s", d->dir, k->log);
	char *lib = resolver_libpath(d->id, d->bin);
	char *argv[8];

	resolver_argv(d->id, d->bin, d->dir, argv);
	unlink(log);
	d->pid = keeper_spawn(argv, log, lib);
	resolver_argv_free(argv);
	free(log);
	free(lib);
	return d->pid < 0 ? -1 : 0;
}

/* keeper_resolver - start resolver d unless it runs already, and wait
 * until it answers with AD; 0, or -1 after saying why (keeper_wait_ready:
 * to the parent, or in *why) */
static int
keeper_resolver(struct lab_daemon *d, int deadline_ms, char **why)
{
	const struct resolver_kind *k = resolver_kind(d->id);
	char *log = xasprintf("%s/%s", d->dir, k->log);
	int ret;

	ret = (d->pid <= 0 && keeper_resolver_spawn(d) != 0)
	    || keeper_wait_ready(k->program, d->pid, log, d->addr, 1,
	    deadline_ms, why) != 0 ? -1 : 0;
	free(log);
	return ret;
}

/*
 * keeper_beside_down - resolver d, beside the lab's own as a target,
 * did not start (why): stop what is left of it and write why into
 * LAB_BESIDE_FAILED in its directory, so that only its own cells err
 * (lab_beside_failed); the lab goes on.  0, or -1 after saying why
 */
static int
keeper_beside_down(struct lab_daemon *d, const char *why)
{
	char *path = xasprintf("%s/" LAB_BESIDE_FAILED, d->dir);
	int ret = 0;

	/* Still our child (not reaped by keeper_wait_ready): end it. */
	if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == 0
	    && kill(d->pid, SIGKILL) == 0)
		waitpid(d->pid, NULL, 0);
	d->pid = 0;
	if (file_write(path, why, strlen(why)) != 0) {
		keeper_say("error cannot write %s: %s", path, strerror(errno));
		ret = -1;
	} else
		printf("beside it: %s\n", why);
	free(path);
	return ret;
}

/* keeper_reap - a daemon that died ends the lab */
static void
keeper_reap(pid_t nsd_pid, const struct lab_daemons *rs)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		const char *name = p == nsd_pid ? "nsd" : NULL;

		for (int i = 0; i < rs->n && name == NULL; i++)
			if (p == rs->d[i].pid)
				name = resolver_kind(rs->d[i].id)->program;
		if (name) {
			printf("%s exited (status 0x%x): tearing the lab "
			    "down\n", name, status);
			lab_signalled = SIGCHLD;
		}
	}
}

/* keeper_main - PID 1 of the lab; never returns */
static void
keeper_main(const struct lab_options *o, const char *nsd,
    struct lab_daemons *rs, int detach)
{
	char *nsd_conf = xasprintf("%s/nsd.conf", o->dir);
	char *nsd_log = xasprintf("%s/nsd.log", o->dir);
	char *lab_log = xasprintf("%s/lab.log", o->dir);
	char *const nsd_argv[] = { (char *)nsd, "-d", "-c", nsd_conf, NULL };
	const char *main_prog = resolver_kind(rs->d[0].id)->program;
	struct sigaction sa;
	double t0 = clock_s(), t_nsd, t_unb = 0;
	pid_t nsd_pid;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keeper_onsignal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	if ((fd = open(lab_log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	msg_quiet = 0;
	if (detach)
		setsid();
	if (keeper_lo_up() != 0) {
		keeper_say("error cannot bring up lo inside the lab: %s",
		    strerror(errno));
		_exit(EXIT_ENV);
	}
	if (keeper_mounts(o->dir, rs->binds) != 0)
		_exit(EXIT_ENV);
	unlink(nsd_log);
	/* Unbound starts beside NSD (it asks NSD nothing until it is asked,
	 * unlike resolvers that prime at start-up): its start-up overlaps
	 * NSD's loading of the zones. */
	if ((nsd_pid = keeper_spawn(nsd_argv, nsd_log, NULL)) < 0
	    || (rs->n > 0 && rs->d[0].id == RESOLVER_UNBOUND
	    && keeper_resolver_spawn(&rs->d[0]) != 0)
	    || keeper_wait_ready("nsd", nsd_pid, nsd_log, LAB_AUTH_ADDR, 0,
	    o->deadline_ms, NULL) != 0) {
		keeper_teardown();
		_exit(EXIT_ENV);
	}
	t_nsd = clock_s();
	for (int i = 0; i < rs->n; i++) {
		char *why = NULL;

		if ((i > 0 && keeper_lo_addr(rs->d[i].addr) != 0)
		    || (keeper_resolver(&rs->d[i], o->deadline_ms, i > 0
		    ? &why : NULL) != 0 && (why == NULL
		    || keeper_beside_down(&rs->d[i], why) != 0))) {
			free(why);
			keeper_teardown();
			_exit(EXIT_ENV);
		}
		free(why);
		if (i == 0)
			t_unb = clock_s();
	}
	/* From here on the lab outlives a detaching parent. */
	if (detach)
		prctl(PR_SET_PDEATHSIG, 0);
	signal(SIGPIPE, SIG_IGN);
	if (keeper_say("ready %.6f %.6f %ld %ld", t_nsd - t0, t_unb - t0,
	    keeper_hwm_kb("nsd"), keeper_hwm_kb(main_prog)) != 0) {
		keeper_teardown();	/* the parent is gone */
		_exit(EXIT_ENV);
	}
	close(keeper_fd);
	keeper_fd = -1;
	printf("lab up: nsd pid %ld, %s pid %ld (lab pids)\n",
	    (long)nsd_pid, main_prog, (long)rs->d[0].pid);
	for (int i = 1; i < rs->n; i++)
		if (rs->d[i].pid > 0)
			printf("beside it: %s at %s, pid %ld\n",
			    resolver_kind(rs->d[i].id)->program,
			    rs->d[i].addr, (long)rs->d[i].pid);
	fflush(stdout);

	/* Serve until asked to stop; a daemon that dies ends the lab. */
	while (!lab_signalled) {
		keeper_reap(nsd_pid, rs);
		if (!lab_signalled)
			poll(NULL, 0, 250);
	}
	printf("tearing down (signal %d)\n", (int)lab_signalled);
	fflush(stdout);
	keeper_teardown();
	_exit(0);
}

/* ---- in the parent ---- */

/* lab_wait_gone - wait until pid is gone (or a zombie), up to ms */
static int
lab_wait_gone(pid_t pid, unsigned long long start, int ms)
{
	double end = clock_s() + ms / 1000.0;

	while (clock_s() < end) {
		if (waitpid(pid, NULL, WNOHANG) == pid
		    || lab_starttime(pid) != start)
			return 0;
		poll(NULL, 0, 5);
	}
	return -1;
}

/*
 * lab_daemons_find - the resolvers o asks for, their binaries, state
 * directories, addresses and the library directories to bind (rs is
 * made whole: lab_daemons_free it even on failure); 0, or -1 after
 * saying which is not installed
 */
static int
lab_daemons_find(const struct lab_options *o, struct lab_daemons *rs)
{
	char *lp;
	int nb = 0;

	memset(rs, 0, sizeof(*rs));
	for (int i = -1; i < RESOLVER_COUNT; i++) {
		struct lab_daemon *d = &rs->d[rs->n];
		const struct resolver_kind *k;
		int id = i < 0 ? o->resolver : i;

		if (i >= 0 && !(o->beside & (1u << i)))
			continue;
		k = resolver_kind(id);
		d->id = id;
		d->bin = resolver_which(id, i >= 0 ? NULL : id == RESOLVER_UNBOUND
		    ? o->unbound_bin : o->resolver_bin, 0, NULL);
		d->dir = i < 0 ? xstrdup(o->dir) : xasprintf("%s/resolvers/%s",
		    o->dir, k->name);
		d->addr = i < 0 ? LAB_RESOLVER_ADDR : resolver_target_addr(id);
		rs->n++;
		if (d->bin == NULL)
			return -1;
		if (k->libdir && (lp = resolver_libpath(id, d->bin)) != NULL) {
			free(lp);
			rs->binds[nb++] = xasprintf("%s%s", k->unpacked,
			    k->libdir);
			rs->binds[nb++] = xstrdup(k->libdir);
		}
	}
	return 0;
}

/* lab_daemons_free - what lab_daemons_find made */
static void
lab_daemons_free(struct lab_daemons *rs)
{
	for (int i = 0; i < rs->n; i++) {
		free(rs->d[i].bin);
		free(rs->d[i].dir);
	}
	for (int i = 0; rs->binds[i]; i++)
		free(rs->binds[i]);
	memset(rs, 0, sizeof(*rs));
}

struct lab *
lab_start(const struct lab_options *o, struct zone_tree *t,
    struct lab_stats *stats)
{
	struct lab *l = NULL;
	char *nsd = NULL, *state = NULL, *line = NULL;
	struct lab_daemons rs = { 0 };
	struct stop_saved saved;
	double t0 = clock_s();
	char reply[2048];
	size_t got = 0;
	int pfd[2] = { -1, -1 };
	pid_t pid;

	if (lab_find(o->dir) != 0) {
		msg_warn("a lab is already up in %s (danelab down --dir %s "
		    "stops it)", o->dir, o->dir);
		return NULL;
	}
	if ((nsd = lab_which(o->nsd_bin, "DANELAB_NSD_BIN", "nsd")) == NULL
	    || lab_daemons_find(o, &rs) != 0)
		goto fail;
	if (file_mkdirs(o->dir) != 0 || lab_write_files(o, t) != 0)
		goto fail;
	if (stats)
		stats->write_s = clock_s() - t0;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		msg_warn("pipe: %s", strerror(errno));
		goto fail;
	}
	/* SIGINT and SIGTERM until the lab is up only ask to stop. */
	stop_catch(&saved);
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNET
	    | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		if (errno == EPERM)
			msg_warn("cannot make the lab's namespaces: this needs "
			    "CAP_SYS_ADMIN (run danelab as root)");
		else
			msg_warn("cannot make the lab's namespaces: %s",
			    strerror(errno));
		goto fail_sig;
	}
	if (pid == 0) {
		close(pfd[0]);
		keeper_fd = pfd[1];
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		keeper_main(o, nsd, &rs, o->detach);
	}
	close(pfd[1]);
	pfd[1] = -1;
	while (got < sizeof(reply) - 1) {
		struct pollfd p[2] = { { .fd = pfd[0], .events = POLLIN },
		    { .fd = stop_fd(), .events = POLLIN } };
		ssize_t n;

		if (stop_requested()) {
			msg_warn("interrupted: tearing the lab down");
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			goto fail_sig;
		}
		if (poll(p, 2, -1) < 0 || p[0].revents == 0)
			continue;
		if ((n = read(pfd[0], reply + got, sizeof(reply) - 1 - got)) < 0
		    && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = 0;
	reply[strcspn(reply, "\n")] = 0;
	if (strncmp(reply, "ready ", 6) != 0) {
		int status = 0;

		waitpid(pid, &status, 0);
		if (strncmp(reply, "error ", 6) == 0)
			msg_warn("%s", reply + 6);
		else
			msg_warn("the lab's keeper ended without a word "
			    "(status 0x%x); see %s/lab.log", status, o->dir);
		goto fail_sig;
	}
	if (stats)
		sscanf(reply + 6, "%lf %lf %ld %ld", &stats->nsd_ready_s,
		    &stats->unbound_ready_s, &stats->nsd_hwm_kb,
		    &stats->unbound_hwm_kb);
	state = lab_state_path(o->dir);
	line = xasprintf("%ld %llu\n", (long)pid, lab_starttime(pid));
	if (file_write(state, line, strlen(line)) != 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		goto fail_sig;
	}
	stop_release(&saved);
	if (stop_requested()) {
		msg_warn("interrupted: tearing the lab down");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		unlink(state);
		goto fail;
	}
	l = xcalloc(1, sizeof(*l));
	l->keeper = pid;
	l->dir = xstrdup(o->dir);
	goto done;
fail_sig:
	stop_release(&saved);
fail:
	l = NULL;
done:
	if (pfd[0] >= 0)
		close(pfd[0]);
	free(nsd);
	lab_daemons_free(&rs);
	free(state);
	free(line);
	return l;
}

pid_t
lab_keeper(const struct lab *l)
{
	return l->keeper;
}

struct lab *
lab_detach(struct lab *l)
{
	free(l->dir);
	free(l);
	return NULL;
}

struct lab *
lab_stop(struct lab *l)
{
	char *state = lab_state_path(l->dir);

	kill(l->keeper, SIGTERM);
	waitpid(l->keeper, NULL, 0);
	unlink(state);
	free(state);
	return lab_detach(l);
}

int
lab_down(const char *dir)
{
	char *state = lab_state_path(dir);
	unsigned long long start;
	pid_t pid;
	int ret = 0;

	if ((pid = lab_find(dir)) == 0) {
		msg_info("no lab is up in %s", dir);
		free(state);
		return 0;
	}
	start = lab_starttime(pid);
	kill(pid, SIGTERM);
	if (lab_wait_gone(pid, start, LAB_TEARDOWN_MS + 2000) != 0) {
		msg_warn("keeper pid %ld did not stop; killing it (the kernel "
		    "ends the lab's processes with it)", (long)pid);
		kill(pid, SIGKILL);
		if (lab_wait_gone(pid, start, 2000) != 0) {
			msg_warn("keeper pid %ld survived SIGKILL", (long)pid);
			ret = -1;
		}
	}
	if (ret == 0)
		unlink(state);
	free(state);
	return ret;
}

/* Which namespaces lab_setns joins. */
#define LAB_NS_NET	1u
#define LAB_NS_PID	2u	/* for children to come */
#define LAB_NS_MNT	4u	/* needs a single-threaded caller */

/*
 * lab_setns - move the calling thread into the namespaces of the lab
 * whose keeper is pid that which names (LAB_NS_*).  0, or -1 after
 * saying why.
 */
static int
lab_setns(pid_t keeper, unsigned which)
{
	static const char *const kinds[] = { "net", "pid", "mnt" };

	for (int i = 0; i < 3; i++) {
		char path[64];
		int fd;

		if (!(which & (1u << i)))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)keeper,
		    kinds[i]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0
		    || setns(fd, 0) != 0) {
			msg_warn("cannot join the lab's %s namespace: %s%s",
			    kinds[i], strerror(errno), errno == EPERM
			    ? " (this needs CAP_SYS_ADMIN: run as root)" : "");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

char **
lab_env(void)
{
	char **env = xcalloc(1, sizeof(*env));
	size_t n = 0;

	for (char **e = environ; *e; e++) {
		env = xrealloc(env, (n + 2) * sizeof(*env));
		env[n++] = xstrdup(*e);
		env[n] = NULL;
	}
	return env;
}

void
lab_env_set(char ***env, const char *key, const char *value)
{
	size_t kl = strlen(key), n;

	for (n = 0; (*env)[n]; n++)
		if (strncmp((*env)[n], key, kl) == 0 && (*env)[n][kl] == '=') {
			free((*env)[n]);
			(*env)[n] = xasprintf("%s=%s", key, value);
			return;
		}
	*env = xrealloc(*env, (n + 2) * sizeof(**env));
	(*env)[n] = xasprintf("%s=%s", key, value);
	(*env)[n + 1] = NULL;
}

void
lab_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* What lab_run's child needs, all made before fork. */
struct lab_child {
	const struct lab_cmd *c;
	int ns[3];		/* the lab's namespaces, or -1 */
	int out;		/* write end of the output pipe, or -1 */
	int failed;		/* write end of the "could not start" pipe */
	char *nodir, *noexec;	/* what the child says when it fails */
	struct sigaction old_int, old_quit;
};

/* lab_child_fail - in the child: say msg, tell the parent, exit */
static void
lab_child_fail(const struct lab_child *k, const char *msg, int code)
{
	static const char x = 'x';

	(void)!write(2, msg, strlen(msg));
	if (code != 127)
		(void)!write(k->failed, &x, 1);
	_exit(code);
}

/* lab_child - the child of lab_run: into the lab and its directory,
 * then the command in a child of its own (the lab's PID namespace takes
 * only children); only system calls from here on */
static void
lab_child(const struct lab_child *k)
{
	const struct lab_cmd *c = k->c;
	pid_t inner;
	int st;

	if (c->out) {
		setpgid(0, 0);
		dup2(k->out, 1);
		dup2(k->out, 2);
		if ((st = open("/dev/null", O_RDONLY)) >= 0)
			dup2(st, 0);
	}
	signal(SIGPIPE, SIG_DFL);
	for (int i = 0; i < 3; i++)
		if (k->ns[i] >= 0 && setns(k->ns[i], 0) != 0)
			lab_child_fail(k, "danelab: cannot join the lab's "
			    "namespaces\n", 125);
	if (chdir(c->workdir) != 0 && (!c->interactive || chdir("/") != 0))
		lab_child_fail(k, k->nodir, 125);
	if ((inner = fork()) == 0) {
		if (c->interactive) {
			sigaction(SIGINT, &k->old_int, NULL);
			sigaction(SIGQUIT, &k->old_quit, NULL);
		}
		execvpe(c->path, c->argv, c->envp);
		lab_child_fail(k, k->noexec, 127);
	}
	if (inner < 0)
		lab_child_fail(k, "danelab: fork failed\n", 125);
	while (waitpid(inner, &st, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* lab_collect - read the child's output into out until it ends, the
 * deadline passes or a stop is requested; 1 if it was killed */
static int
lab_collect(int fd, pid_t pid, int deadline_ms, struct buf *out)
{
	long long end = clock_ms() + deadline_ms;

	for (;;) {
		long long left = deadline_ms > 0 ? end - clock_ms() : 1000;
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
		    { .fd = stop_fd(), .events = POLLIN } };
		char chunk[4096];
		ssize_t n;

		if (left <= 0 || stop_requested()) {
			kill(-pid, SIGKILL);
			return 1;
		}
		if (poll(p, 2, (int)(left < 1000 ? left : 1000)) <= 0
		    || p[0].revents == 0)
			continue;
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			return 0;
		if (out->len < 8 * 1024 * 1024)
			buf_append(out, chunk, (size_t)n);
	}
}

/* lab_child_open - the pipes and namespaces of k (keeper 0: none);
 * 0, or -1 after saying why */
static int
lab_child_open(struct lab_child *k, pid_t keeper, int pfd[2], int sfd[2])
{
	static const char *const kinds[] = { "net", "pid", "mnt" };

	for (int i = 0; i < 3 && keeper; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)keeper,
		    kinds[i]);
		if ((k->ns[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			msg_warn("cannot open the lab's %s namespace: %s",
			    kinds[i], strerror(errno));
			return -1;
		}
	}
	if ((k->c->out && pipe2(pfd, O_CLOEXEC) != 0)
	    || pipe2(sfd, O_CLOEXEC) != 0) {
		msg_warn("pipe: %s", strerror(errno));
		return -1;
	}
	k->out = pfd[1];
	k->failed = sfd[1];
	return 0;
}

int
lab_run(pid_t keeper, const struct lab_cmd *c)
{
	struct lab_child k = { .c = c, .ns = { -1, -1, -1 }, .out = -1 };
	int pfd[2] = { -1, -1 }, sfd[2] = { -1, -1 }, status = 0, rc = -2;
	int killed = 0, ignoring = 0;
	struct sigaction ign;
	pid_t pid = -1;
	char failed;

	if (c->out && stop_requested())
		return -1;
	k.nodir = xasprintf("danelab: cannot enter %s\n", c->workdir);
	k.noexec = xasprintf("danelab: cannot run %s\n", c->path);
	if (lab_child_open(&k, keeper, pfd, sfd) != 0)
		goto out;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	if (c->interactive) {
		sigaction(SIGINT, &ign, &k.old_int);
		sigaction(SIGQUIT, &ign, &k.old_quit);
		ignoring = 1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0)
		msg_warn("fork: %s", strerror(errno));
	else if (pid == 0)
		lab_child(&k);
	/* The write ends are the child's. */
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (sfd[1] >= 0)
		close(sfd[1]);
	pfd[1] = sfd[1] = -1;
	if (pid < 0)
		goto out;
	if (c->out) {
		killed = lab_collect(pfd[0], pid, c->deadline_ms, c->out);
		/* Done (or killed): its stragglers in the group go too. */
		kill(-pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	if (killed)
		rc = -1;
	else if (read(sfd[0], &failed, 1) != 1)
		rc = WIFEXITED(status) ? WEXITSTATUS(status)
		    : 128 + WTERMSIG(status);
out:
	if (ignoring) {
		sigaction(SIGINT, &k.old_int, NULL);
		sigaction(SIGQUIT, &k.old_quit, NULL);
	}
	for (int i = 0; i < 3; i++)
		if (k.ns[i] >= 0)
			close(k.ns[i]);
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (sfd[i] >= 0)
			close(sfd[i]);
	}
	if (c->out && c->out->data == NULL)
		buf_append(c->out, "", 0);
	free(k.nodir);
	free(k.noexec);
	return rc;
}

int
lab_exec(const char *dir, char *const argv[])
{
	struct lab_cmd c;
	char cwd[PATH_MAX], **env;
	pid_t keeper;
	int rc;

	if ((keeper = lab_find(dir)) == 0) {
		msg_warn("no lab is up in %s (start one with danelab up)", dir);
		return -1;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "/");
	env = lab_env();
	lab_env_set(&env, "DANELAB_RESOLVER", LAB_RESOLVER_ADDR);
	lab_env_set(&env, "DANELAB_LAB_DIR", dir);
	memset(&c, 0, sizeof(c));
	c.path = argv[0];
	c.argv = argv;
	c.envp = env;
	c.workdir = cwd;
	c.interactive = 1;
	rc = lab_run(keeper, &c);
	lab_env_free(env);
	return rc == -2 ? -1 : rc;
}

int
lab_join(const char *dir)
{
	pid_t keeper = lab_find(dir);
	int home;

	if (keeper == 0) {
		msg_warn("no lab is up in %s (start one with danelab up)", dir);
		return -1;
	}
	if ((home = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0) {
		msg_warn("cannot open /proc/self/ns/mnt: %s", strerror(errno));
		return -1;
	}
	/* Not its PID namespace: no children to come. */
	if (lab_setns(keeper, LAB_NS_NET | LAB_NS_MNT) != 0) {
		close(home);
		return -1;
	}
	return home;
}

void
lab_unjoin(int home)
{
	if (home < 0)
		return;
	if (setns(home, CLONE_NEWNS) != 0)
		msg_warn("cannot return to our own mount namespace: %s",
		    strerror(errno));
	close(home);
}

int
lab_join_net(const struct lab *l)
{
	return lab_setns(l->keeper, LAB_NS_NET);
}

const char *
lab_dir(const struct lab *l)
{
	return l->dir;
}

char *
lab_beside_failed(const struct lab *l, int id)
{
	char *path = xasprintf("%s/resolvers/%s/" LAB_BESIDE_FAILED, l->dir,
	    resolver_kind(id)->name);
	char *why = file_read(path, NULL);

	free(path);
	return why;
}

int
lab_enter(const struct lab *l)
{
	return lab_setns(l->keeper, LAB_NS_NET | LAB_NS_PID | LAB_NS_MNT);
}

const char *
lab_dir_default(void)
{
	const char *d = getenv("DANELAB_LAB_DIR");

	return d && *d ? d : LAB_DIR_DEFAULT;
}
