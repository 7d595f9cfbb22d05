/*
 * floor [-run] PROGRAM ARGS...: loads a minimal seccomp filter and execs
 * PROGRAM. Used by bench/peers (go run ./peers).
 *
 * Without -run the filter is one ALLOW: the kernel sees that its answer
 * never depends on a call's arguments and caches ALLOW for every syscall
 * (kernel/seccomp.c, seccomp_cache_prepare, Linux 5.11), so the filter is
 * never run: the floor of any syscall a filter allows whatever its
 * arguments. With -run it loads argument 0 before the ALLOW, which the
 * cache cannot see through, so the kernel runs it on every call: the
 * floor of any syscall whose arguments a filter checks (fcntl, ioctl,
 * mmap, openat's flags).
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = 1, .filter = &insns[1]};
	if (argc > 1 && strcmp(argv[1], "-run") == 0) {
		prog.len = 2;
		prog.filter = insns;
		argv++;
		argc--;
	}
	if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return 2;
	execv(argv[1], argv + 1);
	return 3;
}
