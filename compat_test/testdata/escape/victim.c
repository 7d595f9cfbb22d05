/*
 * victim.c: an ordinary program that needs libevil.so (DT_NEEDED, by
 * absolute path), whose constructor attacks during the start-up window.
 * main() runs after the entry point and, per ESC_MODE:
 *
 *   relabel-main  makes the attempts itself, under the constructor's filter
 *   audit         re-execs itself with LD_AUDIT=ESC_AUDIT
 *   preload       copies the bytes of fd ESC_SO_FD into a memfd
 *                 (MFD_NOEXEC_SEAL) and re-execs itself with
 *                 LD_PRELOAD=/proc/self/fd/N
 *   chain         re-execs itself argv[1] times, counting down
 *
 * otherwise it prints "main ran". A re-exec'd image gets argv[1] "2"
 * (audit, preload) and prints "second image ran".
 */
#include "esc.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

void evil_linked(void);

extern char **environ;

/* reexec execs /proc/self/exe with arg and environ plus extra (or NULL). */
static int reexec(const char *argv0, const char *arg, const char *extra)
{
	int n = 0;
	while (environ[n])
		n++;
	char **env = calloc((size_t)n + 2, sizeof *env);
	if (!env)
		return -1;
	for (int i = 0; i < n; i++)
		env[i] = environ[i];
	env[n] = (char *)extra;
	char *argv[] = {(char *)argv0, (char *)arg, NULL};
	long r = syscall(SYS_execve, "/proc/self/exe", argv, env);
	report("main", "execve", r);
	return 1;
}

static int preload(char *argv0)
{
	int in = envint("ESC_SO_FD", 0);
	int fd = (int)syscall(SYS_memfd_create, "preload", MFD_NOEXEC_SEAL);
	report("first image", "memfd", fd);
	if (fd < 0)
		return 1;
	char buf[65536];
	long n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	char env[64];
	snprintf(env, sizeof env, "LD_PRELOAD=/proc/self/fd/%d", fd);
	return reexec(argv0, "2", env);
}

int main(int argc, char **argv)
{
	evil_linked();
	int second = argc > 1 && strcmp(argv[1], "2") == 0;
	if (mode_is("relabel-main")) {
		attempts("main");
	} else if (mode_is("audit") && !second) {
		static char env[4096 + 16];
		snprintf(env, sizeof env, "LD_AUDIT=%s", getenv("ESC_AUDIT"));
		say("first image");
		return reexec(argv[0], "2", env);
	} else if (mode_is("preload") && !second) {
		return preload(argv[0]);
	} else if (mode_is("chain")) {
		int n = argc > 1 ? atoi(argv[1]) : 0;
		if (n > 0) {
			char next[16];
			snprintf(next, sizeof next, "%d", n - 1);
			return reexec(argv[0], next, NULL);
		}
		say("chain done");
		return 0;
	}
	say(second ? "second image ran" : "main ran");
	return 0;
}
