//go:build linux

// Package landlock is a thin layer over the Landlock LSM system calls
// (landlock_create_ruleset(2), landlock_add_rule(2), landlock_restrict_self(2);
// Documentation/userspace-api/landlock.rst) with the two things a Go program
// needs on top: the rights each ABI version knows, as a table, and
// enforcement on every thread of the process, not only the calling one.
//
// It knows nothing of unveil or OpenBSD; package unveil builds on it.
package landlock

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ABI returns the Landlock ABI version of the running kernel, asked with
// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION).
// Without Landlock the error wraps ENOSYS (not built in) or EOPNOTSUPP
// (built in but not enabled at boot, see lsm=); both match
// errors.ErrUnsupported.
func ABI() (int, error) {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0, os.NewSyscallError("landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION)", errno)
	}
	return int(v), nil
}

// Errata returns the bitmask of Landlock errata (fixed kernel bugs that
// change visible behaviour, listed in security/landlock/errata/) the running
// kernel has, asked with landlock_create_ruleset(NULL, 0,
// LANDLOCK_CREATE_RULESET_ERRATA). A kernel that predates the flag answers
// EINVAL; that means no errata are known and gives 0 and no error.
func Errata() (uint64, error) {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_ERRATA)
	switch errno {
	case 0:
		return uint64(v), nil
	case unix.EINVAL:
		return 0, nil
	}
	return 0, os.NewSyscallError("landlock_create_ruleset(LANDLOCK_CREATE_RULESET_ERRATA)", errno)
}

// RulesetAttr is what a ruleset denies by default: the fields of struct
// landlock_ruleset_attr that exist up to ABI 9. Each set must be a subset of
// what the running ABI knows (HandledAccessFS and friends), else the kernel
// says EINVAL; a non-zero field the kernel's struct does not have yet
// (HandledAccessNet before ABI 4, Scoped before ABI 6) gives E2BIG.
type RulesetAttr struct {
	HandledAccessFS  uint64 // LANDLOCK_ACCESS_FS_* rights
	HandledAccessNet uint64 // LANDLOCK_ACCESS_NET_* rights (ABI 4)
	Scoped           uint64 // LANDLOCK_SCOPE_* (ABI 6)
}

// Ruleset is an open Landlock ruleset: a file descriptor the kernel creates
// close-on-exec, collecting rules until RestrictSelf. Not safe for
// concurrent use.
type Ruleset struct {
	fd      int
	abi     int // of the kernel at creation, to pick how RestrictSelf works
	handled RulesetAttr
}

// rulesetAttrSize is the size we pass for struct landlock_ruleset_attr: up
// to and including scoped. The kernel accepts a longer struct than it knows
// only if the unknown tail is zero, so this works on every ABI as long as
// the fields newer than the kernel are 0.
const rulesetAttrSize = unsafe.Offsetof(unix.LandlockRulesetAttr{}.Scoped) + 8

// NewRuleset creates a ruleset handling attr with landlock_create_ruleset(2).
// An all-zero attr is refused by the kernel with ENOMSG.
func NewRuleset(attr RulesetAttr) (*Ruleset, error) {
	abi, err := ABI()
	if err != nil {
		return nil, err
	}
	kattr := attr.KernelAttr()
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET,
		uintptr(unsafe.Pointer(&kattr[0])), uintptr(len(kattr)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("landlock_create_ruleset(fs=%#x net=%#x scoped=%#x): %w",
			attr.HandledAccessFS, attr.HandledAccessNet, attr.Scoped, errno)
	}
	return &Ruleset{fd: int(fd), abi: abi, handled: attr}, nil
}

// Fd is the ruleset's descriptor (close-on-exec), -1 once closed.
func (r *Ruleset) Fd() int { return r.fd }

// Handled returns the attr the ruleset was created with.
func (r *Ruleset) Handled() RulesetAttr { return r.handled }

// AddPathBeneath opens path with O_PATH|O_CLOEXEC, following symlinks (the
// rule then applies to the target), and adds a path-beneath rule for it
// with AddPathBeneathFd's masking. The fd is closed again: the kernel keeps
// its own reference to the inode.
func (r *Ruleset) AddPathBeneath(path string, access uint64) error {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return r.addPathBeneath(fd, access, path)
}

// AddPathBeneathFd adds a LANDLOCK_RULE_PATH_BENEATH rule granting access on
// the file or directory tree fd refers to (typically opened O_PATH, e.g.
// with O_NOFOLLOW to name a symlink itself). Rights the ruleset does not
// handle are dropped (they are never denied anyway, and the kernel would
// refuse them with EINVAL); on a non-directory the access is masked to
// AccessFSFile. If nothing is left, no rule is added and the result is nil.
func (r *Ruleset) AddPathBeneathFd(fd int, access uint64) error {
	return r.addPathBeneath(fd, access, fmt.Sprintf("fd %d", fd))
}

func (r *Ruleset) addPathBeneath(fd int, access uint64, name string) error {
	access &= r.handled.HandledAccessFS
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		access &= AccessFSFile
	}
	if access == 0 {
		return nil // the kernel would say ENOMSG: an empty rule grants nothing
	}
	attr := unix.LandlockPathBeneathAttr{Allowed_access: access, Parent_fd: int32(fd)}
	_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(r.fd),
		unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	if errno != 0 {
		return &os.PathError{Op: fmt.Sprintf("landlock_add_rule(PATH_BENEATH, %#x)", access), Path: name, Err: errno}
	}
	return nil
}

// ruleNetPort is LANDLOCK_RULE_NET_PORT of enum landlock_rule_type in
// include/uapi/linux/landlock.h (ABI 4); x/sys/unix v0.50.0 lacks it.
const ruleNetPort = 2

// netPortAttr is struct landlock_net_port_attr of
// include/uapi/linux/landlock.h (ABI 4): __u64 allowed_access; __u64 port;
// (not packed, no padding). x/sys/unix v0.50.0 does not define it.
type netPortAttr struct {
	allowedAccess uint64
	port          uint64
}

// AddNetPort adds a LANDLOCK_RULE_NET_PORT rule granting access
// (AccessNetBindTCP, AccessNetConnectTCP) on TCP port port, in host byte
// order. Rights the ruleset does not handle are dropped; if nothing is
// left, no rule is added. Ports above 65535 give EINVAL. Binding port 0
// (let the kernel choose) needs a rule for port 0.
func (r *Ruleset) AddNetPort(port uint64, access uint64) error {
	access &= r.handled.HandledAccessNet
	if access == 0 {
		return nil
	}
	attr := netPortAttr{allowedAccess: access, port: port}
	_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(r.fd),
		ruleNetPort, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("landlock_add_rule(NET_PORT, %#x) port %d: %w", access, port, errno)
	}
	return nil
}

// Close closes the ruleset fd. A domain already enforced stays in force;
// closing twice is a no-op.
func (r *Ruleset) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	if err != nil {
		return os.NewSyscallError("close(ruleset)", err)
	}
	return nil
}
