// Package supervise is the ptrace mechanics of the project's supervisor:
// it starts a program (Run) or attaches to one (Attach), follows every
// thread and process it creates, tells each process's phase, and hands
// every seccomp stop to a decision function; internal/sandbox owns the
// policy (what is decided, from what).
//
// Phases: a process is "starting" from its PTRACE_EVENT_EXEC stop until an
// int3 the supervisor wrote at its ELF entry point (AT_ENTRY from
// /proc/PID/auxv, read while the new image has not run an instruction)
// traps, recognised by its si_code (SI_KERNEL) and rip, and "running"
// after. The first thread or memory-sharing process the image creates ends
// its start-up early (the byte is put back): a decision taken at one stop
// must not be raced by another thread of the same process.
//
// Seccomp stops: a filter returning SECCOMP_RET_TRACE stops the thread
// before the call runs (PTRACE_O_TRACESECCOMP). The supervisor reads the
// kernel's account of the call (PTRACE_GET_SYSCALL_INFO: arch, number,
// arguments) and Config.Seccomp decides: run it, run it and check the
// descriptor it returns, skip it with an errno (orig_rax = -1), or kill.
// The SECCOMP_RET_DATA of the stop is chosen by the newest filter that
// returned TRACE, possibly one the tracee stacked itself, so it is passed
// on but must not decide anything.
//
// Without a tracer, SECCOMP_RET_TRACE fails the call with ENOSYS, and the
// supervisor sets PTRACE_O_EXITKILL so that its death kills every tracee
// (a tracee stopped in a seccomp stop when its tracer vanishes would
// otherwise run the call): the sandbox fails closed.
package supervise

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Verdict is what the supervisor does with a stopped syscall.
type Verdict int

const (
	// Deny skips the syscall; the caller sees -Decision.Errno (EPERM when
	// zero).
	Deny Verdict = iota
	// Kill kills the whole process before the syscall runs.
	Kill
	// Allow lets the syscall run as asked.
	Allow
)

// Stop is one thread stopped at a seccomp stop, as the kernel reports it.
type Stop struct {
	Pid, Tgid int
	Info      SyscallInfo
	// Starting is set while the process is between an exec and its entry
	// point (the supervisor's own state, see the package doc).
	Starting bool
	// Data is the process's Config.Data (inherited at fork, replaced by
	// Config.Exec at each exec), for a decision per process.
	Data any
}

// Decision is Config.Seccomp's answer to a Stop.
type Decision struct {
	Verdict Verdict
	// Errno is what a Deny makes the call return (EPERM when zero).
	Errno unix.Errno
	// AtExit, with Allow, is called with the call's return value at its
	// syscall-exit-stop (the thread still stopped) and decides what the
	// caller gets: Allow leaves it; Deny makes the call return -Errno
	// instead, closing in the tracee the descriptor it returned if any
	// (rval >= 0); Kill does the same and kills the process (with KillNr:
	// by making it run that call, which the filters kill). Only for calls
	// whose non-negative result is a new descriptor, and only where no
	// other thread shares the fd table, or a descriptor could be used
	// before it is checked.
	AtExit func(pid int, rval int64) Decision
	// KillNr, for Kill, is a syscall number the process's filters answer
	// with SECCOMP_RET_KILL_PROCESS: the supervisor rewrites the stopped
	// call to it, the kernel re-runs the filters after a trace stop
	// (seccomp(2), Linux 4.8+) and kills with an uncatchable SIGSYS, the
	// same death a seccomp kill gives. Zero: SIGKILL.
	KillNr uint64
}

