/*
 * probe: a static, libc-free program that the compat tests execute inside a
 * sandbox. Being static and libc-free it needs no loader, no libraries and no
 * file access to start, so an exec of it shows only what the sandbox does to
 * the one operation named by argv[1].
 *
 * Exit status: 0 success; 1..99 the errno of the failing call; 100+N a child
 * it waited for was killed by signal N (so a grandchild's SIGSYS travels up).
 *
 * Built by the tests: gcc -static -nostdlib -O1 -fno-stack-protector.
 */
#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_socket 41
#define SYS_fork 57
#define SYS_exit 60
#define SYS_wait4 61
#define SYS_clone 56
#define SYS_clone3 435
#define SYS_exit_group 231
#define AF_INET 2
#define SOCK_STREAM 1
#define SIGCHLD 17
#define CLONE_NEWUSER 0x10000000

static long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}
#define sc(n, a, b, c) sc6(n, a, b, c, 0, 0, 0)

static void quit(long code)
{
	for (;;)
		sc(SYS_exit_group, code, 0, 0);
}

/* result maps a raw syscall return to the exit status described above. */
static long result(long r) { return r < 0 ? -r : 0; }

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* reap waits for pid and turns its status into ours. */
static long reap(long pid)
{
	int st = 0;
	if (pid < 0)
		return -pid;
	long r = sc6(SYS_wait4, pid, (long)&st, 0, 0, 0, 0);
	if (r < 0)
		return -r;
	if ((st & 0x7f) != 0)
		return 100 + (st & 0x7f); /* killed by a signal */
	return (st >> 8) & 0xff;
}

static long op(const char *mode, char **argv)
{
	if (eq(mode, "exit"))
		return 0;
	if (eq(mode, "report")) {
		/* Used by memfd+execveat: the exec'd image itself reports success. */
		static const char msg[] = "sandboxtest: op=ok\n";
		sc(SYS_write, 1, (long)msg, sizeof msg - 1);
		return 0;
	}
	if (eq(mode, "socket"))
		return result(sc(SYS_socket, AF_INET, SOCK_STREAM, 0));
	if (eq(mode, "open"))
		return result(sc(SYS_open, (long)argv[2], 0, 0));
	if (eq(mode, "wait-socket")) {
		/* Started before the sandbox: block until told, then try. */
		char c;
		sc(SYS_read, 0, (long)&c, 1);
		return result(sc(SYS_socket, AF_INET, SOCK_STREAM, 0));
	}
	if (eq(mode, "wait-open")) {
		char c;
		sc(SYS_read, 0, (long)&c, 1);
		return result(sc(SYS_open, (long)argv[2], 0, 0));
	}
	if (eq(mode, "pause")) {
		char c;
		while (sc(SYS_read, 0, (long)&c, 1) > 0)
			;
		return 0;
	}
	if (eq(mode, "tree")) {
		/* child and grandchild, both forked here (after any sandbox of ours) */
		long pid = sc(SYS_fork, 0, 0, 0);
		if (pid == 0) {
			long gpid = sc(SYS_fork, 0, 0, 0);
			if (gpid == 0)
				quit(result(sc(SYS_socket, AF_INET, SOCK_STREAM, 0)));
			quit(reap(gpid));
		}
		return reap(pid);
	}
	if (eq(mode, "clone-newuser")) {
		long pid = sc6(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0, 0);
		if (pid == 0)
			quit(0);
		return reap(pid);
	}
	if (eq(mode, "clone3-newuser")) {
		/* struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, ... */
		unsigned long args[11] = {0};
		args[0] = CLONE_NEWUSER;
		args[4] = SIGCHLD;
		long pid = sc(SYS_clone3, (long)args, sizeof args, 0);
		if (pid == 0)
			quit(0);
		return reap(pid);
	}
	return 99;
}

__attribute__((used)) static void cmain(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	quit(argc < 2 ? 98 : op(argv[1], argv));
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall cmain\n\thlt\n");
