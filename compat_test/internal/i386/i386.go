//go:build amd64

// Package i386 issues syscalls through the i386 compatibility entry (int
// 0x80) from a 64-bit amd64 process. The kernel then fills seccomp_data.arch
// with AUDIT_ARCH_I386 and numbers the call from the 32-bit table (getpid is
// 20 there, 39 on x86_64): a filter that only checks numbers, not the arch,
// would decide on the wrong syscall. The escape suite uses it to show that
// landpledge's filter refuses the foreign arch outright.
package i386

// SysGetpid is __NR_getpid in arch/x86/entry/syscalls/syscall_32.tbl.
const SysGetpid = 20

// Int80 executes "int $0x80" with eax=nr, ebx=a1, ecx=a2, edx=a3 and returns
// eax: a value, or -errno as the kernel returns it. Only fast, non-blocking
// syscalls may be issued: the Go scheduler is not told about the call.
func Int80(nr, a1, a2, a3 uintptr) uintptr
