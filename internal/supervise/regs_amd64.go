package supervise

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// int3 is the x86 one-byte breakpoint instruction (0xcc). Executing it
// raises #BP; the kernel sends the thread SIGTRAP with si_code SI_KERNEL
// and rip just past it (arch/x86/kernel/traps.c do_int3_user).
const int3 = 0xcc

// siKernel is SI_KERNEL (<asm-generic/siginfo.h>), the si_code of the
// SIGTRAP an int3 raises; kill(2) and tgkill(2) give SI_USER and SI_TKILL,
// so another process cannot fake the breakpoint's trap.
const siKernel = 0x80

// setEntryBreakpoint writes an int3 over the first byte of the instruction
// at entry in tid's memory (PTRACE_POKETEXT writes through the read-only
// text mapping, copying the page for this process only) and returns the
// byte it replaced. An int3 costs two text accesses; the DR0/DR7 debug
// registers it replaces cost a hw_breakpoint registration that took 8-20
// ms in about 6% of runs.
func setEntryBreakpoint(tid int, entry uint64) (orig byte, err error) {
	var word [8]byte
	if _, err := unix.PtracePeekText(tid, uintptr(entry), word[:]); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_PEEKTEXT)", err)
	}
	orig = word[0]
	word[0] = int3
	if _, err := unix.PtracePokeText(tid, uintptr(entry), word[:]); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_POKETEXT)", err)
	}
	return orig, nil
}

// entryBreakpointHit reports whether tid's SIGTRAP stop is the int3 at
// entry: a trap the kernel raised (SI_KERNEL) with rip right after entry's
// first byte.
func entryBreakpointHit(tid int, entry uint64) bool {
	var si [128]byte
	if ptraceGetSiginfo(tid, &si) != nil || int32(binary.NativeEndian.Uint32(si[8:])) != siKernel {
		return false
	}
	var regs unix.PtraceRegs
	return unix.PtraceGetRegs(tid, &regs) == nil && regs.Rip == entry+1
}

// clearEntryBreakpoint puts orig back at entry and, when rewind is set
// (the thread stopped at the int3), moves rip back to entry so that the
// instruction runs as if the breakpoint had never been there. Only the
// first byte is written back: the loader may have changed the rest of the
// word meanwhile.
func clearEntryBreakpoint(tid int, entry uint64, orig byte, rewind bool) error {
	var word [8]byte
	if _, err := unix.PtracePeekText(tid, uintptr(entry), word[:]); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_PEEKTEXT)", err)
	}
	word[0] = orig
	if _, err := unix.PtracePokeText(tid, uintptr(entry), word[:]); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_POKETEXT)", err)
	}
	if !rewind {
		return nil
	}
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
	}
	regs.Rip = entry
	if err := unix.PtraceSetRegs(tid, &regs); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	return nil
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
