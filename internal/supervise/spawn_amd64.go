package supervise

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The stub's code, written into a page it maps (PROT_EXEC: it is this
// program's own process, unsandboxed until its exec), run by setting its
// registers.
var (
	// codeExec: the execveat set up in the registers; if it fails, the
	// errno goes to the pipe whose number is in r12, and the stub exits
	// 127 (the untraced exec; traced, the supervisor sees the failure at
	// the syscall-exit-stop first).
	codeExec = []byte{
		0x0f, 0x05, // syscall
		0x48, 0xf7, 0xd8, // neg rax
		0x50,             // push rax
		0x4c, 0x89, 0xe7, // mov rdi, r12
		0x48, 0x89, 0xe6, // mov rsi, rsp
		0xba, 0x01, 0x00, 0x00, 0x00, // mov edx, 1
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, SYS_write
		0x0f, 0x05, // syscall
		0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, SYS_exit_group
		0xbf, 0x7f, 0x00, 0x00, 0x00, // mov edi, 127
		0x0f, 0x05, // syscall
		0x0f, 0x0b, // ud2
	}
	// codePause: pause(2) for ever, while the stub changes tracers.
	codePause = []byte{
		0xb8, 0x22, 0x00, 0x00, 0x00, // mov eax, SYS_pause
		0x0f, 0x05, // syscall
		0xeb, 0xf7, // jmp back to the mov
	}
)

// Offsets in the stub's page.
const (
	offExec  = 0
	offPause = 64
	offEmpty = 80 // "": execveat's path
	offData  = 96 // the strings, then the two pointer arrays
)

// spawnOptions are the stub's ptrace options while it is traced under
// PTRACE_TRACEME: its death with ours, syscall stops told apart, the exec
// reported as an event.
const spawnOptions = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC

// Spawn starts the process sp describes (see the comment at Spawn's
// type) and returns once its execveat succeeded, the new image stopped
// before its first instruction (or, for an untraced exec, the stub stopped
// right before it), or with the errno it failed with; nothing is left
// running on an error. A kept process is then the caller's to sandbox and
// Adopt; any other is to be let go (Let), or killed. Call it from a
// callback (the tracer thread: the stub is its child and tracee).
func (a *Attached) Spawn(sp *Spawn) (*Spawned, error) {
	files := slices.Clone(sp.Fds)
	place := func(fd int) int {
		if i := slices.Index(files, -1); i >= 0 {
			files[i] = fd
			return i
		}
		files = append(files, fd)
		return len(files) - 1
	}
	exe := place(sp.Exe)
	untraced := sp.Privileged && !sp.Keep && !privilegedTracer()
	pipeR, pipeW, childPipe := -1, -1, -1
	if untraced {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return nil, os.NewSyscallError("pipe2", err)
		}
		pipeR, pipeW = p[0], p[1]
		childPipe = place(pipeW)
	}
	out := &Spawned{}
	for _, fd := range sp.Pass {
		out.Passed = append(out.Passed, place(fd))
	}
	attr := &syscall.ProcAttr{
		// Before the descriptors are moved: Cwd is ours.
		Dir:   "/proc/self/fd/" + strconv.Itoa(sp.Cwd),
		Env:   []string{},
		Files: make([]uintptr, len(files)),
		Sys: &syscall.SysProcAttr{Ptrace: true, Setsid: sp.Setsid, Setpgid: !sp.Setsid && sp.Pgid != 0,
			Pgid: sp.Pgid, Pdeathsig: unix.SIGKILL},
	}
	for i, fd := range files {
		attr.Files[i] = uintptr(fd) // -1 closes i
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{"landpledge-exec"}, attr)
	if pipeW >= 0 {
		unix.Close(pipeW)
	}
	if err != nil {
		if pipeR >= 0 {
			unix.Close(pipeR)
		}
		return nil, fmt.Errorf("starting the process: %w", err)
	}
	out.Pid = pid
	abort := func(err error) (*Spawned, error) {
		unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		wait4(pid, &ws, unix.WALL)
		if pipeR >= 0 {
			unix.Close(pipeR)
		}
		return nil, err
	}
	var ws unix.WaitStatus
	if _, err := wait4(pid, &ws, unix.WALL); err != nil {
		return abort(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return abort(fmt.Errorf("the process's first stop: %v: %w", ws, unix.ESRCH))
	}
	if err := unix.PtraceSetOptions(pid, spawnOptions); err != nil {
		return abort(os.NewSyscallError("ptrace(PTRACE_SETOPTIONS)", err))
	}
	in, err := NewInjector(pid)
	if err != nil {
		return abort(err)
	}
	cloexec := []int{exe}
	if childPipe >= 0 {
		cloexec = append(cloexec, childPipe)
	}
	if err := setState(in, pid, sp, cloexec); err != nil {
		return abort(err)
	}
	// Whatever else of ours fork+exec left open above the descriptors
	// given (one not close-on-exec) goes: the image gets those only.
	if _, err := in.Syscall(unix.SYS_CLOSE_RANGE, uint64(len(files)), uint64(^uint32(0)), 0); err != nil {
		return abort(fmt.Errorf("close_range(%d, ~0U): %w", len(files), err))
	}
	regs, err := stageExec(in, sp, exe, childPipe)
	if err != nil {
		return abort(err)
	}
	out.Signals = in.signals
	if untraced {
		if err := unix.PtraceSetRegs(pid, &regs); err != nil {
			return abort(os.NewSyscallError("ptrace(PTRACE_SETREGS)", err))
		}
		out.let = &child{watch: sp.Watch, pipe: pipeR}
		return out, nil
	}
	if sp.Keep {
		sigs, err := reseize(pid, regs.Rip-offExec+offPause, &regs)
		out.Signals = append(out.Signals, sigs...)
		if err != nil {
			return abort(err)
		}
	}
	sigs, err := execTraced(pid, &regs)
	out.Signals = append(out.Signals, sigs...)
	if err != nil {
		return abort(err)
	}
	if sp.Verify != nil {
		if err := sp.Verify(pid); err != nil {
			return abort(err)
		}
	}
	if sp.Comm != "" && Comm(pid) != sp.Comm {
		if err := setComm(pid, sp.Comm); err != nil {
			return abort(err)
		}
	}
	if !sp.Keep {
		out.let = &child{watch: sp.Watch, pipe: -1}
		return out, nil
	}
	resend(pid, out.Signals)
	return out, nil
}

