/*
 * libpledge's <unistd.h> overlay, installed as include/libpledge/unistd.h:
 * with -I<includedir>/libpledge (pkg-config --cflags libpledge) a program
 * that includes only <unistd.h>, as OpenBSD programs do, sees pledge(2)
 * and unveil(2) too, so feature tests (oconfigure's test-pledge.c,
 * autoconf's AC_CHECK_FUNCS) find them and the program builds unchanged.
 * The system's <unistd.h> is included first, unchanged.
 */
#if defined(__GNUC__)
#pragma GCC system_header
#endif
#include_next <unistd.h>

#ifndef LIBPLEDGE_UNISTD_H
#define LIBPLEDGE_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif
int pledge(const char *promises, const char *execpromises);
int unveil(const char *path, const char *permissions);
#ifdef __cplusplus
}
#endif
#endif
