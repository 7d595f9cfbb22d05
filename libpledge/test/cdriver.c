/*
 * cdriver: compat_test's run-compare cases, applied with libpledge.
 *
 *	cdriver -r ROOT -p PROBE [-u PATH PERMS]... [-b] [-P PROMISES]...
 *	        [-e EXECPROMISES] [-s] -- OP...
 *
 * chdir(ROOT) (the fixture, made by the test), runs OP's set-up, then with
 * -s applies the case's sandbox as compat_test's Sandbox.apply does (the
 * unveils, unveil(NULL, NULL) with -b, each pledge with -e's execpromises,
 * else NULL) and runs OP, and prints its outcome as the Go child does:
 * "sandboxtest: op=OUTCOME" (ok, an errno name, child:X for a program it
 * ran). A failing set-up prints "sandboxtest: setup=..." and exits 3.
 *
 * OP is the case's Op in prefix words (compat_test's Op.C): a leaf such as
 * "open PATH FLAGS" or a combinator such as "then OP OP". Each leaf makes
 * the system calls golang.org/x/sys makes for the Go op, with raw
 * syscall(2), so both implementations are judged on the same calls.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "testlib.h"
#include "pledge.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Outcomes: 0 ok, > 0 an errno, and these. */
#define CHILD_SIG(s) (-(1000 + (s)))
#define CHILD_ERR(e) (-(2000 + (e)))
#define OTHER_ERROR (-3000)

static const char *probe_path;
static const char *root_path;
static char other_error[256];

static int
other(const char *what)
{
	snprintf(other_error, sizeof other_error, "%s", what);
	return OTHER_ERROR;
}

