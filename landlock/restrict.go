//go:build linux

package landlock

import (
	"fmt"
	"os"
	"runtime"
	"sync"

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
	if err := checkProcTask(); err != nil {
		return err
	}
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
// one more layer (at most 16, then E2BIG). In cgo builds before ABI 8 the
// ruleset also gets READ_DIR on /proc/<pid>/task, see allowProcTask. If the call succeeds on the
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
		if err := r.allowProcTask(); err != nil {
			return err
		}
		_, _, errno = psx.Syscall3(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(r.fd), uintptr(flags), 0)
	}
	if errno != 0 {
		return fmt.Errorf("landlock_restrict_self(flags=%#x, %s): %w", flags, how, errno)
	}
	return nil
}

// procTaskPath is the directory libpsx lists to find the threads.
func procTaskPath() string { return fmt.Sprintf("/proc/%d/task", os.Getpid()) }

// checkProcTask makes sure, in cgo builds, that libpsx will be able to list
// /proc/<pid>/task: if it cannot (no /proc, or a Landlock domain from an
// earlier layer denies it), libpsx SIGKILLs the process, so we return an
// error instead of calling it.
func checkProcTask() error {
	if !psxReadsProcTask {
		return nil
	}
	path := procTaskPath()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open (libpsx lists it to reach every thread)", Path: path, Err: err}
	}
	unix.Close(fd)
	return nil
}

// procTask is an O_PATH fd on /proc/<pid>/task, kept open for the life of
// the process once a rule names it (see allowProcTask).
var procTask struct {
	sync.Mutex
	pid, fd int
}

// allowProcTask grants READ_DIR on /proc/<pid>/task in cgo builds, so that
// libpsx, having restricted the calling thread first, can still list the
// other threads from it (see psxReadsProcTask). This lets the sandboxed
// process list its own thread ids and the entry names beneath them
// (nothing it could not learn with stat(2), which Landlock does not
// restrict); it reads no file there. The fd stays open because it pins the
// procfs dentry whose inode carries the rule: once reclaimed, procfs would
// make a new inode without it and a later psx call would be killed.
func (r *Ruleset) allowProcTask() error {
	if !psxReadsProcTask || r.handled.HandledAccessFS&AccessFSReadDir == 0 {
		return nil
	}
	procTask.Lock()
	defer procTask.Unlock()
	path := procTaskPath()
	if pid := os.Getpid(); procTask.pid != pid {
		fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open (libpsx lists it to reach every thread)", Path: path, Err: err}
		}
		procTask.pid, procTask.fd = pid, fd
	}
	return r.addPathBeneath(procTask.fd, AccessFSReadDir, path)
}

// RestrictNeedsSignals reports whether RestrictSelf on ABI abi reaches the
// other threads with libpsx (cgo builds before ABI 8): tkill(tid, 33) to
// each thread and a listing of /proc/PID/task. A seccomp filter that does
// not allow those kills the process in the middle of RestrictSelf, so a
// caller under such a filter must not call it. Without cgo Go's runtime
// signals its threads with tgkill to its own pid.
func RestrictNeedsSignals(abi int) bool {
	return psxReadsProcTask && RestrictFlags(abi)&unix.LANDLOCK_RESTRICT_SELF_TSYNC == 0
}
