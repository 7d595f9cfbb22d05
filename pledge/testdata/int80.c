/* int80.c: getpid through the i386 entry point (int $0x80, eax=20) from a
 * 64-bit process, which seccomp sees with AUDIT_ARCH_I386: the filter must
 * not treat it as amd64 syscall 20 (writev). Prints the result. */
#include <stdio.h>

int main(void) {
	long r;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("start\n");
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	printf("int80=%ld\n", r);
	return 0;
}
