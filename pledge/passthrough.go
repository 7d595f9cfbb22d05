package pledge

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/unveil"
)

// This file is the package on systems other than Linux (pledge_nolinux.go
// calls it), in one platform-independent piece so that its tests run on
// Linux with a fake kernel (passthrough_test.go):
//
//   - with a kernel that has pledge(2) and unveil(2) (OpenBSD,
//     pledge_openbsd.go) every call goes straight to it, with its own
//     semantics and its own errors (golang.org/x/sys/unix's, unwrapped),
//     and what it accepted is recorded for CurrentState and UnveilStatus;
//   - without one (every other system, pledge_other.go) every call fails
//     with unsupported, an error matching errors.ErrUnsupported, after the
//     argument checks every platform makes (EINVAL, ENAMETOOLONG); with
//     best effort on, calls succeed without enforcing anything, keep
//     OpenBSD's bookkeeping (reduce-only EPERM, the unveil lock) so that a
//     ported program takes the same paths everywhere, and the reports say
//     that nothing is enforced.
//
// On Linux it is used by tests only.

// kernelCalls are pledge(2) and unveil(2) as golang.org/x/sys/unix has
// them on OpenBSD: Pledge, PledgePromises, PledgeExecpromises, Unveil and
// UnveilBlock.
type kernelCalls struct {
	pledge             func(promises, execpromises string) error
	pledgePromises     func(promises string) error
	pledgeExecpromises func(execpromises string) error
	unveil             func(path, flags string) error
	unveilBlock        func() error
}

// passthrough is the process's pledge and unveil state on a system other
// than Linux. It is safe for concurrent use.
type passthrough struct {
	kernel      *kernelCalls // nil: no pledge(2), no unveil(2)
	unsupported error        // every call's error without kernel

	mu         sync.Mutex
	bestEffort bool
	state      State
	entries    []unveil.Entry
	locked     bool
}

// newPassthrough returns the state of a process that has neither pledged
// nor unveiled; EnvBestEffort=1 turns best effort on.
func newPassthrough(kernel *kernelCalls, unsupported error) *passthrough {
	return &passthrough{kernel: kernel, unsupported: unsupported, bestEffort: os.Getenv(EnvBestEffort) == "1"}
}

// knownPromises is the set of the words of s that name promises: what a
// kernel accepted may hold a promise newer than this package.
func knownPromises(s string) Promises {
	var p Promises
	for _, w := range strings.Fields(s) {
		if q, err := ParsePromises(w); err == nil {
			p |= q
		}
	}
	return p
}

// pledge is Pledge (both non-nil), PledgePromises (execpromises nil) and
// PledgeExecpromises (promises nil).
func (pt *passthrough) pledge(promises, execpromises *string) error {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.kernel != nil {
		var err error
		switch {
		case promises != nil && execpromises != nil:
			err = pt.kernel.pledge(*promises, *execpromises)
		case promises != nil:
			err = pt.kernel.pledgePromises(*promises)
		case execpromises != nil:
			err = pt.kernel.pledgeExecpromises(*execpromises)
		}
		if err != nil {
			return err
		}
		var want, wantExec Promises
		if promises != nil {
			want = knownPromises(*promises)
		}
		if execpromises != nil {
			wantExec = knownPromises(*execpromises)
		}
		pt.record(promises != nil, want, execpromises != nil, wantExec)
		return nil
	}

	// No kernel: the arguments are checked as everywhere.
	want, wantExec, err := parseBoth(promises, execpromises)
	if err != nil {
		return err
	}
	if !pt.bestEffort {
		if promises != nil {
			return fmt.Errorf("pledge %q: %w", *promises, pt.unsupported)
		}
		return fmt.Errorf("pledge execpromises %q: %w", *execpromises, pt.unsupported)
	}
	if promises != nil && pt.state.Pledged {
		if extra := want &^ pt.state.Promises; extra != 0 && !pt.state.Promises.Has(promise.Error) {
			return fmt.Errorf("pledge %q: promise %q not in current %q: %w",
				*promises, extra.String(), pt.state.Promises.String(), syscall.EPERM)
		}
	}
	if execpromises != nil && pt.state.ExecSet {
		if extra := wantExec &^ pt.state.Execpromises; extra != 0 {
			return fmt.Errorf("pledge execpromises %q: promise %q not in current %q: %w",
				*execpromises, extra.String(), pt.state.Execpromises.String(), syscall.EPERM)
		}
	}
	pt.record(promises != nil, want, execpromises != nil, wantExec)
	if promises != nil && want.Has(promise.Exec) {
		pt.state.ExecErr = pt.unsupported
	}
	return nil
}

