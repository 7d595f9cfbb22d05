package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/seccomp"
)

// The exec supervisor S: the pledge command's supervisor, attached to a
// process P that pledged with "exec" (package pledge, libpledge). It
// answers P's loader operations as P's filters would without the loader
// tags (P itself never has a loader window), and it is P's exec broker
// (broker.go): every image P or one of its descendants execs runs in a
// fresh process that S starts, unpledged and unveiled without
// execpromises, exactly under them (with P's veil) with them, while the
// process that exec'd stands in for it (standin.go).

// execSuper is S's state. The supervise loop (one locked thread) reads it;
// the request goroutine replaces layers under mu.
type execSuper struct {
	mu     sync.Mutex
	self   []Layer   // the filters P loads, oldest first
	exec   *Compiled // the newest execpromises, nil before any
	pid    int       // P
	images Resolver
	// pending are the veil entries received, veil the committed ones
	// (nil before the commit).
	pending, veil []veilEntry
	committed     bool
	att           *supervise.Attached
	sid           int // S's session, which is P's
	abi           int // the Landlock ABI, 0 without Landlock
	// named are the named paths of each execpromises filter S got,
	// opened then (before any image runs).
	named map[*Compiled]*NamedFiles
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
		return &Proc{Layers: x.self, exec: x.rule()}
	case *Proc:
		return d
	}
	return nil
}

// rule is P's execRule now; called with mu held.
func (x *execSuper) rule() *execRule {
	if x.exec == nil {
		return nil
	}
	return &execRule{filter: x.exec, veil: x.veil, named: x.named[x.exec]}
}

// ServeExecSupervisor is S, run by a program whose environment holds
// EnvExecSupervisor=arg: it attaches to process arg when asked, then serves
// requests while it supervises, and returns the exit status. arg must be
// this process's parent: the variable in some other program's environment
// must not turn it into a tracer of an arbitrary process.
func ServeExecSupervisor(arg string) int {
	// Nothing of S's may reach the processes it starts: not the request
	// and answer pipes (an image reading P's requests would keep S from
	// learning P's narrower pledges), nor what S inherited from P.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
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
	ignoreJobSignals()
	x := &execSuper{pid: pid, images: Resolver{Env: supervisorEnv()}, sid: sessionOf(os.Getpid())}
	if abi, err := landlock.ABI(); err == nil {
		x.abi = abi
	}
	decider := &Decider{Arch: seccomp.Native(), Proc: x.proc}
	cfg := supervise.Config{
		Seccomp: decider.Seccomp,
		Data:    selfData{},
		Exec:    x.execStop,
		Inherit: func(d any) any {
			if p := x.proc(d); p != nil {
				return &Proc{Layers: slices.Clip(p.Layers), exec: p.exec}
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
	x.att = att
	go x.serve(ctl, answer)
	if _, err := att.Wait(); err != nil {
		fmt.Fprintf(os.Stderr, "pledge: exec supervisor of %d: %v\n", pid, err)
		return 1
	}
	return 0
}

// ignoreJobSignals keeps S out of the job control of the processes it
// supervises: it leaves P's process group for one of its own (in P's
// session, where the images it starts join their callers' groups), so
// that no signal to P's group (a terminal's Ctrl-C, Ctrl-Z, a shell's
// kill %job) reaches it, and catches (and drops) the signals that would
// end or stop it otherwise: a hang-up, a background write to the
// terminal, SIGTERM to every process of a service. Caught, not ignored:
// the processes it starts get them back at their default. S ends when
// nothing it supervises is left; SIGKILL still kills it, and then
// everything it traces (PTRACE_O_EXITKILL) and everything it started
// (PR_SET_PDEATHSIG).
func ignoreJobSignals() {
	unix.Setpgid(0, 0)
	c := make(chan os.Signal, 8)
	signal.Notify(c, unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGTSTP,
		unix.SIGTTIN, unix.SIGTTOU, unix.SIGPIPE)
	go func() {
		for range c {
		}
	}()
}

// sessionOf is pid's session (field 6 of /proc/PID/stat), -1 if unknown.
func sessionOf(pid int) int {
	var c carried
	if c.readStat("/proc/"+strconv.Itoa(pid)+"/stat") != nil {
		return -1
	}
	return c.sid
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
		line = strings.TrimSuffix(line, "\n")
		if line == reqCensus {
			answerCensus(answer)
			continue
		}
		answer(x.request(line))
	}
}

func (x *execSuper) request(line string) error {
	switch kind, _, _ := strings.Cut(line, " "); kind {
	case reqVeil:
		e, err := parseVeilLine(line)
		if err != nil {
			return err
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.committed {
			return fmt.Errorf("veil: committed already: %w", unix.EPERM)
		}
		x.pending = append(x.pending, e)
		return nil
	case reqCommit:
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.committed {
			return fmt.Errorf("commit: committed already: %w", unix.EPERM)
		}
		x.committed, x.veil, x.pending = true, append([]veilEntry{}, x.pending...), nil
		return nil
	}
	kind, p, err := parseLayerLine(line)
	if err != nil {
		return err
	}
	if kind == reqExec {
		// The images' filter is S's to build: it has a path layer
		// wherever Landlock can enforce one (veil.go), whatever P's own,
		// and leaves reads to S, so that the loader window of each image
		// sees every read of its start-up.
		p.PathLayer = x.abi >= 1
		p.SupervisedReads = p.PathLayer
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
		if p.PathLayer {
			if x.named == nil {
				x.named = map[*Compiled]*NamedFiles{}
			}
			x.named[c] = OpenNamed(p.Promises)
		}
		x.exec = c
	}
	return nil
}

// answerCensus answers a census request: "ok FDS CHILDREN", the number of
// descriptors S has open (the one listing them not counted) and of its
// children (the processes it started that are still there, parked or
// not), for tests that nothing leaks.
func answerCensus(answer func(error)) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		answer(err)
		return
	}
	children := 0
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		children += len(strings.Fields(string(b)))
	}
	answer(censusAnswer{fds: len(fds) - 1, children: children})
}

// censusAnswer is the census's "ok" with its numbers (answerLine).
type censusAnswer struct{ fds, children int }

func (c censusAnswer) Error() string { return fmt.Sprintf("%d %d", c.fds, c.children) }
