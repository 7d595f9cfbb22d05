/* A C program for the learn tests: it counts the lines of the file it is
 * given, and with a second argument tries to read that file too. Built
 * with -DLEARNED it first applies learned.h, a learned policy as C code
 * (libpledge's unveil(2) and pledge(2), <pledge.h>). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef LEARNED
#include <pledge.h>
#endif

int main(int argc, char **argv) {
#ifdef LEARNED
#include "learned.h"
#endif
	if (argc < 2)
		return 2;
	FILE *f = fopen(argv[1], "r");
	if (!f)
		err(1, "%s", argv[1]);
	int c, n = 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	printf("%d lines\n", n);
	if (argc > 2) {
		FILE *g = fopen(argv[2], "r");
		printf("read %s: %s\n", argv[2], g ? "ok" : strerror(errno));
	}
	return 0;
}
