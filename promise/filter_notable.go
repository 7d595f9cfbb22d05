//go:build linux && !amd64 && !arm64

package promise

import (
	"fmt"
	"runtime"
	"syscall"

	"github.com/landpledge/landpledge/seccomp"
)

// On the Linux architectures other than amd64 and arm64 there is no
// promise table: the table's argument conditions are written with the
// host's golang.org/x/sys constants, which only amd64, arm64 and hosts
// with the same values can use (on 386, arm, mips* and ppc64* ioctl,
// fcntl, socket or open values differ, and ppc64 lacks TCGETS2), and
// syscall numbers exist for amd64 and arm64 only (zsysnum.go). So here
// BuildFilter and CompilePidFilter fail with ENOSYS, which matches
// errors.ErrUnsupported, Explain and SyscallName know no syscall, and
// package pledge fails closed (COMPAT.md). The declarations are those of
// filter.go (FilterOptions is options.go's, shared); keep them in step (the matrix build in compat_test catches
// a call this file lacks).

// errNoTable is every filter's error on this architecture.
var errNoTable = fmt.Errorf("promise: no promise table on linux/%s (seccomp filters exist for amd64 and arm64): %w", runtime.GOARCH, syscall.ENOSYS)

// BuildFilter fails: there is no promise table on this architecture.
func BuildFilter(arch seccomp.Arch, p Set, opts FilterOptions) (*seccomp.Filter, error) {
	return nil, errNoTable
}

// Explain knows no syscall on this architecture.
func Explain(arch seccomp.Arch, nr uint32, args [6]uint64) (syscall string, promise string) {
	return "", ""
}

// SyscallName knows no syscall on this architecture: "".
func SyscallName(arch seccomp.Arch, nr uint32) string { return "" }

// SyscallNumber knows no syscall on this architecture.
func SyscallNumber(arch seccomp.Arch, name string) (nr uint32, ok bool) { return 0, false }

// CompilePidFilter fails: there is no promise table on this architecture.
func CompilePidFilter(arch seccomp.Arch, p Set, opts FilterOptions) (*seccomp.ParamProgram, error) {
	return nil, errNoTable
}

// Table returns an empty view: there is no promise table on this
// architecture.
func Table() View { return View{MaxLen: maxPromiseLen} }

// ArchCond is the condition unchanged: no filter is built here.
func (c ViewCond) ArchCond(arch string, pid uint32) seccomp.Cond { return c.Cond }
