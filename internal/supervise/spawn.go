package supervise

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Spawning. The exec broker runs each image in a fresh process C that the
// supervisor starts as its own child, with the state an exec'd image
// keeps, as the caller (internal/sandbox) read it from the kernel. Go's
// fork+exec cannot set most of that state, and C must exec the very file
// the caller's exec opened (a descriptor, not a path), so C starts as a
// stub: this program forked and exec'd under PTRACE_TRACEME, stopped
// before it runs an instruction, with the descriptors, the working
// directory, the process group (or a session of its own) and
// PR_SET_PDEATHSIG(SIGKILL) that fork+exec can set. The supervisor then
// injects the rest (umask, resource limits, the signal mask and the
// ignored signals, the nice value, the bounding set, the credentials,
// no_new_privs) and execveat(fd, "", AT_EMPTY_PATH), traced, so that the
// result is seen: an error is the caller's; on success the new image has
// not run yet, Verify checks it and its name is set. It is then let go
// (detached: it runs unsupervised, the supervisor is only its parent) or
// kept (seized: the caller sandboxes it and Adopts it). A file that
// grants privileges (set-id, file capabilities) is exec'd untraced
// instead when the supervisor is not privileged, since the kernel ignores
// those bits under an unprivileged tracer; then the stub reports a failed
// execveat through a close-on-exec pipe.

// Spawn describes the process to start. Signal masks have bit n-1 for
// signal n.
type Spawn struct {
	// Exe is a descriptor, in this process, of the file to execute
	// (execveat(Exe, "", AT_EMPTY_PATH)); O_PATH is enough.
	Exe int
	// Argv and Env are what the new image gets.
	Argv, Env []string
	// Comm, when set, is the new image's name (prctl(PR_SET_NAME) once it
	// is exec'd): the kernel names an image exec'd by descriptor after
	// the file, not after the name it was exec'd by.
	Comm string
	// Fds[i], when not -1, is a descriptor of this process the new one
	// gets as descriptor i (the same open file).
	Fds []int
	// Pass are more descriptors of this process that stay open across the
	// exec at numbers Spawn chooses (Spawned.Passed), for the caller to
	// use and close before the image runs (Keep only).
	Pass []int
	// Cwd is a descriptor of the working directory.
	Cwd int
	// Umask, Rlimits, SigMask, SigIgn and Nice are set as given.
	Umask           uint32
	Rlimits         []Rlimit
	SigMask, SigIgn uint64
	Nice            int
	Uid, Gid        [3]uint32 // real, effective, saved
	Groups          []uint32
	CapBnd          uint64 // capabilities outside it are dropped from the bounding set
	Pgid            int    // the process group to join; 0: the supervisor's own
	Setsid          bool   // a session (and process group) of its own instead
	NoNewPrivs      bool
	Privileged      bool // the file may grant privileges at exec (set-id, file capabilities)
	Keep            bool // stay traced (see Attached.Adopt)
	Verify          func(pid int) error
	Watch           *Watch // told what becomes of a process that is let go
}

// Rlimit is one resource limit (RLIMIT_*).
type Rlimit struct {
	Resource int
	Cur, Max uint64
}

// child is a process Spawn let go: the supervisor is only its parent.
type child struct {
	watch *Watch
	// pipe, when not -1, is the read end of the pipe an untraced exec
	// reports its failure on (one byte, the errno), EOF once it succeeded.
	pipe int
}

// Spawned is a started process.
type Spawned struct {
	Pid int
	// Passed[i] is the number of Spawn.Pass[i] in the new process.
	Passed []int
	// Signals arrived at the process before its image was exec'd: they
	// are sent to it again (Let; for a kept process already by Spawn).
	Signals []syscall.Signal
	// let is what Let registers the process as.
	let *child
}

// Adopt registers pid, a process Spawn kept (stopped before its
// image's first instruction, sandboxed by the caller), as a tracee with
// Data data, told to w, starts its loader phase and resumes it.
func (a *Attached) Adopt(pid int, data any, w *Watch) {
	s := a.s
	s.tgid[pid] = pid
	p := &proc{phase: phaseRunning, data: data, watch: w}
	s.procs[pid] = p
	s.startImage(pid, p)
	unix.PtraceCont(pid, 0)
}

// Pid is the attached process's pid.
func (a *Attached) Pid() int { return a.s.main }
