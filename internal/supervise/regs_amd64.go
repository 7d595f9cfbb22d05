package supervise

import (
	"golang.org/x/sys/unix"
)

// uDebugreg is offsetof(struct user, u_debugreg) on x86_64
// (<sys/user.h>), the PTRACE_PEEKUSER/POKEUSER offset of DR0; DRn is at
// uDebugreg + 8*n.
const uDebugreg = 848

// dr7L0 enables DR0 as a local breakpoint; R/W0 = 00 (instruction
// execution) and LEN0 = 00 (Intel SDM vol. 3, 18.2.4).
const dr7L0 = 1

// dr6B0 is set in DR6 when the DR0 condition was met.
const dr6B0 = 1

func pokeUser(tid int, off uintptr, v uint64) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_POKEUSR, uintptr(tid), off, uintptr(v), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func peekUser(tid int, off uintptr) (uint64, error) {
	var v uint64
	// The raw syscall stores the word at the address in data (the glibc
	// wrapper hides this).
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_PEEKUSR, uintptr(tid), off, uintptr(unsafePtr(&v)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return v, nil
}

func setEntryBreakpoint(tid int, entry uint64) error {
	if err := pokeUser(tid, uDebugreg, entry); err != nil {
		return err
	}
	return pokeUser(tid, uDebugreg+7*8, dr7L0)
}

func entryBreakpointHit(tid int) bool {
	dr6, err := peekUser(tid, uDebugreg+6*8)
	return err == nil && dr6&dr6B0 != 0
}

func clearEntryBreakpoint(tid int) {
	pokeUser(tid, uDebugreg+7*8, 0)
	pokeUser(tid, uDebugreg+6*8, 0)
}

// syscallOf returns the stopped syscall's number and arguments (x86_64
// syscall ABI: rdi rsi rdx r10 r8 r9).
func syscallOf(r *unix.PtraceRegs) (uint32, [6]uint64) {
	return uint32(r.Orig_rax), [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}
}

// canRewriteSyscall: skipSyscall and setSyscall work on this architecture.
const canRewriteSyscall = true

// skipSyscall makes the stopped call not run and return -errno: at a
// seccomp stop, a syscall number of -1 skips the call and rax is its result
// (seccomp(2), SECCOMP_RET_TRACE).
func skipSyscall(r *unix.PtraceRegs, errno unix.Errno) {
	r.Orig_rax = ^uint64(0)
	r.Rax = uint64(-int64(errno))
}

// setSyscall replaces the stopped call's number.
func setSyscall(r *unix.PtraceRegs, nr uint64) { r.Orig_rax = nr }
