//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/ldso"
	"github.com/landpledge/landpledge/internal/sandbox"
	"github.com/landpledge/landpledge/internal/supervise"
	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"github.com/landpledge/landpledge/unveil"
)

// compiledFilter is the program's filter compiled for any pid: the layer
// for the program's pid is patched from it at the first stop.
type compiledFilter struct {
	c   *sandbox.Compiled
	err error
}

// compileFilter compiles the one filter of a config: violations stop at
// the supervisor, which reports them; loader operations too, granted in
// the loader window (internal/sandbox). Foreign-arch and x32 calls are
// killed outright rather than traced: their numbers mean other syscalls,
// so neither a report nor an EPERM would be about what was asked, and -k
// relies on that kill (Compiled.KillNr).
func compileFilter(c *config, p promise.Set, pathLayer bool) compiledFilter {
	comp, err := sandbox.Compile(sandbox.Policy{Promises: p, Report: true, PathLayer: pathLayer})
	if err != nil {
		return compiledFilter{err: fmt.Errorf("%q: %w", c.Promises, err)}
	}
	return compiledFilter{c: comp}
}

// programCmd is the program as the command starts it, supervised or
// learned: its root (-c), its credentials (-u -g), the caller's standard
// descriptors and env.
func programCmd(c *config, prog string, env []string) *exec.Cmd {
	cmd := &exec.Cmd{Path: prog, Args: c.Argv, Env: env, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{Chroot: c.Chroot}}
	if c.Chroot != "" {
		cmd.Dir = "/" // inside the chroot: the child chdirs after chrooting
	}
	if c.UID >= 0 || c.GID >= 0 {
		// Go's child sets groups, gid, uid in this order, after the
		// chroot and before the execve.
		cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}
		if c.UID >= 0 {
			cred.Uid = uint32(c.UID)
		}
		if c.GID >= 0 {
			cred.Gid, cred.Groups, cred.NoSetGroups = uint32(c.GID), []uint32{uint32(c.GID)}, false
		}
		cmd.SysProcAttr.Credential = cred
	}
	return cmd
}

// inBackground runs fn on another goroutine and returns a func that waits
// for its result (each call gives the same one).
func inBackground[T any](fn func() T) func() T {
	c := make(chan T, 1)
	go func() { c <- fn() }()
	return sync.OnceValue(func() T { return <-c })
}

