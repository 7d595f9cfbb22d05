/*
 * probe.so: an LD_PRELOAD module that checks that a program's pledge is
 * really enforced while it runs its own tests. It is our code, outside
 * the program's: built with the program unchanged (dynamically, against
 * libpledge.so), run with LD_PRELOAD=probe.so.
 *
 * It interposes pledge(2): the call goes to libpledge unchanged, and a
 * successful one with promises is remembered. When the process ends
 * (exit(3), a return from main, _exit(2) or _Exit(2) called by the
 * program) after such a pledge, it attempts socket(AF_INET, SOCK_STREAM):
 * under promises without "inet" (or "dns", which allows it here) the
 * process is killed by SIGSYS, or the call fails with the errno of
 * LANDPLEDGE_ERRNO, or ENOSYS under "error".
 *
 * Each attempt and each outcome it sees is one line on the descriptor
 * opened at load time from $PLEDGE_PROBE_LOG (appended to; before any
 * pledge, so writing it needs only "stdio"), else on stderr:
 *
 *	probe 1234: after pledge("stdio"): socket(AF_INET, SOCK_STREAM)
 *	probe 1234: socket: ok                   (or: socket: EPERM)
 *
 * A killed process leaves the first line only. A process that never
 * pledged leaves nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static int logfd = 2;
static int armed;
static char last[1100];

__attribute__((constructor)) static void
probe_init(void)
{
	const char *p = getenv("PLEDGE_PROBE_LOG");
	if (p != NULL && *p != '\0') {
		int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (fd >= 0)
			logfd = fd;
	}
}

static void
say(const char *fmt, ...)
{
	char buf[1300];
	va_list ap;
	int n = snprintf(buf, sizeof buf, "probe %ld: ", (long)syscall(SYS_getpid));
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	/* One write(2): lines of processes sharing the file do not mix. */
	if (write(logfd, buf, n) < 0) {
		/* nothing to do */
	}
}

int
pledge(const char *promises, const char *execpromises)
{
	static int (*next)(const char *, const char *);
	if (next == NULL)
		next = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "pledge");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	int r = next(promises, execpromises);
	if (r == 0 && promises != NULL) {
		snprintf(last, sizeof last, "%s", promises);
		armed = 1;
	}
	return r;
}

/* attempt makes the forbidden call once, after the last pledge. */
static void
attempt(void)
{
	if (!armed)
		return;
	armed = 0;
	int saved = errno;
	say("after pledge(\"%s\"): socket(AF_INET, SOCK_STREAM)\n", last);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s >= 0) {
		say("socket: ok\n");
		close(s);
	} else {
		say("socket: %s\n", errname(errno));
	}
	errno = saved;
}

__attribute__((destructor)) static void
probe_fini(void)
{
	attempt();
}

void
_exit(int status)
{
	attempt();
	syscall(SYS_exit_group, status);
	for (;;) {
	}
}

void
_Exit(int status)
{
	_exit(status);
}
