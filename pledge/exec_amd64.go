package pledge

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
)

// execSupervised is true where the exec supervisor exists (see exec.go).
const execSupervised = true

func init() {
	if v := os.Getenv(EnvExecSupervisor); v != "" {
		os.Exit(runSupervisor(v))
	}
}

// execSuper is S's state. The supervise loop (one locked thread) reads it,
// the request goroutine replaces layers under mu.
type execSuper struct {
	mu   sync.Mutex
	self []*layer // the filters P loaded, oldest first
	exec *layer   // the newest execpromises filter
}

// selfData is the supervise Data of P itself: its layers change with each
// pledge, so they are looked up when needed, and snapshot for a process P
// creates (Config.Inherit).
type selfData struct{}

// layersOf returns the filters a process with Data d holds.
func (x *execSuper) layersOf(d any) []*layer {
	switch d := d.(type) {
	case selfData:
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.self
	case []*layer:
		return d
	}
	return nil
}

// runSupervisor is S: it attaches to process pid when asked, then serves
// requests while the supervise loop runs. It returns the exit status.
func runSupervisor(arg string) int {
	pid, err := strconv.Atoi(arg)
	ctl := bufio.NewReader(os.NewFile(ctlFd, "ctl"))
	ack := os.NewFile(ackFd, "ack")
	answer := func(err error) {
		if err == nil {
			fmt.Fprintln(ack, "ok")
			return
		}
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = unix.EINVAL
		}
		fmt.Fprintf(ack, "err %d %s\n", int(errno), strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if err != nil || pid <= 0 {
		answer(fmt.Errorf("%s=%q: %w", EnvExecSupervisor, arg, unix.EINVAL))
		return 2
	}
	// Only the process that started this one may be supervised: the
	// variable in some other program's environment must not turn it into
	// a tracer of an arbitrary process.
	if pid != os.Getppid() {
		answer(fmt.Errorf("%s=%d is not this process's parent: %w", EnvExecSupervisor, pid, unix.EPERM))
		return 2
	}
	if line, err := ctl.ReadString('\n'); err != nil || line != "attach\n" {
		return 2 // P went away
	}
	// Not dumpable: nothing without CAP_SYS_PTRACE may ptrace S or open its
	// /proc/PID/mem (ptrace(2), "Ptrace access mode checking"), so P, once
	// pledged, cannot rewrite its own supervisor.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		answer(os.NewSyscallError("prctl(PR_SET_DUMPABLE, 0)", err))
		return 1
	}
	x := &execSuper{}
	arch := seccomp.Native()
	cfg := supervise.Config{
		ViolationTag: execViolationTag,
		LoaderTag:    execLoaderTag,
		// Every filter of the stack answers it with its BadArch action,
		// KILL_PROCESS when its violations kill, which is the only case in
		// which x.decide answers Kill.
		KillNr:      badArchNr(arch),
		Data:        selfData{},
		OnViolation: func(v *supervise.Violation) supervise.Verdict { return x.decide(arch, v) },
		Exec:        x.execStop,
		Inherit: func(d any) any {
			if _, ok := d.(selfData); ok {
				return slices.Clone(x.layersOf(d))
			}
			return d
		},
	}
	if os.Getenv("LANDPLEDGE_EXEC_DEBUG") == "1" {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "S: "+format+"\n", args...) }
	}
	att, err := supervise.Attach(pid, cfg)
	answer(err)
	if err != nil {
		return 1
	}
	go x.serve(ctl, answer)
	if _, err := att.Wait(); err != nil {
		fmt.Fprintf(os.Stderr, "pledge: exec supervisor of %d: %v\n", pid, err)
		return 1
	}
	return 0
}

// serve applies P's requests until P closes the pipe (it exited or
// exec'd: the pipe is close-on-exec).
func (x *execSuper) serve(ctl *bufio.Reader, answer func(error)) {
	for {
		line, err := ctl.ReadString('\n')
		if err != nil {
			return
		}
		kind, l, err := parseLayerRequest(strings.TrimSuffix(line, "\n"))
		if err == nil && kind == "exec" {
			// Compiled here, once, rather than at every exec stop, and
			// outside mu, which the supervise loop takes. On failure
			// inject stays nil and each exec compiles its own.
			l.inject, _ = promise.CompilePidFilter(seccomp.Native(), l.promises, l.injectOptions(0))
		}
		if err == nil {
			x.mu.Lock()
			switch kind {
			case "self":
				x.self = append(slices.Clip(x.self), l)
			case "exec":
				// Reduce-only here too, so that a pledged P cannot widen
				// what its exec'd programs get by writing to the pipe.
				if x.exec != nil && l.promises&^x.exec.promises != 0 {
					err = fmt.Errorf("execpromises %q wider than %q: %w", l.promises.String(), x.exec.promises.String(), unix.EPERM)
					break
				}
				x.exec = l
			default:
				err = fmt.Errorf("request %q: %w", line, unix.EINVAL)
			}
			x.mu.Unlock()
		}
		answer(err)
	}
}

// decide answers a loader-tagged call of a process that has started (P, a
// process it forked, or an exec'd image after its entry point) with what
// its filters answer without the loader tags.
func (x *execSuper) decide(arch seccomp.Arch, v *supervise.Violation) supervise.Verdict {
	act := stackDecide(x.layersOf(v.Data), seccomp.Data{Nr: int32(v.Nr), Arch: arch.AuditArch, Args: v.Args})
	switch kind := uint32(act) & unix.SECCOMP_RET_ACTION_FULL; kind {
	case unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_LOG:
		return supervise.Allow
	case unix.SECCOMP_RET_ERRNO:
		v.Errno = unix.Errno(uint32(act) & unix.SECCOMP_RET_DATA)
		return supervise.Deny
	}
	return supervise.Kill
}

// execStop injects the execpromises filter into the image pid has just
// exec'd, unless the image inherited that very filter from the image that
// exec'd it; it returns the image's layers.
func (x *execSuper) execStop(pid int, d any) (any, error) {
	layers := x.layersOf(d)
	x.mu.Lock()
	e := x.exec
	x.mu.Unlock()
	if e == nil {
		// P has not loaded a filter yet either (it sends the execpromises
		// first): nothing to narrow.
		return d, nil
	}
	if n := len(layers); n > 0 && layers[n-1] == e {
		return layers, nil
	}
	prog, err := e.injectFilter(pid)
	if err != nil {
		return nil, err
	}
	in, err := supervise.NewInjector(pid)
	if err != nil {
		return nil, err
	}
	if err := in.Apply(&supervise.Sandbox{Filter: prog, FilterFlags: e.flags}); err != nil {
		return nil, err
	}
	if err := in.Restore(); err != nil {
		return nil, err
	}
	return append(slices.Clip(layers), e), nil
}

// badArchNr is arch's BadArch syscall number, -1 without one.
func badArchNr(arch seccomp.Arch) int64 {
	nr, ok := arch.BadArchNr()
	if !ok {
		return -1
	}
	return int64(nr)
}
