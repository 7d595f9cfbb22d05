/*
 * hello: the program the regress suite execs from a pledged process,
 * linked dynamically (hello-dyn) and statically (hello-static). It writes
 * one line, then tries a socket: its exit status is 0 when the socket
 * opened, 1 when it failed; under promises without "inet" it is killed.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static const char msg[] = "hello\n";
	if (write(1, msg, sizeof msg - 1) != sizeof msg - 1)
		return 2;
	if (argc > 1)
		return 0; /* "hello quiet": no socket */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	return s < 0;
}
