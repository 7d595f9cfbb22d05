/*
 * named: uses one of OpenBSD's named paths the way libc does, chosen by
 * argv[1], and prints "sandboxtest: MODE=RESULT" (ok, or the errno name,
 * or what it found). Run exec'd under pledge by the path promise tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

static void report(const char *mode, const char *what) { printf("sandboxtest: %s=%s\n", mode, what); }

static void report_errno(const char *mode, int e)
{
	report(mode, e == 0 ? "ok" : strerrorname_np(e));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "devnull") == 0) {
		int fd = open("/dev/null", O_RDWR);
		report_errno(mode, fd < 0 ? errno : 0);
	} else if (strcmp(mode, "localtime") == 0) {
		/* tzset reads /usr/share/zoneinfo/Europe/Berlin; a failure
		 * leaves UTC, whose name is "UTC". */
		char buf[16];
		time_t winter = 1704067200; /* 2024-01-01 00:00 UTC */
		setenv("TZ", "Europe/Berlin", 1);
		tzset();
		strftime(buf, sizeof buf, "%Z%H", localtime(&winter));
		report(mode, buf);
	} else if (strcmp(mode, "getpwnam") == 0) {
		struct passwd *pw = getpwnam("root");
		report(mode, pw != NULL && pw->pw_uid == 0 ? "ok" : "missing");
	} else if (strcmp(mode, "hosts") == 0) {
		struct addrinfo hints = {.ai_family = AF_INET}, *res;
		char addr[INET_ADDRSTRLEN] = "";
		int e = getaddrinfo("localhost", NULL, &hints, &res);
		if (e == 0)
			inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
		report(mode, e == 0 ? addr : gai_strerror(e));
	} else if (strcmp(mode, "shadow") == 0) {
		int fd = open("/etc/shadow", O_RDONLY);
		report_errno(mode, fd < 0 ? errno : 0);
	} else {
		return 99;
	}
	return 0;
}
