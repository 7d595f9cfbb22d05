package supervise

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// park makes tid, stopped at the syscall-exit-stop of an execve whose
// image must never run (the exec broker's stand-in), hold nothing and
// wait: it closes every descriptor (close_range(0, ~0U, 0): an exec gives
// the process a descriptor table of its own, so no other process loses
// one), unblocks every signal (so that each one sent to it stops it in a
// signal-delivery-stop, where the supervisor sees it), and sits in
// pause(2): the "syscall" instruction is written over the image's first
// instruction and stays there (the image never runs), rax is pause's
// number and orig_rax -1, so the thread makes the call once resumed; a
// signal the supervisor suppresses restarts it (-ERESTARTNOHAND, no
// handler: exec reset them). It returns the address of the syscall
// instruction, where the supervisor later makes the thread exit.
//
// The injected calls pass the process's filters: the promise table
// allows close_range, rt_sigprocmask and pause under "exec" (the
// broker applies only to processes that hold it).
func park(tid int) (uint64, error) {
	in, err := NewInjector(tid)
	if err != nil {
		return 0, err
	}
	if _, err := in.Syscall(unix.SYS_CLOSE_RANGE, 0, uint64(^uint32(0)), 0); err != nil {
		return 0, fmt.Errorf("close_range(0, ~0U): %w", err)
	}
	var empty [8]byte
	set, err := in.Stage(empty[:])
	if err != nil {
		return 0, err
	}
	if _, err := in.Syscall(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, set, 0, 8); err != nil {
		return 0, fmt.Errorf("rt_sigprocmask(SIG_SETMASK, {}): %w", err)
	}
	r := in.saved
	r.Rip, r.Rax, r.Orig_rax = in.at, unix.SYS_PAUSE, ^uint64(0)
	if err := unix.PtraceSetRegs(tid, &r); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	return in.at, nil
}

// exitAt makes tid, stopped in a signal-delivery-stop (the signal will be
// suppressed), call exit_group(code) at at, a syscall instruction of its
// own (park's), once resumed: orig_rax -1 so that no restart of the call
// it was in applies.
func exitAt(tid int, at uint64, code int) error {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &r); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
	}
	r.Rip, r.Rax, r.Rdi, r.Orig_rax = at, unix.SYS_EXIT_GROUP, uint64(code), ^uint64(0)
	if err := unix.PtraceSetRegs(tid, &r); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	return nil
}

// defaultAction sets sig's disposition in tid, stopped in a
// signal-delivery-stop, to SIG_DFL (rt_sigaction with a zeroed struct
// sigaction), so that delivering it gives its default action.
func defaultAction(tid int, sig syscall.Signal) error {
	in, err := NewInjector(tid)
	if err != nil {
		return err
	}
	var act [32]byte // struct sigaction: handler, flags, restorer, mask
	addr, err := in.Stage(act[:])
	if err == nil {
		_, err = in.Syscall(unix.SYS_RT_SIGACTION, uint64(sig), addr, 0, uint64(unsafe.Sizeof(uint64(0))))
	}
	if rerr := in.Restore(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("rt_sigaction(%d, SIG_DFL): %w", sig, err)
	}
	return nil
}
