package landlock

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// SetNoNewPrivsAllThreads sets no_new_privs on every thread of the process
// with prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0). The flag is per thread
// (task->atomic_flags) and landlock_restrict_self(2) refuses a caller that
// has neither it nor CAP_SYS_ADMIN in its user namespace with EPERM. It
// cannot be cleared again and is inherited across fork, clone and execve,
// where it stops setuid/setgid bits and file capabilities from granting
// privileges.
//
// All threads are reached with psx.Syscall6: syscall.AllThreadsSyscall6
// when built without cgo, libpsx's signal-driven equivalent with cgo
// (AllThreadsSyscall refuses to run in a cgo program).
func SetNoNewPrivsAllThreads() error {
	if _, _, errno := psx.Syscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); errno != 0 {
		return os.NewSyscallError("prctl(PR_SET_NO_NEW_PRIVS) on all threads", errno)
	}
	return nil
}

// RestrictSelf sets no_new_privs on every thread, then enforces the ruleset
// on every thread of the process. landlock_restrict_self(2) only restricts
// the calling thread before ABI 8, while the Go runtime runs goroutines on
// many threads, so:
//
//   - ABI >= 8: one call with LANDLOCK_RESTRICT_SELF_TSYNC, which makes the
//     kernel apply the new domain to all threads of the process;
//   - otherwise: psx.Syscall3 runs landlock_restrict_self on each thread
//     (each gets an equivalent domain from the same ruleset).
//
// Threads created afterwards are cloned from a restricted thread and so
// inherit the domain, as do forked and exec'd children.
//
// flags are the RESTRICT_SELF_LOG_* audit bits (ABI 7; unix.LANDLOCK_*);
// the TSYNC bit is ours to decide and ignored in flags. Each call stacks
// one more layer (at most 16, then E2BIG). If the call succeeds on the
// first thread but fails on another, psx ends the process (the runtime
// panics without cgo, libpsx kills it with cgo): a partly restricted
// process must not go on.
func (r *Ruleset) RestrictSelf(flags uint32) error {
	if r.fd < 0 {
		return os.NewSyscallError("landlock_restrict_self", unix.EBADF)
	}
	flags &^= unix.LANDLOCK_RESTRICT_SELF_TSYNC
	// The kernel checks no_new_privs of the thread that calls
	// landlock_restrict_self. It is set on all threads, but we keep this
	// goroutine on one thread from setting it to restricting so the check
	// does not depend on which thread the scheduler picks in between.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := SetNoNewPrivsAllThreads(); err != nil {
		return err
	}
	var errno unix.Errno
	how := "psx on all threads"
	if RestrictFlags(r.abi)&unix.LANDLOCK_RESTRICT_SELF_TSYNC != 0 {
		how = "TSYNC"
		_, _, errno = unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(r.fd),
			uintptr(flags|unix.LANDLOCK_RESTRICT_SELF_TSYNC), 0)
	} else {
		_, _, errno = psx.Syscall3(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(r.fd), uintptr(flags), 0)
	}
	if errno != 0 {
		return fmt.Errorf("landlock_restrict_self(flags=%#x, %s): %w", flags, how, errno)
	}
	return nil
}
