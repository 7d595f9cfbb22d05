/*
 * bench: libpledge's measurements, for bench_test.go.
 *
 *	bench pledge N          N children each time pledge("stdio rpath", NULL)
 *	bench unveil N          N children each time unveil("/etc", "r"),
 *	                        unveil("/usr/share", "r") and unveil(NULL, NULL)
 *	bench build N           building and compiling the filter of "stdio
 *	                        rpath" N times in this process (what pledge()
 *	                        does before loading it, warm)
 *	bench syscalls PROG ROUNDS ITERS
 *	                        allowed syscalls under libpledge's filter for
 *	                        "stdio rpath" and under PROG (a program file of
 *	                        struct sock_filter, the Go library's filter for
 *	                        the same promises), and under none, children
 *	                        interleaved round by round
 *
 * It prints "name ns" lines: one per child for pledge/unveil, one per
 * child and syscall for syscalls (nanoseconds per call).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "pledge.h"
#include "src/lpl.h"

static uint64_t
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* in_child runs fn in a child, which writes its result lines to our
 * stdout. */
static void
in_child(void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: child ended with status %#x\n", st);
		exit(1);
	}
}

static void
time_pledge(void *arg)
{
	uint64_t t0 = now();
	int r = pledge("stdio rpath", NULL);
	uint64_t t1 = now();
	if (r != 0)
		exit(2);
	printf("pledge %llu\n", (unsigned long long)(t1 - t0));
}

static void
time_unveil(void *arg)
{
	uint64_t t0 = now();
	int r = unveil("/etc", "r");
	if (r == 0)
		r = unveil("/usr/share", "r");
	if (r == 0)
		r = unveil(NULL, NULL);
	uint64_t t1 = now();
	if (r != 0)
		exit(2);
	printf("unveil-commit %llu\n", (unsigned long long)(t1 - t0));
}

static struct {
	unsigned short len;
	unsigned char *filter;
} goprog;
static int iters;

static void
loops(const char *impl)
{
	char buf[64];
	int fd = open("/etc/passwd", O_RDONLY);
	int n;
	uint64_t t0 = now();
	for (int i = 0; i < iters; i++)
		syscall(SYS_getppid);
	uint64_t t1 = now();
	for (int i = 0; i < iters; i++)
		ioctl(fd, FIONREAD, &n);
	uint64_t t2 = now();
	for (int i = 0; i < iters; i++)
		close(openat(AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC));
	uint64_t t3 = now();
	for (int i = 0; i < iters; i++)
		pread(fd, buf, sizeof buf, 0);
	uint64_t t4 = now();
	printf("getppid-%s %.1f\n", impl, (double)(t1 - t0) / iters);
	printf("ioctl-%s %.1f\n", impl, (double)(t2 - t1) / iters);
	printf("openat-%s %.1f\n", impl, (double)(t3 - t2) / iters);
	printf("pread-%s %.1f\n", impl, (double)(t4 - t3) / iters);
}

static void
run_c(void *arg)
{
	if (pledge("stdio rpath", NULL) != 0)
		exit(2);
	loops("C");
}

static void
run_go(void *arg)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, 1, 1 /* TSYNC */, &goprog) != 0)
		exit(2);
	loops("Go");
}

static void
run_none(void *arg)
{
	loops("none");
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "pledge") == 0) {
		for (int i = atoi(argv[2]); i > 0; i--)
			in_child(time_pledge, 0);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "unveil") == 0) {
		for (int i = atoi(argv[2]); i > 0; i--)
			in_child(time_unveil, 0);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "build") == 0) {
		static struct lpl_filter f;
		static struct lpl_insn prog[4096];
		uint64_t set;
		lpl_parse_promises("stdio rpath", &set);
		struct lpl_filter_opts o = {0, 0, (uint32_t)getpid(), 1}; /* with a path layer, as pledge() builds it */
		int n = atoi(argv[2]);
		unsigned len = 0;
		uint64_t t0 = now();
		for (int i = 0; i < n; i++) {
			if (lpl_build_filter(&f, lpl_native_table(), set, &o) || lpl_compile(&f, prog, 4096, &len))
				return 1;
		}
		uint64_t t1 = now();
		printf("build+compile %.0f\n", (double)(t1 - t0) / n);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "syscalls") == 0) {
		int fd = open(argv[2], O_RDONLY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0 || st.st_size % 8 != 0)
			return 1;
		goprog.filter = malloc((size_t)st.st_size);
		if (read(fd, goprog.filter, (size_t)st.st_size) != st.st_size)
			return 1;
		goprog.len = (unsigned short)(st.st_size / 8);
		iters = atoi(argv[4]);
		for (int r = atoi(argv[3]); r > 0; r--) {
			in_child(run_none, 0);
			in_child(run_c, 0);
			in_child(run_go, 0);
		}
		return 0;
	}
	fprintf(stderr, "usage: bench pledge N | unveil N | syscalls PROG ROUNDS ITERS\n");
	return 2;
}