// Config tells the supervisor what to do.
type Config struct {
	// Seccomp decides each seccomp stop; nil denies every one with EPERM.
	Seccomp func(st *Stop) Decision
	// Logf, when set, receives debugging lines (--verbose).
	Logf func(format string, args ...any)
	// Setup, when set, is called with cmd's pid at its first stop: the
	// SIGTRAP that PTRACE_TRACEME gives after cmd's execve succeeded
	// (ptrace(2)), when the new image has one thread and has not run an
	// instruction. It sandboxes the process from outside (see Injector),
	// and returns the process's Data; the process then starts like any
	// exec'd image: loader grants until its entry point. An error kills
	// the process before it runs an instruction and Run returns a
	// *SetupError: the sandbox fails closed. Run requires it: nothing the
	// supervisor starts runs unsandboxed.
	Setup func(pid int) (any, error)
	// Started, when set, is called with cmd's pid as soon as it is
	// forked, while it is still on its way to the first stop: work that
	// needs the pid (a filter whose "to itself" conditions name it) can
	// overlap the execve.
	Started func(pid int)
	// Data is the attached process's (Attach) initial per-process value.
	// A new process gets its creator's Data: the fork, vfork or clone
	// event of the creator gives it, and when Exec is set a new process
	// is held stopped until that event has been seen, so that it never
	// runs a syscall with a Data that is not its creator's.
	Data any
	// Exec, when set, is called at every PTRACE_EVENT_EXEC stop (the new
	// image has one thread and has not run an instruction) with the
	// process's Data, before its loader phase begins; it may inject into
	// pid (NewInjector) and returns the process's new Data. An error kills
	// the process before the image runs: the sandbox fails closed.
	Exec func(pid int, data any) (any, error)
	// Inherit, when set, gives a new process its Data from its creator's
	// (nil: the creator's Data as it is).
	Inherit func(data any) any
}

// SetupError is Config.Setup's failure; the process was killed unstarted.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return "setting up the sandbox: " + e.Err.Error() }

func (e *SetupError) Unwrap() error { return e.Err }

// breakpoint is an int3 written at addr over the byte orig.
type breakpoint struct {
	addr uint64
	orig byte
}

// phase is where a process is in its life as the supervisor sees it.
type phase uint8

const (
	// phaseRunning is a process's life outside its start-up.
	phaseRunning phase = iota
	// phaseStarting lasts from an exec to the new image's entry point.
	phaseStarting
)

var phaseNames = [...]string{phaseStarting: "starting", phaseRunning: "running"}

type proc struct {
	phase phase
	entry uint64
	// entryByte is the byte the int3 at entry replaced (phaseStarting).
	entryByte byte
	// stray, for a process forked by a starting one, is the parent's int3
	// that the fork copied into its memory: removed before it runs.
	stray *breakpoint
	data  any
	// held is set for a new process that stays stopped until its creator's
	// fork/vfork/clone event gave it its Data (Config.Exec set).
	held bool
	// waiting is set once a held process reached its first stop.
	waiting bool
	// park is set for a parked process (Config.Exec returned a *Park).
	park *parked
	// watch is told what becomes of a process Spawn kept (Adopt).
	watch *Watch
}

type state struct {
	cfg     Config
	main    int
	procs   map[int]*proc // by tgid
	tgid    map[int]int   // tid -> tgid of every known tracee thread
	stopped map[int]bool  // tids in group-stop, resumed on SIGCONT
	pending map[int]bool  // new tids whose initial SIGSTOP is still due
	// checking holds the threads let run to the exit of a call whose
	// returned descriptor is still to be checked (Decision.AtExit).
	checking map[int]func(pid int, rval int64) Decision
	// children are the processes Spawn let go: the supervisor's own
	// children, not traced.
	children map[int]*child
	contWant atomic.Bool
	// outlive (Attach) keeps supervising the descendants after the main
	// process exited, until none is left; mainWs is then its status.
	outlive  bool
	mainDone bool
	mainWs   unix.WaitStatus
}