// Let lets go a process Spawn started (not kept), stopped until now: it is
// detached and runs, the supervisor being only its parent, and its stops
// and end go to its Watch. (An untraced exec starts only now; its failure
// comes later, Watch.ExecFailed.) Call it from a callback.
func (a *Attached) Let(c *Spawned) error {
	if c.let == nil {
		return fmt.Errorf("process %d: not to be let go: %w", c.Pid, unix.EINVAL)
	}
	if err := ptraceDetach(c.Pid, 0); err != nil {
		unix.Kill(c.Pid, unix.SIGKILL)
		if c.let.pipe >= 0 {
			unix.Close(c.let.pipe)
		}
		return os.NewSyscallError("ptrace(PTRACE_DETACH)", err)
	}
	a.s.children[c.Pid] = c.let
	resend(c.Pid, c.Signals)
	c.let = nil
	return nil
}

// resend sends pid again the signals that arrived at it while it was set
// up (a terminal's job-control signals to its process group).
func resend(pid int, sigs []syscall.Signal) {
	for _, sig := range sigs {
		unix.Kill(pid, sig)
	}
}

// privilegedTracer reports whether this process has CAP_SYS_PTRACE: the
// kernel then honours set-id bits and file capabilities in an exec it
// traces (LSM_UNSAFE_PTRACE is for unprivileged tracers).
func privilegedTracer() bool {
	st, err := ProcStatus("self")
	if err != nil {
		return false
	}
	eff, err := strconv.ParseUint(st["CapEff"], 16, 64)
	return err == nil && eff&(1<<unix.CAP_SYS_PTRACE) != 0
}

