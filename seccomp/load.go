package seccomp

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Flags of seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)
// (include/uapi/linux/seccomp.h).
const (
	// FlagTSync installs the filter on every thread of the process, and
	// gives them no_new_privs when the caller has it (Linux 3.17). Go
	// runs goroutines on many threads: without it only one is filtered.
	FlagTSync uint = unix.SECCOMP_FILTER_FLAG_TSYNC
	// FlagLog logs every action but ALLOW to the audit log (4.14).
	FlagLog uint = unix.SECCOMP_FILTER_FLAG_LOG
	// FlagSpecAllow keeps the Speculative Store Bypass mitigation off,
	// which seccomp otherwise turns on (4.17).
	FlagSpecAllow uint = unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	// FlagNewListener makes the call return a user-notification fd for
	// ActUserNotif (5.0).
	FlagNewListener uint = unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	// FlagTSyncESRCH makes a TSYNC failure return ESRCH instead of a
	// thread id, which is what allows TSYNC together with NEW_LISTENER
	// (5.7; without it that pair is EINVAL).
	FlagTSyncESRCH uint = unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	// FlagWaitKillableRecv makes a notified syscall, once its
	// notification is received, wait killably: other signals no longer
	// interrupt it (5.19). Go's preemption signal (SIGURG) would otherwise
	// restart it over and over.
	FlagWaitKillableRecv uint = unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
)

// TSyncError is the failure of FlagTSync without FlagTSyncESRCH: the
// kernel returns the id of a thread that cannot take the new filter
// because it runs a filter stack that is not an ancestor of the caller's
// (seccomp_can_sync_threads). Nothing was installed.
type TSyncError struct{ TID int }

func (e *TSyncError) Error() string {
	return fmt.Sprintf("seccomp(SET_MODE_FILTER, TSYNC): thread %d has a diverging filter stack and cannot be synchronized", e.TID)
}

// Unwrap gives ESRCH, the errno FlagTSyncESRCH reports for this failure.
func (e *TSyncError) Unwrap() error { return unix.ESRCH }

// Load installs p as a seccomp filter with the given Flag* bits: it locks
// the goroutine to its OS thread, sets no_new_privs on that thread
// (required unless the caller has CAP_SYS_ADMIN: seccomp_prepare_filter
// returns EACCES) and calls seccomp(SECCOMP_SET_MODE_FILTER, flags, p) on
// the same thread. With FlagTSync the filter and no_new_privs reach every
// thread and the goroutine is unlocked again; without it only this thread
// is filtered, so the goroutine stays locked to it (the thread ends with
// the goroutine). It returns the listener fd with FlagNewListener, else
// -1. Filters stack: a loaded filter cannot be removed.
func Load(p Program, flags uint) (int, error) {
	if err := p.Check(); err != nil {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): %w: %w", unix.EINVAL, err)
	}
	runtime.LockOSThread()
	fd, err := load(p, flags)
	if flags&FlagTSync != 0 || err != nil {
		runtime.UnlockOSThread()
	}
	return fd, err
}

func load(p Program, flags uint) (int, error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, os.NewSyscallError("prctl(PR_SET_NO_NEW_PRIVS)", err)
	}
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): %w", errno)
	}
	if flags&FlagNewListener != 0 {
		return int(r), nil
	}
	if r != 0 {
		return -1, &TSyncError{TID: int(r)}
	}
	return -1, nil
}

// ActionAvailable reports whether the kernel knows action a
// (seccomp(SECCOMP_GET_ACTION_AVAIL), Linux 4.14): nil, or an error
// wrapping EOPNOTSUPP for an unknown action, ENOSYS or EINVAL without
// seccomp filters.
func ActionAvailable(a Action) error {
	act := uint32(a) & unix.SECCOMP_RET_ACTION_FULL
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act)))
	if errno != 0 {
		return fmt.Errorf("seccomp(GET_ACTION_AVAIL, %v): %w", a&unix.SECCOMP_RET_ACTION_FULL, errno)
	}
	return nil
}

// Supported reports whether this kernel can run the filters this package
// builds: seccomp filters with SECCOMP_RET_KILL_PROCESS (Linux 4.14).
func Supported() error {
	if err := ActionAvailable(ActKillProcess); err != nil {
		return fmt.Errorf("seccomp filters unsupported: %w", err)
	}
	return nil
}