// record notes promises the kernel (or best effort) accepted. Adding
// promises is refused (EPERM) unless "error" is held, and then the
// addition is dropped: what holds is the intersection. A pledge without
// "unveil" locks unveil.
func (pt *passthrough) record(hasP bool, p Promises, hasE bool, e Promises) {
	if hasP {
		if pt.state.Pledged {
			p &= pt.state.Promises
		}
		pt.state.Pledged, pt.state.Promises = true, p
		if !p.Has(promise.Unveil) {
			pt.locked = true
		}
	}
	if hasE {
		pt.state.ExecSet, pt.state.Execpromises = true, e
	}
}

// unveil is Unveil.
func (pt *passthrough) unveil(path, permissions string) error {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.kernel != nil {
		if err := pt.kernel.unveil(path, permissions); err != nil {
			return err
		}
		perm, _ := unveil.ParsePerm(permissions) // the kernel took them
		pt.add(path, perm)
		return nil
	}
	// No kernel: the checks and their order are those of the Linux
	// engine (unveil.State.Unveil).
	if pt.locked {
		return unveilError(path, syscall.EPERM)
	}
	perm, err := unveil.ParsePerm(permissions)
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return unveilError(path, err)
	}
	if path == "" {
		return unveilError(path, syscall.EINVAL)
	}
	if err != nil {
		return unveilError(path, err)
	}
	if !pt.bestEffort {
		return unveilError(path, pt.unsupported)
	}
	pt.add(path, perm)
	return nil
}

func unveilError(path string, err error) error {
	return &os.PathError{Op: "unveil", Path: path, Err: err}
}

// add records an accepted unveil; the same path again replaces its
// permissions, as unveil(2) does.
func (pt *passthrough) add(path string, perm unveil.Perm) {
	for i := range pt.entries {
		if pt.entries[i].Path == path {
			pt.entries[i].Perm = perm
			return
		}
	}
	pt.entries = append(pt.entries, unveil.Entry{Path: path, Perm: perm})
}

// unveilBlock is UnveilBlock.
func (pt *passthrough) unveilBlock() error {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.kernel != nil {
		if err := pt.kernel.unveilBlock(); err != nil {
			return err
		}
	} else if !pt.bestEffort {
		return fmt.Errorf("unveil: %w", pt.unsupported)
	}
	pt.locked = true
	return nil
}

// setBestEffort is SetBestEffort.
func (pt *passthrough) setBestEffort(on bool) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.bestEffort = on
}

// currentState is CurrentState.
func (pt *passthrough) currentState() State {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.state
}

// status is UnveilStatus: with a kernel, what it accepted, enforced from
// the first unveil on; without one, nothing enforced and every right
// unenforced, as on a Linux kernel without Landlock.
func (pt *passthrough) status() unveil.Status {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	st := unveil.Status{
		BestEffort: pt.bestEffort,
		Locked:     pt.locked,
		Entries:    slices.Clone(pt.entries),
	}
	if pt.kernel != nil {
		st.Enforced = len(pt.entries) > 0
	} else {
		st.Err = pt.unsupported
		st.Unenforced = unveil.AllRights()
		st.AbstractUnixOpen = true
	}
	return st
}
