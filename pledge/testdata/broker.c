/*
 * broker.c: the C program of broker_test.go, exec'd by a pledged Go
 * child; what it does is argv[1]:
 *
 *   net-file FILE   a TCP connection to itself over 127.0.0.1 (listen,
 *                   connect, accept, one byte each way), then FILE created
 *                   and written: "net=ok", "file=ok" or the errno
 *   read-net FILE   FILE read ("read=ok" or the errno), then a TCP socket
 *                   ("socket=ok" or the errno, or killed)
 *   read FILE       FILE read, exit 0 or the errno
 *   sigwait         "ready", then waits; SIGTERM prints "term" and exits
 *                   3, a sigqueue'd SIGUSR1 prints its si_code and value
 *   close-wait      closes its stdout, then reads its stdin to EOF
 *   chain N CODE    execs itself with N-1 until 0, then exits CODE
 *   exit CODE       exits CODE
 *   tstp            "started", then reads a line and prints it ("got
 *                   LINE"): a job a terminal stops and continues
 *   euid            prints its effective uid (installed set-user-ID)
 *   ids             prints its pid and parent pid, then reads its stdin
 *                   to EOF
 *   fds             prints its open descriptors ("fds=0,1,2")
 *   rt              blocks SIGRTMIN and SIGRTMIN+2, "ready", waits for
 *                   SIGRTMIN+2, then unblocks SIGRTMIN and prints how
 *                   many were queued ("count=N")
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOSYS: return "ENOSYS";
	default: return strerror(e);
	}
}

static int net(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return errno;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &n) < 0)
		return errno;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0)
		return errno;
	int s = accept(l, NULL, NULL);
	char b = 'x';
	if (s < 0 || write(c, &b, 1) != 1 || read(s, &b, 1) != 1 || write(s, &b, 1) != 1 || read(c, &b, 1) != 1)
		return errno ? errno : EIO;
	close(s);
	close(c);
	close(l);
	return 0;
}

static int readfile(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	char b[64];
	if (read(fd, b, sizeof b) < 0)
		return errno;
	close(fd);
	return 0;
}

static int writefile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	if (write(fd, "written\n", 8) != 8)
		return errno;
	close(fd);
	return 0;
}

static void term(int sig)
{
	(void)sig;
	write(1, "term\n", 5);
	_exit(3);
}

static volatile sig_atomic_t rtcount;

static void rt(int sig)
{
	(void)sig;
	rtcount++;
}

static void usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	char b[64];
	int n = snprintf(b, sizeof b, "usr1 code=%d value=%d\n", si->si_code, si->si_value.sival_int);
	write(1, b, (size_t)n);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "net-file") && argc > 2) {
		printf("net=%s\n", ename(net()));
		printf("file=%s\n", ename(writefile(argv[2])));
		return 0;
	}
	if (!strcmp(mode, "read-net") && argc > 2) {
		printf("read=%s\n", ename(readfile(argv[2])));
		int s = socket(AF_INET, SOCK_STREAM, 0);
		printf("socket=%s\n", ename(s < 0 ? errno : 0));
		return 0;
	}
	if (!strcmp(mode, "read") && argc > 2)
		return readfile(argv[2]);
	if (!strcmp(mode, "sigwait")) {
		signal(SIGTERM, term);
		struct sigaction sa = {.sa_sigaction = usr1, .sa_flags = SA_SIGINFO};
		sigaction(SIGUSR1, &sa, NULL);
		printf("ready\n");
		for (;;)
			pause();
	}
	if (!strcmp(mode, "close-wait")) {
		close(1);
		char b[64];
		while (read(0, b, sizeof b) > 0)
			;
		return 0;
	}
	if (!strcmp(mode, "chain") && argc > 3) {
		int n = atoi(argv[2]);
		if (n <= 0)
			return atoi(argv[3]);
		char next[16];
		snprintf(next, sizeof next, "%d", n - 1);
		char *av[] = {argv[0], "chain", next, argv[3], NULL};
		execv("/proc/self/exe", av);
		return 100 + errno;
	}
	if (!strcmp(mode, "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(mode, "rt")) {
		sigset_t set, last;
		sigemptyset(&set);
		sigaddset(&set, SIGRTMIN);
		sigaddset(&set, SIGRTMIN + 2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		signal(SIGRTMIN, rt);
		printf("ready\n");
		sigemptyset(&last);
		sigaddset(&last, SIGRTMIN + 2);
		sigwaitinfo(&last, NULL);
		sigdelset(&set, SIGRTMIN + 2);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		printf("count=%d\n", (int)rtcount);
		return 0;
	}
	if (!strcmp(mode, "fds")) {
		DIR *d = opendir("/proc/self/fd");
		int own = d ? dirfd(d) : -1;
		char seen[1024] = {0};
		for (struct dirent *e; d && (e = readdir(d));) {
			int fd = atoi(e->d_name);
			if (e->d_name[0] != '.' && fd != own && fd >= 0 && fd < (int)sizeof seen)
				seen[fd] = 1;
		}
		printf("fds=");
		for (int fd = 0, first = 1; fd < (int)sizeof seen; fd++)
			if (seen[fd]) {
				printf(first ? "%d" : ",%d", fd);
				first = 0;
			}
		printf("\n");
		return 0;
	}
	if (!strcmp(mode, "ids")) {
		char b[64];
		printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
		while (read(0, b, sizeof b) > 0)
			;
		return 0;
	}
	if (!strcmp(mode, "euid")) {
		printf("euid=%d\n", (int)geteuid());
		return 0;
	}
	if (!strcmp(mode, "tstp")) {
		char line[64];
		printf("started\n");
		if (!fgets(line, sizeof line, stdin))
			return 1;
		line[strcspn(line, "\r\n")] = 0;
		printf("got %s\n", line);
		return 0;
	}
	fprintf(stderr, "broker: bad arguments\n");
	return 99;
}