// inRoot runs fn with dir as its root directory (and "/" as its working
// directory), so that it sees paths as a program chrooted to dir will: a
// fresh OS thread unshares its filesystem attributes (CLONE_FS: root and
// cwd become its own) and chroots; the thread ends with fn, so no other
// goroutine ever runs in that root. An empty dir runs fn as it is.
func inRoot(dir string, fn func() error) error {
	if dir == "" {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its own root
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- os.NewSyscallError("unshare(CLONE_FS)", err)
			return
		}
		if err := unix.Chroot(dir); err != nil {
			errc <- &os.PathError{Op: "chroot", Path: dir, Err: err}
			return
		}
		if err := unix.Chdir("/"); err != nil {
			errc <- &os.PathError{Op: "chdir", Path: "/", Err: err}
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// planVeil unveils the automatic paths and the -v paths in an unveil
// state of its own and prepares (without enforcing) what committing it
// would enforce: the same engine as pledge.Unveil and pledge.UnveilBlock.
// It also returns what the loaders need (the automatic paths). nil when
// nothing is unveiled.
func planVeil(c *config, prog string, env []string) (*unveil.Prepared, []ldso.Need, error) {
	auto, err := autoUnveil(prog, env)
	if err != nil && c.Verbose {
		warn("auto-unveil: %v", err)
	}
	more, err := execNeeds(c.Unveils, env)
	if err != nil && c.Verbose {
		warn("auto-unveil: %v", err)
	}
	auto = append(append(auto, more...), symlinkTargets(c.Unveils, c.Argv[1:])...)
	if c.Verbose {
		for _, n := range auto {
			warn("unveil %s %s (%s)", permOrNone(n.Perm), n.Path, n.Why)
		}
	}
	veil := unveil.New()
	for _, u := range unveilPlan(c.Unveils, auto) {
		if err := veil.Unveil(u.Path, u.Perm); err != nil {
			return nil, nil, fmt.Errorf("unveil(%q, %q): %w", u.Path, u.Perm, err)
		}
	}
	prep, err := veil.Prepare()
	if errors.Is(err, unveil.ErrNothingUnveiled) {
		return nil, auto, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return prep, auto, nil
}

func permOrNone(p string) string {
	if p == "" {
		return `""`
	}
	return p
}

// sandboxFor is what Setup applies to the program at its first stop: the
// Landlock domain d (the veil and the path layer in one, sandbox.ImageDomain), the
// descriptor and resource settings, the filter; restrictFlags are the
// landlock_restrict_self flags (landlockLogFlags).
func sandboxFor(c *config, d *landlock.Domain, filter seccomp.Program, restrictFlags uint32) *sandbox.Sandbox {
	sb := &sandbox.Sandbox{Filter: filter}
	if !c.KeepFds {
		sb.CloseFrom = 3
	}
	for _, r := range c.Rlimits {
		sb.Rlimits = append(sb.Rlimits, sandbox.Rlimit{Resource: r.Resource, Cur: r.Cur, Max: r.Max})
	}
	if c.Nice {
		sb.Nice = 19 // the lowest priority (setpriority(2))
	}
	if d != nil {
		dd := *d
		dd.RestrictFlags = restrictFlags
		sb.Landlock = &dd
	}
	return sb
}

// setUp sandboxes the program pid, stopped right after its execve, from
// the supervisor: it refuses a program that gained privileges at that
// execve, then injects no_new_privs, Landlock, close_range, the rlimits,
// the priority and the filter (sandbox.Inject).
func setUp(c *config, pid int, sb *sandbox.Sandbox) error {
	if err := checkNoNewPrivileges(pid); err != nil {
		return err
	}
	return sandbox.Inject(pid, sb)
}

// errGainedPrivileges is the refusal of a set-user-ID, set-group-ID or
// file-capability program that the kernel let gain privileges: the program
// is started before no_new_privs is set (it is injected at the exec stop),
// and a privileged tracer does not stop execve from honouring those bits
// (an unprivileged one does: LSM_UNSAFE_PTRACE).
var errGainedPrivileges = errors.New("the program is set-user-ID, set-group-ID or has file capabilities, and gained privileges at execve before no_new_privs could be set: refused")

// checkNoNewPrivileges fails when the program's execve changed its
// credentials: real, effective, saved and filesystem ids must agree, and
// its permitted capabilities must be none when it runs as a non-root user
// started by root (setuid drops them all), else no more than the
// command's own. It reads the kernel's view (/proc/PID/status), not the
// program's memory.
func checkNoNewPrivileges(pid int) error {
	st, err := supervise.ProcStatus(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	self, err := supervise.ProcStatus("self")
	if err != nil {
		return err
	}
	for _, key := range []string{"Uid", "Gid"} {
		ids := strings.Fields(st[key])
		for _, id := range ids {
			if len(ids) != 4 || id != ids[0] {
				return fmt.Errorf("%s %q: %w", key, st[key], errGainedPrivileges)
			}
		}
	}
	prm, err1 := strconv.ParseUint(st["CapPrm"], 16, 64)
	own, err2 := strconv.ParseUint(self["CapPrm"], 16, 64)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("CapPrm: %w", err)
	}
	if uid := strings.Fields(st["Uid"])[0]; uid != "0" && os.Geteuid() == 0 {
		own = 0
	}
	if prm&^own != 0 {
		return fmt.Errorf("CapPrm %#x: %w", prm, errGainedPrivileges)
	}
	return nil
}

func unwrapExecErr(err error) error {
	var e *exec.Error
	if errors.As(err, &e) {
		if errors.Is(e.Err, exec.ErrNotFound) {
			return errors.New("not found")
		}
		return e.Err
	}
	return err
}

func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pledge: "+format+"\n", args...)
}

// kernelFeatures probe what -T tests and what the command needs: nil when
// the kernel has it.
var kernelFeatures = map[string]func() error{
	"pledge": seccomp.Supported,
	"unveil": landlockSupported,
}

func haveFeatures() map[string]error {
	out := map[string]error{}
	for name, probe := range kernelFeatures {
		out[name] = probe()
	}
	return out
}

// landlockSupported is nil when the kernel enforces unveil (Landlock).
func landlockSupported() error {
	st := pledge.UnveilStatus()
	if st.Err != nil {
		return st.Err
	}
	if st.ABI < 1 {
		return errors.New("no Landlock")
	}
	return nil
}
