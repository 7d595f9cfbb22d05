/*
 * The client of the exec supervisor S, speaking the written protocol of
 * internal/sandbox/protocol.go as the Go client (internal/sandbox/
 * client.go) does: S is the helper program landpledge-supervisor
 * (cmd/landpledge-supervisor), started with fd 3 the read end of our
 * request pipe, fd 4 the write end of its answer pipe,
 * LANDPLEDGE_EXEC_SUPERVISOR=our pid in its environment, in our session
 * (it takes a process group of its own; the images it starts join their
 * callers' groups, so it must not leave the session); we name it our
 * tracer for Yama (PR_SET_PTRACER) and ask it to "attach", then send
 * "self"/"exec" lines before each filter and the veil's entries ("veil",
 * then "commit") right before the veil is enforced, each answered by "ok"
 * or "err ERRNO TEXT".
 *
 * The helper's path is LIBEXECDIR/landpledge/landpledge-supervisor,
 * compiled in, or LANDPLEDGE_SUPERVISOR in the environment (ignored in a
 * set-user-ID program). It is started with a raw clone, without libc's
 * fork handlers, and everything it needs is prepared before, so that the
 * child only calls openat, dup3, close_range and execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lpl.h"
#include "../zcommon.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec"
#endif
#define SUPERVISOR_PATH LIBEXECDIR "/landpledge/landpledge-supervisor"
#define ENV_SUPERVISOR "LANDPLEDGE_SUPERVISOR"

extern char **environ;

static struct {
	int pid;
	int ctl, ack; /* our ends, close-on-exec */
} S = {0, -1, -1};

int
lpl_sup_pid(void)
{
	return S.pid;
}

/* lpl_sup_forget: a forked child must not use its parent's pipes. */
void
lpl_sup_forget(void)
{
	S.ctl = S.ack = -1;
}

static const char *
helper_path(void)
{
	const char *p = getauxval(AT_SECURE) ? 0 : getenv(ENV_SUPERVISOR);
	return p && p[0] ? p : SUPERVISOR_PATH;
}

static int
move_high(int fd)
{
	long r = lpl_sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 10);
	lpl_sys1(SYS_close, fd);
	return (int)r;
}

/* write_all writes without letting a closed pipe kill us with SIGPIPE. */
static int
write_all(int fd, const char *buf, size_t n)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	int was_pending = 0;
	sigset_t pend;
	if (sigpending(&pend) == 0)
		was_pending = sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	int err = 0;
	while (n > 0) {
		long w = lpl_sys3(SYS_write, fd, buf, n);
		if (w == -EINTR)
			continue;
		if (w < 0) {
			err = (int)w;
			break;
		}
		buf += w;
		n -= (size_t)w;
	}
	if (err == -EPIPE && !was_pending) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, 0, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, 0);
	return err;
}

/* request sends one line and reads the answer line. */
static int
request(const char *line, char *why, size_t whylen)
{
	int err = write_all(S.ctl, line, strlen(line));
	if (!err)
		err = write_all(S.ctl, "\n", 1);
	if (err) {
		lpl_msg(why, whylen, "exec supervisor: %s: %s", line, strerror(-err));
		return err;
	}
	char ans[1024];
	size_t got = 0;
	for (;;) {
		char c;
		long r = lpl_sys3(SYS_read, S.ack, &c, 1);
		if (r == -EINTR)
			continue;
		if (r <= 0) {
			lpl_msg(why, whylen, "exec supervisor: %s: no answer", line);
			return -EPROTO;
		}
		if (c == '\n')
			break;
		if (got < sizeof ans - 1)
			ans[got++] = c;
	}
	ans[got] = 0;
	if (strcmp(ans, "ok") == 0)
		return 0;
	if (strncmp(ans, "err ", 4) == 0) {
		char *end;
		long e = strtol(ans + 4, &end, 10);
		if (end != ans + 4 && *end == ' ' && e > 0 && e < 4096) {
			lpl_msg(why, whylen, "exec supervisor: %s: %s", line, end + 1);
			return (int)-e;
		}
	}
	lpl_msg(why, whylen, "exec supervisor: %s: answer \"%s\"", line, ans);
	return -EPROTO;
}

