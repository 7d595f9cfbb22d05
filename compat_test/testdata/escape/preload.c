/*
 * preload.c: the attacker's bytes handed to the victim, which loads them
 * with LD_PRELOAD from a memfd. Its constructor runs in the start-up
 * window of the second image: it relabels socket and connect (ESC_TAG)
 * and connects to the test's listener (ESC_CONNECT), and reads ESC_SECRET
 * when set.
 */
#include "esc.h"

__attribute__((constructor)) static void preload_ctor(void)
{
	static const int nrs[] = {SYS_socket, SYS_connect};
	say("preload ran");
	if (getenv("ESC_SECRET"))
		open_secret("preload");
	if (!getenv("ESC_CONNECT"))
		return;
	report_relabel("preload", relabel(nrs, 2));
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	report("preload", "socket", fd);
	struct sockaddr_in a = loopback(envint("ESC_CONNECT", 0));
	report("preload", "connect", syscall(SYS_connect, fd, &a, sizeof a));
}
