/* survive.c: what a glibc or musl C program does at start-up and in common
 * library calls. The pledge tests exec it from a pledged Go child, so it
 * runs under the inherited filter; each step prints "step=ok" (or the errno)
 * before the next, so a SIGSYS kill shows how far it got. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_statx
#define SYS_statx 332
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_membarrier
#define SYS_membarrier 324
#endif
#ifndef SYS_getrandom
#define SYS_getrandom 318
#endif

static void step(const char *name, long r) {
	if (r < 0)
		printf("sandboxtest: %s=errno%d\n", name, errno);
	else
		printf("sandboxtest: %s=ok\n", name);
}

static void *worker(void *arg) {
	char *p = malloc(4096);
	memset(p, 1, 4096);
	free(p);
	return arg;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);

	char *big = malloc(8 << 20); /* mmap */
	memset(big, 1, 8 << 20);
	free(big);
	step("malloc", 0);

	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			step("pthread_create", -1);
			return 1;
		}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	step("pthread", 0);

	struct timespec ts = {0, 1000000};
	step("clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) == 0 ? 0 : -1);
	step("clock_gettime", clock_gettime(CLOCK_REALTIME, &ts));

	char buf[16];
	step("getrandom", syscall(SYS_getrandom, buf, sizeof buf, 0));

	struct stat st;
	step("fstat", fstat(1, &st));
	char stx[256];
	step("statx", syscall(SYS_statx, 1, "", AT_EMPTY_PATH, 0x7ff, stx));
	step("close_range", syscall(SYS_close_range, 100, ~0U, 0));

	struct rlimit rl;
	step("getrlimit", getrlimit(RLIMIT_NOFILE, &rl));
	step("membarrier", syscall(SYS_membarrier, 0 /* MEMBARRIER_CMD_QUERY */, 0, 0));
	step("getpid", getpid());
	step("time", (long)time(NULL));
	return 0;
}
