/*
 * The fork-per-case harness of regress.c and programs.c, as OpenBSD's
 * regress does it: each case runs in a child of its own (pledging is
 * irreversible), its stdout goes to a pipe, and the case passes when it
 * ends as its table says and printed no "FAIL" line. The verdict line is
 * what sandboxtest reads ("sandboxtest: NAME=ok" or "=FAIL(...)").
 */
#ifndef LPL_CASELIB_H
#define LPL_CASELIB_H

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

struct lpl_case {
	const char *name;
	void (*fn)(void);
	const char *ends; /* how the child ends: "exit 0", "SIGSYS", ... */
};

static int failures;      /* the FAIL lines of the running case */
static char helpers[512]; /* the directory of this program and its helpers */

/* check compares an outcome (0 or an errno) with the wanted name. */
static void
check(int line, const char *what, int got, const char *want)
{
	if (strcmp(errname(got), want) == 0)
		return;
	printf("FAIL line %d: %s: got %s, want %s\n", line, what, errname(got), want);
	failures++;
}

#define RET(expr) ((expr) == -1 ? errno : 0)
/* CHECK: a call returning -1 and errno on failure. */
#define CHECK(call, want) check(__LINE__, #call, RET(call), want)
#define MUST(call)                                                         \
	do {                                                               \
		if ((call) == -1) {                                        \
			printf("FAIL line %d: %s: %s\n", __LINE__, #call, strerror(errno)); \
			_exit(1);                                          \
		}                                                          \
	} while (0)

static char *
path(const char *a, const char *b)
{
	static char bufs[8][1200];
	static int n;
	char *p = bufs[n++ % 8];
	snprintf(p, sizeof bufs[0], "%s/%s", a, b);
	return p;
}

/* status describes a wait status as the cases expect it. */
static const char *
status(int st)
{
	static char buf[64];
	if (WIFSIGNALED(st)) {
		snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
		if (WTERMSIG(st) == SIGSYS)
			return "SIGSYS";
		if (WTERMSIG(st) == SIGINT)
			return "SIGINT";
		return buf;
	}
	snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
	return buf;
}

#define CHECK_STATUS(got, want)                                             \
	do {                                                                \
		const char *g_ = (got);                                     \
		if (strcmp(g_, (want)) != 0) {                              \
			printf("FAIL line %d: %s: ended with %s, want %s\n", __LINE__, #got, g_, (want)); \
			failures++;                                         \
		}                                                           \
	} while (0)

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm_tree removes dir and everything below it. */
static void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * run_in_child runs c in a child (in directory dir unless NULL), prints
 * its verdict line and returns 0 when it passed. cleanup, if not NULL,
 * runs once the child has ended (the fixture's removal).
 */
static int
run_in_child(const struct lpl_case *c, const char *dir, void (*cleanup)(void))
{
	int out[2];
	if (pipe(out) < 0)
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(out[0]);
		dup2(out[1], 1);
		close(out[1]);
		setvbuf(stdout, NULL, _IONBF, 0);
		if (dir && chdir(dir) < 0)
			_exit(1);
		failures = 0;
		c->fn();
		_exit(failures ? 1 : 0);
	}
	close(out[1]);
	char buf[8192];
	size_t n = 0;
	for (ssize_t r; (r = read(out[0], buf + n, sizeof buf - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = 0;
	close(out[0]);
	int st;
	waitpid(pid, &st, 0);
	if (cleanup)
		cleanup();

	const char *ended = status(st);
	if (!strstr(buf, "FAIL") && strcmp(ended, c->ends) == 0) {
		printf("sandboxtest: %s=ok\n", c->name);
		return 0;
	}
	for (char *p = buf; *p; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	printf("sandboxtest: %s=FAIL(ended with %s, want %s; %s)\n", c->name, ended, c->ends, buf);
	return 1;
}

/* set_helpers: the helpers are next to this program (argv[0]). */
static void
set_helpers(const char *argv0)
{
	snprintf(helpers, sizeof helpers, "%s", argv0);
	char *slash = strrchr(helpers, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(helpers, ".");
}

/*
 * cases_main is main's case loop: -l lists the cases, no argument runs
 * them all, names run those; 2 when a name matches nothing.
 */
static int
cases_main(const char *prog, int argc, char **argv, const struct lpl_case *cases, size_t ncases,
    int (*run)(const struct lpl_case *))
{
	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		for (size_t i = 0; i < ncases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	int bad = 0, ran = 0;
	for (size_t i = 0; i < ncases; i++) {
		int want = argc == 1;
		for (int k = 1; k < argc; k++)
			want |= strcmp(argv[k], cases[i].name) == 0;
		if (!want)
			continue;
		ran++;
		bad += run(&cases[i]);
	}
	if (ran == 0) {
		fprintf(stderr, "%s: no such case\n", prog);
		return 2;
	}
	return bad ? 1 : 0;
}

#endif