// Run starts cmd (which must not have been started) as a tracee and
// supervises it and all its descendants until cmd's process exits; it
// returns that process's wait status. The calling goroutine is locked to
// its OS thread for the whole run: ptrace requests must come from the
// tracer thread. Signals that usually mean "stop" or "tell the program"
// (SIGINT SIGTERM SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH SIGCONT SIGALRM)
// are forwarded to cmd's process; SIGTSTP stops the caller as usual.
// When Run returns, descendants still alive are killed by PTRACE_O_EXITKILL
// once the caller exits.
func Run(cmd *exec.Cmd, cfg Config) (unix.WaitStatus, error) {
	if cfg.Setup == nil {
		return 0, errors.New("supervise.Run: Config.Setup is required (it sandboxes the program at its first stop)")
	}
	runtime.LockOSThread()
	// Never unlocked: the thread is the tracer of every tracee, and Go
	// must not hand it to other goroutines while tracees may remain.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Ptrace = true
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	if cfg.Started != nil {
		cfg.Started(pid)
	}
	var ws unix.WaitStatus
	// The first stop is the SIGTRAP that PTRACE_TRACEME gives after execve.
	if _, err := wait4(pid, &ws, unix.WALL); err != nil {
		return 0, err
	}
	if !ws.Stopped() {
		return ws, nil
	}
	if cfg.Logf != nil {
		cfg.Logf("supervise: first stop of %d: %v cause %d", pid, ws.StopSignal(), ws.TrapCause())
	}
	if err := unix.PtraceSetOptions(pid, traceOptions); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return 0, fmt.Errorf("ptrace(PTRACE_SETOPTIONS): %w", err)
	}
	s := &state{
		cfg:      cfg,
		main:     pid,
		procs:    map[int]*proc{pid: {phase: phaseRunning, data: cfg.Data}},
		tgid:     map[int]int{pid: pid},
		stopped:  map[int]bool{},
		pending:  map[int]bool{},
		checking: map[int]func(pid int, rval int64) Decision{},
		children: map[int]*child{},
	}
	data, err := cfg.Setup(pid)
	if err != nil {
		// SIGKILL ends it at once, even stopped; reap it so no zombie
		// is left.
		unix.Kill(pid, unix.SIGKILL)
		wait4(pid, &ws, unix.WALL)
		return 0, &SetupError{err}
	}
	s.procs[pid].data = data
	s.startImage(pid, s.procs[pid])
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == unix.SIGCONT {
				s.contWant.Store(true)
			}
			unix.Kill(pid, sig.(syscall.Signal))
		}
	}()
	if err := unix.PtraceCont(pid, 0); err != nil {
		return 0, fmt.Errorf("ptrace(PTRACE_CONT) %d: %w", pid, err)
	}
	return s.loop()
}

// forwarded are the signals the command passes on to its program.
var forwarded = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT,
	unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGCONT, unix.SIGALRM}

func wait4(pid int, ws *unix.WaitStatus, options int) (int, error) {
	for {
		wpid, err := unix.Wait4(pid, ws, options, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return wpid, fmt.Errorf("wait4: %w", err)
		}
		return wpid, nil
	}
}

func (s *state) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

func (s *state) loop() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		// WUNTRACED: the stops of the children Spawn let go, which are
		// not tracees (a tracee's stops are reported anyway). Never
		// WCONTINUED: a tracer would consume the continued state the
		// tracee's real parent waits for (kernel/exit.c).
		opts := unix.WALL | unix.WUNTRACED
		if len(s.stopped) > 0 {
			// A tracee in group-stop (job control) stays stopped until the
			// command itself is continued; poll for that instead of blocking.
			opts |= unix.WNOHANG
		}
		tid, err := wait4(-1, &ws, opts)
		if err != nil {
			if s.mainDone && errors.Is(err, unix.ECHILD) {
				return s.mainWs, nil // no tracee left
			}
			return 0, err
		}
		if tid == 0 {
			if s.contWant.Swap(false) {
				for t := range s.stopped {
					unix.PtraceCont(t, 0)
				}
				clear(s.stopped)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if c, ok := s.children[tid]; ok {
			s.childEvent(tid, c, ws)
			continue
		}
		if ws.Exited() || ws.Signaled() {
			if tid == s.main {
				if !s.outlive {
					return ws, nil
				}
				s.mainDone, s.mainWs = true, ws
			}
			if tg, ok := s.tgid[tid]; ok && tg == tid {
				if p := s.procs[tid]; p != nil {
					s.ended(tid, p, ws)
				}
				delete(s.procs, tid)
			}
			delete(s.tgid, tid)
			delete(s.stopped, tid)
			delete(s.pending, tid)
			delete(s.checking, tid)
			continue
		}
		if !ws.Stopped() {
			continue
		}
		s.stop(tid, ws)
	}
}