// setState injects into the stub, in this order, what fork+exec could not
// set and the stub does not have yet: umask, resource limits, nice value
// and bounding set (which may need the supervisor's privileges), the
// signal mask and dispositions, groups and ids, no_new_privs, then
// close-on-exec on its own descriptors (the file and the pipe).
func setState(in *Injector, pid int, sp *Spawn, cloexec []int) error {
	st, err := ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	hex := func(key string) uint64 { v, _ := strconv.ParseUint(st[key], 16, 64); return v }
	call := func(what string, nr uintptr, args ...uint64) error {
		if _, err := in.Syscall(nr, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if um, _ := strconv.ParseUint(st["Umask"], 8, 32); uint32(um) != sp.Umask {
		if err := call("umask", unix.SYS_UMASK, uint64(sp.Umask)); err != nil {
			return err
		}
	}
	for _, r := range sp.Rlimits {
		var cur unix.Rlimit
		if err := unix.Prlimit(pid, r.Resource, nil, &cur); err == nil && cur.Cur == r.Cur && cur.Max == r.Max {
			continue
		}
		var lim [16]byte
		binary.NativeEndian.PutUint64(lim[0:], r.Cur)
		binary.NativeEndian.PutUint64(lim[8:], r.Max)
		addr, err := in.Stage(lim[:])
		if err != nil {
			return err
		}
		if err := call(fmt.Sprintf("prlimit64(%d, {%d, %d})", r.Resource, r.Cur, r.Max), unix.SYS_PRLIMIT64, 0, uint64(r.Resource), addr, 0); err != nil {
			return err
		}
	}
	if nice, err := NiceOf(pid); err != nil || nice != sp.Nice {
		if err := call(fmt.Sprintf("setpriority(%d)", sp.Nice), unix.SYS_SETPRIORITY, unix.PRIO_PROCESS, 0, uint64(int64(sp.Nice))); err != nil {
			return err
		}
	}
	drop := hex("CapBnd") &^ sp.CapBnd
	for c := range 64 {
		if drop&(1<<c) != 0 {
			if err := call(fmt.Sprintf("prctl(PR_CAPBSET_DROP, %d)", c), unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uint64(c)); err != nil {
				return err
			}
		}
	}
	if hex("SigBlk") != sp.SigMask {
		var set [8]byte
		binary.NativeEndian.PutUint64(set[:], sp.SigMask)
		addr, err := in.Stage(set[:])
		if err != nil {
			return err
		}
		if err := call("rt_sigprocmask", unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, addr, 0, 8); err != nil {
			return err
		}
	}
	ign := hex("SigIgn")
	for sig := 1; sig <= 64; sig++ {
		bit := uint64(1) << (sig - 1)
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) || (ign^sp.SigIgn)&bit == 0 {
			continue
		}
		var act [32]byte // struct sigaction: handler (SIG_IGN 1, SIG_DFL 0), flags, restorer, mask
		if sp.SigIgn&bit != 0 {
			act[0] = 1
		}
		addr, err := in.Stage(act[:])
		if err != nil {
			return err
		}
		if err := call(fmt.Sprintf("rt_sigaction(%d)", sig), unix.SYS_RT_SIGACTION, uint64(sig), addr, 0, 8); err != nil {
			return err
		}
	}
	if groups := parseIDs(st["Groups"]); !slices.Equal(groups, sp.Groups) {
		b := make([]byte, 4*len(sp.Groups)+4)
		for i, g := range sp.Groups {
			binary.NativeEndian.PutUint32(b[4*i:], g)
		}
		addr, err := in.Stage(b)
		if err != nil {
			return err
		}
		if err := call("setgroups", unix.SYS_SETGROUPS, uint64(len(sp.Groups)), addr); err != nil {
			return err
		}
	}
	if gid := parseIDs(st["Gid"]); len(gid) < 3 || [3]uint32(gid[:3]) != sp.Gid {
		if err := call("setresgid", unix.SYS_SETRESGID, uint64(sp.Gid[0]), uint64(sp.Gid[1]), uint64(sp.Gid[2])); err != nil {
			return err
		}
	}
	if uid := parseIDs(st["Uid"]); len(uid) < 3 || [3]uint32(uid[:3]) != sp.Uid {
		if err := call("setresuid", unix.SYS_SETRESUID, uint64(sp.Uid[0]), uint64(sp.Uid[1]), uint64(sp.Uid[2])); err != nil {
			return err
		}
	}
	if sp.NoNewPrivs {
		if err := call("prctl(PR_SET_NO_NEW_PRIVS)", unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return err
		}
	}
	for _, fd := range cloexec {
		if err := call(fmt.Sprintf("fcntl(%d, F_SETFD)", fd), unix.SYS_FCNTL, uint64(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return err
		}
	}
	return nil
}

// stageExec maps a page (or more) in the stub, writes the code, argv and
// the environment there, and returns the registers of the execveat.
func stageExec(in *Injector, sp *Spawn, exe, pipe int) (unix.PtraceRegs, error) {
	size := offData
	for _, list := range [][]string{sp.Argv, sp.Env} {
		for _, a := range list {
			size += len(a) + 1
		}
	}
	size = (size+7)&^7 + 8*(len(sp.Argv)+len(sp.Env)+2)
	length := uint64(size+4095) &^ 4095
	base, err := in.Syscall(unix.SYS_MMAP, 0, length, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
	if err != nil {
		return unix.PtraceRegs{}, fmt.Errorf("mmap(%d): %w", length, err)
	}
	page := make([]byte, size)
	copy(page[offExec:], codeExec)
	copy(page[offPause:], codePause)
	at := offData
	ptrs := func(list []string) []uint64 {
		var p []uint64
		for _, a := range list {
			p = append(p, base+uint64(at))
			at += copy(page[at:], a) + 1
		}
		return append(p, 0)
	}
	argv, envp := ptrs(sp.Argv), ptrs(sp.Env)
	at = (at + 7) &^ 7
	argvAt := base + uint64(at)
	for _, p := range argv {
		binary.NativeEndian.PutUint64(page[at:], p)
		at += 8
	}
	envAt := base + uint64(at)
	for _, p := range envp {
		binary.NativeEndian.PutUint64(page[at:], p)
		at += 8
	}
	if err := writeMem(in.tid, base, page); err != nil {
		return unix.PtraceRegs{}, err
	}
	r := in.saved
	r.Rip, r.Orig_rax = base+offExec, ^uint64(0)
	r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8 = unix.SYS_EXECVEAT, uint64(exe), base+offEmpty, argvAt, envAt, unix.AT_EMPTY_PATH
	r.R12 = uint64(int64(pipe))
	return r, nil
}

// writeMem writes b at addr in pid's memory.
func writeMem(pid int, addr uint64, b []byte) error {
	for len(b) > 0 {
		local := []unix.Iovec{{Base: &b[0]}}
		local[0].SetLen(len(b))
		remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
		n, err := unix.ProcessVMWritev(pid, local, remote, 0)
		if err != nil {
			return fmt.Errorf("process_vm_writev %d %#x: %w", pid, addr, err)
		}
		if n <= 0 {
			return fmt.Errorf("process_vm_writev %d %#x: nothing written: %w", pid, addr, unix.EFAULT)
		}
		b, addr = b[n:], addr+uint64(n)
	}
	return nil
}

// reseize makes the stub, traced under PTRACE_TRACEME, a seized tracee
// with the supervisor's options (traceOptions: its group-stops are
// PTRACE_EVENT_STOPs, left stopped with PTRACE_LISTEN, as for every other
// tracee of Attach): it runs codePause at pause, is detached, seized and
// interrupted. Signals it got meanwhile are returned.
func reseize(pid int, pause uint64, regs *unix.PtraceRegs) ([]syscall.Signal, error) {
	r := *regs
	r.Rip, r.Orig_rax = pause, ^uint64(0)
	if err := unix.PtraceSetRegs(pid, &r); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	if err := ptraceDetach(pid, 0); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_DETACH)", err)
	}
	if err := ptraceSeize(pid, traceOptions); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_SEIZE)", err)
	}
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_INTERRUPT)", err)
	}
	var sigs []syscall.Signal
	for {
		var ws unix.WaitStatus
		if _, err := wait4(pid, &ws, unix.WALL); err != nil {
			return sigs, err
		}
		if !ws.Stopped() {
			return sigs, fmt.Errorf("the process ended while it was seized: %v: %w", ws, unix.ESRCH)
		}
		if eventOf(ws) == unix.PTRACE_EVENT_STOP {
			return sigs, nil
		}
		sigs = append(sigs, ws.StopSignal())
		unix.PtraceCont(pid, 0)
	}
}

