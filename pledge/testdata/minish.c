/*
 * minish.c: a shell in miniature for broker_test.go: fork, exec, a pipe
 * between two exec'd children, wait, and what each child's status was.
 * Run plainly and under a pledge with execpromises, its output must be the
 * same.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void status(const char *name, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit=%d\n", name, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: signal=%d\n", name, WTERMSIG(st));
	else
		printf("%s: status=%#x\n", name, st);
}

/* run forks argv with stdin in and stdout out (-1: as they are). */
static pid_t run(char *const argv[], int in, int out, int closefd)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0)
			dup2(out, 1);
		if (closefd >= 0)
			close(closefd);
		if (in > 2)
			close(in);
		if (out > 2)
			close(out);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* producer | consumer, the consumer's output read back here. */
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0)
		return 1;
	char *const producer[] = {"/bin/sh", "-c", "printf 'a\\nc\\nb\\n'; exit 4", NULL};
	char *const consumer[] = {"/usr/bin/sort", "-r", NULL};
	pid_t a = run(producer, -1, p[1], p[0]);
	close(p[1]);
	pid_t b = run(consumer, p[0], q[1], q[0]);
	close(p[0]);
	close(q[1]);
	int st;
	waitpid(a, &st, 0);
	status("producer", st);
	char buf[256];
	ssize_t n, got = 0;
	while ((n = read(q[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		printf("consumer out: %s\n", l);
	waitpid(b, &st, 0);
	status("consumer", st);
	char *const three[] = {"/bin/sh", "-c", "exit 3", NULL};
	waitpid(run(three, -1, -1, -1), &st, 0);
	status("exit3", st);
	char *const term[] = {"/bin/sh", "-c", "kill -TERM $$", NULL};
	waitpid(run(term, -1, -1, -1), &st, 0);
	status("term", st);
	return 0;
}