static const char *
signame(int s)
{
	static const char *names[] = {[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
	    [SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS",
	    [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",
	    [SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	    [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGSYS] = "SIGSYS"};
	static char buf[32];
	if (s > 0 && s < (int)(sizeof names / sizeof names[0]) && names[s])
		return names[s];
	snprintf(buf, sizeof buf, "signal %d", s);
	return buf;
}

static void
print_outcome(const char *key, int r)
{
	if (r == OTHER_ERROR)
		printf("sandboxtest: %s=error:%s\n", key, other_error);
	else if (r <= -2000)
		printf("sandboxtest: %s=child:%s\n", key, errname(-r - 2000));
	else if (r <= -1000)
		printf("sandboxtest: %s=child:%s\n", key, signame(-r - 1000));
	else
		printf("sandboxtest: %s=%s\n", key, errname(r));
	fflush(stdout);
}

/* sys makes a raw system call and returns 0 or the errno. */
static long sysret;
static int
sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	if (r == -1)
		return errno;
	sysret = r;
	return 0;
}
#define SYS0(n) sys((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) sys((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) sys((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SYS6(n, a, b, c, d, e, f) sys((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* The op tree. */
struct op {
	const char *name;
	char **args;
	int nargs;
	struct op *sub[2];
	/* set-up results */
	int fd, fd2;
	pid_t pid;
	int pipe_w;
	void *mem;
	size_t memlen;
	pthread_t thread;
	int go[2], done[2];
	long val;
};

static int nwords;
static char **words;
static int at;

static int
arity(const char *name, int *nsub)
{
	static const struct {
		const char *name;
		int args, subs;
	} table[] = {
	    {"open", 2, 0}, {"unlink", 1, 0}, {"mkdir", 1, 0}, {"rmdir", 1, 0}, {"rename", 2, 0},
	    {"link", 2, 0}, {"symlink", 2, 0}, {"symlink-abs", 2, 0}, {"mkfifo", 1, 0}, {"truncate", 1, 0}, {"stat", 1, 0},
	    {"chmod", 1, 0}, {"chdir", 1, 0}, {"access", 2, 0}, {"realpath", 1, 0}, {"readdir", 1, 0},
	    {"openat", 2, 0}, {"openat-pre", 2, 0}, {"fchdir-pre", 2, 0}, {"chdir-open", 2, 0},
	    {"pre-read", 1, 0}, {"probe", -1, 0}, {"waiting-probe", -1, 0}, {"unveil", 2, 0},
	    {"unveil-block", 0, 0}, {"pledge", 1, 0}, {"pledge2", 2, 0}, {"execpromises", 1, 0},
	    {"socket", 2, 0}, {"getpid", 0, 0}, {"kill-parent", 0, 0}, {"setpgid", 0, 0},
	    {"mmap", 1, 0}, {"setuid-self", 0, 0}, {"flock", 1, 0}, {"fcntl-lock", 1, 0},
	    {"utimes", 1, 0}, {"chown-self", 1, 0}, {"pty-ioctl", 1, 0}, {"raw", 7, 0},
	    {"rawfd", 7, 0}, {"sibling-ptrace", 0, 0}, {"sibling-sigcont", 0, 0},
	    {"vm-writev-self", 0, 0}, {"proc-self-mem", 0, 0}, {"memfd-exec", 0, 0},
	    {"io_uring_setup", 0, 0}, {"mount-nowhere", 0, 0}, {"umount2-nowhere", 0, 0},
	    {"setns-uts", 0, 0}, {"open-by-handle", 0, 0}, {"abstract-connect", 0, 0},
	    {"kill-self-sigcont", 0, 0}, {"int80-getpid", 0, 0}, {"sendmsg", 3, 0},
	    {"clone", 1, 0}, {"clone-exec", 3, 0},
	    {"then", 0, 2}, {"expect", 1, 1}, {"with-handler", 0, 1}, {"early-thread", 0, 1},
	};
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*nsub = table[i].subs;
			return table[i].args;
		}
	}
	return -2;
}

static struct op *
parse(void)
{
	if (at >= nwords) {
		fprintf(stderr, "cdriver: op expected\n");
		exit(2);
	}
	struct op *o = calloc(1, sizeof *o);
	o->fd = o->fd2 = o->pipe_w = -1;
	o->name = words[at++];
	int nsub;
	int n = arity(o->name, &nsub);
	if (n == -2) {
		fprintf(stderr, "cdriver: unknown op %s\n", o->name);
		exit(2);
	}
	if (n == -1) { /* probe PATH N ARGS... */
		if (at + 2 > nwords) {
			fprintf(stderr, "cdriver: %s: PATH N ARGS...\n", o->name);
			exit(2);
		}
		n = 2 + atoi(words[at + 1]);
	}
	if (at + n > nwords) {
		fprintf(stderr, "cdriver: %s wants %d words\n", o->name, n);
		exit(2);
	}
	o->args = &words[at];
	o->nargs = n;
	at += n;
	for (int i = 0; i < nsub; i++)
		o->sub[i] = parse();
	return o;
}

#define A(i) (o->args[i])
#define IS(s) (strcmp(o->name, (s)) == 0)

/* wait_child waits for pid and gives its outcome: 0, CHILD_ERR(errno) as
 * the probe exits with it (1..99), CHILD_SIG(N) when killed by N (or
 * exiting 100+N). */
static int
wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	if (WIFSIGNALED(st))
		return CHILD_SIG(WTERMSIG(st));
	int code = WEXITSTATUS(st);
	if (code == 0)
		return 0;
	if (code >= 100)
		return CHILD_SIG(code - 100);
	return CHILD_ERR(code);
}

/* run_program forks and execs path with args, with our own stdio, and
 * waits: the outcome of os/exec's Cmd.Run as compat_test's outcomeOf
 * reads it. An execve error reaches us through a close-on-exec pipe, as
 * in os/exec. */
