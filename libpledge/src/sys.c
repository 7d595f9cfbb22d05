/*
 * Raw system calls and messages. lpl_syscall returns -errno instead of
 * setting errno, so the library's own calls never disturb the caller's
 * errno, and it is safe in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lpl.h"
#include "../zcommon.h"

long
lpl_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	    : "=a"(r)
	    : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	    : "rcx", "r11", "memory");
	return r;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
	    : "+r"(x0)
	    : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	    : "memory", "cc");
	return x0;
#else
	int saved = errno;
	long r = syscall(nr, a, b, c, d, e, f);
	if (r == -1) {
		r = -errno;
	}
	errno = saved;
	return r;
#endif
}

void
lpl_msg(char *buf, size_t len, const char *fmt, ...)
{
	if (buf == 0 || len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* lpl_warn writes one line to stderr with a single write(2), unless the
 * filters in force deny write. */
void
lpl_warn(const char *fmt, ...)
{
	if (lpl_stdio_denied())
		return;
	char line[1536];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	lpl_sys3(SYS_write, 2, line, n);
}

/* lpl_file_id reads fd's identity: 0, or -errno, or -EPERM when the
 * filters in force allow no fstat (stdio allows it, rpath and unveil any
 * stat). */
int
lpl_file_id(int fd, struct lpl_fileid *id)
{
	if (!lpl_allowed(LPL_P_STDIO | LPL_P_RPATH | LPL_P_UNVEIL))
		return -EPERM;
	struct stat st;
	long r = lpl_sys4(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
	if (r < 0)
		return (int)r;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

/* lpl_same_file: fd is still the file of id; 0 when that cannot be told
 * (fail closed: the caller then treats it as gone). */
int
lpl_same_file(int fd, const struct lpl_fileid *id)
{
	struct lpl_fileid now = {0, 0};
	return fd >= 0 && lpl_file_id(fd, &now) == 0 && now.dev == id->dev && now.ino == id->ino;
}
