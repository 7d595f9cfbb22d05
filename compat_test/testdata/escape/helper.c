/*
 * helper.c: the program the sendmsg (C) and clone (D) cases run under the
 * pledge command. argv[1] is the case:
 *
 *   sendmsg TYPE TARGET   socketpair(AF_UNIX, TYPE) and sendmsg() from one
 *                         end with msg_name TARGET (a path, or "@name" in
 *                         the abstract namespace); TYPE dgram, stream or
 *                         seqpacket; then whether the pair's other end got
 *                         the data ("peer")
 *   clone-untraced        clone(CLONE_UNTRACED|SIGCHLD): the child outlives
 *                         us (esc.h outlive)
 *   fork, clone           the same with fork() / clone(SIGCHLD)
 *   vfork                 vfork(); the child execs "helper late ..."
 *   late CREATOR WATCH    outlive(CREATOR, WATCH)
 *   clone-untraced-exec PROG ARG...  clone(CLONE_UNTRACED|SIGCHLD), the
 *                         child execs PROG; we wait and report its status
 *   clone3                clone3() with exit_signal SIGCHLD, as libc does
 *
 * With ESC_WATCH_PARENT=1 the outliving child also waits for our parent
 * (the pledge command) to be gone before it writes "late".
 */
#include "esc.h"
#include <sys/un.h>
#include <sys/wait.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static int sendmsg_case(const char *type, const char *target)
{
	int t = strcmp(type, "dgram") == 0 ? SOCK_DGRAM : strcmp(type, "stream") == 0 ? SOCK_STREAM : SOCK_SEQPACKET;
	int sv[2];
	long r = syscall(SYS_socketpair, AF_UNIX, t, 0, sv);
	report("helper", "socketpair", r);
	if (r < 0)
		return 0;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(target);
	memcpy(a.sun_path, target, strlen(target));
	if (target[0] == '@')
		a.sun_path[0] = 0; /* abstract: no trailing NUL counted */
	else
		len++;
	char data[] = "escaped";
	struct iovec iov = {.iov_base = data, .iov_len = sizeof data - 1};
	struct msghdr m = {.msg_name = &a, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1};
	report("helper", "sendmsg", syscall(SYS_sendmsg, sv[0], &m, 0));
	char buf[16];
	report("helper", "peer", syscall(SYS_recvfrom, sv[1], buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
	return 0;
}

static int watch(void) { return envint("ESC_WATCH_PARENT", 0) ? (int)syscall(SYS_getppid) : 0; }

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	int self = (int)syscall(SYS_getpid);
	if (strcmp(c, "sendmsg") == 0 && argc == 4)
		return sendmsg_case(argv[2], argv[3]);
	if (strcmp(c, "late") == 0 && argc == 4)
		outlive(atoi(argv[2]), atoi(argv[3]));
	if (strcmp(c, "clone-untraced") == 0 || strcmp(c, "fork") == 0 || strcmp(c, "clone") == 0) {
		int w = watch();
		long pid = strcmp(c, "fork") == 0 ? syscall(SYS_fork)
			   : syscall(SYS_clone, (strcmp(c, "clone") == 0 ? 0 : CLONE_UNTRACED) | SIGCHLD, 0L, 0L, 0L, 0L);
		if (pid == 0)
			outlive(self, w);
		report("helper", c, pid);
		return 0;
	}
	if (strcmp(c, "vfork") == 0) {
		char a1[16], a2[16];
		snprintf(a1, sizeof a1, "%d", self);
		snprintf(a2, sizeof a2, "%d", watch());
		char *args[] = {argv[0], "late", a1, a2, NULL};
		pid_t pid = vfork();
		if (pid == 0) {
			execv("/proc/self/exe", args);
			_exit(127);
		}
		report("helper", "vfork", pid);
		return 0;
	}
	if (strcmp(c, "clone-untraced-exec") == 0 && argc > 2) {
		long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0L, 0L, 0L, 0L);
		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		report("helper", "clone", pid);
		if (pid > 0) {
			int st = 0;
			waitpid((pid_t)pid, &st, 0);
			if (WIFSIGNALED(st))
				say("helper child=%s", sigabbrev_np(WTERMSIG(st)));
			else
				say("helper child=exit%d", WEXITSTATUS(st));
		}
		return 0;
	}
	if (strcmp(c, "clone3") == 0) {
		unsigned long args[11] = {0}; /* struct clone_args */
		args[4] = SIGCHLD;            /* exit_signal */
		long pid = syscall(SYS_clone3, args, sizeof args);
		if (pid == 0)
			syscall(SYS_exit_group, 0);
		report("helper", "clone3", pid);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return 0;
	}
	say("helper: unknown case %s", c);
	return 99;
}
