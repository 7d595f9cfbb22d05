package supervise

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syscallInsn is the x86-64 "syscall" instruction (0f 05).
var syscallInsn = [2]byte{0x0f, 0x05}

// stageLimit bounds what Stage may write below the tracee's stack pointer.
// At an exec stop the stack VMA reaches at least 128 KiB below the initial
// stack pointer (setup_arg_pages expands it by stack_expand = 128 KiB), so
// 64 KiB below it is mapped stack that nothing uses yet.
const stageLimit = 64 << 10

// redZone is left untouched below the stack pointer (the x86-64 psABI's
// 128-byte red zone), so injecting into a thread stopped anywhere is safe.
const redZone = 128

// Injector runs system calls in a stopped tracee thread, as if the thread
// had executed them itself (credentials, fd table, seccomp and Landlock
// state are the tracee's). It is the x86-64 technique of ptrace(2):
// PTRACE_GETREGS saves the registers; PTRACE_POKETEXT replaces the word at
// rip with a "syscall" instruction; each call sets rax = number and rdi,
// rsi, rdx, r10, r8, r9 = arguments (the x86-64 syscall ABI), points rip at
// the instruction and PTRACE_SINGLESTEPs over it; Restore puts the word
// and the registers back. Data the calls point to is written by Stage into
// the tracee's stack below its stack pointer.
//
// The thread must be in a ptrace-stop in which the tracer may change its
// registers and nothing will overwrite them on resumption: a
// signal-delivery-stop such as the SIGTRAP after PTRACE_TRACEME's execve,
// or the syscall-exit-stop of an execve. Not the PTRACE_EVENT_EXEC stop
// itself: the thread is still inside execve there, and on the way out the
// kernel stores execve's return value in rax over the injected number
// (attach.go moves the thread to the syscall-exit-stop first). No other
// thread of the tracee may run meanwhile (after an execve there is none).
// All methods must be called from the tracer thread. Nothing read from the
// tracee decides anything: the results are the kernel's return values.
type Injector struct {
	tid    int
	saved  unix.PtraceRegs
	text   uint64 // the original word at the syscall address
	at     uint64 // address of the injected syscall instruction
	sp     uint64 // lowest byte staged so far
	staged int    // bytes staged below the red zone
	// signals arrived while injecting; the tracee did not get them yet
	// (a suppressed signal-delivery-stop), Restore queues them again.
	signals []syscall.Signal
}

// NewInjector prepares tid, which must be stopped (see Injector), for
// injection: it saves the registers and the text word at rip and writes a
// syscall instruction there.
func NewInjector(tid int) (*Injector, error) {
	in := &Injector{tid: tid}
	if err := unix.PtraceGetRegs(tid, &in.saved); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
	}
	in.at = in.saved.Rip
	in.sp = in.saved.Rsp - redZone
	var word [8]byte
	if _, err := unix.PtracePeekText(tid, uintptr(in.at), word[:]); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_PEEKTEXT)", err)
	}
	in.text = binary.LittleEndian.Uint64(word[:])
	patched := word
	copy(patched[:], syscallInsn[:])
	if _, err := unix.PtracePokeText(tid, uintptr(in.at), patched[:]); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_POKETEXT)", err)
	}
	return in, nil
}

// Stage copies b into the tracee's memory below its stack pointer (16-byte
// aligned, below the red zone and anything staged before) and returns its
// address there. It fails with ENOSPC beyond 64 KiB in all.
func (in *Injector) Stage(b []byte) (uint64, error) {
	n := (len(b) + 15) &^ 15
	if in.staged+n > stageLimit {
		return 0, fmt.Errorf("staging %d bytes in %d: %w", len(b), in.tid, unix.ENOSPC)
	}
	addr := (in.sp - uint64(n)) &^ 15
	if len(b) > 0 {
		local := []unix.Iovec{{Base: &b[0], Len: uint64(len(b))}}
		remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
		if _, err := unix.ProcessVMWritev(in.tid, local, remote, 0); err != nil {
			return 0, fmt.Errorf("process_vm_writev %d %#x: %w", in.tid, addr, err)
		}
	}
	in.staged += int(in.sp - addr)
	in.sp = addr
	return addr, nil
}

