package seccomp

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Notif is struct seccomp_notif, one syscall stopped by ActUserNotif: ID
// answers it, Pid is the calling thread's id (in the listener's pid
// namespace), Data what the filter saw.
type Notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  Data
}

// NotifResp is struct seccomp_notif_resp, the answer to a Notif: the
// syscall returns Val, or fails with -Error when Error is non-zero (a
// negated errno, as the kernel returns it), or runs for real when Flags
// has NotifFlagContinue (Val and Error 0).
type NotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// NotifFlagContinue (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5) lets the
// notified syscall run. The arguments may have changed since the
// supervisor looked (pointers to memory especially), so it must never
// stand in for a security decision; it is fine for reporting.
const NotifFlagContinue = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE

// The ioctl numbers encode the struct sizes: keep them in step.
var (
	_ [unix.SECCOMP_IOCTL_NOTIF_RECV>>16&0x3fff - unsafe.Sizeof(Notif{})]struct{}
	_ [unsafe.Sizeof(Notif{}) - unix.SECCOMP_IOCTL_NOTIF_RECV>>16&0x3fff]struct{}
	_ [unix.SECCOMP_IOCTL_NOTIF_SEND>>16&0x3fff - unsafe.Sizeof(NotifResp{})]struct{}
	_ [unsafe.Sizeof(NotifResp{}) - unix.SECCOMP_IOCTL_NOTIF_SEND>>16&0x3fff]struct{}
)

// NotifRecv waits for the next notification on listener fd
// (SECCOMP_IOCTL_NOTIF_RECV on a zeroed struct, as the kernel demands).
// Interrupted waits (EINTR, e.g. Go's preemption signal) are retried.
// ENOENT means the syscall went away (the task died or a signal restarted
// it) before it could be received.
func NotifRecv(fd int) (*Notif, error) {
	for {
		n := new(Notif)
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(n)))
		switch errno {
		case 0:
			return n, nil
		case unix.EINTR:
			continue
		}
		return nil, fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_RECV): %w", errno)
	}
}

// NotifSend answers a notification (SECCOMP_IOCTL_NOTIF_SEND). ENOENT
// means the syscall is no longer waiting (task killed, or its wait was
// interrupted and it will be notified again under a new ID).
func NotifSend(fd int, r *NotifResp) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r)))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_SEND, id %d): %w", r.ID, errno)
	}
}

// NotifIDValid checks that notification id is still pending
// (SECCOMP_IOCTL_NOTIF_ID_VALID): nil, or an error wrapping ENOENT. A
// supervisor that reads the target's memory (/proc/pid/mem) checks this
// afterwards, because the pid may have been reused in between.
func NotifIDValid(fd int, id uint64) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	if errno != 0 {
		return fmt.Errorf("ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID, id %d): %w", id, errno)
	}
	return nil
}
