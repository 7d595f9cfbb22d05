//go:build !amd64

package supervise

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errNoInject is what injection gives where it is not implemented: the
// instruction and the register set are per architecture (arm64 would use
// "svc #0" and NT_PRSTATUS/NT_ARM_SYSTEM_CALL).
var errNoInject = errors.New("syscall injection is implemented for amd64 only")

// Injector runs system calls in a stopped tracee thread; see the amd64
// implementation.
type Injector struct{}

// NewInjector fails: see errNoInject.
func NewInjector(tid int) (*Injector, error) { return nil, errNoInject }

// Stage fails: see errNoInject.
func (in *Injector) Stage(b []byte) (uint64, error) { return 0, errNoInject }

// Syscall fails: see errNoInject.
func (in *Injector) Syscall(nr uintptr, args ...uint64) (uint64, error) { return 0, errNoInject }

// Restore fails: see errNoInject.
func (in *Injector) Restore() error { return errNoInject }

// replaceResult fails: see errNoInject (the caller then kills the process).
func replaceResult(tid int, rval int64, errno unix.Errno) error { return errNoInject }

// injectKill fails: see errNoInject (the caller then kills the process).
func injectKill(tid int, nr uint64) error { return errNoInject }