// ended tells a process's Park and Watch that it has ended.
func (s *state) ended(tid int, p *proc, ws unix.WaitStatus) {
	if p.park != nil && p.park.Ended != nil {
		p.park.Ended(tid, ws)
	}
	if p.watch != nil && p.watch.Ended != nil {
		p.watch.Ended(tid, ws)
	}
}

// childEvent handles a wait status of a child Spawn let go: a stop, or
// its end. An untraced exec that failed has written its errno to the
// pipe before its stub exited (status 127): that is no end of an image,
// and the Watch hears of it as ExecFailed.
func (s *state) childEvent(pid int, c *child, ws unix.WaitStatus) {
	s.logf("supervise: child %d: %v", pid, ws)
	w := c.watch
	if w == nil {
		w = &Watch{}
	}
	switch {
	case ws.Stopped():
		if w.Stopped != nil {
			w.Stopped(pid, ws.StopSignal())
		}
	case ws.Continued():
		if w.Continued != nil {
			w.Continued(pid)
		}
	case ws.Exited() || ws.Signaled():
		delete(s.children, pid)
		if c.pipe >= 0 {
			var b [1]byte
			n, _ := unix.Read(c.pipe, b[:])
			unix.Close(c.pipe)
			if n == 1 {
				s.logf("supervise: %d: execveat: %v", pid, unix.Errno(b[0]))
				if w.ExecFailed != nil {
					w.ExecFailed(pid, unix.Errno(b[0]))
					return
				}
			}
		}
		if w.Ended != nil {
			w.Ended(pid, ws)
		}
	}
}

// stop handles one ptrace-stop of tid and resumes it unless it stays stopped.
func (s *state) stop(tid int, ws unix.WaitStatus) {
	if check, ok := s.checking[tid]; ok {
		delete(s.checking, tid)
		s.exitChecked(tid, ws, check)
		return
	}
	sig := ws.StopSignal()
	cause := eventOf(ws)
	if _, known := s.tgid[tid]; !known {
		// A new thread or process: auto-attached tracees start with SIGSTOP
		// (PTRACE_EVENT_STOP when the tracer used PTRACE_SEIZE), which may
		// be seen before the creator's PTRACE_EVENT_CLONE.
		s.adopt(tid)
		if sig == unix.SIGSTOP || cause == unix.PTRACE_EVENT_STOP {
			s.resumeNew(tid)
			return
		}
	}
	switch {
	case sig == unix.SIGTRAP && cause == unix.PTRACE_EVENT_SECCOMP:
		s.seccompStop(tid)
	case sig == unix.SIGTRAP && cause == unix.PTRACE_EVENT_EXEC:
		s.execStop(tid)
	case sig == unix.SIGTRAP && (cause == unix.PTRACE_EVENT_FORK || cause == unix.PTRACE_EVENT_VFORK || cause == unix.PTRACE_EVENT_CLONE):
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil {
			if _, known := s.tgid[int(msg)]; !known {
				s.adopt(int(msg))
				s.pendingStop(int(msg))
			}
			s.inherit(tid, int(msg), cause)
		}
		unix.PtraceCont(tid, 0)
	case sig == unix.SIGTRAP && cause == 0 && s.entryHit(tid):
		unix.PtraceCont(tid, 0)
	case (sig == unix.SIGSTOP || cause == unix.PTRACE_EVENT_STOP) && s.takePending(tid):
		s.resumeNew(tid)
	case cause == unix.PTRACE_EVENT_STOP:
		// Only seized tracees have these (ptrace(2), "PTRACE_SEIZE"):
		// a group-stop, left stopped with PTRACE_LISTEN so that SIGCONT
		// still reaches it, or PTRACE_INTERRUPT's and LISTEN's own traps.
		if isStopSignal(sig) {
			if _, p := s.procOf(tid); p.watch != nil && p.watch.Stopped != nil {
				p.watch.Stopped(tid, sig)
			}
			ptraceListen(tid)
			return
		}
		unix.PtraceCont(tid, 0)
	case cause == 0 && sig != syscallStop && s.parkedOf(tid) != nil:
		s.parkedSignal(tid, s.parkedOf(tid), sig)
	default:
		if sig == unix.SIGCONT {
			if _, p := s.procOf(tid); p.watch != nil && p.watch.Continued != nil {
				p.watch.Continued(tid)
			}
		}
		if isStopSignal(sig) {
			var si [128]byte
			if err := ptraceGetSiginfo(tid, &si); err == unix.EINVAL {
				// Group-stop (ptrace(2), "Group-stop"): leave it stopped.
				s.stopped[tid] = true
				return
			}
		}
		unix.PtraceCont(tid, int(sig))
	}
}

