package pledge

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// Running exec'd programs under exactly their execpromises.
//
// On Linux a seccomp filter stays on across execve, so an exec'd program
// keeps this process's filter; it can be narrowed further only from
// outside. When Pledge is called with execpromises set and promises holding
// "exec", this process (P) first starts a supervisor (S): P re-executes
// its own binary (/proc/self/exe) with EnvExecSupervisor naming P's pid,
// and this package's init runs S instead of the program. S is the pledge
// command's ptrace supervisor (internal/supervise) attached to P with
// PTRACE_SEIZE on every thread. P then loads its filter with the loader
// operations tagged SECCOMP_RET_TRACE(loaderTag) instead of denied:
//
//   - in P and in the processes it forks, a loader-tagged call is answered
//     by S with what the filters the process holds would have answered
//     without the tag (the kill, the EACCES fallback of an open, ENOSYS
//     under "error"), evaluated on the syscall's registers with
//     seccomp.Filter.Decide, never from the process's memory;
//   - at every exec stop (PTRACE_EVENT_EXEC: the new image has one thread
//     and has not run an instruction) S injects the execpromises filter
//     (supervise.Injector) unless the image inherited that very filter,
//     and grants the new image's loader its operations until its ELF entry
//     point, as the command does. The image then runs under p ∩ e: the
//     filter stacks on P's, and the kernel keeps the most severe answer.
//
// S trusts P only as far as P's own rules go: it refuses execpromises that
// grow and violation actions other than the ones Pledge uses, and it makes
// itself not dumpable, so that a pledged P cannot ptrace it or write its
// /proc/PID/mem (without CAP_SYS_PTRACE). Whatever P asks, an exec'd image
// keeps P's filter: it never gets more than P's promises.
//
// S exits when P and every descendant are gone. If S dies,
// PTRACE_O_EXITKILL kills every process it traces, and without a tracer a
// SECCOMP_RET_TRACE call fails with ENOSYS: fail closed.

// EnvExecSupervisor, set to a pid in the environment of a program that
// imports this package, makes the package's init run the exec supervisor
// for that process instead of the program (and exit). Pledge sets it when
// it re-executes the program as the supervisor; the init functions of the
// packages this one imports have run by then, the program's own have not.
const EnvExecSupervisor = "LANDPLEDGE_EXEC_SUPERVISOR"

// Trace tags of the filters' SECCOMP_RET_TRACE actions. Only loader
// operations are traced; violations are decided by the kernel.
const (
	execViolationTag uint16 = 1 // never returned: violations kill or fail in the kernel
	execLoaderTag    uint16 = 2
)

// File descriptors of the supervisor: P writes requests to ctlFd, S
// answers each on ackFd with "ok" or "err ERRNO TEXT".
const (
	ctlFd = 3
	ackFd = 4
)

// errNoExecSupervisor is ExecErr on architectures without the supervisor
// (internal/supervise's breakpoint, register and injection code is amd64
// only).
var errNoExecSupervisor = fmt.Errorf("pledge: execpromises: no exec supervisor on this architecture, exec'd programs keep the promises: %w", unix.ENOSYS)

// supervisor is P's side of S.
type supervisor struct {
	cmd *exec.Cmd
	ctl *os.File
	ack *bufio.Reader
	// sentExec is the execpromises S has (sent set when it has any).
	sentExec Promises
	sentSet  bool
}

// sup is P's supervisor, nil when none runs.
var sup *supervisor

// needSupervisor reports whether pledging p with execpromises e (eSet when
// e is set) requires S: something can be exec'd ("exec") and the new image
// must be narrowed to e.
func needSupervisor(p Promises, e Promises, eSet bool) bool {
	return eSet && p.Has(promise.Exec)
}

