// loadfilter loads the seccomp-BPF program in the file argv[1] (an array of
// struct sock_filter, as pledge.BuildFilter compiles it), then calls getpid:
// exit 5 if it failed with ENOSYS, 6 if it returned; a kill ends it first.
// A C program, so that no runtime thread runs between the load and the exit.
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	static struct sock_filter insns[4096];
	if (argc != 2) return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) { perror(argv[1]); return 2; }
	ssize_t n = read(fd, insns, sizeof insns);
	close(fd);
	if (n <= 0 || n % sizeof insns[0]) { fprintf(stderr, "bad filter file\n"); return 2; }
	struct sock_fprog prog = { .len = n / sizeof insns[0], .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("prctl"); return 2; }
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 2; }
	if (syscall(SYS_getpid) == -1 && errno == ENOSYS) _exit(5);
	_exit(6);
}
