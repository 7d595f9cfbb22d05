package pledge

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// haveFilter is whether the promise table covers this architecture
// (amd64 and arm64; promise/filter_notable.go). Elsewhere on Linux Unveil
// works (Landlock is architecture-independent) but promises cannot be
// compiled into a filter: Pledge with promises fails closed with
// errNoFilter before changing anything, unless best effort is on; then it
// commits the veil as usual and loads no filter (State.Filters stays 0,
// Enforced is false). A variable, so tests can take the table away.
var haveFilter = func() bool {
	_, ok := promise.SyscallNumber(seccomp.Native(), "exit_group")
	return ok
}()

// errNoFilter is Pledge's error where haveFilter is false; ENOSYS matches
// errors.ErrUnsupported.
var errNoFilter = fmt.Errorf("no seccomp filter for linux/%s: the promise table covers amd64 and arm64: %w", runtime.GOARCH, unix.ENOSYS)

// Enforced reports whether the kernel enforces Promises: a seccomp filter
// of this package is loaded (Filters > 0). It is false before the first
// Pledge and after a best-effort Pledge that could load no filter.
func (s State) Enforced() bool { return s.Filters > 0 }
