// Package seccomp turns syscall rules, given as data, into one seccomp-BPF
// program and installs it on every thread of the process.
//
// The package knows nothing of promises: a caller describes, per syscall
// number, an ordered list of argument conditions and the action the kernel
// takes (see Filter and Rule), and Compile lays the program out for speed:
//
//   - the audit arch is checked first, so int 0x80 on amd64 (i386 numbers)
//     never reaches the table (seccomp_data.arch is AUDIT_ARCH_I386 there);
//   - x32 numbers (nr >= __X32_SYSCALL_BIT) and numbers above the table
//     (Arch.MaxNr) are answered before the table;
//   - the syscall number is dispatched by a balanced binary search tree
//     (BPF_JGE splits) over intervals of numbers with the same outcome, so
//     any number is classified in about log2(intervals) jumps instead of a
//     chain of hundreds of BPF_JEQ;
//   - a number whose outcome does not depend on its arguments returns
//     without loading seccomp_data.args: the kernel's constant-action
//     cache (kernel/seccomp.c seccomp_is_const_allow, Linux 5.11+) then
//     records ALLOW for it at attach time and never runs BPF for it again;
//   - argument checks compare 32-bit (what the kernel reads as int) or
//     64-bit values, high then low half; a list of 32-bit equalities on one
//     argument (ioctl requests, fcntl commands) is searched in log2 steps.
//
// Program.Run is a user-space interpreter of the classic-BPF subset seccomp
// accepts and Program.ConstantAction emulates the kernel's cache rule, so a
// filter's behaviour and shape can be proven by tests without loading it.
// Load installs a program with no_new_privs and SECCOMP_FILTER_FLAG_TSYNC;
// NotifRecv, NotifSend and NotifIDValid drive a user-notification listener.
package seccomp