static void
stop(void)
{
	int st;
	lpl_sys1(SYS_close, S.ctl);
	lpl_sys1(SYS_close, S.ack);
	lpl_sys2(SYS_kill, S.pid, SIGKILL);
	while (lpl_sys4(SYS_wait4, S.pid, &st, 0, 0) == -EINTR)
		;
	S.pid = 0;
	S.ctl = S.ack = -1;
}

/*
 * lpl_sup_start starts S and waits until it traces every thread of this
 * process. It must run before any filter or veil is in force: S must not
 * inherit a filter (ptrace is never allowed) and a veil may not let the
 * helper be executed. On an error nothing is left running.
 */
int
lpl_sup_start(char *why, size_t whylen)
{
	const char *exe = helper_path();
	int ctl[2], ack[2], status[2];
	if (pipe2(ctl, O_CLOEXEC) < 0) {
		int e = errno;
		lpl_msg(why, whylen, "exec supervisor: %s", strerror(e));
		return -e;
	}
	if (pipe2(ack, O_CLOEXEC) < 0) {
		int e = errno;
		close(ctl[0]);
		close(ctl[1]);
		lpl_msg(why, whylen, "exec supervisor: %s", strerror(e));
		return -e;
	}
	if (pipe2(status, O_CLOEXEC) < 0) {
		int e = errno;
		close(ctl[0]);
		close(ctl[1]);
		close(ack[0]);
		close(ack[1]);
		lpl_msg(why, whylen, "exec supervisor: %s", strerror(e));
		return -e;
	}
	/* Out of the way of 3 and 4, which the child dups them to. */
	int cr = move_high(ctl[0]), cw = move_high(ctl[1]);
	int ar = move_high(ack[0]), aw = move_high(ack[1]);
	int sr = move_high(status[0]), sw = move_high(status[1]);
	if (cr < 0 || cw < 0 || ar < 0 || aw < 0 || sr < 0 || sw < 0) {
		lpl_msg(why, whylen, "exec supervisor: no descriptors");
		int fds[] = {cr, cw, ar, aw, sr, sw};
		for (int i = 0; i < 6; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return -EMFILE;
	}

	/* The environment: ours and LANDPLEDGE_EXEC_SUPERVISOR=pid, built
	 * before the clone in memory mapped for the occasion. */
	size_t nenv = 0, size = 0;
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, LPL_ENV_EXEC_SUPERVISOR "=", sizeof LPL_ENV_EXEC_SUPERVISOR) == 0)
			continue;
		nenv++;
		size += strlen(*e) + 1;
	}
	char var[64];
	snprintf(var, sizeof var, "%s=%d", LPL_ENV_EXEC_SUPERVISOR, (int)getpid());
	size_t mapsize = (nenv + 2) * sizeof(char *) + size + sizeof var;
	char **envp = mmap(0, mapsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (envp == MAP_FAILED) {
		int fds[] = {cr, cw, ar, aw, sr, sw};
		for (int i = 0; i < 6; i++)
			close(fds[i]);
		lpl_msg(why, whylen, "exec supervisor: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	char *strs = (char *)(envp + nenv + 2);
	size_t k = 0;
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, LPL_ENV_EXEC_SUPERVISOR "=", sizeof LPL_ENV_EXEC_SUPERVISOR) == 0)
			continue;
		size_t l = strlen(*e) + 1;
		memcpy(strs, *e, l);
		envp[k++] = strs;
		strs += l;
	}
	strcpy(strs, var);
	envp[k++] = strs;
	envp[k] = 0;
	char *argv[] = {(char *)exe, 0};

	long pid = lpl_sys5(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		/* The child: only raw system calls from here on. Its stdin
		 * and stdout are /dev/null, as os/exec gives the Go client's
		 * (it holds no copy of our pipes then), stderr is ours, and
		 * nothing else of ours stays open. */
		long null = lpl_sys4(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR, 0);
		if (null >= 0) {
			lpl_sys3(SYS_dup3, null, 0, 0);
			lpl_sys3(SYS_dup3, null, 1, 0);
			if (null > 1)
				lpl_sys1(SYS_close, null);
		}
		long r = lpl_sys3(SYS_dup3, cr, 3, 0);
		if (r >= 0)
			r = lpl_sys3(SYS_dup3, aw, 4, 0);
		if (r >= 0) {
			int keep = sw; /* close-on-exec: reports a failed execve */
			if (keep > 5)
				lpl_sys3(SYS_close_range, 5, keep - 1, 0);
			lpl_sys3(SYS_close_range, keep + 1, ~0u, 0);
		}
		if (r >= 0)
			r = lpl_sys3(SYS_execve, exe, argv, envp);
		int e = (int)-r;
		lpl_sys3(SYS_write, sw, &e, sizeof e);
		for (;;)
			lpl_sys1(SYS_exit_group, 127);
	}
	munmap(envp, mapsize);
	close(cr);
	close(aw);
	close(sw);
	if (pid < 0) {
		close(cw);
		close(ar);
		close(sr);
		lpl_msg(why, whylen, "starting the exec supervisor %s: %s", exe, strerror((int)-pid));
		return (int)pid;
	}
	int e = 0;
	long got;
	while ((got = lpl_sys3(SYS_read, sr, &e, sizeof e)) == -EINTR)
		;
	close(sr);
	S.pid = (int)pid;
	S.ctl = cw;
	S.ack = ar;
	if (got == sizeof e) {
		stop();
		lpl_msg(why, whylen, "starting the exec supervisor %s: %s", exe, strerror(e));
		return -e;
	}
	/* Yama's ptrace_scope 1 lets only ancestors trace, unless the tracee
	 * names its tracer; EINVAL without Yama. */
	if (prctl(PR_SET_PTRACER, (unsigned long)pid, 0, 0, 0) < 0 && errno != EINVAL) {
		e = errno;
		stop();
		lpl_msg(why, whylen, "exec supervisor: prctl(PR_SET_PTRACER, %ld): %s", pid, strerror(e));
		return -e;
	}
	int err = request("attach", why, whylen);
	if (err) {
		stop();
		return err;
	}
	return 0;
}