// Syscall runs system call nr with up to six arguments in the tracee and
// returns its result. A result in [-4095, -1] is the kernel's -errno: it
// is returned as an error wrapping that errno (errors.Is(err, unix.EPERM)
// works), naming the call's number.
func (in *Injector) Syscall(nr uintptr, args ...uint64) (uint64, error) {
	if len(args) > 6 {
		return 0, fmt.Errorf("syscall %d: %d arguments: %w", nr, len(args), unix.EINVAL)
	}
	var a [6]uint64
	copy(a[:], args)
	r := in.saved
	r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = uint64(nr), a[0], a[1], a[2], a[3], a[4], a[5]
	// orig_rax = -1: the stop is not a syscall the kernel may restart on
	// our way back to user mode (arch_do_signal_or_restart checks it).
	r.Orig_rax = ^uint64(0)
	r.Rip = in.at
	r.Rsp = in.sp // below what was staged: a signal frame cannot clobber it
	if err := unix.PtraceSetRegs(in.tid, &r); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	for {
		if err := ptraceSingleStep(in.tid); err != nil {
			return 0, os.NewSyscallError("ptrace(PTRACE_SINGLESTEP)", err)
		}
		var ws unix.WaitStatus
		if _, err := wait4(in.tid, &ws, unix.WALL); err != nil {
			return 0, err
		}
		if !ws.Stopped() {
			return 0, fmt.Errorf("tracee %d ended during injected syscall %d: %v: %w", in.tid, nr, ws, unix.ESRCH)
		}
		if err := unix.PtraceGetRegs(in.tid, &r); err != nil {
			return 0, os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
		}
		if sig := ws.StopSignal(); sig != unix.SIGTRAP || ws.TrapCause() != 0 {
			// A signal (or event) arrived first: hold the signal back
			// for Restore and step again if the call did not run yet.
			if sig != unix.SIGTRAP {
				in.signals = append(in.signals, sig)
			}
		}
		switch r.Rip {
		case in.at + uint64(len(syscallInsn)):
			ret := r.Rax
			if e := -int64(ret); e > 0 && e < 4096 {
				return ret, fmt.Errorf("injected syscall %d: %w", nr, unix.Errno(e))
			}
			return ret, nil
		case in.at:
			continue // not executed yet (a signal stop came first)
		default:
			return 0, fmt.Errorf("tracee %d at %#x after injected syscall %d, want %#x: %w",
				in.tid, r.Rip, nr, in.at+2, unix.EFAULT)
		}
	}
}

// Restore zeroes what was staged, puts the original text word and
// registers back and leaves the thread stopped as it was; signals that
// arrived meanwhile are sent again (tgkill), so the thread gets them once
// resumed. The Injector must not be used afterwards.
func (in *Injector) Restore() error {
	if in.staged > 0 {
		zero := make([]byte, in.staged)
		local := []unix.Iovec{{Base: &zero[0], Len: uint64(len(zero))}}
		remote := []unix.RemoteIovec{{Base: uintptr(in.sp), Len: len(zero)}}
		if _, err := unix.ProcessVMWritev(in.tid, local, remote, 0); err != nil {
			return fmt.Errorf("process_vm_writev %d %#x: %w", in.tid, in.sp, err)
		}
	}
	var word [8]byte
	binary.LittleEndian.PutUint64(word[:], in.text)
	if _, err := unix.PtracePokeText(in.tid, uintptr(in.at), word[:]); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_POKETEXT)", err)
	}
	if err := unix.PtraceSetRegs(in.tid, &in.saved); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	tgid := readTgid(in.tid)
	if tgid == 0 {
		tgid = in.tid
	}
	for _, sig := range in.signals {
		if err := unix.Tgkill(tgid, in.tid, sig); err != nil {
			return os.NewSyscallError("tgkill", err)
		}
	}
	return nil
}

func ptraceSingleStep(tid int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SINGLESTEP, uintptr(tid), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// replaceResult makes the call tid is at the syscall-exit-stop of return
// -errno instead of rval, closing first in the tracee the descriptor rval
// is when non-negative: the close is injected (the thread is stopped where
// the tracer's registers are the ones user mode gets), then the saved
// registers come back with rax set.
func replaceResult(tid int, rval int64, errno unix.Errno) error {
	in, err := NewInjector(tid)
	if err != nil {
		return err
	}
	if rval >= 0 {
		if _, err := in.Syscall(unix.SYS_CLOSE, uint64(rval)); err != nil {
			in.Restore()
			return fmt.Errorf("close(%d): %w", rval, err)
		}
	}
	in.saved.Rax = uint64(-int64(errno))
	return in.Restore()
}

// injectKill makes tid, stopped at a syscall-exit-stop, run syscall nr
// (which its filters answer with SECCOMP_RET_KILL_PROCESS) once resumed:
// rip goes back over the "syscall" instruction that made the call that
// just returned, with rax = nr, so the kernel kills the process as a
// seccomp kill does (SIGSYS). Nothing is waited for here: the death is the
// supervisor loop's to see.
func injectKill(tid int, nr uint64) error {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &r); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
	}
	var word [8]byte
	if _, err := unix.PtracePeekText(tid, uintptr(r.Rip-2), word[:]); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_PEEKTEXT)", err)
	}
	if word[0] != syscallInsn[0] || word[1] != syscallInsn[1] {
		return fmt.Errorf("no syscall instruction before rip %#x: %w", r.Rip, unix.EFAULT)
	}
	r.Rip -= 2
	r.Rax = nr
	r.Orig_rax = ^uint64(0)
	if err := unix.PtraceSetRegs(tid, &r); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	return nil
}
