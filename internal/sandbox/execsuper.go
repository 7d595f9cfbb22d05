package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/seccomp"
)

// The exec supervisor S: the pledge command's supervisor, attached to a
// process P that pledged with "exec" (package pledge, libpledge). It
// answers P's loader operations as P's filters would without the loader
// tags (P itself never has a loader window), gives every image P and its
// descendants exec a loader window for its own files, and injects the
// execpromises filter, when there are execpromises, into every such image
// at its exec stop, before it runs an instruction.

// execSuper is S's state. The supervise loop (one locked thread) reads it;
// the request goroutine replaces layers under mu.
type execSuper struct {
	mu     sync.Mutex
	self   []Layer   // the filters P loads, oldest first
	exec   *Compiled // the newest execpromises, nil before any
	pid    int       // P
	images Resolver
}

// selfData is the supervise Data of P itself: its layers change with each
// pledge, so they are looked up when needed, and a snapshot is taken for a
// process P creates (Inherit).
type selfData struct{}

// proc gives the Proc of a process with Data d.
func (x *execSuper) proc(d any) *Proc {
	switch d := d.(type) {
	case selfData:
		x.mu.Lock()
		defer x.mu.Unlock()
		return &Proc{Layers: x.self}
	case *Proc:
		return d
	}
	return nil
}

// ServeExecSupervisor is S, run by a program whose environment holds
// EnvExecSupervisor=arg: it attaches to process arg when asked, then serves
// requests while it supervises, and returns the exit status. arg must be
// this process's parent: the variable in some other program's environment
// must not turn it into a tracer of an arbitrary process.
func ServeExecSupervisor(arg string) int {
	ctl := bufio.NewReader(os.NewFile(ctlFd, "ctl"))
	ack := os.NewFile(ackFd, "ack")
	answer := func(err error) { fmt.Fprintln(ack, answerLine(err)) }
	pid, err := strconv.Atoi(arg)
	if err != nil || pid <= 0 {
		answer(fmt.Errorf("%s=%q: %w", EnvExecSupervisor, arg, unix.EINVAL))
		return 2
	}
	if pid != os.Getppid() {
		answer(fmt.Errorf("%s=%d is not this process's parent: %w", EnvExecSupervisor, pid, unix.EPERM))
		return 2
	}
	if line, err := ctl.ReadString('\n'); err != nil || line != reqAttach+"\n" {
		return 2 // P went away
	}
	// Not dumpable: nothing without CAP_SYS_PTRACE may ptrace S or open its
	// /proc/PID/mem (ptrace(2), "Ptrace access mode checking"), so P, once
	// pledged, cannot rewrite its own supervisor.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		answer(os.NewSyscallError("prctl(PR_SET_DUMPABLE, 0)", err))
		return 1
	}
	x := &execSuper{pid: pid, images: Resolver{Env: supervisorEnv()}}
	decider := &Decider{Arch: seccomp.Native(), Proc: x.proc}
	cfg := supervise.Config{
		Seccomp: decider.Seccomp,
		Data:    selfData{},
		Exec:    x.execStop,
		Inherit: func(d any) any {
			if p := x.proc(d); p != nil {
				return &Proc{Layers: slices.Clip(p.Layers), execFrom: p.execFrom}
			}
			return nil
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

// supervisorEnv is the environment the loader windows are resolved with:
// S's own, which is P's at the time it started S, before its first filter.
func supervisorEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, EnvExecSupervisor+"=")
	})
}

// serve applies P's requests until P closes the pipe (it exited or
// exec'd: the pipe is close-on-exec).
func (x *execSuper) serve(ctl *bufio.Reader, answer func(error)) {
	for {
		line, err := ctl.ReadString('\n')
		if err != nil {
			return
		}
		answer(x.request(strings.TrimSuffix(line, "\n")))
	}
}

func (x *execSuper) request(line string) error {
	kind, p, err := parseLayerLine(line)
	if err != nil {
		return err
	}
	// Compiled here, outside mu, which the supervise loop takes.
	c, err := Compile(p)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	switch kind {
	case reqSelf:
		x.self = append(slices.Clip(x.self), c.Layer(x.pid))
	case reqExec:
		// Reduce-only here too, so that a pledged P cannot widen what its
		// exec'd programs get by writing to the pipe.
		if x.exec != nil && p.Promises&^x.exec.Policy.Promises != 0 {
			return fmt.Errorf("execpromises %q wider than %q: %w",
				p.Promises.String(), x.exec.Policy.Promises.String(), unix.EPERM)
		}
		x.exec = c
	}
	return nil
}

// execStop gives the image pid has just exec'd its loader window and, with
// execpromises, injects their filter unless the image inherited that very
// filter from the image that exec'd it.
func (x *execSuper) execStop(pid int, d any) (any, error) {
	p := x.proc(d)
	if p == nil {
		return nil, errors.New("exec of an unknown process")
	}
	x.mu.Lock()
	e := x.exec
	x.mu.Unlock()
	layers := p.Layers
	if e != nil && !p.execLayer(e) {
		l := e.Layer(pid)
		if err := Inject(pid, &Sandbox{Filter: l.Loaded, FilterFlags: e.Policy.Flags}); err != nil {
			return nil, err
		}
		layers = append(slices.Clip(layers), l)
		return &Proc{Layers: layers, Image: x.images.ImageOf(pid), execFrom: e}, nil
	}
	return &Proc{Layers: layers, Image: x.images.ImageOf(pid), execFrom: p.execFrom}, nil
}