/* lpl_sup_request sends a "self" or "exec" line for p. */
int
lpl_sup_request(const char *kind, const struct lpl_policy *p, char *why, size_t whylen)
{
	char line[128];
	snprintf(line, sizeof line, "%s %llu %u %u %u", kind, (unsigned long long)p->promises, p->violation, p->flags,
	    p->pathlayer ? 1u : 0u);
	return request(line, why, whylen);
}

/* lpl_sup_veil sends the entries of the veil, in order, then "commit"
 * (sandbox.Client.Veil): the images exec'd with execpromises keep it. */
int
lpl_sup_veil(const struct lpl_entry *head, char *why, size_t whylen)
{
	static const char hex[] = "0123456789abcdef";
	char line[16 + 2 * 4096]; /* a resolved path is shorter than PATH_MAX */
	for (const struct lpl_entry *e = head; e; e = e->next) {
		char perms[8];
		lpl_format_perm(e->perm, perms, sizeof perms);
		int n = snprintf(line, sizeof line, "veil %s ", perms[0] ? perms : "-");
		size_t at = (size_t)n;
		for (const unsigned char *c = (const unsigned char *)e->path; *c && at + 3 < sizeof line; c++) {
			line[at++] = hex[*c >> 4];
			line[at++] = hex[*c & 15];
		}
		line[at] = 0;
		int err = request(line, why, whylen);
		if (err)
			return err;
	}
	return request("commit", why, whylen);
}
