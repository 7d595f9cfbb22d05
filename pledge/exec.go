//go:build linux

package pledge

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Exec'd programs. On Linux a seccomp filter stays on across execve, so an
// exec'd program keeps this process's filter, and a dynamically linked one
// needs its loader to open and map libraries, which the promises may not
// allow. So when Pledge is given promises holding "exec", this process (P)
// first starts the exec supervisor (S, internal/sandbox): P re-executes
// its own binary (/proc/self/exe) with sandbox.EnvExecSupervisor naming
// P's pid, and this package's init runs S instead of the program. S is the
// pledge command's ptrace supervisor, attached to P with PTRACE_SEIZE on
// every thread. P then loads its filter with the loader operations traced
// instead of denied; S answers them for P as the filter would without
// them, gives every image P or its descendants exec a loader window for
// that image's own files only, and, with execpromises, injects their
// filter into every such image before it runs an instruction, so that it
// runs under promises ∩ execpromises. See internal/sandbox and
// docs/supervisor.md. If S dies, PTRACE_O_EXITKILL kills every process it
// traces, and without a tracer a traced call fails with ENOSYS: fail
// closed.

func init() {
	if v := os.Getenv(EnvExecSupervisor); v != "" && execSupervised {
		os.Exit(sandbox.ServeExecSupervisor(v))
	}
}

// errNoExecSupervisor is ExecErr on architectures without the supervisor
// (internal/supervise's breakpoint, register and injection code is amd64
// only).
var errNoExecSupervisor = fmt.Errorf("pledge: no exec supervisor on this architecture: exec'd programs keep the promises and get no loader window: %w", unix.ENOSYS)

// sup is P's side of S, nil when none runs.
var sup *sandbox.Client

// needSupervisor reports whether promises p need S: something can be
// exec'd.
func needSupervisor(p Promises) bool { return p.Has(promise.Exec) }

// ensureSupervisor starts S if p needs it and it does not run yet. It must
// run before any filter or veil of this process is enforced: S is this
// program exec'd again, which a veil may not allow, and it must not inherit
// a filter (ptrace is never allowed). The error is the environment's (no
// /proc, ptrace refused, a filter loaded already); the caller fails closed.
// Called with mu held.
func ensureSupervisor(p Promises) error {
	if sup != nil || !needSupervisor(p) {
		return nil
	}
	if !execSupervised {
		return errNoExecSupervisor
	}
	if state.Filters > 0 {
		return fmt.Errorf("pledge: \"exec\" needs the exec supervisor, which must start before the first filter (pledge \"exec\" in the first Pledge): %w", unix.EPERM)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("pledge: exec supervisor: finding this program: %w", err)
	}
	c, err := sandbox.StartExecSupervisor(exe)
	if err != nil {
		if UnveilStatus().Enforced {
			err = fmt.Errorf("%w (the veil is enforced already: pledge before UnveilBlock, or unveil this program \"x\")", err)
		}
		return fmt.Errorf("pledge: %w", err)
	}
	sup = c
	state.ExecSupervisor = c.Pid()
	state.ExecErr = nil
	return nil
}

// tellSupervisor sends S the filter this process is about to load (before
// it loads it, so S never judges with promises wider than the kernel's)
// and the execpromises when they changed. Called with mu held.
//
// The execpromises filter has no path layer of its own (the supervisor
// cannot give an exec'd image descriptors to name paths with): it decides
// opens by their flags.
func tellSupervisor(promises *Promises, pathLayer bool, e Promises, eSet bool, violation seccomp.Action, flags uint) error {
	if sup == nil {
		return nil
	}
	if eSet {
		if err := sup.Exec(sandbox.Policy{Promises: e, Violation: violation, Flags: flags}); err != nil {
			return err
		}
	}
	if promises != nil {
		return sup.Self(sandbox.Policy{Promises: *promises, Violation: violation, Flags: flags, PathLayer: pathLayer})
	}
	return nil
}