// pendingStop marks an auto-attached tracee whose initial SIGSTOP is still
// due (ptrace(2): it "will start with SIGSTOP").
func (s *state) pendingStop(tid int) { s.pending[tid] = true }

// resumeNew resumes a new tracee after its first stop, unless it is a
// process still held for its creator's event (see Config.Data).
func (s *state) resumeNew(tid int) {
	tg, p := s.procOf(tid)
	if p.held && tg == tid {
		p.waiting = true
		return
	}
	if tg == tid {
		s.release(tg, p)
		return
	}
	unix.PtraceCont(tid, 0)
}

// release resumes the new process tg, stopped before its first
// instruction, once it is known, removing first the int3 it copied from a
// starting parent (fork(2) copies the memory, breakpoint included); if
// that fails it is killed, so that no process runs with a stray int3.
func (s *state) release(tg int, p *proc) {
	if bp := p.stray; bp != nil {
		p.stray = nil
		if err := clearEntryBreakpoint(tg, bp.addr, bp.orig, false); err != nil {
			s.logf("supervise: %d: removing its parent's entry breakpoint: %v", tg, err)
			unix.Kill(tg, unix.SIGKILL)
		}
	}
	unix.PtraceCont(tg, 0)
}

// inherit gives the process child, just created by creator (cause is the
// creation event), its creator's Data, and releases it if it was held
// waiting for that.
//
// A process created while its creator is starting has the creator's int3
// at the entry point in its memory. A fork's copy is its own, and the
// byte is put back there before it runs (release). A vfork child shares
// the creator's memory (CLONE_VM), so the int3 is the creator's own and
// stays; should the child run into it, it is a process outside its
// start-up and the SIGTRAP kills it. Any other new process (clone without
// CLONE_THREAD, whose memory may be either) is killed: loaders do not
// create processes, and nothing is left to guess.
func (s *state) inherit(creator, child int, cause int) {
	ctg, cp := s.procOf(creator)
	tg, p := s.procOf(child)
	if tg == ctg {
		// A thread: its process's Data is already the creator's. A
		// starting process that makes one ends its start-up now (adopt
		// may have done so first, if the thread's own stop came first).
		if cp.phase == phaseStarting {
			s.endStart(creator, ctg, cp)
		}
		return
	}
	p.data = cp.data
	if s.cfg.Inherit != nil {
		p.data = s.cfg.Inherit(cp.data)
	}
	if cp.phase == phaseStarting {
		switch cause {
		case unix.PTRACE_EVENT_FORK:
			p.stray = &breakpoint{addr: cp.entry, orig: cp.entryByte}
		case unix.PTRACE_EVENT_VFORK:
		default:
			s.logf("supervise: %d: clone of a starting process %d: killed", tg, ctg)
			unix.Kill(tg, unix.SIGKILL)
		}
	}
	if p.held {
		p.held = false
		if p.waiting {
			p.waiting = false
			s.release(tg, p)
		}
	}
}

func (s *state) takePending(tid int) bool {
	if s.pending[tid] {
		delete(s.pending, tid)
		return true
	}
	return false
}

// adopt records a new tracee. A new process starts "running": a process
// forked before its parent reached the entry point gets no loader
// freedoms, and the int3 it may have copied is removed (see inherit). It
// is held until its creator's event when that event may matter: Config.Exec
// set, or a process starting (its int3 must be gone before the child runs).
func (s *state) adopt(tid int) {
	tg := readTgid(tid)
	if tg == 0 {
		tg = tid
	}
	s.tgid[tid] = tg
	p, ok := s.procs[tg]
	if !ok {
		s.procs[tg] = &proc{phase: phaseRunning, held: s.cfg.Exec != nil || s.anyStarting()}
		s.logf("supervise: new process %d", tg)
		return
	}
	if tg != tid && p.phase == phaseStarting {
		// A new thread of a starting process, seen before its creator's
		// clone event: end the start-up before the thread runs.
		s.endStart(tid, tg, p)
	}
}

