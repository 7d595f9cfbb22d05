package supervise

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SyscallInfo is struct ptrace_syscall_info (PTRACE_GET_SYSCALL_INFO,
// Linux 5.3) at a seccomp stop or a syscall-exit-stop: the kernel's own
// account of the call, taken from the registers as the syscall path saw
// them (syscall_get_arch, syscall_get_nr, syscall_get_arguments), not from
// the tracee's memory. At a seccomp stop Arch is the audit arch of the call
// (AUDIT_ARCH_I386 for int $0x80 on amd64), which the registers alone do
// not tell.
type SyscallInfo struct {
	Op   uint8 // unix.PTRACE_SYSCALL_INFO_*
	Arch uint32
	IP   uint64
	SP   uint64
	// Nr, Args and RetData are the seccomp stop's (Op SECCOMP); RetData
	// is SECCOMP_RET_DATA of the action that stopped it: chosen by the
	// NEWEST filter returning TRACE, which may be the tracee's own, so it
	// means nothing to a decision.
	Nr      uint64
	Args    [6]uint64
	RetData uint32
	// Rval and IsError are the syscall-exit-stop's (Op EXIT).
	Rval    int64
	IsError bool
}

// syscallInfoSize covers struct ptrace_syscall_info up to the end of its
// largest member (seccomp: nr, args[6], ret_data) with padding.
const syscallInfoSize = 88

// GetSyscallInfo reads tid's PTRACE_GET_SYSCALL_INFO. tid must be in a
// ptrace-stop.
func GetSyscallInfo(tid int) (SyscallInfo, error) {
	var b [syscallInfoSize]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid),
		uintptr(len(b)), uintptr(unsafe.Pointer(&b[0])), 0, 0)
	if e != 0 {
		return SyscallInfo{}, os.NewSyscallError("ptrace(PTRACE_GET_SYSCALL_INFO)", e)
	}
	le := binary.NativeEndian
	in := SyscallInfo{Op: b[0], Arch: le.Uint32(b[4:]), IP: le.Uint64(b[8:]), SP: le.Uint64(b[16:])}
	switch in.Op {
	case unix.PTRACE_SYSCALL_INFO_ENTRY, unix.PTRACE_SYSCALL_INFO_SECCOMP:
		in.Nr = le.Uint64(b[24:])
		for i := range in.Args {
			in.Args[i] = le.Uint64(b[32+8*i:])
		}
		in.RetData = le.Uint32(b[80:])
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		in.Rval = int64(le.Uint64(b[24:]))
		in.IsError = b[32] != 0
	}
	return in, nil
}