// execTraced sets regs (an execveat) and runs the call to its end: the
// entry stop, the exec event, the exit stop, where the new image has not
// run an instruction. A failed execveat is returned as its errno. Signals
// that stop the process meanwhile are suppressed and returned.
func execTraced(pid int, regs *unix.PtraceRegs) ([]syscall.Signal, error) {
	if err := unix.PtraceSetRegs(pid, regs); err != nil {
		return nil, os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	var sigs []syscall.Signal
	execed := false
	for {
		if err := unix.PtraceSyscall(pid, 0); err != nil {
			return sigs, os.NewSyscallError("ptrace(PTRACE_SYSCALL)", err)
		}
		var ws unix.WaitStatus
		if _, err := wait4(pid, &ws, unix.WALL); err != nil {
			return sigs, err
		}
		switch {
		case !ws.Stopped():
			return sigs, fmt.Errorf("the process ended in its exec: %v: %w", ws, unix.ESRCH)
		case ws.StopSignal() == unix.SIGTRAP && eventOf(ws) == unix.PTRACE_EVENT_EXEC:
			execed = true
		case ws.StopSignal() == syscallStop:
			info, err := GetSyscallInfo(pid)
			if err != nil {
				return sigs, err
			}
			if info.Op != unix.PTRACE_SYSCALL_INFO_EXIT {
				continue // the entry stop
			}
			if info.Rval < 0 {
				return sigs, fmt.Errorf("execveat: %w", unix.Errno(-info.Rval))
			}
			if !execed {
				return sigs, fmt.Errorf("execveat returned %d without an exec: %w", info.Rval, unix.EFAULT)
			}
			return sigs, nil
		case eventOf(ws) == 0 && ws.StopSignal() != unix.SIGTRAP:
			sigs = append(sigs, ws.StopSignal())
		}
	}
}

// setComm names pid's image (prctl(PR_SET_NAME)), pid stopped at the exit
// of its exec.
func setComm(pid int, comm string) error {
	in, err := NewInjector(pid)
	if err != nil {
		return err
	}
	addr, err := in.Stage(append([]byte(comm), 0))
	if err == nil {
		_, err = in.Syscall(unix.SYS_PRCTL, unix.PR_SET_NAME, addr)
	}
	if rerr := in.Restore(); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("prctl(PR_SET_NAME, %q): %w", comm, err)
	}
	return nil
}
