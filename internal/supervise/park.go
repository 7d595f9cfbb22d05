package supervise

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Parking. The exec broker (internal/sandbox) runs an image a process X
// exec'd in a fresh process C and leaves X behind as C's stand-in: X's
// execve ran (under X's own sandbox, so the kernel decided it as a real
// exec would) and X is stopped at its exec stop; the new image in X never
// runs. Config.Exec returns a *Park for such an X; the supervisor then
// closes X's descriptors, unblocks its signals and parks it in pause(2)
// (park), hands each signal X is sent to Park.Signal, and makes X end the
// way C ended when asked (Attached.EndAs).

// Park is Config.Exec's answer for an image that must never run.
type Park struct {
	// Data is the process's Data from now on.
	Data any
	// Signal decides each signal-delivery-stop of the parked process
	// (the kernel's siginfo): the signal to deliver, 0 to suppress it.
	// Nil delivers every signal.
	Signal func(pid int, si Siginfo) syscall.Signal
	// Ended, when set, is told that the parked process has ended.
	Ended func(pid int, ws unix.WaitStatus)
	// After, when set, is called once the process is parked, before it is
	// resumed: the image it stands in for may run from then on (Let,
	// Adopt), never while the stand-in still holds anything.
	After func()
}

// parked is a parked process's state.
type parked struct {
	*Park
	at uint64 // its syscall instruction (park)
	// ending is how it is to end (EndAs), nil until asked.
	ending *unix.WaitStatus
}

// Watch is told what becomes of a process the supervisor spawned
// (Attached.Spawn): its stops and its end, as its parent (the
// supervisor) sees them. Each func may be nil. They run on the tracer
// thread, inside the supervisor's loop, where Attached's methods may be
// called.
type Watch struct {
	Stopped   func(pid int, sig syscall.Signal)
	Continued func(pid int)
	Ended     func(pid int, ws unix.WaitStatus)
	// ExecFailed, for a process exec'd untraced (Spawn.Privileged), is
	// told that its execveat failed after Spawn returned; Ended is not
	// called then.
	ExecFailed func(pid int, errno unix.Errno)
}

// parkedSignal handles a signal-delivery-stop of the parked process tid.
func (s *state) parkedSignal(tid int, p *proc, sig syscall.Signal) {
	var raw [128]byte
	if err := ptraceGetSiginfo(tid, &raw); err != nil {
		unix.PtraceCont(tid, 0)
		return
	}
	si := parseSiginfo(&raw)
	s.logf("supervise: parked %d: signal %v code %d from %d", tid, sig, si.Code, si.Pid)
	if p.watch != nil && p.watch.Continued != nil && sig == unix.SIGCONT {
		p.watch.Continued(tid)
	}
	if e := p.park.ending; e != nil {
		s.endParked(tid, p, *e)
		return
	}
	deliver := sig
	if p.park.Signal != nil {
		deliver = p.park.Signal(tid, si)
	}
	unix.PtraceCont(tid, int(deliver))
}

// endParked makes the parked process tid, in a signal-delivery-stop, end
// as ws says: exit_group with its status, or death by its signal with
// that signal's default action (the disposition is reset first if the
// process ignores it; its core-file limit is set to zero, so that the
// stand-in's empty image does not replace the core file the real one
// may have left). If that fails it is killed.
func (s *state) endParked(tid int, p *proc, ws unix.WaitStatus) {
	switch {
	case ws.Exited():
		if err := exitAt(tid, p.park.at, ws.ExitStatus()); err != nil {
			s.logf("supervise: %d: ending as exit %d: %v: killed", tid, ws.ExitStatus(), err)
			s.kill(tid, tid)
			return
		}
		unix.PtraceCont(tid, 0)
	case ws.Signaled():
		sig := ws.Signal()
		if ignores(tid, sig) {
			if err := defaultAction(tid, sig); err != nil {
				s.logf("supervise: %d: ending as %v: %v: killed", tid, sig, err)
				s.kill(tid, tid)
				return
			}
		}
		unix.Prlimit(tid, unix.RLIMIT_CORE, &unix.Rlimit{}, nil)
		unix.PtraceCont(tid, int(sig))
	default:
		s.kill(tid, tid)
	}
}

// ignores reports whether tid ignores sig (SigIgn of /proc/TID/status).
func ignores(tid int, sig syscall.Signal) bool {
	st, err := ProcStatus(strconv.Itoa(tid))
	if err != nil {
		return true // reset it anyway: harmless
	}
	mask, err := strconv.ParseUint(st["SigIgn"], 16, 64)
	return err != nil || mask&(1<<(uint(sig)-1)) != 0
}

// EndAs makes the parked process pid end as ws says (an exit status, or a
// signal), the way the process it stands in for ended. It sends pid a
// SIGCONT (which also ends a stop) and acts at that signal's
// delivery-stop, or at an earlier one; SIGKILL is sent as it is. Call it
// from a callback (the tracer thread).
func (a *Attached) EndAs(pid int, ws unix.WaitStatus) {
	p := a.s.procs[pid]
	if p == nil || p.park == nil || p.park.ending != nil {
		return
	}
	p.park.ending = &ws
	if ws.Signaled() && ws.Signal() == unix.SIGKILL {
		unix.Kill(pid, unix.SIGKILL)
		return
	}
	unix.Kill(pid, unix.SIGCONT)
}