// endStart ends the start-up of process tg before its entry point, at a
// stop of its thread tid: it puts the entry point's byte back and the
// process runs on without loader grants. A process starts with one thread
// and the grants rely on that (a descriptor or mapping checked at one stop
// must not be swapped by another thread), so its first new thread ends
// them; loaders make none. If the byte cannot be put back the process is
// killed (it would run a broken instruction).
func (s *state) endStart(tid, tg int, p *proc) {
	p.phase = phaseRunning
	if err := clearEntryBreakpoint(tid, p.entry, p.entryByte, false); err != nil {
		s.logf("supervise: %d: removing the entry breakpoint: %v", tg, err)
		unix.Kill(tg, unix.SIGKILL)
		return
	}
	s.logf("supervise: %d: a thread before entry %#x: start-up ended", tg, p.entry)
}

// anyStarting reports whether some process is between its exec and its
// entry point.
func (s *state) anyStarting() bool {
	for _, p := range s.procs {
		if p.phase == phaseStarting {
			return true
		}
	}
	return false
}

// parkedOf is the process of tid when it is parked, else nil.
func (s *state) parkedOf(tid int) *proc {
	if tg, ok := s.tgid[tid]; ok && tg == tid {
		if p := s.procs[tid]; p != nil && p.park != nil {
			return p
		}
	}
	return nil
}

// readTgid is tid's thread group (process) id, 0 when unknown.
func readTgid(tid int) int { return statusInt(tid, "Tgid") }

func (s *state) procOf(tid int) (int, *proc) {
	tg, ok := s.tgid[tid]
	if !ok {
		tg = tid
	}
	p := s.procs[tg]
	if p == nil {
		p = &proc{phase: phaseRunning}
		s.procs[tg] = p
	}
	return tg, p
}

// execStop: tid (now the thread-group leader) has just executed a new
// image that has not run yet. Start its loader phase and write an int3 at
// its entry point.
func (s *state) execStop(tid int) {
	if former, err := unix.PtraceGetEventMsg(tid); err == nil && int(former) != tid {
		delete(s.tgid, int(former))
	}
	// The other threads of the process are gone (execve(2) kills them).
	for t, tg := range s.tgid {
		if tg == tid && t != tid {
			delete(s.tgid, t)
			delete(s.stopped, t)
		}
	}
	s.tgid[tid] = tid
	p := s.procs[tid]
	if p == nil {
		p = &proc{}
		s.procs[tid] = p
	}
	if s.cfg.Exec != nil {
		data, err := execHook(tid, func() (any, error) { return s.cfg.Exec(tid, p.data) })
		if err == nil {
			if pk, ok := data.(*Park); ok {
				// The image never runs: the process stands in for it.
				var at uint64
				if at, err = park(tid); err == nil {
					p.phase, p.data, p.park = phaseRunning, pk.Data, &parked{Park: pk, at: at}
					s.logf("supervise: %d: exec: parked", tid)
					if pk.After != nil {
						pk.After()
					}
					unix.PtraceCont(tid, 0)
					return
				}
				// Killed below: what it stood in for goes with it.
				if pk.Ended != nil {
					defer pk.Ended(tid, unix.WaitStatus(unix.SIGKILL))
				}
			}
		}
		if err != nil {
			// The new image has not run: kill it before it does.
			s.logf("supervise: %d: exec: %v", tid, err)
			unix.Kill(tid, unix.SIGKILL)
			unix.PtraceCont(tid, 0)
			return
		}
		p.data = data
	}
	s.startImage(tid, p)
	unix.PtraceCont(tid, 0)
}

