package supervise

import (
	"encoding/binary"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Siginfo is the part of a signal-delivery-stop's siginfo_t
// (PTRACE_GETSIGINFO) a decision needs: the kernel's account of who sent
// the signal and how, never the tracee's memory.
type Siginfo struct {
	Signo syscall.Signal
	// Code is si_code: SI_USER (0) from kill(2), SI_KERNEL (0x80) from the
	// kernel (a terminal's job-control signals, a timer), SI_QUEUE (-1)
	// from sigqueue(3), SI_TKILL (-6) from tgkill(2), > 0 for the
	// kernel's own reasons (CLD_*, POLL_*, ...).
	Code int32
	// Pid and Uid are the sender's (si_pid, si_uid) for SI_USER, SI_QUEUE
	// and SI_TKILL.
	Pid int32
	Uid uint32
	// Value is si_value (SI_QUEUE).
	Value uint64
}

// si_code values (<asm-generic/siginfo.h>).
const (
	SIUser   = 0
	SIKernel = 0x80
	SIQueue  = -1
	SITkill  = -6
)

// parseSiginfo reads a 64-bit siginfo_t: si_signo, si_errno, si_code,
// then the union at offset 16 (pointer-aligned) whose kill/rt members
// start with si_pid, si_uid and, for rt, si_value.
func parseSiginfo(b *[128]byte) Siginfo {
	le := binary.NativeEndian
	return Siginfo{
		Signo: syscall.Signal(le.Uint32(b[0:])),
		Code:  int32(le.Uint32(b[8:])),
		Pid:   int32(le.Uint32(b[16:])),
		Uid:   le.Uint32(b[20:]),
		Value: le.Uint64(b[24:]),
	}
}

// rawSiginfo is the siginfo_t of a signal queued with rt_sigqueueinfo(2)
// as SI_QUEUE with the sender and value of si.
func rawSiginfo(si Siginfo) [128]byte {
	var b [128]byte
	le := binary.NativeEndian
	le.PutUint32(b[0:], uint32(si.Signo))
	code := int32(SIQueue)
	le.PutUint32(b[8:], uint32(code))
	le.PutUint32(b[16:], uint32(si.Pid))
	le.PutUint32(b[20:], si.Uid)
	le.PutUint64(b[24:], si.Value)
	return b
}

// Forward sends pid the signal si describes: with sigqueue(3)'s sender and
// value (rt_sigqueueinfo, SI_QUEUE) when si came that way, else with
// kill(2), which makes it SI_USER from this process (the kernel lets no
// process give another one a siginfo with a non-negative si_code).
func Forward(pid int, si Siginfo) error {
	if si.Code == SIQueue {
		raw := rawSiginfo(si)
		_, _, e := unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(si.Signo), uintptr(unsafe.Pointer(&raw[0])))
		if e != 0 {
			return os.NewSyscallError("rt_sigqueueinfo", e)
		}
		return nil
	}
	return unix.Kill(pid, si.Signo)
}
