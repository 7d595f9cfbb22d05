/* A dynamically linked test target for the pledge command: it performs
 * the operation named by argv[1] once and prints
 * "sandboxtest: <op>=<OUTCOME>" (OUTCOME "ok" or the errno name). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *op, int failed) {
	printf("sandboxtest: %s=%s\n", op, failed ? strerrorname_np(errno) : "ok");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	const char *op = argv[1], *arg = argc > 2 ? argv[2] : "";
	if (!strcmp(op, "open")) {
		int fd = open(arg, O_RDONLY);
		return report(op, fd < 0);
	}
	if (!strcmp(op, "write")) {
		int fd = open(arg, O_WRONLY);
		return report(op, fd < 0);
	}
	if (!strcmp(op, "mmapexec")) {
		void *p = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return report(op, p == MAP_FAILED);
	}
	if (!strcmp(op, "exec")) {
		char *const av[] = {(char *)arg, 0};
		execv(arg, av);
		return report(op, 1);
	}
	if (!strcmp(op, "socket")) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		return report(op, fd < 0);
	}
	if (!strcmp(op, "fork")) {
		pid_t pid = fork();
		if (pid == 0) _exit(0);
		if (pid > 0) waitpid(pid, 0, 0);
		return report(op, pid < 0);
	}
	return 2;
}
