/*
 * esc.h: what the escape programs share (see victim.c, evil.c, preload.c,
 * helper.c). Everything is driven by the environment the test sets, so
 * that one build serves every case:
 *
 *   ESC_MODE      what the constructor and main() do
 *   ESC_TAG       the SECCOMP_RET_DATA of the filter a constructor stacks
 *                 ("none": stack nothing, as in the plain control runs)
 *   ESC_CONNECT   a TCP port on 127.0.0.1 the test listens on
 *   ESC_CONNECT_FD an unconnected TCP socket the test passed in
 *   ESC_KILL_PID  a process outside the sandbox to send SIGTERM to
 *   ESC_CHMOD, ESC_FCHMODAT  files outside the veil to chmod 0600
 *   ESC_TTY_FD    a terminal (the controlling one) for TIOCSTI
 *   ESC_SECRET    a file the veil lets the program read
 *   ESC_LATE_FD   where a process that outlives the sandbox writes "late"
 *
 * Each attempt prints one line "WHO WHAT=RESULT" (RESULT "ok" or the errno
 * name) with a single write(2), so that lines never interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Not every program uses every function. */
#define ESC static __attribute__((unused))

ESC const char *errname(long r)
{
	static char buf[32];
	if (r >= 0)
		return "ok";
	const char *n = strerrorname_np(errno);
	if (n)
		return n;
	snprintf(buf, sizeof buf, "errno%d", errno);
	return buf;
}

ESC void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
ESC void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	write(1, buf, n);
}

ESC void report(const char *who, const char *what, long r) { say("%s %s=%s", who, what, errname(r)); }

ESC int envint(const char *name, int def)
{
	const char *v = getenv(name);
	return v && *v ? (int)strtol(v, NULL, 0) : def;
}

ESC int mode_is(const char *m)
{
	const char *v = getenv("ESC_MODE");
	return v && strcmp(v, m) == 0;
}

/*
 * relabel stacks a filter answering each syscall of nrs with
 * SECCOMP_RET_TRACE|tag and everything else with ALLOW. When several
 * filters answer TRACE the kernel keeps the newest one's data, so the
 * supervisor sees "tag" instead of the tag its own filter gave. Returns 0,
 * 1 when ESC_TAG is "none" (nothing stacked), or -1 with errno.
 */
ESC int relabel(const int *nrs, int n)
{
	const char *t = getenv("ESC_TAG");
	if (!t || strcmp(t, "none") == 0)
		return 1;
	unsigned tag = (unsigned)strtoul(t, NULL, 0) & SECCOMP_RET_DATA;
	struct sock_filter f[2 + 2 * 16];
	int i = 0;
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int k = 0; k < n && k < 15; k++) {
		f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[k], 0, 1);
		f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | tag);
	}
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)i, .filter = f};
	/* no_new_privs: the plain runs need it to stack a filter unprivileged. */
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return -1;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0L, &prog) != 0)
		return -1;
	return 0;
}

ESC void report_relabel(const char *who, int r)
{
	if (r == 1)
		say("%s relabel=none", who);
	else
		report(who, "relabel", r);
}

ESC struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* The syscalls the relabelling attack is about (A in the tests). */
static const int attack_nrs[] = {SYS_socket, SYS_connect, SYS_kill, SYS_chmod, SYS_fchmodat, SYS_ioctl};

/*
 * attempts tries, in this order, what the promises "stdio" forbid and
 * whose side effect the test can see from outside: a socket, a TCP
 * connection to the test's listener (on the socket it passed in), SIGTERM
 * to a process outside the sandbox, chmod and fchmodat of files outside
 * the veil, and TIOCSTI on the terminal.
 */
ESC void attempts(const char *who)
{
	long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	report(who, "socket", r);
	if (r >= 0)
		close((int)r);

	struct sockaddr_in a = loopback(envint("ESC_CONNECT", 0));
	report(who, "connect", syscall(SYS_connect, envint("ESC_CONNECT_FD", -1), &a, sizeof a));
	report(who, "kill", syscall(SYS_kill, envint("ESC_KILL_PID", -1), SIGTERM));
	report(who, "chmod", syscall(SYS_chmod, getenv("ESC_CHMOD"), 0600));
	report(who, "fchmodat", syscall(SYS_fchmodat, AT_FDCWD, getenv("ESC_FCHMODAT"), 0600));
	char c = 'x';
	report(who, "ioctl", syscall(SYS_ioctl, envint("ESC_TTY_FD", -1), TIOCSTI, &c));
}

/* open_secret opens ESC_SECRET for reading and reports what it read. */
ESC void open_secret(const char *who)
{
	char buf[64] = {0};
	int fd = (int)syscall(SYS_openat, AT_FDCWD, getenv("ESC_SECRET"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report(who, "open", fd);
		return;
	}
	long n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	say("%s open=ok secret=%s", who, buf);
}

ESC void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	syscall(SYS_nanosleep, &ts, NULL);
}

/*
 * outlive is the body of a process meant to outlive its creator (pid
 * creator) and, when watch > 0, the process watch (the pledge command):
 * it waits until both are gone, then writes "late" to ESC_LATE_FD and
 * exits. A process the supervisor traces never gets there: PTRACE_O_EXITKILL
 * kills it when the command exits. The test reads ESC_LATE_FD until every
 * writer is gone, so no timing is involved. The waits are bounded (a
 * minute each) so that nothing is left behind forever.
 */
ESC void outlive(int creator, int watch)
{
	int fd = envint("ESC_LATE_FD", -1);
	for (int i = 0; i < 6000 && syscall(SYS_getppid) == creator; i++)
		pause_ms(10);
	for (int i = 0; watch > 0 && i < 6000 && syscall(SYS_kill, watch, 0) == 0; i++)
		pause_ms(10);
	write(fd, "late\n", 5);
	syscall(SYS_exit_group, 0);
}
