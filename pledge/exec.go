//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Exec'd programs. OpenBSD pledges an image, not a process tree: after
// pledge(p, NULL) an exec'd program runs unpledged and unveiled, and with
// execpromises under exactly them. On Linux a seccomp filter and a
// Landlock domain stay on across execve and are inherited by every image,
// so when Pledge is given promises holding "exec", this process (P) first
// starts the exec supervisor (S, internal/sandbox): P re-executes its own
// binary (/proc/self/exe) with sandbox.EnvExecSupervisor naming P's pid,
// and this package's init runs S instead of the program. S is the pledge
// command's ptrace supervisor, attached to P with PTRACE_SEIZE on every
// thread, and it is P's exec broker: every image P or its descendants
// exec runs in a fresh process S starts outside P's sandbox, with the
// state an exec keeps (descriptors, working directory, limits, signal
// state, ids, process group, argv and environment), unpledged and
// unveiled without execpromises, exactly under them (with P's veil) with
// them; the process that exec'd stands in for it (it holds nothing,
// passes on its signals and ends as the image ends). P loads its filter
// with its loader operations traced; S answers them as the filter would
// without them. See internal/sandbox and docs/supervisor.md. If S dies,
// PTRACE_O_EXITKILL kills every process it traces, and without a tracer a
// traced call fails with ENOSYS: fail closed.
//
// A process that is traced already (by the pledge command, which runs
// everything under its -p, by the broker that runs it under execpromises,
// or by a debugger) cannot have a supervisor of its own. There it keeps
// "exec" while it has no execpromises: its exec'd programs then keep its
// promises and its veil, inside what the tracer allows (the command's -p;
// the execpromises it was exec'd with, which OpenBSD would give them too),
// never more than OpenBSD would give; CurrentState().ExecErr and one line
// on stderr say so. With execpromises it cannot give its images them, so
// "exec" is dropped (NotEnforcedError), as when a supervisor cannot start.

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

// errTraced is why a traced process has no exec supervisor (see above).
var errTraced = errors.New("this process is traced already (by the pledge command, the exec supervisor that runs it under execpromises, or a debugger), so it cannot have an exec supervisor of its own: its exec'd programs keep its promises and its veil (and its tracer's rules)")

// warnedTraced is set once the line about errTraced was printed.
var warnedTraced sync.Once

// tracer is TracerPid of /proc/self/status, 0 if none or unknown.
func tracer() int {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// ensureSupervisor starts S if p needs it and it does not run yet. It must
// run before any filter or veil of this process is enforced: S is this
// program exec'd again, which a veil may not allow, and it must not inherit
// a filter (ptrace is never allowed). The error is the environment's (no
// /proc, ptrace refused, a filter loaded already, traced already:
// errTraced); the caller fails closed. A veil enforced already (UnveilBlock
// before the first pledge) is sent to S at once. Called with mu held.
func ensureSupervisor(p Promises) error {
	if sup != nil || !needSupervisor(p) {
		return nil
	}
	if !execSupervised {
		return errNoExecSupervisor
	}
	if t := tracer(); t != 0 {
		return fmt.Errorf("pledge: TracerPid %d: %w (%w)", t, errTraced, unix.EPERM)
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
	if st := UnveilStatus(); st.Enforced {
		if err := c.Veil(st.Entries); err != nil {
			return fmt.Errorf("pledge: %w", err)
		}
	}
	sup = c
	state.ExecSupervisor = c.Pid()
	state.ExecErr = nil
	return nil
}

// tracedExec is what a pledge keeping "exec" does when ensureSupervisor
// answered errTraced: without execpromises the process keeps "exec"
// (ExecErr and one line say why); with them "exec" cannot be enforced as
// asked and is dropped. It returns the promises to enforce and the error
// to report, if any. Called with mu held.
func tracedExec(want Promises, execSet bool, err error) (Promises, error) {
	if execSet {
		return want &^ promise.Exec, fmt.Errorf("promise \"exec\" dropped (execpromises cannot be enforced): %w", err)
	}
	state.ExecErr = err
	warnedTraced.Do(func() { fmt.Fprintln(os.Stderr, err) })
	return want, nil
}

// tellSupervisor sends S the filter this process is about to load (before
// it loads it, so S never judges with promises wider than the kernel's)
// and the execpromises when they changed. Called with mu held.
//
// The execpromises filter has no path layer of its own: it decides opens
// by their flags (the image keeps the veil, which S builds again).
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