// startImage begins the loader phase of p, whose leader tid stopped right
// after an exec: it writes an int3 at the new image's entry point. The new
// image's memory is its own (execve(2) replaced the old one), so no other
// process sees the byte.
func (s *state) startImage(tid int, p *proc) {
	entry, err := auxvEntry(tid)
	var orig byte
	if err == nil {
		orig, err = setEntryBreakpoint(tid, entry)
	}
	if err != nil {
		// Without the breakpoint the supervisor cannot tell when start-up
		// ends: fail closed, no loader freedoms.
		p.phase = phaseRunning
		s.logf("supervise: %d: exec without entry breakpoint: %v", tid, err)
	} else {
		p.phase, p.entry, p.entryByte = phaseStarting, entry, orig
		s.logf("supervise: %d: exec, entry %#x", tid, entry)
	}
}

// entryHit reports whether tid's SIGTRAP is the entry breakpoint, and if so
// ends the loader phase: the byte is put back and the thread resumes at
// the entry point. If that fails the process is killed (it would run a
// broken instruction).
func (s *state) entryHit(tid int) bool {
	tg, p := s.procOf(tid)
	if p.phase != phaseStarting || !entryBreakpointHit(tid, p.entry) {
		return false
	}
	p.phase = phaseRunning
	if err := clearEntryBreakpoint(tid, p.entry, p.entryByte, true); err != nil {
		s.logf("supervise: %d: removing the entry breakpoint: %v", tid, err)
		unix.Kill(tg, unix.SIGKILL)
		return true
	}
	s.logf("supervise: %d: reached entry %#x", tid, p.entry)
	return true
}

func (s *state) seccompStop(tid int) {
	tg, p := s.procOf(tid)
	info, err := GetSyscallInfo(tid)
	if err != nil || info.Op != unix.PTRACE_SYSCALL_INFO_SECCOMP {
		// Never let a call through undecided.
		s.logf("supervise: %d: seccomp stop unreadable (%v, op %d): killed", tid, err, info.Op)
		s.kill(tid, tg)
		return
	}
	d := Decision{Verdict: Deny}
	if s.cfg.Seccomp != nil {
		d = s.cfg.Seccomp(&Stop{Pid: tid, Tgid: tg, Info: info, Starting: p.phase == phaseStarting, Data: p.data})
	}
	switch d.Verdict {
	case Allow:
		if d.AtExit != nil {
			s.runChecked(tid, tg, d.AtExit)
			return
		}
		unix.PtraceCont(tid, 0)
		return
	case Kill:
		s.killAtStop(tid, tg, d.KillNr)
		return
	}
	errno := d.Errno
	if errno == 0 {
		errno = unix.EPERM
	}
	if !canRewriteSyscall {
		// The call cannot be skipped on this architecture: never let a
		// denied call run.
		s.kill(tid, tg)
		return
	}
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		s.kill(tid, tg)
		return
	}
	skipSyscall(&regs, errno)
	if err := unix.PtraceSetRegs(tid, &regs); err != nil {
		s.kill(tid, tg)
		return
	}
	unix.PtraceCont(tid, 0)
}

// kill kills process tg, whose thread tid is stopped, before the call runs:
// SIGKILL is delivered before the tracee leaves the stop.
func (s *state) kill(tid, tg int) {
	unix.Kill(tg, unix.SIGKILL)
	unix.PtraceCont(tid, 0)
}

// killAtStop kills the way seccomp kills when it can (Decision.KillNr:
// the kernel re-runs the filter on the rewritten call and kills with
// SIGSYS), else with SIGKILL.
func (s *state) killAtStop(tid, tg int, nr uint64) {
	if nr != 0 && canRewriteSyscall {
		var regs unix.PtraceRegs
		if unix.PtraceGetRegs(tid, &regs) == nil {
			setSyscall(&regs, nr)
			if unix.PtraceSetRegs(tid, &regs) == nil {
				unix.PtraceCont(tid, 0)
				return
			}
		}
	}
	s.kill(tid, tg)
}

