/*
 * ctrace: the floor of a ptrace supervisor written in C, for
 * docs/command.md's start-up analysis: it starts argv[1] under
 * PTRACE_TRACEME, sets the options the pledge command sets, and continues
 * every stop until the program ends. No sandbox, no planning.
 *
 *	gcc -O2 -o /tmp/ctrace bench/tracefloor/ctrace/ctrace.ctrace.c
 *	hyperfine -N '/tmp/ctrace /bin/true' 'go run ./tracefloor /bin/true' ...
 */
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
int main(int argc, char **argv) {
	pid_t p = fork();
	if (p == 0) { ptrace(PTRACE_TRACEME, 0, 0, 0); execv(argv[1], argv + 1); _exit(127); }
	int st;
	waitpid(p, &st, 0);
	ptrace(PTRACE_SETOPTIONS, p, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP);
	ptrace(PTRACE_CONT, p, 0, 0);
	for (;;) {
		if (waitpid(p, &st, __WALL) < 0) return 1;
		if (WIFEXITED(st)) return WEXITSTATUS(st);
		if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
		ptrace(PTRACE_CONT, p, 0, 0);
	}
}