static int
run_program(const char *path, char **args, int nargs, int stdin_fd, pid_t *started)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	char *argv[16];
	argv[0] = (char *)path;
	int k = 1;
	for (int i = 0; i < nargs && k < 15; i++)
		argv[k++] = args[i];
	argv[k] = 0;
	extern char **environ;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		if (stdin_fd >= 0)
			dup2(stdin_fd, 0);
		execve(path, argv, environ);
		int e = errno;
		if (write(p[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof e);
	close(p[0]);
	if (n == sizeof e) {
		waitpid(pid, 0, 0);
		return e;
	}
	if (started) {
		*started = pid;
		return 0;
	}
	return wait_child(pid);
}

static const char *
full(const char *p)
{
	return p; /* relative to ROOT, which is the working directory */
}

static void handler_ran(int sig)
{
	static const char msg[] = "handler ran\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(7);
	_exit(7);
}

static int fn(struct op *o);

static void *
early_main(void *arg)
{
	struct op *o = arg;
	char c;
	if (read(o->go[0], &c, 1) != 1)
		return 0;
	int r = fn(o->sub[0]);
	if (write(o->done[1], &r, sizeof r) < 0)
		return 0;
	return 0;
}

static char vmbuf[8];
static char *probe_image;
static size_t probe_len;

/* sendmsg TYPE NAME PAIRONLY (compat_test's sendmsgOp): the set-up binds a
 * datagram socket at NAME (fixture-relative, or "@..." abstract, made
 * unique with our pid as the Go op does with its own); the op makes
 * socketpair(AF_UNIX, TYPE) and, unless PAIRONLY is 1, sendmsg()s
 * "escaped" from one end with msg_name set to NAME. It is ok when the
 * data went where the type sends it: to NAME for a datagram pair, to the
 * peer (the name ignored) for seqpacket. */
static struct sockaddr_un sendmsg_addr;
static socklen_t sendmsg_len;

static int
sendmsg_pre(struct op *o)
{
	memset(&sendmsg_addr, 0, sizeof sendmsg_addr);
	sendmsg_addr.sun_family = AF_UNIX;
	const char *name = A(1);
	if (name[0] == '@') { /* abstract: a NUL, then the name, no terminator */
		int n = snprintf(sendmsg_addr.sun_path + 1, sizeof sendmsg_addr.sun_path - 1, "%s-%d", name + 1,
		    (int)getpid());
		sendmsg_len = (socklen_t)(2 + 1 + n);
	} else {
		int n = snprintf(sendmsg_addr.sun_path, sizeof sendmsg_addr.sun_path, "%s", name);
		sendmsg_len = (socklen_t)(2 + n + 1);
	}
	int err = SYS3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (err)
		return err;
	o->fd = (int)sysret;
	return SYS3(SYS_bind, o->fd, &sendmsg_addr, sendmsg_len);
}

static int
sendmsg_fn(struct op *o)
{
	int type = atoi(A(0)), sv[2];
	int err = SYS4(SYS_socketpair, AF_UNIX, type | SOCK_CLOEXEC, 0, sv);
	if (err || strcmp(A(2), "1") == 0)
		return err;
	char data[] = "escaped", buf[16];
	struct iovec iov = {data, sizeof data - 1};
	struct msghdr msg;
	memset(&msg, 0, sizeof msg);
	msg.msg_name = &sendmsg_addr;
	msg.msg_namelen = sendmsg_len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if ((err = SYS3(SYS_sendmsg, sv[0], &msg, 0)))
		return err;
	int terr = SYS6(SYS_recvfrom, o->fd, buf, sizeof buf, MSG_DONTWAIT, 0, 0);
	int perr = SYS6(SYS_recvfrom, sv[1], buf, sizeof buf, MSG_DONTWAIT, 0, 0);
	if (type == SOCK_DGRAM && !terr && perr)
		return 0;
	if (type == SOCK_SEQPACKET && terr && !perr)
		return 0;
	snprintf(other_error, sizeof other_error, "arrived at the named socket: %s, at the peer: %s",
	    terr ? "false" : "true", perr ? "false" : "true");
	return OTHER_ERROR;
}

/* clone FLAGS (compat_test's cloneOp) and clone-exec FLAGS MODE NAME
 * (forkExecProbe): a raw clone(FLAGS|SIGCHLD), the child exiting at once
 * or exec'ing the probe (d/x MODE NAME), and the parent waiting for it.
 * Go's os/exec adds CLONE_VM|CLONE_VFORK, which the filter does not
 * check; here the child is a plain fork's. */
static int
clone_fn(struct op *o)
{
	unsigned long flags = strtoul(A(0), 0, 0) | SIGCHLD;
	long pid = syscall(SYS_clone, flags, 0L, 0L, 0L, 0L);
	if (pid < 0)
		return errno;
	if (pid == 0) {
		if (IS("clone"))
			syscall(SYS_exit_group, 0);
		char *argv[] = {"d/x", A(1), A(2), 0};
		extern char **environ;
		execve("d/x", argv, environ);
		syscall(SYS_exit_group, 127);
	}
	int r = wait_child((pid_t)pid);
	if (IS("clone") && r != 0)
		return other("child failed");
	return r;
}

/* pre runs an op's set-up before the sandbox; 0 or an errno. */
static int
pre(struct op *o)
{
	if (IS("then") || IS("expect")) {
		return pre(o->sub[0]);
	}
	if (IS("with-handler")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = handler_ran;
		sigaction(SIGSYS, &sa, 0);
		sigaction(SIGABRT, &sa, 0);
		return pre(o->sub[0]);
	}
	if (IS("early-thread")) {
		int err = pre(o->sub[0]);
		if (err)
			return err;
		if (pipe(o->go) < 0 || pipe(o->done) < 0)
			return errno;
		return pthread_create(&o->thread, 0, early_main, o);
	}
	if (IS("openat-pre") || IS("fchdir-pre")) {
		int err = SYS4(SYS_openat, AT_FDCWD, full(A(0)), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		o->fd = (int)sysret;
		return err;
	}
	if (IS("pre-read")) {
		int err = SYS4(SYS_openat, AT_FDCWD, full(A(0)), O_RDONLY | O_CLOEXEC, 0);
		o->fd = (int)sysret;
		return err;
	}
	if (IS("pty-ioctl")) {
		int err = SYS4(SYS_openat, AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
		if (err)
			return err;
		o->fd2 = (int)sysret;
		int unlock = 0;
		if ((err = SYS3(SYS_ioctl, o->fd2, TIOCSPTLCK, &unlock)))
			return err;
		if ((err = SYS3(SYS_ioctl, o->fd2, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)))
			return err;
		o->fd = (int)sysret;
		return 0;
	}
	if (IS("waiting-probe") || IS("sibling-ptrace") || IS("sibling-sigcont")) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return errno;
		char *pause_args[] = {"pause"};
		char **args = IS("waiting-probe") ? o->args + 2 : pause_args;
		int nargs = IS("waiting-probe") ? o->nargs - 2 : 1;
		/* The probe's stdout goes to our stderr, as in the Go op. */
		int saved = dup(1);
		dup2(2, 1);
		int err = run_program(probe_path, args, nargs, p[0], &o->pid);
		dup2(saved, 1);
		close(saved);
		close(p[0]);
		o->pipe_w = p[1];
		return err;
	}
	if (IS("memfd-exec")) {
		int fd = open(probe_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno;
		struct stat st;
		fstat(fd, &st);
		probe_image = malloc((size_t)st.st_size);
		probe_len = (size_t)read(fd, probe_image, (size_t)st.st_size);
		close(fd);
		return 0;
	}
	if (IS("setns-uts")) {
		int err = SYS4(SYS_openat, AT_FDCWD, "/proc/self/ns/uts", O_RDONLY | O_CLOEXEC, 0);
		o->fd = (int)sysret;
		return err;
	}
	if (IS("open-by-handle")) {
		struct {
			unsigned int handle_bytes;
			int handle_type;
			unsigned char f_handle[128];
		} *h = calloc(1, sizeof *h);
		h->handle_bytes = 128;
		int mount_id;
		int err = SYS5(SYS_name_to_handle_at, AT_FDCWD, full("d/f"), h, &mount_id, 0);
		if (err)
			return err;
		o->mem = h;
		err = SYS4(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		o->fd = (int)sysret;
		return err;
	}
	if (IS("abstract-connect")) {
		int err = SYS3(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (err)
			return err;
		o->fd = (int)sysret;
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		int n = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "landpledge-compat-%d", (int)getpid());
		o->val = n;
		if ((err = SYS3(SYS_bind, o->fd, &sa, 2 + 1 + n)))
			return err;
		return SYS2(SYS_listen, o->fd, 1);
	}
	if (IS("sendmsg"))
		return sendmsg_pre(o);
	return 0;
}

static int
probe(struct op *o)
{
	return run_program(full(A(0)), o->args + 2, o->nargs - 2, -1, 0);
}

static int
with_fd(const char *path, int flags, int *fd)
{
	if (SYS4(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0))
		return -1;
	*fd = (int)sysret;
	return 0;
}

static int
int80_getpid(void)
{
#if defined(__x86_64__)
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	if (r <= 0)
		return (int)-r;
	return 0;
#else
	return ENOSYS;
#endif
}

/* fn runs an op after the sandbox: 0, an errno or a special outcome. */
static int
fn(struct op *o)
{
	int err, fd = -1;
	if (IS("open")) {
		err = SYS4(SYS_openat, AT_FDCWD, full(A(0)), atoi(A(1)) | O_CLOEXEC, 0644);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("unlink"))
		return SYS3(SYS_unlinkat, AT_FDCWD, full(A(0)), 0);
	if (IS("mkdir"))
		return SYS3(SYS_mkdirat, AT_FDCWD, full(A(0)), 0755);
	if (IS("rmdir"))
		return SYS3(SYS_unlinkat, AT_FDCWD, full(A(0)), AT_REMOVEDIR);
	if (IS("rename"))
#ifdef SYS_renameat
		return SYS4(SYS_renameat, AT_FDCWD, full(A(0)), AT_FDCWD, full(A(1)));
#else
		return SYS5(SYS_renameat2, AT_FDCWD, full(A(0)), AT_FDCWD, full(A(1)), 0);
#endif
	if (IS("link"))
		return SYS5(SYS_linkat, AT_FDCWD, full(A(0)), AT_FDCWD, full(A(1)), 0);
	if (IS("symlink"))
		return SYS3(SYS_symlinkat, A(0), AT_FDCWD, full(A(1)));
	if (IS("symlink-abs")) {
		/* A symlink to the fixture's A(0) by its absolute path. */
		char target[4096];
		snprintf(target, sizeof target, "%s/%s", root_path, A(0));
		return SYS3(SYS_symlinkat, target, AT_FDCWD, full(A(1)));
	}
	if (IS("mkfifo"))
		return SYS4(SYS_mknodat, AT_FDCWD, full(A(0)), S_IFIFO | 0644, 0);
	if (IS("truncate"))
		return SYS2(SYS_truncate, full(A(0)), 1);
	if (IS("stat")) {
		struct stat st;
		return SYS4(SYS_newfstatat, AT_FDCWD, full(A(0)), &st, 0);
	}
	if (IS("chmod"))
		return SYS4(SYS_fchmodat, AT_FDCWD, full(A(0)), 0600, 0);
	if (IS("chdir"))
		return SYS1(SYS_chdir, full(A(0)));
	if (IS("access"))
		return SYS3(SYS_faccessat, AT_FDCWD, full(A(0)), atoi(A(1)));
	if (IS("realpath")) {
		char buf[4096];
		return realpath(full(A(0)), buf) ? 0 : errno;
	}
	if (IS("readdir")) {
		if ((err = SYS4(SYS_openat, AT_FDCWD, full(A(0)), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)))
			return err;
		fd = (int)sysret;
		char buf[4096];
		err = SYS3(SYS_getdents64, fd, buf, sizeof buf);
		close(fd);
		return err;
	}
	if (IS("openat")) {
		if (SYS4(SYS_openat, AT_FDCWD, full(A(0)), O_PATH | O_DIRECTORY | O_CLOEXEC, 0))
			return other("setup");
		fd = (int)sysret;
		err = SYS4(SYS_openat, fd, A(1), O_RDONLY | O_CLOEXEC, 0);
		if (!err)
			close((int)sysret);
		close(fd);
		return err;
	}
	if (IS("openat-pre")) {
		err = SYS4(SYS_openat, o->fd, A(1), O_RDONLY | O_CLOEXEC, 0);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("fchdir-pre")) {
		if (SYS1(SYS_fchdir, o->fd))
			return other("fchdir");
		err = SYS4(SYS_openat, AT_FDCWD, A(1), O_RDONLY | O_CLOEXEC, 0);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("chdir-open")) {
		if (SYS1(SYS_chdir, full(A(0))))
			return other("chdir");
		err = SYS4(SYS_openat, AT_FDCWD, A(1), O_RDONLY | O_CLOEXEC, 0);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("pre-read")) {
		char buf[8];
		return SYS4(SYS_pread64, o->fd, buf, sizeof buf, 0);
	}
	if (IS("probe"))
		return probe(o);
	if (IS("waiting-probe")) {
		char c = 1;
		if (write(o->pipe_w, &c, 1) != 1)
			return other("setup");
		return wait_child(o->pid);
	}
	if (IS("unveil"))
		return unveil(full(A(0)), A(1)) == 0 ? 0 : errno;
	if (IS("unveil-block"))
		return unveil(0, 0) == 0 ? 0 : errno;
	if (IS("pledge"))
		return pledge(A(0), 0) == 0 ? 0 : errno;
	if (IS("pledge2"))
		return pledge(A(0), A(1)) == 0 ? 0 : errno;
	if (IS("execpromises"))
		return pledge(0, A(0)) == 0 ? 0 : errno;
	if (IS("socket")) {
		err = SYS3(SYS_socket, atoi(A(0)), atoi(A(1)) | SOCK_CLOEXEC, 0);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("getpid"))
		return SYS0(SYS_getpid) == 0 && sysret > 0 ? 0 : other("bad pid");
	if (IS("kill-parent"))
		return SYS2(SYS_kill, getppid(), 0);
	if (IS("setpgid"))
		return SYS2(SYS_setpgid, 0, 0);
	if (IS("mmap")) {
		err = SYS5(SYS_mmap, 0, 4096, atoi(A(0)), MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (!err)
			munmap((void *)sysret, 4096);
		return err;
	}
	if (IS("setuid-self"))
		return SYS1(SYS_setuid, getuid());
	if (IS("flock")) {
		if (with_fd(full(A(0)), O_RDONLY, &fd))
			return other("setup open");
		err = SYS2(SYS_flock, fd, LOCK_EX);
		close(fd);
		return err;
	}
	if (IS("fcntl-lock")) {
		if (with_fd(full(A(0)), O_RDWR, &fd))
			return other("setup open");
		struct flock lk;
		memset(&lk, 0, sizeof lk);
		lk.l_type = F_WRLCK;
		err = SYS3(SYS_fcntl, fd, F_SETLK, &lk);
		close(fd);
		return err;
	}
	if (IS("utimes")) {
		struct timespec ts[2] = {{1, 0}, {1, 0}};
		return SYS4(SYS_utimensat, AT_FDCWD, full(A(0)), ts, 0);
	}
	if (IS("chown-self"))
		return SYS5(SYS_fchownat, AT_FDCWD, full(A(0)), getuid(), getgid(), 0);
	if (IS("pty-ioctl")) {
		if (strcmp(A(0), "TCGETS") == 0) {
			struct termios t;
			return SYS3(SYS_ioctl, o->fd, TCGETS, &t);
		}
		if (strcmp(A(0), "TIOCGWINSZ") == 0) {
			struct winsize w;
			return SYS3(SYS_ioctl, o->fd, TIOCGWINSZ, &w);
		}
		if (strcmp(A(0), "TIOCSWINSZ") == 0) {
			struct winsize w = {24, 80, 0, 0};
			return SYS3(SYS_ioctl, o->fd, TIOCSWINSZ, &w);
		}
		if (strcmp(A(0), "FIONREAD") == 0) {
			int n;
			return SYS3(SYS_ioctl, o->fd, FIONREAD, &n);
		}
		if (strcmp(A(0), "TIOCSTI") == 0) {
			char c = 'x';
			return SYS3(SYS_ioctl, o->fd, TIOCSTI, &c);
		}
		if (strcmp(A(0), "TIOCLINUX") == 0) {
			char sub = 2;
			return SYS3(SYS_ioctl, o->fd, TIOCLINUX, &sub);
		}
		return other("unknown ioctl");
	}
	if (IS("raw") || IS("rawfd")) {
		long a[7];
		for (int i = 0; i < 7; i++)
			a[i] = (long)strtoull(A(i), 0, 0);
		err = sys(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
		if (!err && IS("rawfd"))
			close((int)sysret);
		return err;
	}
	if (IS("sibling-ptrace")) {
		if ((err = SYS4(SYS_ptrace, PTRACE_SEIZE, o->pid, 0, 0)))
			return err;
		if ((err = SYS4(SYS_ptrace, PTRACE_INTERRUPT, o->pid, 0, 0)))
			return other("PTRACE_INTERRUPT");
		int st;
		if (waitpid(o->pid, &st, __WALL) < 0)
			return other("wait");
		return SYS4(SYS_ptrace, PTRACE_DETACH, o->pid, 0, 0);
	}
	if (IS("sibling-sigcont"))
		return SYS2(SYS_kill, o->pid, SIGCONT);
	if (IS("kill-self-sigcont"))
		return SYS2(SYS_kill, getpid(), SIGCONT);
	if (IS("vm-writev-self")) {
		char src[] = "escaped!";
		struct iovec local = {src, 8}, remote = {vmbuf, 8};
		return SYS5(SYS_process_vm_writev, getpid(), &local, 1, &remote, 1);
	}
	if (IS("proc-self-mem")) {
		if ((err = SYS4(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0)))
			return err;
		fd = (int)sysret;
		err = SYS4(SYS_pwrite64, fd, "escaped!", 8, (long)(uintptr_t)vmbuf);
		close(fd);
		return err;
	}
	if (IS("memfd-exec")) {
		if ((err = SYS2(SYS_memfd_create, "probe", MFD_CLOEXEC)))
			return err;
		fd = (int)sysret;
		if (write(fd, probe_image, probe_len) != (ssize_t)probe_len)
			return other("write memfd");
		char *argv[] = {"probe", "report", 0};
		char *envp[] = {0};
		fflush(stdout);
		return SYS5(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	}
	if (IS("io_uring_setup")) {
		static char params[120];
		err = SYS2(SYS_io_uring_setup, 1, params);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("mount-nowhere"))
		return SYS5(SYS_mount, 0, "/nonexistent-compat", 0, MS_REMOUNT, 0);
	if (IS("umount2-nowhere"))
		return SYS2(SYS_umount2, "/nonexistent-compat", 0);
	if (IS("setns-uts"))
		return SYS2(SYS_setns, o->fd, CLONE_NEWUTS);
	if (IS("open-by-handle")) {
		err = SYS3(SYS_open_by_handle_at, o->fd, o->mem, O_RDONLY | O_CLOEXEC);
		if (!err)
			close((int)sysret);
		return err;
	}
	if (IS("abstract-connect")) {
		if (SYS3(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0))
			return other("setup");
		fd = (int)sysret;
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "landpledge-compat-%d", (int)getpid());
		err = SYS3(SYS_connect, fd, &sa, 2 + 1 + o->val);
		close(fd);
		return err;
	}
	if (IS("int80-getpid"))
		return int80_getpid();
	if (IS("sendmsg"))
		return sendmsg_fn(o);
	if (IS("clone") || IS("clone-exec"))
		return clone_fn(o);
	if (IS("then")) {
		err = fn(o->sub[0]);
		if (err)
			return other("first step failed");
		return fn(o->sub[1]);
	}
	if (IS("expect")) {
		err = fn(o->sub[0]);
		if (err > 0 && strcmp(errname(err), A(0)) == 0)
			return 0;
		if (err == 0)
			return other("unexpected success");
		return other("other failure");
	}
	if (IS("with-handler"))
		return fn(o->sub[0]);
	if (IS("early-thread")) {
		char c = 1;
		int r;
		if (write(o->go[1], &c, 1) != 1 || read(o->done[0], &r, sizeof r) != sizeof r)
			return other("thread");
		return r;
	}
	return other("unknown op");
}

int
main(int argc, char **argv)
{
	const char *root = 0;
	int sandboxed = 0, block = 0;
	const char *unveils[64][2];
	int nunveils = 0;
	const char *pledges[8];
	int npledges = 0;
	const char *exec = 0;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			probe_path = argv[++i];
		else if (strcmp(argv[i], "-u") == 0 && i + 2 < argc && nunveils < 64) {
			unveils[nunveils][0] = argv[++i];
			unveils[nunveils++][1] = argv[++i];
		} else if (strcmp(argv[i], "-b") == 0)
			block = 1;
		else if (strcmp(argv[i], "-P") == 0 && i + 1 < argc && npledges < 8)
			pledges[npledges++] = argv[++i];
		else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
			exec = argv[++i];
		else if (strcmp(argv[i], "-s") == 0)
			sandboxed = 1;
		else {
			fprintf(stderr, "cdriver: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!root || i >= argc) {
		fprintf(stderr, "usage: cdriver -r ROOT -p PROBE [sandbox] -- OP...\n");
		return 2;
	}
	words = argv + i + 1;
	nwords = argc - i - 1;
	struct op *o = parse();
	if (at != nwords) {
		fprintf(stderr, "cdriver: %d words left over\n", nwords - at);
		return 2;
	}
	root_path = root;
	int err = chdir(root) == 0 ? 0 : errno;
	if (!err)
		err = pre(o);
	if (err) {
		print_outcome("setup", err);
		return 3;
	}
	if (sandboxed) {
		const char *what = "";
		for (int k = 0; k < nunveils && !err; k++) {
			/* compat_test's Fixture.path: relative to the root unless
			 * absolute or ".". */
			if (unveil(unveils[k][0], unveils[k][1]) == -1) {
				err = errno;
				what = "unveil";
			}
		}
		if (!err && block && unveil(0, 0) == -1) {
			err = errno;
			what = "unveil block";
		}
		for (int k = 0; k < npledges && !err; k++) {
			if (pledge(pledges[k], exec) == -1) {
				err = errno;
				what = "pledge";
			}
		}
		if (err) {
			print_outcome("setup", err);
			fprintf(stderr, "setup: %s: %s\n", what, strerror(err));
			return 3;
		}
	}
	print_outcome("op", fn(o));
	return 0;
}