// runChecked lets the stopped call run to its syscall-exit-stop
// (PTRACE_SYSCALL), where exitChecked looks at what it returned. The loop
// goes on meanwhile: a call that blocks (an open of a FIFO) holds up only
// its own thread.
func (s *state) runChecked(tid, tg int, check func(pid int, rval int64) Decision) {
	if err := unix.PtraceSyscall(tid, 0); err != nil {
		s.logf("supervise: %d: ptrace(PTRACE_SYSCALL): %v: killed", tid, err)
		s.kill(tid, tg)
		return
	}
	s.checking[tid] = check
}

// exitChecked handles the stop after runChecked, which must be the call's
// syscall-exit-stop (the exit is traced before any signal is delivered on
// the way back to user mode), and applies check's decision (see
// Decision.AtExit). Anything unexpected kills the process: a descriptor
// must never be left unchecked.
func (s *state) exitChecked(tid int, ws unix.WaitStatus, check func(pid int, rval int64) Decision) {
	tg, _ := s.procOf(tid)
	info, err := GetSyscallInfo(tid)
	if err == nil && (ws.StopSignal() != syscallStop || info.Op != unix.PTRACE_SYSCALL_INFO_EXIT) {
		err = fmt.Errorf("stop %v (cause %d, op %d), want the syscall-exit-stop", ws.StopSignal(), ws.TrapCause(), info.Op)
	}
	if err != nil {
		s.logf("supervise: %d: checking a descriptor: %v: killed", tid, err)
		s.kill(tid, tg)
		return
	}
	d := check(tg, info.Rval)
	if d.Verdict == Allow {
		unix.PtraceCont(tid, 0)
		return
	}
	errno := d.Errno
	if errno == 0 {
		errno = unix.EPERM
	}
	if err := replaceResult(tid, info.Rval, errno); err != nil {
		s.logf("supervise: %d: replacing result %d: %v: killed", tid, info.Rval, err)
		s.kill(tid, tg)
		return
	}
	s.logf("supervise: %d: result %d replaced: %v", tid, info.Rval, errno)
	if d.Verdict == Kill {
		if d.KillNr == 0 || injectKill(tid, d.KillNr) != nil {
			s.kill(tid, tg)
			return
		}
	}
	unix.PtraceCont(tid, 0)
}

func isStopSignal(sig syscall.Signal) bool {
	switch sig {
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return true
	}
	return false
}

func ptraceListen(tid int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_LISTEN, uintptr(tid), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func ptraceGetSiginfo(tid int, si *[128]byte) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(si)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// Auxiliary vector keys (<linux/auxvec.h>).
const (
	atNull  = 0
	atEntry = 9 // AT_ENTRY: the program's entry point
)

// auxvEntry reads AT_ENTRY of tid's new image from /proc/PID/auxv.
func auxvEntry(tid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/auxv")
	if err != nil {
		return 0, err
	}
	for i := 0; i+16 <= len(b); i += 16 {
		k, v := binary.NativeEndian.Uint64(b[i:]), binary.NativeEndian.Uint64(b[i+8:])
		if k == atEntry {
			return v, nil
		}
		if k == atNull {
			break
		}
	}
	return 0, errors.New("no AT_ENTRY in auxv")
}

// ReadString reads a NUL-terminated string of at most max bytes from the
// tracee's memory, for reports only (the memory may change under us).
func ReadString(pid int, addr uint64, max int) (string, error) {
	var out []byte
	buf := make([]byte, 256)
	for len(out) < max {
		// Stay inside one page per read so that a string ending just
		// before an unmapped page is still read.
		n := 4096 - int(addr%4096)
		n = min(n, len(buf), max-len(out))
		local := []unix.Iovec{{Base: &buf[0]}}
		local[0].SetLen(n) // Len is 32 bits wide on 32-bit architectures
		remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: n}}
		got, err := unix.ProcessVMReadv(pid, local, remote, 0)
		if err != nil {
			return string(out), fmt.Errorf("process_vm_readv %d %#x: %w", pid, addr, err)
		}
		if i := bytes.IndexByte(buf[:got], 0); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		out = append(out, buf[:got]...)
		addr += uint64(got)
		if got == 0 {
			break
		}
	}
	return string(out), nil
}

// Comm returns the command name of a process (/proc/PID/comm).
func Comm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return string(bytes.TrimSuffix(b, []byte("\n")))
}
