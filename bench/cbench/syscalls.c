/*
 * syscalls: times one operation per loop, ITER times, and prints
 * "op ns/op" lines. Static, so that every launcher runs the same code
 * and no loader is measured. Used by bench/peers (go run ./peers).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define TIME(name, body)                                                  \
	do {                                                              \
		double t0 = now();                                        \
		for (long i = 0; i < iter; i++) {                         \
			body;                                             \
		}                                                         \
		printf("%s %.1f\n", name, (now() - t0) / iter);            \
	} while (0)

int main(int argc, char **argv)
{
	long iter = argc > 1 ? atol(argv[1]) : 200000;
	const char *file = argc > 2 ? argv[2] : "/etc/hostname";
	int zero = open("/dev/zero", O_RDONLY);
	int p[2];
	char c;
	int n;
	if (zero < 0 || pipe(p) < 0)
		return 2;
	TIME("getppid", getppid());
	TIME("read", read(zero, &c, 1));
	TIME("fcntl(F_GETFL)", fcntl(zero, F_GETFL));
	TIME("ioctl(FIONREAD)", ioctl(p[0], FIONREAD, &n));
	TIME("openat+close", close(openat(AT_FDCWD, file, O_RDONLY)));
	TIME("mmap+munmap", munmap(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 4096));
	return 0;
}
