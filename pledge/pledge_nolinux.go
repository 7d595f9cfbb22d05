//go:build !linux

package pledge

import (
	"github.com/landpledge/landpledge/unveil"
)

// The package's API on systems other than Linux: the same names and types
// as on Linux (pledge.go, unveil.go, exec.go), so that a ported program
// builds everywhere without build tags of its own. On OpenBSD every call
// is the kernel's pledge(2) or unveil(2) (pledge_openbsd.go); elsewhere
// every call fails with an error matching errors.ErrUnsupported, or with
// best effort on succeeds without enforcing anything (pledge_other.go).
// See passthrough.go and COMPAT.md.

// sys is this process's pledge and unveil state (pledge_openbsd.go,
// pledge_other.go).
var sys = newPassthrough(kernel, errUnsupported)

// Enforced reports whether the kernel enforces Promises: on OpenBSD once
// pledge(2) accepted them; never on a system without pledge(2) or
// Landlock and seccomp.
func (s State) Enforced() bool { return s.Pledged && kernel != nil }

// CurrentState returns the promises and execpromises in force.
func CurrentState() State { return sys.currentState() }

// Pledge is OpenBSD's pledge(2) with both arguments non-NULL
// (golang.org/x/sys/unix semantics: "" is the empty set, not NULL). On
// OpenBSD it is unix.Pledge; elsewhere it fails with an error matching
// errors.ErrUnsupported unless best effort is on (SetBestEffort).
func Pledge(promises, execpromises string) error {
	return sys.pledge(&promises, &execpromises)
}

// PledgePromises is Pledge with execpromises NULL (unix.PledgePromises).
func PledgePromises(promises string) error {
	return sys.pledge(&promises, nil)
}

// PledgeExecpromises is Pledge with promises NULL
// (unix.PledgeExecpromises).
func PledgeExecpromises(execpromises string) error {
	return sys.pledge(nil, &execpromises)
}

// Unveil is OpenBSD's unveil(2) (golang.org/x/sys/unix signature). On
// OpenBSD it is unix.Unveil, enforced from the first call on; elsewhere it
// fails with an *os.PathError whose error matches errors.ErrUnsupported,
// unless best effort is on.
func Unveil(path, permissions string) error { return sys.unveil(path, permissions) }

// UnveilBlock is unveil(NULL, NULL): it locks the unveil state. On OpenBSD
// it is unix.UnveilBlock.
func UnveilBlock() error { return sys.unveilBlock() }

// SetBestEffort chooses what happens on a system without pledge(2) and
// unveil(2): off (the default) makes every call fail with an error
// matching errors.ErrUnsupported; on makes them succeed without enforcing
// anything, which CurrentState and UnveilStatus then show. On OpenBSD the
// kernel always enforces and best effort changes nothing.
func SetBestEffort(on bool) { sys.setBestEffort(on) }

// UnveilStatus reports the veil: on OpenBSD what the kernel accepted
// (Enforced once something is unveiled); elsewhere that nothing is
// enforced (Err says why).
func UnveilStatus() unveil.Status { return sys.status() }
