/*
 * probed: the program probe.so is tested on, linked dynamically against
 * libpledge.so as a real program is. It runs its arguments in order:
 *
 *	p=PROMISES   pledge(PROMISES, NULL); exit 3 if it fails
 *	fork         the next steps run in a child; the parent waits for it
 *	             and prints how it ended ("child: exit 0", "child: SIGSYS")
 *	exit         exit(0)     (also the end of the arguments: return 0)
 *	_exit        _exit(0)
 *
 * It never makes a call its own pledges forbid.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pledge.h"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "p=", 2) == 0) {
			if (pledge(a + 2, NULL) == -1)
				exit(3);
		} else if (strcmp(a, "fork") == 0) {
			fflush(stdout);
			pid_t p = fork();
			if (p < 0)
				exit(4);
			if (p == 0)
				continue;
			int st;
			if (waitpid(p, &st, 0) < 0)
				exit(5);
			if (WIFSIGNALED(st))
				printf("child: %s\n", WTERMSIG(st) == SIGSYS ? "SIGSYS" : "signal");
			else
				printf("child: exit %d\n", WEXITSTATUS(st));
			return 0;
		} else if (strcmp(a, "exit") == 0) {
			exit(0);
		} else if (strcmp(a, "_exit") == 0) {
			_exit(0);
		} else {
			exit(2);
		}
	}
	return 0;
}
