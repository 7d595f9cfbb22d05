//go:build linux && !amd64 && !arm64

package promise

import (
	"fmt"
	"runtime"
	"syscall"

	"github.com/landpledge/landpledge/seccomp"
)

// Learn mode on the Linux architectures without a promise table (see
// learn.go): there is no table to read the other way round, so nothing
// can be learned, and LearnFilter fails with ENOSYS (errors.ErrUnsupported)
// before the program runs.

// LearnOptions: see learn.go.
type LearnOptions struct {
	Pid       int
	PathLayer bool
}

// Alternatives knows no syscall here.
func Alternatives(arch seccomp.Arch, nr uint32, args [6]uint64, o LearnOptions) (string, []Alt) {
	return "", nil
}

// LearnFilter fails: no promise table on this architecture.
func LearnFilter(arch seccomp.Arch, trace seccomp.Action, pid int) (*seccomp.Filter, error) {
	return nil, fmt.Errorf("promise: no promise table on %s: %w", runtime.GOARCH, syscall.ENOSYS)
}
