/*
 * A program as portable OpenBSD software is written (oconfigure's
 * convention): config.h says HAVE_PLEDGE and HAVE_UNVEIL, the calls are
 * made when they are there, <unistd.h> declares them. With libpledge's
 * pkg-config flags it builds unchanged on Linux.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
#if HAVE_UNVEIL
	if (unveil(argc > 1 ? argv[1] : ".", "r") == -1)
		err(1, "unveil");
#endif
#if HAVE_PLEDGE
	if (pledge("stdio rpath", NULL) == -1)
		err(1, "pledge");
#endif
	puts("pledged");
	return 0;
}
