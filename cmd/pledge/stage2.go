package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/seccomp"
)

// stage2Env carries the parsed config to stage 2: the command re-executes
// itself (Go cannot run code between fork and exec), and stage 2 sandboxes
// itself and execs the program. It is removed from the program's
// environment.
const stage2Env = "LANDPLEDGE_PLEDGE_STAGE2"

// Trace tags of the filter's SECCOMP_RET_TRACE actions, told apart by the
// supervisor with PTRACE_GETEVENTMSG.
const (
	violationTag uint16 = 1
	loaderTag    uint16 = 2
)

// Exit statuses of stage 2 when it cannot run the program, as shells use
// them (POSIX "Command Search and Execution").
const (
	exCannotRun = 126
	exNotFound  = 127
)

// buildFilter is the one filter for a config: violations and loader-only
// operations go to the supervisor. Foreign-arch and x32 calls are killed
// outright rather than traced: their numbers mean other syscalls, so
// neither a report nor an EPERM would be about what was asked, and the
// supervisor's -k relies on that kill (see killNr).
func buildFilter(p pledge.Promises) (*seccomp.Filter, error) {
	f, err := pledge.BuildFilter(seccomp.Native(), p, pledge.FilterOptions{
		Violation: seccomp.ActTrace(violationTag),
		Loader:    seccomp.ActTrace(loaderTag),
	})
	if err != nil {
		return nil, err
	}
	f.BadArch = seccomp.ActKillProcess
	return f, nil
}

// stage2 runs inside the re-executed command, traced by the parent, and
// never returns: it sets up the process the way the config says, then execs
// the program. The order matters: identity and root first (chroot and
// setuid need privileges that no_new_privs and Landlock keep), unveil next
// (paths as the program will see them), the filter last, then execve,
// which the filter hands to the supervisor, which allows it for stage 2.
func stage2(raw string) {
	var c config
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fail(exCannotRun, "stage 2 config: %v", err)
	}
	os.Unsetenv(stage2Env)
	p, err := pledge.ParsePromises(c.Promises)
	if err != nil {
		fail(exCannotRun, "promises %q: %v", c.Promises, err)
	}
	if c.Nice {
		// 19 is the lowest priority (setpriority(2)).
		if err := unix.Setpriority(unix.PRIO_PROCESS, 0, 19); err != nil {
			fail(exCannotRun, "setpriority: %v", err)
		}
	}
	if c.Chroot != "" {
		if err := unix.Chroot(c.Chroot); err != nil {
			fail(exCannotRun, "chroot %s: %v", c.Chroot, err)
		}
		if err := unix.Chdir("/"); err != nil {
			fail(exCannotRun, "chdir /: %v", err)
		}
	}
	if c.GID >= 0 {
		if err := syscall.Setgroups([]int{c.GID}); err != nil {
			fail(exCannotRun, "setgroups: %v", err)
		}
		if err := syscall.Setgid(c.GID); err != nil {
			fail(exCannotRun, "setgid %d: %v", c.GID, err)
		}
	}
	if c.UID >= 0 {
		if err := syscall.Setuid(c.UID); err != nil {
			fail(exCannotRun, "setuid %d: %v", c.UID, err)
		}
	}
	prog, err := exec.LookPath(c.Argv[0])
	if err != nil {
		code := exNotFound
		if errors.Is(err, os.ErrPermission) {
			code = exCannotRun
		}
		fail(code, "%s: %v", c.Argv[0], unwrapExecErr(err))
	}
	env := os.Environ()
	have := haveFeatures()
	if !c.NoUnveil && have["unveil"] == nil {
		unveilAll(&c, prog, p, env)
	}
	if have["pledge"] == nil {
		f, err := buildFilter(p)
		if err != nil {
			fail(exCannotRun, "building the filter for %q: %v", c.Promises, err)
		}
		bpf, err := f.Compile()
		if err != nil {
			fail(exCannotRun, "compiling the filter for %q: %v", c.Promises, err)
		}
		setFdsAndLimits(&c)
		if _, err := seccomp.Load(bpf, seccomp.FlagTSync); err != nil {
			fail(exCannotRun, "seccomp: %v", err)
		}
	} else {
		setFdsAndLimits(&c)
	}
	err = syscall.Exec(prog, c.Argv, env)
	fail(exCannotRun, "%s: %v", prog, err)
}

// unveilAll unveils the automatic paths and the -v paths, then commits
// the veil (Landlock) with UnveilBlock.
func unveilAll(c *config, prog string, p pledge.Promises, env []string) {
	auto, err := autoUnveil(prog, p, env)
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
	for _, u := range unveilPlan(c.Unveils, auto) {
		if err := pledge.Unveil(u.Path, u.Perm); err != nil {
			fail(exCannotRun, "unveil(%q, %q): %v", u.Path, u.Perm, err)
		}
	}
	if err := pledge.UnveilBlock(); err != nil {
		fail(exCannotRun, "unveil: %v", err)
	}
}

func permOrNone(p string) string {
	if p == "" {
		return `""`
	}
	return p
}

// setFdsAndLimits closes inherited descriptors (unless -N) and applies the
// resource limits, last before the filter: stage 2 itself needs fds and
// address space until then.
func setFdsAndLimits(c *config) {
	if !c.KeepFds {
		// CLOSE_RANGE_CLOEXEC: the descriptors close at execve, so stage 2
		// keeps working until then.
		if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
			fail(exCannotRun, "close_range: %v", err)
		}
	}
	for _, r := range c.Rlimits {
		lim := unix.Rlimit{Cur: r.Cur, Max: r.Max}
		if err := unix.Setrlimit(r.Resource, &lim); err != nil {
			fail(exCannotRun, "setrlimit(%d, %d): %v", r.Resource, r.Cur, err)
		}
	}
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

func fail(code int, format string, args ...any) {
	warn(format, args...)
	os.Exit(code)
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

func jsonConfig(c *config) (string, error) {
	b, err := json.Marshal(c)
	return string(b), err
}
