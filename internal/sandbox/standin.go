package sandbox

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/supervise"
)

// The stand-in. After the broker has started C, the process X that exec'd
// stays, parked (supervise.Park): it holds no descriptor, runs nothing, and
// mirrors C, so that X's parent, its pipes and its job control see what a
// real exec would have shown them:
//
//   - a signal sent to X (kill, sigqueue, tgkill, a timer X left armed)
//     is passed to C and suppressed in X; sigqueue(3)'s value and sender
//     are kept (rt_sigqueueinfo), the others arrive from the supervisor;
//   - a terminal's signals (SI_KERNEL: Ctrl-C, Ctrl-Z, Ctrl-\, a resize,
//     a hang-up, a background read or write) reach C by themselves when C
//     is in X's process group, so X's copy is dropped, unless it was
//     pending before C was started; SIGCHLD from X's own children (forked
//     before the exec) is dropped too;
//   - X stops when C stops, with C's stop signal (SIGSTOP when X ignores
//     it), so that X's parent sees it stopped (waitpid with WUNTRACED),
//     and is continued when C is; a SIGCONT to X also continues X at once
//     (the kernel does that) and is passed to C; a stop signal X gets
//     otherwise does not stop it (it is passed to C, or it is the
//     terminal's, which C has);
//   - when C ends, X ends the same way: exit_group with C's status, or
//     death by C's signal (supervise: Attached.EndAs);
//   - when X dies otherwise (SIGKILL, or its supervisor died: EXITKILL), C
//     is killed: they are one process on OpenBSD.
type standIn struct {
	att   *supervise.Attached
	x, c  int
	self  int32 // the supervisor's pid: the sender of its own mirrors
	group bool  // C is in X's process group
	// cGone, xGone: that side has ended.
	cGone, xGone bool
	// early are the signals pending in X before C existed (bit n-1 for
	// signal n): C has not had them, whoever sent them.
	early uint64
	// stop is the stop signal X is to take, C having stopped; 0 for none.
	// The kill that asks for it may merge with a stop signal pending in X
	// already (a terminal's Ctrl-Z to the whole group): whichever of them
	// is delivered first stops X.
	stop syscall.Signal
}

// ttySignals are what a terminal sends a process group (SI_KERNEL).
var ttySignals = map[syscall.Signal]bool{unix.SIGINT: true, unix.SIGQUIT: true, unix.SIGTSTP: true,
	unix.SIGTTIN: true, unix.SIGTTOU: true, unix.SIGWINCH: true, unix.SIGHUP: true, unix.SIGCONT: true}

func isStopSignal(sig syscall.Signal) bool {
	return sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU
}

// signal decides a signal-delivery-stop of X (Park.Signal).
func (s *standIn) signal(_ int, si supervise.Siginfo) syscall.Signal {
	sig := si.Signo
	if isStopSignal(sig) && s.stop != 0 {
		// C has stopped: X stops with C's signal.
		stop := s.stop
		s.stop = 0
		return stop
	}
	if si.Code == supervise.SIUser && si.Pid == s.self {
		// Our own mirror of C, done already: a stop asked for once, a
		// SIGCONT has done its work when it was sent.
		return 0
	}
	bit := uint64(1) << (uint(sig) - 1)
	switch {
	case s.cGone:
	case sig == unix.SIGCHLD && si.Code > 0:
		// X's own children: C is not their parent.
	case s.early&bit != 0:
		s.early &^= bit
		s.forward(si)
	case si.Code == supervise.SIKernel && s.group && ttySignals[sig]:
		// The terminal signalled the process group, C with it.
	default:
		s.forward(si)
	}
	return 0
}

// forward passes the signal si to C.
func (s *standIn) forward(si supervise.Siginfo) {
	if err := supervise.Forward(s.c, si); err != nil {
		warnf("exec supervisor: passing %v from %d to %d: %v", si.Signo, s.x, s.c, err)
	}
}

// pending are the signals pending for pid (SigPnd and ShdPnd of
// /proc/PID/status).
func pending(pid int) uint64 {
	st, err := supervise.ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return 0
	}
	a, _ := strconv.ParseUint(st["SigPnd"], 16, 64)
	b, _ := strconv.ParseUint(st["ShdPnd"], 16, 64)
	return a | b
}

// xEnded is told that X has ended (Park.Ended): unless it ended as C did,
// C is killed.
func (s *standIn) xEnded(_ int, _ unix.WaitStatus) {
	s.xGone = true
	if !s.cGone && s.c > 0 {
		unix.Kill(s.c, unix.SIGKILL)
	}
}

// watch is what C's end and stops do to X.
func (s *standIn) watch() *supervise.Watch {
	return &supervise.Watch{
		Stopped: func(_ int, sig syscall.Signal) {
			if s.xGone {
				return
			}
			if ignored(s.x, sig) {
				sig = unix.SIGSTOP
			}
			s.stop = sig
			unix.Kill(s.x, sig)
		},
		Continued: func(int) {
			if !s.xGone {
				s.stop = 0
				unix.Kill(s.x, unix.SIGCONT)
			}
		},
		Ended: func(_ int, ws unix.WaitStatus) {
			s.cGone = true
			if !s.xGone {
				s.att.EndAs(s.x, ws)
			}
		},
		ExecFailed: func(_ int, errno unix.Errno) {
			s.cGone = true
			warnf("exec supervisor: %d: starting its image failed after its exec: %v: killed", s.x, errno)
			if !s.xGone {
				s.att.EndAs(s.x, unix.WaitStatus(unix.SIGKILL))
			}
		},
	}
}

// ignored reports whether pid ignores sig (SigIgn of /proc/PID/status).
func ignored(pid int, sig syscall.Signal) bool {
	st, err := supervise.ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return false
	}
	mask, err := strconv.ParseUint(st["SigIgn"], 16, 64)
	return err == nil && mask&(1<<(uint(sig)-1)) != 0
}

// warnf prints one line on the supervisor's stderr (the pledging
// process's): never silent.
func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pledge: "+format+"\n", args...)
}
