package supervise

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// traceOptions are the ptrace options of every tracee: seccomp stops for
// the filter's SECCOMP_RET_TRACE, exec stops for the loader phase, every
// new thread and process followed, syscall stops told apart from traps
// (PTRACE_O_TRACESYSGOOD: they stop with SIGTRAP|0x80, which
// PTRACE_GET_SYSCALL_INFO needs to say entry or exit), and
// PTRACE_O_EXITKILL so that the
// tracer's death kills every tracee (fail closed).
const traceOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACEFORK |
	unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_EXITKILL

// syscallStop is the stop signal of a syscall-entry or syscall-exit stop
// under PTRACE_O_TRACESYSGOOD.
const syscallStop = unix.SIGTRAP | 0x80

// Attached is a running process supervised by Attach.
type Attached struct{ s *state }

// Attach makes the calling goroutine's OS thread (locked to it for good)
// the tracer of every thread of the running process pid, which keeps
// running: each thread is PTRACE_SEIZEd with the options set at once (no
// stop, unlike PTRACE_ATTACH), and /proc/PID/task is listed again until a
// pass finds no thread it did not know, since threads created by a thread
// seized before are attached by PTRACE_O_TRACECLONE and the others show up
// in the next listing. The process is supervised as cmd is by Run, in the
// "running" phase: loader grants only for the images it execs.
//
// The kernel refuses the seize with EPERM when pid is traced already (a
// debugger), is not dumpable, or Yama's ptrace_scope forbids it (pid must
// then name the caller with PR_SET_PTRACER first); the error wraps that
// errno. On an error the threads seized so far are detached again when
// they can be stopped (PTRACE_INTERRUPT); one that cannot would be killed
// by PTRACE_O_EXITKILL when the caller exits.
//
// Wait must be called next, from the same goroutine.
func Attach(pid int, cfg Config) (*Attached, error) {
	runtime.LockOSThread()
	s := &state{
		cfg:      cfg,
		main:     pid,
		procs:    map[int]*proc{pid: {phase: phaseRunning, data: cfg.Data}},
		tgid:     map[int]int{},
		stopped:  map[int]bool{},
		pending:  map[int]bool{},
		checking: map[int]func(pid int, rval int64) Decision{},
		children: map[int]*child{},
		outlive:  true,
	}
	gone := map[int]bool{}
	for {
		tids, err := tasks(pid)
		if err != nil {
			s.detachAll()
			return nil, err
		}
		added := false
		for _, tid := range tids {
			if _, ok := s.tgid[tid]; ok || gone[tid] {
				continue
			}
			added = true
			err := ptraceSeize(tid, traceOptions)
			switch {
			case err == nil:
			case errors.Is(err, unix.ESRCH):
				gone[tid] = true // the thread ended meanwhile
				continue
			case errors.Is(err, unix.EPERM) && tracerOf(tid) == unix.Gettid():
				// Attached already by PTRACE_O_TRACECLONE; its first stop
				// (PTRACE_EVENT_STOP) is still due.
			default:
				s.detachAll()
				return nil, fmt.Errorf("ptrace(PTRACE_SEIZE) %d (thread of %d): %w", tid, pid, err)
			}
			s.tgid[tid] = pid
		}
		if !added {
			break
		}
	}
	s.logf("supervise: attached %d (%d threads)", pid, len(s.tgid))
	return &Attached{s}, nil
}

// Wait supervises the attached process and its descendants until none of
// them is left (descendants outliving the process stay supervised), and
// returns the process's wait status as the tracer saw it. It must run on
// the goroutine that called Attach.
func (a *Attached) Wait() (unix.WaitStatus, error) { return a.s.loop() }

// tasks lists the thread ids of process pid (/proc/PID/task), in order.
func tasks(pid int) ([]int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(names))
	for _, n := range names {
		if tid, err := strconv.Atoi(n); err == nil {
			tids = append(tids, tid)
		}
	}
	sort.Ints(tids)
	return tids, nil
}

// tracerOf returns the TracerPid of tid (/proc/TID/status): the thread id
// of its tracer (the tracer thread, not its process), 0 if none or unknown.
func tracerOf(tid int) int { return statusInt(tid, "TracerPid") }

// detachAll undoes a partial Attach: each seized thread is stopped with
// PTRACE_INTERRUPT and detached (ptrace(2): a tracee must be stopped to be
// detached), with the signal of a signal-delivery-stop passed on.
func (s *state) detachAll() {
	for tid := range s.tgid {
		if unix.PtraceInterrupt(tid) != nil {
			continue
		}
		var ws unix.WaitStatus
		if _, err := wait4(tid, &ws, unix.WALL); err != nil || !ws.Stopped() {
			continue
		}
		sig := 0
		if eventOf(ws) == 0 && ws.StopSignal() != unix.SIGTRAP {
			sig = int(ws.StopSignal())
		}
		ptraceDetach(tid, sig)
	}
}

func ptraceSeize(tid int, options int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(tid), 0, uintptr(options), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func ptraceDetach(tid, sig int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(tid), 0, uintptr(sig), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// execHook runs hook for tid stopped at its PTRACE_EVENT_EXEC stop, after
// moving it to the syscall-exit-stop of that execve. At the event stop the
// thread is still inside execve: when it leaves, the kernel stores the
// call's return value (0) in rax, overwriting what an Injector set there,
// so the first injected "syscall" would run read(2). At the
// syscall-exit-stop (PTRACE_SYSCALL) the return value is stored and the
// registers the tracer sets are the ones user mode gets; the new image
// still has not run an instruction.
func execHook(tid int, hook func() (any, error)) (any, error) {
	if err := unix.PtraceSyscall(tid, 0); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_SYSCALL)", err)
	}
	var ws unix.WaitStatus
	if _, err := wait4(tid, &ws, unix.WALL); err != nil {
		return nil, err
	}
	if !ws.Stopped() || ws.StopSignal() != syscallStop {
		return nil, fmt.Errorf("tracee %d: %v after its exec stop, want the syscall-exit-stop: %w", tid, ws, unix.ESRCH)
	}
	return hook()
}