// ensureSupervisor starts S if p and e need it and it does not run yet.
// It must run before any filter or veil of this process is enforced: S is
// this program exec'd again, which a veil may not allow, and it must not
// inherit a filter (ptrace is never allowed). Called with mu held.
func ensureSupervisor(p, e Promises, eSet bool) error {
	if sup != nil || !needSupervisor(p, e, eSet) {
		return nil
	}
	if !execSupervised {
		state.ExecErr = errNoExecSupervisor
		return nil
	}
	var err error
	if state.Filters > 0 {
		err = fmt.Errorf("pledge: execpromises with \"exec\" need the exec supervisor, which must start before the first filter (set execpromises in the first Pledge): %w", unix.EPERM)
	} else {
		sup, err = startSupervisor()
	}
	if err != nil {
		if !UnveilStatus().BestEffort {
			return err
		}
		// Best effort: exec'd programs keep this process's promises, as
		// without a supervisor; CurrentState().ExecErr says why.
		state.ExecErr = err
		return nil
	}
	state.ExecSupervisor = sup.cmd.Process.Pid
	state.ExecErr = nil
	return nil
}

// startSupervisor re-executes this program as S, lets it trace this
// process and waits until every thread is attached.
func startSupervisor() (*supervisor, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("pledge: exec supervisor: finding this program: %w", err)
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pledge: exec supervisor: %w", err)
	}
	ackR, ackW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("pledge: exec supervisor: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), EnvExecSupervisor+"="+strconv.Itoa(os.Getpid()))
	cmd.ExtraFiles = []*os.File{ctlR, ackW} // fds 3 and 4
	cmd.Stderr = os.Stderr
	// Its own session: a terminal's Ctrl-C or hang-up must not kill S (and
	// so, by PTRACE_O_EXITKILL, this process when it handles the signal).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	ctlR.Close()
	ackW.Close()
	if err != nil {
		ctlW.Close()
		ackR.Close()
		hint := ""
		if UnveilStatus().Enforced {
			hint = " (the veil is enforced already: pledge before UnveilBlock, or unveil this program \"x\")"
		}
		return nil, fmt.Errorf("pledge: starting the exec supervisor%s: %w", hint, err)
	}
	s := &supervisor{cmd: cmd, ctl: ctlW, ack: bufio.NewReader(ackR)}
	// Yama's ptrace_scope 1 lets only ancestors trace, unless the tracee
	// names its tracer; EINVAL without Yama.
	if err := unix.Prctl(unix.PR_SET_PTRACER, uintptr(cmd.Process.Pid), 0, 0, 0); err != nil && err != unix.EINVAL {
		s.stop()
		return nil, fmt.Errorf("pledge: exec supervisor: prctl(PR_SET_PTRACER, %d): %w", cmd.Process.Pid, err)
	}
	if err := s.request("attach"); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// stop ends a supervisor that failed to start.
func (s *supervisor) stop() {
	s.ctl.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// request sends one line to S and waits for its answer; "err ERRNO TEXT"
// becomes an error wrapping that errno.
func (s *supervisor) request(line string) error {
	if _, err := fmt.Fprintln(s.ctl, line); err != nil {
		return fmt.Errorf("pledge: exec supervisor: %s: %w", line, err)
	}
	answer, err := s.ack.ReadString('\n')
	if err != nil {
		return fmt.Errorf("pledge: exec supervisor: %s: no answer: %w", line, err)
	}
	answer = strings.TrimSuffix(answer, "\n")
	if answer == "ok" {
		return nil
	}
	fields := strings.SplitN(answer, " ", 3)
	if len(fields) == 3 && fields[0] == "err" {
		n, _ := strconv.Atoi(fields[1])
		return fmt.Errorf("pledge: exec supervisor: %s: %s: %w", line, fields[2], syscall.Errno(n))
	}
	return fmt.Errorf("pledge: exec supervisor: %s: answer %q: %w", line, answer, unix.EPROTO)
}

// layerRequest is the line that tells S about a filter: kind "self" for
// one this process loads, "exec" for the execpromises filter.
func layerRequest(kind string, p Promises, violation seccomp.Action, flags uint) string {
	return fmt.Sprintf("%s %d %d %d", kind, uint64(p), uint32(violation), flags)
}

func parseLayerRequest(line string) (kind string, l *layer, err error) {
	f := strings.Fields(line)
	if len(f) != 4 {
		return "", nil, fmt.Errorf("request %q: %w", line, unix.EINVAL)
	}
	p, err1 := strconv.ParseUint(f[1], 10, 64)
	v, err2 := strconv.ParseUint(f[2], 10, 32)
	fl, err3 := strconv.ParseUint(f[3], 10, 32)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", nil, fmt.Errorf("request %q: %w: %w", line, unix.EINVAL, err)
	}
	// Only what fromEnv gives: zero (the promises decide) or an errno.
	if act := seccomp.Action(v); act != 0 && act&unix.SECCOMP_RET_ACTION_FULL != seccomp.ActErrno(0) {
		return "", nil, fmt.Errorf("request %q: violation %v: %w", line, act, unix.EINVAL)
	}
	l, err = newLayer(Promises(p), seccomp.Action(v), uint(fl))
	return f[0], l, err
}

// tellSupervisor sends S the filter this process is about to load (before
// it loads it, so S never judges with promises wider than the kernel's)
// and the execpromises when they changed. Called with mu held.
func tellSupervisor(promises *Promises, e Promises, eSet bool, violation seccomp.Action, flags uint) error {
	if sup == nil {
		return nil
	}
	if eSet && (!sup.sentSet || sup.sentExec != e) {
		if err := sup.request(layerRequest("exec", e, violation, flags)); err != nil {
			return err
		}
		sup.sentExec, sup.sentSet = e, true
	}
	if promises != nil {
		return sup.request(layerRequest("self", *promises, violation, flags))
	}
	return nil
}

// layer is one filter a process holds, as S knows it.
type layer struct {
	promises  Promises
	violation seccomp.Action // promise.FilterOptions.Violation (zero: the promises decide)
	flags     uint           // seccomp(2) flags (EnvLog)
	// decide is the filter built without the loader tags: what the layer
	// answers a loader operation once start-up is over.
	decide *seccomp.Filter
	// inject is the filter injected into exec'd images (execpromises
	// layers only): compiled once, with the loader tag, and given each
	// image's pid for its "to itself" rules by rewriting the comparisons
	// (promise.CompilePidFilter), so that an exec compiles nothing. Nil when it
	// could not be compiled that way: then each exec compiles its own.
	inject *seccomp.ParamProgram
}

func newLayer(p Promises, violation seccomp.Action, flags uint) (*layer, error) {
	f, err := promise.BuildFilter(seccomp.Native(), p, promise.FilterOptions{Violation: violation})
	if err != nil {
		return nil, err
	}
	return &layer{promises: p, violation: violation, flags: flags, decide: f}, nil
}

// injectFilter is the loader-tagged filter of execpromises layer l for the
// image pid: patched from l.inject when there, else compiled for pid.
func (l *layer) injectFilter(pid int) (seccomp.Program, error) {
	if l.inject != nil {
		return l.inject.Program(uint32(pid)), nil
	}
	f, err := promise.BuildFilter(seccomp.Native(), l.promises, l.injectOptions(pid))
	if err != nil {
		return nil, err
	}
	return f.Compile()
}

// injectOptions are the options of the filter injected into an exec'd
// image: the layer's violation action, the loader operations traced for
// the supervisor's start-up grants.
func (l *layer) injectOptions(pid int) promise.FilterOptions {
	return promise.FilterOptions{Violation: l.violation, Loader: seccomp.ActTrace(execLoaderTag), Pid: pid}
}

// stackDecide is what the kernel answers for d from a stack of filters
// (oldest first) when none traces: every filter runs, the action with the
// lowest value as a signed number wins (KILL_PROCESS first, ALLOW last),
// and among equal actions the newest filter's data (errno) wins
// (seccomp_run_filters compares ACTION_ONLY, newest to oldest, with <).
func stackDecide(layers []*layer, d seccomp.Data) seccomp.Action {
	ret := seccomp.ActAllow
	for i := len(layers) - 1; i >= 0; i-- {
		act := layers[i].decide.Decide(d)
		if actionOnly(act) < actionOnly(ret) {
			ret = act
		}
	}
	return ret
}

func actionOnly(a seccomp.Action) int32 { return int32(uint32(a) & unix.SECCOMP_RET_ACTION_FULL) }
